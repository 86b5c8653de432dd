"""lrplan.timm against the real timm 1.0.31 (``timm.scheduler``, loaded by tests/timm_oracle.py).

For random arguments, every scheduler is built twice, on two identical optimizers
(several groups, some with ``lr_scale``), one by timm and one by lrplan, and driven
by the same calls: ``step(epoch)`` or ``step_update(num_updates)`` (whichever the
scheduler counts, and the other one too, which must do nothing), from 0 on and then
jumping around. The lrs the optimizers hold must be equal as floats at every call:
noise, warmup, cycles, k-decay and ``lr_scale`` included. States cross both ways.
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan.timm as lt
import timm_oracle

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
BASES = (0.1, 0.03, 0.5)


# timm logs its "no effect" warning (t_initial=1); lrplan raises it as a UserWarning.
pytestmark = pytest.mark.filterwarnings("ignore:Cosine annealing scheduler:UserWarning")
logging.getLogger("timm").setLevel(logging.ERROR)


def _opt(scales: tuple[float | None, ...]) -> torch.optim.Optimizer:
    groups: list[dict[str, Any]] = []
    for lr, scale in zip(BASES, scales, strict=False):
        group: dict[str, Any] = {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr}
        if scale is not None:
            group["lr_scale"] = scale
        groups.append(group)
    return torch.optim.SGD(groups, lr=BASES[0])


def _lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [g["lr"] for g in opt.param_groups]


# --------------------------------------------------------------------------- strategies

scales = st.lists(st.sampled_from([None, 1.0, 0.5, 0.25]), min_size=1, max_size=3).map(tuple)
noise_ranges = st.one_of(
    st.none(),
    st.integers(0, 10),
    st.tuples(st.integers(0, 6), st.integers(7, 30)).map(list),
)
common = {
    "warmup_t": st.integers(0, 5),
    "warmup_lr_init": st.sampled_from([0.0, 1e-5, 0.01]),
    "t_in_epochs": st.booleans(),
    "noise_range_t": noise_ranges,
    "noise_pct": st.sampled_from([0.1, 0.67]),
    "noise_std": st.sampled_from([0.5, 1.0]),
    "noise_seed": st.integers(0, 1000),
}
cycles = {
    "t_initial": st.integers(1, 15),
    "lr_min": st.sampled_from([0.0, 1e-4, 0.01]),
    "cycle_mul": st.sampled_from([1.0, 1.5, 2.0]),
    "cycle_decay": st.sampled_from([1.0, 0.5, 0.9]),
    "cycle_limit": st.integers(1, 4),
    "warmup_prefix": st.booleans(),
}
ARGS: dict[str, Any] = {
    "CosineLRScheduler": st.fixed_dictionaries(
        {**common, **cycles, "k_decay": st.sampled_from([1.0, 0.5, 2.0])}
    ),
    "TanhLRScheduler": st.fixed_dictionaries(
        {**common, **cycles, "lb": st.sampled_from([-7.0, -3.0]), "ub": st.sampled_from([3.0, 5.0])}
    ),
    "PolyLRScheduler": st.fixed_dictionaries(
        {
            **common,
            **cycles,
            "power": st.sampled_from([0.5, 1.0, 2.0, 0.1]),
            "k_decay": st.sampled_from([1.0, 0.5, 2.0]),
        }
    ),
    "StepLRScheduler": st.fixed_dictionaries(
        {
            **common,
            "decay_t": st.sampled_from([1, 3, 7, 2.5]),
            "decay_rate": st.sampled_from([0.1, 0.5, 1.0]),
            "warmup_prefix": st.booleans(),
        }
    ),
    "MultiStepLRScheduler": st.fixed_dictionaries(
        {
            **common,
            "decay_t": st.lists(st.integers(0, 30), max_size=4).map(sorted),
            "decay_rate": st.sampled_from([0.1, 0.5]),
            "warmup_prefix": st.booleans(),
        }
    ),
}


@st.composite
def wsd_args(draw: st.DrawFn) -> dict[str, Any]:
    kw = draw(st.fixed_dictionaries(common))
    t_initial = draw(st.integers(1, 25))
    kw.update(
        t_initial=t_initial,
        decay_t=draw(st.integers(1, t_initial)),
        lr_min=draw(st.sampled_from([0.0, 1e-3, 0.05])),
        stable_fn=draw(st.sampled_from(["constant", "rsqrt", "power"])),
        stable_power=draw(st.sampled_from([0.5, 0.3])),
        decay_fn=draw(st.sampled_from(["linear", "1-sqrt", "cosine", "power", "exp"])),
        decay_power=draw(st.sampled_from([0.5, 2.0])),
        decay_ratio=draw(st.sampled_from([0.1, 0.5])),
    )
    if (kw["stable_fn"] != "constant" and not kw["warmup_t"]) or draw(st.booleans()):
        kw["stable_timescale"] = draw(st.sampled_from([3, 10.0]))
    return kw


ARGS["WSDLRScheduler"] = wsd_args()


def _times(data: st.DataObject, horizon: int) -> list[int]:
    """0, 1, ..., horizon, then a few jumps (backwards too)."""
    jumps = data.draw(st.lists(st.integers(0, horizon + 10), max_size=6))
    return [*range(horizon + 1), *jumps]


def _drive(a: Any, b: Any, oa: Any, ob: Any, t_in_epochs: bool, times: list[int]) -> None:
    assert _lrs(oa) == _lrs(ob), "after construction"
    for t in times:
        for s in (a, b):
            # the call of the other unit first: it must change nothing, in both
            (s.step_update(t) if t_in_epochs else s.step(t, metric=0.5))
            (s.step(t) if t_in_epochs else s.step_update(t))
        assert _lrs(oa) == _lrs(ob), (t, _lrs(oa), _lrs(ob))


@pytest.mark.parametrize("name", sorted(ARGS))
@SETTINGS
@given(data=st.data())
def test_every_scheduler_matches_timm_at_every_step(name: str, data: st.DataObject) -> None:
    timm_sched = timm_oracle.scheduler()
    kw = data.draw(ARGS[name], label="kwargs")
    group_scales = data.draw(scales, label="lr_scale")
    oa, ob = _opt(group_scales), _opt(group_scales)
    a = getattr(timm_sched, name)(oa, **kw)
    b = getattr(lt, name)(ob, **kw)
    assert isinstance(b, torch.optim.lr_scheduler.LRScheduler)
    _drive(a, b, oa, ob, kw["t_in_epochs"], _times(data, 45))


@pytest.mark.parametrize("name", sorted(ARGS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_states_cross_between_timm_and_lrplan(
    name: str, data: st.DataObject, weights_only_roundtrip: Any
) -> None:
    """timm's state loads into lrplan's class and lrplan's into timm's; both then go
    on with timm's values. lrplan's state is plain data."""
    timm_sched = timm_oracle.scheduler()
    kw = data.draw(ARGS[name], label="kwargs")
    kw["t_in_epochs"] = True
    oa, ob = _opt((None, 0.5)), _opt((None, 0.5))
    a = getattr(timm_sched, name)(oa, **kw)
    b = getattr(lt, name)(ob, **kw)
    for t in range(6):
        a.step(t, metric=0.1 * t)
        b.step(t, metric=0.1 * t)
    ours = weights_only_roundtrip(b.state_dict())
    theirs = a.state_dict()
    # timm's state into a fresh lrplan scheduler, lrplan's into a fresh timm one
    oc, od = _opt((None, 0.5)), _opt((None, 0.5))
    c = getattr(lt, name)(oc, **kw)
    c.load_state_dict(theirs)
    assert c.metric == a.metric
    d = getattr(timm_sched, name)(od, **kw)
    d.load_state_dict(ours)
    assert d.base_values == a.base_values and d.metric == b.metric
    for t in range(6, 40):
        for s in (a, b, c, d):
            s.step(t)
        assert _lrs(oa) == _lrs(ob) == _lrs(oc) == _lrs(od), t


def test_a_timm_state_with_other_arguments_is_refused() -> None:
    timm_sched = timm_oracle.scheduler()
    a = timm_sched.CosineLRScheduler(_opt((None,)), t_initial=10)
    b = lt.CosineLRScheduler(_opt((None,)), t_initial=12)
    with pytest.raises(ValueError, match="t_initial: 10 -> 12"):
        b.load_state_dict(a.state_dict())


# --------------------------------------------------------------------------- plateau


@SETTINGS
@given(
    decay_rate=st.sampled_from([0.1, 0.5]),
    patience_t=st.integers(0, 3),
    threshold=st.sampled_from([1e-4, 0.05]),
    cooldown_t=st.integers(0, 2),
    warmup_t=st.integers(0, 4),
    warmup_lr_init=st.sampled_from([0.0, 1e-3]),
    lr_min=st.sampled_from([0.0, 0.004]),
    mode=st.sampled_from(["min", "max"]),
    noise_range_t=noise_ranges,
    noise_type=st.sampled_from(["normal", "uniform"]),
    noise_seed=st.one_of(st.none(), st.integers(0, 100)),
    group_scales=scales,
    metrics=st.lists(st.one_of(st.none(), st.sampled_from([1.0, 0.9, 0.8, 1.1])), max_size=25),
    start=st.integers(0, 1),
)
def test_plateau_matches_timm(
    group_scales: tuple[float | None, ...], metrics: list[float | None], start: int, **kw: Any
) -> None:
    timm_sched = timm_oracle.scheduler()
    oa, ob = _opt(group_scales), _opt(group_scales)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # timm deprecates the class
        a = timm_sched.PlateauLRScheduler(oa, **kw)
    b = lt.PlateauLRScheduler(ob, **kw)
    assert isinstance(b, torch.optim.lr_scheduler.LRScheduler)
    assert _lrs(oa) == _lrs(ob)
    for epoch, metric in enumerate(metrics, start=start):
        for s in (a, b):
            s.step_update(epoch, metric)  # nothing, in both
            s.step(epoch, metric)
        assert _lrs(oa) == _lrs(ob), epoch
    assert b.state_dict()["best"] == a.state_dict()["best"]
    assert b.state_dict()["last_epoch"] == a.state_dict()["last_epoch"]


def test_plateau_resumes_exactly_where_timm_restarts(weights_only_roundtrip: Any) -> None:
    """lrplan's state keeps the bad-epoch and cooldown counters and the pending noise:
    a resumed run goes on as the uninterrupted one. timm's state loads too."""
    kw: dict[str, Any] = {"patience_t": 2, "decay_rate": 0.5, "mode": "min", "noise_range_t": 3}
    metrics = [1.0, 0.9, 0.95, 0.95, 0.99, 0.97, 0.98, 0.99, 1.0, 0.96]
    ref_opt = _opt((None,))
    ref = lt.PlateauLRScheduler(ref_opt, **kw)
    full = []
    for epoch, m in enumerate(metrics, start=1):
        ref.step(epoch, m)
        full.append(_lrs(ref_opt))
    o1 = _opt((None,))
    s1 = lt.PlateauLRScheduler(o1, **kw)
    for epoch, m in enumerate(metrics[:4], start=1):
        s1.step(epoch, m)
    state = weights_only_roundtrip(s1.state_dict())
    o2 = _opt((None,))
    o2.load_state_dict(o1.state_dict())
    s2 = lt.PlateauLRScheduler(o2, **kw)
    s2.load_state_dict(state)
    for epoch, m in enumerate(metrics[4:], start=5):
        s2.step(epoch, m)
        assert _lrs(o2) == full[epoch - 1], epoch
    timm_sched = timm_oracle.scheduler()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        t = timm_sched.PlateauLRScheduler(_opt((None,)), **kw)
    t.load_state_dict(state)  # timm reads its two keys from lrplan's state
    assert t.lr_scheduler.best == s1.lr_scheduler.best
    s3 = lt.PlateauLRScheduler(_opt((None,)), **kw)
    s3.load_state_dict(t.state_dict())
    assert s3.lr_scheduler.best == s1.lr_scheduler.best


# --------------------------------------------------------------------------- factories


@st.composite
def factory_args(draw: st.DrawFn) -> dict[str, Any]:
    sched = draw(
        st.sampled_from(
            ["cosine", "tanh", "step", "constant", "multistep", "plateau", "poly", "wsd", "rsqrt"]
        )
    )
    on_epochs = True if sched == "plateau" else draw(st.booleans())
    kw: dict[str, Any] = {
        "sched": sched,
        "num_epochs": draw(st.integers(8, 30)),
        "warmup_epochs": draw(st.integers(0, 3)),
        "warmup_prefix": draw(st.booleans()),
        "warmup_lr": draw(st.sampled_from([1e-5, 0.0])),
        "cooldown_epochs": draw(st.integers(0, 3)),
        "decay_rate": draw(st.sampled_from([0.1, 0.5])),
        "min_lr": draw(st.sampled_from([0.0, 1e-4])),
        "noise": draw(st.one_of(st.none(), st.just(0.5), st.just([0.2, 0.7]), st.just([0.4]))),
        "noise_seed": draw(st.integers(0, 50)),
        "cycle_mul": draw(st.sampled_from([1.0, 2.0])),
        "cycle_decay": draw(st.sampled_from([0.1, 0.5])),
        "cycle_limit": draw(st.integers(1, 3)),
        "k_decay": draw(st.sampled_from([1.0, 0.5])),
        "step_on_epochs": on_epochs,
        "updates_per_epoch": 0 if on_epochs else draw(st.integers(1, 4)),
        "decay_milestones": draw(st.lists(st.integers(1, 20), max_size=3).map(sorted)),
        "plateau_mode": draw(st.sampled_from(["min", "max"])),
    }
    if sched in ("step", "wsd", "rsqrt"):
        kw["decay_epochs"] = draw(st.sampled_from([None, 0.3, 2, 5]))
    if sched in ("wsd", "rsqrt"):
        kw["decay_fn"] = draw(st.sampled_from([None, "cosine", "exp"]))
        if sched == "rsqrt" and kw["warmup_epochs"] == 0:
            kw["stable_timescale"] = draw(st.sampled_from([2, 5.0]))
    return kw


@settings(max_examples=60, deadline=None)
@given(kw=factory_args())
def test_create_scheduler_v2_matches_timm(kw: dict[str, Any]) -> None:
    timm_sched = timm_oracle.scheduler()
    oa, ob = _opt((None, 0.5)), _opt((None, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            a, na = timm_sched.create_scheduler_v2(oa, **kw)
        except ValueError as exc:  # timm refuses (a wsd decay longer than the run)
            with pytest.raises(ValueError, match=str(exc)[:30].replace("(", r"\(")):
                lt.create_scheduler_v2(ob, **kw)
            return
    b, nb = lt.create_scheduler_v2(ob, **kw)
    assert (type(b).__name__, nb) == (type(a).__name__, na)
    assert _lrs(oa) == _lrs(ob)
    for t in range(0, 3 * na + 3):
        for s in (a, b):
            if kw["sched"] == "plateau":
                s.step(t, 1.0)
            elif kw["step_on_epochs"]:
                s.step(t)
            else:
                s.step_update(t)
        assert _lrs(oa) == _lrs(ob), t


def test_create_scheduler_and_scheduler_kwargs_match_timm() -> None:
    from types import SimpleNamespace

    timm_sched = timm_oracle.scheduler()
    cfg = SimpleNamespace(
        sched="cosine", epochs=20, warmup_epochs=2, lr_noise=[0.3, 0.6], seed=7,
        eval_metric="loss", sched_on_updates=True, lr_cycle_limit=2,
    )  # fmt: skip
    assert lt.scheduler_kwargs(cfg) == timm_sched.scheduler_kwargs(cfg)
    assert lt.scheduler_kwargs(cfg, decreasing_metric=False) == timm_sched.scheduler_kwargs(
        cfg, decreasing_metric=False
    )
    oa, ob = _opt((None,)), _opt((None,))
    a, na = timm_sched.create_scheduler(cfg, oa, updates_per_epoch=3)
    b, nb = lt.create_scheduler(cfg, ob, updates_per_epoch=3)
    assert nb == na and type(b).__name__ == "CosineLRScheduler"
    for n in range(3 * na):
        a.step_update(n)
        b.step_update(n)
        assert _lrs(oa) == _lrs(ob), n
    assert lt.create_scheduler_v2(ob, "none") == timm_sched.create_scheduler_v2(oa, "none")


def test_get_cycle_length_matches_timm() -> None:
    timm_sched = timm_oracle.scheduler()
    for name in ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler"):
        for kw in ({"cycle_mul": 1.0}, {"cycle_mul": 1.7, "warmup_t": 3, "warmup_prefix": True}):
            args = {"t_initial": 7, "cycle_limit": 3, **kw}
            a = getattr(timm_sched, name)(_opt((None,)), **args)
            b = getattr(lt, name)(_opt((None,)), **args)
            for cycles in (0, 1, 2, 5):
                assert b.get_cycle_length(cycles) == a.get_cycle_length(cycles)
    a = timm_sched.WSDLRScheduler(_opt((None,)), t_initial=9, decay_t=3, warmup_t=2)
    b = lt.WSDLRScheduler(_opt((None,)), t_initial=9, decay_t=3, warmup_t=2)
    assert b.get_cycle_length() == a.get_cycle_length() == 11


def test_every_public_name_of_timm_scheduler_with_timms_signature() -> None:
    """The import swap: every name ``from timm.scheduler import ...`` gives exists in
    lrplan.timm, with the same parameters, in the same order, with the same defaults."""
    import inspect

    timm_sched = timm_oracle.scheduler()
    public = [n for n in dir(timm_sched) if not n.startswith("_") and n != "Scheduler"]
    callables = [n for n in public if callable(getattr(timm_sched, n))]
    assert len(callables) == 10  # 7 schedulers and 3 factories
    for name in callables:
        ours, theirs = (
            inspect.signature(getattr(lt, name)),
            inspect.signature(getattr(timm_sched, name)),
        )
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ], name


# --------------------------------------------------------------------------- review fixes

SHRINKING: list[tuple[str, dict[str, Any]]] = [
    ("CosineLRScheduler", {"t_initial": 10, "cycle_mul": 0.5, "cycle_limit": 2}),
    (
        "CosineLRScheduler",
        {
            "t_initial": 10,
            "cycle_mul": 0.7,
            "cycle_limit": 3,
            "cycle_decay": 0.5,
            "warmup_t": 3,
            "warmup_lr_init": 0.01,
            "lr_min": 1e-3,
            "k_decay": 2.0,
        },
    ),
    ("TanhLRScheduler", {"t_initial": 10, "cycle_mul": 0.5, "cycle_limit": 4, "warmup_t": 3}),
    (
        "PolyLRScheduler",
        {"t_initial": 10, "cycle_mul": 0.5, "cycle_limit": 4, "warmup_t": 3, "warmup_prefix": True},
    ),
]


@pytest.mark.parametrize(("name", "kw"), SHRINKING)
@pytest.mark.parametrize("t_in_epochs", [True, False])
def test_shrinking_cycles_are_timms_until_timms_formula_fails(
    name: str, kw: dict[str, Any], t_in_epochs: bool
) -> None:
    """cycle_mul < 1: timm's lrs at every step up to T0 / (1 - m) (after a prefix warmup);
    from there timm fails with a math domain error and lrplan with a ValueError."""
    timm_sched = timm_oracle.scheduler()
    kw = {**kw, "t_in_epochs": t_in_epochs}
    oa, ob = _opt((None, 0.5)), _opt((None, 0.5))
    a, b = getattr(timm_sched, name)(oa, **kw), getattr(lt, name)(ob, **kw)
    limit = kw["t_initial"] / (1 - kw["cycle_mul"]) + (
        kw["warmup_t"] if kw.get("warmup_prefix") else 0
    )
    assert _lrs(oa) == _lrs(ob)
    for t in range(int(limit) + 4):
        if t >= limit:
            with pytest.raises(ValueError, match="math domain"):
                (a.step(t) if t_in_epochs else a.step_update(t))
            with pytest.raises(ValueError, match=r"cycle_mul=.* < 1 .*got t="):
                (b.step(t) if t_in_epochs else b.step_update(t))
            continue
        for s in (a, b):
            (s.step(t) if t_in_epochs else s.step_update(t))
        assert _lrs(oa) == _lrs(ob), t
        assert min(_lrs(ob)) >= 0
    # the pure curve, scalar and vectorised (numpy's tanh may differ by an ulp), agree
    curve = b.schedules[0]
    ts = np.arange(0.0, limit - 0.25, 0.25)
    np.testing.assert_allclose(curve.values(ts), [curve(float(t)) for t in ts], rtol=1e-12)
    with pytest.raises(ValueError, match="cycle_mul"):
        curve.values([0.0, limit])


def test_create_scheduler_v2_with_shrinking_cycles_runs_timms_epochs() -> None:
    timm_sched = timm_oracle.scheduler()
    kw = {"sched": "cosine", "num_epochs": 10, "cycle_mul": 0.5, "cycle_limit": 2}
    oa, ob = _opt((None,)), _opt((None,))
    a, na = timm_sched.create_scheduler_v2(oa, **kw)
    b, nb = lt.create_scheduler_v2(ob, **kw)
    assert (na, nb) == (15, 15)
    for t in range(na):
        a.step(t)
        b.step(t)
        assert _lrs(oa) == _lrs(ob), t


def test_timm_resumes_a_wsd_state_with_a_callable_decay_fn() -> None:
    """timm's load_state_dict copies every key over its attributes: the state must not
    replace timm's decay function with lrplan's record of its name."""
    timm_sched = timm_oracle.scheduler()

    def decay(frac: float) -> float:
        return (1 - frac) ** 2

    kw: dict[str, Any] = {"t_initial": 20, "decay_t": 10, "decay_fn": decay}
    oa, ob = _opt((None,)), _opt((None,))
    a, b = timm_sched.WSDLRScheduler(oa, **kw), lt.WSDLRScheduler(ob, **kw)
    for t in range(5):
        a.step(t)
        b.step(t)
    state = b.state_dict()
    assert "decay_fn" not in state
    assert "callable:" in str(state["lrplan"])  # lrplan keeps its record
    a.load_state_dict(state)
    assert a.decay_fn is decay
    for t in range(5, 25):
        a.step(t)
        b.step(t)
        assert _lrs(oa) == _lrs(ob), t
    # and the other way: timm's state (with its function) loads into lrplan's class
    oc = _opt((None,))
    c = lt.WSDLRScheduler(oc, **kw)
    c.load_state_dict(a.state_dict())
    c.step(17)
    a.step(17)
    assert _lrs(oc) == _lrs(oa)


@pytest.mark.parametrize("t", [-1, -0.5, math.inf, math.nan])
@pytest.mark.parametrize(
    "name",
    [
        "CosineLRScheduler",
        "TanhLRScheduler",
        "PolyLRScheduler",
        "StepLRScheduler",
        "MultiStepLRScheduler",
        "WSDLRScheduler",
        "PlateauLRScheduler",
    ],
)
def test_a_negative_or_non_finite_time_is_refused(name: str, t: float) -> None:
    kw = {k: v for k, v in ADDED[name].items() if k != "noise_range_t"}
    opt = _opt((None,))
    sched = getattr(lt, name)(opt, **kw)
    before = _lrs(opt)
    with pytest.raises(ValueError, match="finite number >= 0"):
        sched.step(t, 0.5)
    if name != "PlateauLRScheduler":
        sched2 = getattr(lt, name)(_opt((None,)), **kw, t_in_epochs=False)
        with pytest.raises(ValueError, match="finite number >= 0"):
            sched2.step_update(t)
    assert _lrs(opt) == before


def test_timm_writes_a_negative_lr_for_a_negative_plateau_epoch() -> None:
    """What the check above prevents (timm's behaviour, so the test can fail)."""
    timm_sched = timm_oracle.scheduler()
    opt = _opt((None,))
    timm_sched.PlateauLRScheduler(opt).step(-1, 0.5)
    assert _lrs(opt) == [-1.0]


ADDED: dict[str, dict[str, Any]] = {
    "CosineLRScheduler": {"t_initial": 10, "warmup_t": 2, "noise_range_t": [3, 6]},
    "TanhLRScheduler": {"t_initial": 10, "warmup_t": 2},
    "PolyLRScheduler": {"t_initial": 10, "warmup_t": 2, "warmup_prefix": True},
    "StepLRScheduler": {"decay_t": 3, "decay_rate": 0.5},
    "MultiStepLRScheduler": {"decay_t": [3, 6], "decay_rate": 0.5},
    "WSDLRScheduler": {"t_initial": 10, "decay_t": 4, "warmup_t": 2},
    "PlateauLRScheduler": {
        "warmup_t": 3,
        "warmup_lr_init": 0.01,
        "patience_t": 1,
        "decay_rate": 0.5,
    },
}


@pytest.mark.parametrize("name", sorted(ADDED))
def test_a_group_added_later_is_left_as_timm_leaves_it(name: str) -> None:
    timm_sched = timm_oracle.scheduler()
    kw = ADDED[name]
    oa, ob = _opt((None, 0.5)), _opt((None, 0.5))
    a, b = getattr(timm_sched, name)(oa, **kw), getattr(lt, name)(ob, **kw)
    a.step(1, 0.5)
    b.step(1, 0.5)
    for o in (oa, ob):
        o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.7})
    for t in range(2, 12):
        a.step(t, 0.5)
        b.step(t, 0.5)
        assert _lrs(oa) == _lrs(ob), t
    if name != "PlateauLRScheduler":
        assert _lrs(ob)[-1] == 0.7


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"patience_t": -1}, "PlateauLRScheduler: patience_t"),
        ({"cooldown_t": -1}, "PlateauLRScheduler: cooldown_t"),
        ({"decay_rate": 1.5}, "PlateauLRScheduler: decay_rate"),
        ({"decay_rate": -0.1}, "PlateauLRScheduler: decay_rate"),
        ({"lr_min": -1e-3}, "PlateauLRScheduler: lr_min"),
        ({"lr_min": [0.0, -1.0]}, r"PlateauLRScheduler: lr_min\[1\]"),
        ({"warmup_t": -1}, "PlateauLRScheduler: warmup_t"),
        ({"warmup_lr_init": -1.0}, "PlateauLRScheduler: warmup_lr_init"),
    ],
)
def test_plateau_arguments_are_checked_under_their_own_names(
    kw: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        lt.PlateauLRScheduler(_opt((None, None)), **kw)
