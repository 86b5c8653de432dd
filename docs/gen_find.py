"""Make the run shown in docs/find.md: the range test on the demo task, its picture,
the plan it proposes, and the training that follows.

    python docs/gen_find.py        # writes docs/img/find-demo.png, prints the numbers

Everything comes from lrplan's public API and the demo of ``lrplan demo``:

1. ``lrplan.find_lr`` on the demo model (an MLP on three spirals, AdamW), 100 steps
   from 1e-7 to 10, the defaults;
2. ``result.plot(...)`` draws docs/img/find-demo.png;
3. ``result.plan(1440)`` proposes warmup + cosine over the demo's default run;
4. ``run_demo`` trains with that plan at the suggested peak, and, for comparison, at
   10x and 1/10x of it and at the demo's default lr (1e-2), under the same schedule.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

import lrplan as lp
from lrplan._demo import DEFAULT_EPOCHS, DEFAULT_LR, STEPS_PER_EPOCH, run_demo
from lrplan._find_cli import demo_setup

IMG = Path(__file__).resolve().parent / "img" / "find-demo.png"


def main() -> None:
    torch.set_num_threads(1)  # the demo model is tiny; one thread is fastest and repeatable
    model, optimizer, loss_fn, loader = demo_setup(seed=0)
    result = lp.find_lr(model, optimizer, loss_fn, loader)
    result.plot(IMG, title="lrplan find on the demo task (MLP, three spirals, AdamW)")
    print(f"wrote {IMG.relative_to(Path.cwd()) if IMG.is_relative_to(Path.cwd()) else IMG}\n")
    print(result.summary())
    print()
    print("| rule | lr | plausible range |")
    print("|------|----|-----------------|")
    for rule, s in result.suggestions().items():
        span = f"[{s.low:.3g}, {s.high:.3g}]" if s.lr is not None else "-"
        print(
            f"| `{rule}` | {s.lr:.3g} | {span} |" if s.lr is not None else f"| `{rule}` | - | - |"
        )
    total = DEFAULT_EPOCHS * STEPS_PER_EPOCH
    plan = result.plan(total)
    print(f"\nplan: lr={plan.lr:.3g}, {plan.spec}\n{plan.reason}\n")
    print("| peak lr | final train loss | held-out accuracy |")
    print("|---------|------------------|-------------------|")
    found = result.suggestions()
    runs = [
        ("valley / 10", plan.lr / 10),
        ("valley, the plan's peak", plan.lr),
        ("steepest", found["steepest"].lr),
        ("minimum", found["minimum"].lr),
        ("valley x 10", plan.lr * 10),
        ("lowest loss of the test", found["valley"].high),
        ("demo default", DEFAULT_LR),
    ]
    for label, lr in runs:
        assert lr is not None
        r = run_demo(schedule=plan.schedule, base_lr=lr, out=None, progress=False)
        print(f"| {lr:.3g} ({label}) | {r.final_loss:.4f} | {r.accuracy:.1%} |")
    print()
    print(result.terminal_chart(width=80, height=20, color=False) if "--chart" in sys.argv else "")


if __name__ == "__main__":
    main()
