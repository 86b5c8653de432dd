"""A compiled optimizer step never recompiles while lrplan schedulers drive it.

Not a timing test: a counting ``torch.compile`` backend records how many graphs
Dynamo hands over. After ``lrplan.tensorize`` every scheduled value is a 0-dim
tensor that lrplan updates in place, so the whole schedule runs on the graphs of
the first step, for every scheduler class, momentum and betas cycling included.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import lrplan

Build = Callable[[torch.optim.Optimizer], Any]


def _sgd(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def _adamw(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=0.01, foreach=False)


def _plan() -> lrplan.Schedule:
    return lrplan.warmup(lrplan.Cosine(steps=8, end=0.1), steps=3)


# name -> (optimizer factory, keys to tensorize, scheduler builder)
CASES: dict[
    str, tuple[Callable[[torch.nn.Module], torch.optim.Optimizer], tuple[str, ...], Build]
] = {
    "StepLR": (_sgd, ("lr",), lambda o: lrplan.StepLR(o, step_size=2, gamma=0.5)),
    "MultiStepLR": (_sgd, ("lr",), lambda o: lrplan.MultiStepLR(o, milestones=[2, 5])),
    "ConstantLR": (_sgd, ("lr",), lambda o: lrplan.ConstantLR(o, factor=0.5, total_iters=3)),
    "LinearLR": (_sgd, ("lr",), lambda o: lrplan.LinearLR(o, start_factor=0.25, total_iters=4)),
    "ExponentialLR": (_sgd, ("lr",), lambda o: lrplan.ExponentialLR(o, gamma=0.9)),
    "PolynomialLR": (_sgd, ("lr",), lambda o: lrplan.PolynomialLR(o, total_iters=6, power=2.0)),
    "CosineAnnealingLR": (_sgd, ("lr",), lambda o: lrplan.CosineAnnealingLR(o, T_max=5)),
    "CosineAnnealingWarmRestarts": (
        _sgd,
        ("lr",),
        lambda o: lrplan.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    ),
    "LambdaLR": (_sgd, ("lr",), lambda o: lrplan.LambdaLR(o, lambda e: 0.9**e)),
    "MultiplicativeLR": (_sgd, ("lr",), lambda o: lrplan.MultiplicativeLR(o, lambda e: 0.95)),
    "CyclicLR": (
        _sgd,
        ("lr",),
        lambda o: lrplan.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2),
    ),
    "OneCycleLR": (_sgd, ("lr",), lambda o: lrplan.OneCycleLR(o, max_lr=0.1, total_steps=30)),
    "OneCycleLR+AdamW": (
        _adamw,
        ("lr", "betas"),
        lambda o: lrplan.OneCycleLR(o, max_lr=0.01, total_steps=30),
    ),
    "ReduceLROnPlateau": (
        _sgd,
        ("lr",),
        lambda o: lrplan.ReduceLROnPlateau(o, patience=0, factor=0.5),
    ),
    "GreedyLR": (
        _sgd,
        ("lr",),
        lambda o: lrplan.GreedyLR(o, patience=0, factor=0.5, min_lr=1e-4),
    ),
    "LinearAnnealingLR": (_sgd, ("lr",), lambda o: lrplan.LinearAnnealingLR(o, T_max=6)),
    "GradualWarmupScheduler": (
        _sgd,
        ("lr",),
        lambda o: lrplan.GradualWarmupScheduler(
            o, multiplier=2, total_epoch=3, after_scheduler=lrplan.StepLR(o, step_size=2)
        ),
    ),
    "ScheduledLR": (_sgd, ("lr",), lambda o: lrplan.ScheduledLR(o, _plan())),
    "ScheduledLR(momentum)": (
        _sgd,
        ("lr",),
        lambda o: lrplan.ScheduledLR(
            o, lrplan.Linear(steps=10, start=0.95, end=0.85), key="momentum"
        ),
    ),
    "ScheduledLR(betas[0])": (
        _adamw,
        ("lr", "betas"),
        lambda o: lrplan.ScheduledLR(
            o, lrplan.Linear(steps=10, start=0.95, end=0.85), key="betas[0]"
        ),
    ),
    "MultiScheduledLR": (
        _sgd,
        ("lr",),
        lambda o: lrplan.MultiScheduledLR(
            o,
            {
                "lr": lrplan.ScheduledLR(o, _plan()),
                "momentum": lrplan.ScheduledLR(
                    o, lrplan.Linear(steps=10, start=0.95, end=0.85), key="momentum"
                ),
            },
        ),
    ),
    "HFScheduledLR": (_sgd, ("lr",), lambda o: lrplan.HFScheduledLR(o, _plan(), name="cosine")),
    "WSDScheduler": (
        _sgd,
        ("lr",),
        lambda o: lrplan.WSDScheduler(o, warmup=2, stable=3, decay_steps=4),
    ),
    "Warmup": (
        _sgd,
        ("lr",),
        lambda o: lrplan.Warmup(lrplan.CosineAnnealingLR(o, T_max=6), steps=3),
    ),
    "SequentialLR": (
        _sgd,
        ("lr",),
        lambda o: lrplan.SequentialLR(
            o,
            [lrplan.LinearLR(o, start_factor=0.25, total_iters=3), lrplan.CosineAnnealingLR(o, 6)],
            milestones=[3],
        ),
    ),
    "ChainedScheduler": (
        _sgd,
        ("lr",),
        lambda o: lrplan.ChainedScheduler(
            [lrplan.StepLR(o, step_size=2, gamma=0.5), lrplan.ExponentialLR(o, gamma=0.9)]
        ),
    ),
}


#: The key whose values a case checks for change (``"lr"`` unless listed).
WATCH = {"ScheduledLR(betas[0])": "betas[0]", "ScheduledLR(momentum)": "momentum"}

# SGD's momentum stays a float in these cases: torch's SGD tests it in Python
# (``if momentum != 0``), so a tensor momentum makes Dynamo give up on the step.
# Dynamo treats the changing float as dynamic after the first step: no recompiles.


class CountingBackend:
    """A ``torch.compile`` backend that counts the graphs it is given and runs them eagerly."""

    def __init__(self) -> None:
        self.graphs = 0

    def __call__(self, gm: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
        self.graphs += 1
        return gm.forward


def _scheduled_value(opt: torch.optim.Optimizer, key: str) -> float:
    group = opt.param_groups[0]
    value = group["betas"][0] if key == "betas[0]" else group[key]
    return float(value)


def run_compiled(case: str, steps: int = 12) -> tuple[int, int, list[float]]:
    """Graphs after the first two compiled steps, graphs at the end, and the lrs seen.

    The second step may compile once more for torch's own reason: the optimizer
    creates its state (SGD's momentum buffers) lazily in the first step, and Dynamo
    guards on the state being empty. From then on nothing may recompile.
    """
    make_opt, keys, build = CASES[case]
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = lrplan.tensorize(make_opt(model), keys)
    model(torch.randn(8, 4)).square().mean().backward()
    sched = build(opt)
    backend = CountingBackend()
    torch._dynamo.reset()

    @torch.compile(backend=backend)
    def opt_step() -> None:
        opt.step()

    lrs = []
    first = 0
    for i in range(steps):
        opt_step()
        if i == 1:
            first = backend.graphs
        if getattr(sched, "metric_driven", False):
            sched.step(1.0)  # a flat metric: the lr is cut every step (patience=0)
        else:
            sched.step()
        lrs.append(_scheduled_value(opt, WATCH.get(case, "lr")))
    return first, backend.graphs, lrs


@pytest.fixture(autouse=True)
def _quiet_and_roomy() -> Any:
    # A generous recompile limit, so a recompile shows up in the count instead of
    # as a silent fallback to eager.
    with warnings.catch_warnings(), torch._dynamo.config.patch(recompile_limit=64):
        warnings.simplefilter("ignore")
        yield
    torch._dynamo.reset()


def test_every_scheduler_class_is_covered() -> None:
    classes = {
        name
        for name in lrplan.__all__
        if inspect.isclass(obj := getattr(lrplan, name))
        and issubclass(obj, torch.optim.lr_scheduler.LRScheduler | lrplan.ReduceLROnPlateau)
        and obj not in (lrplan.LRScheduler, lrplan._LRScheduler)  # the bases users subclass
    }
    covered = {case.split("(")[0].split("+")[0] for case in CASES}
    assert classes <= covered, f"add compile cases for {sorted(classes - covered)}"


FAST = ["StepLR", "CosineAnnealingLR", "OneCycleLR+AdamW", "ScheduledLR"]


@pytest.mark.parametrize(
    "case", [c if c in FAST else pytest.param(c, marks=pytest.mark.slow) for c in CASES]
)
def test_no_recompile_over_a_schedule(case: str) -> None:
    first, total, lrs = run_compiled(case)
    assert first >= 1
    assert total == first, f"{case}: {total - first} recompiles after the optimizer state exists"
    assert len(set(lrs)) > 1, f"{case}: the schedule never changed its key (proves nothing)"


def test_tensorized_run_matches_float_run_exactly() -> None:
    """float64 0-dim tensors hold the very floats a float-lr run would write."""
    _, _, compiled = run_compiled("OneCycleLR+AdamW")
    model = torch.nn.Linear(4, 2)
    opt = _adamw(model)
    sched = lrplan.OneCycleLR(opt, max_lr=0.01, total_steps=30)
    eager = []
    for _ in range(12):
        opt.step()
        sched.step()
        eager.append(opt.param_groups[0]["lr"])
    assert compiled == eager


def test_tensorize_packs_groups_into_one_buffer_and_keeps_values() -> None:
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
    opt = torch.optim.SGD(
        [{"params": [p], "lr": lr} for p, lr in zip(params, (0.1, 0.2, 0.3), strict=True)],
        lr=0.5,
        momentum=0.9,
    )
    lrplan.tensorize(opt, ["lr", "momentum"])
    lrs = [g["lr"] for g in opt.param_groups]
    assert [float(t) for t in lrs] == [0.1, 0.2, 0.3]
    assert all(t.dim() == 0 and t.dtype == torch.float64 for t in lrs)
    assert len({t.untyped_storage().data_ptr() for t in lrs}) == 1
    sched = lrplan.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == lrs  # the same tensor objects, updated in place
    assert [float(t) for t in lrs] == [0.05, 0.1, 0.15]


def test_tensorize_rejects_bad_arguments() -> None:
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="key must be one of"):
        lrplan.tensorize(opt, "nope")
    with pytest.raises(ValueError, match="has no 'betas'"):
        lrplan.tensorize(opt, "betas")
    with pytest.raises(TypeError, match="dtype"):
        lrplan.tensorize(opt, "lr", dtype=torch.int64)
    with pytest.raises(TypeError, match="Optimizer"):
        lrplan.tensorize(object(), "lr")  # type: ignore[arg-type]
