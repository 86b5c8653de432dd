"""accelerate with an lrplan schedule, and the fix for accelerate's scheduler stepping.

``accelerator.prepare(scheduler)`` wraps the scheduler so that, with the default
``split_batches=False``, every ``scheduler.step()`` steps it ``num_processes`` times.
accelerate assumes the schedule was sized in single-process batches; if you sized it in
optimizer steps (what the loop below counts), a 2-process run goes through the schedule
twice as fast. Either fix keeps the lr of optimizer step k at ``base * plan(k)`` for any
number of processes:

* ``--fix timescale`` (default): ``lp.TimeScale(schedule=plan, factor=num_processes)``;
* ``--fix no-step-with-optimizer``: ``Accelerator(step_scheduler_with_optimizer=False)``;
* ``--fix none``: accelerate's default, to see the problem.

Run it on CPU with two processes (gloo over 127.0.0.1); ``Accelerator(cpu=True)`` picks
up the ranks torchrun sets in the environment:

    torchrun --nproc-per-node 2 --master-addr 127.0.0.1 examples/accelerate_example.py
    torchrun --nproc-per-node 2 --master-addr 127.0.0.1 examples/accelerate_example.py --fix none

(``accelerate launch --cpu`` starts a single process; accelerate's multi-CPU launch goes
through MPI and an ``accelerate config`` file.) On GPUs, drop ``cpu=True`` and use
``accelerate launch --num_processes 2``: the scheduler is stepped the same way.
"""

from __future__ import annotations

import argparse
import sys

import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader, TensorDataset

import lrplan as lp

BASE_LR = 0.05


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps (20)")
    parser.add_argument(
        "--fix", choices=["timescale", "no-step-with-optimizer", "none"], default="timescale"
    )
    args = parser.parse_args(argv)

    accelerator = Accelerator(
        cpu=True, step_scheduler_with_optimizer=args.fix != "no-step-with-optimizer"
    )
    n = accelerator.num_processes
    plan = lp.warmup(lp.Cosine(steps=args.steps - 4, end=0.01), steps=4)  # in optimizer steps
    if args.fix == "timescale":
        plan = lp.TimeScale(schedule=plan, factor=n)  # n scheduler steps = 1 optimizer step

    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.AdamW(model.parameters(), lr=BASE_LR)
    sched = lp.ScheduledLR(opt, plan)
    x = torch.randn(256, 8, generator=torch.Generator().manual_seed(1))
    loader = DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)
    model, opt, loader, sched = accelerator.prepare(model, opt, loader, sched)

    step = 0
    while step < args.steps:
        for xb, yb in loader:
            lr = opt.param_groups[0]["lr"]
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            accelerator.backward(loss)
            opt.step()
            sched.step()
            opt.zero_grad()
            accelerator.print(f"step {step:3d}  lr {lr:.6f}  loss {loss.item():.4f}")
            step += 1
            if step == args.steps:
                break
    t = sched.scheduler.last_epoch
    accelerator.print(f"{n} process(es), fix={args.fix}: the schedule is at t={t}")
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    sys.exit(main())
