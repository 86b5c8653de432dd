"""Run torch's own scheduler tests against lrplan.

torch's ``test/optim/test_lrscheduler.py`` is not part of this repository (it is
torch's code). Get it from the torch release you compare with, then::

    pip install expecttest   # torch.testing._internal needs it
    python scripts/torch_parity.py path/to/test_lrscheduler.py [pytest args...]

The script writes a copy of the file into a temporary directory with every name
imported from ``torch.optim.lr_scheduler`` (and every ``torch.optim.lr_scheduler.X``
path) pointed at ``lrplan`` where lrplan has the name; a class's private helper that
lrplan lacks (``OneCycleLR._annealing_cos``) stays torch's. Everything else (the
optimizers, ``SWALR``, torch's test harness) is untouched. It runs pytest on the
copy and exits with pytest's status.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import lrplan

MODULE = "torch.optim.lr_scheduler"


def pointed_at_lrplan(text: str) -> str:
    imported: list[str] = []

    def imports(m: re.Match[str]) -> str:
        names = [n.strip() for n in (m.group(1) or m.group(2)).replace("\n", ",").split(",")]
        names = [n for n in names if n]
        imported.extend(names)
        ours = [n for n in names if hasattr(lrplan, n)]
        theirs = [n for n in names if not hasattr(lrplan, n)]
        out = f"from lrplan import ({', '.join(ours)})\n" if ours else ""
        return out + (f"from {MODULE} import ({', '.join(theirs)})\n" if theirs else "")

    text, n = re.subn(
        r"^from torch\.optim\.lr_scheduler import (?:\(([^)]*)\)|([^\n]*))\n",
        imports,
        text,
        flags=re.M,
    )
    if n == 0:
        raise SystemExit(f"no 'from {MODULE} import' found: is this torch's scheduler test file?")
    text = re.sub(
        r"\btorch\.optim\.lr_scheduler\.(\w+)",
        lambda m: f"lrplan.{m[1]}" if hasattr(lrplan, m[1]) else m[0],
        text,
    )
    private = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, imported)) + r")\.(_\w+)")
    text = private.sub(
        lambda m: m[0] if hasattr(getattr(lrplan, m[1], None), m[2]) else f"{MODULE}.{m[0]}",
        text,
    )
    return re.sub(r"^import torch\n", "import torch\nimport lrplan\n", text, count=1, flags=re.M)


def main() -> int:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    source = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "test_lrscheduler_lrplan.py"
        target.write_text(pointed_at_lrplan(source.read_text()))
        cmd = [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:cacheprovider"]
        return subprocess.call([*cmd, "-rf", "--tb=line", *sys.argv[2:]], cwd=tmp)


if __name__ == "__main__":
    sys.exit(main())
