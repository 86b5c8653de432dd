"""Time units: epochs and run fractions, binding, Shift/TimeScale/Repeat, batch scaling."""

from __future__ import annotations

import json
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES
from lrplan._spec import SpecError, parse_spec

PROP = settings(max_examples=60, deadline=None)


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


# --------------------------------------------------------------------------- durations


def test_duration_arithmetic_repr_config() -> None:
    d = lp.fraction(1) - lp.epochs(2) - 10
    assert d == lp.Duration(steps=-10, epochs=-2, fraction=1)
    assert repr(d) == "fraction(1) - epochs(2) - 10"
    assert repr(lp.epochs(2.5)) == "epochs(2.5)" and repr(-lp.epochs(1)) == "-epochs(1)"
    assert repr(lp.Duration()) == "Duration(steps=0)"
    assert 2 * lp.epochs(1.5) == lp.epochs(3) == lp.epochs(1.5) * 2
    assert 5 + lp.epochs(1) == lp.epochs(1) + 5 == lp.Duration(steps=5, epochs=1)
    assert d.to_config() == {"steps": -10, "epochs": -2, "fraction": 1}
    assert lp.Duration.from_config(d.to_config()) == d
    assert lp.Duration().to_config() == {"steps": 0}
    with pytest.raises(ValueError, match="duration config takes the keys"):
        lp.Duration.from_config({"epoch": 3})
    with pytest.raises(ValueError, match=r"p must be in \[0, inf\)"):
        lp.fraction(-0.1)
    with pytest.raises(TypeError, match="n must be a real number"):
        lp.epochs("3")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lp.epochs(1) + "x"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("duration", "run", "expected"),
    [
        (lp.epochs(3), lp.RunLength(steps_per_epoch=100), 300),
        (lp.epochs(2.5), lp.RunLength(steps_per_epoch=391), 977.5),  # fractional epochs
        (lp.epochs(1), lp.RunLength(batches_per_epoch=10, accumulation=4), 3),  # ceil(10 / 4)
        (lp.epochs(2), lp.RunLength(batches_per_epoch=12, accumulation=4), 6),
        (lp.fraction(0.7), lp.RunLength(total_steps=1000), 700),  # snapped, not 700.0000000000001
        (lp.fraction(0.1), lp.RunLength(epochs=90, steps_per_epoch=5005), 45045),
        (lp.fraction(1) - lp.epochs(5), lp.RunLength(epochs=90, steps_per_epoch=100), 8500),
        (lp.fraction(1 / 3), lp.RunLength(total_steps=100), (1 / 3) * 100),
    ],
)
def test_resolve_golden(duration: lp.Duration, run: lp.RunLength, expected: float) -> None:
    got = duration.resolve(run)
    assert got == expected and type(got) is type(expected)


def test_run_length_validation() -> None:
    with pytest.raises(ValueError, match="not both"):
        lp.RunLength(steps_per_epoch=10, batches_per_epoch=10)
    with pytest.raises(ValueError, match="accumulation=4 applies to batches_per_epoch"):
        lp.RunLength(steps_per_epoch=10, accumulation=4)
    with pytest.raises(ValueError, match="needs steps_per_epoch or batches_per_epoch"):
        lp.RunLength(epochs=3)
    with pytest.raises(ValueError, match="disagrees"):
        lp.RunLength(epochs=3, steps_per_epoch=10, total_steps=31)
    assert lp.RunLength(epochs=3, steps_per_epoch=10, total_steps=30).total_steps == 30
    with pytest.raises(ValueError, match="accumulation must be an integer >= 1"):
        lp.RunLength(batches_per_epoch=3, accumulation=0)
    with pytest.raises(ValueError, match=r"total_steps must be in \(0, inf\)"):
        lp.RunLength(total_steps=0)
    with pytest.raises(ValueError, match="is in epochs: bind with steps_per_epoch"):
        lp.epochs(1).resolve(lp.RunLength(total_steps=10))
    with pytest.raises(ValueError, match="is a fraction of the run: bind with total_steps"):
        lp.fraction(0.5).resolve(lp.RunLength(steps_per_epoch=10))


# --------------------------------------------------------------------------- unbound plans and bind


def test_durations_defer_construction_and_bind_once() -> None:
    plan = lp.warmup(lp.Cosine(steps=lp.fraction(1) - lp.epochs(2), end=0.01), steps=lp.epochs(2))
    assert isinstance(plan, lp.Unbound) and isinstance(plan, lp.Schedule)
    assert repr(plan) == (
        "warmup(schedule=Cosine(steps=fraction(1) - epochs(2), end=0.01), steps=epochs(2))"
    )
    with pytest.raises(ValueError, match="bind it to a run first"):
        plan(0)
    with pytest.raises(ValueError, match="bind it to a run first"):
        plan.values([0, 1])
    bound = plan.bind(epochs=10, batches_per_epoch=100, accumulation=4)
    assert bound == lp.warmup(lp.Cosine(steps=200, end=0.01), steps=50)
    other = plan.bind(lp.RunLength(total_steps=1000, steps_per_epoch=10))
    assert other == lp.warmup(lp.Cosine(steps=980, end=0.01), steps=20)
    assert plan.bind(epochs=10, batches_per_epoch=100, accumulation=4) == bound  # pure


def test_every_combinator_defers() -> None:
    e = lp.epochs(1)
    run = lp.RunLength(steps_per_epoch=10, total_steps=100)
    cases = [
        (lp.Linear(steps=e), lp.Linear(steps=10)),
        (lp.Linear(steps=e) * lp.Constant(value=0.5), lp.Linear(steps=10) * lp.Constant(value=0.5)),
        (0.5 * lp.Linear(steps=e), 0.5 * lp.Linear(steps=10)),
        (lp.Linear(steps=e).floor(0.1), lp.Linear(steps=10).floor(0.1)),
        (
            lp.Constant(value=0.1).then(lp.Cosine(steps=lp.fraction(0.5)), at=e),
            lp.Constant(value=0.1).then(lp.Cosine(steps=50), at=10),
        ),
        (
            lp.MultiStep(milestones=(lp.epochs(3), lp.epochs(6))),
            lp.MultiStep(milestones=(30, 60)),
        ),
        (
            lp.WarmupStableDecay.for_run(total=lp.fraction(1), warmup=e, decay=lp.fraction(0.2)),
            lp.WarmupStableDecay(warmup=10, stable=70, decay=20),
        ),
        (
            lp.Repeat(schedule=lp.Linear(steps=e), times=3),
            lp.Repeat(schedule=lp.Linear(steps=10), times=3),
        ),
        (lp.Shift(schedule=lp.Linear(steps=5), by=e), lp.Shift(schedule=lp.Linear(steps=5), by=10)),
    ]
    for unbound, expected in cases:
        assert isinstance(unbound, lp.Unbound), unbound
        assert unbound.bind(run) == expected
        # configs round-trip as plain JSON, and rebuild the same unbound plan
        cfg = json.loads(json.dumps(unbound.to_config()))
        assert lp.Schedule.from_config(cfg) == unbound
        assert pickle.loads(pickle.dumps(unbound)) == unbound
        assert hash(unbound) == hash(lp.Schedule.from_config(cfg))


def test_hand_written_config_and_spec_with_durations() -> None:
    cfg = {"type": "cosine", "steps": {"epochs": 3}, "end": 0.1}
    plan = lp.Schedule.from_config(cfg)
    assert plan.to_config() == cfg
    assert plan.bind(steps_per_epoch=7) == lp.Cosine(steps=21, end=0.1)
    spec = "warmup(Cosine(steps=epochs(85)), steps=epochs(5), shape='exponential')"
    parsed = parse_spec(spec)
    assert parsed == lp.warmup(
        lp.Cosine(steps=lp.epochs(85)), steps=lp.epochs(5), shape="exponential"
    )
    assert parsed.bind(steps_per_epoch=2)(10) == 1.0
    assert parse_spec("Cosine(steps=fraction(0.5))").bind(total_steps=10) == lp.Cosine(steps=5)
    for name in (
        "epochs",
        "fraction",
        "Shift",
        "TimeScale",
        "Repeat",
        "per_iteration",
        "large_batch",
    ):
        assert name in SPEC_NAMES
    with pytest.raises(SpecError):
        parse_spec("epochs(3)")  # a duration alone is not a schedule


def test_bound_schedule_bind_and_errors() -> None:
    c = lp.Cosine(steps=10)
    assert c.bind(total_steps=100) is c
    assert c.bind() is c
    with pytest.raises(TypeError, match="unknown argument"):
        c.bind(total=100)
    with pytest.raises(TypeError, match="not both"):
        c.bind(lp.RunLength(total_steps=3), total_steps=3)
    plan = lp.Cosine(steps=lp.epochs(2))
    with pytest.raises(ValueError, match="is in epochs"):
        plan.bind(total_steps=100)
    bad = lp.WarmupStableDecay.for_run(total=lp.fraction(1), warmup=lp.epochs(8), decay=20)
    with pytest.raises(ValueError, match=r"binding WarmupStableDecay.*stable must be in"):
        bad.bind(total_steps=50, steps_per_epoch=5)
    with pytest.raises(ValueError, match="call must be a schedule type"):
        lp.Unbound(call="eval", args=())


def test_scheduler_refuses_unbound_plan_clearly() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="bind it to a run first"):
        lp.ScheduledLR(opt, lp.Cosine(steps=lp.epochs(3)))


# ------------------------------------------------------------- Shift, TimeScale, Repeat


def test_shift_golden() -> None:
    inner = lp.Cosine(steps=20, end=0.1)
    s = lp.Shift(schedule=inner, by=5)
    for t in (0, 2.5, 5, 6, 15, 25, 26, 100):
        assert s(t) == inner(max(t - 5, 0))
    back = lp.Shift(schedule=inner, by=-5)
    for t in (0, 1, 15, 16, 100):
        assert back(t) == inner(t + 5)
    assert (s.duration, back.duration) == (25, 15)
    assert lp.Shift(schedule=lp.Linear(steps=4), by=-10).duration == 0
    assert lp.Shift(schedule=lp.InverseSqrt(), by=3).duration is None
    seq = lp.warmup(lp.Cosine(steps=10), steps=4)
    assert lp.Shift(schedule=seq, by=3).boundaries() == [3, 7]
    assert lp.Shift(schedule=seq, by=-5).boundaries() == []
    assert lp.Shift(schedule=seq, by=-3).boundaries() == [1]


def test_time_scale_golden_and_staircase() -> None:
    inner = lp.Step(step_size=30, gamma=0.1)
    s = lp.per_iteration(inner, steps_per_epoch=100)
    assert isinstance(s, lp.TimeScale) and s.factor == 100
    for t in (0, 50, 2999, 3000, 6001):
        assert s(t) == inner(t / 100)
    smooth = lp.per_iteration(lp.Cosine(steps=90), steps_per_epoch=10)
    stair = lp.per_iteration(lp.Cosine(steps=90), steps_per_epoch=10, staircase=True)
    for t in (0, 5, 9, 10, 11, 455, 899, 900, 901):
        assert smooth(t) == lp.Cosine(steps=90)(t / 10)
        assert stair(t) == lp.Cosine(steps=90)(math.floor(t / 10))
    assert smooth.duration == 900 and smooth.boundaries() == []
    stretched = lp.TimeScale(schedule=lp.warmup(lp.Cosine(steps=8), steps=2), factor=0.5)
    assert stretched.boundaries() == [1.0] and stretched.duration == 5.0
    with pytest.raises(ValueError, match=r"factor must be in \(0, inf\)"):
        lp.TimeScale(schedule=inner, factor=0)
    with pytest.raises(TypeError, match="staircase must be a bool"):
        lp.TimeScale(schedule=inner, factor=2, staircase=1)  # type: ignore[arg-type]


def test_staircase_boundaries_list_every_per_step_change() -> None:
    """With ``staircase``, the value moves at ``k * factor`` wherever ``s(k) != s(k-1)``."""
    stair = lp.TimeScale(schedule=lp.Linear(steps=10), factor=100, staircase=True)
    assert stair.boundaries(until=1000) == [100.0 * k for k in range(1, 11)]
    assert stair.boundaries(until=450) == [100.0, 200.0, 300.0, 400.0]
    assert stair.boundaries(until=1e9) == stair.boundaries(until=1000)  # constant after 10
    assert stair.boundaries() == []  # without until: the schedule's own list only
    drops = lp.per_iteration(lp.MultiStep(milestones=(3, 5)), 10, staircase=True)
    assert drops.boundaries(until=100) == drops.boundaries() == [30.0, 50.0]
    # A change between two steps shows at the next step, where the staircase moves.
    late = lp.TimeScale(schedule=lp.MultiStep(milestones=(2.5,)), factor=10, staircase=True)
    assert late.boundaries() == late.boundaries(until=100) == [30.0]
    # Bounded: an endless schedule asked for ten million steps is refused.
    endless = lp.TimeScale(schedule=lp.Exponential(gamma=0.9), factor=1, staircase=True)
    with pytest.raises(ValueError, match="boundaries"):
        endless.boundaries(until=1e7)
    tiny = lp.TimeScale(schedule=lp.Exponential(gamma=0.9), factor=5e-324, staircase=True)
    with pytest.raises(ValueError, match="boundaries"):  # until / factor overflows to inf
        tiny.boundaries(until=1)


@settings(max_examples=40, deadline=None)
@given(
    factor=st.floats(min_value=0.3, max_value=50),
    inner=st.sampled_from(
        [lp.Cosine(steps=7), lp.Step(step_size=2, gamma=0.5), lp.Linear(steps=5, after="restart")]
    ),
    until=st.floats(min_value=0, max_value=400),
)
def test_staircase_boundaries_are_where_it_jumps(
    factor: float, inner: lp.Schedule, until: float
) -> None:
    """Each listed time is the first float with the new value, and no jump is missing."""
    stair = lp.TimeScale(schedule=inner, factor=factor, staircase=True)
    listed = stair.boundaries(until=until)
    for x in listed:
        assert 0 < x <= until
        assert stair(x) != stair(np.nextafter(x, 0.0)), x
    steps = range(1, math.floor(until / factor) + 1)
    changes = [k for k in steps if inner(k) != inner(k - 1) and k * factor <= until]
    assert len(listed) >= len(changes)
    assert len(listed) <= len(changes) + 1  # k * factor may round just past until


def test_per_iteration_staircase_matches_torch_stepped_per_epoch() -> None:
    """Per-iteration stepping of a per-epoch plan reproduces torch stepped once per epoch."""
    spe = 7
    opt_t = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    torch_sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt_t, T_max=6, eta_min=0.05)
    opt_l = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    plan = lp.per_iteration(lp.Cosine(steps=6, end=0.1), steps_per_epoch=spe, staircase=True)
    ours = lp.ScheduledLR(opt_l, plan)
    for _epoch in range(6):
        for _it in range(spe):
            assert close(opt_l.param_groups[0]["lr"], opt_t.param_groups[0]["lr"], rel=1e-12)
            opt_l.step()
            ours.step()
        opt_t.step()
        torch_sched.step()


def test_repeat_golden() -> None:
    inner = lp.warmup(lp.Cosine(steps=8, end=0.2), steps=2)
    r = lp.Repeat(schedule=inner, times=3)
    assert r.cycle == 10 and r.duration == 30
    for t in (0, 1, 5, 9.5, 10, 11, 19, 20, 29, 29.9, 30, 31, 1000):
        expected = inner(t % 10) if t < 30 else inner(10)
        assert r(t) == expected, t
    forever = lp.Repeat(schedule=lp.Linear(steps=4), period=5)
    for t in (0, 4, 4.5, 5, 9, 10, 1e6 + 2):
        assert forever(t) == lp.Linear(steps=4)(t % 5)
    assert forever.duration is None and forever.boundaries() == [5]
    assert r.boundaries() == [2, 10, 12, 20, 22, 30]
    with pytest.raises(ValueError, match="no finite length"):
        lp.Repeat(schedule=lp.InverseSqrt())
    with pytest.raises(ValueError, match="times must be an integer >= 1"):
        lp.Repeat(schedule=inner, times=0)


@pytest.mark.parametrize(
    "s",
    [
        lp.Shift(schedule=lp.Cosine(steps=10), by=3),
        lp.Shift(schedule=lp.Cosine(steps=10), by=-2.5),
        lp.TimeScale(schedule=lp.Linear(steps=3), factor=4.5),
        lp.TimeScale(schedule=lp.Linear(steps=3), factor=4, staircase=True),
        lp.Repeat(schedule=lp.Linear(steps=3), times=2),
        lp.Repeat(schedule=lp.Cosine(steps=3), period=4),
    ],
)
def test_time_combinators_config_repr_pickle_vector(s: lp.Schedule) -> None:
    assert lp.Schedule.from_config(json.loads(json.dumps(s.to_config()))) == s
    assert parse_spec(repr(s)) == s
    assert pickle.loads(pickle.dumps(s)) == s
    ts = np.linspace(0, 50, 203)
    vec = s.values(ts)
    assert all(close(float(v), s(float(t))) for t, v in zip(ts, vec, strict=True))


@PROP
@given(
    k=st.floats(0.01, 1000),
    t=st.floats(0, 1e5),
    steps=st.floats(1, 100),
)
def test_time_scale_property(k: float, t: float, steps: float) -> None:
    inner = lp.Cosine(steps=steps, end=0.1)
    s = lp.TimeScale(schedule=inner, factor=k)
    assert s(t * k) == inner(t * k / k)
    assert close(s(t * k), inner(t), rel=1e-9)


@PROP
@given(by=st.floats(-100, 100), t=st.floats(0, 1e4))
def test_shift_property(by: float, t: float) -> None:
    inner = lp.warmup(lp.Cosine(steps=50), steps=10)
    assert lp.Shift(schedule=inner, by=by)(t) == inner(max(t - by, 0.0))


@PROP
@given(period=st.floats(1, 50), n=st.integers(0, 20), u=st.floats(0, 1, exclude_max=True))
def test_repeat_property(period: float, n: int, u: float) -> None:
    inner = lp.Cosine(steps=period, end=0.3)
    r = lp.Repeat(schedule=inner)
    t = n * period + u * period
    assert close(r(t), inner(math.fmod(t, period)))


@PROP
@given(
    factor=st.integers(1, 20),
    n=st.integers(1, 200),
    staircase=st.booleans(),
)
def test_driver_stepping_equals_closed_form(factor: int, n: int, staircase: bool) -> None:
    plan = lp.Repeat(
        schedule=lp.TimeScale(
            schedule=lp.Cosine(steps=5, end=0.1), factor=factor, staircase=staircase
        ),
        times=2,
    )
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    sched = lp.ScheduledLR(opt, plan)
    for _ in range(n):
        opt.step()
        sched.step()
    assert close(opt.param_groups[0]["lr"], 0.3 * plan(n))


# --------------------------------------------------------------------------- batch size


def test_scale_lr_golden() -> None:
    assert lp.scale_lr(0.1, batch_size=8192) == 0.1 * 32
    assert lp.scale_lr(0.1, batch_size=8192, base_batch_size=256) == 3.2
    assert lp.scale_lr(1e-3, batch_size=64, base_batch_size=16, rule="sqrt") == 2e-3
    assert close(lp.scale_lr(0.5, batch_size=100, base_batch_size=300, rule="sqrt"), 0.5 / 3**0.5)
    with pytest.raises(ValueError, match="rule must be one of"):
        lp.scale_lr(0.1, batch_size=512, rule="cubic")
    with pytest.raises(ValueError, match=r"batch_size must be in \(0, inf\)"):
        lp.scale_lr(0.1, batch_size=0)


def ref_goyal(t: float, k: float, w: float, main: lp.Schedule) -> float:
    if t < w:
        return 1 + (k * main(w) - 1) * t / w
    return k * main(t)


def test_large_batch_goyal_recipe() -> None:
    """ImageNet in 1 hour: k=32, 5 warmup epochs, x0.1 at epochs 30, 60, 80."""
    spe = 5005 // 32 + 1  # 157 iterations per epoch at batch 8192
    main = lp.MultiStep(milestones=(lp.epochs(30), lp.epochs(60), lp.epochs(80)), gamma=0.1)
    plan = lp.large_batch(main, batch_size=8192, base_batch_size=256)
    assert isinstance(plan, lp.Unbound)
    bound = plan.bind(steps_per_epoch=spe)
    main_b = main.bind(steps_per_epoch=spe)
    w = 5 * spe
    for t in [0, 1, w // 2, w - 1, w, w + 1, 30 * spe - 1, 30 * spe, 60 * spe, 80 * spe, 90 * spe]:
        assert close(bound(t), ref_goyal(t, 32, w, main_b)), t
    assert bound(0) == 1.0 and bound(w) == 32.0 and close(bound(30 * spe), 3.2)
    assert lp.Schedule.from_config(plan.to_config()) == plan
    # warmup from the base lr: lr = base * s(t)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = lp.ScheduledLR(opt, bound)
    for _ in range(w):
        opt.step()
        sched.step()
    assert close(opt.param_groups[0]["lr"], 3.2)


def test_large_batch_variants() -> None:
    plain = lp.large_batch(batch_size=1024, warmup=100)
    assert not isinstance(plain, lp.Unbound)
    assert (plain(0), plain(50), plain(100), plain(10**6)) == (1.0, 2.5, 4.0, 4.0)
    sqrt = lp.large_batch(lp.Cosine(steps=1000), batch_size=1024, warmup=100, rule="sqrt")
    assert close(sqrt(100), 2 * lp.Cosine(steps=1000)(100))  # continuous hand-off
    assert close(sqrt(99.999), sqrt(100), rel=1e-4)
    assert lp.large_batch(lp.Cosine(steps=10), batch_size=256, warmup=0) == lp.Cosine(steps=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="rule must be one of"):
            lp.large_batch(batch_size=512, warmup=5, rule="log")


@pytest.mark.parametrize(
    "plan",
    [
        lp.TimeScale(schedule=lp.Cosine(steps=6), factor=3),
        lp.TimeScale(schedule=lp.Step(step_size=2, gamma=0.5), factor=2, staircase=True),
        lp.Shift(schedule=lp.Cosine(steps=12), by=4),
        lp.Shift(schedule=lp.Exponential(gamma=0.9), by=-3),
        lp.Repeat(schedule=lp.Cosine(steps=30), times=2),
    ],
)
def test_time_combinators_chain_with_an_external_change(plan: lp.Schedule) -> None:
    """After ``lr *= 0.5`` the scheduler keeps applying its own ratio (torch's chaining)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = lp.ScheduledLR(opt, plan)
    for _ in range(3):
        opt.step()
        sched.step()
    opt.param_groups[0]["lr"] *= 0.5
    for t in range(4, 24):
        opt.step()
        sched.step()
        assert close(opt.param_groups[0]["lr"], 0.5 * plan(t), rel=1e-9), t


def test_time_maps_keep_only_finite_boundaries() -> None:
    """Restarts listed up to ~1e307 scaled by 5 overflow: no inf boundary comes out."""
    restarts = lp.CosineRestarts(period=1, period_mult=5)
    assert restarts.boundaries()[-1] > 1e306
    for s in (
        lp.TimeScale(schedule=restarts, factor=5),
        lp.Shift(schedule=restarts, by=1e308),
        lp.Repeat(schedule=lp.TimeScale(schedule=restarts, factor=5), period=1e308, times=3),
    ):
        bounds = s.boundaries()
        assert bounds and all(math.isfinite(b) for b in bounds), s


def test_time_maps_saturate_a_clock_past_the_float_range() -> None:
    """factor=5e-324 maps t=1e-9 past the float range: the inner schedule reads the end
    of time (finite values, no NaN from 0 * inf, no fmod error), in s(t) and values()."""
    import warnings

    for s in (
        lp.TimeScale(schedule=lp.Constant(), factor=5e-324),
        lp.TimeScale(schedule=lp.Repeat(schedule=lp.Linear(steps=10, end=0.1)), factor=5e-324),
        lp.Shift(schedule=lp.Constant(value=0.5), by=-1.7e308),
    ):
        ts = [0.0, 1e-9, 1.0, 1e9]
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy's overflow warning would surface here
            vec = s.values(ts)
        for t, v in zip(ts, vec, strict=True):
            assert math.isfinite(s(t)) and s(t) >= 0, (s, t)
            assert v == s(t), (s, t)
