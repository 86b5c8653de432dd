"""Fuzzing the pure schedules: random constructor calls and random compositions.

Every public schedule constructor in ``SPEC_NAMES`` (shapes, sequences, products,
warmups, clips, restarts, cycles, time transforms; new ones join automatically)
is called with hypothesis-drawn arguments, wild ones included (NaN, inf,
negatives, huge numbers, junk strings). Each call must either

* raise the documented ``ValueError``/``TypeError`` at construction, with a
  message, or
* give a schedule whose values are never NaN and never negative, anywhere in
  ``[0, 1e9]`` (far past its end), for ``s(t)`` and ``s.values(ts)`` alike, and
  that agree with each other.

Values may be ``+inf`` only where a schedule grows without bound (an exponential
with ``gamma > 1`` overflows far out): lrplan returns ``inf`` there in both paths,
and the driver refuses to write it into an optimizer, which is checked here too.
A time past the end of a schedule built with ``after="raise"`` raises
``ValueError`` by design.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
from sched_cases import build, draw_call, schedule_names, schedules

FAR = [0.0, 0.5, 1.0, 7.0, 1e3, 12_345.678, 1e6, 1e7 + 0.5, 1e9]
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _raises_past_end(s: lp.Schedule) -> bool:
    return "'after': 'raise'" in repr(s.to_config())


def _times(s: lp.Schedule, extra: list[float]) -> list[float]:
    ts = set(FAR) | set(extra)
    d = s.duration
    edges = [*s.boundaries(), *([d] if d is not None and math.isfinite(d) else [])]
    for b in edges:
        for x in (b - 1, b - 1e-9, b, b + 1e-9, b + 1, 2 * b, 10 * b + 0.25):
            if 0 <= x <= 1e9:
                ts.add(float(x))
    return sorted(ts)


def check_values(s: lp.Schedule, extra: list[float]) -> None:
    raising = _raises_past_end(s)
    ts = []
    scalars = []
    with np.errstate(all="ignore"):
        for t in _times(s, extra):
            try:
                scalars.append(s(t))
            except ValueError as e:
                # Only a phase built with after='raise' may refuse a time, by design.
                assert raising and "after='raise'" in str(e), f"{s!r}({t}) raised {e}"
                continue
            ts.append(t)
        vec = s.values(np.array(ts))
    assert vec.shape == (len(ts),)
    for t, scalar, v in zip(ts, scalars, vec, strict=True):
        assert isinstance(scalar, float)
        assert not math.isnan(scalar), f"{s!r}({t}) is NaN"
        assert not math.isnan(v), f"{s!r}.values([{t}]) is NaN"
        assert scalar >= 0.0 and v >= 0.0, f"{s!r} is negative at t={t}: {scalar}, {v}"
        if math.isinf(scalar) or math.isinf(v):
            assert scalar == v, f"{s!r} at t={t}: s(t)={scalar}, values={v}"
            _driver_refuses(s, t)
        else:
            assert math.isclose(scalar, float(v), rel_tol=1e-9, abs_tol=1e-300), (
                f"{s!r} at t={t}: s(t)={scalar!r} but values()={float(v)!r}"
            )


def _driver_refuses(s: lp.Schedule, t: float) -> None:
    """An inf value never reaches an optimizer: the driver raises and writes nothing."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    try:
        sched = lp.ScheduledLR(opt, s)
    except ValueError:
        return  # refused at step 0 already
    before = opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="finite"):
        sched.set_step(t)
    assert opt.param_groups[0]["lr"] == before


@SETTINGS
@given(data=st.data(), name=st.sampled_from(schedule_names()))
def test_wild_constructor_calls_fail_loudly_or_give_sane_values(
    data: st.DataObject, name: str
) -> None:
    call = data.draw(draw_call(name, wild=True, sub=schedules(3, tame=False)), label="call")
    try:
        with np.errstate(all="ignore"):
            s = build(*call)
    except (ValueError, TypeError) as e:
        assert str(e), f"{call}: empty error message"
        return
    extra = data.draw(st.lists(st.floats(0, 1e9), max_size=5), label="times")
    try:
        s(0)
    except ValueError as e:
        if "bind" in str(e):  # durations in epochs/fractions: must be bound to a run
            return
        raise
    check_values(s, extra)


@SETTINGS
@given(s=schedules(max_leaves=10, tame=False), extra=st.lists(st.floats(0, 1e9), max_size=5))
def test_random_compositions_give_sane_values_far_past_the_end(
    s: lp.Schedule, extra: list[float]
) -> None:
    check_values(s, extra)
    # Phase boundaries are real times: finite, >= 0 and sorted (plots and resume
    # tests walk them; a time map once scaled a far restart into inf).
    bounds = s.boundaries()
    assert all(math.isfinite(b) and b >= 0 for b in bounds), bounds
    assert bounds == sorted(bounds)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=schedules(max_leaves=6, tame=False), t=st.floats(0, 1e9))
def test_scheduled_lr_never_writes_nan_inf_or_negative(s: lp.Schedule, t: float) -> None:
    """Whatever the composition, an optimizer only ever holds finite values >= 0."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    try:
        sched = lp.ScheduledLR(opt, s)
    except ValueError as e:
        assert "finite" in str(e)
        return
    for when in (t, 1e9, 3.5):
        try:
            sched.set_step(when)
        except ValueError as e:
            assert "finite" in str(e) or "after='raise'" in str(e) or "past the end" in str(e)
        lr = opt.param_groups[0]["lr"]
        assert math.isfinite(lr) and lr >= 0


def test_zero_times_overflow_is_not_nan() -> None:
    """A zero factor times an overflowing one: 0, never NaN (0 * inf)."""
    grow = lp.Exponential(gamma=56.0)
    for s in (
        lp.Exponential(gamma=56.0, start=0.0),
        lp.Step(step_size=1, gamma=1e10, start=0.0),
        lp.MultiStep(milestones=(1, 2), gamma=1e300, start=0.0),
        lp.Constant(value=0.0) * grow,
        grow * lp.Constant(value=0.0),
    ):
        with np.errstate(all="ignore"):
            assert s(1e9) == 0.0, s
            assert s.values(np.array([0.0, 1e9])).tolist() == [0.0, 0.0], s


def test_tiny_step_size_does_not_raise_in_the_scalar_path() -> None:
    """t / 5e-324 overflows to inf; s(t) must give what s.values gives (0 here), not raise."""
    s = lp.Step(step_size=5e-324, gamma=0.5)
    with np.errstate(all="ignore"):
        assert s(1.0) == s.values(np.array([1.0]))[0] == 0.0


def test_fuzz_covers_restarts_and_cycles_when_available() -> None:
    names = set(schedule_names())
    assert {"Join", "Product", "Clip", "warmup"} <= names
    for n in ("CosineRestarts", "Cyclic", "OneCycle", "Repeat"):
        if hasattr(lp, n):
            assert n in names, f"{n} is public but not in SPEC_NAMES, so specs cannot use it"


def test_cyclic_with_a_subnormal_period_is_not_nan() -> None:
    """t / period overflows to inf (found by this fuzz in CI): the value stays a number."""
    s = lp.Cyclic(start=0, step_size_up=2.225073858507203e-309)
    with np.errstate(all="ignore"):
        for t in (0.0, 1.0, 1e9):
            v = s(t)
            assert not math.isnan(v) and 0.0 <= v <= 1.0, (t, v)
            assert s.values(np.array([t]))[0] == v
