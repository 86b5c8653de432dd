"""Previews: the lr of all 1,000,000 steps of a schedule, without an optimizer.

Run from the repository root:

    python bench/bench_preview.py           # writes bench/results/preview.json
    python bench/bench_preview.py --quick

lrplan evaluates the pure schedule with ``s.values(ts)`` (numpy, no torch);
torch has no closed form for a composed schedule, so the only way to know its
lrs is to step a scheduler a million times (SequentialLR of a LinearLR warmup and
a CosineAnnealingLR). Both are timed interleaved; torch's run is long, so it
gets fewer rounds. Goal: at most 30 ms for any composed schedule.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from common import fmt_time, parser, save, table, verdict

import lrplan as lp

N = 1_000_000
WARM = 10_000
GOAL_S = 0.030


def plans() -> dict[str, lp.Schedule]:
    """Composed schedules of 1,000,000 steps (every one has a warmup)."""
    cos = lp.Cosine(steps=N - WARM, end=0.01)
    return {
        "warmup + cosine": lp.warmup(cos, steps=WARM),
        "warmup + cosine, floored": lp.warmup(cos, steps=WARM).floor(0.05),
        "warmup + cosine + linear tail": lp.warmup(
            lp.Cosine(steps=N // 2 - WARM, end=0.1), steps=WARM
        ).then(lp.Linear(steps=N // 2, start=0.1, end=0.0), at=N // 2),
        "warmup + step decay x 0.5 scale": lp.warmup(
            lp.Step(step_size=100_000, gamma=0.5), steps=WARM
        )
        * 0.5,
        "warmup + exponential": lp.warmup(lp.Exponential(gamma=0.999995), steps=WARM),
    }


def torch_by_stepping() -> list[float]:
    """torch's lrs for the first plan: step SequentialLR(LinearLR, CosineAnnealingLR)."""
    import torch
    from torch.optim import lr_scheduler as tls

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    warm = tls.LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=WARM)
    cos = tls.CosineAnnealingLR(opt, T_max=N - WARM, eta_min=0.01)
    sched = tls.SequentialLR(opt, [warm, cos], milestones=[WARM])
    group = opt.param_groups[0]
    out = [0.0] * N
    for i in range(N):
        out[i] = group["lr"]
        sched.step()
    return out


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 3 if args.quick else args.rounds
    torch_rounds = 1 if args.quick else 3
    warnings.simplefilter("ignore")
    ts = np.arange(N)
    ps = plans()
    for p in ps.values():  # warm up: page in the arrays once
        p.values(ts)
    samples: dict[str, list[float]] = {name: [] for name in ps}
    torch_samples: list[float] = []
    for r in range(rounds):
        for name, p in ps.items():
            samples[name].append(timed(lambda p=p: p.values(ts)))
        if r < torch_rounds:
            torch_samples.append(timed(torch_by_stepping))
    torch_s = statistics.median(torch_samples)
    rows = []
    for name, v in samples.items():
        med = statistics.median(v)
        rows.append(
            {
                "schedule": name,
                "lrplan_s": med,
                "goal_s": GOAL_S,
                "met": med <= GOAL_S,
                "speedup_vs_torch_stepping": torch_s / med,
            }
        )
    # The first plan and torch's stepped lrs agree (a preview is worth nothing otherwise).
    ref = np.asarray(torch_by_stepping() if not args.quick else [], dtype=np.float64)
    if ref.size:
        mine = ps["warmup + cosine"].values(ts)
        rows[0]["max_abs_diff_vs_torch"] = float(np.max(np.abs(mine[WARM:] - ref[WARM:])))
    print(
        table(
            [
                "schedule (1,000,000 steps)",
                "lrplan values()",
                "torch stepping",
                "speedup",
                "goal",
                "met",
            ],
            [
                [
                    r["schedule"],
                    fmt_time(r["lrplan_s"]),
                    fmt_time(torch_s),
                    f"{r['speedup_vs_torch_stepping']:.0f}x",
                    "<= 30 ms",
                    verdict(r["met"]),
                ]
                for r in rows
            ],
        )
    )
    if "max_abs_diff_vs_torch" in rows[0]:
        print(f"\nmax |lrplan - torch| after the warmup: {rows[0]['max_abs_diff_vs_torch']:.3g}")
    save(
        "preview",
        {"rounds": rounds, "torch_rounds": torch_rounds, "torch_s": torch_s, "rows": rows},
        enabled=not args.no_save and not args.quick,
    )


if __name__ == "__main__":
    main()
