"""The pure cycle shapes: Cyclic, OneCycle, OneCycleMomentum, CosineRestarts.

Golden tables come from formulas written out independently here; hypothesis
checks bounds, endpoints, continuity, holding at the end and scalar == vector.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES
from lrplan._schedules._ops import SCALAR

SETTINGS = settings(max_examples=80, deadline=None)

# --------------------------------------------------------------------------- golden tables


def _tri(t: float, up: float, down: float) -> tuple[int, float]:
    """Cycle index and triangle height, by walking the cycle (not the shape's formula)."""
    period = up + down
    k = 0
    while t >= (k + 1) * period:
        k += 1
    u = t - k * period
    return k, (u / up if u <= up else (period - u) / down)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_golden(mode: str) -> None:
    s = lp.Cyclic(start=0.2, peak=1.0, step_size_up=3, step_size_down=5, mode=mode, gamma=0.9)
    for t in [0, 1, 2, 3, 4, 7, 8, 9, 11, 12, 16, 23, 24, 25, 40.5]:
        k, h = _tri(t, 3, 5)
        scale = {"triangular": 1.0, "triangular2": 0.5**k, "exp_range": 0.9**t}[mode]
        assert s(t) == pytest.approx(0.2 + 0.8 * h * scale, rel=1e-12, abs=1e-15)


def test_cyclic_inverse_and_limit() -> None:
    m = lp.Cyclic(start=0.95, peak=0.85, step_size_up=2, cycles=2)
    assert [round(m(t), 10) for t in range(10)] == [
        0.95,
        0.9,
        0.85,
        0.9,
        0.95,
        0.9,
        0.85,
        0.9,
        0.95,
        0.95,
    ]
    assert m.duration == 8.0 and m.boundaries() == [2.0, 4.0, 6.0, 8.0]


def test_one_cycle_golden() -> None:
    s = lp.OneCycle(steps=100, peak=2.0, pct_start=0.2, div_factor=4, final_div_factor=10)
    a, z = 0.5, 0.05

    def cos_anneal(u: float, v: float, q: float) -> float:
        return v + (u - v) * (1 + math.cos(math.pi * q)) / 2

    table = {
        0: a,
        10: cos_anneal(a, 2.0, 0.5),
        20: 2.0,
        60: cos_anneal(2.0, z, 0.5),
        100: z,
        150: z,
    }
    for t, want in table.items():
        assert s(t) == pytest.approx(want, rel=1e-12)
    lin = lp.OneCycle(
        steps=10,
        pct_start=0.3,
        anneal="linear",
        three_phase=True,
        div_factor=10,
        final_div_factor=2,
    )
    # knots 0, 3, 6, 10; levels 0.1, 1, 0.1, 0.05
    want = [0.1, 0.4, 0.7, 1.0, 0.7, 0.4, 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.05]
    assert [lin(t) for t in range(12)] == pytest.approx(want, rel=1e-12)
    assert lin.boundaries() == [3.0, 6.0, 10.0]


def test_one_cycle_momentum_golden() -> None:
    m = lp.OneCycle(steps=20, pct_start=0.25, anneal="linear").momentum(high=0.9, low=0.8)
    assert [m(t) for t in (0, 2.5, 5, 12.5, 20, 30)] == pytest.approx(
        [0.9, 0.85, 0.8, 0.85, 0.9, 0.9]
    )


def test_cosine_restarts_golden() -> None:
    s = lp.CosineRestarts(period=4, period_mult=2, decay=0.5, end=0.1, cycle_limit=3)

    # cycles: [0, 4) peak 1, [4, 12) peak 0.5, [12, 28) peak 0.25, then 0.1
    def f(tau: float, length: float, top: float) -> float:
        return 0.1 + (top - 0.1) * (1 + math.cos(math.pi * tau / length)) / 2

    table = {
        0: f(0, 4, 1),
        2: f(2, 4, 1),
        4: 0.5,
        8: f(4, 8, 0.5),
        12: 0.25,
        20: f(8, 16, 0.25),
        28: 0.1,
        99: 0.1,
    }
    for t, want in table.items():
        assert s(t) == pytest.approx(want, rel=1e-12)
    assert s.duration == 28.0 and s.boundaries() == [4.0, 12.0, 28.0]
    k = lp.CosineRestarts(period=10, k=2.0)
    assert k(5) == pytest.approx((1 + math.cos(math.pi * 0.25)) / 2, rel=1e-12)


def test_cosine_restarts_exact_at_restarts_where_logs_round() -> None:
    s = lp.CosineRestarts(period=1, period_mult=3)
    starts = [sum(3**j for j in range(i)) for i in range(1, 16)]  # 1, 4, 13, 40, 121, ...
    for b in starts:
        assert s(b) == 1.0
        assert s(b - 1e-9 * b) < 1e-6


# --------------------------------------------------------------------------- properties

_level = st.floats(min_value=0.0, max_value=3.0)
_size = st.floats(min_value=0.5, max_value=50.0)


@st.composite
def cyclics(draw: Any) -> lp.Cyclic:
    return lp.Cyclic(
        start=draw(_level),
        peak=draw(_level),
        step_size_up=draw(_size),
        step_size_down=draw(st.none() | _size),
        mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
        gamma=draw(st.floats(min_value=0.5, max_value=1.0)),
        cycles=draw(st.none() | st.integers(min_value=1, max_value=5)),
    )


@st.composite
def one_cycles(draw: Any) -> lp.OneCycle:
    three = draw(st.booleans())
    return lp.OneCycle(
        steps=draw(st.floats(min_value=1.0, max_value=500.0)),
        peak=draw(st.floats(min_value=0.01, max_value=3.0)),
        pct_start=draw(
            st.floats(min_value=0.01 if three else 0.0, max_value=0.49 if three else 0.99)
        ),
        div_factor=draw(st.floats(min_value=1.0, max_value=100.0)),
        final_div_factor=draw(st.floats(min_value=1.0, max_value=1e4)),
        three_phase=three,
        anneal=draw(st.sampled_from(["cos", "linear"])),
    )


@st.composite
def restarts(draw: Any) -> lp.CosineRestarts:
    return lp.CosineRestarts(
        period=draw(_size),
        period_mult=draw(st.floats(min_value=1.0, max_value=3.0)),
        decay=draw(st.floats(min_value=0.1, max_value=1.0)),
        cycle_limit=draw(st.none() | st.integers(min_value=1, max_value=6)),
        start=draw(_level),
        end=draw(_level),
        k=draw(st.floats(min_value=0.3, max_value=3.0)),
    )


shapes = st.one_of(cyclics(), one_cycles(), restarts())
times = st.floats(min_value=0.0, max_value=2_000.0)


def _bounds(s: lp.Schedule) -> tuple[float, float]:
    if isinstance(s, lp.Cyclic):
        return min(s.start, s.peak), max(s.start, s.peak)
    if isinstance(s, lp.OneCycle):
        return s.peak / s.div_factor / s.final_div_factor, s.peak
    assert isinstance(s, lp.CosineRestarts)
    floor = 0.0 if s.decay < 1 else min(s.start, s.end)
    return min(floor, s.end), max(s.start, s.end)


@SETTINGS
@given(s=shapes, t=times)
def test_values_stay_in_bounds(s: lp.Schedule, t: float) -> None:
    lo, hi = _bounds(s)
    v = s(t)
    assert math.isfinite(v)
    assert lo - 1e-9 * max(1.0, hi) <= v <= hi + 1e-9 * max(1.0, hi)


@SETTINGS
@given(s=shapes)
def test_endpoints_and_hold(s: lp.Schedule) -> None:
    if isinstance(s, lp.Cyclic):
        assert s(0) == pytest.approx(s.start, abs=1e-12)
        assert s(s.step_size_up) == pytest.approx(
            s.peak
            if s.mode != "exp_range"
            else s.start + (s.peak - s.start) * s.gamma**s.step_size_up,
            abs=1e-9,
        )
    elif isinstance(s, lp.OneCycle):
        a = s.peak / s.div_factor
        assert s(0) == pytest.approx(a if s.pct_start > 0 else s.peak, rel=1e-9)
        assert s(s.steps) == pytest.approx(a / s.final_div_factor, rel=1e-9)
    else:
        assert isinstance(s, lp.CosineRestarts)
        assert s(0) == pytest.approx(s.start, abs=1e-12)
    d = s.duration
    if d is not None:
        assert (
            s(d) == pytest.approx(s(d + 1.0), abs=1e-12) == pytest.approx(s(d * 3 + 7), abs=1e-12)
        )


@SETTINGS
@given(s=st.one_of(cyclics(), one_cycles()), t=times)
def test_continuous(s: lp.Schedule, t: float) -> None:
    """Cycles and one-cycle have no jumps: a tiny step moves the value a tiny amount."""
    lo, hi = _bounds(s)
    h = 1e-7
    # A piece shorter than h (pct_start=5e-324, say) may cross the whole range
    # within h: the bound is only meaningful at the probe's resolution.
    slope = (hi - lo) * 10.0 / min(max(_min_piece(s), h), 1.0) + 1.0
    assert abs(s(t + h) - s(t)) <= slope * h * 1.5 + 1e-9


def _min_piece(s: lp.Schedule) -> float:
    if isinstance(s, lp.Cyclic):
        down = s.step_size_up if s.step_size_down is None else s.step_size_down
        return min(s.step_size_up, down) if down > 0 else s.step_size_up
    assert isinstance(s, lp.OneCycle)
    knots = s._knots()
    return min([b - a for a, b in itertools.pairwise(knots) if b > a] or [1.0]) / math.pi


@SETTINGS
@given(s=restarts(), i=st.integers(min_value=1, max_value=5))
def test_restarts_jump_only_at_restarts(s: lp.CosineRestarts, i: int) -> None:
    b = float(s._cycle_start(float(i), SCALAR))
    before = s(max(b - 1e-9 * max(b, 1.0), 0.0))
    assert before == pytest.approx(s.end, abs=1e-5 * max(1.0, s.start))
    if s.cycle_limit is None or i < s.cycle_limit:
        assert s(b) == pytest.approx(max(s.start * s.decay**i, 0.0), rel=1e-9, abs=1e-12)


@SETTINGS
@given(s=shapes, ts=st.lists(times, min_size=1, max_size=30))
def test_vector_equals_scalar(s: lp.Schedule, ts: list[float]) -> None:
    vec = s.values(np.array(ts))
    assert vec.tolist() == pytest.approx([s(t) for t in ts], rel=1e-12, abs=1e-15)


@SETTINGS
@given(s=st.one_of(shapes, st.builds(lambda o: o.momentum(), one_cycles())))
def test_config_round_trip_and_spec(s: lp.Schedule) -> None:
    assert lp.Schedule.from_config(s.to_config()) == s
    assert type(s).__name__ in SPEC_NAMES


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (lp.Cyclic, {"start": 0.1, "step_size_up": 0}, "step_size_up"),
        (lp.Cyclic, {"start": -0.1, "step_size_up": 2}, "start"),
        (lp.Cyclic, {"start": 0.1, "step_size_up": 2, "mode": "sine"}, "mode"),
        (lp.Cyclic, {"start": 0.1, "step_size_up": 2, "gamma": 1.5}, "gamma"),
        (lp.Cyclic, {"start": 0.1, "step_size_up": 2, "cycles": 0}, "cycles"),
        (lp.OneCycle, {"steps": 0}, "steps"),
        (lp.OneCycle, {"steps": 10, "pct_start": 1.0}, "pct_start"),
        (lp.OneCycle, {"steps": 10, "pct_start": 0.5, "three_phase": True}, "pct_start"),
        (lp.OneCycle, {"steps": 10, "pct_start": 0.0, "three_phase": True}, "pct_start"),
        (lp.OneCycle, {"steps": 10, "div_factor": 0}, "div_factor"),
        (lp.OneCycle, {"steps": 10, "anneal": "exp"}, "anneal"),
        (lp.CosineRestarts, {"period": 0}, "period"),
        (lp.CosineRestarts, {"period": 5, "period_mult": 0.5}, "period_mult"),
        (lp.CosineRestarts, {"period": 5, "decay": 1.5}, "decay"),
        (lp.CosineRestarts, {"period": 5, "k": 0}, "k"),
        (lp.CosineRestarts, {"period": 5, "cycle_limit": 0}, "cycle_limit"),
    ],
)
def test_bad_arguments_name_the_parameter(cls: type, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_drives_an_optimizer() -> None:
    import torch

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.4, momentum=0.9)
    plan = lp.OneCycle(steps=10, pct_start=0.3)
    lr = lp.ScheduledLR(opt, plan)
    mom = lp.ScheduledLR(opt, plan.momentum(), key="momentum")
    for t in range(1, 12):
        opt.step()
        lr.step()
        mom.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.4 * plan(t), rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(plan.momentum()(t), rel=1e-12)


@pytest.mark.parametrize("kwargs", [{"div_factor": 5e-324}, {"final_div_factor": 1e-310}])
def test_one_cycle_refuses_factors_that_overflow_its_levels(kwargs: dict[str, float]) -> None:
    # peak / div_factor = inf would make the cosine NaN (found by the fuzz test)
    with pytest.raises(ValueError, match="too small"):
        lp.OneCycle(steps=10, **kwargs)
