"""``scheduler.step()`` over 100 param groups of tensor lrs after ``lrplan.tensorize``.

Run from the repository root:

    python bench/bench_tensor_step.py           # writes bench/results/tensor_step.json
    python bench/bench_tensor_step.py --quick

The setting where a scheduler's cost shows: many param groups whose lrs are 0-dim
tensors (what a compiled optimizer step wants, see docs/compile.md). Both optimizers
are made with float lrs and passed through ``lrplan.tensorize``, which makes every
group's lr a view of one float64 buffer. torch's scheduler fills each group's tensor on
its own and clones it for ``get_last_lr``; lrplan's writes the buffer with one op.
Goal: at least 20x faster.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIG, fmt_time, interleaved, make_optimizer, parser, save, table, verdict
from torch.optim import lr_scheduler as tls

import lrplan

GOAL = 20.0
CLASSES = {
    "StepLR": lambda ns, o: ns.StepLR(o, step_size=1000, gamma=0.9),
    "CosineAnnealingLR": lambda ns, o: ns.CosineAnnealingLR(o, T_max=1000, eta_min=1e-3),
    "OneCycleLR": lambda ns, o: ns.OneCycleLR(o, max_lr=0.1, total_steps=BIG),
}


def _tensorized(keys: tuple[str, ...]) -> Any:
    return lrplan.tensorize(make_optimizer(100), list(keys))


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 5 if args.quick else args.rounds
    warnings.simplefilter("ignore")  # no optimizer.step() here: the call-order warning
    rows = []
    for name, build in CLASSES.items():
        # OneCycleLR cycles the momentum too: tensorize both keys it writes.
        keys = ("lr", "momentum") if name == "OneCycleLR" else ("lr",)
        med = interleaved(
            {
                "torch": build(tls, _tensorized(keys)).step,
                "lrplan": build(lrplan, _tensorized(keys)).step,
            },
            rounds=rounds,
        )
        ratio = med["torch"] / med["lrplan"]
        rows.append(
            {
                "class": name,
                "keys": list(keys),
                "torch_s": med["torch"],
                "lrplan_s": med["lrplan"],
                "speedup": ratio,
                "goal": GOAL,
                "met": ratio >= GOAL,
            }
        )
    print(
        table(
            ["class", "tensorized", "torch", "lrplan", "speedup", f"goal >= {GOAL:g}x"],
            [
                [
                    r["class"],
                    "+".join(r["keys"]),
                    fmt_time(r["torch_s"]),
                    fmt_time(r["lrplan_s"]),
                    f"{r['speedup']:.1f}x",
                    verdict(r["met"]),
                ]
                for r in rows
            ],
        )
    )
    save(
        "tensor_step", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick
    )


if __name__ == "__main__":
    main()
