"""ReduceLROnPlateau against torch 2.13's, on random metrics and arguments."""

from __future__ import annotations

import logging
import math
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
    assert str(l_err.value) == str(t_err.value)


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


def test_loads_torch_state_and_refuses_changed_arguments() -> None:
    opt = make_optimizer([0.1])
    ref = tsched.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for m in [1.0, 2.0, 2.0, 2.0]:
        ref.step(m)
    ours = lrplan.ReduceLROnPlateau(make_optimizer([0.1]), factor=0.5, patience=1)
    ours.load_state_dict(ref.state_dict())
    assert (ours.best, ours.num_bad_epochs, ours.last_epoch) == (
        ref.best,
        ref.num_bad_epochs,
        ref.last_epoch,
    )
    other = lrplan.ReduceLROnPlateau(make_optimizer([0.1]), factor=0.3, patience=1)
    with pytest.raises(ValueError, match="factor"):
        other.load_state_dict(ours.state_dict())
    other.load_state_dict(ours.state_dict(), on_config_change="keep_step")
    assert other.factor == 0.3 and other.best == ref.best


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
