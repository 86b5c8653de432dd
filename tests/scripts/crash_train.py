"""A tiny, deterministic CPU training run that checkpoints atomically and can resume.

Used by ``tests/test_crash_resume.py``, which SIGKILLs it at random moments and
checks that the resumed run's learning-rate log and final parameters equal an
uninterrupted run's, bit for bit.

Usage::

    python crash_train.py DIR --steps 300 --every 7 [--delay 0.002]

It prints ``start <step>`` when it (re)starts from a checkpoint (0 when fresh),
``step <t>`` after every optimizer step and ``done`` at the end, when it writes
``DIR/result.pt``. Checkpoints go to ``DIR/ckpt.pt`` via a temporary file, fsync
and ``os.replace``, so a kill never leaves a torn checkpoint.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

import lrplan as lp


def build(model: torch.nn.Module) -> tuple[torch.optim.Optimizer, list[Any]]:
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    after = lp.ScheduledLR(
        opt, lp.Cosine(steps=40, end=0.05, after="restart") * lp.Step(step_size=80, gamma=0.5)
    )
    warm = lp.GradualWarmupScheduler(opt, multiplier=4, total_epoch=25, after_scheduler=after)
    mom = lp.ScheduledLR(opt, lp.Linear(steps=120, start=0.95, end=0.85), key="momentum")
    return opt, [warm, mom]


def batch(t: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(t)
    x = torch.randn(16, 4, generator=g)
    return x, x.sum(dim=1, keepdim=True).sin()


def atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("dir", type=Path)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--every", type=int, default=7)
    p.add_argument("--delay", type=float, default=0.0)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt, scheds = build(model)
    ckpt = a.dir / "ckpt.pt"
    start, lr_log = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        for s, sd in zip(scheds, state["scheds"], strict=True):
            s.load_state_dict(sd)
        start, lr_log = state["step"], list(state["lr_log"])
    else:
        lr_log = [float(opt.param_groups[0]["lr"]).hex()]
    print(f"start {start}", flush=True)

    for t in range(start + 1, a.steps + 1):
        x, y = batch(t)
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        for s in scheds:
            s.step()
        g = opt.param_groups[0]
        lr_log.append(f"{float(g['lr']).hex()} {float(g['momentum']).hex()}")
        if t % a.every == 0:
            atomic_save(
                {
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "scheds": [s.state_dict() for s in scheds],
                    "step": t,
                    "lr_log": lr_log,
                },
                ckpt,
            )
        print(f"step {t}", flush=True)
        if a.delay:
            time.sleep(a.delay)

    atomic_save(
        {"params": [p.detach() for p in model.parameters()], "lr_log": lr_log}, a.dir / "result.pt"
    )
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
