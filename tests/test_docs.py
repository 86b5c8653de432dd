"""The documentation keeps up with the code.

* docs/api.md names every public name (``lrplan.__all__`` and ``lrplan.timm``'s
  classes) and no name that is gone; ``python docs/gen_api.py`` regenerates it.
* docs/gallery.md shows every name of the spec registry (``SPEC_NAMES``), and every image
  and relative link in docs/*.md and the README points at a file that exists.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType

import lrplan

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
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


def test_gallery_covers_every_spec_name_and_its_pictures_exist() -> None:
    import struct

    from lrplan._schedules import SPEC_NAMES

    gen = _load(DOCS / "gen_gallery.py")
    used = " ".join(spec for e in gen.ENTRIES for spec in e.curves)
    durations = {"epochs", "fraction"}  # lengths, not schedules: see docs/time.md
    missing = [n for n in SPEC_NAMES if n not in durations and f"{n}(" not in used]
    assert not missing, f"add these to docs/gen_gallery.py and rerun it: {missing}"
    text = (DOCS / "gallery.md").read_text()
    for e in gen.ENTRIES:
        for spec in e.curves:
            assert isinstance(gen.build(spec), lrplan.Schedule), spec
            assert spec in text, f"docs/gallery.md is out of date (run docs/gen_gallery.py): {spec}"
        png = (DOCS / "img" / "gallery" / f"{e.slug}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        # Drawn by `lrplan plot`/`compare` (docs/gen_gallery.py): the CLI's figure size.
        assert struct.unpack(">II", png[16:24]) == (990, 550), e.slug
        assert f"img/gallery/{e.slug}.png" in text


def test_index_links_every_page() -> None:
    index = DOCS / "index.md"
    linked = {(DOCS / t).resolve() for t in _LINK.findall(index.read_text())}
    pages = {p.resolve() for p in DOCS.rglob("*.md") if p != index}
    missing = sorted(str(p.relative_to(DOCS.resolve())) for p in pages - linked)
    assert not missing, f"docs/index.md does not link: {missing}"
