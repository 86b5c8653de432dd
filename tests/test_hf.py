"""lrplan.get_scheduler / hf_schedule against transformers.get_scheduler, the oracle.

Every HF name is run side by side with transformers' own scheduler on twin
optimizers, with random warmup/total/kwargs (hypothesis), through and past
``num_training_steps``; the lr of every param group must agree at every step.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import lrplan as lp

transformers = pytest.importorskip("transformers")
from transformers import get_scheduler as hf_get_scheduler  # noqa: E402

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: The closed-form names (all but the two metric-driven ones).
NAMES_WITH_SCHEDULES = [
    n for n in lp.HF_SCHEDULER_NAMES if n not in ("reduce_lr_on_plateau", "greedy")
]


def _twin(lrs: tuple[float, ...], default_lr: float) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=default_lr)


def _lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def _close(a: list[float], b: list[float]) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-15) for x, y in zip(a, b, strict=True))


def _run_both(
    name: str,
    w: int | None,
    n: int | None,
    kw: dict[str, Any],
    extra: int = 25,
    lrs: tuple[float, ...] = (0.1, 0.02),
) -> tuple[list[list[float]], list[list[float]]]:
    o_hf, o_lp = _twin(lrs, lrs[0]), _twin(lrs, lrs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = hf_get_scheduler(name, o_hf, w, n, dict(kw))
        mine = lp.get_scheduler(name, o_lp, w, n, dict(kw))
    total = (n or 0) + (w or 0) + extra
    a, b = [_lrs(o_hf)], [_lrs(o_lp)]
    for _ in range(total):
        o_hf.step()
        o_lp.step()
        ref.step()
        mine.step()
        a.append(_lrs(o_hf))
        b.append(_lrs(o_lp))
    return a, b


def _assert_same(name: str, a: list[list[float]], b: list[list[float]], info: Any) -> None:
    for s, (x, y) in enumerate(zip(a, b, strict=True)):
        assert _close(x, y), f"{name} {info}: step {s}: transformers {x}, lrplan {y}"


# --------------------------------------------------------------------------- differential


warm = st.integers(min_value=0, max_value=30)
total = st.integers(min_value=0, max_value=80)
cycles = st.sampled_from([0.5, 0.25, 1.0, 1.5, 2.0, 3.0, 0.0])


@SETTINGS
@given(w=warm, n=total)
@pytest.mark.parametrize("name", ["linear", "constant_with_warmup"])
def test_linear_and_constant_with_warmup_match_transformers(name: str, w: int, n: int) -> None:
    a, b = _run_both(name, w, n, {})
    _assert_same(name, a, b, (w, n))


def test_constant_matches_transformers() -> None:
    a, b = _run_both("constant", None, None, {}, extra=10)
    _assert_same("constant", a, b, ())


@SETTINGS
@given(w=warm, n=total, c=cycles)
def test_cosine_matches_transformers_including_past_the_end(w: int, n: int, c: float) -> None:
    a, b = _run_both("cosine", w, n, {"num_cycles": c}, extra=max(40, n))
    _assert_same("cosine", a, b, (w, n, c))


@SETTINGS
@given(w=warm, n=total, c=st.integers(min_value=0, max_value=60))
def test_cosine_with_restarts_matches_transformers(w: int, n: int, c: int) -> None:
    a, b = _run_both("cosine_with_restarts", w, n, {"num_cycles": c})
    _assert_same("cosine_with_restarts", a, b, (w, n, c))


@SETTINGS
@given(w=warm, n=st.integers(min_value=1, max_value=120), c=st.integers(min_value=0, max_value=9))
def test_cosine_with_restarts_lists_the_restarts_transformers_makes(w: int, n: int, c: int) -> None:
    """Each step where transformers' lr jumps back up has a listed restart just before it
    (in ``(step - 1, step]``), and each listed restart before the last step is such a
    jump. (Cycles of 2 steps or more: one restart per step at most.)"""
    assume(n - w >= 2 * c)
    from transformers import get_cosine_with_hard_restarts_schedule_with_warmup as hf_restarts

    ref = hf_restarts(_twin((1.0,), 1.0), w, n, num_cycles=c).lr_lambdas[0]
    s = lp.hf_schedule(
        "cosine_with_restarts", num_warmup_steps=w, num_training_steps=n, num_cycles=c
    )
    listed = s.boundaries(until=max(n, w) + 10)
    jumps = {t for t in range(w + 1, n) if ref(t) > ref(t - 1)}
    restarts = [b for b in listed if b not in (float(w), float(n)) and b <= n - 1]
    assert {math.ceil(b) for b in restarts} == jumps, (listed, sorted(jumps))
    assert s.boundaries() == listed


def test_cosine_with_restarts_boundaries_golden() -> None:
    s = lp.load("cosine_with_restarts(num_warmup_steps=10, num_training_steps=100, num_cycles=3)")
    assert s.boundaries(until=100) == [10.0, 40.0, 70.0, 100.0]
    assert s.boundaries(until=55) == [10.0, 40.0]
    assert [s(t) for t in (40, 70)] == [1.0, 1.0] and s(39) < 0.01 and s(69) < 0.01
    # 13 cycles in 92 steps: k * 92 / 13 often rounds a float before or after the time
    # the formula restarts at. Each listed time is the first with the new cycle, as the
    # formula computes it (one float earlier is still the old cycle).
    dense = lp.hf_schedule(
        "cosine_with_restarts", num_warmup_steps=0, num_training_steps=92, num_cycles=13
    )
    listed = dense.boundaries()
    assert len(listed) == 13 and listed[-1] == 92.0
    for b in listed[:-1]:
        assert dense(b) > 0.999 and dense(math.nextafter(b, 0.0)) < 1e-3, b
    many = lp.hf_schedule(
        "cosine_with_restarts", num_warmup_steps=0, num_training_steps=10, num_cycles=1e12
    )
    with pytest.raises(ValueError, match="boundaries"):
        many.boundaries(until=10)
    assert len(many.boundaries()) == 501  # the first 500 restarts and the end


@SETTINGS
@given(
    w=warm,
    n=total,
    lr_end=st.sampled_from([1e-7, 1e-3, 0.0, 0.05]),
    power=st.sampled_from([0.5, 1.0, 2.0, 3.0, 1.7]),
)
def test_polynomial_matches_transformers(w: int, n: int, lr_end: float, power: float) -> None:
    if n == w:
        return  # transformers divides by N - W = 0 at step W (see test below)
    kw = {"lr_end": lr_end, "power": power}
    a, b = _run_both("polynomial", w, n, kw)
    _assert_same("polynomial", a, b, (w, n, kw))


@SETTINGS
@given(w=warm, timescale=st.one_of(st.none(), st.integers(min_value=1, max_value=100)))
def test_inverse_sqrt_matches_transformers(w: int, timescale: int | None) -> None:
    kw = {} if timescale is None else {"timescale": timescale}
    a, b = _run_both("inverse_sqrt", w, None, kw, extra=60)
    _assert_same("inverse_sqrt", a, b, (w, kw))


min_lr_kwargs = st.one_of(
    st.builds(lambda r: {"min_lr_rate": r}, st.floats(min_value=0.0, max_value=1.0)),
    st.builds(lambda m: {"min_lr": m}, st.floats(min_value=0.0, max_value=0.1)),
)


@SETTINGS
@given(w=warm, n=total, c=cycles, kw=min_lr_kwargs)
def test_cosine_with_min_lr_matches_transformers(
    w: int, n: int, c: float, kw: dict[str, float]
) -> None:
    kw = {**kw, "num_cycles": c}
    a, b = _run_both("cosine_with_min_lr", w, n, kw, extra=max(40, n))
    _assert_same("cosine_with_min_lr", a, b, (w, n, kw))


@SETTINGS
@given(
    w=warm,
    n=total,
    c=cycles,
    kw=min_lr_kwargs,
    wr=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
)
def test_cosine_warmup_with_min_lr_matches_transformers(
    w: int, n: int, c: float, kw: dict[str, float], wr: float | None
) -> None:
    kw = {**kw, "num_cycles": c}
    if wr is not None:
        kw["warmup_lr_rate"] = wr
    a, b = _run_both("cosine_warmup_with_min_lr", w, n, kw, extra=max(40, n))
    _assert_same("cosine_warmup_with_min_lr", a, b, (w, n, kw))


@SETTINGS
@given(
    w=warm,
    d=st.integers(min_value=0, max_value=30),
    s=st.integers(min_value=0, max_value=30),
    wt=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    dt=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    m=st.sampled_from([0.0, 0.1, 0.5, 0.9]),
    c=st.sampled_from([0.5, 0.25, 1.0]),
    stable_given=st.booleans(),
)
def test_warmup_stable_decay_matches_transformers(
    w: int, d: int, s: int, wt: str, dt: str, m: float, c: float, stable_given: bool
) -> None:
    kw: dict[str, Any] = {
        "num_decay_steps": d,
        "warmup_type": wt,
        "decay_type": dt,
        "min_lr_ratio": m,
        "num_cycles": c,
    }
    if stable_given:
        kw["num_stable_steps"] = s
        n = None
    else:
        n = w + s + d
    a, b = _run_both("warmup_stable_decay", w, n, kw, extra=w + s + d + 10)
    _assert_same("warmup_stable_decay", a, b, (w, n, kw))


@pytest.mark.parametrize("name", NAMES_WITH_SCHEDULES)
def test_enum_names_and_tensor_lrs(name: str) -> None:
    """transformers' SchedulerType works as the name, and tensor lrs stay tensors."""
    from transformers.trainer_utils import SchedulerType

    kw: dict[str, Any] = {
        "cosine_with_min_lr": {"min_lr_rate": 0.1},
        "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1},
        "warmup_stable_decay": {"num_decay_steps": 5},
    }.get(name, {})
    params = [torch.nn.Parameter(torch.zeros(2))]
    o_hf = torch.optim.SGD(params, lr=0.1)
    lr_t = torch.tensor(0.1, dtype=torch.float64)
    o_lp = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr_t, foreach=False)
    ref = hf_get_scheduler(name, o_hf, 4, 20, dict(kw))
    mine = lp.get_scheduler(SchedulerType(name), o_lp, 4, 20, dict(kw))
    for _ in range(30):
        o_hf.step()
        o_lp.step()
        ref.step()
        mine.step()
        assert o_lp.param_groups[0]["lr"] is lr_t
        assert _close(_lrs(o_hf), _lrs(o_lp))


def test_non_chainable_like_lambdalr() -> None:
    """An external change is overwritten at the next step, as transformers' LambdaLR does."""
    o_hf, o_lp = _twin((0.1,), 0.1), _twin((0.1,), 0.1)
    ref = hf_get_scheduler("linear", o_hf, 3, 20)
    mine = lp.get_scheduler("linear", o_lp, 3, 20)
    for s in range(25):
        if s == 7:
            for o in (o_hf, o_lp):
                o.param_groups[0]["lr"] *= 0.5
        o_hf.step()
        o_lp.step()
        ref.step()
        mine.step()
        assert _close(_lrs(o_hf), _lrs(o_lp)), s


def test_schedulers_are_lrplan_and_torch_schedulers() -> None:
    opt = _twin((0.1,), 0.1)
    sched = lp.get_scheduler("cosine", opt, 2, 10)
    plateau = lp.get_scheduler("reduce_lr_on_plateau", _twin((0.1,), 0.1))
    for s in (sched, plateau):
        assert isinstance(s, lp.LRScheduler)
        assert isinstance(s, torch.optim.lr_scheduler.LRScheduler)
    assert isinstance(plateau, lp.ReduceLROnPlateau)
    assert isinstance(plateau, torch.optim.lr_scheduler.ReduceLROnPlateau)


# --------------------------------------------------------------------------- reduce on plateau


def test_reduce_lr_on_plateau_matches_transformers() -> None:
    kw = {"mode": "min", "factor": 0.5, "patience": 1, "min_lr": 1e-4}
    o_hf, o_lp = _twin((0.1, 0.05), 0.1), _twin((0.1, 0.05), 0.1)
    ref = hf_get_scheduler("reduce_lr_on_plateau", o_hf, scheduler_specific_kwargs=kw)
    mine = lp.get_scheduler("reduce_lr_on_plateau", o_lp, scheduler_specific_kwargs=kw)
    rng = np.random.default_rng(0)
    head = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.9, 0.9, 0.9, 0.9]
    metrics = [*head, *rng.uniform(0.5, 1.0, 30)]
    for m in metrics:
        ref.step(float(m))
        mine.step(float(m))
        assert _close(_lrs(o_hf), _lrs(o_lp))
    assert _lrs(o_lp) != [0.1, 0.05]  # it did reduce


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "w", "n", "match"),
    [
        ("linear", None, 10, "linear requires `num_warmup_steps`"),
        ("cosine", 3, None, "cosine requires `num_training_steps`"),
        ("constant_with_warmup", None, None, "requires `num_warmup_steps`"),
        ("inverse_sqrt", None, None, "requires `num_warmup_steps`"),
        ("polynomial", 2, None, "requires `num_training_steps`"),
        ("cosine_with_restarts", 2, None, "requires `num_training_steps`"),
    ],
)
def test_missing_step_counts_raise_like_transformers(
    name: str, w: int | None, n: int | None, match: str
) -> None:
    kw: dict[str, Any] = {}
    with pytest.raises(ValueError, match="requires `num_"):
        hf_get_scheduler(name, _twin((0.1,), 0.1), w, n, kw)
    with pytest.raises(ValueError, match=match):
        lp.get_scheduler(name, _twin((0.1,), 0.1), w, n, kw)


@pytest.mark.parametrize(
    ("name", "kw", "n", "exc", "match"),
    [
        ("bogus", {}, 10, ValueError, "not a valid SchedulerType"),
        ("cosine_with_min_lr", {}, 10, ValueError, "one of min_lr or min_lr_rate"),
        (
            "cosine_with_min_lr",
            {"min_lr": 0.1, "min_lr_rate": 0.1},
            10,
            ValueError,
            "Only one of min_lr",
        ),
        ("cosine_warmup_with_min_lr", {}, 10, ValueError, "one of min_lr or min_lr_rate"),
        ("polynomial", {"lr_end": 0.5}, 10, ValueError, "must be smaller than initial lr"),
        ("warmup_stable_decay", {"num_decay_steps": 2}, None, ValueError, "Either num_training"),
        (
            "warmup_stable_decay",
            {"num_decay_steps": 2, "warmup_type": "exp"},
            10,
            ValueError,
            "Unknown warmup type",
        ),
        (
            "warmup_stable_decay",
            {"num_decay_steps": 2, "decay_type": "exp"},
            10,
            ValueError,
            "Unknown decay type",
        ),
        ("warmup_stable_decay", {}, 10, TypeError, "num_decay_steps"),
        ("cosine", {"cycles": 2}, 10, TypeError, "cycles"),
    ],
)
def test_bad_arguments_raise_like_transformers(
    name: str, kw: dict[str, Any], n: int | None, exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc):
        hf_get_scheduler(name, _twin((0.1,), 0.1), 2, n, dict(kw))
    with pytest.raises(exc, match=match):
        lp.get_scheduler(name, _twin((0.1,), 0.1), 2, n, dict(kw))


def test_wsd_both_totals_warns_like_transformers() -> None:
    kw = {"num_decay_steps": 2, "num_stable_steps": 3}
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        hf_get_scheduler("warmup_stable_decay", _twin((0.1,), 0.1), 2, 50, dict(kw))
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        s = lp.get_scheduler("warmup_stable_decay", _twin((0.1,), 0.1), 2, 50, dict(kw))
    assert s.schedules[0](4) == 1.0  # warmup 2 + stable 3: stable until step 5
    assert s.schedules[0](2 + 3 + 2) == 0.0


def test_lrplan_is_stricter_where_transformers_fails_late() -> None:
    """Cases where transformers crashes mid-run or writes a negative lr raise at once."""
    opt = _twin((0.1,), 0.1)
    # transformers: ZeroDivisionError at step W when N == W.
    ref = hf_get_scheduler("polynomial", _twin((0.1,), 0.1), 3, 3)
    with pytest.raises(ZeroDivisionError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            ref.step()
    s = lp.get_scheduler("polynomial", opt, 3, 3)  # lrplan: lr_end from step W on
    s.set_step(3)
    assert math.isclose(s.get_last_lr()[0], 1e-7)
    # negative stable phase (N < W + D): transformers silently misbehaves.
    with pytest.raises(ValueError, match="stable phase would be negative"):
        lp.get_scheduler(
            "warmup_stable_decay", opt, 5, 6, scheduler_specific_kwargs={"num_decay_steps": 3}
        )
    with pytest.raises(ValueError, match="min_lr_rate"):
        lp.get_scheduler("cosine_with_min_lr", opt, 1, 5, {"min_lr_rate": -0.5})
    with pytest.raises(TypeError, match="unexpected scheduler_specific_kwargs"):
        lp.get_scheduler("constant", opt, scheduler_specific_kwargs={"num_cycles": 1})
    with pytest.raises(TypeError, match="num_warmup_steps must be an integer"):
        lp.get_scheduler("linear", opt, 2.5, 10)
    with pytest.raises(TypeError, match="not an Optimizer"):
        lp.get_scheduler("linear", object(), 2, 10)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schedules as values


@pytest.mark.parametrize("name", NAMES_WITH_SCHEDULES)
def test_hf_schedule_is_the_scheduler_schedule_and_round_trips(name: str) -> None:
    kw: dict[str, Any] = {
        "polynomial": {"lr_end": 1e-4, "power": 2.0},
        "cosine_with_min_lr": {"min_lr": 0.01},
        "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2},
        "warmup_stable_decay": {"num_decay_steps": 6, "decay_type": "1-sqrt"},
        "cosine_with_restarts": {"num_cycles": 3},
    }.get(name, {})
    w, n = (None, None) if name == "constant" else (5, 30)
    plan = lp.hf_schedule(name, num_warmup_steps=w, num_training_steps=n, base_lr=0.1, **kw)
    opt = _twin((0.1, 0.3), 0.1)
    sched = lp.get_scheduler(name, opt, w, n, kw)
    assert sched.schedules[0] == plan
    ts = np.arange(0, 60)
    vec = plan.values(ts)
    assert np.allclose(vec, [plan(int(t)) for t in ts], rtol=1e-12, atol=0)
    for t in ts:
        assert math.isclose(sched.get_last_lr()[1], 0.3 * plan(int(t)), rel_tol=1e-12)
        opt.step()
        sched.step()
    assert lp.Schedule.from_config(plan.to_config()) == plan


def test_hf_schedule_needs_base_lr_only_for_lr_units() -> None:
    with pytest.raises(ValueError, match="base_lr"):
        lp.hf_schedule("polynomial", num_warmup_steps=1, num_training_steps=5)
    with pytest.raises(ValueError, match="base_lr"):
        lp.hf_schedule("cosine_with_min_lr", num_warmup_steps=1, num_training_steps=5, min_lr=0.1)
    s = lp.hf_schedule(
        "cosine_with_min_lr", num_warmup_steps=1, num_training_steps=5, min_lr_rate=0.1
    )
    assert math.isclose(s(5), 0.1)
    for metric_driven in ("reduce_lr_on_plateau", "greedy"):
        with pytest.raises(ValueError, match="metric"):
            lp.hf_schedule(metric_driven)


def test_golden_values() -> None:
    """A few values by hand, independent of transformers."""
    lin = lp.hf_schedule("linear", num_warmup_steps=4, num_training_steps=12)
    assert [lin(t) for t in (0, 2, 4, 8, 12, 20)] == [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    cos = lp.hf_schedule("cosine", num_warmup_steps=0, num_training_steps=10)
    assert [round(cos(t), 12) for t in (0, 5, 10, 15, 20)] == [1.0, 0.5, 0.0, 0.5, 1.0]
    inv = lp.hf_schedule("inverse_sqrt", num_warmup_steps=4)
    assert [inv(t) for t in (2, 4, 16, 40)] == [0.5, 1.0, 0.5, 1 / math.sqrt(10)]
    wsd = lp.hf_schedule(
        "warmup_stable_decay",
        num_warmup_steps=2,
        num_training_steps=10,
        num_decay_steps=4,
        min_lr_ratio=0.2,
        decay_type="linear",
    )
    assert [round(wsd(t), 12) for t in (0, 1, 2, 5, 6, 8, 10, 50)] == [
        0.2, 0.6, 1.0, 1.0, 1.0, 0.6, 0.2, 0.2,
    ]  # fmt: skip


def test_state_round_trip_resumes_bit_exactly(weights_only_roundtrip: Any) -> None:
    kw = {"num_decay_steps": 10, "decay_type": "1-sqrt", "min_lr_ratio": 0.1}
    opt = _twin((0.1, 0.01), 0.1)
    s = lp.get_scheduler("warmup_stable_decay", opt, 5, 40, kw)
    for _ in range(17):
        opt.step()
        s.step()
    state = weights_only_roundtrip(s.state_dict())
    opt2 = _twin((0.1, 0.01), 0.1)
    s2 = lp.get_scheduler("warmup_stable_decay", opt2, 5, 40, kw)
    s2.load_state_dict(state)
    for _ in range(30):
        opt.step()
        s.step()
        opt2.step()
        s2.step()
        assert _lrs(opt) == _lrs(opt2)


# ------------------------------------------------------------------------ hf_schedule arguments


def test_hf_schedule_takes_get_schedulers_arguments() -> None:
    """hf_schedule and get_scheduler take the same arguments: the extra ones as a dict,
    as keywords, or both; a key given twice is refused."""
    by_dict = lp.hf_schedule(
        "cosine_with_min_lr",
        num_warmup_steps=2,
        num_training_steps=20,
        scheduler_specific_kwargs={"min_lr_rate": 0.1, "num_cycles": 0.5},
    )
    by_keyword = lp.hf_schedule(
        "cosine_with_min_lr", num_warmup_steps=2, num_training_steps=20, min_lr_rate=0.1
    )
    mixed = lp.hf_schedule(
        "cosine_with_min_lr",
        num_warmup_steps=2,
        num_training_steps=20,
        scheduler_specific_kwargs={"num_cycles": 0.5},
        min_lr_rate=0.1,
    )
    assert by_dict == by_keyword == mixed
    sched = lp.get_scheduler(
        "cosine_with_min_lr", _twin((0.1,), 0.1), 2, 20, {"min_lr_rate": 0.1, "num_cycles": 0.5}
    )
    assert sched.schedules[0] == by_dict
    with pytest.raises(TypeError, match=r"\['min_lr_rate'\] given both"):
        lp.hf_schedule(
            "cosine_with_min_lr",
            num_warmup_steps=2,
            num_training_steps=20,
            scheduler_specific_kwargs={"min_lr_rate": 0.1},
            min_lr_rate=0.2,
        )
    with pytest.raises(TypeError, match="scheduler_specific_kwargs must be a mapping"):
        lp.hf_schedule("linear", num_warmup_steps=2, num_training_steps=20,
                       scheduler_specific_kwargs=[("a", 1)])  # type: ignore[arg-type]  # fmt: skip
    assert lp.hf_schedule(lp.SchedulerType.LINEAR, num_warmup_steps=2, num_training_steps=9) == (
        lp.hf_schedule("linear", num_warmup_steps=2, num_training_steps=9)
    )


def test_missing_min_lr_names_this_apis_argument() -> None:
    """transformers' message points at the Trainer's ``lr_scheduler_kwargs``; lrplan's at
    the argument its own callers have."""
    for name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        with pytest.raises(ValueError, match="lr_scheduler_kwargs"):
            hf_get_scheduler(name, _twin((0.1,), 0.1), 2, 10)
        with pytest.raises(ValueError) as err:
            lp.get_scheduler(name, _twin((0.1,), 0.1), 2, 10)
        assert "scheduler_specific_kwargs" in str(err.value)
        assert "lr_scheduler_kwargs" not in str(err.value)


# --------------------------------------------------------------------------- the run's end

#: Names whose values keep moving after num_training_steps (transformers never clamps).
MOVING = {"cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "inverse_sqrt"}


@SETTINGS
@given(
    w=st.integers(min_value=0, max_value=30),
    n=st.integers(min_value=1, max_value=120),
    c=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
)
@pytest.mark.parametrize("name", NAMES_WITH_SCHEDULES)
def test_every_schedule_reports_its_run(name: str, w: int, n: int, c: float) -> None:
    """boundaries() hold the warmup end and num_training_steps; duration is the time after
    which the values are constant (at least N), or None where they keep moving."""
    kw: dict[str, Any] = {
        "cosine": {"num_cycles": c},
        "cosine_with_restarts": {"num_cycles": int(c) or 1},
        "cosine_with_min_lr": {"min_lr_rate": 0.1, "num_cycles": c},
        "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1, "num_cycles": c},
        "warmup_stable_decay": {"num_decay_steps": min(n, 7)},
    }.get(name, {})
    if name == "warmup_stable_decay" and w + min(n, 7) > n:
        w = n - min(n, 7)
    s = lp.hf_schedule(name, num_warmup_steps=w, num_training_steps=n, base_lr=0.1, **kw)
    bounds = s.boundaries()
    assert float(n) in bounds
    if w > 0 and name != "constant":
        assert float(w) in bounds
    assert bounds == sorted(set(bounds))
    # Fractional times too: a cosine whose period is a whole number of steps looks
    # constant at whole steps.
    after = np.arange(0, 4 * n + 50, 0.37) + max(n, w + 1)
    if name in MOVING:
        assert s.duration is None
        assert np.ptp(s.values(after)) > 0  # it does keep moving
    else:
        assert s.duration is not None and s.duration >= n
        tail = s.values(np.arange(0, 4 * n + 50, 0.37) + s.duration)
        assert np.all(tail == tail[0])
        if s.duration > n:  # only a run shorter than the warmup ends later
            assert s(s.duration - 1) != tail[0]
    upto = s.boundaries(until=n)  # with until, a periodic cosine lists each restart too
    assert {b for b in bounds if b <= n} <= set(upto) and max(upto) == n
    assert lp.Schedule.from_config(s.to_config()) == s


def test_the_plotted_run_of_cosine_with_min_lr() -> None:
    """The case from issue 13: the schedule reports its 100k-step run."""
    s = lp.hf_schedule(
        "cosine_with_min_lr", num_warmup_steps=2000, num_training_steps=100000, min_lr_rate=0.1
    )
    assert s.boundaries() == [2000.0, 100000.0]
    assert s.duration is None  # transformers' cosine never clamps: it climbs after 100k
    assert math.isclose(s(100000), 0.1) and s(120000) > 0.1
    wsd = lp.hf_schedule(
        "warmup_stable_decay", num_warmup_steps=100, num_training_steps=1000, num_decay_steps=200
    )
    assert wsd.boundaries() == [100.0, 800.0, 1000.0] and wsd.duration == 1000
    # Without num_training_steps, no run is reported: the schedule's own end only.
    only_stable = lp.hf_schedule(
        "warmup_stable_decay", num_warmup_steps=100, num_stable_steps=700, num_decay_steps=200
    )
    assert only_stable.boundaries() == [100.0, 800.0, 1000.0] and only_stable.duration == 1000
    assert lp.hf_schedule("inverse_sqrt", num_warmup_steps=10).boundaries() == [10.0]


# --------------------------------------------------------------------------- greedy

greedy_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["min", "max"]),
        "factor": st.sampled_from([0.5, 0.9, 0.95, 0.3]),
        "patience": st.integers(min_value=0, max_value=4),
        "threshold": st.sampled_from([0.0, 1e-6, 1e-3, 0.05]),
        "threshold_mode": st.sampled_from(["abs", "rel"]),
        "cooldown": st.integers(min_value=0, max_value=3),
        "warmup": st.integers(min_value=0, max_value=3),
        "min_lr": st.sampled_from([1e-3, 0.01, 0.05, [0.02, 1e-3]]),
        "max_lr": st.sampled_from([1.0, 0.2, [0.3, 0.5]]),
        "eps": st.sampled_from([1e-8, 0.0, 1e-3]),
        "smooth": st.booleans(),
        "window_size": st.integers(min_value=1, max_value=6),
        "reset_start": st.integers(min_value=0, max_value=5),
    },
)
#: Metric sequences with improving runs, plateaus and noise.
metric_runs = st.lists(
    st.one_of(
        st.floats(min_value=0.0, max_value=2.0, allow_nan=False),
        st.sampled_from([0.5, 1.0]),
    ),
    min_size=1,
    max_size=120,
)


def _greedy_state(s: Any) -> dict[str, Any]:
    """A GreedyLR state without lrplan's own part, lrs as floats."""
    st_ = {k: v for k, v in s.state_dict().items() if k != "lrplan"}
    return {
        k: ([float(x) for x in v] if k in ("_last_lr", "_init_lrs") else v) for k, v in st_.items()
    }


@SETTINGS
@given(kw=greedy_kwargs, metrics=metric_runs, ramp=st.booleans())
def test_greedy_matches_transformers(kw: dict[str, Any], metrics: list[float], ramp: bool) -> None:
    """Same lrs and same state as transformers' GreedyLR after every metric, resets
    included (a steadily improving or worsening ramp drives the lr to its bounds)."""
    if ramp:
        metrics = [*metrics, *[1.0 - i / 200 for i in range(60)], *[float(i) for i in range(60)]]
    o_hf, o_lp = _twin((0.1, 0.02), 0.1), _twin((0.1, 0.02), 0.1)
    ref = hf_get_scheduler("greedy", o_hf, scheduler_specific_kwargs=dict(kw))
    mine = lp.get_scheduler("greedy", o_lp, scheduler_specific_kwargs=dict(kw))
    assert isinstance(mine, lp.GreedyLR)
    for i, m in enumerate(metrics):
        ref.step(m)
        mine.step(m)
        assert _lrs(o_hf) == _lrs(o_lp), (i, kw)
        assert ref.get_last_lr() == mine.get_last_lr()
    assert _greedy_state(ref) == _greedy_state(mine)


def test_greedy_reaches_both_bounds_and_resets() -> None:
    """Golden run, by hand: factor 0.5, patience 0, bounds [0.025, 0.2], reset_start 2."""
    opt = _twin((0.1,), 0.1)
    s = lp.GreedyLR(opt, factor=0.5, patience=0, min_lr=0.025, max_lr=0.2, reset_start=2)
    seen = []
    for m in [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]:
        s.step(m)
        seen.append(s.get_last_lr()[0])
    # better: 0.2, better: 0.4 capped at 0.2 (twice), then bad epochs: 0.1, 0.05,
    # 0.025 (at min: 1 of 2), 0.025 again (at min: 2 of 2 -> reset to 0.1, best
    # forgotten), then 0.8 beats the forgotten best: 0.2.
    assert seen == [0.2, 0.2, 0.2, 0.1, 0.05, 0.025, 0.1, 0.2]
    assert s.last_epoch == 8 and s.reset_start == 2 and s.best == 0.8


def test_greedy_states_cross_load_with_transformers(weights_only_roundtrip: Any) -> None:
    """A GreedyLR checkpoint moves between the two libraries and resumes identically."""
    from transformers.optimization import GreedyLR as HFGreedyLR

    kw: dict[str, Any] = {
        "factor": 0.7,
        "patience": 1,
        "smooth": True,
        "window_size": 3,
        "cooldown": 1,
    }
    rng = np.random.default_rng(3)
    head = [float(x) for x in rng.uniform(0.0, 1.0, 25)]
    tail = [float(x) for x in rng.uniform(0.0, 1.0, 40)]
    for save_with, load_with in ((HFGreedyLR, lp.GreedyLR), (lp.GreedyLR, HFGreedyLR)):
        o_a = _twin((0.1, 0.05), 0.1)
        a = save_with(o_a, **kw)
        for m in head:
            a.step(m)
        state = weights_only_roundtrip(a.state_dict())
        o_b = _twin((0.3, 0.3), 0.3)  # different lrs: the state restores them
        b = load_with(o_b, **kw)
        b.load_state_dict(state)
        assert _lrs(o_b) == _lrs(o_a)
        for m in tail:
            a.step(m)
            b.step(m)
            assert _lrs(o_a) == _lrs(o_b)


@pytest.mark.parametrize(
    ("kw", "exc", "match"),
    [
        ({"factor": 1.0}, ValueError, "Factor should be < 1.0"),
        ({"factor": 0.0}, ValueError, r"factor must be in \(0, 1\)"),
        ({"mode": "lowest"}, ValueError, "mode must be 'min' or 'max'"),
        ({"threshold_mode": "pct"}, ValueError, "threshold_mode must be 'rel' or 'abs'"),
        ({"patience": -1}, ValueError, "patience must be an int >= 0"),
        ({"patience": 1.5}, TypeError, "patience must be an int"),
        ({"window_size": 0}, ValueError, "window_size must be an int >= 1"),
        ({"min_lr": -0.1}, ValueError, "min_lr"),
        ({"min_lr": [0.1]}, ValueError, "expected 2 min_lrs"),
        ({"min_lr": 0.5, "max_lr": 0.1}, ValueError, "min_lr must be <= max_lr"),
        ({"smooth": "yes"}, TypeError, "smooth must be a bool"),
    ],
)
def test_greedy_refuses_bad_arguments(kw: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        lp.GreedyLR(_twin((0.1, 0.1), 0.1), **kw)


def test_greedy_factor_zero_fails_late_in_transformers() -> None:
    """transformers accepts factor=0 and divides by it at the first increase."""
    from transformers.optimization import GreedyLR as HFGreedyLR

    ref = HFGreedyLR(_twin((0.1,), 0.1), factor=0.0, patience=0)
    with pytest.raises(ZeroDivisionError):
        ref.step(1.0)


def test_greedy_is_metric_driven_and_has_no_closed_form() -> None:
    s = lp.get_greedy_schedule(_twin((0.1,), 0.1))
    assert s.metric_driven and isinstance(s, torch.optim.lr_scheduler.LRScheduler)
    assert s.get_last_lr() == [0.1]  # construction writes nothing
    with pytest.raises(TypeError, match="metric-driven"):
        s.set_step(3)
    with pytest.raises(NotImplementedError):
        s.get_lr()


def test_the_repr_of_a_transformers_schedule_is_a_spec_that_rebuilds_it() -> None:
    """``lrplan show`` prints the repr; pasted back as a spec it gives the same schedule."""
    calls = [
        ("linear", {}),
        ("cosine", {"num_cycles": 0.25}),
        ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
        ("cosine_warmup_with_min_lr", {"min_lr_rate": 0.05}),
        ("cosine_with_restarts", {"num_cycles": 3}),
        ("polynomial", {"lr_end": 1e-4, "power": 2.0, "base_lr": 0.1}),
        ("warmup_stable_decay", {"num_decay_steps": 30, "decay_type": "1-sqrt"}),
    ]
    for name, kw in calls:
        s = lp.hf_schedule(name, num_warmup_steps=10, num_training_steps=100, **kw)
        assert repr(s).startswith(f"{name}(num_warmup_steps=10, num_training_steps=100")
        assert lp.load(repr(s)) == s, name


def test_the_repr_parses_back_with_numpy_arguments() -> None:
    """numpy numbers are written as plain Python numbers, which a spec can parse."""
    s = lp.hf_schedule(
        "cosine_with_min_lr",
        num_warmup_steps=np.int64(2),
        num_training_steps=np.int32(10),
        min_lr_rate=np.float32(0.1),
        base_lr=np.float64(0.5),
    )
    assert "np." not in repr(s)
    assert lp.load(repr(s)) == s
    wsd = lp.hf_schedule(
        "warmup_stable_decay",
        num_warmup_steps=np.int64(2),
        num_training_steps=20,
        num_decay_steps=np.int64(5),
        decay_type=np.str_("linear"),
    )
    assert "np." not in repr(wsd) and lp.load(repr(wsd)) == wsd


def test_resume_across_spellings_of_one_transformers_schedule() -> None:
    """The repr text is no part of the checkpoint: get_scheduler and the get_* function,
    with Python or numpy numbers, resume each other's checkpoints."""

    def opt() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    o1 = opt()
    saved = lp.get_cosine_schedule_with_warmup(o1, 10, 100)
    for _ in range(20):
        o1.step()
        saved.step()
    state = saved.state_dict()
    for make in (
        lambda o: lp.get_scheduler("cosine", o, num_warmup_steps=10, num_training_steps=100),
        lambda o: lp.get_cosine_schedule_with_warmup(o, np.int64(10), np.int64(100)),
        lambda o: lp.get_scheduler(
            "cosine",
            o,
            np.int64(10),
            100,
            scheduler_specific_kwargs={"num_cycles": np.float64(0.5)},
        ),
    ):
        o2 = opt()
        other = make(o2)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            other.load_state_dict(state)  # no ValueError, no warning
        assert other.last_epoch == 20
        for _ in range(5):
            o1.step()
            saved.step()
            o2.step()
            other.step()
            assert _lrs(o2) == _lrs(o1)
        # put the first scheduler back where the state was taken
        o1 = opt()
        saved = lp.get_cosine_schedule_with_warmup(o1, 10, 100)
        saved.load_state_dict(state)
