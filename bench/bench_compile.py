"""Compiled optimizer step over a whole schedule: graphs compiled, torch vs lrplan.

Run from the repository root:

    python bench/bench_compile.py           # writes bench/results/compile.json

Counts the graphs Dynamo compiles (a counting backend, run eagerly) for
``torch.compile(opt.step)`` over 30 steps of a schedule, with a generous
recompile limit so every recompile is counted. "torch" is torch's scheduler on
the optimizer as the user wrote it (float lr, or a tensor lr with float betas);
"lrplan" is the same class from lrplan after ``lrplan.tensorize``. The second
step may compile once more for torch's own reason (lazily created optimizer
state), so the goal is: no graph after the second step.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from common import parser, save, table, verdict
from torch.optim import lr_scheduler as tls

import lrplan

STEPS = 30


class Counter:
    def __init__(self) -> None:
        self.graphs = 0

    def __call__(self, gm: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
        self.graphs += 1
        return gm.forward


def count(
    make_opt: Callable[[torch.nn.Module], torch.optim.Optimizer],
    build: Callable[[torch.optim.Optimizer], Any],
    keys: tuple[str, ...] | None,
) -> tuple[int, int]:
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    opt = make_opt(model)
    if keys:
        lrplan.tensorize(opt, keys)
    model(torch.randn(8, 4)).square().mean().backward()
    sched = build(opt)
    backend = Counter()
    torch._dynamo.reset()

    @torch.compile(backend=backend)
    def step() -> None:
        opt.step()

    second = 0
    for i in range(STEPS):
        step()
        if i == 1:
            second = backend.graphs
        sched.step()
    return second, backend.graphs


def sgd(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def adamw_tensor_lr(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=torch.tensor(0.01), foreach=False)


def adamw(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=0.01)


ROWS: list[tuple[str, Any, Any, Any, tuple[str, ...]]] = [
    (
        "SGD, float lr, CosineAnnealingLR",
        sgd,
        lambda o: tls.CosineAnnealingLR(o, T_max=10),
        lambda o: lrplan.CosineAnnealingLR(o, T_max=10),
        ("lr",),
    ),
    (
        "SGD, float lr, StepLR(step_size=1)",
        sgd,
        lambda o: tls.StepLR(o, step_size=1, gamma=0.9),
        lambda o: lrplan.StepLR(o, step_size=1, gamma=0.9),
        ("lr",),
    ),
    (
        "AdamW, float lr, CosineAnnealingLR",
        adamw,
        lambda o: tls.CosineAnnealingLR(o, T_max=10),
        lambda o: lrplan.CosineAnnealingLR(o, T_max=10),
        ("lr",),
    ),
    (
        "SGD, float lr, OneCycleLR (momentum cycles)",
        sgd,
        lambda o: tls.OneCycleLR(o, max_lr=0.1, total_steps=STEPS + 1),
        lambda o: lrplan.OneCycleLR(o, max_lr=0.1, total_steps=STEPS + 1),
        ("lr",),
    ),
    (
        "AdamW, tensor lr, OneCycleLR (betas cycle)",
        adamw_tensor_lr,
        lambda o: tls.OneCycleLR(o, max_lr=0.01, total_steps=STEPS + 1),
        lambda o: lrplan.OneCycleLR(o, max_lr=0.01, total_steps=STEPS + 1),
        ("lr", "betas"),
    ),
]


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    warnings.simplefilter("ignore")
    rows = []
    with torch._dynamo.config.patch(recompile_limit=64):
        for name, make_opt, t_build, l_build, keys in ROWS:
            t2, tn = count(make_opt, t_build, None)
            l2, ln = count(make_opt, l_build, keys)
            rows.append(
                {
                    "case": name,
                    "torch_graphs": tn,
                    "torch_after_step2": tn - t2,
                    "lrplan_graphs": ln,
                    "lrplan_after_step2": ln - l2,
                    "tensorized": list(keys),
                    "met": ln == l2,
                }
            )
    print(
        table(
            [
                "case (30 compiled steps)",
                "torch graphs",
                "lrplan graphs (tensorize)",
                "lrplan recompiles after step 2",
                "met",
            ],
            [
                [
                    r["case"],
                    r["torch_graphs"],
                    f"{r['lrplan_graphs']} ({', '.join(r['tensorized'])})",
                    r["lrplan_after_step2"],
                    verdict(r["met"]),
                ]
                for r in rows
            ],
        )
    )
    save("compile", {"steps": STEPS, "rows": rows}, enabled=not args.no_save)


if __name__ == "__main__":
    main()
