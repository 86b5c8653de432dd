"""lrplan._many: schedule_many and MultiScheduledLR, several param-group keys of one
optimizer stepped, jumped, saved and copied as one scheduler."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as tl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
from sched_cases import backbone_and_head, unit_grad_step

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _schedules() -> dict[str, lp.Schedule]:
    return {
        "lr": lp.warmup(lp.Cosine(steps=30, end=0.05), steps=5),
        "momentum": lp.Linear(steps=30, start=0.95, end=0.85),
        "weight_decay": lp.Linear(steps=30, start=1.0, end=0.0),
    }


@SETTINGS
@given(n=st.integers(min_value=0, max_value=40))
def test_schedule_many_equals_the_closed_forms(n: int) -> None:
    backbone, head = backbone_and_head()
    opt = torch.optim.SGD(
        [{"params": backbone, "lr": 0.1}, {"params": head, "lr": 0.3}],
        momentum=0.9,
        weight_decay=1e-4,
    )
    plans = _schedules()
    sched = lp.schedule_many(opt, plans)
    for _ in range(n):
        unit_grad_step(opt)
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
        backbone, head = backbone_and_head()
        opt = torch.optim.SGD(backbone + head, lr=0.1, momentum=0.9, weight_decay=1e-4)
        return opt, lp.schedule_many(opt, _schedules())

    opt, sched = build()
    for _ in range(13):
        unit_grad_step(opt)
        sched.step()
    state = weights_only_roundtrip(sched.state_dict())
    opt2, sched2 = build()
    sched2.load_state_dict(state)
    keys = ("lr", "momentum", "weight_decay")
    for _ in range(10):
        unit_grad_step(opt)
        unit_grad_step(opt2)
        sched.step()
        sched2.step()
        assert [opt.param_groups[0][k] for k in keys] == [opt2.param_groups[0][k] for k in keys]
    sched2.set_step(3)
    assert opt2.param_groups[0]["momentum"] == pytest.approx(0.95 - 0.1 * 3 / 30)
    assert isinstance(sched2, torch.optim.lr_scheduler.LRScheduler)


def test_schedule_many_relative_override_and_errors() -> None:
    backbone, _ = backbone_and_head()
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


def _opt(lrs: tuple[float, ...] = (0.1, 0.02)) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9, foreach=False)


def _step_all(opt: torch.optim.Optimizer, sched: Any, n: int) -> list[list[float]]:
    out = []
    for _ in range(n):
        opt.step()
        sched.step()
        out.append([float(g["lr"]) for g in opt.param_groups])
    return out


def test_multi_scheduled_lr_is_a_scheduler_and_copies_mid_run() -> None:
    opt = _opt()
    multi = lp.schedule_many(
        opt, {"lr": lp.Cosine(steps=10), "momentum": lp.Linear(steps=10, start=0.95, end=0.85)}
    )
    assert isinstance(multi, lp.LRScheduler) and isinstance(multi, tl.LRScheduler)
    assert multi.base_lrs == [0.1, 0.02]
    _step_all(opt, multi, 4)
    assert multi.last_epoch == 4
    copies = [pickle.loads(pickle.dumps((opt, multi))), copy.deepcopy((opt, multi))]
    ref = _step_all(opt, multi, 8)
    for opt2, multi2 in copies:
        assert _step_all(opt2, multi2, 8) == ref
        assert multi2.get_last_values() == multi.get_last_values()
    multi.last_epoch = 2  # torch's composites move their children's steps
    assert {s.last_epoch for s in multi.schedulers.values()} == {2}
