"""Every docstring example in src/lrplan runs as a doctest, and every public name has one.

Modules are found by walking the ``lrplan`` package, so a new module is covered without
editing this file. The modules whose doctests tests/test_catalogue.py already runs are
skipped here so that nothing runs twice. Each module runs in a temporary working
directory (some examples write files), with ``ELLIPSIS`` on.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import lrplan

# Run by tests/test_catalogue.py::test_docstring_examples_run.
ALREADY_RUN = {"lrplan._schedules._catalogue", "lrplan._schedules._time", "lrplan._wsd"}

MODULES = sorted(
    {"lrplan"} | {m.name for m in pkgutil.walk_packages(lrplan.__path__, prefix="lrplan.")}
)


def test_module_list_is_complete() -> None:
    assert "lrplan._driver" in MODULES and "lrplan.timm" in MODULES
    assert set(MODULES) >= ALREADY_RUN  # the skip list names real modules


@pytest.mark.parametrize("name", [m for m in MODULES if m not in ALREADY_RUN])
def test_docstring_examples(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    failures: list[str] = []
    for test in finder.find(module, name):
        if not test.examples:
            continue
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=True)
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)


def _public_callables() -> list[str]:
    return [
        n
        for n in lrplan.__all__
        if inspect.isclass(getattr(lrplan, n))
        or inspect.isfunction(getattr(lrplan, n))
        or inspect.ismodule(getattr(lrplan, n))
    ]


def test_public_names_are_found() -> None:
    names = _public_callables()
    assert {"Cosine", "ScheduledLR", "warmup", "get_scheduler", "timm"} <= set(names)


@pytest.mark.parametrize("name", _public_callables())
def test_public_docstring_has_an_example(name: str) -> None:
    obj = getattr(lrplan, name)
    doc = obj.__doc__ or ""  # its own docstring, not one inherited from a base class
    assert doc.strip(), f"lrplan.{name} has no docstring"
    assert ">>>" in doc, f"lrplan.{name}'s docstring has no example (a '>>>' line)"
