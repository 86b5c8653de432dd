"""Compiled scalar kernels return exactly what the formula through ``SCALAR`` returns.

``Schedule._scalar_kernel()`` (what the driver evaluates every step) compiles a
schedule's ``_at`` into straight-line Python (``lrplan._schedules._kernel``). A
kernel must give the same bits as ``float(s._at(t, SCALAR))`` for every time, and
raise the same exception type where that raises. Formulas the tracer cannot follow
must fall back, never give a wrong kernel.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules._kernel import compile_kernel, kernel_source
from lrplan._schedules._ops import SCALAR, Ops
from sched_cases import build, draw_call, schedule_names, schedules

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _outcome(fn: Any, t: float) -> tuple[str, Any]:
    try:
        v = fn(t)
    except Exception as e:  # compared by type
        return ("raises", type(e))
    if type(v) is not float:
        return ("type", type(v))
    if math.isnan(v):
        return ("nan", None)
    return ("value", (v, math.copysign(1.0, v)))


def _times(s: lp.Schedule, extra: list[float]) -> list[float]:
    ts = {0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 1e3, 12_345.678, 1e6, 1e9, 1e15, *extra}
    d = s.duration
    for b in [*s.boundaries(), *([d] if d is not None and math.isfinite(d) else [])]:
        for x in (b - 1, b - 1e-9, b, b + 1e-9, b + 0.5, b + 1, 2 * b):
            if 0 <= x < math.inf:
                ts.add(float(x))
    return sorted(ts)


def assert_kernel_exact(s: lp.Schedule, extra: list[float] = ()) -> None:  # type: ignore[assignment]
    kernel = s._scalar_kernel()

    def generic(t: float) -> float:
        return float(s._at(t, SCALAR))

    for t in _times(s, list(extra)):
        assert _outcome(kernel, t) == _outcome(generic, t), (s, t, kernel_source(s))


@SETTINGS
@given(s=schedules(max_leaves=8, tame=False), extra=st.lists(st.floats(0, 1e9), max_size=8))
def test_random_compositions_compile_to_exact_kernels(s: lp.Schedule, extra: list[float]) -> None:
    assert_kernel_exact(s, extra)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(schedule_names()))
def test_every_public_shape_compiles(data: st.DataObject, name: str) -> None:
    """Every public constructor, with tame arguments, traces (no silent slow path)."""
    call = data.draw(draw_call(name, wild=False, sub=schedules(2)), label="call")
    try:
        s = build(*call)
        s(0)
    except (ValueError, TypeError):
        return  # rejected arguments, or durations still to be bound
    assert compile_kernel(s) is not None, s
    assert_kernel_exact(s, data.draw(st.lists(st.floats(0, 1e7), max_size=4)))


@pytest.mark.parametrize(
    "s",
    [
        lp.Cosine(steps=1000, end=0.01),
        lp.Cosine(steps=10, periodic=True),
        lp.Cosine(steps=10, k=2.0),
        lp.Step(step_size=3, gamma=0.5),
        lp.MultiStep(milestones=(2, 4, 4), gamma=0.5),
        lp.Exponential(gamma=1.5),  # overflows to inf far out, in both paths
        lp.Exponential(gamma=0.0),
        lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10),
        lp.warmup(lp.Cosine(steps=90), steps=10, shape="exponential"),
        lp.CosineRestarts(period=10, period_mult=2, decay=0.5, end=0.1),
        lp.CosineRestarts(period=10, cycle_limit=2),
        lp.OneCycle(steps=100, three_phase=True),
        lp.OneCycle(steps=100, anneal="linear").momentum(),
        lp.Cyclic(step_size_up=4, step_size_down=0, start=0.1, peak=1.0),
        lp.Cyclic(step_size_up=4, mode="exp_range", gamma=0.99, start=0.1),
        lp.WarmupStableDecay(warmup=10, stable=None),
        lp.WarmupStableDecay(warmup=10, stable=20, decay=5, decay_shape="1-sqrt"),
        lp.Repeat(schedule=lp.Linear(steps=4), times=2),
        lp.TimeScale(schedule=lp.Linear(steps=10), factor=5e-324),
        lp.Shift(schedule=lp.Cosine(steps=10), by=-3.5),
        lp.Linear(steps=10, after="raise"),  # raises past its end, in both paths
        lp.Linear(steps=10, after="restart"),
        lp.Linear(steps=10) * lp.Constant(value=0.5),
        lp.Linear(steps=10).floor(0.2),
        lp.Constant(value=0.0),
    ],
    ids=repr,
)
def test_golden_shapes_compile_and_match(s: lp.Schedule) -> None:
    assert compile_kernel(s) is not None
    assert_kernel_exact(s)


def test_the_torch_classes_schedules_compile() -> None:
    import torch

    def opt() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)

    scheds = [
        lp.StepLR(opt(), step_size=3),
        lp.MultiStepLR(opt(), milestones=[2, 5]),
        lp.ConstantLR(opt()),
        lp.LinearLR(opt()),
        lp.ExponentialLR(opt(), gamma=0.9),
        lp.PolynomialLR(opt(), total_iters=7, power=2.0),
        lp.CosineAnnealingLR(opt(), T_max=7, eta_min=0.01),
        lp.CyclicLR(opt(), base_lr=0.01, max_lr=0.1, step_size_up=4),
        lp.CosineAnnealingWarmRestarts(opt(), T_0=5, T_mult=2),
        lp.OneCycleLR(opt(), max_lr=0.1, total_steps=100),
    ]
    for sched in scheds:
        for s in sched.schedules:
            assert compile_kernel(s) is not None, (type(sched).__name__, s)
            assert_kernel_exact(s)


def test_the_kernel_inlines_the_scalar_templates() -> None:
    src, consts = kernel_source(lp.Step(step_size=1000, gamma=0.9))  # type: ignore[misc]
    assert "def kernel(t):" in src
    assert "0.9 ** " in src  # the power template, its float base converted at trace time
    assert not consts


# --------------------------------------------------------------------------- fallbacks


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _Branchy(lp.Schedule):
    """A formula that branches in Python on the time: it cannot be traced."""

    def _at(self, t: Any, xp: Ops) -> Any:
        if xp.is_vector:
            return xp.where(t > 3, 0.5, 1.0)
        return 0.5 if t > 3 else 1.0


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _Peeking(lp.Schedule):
    """A formula that looks at the time's type: it traces, to the wrong branch."""

    def _at(self, t: Any, xp: Ops) -> Any:
        return t * 0.0 + (1.0 if isinstance(t, float) else 0.25)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _Own(lp.Schedule):
    """A schedule with its own ``__call__`` keeps it."""

    type_name: ClassVar[str] = ""

    def __call__(self, t: float) -> float:
        return 0.75

    def _at(self, t: Any, xp: Ops) -> Any:
        return t * 0.0 + 0.75


@pytest.mark.parametrize("s", [_Branchy(), _Peeking()], ids=repr)
def test_untraceable_formulas_fall_back_to_the_exact_path(s: lp.Schedule) -> None:
    assert compile_kernel(s) is None
    kernel = s._scalar_kernel()
    for t in (0.0, 1.0, 3.0, 3.5, 10.0):
        assert kernel(t) == float(s._at(t, SCALAR))


def test_a_schedule_with_its_own_call_keeps_it() -> None:
    s = _Own()
    assert s._scalar_kernel() is s


def test_kernels_follow_the_driver_bit_for_bit() -> None:
    """A driver evaluates kernels; its values are s(t) times the base, exactly."""
    import torch

    plan = lp.warmup(lp.Cosine(steps=50, end=0.1), steps=7)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    sched = lp.ScheduledLR(opt, plan)
    for t in range(1, 80):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] == 0.3 * plan(t)


@SETTINGS
@given(
    shape=st.sampled_from(["step", "multi_step", "exponential"]),
    gamma=st.floats(0.0, 2.0),
    size=st.integers(1, 50),
    c=st.floats(1e-12, 1e3),
    scale=st.floats(0.0, 10.0),
    tp=st.integers(0, 10**7),
)
def test_relative_updates_compile_to_exact_kernels(
    shape: str, gamma: float, size: int, c: float, scale: float, tp: int
) -> None:
    """The chained hot step's kernels give ``_rechain``'s bits (its int times as floats)."""
    from lrplan._schedules._kernel import compile_rechain

    s: lp.Schedule
    if shape == "step":
        s = lp.Step(step_size=size, gamma=gamma)
    elif shape == "multi_step":
        s = lp.MultiStep(milestones=(size, 2 * size, 2 * size, 7 * size), gamma=gamma)
    else:
        s = lp.Exponential(gamma=gamma)
    kernel = compile_rechain(s, scale)
    assert kernel is not None
    for t0 in (tp, size - 1, size, 2 * size - 1, 7 * size):
        if t0 >= 0:
            got = _outcome(lambda x, t0=t0: kernel(c, float(t0), x), float(t0 + 1))
            want = _outcome(lambda x, t0=t0: s._rechain(c, scale, t0, t0 + 1), float(t0 + 1))
            assert got == want


def test_a_relative_update_without_xp_is_not_traced() -> None:
    from lrplan._schedules._kernel import compile_rechain

    assert compile_rechain(lp.Cosine(steps=10, end=0.1), 0.1) is None
