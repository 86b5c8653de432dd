"""A reusable differential harness: one scenario, run with torch's classes and with lrplan's.

A *scenario* is a builder plus a script of actions. The builder receives a class
picker ``L`` and an optimizer and returns the scheduler(s) to step::

    def build(L, opt, last_epoch=-1):
        return L.StepLR(opt, step_size=3, gamma=0.5, last_epoch=last_epoch)

    run_parity(build, [Step()] * 20 + [ScaleLR(0.5)] + [Step()] * 5,
               lrs=[0.1, 0.02], lr_kind="float64")

``L.StepLR`` is ``torch.optim.lr_scheduler.StepLR`` on the reference side and
``lrplan.StepLR`` on the candidate side. With ``candidate=mixed(mask)`` every
class lookup ``L.X`` picks torch's or lrplan's class by the next entry of
``mask`` (cycled), so one builder covers trees of SequentialLR/ChainedScheduler
mixing both libraries. A builder may return one scheduler or a list; ``Step``
steps all of them, in order, after ``optimizer.step()``.

After construction and after every action the harness compares, for every param
group and every key in ``keys`` (``"lr"``, ``"momentum"``, ``"betas[0]"``, ...):
the values in the optimizers, ``get_last_lr()`` of every stepped scheduler, and
their ``last_epoch``. It also checks that tensor values stayed the same objects
on the lrplan side (updated in place) and that both sides emitted the same
warnings. Where torch writes a negative or non-finite value (it does, for
example, when a decaying scheduler is chained with ``CosineAnnealingLR`` below
its ``eta_min``), lrplan must raise ``ValueError`` instead; the comparison stops
there and ``Trace.torch_invalid`` records it. Errors must match too: if torch
raises, lrplan must raise the same exception type at the same action
(``torch_errors="match"``), or, with ``torch_errors="stop"``, the comparison
stops there and the trace records it.

Tolerances: ``rtol=1e-9`` (relative; a tiny absolute floor of ``1e-14`` times
the largest initial value handles exact zeros) for float lrs and float64 tensor
lrs. torch computes float32 tensor lrs in float32 and its recursive forms round
at every step, while lrplan computes in float64 and rounds once when writing, so
float32 comparisons use ``rtol = 2**-23 * (k + 4)`` after ``k`` actions.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import torch
import torch.optim.lr_scheduler as torch_sched
from hypothesis import strategies as st

import lrplan

__all__ = [
    "LR_KINDS",
    "AddGroup",
    "Custom",
    "Lib",
    "ParityError",
    "Resume",
    "ScaleLR",
    "SetLR",
    "Step",
    "StepEpoch",
    "Trace",
    "actions",
    "lrplan_lib",
    "make_optimizer",
    "mixed",
    "read_key",
    "run_parity",
    "torch_lib",
    "torch_roundtrip",
]

LR_KINDS = ("float", "float64", "float32")
LrKind = Literal["float", "float64", "float32"]

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


# --------------------------------------------------------------------------- class pickers


class Lib:
    """Resolves ``L.ClassName`` for a builder; ``pick(name, k)`` sees the k-th lookup."""

    def __init__(self, pick: Callable[[str, int], Any], label: str) -> None:
        self._pick = pick
        self._n = 0
        self.label = label

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        cls = self._pick(name, self._n)
        self._n += 1
        return cls

    def __repr__(self) -> str:
        return f"<Lib {self.label}>"


def torch_lib() -> Lib:
    """Every class from ``torch.optim.lr_scheduler`` (the oracle)."""
    return Lib(lambda name, k: getattr(torch_sched, name), "torch")


def lrplan_lib() -> Lib:
    """Every class from ``lrplan``."""
    return Lib(lambda name, k: getattr(lrplan, name), "lrplan")


def mixed(mask: Sequence[bool]) -> Callable[[], Lib]:
    """A candidate factory: lookup k uses lrplan's class if ``mask[k % len(mask)]``."""
    flags = list(mask) or [True]

    def pick(name: str, k: int) -> Any:
        return getattr(lrplan if flags[k % len(flags)] else torch_sched, name)

    return lambda: Lib(pick, f"mixed{flags}")


# --------------------------------------------------------------------------- optimizers


def _value(lr: float, kind: str) -> Any:
    if kind == "float":
        return float(lr)
    return torch.tensor(float(lr), dtype=_DTYPES[kind])


def make_optimizer(
    lrs: Sequence[float],
    lr_kind: str = "float",
    optimizer: str = "SGD",
    **options: Any,
) -> torch.optim.Optimizer:
    """One param group per lr (two small parameters each), lr stored as ``lr_kind``.

    ``optimizer`` is ``"SGD"`` (``momentum=0.9`` unless given), ``"Adam"`` or
    ``"AdamW"``. Tensor lrs use the single-tensor path (``foreach=False``).
    """
    if lr_kind not in LR_KINDS:
        raise ValueError(f"lr_kind must be one of {LR_KINDS}, got {lr_kind!r}")
    groups = [
        {
            "params": [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))],
            "lr": _value(lr, lr_kind),
        }
        for lr in lrs
    ]
    if optimizer == "SGD":
        options.setdefault("momentum", 0.9)
    if lr_kind != "float":
        options.setdefault("foreach", False)
    cls = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[optimizer]
    return cls(groups, **options)


def _same_structure(opt: torch.optim.Optimizer, lr_kind: str, name: str) -> torch.optim.Optimizer:
    """A fresh optimizer shaped like ``opt`` (same groups, sizes, lr types), for resumes."""
    new = make_optimizer(
        [_fresh_lr(g) for g in opt.param_groups[:1]], lr_kind, name, **_options(opt)
    )
    for g in opt.param_groups[1:]:
        new.add_param_group(
            {
                "params": [torch.nn.Parameter(torch.zeros_like(p)) for p in g["params"]],
                "lr": _value(_fresh_lr(g), lr_kind),
            }
        )
    return new


def _fresh_lr(group: dict[str, Any]) -> float:
    """The lr a new run's config would give this group: its ``initial_lr`` when known."""
    v = group.get("initial_lr", group["lr"])
    return float(v.item()) if isinstance(v, torch.Tensor) else float(v)


def _options(opt: torch.optim.Optimizer) -> dict[str, Any]:
    keep = ("momentum", "foreach", "betas", "weight_decay")
    return {k: copy.deepcopy(v) for k, v in opt.defaults.items() if k in keep}


def read_key(group: dict[str, Any], key: str) -> Any:
    """``group[key]``, with ``"betas[0]"``/``"betas[1]"`` reading inside ``betas``."""
    if key.startswith("betas["):
        return group["betas"][int(key[6])]
    return group[key]


def _read_float(group: dict[str, Any], key: str) -> float:
    v = read_key(group, key)
    return float(v.item()) if isinstance(v, torch.Tensor) else float(v)


def torch_roundtrip(obj: Any) -> Any:
    """``torch.save`` then ``torch.load(weights_only=True)``: what a checkpoint does."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


# --------------------------------------------------------------------------- actions


@dataclasses.dataclass(frozen=True)
class Step:
    """``optimizer.step()`` then ``s.step(*args, **kwargs)`` for every stepped scheduler."""

    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class StepEpoch:
    """The deprecated ``s.step(epoch)`` on every stepped scheduler."""

    epoch: float


@dataclasses.dataclass(frozen=True)
class ScaleLR:
    """An external change between steps: ``group[key] *= factor`` (all groups or one)."""

    factor: float
    group: int | None = None
    key: str = "lr"


@dataclasses.dataclass(frozen=True)
class SetLR:
    """An external change between steps: ``group[key] = value`` (tensors filled in place)."""

    value: float
    group: int | None = None
    key: str = "lr"


@dataclasses.dataclass(frozen=True)
class AddGroup:
    """``optimizer.add_param_group`` with a new parameter and this lr (same lr kind)."""

    lr: float


@dataclasses.dataclass(frozen=True)
class Resume:
    """Checkpoint and resume into a fresh optimizer and freshly built schedulers.

    ``via="state_dict"``: build, then ``optimizer.load_state_dict`` and
    ``scheduler.load_state_dict`` (lrplan's state goes through
    ``torch.load(weights_only=True)`` first). ``via="last_epoch"``: load the
    optimizer's state, then build with ``last_epoch`` = the saved one.
    """

    via: Literal["state_dict", "last_epoch"] = "state_dict"


@dataclasses.dataclass(frozen=True)
class Custom:
    """Run ``fn(optimizer, schedulers)`` on both sides (anything else a test needs)."""

    fn: Callable[[torch.optim.Optimizer, list[Any]], None]
    label: str = "custom"


Action = Step | StepEpoch | ScaleLR | SetLR | AddGroup | Resume | Custom


# --------------------------------------------------------------------------- running


class ParityError(AssertionError):
    """lrplan and torch disagree; the message says where and by how much."""


@dataclasses.dataclass
class Side:
    lib_factory: Callable[[], Lib]
    optimizer: torch.optim.Optimizer
    schedulers: list[Any]
    tensor_ids: dict[tuple[int, str], int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Trace:
    """What happened: the values of both sides after construction and each action."""

    torch_values: list[list[list[float]]] = dataclasses.field(default_factory=list)
    lrplan_values: list[list[list[float]]] = dataclasses.field(default_factory=list)
    torch_error: tuple[int, BaseException] | None = None
    """``(action index, exception)`` where torch failed (``-1``: construction)."""
    lrplan_error: tuple[int, BaseException] | None = None
    torch_invalid: int | None = None
    """The action after which torch held a negative/non-finite value that lrplan refused."""
    compared: int = 0
    """How many states (construction + actions) were compared."""


def _as_list(x: Any) -> list[Any]:
    return list(x) if isinstance(x, list | tuple) else [x]


Builder = Callable[..., Any]


def _build(side: Side, build: Builder, last_epoch: int | None) -> None:
    lib = side.lib_factory()
    out = (
        build(lib, side.optimizer) if last_epoch is None else build(lib, side.optimizer, last_epoch)
    )
    side.schedulers = _as_list(out)


def _record_tensor_ids(side: Side, keys: Sequence[str]) -> None:
    side.tensor_ids = {}
    for i, g in enumerate(side.optimizer.param_groups):
        for k in keys:
            v = read_key(g, k)
            if isinstance(v, torch.Tensor):
                side.tensor_ids[(i, k)] = id(v)


def _apply(side: Side, action: Any, build: Builder, lr_kind: str, opt_name: str) -> None:
    opt = side.optimizer
    if isinstance(action, Step):
        for s in side.schedulers:
            opt.step()
            s.step(*action.args, **dict(action.kwargs))
    elif isinstance(action, StepEpoch):
        for s in side.schedulers:
            s.step(action.epoch)
    elif isinstance(action, ScaleLR | SetLR):
        idx = range(len(opt.param_groups)) if action.group is None else [action.group]
        for i in idx:
            g = opt.param_groups[i]
            cur = read_key(g, action.key)
            new = cur * action.factor if isinstance(action, ScaleLR) else action.value
            if isinstance(cur, torch.Tensor):
                cur.fill_(float(new))
            elif action.key.startswith("betas["):
                b = list(g["betas"])
                b[int(action.key[6])] = float(new)
                g["betas"] = tuple(b)
            else:
                g[action.key] = float(new)
    elif isinstance(action, AddGroup):
        opt.add_param_group(
            {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": _value(action.lr, lr_kind)}
        )
    elif isinstance(action, Resume):
        saved_opt = copy.deepcopy(opt.state_dict())
        new_opt = _same_structure(opt, lr_kind, opt_name)
        if action.via == "state_dict":
            states = [s.state_dict() for s in side.schedulers]
            if side.lib_factory is not torch_lib:
                states = [_roundtrip_if_plain(s) for s in states]
            states = copy.deepcopy(states)
            side.optimizer = new_opt
            _build(side, build, None)
            new_opt.load_state_dict(saved_opt)
            for s, st_ in zip(side.schedulers, states, strict=True):
                s.load_state_dict(st_)
        else:
            last = getattr(side.schedulers[0], "last_epoch", -1)
            new_opt.load_state_dict(saved_opt)
            side.optimizer = new_opt
            _build(side, build, last)
    elif isinstance(action, Custom):
        action.fn(opt, side.schedulers)
    else:  # pragma: no cover - a typo in a test
        raise TypeError(f"unknown action {action!r}")


def _roundtrip_if_plain(state: Any) -> Any:
    """lrplan's states must survive ``weights_only=True``; torch's (nested) states may not."""
    try:
        return torch_roundtrip(state)
    except Exception as e:
        if _all_lrplan_state(state):
            raise ParityError(
                f"an lrplan state_dict does not load with weights_only=True: {e}"
            ) from e
        return state


def _all_lrplan_state(state: Any) -> bool:
    """An lrplan state whose nested child states (if any) are all lrplan's too."""
    lp = state.get("lrplan") if isinstance(state, dict) else None
    if not (isinstance(lp, dict) and str(lp.get("format", "")).startswith("lrplan")):
        return False
    children = state.get("_schedulers")
    return not isinstance(children, list) or all(_all_lrplan_state(c) for c in children)


def _snapshot(side: Side, keys: Sequence[str]) -> list[list[float]]:
    rows = [[_read_float(g, k) for k in keys] for g in side.optimizer.param_groups]
    for s in side.schedulers:
        last = s.get_last_lr()
        rows.append([float(v.item()) if isinstance(v, torch.Tensor) else float(v) for v in last])
        rows.append([float(getattr(s, "last_epoch", math.nan))])
    return rows


_REFUSAL = "values must be finite and >= 0"


def _holds_invalid(side: Side, keys: Sequence[str]) -> bool:
    vals = [_read_float(g, k) for g in side.optimizer.param_groups for k in keys]
    return any(not (v >= 0.0 and math.isfinite(v)) for v in vals)


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + atol


def _check_in_place(side: Side, keys: Sequence[str], where: str) -> None:
    for (i, k), ident in side.tensor_ids.items():
        if i < len(side.optimizer.param_groups):
            v = read_key(side.optimizer.param_groups[i], k)
            if id(v) != ident:
                raise ParityError(f"{where}: lrplan replaced the tensor {k!r} of group {i}")


def _warning_set(caught: Iterable[warnings.WarningMessage]) -> set[tuple[str, str]]:
    return {(w.category.__name__, str(w.message)[:60]) for w in caught}


def run_parity(
    build: Builder,
    script: Sequence[Any],
    *,
    lrs: Sequence[float] = (0.1,),
    lr_kind: str = "float",
    keys: Sequence[str] = ("lr",),
    optimizer: str = "SGD",
    optimizer_options: dict[str, Any] | None = None,
    candidate: Callable[[], Lib] = lrplan_lib,
    rtol: float | None = None,
    torch_errors: Literal["match", "stop"] = "match",
    check_warnings: bool = True,
    check_last_lr: bool = True,
    accept_refusals: bool = False,
    value_scale: float | None = None,
) -> Trace:
    """Run ``script`` on torch and on ``candidate``; raise :class:`ParityError` on a mismatch.

    Returns the :class:`Trace`. See the module docstring for what is compared.
    ``accept_refusals=True`` also accepts lrplan's refusal of a negative value
    that torch computed and later overwrote (so it is no longer visible).
    ``value_scale`` is the largest magnitude in the class's arithmetic besides the
    lrs (an ``eta_min``, a ``max_lr``): float32 comparisons allow an absolute error
    of float32's rounding of it (torch subtracts such terms in float32).
    """
    options = dict(optimizer_options or {})
    torch.manual_seed(0)
    ref = Side(torch_lib, make_optimizer(lrs, lr_kind, optimizer, **options), [])
    cand = Side(candidate, make_optimizer(lrs, lr_kind, optimizer, **options), [])
    base_rtol = 1e-9 if rtol is None else rtol
    scale = max([abs(x) for x in lrs] + [1e-300])
    if value_scale is not None:
        scale = max(scale, abs(value_scale))
    trace = Trace()

    def run_both(k: int, what: str, fn: Callable[[Side], None]) -> bool:
        """Run ``fn`` on both sides; return False when the comparison must stop."""
        errors: list[BaseException | None] = []
        caught: list[set[tuple[str, str]]] = []
        for side in (ref, cand):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                try:
                    fn(side)
                    errors.append(None)
                except Exception as e:
                    errors.append(e)
            caught.append(_warning_set(w))
        t_err, l_err = errors
        if t_err is not None:
            trace.torch_error = (k, t_err)
            if l_err is not None:
                trace.lrplan_error = (k, l_err)
            if torch_errors == "stop":
                return False
            if l_err is None:
                raise ParityError(
                    f"{what}: torch raised {type(t_err).__name__}({t_err}) but lrplan did not"
                )
            if not isinstance(l_err, type(t_err)):
                raise ParityError(
                    f"{what}: torch raised {type(t_err).__name__}({t_err}), lrplan raised "
                    f"{type(l_err).__name__}({l_err})"
                ) from l_err
            return False
        if l_err is not None:
            trace.lrplan_error = (k, l_err)
            if isinstance(l_err, ValueError) and _holds_invalid(ref, keys):
                # torch wrote a negative or non-finite value; lrplan refuses to (by design).
                trace.torch_invalid = k
                return False
            if accept_refusals and isinstance(l_err, ValueError) and _REFUSAL in str(l_err):
                # torch computed a negative value that something later overwrote.
                trace.torch_invalid = k
                return False
            raise ParityError(
                f"{what}: lrplan raised {type(l_err).__name__}({l_err}) where torch did not"
            ) from l_err
        if check_warnings and caught[0] != caught[1]:
            raise ParityError(
                f"{what}: warnings differ\n  torch:  {sorted(caught[0])}\n"
                f"  lrplan: {sorted(caught[1])}"
            )
        return True

    def compare(k: int, what: str) -> None:
        tv, lv = _snapshot(ref, keys), _snapshot(cand, keys)
        trace.torch_values.append(tv)
        trace.lrplan_values.append(lv)
        trace.compared += 1
        r = base_rtol
        atol = 1e-14 * scale
        if lr_kind == "float32":
            r = max(base_rtol, 2.0**-23 * (k + 5))
            atol = r * scale  # float32 rounding of the largest term (a base, an eta_min)
        n_groups = len(ref.optimizer.param_groups)
        if len(tv) != len(lv):
            raise ParityError(f"{what}: shapes differ: torch {tv}, lrplan {lv}")
        for row, (a_row, b_row) in enumerate(zip(tv, lv, strict=True)):
            if row >= n_groups and not check_last_lr:
                continue
            if len(a_row) != len(b_row):
                raise ParityError(f"{what}: row {row} differs: torch {a_row}, lrplan {b_row}")
            for c, (a, b) in enumerate(zip(a_row, b_row, strict=True)):
                if row >= n_groups and (row - n_groups) % 2 == 1 and math.isnan(a):
                    continue  # torch's scheduler has no last_epoch (ChainedScheduler)
                if not _close(a, b, r, atol):
                    if row < n_groups:
                        label = f"group {row} key {keys[c]!r}"
                    else:
                        j, is_epoch = divmod(row - n_groups, 2)
                        label = f"scheduler {j} " + ("last_epoch" if is_epoch else "get_last_lr")
                    rel = abs(a - b) / max(abs(a), abs(b), 1e-300)
                    t_trace = [v[:n_groups] for v in trace.torch_values]
                    l_trace = [v[:n_groups] for v in trace.lrplan_values]
                    raise ParityError(
                        f"{what}: {label}: torch {a!r} vs lrplan {b!r} (rel {rel:.3g}, "
                        f"rtol {r:.3g})\n  torch  trace: {t_trace}\n  lrplan trace: {l_trace}"
                    )
        _check_in_place(cand, keys, what)

    if not run_both(-1, "construction", lambda s: _build(s, build, None)):
        return trace
    _record_tensor_ids(cand, keys)
    compare(0, "after construction")
    for k, action in enumerate(script):
        what = f"action {k} ({action!r})"
        if not run_both(k, what, lambda s, a=action: _apply(s, a, build, lr_kind, optimizer)):
            return trace
        if isinstance(action, Resume | AddGroup):
            _record_tensor_ids(cand, keys)
        compare(k + 1, what)
    return trace


# --------------------------------------------------------------------------- strategies


def actions(
    *,
    max_steps: int = 40,
    external: bool = True,
    epochs: bool = False,
    resume: bool = True,
    add_group: bool = False,
    step: st.SearchStrategy[Any] | None = None,
    epoch_values: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[list[Any]]:
    """Random scripts: mostly ``Step()``, sprinkled with the optional events.

    ``step`` overrides how a step is drawn (for example ``ReduceLROnPlateau``'s
    ``Step(args=(metric,))``); ``epoch_values`` overrides the epochs given to
    ``StepEpoch`` (integers in ``[0, 30]`` by default).
    """
    choices: list[st.SearchStrategy[Any]] = [step if step is not None else st.just(Step())] * 6
    if external:
        choices.append(
            st.builds(ScaleLR, factor=st.floats(min_value=0.25, max_value=2.0), group=st.none())
        )
    if epochs:
        ev = epoch_values if epoch_values is not None else st.integers(min_value=0, max_value=30)
        choices.append(st.builds(StepEpoch, epoch=ev))
    if resume:
        choices.append(st.sampled_from([Resume("state_dict"), Resume("last_epoch")]))
    if add_group:
        choices.append(st.builds(AddGroup, lr=st.floats(min_value=1e-3, max_value=1.0)))
    return st.lists(st.one_of(*choices), min_size=1, max_size=max_steps)


def lr_lists(max_groups: int = 3) -> st.SearchStrategy[list[float]]:
    """Initial lrs, one per param group."""
    return st.lists(st.floats(min_value=1e-4, max_value=2.0), min_size=1, max_size=max_groups)
