"""Shared helpers of the bench scripts: interleaved timing, tables, JSON results.

Every bench script times lrplan and torch side by side in ONE process. The cases
are interleaved: each round runs every case once (in a rotating order), and the
reported figure is the median over rounds of the per-call time. Interleaving
spreads slow moments of a shared machine (other processes, frequency changes)
over all cases alike, so the ratios stay meaningful even when the absolute
numbers wander.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """Facts about the machine and the software the numbers were taken on."""
    facts: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    facts["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    for mod in ("torch", "numpy", "lrplan"):
        try:
            facts[mod] = __import__(mod).__version__
        except ImportError:
            facts[mod] = None
    return facts


def autonumber(fn: Callable[[], Any], target_s: float = 0.02) -> int:
    """How many calls of ``fn`` take about ``target_s`` seconds (at least 1)."""
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= target_s / 4 or n >= 1 << 22:
            return max(1, int(n * target_s / max(dt, 1e-9)))
        n *= 4


def interleaved(
    cases: dict[str, Callable[[], Any]], *, rounds: int = 31, target_s: float = 0.02
) -> dict[str, float]:
    """Median seconds per call of every case, timed round-robin in one process."""
    samples = interleaved_samples(cases, rounds=rounds, target_s=target_s)
    return {name: statistics.median(v) for name, v in samples.items()}


def interleaved_samples(
    cases: dict[str, Callable[[], Any]], *, rounds: int = 31, target_s: float = 0.02
) -> dict[str, list[float]]:
    """Every round's seconds per call of every case, timed round-robin in one process."""
    names = list(cases)
    numbers = {name: autonumber(cases[name], target_s) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                fn, n = cases[name], numbers[name]
                t0 = time.perf_counter()
                for _ in range(n):
                    fn()
                samples[name].append((time.perf_counter() - t0) / n)
    finally:
        if gc_was:
            gc.enable()
    return samples


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (it reads fine in a terminal too)."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--rounds", type=int, default=31, help="interleaved rounds (default 31)")
    p.add_argument("--quick", action="store_true", help="few rounds: a smoke run, not a result")
    p.add_argument("--no-save", action="store_true", help="do not write bench/results/*.json")
    return p


def save(name: str, payload: dict[str, Any], *, enabled: bool = True) -> None:
    """Write ``bench/results/<name>.json`` with the machine facts added."""
    payload = {
        "bench": name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        **payload,
    }
    if enabled:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(payload, indent=2) + "\n")
        print(
            f"\nwrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}"
        )


#: Long schedules: a benchmark never reaches their end.
BIG = 10**9


def make_optimizer(groups: int, tensor_lr: bool = False) -> Any:
    """SGD with momentum over ``groups`` param groups of one scalar parameter each;
    with ``tensor_lr``, each group's lr is its own 0-dim float32 tensor."""
    import torch

    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    spec = [{"params": [p], "lr": torch.tensor(0.1) if tensor_lr else 0.1} for p in params]
    return torch.optim.SGD(spec, lr=0.1, momentum=0.9)


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"
