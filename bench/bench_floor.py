"""The Python floor of a one-group ``step()``: why 4x torch is out of reach there.

Run from the repository root:

    python bench/bench_floor.py            # writes bench/results/floor.json
    python bench/bench_floor.py --quick

A scheduler step must at least (1) notice whether someone else changed the lr,
(2) compute the new value, (3) check it (finite, >= 0) and (4) write it. This
script times, interleaved in one process with torch's own ``step()``:

* ``minimal step``: a hand-written object whose ``step()`` does exactly those
  four things for one group with one cosine (an identity test, the cosine
  formula inline, a bounds test, one dict store, two attribute stores). No
  scheduler written in Python can do less and stay correct.
* ``bare formula``: the cosine alone, inline, no call around it.
* ``method call``: an empty ``step()`` method (the cost of being called at all).
* lrplan's and torch's ``StepLR`` and ``CosineAnnealingLR`` ``step()``.

The ratio ``torch / minimal step`` is the most any Python scheduler can gain
over torch on one group; the issue's 4x goal needs more than that.
"""

from __future__ import annotations

import math
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from common import fmt_time, interleaved_samples, parser, save, table
from torch.optim import lr_scheduler as tls

import lrplan

T_MAX = 1000
ETA_MIN = 0.001


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)


class MinimalCosine:
    """The least a correct one-group cosine step can do, written by hand."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.group = optimizer.param_groups[0]
        self.base = float(self.group["lr"])
        self.t = 0
        self.written = self.group["lr"]

    def step(self) -> None:
        group = self.group
        if group["lr"] is not self.written:  # (1) a foreign change?
            raise RuntimeError("the minimal step handles the untouched case only")
        t = self.t + 1
        v = ETA_MIN + (self.base - ETA_MIN) * 0.5 * (1.0 + math.cos(math.pi * t / T_MAX))  # (2)
        if not (0.0 <= v < math.inf):  # (3)
            raise ValueError(v)
        group["lr"] = v  # (4)
        self.t = t
        self.written = v


class Empty:
    def step(self) -> None:
        pass


def cases() -> dict[str, Any]:
    base = 0.1
    cos, pi = math.cos, math.pi

    def bare_formula() -> float:
        return ETA_MIN + (base - ETA_MIN) * 0.5 * (1.0 + cos(pi * 7 / T_MAX))

    return {
        "method call (empty step)": Empty().step,
        "bare formula (one cosine)": bare_formula,
        "minimal step (check, cosine, bounds, write)": MinimalCosine(_optimizer()).step,
        "lrplan CosineAnnealingLR": lrplan.CosineAnnealingLR(
            _optimizer(), T_max=T_MAX, eta_min=ETA_MIN
        ).step,
        "torch CosineAnnealingLR": tls.CosineAnnealingLR(
            _optimizer(), T_max=T_MAX, eta_min=ETA_MIN
        ).step,
        "lrplan StepLR": lrplan.StepLR(_optimizer(), step_size=1000, gamma=0.9).step,
        "torch StepLR": tls.StepLR(_optimizer(), step_size=1000, gamma=0.9).step,
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 5 if args.quick else args.rounds
    warnings.simplefilter("ignore")  # torch's call-order warning: no optimizer.step() here
    c = cases()
    samples = interleaved_samples(c, rounds=rounds)
    med = {k: statistics.median(v) for k, v in samples.items()}
    best = {k: min(v) for k, v in samples.items()}
    torch_step = med["torch StepLR"]
    rows = [
        {
            "case": name,
            "median_s": med[name],
            "min_s": best[name],
            "torch_steplr_over_this": torch_step / med[name],
        }
        for name in c
    ]
    print(
        table(
            ["case (1 param group)", "median", "min", "torch StepLR / this"],
            [
                [
                    r["case"],
                    fmt_time(r["median_s"]),
                    fmt_time(r["min_s"]),
                    f"{r['torch_steplr_over_this']:.2f}x",
                ]
                for r in rows
            ],
        )
    )
    floor = med["minimal step (check, cosine, bounds, write)"]
    print(
        f"\nThe most a Python step can gain over torch's StepLR on one group: "
        f"{torch_step / floor:.2f}x (goal 4x); over CosineAnnealingLR: "
        f"{med['torch CosineAnnealingLR'] / floor:.2f}x."
    )
    save("floor", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()
