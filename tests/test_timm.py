"""lrplan.timm: golden tables from timm's documented formulas, and lrplan's own promises.

The expected values come from (a) numbers worked out by hand and (b) an independent
reference written below that walks the cycles one by one instead of using the
closed-form logarithm. The differential tests against the real timm are in
tests/test_timm_parity.py.
"""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
import lrplan.timm as lt
import timm_oracle
from lrplan.timm import CosineLRScheduler, TimmCosine

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _opt(lrs: tuple[float, ...] = (0.1,), tensor: bool = False) -> torch.optim.Optimizer:
    groups = []
    for lr in lrs:
        value: Any = torch.tensor(lr, dtype=torch.float64) if tensor else lr
        groups.append({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": value})
    return torch.optim.SGD(groups, lr=lrs[0], foreach=False)


def _lr(opt: torch.optim.Optimizer, i: int = 0) -> float:
    return float(opt.param_groups[i]["lr"])


def reference(t: float, base: float, **kw: Any) -> float:
    """timm's lr at time t, walking the cycles (independent of the log formula)."""
    t0 = kw.get("t_initial", 10)
    lr_min = kw.get("lr_min", 0.0)
    cm = kw.get("cycle_mul", 1.0)
    decay = kw.get("cycle_decay", 1.0)
    limit = kw.get("cycle_limit", 1)
    wt = kw.get("warmup_t", 0)
    w0 = kw.get("warmup_lr_init", 0.0)
    k = kw.get("k_decay", 1.0)
    if t < wt:
        return w0 + t * (base - w0) / wt
    if kw.get("warmup_prefix", False):
        t -= wt
    start, length, i = 0.0, float(t0), 0
    while t >= start + length and i <= limit:
        start += length
        length *= cm
        i += 1
    if i >= limit:
        return lr_min
    tc = t - start
    peak = base * decay**i
    return lr_min + 0.5 * (peak - lr_min) * (1 + math.cos(math.pi * tc**k / length**k))


def reference_noise(t: int, seed: int = 42, pct: float = 0.67, std: float = 1.0) -> float:
    g = torch.Generator()
    g.manual_seed(seed + t)
    while True:
        n = std * float(torch.randn(1, generator=g)[0])
        if abs(n) < pct:
            return n


def _run_epochs(sched: CosineLRScheduler, opt: torch.optim.Optimizer, n: int) -> list[float]:
    out = [_lr(opt)]
    for epoch in range(1, n + 1):
        opt.step()
        sched.step(epoch)
        out.append(_lr(opt))
    return out


# --------------------------------------------------------------------------- golden tables


@pytest.mark.parametrize(
    ("kwargs", "table"),
    [
        (
            {"t_initial": 10, "warmup_t": 2, "warmup_lr_init": 0.01},
            {0: 0.01, 1: 0.055, 2: 0.0904508, 5: 0.05, 9: 0.0024472, 10: 0.0, 15: 0.0},
        ),
        (
            {"t_initial": 10, "warmup_t": 2, "warmup_lr_init": 0.01, "warmup_prefix": True},
            {0: 0.01, 1: 0.055, 2: 0.1, 7: 0.05, 12: 0.0},
        ),
        (
            {"t_initial": 10, "lr_min": 0.02, "cycle_limit": 2},
            {0: 0.1, 5: 0.06, 10: 0.1, 15: 0.06, 20: 0.02, 30: 0.02},
        ),
        (
            {"t_initial": 4, "cycle_mul": 2.0, "cycle_decay": 0.5, "cycle_limit": 3},
            {0: 0.1, 2: 0.05, 4: 0.05, 8: 0.025, 12: 0.025, 20: 0.0125, 27: 0.0002402, 28: 0.0},
        ),
        ({"t_initial": 10, "k_decay": 2.0}, {0: 0.1, 5: 0.0853553, 10: 0.0}),
        ({"t_initial": 10, "k_decay": 0.5}, {1: 0.0772897, 4: 0.0297892}),
    ],
)
def test_golden_tables_by_hand(kwargs: dict[str, Any], table: dict[int, float]) -> None:
    opt = _opt((0.1,))
    sched = CosineLRScheduler(opt, **kwargs)
    lrs = _run_epochs(sched, opt, max(table))
    for t, want in table.items():
        assert round(lrs[t], 7) == want, t
        assert math.isclose(lrs[t], reference(t, 0.1, **kwargs), rel_tol=1e-12, abs_tol=1e-15)


@SETTINGS
@given(
    t_initial=st.sampled_from([1, 3, 7, 10, 25]),
    lr_min=st.sampled_from([0.0, 1e-4, 0.01]),
    cycle_mul=st.sampled_from([1.0, 1.0, 1.5, 2.0, 3.0]),
    cycle_decay=st.sampled_from([1.0, 0.5, 0.9]),
    cycle_limit=st.integers(min_value=1, max_value=5),
    warmup_t=st.integers(min_value=0, max_value=6),
    warmup_lr_init=st.sampled_from([0.0, 1e-5, 0.01]),
    warmup_prefix=st.booleans(),
    k_decay=st.sampled_from([1.0, 0.5, 2.0]),
)
def test_matches_the_cycle_walking_reference(**kwargs: Any) -> None:
    opt = _opt((0.1, 0.03))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # t_initial == 1 warns, as in timm
        sched = CosineLRScheduler(opt, **kwargs)
    lrs0 = _run_epochs(sched, opt, 80)
    for t, got in enumerate(lrs0):
        want = reference(t, 0.1, **kwargs)
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), (t, got, want)
    # the second group follows its own base
    assert math.isclose(_lr(opt, 1), reference(80, 0.03, **kwargs), rel_tol=1e-9, abs_tol=1e-15)
    # the pure schedule agrees, vectorised too
    s = sched.schedules[0]
    ts = list(range(81))
    assert s.values(ts).tolist() == pytest.approx(lrs0, rel=1e-12, abs=1e-15)


# --------------------------------------------------------------------------- noise


def test_noise_golden_and_range() -> None:
    opt = _opt((0.1,))
    sched = CosineLRScheduler(opt, t_initial=20, noise_range_t=[3, 8], noise_pct=0.5, noise_std=0.8)
    lrs = _run_epochs(sched, opt, 12)
    for t, got in enumerate(lrs):
        base = reference(t, 0.1, t_initial=20)
        if 3 <= t < 8:
            want = base + base * reference_noise(t, pct=0.5, std=0.8)
            assert got == want and got != base, t
            assert abs(got / base - 1) < 0.5
        else:
            assert got == base, t


def test_noise_from_a_start_step_and_construction_is_noise_free() -> None:
    opt = _opt((0.1,))
    sched = CosineLRScheduler(opt, t_initial=10, noise_range_t=0, noise_seed=7)
    assert _lr(opt) == 0.1  # timm writes the plain value at construction
    lrs = _run_epochs(sched, opt, 15)
    for t in range(1, 10):
        base = reference(t, 0.1, t_initial=10)
        assert lrs[t] == base + base * reference_noise(t, seed=7)


def test_noise_survives_resume_and_random_access(weights_only_roundtrip: Any) -> None:
    kw: dict[str, Any] = {"t_initial": 30, "noise_range_t": 2, "warmup_t": 3}
    opt = _opt((0.1, 0.05))
    sched = CosineLRScheduler(opt, **kw)
    full = _run_epochs(sched, opt, 25)
    opt2 = _opt((0.1, 0.05))
    s2 = CosineLRScheduler(opt2, **kw)
    _run_epochs(s2, opt2, 11)
    state = weights_only_roundtrip(s2.state_dict())
    opt3 = _opt((0.1, 0.05))
    s3 = CosineLRScheduler(opt3, **kw)
    s3.load_state_dict(state)
    assert _lr(opt3) == full[11]
    for t in range(12, 26):
        opt3.step()
        s3.step()  # plain step() advances by one
        assert _lr(opt3) == full[t]
    s3.set_step(5)
    assert _lr(opt3) == full[5]


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickle_and_deepcopy_mid_run_continue_identically(how: str) -> None:
    opt = _opt((0.1, 0.05))
    sched = CosineLRScheduler(opt, t_initial=8, cycle_limit=3, noise_range_t=2, noise_seed=3)
    _run_epochs(sched, opt, 5)
    pair = (opt, sched)
    opt2, s2 = pickle.loads(pickle.dumps(pair)) if how == "pickle" else copy.deepcopy(pair)
    assert s2.optimizer is opt2
    for _ in range(12):
        for o, s in ((opt, sched), (opt2, s2)):
            o.step()
            s.step()
        assert [_lr(opt2, i) for i in (0, 1)] == [_lr(opt, i) for i in (0, 1)]


def test_fractional_time_in_the_noise_range_raises() -> None:
    opt = _opt()
    sched = CosineLRScheduler(opt, t_initial=10, noise_range_t=2)
    opt.step()
    sched.step(1.5)  # fine outside the range
    assert _lr(opt) == pytest.approx(reference(1.5, 0.1, t_initial=10))
    with pytest.raises(ValueError, match="seeded per whole step"):
        sched.step(2.5)


# --------------------------------------------------------------------------- stepping APIs


def test_step_update_when_not_in_epochs() -> None:
    opt = _opt()
    sched = CosineLRScheduler(opt, t_initial=100, warmup_t=10, t_in_epochs=False)
    opt.step()
    sched.step(1)  # per-epoch call: ignored when counting updates
    assert _lr(opt) == 0.0
    sched.step_update(num_updates=5)
    assert _lr(opt) == pytest.approx(0.05)
    sched.step_update(num_updates=60)
    assert _lr(opt) == pytest.approx(reference(60, 0.1, t_initial=100, warmup_t=10))
    assert sched.last_epoch == 60


def test_step_update_is_ignored_in_epochs() -> None:
    opt = _opt()
    sched = CosineLRScheduler(opt, t_initial=10)
    opt.step()
    sched.step_update(num_updates=7)
    assert _lr(opt) == 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # timm's step(epoch) is not torch's deprecated form
        sched.step(epoch=5, metric=0.3)
    assert _lr(opt) == pytest.approx(0.05)
    assert sched.metric == 0.3


def test_plain_step_equals_step_epoch() -> None:
    kw: dict[str, Any] = {"t_initial": 7, "cycle_limit": 3, "warmup_t": 2, "warmup_lr_init": 0.001}
    a, b = _opt((0.1,)), _opt((0.1,))
    sa, sb = CosineLRScheduler(a, **kw), CosineLRScheduler(b, **kw)
    for epoch in range(1, 30):
        a.step()
        b.step()
        sa.step()
        sb.step(epoch)
        assert _lr(a) == _lr(b)


def test_is_a_torch_scheduler_with_tensor_lrs_in_place() -> None:
    opt = _opt((0.1, 0.2), tensor=True)
    objs = [g["lr"] for g in opt.param_groups]
    sched = CosineLRScheduler(opt, t_initial=5, warmup_t=1, warmup_lr_init=0.01)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert isinstance(sched, lp.LRScheduler)
    _run_epochs(sched, opt, 3)
    assert all(g["lr"] is o for g, o in zip(opt.param_groups, objs, strict=True))
    assert _lr(opt, 1) == pytest.approx(reference(3, 0.2, t_initial=5, warmup_t=1))


def test_state_is_plain_and_config_round_trips(weights_only_roundtrip: Any) -> None:
    opt = _opt()
    sched = CosineLRScheduler(opt, t_initial=10, cycle_mul=2.0, noise_range_t=[1, 4])
    state = weights_only_roundtrip(sched.state_dict())
    assert state["lrplan"]["config"]["noise_range_t"] == [1.0, 4.0]
    s = sched.schedules[0]
    assert lp.Schedule.from_config(s.to_config()) == s
    assert isinstance(s, TimmCosine)
    other = CosineLRScheduler(_opt(), t_initial=10, cycle_mul=2.0, noise_range_t=[1, 5])
    with pytest.raises(ValueError, match="noise_range_t"):
        other.load_state_dict(state)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"t_initial": 0}, ValueError, "t_initial"),
        ({"t_initial": 10, "lr_min": -1.0}, ValueError, "lr_min"),
        ({"t_initial": 10, "cycle_mul": 0.0}, ValueError, "cycle_mul"),
        ({"t_initial": 10, "cycle_mul": -0.5}, ValueError, "cycle_mul"),
        ({"t_initial": 10, "cycle_limit": 1.5}, TypeError, "cycle_limit"),
        ({"t_initial": 10, "k_decay": 0.0}, ValueError, "k_decay"),
        ({"t_initial": 10, "noise_range_t": [1, 2, 3]}, ValueError, "noise_range_t"),
        ({"t_initial": 10, "noise_pct": 0.0}, ValueError, "noise_pct"),
        ({"t_initial": 10, "t_in_epochs": "yes"}, TypeError, "t_in_epochs"),
        ({"t_initial": 10, "initialize": False}, KeyError, "initial_lr"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        CosineLRScheduler(_opt(), **kwargs)


def test_no_effect_warning_like_timm() -> None:
    with pytest.warns(UserWarning, match="no effect"):
        CosineLRScheduler(_opt(), t_initial=1)


# --------------------------------------------------------------------------- every class

#: One configuration of each schedule-driven class, with noise and a warmup.
CLASSES: dict[str, dict[str, Any]] = {
    "CosineLRScheduler": {"t_initial": 9, "cycle_limit": 3, "cycle_mul": 1.5, "k_decay": 0.5},
    "TanhLRScheduler": {"t_initial": 9, "cycle_limit": 2, "lb": -5.0, "ub": 4.0},
    "PolyLRScheduler": {"t_initial": 9, "cycle_limit": 2, "power": 2.0, "lr_min": 1e-3},
    "StepLRScheduler": {"decay_t": 4, "decay_rate": 0.5},
    "MultiStepLRScheduler": {"decay_t": [5, 9, 20], "decay_rate": 0.3},
    "WSDLRScheduler": {"t_initial": 20, "decay_t": 8, "stable_fn": "rsqrt", "decay_fn": "exp"},
}
COMMON: dict[str, Any] = {"warmup_t": 3, "warmup_lr_init": 1e-3, "noise_range_t": [4, 15]}


def _scaled_opt() -> torch.optim.Optimizer:
    opt = _opt((0.1, 0.05))
    opt.param_groups[1]["lr_scale"] = 0.25
    return opt


@pytest.mark.parametrize("name", sorted(CLASSES))
@pytest.mark.parametrize("t_in_epochs", [True, False])
def test_plain_step_is_timms_call_and_resume_is_exact(
    name: str, t_in_epochs: bool, weights_only_roundtrip: Any
) -> None:
    """Plain ``step()`` (Lightning, torch loops) gives what timm's own call gives at each
    time, noise and lr_scale included; a state saved at any step resumes bit for bit."""
    kw = {**CLASSES[name], **COMMON, "t_in_epochs": t_in_epochs}
    cls = getattr(lt, name)
    oa, ob, oo = _scaled_opt(), _scaled_opt(), _scaled_opt()
    a, b = cls(oa, **kw), cls(ob, **kw)
    oracle = getattr(timm_oracle.scheduler(), name)(oo, **kw)  # the real timm
    assert isinstance(a, torch.optim.lr_scheduler.LRScheduler)
    assert [_lr(oa, i) for i in (0, 1)] == [_lr(ob, i) for i in (0, 1)]
    assert [_lr(oo, i) for i in (0, 1)] == [_lr(ob, i) for i in (0, 1)]
    lrs = []
    for t in range(1, 31):
        oa.step()
        a.step()
        (b.step(t) if t_in_epochs else b.step_update(t))
        (oracle.step(t) if t_in_epochs else oracle.step_update(t))
        lrs.append([_lr(ob, i) for i in (0, 1)])
        assert [_lr(oa, i) for i in (0, 1)] == lrs[-1], t
        assert [_lr(oo, i) for i in (0, 1)] == lrs[-1], t
        if t == 12:
            state = weights_only_roundtrip(a.state_dict())
    oc = _scaled_opt()
    c = cls(oc, **kw)
    c.load_state_dict(state)
    assert [_lr(oc, i) for i in (0, 1)] == lrs[11]
    for t in range(13, 31):
        oc.step()
        c.step()
        assert [_lr(oc, i) for i in (0, 1)] == lrs[t - 1], t


def _noise_factor(kw: dict[str, Any], t: int) -> float:
    lo, hi = kw["noise_range_t"]
    return 1.0 + reference_noise(t) if lo <= t < hi else 1.0


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_the_pure_curves_preview_and_round_trip(name: str) -> None:
    kw = {**CLASSES[name], "warmup_t": 3, "warmup_lr_init": 1e-3}
    sched = getattr(lt, name)(_opt((0.1,)), **kw)
    s = sched.schedules[0]
    ts = np.arange(0.0, 60.0, 0.5)
    assert s.values(ts) == pytest.approx([s(float(t)) for t in ts], rel=1e-12, abs=1e-15)
    assert lp.Schedule.from_config(s.to_config()) == s
    bounds = s.boundaries()
    assert bounds == sorted(bounds) and 3.0 in bounds
    assert s.boundaries(until=10) == [b for b in bounds if b <= 10]


def test_boundaries_until_lists_every_cycle() -> None:
    s = TimmCosine(base=1.0, t_initial=2, cycle_limit=1000)
    assert len(s.boundaries()) == 64
    assert s.boundaries(until=300) == [float(2 * n) for n in range(1, 151)]
    w = lt.TimmStep(base=1.0, decay_t=3, warmup_t=2)
    assert w.boundaries(until=12) == [2.0, 5.0, 8.0, 11.0]


def test_tanh_warmup_heads_for_the_curve_without_prefix() -> None:
    """timm's rule: without warmup_prefix the ramp ends on tanh's value at warmup_t."""
    s = lt.TimmTanh(base=1.0, t_initial=10, warmup_t=4, warmup_lr_init=0.0)
    plain = lt.TimmTanh(base=1.0, t_initial=10)
    assert s(4) == plain(4) < 1.0
    assert s(2) == pytest.approx(plain(4) / 2, rel=1e-12)
    p = lt.TimmTanh(base=1.0, t_initial=10, warmup_t=4, warmup_prefix=True)
    assert p(2) == pytest.approx(0.5) and p(4) == plain(0)


def test_wsd_callable_decay_and_its_config() -> None:
    def half_linear(frac: float) -> float:
        return 1.0 - frac / 2

    opt = _opt((0.1,))
    sched = lt.WSDLRScheduler(opt, t_initial=10, decay_t=4, decay_fn=half_linear)
    opt.step()
    sched.step(8)
    assert _lr(opt) == pytest.approx(0.1 * 0.75)
    cfg = sched.schedules[0].to_config()
    assert cfg["decay_fn"].endswith("half_linear")
    with pytest.raises(ValueError, match="decay_fn"):
        lp.Schedule.from_config(cfg)
    state = sched.state_dict()
    assert "decay_fn" not in state  # timm's key stays out: timm keeps its own function
    assert cfg["decay_fn"] in str(state["lrplan"])


def test_plateau_plain_step_and_step_update() -> None:
    opt = _opt((1.0,))
    sched = lt.PlateauLRScheduler(opt, warmup_t=2, warmup_lr_init=0.1, patience_t=0, mode="min")
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert _lr(opt) == 0.1
    sched.step()  # epoch 1: warmup
    assert _lr(opt) == pytest.approx(0.55)
    sched.step_update(5, 1.0)  # nothing, as in timm
    assert _lr(opt) == pytest.approx(0.55) and sched.metric is None
    sched.step(metric=1.0)  # epoch 2: the end of warmup, metric unseen
    sched.step(metric=1.0)  # epoch 3: first metric, the best
    sched.step(metric=1.0)  # epoch 4: no better, patience 0: times decay_rate (0.1)
    assert sched.last_epoch == 4 and _lr(opt) == pytest.approx(0.1)
    assert sched.get_last_lr() == [_lr(opt)]


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("TanhLRScheduler", {"t_initial": 5, "lb": 3.0, "ub": 3.0}, "lb must be < ub"),
        ("PolyLRScheduler", {"t_initial": 5, "power": -1.0}, "power"),
        ("StepLRScheduler", {"decay_t": 0}, "decay_t"),
        ("MultiStepLRScheduler", {"decay_t": [5, 3]}, "sorted"),
        ("WSDLRScheduler", {"t_initial": 5, "decay_t": 6}, "decay_t"),
        ("WSDLRScheduler", {"t_initial": 5, "decay_t": 2, "decay_fn": "sqrt"}, "decay_fn"),
        ("WSDLRScheduler", {"t_initial": 5, "decay_t": 2, "stable_fn": "rsqrt"}, "stable_time"),
        ("WSDLRScheduler", {"t_initial": 5, "decay_t": 2, "decay_ratio": 1.0}, "decay_ratio"),
        ("PlateauLRScheduler", {"noise_type": "gaussian"}, "noise_type"),
    ],
)
def test_bad_arguments_of_every_class(name: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        getattr(lt, name)(_opt(), **kwargs)


# --------------------------------------------------------------------------- shrinking cycles


def test_shrinking_cycles_by_hand_and_where_timms_formula_ends() -> None:
    """cycle_mul=0.5, T0=10: cycles [0, 10), [10, 15), then lr_min; timm's log argument
    1 - t/20 reaches 0 at t=20 (T0 / (1 - m)), where the curve raises instead of NaN."""
    s = TimmCosine(base=1.0, t_initial=10, cycle_mul=0.5, cycle_limit=2, lr_min=0.1)
    assert [round(s(t), 12) for t in (0, 5, 10, 12.5, 15, 19.5)] == [1.0, 0.55, 1.0, 0.55, 0.1, 0.1]
    assert s.boundaries() == [10.0, 15.0]
    assert s.duration == 15.0
    for t in (20.0, 25.0):
        with pytest.raises(ValueError, match=r"cycle_mul=0.5 < 1 .* = 20, .*got t=2"):
            s(t)
    # with a prefix warmup the domain moves with it; inside the warmup nothing raises
    w = TimmCosine(base=1.0, t_initial=4, cycle_mul=0.5, warmup_t=10, warmup_prefix=True)
    assert w(5) == 0.5 and w(17.5) == 0.0
    with pytest.raises(ValueError, match="after the warmup"):
        w(18)
    # no prefix, a warmup past the domain: timm computes tanh's target at construction
    with pytest.raises(ValueError, match="cycle_mul"):
        lt.TimmTanh(base=1.0, t_initial=4, cycle_mul=0.5, warmup_t=8)
    assert lt.TimmCosine(base=1.0, t_initial=4, cycle_mul=0.5, warmup_t=8)(3) == 0.375
