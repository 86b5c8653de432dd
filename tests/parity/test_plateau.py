"""ReduceLROnPlateau against torch 2.13's, on random metrics and arguments."""

from __future__ import annotations

import copy
import io
import logging
import math
import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as tsched
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan
from lrplan._warmup import is_metric_driven

from .harness import (
    AddGroup,
    Resume,
    ScaleLR,
    Step,
    lr_lists,
    make_optimizer,
    run_parity,
    torch_roundtrip,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def plateau_kwargs(draw: Any, n_groups: int) -> dict[str, Any]:
    min_lr: Any = draw(st.sampled_from([0, 1e-3, 0.05]))
    if draw(st.booleans()):
        min_lr = draw(
            st.lists(st.sampled_from([0.0, 1e-3, 0.02]), min_size=n_groups, max_size=n_groups)
        )
    return {
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.floats(min_value=0.0, max_value=0.95)),
        "patience": draw(st.integers(min_value=0, max_value=4)),
        "threshold": draw(st.sampled_from([0.0, 1e-4, 0.01, 0.1])),
        "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
        "cooldown": draw(st.integers(min_value=0, max_value=3)),
        "min_lr": min_lr,
        "eps": draw(st.sampled_from([1e-8, 1e-3, 0.0])),
    }


def _metric_steps(draw: Any, n: int) -> list[Any]:
    # Plateaus, improvements and ties: a random walk on a coarse grid, sometimes a tensor.
    metric = st.sampled_from([1.0, 0.9, 0.95, 0.5, 0.5, 2.0, -1.0, 0.0, 1e-3])
    out: list[Any] = []
    for _ in range(n):
        m = draw(metric)
        out.append(Step(args=(torch.tensor(m) if draw(st.booleans()) else m,)))
    return out


def _build(kwargs: dict[str, Any]) -> Any:
    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        return L.ReduceLROnPlateau(opt, **kwargs)

    return build


@SETTINGS
@given(data=st.data())
def test_random_runs_match_torch(data: st.DataObject) -> None:
    lrs = data.draw(lr_lists())
    kw = data.draw(plateau_kwargs(len(lrs)))
    script: list[Any] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        script += _metric_steps(data.draw, data.draw(st.integers(min_value=1, max_value=10)))
        script.append(
            data.draw(st.sampled_from([Resume("state_dict"), ScaleLR(0.5), Step(args=(0.7,))]))
        )
    run_parity(
        _build(kw),
        script,
        lrs=lrs,
        lr_kind=data.draw(st.sampled_from(["float", "float64", "float32"])),
    )


@SETTINGS
@given(data=st.data())
def test_add_param_group_like_torch(data: st.DataObject) -> None:
    """A scalar min_lr extends to new groups; a list raises RuntimeError at the next reduction."""
    kw = data.draw(plateau_kwargs(1))
    kw["patience"] = 0
    script = [
        Step(args=(1.0,)),
        AddGroup(0.5),
        *[Step(args=(2.0 if kw["mode"] == "min" else -2.0,))] * 4,
    ]
    trace = run_parity(_build(kw), script, lrs=[0.1])
    if isinstance(kw["min_lr"], list) and kw["factor"] < 0.9:
        assert trace.torch_error is not None and isinstance(trace.lrplan_error[1], RuntimeError)  # type: ignore[index]


def test_golden_run() -> None:
    """Independent arithmetic: patience 2, cooldown 1, factor 0.5, abs threshold 0.05."""
    opt = make_optimizer([1.0, 0.1])
    sched = lrplan.ReduceLROnPlateau(
        opt,
        factor=0.5,
        patience=2,
        cooldown=1,
        threshold=0.05,
        threshold_mode="abs",
        min_lr=[0.3, 0.0],
    )
    metrics = [1.0, 0.97, 0.96, 0.99, 0.9, 0.89, 0.88, 0.87, 0.86, 0.85, 0.84]
    expected = [
        [1.0, 0.1],  # best 1.0
        [1.0, 0.1],  # 0.97 not better by 0.05: bad 1
        [1.0, 0.1],  # bad 2
        [0.5, 0.05],  # bad 3 > 2: reduce, cooldown 1
        [0.5, 0.05],  # 0.9 better: best 0.9 (cooldown ticks to 0)
        [0.5, 0.05],  # bad 1
        [0.5, 0.05],  # bad 2
        [0.3, 0.025],  # bad 3: 0.25 floored at min_lr 0.3; cooldown
        [0.3, 0.025],  # 0.86 better than 0.9 - 0.05? no: bad, but in cooldown: 0
        [0.3, 0.025],  # 0.85 == 0.9 - 0.05, not strictly below: bad 1
        [0.3, 0.025],  # 0.84 < 0.85 -> best
    ]
    for m, want in zip(metrics, expected, strict=True):
        sched.step(m)
        assert sched.get_last_lr() == pytest.approx(want, rel=1e-12)


def test_eps_ignores_small_changes() -> None:
    for mod in (tsched, lrplan):
        opt = make_optimizer([1e-3])
        s = mod.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=1e-3)
        s.step(1.0)
        s.step(2.0)
        assert opt.param_groups[0]["lr"] == 1e-3


def test_isinstance_and_metric_driven() -> None:
    sched = lrplan.ReduceLROnPlateau(make_optimizer([0.1]))
    assert isinstance(sched, tsched.ReduceLROnPlateau)
    assert isinstance(sched, tsched.LRScheduler)
    assert isinstance(sched, lrplan.LRScheduler)
    assert sched.metric_driven is True and is_metric_driven(sched)
    with pytest.raises(TypeError, match="metric-driven"):
        sched.set_step(3)
    # torch's containers reject it, as they reject torch's own
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        tsched.SequentialLR(sched.optimizer, [sched], milestones=[])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": 1.0},
        {"factor": 2.0},
        {"mode": "median"},
        {"threshold_mode": "pct"},
        {"min_lr": [0.1, 0.2]},
    ],
)
def test_same_validation_errors_as_torch(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as t_err:
        tsched.ReduceLROnPlateau(make_optimizer([0.1]), **kwargs)
    with pytest.raises(ValueError) as l_err:
        lrplan.ReduceLROnPlateau(make_optimizer([0.1]), **kwargs)
    # torch's words stay in lrplan's message (code that matches them keeps working);
    # where torch's do not name the parameter ("mode pct is unknown!"), lrplan's also do.
    assert str(t_err.value) in str(l_err.value)
    if "threshold_mode" in kwargs:
        assert "threshold_mode must be 'rel' or 'abs'" in str(l_err.value)
    if "mode" in kwargs:
        assert "mode must be 'min' or 'max'" in str(l_err.value)


def test_clear_errors_where_torch_accepts_nonsense() -> None:
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\)"):
        lrplan.ReduceLROnPlateau(make_optimizer([0.1]), factor=-0.5)
    with pytest.raises(TypeError, match="patience"):
        lrplan.ReduceLROnPlateau(make_optimizer([0.1]), patience="3")  # type: ignore[arg-type]


def test_state_is_plain_data_with_numpy_arguments_and_inf_best() -> None:
    kw: dict[str, Any] = {
        "mode": "max",
        "factor": np.float64(0.5),
        "patience": np.int64(1),
        "threshold": np.float32(0.01),
        "cooldown": np.int64(1),
        "min_lr": np.float64(1e-4),
        "eps": np.float64(1e-9),
    }
    opt = make_optimizer([0.1])
    sched = lrplan.ReduceLROnPlateau(opt, **kw)
    fresh = torch_roundtrip(sched.state_dict())  # best is -inf here
    assert fresh["best"] == -math.inf and fresh["mode_worse"] == -math.inf
    for m in [1.0, 0.5, 0.5, 0.5, 2.0, 1.0, 1.0]:
        sched.step(np.float64(m))
    state = torch_roundtrip(sched.state_dict())
    assert all(not isinstance(v, np.generic) for v in state.values())
    opt2 = make_optimizer([0.1])
    opt2.load_state_dict(opt.state_dict())
    sched2 = lrplan.ReduceLROnPlateau(opt2, **kw)
    sched2.load_state_dict(state)
    for m in [1.0, 1.0, 1.0, 3.0, 0.0, 0.0, 0.0]:
        sched.step(m)
        sched2.step(m)
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_changed_arguments_saved_win_with_one_warning() -> None:
    opt = make_optimizer([0.1])
    ref = tsched.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for m in [1.0, 2.0, 2.0, 2.0]:
        ref.step(m)
    other = lrplan.ReduceLROnPlateau(make_optimizer([0.1]), mode="max", factor=0.3, patience=1)
    with pytest.warns(UserWarning) as rec:
        other.load_state_dict(ref.state_dict())
    assert len(rec) == 1
    text = str(rec[0].message)
    assert "factor: 0.3 -> 0.5 (saved)" in text and "mode: 'max' -> 'min' (saved)" in text
    assert "patience" not in text and "on_config_change" in text
    assert (other.factor, other.mode, other.mode_worse) == (0.5, "min", math.inf)
    assert (other.best, other.num_bad_epochs, other.last_epoch) == (
        ref.best,
        ref.num_bad_epochs,
        ref.last_epoch,
    )
    with pytest.raises(ValueError, match=r"factor: 0\.3 -> 0\.5"):
        lrplan.ReduceLROnPlateau(make_optimizer([0.1]), factor=0.3).load_state_dict(
            ref.state_dict(), on_config_change="error"
        )
    kept = lrplan.ReduceLROnPlateau(make_optimizer([0.1]), mode="max", factor=0.3, patience=1)
    kept.load_state_dict(other.state_dict(), on_config_change="keep_step")
    assert (kept.factor, kept.mode, kept.mode_worse) == (0.3, "max", -math.inf)
    assert (kept.best, kept.last_epoch) == (ref.best, ref.last_epoch)
    with pytest.raises(ValueError, match="on_config_change"):
        kept.load_state_dict(ref.state_dict(), on_config_change="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="belongs to StepLR"):
        kept.load_state_dict(lrplan.StepLR(make_optimizer([0.1]), 2).state_dict())
    with pytest.raises(ValueError, match="missing"):
        kept.load_state_dict(tsched.StepLR(make_optimizer([0.1]), 2).state_dict())


def _continue_alike(a: Any, b: Any, metrics: list[float]) -> None:
    for m in metrics:
        a.step(m)
        b.step(m)
        la = [float(g["lr"]) for g in a.optimizer.param_groups]
        lb = [float(g["lr"]) for g in b.optimizer.param_groups]
        assert la == lb
        assert [float(v) for v in a.get_last_lr()] == [float(v) for v in b.get_last_lr()]
        assert (a.best, a.num_bad_epochs, a.cooldown_counter, a.last_epoch) == (
            b.best,
            b.num_bad_epochs,
            b.cooldown_counter,
            b.last_epoch,
        )


_BEFORE = [1.0, 0.9, 0.95, 0.95, 0.97, 0.5, 0.6, 0.6]
_AFTER = [0.7, 0.7, 0.4, 0.45, 0.5, 0.5, 0.5, 0.5, 0.1]
_KW: dict[str, Any] = {"factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": [0.0, 0.03]}


@pytest.mark.parametrize("lr_kind", ["float", "float64"])
@pytest.mark.parametrize("direction", ["torch->lrplan", "lrplan->torch"])
def test_state_crosses_between_torch_and_lrplan(direction: str, lr_kind: str) -> None:
    src_mod, dst_mod = (tsched, lrplan) if direction == "torch->lrplan" else (lrplan, tsched)
    opt = make_optimizer([0.1, 0.2], lr_kind)
    src = src_mod.ReduceLROnPlateau(opt, **_KW)
    for m in _BEFORE:
        src.step(m)
    state = src.state_dict()
    if src_mod is lrplan:
        state = torch_roundtrip(state)  # plain data: weights_only
        assert state["lrplan"]["format"] == "lrplan.scheduler"
    opt2 = make_optimizer([1.0, 1.0], lr_kind)
    opt2.load_state_dict(opt.state_dict())
    dst = dst_mod.ReduceLROnPlateau(opt2, factor=0.5, patience=1, cooldown=1, min_lr=[0.0, 0.03])
    dst.load_state_dict(state)
    _continue_alike(src, dst, _AFTER)
    # and back: the state the other class now saves loads into the first again
    opt3 = make_optimizer([1.0, 1.0], lr_kind)
    opt3.load_state_dict(opt2.state_dict())
    back = src_mod.ReduceLROnPlateau(opt3, **_KW)
    back.load_state_dict(dst.state_dict())
    _continue_alike(src, back, _AFTER)


def test_torch_state_keys_and_plain_data() -> None:
    opt = make_optimizer([0.1])
    ours = lrplan.ReduceLROnPlateau(opt)
    ref = tsched.ReduceLROnPlateau(make_optimizer([0.1]))
    state = ours.state_dict()
    assert set(state) == set(ref.state_dict()) | {"lrplan"}
    assert set(state["lrplan"]) == {"format", "version", "class", "last_epoch", "fingerprint"}
    assert torch_roundtrip(state) == state


def test_torchs_own_state_test_and_older_layouts() -> None:
    """torch's test_reduce_lr_on_plateau_state_dict, and states from older torch versions
    (``verbose`` saved, no ``default_min_lr`` or ``_last_lr``), with torch's re-init."""
    for mod in (tsched, lrplan):
        sched = mod.ReduceLROnPlateau(make_optimizer([0.1]), mode="min", factor=0.1, patience=2)
        for score in [1.0, 2.0, 3.0, 4.0, 3.0, 4.0, 5.0, 3.0, 2.0, 1.0]:
            sched.step(score)
        copy_ = lrplan.ReduceLROnPlateau(make_optimizer([0.1]), mode="max", factor=0.5, patience=10)
        with pytest.warns(UserWarning, match="saved"):
            copy_.load_state_dict(sched.state_dict())
        for key in sched.__dict__:
            if key != "optimizer":
                assert sched.__dict__[key] == copy_.__dict__[key], key
    old = {
        k: v
        for k, v in tsched.ReduceLROnPlateau(make_optimizer([0.1]), mode="max").state_dict().items()
        if k not in ("default_min_lr", "_last_lr")
    }
    old.update(verbose="deprecated", best=3.0, num_bad_epochs=2, mode_worse=0.0)
    for mod in (tsched, lrplan):
        s = mod.ReduceLROnPlateau(make_optimizer([0.1]))
        with warnings.catch_warnings(record=True):  # lrplan's names the changed mode
            s.load_state_dict(old)  # type: ignore[arg-type]
        assert (s.mode, s.mode_worse, s.best, s.default_min_lr) == ("max", -math.inf, 3.0, 0)
    with pytest.raises(ValueError, match="mode median is unknown"), pytest.warns(UserWarning):
        lrplan.ReduceLROnPlateau(make_optimizer([0.1])).load_state_dict({**old, "mode": "median"})


def test_lrplan_1_state_loads() -> None:
    v1 = {
        "format": "lrplan.scheduler",
        "version": 1,
        "class": "ReduceLROnPlateau",
        "mode": "min",
        "factor": 0.5,
        "patience": 1,
        "threshold": 1e-4,
        "threshold_mode": "rel",
        "cooldown": 0,
        "min_lrs": [0],
        "default_min_lr": 0,
        "eps": 1e-8,
        "last_epoch": 4,
        "best": 0.5,
        "num_bad_epochs": 1,
        "cooldown_counter": 0,
        "mode_worse": math.inf,
        "last_values": [0.05],
    }
    s = lrplan.ReduceLROnPlateau(make_optimizer([0.05]), factor=0.5, patience=1)
    s.load_state_dict(v1)
    assert (s.last_epoch, s.best, s.num_bad_epochs, s.get_last_lr()) == (4, 0.5, 1, [0.05])
    s.step(0.6)
    assert s.get_last_lr() == [0.025]
    with pytest.raises(ValueError, match="version"):
        s.load_state_dict({**v1, "version": 7})


@pytest.mark.parametrize("lr_kind", ["float", "float64"])
@pytest.mark.parametrize("how", ["pickle", "deepcopy", "torch.save"])
def test_pickle_and_deepcopy_mid_run_continue_identically(how: str, lr_kind: str) -> None:
    sched = lrplan.ReduceLROnPlateau(make_optimizer([0.1, 0.2], lr_kind), **_KW, verbose=True)
    for m in _BEFORE:
        sched.step(m)
    if how == "pickle":
        clone = pickle.loads(pickle.dumps(sched))
    elif how == "deepcopy":
        clone = copy.deepcopy(sched)
    else:
        buf = io.BytesIO()
        torch.save(sched, buf)
        buf.seek(0)
        clone = torch.load(buf, weights_only=False)
    assert clone.optimizer is not sched.optimizer and clone.verbose
    _continue_alike(sched, clone, _AFTER)


def test_tensor_lrs_updated_in_place_and_verbose_logs(caplog: pytest.LogCaptureFixture) -> None:
    opt = make_optimizer([0.1, 0.2], "float64")
    held = [g["lr"] for g in opt.param_groups]
    sched = lrplan.ReduceLROnPlateau(opt, patience=0, verbose=True)
    with caplog.at_level(logging.INFO, logger="lrplan"):
        sched.step(1.0)
        sched.step(1.0)
    assert [g["lr"] for g in opt.param_groups] == held
    assert [float(g["lr"]) for g in opt.param_groups] == pytest.approx([0.01, 0.02])
    assert isinstance(sched.get_last_lr()[0], torch.Tensor)
    assert "lr = 1.0" in caplog.text


def test_epoch_argument_warns_like_torch() -> None:
    def build(L: Any, opt: torch.optim.Optimizer) -> Any:
        return L.ReduceLROnPlateau(opt, patience=0)

    run_parity(build, [Step(args=(1.0,)), Step(args=(2.0, 5)), Step(args=(2.0,))])
