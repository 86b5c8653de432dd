"""torch-named drop-ins: torch's names, signatures, defaults and numbers.

Each class is a thin configuration of the driver: it says which pure schedule
each param group follows (``_make_schedule``). The chainable behaviour of torch's
recursive forms comes from the driver's relative mode, not from a second formula
here. Where torch's recursive ``get_lr`` does something the generic relative rule
cannot express, a small, commented per-class rule says so:

* :class:`_TorchRecursion` holds the three protocol-level quirks (a resume via
  ``last_epoch`` keeps the loaded lr for one step; a non-initial step from
  ``last_epoch=-1`` applies the recursive rule; groups added mid-run compose);
* ``LinearLR``/``PolynomialLR`` hold whatever the group holds past their end
  (torch returns the lr unchanged there, even where the shape is 0);
* ``CosineAnnealingLR`` has torch's additive step out of a trough;
* ``MultiplicativeLR`` has no closed form in torch: it always multiplies.

See ``docs/torch-parity.md`` for every class, its closed form and each
deliberate difference.
"""

from __future__ import annotations

import math
import types
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
import torch.optim.lr_scheduler as _torch
from torch.optim import Optimizer

from ._driver import ScheduleDriven
from ._groups import as_float, read, read_floats
from ._schedules import Cosine, Linear, Polynomial, Schedule
from ._schedules._core import check_real
from ._schedules._ops import SCALAR as _SCALAR_OPS
from ._schedules._ops import Ops
from ._schedules._torchnames import (
    constant_lr,
    cosine_annealing_lr,
    exponential_lr,
    linear_lr,
    multistep_lr,
    polynomial_lr,
    step_lr,
)
from ._schedules._validate import check_whole

__all__ = [
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "StepLR",
]


# --------------------------------------------------------------------------- validation helpers


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python numbers and lists (state must be plain data)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_plain(v) for v in value)
    return value


# --------------------------------------------------------------------------- torch's recursion


class _TorchRecursion(ScheduleDriven):
    """The driver plus the protocol-level rules of torch's recursive ``get_lr``.

    The driver writes the closed form while a group holds what it last wrote and
    switches the group to relative mode once someone else changed it. torch's
    chainable classes are relative always, which gives the same numbers except in
    three situations; each is a class flag here, set only where torch does it:

    * ``_resume_holds``: torch's initial step returns the groups' current lrs
      unchanged (``LinearLR``, ``ExponentialLR``, ``PolynomialLR``,
      ``CosineAnnealingLR``, ``MultiplicativeLR``). From a fresh start that is the
      closed form at 0, but on a resume via ``last_epoch=N`` the loaded lr is kept
      for step ``N + 1`` and the recursion continues from it.
    * ``_rechain_from_start``: a *non-initial* step from ``last_epoch=-1`` (torch's
      ``SequentialLR`` undoes its children's steps and a ``ChainedScheduler`` child
      then steps them) applies the recursive rule at epoch 0, extended to
      ``t_prev=-1``, instead of the initial step's rule.
    * ``_always_relative``: never the closed form on ``step()`` (``MultiplicativeLR``,
      whose function must be called once per step, as torch does).

    Groups added with ``add_param_group`` after the initial step compose with the
    lr they hold, as torch's recursive forms do (the driver's default joins them
    in closed form when they are added before the first ``step()``).
    """

    _resume_holds: ClassVar[bool] = False
    _rechain_from_start: ClassVar[bool] = False
    _always_relative: ClassVar[bool] = False

    @ScheduleDriven.base_lrs.setter  # type: ignore[attr-defined,untyped-decorator]
    def base_lrs(self, values: Sequence[Any]) -> None:
        """New bases, as in torch: the closed form (``step(epoch)``) uses them, while a
        chainable class's ``step()`` goes on from the lr each group holds."""
        ScheduleDriven.base_lrs.fset(self, values)  # type: ignore[attr-defined]
        if self._chainable and getattr(self, "_step_count", 0) > 0:
            self._chained = [True] * len(self._chained)

    def _adopt_new_groups(self) -> None:
        n = len(self._bases)
        super()._adopt_new_groups()
        if self._chainable and self.last_epoch >= 0:
            for i in range(n, len(self._bases)):
                self._chained[i] = True

    def _next_values(self, t_prev: float, t: float) -> list[float]:
        initial = self._is_initial
        hold = self._resume_holds and initial and t_prev >= 0
        from_start = self._rechain_from_start and not initial and t_prev < 0
        if not self._chainable or not (hold or from_start or self._always_relative):
            return super()._next_values(t_prev, t)
        values: list[float] = []
        for i, group in enumerate(self.optimizer.param_groups):
            cur = as_float(read(group, self.key))
            self._chained[i] = True
            if hold:
                values.append(cur)
            elif from_start:
                new = self._schedules[i]._rechain(cur, self._scales[i], t_prev, t)
                values.append(self._closed(i, t) if new is None else new)
            else:
                values.append(self._relative_step(i, cur, t_prev, t))
        return values


# --------------------------------------------------------------------------- user functions


class _FunctionSchedule(Schedule):
    """Param group ``index``'s function in a ``LambdaLR``'s ``lr_lambdas`` as a schedule.

    It holds the scheduler's list, not the function, so a function replaced in the
    list (or an object whose attributes a load restored) is the one called, and two
    schedulers built alike compare equal whatever functions they were given (as
    torch's state comparisons expect). The function receives the step as torch
    passes it: an ``int`` for whole steps. Not serialisable.
    """

    __slots__ = ("fns", "index")
    _kind: ClassVar[str] = "function"

    def __init__(self, fns: list[Callable[[Any], float]], index: int) -> None:
        self.fns = fns
        self.index = index

    @property
    def fn(self) -> Callable[[Any], float]:
        return self.fns[self.index]

    def _call_fn(self, t: float) -> float:
        arg: Any = int(t) if float(t).is_integer() else t
        return float(self.fn(arg))

    def __call__(self, t: float) -> float:
        return float(self._at(t, _SCALAR_OPS))

    def _at(self, t: Any, xp: Ops) -> Any:
        if xp.is_vector:
            return np.array([self._value(float(u)) for u in np.ravel(t)], dtype=np.float64)
        return self._value(t)

    def _value(self, t: float) -> float:
        return self._call_fn(t)

    def to_config(self) -> dict[str, Any]:
        name = getattr(self.fn, "__qualname__", type(self.fn).__qualname__)
        return {"type": self._kind, "name": f"{getattr(self.fn, '__module__', '?')}.{name}"}

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.index == self.index  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.index))

    def __repr__(self) -> str:
        return f"<{self._kind} schedule {self.to_config()['name']}>"


class _RunningProduct(_FunctionSchedule):
    r"""``MultiplicativeLR``'s closed form: :math:`\prod_{k=1}^{\lfloor t \rfloor} f(k)`.

    torch's ``MultiplicativeLR`` has no closed form; its recursive rule is
    ``lr *= f(epoch)``. ``MultiplicativeLR`` applies that rule itself (its
    ``_next_values``: each distinct function called once per step);
    :meth:`_rechain` states it for the generic driver. The product is what
    it amounts to from a fresh start, used only for explicit random access
    (``set_step``, ``get_lr``).
    """

    __slots__ = ()
    _kind: ClassVar[str] = "function_product"

    def _value(self, t: float) -> float:
        out = 1.0
        k = 1
        while k <= t:
            out *= self._call_fn(k)
            k += 1
        return out

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        out = float(current)
        k = t_prev + 1
        while k <= t:
            out = out * self._call_fn(k)
            k += 1
        return out


def _lambdas(
    owner: str, optimizer: Any, lr_lambda: Any
) -> tuple[list[Callable[[Any], float]], bool]:
    """torch's rules for ``lr_lambda``: one callable, or a list with one per group."""
    n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
    if isinstance(lr_lambda, list | tuple):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        fns, single = list(lr_lambda), False
    else:
        fns, single = [lr_lambda] * n, True
    for i, fn in enumerate(fns):
        if not callable(fn):
            raise TypeError(
                f"{owner}: lr_lambda should be a function (or a list of functions, one per "
                f"param group), but got {type(fn).__name__} at index {i}"
            )
    return fns, single


class _LambdaScheduler(_TorchRecursion):
    """What ``LambdaLR`` and ``MultiplicativeLR`` share: ``lr_lambda`` checked by
    torch's rules, one function per group, and torch's rule for saving them (plain
    functions are not saved; the attributes of callable objects are, as plain data,
    numpy scalars converted)."""

    #: The class name in error messages (kept for subclasses as well).
    _owner: ClassVar[str]

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas, self._single_lambda = _lambdas(self._owner, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch, verbose)

    def _torch_state(self) -> dict[str, Any]:
        return {**super()._torch_state(), **self._lambdas_state()}

    def _load_torch_state(self, state: Mapping[str, Any]) -> None:
        super()._load_torch_state(state)
        if "lr_lambdas" in state:
            self._load_lambdas_state(state)

    def _lambda_for(self, group_index: int) -> Callable[[Any], float]:
        if group_index < len(self.lr_lambdas):
            return self.lr_lambdas[group_index]
        if self._single_lambda and self.lr_lambdas:
            # torch crashes on the next step (its lists no longer match the groups);
            # one function given for every group covers a group added later too.
            self.lr_lambdas.append(self.lr_lambdas[0])
            return self.lr_lambdas[-1]
        raise ValueError(
            f"{self._owner}: param group {group_index} was added after construction and has no "
            "lr_lambda (a list with one per group was given); pass a single function instead"
        )

    def _lambdas_state(self) -> dict[str, Any]:
        return {
            "lr_lambdas": [
                None
                if isinstance(fn, types.FunctionType)
                else _plain(dict(vars(fn)))
                if hasattr(fn, "__dict__")
                else None
                for fn in self.lr_lambdas
            ]
        }

    def _load_lambdas_state(self, state: Mapping[str, Any]) -> None:
        saved = list(state.get("lr_lambdas", []))
        if len(saved) > len(self.lr_lambdas) and self._single_lambda and self.lr_lambdas:
            self.lr_lambdas.extend([self.lr_lambdas[0]] * (len(saved) - len(self.lr_lambdas)))
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"{self._owner}.load_state_dict: the state has {len(saved)} lr_lambdas, "
                f"this scheduler {len(self.lr_lambdas)}"
            )
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                vars(fn).update(attrs)


class LambdaLR(_LambdaScheduler, _torch.LambdaLR):
    """``lr = base_lr * lr_lambda(epoch)``: torch's ``LambdaLR``, same numbers.

    Like torch's, it is not chainable: each step writes ``base * f(t)``, whatever
    other schedulers did. Plain functions are not saved in the state; the
    attributes of callable objects are (as plain data), as in torch.

    Unlike torch, a single ``lr_lambda`` also drives param groups added later
    with ``add_param_group`` (torch fails on the next step), and a function shared
    by several groups (a single ``lr_lambda``, or one object repeated in the list)
    is called once per step for all of them, where torch calls it once per group:
    a pure function gives identical numbers, a stateful one sees one call per step.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the step, or a list with one per param group.
        last_epoch: the index of the last epoch, when resuming. Default: -1.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = lrplan.LambdaLR(opt, lr_lambda=lambda epoch: 0.5 ** epoch)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.025]
    """

    _chainable: ClassVar[bool] = False
    _owner: ClassVar[str] = "LambdaLR"

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        fn = self._lambda_for(group_index)  # a single function also covers later groups
        # Groups sharing a function share its schedule, so it runs once per step.
        first = next(i for i, f in enumerate(self.lr_lambdas) if f is fn)
        return _FunctionSchedule(self.lr_lambdas, first)


class MultiplicativeLR(_LambdaScheduler, _torch.MultiplicativeLR):
    """Multiply the lr by ``lr_lambda(epoch)`` at every step: torch's ``MultiplicativeLR``.

    ``lr_t = lr_{t-1} * f(t)`` for ``t >= 1`` (the lr at step 0 is the base), so
    from a fresh start :math:`\\text{lr}_t = \\text{base} \\prod_{k=1}^{t} f(k)`.
    torch has no closed form for it: ``step(epoch)`` multiplies the current lr by
    ``f(epoch)``, and so does this class. ``f`` is called with the step as an
    ``int``, exactly as torch calls it.

    Differences from torch (no number changes where torch works): a factor that
    would make the lr negative, NaN or infinite raises ``ValueError``; a single
    ``lr_lambda`` also drives groups added later (torch fails on the next step);
    a function shared by several param groups (a single ``lr_lambda``, or the
    same object repeated in the list) is called once per step and its factor
    used for each of them, where torch calls it once per group. A pure function
    gives identical numbers; a stateful one sees one call per step.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the step returning a factor, or a list with one
            per param group.
        last_epoch: the index of the last epoch, when resuming. Default: -1.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
        >>> for _ in range(3):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.125]
    """

    _owner: ClassVar[str] = "MultiplicativeLR"

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        self._lambda_for(group_index)
        return _RunningProduct(self.lr_lambdas, group_index)

    def _next_values(self, t_prev: float, t: float) -> list[float]:
        if self._is_initial:
            # torch's initial step: the base, or (resuming) the lr held; no call of f.
            if t_prev < 0:
                return super()._next_values(t_prev, t)
            return read_floats(self.optimizer.param_groups, self.key)
        # Every other step is the recursive rule lr *= f(t): step(), step(epoch) and
        # SequentialLR's restart of this child. A function shared by several groups
        # is called once per step.
        arg: Any = int(t) if float(t).is_integer() else t
        groups = self.optimizer.param_groups
        for i in range(len(self.lr_lambdas), len(groups)):
            self._lambda_for(i)  # a group added later (raises if it has no function)
        fns = self.lr_lambdas
        factors: dict[int, float] = {}
        for fn in fns:
            if id(fn) not in factors:
                factors[id(fn)] = float(fn(arg))
        self._chained = [True] * len(groups)
        current = read_floats(groups, self.key)
        return [cur * factors[id(fn)] for cur, fn in zip(current, fns, strict=True)]

    def _get_closed_form_lr(self) -> list[Any]:
        # torch's MultiplicativeLR has no closed form: step(epoch) multiplies too.
        return self._next_values(self.last_epoch - 1, self.last_epoch)


# --------------------------------------------------------------------------- step shapes


class StepLR(_TorchRecursion, _torch.StepLR):
    """Decay the lr by ``gamma`` every ``step_size`` epochs: torch's ``StepLR``.

    Closed form ``base * gamma ** (epoch // step_size)`` (:class:`lrplan.Step`);
    chained with other schedulers it multiplies the current lr by ``gamma`` at
    each multiple of ``step_size``, as torch's does. Unlike torch, a zero or
    negative ``step_size`` fails here with a ``ValueError`` instead of a later
    ``ZeroDivisionError``, and a negative ``gamma`` is refused.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _torch_args: ClassVar[tuple[str, ...]] = ("step_size", "gamma")

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.step_size = check_whole("StepLR", "step_size", step_size, lo=1)
        self.gamma = check_real("StepLR", "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return step_lr(self.step_size, self.gamma)


class MultiStepLR(_TorchRecursion, _torch.MultiStepLR):
    """Decay the lr by ``gamma`` at each milestone: torch's ``MultiStepLR``.

    Closed form ``base * gamma ** bisect_right(sorted(milestones), epoch)``
    (:class:`lrplan.MultiStep`). As in torch, ``milestones`` may be in any order
    and a milestone listed k times multiplies by ``gamma ** k``; the attribute
    ``milestones`` is a ``collections.Counter`` like torch's. Negative or
    non-integer milestones (which torch's step() never reaches but its closed form
    counts) raise ``ValueError``/``TypeError``.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _torch_args: ClassVar[tuple[str, ...]] = ("milestones", "gamma")

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "MultiStepLR"
        if isinstance(milestones, str | bytes) or not isinstance(milestones, Iterable):
            raise TypeError(
                f"{owner}: milestones must be an iterable of integers, got "
                f"{type(milestones).__name__}"
            )
        ms = [check_whole(owner, f"milestones[{i}]", m, lo=0) for i, m in enumerate(milestones)]
        self.milestones: Counter[int] = Counter(ms)
        self.gamma = check_real(owner, "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return multistep_lr(self.milestones.elements(), self.gamma)


class ConstantLR(_TorchRecursion, _torch.ConstantLR):
    """Scale the lr by ``factor`` until ``total_iters``: torch's ``ConstantLR``.

    Closed form ``base * factor`` for ``epoch < total_iters``, then ``base``
    (a :class:`lrplan.Join` of two constants). Chained, it multiplies the
    current lr by ``factor`` at epoch 0 and by ``1 / factor`` at ``total_iters``,
    as torch's does.

    Validation: ``factor`` outside ``[0, 1]`` raises ``ValueError`` as in torch.
    lrplan also refuses ``factor == 0`` (torch accepts it and then divides by
    zero at ``total_iters``) and ``total_iters < 1`` (torch then holds
    ``factor`` forever under ``step()`` but returns ``base`` under
    ``step(epoch)``). For a phase at exactly 0, use ``lrplan.Constant(value=0)``
    in a :class:`lrplan.Join`.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.ConstantLR(opt, factor=0.5, total_iters=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 1.0, 1.0]
    """

    _torch_args: ClassVar[tuple[str, ...]] = ("factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "ConstantLR"
        f = check_real(owner, "factor", factor)
        if f > 1.0 or f < 0:
            raise ValueError(
                "Constant multiplicative factor expected to be between 0 and 1. "
                f"(ConstantLR: factor must be in (0, 1], got {factor!r})"
            )
        if f == 0:
            raise ValueError(
                "ConstantLR: factor must be in (0, 1], got 0 (torch accepts 0 and then divides "
                "by zero at total_iters; for a phase at lr 0 use lrplan.Constant(value=0) in a "
                "lrplan.Join)"
            )
        self.factor = f
        self.total_iters = check_whole(owner, "total_iters", total_iters, lo=1)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return constant_lr(self.factor, self.total_iters)


# --------------------------------------------------------------------------- ramps and decays


class _HoldPastEnd:
    """torch's ``LinearLR``/``PolynomialLR`` return the current lr unchanged past
    ``total_iters``. The generic relative rule divides by the shape's previous value,
    which is 0 there when the shape ends at 0 (``end_factor=0``, or
    ``PolynomialLR``), and would then fall back to the closed form, discarding an
    external change made after the end. Past the end the shape is constant, so the
    relative step is the identity."""

    steps: float

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        if t_prev >= self.steps:
            return float(current)
        new: float | None = super()._rechain(current, scale, t_prev, t)  # type: ignore[misc]
        return new


class _LinearLRShape(_HoldPastEnd, Linear):
    """:class:`lrplan.Linear` with torch's relative rule past the end."""


class _PolynomialLRShape(_HoldPastEnd, Polynomial):
    """:class:`lrplan.Polynomial` with torch's relative rule past the end."""


class LinearLR(_TorchRecursion, _torch.LinearLR):
    """Scale the lr by a factor moving linearly: torch's ``LinearLR``.

    Closed form ``base * (start + (end - start) * min(epoch, total_iters) / total_iters)``
    (:class:`lrplan.Linear`, holding at the end). torch's factor bounds apply:
    ``start_factor`` in (0, 1] and ``end_factor`` in [0, 1], with torch's
    ``ValueError``. lrplan's own :class:`lrplan.Linear` has no such bounds (a
    warmup from 0, a ramp above 1). ``total_iters < 1`` raises ``ValueError``
    here; torch accepts 0 and then holds ``start_factor`` forever under
    ``step()`` but divides by zero under ``step(epoch)``.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    _resume_holds: ClassVar[bool] = True

    _torch_args: ClassVar[tuple[str, ...]] = ("start_factor", "end_factor", "total_iters")

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = "LinearLR"
        s = check_real(owner, "start_factor", start_factor)
        if s > 1.0 or s <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1. (LinearLR: start_factor must be in (0, 1], got {start_factor!r})"
            )
        e = check_real(owner, "end_factor", end_factor)
        if e > 1.0 or e < 0:
            raise ValueError(
                "Ending multiplicative factor expected to be between 0 and 1. "
                f"(LinearLR: end_factor must be in [0, 1], got {end_factor!r})"
            )
        self.start_factor = s
        self.end_factor = e
        self.total_iters = check_whole(owner, "total_iters", total_iters, lo=1)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return linear_lr(self.start_factor, self.end_factor, self.total_iters, cls=_LinearLRShape)


class ExponentialLR(_TorchRecursion, _torch.ExponentialLR):
    """Multiply the lr by ``gamma`` every epoch: torch's ``ExponentialLR``.

    Closed form ``base * gamma ** epoch`` (:class:`lrplan.Exponential`). A
    negative ``gamma`` (negative lrs in torch) raises ``ValueError``.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.ExponentialLR(opt, gamma=0.5)
        >>> opt.step(); sched.step(); opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    _resume_holds: ClassVar[bool] = True
    _rechain_from_start: ClassVar[bool] = True

    _torch_args: ClassVar[tuple[str, ...]] = ("gamma",)

    def __init__(
        self,
        optimizer: Optimizer,
        gamma: float,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.gamma = check_real("ExponentialLR", "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return exponential_lr(self.gamma)


class PolynomialLR(_TorchRecursion, _torch.PolynomialLR):
    """Polynomial decay to 0 over ``total_iters``: torch's ``PolynomialLR``.

    Closed form ``base * (1 - min(epoch, total_iters) / total_iters) ** power``
    (:class:`lrplan.Polynomial` with ``end=0``; lrplan's own shape also takes a
    non-zero ``end``). ``total_iters < 1`` and ``power < 0`` raise ``ValueError``
    (torch holds the lr forever with ``total_iters=0`` and divides by zero with a
    negative power at the end).

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.PolynomialLR(opt, total_iters=4, power=2.0)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _resume_holds: ClassVar[bool] = True
    _rechain_from_start: ClassVar[bool] = True

    _torch_args: ClassVar[tuple[str, ...]] = ("total_iters", "power")

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.total_iters = check_whole("PolynomialLR", "total_iters", total_iters, lo=1)
        self.power = check_real("PolynomialLR", "power", power, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return polynomial_lr(self.total_iters, self.power, cls=_PolynomialLRShape)


class _CosineAnnealingShape(Cosine):
    """torch's ``CosineAnnealingLR`` for one group: ``Cosine(periodic=True)`` in lr units
    (``start`` = the group's base lr, ``end`` = ``eta_min``), with torch's relative rule.

    Why a per-class rule: torch's recursive form is the affine ratio
    ``eta_min + (lr - eta_min) * (1 + cos(pi t / T)) / (1 + cos(pi (t-1) / T))``, except
    on the step out of a trough (``(t - 1 - T) % (2T) == 0``), where that ratio is
    0/0 and torch *adds* ``(base - eta_min) * (1 - cos(pi / T)) / 2`` to the current lr
    instead. The generic rule would fall back to the closed form there and lose an
    external change; and it scales by ``(start - end)``, which is 0 when
    ``base == eta_min`` while torch's ratio is still defined.
    """

    def _rechain(self, current: float, scale: float, t_prev: float, t: float) -> float | None:
        T = self.steps
        if (t - 1 - T) % (2 * T) == 0:
            return float(current + (self.start - self.end) * (1 - math.cos(math.pi / T)) / 2)
        den = 1 + math.cos(math.pi * t_prev / T)
        if den == 0:
            return None
        return float((1 + math.cos(math.pi * t / T)) / den * (current - self.end) + self.end)


class CosineAnnealingLR(_TorchRecursion, _torch.CosineAnnealingLR):
    r"""Cosine annealing from the base lr to ``eta_min``: torch's ``CosineAnnealingLR``.

    .. math:: \text{lr}_t = \eta_{\min} + (\text{base} - \eta_{\min})
              \cdot \tfrac{1}{2}\left(1 + \cos(\pi t / T_{\max})\right)

    Torch's quirk stays: past ``T_max`` the formula keeps running, so the lr
    climbs back to the base at ``2 * T_max`` (period ``2 * T_max``). lrplan's own
    :class:`lrplan.Cosine` holds its end value instead (``periodic=False``).
    Chained with other schedulers or after an external change, it follows torch's
    recursive rule (see ``_CosineAnnealingShape``). ``T_max <= 0`` and
    ``eta_min < 0`` raise ``ValueError`` (torch divides by zero at the first step,
    or produces negative lrs).

    Reference: Loshchilov & Hutter, *SGDR: Stochastic Gradient Descent with Warm
    Restarts*, ICLR 2017.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.CosineAnnealingLR(opt, T_max=2, eta_min=0.1)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.55, 0.1, 0.55, 1.0]
    """

    _relative: bool = False
    _resume_holds: ClassVar[bool] = True
    _rechain_from_start: ClassVar[bool] = True

    _torch_args: ClassVar[tuple[str, ...]] = ("T_max", "eta_min")

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.T_max = check_real("CosineAnnealingLR", "T_max", T_max, lo=0.0, lo_open=True)  # type: ignore[assignment]  # torch: int
        self.eta_min = _eta_min("CosineAnnealingLR", eta_min)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return cosine_annealing_lr(self.T_max, base, self.eta_min, cls=_CosineAnnealingShape)


def _eta_min(owner: str, value: Any) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    return check_real(owner, "eta_min", value, lo=0.0)
