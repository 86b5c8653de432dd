"""accelerate prepares lrplan schedulers, with 1 and 2 real processes (gloo on 127.0.0.1).

accelerate wraps a prepared scheduler in ``AcceleratedScheduler``. With its defaults
(``split_batches=False``, ``step_scheduler_with_optimizer=True``) each
``scheduler.step()`` steps the wrapped scheduler ``num_processes`` times, on the view
that each process's batch is one slice of an ``num_processes`` times larger batch and the
schedule was sized in single-process batches. These tests pin that behaviour down and
prove the two fixes documented in docs/integrations.md give, at every optimizer step,
exactly the lrs of a single-process run:

* ``Accelerator(step_scheduler_with_optimizer=False)``: one scheduler step per call;
* ``lp.TimeScale(schedule=plan, factor=accelerator.num_processes)``: the schedule's
  clock runs ``num_processes`` times slower, so ``num_processes`` steps advance it by one.

Every run happens in freshly forked processes (tests/integration/_launch.py); a
single-process run is a child with no distributed environment, as a user starts it.
"""

from __future__ import annotations

import datetime
from typing import Any

import accelerate  # imported here so that forked ranks share it instead of importing it
import pytest
import torch
from accelerate.state import AcceleratorState, GradientState
from accelerate.utils import InitProcessGroupKwargs
from torch.utils.data import DataLoader, TensorDataset

import lrplan as lp

from ._launch import run_ranks

pytestmark = pytest.mark.integration

BASE_LR = 0.05
STEPS = 12  # optimizer steps per run (several epochs)
PLAN = lp.warmup(lp.Cosine(steps=12, end=0.1), steps=4)


def _train(rank: int, world: int, mode: str) -> dict[str, Any]:
    # A forked child inherits the parent's accelerate singletons (the HF Trainer test
    # creates an Accelerator in the pytest process); start from a clean slate.
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    accelerator = accelerate.Accelerator(
        cpu=True,
        step_scheduler_with_optimizer=(mode != "no_step_with_optimizer"),
        kwargs_handlers=[InitProcessGroupKwargs(timeout=datetime.timedelta(seconds=60))],
    )
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    plan: lp.Schedule = PLAN
    if mode == "timescale":
        plan = lp.TimeScale(schedule=PLAN, factor=accelerator.num_processes)
    sched = lp.ScheduledLR(opt, plan)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(32, 4, generator=g)
    loader = DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=4)
    model, opt, loader, psched = accelerator.prepare(model, opt, loader, sched)
    lrs: list[float] = []
    while len(lrs) < STEPS:
        for xb, yb in loader:
            lrs.append(float(opt.param_groups[0]["lr"]))
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            accelerator.backward(loss)
            opt.step()
            psched.step()
            opt.zero_grad()
            if len(lrs) == STEPS:
                break
    return {
        "num_processes": accelerator.num_processes,
        "distributed": str(accelerator.distributed_type),
        "wrapped": type(psched).__name__,
        "lrs": lrs,
        "last_epoch": sched.last_epoch,
    }


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    (result,) = run_ranks(_train, 1, "default")
    return result


def test_one_process(single: dict[str, Any]) -> None:
    assert single["num_processes"] == 1 and single["distributed"].endswith("NO")
    assert single["wrapped"] == "AcceleratedScheduler"
    assert single["lrs"] == pytest.approx([BASE_LR * PLAN(k) for k in range(STEPS)], rel=1e-12)
    assert single["last_epoch"] == STEPS


def test_two_processes_step_the_scheduler_twice_per_optimizer_step() -> None:
    ranks = run_ranks(_train, 2, "default")
    for r in ranks:
        assert r["num_processes"] == 2 and r["distributed"].endswith("MULTI_CPU")
        # The documented multiplication: optimizer step k trains with plan(2k).
        assert r["lrs"] == pytest.approx([BASE_LR * PLAN(2 * k) for k in range(STEPS)], rel=1e-12)
        assert r["last_epoch"] == 2 * STEPS
    assert ranks[0]["lrs"] == ranks[1]["lrs"]


@pytest.mark.parametrize("mode", ["no_step_with_optimizer", "timescale"])
def test_fix_matches_single_process_exactly(single: dict[str, Any], mode: str) -> None:
    ranks = run_ranks(_train, 2, mode)
    for r in ranks:
        assert r["num_processes"] == 2
        assert r["lrs"] == single["lrs"]  # bit for bit, at every optimizer step
    expected_steps = STEPS if mode == "no_step_with_optimizer" else 2 * STEPS
    assert [r["last_epoch"] for r in ranks] == [expected_steps, expected_steps]
