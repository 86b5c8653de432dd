"""Any hyperparameter, per group: momentum, betas, weight_decay, alone or alongside lr."""

from __future__ import annotations

import math

import pytest
import torch

import lrplan as lp
from sched_cases import backbone_and_head, unit_grad_step


def _tensor(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


# --------------------------------------------------------------------------- one key at a time


def test_momentum_alone_is_absolute_and_lr_untouched() -> None:
    backbone, head = backbone_and_head()
    opt = torch.optim.SGD(backbone + head, lr=0.1, momentum=0.9)
    mom = lp.ScheduledLR(opt, lp.Linear(steps=4, start=0.95, end=0.85), key="momentum")
    seen = [opt.param_groups[0]["momentum"]]
    for _ in range(6):
        unit_grad_step(opt)
        mom.step()
        seen.append(opt.param_groups[0]["momentum"])
    assert seen == pytest.approx([0.95, 0.925, 0.9, 0.875, 0.85, 0.85, 0.85], abs=1e-15)
    assert opt.param_groups[0]["lr"] == 0.1
    assert opt.param_groups[0]["initial_momentum"] == 0.9


def test_weight_decay_is_relative_to_each_groups_base() -> None:
    backbone, head = backbone_and_head()
    opt = torch.optim.AdamW(
        [{"params": backbone, "weight_decay": 0.05}, {"params": head, "weight_decay": 0.0}], lr=1e-3
    )
    wd = lp.ScheduledLR(opt, lp.Cosine(steps=10, start=1.0, end=0.1), key="weight_decay")
    for _ in range(5):
        unit_grad_step(opt)
        wd.step()
    assert opt.param_groups[0]["weight_decay"] == pytest.approx(0.05 * 0.55)
    assert opt.param_groups[1]["weight_decay"] == 0.0
    assert wd.get_last_lr() == pytest.approx([0.05 * 0.55, 0.0])


def test_adam_betas_and_lr_as_tensors_stay_the_same_tensors() -> None:
    backbone, head = backbone_and_head()
    lr, b0, b1 = _tensor(1e-3), _tensor(0.9), _tensor(0.999)
    opt = torch.optim.Adam(backbone + head, lr=lr, betas=(b0, b1), foreach=False)
    sched = lp.ScheduledLR(opt, lp.warmup(lp.Cosine(steps=20, end=0.1), steps=5))
    beta1 = lp.ScheduledLR(opt, lp.Linear(steps=10, start=0.95, end=0.85), key="betas[0]")
    beta2 = lp.ScheduledLR(opt, lp.Linear(steps=10, start=0.95, end=0.999), key="betas[1]")
    plan_lr = lp.warmup(lp.Cosine(steps=20, end=0.1), steps=5)
    for t in range(1, 15):
        unit_grad_step(opt)
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
    backbone, _ = backbone_and_head()
    opt = torch.optim.Adam(backbone, lr=1e-3, betas=(0.9, 0.999))
    s = lp.ScheduledLR(opt, lp.Constant(value=0.8), key="betas[0]")
    unit_grad_step(opt)
    s.step()
    assert opt.param_groups[0]["betas"] == (0.8, 0.999)
    assert isinstance(opt.param_groups[0]["betas"], tuple)


# --------------------------------------------------------------------------- per group


def test_longer_warmup_for_the_head_than_the_backbone() -> None:
    backbone, head = backbone_and_head()
    opt = torch.optim.SGD([{"params": backbone, "lr": 0.1}, {"params": head, "lr": 1.0}], lr=0.1)
    body_plan = lp.warmup(lp.Cosine(steps=20), steps=2)
    head_plan = lp.warmup(lp.Cosine(steps=20), steps=8)
    sched = lp.ScheduledLR(opt, [body_plan, head_plan])
    seen = [sched.get_last_lr()]
    for _ in range(10):
        unit_grad_step(opt)
        sched.step()
        seen.append(sched.get_last_lr())
    for t, (a, b) in enumerate(seen):
        assert a == pytest.approx(0.1 * body_plan(t), rel=1e-12, abs=1e-15)
        assert b == pytest.approx(1.0 * head_plan(t), rel=1e-12, abs=1e-15)
    assert seen[2][0] == pytest.approx(0.1) and seen[2][1] == pytest.approx(0.25)
    assert seen[8][1] == pytest.approx(1.0)


def test_per_group_schedules_for_momentum_too() -> None:
    backbone, head = backbone_and_head()
    opt = torch.optim.SGD(
        [{"params": backbone}, {"params": head}], lr=0.1, momentum=0.9, nesterov=True
    )
    mom = lp.ScheduledLR(
        opt,
        [lp.Constant(value=0.9), lp.Linear(steps=4, start=0.5, end=0.9)],
        key="momentum",
    )
    for _ in range(2):
        unit_grad_step(opt)
        mom.step()
    assert [g["momentum"] for g in opt.param_groups] == pytest.approx([0.9, 0.7])


def test_values_are_checked_for_every_key() -> None:
    backbone, _ = backbone_and_head()
    opt = torch.optim.SGD(backbone, lr=0.1, momentum=0.9)
    s = lp.ScheduledLR(opt, lp.Exponential(gamma=1e200), key="momentum")
    unit_grad_step(opt)
    s.step()
    with pytest.raises(ValueError, match="momentum=inf"):
        s.step()
    assert math.isfinite(opt.param_groups[0]["momentum"])
