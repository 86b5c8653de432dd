"""The LR range test: lrplan.find_lr against torch-lr-finder on the same run.

Run from the repository root:

    python bench/bench_find.py             # writes bench/results/find.json
    python bench/bench_find.py --quick

The run: an MLP of about 1.1 M parameters (784-1024-256-10) with AdamW on fixed random
data, 100 steps of batch 128 from lr 1e-7 to 10, no divergence stop (every case runs all
100 steps), the model and optimizer restored at the end. The cases:

* ``lrplan``: ``lrplan.find_lr`` (the restore is part of the call);
* ``torch-lr-finder``: ``LRFinder.range_test`` then ``reset()``, state kept in memory
  (``memory_cache=True``, its default);
* ``torch-lr-finder (disk)``: the same with ``memory_cache=False``, which pickles the
  state to a temporary file.

Each measurement is a fresh interpreter (peak RSS is per process), one thread, cases
interleaved round by round; the figures are medians over rounds. "time" is the range
test and the restore; "peak RSS above start" is the process's high-water mark after the
test minus its resident size just before it (the model, optimizer state and data are
already there), so it counts the snapshot copy and the training's own buffers;
"Python peak" is tracemalloc's peak of Python-level allocations during the test.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fmt_time, parser, save, table

CASES = ("lrplan", "torch-lr-finder", "torch-lr-finder (disk)")
STEPS = 100


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _case(name: str) -> dict[str, Any]:
    """Run one case in this process and measure it."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y = torch.randn(4096, 784), torch.randint(0, 10, (4096,))
    loader = DataLoader(TensorDataset(x, y), batch_size=128)
    model = nn.Sequential(
        nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    params = sum(p.numel() for p in model.parameters())
    settings = {"start_lr": 1e-7, "end_lr": 10.0}
    if name == "lrplan":
        from lrplan import find_lr  # imported here, as torch_lr_finder is: not timed

        def run() -> list[float]:
            result = find_lr(
                model, opt, loss_fn, loader, num_steps=STEPS, stop_on_divergence=False, **settings
            )
            return result.lrs
    else:
        import io
        from contextlib import redirect_stderr, redirect_stdout

        from torch_lr_finder import LRFinder

        def run() -> list[float]:
            finder = LRFinder(model, opt, loss_fn, memory_cache=name == "torch-lr-finder")
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                finder.range_test(loader, num_iter=STEPS, diverge_th=float("inf"), **settings)
            finder.reset()
            lrs: list[float] = finder.history["lr"]
            return lrs

    rss0 = _rss_kib("VmRSS")
    tracemalloc.start()
    t0 = time.perf_counter()
    lrs = run()
    seconds = time.perf_counter() - t0
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    hwm = _rss_kib("VmHWM")
    restored = all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    return {
        "case": name,
        "seconds": seconds,
        "steps": len(lrs),
        "peak_rss_above_start_mib": (hwm - rss0) / 1024,
        "python_peak_mib": py_peak / 2**20,
        "restored": restored,
        "params": params,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--case", choices=CASES, help=argparse_suppress())
    args = p.parse_args()
    if args.case:  # a child process: one measurement, as JSON on stdout
        print(json.dumps(_case(args.case)))
        return
    rounds = 2 if args.quick else args.rounds
    samples: dict[str, list[dict[str, Any]]] = {c: [] for c in CASES}
    for r in range(rounds):
        order = CASES[r % len(CASES) :] + CASES[: r % len(CASES)]
        for case in order:
            out = subprocess.run(
                [sys.executable, __file__, "--case", case],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            samples[case].append(json.loads(out.strip().splitlines()[-1]))
    summary = {}
    for case, runs in samples.items():
        summary[case] = {
            key: statistics.median(r[key] for r in runs)
            for key in ("seconds", "peak_rss_above_start_mib", "python_peak_mib")
        }
        summary[case]["steps"] = runs[0]["steps"]
        summary[case]["restored"] = all(r["restored"] for r in runs)
    base = summary["lrplan"]["seconds"]
    rows = [
        [
            case,
            s["steps"],
            fmt_time(s["seconds"]),
            f"{s['seconds'] / base:.2f}x",
            f"{s['peak_rss_above_start_mib']:.1f} MiB",
            f"{s['python_peak_mib']:.2f} MiB",
            "yes" if s["restored"] else "NO",
        ]
        for case, s in summary.items()
    ]
    params = samples["lrplan"][0]["params"]
    print(f"range test, {STEPS} steps, MLP with {params:,} parameters, AdamW; {rounds} rounds")
    print(
        table(
            [
                "case",
                "steps",
                "time",
                "vs lrplan",
                "peak RSS above start",
                "Python peak",
                "restored",
            ],
            rows,
        )
    )
    save(
        "find",
        {
            "rounds": rounds,
            "steps": STEPS,
            "params": params,
            "summary": summary,
            "samples": samples,
        },
        enabled=not (args.no_save or args.quick),
    )


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
