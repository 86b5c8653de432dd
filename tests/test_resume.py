"""Bit-exact resume and safe checkpoints for every public lrplan scheduler and wrapper.

For each case in ``sched_cases`` (table-driven; torch-named classes join as they
land), hypothesis draws the arguments, float or tensor lrs, one or two param
groups, a run length and a resume point biased towards phase boundaries
(mid-warmup, hand-offs, restarts). The reference run is uninterrupted; at the
resume point its model, optimizer and scheduler state go through
``torch.save`` / ``torch.load(weights_only=True)`` into *fresh* objects, and the
continued value sequence must equal the reference with ``==`` (bit for bit), as
must the final parameters.
"""

from __future__ import annotations

import copy
import inspect
import io
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
from sched_cases import (
    Case,
    active_cases,
    covered_names,
    deep_equal,
    group_values,
    is_plain,
    key_paths,
    make_model,
    make_optimizer,
    metric_at,
    public_scheduler_names,
    same_bits,
    train_step,
)

CASES = active_cases()
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _step(sched: Any, t: int, case: Case, args: dict[str, Any]) -> None:
    metric = case.metric(args) if callable(case.metric) else case.metric
    if metric and "metrics" in inspect.signature(sched.step).parameters:
        sched.step(metrics=metric_at(t))
    elif metric:
        sched.step(metric_at(t))
    else:
        sched.step()


def _step_all(scheds: list[Any], t: int, case: Case, args: dict[str, Any]) -> None:
    if case.hook is not None:
        case.hook(scheds, t, args)
    for s in scheds:
        _step(s, t, case, args)


def _snapshot(opt: torch.optim.Optimizer, scheds: list[Any]) -> tuple[Any, ...]:
    keys = ["lr"]
    g0 = opt.param_groups[0]
    if "momentum" in g0:
        keys.append("momentum")
    if "betas" in g0:
        keys += ["betas[0]", "betas[1]"]
    vals = tuple(tuple(group_values(opt, k)) for k in keys)
    last = tuple(
        tuple(float(v) for v in s.get_last_lr()) if hasattr(s, "get_last_lr") else ()
        for s in scheds
    )
    return vals, last


def _save(model: torch.nn.Module, opt: torch.optim.Optimizer, scheds: list[Any]) -> bytes:
    buf = io.BytesIO()
    torch.save(
        {
            "model": model.state_dict(),
            "opt": opt.state_dict(),
            "scheds": [s.state_dict() for s in scheds],
        },
        buf,
    )
    return buf.getvalue()


def _load(blob: bytes) -> dict[str, Any]:
    return torch.load(io.BytesIO(blob), weights_only=True)  # type: ignore[no-any-return]


def _interesting_points(args: dict[str, Any], n: int) -> list[int]:
    """Resume points near every integer argument and schedule boundary (phase edges)."""
    pts: set[int] = {0, n}
    for v in args.values():
        cands: list[float] = []
        if isinstance(v, int | float) and not isinstance(v, bool):
            cands.append(float(v))
        elif isinstance(v, lp.Schedule):
            cands += v.boundaries()
            if v.duration is not None:
                cands.append(v.duration)
        for c in cands:
            for d in (-1, 0, 1):
                if 0 <= int(c) + d <= n:
                    pts.add(int(c) + d)
    return sorted(pts)


def _setup(case: Case, args: dict[str, Any], kind: str, tensor_lr: bool, two: bool, seed: int):
    model = make_model(seed)
    opt = make_optimizer(model, tensor_lr=tensor_lr, two_groups=two, kind=kind)
    scheds = case.build(opt, copy.deepcopy(args))
    return model, opt, scheds


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@SETTINGS
@given(data=st.data())
def test_resume_is_bit_exact(case: Case, data: st.DataObject) -> None:
    args = data.draw(case.args, label="args")
    kind = data.draw(st.sampled_from(case.kinds), label="optimizer")
    tensor_lr = data.draw(st.booleans(), label="tensor_lr")
    two = data.draw(st.booleans(), label="two_groups")
    n = data.draw(st.integers(1, 30), label="n")
    k = data.draw(
        st.one_of(st.integers(0, n), st.sampled_from(_interesting_points(args, n))), label="k"
    )

    # Reference: uninterrupted, checkpointed at step k.
    model, opt, scheds = _setup(case, args, kind, tensor_lr, two, seed=0)
    keys0 = [key_paths(s.state_dict()) for s in scheds]
    trace = [_snapshot(opt, scheds)]
    blob = _save(model, opt, scheds) if k == 0 else b""
    for t in range(1, n + 1):
        train_step(model, opt, t)
        _step_all(scheds, t, case, args)
        trace.append(_snapshot(opt, scheds))
        if t == k:
            blob = _save(model, opt, scheds)
    final = [p.detach().clone() for p in model.parameters()]

    # The checkpoint: plain data, weights_only, key set fixed since construction.
    ck = _load(blob)
    fixed = case.fixed_state_shape
    if not (fixed(args) if callable(fixed) else fixed):
        keys0 = [key_paths(sd) for sd in ck["scheds"]]  # the shape of the saved state
    for s0, sd in zip(keys0, ck["scheds"], strict=True):
        assert is_plain(sd) == []
        assert key_paths(sd) == s0

    # Resume into fresh objects (different init, so nothing leaks from construction).
    model2, opt2, scheds2 = _setup(case, args, kind, tensor_lr, two, seed=123)
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["opt"])
    lr_objs = [g["lr"] for g in opt2.param_groups]
    for s, sd in zip(scheds2, ck["scheds"], strict=True):
        before = copy.deepcopy(sd)
        s.load_state_dict(sd)
        assert deep_equal(sd, before), "load_state_dict mutated its argument"
    for s, k0 in zip(scheds2, keys0, strict=True):
        assert key_paths(s.state_dict()) == k0
    if tensor_lr:  # tensors are filled in place, never replaced
        assert all(g["lr"] is o for g, o in zip(opt2.param_groups, lr_objs, strict=True))
    resumed = [_snapshot(opt2, scheds2)]
    for t in range(k + 1, n + 1):
        train_step(model2, opt2, t)
        _step_all(scheds2, t, case, args)
        resumed.append(_snapshot(opt2, scheds2))

    assert resumed == trace[k:]
    for a, b in zip(final, model2.parameters(), strict=True):
        assert same_bits(a, b)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_state_dict_round_trips_through_weights_only(case: Case, data: st.DataObject) -> None:
    """state_dict -> torch.save -> weights_only load gives back the same plain data."""
    args = data.draw(case.args)
    steps = data.draw(st.integers(0, 15))
    model, opt, scheds = _setup(case, args, "sgd" if "sgd" in case.kinds else "adam", True, True, 0)
    for t in range(1, steps + 1):
        train_step(model, opt, t)
        _step_all(scheds, t, case, args)
    for s in scheds:
        sd = s.state_dict()
        assert is_plain(sd) == []
        buf = io.BytesIO()
        torch.save(sd, buf)
        buf.seek(0)
        assert deep_equal(torch.load(buf, weights_only=True), sd)


def test_every_public_scheduler_is_in_the_resume_table() -> None:
    missing = public_scheduler_names() - covered_names()
    assert not missing, f"add these schedulers to tests/sched_cases.py: {sorted(missing)}"


# --------------------------------------------------------------------------- numpy arguments


def test_numpy_scalars_in_arguments_become_python_numbers() -> None:
    opt = make_optimizer(make_model(), tensor_lr=False, two_groups=False)
    s1 = lp.StepLR(opt, step_size=np.int64(3), gamma=np.float32(0.5))
    assert type(s1.step_size) is int and type(s1.gamma) is float
    s2 = lp.LinearAnnealingLR(opt, T_max=np.int32(5), eta_min=np.float64(0.001))
    s3 = lp.GradualWarmupScheduler(opt, np.float64(2.0), np.int16(3))
    plan = lp.warmup(lp.Cosine(steps=np.int64(20), end=np.float32(0.1)), steps=np.int64(4))
    s4 = lp.ScheduledLR(opt, plan * np.float64(0.5))
    s5 = lp.ScheduledLR(opt, lp.MultiStep(milestones=np.array([2, 5]), gamma=np.float16(0.5)))
    for s in (s1, s2, s3, s4, s5):
        sd = s.state_dict()
        assert is_plain(sd) == [], is_plain(sd)
        buf = io.BytesIO()
        torch.save(sd, buf)
        buf.seek(0)
        torch.load(buf, weights_only=True)


def test_numpy_learning_rate_in_optimizer_is_not_saved_as_numpy() -> None:
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=np.float64(0.1))
    s = lp.ScheduledLR(opt, lp.Linear(steps=5))
    assert is_plain(s.state_dict()) == []


# --------------------------------------------------------------------------- refused states


def _opt_snapshot(opt: torch.optim.Optimizer) -> Any:
    return copy.deepcopy(opt.state_dict()["param_groups"])


def _deepest_versions(obj: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every nested dict that carries a ``version`` (nested scheduler states)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(obj, dict):
        if "version" in obj and path:
            out.append(path)
        for k, v in obj.items():
            out += _deepest_versions(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _deepest_versions(v, (*path, i))
    return out


def _corruptions(sd: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    if "version" in sd:
        bad = copy.deepcopy(sd)
        bad["version"] = 999
        out.append(("version", bad))
    for path in _deepest_versions(sd):
        bad = copy.deepcopy(sd)
        node: Any = bad
        for p in path:
            node = node[p]
        node["version"] = 999
        out.append((f"nested version at {path}", bad))
    return out


def _assert_refused_untouched(
    opt: torch.optim.Optimizer, scheds: list[Any], idx: int, state: Any, label: str
) -> None:
    opt_before = _opt_snapshot(opt)
    states_before = [copy.deepcopy(s.state_dict()) for s in scheds]
    with pytest.raises((ValueError, TypeError)) as info:
        scheds[idx].load_state_dict(state)
    msg = str(info.value)
    assert msg, label
    assert deep_equal(_opt_snapshot(opt), opt_before), f"{label}: optimizer changed: {msg}"
    for s, before in zip(scheds, states_before, strict=True):
        assert deep_equal(s.state_dict(), before), f"{label}: scheduler half-loaded: {msg}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_foreign_or_newer_state_is_refused_and_nothing_changes(
    case: Case, data: st.DataObject
) -> None:
    """Another format version (top level or nested), another class, torch's own state:
    a clear error, and neither the optimizer nor any scheduler has changed."""
    args = data.draw(case.args)
    k = data.draw(st.integers(0, 12))
    kind = case.kinds[0]
    model, opt, scheds = _setup(case, args, kind, False, True, 0)
    for t in range(1, k + 1):
        train_step(model, opt, t)
        _step_all(scheds, t, case, args)
    saved = [s.state_dict() for s in scheds]
    # Fresh objects at another step, so a half-applied load would show.
    model2, opt2, scheds2 = _setup(case, args, kind, False, True, 1)
    for t in range(1, 4):
        train_step(model2, opt2, t)
        _step_all(scheds2, t, case, args)
    for i, sd in enumerate(saved):
        for label, bad in _corruptions(sd):
            _assert_refused_untouched(opt2, scheds2, i, bad, label)
        foreign = torch.optim.lr_scheduler.StepLR(
            torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), 3
        ).state_dict()
        _assert_refused_untouched(opt2, scheds2, i, foreign, "torch's own StepLR state")
        other = lp.LinearAnnealingLR(
            opt_for_other := make_optimizer(make_model(), tensor_lr=False, two_groups=True), T_max=7
        ).state_dict()
        del opt_for_other
        if type(scheds2[i]).__name__ != "LinearAnnealingLR":
            _assert_refused_untouched(opt2, scheds2, i, other, "LinearAnnealingLR's state")
        _assert_refused_untouched(opt2, scheds2, i, {"last_epoch": 3}, "a bare dict")


# --------------------------------------------------------------------------- config drift


def _resume_with(
    make_old: Any, make_new: Any, k: int, policy: str, *, steps_after: int = 3
) -> tuple[Any, Any, torch.optim.Optimizer]:
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=False)
    old = make_old(opt)
    for t in range(1, k + 1):
        train_step(model, opt, t)
        old.step()
    blob = io.BytesIO()
    torch.save({"opt": opt.state_dict(), "sched": old.state_dict()}, blob)
    blob.seek(0)
    ck = torch.load(blob, weights_only=True)
    opt2 = make_optimizer(make_model(), tensor_lr=False, two_groups=False)
    new = make_new(opt2)
    opt2.load_state_dict(ck["opt"])
    new.load_state_dict(ck["sched"], on_config_change=policy)
    return old, new, opt2


def test_drift_error_names_what_changed() -> None:
    """The classic: epochs edited before resuming, so the schedule length changed."""
    with pytest.raises(ValueError, match=r"steps: 90 -> 45") as info:
        _resume_with(
            lambda o: lp.ScheduledLR(o, lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)),
            lambda o: lp.ScheduledLR(o, lp.warmup(lp.Cosine(steps=45, end=0.1), steps=10)),
            30,
            "error",
        )
    assert "keep_step" in str(info.value) and "keep_fraction" in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        (lambda o: lp.StepLR(o, 10, 0.5), lambda o: lp.StepLR(o, 20, 0.5), r"step_size: 10 -> 20"),
        (lambda o: lp.StepLR(o, 10, 0.5), lambda o: lp.StepLR(o, 10, 0.1), r"gamma: 0.5 -> 0.1"),
        (
            lambda o: lp.LinearAnnealingLR(o, T_max=100),
            lambda o: lp.LinearAnnealingLR(o, T_max=50),
            r"steps: 100 -> 50",
        ),
        (
            lambda o: lp.GradualWarmupScheduler(o, 4, 5),
            lambda o: lp.GradualWarmupScheduler(o, 4, 8),
            r"total_epoch: 5 -> 8",
        ),
        (
            lambda o: lp.GradualWarmupScheduler(o, 4, 5, lp.LinearAnnealingLR(o, T_max=90)),
            lambda o: lp.GradualWarmupScheduler(o, 4, 5, lp.LinearAnnealingLR(o, T_max=45)),
            r"steps: 90 -> 45",
        ),
        (
            lambda o: _get_lp("CosineAnnealingLR")(o, T_max=100),
            lambda o: _get_lp("CosineAnnealingLR")(o, T_max=200),
            r"100 -> 200",
        ),
    ],
    ids=[
        "steplr-step_size",
        "steplr-gamma",
        "anneal-T_max",
        "gws-total_epoch",
        "gws-nested",
        "cosine-T_max",
    ],
)
def test_drift_error_message_for_each_class(old: Any, new: Any, what: str) -> None:
    try:
        old(make_optimizer(make_model(), tensor_lr=False, two_groups=False))
    except AttributeError:
        pytest.skip("class not available yet")
    with pytest.raises(ValueError, match=what):
        _resume_with(old, new, 12, "error")


def _get_lp(name: str) -> Any:
    return getattr(lp, name)


def test_drift_error_leaves_everything_unchanged() -> None:
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=True)
    old = lp.ScheduledLR(opt, lp.Cosine(steps=100))
    for t in range(1, 31):
        train_step(model, opt, t)
        old.step()
    sd = old.state_dict()
    opt2 = make_optimizer(make_model(), tensor_lr=False, two_groups=True)
    new = lp.ScheduledLR(opt2, lp.Cosine(steps=50))
    opt2.step()
    new.step()
    _assert_refused_untouched(opt2, [new], 0, sd, "drift under 'error'")


def test_keep_step_continues_the_new_schedule_at_the_saved_step() -> None:
    old_s, new_s = lp.Cosine(steps=100, end=0.1), lp.Cosine(steps=200, end=0.1)
    _, new, opt = _resume_with(
        lambda o: lp.ScheduledLR(o, old_s), lambda o: lp.ScheduledLR(o, new_s), 30, "keep_step"
    )
    assert new.last_epoch == 30
    assert opt.param_groups[0]["lr"] == 0.1 * new_s(30)
    for t in range(31, 40):
        opt.step()
        new.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * new_s(t), rel=1e-12)
    assert (
        new.state_dict()["lrplan"]["fingerprint"]
        != lp.ScheduledLR(
            make_optimizer(make_model(), tensor_lr=False, two_groups=False), old_s
        ).state_dict()["lrplan"]["fingerprint"]
    )


@pytest.mark.parametrize(
    ("old_n", "new_n", "k", "expect"),
    [(100, 200, 30, 60), (90, 45, 30, 15), (100, 100 * 3, 99, 297)],
)
def test_keep_fraction_rescales_progress(old_n: int, new_n: int, k: int, expect: int) -> None:
    old_s = lp.warmup(lp.Cosine(steps=old_n - 10, end=0.1), steps=10)
    new_s = lp.warmup(lp.Cosine(steps=new_n - 10, end=0.1), steps=10)
    _, new, opt = _resume_with(
        lambda o: lp.ScheduledLR(o, old_s), lambda o: lp.ScheduledLR(o, new_s), k, "keep_fraction"
    )
    assert new.last_epoch == expect
    assert opt.param_groups[0]["lr"] == 0.1 * new_s(expect)
    opt.step()
    new.step()
    assert opt.param_groups[0]["lr"] == 0.1 * new_s(expect + 1)


def test_keep_fraction_needs_finite_lengths() -> None:
    with pytest.raises(ValueError, match="keep_fraction"):
        _resume_with(
            lambda o: lp.ScheduledLR(o, lp.Exponential(gamma=0.9)),
            lambda o: lp.ScheduledLR(o, lp.Exponential(gamma=0.8)),
            5,
            "keep_fraction",
        )


def test_unchanged_config_loads_under_every_policy() -> None:
    for policy in ("error", "keep_step", "keep_fraction"):
        old, new, _opt = _resume_with(
            lambda o: lp.ScheduledLR(o, lp.Cosine(steps=50)),
            lambda o: lp.ScheduledLR(o, lp.Cosine(steps=50)),
            17,
            policy,
        )
        assert new.last_epoch == 17 and new.get_last_lr() == old.get_last_lr()


@pytest.mark.parametrize("policy", ["keep_step", "keep_fraction"])
def test_nested_wrappers_propagate_the_policy(policy: str) -> None:
    """The after-scheduler's length changed (epochs edited): the wrapper's policy applies
    to it too, instead of the nested load failing under the default 'error'."""
    _, new, opt = _resume_with(
        lambda o: lp.GradualWarmupScheduler(o, 2, 5, lp.LinearAnnealingLR(o, T_max=100)),
        lambda o: lp.GradualWarmupScheduler(o, 2, 5, lp.LinearAnnealingLR(o, T_max=50)),
        25,
        policy,
    )
    after = new.after_scheduler
    k_after = 20 if policy == "keep_step" else 10
    assert new.last_epoch == 25
    assert after.last_epoch == k_after
    peak = 2 * 0.1
    assert opt.param_groups[0]["lr"] == pytest.approx(peak * (1 - k_after / 50), rel=1e-12)


# --------------------------------------------------------------------------- whole objects


def _copy_whole(obj: Any, how: str) -> Any:
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    if how == "deepcopy":
        return copy.deepcopy(obj)
    buf = io.BytesIO()
    torch.save(obj, buf)  # the whole object, as people do
    buf.seek(0)
    return torch.load(buf, weights_only=False)


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "torch.save"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whole_scheduler_copies_continue_identically(
    case: Case, how: str, data: st.DataObject
) -> None:
    """pickle, deepcopy and torch.save of the scheduler (with its model and optimizer) at
    any step: the copy continues exactly as the original does."""
    args = data.draw(case.args, label="args")
    tensor_lr = data.draw(st.booleans(), label="tensor_lr")
    k = data.draw(st.integers(0, 12), label="k")
    model, opt, scheds = _setup(case, args, case.kinds[0], tensor_lr, True, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a copy drops the optimizer's step wrapper, as torch's
        for t in range(1, k + 1):
            train_step(model, opt, t)
            _step_all(scheds, t, case, args)
        model2, opt2, scheds2 = _copy_whole((model, opt, scheds), how)
        assert _snapshot(opt2, scheds2) == _snapshot(opt, scheds)
        for t in range(k + 1, k + 9):
            for m, o, s in ((model, opt, scheds), (model2, opt2, scheds2)):
                train_step(m, o, t)
                _step_all(s, t, case, args)
            assert _snapshot(opt2, scheds2) == _snapshot(opt, scheds), f"step {t}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_scheduler_is_an_instance_of_both_protocols(case: Case) -> None:
    from hypothesis import find

    args = find(case.args, lambda _: True)
    _, _, scheds = _setup(case, args, case.kinds[0], False, False, seed=0)
    for s in scheds:
        assert isinstance(s, lp.LRScheduler), type(s)
        assert isinstance(s, torch.optim.lr_scheduler.LRScheduler), type(s)
        torch_twin = getattr(torch.optim.lr_scheduler, type(s).__name__, None)
        if type(s).__module__.startswith("lrplan") and isinstance(torch_twin, type):
            assert isinstance(s, torch_twin), f"{type(s).__name__} is not torch's"
