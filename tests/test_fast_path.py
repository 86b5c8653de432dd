"""The driver's fast steps give exactly what the general path gives, bit for bit.

``LRScheduler.step()`` first tries shortcuts (``_fast_step``: untouched float
groups, packed tensor groups, chained groups sharing one value; the momentum
companion's ``fast``). Each twin here runs the same script on two identical
optimizers: one scheduler as shipped, one with every shortcut switched off. After
every action both optimizers must hold the same values (same bits, same types)
and both schedulers must report the same ``get_last_lr()`` and state, or both
must raise the same error. The scripts mix in what the shortcuts must notice:
foreign changes, one group's lr object given to another group, an equal float
put back, added groups, ``set_step``, save and load.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Build = Callable[[torch.optim.Optimizer], Any]


def _step_lr(o: torch.optim.Optimizer) -> Any:
    return lrplan.StepLR(o, step_size=3, gamma=0.5)


def _cosine(o: torch.optim.Optimizer) -> Any:
    return lrplan.CosineAnnealingLR(o, T_max=7, eta_min=0.01)


def _exponential(o: torch.optim.Optimizer) -> Any:
    return lrplan.ExponentialLR(o, gamma=0.9)


def _one_cycle(o: torch.optim.Optimizer) -> Any:
    return lrplan.OneCycleLR(o, max_lr=0.5, total_steps=200)


def _cyclic(o: torch.optim.Optimizer) -> Any:
    return lrplan.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=4)


def _scheduled(o: torch.optim.Optimizer) -> Any:
    plan = lrplan.warmup(lrplan.Cosine(steps=20, end=0.1), steps=4)
    return lrplan.ScheduledLR(o, plan)


def _scheduled_per_group(o: torch.optim.Optimizer) -> Any:
    plans = [
        lrplan.Linear(steps=10 + i % 3, start=1.0, end=0.1) for i in range(len(o.param_groups))
    ]
    return lrplan.ScheduledLR(o, plans)


def _chained(o: torch.optim.Optimizer) -> Any:
    return lrplan.ChainedScheduler([lrplan.StepLR(o, step_size=2, gamma=0.5), _exponential(o)])


def _two_on_one(o: torch.optim.Optimizer) -> Any:
    """Two independent schedulers on one optimizer (stepped together, chained)."""
    return _Together([_cosine(o), _exponential(o)])


class _Together:
    def __init__(self, scheds: list[Any]) -> None:
        self._schedulers = scheds

    def step(self) -> None:
        for s in self._schedulers:
            s.step()

    def get_last_lr(self) -> list[Any]:
        return [v for s in self._schedulers for v in s.get_last_lr()]

    def state_dict(self) -> dict[str, Any]:
        return {"schedulers": [s.state_dict() for s in self._schedulers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for s, sub in zip(self._schedulers, state["schedulers"], strict=True):
            s.load_state_dict(sub)


BUILDS: dict[str, Build] = {
    "StepLR": _step_lr,
    "CosineAnnealingLR": _cosine,
    "ExponentialLR": _exponential,
    "OneCycleLR": _one_cycle,
    "CyclicLR": _cyclic,
    "ScheduledLR": _scheduled,
    "ScheduledLR per group": _scheduled_per_group,
    "ChainedScheduler": _chained,
    "two on one optimizer": _two_on_one,
}


def _optimizer(lrs: list[float], kind: str, adam: bool) -> torch.optim.Optimizer:
    groups = []
    for lr in lrs:
        value: Any = lr
        if kind != "float":
            value = torch.tensor(lr, dtype=getattr(torch, kind))
        groups.append({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": value})
    if adam:
        return torch.optim.AdamW(groups, lr=0.1)
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def _slow(sched: Any) -> None:
    """Switch off every shortcut of ``sched`` and of its children."""
    for s in getattr(sched, "_schedulers", [sched]):
        if isinstance(s, lrplan.LRScheduler):
            s._fast_step = lambda: False  # type: ignore[method-assign]
            companion = getattr(s, "_momentum", None)
            if companion is not None:
                companion.fast = lambda groups, t: False


@dataclass(frozen=True)
class Action:
    kind: str
    group: int = 0
    other: int = 0
    factor: float = 1.0


ACTIONS = st.one_of(
    st.just(Action("step")),
    st.just(Action("step")),
    st.just(Action("step")),
    st.builds(Action, st.just("scale"), st.integers(0, 5), st.just(0), st.sampled_from([0.5, 2.0])),
    st.builds(Action, st.just("alias"), st.integers(0, 5), st.integers(0, 5)),
    st.builds(Action, st.just("equal copy"), st.integers(0, 5)),
    st.just(Action("add group")),
    st.builds(Action, st.just("set_step"), st.integers(0, 12)),
    st.just(Action("save and load")),
)


def _apply(action: Action, opt: torch.optim.Optimizer, sched: Any) -> None:
    groups = opt.param_groups
    n = len(groups)
    if action.kind == "step":
        opt.step()
        sched.step()
    elif action.kind == "scale":
        g = groups[action.group % n]
        if isinstance(g["lr"], torch.Tensor):
            g["lr"].mul_(action.factor)
        else:
            g["lr"] = g["lr"] * action.factor
    elif action.kind == "alias":
        src, dst = groups[action.group % n], groups[action.other % n]
        if not isinstance(src["lr"], torch.Tensor) and not isinstance(dst["lr"], torch.Tensor):
            dst["lr"] = src["lr"]  # the very object another group holds
    elif action.kind == "equal copy":
        g = groups[action.group % n]
        if not isinstance(g["lr"], torch.Tensor):
            g["lr"] = float(repr(g["lr"]))  # an equal float, another object
    elif action.kind == "add group":
        lr: Any = groups[0]["lr"]
        lr = lr.detach().clone() if isinstance(lr, torch.Tensor) else lr * 0.5
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr})
    elif action.kind == "set_step":
        if isinstance(sched, lrplan.LRScheduler):
            sched.set_step(action.group)
    elif action.kind == "save and load":
        sched.load_state_dict(sched.state_dict())


def _bits(value: Any) -> tuple[str, str]:
    if isinstance(value, torch.Tensor):
        return (str(value.dtype), float(value.item()).hex())
    if isinstance(value, tuple | list):
        return (type(value).__name__, repr([_bits(v) for v in value]))
    return (type(value).__name__, float(value).hex())


def _snapshot(opt: torch.optim.Optimizer, sched: Any) -> list[Any]:
    keys = ("lr", "momentum", "betas")
    held = [[_bits(g[k]) for k in keys if k in g] for g in opt.param_groups]
    return [held, [_bits(v) for v in sched.get_last_lr()]]


def _run(build: Build, opt: torch.optim.Optimizer, script: list[Action], slow: bool) -> list[Any]:
    out: list[Any] = []
    try:
        sched = build(opt)
    except (ValueError, KeyError) as e:
        return [f"{type(e).__name__}: {e}"]
    if slow:
        _slow(sched)
    out.append(_snapshot(opt, sched))
    for action in script:
        try:
            _apply(action, opt, sched)
        except (ValueError, KeyError) as e:
            out.append(f"{type(e).__name__}: {e}")
            break
        out.append(_snapshot(opt, sched))
    return out


@pytest.mark.parametrize("name", sorted(BUILDS))
@SETTINGS
@given(
    lrs=st.one_of(
        st.integers(1, 6).map(lambda n: [0.1] * n),
        st.lists(st.sampled_from([0.1, 0.05, 1.0, 0.3]), min_size=1, max_size=6),
    ),
    kind=st.sampled_from(["float", "float", "float32", "float64"]),
    adam=st.booleans(),
    script=st.lists(ACTIONS, min_size=5, max_size=40),
)
def test_fast_steps_equal_the_general_path(
    name: str, lrs: list[float], kind: str, adam: bool, script: list[Action]
) -> None:
    build = BUILDS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = _run(build, _optimizer(lrs, kind, adam), script, slow=False)
        slow = _run(build, _optimizer(lrs, kind, adam), script, slow=True)
    assert fast == slow


def test_the_fast_paths_are_taken() -> None:
    """The shortcuts the twins compare are really used (else the test above proves nothing)."""
    opt = _optimizer([0.1] * 4, "float", adam=True)
    sched = lrplan.OneCycleLR(opt, max_lr=0.5, total_steps=50)
    opt.step()
    sched.step()
    calls = {"general": 0}
    original = sched._update_lr

    def counting(epoch: Any = None) -> None:
        calls["general"] += 1
        original(epoch)

    sched._update_lr = counting  # type: ignore[method-assign]
    for _ in range(5):
        opt.step()
        sched.step()
        assert sched._hot is not None  # the hot step is armed
    assert calls["general"] == 0
    assert all(type(g["betas"]) is tuple for g in opt.param_groups)

    # Packed tensor lrs and two chained lrplan schedulers take their shortcuts too.
    opt = _optimizer([0.1] * 3, "float32", adam=False)
    cos = _cosine(opt)
    for _ in range(2):
        opt.step()
        cos.step()
    assert cos._fast_step()
    opt = _optimizer([0.1] * 3, "float", adam=False)
    chain = _chained(opt)
    for _ in range(3):
        opt.step()
        chain.step()
    assert all(s._fast_step() for s in chain._schedulers)
    assert math.isclose(opt.param_groups[0]["lr"], 0.1 * 0.5**2 * 0.9**4)


@pytest.mark.parametrize("kind", ["float", "float32", "float64"])
@pytest.mark.parametrize("composite", ["sequential", "chained"])
def test_composites_record_the_last_lrs_of_their_step(kind: str, composite: str) -> None:
    """SequentialLR/ChainedScheduler take their last lrs from an lrplan child's record
    (made into tensors only when read): always the values of their last step, as
    torch's, even when the groups change afterwards or the reads come late."""
    from torch.optim import lr_scheduler as tls

    def build(ns: Any, opt: torch.optim.Optimizer) -> Any:
        if composite == "sequential":
            a = ns.ConstantLR(opt, factor=0.5, total_iters=3)
            return ns.SequentialLR(opt, [a, ns.ExponentialLR(opt, gamma=0.9)], milestones=[3])
        return ns.ChainedScheduler([ns.StepLR(opt, step_size=2), ns.ExponentialLR(opt, 0.9)])

    def plain(values: list[Any]) -> list[float]:
        return [float(v) for v in values]

    ours_opt = _optimizer([0.1, 0.2, 0.3], kind, adam=False)
    theirs_opt = _optimizer([0.1, 0.2, 0.3], kind, adam=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = build(lrplan, ours_opt), build(tls, theirs_opt)
        for step in range(12):
            ours_opt.step()
            theirs_opt.step()
            ours.step()
            theirs.step()
            if step % 3 == 2:  # a foreign change after the step: not in the record
                for o in (ours_opt, theirs_opt):
                    lr = o.param_groups[1]["lr"]
                    if isinstance(lr, torch.Tensor):
                        lr.fill_(0.05)
                    else:
                        o.param_groups[1]["lr"] = 0.05
            if step % 2:
                mine, torch_s = ours.get_last_lr(), theirs.get_last_lr()
                assert [type(v) for v in mine] == [type(v) for v in torch_s]
                assert plain(mine) == pytest.approx(plain(torch_s), rel=1e-6)


def test_a_copy_of_an_armed_scheduler_steps_on_its_own() -> None:
    """The hot step belongs to one object (it edits that object's lists): deepcopy
    drops it, and the copy and the original then step independently and exactly."""
    import copy

    opt = _optimizer([0.1], "float", adam=False)
    sched = lrplan.CosineAnnealingLR(opt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            opt.step()
            sched.step()
        assert sched._hot is not None
        opt2, sched2 = copy.deepcopy((opt, sched))
        assert sched2._hot is None and sched2.optimizer is opt2
        for _ in range(3):
            opt2.step()
            sched2.step()
        assert sched.last_epoch == 4 and sched2.last_epoch == 7
        assert sched.get_last_lr() == [opt.param_groups[0]["lr"]]
        for _ in range(3):
            opt.step()
            sched.step()
        assert opt.param_groups[0]["lr"] == opt2.param_groups[0]["lr"]
        assert sched.get_last_lr() == sched2.get_last_lr()
