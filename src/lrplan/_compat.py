"""torch-named drop-ins: torch's names, signatures, defaults and numbers.

Each class is a thin configuration of the driver: it says which pure schedule
each param group follows. The chainable behaviour of torch's recursive forms
comes from the driver, not from a second formula here.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from torch.optim import Optimizer

from ._driver import LRScheduler
from ._schedules import Schedule, Step
from ._schedules._core import check_real
from ._schedules._ops import Ops

__all__ = ["LambdaLR", "StepLR"]


class _FunctionSchedule(Schedule):
    """A user function as a schedule (not serialisable; used by ``LambdaLR``).

    The function receives the step as torch passes it: an ``int`` for whole steps.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], float]) -> None:
        self.fn = fn

    def _call_fn(self, t: float) -> float:
        arg: Any = int(t) if float(t).is_integer() else t
        return float(self.fn(arg))

    def __call__(self, t: float) -> float:
        return self._call_fn(t)

    def _at(self, t: Any, xp: Ops) -> Any:
        if xp.is_vector:
            return np.array([self._call_fn(float(u)) for u in np.ravel(t)], dtype=np.float64)
        return self._call_fn(t)

    def to_config(self) -> dict[str, Any]:
        name = getattr(self.fn, "__qualname__", type(self.fn).__qualname__)
        return {"type": "function", "name": f"{getattr(self.fn, '__module__', '?')}.{name}"}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FunctionSchedule) and other.fn is self.fn

    def __hash__(self) -> int:
        return hash(self.fn)

    def __repr__(self) -> str:
        return f"<function schedule {self.to_config()['name']}>"


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``: torch's ``LambdaLR``, same numbers.

    Like torch's, it is not chainable: each step writes ``base * f(t)``, whatever
    other schedulers did. Plain functions are not saved in the state; the
    attributes of callable objects are (as plain data), as in torch.

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

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.optimizer = optimizer
        n = len(optimizer.param_groups) if isinstance(optimizer, Optimizer) else 0
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != n:
                raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
            fns = list(lr_lambda)
        else:
            fns = [lr_lambda] * n
        for i, fn in enumerate(fns):
            if not callable(fn):
                raise TypeError(
                    f"LambdaLR: lr_lambda must be callable (or a list of callables), "
                    f"got {type(fn).__name__} at index {i}"
                )
        self.lr_lambdas: list[Callable[[int], float]] = fns
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        if group_index >= len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR: param group {group_index} was added after construction and has "
                "no lr_lambda"
            )
        return _FunctionSchedule(self.lr_lambdas[group_index])

    def _extra_state(self) -> dict[str, Any]:
        return {
            "lr_lambdas": [
                None if isinstance(fn, types.FunctionType) else dict(vars(fn))
                for fn in self.lr_lambdas
            ]
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        saved = state.get("lr_lambdas", [])
        if len(saved) != len(self.lr_lambdas):
            raise ValueError(
                f"LambdaLR.load_state_dict: the state has {len(saved)} lr_lambdas, "
                f"this scheduler {len(self.lr_lambdas)}"
            )
        for fn, attrs in zip(self.lr_lambdas, saved, strict=True):
            if attrs is not None:
                vars(fn).update(attrs)


class StepLR(LRScheduler):
    """Decay the lr by ``gamma`` every ``step_size`` epochs: torch's ``StepLR``.

    Closed form ``base * gamma ** (epoch // step_size)`` (:class:`lrplan.Step`);
    chained with other schedulers it multiplies the current lr by ``gamma`` at
    each multiple of ``step_size``, as torch's does. Unlike torch, a zero or
    negative ``step_size`` fails here with a ``ValueError`` instead of a later
    ``ZeroDivisionError``.

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

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        self.step_size = check_real("StepLR", "step_size", step_size, lo=0.0, lo_open=True)
        self.gamma = check_real("StepLR", "gamma", gamma, lo=0.0)
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        return Step(step_size=self.step_size, gamma=self.gamma)
