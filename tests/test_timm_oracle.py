"""The timm oracle loads: the parity tests (tests/test_timm_parity.py) never skip
silently where timm is installed, and in CI it must be (scripts/test.sh installs it)."""

from __future__ import annotations

import os
import sys
from importlib import metadata

import timm_oracle


def test_timm_is_installed_in_ci() -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        assert timm_oracle.installed(), "CI must install timm (scripts/test.sh)"


def test_the_oracle_loads_the_real_timm_scheduler_when_installed() -> None:
    if not timm_oracle.installed():
        return
    assert metadata.version("timm") == "1.0.31"
    ts = timm_oracle.load()
    assert ts.__name__ == "timm.scheduler"
    assert ts.CosineLRScheduler.__module__ == "timm.scheduler.cosine_lr"
    names = ["Cosine", "Tanh", "Step", "MultiStep", "Poly", "Plateau", "WSD"]
    for name in names:
        assert isinstance(getattr(ts, f"{name}LRScheduler"), type)
    assert callable(ts.create_scheduler_v2) and callable(ts.scheduler_kwargs)
    # the real package's files, without its __init__ (which needs torchvision)
    assert sys.modules["timm"].__path__[0].endswith("site-packages/timm")
    assert timm_oracle.scheduler() is ts
