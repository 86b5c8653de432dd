"""Rules about the source itself: no generated code."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "lrplan"
FORBIDDEN_CALLS = {"exec", "eval", "compile"}


def _calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.name}:{node.lineno}: {node.func.id}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in FORBIDDEN_CALLS
    ]


def test_no_generated_code() -> None:
    """No exec/eval/compile anywhere: every line that runs is a line in a file, so a
    traceback always points at real source."""
    modules = sorted(SRC.rglob("*.py"))
    assert len(modules) > 10
    found = [hit for path in modules for hit in _calls(path)]
    assert found == [], found


def test_the_check_sees_a_call(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("x = 1\nexec('y = 2')\n")
    assert _calls(probe) == ["probe.py:2: exec()"]
