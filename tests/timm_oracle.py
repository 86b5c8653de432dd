"""Load the installed ``timm.scheduler`` as a test oracle, without timm's package ``__init__``.

timm is installed with ``--no-deps`` (scripts/test.sh); its ``__init__`` imports
torchvision, which is not installed, but ``timm/scheduler/`` needs only torch. So
:func:`load` registers an empty ``timm`` package whose ``__path__`` is the installed
directory (found with ``importlib.util.find_spec``, which does not run ``__init__``)
and imports ``timm.scheduler`` from it: the real code, unchanged.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from importlib import metadata
from typing import Any

import pytest


def installed() -> bool:
    """Whether the timm distribution is installed at all."""
    try:
        metadata.version("timm")
    except metadata.PackageNotFoundError:
        return False
    return True


def load() -> Any:
    """The real ``timm.scheduler`` module (raises if timm is not installed)."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    if "timm" not in sys.modules:
        spec = importlib.util.find_spec("timm")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("timm is not installed")
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin
        sys.modules["timm"] = package
    return importlib.import_module("timm.scheduler")


def scheduler() -> Any:
    """``timm.scheduler``, or skip the test when timm is not installed (never in CI:
    tests/test_timm_oracle.py fails when the distribution is present but cannot load)."""
    if not installed():
        pytest.skip("timm is not installed (scripts/test.sh installs it)")
    return load()
