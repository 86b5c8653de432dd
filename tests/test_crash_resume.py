"""A real crash test: SIGKILL a training process at random moments, resume, compare bits.

``tests/scripts/crash_train.py`` trains a small model on CPU, checkpointing every
``EVERY`` steps with an atomic write (temporary file, fsync, ``os.replace``). The
test kills it with SIGKILL several times at random steps (and random sub-step
delays, so some kills land inside a checkpoint write), restarts it each time from
its last checkpoint, and finally lets it finish. Its learning-rate/momentum log
and final parameters must equal an uninterrupted run's exactly.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).parent / "scripts" / "crash_train.py"
STEPS, EVERY = 240, 7
pytestmark = pytest.mark.slow


def _cmd(d: Path) -> list[str]:
    return [
        sys.executable,
        str(SCRIPT),
        str(d),
        "--steps",
        str(STEPS),
        "--every",
        str(EVERY),
        "--delay",
        "0.001",
    ]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1] / "src"), env.get("PYTHONPATH", "")]
    )
    env["OMP_NUM_THREADS"] = "1"
    return env


def _run_to_end(d: Path) -> int:
    out = subprocess.run(_cmd(d), capture_output=True, text=True, env=_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith("done")
    first = out.stdout.splitlines()[0]
    assert first.startswith("start ")
    return int(first.split()[1])


def _run_and_kill(d: Path, target: int, extra_sleep: float) -> tuple[int, int]:
    """Start the script, SIGKILL it once it reports step >= target; return (start, last step)."""
    proc = subprocess.Popen(
        _cmd(d), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    assert proc.stdout is not None
    start, last = -1, -1
    try:
        for line in proc.stdout:
            word, _, num = line.strip().partition(" ")
            if word == "start":
                start = int(num)
            elif word == "step":
                last = int(num)
                if last >= target:
                    time.sleep(extra_sleep)
                    proc.send_signal(signal.SIGKILL)
                    break
            elif word == "done":
                break
    finally:
        proc.wait(timeout=60)
    if proc.returncode != -signal.SIGKILL:
        pytest.fail(f"the run was not killed (rc={proc.returncode}): {proc.stderr.read()}")
    proc.stderr.close() if proc.stderr else None
    proc.stdout.close()
    return start, last


def _result(d: Path) -> dict[str, object]:
    return torch.load(d / "result.pt", weights_only=True)  # type: ignore[no-any-return]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_and_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    ref_dir, crash_dir = tmp_path / "ref", tmp_path / "crash"
    ref_dir.mkdir()
    crash_dir.mkdir()
    # The uninterrupted reference runs alongside the crashing one.
    ref_proc = subprocess.Popen(
        _cmd(ref_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )

    # Random kill points, increasing so the run makes progress; not all on checkpoints.
    targets = sorted(rng.sample(range(3, STEPS - 5), 4))
    starts = []
    for target in targets:
        start, last = _run_and_kill(crash_dir, target, rng.uniform(0.0, 0.004))
        starts.append(start)
        assert start <= last
        assert start % EVERY == 0  # resumed exactly from a checkpoint boundary
    final_start = _run_to_end(crash_dir)
    starts.append(final_start)
    # Every restart after the first resumed from a real checkpoint.
    assert all(s > 0 for s in starts[1:]), (seed, starts)

    out, err = ref_proc.communicate(timeout=120)
    assert ref_proc.returncode == 0, err
    assert out.startswith("start 0") and out.rstrip().endswith("done")

    ref, got = _result(ref_dir), _result(crash_dir)
    assert got["lr_log"] == ref["lr_log"], f"seed={seed}"
    assert len(ref["lr_log"]) == STEPS + 1  # type: ignore[arg-type]
    for a, b in zip(ref["params"], got["params"], strict=True):  # type: ignore[call-overload]
        assert torch.equal(a, b), f"seed={seed}"
