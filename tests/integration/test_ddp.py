"""DDP with lrplan: 2 real processes, gloo on 127.0.0.1, identical lrs on every rank.

The training function is examples/ddp_example.py's own ``train``: every rank gathers
every rank's lr at every step (``all_gather_object``) and raises if they differ. The
ranks here are forked (tests/integration/_launch.py); the last test runs the example
script as users do, which starts its ranks with the forkserver method.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ._launch import run_ranks

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "ddp_example.py"
STEPS = 20


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ddp_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ddp_example"] = module  # forked ranks find it by name
    spec.loader.exec_module(module)
    return module


ex = _example()


def test_two_ranks_identical_lrs_every_step() -> None:
    ranks = run_ranks(ex.train, 2, STEPS)
    plan = ex.make_plan(STEPS)
    expected = [ex.BASE_LR * plan(k) for k in range(STEPS)]
    assert ranks[0] == ranks[1]  # bit for bit (train() also checked this at every step)
    assert ranks[0] == pytest.approx(expected, rel=1e-12, abs=0)
    assert ranks[0][0] < ranks[0][STEPS // 10] and ranks[0][-1] < ranks[0][STEPS // 10]


def test_two_ranks_resume_from_rank0_checkpoint(tmp_path: Path) -> None:
    plain = run_ranks(ex.train, 2, STEPS)
    resumed = run_ranks(ex.train, 2, STEPS, str(tmp_path / "ckpt.pt"))
    assert (tmp_path / "ckpt.pt").exists()
    assert resumed[0] == resumed[1] == plain[0]  # the resumed run continues exactly


def test_example_script_runs() -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env.pop("MASTER_PORT", None)
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "--world-size", "2", "--steps", "6"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert sum(line.startswith("step ") for line in lines) == 6
    assert lines[-1] == "done: every rank used the same lr at every step"
