"""The pure schedule layer: golden tables, combinators, configs, validation, vectorisation.

Every expected value here comes from a formula written independently in this file
with the ``math`` module; nothing is read back from the library under test.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES, FiniteShape, registry
from lrplan._spec import parse_spec

REL = 1e-12
ABS = 1e-15


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)


def times_for(steps: float) -> list[float]:
    """Boundary steps always included: 0, steps-1, steps, steps+1, far past, fractions."""
    ts = {0.0, 1.0, steps - 1, steps, steps + 1, 10 * steps + 3, 1e6, steps / 2, 0.5, steps - 0.25}
    return sorted(t for t in ts if t >= 0)


# --------------------------------------------------------------------------- independent formulas


def ref_linear(t: float, steps: float, start: float, end: float) -> float:
    u = min(t, steps)
    return start + (end - start) * u / steps


def ref_cosine(t: float, steps: float, start: float, end: float) -> float:
    u = min(t, steps)
    return end + (start - end) * (1 + math.cos(math.pi * u / steps)) / 2


def ref_cosine_periodic(t: float, steps: float, start: float, end: float) -> float:
    # torch's CosineAnnealingLR keeps running the cosine past T_max: period 2*steps.
    return end + (start - end) * (1 + math.cos(math.pi * t / steps)) / 2


def ref_poly(t: float, steps: float, power: float, start: float, end: float) -> float:
    u = min(t, steps)
    return end + (start - end) * (1 - u / steps) ** power


def ref_exp(t: float, gamma: float, start: float) -> float:
    try:
        return start * gamma**t
    except OverflowError:
        return math.inf


def ref_step(t: float, step_size: float, gamma: float, start: float) -> float:
    k = 0
    while (k + 1) * step_size <= t:  # count completed periods without a division
        k += 1
    return start * gamma**k


def ref_multistep(t: float, milestones: list[float], gamma: float, start: float) -> float:
    passed = sum(1 for m in milestones if m <= t)
    return start * gamma**passed


def restart_time(t: float, steps: float) -> float:
    return t - steps * math.floor(t / steps)


# --------------------------------------------------------------------------- golden tables

Case = tuple[lp.Schedule, Callable[[float], float], float]


def _golden_cases() -> list[tuple[str, Case]]:
    out: list[tuple[str, Case]] = []

    def add(name: str, s: lp.Schedule, f: Callable[[float], float], steps: float) -> None:
        out.append((name, (s, f, steps)))

    add("constant", lp.Constant(value=0.3), lambda t: 0.3, 10)
    add("constant-default", lp.Constant(), lambda t: 1.0, 10)
    add("linear-default", lp.Linear(steps=10), lambda t: ref_linear(t, 10, 1.0, 0.0), 10)
    add(
        "linear-warm-from-0",
        lp.Linear(steps=7, start=0.0, end=1.0),
        lambda t: ref_linear(t, 7, 0.0, 1.0),
        7,
    )
    add(
        "linear-above-1",
        lp.Linear(steps=4, start=0.5, end=3.0),
        lambda t: ref_linear(t, 4, 0.5, 3.0),
        4,
    )
    add(
        "linear-fractional-steps",
        lp.Linear(steps=2.5, start=1.0, end=0.2),
        lambda t: ref_linear(t, 2.5, 1.0, 0.2),
        2.5,
    )
    add("cosine-default", lp.Cosine(steps=100), lambda t: ref_cosine(t, 100, 1.0, 0.0), 100)
    add(
        "cosine-end",
        lp.Cosine(steps=9, start=2.0, end=0.1),
        lambda t: ref_cosine(t, 9, 2.0, 0.1),
        9,
    )
    add(
        "cosine-increasing",
        lp.Cosine(steps=6, start=0.0, end=1.0),
        lambda t: ref_cosine(t, 6, 0.0, 1.0),
        6,
    )
    add(
        "cosine-periodic",
        lp.Cosine(steps=10, end=0.05, periodic=True),
        lambda t: ref_cosine_periodic(t, 10, 1.0, 0.05),
        10,
    )
    add(
        "exponential",
        lp.Exponential(gamma=0.9),
        lambda t: ref_exp(t, 0.9, 1.0),
        12,
    )
    add(
        "exponential-growth-start",
        lp.Exponential(gamma=1.01, start=0.5),
        lambda t: ref_exp(t, 1.01, 0.5),
        20,
    )
    add(
        "step",
        lp.Step(step_size=3, gamma=0.5),
        lambda t: ref_step(t, 3, 0.5, 1.0),
        3,
    )
    add(
        "step-default-gamma-start",
        lp.Step(step_size=2.5, start=2.0),
        lambda t: ref_step(t, 2.5, 0.1, 2.0),
        10,
    )
    add(
        "multistep",
        lp.MultiStep(milestones=(2, 5, 9), gamma=0.5),
        lambda t: ref_multistep(t, [2, 5, 9], 0.5, 1.0),
        9,
    )
    add(
        "multistep-repeated",
        lp.MultiStep(milestones=(3, 3, 3, 7), gamma=0.5),
        lambda t: ref_multistep(t, [3, 3, 3, 7], 0.5, 1.0),
        7,
    )
    add(
        "multistep-at-zero",
        lp.MultiStep(milestones=(0, 4), gamma=0.2, start=3.0),
        lambda t: ref_multistep(t, [0, 4], 0.2, 3.0),
        4,
    )
    add(
        "multistep-empty",
        lp.MultiStep(milestones=()),
        lambda t: 1.0,
        5,
    )
    add(
        "polynomial",
        lp.Polynomial(steps=10, power=2.0),
        lambda t: ref_poly(t, 10, 2.0, 1.0, 0.0),
        10,
    )
    add(
        "polynomial-fractional-power-end",
        lp.Polynomial(steps=8, power=0.5, start=1.5, end=0.25),
        lambda t: ref_poly(t, 8, 0.5, 1.5, 0.25),
        8,
    )
    add(
        "polynomial-power-1-is-linear",
        lp.Polynomial(steps=5, power=1.0),
        lambda t: ref_linear(t, 5, 1.0, 0.0),
        5,
    )
    return out


GOLDEN = _golden_cases()


@pytest.mark.parametrize(("name", "case"), GOLDEN, ids=[n for n, _ in GOLDEN])
def test_golden_values(name: str, case: Case) -> None:
    s, ref, steps = case
    ts = times_for(steps)
    for t in ts:
        got = s(t)
        assert type(got) is float
        assert close(got, ref(t)), (name, t, got, ref(t))
    # the vectorised path gives the same table (inf where growth overflows, like s(t))
    with np.errstate(over="ignore"):
        vec = s.values(np.asarray(ts))
    for t, v in zip(ts, vec, strict=True):
        assert close(float(v), ref(t)), (name, t, v)


@pytest.mark.parametrize(("name", "case"), GOLDEN, ids=[n for n, _ in GOLDEN])
def test_golden_int_and_float_times_agree(name: str, case: Case) -> None:
    s, _, steps = case
    for t in (0, 1, int(steps), int(steps) + 1, 1000):
        assert s(t) == s(float(t))
        assert s(np.int64(t)) == s(t)


def test_exact_boundary_values() -> None:
    # Endpoints that must be exact, not merely close.
    assert lp.Linear(steps=10, start=0.0, end=1.0)(10) == 1.0
    assert lp.Linear(steps=10)(0) == 1.0
    assert lp.Linear(steps=10)(10) == 0.0
    assert lp.Cosine(steps=10, end=0.1)(0) == 1.0
    assert lp.Cosine(steps=10, end=0.1)(10) == 0.1
    assert lp.Cosine(steps=10, end=0.1)(11) == 0.1
    assert lp.Polynomial(steps=10, power=3.0)(10) == 0.0
    assert lp.Step(step_size=3, gamma=0.5)(2.999) == 1.0
    assert lp.Step(step_size=3, gamma=0.5)(3) == 0.5
    assert lp.MultiStep(milestones=(3,), gamma=0.5)(2.999) == 1.0
    assert lp.MultiStep(milestones=(3,), gamma=0.5)(3) == 0.5


def test_overflow_gives_inf_in_both_paths() -> None:
    # The scalar path must not raise where numpy returns a number (here: inf).
    s = lp.Exponential(gamma=1.01)
    assert s(1e6) == math.inf
    with np.errstate(over="ignore"):
        assert s.values(np.array([1e6]))[0] == math.inf


def test_cosine_periodic_cycles_like_torch() -> None:
    s = lp.Cosine(steps=10, end=0.2, periodic=True)
    assert close(s(10), 0.2)
    assert close(s(20), 1.0)
    assert close(s(30), 0.2)
    assert close(s(15), s(5))
    assert s.duration is None
    # the default holds instead
    assert lp.Cosine(steps=10, end=0.2)(20) == 0.2


LEVEL = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["linear", "cosine", "polynomial"]),
    start=LEVEL,
    end=LEVEL,
    steps=st.one_of(
        st.integers(min_value=1, max_value=10_000), st.floats(min_value=0.5, max_value=1e4)
    ),
    power=st.floats(min_value=0.1, max_value=5.0),
)
def test_endpoints_monotonicity_bounds(
    kind: str, start: float, end: float, steps: float, power: float
) -> None:
    if kind == "linear":
        s: lp.Schedule = lp.Linear(steps=steps, start=start, end=end)
    elif kind == "cosine":
        s = lp.Cosine(steps=steps, start=start, end=end)
    else:
        s = lp.Polynomial(steps=steps, start=start, end=end, power=power)
    # the value at the end, and held after it, is exactly ``end``
    assert s(steps) == end
    assert s(steps + 1) == end
    assert s(steps * 3 + 0.5) == end
    if kind != "linear":
        # end + (start - end) rounds at the scale of the larger endpoint
        assert abs(s(0) - start) <= 2.5e-16 * max(start, end)
    else:
        assert s(0) == start
    ts = np.linspace(0.0, steps * 1.5, 301)
    v = s.values(ts)
    lo, hi = min(start, end), max(start, end)
    slack = 4e-16 * hi  # rounding, relative to the largest value
    assert np.all(v >= lo - slack) and np.all(v <= hi + slack)
    d = np.diff(v)
    if end <= start:
        assert np.all(d <= slack)
    else:
        assert np.all(d >= -slack)


# --------------------------------------------------------------------------- after-end policies

FINITE = [
    lp.Linear(steps=10, start=0.2, end=1.0),
    lp.Cosine(steps=7, start=1.0, end=0.1),
    lp.Polynomial(steps=5, power=2.0, start=1.0, end=0.3),
]


@pytest.mark.parametrize("shape", FINITE, ids=repr)
def test_after_hold_keeps_final_value(shape: lp.Schedule) -> None:
    assert isinstance(shape, FiniteShape)
    end = shape(shape.steps)
    for t in (shape.steps + 0.5, shape.steps + 1, 3 * shape.steps, 1e9):
        assert shape(t) == end
    assert shape.duration == shape.steps


@pytest.mark.parametrize("shape", FINITE, ids=repr)
def test_after_restart_starts_again(shape: lp.Schedule) -> None:
    assert isinstance(shape, FiniteShape)
    s = dataclass_replace(shape, after="restart")
    n = shape.steps
    for t in (0, 1, n - 1, n, n + 1, 2 * n, 2 * n + 0.5, 5 * n + 2, 37.25):
        assert close(s(t), shape(restart_time(t, n))), t
    assert close(s(n), shape(0))
    assert s.duration is None


@pytest.mark.parametrize("shape", FINITE, ids=repr)
def test_after_raise(shape: lp.Schedule) -> None:
    assert isinstance(shape, FiniteShape)
    s = dataclass_replace(shape, after="raise")
    n = shape.steps
    assert s(n) == shape(n)
    assert s(n - 1) == shape(n - 1)
    for t in (n + 1e-9, n + 1, 10 * n):
        with pytest.raises(ValueError, match="past the end"):
            s(t)
    with pytest.raises(ValueError, match="past the end"):
        s.values(np.array([0.0, n + 1]))
    np.testing.assert_array_equal(s.values(np.array([0.0, n])), [shape(0), shape(n)])


def dataclass_replace(s: lp.Schedule, **changes: Any) -> lp.Schedule:
    cfg = s.to_config()
    cfg.update(changes)
    return lp.Schedule.from_config(cfg)


# --------------------------------------------------------------------------- combinators


def test_join_clock_restarts_at_boundaries() -> None:
    a = lp.Linear(steps=10, start=0.0, end=1.0)
    b = lp.Cosine(steps=20, end=0.1)
    c = lp.Exponential(gamma=0.9, start=0.1)
    s = lp.Join(schedules=(a, b, c), boundaries=(10, 30))
    for t in (0, 1, 5.5, 9, 9.999):
        assert close(s(t), ref_linear(t, 10, 0.0, 1.0))
    for t in (10, 11, 20, 29, 29.5):
        assert close(s(t), ref_cosine(t - 10, 20, 1.0, 0.1))
    for t in (30, 31, 40.5, 1000):
        assert close(s(t), ref_exp(t - 30, 0.9, 0.1))
    assert s.duration is None
    assert 10 in s.boundaries() and 30 in s.boundaries()


def test_join_lists_each_switch_once_with_until() -> None:
    """A phase's boundary at its own end is the switch: ``0.03 + (0.29 - 0.03)`` is
    0.29000000000000004, which must not be listed beside the switch at 0.29."""
    inner = lp.Linear(steps=0.29 - 0.03, after="restart")  # restarts at its own end
    s = lp.Join(schedules=(lp.Constant(value=0.5), inner, lp.Constant()), boundaries=(0.03, 0.29))
    assert 0.03 + inner.boundaries(until=1)[0] != 0.29  # the rounding this is about
    assert s.boundaries(until=1) == [0.03, 0.29]
    assert s.boundaries(until=0.2) == [0.03]


def test_then_flattens_and_uses_absolute_times() -> None:
    a = lp.Constant(value=0.1)
    b = lp.Linear(steps=5)
    c = lp.Constant(value=0.7)
    s = a.then(b, at=3).then(c, at=8)
    assert isinstance(s, lp.Join)
    assert s.schedules == (a, b, c)
    assert s.switches == (3, 8)
    assert s == lp.Join(schedules=(a, b, c), boundaries=(3, 8))
    assert [s(t) for t in (0, 2, 3)] == [0.1, 0.1, 1.0]
    assert close(s(5.5), ref_linear(2.5, 5, 1.0, 0.0))
    assert s(8) == 0.7
    assert s.duration == 8.0
    with pytest.raises(ValueError, match="boundaries"):
        s.then(a, at=8)  # not after the last boundary


def test_join_keeps_the_config_and_the_old_name_of_sequence() -> None:
    """Join was ``Sequence``: the old name still builds it, and its config (type and keys)
    is what ``Sequence`` wrote, so saved configs and checkpoint fingerprints still match."""
    from lrplan import Sequence

    assert Sequence is lp.Join and lp.Sequence is lp.Join
    s = lp.Join(schedules=(lp.Constant(value=0.1), lp.Linear(steps=10)), boundaries=(5,))
    saved = {  # written by hand: what Sequence.to_config() gave before the rename
        "type": "sequence",
        "schedules": [
            {"type": "constant", "value": 0.1},
            {"type": "linear", "steps": 10, "after": "hold", "start": 1.0, "end": 0.0},
        ],
        "boundaries": [5],
    }
    assert s.to_config() == saved
    assert lp.Schedule.from_config(saved) == s == Sequence(schedules=s.schedules, boundaries=[5])
    # ``switches`` holds the constructor's boundaries; ``boundaries()`` adds the inner ones.
    nested = lp.Join(schedules=(lp.Constant(value=0.1), s), boundaries=(2,))
    assert nested.switches == (2,)
    assert nested.boundaries() == [2, 7]
    assert nested.to_config()["boundaries"] == [2]


def test_join_of_one_schedule_is_that_schedule() -> None:
    s = lp.Join(schedules=[lp.Cosine(steps=4)], boundaries=[])
    for t in (0, 1, 2.5, 4, 9):
        assert s(t) == lp.Cosine(steps=4)(t)


def test_product() -> None:
    a = lp.Linear(steps=10, start=0.0, end=1.0)
    b = lp.Cosine(steps=20, end=0.1)
    p = a * b
    assert isinstance(p, lp.Product)
    for t in (0, 3, 9.5, 10, 15, 20, 40):
        assert close(p(t), ref_linear(t, 10, 0.0, 1.0) * ref_cosine(t, 20, 1.0, 0.1))
    # flattening and scalars on either side
    c = lp.Exponential(gamma=0.5)
    assert (p * c).factors == (a, b, c)
    assert (c * p).factors == (c, a, b)
    left = 0.5 * a
    right = a * 0.5
    assert left.factors == (lp.Constant(value=0.5), a)
    assert right.factors == (a, lp.Constant(value=0.5))
    for t in (0, 4, 12):
        assert close(left(t), 0.5 * ref_linear(t, 10, 0.0, 1.0))
        assert left(t) == right(t)
    assert p.duration == 20
    assert (a * lp.Exponential(gamma=0.9)).duration is None
    with pytest.raises(TypeError):
        _ = a * "2"  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = a * True  # type: ignore[operator]


def test_clip_and_floor() -> None:
    base = lp.Linear(steps=10)
    f = base.floor(0.25)
    assert f == lp.Clip(schedule=base, lo=0.25)
    for t in (0, 5, 7.5, 8, 10, 100):
        assert f(t) == max(ref_linear(t, 10, 1.0, 0.0), 0.25)
    c = lp.Linear(steps=10, start=0.0, end=2.0).clip(lo=0.1, hi=1.5)
    for t in (0, 0.25, 5, 7.5, 9, 10, 11):
        assert close(c(t), min(max(ref_linear(t, 10, 0.0, 2.0), 0.1), 1.5))
    hi_only = lp.Constant(value=3.0).clip(hi=1.0)
    assert hi_only(0) == 1.0
    assert f.duration == 10


@pytest.mark.parametrize("shape", ["linear", "cosine"])
@pytest.mark.parametrize("start", [0.0, 0.1])
def test_warmup(shape: str, start: float) -> None:
    inner = lp.Cosine(steps=40, start=2.0, end=0.2)
    n = 8
    s = lp.warmup(inner, steps=n, start=start, shape=shape)
    peak = 2.0

    def ramp(t: float) -> float:
        if shape == "linear":
            return start + (peak - start) * t / n
        return start + (peak - start) * (1 - math.cos(math.pi * t / n)) / 2

    for t in (0, 0.5, 1, 3, 7, 7.9):
        assert close(s(t), ramp(t)), t
    for t in (8, 9, 20.5, 48, 49, 500):
        assert close(s(t), ref_cosine(t - n, 40, 2.0, 0.2)), t
    assert close(s(0), start)
    # continuity at the hand-off: the ramp ends exactly where the schedule starts
    assert s(n) == inner(0)
    assert math.isclose(s(n - 1e-9), inner(0), rel_tol=1e-8)
    assert s.duration == n + 40
    # monotone ramp
    ramp_vals = s.values(np.linspace(0, n, 101))
    assert np.all(np.diff(ramp_vals) >= 0)


@pytest.mark.parametrize(("start", "end"), [(0.01, 1.0), (0.5, 2.0), (3.0, 0.3)])
def test_geometric_ramp(start: float, end: float) -> None:
    """The same ratio every step, ``start * (end / start) ** (t / steps)``; then ``end``."""
    n = 6
    r = lp.ramp("geometric", steps=n, start=start, end=end)
    for t in (0, 0.5, 1, 2.5, 5, 5.9):
        assert close(r(t), start * (end / start) ** (t / n)), t
    for t in (6, 7, 100):
        assert r(t) == end
    ratios = np.diff(np.log(r.values(np.arange(n + 1))))
    assert np.allclose(ratios, math.log(end / start) / n)
    assert r.duration == n
    assert lp.Schedule.from_config(r.to_config()) == r
    s = lp.warmup(lp.Cosine(steps=10, start=end), steps=n, start=start, shape="geometric")
    assert [s(t) for t in range(n + 3)] == [r(t) for t in range(n)] + [
        end,
        *(lp.Cosine(steps=10, start=end)(k) for k in (1, 2)),
    ]
    assert lp.ramp("geometric", steps=4, start=0.0, end=0.0) == lp.Constant(value=0.0)
    with pytest.raises(ValueError, match=r"geometric.*both be > 0"):
        lp.ramp("geometric", steps=4, start=0.0, end=1.0)
    with pytest.raises(ValueError, match=r"geometric.*both be > 0"):
        lp.warmup(lp.Cosine(steps=10), steps=4, shape="geometric")  # start=0 never grows


def test_warmup_zero_steps_returns_the_schedule() -> None:
    inner = lp.Exponential(gamma=0.9)
    assert lp.warmup(inner, steps=0) is inner
    assert lp.warmup(inner, steps=0.0, shape="cosine") is inner


def test_warmup_is_a_plain_join_and_round_trips() -> None:
    s = lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10, start=0.01)
    assert isinstance(s, lp.Join)
    assert lp.Schedule.from_config(s.to_config()) == s


# --------------------------------------------------------------------------- fractional t, values()


def test_fractional_times() -> None:
    assert close(lp.Linear(steps=4)(1.5), 1 - 1.5 / 4)
    assert close(lp.Cosine(steps=3)(0.75), ref_cosine(0.75, 3, 1.0, 0.0))
    assert close(lp.Exponential(gamma=0.25)(0.5), 0.5)
    assert lp.Step(step_size=2, gamma=0.5)(3.99) == 0.5
    assert lp.MultiStep(milestones=(1.5,), gamma=0.5)(1.49) == 1.0
    assert lp.MultiStep(milestones=(1.5,), gamma=0.5)(1.5) == 0.5


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    ts=st.lists(
        st.floats(min_value=0, max_value=500, allow_nan=False, allow_infinity=False),
        min_size=0,
        max_size=24,
    ),
    shape2d=st.booleans(),
)
def test_values_equals_elementwise_call(
    schedules: st.SearchStrategy[lp.Schedule], data: st.DataObject, ts: list[float], shape2d: bool
) -> None:
    s = data.draw(schedules)
    arr = np.asarray(ts, dtype=np.float64)
    if shape2d and arr.size % 2 == 0:
        arr = arr.reshape(2, -1)
    out = s.values(arr)
    assert out.shape == arr.shape
    assert out.dtype == np.float64
    for t, v in zip(arr.reshape(-1), out.reshape(-1), strict=True):
        expected = s(float(t))
        assert math.isclose(float(v), expected, rel_tol=1e-13, abs_tol=1e-300), (t, v, expected)


def test_values_accepts_lists_ranges_and_scalars() -> None:
    s = lp.Linear(steps=4)
    np.testing.assert_array_equal(s.values([0, 1, 2]), [1.0, 0.75, 0.5])
    np.testing.assert_array_equal(s.values(range(0, 5, 2)), [1.0, 0.5, 0.0])
    zero_d = s.values(2.0)
    assert zero_d.shape == ()
    assert float(zero_d) == 0.5
    assert s.values(np.array([], dtype=np.float64)).shape == (0,)
    # a constant fills the whole shape, not a scalar broadcast that aliases
    out = lp.Constant(value=0.5).values(np.zeros((3, 2)))
    assert out.shape == (3, 2)
    out[0, 0] = 9.0
    assert out[1, 1] == 0.5


def test_values_does_not_alias_input() -> None:
    ts = np.arange(5, dtype=np.float64)
    before = ts.copy()
    lp.Cosine(steps=3).values(ts)
    np.testing.assert_array_equal(ts, before)


@pytest.mark.parametrize("bad", [-1, -1e-12, float("nan"), float("inf"), -math.inf])
def test_rejects_bad_times(bad: float) -> None:
    s = lp.Cosine(steps=10)
    with pytest.raises(ValueError, match="time"):
        s(bad)
    with pytest.raises(ValueError, match="time"):
        s.values(np.array([0.0, bad]))


@pytest.mark.parametrize("bad", ["1", None, True, [1.0]])
def test_rejects_non_numeric_times(bad: Any) -> None:
    with pytest.raises(TypeError, match="time"):
        lp.Linear(steps=10)(bad)


# ----------------------------------------------------------------- configs, repr, eq, pickle

ALL_KINDS: list[lp.Schedule] = [
    lp.Constant(value=0.5),
    lp.Constant(),
    lp.Linear(steps=100, start=0.0, end=1.0),
    lp.Linear(steps=2.5, after="restart"),
    lp.Cosine(steps=90, end=0.1),
    lp.Cosine(steps=90, periodic=True),
    lp.Cosine(steps=12, after="raise"),
    lp.Exponential(gamma=0.99),
    lp.Exponential(gamma=0.5, start=2.0),
    lp.Step(step_size=30, gamma=0.1),
    lp.MultiStep(milestones=(30, 30, 60), gamma=0.5),
    lp.MultiStep(milestones=()),
    lp.Polynomial(steps=50, power=2.0, end=0.01),
    lp.Join(schedules=(lp.Constant(value=0.1), lp.Linear(steps=10)), boundaries=(5,)),
    lp.Linear(steps=10, start=0.0).then(lp.Cosine(steps=90), at=10).then(lp.Constant(), at=100),
    lp.Linear(steps=10) * lp.Exponential(gamma=0.9),
    0.5 * lp.Cosine(steps=10),
    lp.Cosine(steps=10).floor(0.1),
    lp.Linear(steps=10).clip(lo=0.1, hi=0.8),
    lp.Constant(value=3.0).clip(hi=1.0),
    lp.warmup(lp.Cosine(steps=90, end=0.01), steps=10),
    lp.warmup(lp.Step(step_size=3), steps=5, start=0.1, shape="cosine"),
    lp.warmup(lp.Linear(steps=5) * lp.Exponential(gamma=0.9), steps=4).floor(0.01),
]

PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def assert_plain(obj: Any, path: str = "config") -> None:
    """Recursively: only dict/list/str/int/float/bool/None, and exactly those types."""
    assert type(obj) in PLAIN_TYPES, f"{path} is {type(obj).__name__}: {obj!r}"
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert type(k) is str, f"{path} has a non-str key {k!r}"
            assert_plain(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            assert_plain(v, f"{path}[{i}]")


@pytest.mark.parametrize("s", ALL_KINDS, ids=repr)
def test_config_round_trip(s: lp.Schedule) -> None:
    cfg = s.to_config()
    assert_plain(cfg)
    assert cfg["type"] in registry()
    back = lp.Schedule.from_config(cfg)
    assert back == s
    assert type(back) is type(s)
    assert back.to_config() == cfg
    # JSON round trip
    text = json.dumps(cfg)
    again = lp.Schedule.from_config(json.loads(text))
    assert again == s
    ts = np.array([0, 1, 4.5, 10, 55, 99, 100, 101, 1000])
    if not (isinstance(s, FiniteShape) and s.after == "raise"):
        np.testing.assert_array_equal(again.values(ts), s.values(ts))
    # from_config does not mutate its argument
    frozen = copy.deepcopy(cfg)
    lp.Schedule.from_config(cfg)
    assert cfg == frozen


def test_config_from_numpy_inputs_is_plain() -> None:
    s = lp.MultiStep(milestones=np.array([2, 4, 4]), gamma=np.float64(0.5), start=np.float32(2.0))
    cfg = s.to_config()
    assert_plain(cfg)
    assert cfg == {"type": "multi_step", "milestones": [2, 4, 4], "gamma": 0.5, "start": 2.0}
    c = lp.Cosine(steps=np.int64(10), end=np.float64(0.1))
    assert_plain(c.to_config())
    assert type(c.steps) is int


@pytest.mark.parametrize("s", ALL_KINDS, ids=repr)
def test_repr_reads_like_constructor(s: lp.Schedule) -> None:
    r = repr(s)
    if isinstance(s, lp.Product):
        assert r == " * ".join(repr(f) for f in s.factors)
    elif isinstance(s, lp.Join):
        assert r == f"Join(schedules={s.schedules!r}, boundaries={s.switches!r})"
    else:
        assert r.startswith(type(s).__name__ + "(")
        assert r.endswith(")")
        own = r[len(type(s).__name__) + 1 : -1]
        if isinstance(s, lp.Clip):
            own = own.replace(f"schedule={s.schedule!r}", "schedule=...")
        for f in dataclasses.fields(s):  # type: ignore[arg-type]
            value = getattr(s, f.name)
            if f.default is not dataclasses.MISSING and value == f.default:
                assert f"{f.name}=" not in own, (f.name, r)  # defaults are left out
            elif f.name == "schedule":
                assert "schedule=..." in own
            else:
                assert f"{f.name}={value!r}" in own, (f.name, r)
    # the safe spec parser (no eval) rebuilds an equal schedule from the repr
    assert parse_spec(r) == s


def test_repr_examples() -> None:
    assert repr(lp.Cosine(steps=90, end=0.1)) == "Cosine(steps=90, end=0.1)"
    assert repr(lp.Linear(steps=10, start=0.0, end=1.0)) == "Linear(steps=10, start=0.0, end=1.0)"
    assert repr(lp.Cosine(steps=10).floor(0.1)) == "Clip(schedule=Cosine(steps=10), lo=0.1)"
    assert repr(2 * lp.Linear(steps=3)) == "Constant(value=2.0) * Linear(steps=3)"
    assert (
        repr(lp.Constant(value=0.1).then(lp.Linear(steps=10), at=5))
        == "Join(schedules=(Constant(value=0.1), Linear(steps=10)), boundaries=(5,))"
    )


@pytest.mark.parametrize("s", ALL_KINDS, ids=repr)
def test_equality_hash_pickle(s: lp.Schedule) -> None:
    twin = lp.Schedule.from_config(s.to_config())
    assert twin == s
    assert hash(twin) == hash(s)
    assert len({s, twin}) == 1
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(s, protocol=proto))
        assert back == s
        assert hash(back) == hash(s)
        assert repr(back) == repr(s)
    assert copy.deepcopy(s) == s
    # immutability
    field = next(iter(k for k in s.to_config() if k != "type"))
    with pytest.raises(AttributeError):
        setattr(s, field, 1)


def test_inequality() -> None:
    assert lp.Cosine(steps=10) != lp.Cosine(steps=11)
    assert lp.Cosine(steps=10) != lp.Cosine(steps=10, periodic=True)
    assert lp.Linear(steps=10) != lp.Polynomial(steps=10)  # same values, different shapes
    assert lp.Linear(steps=10) * lp.Constant() != lp.Constant() * lp.Linear(steps=10)
    assert lp.Linear(steps=10) == lp.Linear(steps=10.0)
    assert hash(lp.Linear(steps=10)) == hash(lp.Linear(steps=10.0))


def test_from_config_errors() -> None:
    with pytest.raises(ValueError, match="unknown schedule type 'nope'"):
        lp.Schedule.from_config({"type": "nope"})
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['stpes'\]"):
        lp.Schedule.from_config({"type": "cosine", "stpes": 10})
    with pytest.raises(ValueError, match="'type'"):
        lp.Schedule.from_config({"steps": 10})
    with pytest.raises(TypeError, match="mapping"):
        lp.Schedule.from_config([("type", "cosine")])  # type: ignore[arg-type]
    # nested errors are found too
    with pytest.raises(ValueError, match="unknown schedule type 'bogus'"):
        lp.Schedule.from_config(
            {"type": "product", "factors": [{"type": "constant"}, {"type": "bogus"}]}
        )
    with pytest.raises(ValueError, match="boundaries"):
        lp.Schedule.from_config({"type": "sequence", "schedules": [], "boundaries": [], "x": 1})
    # values from configs are validated like constructor arguments
    with pytest.raises(ValueError, match="steps"):
        lp.Schedule.from_config({"type": "linear", "steps": 0})


def test_registry_and_spec_names_cover_the_public_shapes() -> None:
    names = registry()
    for cls in (
        lp.Constant,
        lp.Linear,
        lp.Cosine,
        lp.Exponential,
        lp.Step,
        lp.MultiStep,
        lp.Polynomial,
        lp.Join,
        lp.Product,
        lp.Clip,
    ):
        assert names[cls.type_name] is cls
        assert SPEC_NAMES[cls.__name__] is cls
    assert SPEC_NAMES["warmup"] is lp.warmup


# --------------------------------------------------------------------------- validation

C = lp.Constant()

INVALID: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("constant-negative", lambda: lp.Constant(value=-0.1), ValueError, "value"),
    ("constant-nan", lambda: lp.Constant(value=float("nan")), ValueError, "value"),
    ("constant-inf", lambda: lp.Constant(value=math.inf), ValueError, "value"),
    ("constant-str", lambda: lp.Constant(value="1"), TypeError, "value"),
    ("constant-bool", lambda: lp.Constant(value=True), TypeError, "value"),
    ("linear-missing-steps", lambda: lp.Linear(), TypeError, "steps"),
    ("linear-zero-steps", lambda: lp.Linear(steps=0), ValueError, "steps"),
    ("linear-negative-steps", lambda: lp.Linear(steps=-3), ValueError, "steps"),
    ("linear-inf-steps", lambda: lp.Linear(steps=math.inf), ValueError, "steps"),
    ("linear-str-steps", lambda: lp.Linear(steps="10"), TypeError, "steps"),
    ("linear-negative-start", lambda: lp.Linear(steps=3, start=-1), ValueError, "start"),
    ("linear-nan-end", lambda: lp.Linear(steps=3, end=float("nan")), ValueError, "end"),
    ("linear-bad-after", lambda: lp.Linear(steps=3, after="loop"), ValueError, "after"),
    ("linear-positional", lambda: lp.Linear(3), TypeError, "positional"),  # type: ignore[misc]
    ("cosine-zero-steps", lambda: lp.Cosine(steps=0), ValueError, "steps"),
    ("cosine-negative-end", lambda: lp.Cosine(steps=3, end=-0.1), ValueError, "end"),
    ("cosine-negative-start", lambda: lp.Cosine(steps=3, start=-0.1), ValueError, "start"),
    ("cosine-periodic-int", lambda: lp.Cosine(steps=3, periodic=1), TypeError, "periodic"),
    (
        "cosine-periodic-restart",
        lambda: lp.Cosine(steps=3, periodic=True, after="restart"),
        ValueError,
        "after",
    ),
    ("cosine-bad-after", lambda: lp.Cosine(steps=3, after="Hold"), ValueError, "after"),
    ("exp-missing-gamma", lambda: lp.Exponential(), TypeError, "gamma"),
    ("exp-negative-gamma", lambda: lp.Exponential(gamma=-0.5), ValueError, "gamma"),
    ("exp-inf-gamma", lambda: lp.Exponential(gamma=math.inf), ValueError, "gamma"),
    ("exp-negative-start", lambda: lp.Exponential(gamma=0.5, start=-1), ValueError, "start"),
    ("step-missing-size", lambda: lp.Step(), TypeError, "step_size"),
    ("step-zero-size", lambda: lp.Step(step_size=0), ValueError, "step_size"),
    ("step-negative-size", lambda: lp.Step(step_size=-2), ValueError, "step_size"),
    ("step-negative-gamma", lambda: lp.Step(step_size=2, gamma=-0.1), ValueError, "gamma"),
    ("step-str-gamma", lambda: lp.Step(step_size=2, gamma="0.1"), TypeError, "gamma"),
    ("step-negative-start", lambda: lp.Step(step_size=2, start=-1.0), ValueError, "start"),
    ("multistep-missing", lambda: lp.MultiStep(), TypeError, "milestones"),
    ("multistep-unsorted", lambda: lp.MultiStep(milestones=(5, 2)), ValueError, "milestones"),
    (
        "multistep-negative",
        lambda: lp.MultiStep(milestones=(-1, 2)),
        ValueError,
        "milestones[0]",
    ),
    ("multistep-nan", lambda: lp.MultiStep(milestones=(1, math.nan)), ValueError, "milestones[1]"),
    ("multistep-str", lambda: lp.MultiStep(milestones="12"), TypeError, "milestones"),
    ("multistep-scalar", lambda: lp.MultiStep(milestones=5), TypeError, "milestones"),
    (
        "multistep-neg-gamma",
        lambda: lp.MultiStep(milestones=(1,), gamma=-1),
        ValueError,
        "gamma",
    ),
    ("poly-zero-steps", lambda: lp.Polynomial(steps=0), ValueError, "steps"),
    ("poly-negative-power", lambda: lp.Polynomial(steps=5, power=-1), ValueError, "power"),
    ("poly-nan-power", lambda: lp.Polynomial(steps=5, power=math.nan), ValueError, "power"),
    ("poly-negative-end", lambda: lp.Polynomial(steps=5, end=-0.5), ValueError, "end"),
    ("poly-bad-after", lambda: lp.Polynomial(steps=5, after=None), ValueError, "after"),
    ("seq-empty", lambda: lp.Join(schedules=(), boundaries=()), ValueError, "schedules"),
    ("seq-not-list", lambda: lp.Join(schedules=C, boundaries=()), TypeError, "schedules"),
    (
        "seq-not-schedule",
        lambda: lp.Join(schedules=(C, 0.5), boundaries=(1,)),
        TypeError,
        "schedules[1]",
    ),
    (
        "seq-length",
        lambda: lp.Join(schedules=(C, C), boundaries=(1, 2)),
        ValueError,
        "boundaries",
    ),
    (
        "seq-not-increasing",
        lambda: lp.Join(schedules=(C, C, C), boundaries=(5, 5)),
        ValueError,
        "boundaries",
    ),
    (
        "seq-zero-boundary",
        lambda: lp.Join(schedules=(C, C), boundaries=(0,)),
        ValueError,
        "boundaries[0]",
    ),
    (
        "seq-nan-boundary",
        lambda: lp.Join(schedules=(C, C), boundaries=(math.nan,)),
        ValueError,
        "boundaries[0]",
    ),
    (
        "seq-str-boundaries",
        lambda: lp.Join(schedules=(C, C), boundaries="5"),
        TypeError,
        "boundaries",
    ),
    ("then-zero", lambda: C.then(C, at=0), ValueError, "boundaries[0]"),
    ("then-not-schedule", lambda: C.then(0.5, at=3), TypeError, "schedules[1]"),
    ("product-empty", lambda: lp.Product(factors=()), ValueError, "factors"),
    ("product-not-schedule", lambda: lp.Product(factors=(C, 2.0)), TypeError, "factors[1]"),
    ("product-scalar", lambda: lp.Product(factors=C), TypeError, "factors"),
    ("scalar-negative", lambda: -1 * C, ValueError, "value"),
    ("clip-not-schedule", lambda: lp.Clip(schedule=0.5, lo=0.1), TypeError, "schedule"),
    ("clip-no-bounds", lambda: lp.Clip(schedule=C), ValueError, "lo"),
    ("clip-lo-above-hi", lambda: C.clip(lo=0.5, hi=0.2), ValueError, "lo"),
    ("clip-negative-lo", lambda: C.floor(-0.1), ValueError, "lo"),
    ("clip-nan-hi", lambda: C.clip(hi=math.nan), ValueError, "hi"),
    ("warmup-not-schedule", lambda: lp.warmup(0.5, steps=3), TypeError, "schedule"),
    ("warmup-negative-steps", lambda: lp.warmup(C, steps=-1), ValueError, "steps"),
    ("warmup-nan-steps", lambda: lp.warmup(C, steps=math.nan), ValueError, "steps"),
    ("warmup-negative-start", lambda: lp.warmup(C, steps=3, start=-0.1), ValueError, "start"),
    ("warmup-bad-shape", lambda: lp.warmup(C, steps=3, shape="exp"), ValueError, "shape"),
]


@pytest.mark.parametrize(
    ("make", "exc", "param"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_construction(make: Callable[[], Any], exc: type[Exception], param: str) -> None:
    with pytest.raises(exc) as info:
        make()
    assert param in str(info.value), str(info.value)


def test_validation_messages_state_the_range() -> None:
    with pytest.raises(ValueError) as info:
        lp.Linear(steps=0)
    msg = str(info.value)
    assert "Linear" in msg and "steps" in msg and "(0, inf)" in msg and "0" in msg
    with pytest.raises(ValueError) as info2:
        lp.Cosine(steps=5, after="forever")
    assert "hold" in str(info2.value) and "restart" in str(info2.value)


# --------------------------------------------------------------------------- every config type


def _gallery_specs() -> list[str]:
    """The spec strings of docs/gen_gallery.py, which cover every spec name."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).parent.parent / "docs" / "gen_gallery.py"
    spec = importlib.util.spec_from_file_location("gen_gallery", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return [c for e in module.ENTRIES for c in e.curves]


def _nodes(s: lp.Schedule) -> list[lp.Schedule]:
    """``s`` and every schedule nested in it."""
    out = [s]
    for f in dataclasses.fields(s):  # type: ignore[arg-type]
        v = getattr(s, f.name)
        for x in v if isinstance(v, tuple) else (v,):
            if isinstance(x, lp.Schedule):
                out += _nodes(x)
    return out


def _one_cycle_class_schedules() -> tuple[lp.Schedule, ...]:
    """The schedules of :class:`lrplan.OneCycleLR` (lr and momentum), as its checkpoints
    save them."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = lp.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    return (*sched.schedules, sched._momentum_schedule(0))


def test_every_registered_config_type_round_trips() -> None:
    """Each ``"type"`` in the config registry is built, round-tripped and compared.

    Samples: every gallery spec (unbound and bound to a run), plus the shapes no
    spec name reaches (HF's private curves, timm's, an unbound plan).
    """
    from lrplan._schedules import registry
    from lrplan._spec import parse_spec
    from lrplan.timm import TimmCosine, TimmMultiStep, TimmPoly, TimmStep, TimmTanh, TimmWSD

    samples: list[lp.Schedule] = [
        lp.hf_schedule(
            "cosine_with_restarts", num_warmup_steps=10, num_training_steps=100, num_cycles=2
        ),
        lp.hf_schedule(
            "warmup_stable_decay",
            num_warmup_steps=10,
            num_training_steps=100,
            num_decay_steps=20,
            decay_type="1-sqrt",
        ),
        TimmCosine(base=0.1, t_initial=50, cycle_limit=3, warmup_t=5),
        TimmTanh(base=0.1, t_initial=50, lb=-6.0, ub=4.0, warmup_t=3),
        TimmPoly(base=0.1, t_initial=50, power=2.0, cycle_limit=2),
        TimmStep(base=0.1, decay_t=10, decay_rate=0.5, warmup_t=2),
        TimmMultiStep(base=0.1, decay_t=(10, 20), decay_rate=0.5),
        TimmWSD(base=0.1, t_initial=100, decay_t=20, decay_fn="cosine", warmup_t=5),
        lp.Cosine(steps=lp.fraction(1)),
        parse_spec("OneCycleLR(max_lr=1.0, total_steps=100)"),
        parse_spec(
            "OneCycleLR(max_lr=0.5, total_steps=50, three_phase=True, anneal_strategy='linear')"
        ),
        *_one_cycle_class_schedules(),
    ]
    for text in _gallery_specs():
        s = parse_spec(text)
        samples += [s, s.bind(total_steps=1000)]
    seen: set[str] = set()
    for sample in samples:
        for node in _nodes(sample):
            seen.add(node.type_name)
            cfg = node.to_config()
            assert_plain(cfg)
            back = lp.Schedule.from_config(json.loads(json.dumps(cfg)))
            assert back == node, (cfg, back)
    missing = set(registry()) - seen
    assert not missing, f"config types without a round-trip sample here: {sorted(missing)}"
