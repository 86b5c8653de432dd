"""``scheduler.step()`` with tensor lrs over 100 param groups: lrplan vs torch.

Run from the repository root:

    python bench/bench_tensor_step.py           # writes bench/results/tensor_step.json
    python bench/bench_tensor_step.py --quick

Every group holds its own 0-dim tensor lr (what a compiled optimizer step
wants). torch fills each group's tensor separately; lrplan keeps the groups'
tensors as views of one buffer and writes them with one ``copy_``. Goal: at
least 12x faster.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_step import run_rows, show
from common import parser, save


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 5 if args.quick else args.rounds
    warnings.simplefilter("ignore")
    rows = run_rows(
        100, 12.0, rounds, tensor_lr=True, classes=["StepLR", "CosineAnnealingLR", "OneCycleLR"]
    )
    print(show(rows))
    save(
        "tensor_step", {"rounds": rounds, "rows": rows}, enabled=not args.no_save and not args.quick
    )


if __name__ == "__main__":
    main()
