"""Any hyperparameter, per group: momentum, betas, weight_decay, alone or alongside lr."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _model_groups() -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
    torch.manual_seed(0)
    backbone = [torch.nn.Parameter(torch.randn(4, 3)), torch.nn.Parameter(torch.randn(4))]
    head = [torch.nn.Parameter(torch.randn(2, 4))]
    return backbone, head


def _train_step(opt: torch.optim.Optimizer) -> None:
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = torch.ones_like(p)
    opt.step()


def _tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


# --------------------------------------------------------------------------- one key at a time


def test_momentum_alone_is_absolute_and_lr_untouched() -> None:
    backbone, head = _model_groups()
    opt = torch.optim.SGD(backbone + head, lr=0.1, momentum=0.9)
    mom = lp.ScheduledLR(opt, lp.Linear(steps=4, start=0.95, end=0.85), key="momentum")
    seen = [opt.param_groups[0]["momentum"]]
    for _ in range(6):
        _train_step(opt)
        mom.step()
        seen.append(opt.param_groups[0]["momentum"])
    assert seen == pytest.approx([0.95, 0.925, 0.9, 0.875, 0.85, 0.85, 0.85], abs=1e-15)
    assert opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[0]["initial_momentum"] == 0.9


def test_weight_decay_is_relative_to_each_groups_base() -> None:
    backbone, head = _model_groups()
    opt = torch.optim.AdamW(
        [{"params": backbone, "weight_decay": 0.05}, {"params": head, "weight_decay": 0.0}], lr=1e-3
    )
    wd = lp.ScheduledLR(opt, lp.Cosine(steps=10, start=1.0, end=0.1), key="weight_decay")
    for _ in range(5):
        _train_step(opt)
        wd.step()
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.05 * 0.55)
    assert opt.param_groups[1]["weight_decay"] == 0.0
    assert wd.get_last_lr() == pytest.approx([0.05 * 0.55, 0.0])


def test_adam_betas_and_lr_as_tensors_stay_the_same_tensors() -> None:
    backbone, head = _model_groups()
    lr, b0, b1 = _tensor(1e-3), _tensor(0.9), _tensor(0.999)
    opt = torch.optim.Adam(backbone + head, lr=lr, betas=(b0, b1), foreach=False)
    sched = lp.ScheduledLR(opt, lp.warmup(lp.Cosine(steps=20, end=0.1), steps=5))
    beta1 = lp.ScheduledLR(opt, lp.Linear(steps=10, start=0.95, end=0.85), key="betas[0]")
    beta2 = lp.ScheduledLR(opt, lp.Linear(steps=10, start=0.95, end=0.999), key="betas[1]")
    plan_lr = lp.warmup(lp.Cosine(steps=20, end=0.1), steps=5)
    for t in range(1, 15):
        _train_step(opt)
        for s in (sched, beta1, beta2):
            s.step()
        g = opt.param_groups[0]
        assert g["lr"] is lr and g["betas"][0] is b0 and g["betas"][1] is b1
        assert float(lr) == pytest.approx(1e-3 * plan_lr(t), rel=1e-12)
        assert float(b0) == pytest.approx(0.95 - 0.01 * min(t, 10), rel=1e-12)
        assert float(b1) == pytest.approx(0.95 + 0.0049 * min(t, 10), rel=1e-12)
    assert isinstance(beta1.get_last_lr()[0], torch.Tensor)
    assert all(torch.isfinite(p).all() for p in backbone + head)


def test_float_betas_stay_a_tuple_of_floats() -> None:
    backbone, _ = _model_groups()
    opt = torch.optim.Adam(backbone, lr=1e-3, betas=(0.9, 0.999))
    s = lp.ScheduledLR(opt, lp.Constant(value=0.8), key="betas[0]")
    _train_step(opt)
    s.step()
    assert opt.param_groups[0]["betas"] == (0.8, 0.999)
    assert isinstance(opt.param_groups[0]["betas"], tuple)


# --------------------------------------------------------------------------- per group


def test_longer_warmup_for_the_head_than_the_backbone() -> None:
    backbone, head = _model_groups()
    opt = torch.optim.SGD([{"params": backbone, "lr": 0.1}, {"params": head, "lr": 1.0}], lr=0.1)
    body_plan = lp.warmup(lp.Cosine(steps=20), steps=2)
    head_plan = lp.warmup(lp.Cosine(steps=20), steps=8)
    sched = lp.ScheduledLR(opt, [body_plan, head_plan])
    seen = [sched.get_last_lr()]
    for _ in range(10):
        _train_step(opt)
        sched.step()
        seen.append(sched.get_last_lr())
    for t, (a, b) in enumerate(seen):
        assert a == pytest.approx(0.1 * body_plan(t), rel=1e-12, abs=1e-15)
        assert b == pytest.approx(1.0 * head_plan(t), rel=1e-12, abs=1e-15)
    assert seen[2][0] == pytest.approx(0.1) and seen[2][1] == pytest.approx(0.25)
    assert seen[8][1] == pytest.approx(1.0)


def test_per_group_schedules_for_momentum_too() -> None:
    backbone, head = _model_groups()
    opt = torch.optim.SGD(
        [{"params": backbone}, {"params": head}], lr=0.1, momentum=0.9, nesterov=True
    )
    mom = lp.ScheduledLR(
        opt,
        [lp.Constant(value=0.9), lp.Linear(steps=4, start=0.5, end=0.9)],
        key="momentum",
    )
    for _ in range(2):
        _train_step(opt)
        mom.step()
    assert [g["momentum"] for g in opt.param_groups] == pytest.approx([0.9, 0.7])


# --------------------------------------------------------------------------- several keys


def _schedules() -> dict[str, lp.Schedule]:
    return {
        "lr": lp.warmup(lp.Cosine(steps=30, end=0.05), steps=5),
        "momentum": lp.Linear(steps=30, start=0.95, end=0.85),
        "weight_decay": lp.Linear(steps=30, start=1.0, end=0.0),
    }


@SETTINGS
@given(n=st.integers(min_value=0, max_value=40))
def test_schedule_many_equals_the_closed_forms(n: int) -> None:
    backbone, head = _model_groups()
    opt = torch.optim.SGD(
        [{"params": backbone, "lr": 0.1}, {"params": head, "lr": 0.3}],
        momentum=0.9,
        weight_decay=1e-4,
    )
    plans = _schedules()
    sched = lp.schedule_many(opt, plans)
    for _ in range(n):
        _train_step(opt)
        sched.step()
    for i, base in enumerate((0.1, 0.3)):
        g = opt.param_groups[i]
        assert g["lr"] == pytest.approx(base * plans["lr"](n), rel=1e-12, abs=1e-15)
        assert g["momentum"] == pytest.approx(plans["momentum"](n), rel=1e-12)
        assert g["weight_decay"] == pytest.approx(1e-4 * plans["weight_decay"](n), abs=1e-18)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"], opt.param_groups[1]["lr"]]
    assert sched.last_epoch == n
    assert set(sched.get_last_values()) == {"lr", "momentum", "weight_decay"}


def test_schedule_many_resume_is_bit_exact(weights_only_roundtrip: Any) -> None:
    def build() -> tuple[torch.optim.Optimizer, lp.MultiScheduledLR]:
        backbone, head = _model_groups()
        opt = torch.optim.SGD(backbone + head, lr=0.1, momentum=0.9, weight_decay=1e-4)
        return opt, lp.schedule_many(opt, _schedules())

    opt, sched = build()
    for _ in range(13):
        _train_step(opt)
        sched.step()
    state = weights_only_roundtrip(sched.state_dict())
    opt2, sched2 = build()
    sched2.load_state_dict(state)
    keys = ("lr", "momentum", "weight_decay")
    for _ in range(10):
        _train_step(opt)
        _train_step(opt2)
        sched.step()
        sched2.step()
        assert [opt.param_groups[0][k] for k in keys] == [opt2.param_groups[0][k] for k in keys]
    sched2.set_step(3)
    assert opt2.param_groups[0]["momentum"] == pytest.approx(0.95 - 0.1 * 3 / 30)
    assert isinstance(sched2, torch.optim.lr_scheduler.LRScheduler)


def test_schedule_many_relative_override_and_errors() -> None:
    backbone, _ = _model_groups()
    opt = torch.optim.SGD(backbone, lr=0.1, momentum=0.5)
    s = lp.schedule_many(opt, {"momentum": lp.Constant(value=1.5)}, relative={"momentum": True})
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.75)
    assert s.get_last_lr() == pytest.approx([0.75])  # the first key when lr isn't scheduled
    with pytest.raises(ValueError, match="not scheduled"):
        lp.schedule_many(opt, {"lr": lp.Constant()}, relative={"momentum": True})
    with pytest.raises(TypeError, match="non-empty dict"):
        lp.schedule_many(opt, {})
    with pytest.raises(ValueError, match="betas"):
        lp.schedule_many(opt, {"betas[0]": lp.Constant(value=0.9)})  # SGD has no betas
    with pytest.raises(ValueError, match=r"keys \['lr'\]"):
        s.load_state_dict(lp.schedule_many(opt, {"lr": lp.Constant()}).state_dict())


def test_values_are_checked_for_every_key() -> None:
    backbone, _ = _model_groups()
    opt = torch.optim.SGD(backbone, lr=0.1, momentum=0.9)
    s = lp.ScheduledLR(opt, lp.Exponential(gamma=1e200), key="momentum")
    _train_step(opt)
    s.step()
    with pytest.raises(ValueError, match="momentum=inf"):
        s.step()
    assert math.isfinite(opt.param_groups[0]["momentum"])
