"""The ``lrplan`` command line and the demo run behind ``lrplan demo``."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrplan as lp
from lrplan import _demo
from lrplan.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SPEC = "warmup(Cosine(steps=90, end=0.01), steps=10)"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert len(data) > 5_000


# --------------------------------------------------------------------------- lrplan plot


def test_plot_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.png"
    assert main(["plot", SPEC, "-o", str(out)]) == 0
    assert_png(out)
    stdout = capsys.readouterr().out
    assert f"wrote {out}" in stdout
    assert "Sequence(" in stdout


def test_plot_terminal_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plot", SPEC, "--terminal", "--width", "64", "--height", "16", "--title", "T"])
    assert rc == 0
    stdout = capsys.readouterr().out
    chart = stdout.splitlines()[:16]
    assert chart[0].strip() == "T"
    assert SPEC in stdout  # the legend label
    assert list(tmp_path.iterdir()) == []


def test_plot_without_output_draws_in_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "Cosine(steps=100)", "--height", "12"]) == 0
    assert "┤" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_plot_png_only_when_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plot", SPEC, "-o", str(tmp_path / "p.png"), "--steps", "50", "--log"]) == 0
    stdout = capsys.readouterr().out
    assert "┤" not in stdout
    assert "start 0, peak 1 at step 10, end 0.591 at step 50" in stdout


def test_plot_plan_with_durations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = "warmup(Cosine(steps=fraction(1) - epochs(2)), steps=epochs(2))"
    argv = [
        "plot",
        spec,
        "--steps",
        "1000",
        "--steps-per-epoch",
        "100",
        "-o",
        str(tmp_path / "p.png"),
    ]
    assert main(argv) == 0
    assert_png(tmp_path / "p.png")
    assert "Sequence(" in capsys.readouterr().out  # bound: 200 warmup steps, 800 of cosine
    assert main(["plot", spec, "--steps", "1000", "--terminal"]) == 2
    assert "--steps-per-epoch" in capsys.readouterr().err
    assert main(["plot", spec, "--terminal"]) == 2


def test_plot_config_files(tmp_path: Path) -> None:
    plan = lp.warmup(lp.Cosine(steps=90, end=0.01), steps=10)
    as_json = tmp_path / "plan.json"
    as_json.write_text(json.dumps(plan.to_config()))
    assert main(["plot", str(as_json), "-o", str(tmp_path / "a.png")]) == 0
    assert_png(tmp_path / "a.png")
    yaml = pytest.importorskip("yaml")
    as_yaml = tmp_path / "plan.yaml"
    as_yaml.write_text(yaml.safe_dump(plan.to_config()))
    assert main(["plot", str(as_yaml), "-o", str(tmp_path / "b.png")]) == 0
    assert_png(tmp_path / "b.png")


@pytest.mark.parametrize(
    "spec",
    [
        "Cosine(steps=100",
        "Cosin(steps=100)",
        "__import__('os').system('echo hi')",
        "Cosine(steps=-1)",
        "3",
        "missing.yaml",
    ],
)
def test_plot_bad_spec_exit_2(
    spec: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.png"
    assert main(["plot", spec, "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("lrplan: error: ")
    assert captured.out == ""
    assert not out.exists()


def test_plot_past_the_end_of_a_raising_schedule_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = "Linear(steps=10, after='raise')"
    assert main(["plot", spec, "--steps", "20", "-o", str(tmp_path / "x.png")]) == 2
    assert "0..20" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
    assert main(["plot", spec, "-o", str(tmp_path / "x.png")]) == 0  # its own length is fine


def test_plot_bad_config_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "zigzag"}')
    assert main(["plot", str(bad)]) == 2
    assert "zigzag" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["plot"], ["plot", SPEC, "--steps", "0"], ["plot", SPEC, "--steps", "x"], ["frobnicate"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lrplan {lp.__version__}"


def test_unwritable_output_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", SPEC, "-o", str(tmp_path / "no" / "such" / "dir.png")]) == 1
    assert "lrplan: error:" in capsys.readouterr().err


def test_plot_terminal_without_plotext_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "plotext", None)
    assert main(["plot", SPEC, "--terminal"]) == 1
    assert 'pip install "lrplan[plot]"' in capsys.readouterr().err


# --------------------------------------------------------------------------- the demo run


@pytest.fixture(scope="module")
def short_run() -> _demo.DemoResult:
    return _demo.run_demo(epochs=2, out=None, progress=False)


def test_demo_loss_decreases(short_run: _demo.DemoResult) -> None:
    r = short_run
    assert r.final_loss < 0.5 * r.initial_loss
    first, last = np.mean(r.losses[:20]), np.mean(r.losses[-20:])
    assert last < 0.5 * first
    assert r.accuracy > 0.7  # three classes: chance is 1/3


def test_demo_lrs_follow_the_schedule(short_run: _demo.DemoResult) -> None:
    r = short_run
    assert r.steps == 2 * _demo.STEPS_PER_EPOCH == len(r.losses)
    assert r.schedule == _demo.default_schedule(r.steps)
    assert r.schedule.duration == r.steps
    expected = r.base_lr * r.schedule.values(np.arange(r.steps))
    np.testing.assert_allclose(r.lrs, expected, rtol=1e-12, atol=0)
    assert r.lrs[0] == 0.0
    assert max(r.lrs) == pytest.approx(r.base_lr)


def test_demo_is_deterministic(short_run: _demo.DemoResult) -> None:
    again = _demo.run_demo(epochs=2, out=None, progress=False)
    assert again.losses == short_run.losses
    other = _demo.run_demo(epochs=2, seed=1, out=None, progress=False)
    assert other.losses != short_run.losses


def test_demo_leaves_torch_threads_alone() -> None:
    import torch

    before = torch.get_num_threads()
    _demo.run_demo(epochs=1, out=None, progress=False)
    assert torch.get_num_threads() == before


def test_demo_custom_schedule() -> None:
    plan = lp.Step(step_size=30, gamma=0.5)
    r = _demo.run_demo(epochs=1, schedule=plan, base_lr=0.02, out=None, progress=False)
    np.testing.assert_allclose(r.lrs, 0.02 * plan.values(np.arange(r.steps)), rtol=1e-12)


def test_demo_binds_plans_in_epochs_and_fractions() -> None:
    plan = lp.warmup(lp.Cosine(steps=lp.fraction(1) - lp.epochs(1)), steps=lp.epochs(1))
    r = _demo.run_demo(epochs=2, schedule=plan, out=None, progress=False)
    spe = _demo.STEPS_PER_EPOCH
    assert r.schedule == lp.warmup(lp.Cosine(steps=spe), steps=spe)
    assert r.lrs[spe] == r.base_lr  # the peak, one epoch in


def test_demo_progress_bar_on_a_log_stream() -> None:
    stream = io.StringIO()
    _demo.run_demo(epochs=1, out=None, progress=True, stream=stream)
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 12  # a few lines for a log, not one per step
    assert "\r" not in stream.getvalue()
    assert lines[-1].startswith("epoch 1/1 [########################] 100%")
    assert "loss" in lines[-1] and "lr" in lines[-1]


@pytest.mark.parametrize("epochs", [0, -1, 1.5, True])
def test_demo_bad_epochs(epochs: object) -> None:
    with pytest.raises(ValueError, match="epochs"):
        _demo.run_demo(epochs=epochs, out=None)  # type: ignore[arg-type]


def test_default_schedule_is_sized_to_the_run() -> None:
    plan = _demo.default_schedule(1440)
    assert plan.duration == 1440
    assert plan.boundaries() == [144.0]
    assert plan(0) == 0.0 and plan(144) == 1.0 and plan(1440) == pytest.approx(0.01)
    with pytest.raises(ValueError):
        _demo.default_schedule(1)


# --------------------------------------------------------------------------- lrplan demo


def test_demo_command_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "2", "--out", str(out), "--seed", "3"]) == 0
    assert_png(out)
    captured = capsys.readouterr()
    assert f"wrote {out}" in captured.out
    assert "loss " in captured.out and "->" in captured.out
    assert "100%" in captured.err  # the progress bar


def test_demo_command_with_spec_and_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.png"
    rc = main(["demo", "--epochs", "1", "-o", str(out), "--schedule", "Cosine(steps=48)", "-q"])
    assert rc == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # quiet, and the schedule matches the run length
    assert "Cosine(steps=48" in captured.out


def test_demo_command_warns_when_schedule_and_run_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "d.png")
    assert main(["demo", "--epochs", "1", "-o", out, "-q", "--schedule", "Cosine(steps=500)"]) == 0
    assert "lasts 500 steps" in capsys.readouterr().err


def test_demo_command_bad_schedule_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "1", "-o", str(out), "--schedule", "Cosine(steps=0)"]) == 2
    assert "steps" in capsys.readouterr().err
    assert not out.exists()


def test_demo_without_matplotlib_draws_a_terminal_chart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("plotext")
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.lines"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "demo.png"
    assert main(["demo", "--epochs", "1", "-o", str(out), "-q"]) == 0
    stdout = capsys.readouterr().out
    assert not out.exists()
    assert "learning rate" in stdout and "training loss" in stdout
    assert "matplotlib is not installed" in stdout


def _console_script() -> str:
    here = Path(sys.executable).parent / ("lrplan.exe" if os.name == "nt" else "lrplan")
    found = str(here) if here.exists() else shutil.which("lrplan")
    assert found, 'the lrplan console script is missing: pip install -e ".[dev]"'
    return found


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed ``lrplan`` entry point, in a real subprocess, as a user runs it."""
    proc = subprocess.run(
        [_console_script(), "demo", "--epochs", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert_png(tmp_path / "lrplan-demo.png")
    assert "wrote lrplan-demo.png" in proc.stdout
    bad = subprocess.run(
        [_console_script(), "plot", "Cosine(steps=oops)"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert "oops" in bad.stderr
