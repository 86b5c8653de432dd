"""``scheduler.step()`` for every torch scheduler class: lrplan vs torch, side by side.

Run from the repository root:

    python bench/bench_classes.py            # writes bench/results/classes.json
    python bench/bench_classes.py --quick    # a smoke run, not a result

All 15 classes of ``torch.optim.lr_scheduler``, each built the same way from torch and
from lrplan, on SGD with momentum over 1 and 100 param groups, with float lrs and with
0-dim float32 tensor lrs (each group its own tensor, as users make them). torch and
lrplan are timed interleaved in one process; the table shows medians and the ratio
torch / lrplan (above 1: lrplan is faster). The budget is "never slower than torch":
a ratio of at least 1.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch.optim.lr_scheduler as tls
from common import BIG, fmt_time, interleaved, make_optimizer, parser, save, table, verdict

import lrplan


def _decay(epoch: int) -> float:
    return 0.999999**epoch


def _factor(epoch: int) -> float:
    return 0.999999


def builders(ns: Any) -> dict[str, Callable[[Any], Callable[[], Any]]]:
    """Per class: optimizer -> the zero-argument call that steps a scheduler once."""

    def plain(make: Callable[[Any], Any]) -> Callable[[Any], Callable[[], Any]]:
        return lambda o: make(o).step

    def plateau(o: Any) -> Callable[[], Any]:
        s = ns.ReduceLROnPlateau(o, patience=10**9)
        return lambda: s.step(1.0)

    return {
        "LambdaLR": plain(lambda o: ns.LambdaLR(o, _decay)),
        "MultiplicativeLR": plain(lambda o: ns.MultiplicativeLR(o, _factor)),
        "StepLR": plain(lambda o: ns.StepLR(o, step_size=1000, gamma=0.9)),
        "MultiStepLR": plain(lambda o: ns.MultiStepLR(o, milestones=[BIG], gamma=0.5)),
        "ConstantLR": plain(lambda o: ns.ConstantLR(o, factor=0.5, total_iters=BIG)),
        "LinearLR": plain(lambda o: ns.LinearLR(o, start_factor=0.5, total_iters=BIG)),
        "ExponentialLR": plain(lambda o: ns.ExponentialLR(o, gamma=0.999999)),
        "PolynomialLR": plain(lambda o: ns.PolynomialLR(o, total_iters=BIG, power=2.0)),
        "CosineAnnealingLR": plain(lambda o: ns.CosineAnnealingLR(o, T_max=1000, eta_min=1e-3)),
        "SequentialLR": plain(
            lambda o: ns.SequentialLR(
                o,
                [ns.ConstantLR(o, factor=0.5, total_iters=10), ns.ExponentialLR(o, 0.999999)],
                milestones=[10],
            )
        ),
        "ChainedScheduler": plain(
            lambda o: ns.ChainedScheduler(
                [ns.StepLR(o, step_size=1000, gamma=0.9), ns.ExponentialLR(o, gamma=0.999999)]
            )
        ),
        "CyclicLR": plain(lambda o: ns.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=1000)),
        "CosineAnnealingWarmRestarts": plain(
            lambda o: ns.CosineAnnealingWarmRestarts(o, T_0=1000)
        ),
        "OneCycleLR": plain(lambda o: ns.OneCycleLR(o, max_lr=0.1, total_steps=BIG)),
        "ReduceLROnPlateau": plateau,
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 5 if args.quick else args.rounds
    warnings.simplefilter("ignore")
    t_build, l_build = builders(tls), builders(lrplan)
    rows: list[dict[str, Any]] = []
    for groups in (1, 100):
        for tensor_lr in (False, True):
            for name in t_build:
                cases = {
                    "torch": t_build[name](make_optimizer(groups, tensor_lr)),
                    "lrplan": l_build[name](make_optimizer(groups, tensor_lr)),
                }
                med = interleaved(cases, rounds=rounds)
                rows.append(
                    {
                        "class": name,
                        "groups": groups,
                        "tensor_lr": tensor_lr,
                        "torch_s": med["torch"],
                        "lrplan_s": med["lrplan"],
                        "speedup": med["torch"] / med["lrplan"],
                        "never_slower": med["torch"] >= med["lrplan"],
                    }
                )
    print(
        table(
            ["class", "groups", "lr", "torch", "lrplan", "speedup", "never slower"],
            [
                [
                    r["class"],
                    r["groups"],
                    "tensor" if r["tensor_lr"] else "float",
                    fmt_time(r["torch_s"]),
                    fmt_time(r["lrplan_s"]),
                    f"{r['speedup']:.2f}x",
                    verdict(r["never_slower"]),
                ]
                for r in rows
            ],
        )
    )
    save("classes", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()
