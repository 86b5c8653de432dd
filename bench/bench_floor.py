"""The Python floor of a one-group ``step()``: how close lrplan is to it, next to torch.

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
* ``minimal plateau step``: the same for ``ReduceLROnPlateau.step(metric)`` when
  nothing is reduced (read the metric, compare, count, cool down, keep the lr
  record ``get_last_lr()`` returns), next to lrplan's and torch's.

The ratio ``torch / minimal`` is the most any Python scheduler can gain over torch
on one group: where it is under 4x, the issue's 4x goal is below the floor.
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


class MinimalPlateau:
    """The least a correct one-group ``ReduceLROnPlateau.step(metric)`` can do when
    nothing is reduced (mode "min", relative threshold), written by hand: read the
    metric, compare, count, cool down, and keep the lr record that ``get_last_lr()``
    must return (one identity test)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.group = optimizer.param_groups[0]
        self.recorded = self.group["lr"]
        self.best = math.inf
        self.threshold = 1e-4
        self.patience = 10**9
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0

    def step(self, metrics: float) -> None:
        current = float(metrics)
        self.last_epoch += 1
        if current < self.best * (1.0 - self.threshold):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            raise RuntimeError("the minimal step covers the plateau, not the reduction")
        if self.group["lr"] is not self.recorded:
            self.recorded = self.group["lr"]


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
        "minimal plateau step (metric, counters, lr record)": _metric_step(
            MinimalPlateau(_optimizer())
        ),
        "lrplan ReduceLROnPlateau": _metric_step(
            lrplan.ReduceLROnPlateau(_optimizer(), patience=10**9)
        ),
        "torch ReduceLROnPlateau": _metric_step(
            tls.ReduceLROnPlateau(_optimizer(), patience=10**9)
        ),
    }


def _metric_step(sched: Any) -> Any:
    return lambda: sched.step(1.0)


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
    plateau = med["minimal plateau step (metric, counters, lr record)"]
    print(
        f"\nThe most a Python step can gain over torch's StepLR on one group: "
        f"{torch_step / floor:.2f}x (goal 4x); over CosineAnnealingLR: "
        f"{med['torch CosineAnnealingLR'] / floor:.2f}x; over ReduceLROnPlateau: "
        f"{med['torch ReduceLROnPlateau'] / plateau:.2f}x."
    )
    save("floor", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick)


if __name__ == "__main__":
    main()
