"""Start-up cost: ``import lrplan`` with and without torch, and the ``lrplan`` command line.

Run from the repository root:

    python bench/bench_import.py           # writes bench/results/import.json
    python bench/bench_import.py --quick

Every case is a fresh interpreter (or the installed ``lrplan`` console script), timed
by wall clock from start to exit; the cases are interleaved round by round and each
figure is the median over rounds. "over bare python" subtracts a fresh interpreter
doing nothing. ``import lrplan`` is lazy (PEP 562): a schedule needs numpy only, and
torch is imported by the first torch-named class. The CLI's ``show``, ``plot
--terminal``, ``--help`` and ``--version`` never import torch; the goal (issue 12) is
``lrplan show SPEC`` in at most 0.5 s. The row "show, after import torch" is what
every command paid before, when ``import lrplan`` imported torch.

An untimed pass runs each case once more and records whether torch was imported. The
pure layer's evaluation speed (``s(t)``, ``s.values``) is timed with torch blocked.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fmt_time, parser, save, table, verdict

SPEC = "warmup(Cosine(steps=9000, end=0.01), steps=1000)"
TARGET_SHOW_S = 0.5

#: Makes torch unimportable and records every attempt (prepended to a script).
BLOCK_TORCH = """
import sys
class _Block:
    attempts = []
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            self.attempts.append(name)
            raise ModuleNotFoundError(name)
sys.meta_path.insert(0, _Block())
"""

# name -> Python source run by ``python -c`` (the import cases).
IMPORTS = {
    "python (nothing)": "pass",
    "import numpy": "import numpy",
    "import torch": "import torch",
    "import lrplan": "import lrplan",
    "import lrplan; a schedule (torch blocked)": BLOCK_TORCH
    + "import lrplan\nlrplan.warmup(lrplan.Cosine(steps=90), steps=10)(5)",
    "import lrplan; lrplan.ScheduledLR (torch)": "import lrplan\nlrplan.ScheduledLR",
    "import lrplan; every public name": "from lrplan import *",
}


def _cli() -> list[str]:
    """The installed console script, as a user runs it; else ``python -m lrplan.cli``."""
    here = Path(sys.executable).with_name("lrplan")
    found = str(here) if here.exists() else shutil.which("lrplan")
    return [found] if found else [sys.executable, "-m", "lrplan.cli"]


#: Prepended to a case's code for the untimed pass: reports torch on the way out.
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', "
    "file=sys.stderr))\n"
)
CLI_MAIN = "import sys\nfrom lrplan.cli import main\nsys.exit(main(sys.argv[1:]))"


def cases() -> dict[str, tuple[list[str], list[str]]]:
    """name -> (the timed command, the same case under the torch probe)."""
    py = sys.executable
    out = {name: ([py, "-c", code], [py, "-c", PROBE + code]) for name, code in IMPORTS.items()}
    cli = _cli()
    commands = {
        "lrplan --version": ["--version"],
        "lrplan --help": ["--help"],
        "lrplan show SPEC": ["show", SPEC],
    }
    try:
        import plotext  # noqa: F401

        commands["lrplan plot --terminal SPEC"] = ["plot", "--terminal", SPEC]
    except ImportError:
        pass
    for name, args in commands.items():
        out[name] = ([*cli, *args], [py, "-c", PROBE + CLI_MAIN, *args])
    before = f"import torch\n{CLI_MAIN}"
    out["show, after import torch (as before)"] = (
        [py, "-c", before, "show", SPEC],
        [py, "-c", PROBE + before, "show", SPEC],
    )
    return out


def run(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t0


def imports_torch(probe: list[str]) -> bool:
    proc = subprocess.run(
        probe, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    return proc.stderr.strip().splitlines()[-1] == "TORCH"


def _shown(argv: list[str]) -> str:
    """A case's command as a user types it (``python -c '...'`` shortened)."""
    if argv[0] == sys.executable and argv[1] == "-c":
        code = argv[2].replace(BLOCK_TORCH, "").strip().replace("\n", "; ")
        return f"python -c {code!r}" + "".join(f" {a!r}" for a in argv[3:])
    return " ".join([Path(argv[0]).name, *(repr(a) if " " in a else a for a in argv[1:])])


PURE_EVAL = (
    BLOCK_TORCH
    + r"""
import json, timeit
import numpy as np
import lrplan as lp
s = lp.warmup(lp.Cosine(steps=9_000, end=0.01), steps=1_000)
n = 100_000
call = min(timeit.repeat(lambda: s(4_321), number=n, repeat=5)) / n
ts = np.arange(1_000)
vec = min(timeit.repeat(lambda: s.values(ts), number=200, repeat=5)) / 200
assert "torch" not in sys.modules, "the pure layer imported torch"
print(json.dumps({"call_s": call, "values_1000_s": vec, "torch_loaded": "torch" in sys.modules}))
"""
)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rounds = 3 if args.quick else min(args.rounds, 15)
    todo = cases()
    names = list(todo)
    for name in names:  # warm the file cache once, untimed
        run(todo[name][0])
    samples: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(run(todo[name][0]))
    med = {k: statistics.median(v) for k, v in samples.items()}
    base = med["python (nothing)"]
    rows = [
        {
            "what": k,
            "command": _shown(todo[k][0]),
            "wall_s": v,
            "over_bare_python_s": v - base,
            "imports_torch": imports_torch(todo[k][1]),
        }
        for k, v in med.items()
    ]
    show_s = med["lrplan show SPEC"]
    pure = json.loads(
        subprocess.run(
            [sys.executable, "-c", PURE_EVAL], check=True, capture_output=True, text=True
        ).stdout
    )
    print(f"SPEC = {SPEC!r}; {rounds} interleaved rounds, medians\n")
    print(
        table(
            ["what", "wall time", "over bare python", "imports torch"],
            [
                [
                    r["what"],
                    fmt_time(r["wall_s"]),
                    fmt_time(r["over_bare_python_s"]),
                    "yes" if r["imports_torch"] else "no",
                ]
                for r in rows
            ],
        )
    )
    print()
    print(
        f"goal: lrplan show SPEC <= {TARGET_SHOW_S} s: {fmt_time(show_s)}, "
        f"{verdict(show_s <= TARGET_SHOW_S)}"
    )
    print()
    print(
        table(
            ["pure layer, torch blocked", "time"],
            [
                ["s(t), warmup + cosine", fmt_time(pure["call_s"])],
                ["s.values(1,000 steps)", fmt_time(pure["values_1000_s"])],
            ],
        )
    )
    save(
        "import",
        {
            "rounds": rounds,
            "spec": SPEC,
            "rows": rows,
            "goal_show_s": TARGET_SHOW_S,
            "show_s": show_s,
            "show_goal_met": show_s <= TARGET_SHOW_S,
            "pure_layer": pure,
        },
        enabled=not args.no_save and not args.quick,
    )


if __name__ == "__main__":
    main()
