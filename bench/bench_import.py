"""The cost of ``import lrplan`` (and of the pure schedule layer alone, without torch).

Run from the repository root:

    python bench/bench_import.py           # writes bench/results/import.json
    python bench/bench_import.py --quick

Each figure is the median wall time of a fresh interpreter running the import,
minus a fresh interpreter doing nothing, interleaved. ``lrplan._schedules`` is the
pure layer (numpy only); ``import torch`` is the floor of anything torch-based.
It also times one pure-layer evaluation (``s(t)`` of a warmup + cosine) and the
median ``s.values`` over 1,000 steps, without importing torch.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fmt_time, parser, save, table

# Load lrplan._schedules without running lrplan/__init__.py (which imports torch for
# the schedulers): an empty package module with the real search path stands in.
PURE = (
    "import importlib.util, sys, types; "
    "spec = importlib.util.find_spec('lrplan'); "
    "pkg = types.ModuleType('lrplan'); pkg.__path__ = list(spec.submodule_search_locations); "
    "sys.modules['lrplan'] = pkg; "
    "import lrplan._schedules"
)

SNIPPETS = {
    "python (nothing)": "pass",
    "import numpy": "import numpy",
    "import lrplan._schedules (pure layer)": PURE,
    "import torch": "import torch",
    "import lrplan": "import lrplan",
}

PURE_EVAL = PURE.replace("; ", "\n") + r"""
import json, timeit
S = lrplan._schedules
import numpy as np
assert "torch" not in sys.modules, "the pure layer imported torch"
s = S.warmup(S.Cosine(steps=9_000, end=0.01), steps=1_000)
n = 100_000
call = min(timeit.repeat(lambda: s(4_321), number=n, repeat=5)) / n
ts = np.arange(1_000)
vec = min(timeit.repeat(lambda: s.values(ts), number=200, repeat=5)) / 200
print(json.dumps({"call_s": call, "values_1000_s": vec, "torch_loaded": "torch" in sys.modules}))
"""


def run(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 3 if args.quick else min(args.rounds, 15)
    samples: dict[str, list[float]] = {k: [] for k in SNIPPETS}
    for r in range(rounds):
        names = list(SNIPPETS)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(run(SNIPPETS[name]))
    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["python (nothing)"]
    rows = [{"what": k, "wall_s": v, "over_bare_python_s": v - base} for k, v in med.items()]
    pure = json.loads(
        subprocess.run(
            [sys.executable, "-c", PURE_EVAL], check=True, capture_output=True, text=True
        ).stdout
    )
    print(
        table(
            ["what", "wall time", "over bare python"],
            [[r["what"], fmt_time(r["wall_s"]), fmt_time(r["over_bare_python_s"])] for r in rows],
        )
    )
    print()
    print(
        table(
            ["pure layer, no torch loaded", "time"],
            [
                ["s(t), warmup + cosine", fmt_time(pure["call_s"])],
                ["s.values(1,000 steps)", fmt_time(pure["values_1000_s"])],
            ],
        )
    )
    save(
        "import",
        {"rounds": rounds, "rows": rows, "pure_layer": pure},
        enabled=not args.no_save and not args.quick,
    )


if __name__ == "__main__":
    main()
