"""``scheduler.step()`` with float lrs: lrplan vs torch, 1 and 100 param groups.

Run from the repository root:

    python bench/bench_step.py            # full run, writes bench/results/step.json
    python bench/bench_step.py --quick    # smoke run

Each row times the same class from ``torch.optim.lr_scheduler`` and from ``lrplan``
on identical optimizers (SGD, momentum 0.9), interleaved in one process. The
goal column is the issue's: lrplan at least 4x faster with 1 group, 5x with 100.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from common import fmt_time, interleaved, parser, save, table, verdict
from torch.optim import lr_scheduler as tls

import lrplan

BIG = 10**9  # long schedules: the benchmark never reaches their end


def make_optimizer(groups: int, tensor_lr: bool = False) -> torch.optim.Optimizer:
    """SGD with momentum over ``groups`` param groups of one scalar parameter each."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    spec = [{"params": [p], "lr": torch.tensor(0.1) if tensor_lr else 0.1} for p in params]
    return torch.optim.SGD(spec, lr=0.1, momentum=0.9)


def _classes(ns: Any) -> dict[str, Callable[[torch.optim.Optimizer], Any] | None]:
    """One constructor per benchmarked class (``None`` where ``ns`` lacks the class)."""

    def has(*names: str) -> bool:
        return all(hasattr(ns, n) for n in names)

    return {
        "StepLR": (lambda o: ns.StepLR(o, step_size=1000, gamma=0.9)) if has("StepLR") else None,
        "CosineAnnealingLR": (
            (lambda o: ns.CosineAnnealingLR(o, T_max=1000, eta_min=0.001))
            if has("CosineAnnealingLR")
            else None
        ),
        "OneCycleLR": (
            (lambda o: ns.OneCycleLR(o, max_lr=0.1, total_steps=BIG)) if has("OneCycleLR") else None
        ),
        "ChainedScheduler": (
            (
                lambda o: ns.ChainedScheduler(
                    [ns.StepLR(o, step_size=1000, gamma=0.9), ns.ExponentialLR(o, gamma=0.999999)]
                )
            )
            if has("ChainedScheduler", "StepLR", "ExponentialLR")
            else None
        ),
    }


TORCH = _classes(tls)
LRPLAN = _classes(lrplan)


def lrplan_only(groups: int, tensor_lr: bool = False) -> dict[str, Callable[[], Any]]:
    """lrplan's own ScheduledLR on a composed plan (no torch counterpart)."""
    plan = lrplan.warmup(lrplan.Cosine(steps=BIG, end=0.01), steps=1000)
    s = lrplan.ScheduledLR(make_optimizer(groups, tensor_lr), plan)
    return {"ScheduledLR(warmup+cosine)": s.step}


def run_rows(
    groups: int, goal: float, rounds: int, tensor_lr: bool = False, classes: list[str] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for name in classes or list(TORCH):
        t_make, l_make = TORCH[name], LRPLAN[name]
        assert t_make is not None
        cases = {"torch": t_make(make_optimizer(groups, tensor_lr)).step}
        if l_make is not None:
            cases["lrplan"] = l_make(make_optimizer(groups, tensor_lr)).step
        med = interleaved(cases, rounds=rounds)
        ratio = med["torch"] / med["lrplan"] if "lrplan" in med else None
        rows.append(
            {
                "class": name,
                "groups": groups,
                "tensor_lr": tensor_lr,
                "torch_s": med["torch"],
                "lrplan_s": med.get("lrplan"),
                "speedup": ratio,
                "goal": goal,
                "met": ratio is not None and ratio >= goal,
            }
        )
    extra = interleaved(lrplan_only(groups, tensor_lr), rounds=rounds)
    for name, sec in extra.items():
        rows.append(
            {
                "class": name,
                "groups": groups,
                "tensor_lr": tensor_lr,
                "torch_s": None,
                "lrplan_s": sec,
                "speedup": None,
                "goal": None,
                "met": None,
            }
        )
    return rows


def show(rows: list[dict[str, Any]]) -> str:
    out = []
    for r in rows:
        out.append(
            [
                r["class"],
                r["groups"],
                "tensor" if r["tensor_lr"] else "float",
                "-" if r["torch_s"] is None else fmt_time(r["torch_s"]),
                "missing" if r["lrplan_s"] is None else fmt_time(r["lrplan_s"]),
                "-" if r["speedup"] is None else f"{r['speedup']:.1f}x",
                "-" if r["goal"] is None else f">= {r['goal']:g}x",
                "-" if r["met"] is None else verdict(r["met"]),
            ]
        )
    return table(["class", "groups", "lr", "torch", "lrplan", "speedup", "goal", "met"], out)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 5 if args.quick else args.rounds
    warnings.simplefilter("ignore")  # torch's call-order warning: no optimizer.step() here
    rows = run_rows(1, 4.0, rounds) + run_rows(100, 5.0, rounds)
    print(show(rows))
    save("step", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()
