"""``MultiplicativeLR``'s own fast step: torch's numbers, the general path's bits.

Three kinds of proof:

* differential: random scripts run on torch's ``MultiplicativeLR`` and on lrplan's,
  side by side (the parity harness): steps, ``step(epoch)``, external changes to
  one group or all, added param groups, resumes via ``state_dict`` and via
  ``last_epoch``; float lrs and float64 tensor lrs must agree exactly (both compute
  ``lr * f(t)`` in double precision), float32 tensor lrs within the harness's
  rounding tolerance (torch computes in float32);
* twins: the same script on two identical optimizers, one scheduler as shipped and
  one with ``_fast_step`` switched off: the same bits and types in every group, the
  same ``get_last_lr()``, ``last_epoch`` and state, the same errors, and the same
  calls of the user's functions, in the same order, with the same arguments;
* the fast step is really taken, and each distinct function runs once per step.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.parity.harness import (
    Custom,
    Resume,
    ScaleLR,
    SetLR,
    Step,
    StepEpoch,
    run_parity,
)

import lrplan

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- factor functions


@dataclass
class _Wave:
    """A callable object (its attributes are saved in the state, as torch does)."""

    low: float
    span: float
    period: int

    def __call__(self, epoch: int) -> float:
        return self.low + self.span * ((epoch % self.period) / self.period)


def _pure(kind: int) -> Callable[[int], float]:
    """Plain functions (not saved in the state); factors in [0.5, 1.05]."""
    if kind == 0:
        return lambda epoch: 0.9
    if kind == 1:
        return lambda epoch: 1.0
    if kind == 2:
        return lambda epoch: 0.5 + ((epoch * 7919) % 11) / 20
    return lambda epoch: 1.05 if epoch % 3 else 0.6


def _factor_fns() -> st.SearchStrategy[Callable[[int], float]]:
    return st.one_of(
        st.integers(0, 3).map(_pure),
        st.builds(
            _Wave,
            low=st.floats(0.5, 0.95),
            span=st.floats(0.0, 0.1),
            period=st.integers(1, 7),
        ),
    )


@st.composite
def _lambdas(draw: st.DrawFn, n: int) -> tuple[Any, bool]:
    """``(lr_lambda, single)``: one function, or a list with one per group drawn from a
    small pool (so the same object often drives several groups)."""
    if draw(st.booleans()):
        return draw(_factor_fns()), True
    pool = draw(st.lists(_factor_fns(), min_size=1, max_size=3))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
    return [pool[i] for i in picks], False


# --------------------------------------------------------------------------- against torch


def _add_group(lr: float, kind: str) -> Custom:
    """``add_param_group`` then a step, on both sides; torch's scheduler gets its
    function for the new group by hand (lrplan adopts it: torch would fail on the
    next step) and the new group gets its ``initial_lr`` as lrplan's adoption gives
    it (torch's resume via ``last_epoch`` needs it). The step adopts the group before
    any checkpoint (an lrplan state saved before that does not fit the grown optimizer)."""

    def fn(opt: torch.optim.Optimizer, scheds: list[Any]) -> None:
        value: Any = lr if kind == "float" else torch.tensor(lr, dtype=getattr(torch, kind))
        initial = value.clone() if isinstance(value, torch.Tensor) else value
        opt.add_param_group(
            {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": value, "initial_lr": initial}
        )
        for s in scheds:
            if isinstance(s, torch.optim.lr_scheduler.MultiplicativeLR):
                s.lr_lambdas.append(s.lr_lambdas[0])
        for s in scheds:
            opt.step()
            s.step()

    return Custom(fn, f"add group {lr} and step")


@st.composite
def _torch_scripts(draw: st.DrawFn, n: int, kind: str, single: bool) -> list[Any]:
    step = st.just(Step())
    choices: list[st.SearchStrategy[Any]] = [
        step,
        step,
        step,
        step,
        step,
        st.builds(ScaleLR, factor=st.floats(0.25, 2.0), group=st.none() | st.integers(0, n - 1)),
        st.builds(SetLR, value=st.floats(0.0, 1.0), group=st.none() | st.integers(0, n - 1)),
        st.builds(StepEpoch, epoch=st.integers(0, 30)),
        st.sampled_from([Resume("state_dict"), Resume("last_epoch")]),
    ]
    if single:
        choices.append(st.floats(1e-3, 1.0).map(lambda lr: _add_group(lr, kind)))
    return draw(st.lists(st.one_of(*choices), min_size=1, max_size=40))


@SETTINGS
@given(data=st.data())
def test_random_scripts_match_torch(data: st.DataObject) -> None:
    lrs = data.draw(st.lists(st.floats(1e-4, 2.0), min_size=1, max_size=5), label="lrs")
    kind = data.draw(st.sampled_from(["float", "float64", "float32"]), label="kind")
    lr_lambda, single = data.draw(_lambdas(len(lrs)), label="lr_lambda")
    script = data.draw(_torch_scripts(len(lrs), kind, single), label="script")

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        return L.MultiplicativeLR(opt, lr_lambda, last_epoch=last_epoch)

    trace = run_parity(build, script, lrs=lrs, lr_kind=kind)
    assert trace.torch_error is None and trace.lrplan_error is None
    assert trace.compared == len(script) + 1
    if kind != "float32":
        # The same arithmetic (a double product) on both sides: the same bits.
        assert trace.lrplan_values == trace.torch_values


def test_the_torch_comparison_can_fail() -> None:
    """A factor off by one part in 1e12 is caught by the exact comparison above."""

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        f = 0.9 if L.label == "torch" else 0.9 * (1 + 1e-12)
        return L.MultiplicativeLR(opt, lambda e: f, last_epoch=last_epoch)

    trace = run_parity(build, [Step()] * 3, lrs=[0.1, 0.3])
    assert trace.lrplan_values != trace.torch_values


# --------------------------------------------------------------------------- twins


@dataclass(frozen=True)
class Act:
    kind: str
    group: int = 0
    other: int = 0
    value: Any = None


ACTS = st.one_of(
    st.just(Act("step")),
    st.just(Act("step")),
    st.just(Act("step")),
    st.just(Act("step")),
    st.builds(Act, st.just("scale"), st.integers(0, 5), st.just(0), st.sampled_from([0.5, 2.0])),
    st.builds(
        Act,
        st.just("set"),
        st.integers(0, 5),
        st.just(0),
        st.sampled_from([0.0, -0.0, 0.3, math.inf, math.nan, 1e308, 3.4e38]),
    ),
    st.builds(Act, st.just("alias"), st.integers(0, 5), st.integers(0, 5)),
    st.builds(Act, st.just("equal copy"), st.integers(0, 5)),
    st.builds(Act, st.just("to tensor"), st.integers(0, 5), st.just(0), st.booleans()),
    st.builds(Act, st.just("new tensor"), st.integers(0, 5)),
    st.just(Act("add group")),
    st.builds(Act, st.just("set_step"), st.integers(0, 12)),
    st.builds(Act, st.just("step(epoch)"), value=st.sampled_from([0, 1, 4, 9, 2.5, 7.0])),
    st.just(Act("save and load")),
    st.just(Act("undo")),
    st.just(Act("verbose")),
    st.builds(
        Act, st.just("bad factor"), value=st.sampled_from([-0.5, math.nan, math.inf, "raise"])
    ),
)


class _Boom(RuntimeError):
    pass


class _Calls:
    """Every call of the user's functions in one run, and the next bad factor to return."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []
        self.bad: Any = None

    def fn(self, name: str, factor: Callable[[int], float]) -> Callable[[int], float]:
        def f(epoch: int) -> float:
            self.log.append((name, epoch))
            bad, self.bad = self.bad, None
            if bad == "raise":
                raise _Boom(f"{name} failed at {epoch}")
            return factor(epoch) if bad is None else bad

        return f


def _fns(calls: _Calls, spec: list[int]) -> list[Callable[[int], float]]:
    made: dict[int, Callable[[int], float]] = {}
    for k in spec:
        if k not in made:
            made[k] = calls.fn(f"f{k}", _pure(k))
    return [made[k] for k in spec]


Build = Callable[[torch.optim.Optimizer, _Calls], Any]


def _single(o: torch.optim.Optimizer, c: _Calls) -> Any:
    return lrplan.MultiplicativeLR(o, _fns(c, [2])[0])


def _growing(o: torch.optim.Optimizer, c: _Calls) -> Any:
    return lrplan.MultiplicativeLR(o, _fns(c, [3])[0])  # factors 1.05 and 0.6


def _per_group(o: torch.optim.Optimizer, c: _Calls) -> Any:
    return lrplan.MultiplicativeLR(o, _fns(c, [(i * 5) % 3 for i in range(len(o.param_groups))]))


def _sequential(o: torch.optim.Optimizer, c: _Calls) -> Any:
    first = lrplan.ConstantLR(o, factor=0.5, total_iters=2)
    return lrplan.SequentialLR(o, [first, _single(o, c)], milestones=[3])


def _chained(o: torch.optim.Optimizer, c: _Calls) -> Any:
    return lrplan.ChainedScheduler(
        [lrplan.MultiplicativeLR(o, _fns(c, [3])[0]), lrplan.ExponentialLR(o, gamma=0.9)]
    )


def _two(o: torch.optim.Optimizer, c: _Calls) -> Any:
    return lrplan.ChainedScheduler(
        [lrplan.MultiplicativeLR(o, _fns(c, [0])[0]), lrplan.MultiplicativeLR(o, _fns(c, [2])[0])]
    )


BUILDS: dict[str, Build] = {
    "single": _single,
    "growing": _growing,
    "per group": _per_group,
    "SequentialLR": _sequential,
    "ChainedScheduler": _chained,
    "two on one": _two,
}


def _leaves(sched: Any) -> list[Any]:
    return list(getattr(sched, "_schedulers", [sched]))


def _optimizer(lrs: list[float], kind: str) -> torch.optim.Optimizer:
    groups = []
    for lr in lrs:
        value: Any = lr if kind == "float" else torch.tensor(lr, dtype=getattr(torch, kind))
        groups.append({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": value})
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9, foreach=False)


def _apply(act: Act, opt: torch.optim.Optimizer, sched: Any, calls: _Calls) -> None:
    groups = opt.param_groups
    n = len(groups)
    g = groups[act.group % n]
    if act.kind == "step":
        opt.step()
        sched.step()
    elif act.kind == "scale":
        if isinstance(g["lr"], torch.Tensor):
            g["lr"].mul_(act.value)
        else:
            g["lr"] = g["lr"] * act.value
    elif act.kind == "set":
        if isinstance(g["lr"], torch.Tensor):
            g["lr"].copy_(torch.tensor(act.value, dtype=torch.float64))  # may round to inf
        else:
            g["lr"] = act.value
    elif act.kind == "alias":
        dst = groups[act.other % n]
        if not isinstance(g["lr"], torch.Tensor) and not isinstance(dst["lr"], torch.Tensor):
            dst["lr"] = g["lr"]  # the very object another group holds
    elif act.kind == "equal copy":
        if not isinstance(g["lr"], torch.Tensor):
            g["lr"] = float(repr(g["lr"]))  # an equal float, another object
    elif act.kind == "to tensor":
        if not isinstance(g["lr"], torch.Tensor):
            g["lr"] = torch.tensor(g["lr"], dtype=torch.float64 if act.value else torch.float32)
    elif act.kind == "new tensor":
        if isinstance(g["lr"], torch.Tensor):
            g["lr"] = g["lr"].detach().clone()
    elif act.kind == "add group":
        lr: Any = groups[0]["lr"]
        lr = lr.detach().clone() if isinstance(lr, torch.Tensor) else lr * 0.5
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr})
    elif act.kind == "set_step":
        for s in _leaves(sched):
            s.set_step(act.group)
    elif act.kind == "step(epoch)":
        for s in _leaves(sched):
            s.step(act.value)
    elif act.kind == "save and load":
        sched.load_state_dict(sched.state_dict())
    elif act.kind == "undo":
        for s in _leaves(sched):
            s.last_epoch -= 1  # what torch's SequentialLR does to its children
    elif act.kind == "verbose":
        for s in _leaves(sched):
            s.verbose = not s.verbose
    elif act.kind == "bad factor":
        calls.bad = act.value


def _bits(value: Any) -> tuple[str, str]:
    if isinstance(value, torch.Tensor):
        return (str(value.dtype), float(value.item()).hex())
    return (type(value).__name__, float(value).hex())


def _state_bits(value: Any) -> Any:
    """A state with every float as its bits (NaN equals NaN, -0.0 differs from 0.0)."""
    if isinstance(value, dict):
        return {k: _state_bits(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_state_bits(v) for v in value]
    if isinstance(value, float | torch.Tensor):
        return _bits(value)
    return value


def _snapshot(opt: torch.optim.Optimizer, sched: Any) -> list[Any]:
    held = [_bits(g["lr"]) for g in opt.param_groups]
    leaves = [
        (s.last_epoch, s._step_count, [_bits(v) for v in s.get_last_lr()]) for s in _leaves(sched)
    ]
    last = [_bits(v) for v in sched.get_last_lr()]
    return [held, leaves, last, _state_bits(sched.state_dict())]


def _run(
    build: Build, lrs: list[float], kind: str, script: list[Act], fast: bool
) -> tuple[list[Any], list[Any], int]:
    """The snapshots and the calls of a run, and how many of its steps were fast."""
    calls = _Calls()
    opt = _optimizer(lrs, kind)
    sched = build(opt, calls)
    taken = [0]
    for s in _leaves(sched):
        if isinstance(s, lrplan.MultiplicativeLR):
            if fast:
                original = s._fast_step

                def counting(original: Callable[[], bool] = original) -> bool:
                    done = original()
                    taken[0] += done
                    return done

                s._fast_step = counting  # type: ignore[method-assign]
            else:
                s._fast_step = lambda: False  # type: ignore[method-assign]
    out: list[Any] = [_snapshot(opt, sched)]
    for act in script:
        try:
            _apply(act, opt, sched, calls)
        except (ValueError, KeyError, RuntimeError) as e:  # _Boom, and fill_ past float32
            out.append(f"{type(e).__name__}: {e}")
        out.append(_snapshot(opt, sched))
        out.append(list(calls.log))
    return out, calls.log, taken[0]


class _LogRecords(logging.Handler):
    """The ``"lrplan"`` logger's messages while in use (and nothing printed)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def __enter__(self) -> _LogRecords:
        log = logging.getLogger("lrplan")
        self._saved = (log.level, log.propagate)
        log.setLevel(logging.INFO)
        log.propagate = False
        log.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        log = logging.getLogger("lrplan")
        log.removeHandler(self)
        log.setLevel(self._saved[0])
        log.propagate = self._saved[1]


@pytest.mark.parametrize("name", sorted(BUILDS))
@SETTINGS
@given(
    lrs=st.one_of(
        st.integers(1, 6).map(lambda n: [0.1] * n),
        st.lists(st.sampled_from([0.1, 0.05, 1.0, 0.3, 0.0]), min_size=1, max_size=6),
    ),
    kind=st.sampled_from(["float", "float", "float32", "float64"]),
    script=st.lists(ACTS, min_size=5, max_size=40),
)
def test_fast_step_equals_the_general_path(
    name: str, lrs: list[float], kind: str, script: list[Act]
) -> None:
    build = BUILDS[name]
    with warnings.catch_warnings(), _LogRecords() as fast_log:
        warnings.simplefilter("ignore")
        fast, fast_calls, _ = _run(build, lrs, kind, script, fast=True)
    with warnings.catch_warnings(), _LogRecords() as slow_log:
        warnings.simplefilter("ignore")
        slow, slow_calls, _ = _run(build, lrs, kind, script, fast=False)
    assert fast_calls == slow_calls
    assert fast == slow
    assert fast_log.lines == slow_log.lines  # verbose=True logs every change, on every path


_STEPS = [Act("step")] * 3
EDGE_CASES: list[tuple[str, list[float], str, list[Act]]] = [
    # Equal zeros of either sign: one value for all would lose the sign.
    ("single", [0.0, 0.0, 0.0], "float", [*_STEPS, Act("set", 1, 0, -0.0), *_STEPS]),
    ("single", [0.1, 0.1], "float", [*_STEPS, Act("set", 0, 0, 0.0), Act("set", 1, 0, -0.0)]),
    ("single", [0.0, 0.0, 0.0], "float32", [*_STEPS, Act("set", 1, 0, -0.0), *_STEPS]),
    ("single", [0.1], "float32", [*_STEPS, Act("set", 0, 0, -0.0), *_STEPS]),
    ("single", [0.1], "float", [*_STEPS, Act("set", 0, 0, -0.0), *_STEPS]),
    ("single", [0.0, 0.0], "float64", [*_STEPS, Act("set", 0, 0, -0.0), Act("set", 1, 0, -0.0)]),
    # Past float32's range: the double is finite, the stored value inf (no fill_).
    ("growing", [0.1], "float32", [*_STEPS, Act("set", 0, 0, 3.4e38), *_STEPS, *_STEPS]),
    ("growing", [0.1] * 3, "float32", [*_STEPS, *[Act("set", i, 0, 3.4e38) for i in range(3)]]),
    # Bad factors and a failing function, one group and several.
    ("single", [0.1], "float", [*_STEPS, Act("bad factor", 0, 0, -0.5), *_STEPS]),
    ("per group", [0.1] * 3, "float32", [*_STEPS, Act("bad factor", 0, 0, "raise"), *_STEPS]),
    ("single", [0.1] * 3, "float", [*_STEPS, Act("bad factor", 0, 0, math.nan), *_STEPS]),
]
for _case in EDGE_CASES:
    _case[3].extend(_STEPS)


@pytest.mark.parametrize(("name", "lrs", "kind", "script"), EDGE_CASES)
def test_edge_cases_equal_the_general_path(
    name: str, lrs: list[float], kind: str, script: list[Act]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast, fast_calls, taken = _run(BUILDS[name], lrs, kind, script, fast=True)
        slow, slow_calls, _ = _run(BUILDS[name], lrs, kind, script, fast=False)
    assert taken > 0
    assert fast_calls == slow_calls
    assert fast == slow


def test_the_twins_take_the_fast_step() -> None:
    """The runs compared above do take the fast step (else they prove nothing)."""
    script = [Act("step")] * 6 + [Act("scale", 1, 0, 0.5)] + [Act("step")] * 3
    for kind in ("float", "float32", "float64"):
        for name in ("single", "per group", "ChainedScheduler"):
            _, _, taken = _run(BUILDS[name], [0.1, 0.2, 0.1], kind, script, fast=True)
            assert taken >= 6, (kind, name)


# --------------------------------------------------------------------------- the fast step


def _counting(log: list[Any], name: str, factor: float) -> Callable[[int], float]:
    def f(epoch: int) -> float:
        log.append((name, epoch))
        return factor

    return f


@pytest.mark.parametrize(
    ("lrs", "kind"),
    [
        ([0.1], "float"),
        ([0.1] * 4, "float"),
        ([0.1, 0.2, 0.3], "float"),
        ([0.1], "float32"),
        ([0.1, 0.2, 0.3], "float32"),
        ([0.1] * 3, "float64"),
    ],
)
def test_the_fast_step_is_taken_and_exact(lrs: list[float], kind: str) -> None:
    log: list[Any] = []
    f, g = _counting(log, "f", 0.5), _counting(log, "g", 0.25)
    opt = _optimizer(lrs, kind)
    fns = [f if i % 2 == 0 else g for i in range(len(lrs))]
    sched = lrplan.MultiplicativeLR(opt, fns)
    general = {"calls": 0}
    original = sched._update_lr

    def counting(epoch: Any = None) -> None:
        general["calls"] += 1
        original(epoch)

    sched._update_lr = counting  # type: ignore[method-assign]
    opt.step()
    sched.step()  # the first step checks the call order: the general path
    for _ in range(5):
        opt.step()
        sched.step()
    assert general["calls"] == 1
    assert sched.last_epoch == 6
    factors = [0.5 if i % 2 == 0 else 0.25 for i in range(len(lrs))]
    for group, lr, m in zip(opt.param_groups, lrs, factors, strict=True):
        want = float(torch.tensor(lr, dtype=torch.float32)) if kind == "float32" else lr
        for _ in range(6):
            want *= m  # powers of two: exact in every dtype
        assert float(group["lr"]) == want
        assert type(group["lr"]) is (float if kind == "float" else torch.Tensor)
    expected = [("f", t) for t in range(1, 7)]
    if len(lrs) > 1:
        expected = [c for t in range(1, 7) for c in (("f", t), ("g", t))]
    assert log == expected  # each distinct function once per step, in group order


def test_a_shared_function_runs_once_per_step_on_every_path() -> None:
    log: list[Any] = []
    f = _counting(log, "f", 0.9)
    opt = _optimizer([0.1, 0.2, 0.3, 0.4], "float")
    sched = lrplan.MultiplicativeLR(opt, f)
    for _ in range(3):
        opt.step()
        sched.step()  # general (step 1), then fast
    opt.param_groups[2]["lr"] = torch.tensor(0.3)  # mixed types: the general path
    opt.step()
    sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched.step(10)  # step(epoch)
    assert log == [("f", 1), ("f", 2), ("f", 3), ("f", 4), ("f", 10)]
    got = [float(g["lr"]) for g in opt.param_groups]
    want = [0.1 * 0.9**5, 0.2 * 0.9**5, float(torch.tensor(0.3)) * 0.9**2, 0.4 * 0.9**5]
    assert got == pytest.approx(want, rel=1e-6)


def test_a_bad_factor_raises_the_general_paths_error_and_writes_nothing() -> None:
    for kind in ("float", "float32"):
        opt = _optimizer([0.1, 0.2], kind)
        sched = lrplan.MultiplicativeLR(opt, [lambda e: 0.5, lambda e: -1.0 if e == 3 else 0.5])
        for _ in range(2):
            opt.step()
            sched.step()
        before = [float(g["lr"]) for g in opt.param_groups]
        opt.step()
        with pytest.raises(ValueError, match="param group 1 at step 3; values must be finite"):
            sched.step()
        assert [float(g["lr"]) for g in opt.param_groups] == before
        assert sched.last_epoch == 3
        opt.step()
        sched.step()  # the run goes on from what the groups hold
        assert [float(g["lr"]) for g in opt.param_groups] == [v * 0.5 for v in before]
