"""The ``lrplan`` command line and the demo run behind ``lrplan demo``."""

from __future__ import annotations

import io
import json
import math
import os
import re
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
    assert "Join(" in stdout


def test_plot_terminal_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["plot", SPEC, "--terminal", "--width", "64", "--height", "16", "--title", "T"])
    assert rc == 0
    stdout = capsys.readouterr().out
    chart = stdout.splitlines()[:16]
    assert chart[0].strip() == "T"
    assert "┤" in chart[2]  # the y axis
    assert "Join(" in stdout  # the repr, printed below the chart
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
    assert "Join(" in capsys.readouterr().out  # bound: 200 warmup steps, 800 of cosine
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


# --------------------------------------------------------------------------- every command


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_help_lists_every_subcommand_with_a_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("plot", "compare", "show", "demo"):
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
        assert len(line.split()) > 3, line  # the name, then a sentence
        assert main([name, "--help"]) == 0
        assert f"usage: lrplan {name}" in capsys.readouterr().out
    assert "exit codes" in out


def test_plot_png_size_and_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xml.etree.ElementTree as ET

    assert main(["plot", SPEC, "-o", str(tmp_path / "p.png")]) == 0
    assert png_size(tmp_path / "p.png") == (990, 550)
    assert main(["plot", SPEC, "-o", str(tmp_path / "p.svg"), "--log"]) == 0
    root = ET.parse(tmp_path / "p.svg").getroot()
    assert root.tag.endswith("svg")
    assert f"wrote {tmp_path / 'p.svg'}" in capsys.readouterr().out


def test_plot_key_and_base(capsys: pytest.CaptureFixture[str]) -> None:
    mom = "Linear(steps=100, start=0.95, end=0.85)"
    assert main(["plot", mom, "--key", "momentum", "--terminal", "--height", "14"]) == 0
    out = capsys.readouterr().out
    assert "momentum (absolute value)" in out
    assert "start 0.95, peak 0.95 at step 0, end 0.85 at step 100" in out
    assert main(["plot", SPEC, "--base-lr", "0.002", "--terminal", "--height", "14"]) == 0
    out = capsys.readouterr().out
    assert "lr (base lr 0.002 × multiplier)" in out
    assert "start 0, peak 0.002 at step 10, end 2e-05 at step 100" in out


def test_plot_epoch_axis_and_run_length_options(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "warmup(Cosine(steps=fraction(0.9), end=0.1), steps=fraction(0.1))"
    argv = ["plot", spec, "--terminal", "--height", "14", "--steps-per-epoch", "50"]
    for extra in (["--epochs", "4"], ["--total-steps", "200"], ["--steps", "200"]):
        assert main([*argv, *extra]) == 0, extra
        out = capsys.readouterr().out
        assert "epoch (50 steps each)" in out
        assert "Cosine(steps=180, end=0.1)" in out and "boundaries=(20,)" in out
        assert "end 0.1 at epoch 4" in out
    # the run is 200 steps, the picture shows 300
    assert main([*argv, "--total-steps", "200", "--steps", "300"]) == 0
    assert "end 0.1 at epoch 6" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--epochs", "4"], "--epochs 4 needs --steps-per-epoch"),
        (["--epochs", "4", "--steps-per-epoch", "50", "--total-steps", "100"], "disagrees"),
        (["--key", "momentum", "--base-lr", "0.1"], "--base-lr 0.1 applies to relative keys"),
        (["-o", "x.pdf"], "must end in .png or .svg"),
        (["--key", ""], "key must be a non-empty string"),
    ],
)
def test_bad_option_combinations_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["plot", SPEC], ["compare", SPEC, "Constant()"], ["show", SPEC]):
        if command[0] == "show" and "-o" in argv:
            continue
        assert main([*command, *argv]) == 2, (command, argv)
        captured = capsys.readouterr()
        assert captured.err.startswith("lrplan: error: ")
        assert message in captured.err
        assert captured.out == ""
    assert not (tmp_path / "x.pdf").exists()


def test_open_ended_schedule_uses_the_documented_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "Exponential(gamma=0.99)"]) == 0
    captured = capsys.readouterr()
    note = "no end of its own and no phase boundaries; drawn over 1,000 steps"
    assert f"{note} (choose the range with --steps)" in captured.err
    assert "key points over steps 0..1,000" in captured.out
    assert main(["show", "Exponential(gamma=0.99)", "--steps", "20"]) == 0
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- compare


def test_compare_png_with_labels_and_configs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "step.json"
    cfg.write_text(json.dumps(lp.Step(step_size=30, gamma=0.5).to_config()))
    out = tmp_path / "cmp.png"
    assert main(["compare", SPEC, str(cfg), "-o", str(out)]) == 0
    assert png_size(out) == (990, 550)
    stdout = capsys.readouterr().out
    assert f"{SPEC}  start 0, peak 1 at step 10" in stdout
    assert "step.json" in stdout and "end 0.125 at step 100" in stdout  # 0.5 ** 3
    argv = ["compare", SPEC, str(cfg), "--labels", "warm", "halving", "--terminal"]
    assert main([*argv, "--height", "16", "--width", "80"]) == 0
    stdout = capsys.readouterr().out
    assert "▚ warm" in stdout and "▚ halving" in stdout  # the terminal legend
    assert "2 schedules over 100 steps" in stdout


def test_compare_label_count_must_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", SPEC, "Constant()", "--labels", "only-one"]) == 2
    assert "--labels gave 1 label(s) for 2 schedule(s)" in capsys.readouterr().err


def test_compare_draws_the_longest_and_repeats_labels(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["compare", "Cosine(steps=50)", "Cosine(steps=50)", "Linear(steps=80)"]) == 0
    out = capsys.readouterr().out
    assert "Cosine(steps=50) (2)" in out  # a repeated label is numbered
    assert "end 0 at step 80" in out


# --------------------------------------------------------------------------- show


def test_show_table_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    # warmup to 1 over 10 steps, cosine from 1 to 0.01 over 90; independent formulas
    assert main(["show", SPEC, "--steps", "60"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1] == "key points over steps 0..60; lr multiplier (× base lr)"
    table = {ln.split()[0]: ln.split()[1:] for ln in lines[3:]}
    end = 0.01 + 0.99 * (1 + math.cos(math.pi * 50 / 90)) / 2
    assert table["point"] == ["step", "value"]
    assert table["start"] == ["0", "0"]
    assert table["boundary"] == ["10", "1"]
    assert table["end"] == ["60", f"{end:.6g}"]
    assert table["peak"] == ["10", "1"]
    assert table["min"] == ["0", "0"]


def test_show_with_base_and_epochs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "Step(step_size=25, gamma=0.5)"
    argv = ["show", spec, "--steps", "100", "--base-lr", "0.4", "--steps-per-epoch", "20"]
    assert main(argv) == 0
    rows = [ln.split() for ln in capsys.readouterr().out.splitlines()[3:]]
    assert rows[0] == ["point", "step", "epoch", "value", "lr"]
    assert rows[1] == ["start", "0", "0", "1", "0.4"]
    # Step drops every 25 steps: a boundary row each, the drop at the last step included.
    assert [r[:2] for r in rows[2:6]] == [["boundary", s] for s in ("25", "50", "75", "100")]
    assert rows[6] == ["end", "100", "5", "0.0625", "0.025"]  # 0.5 ** 4
    assert rows[8] == ["min", "100", "5", "0.0625", "0.025"]


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "CosineRestarts(period=10, period_mult=2, decay=0.5, end=0.1)"
    assert main(["show", spec, "--steps", "100", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schedule"] == spec and doc["steps"] == 100 and doc["key"] == "lr"
    assert doc["absolute"] is False and doc["base"] is None
    assert [(b["step"], b["value"]) for b in doc["boundaries"]] == [
        (10, 0.5),
        (30, 0.25),
        (70, 0.125),
    ]
    assert doc["start"]["value"] == 1.0 and doc["peak"] == doc["max"]
    assert doc["max"]["step"] == 0
    # cycle 2 runs from step 30 to 70 (length 40), so t=100 is 30 into cycle 3 (length 80)
    end = 0.1 + (0.125 - 0.1) * (1 + math.cos(math.pi * 30 / 80)) / 2
    assert doc["end"]["value"] == pytest.approx(end, rel=1e-12)
    low = 0.1 + (0.25 - 0.1) * (1 + math.cos(math.pi * 39 / 40)) / 2
    assert (doc["min"]["step"], doc["min"]["value"]) == (69, pytest.approx(low, rel=1e-12))


def test_show_limits_long_boundary_lists(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "CosineRestarts(period=5)", "--steps", "1000"]) == 0
    out = capsys.readouterr().out
    assert not any(ln.startswith("boundary") for ln in out.splitlines())
    assert "200 phase boundaries (--format json lists each with its value):" in out
    assert "  every 5 steps: 5, 10, ..., 1,000 (200 boundaries)" in out


def test_show_lists_every_restart_over_a_million_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not the first 500: every restart up to the last step, in JSON and summarised."""
    argv = ["show", "CosineRestarts(period=100)", "--steps", "1000000"]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [b["step"] for b in doc["boundaries"]] == list(range(100, 1_000_001, 100))
    assert main(argv) == 0
    assert "every 100 steps: 100, 200, ..., 1,000,000 (10,000 boundaries)" in (
        capsys.readouterr().out
    )


def test_show_refuses_a_billion_boundaries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "Step(step_size=0.0001)", "--steps", "1000", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "more than the 1,000,000 listed at most" in err and "--steps" in err


def test_default_range_covers_the_last_phase(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "MultiStep(milestones=(30, 60, 80))", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["steps"] == 96 and doc["end"]["value"] == pytest.approx(1e-3)
    assert main(["show", "Cosine(steps=100).then(Constant(value=0.1), at=50)"]) == 0
    assert "key points over steps 0..60;" in capsys.readouterr().out


def test_open_ended_periodic_schedule_gets_a_few_periods_and_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["show", "Cyclic(start=0.1, step_size_up=2000)", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["steps"] == 9600  # two cycles, then 20% more
    assert "has no end of its own; drawn to step 9,600, past its first 4 boundaries" in captured.err
    assert "(choose the range with --steps)" in captured.err


def test_terminal_chart_drops_are_vertical(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("plotext")
    from lrplan._plot import terminal_chart

    chart = terminal_chart(
        {"m": lp.MultiStep(milestones=(30, 60, 80))}, 96, width=70, height=15, color=False
    )
    rows = chart.splitlines()[2:12]
    # The column of the drop at step 30 is filled from the top row to the bottom one.
    col = next(i for i, ch in enumerate(rows[1]) if ch == "▌")
    assert all(r[col] in "▖▗▘▙▚▛▜▝▞▟▌▐█▀▄" for r in rows[:8])


def test_demo_takes_key_for_a_multi_key_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("yaml")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "lr: {type: cosine, steps: 48}\n"
        "momentum: {type: linear, steps: 48, start: 0.95, end: 0.85}\n"
    )
    out = tmp_path / "demo.png"
    argv = ["demo", "--epochs", "1", "-q", "-o", str(out), "--schedule", str(plan)]
    assert main([*argv, "--key", "momentum"]) == 0
    text = capsys.readouterr().out
    assert "momentum (AdamW's betas[0]) under Linear(steps=48, start=0.95, end=0.85)" in text
    assert main(argv) == 0  # --key lr by default: the plan's lr schedule drives the lr
    assert "under Cosine(steps=48)" in capsys.readouterr().out
    assert main([*argv, "--key", "dampening"]) == 2


@pytest.mark.parametrize(
    ("spec", "key", "said"),
    [
        ("Cosine(steps=100)", "momentum", "gives 1 at step 0"),  # was a ZeroDivisionError
        ("Constant(value=1.5)", "momentum", "gives 1.5 at step 0"),  # trained silently
        ("Constant(value=1)", "betas[1]", "gives 1 at step 0"),
        # 0.9 + 0.3 t / 96 reaches 1 at t = 32, inside the 96-step run
        ("Linear(steps=96, start=0.9, end=1.2)", "betas[0]", "gives 1 at step 32"),
    ],
)
def test_demo_refuses_betas_outside_0_1_before_training(
    spec: str, key: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.png"
    argv = ["demo", "--schedule", spec, "--key", key, "--epochs", "2", "-q", "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lrplan: error: --key {key} (AdamW's ")
    assert "must lie in [0, 1) at every step of the run" in err and said in err
    assert "Traceback" not in err and not out.exists()  # refused before any training
    with pytest.raises(ValueError, match=rf"key '{re.escape(key)}' .*\[0, 1\)"):
        _demo.run_demo(epochs=2, out=None, progress=False, key=key, schedule=lp.load(spec))


def test_demo_key_ranges_accept_their_edges() -> None:
    _demo.check_key_values("momentum", lp.Constant(value=0.0), 96)  # beta 0 is AdamW's edge
    _demo.check_key_values("betas[1]", lp.Constant(value=0.999999), 96)
    _demo.check_key_values("lr", lp.Constant(value=50.0), 96)  # multipliers: no upper bound
    _demo.check_key_values("weight_decay", lp.Constant(value=0.0), 96)
    # Only the run's steps count: 1 at step 96 is never trained with.
    _demo.check_key_values("momentum", lp.Linear(steps=96, start=0.9, end=1.0), 96)
    with pytest.raises(ValueError, match="at step 96"):
        _demo.check_key_values("momentum", lp.Linear(steps=96, start=0.9, end=1.0), 97)


def test_steps_help_says_what_the_default_range_does(capsys: pytest.CaptureFixture[str]) -> None:
    from lrplan._plot import default_range

    assert main(["plot", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    said = (
        "a schedule that never ends is drawn past its first four boundaries (a few cycles), "
        "or over 1000 steps at least when it has fewer"
    )
    assert said in text
    # What it says: a periodic schedule gets its cycles only (less than 1000 steps here),
    # one with fewer boundaries gets 1000 steps at least.
    assert default_range({"c": lp.Cyclic(start=0.1, step_size_up=10, step_size_down=5)})[0] == 36
    assert default_range({"e": lp.Exponential(gamma=0.99)})[0] == 1000


def test_show_picks_a_key_from_a_multi_key_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "plan.json"
    plan = {
        "lr": lp.warmup(lp.Cosine(steps=90), steps=10).to_config(),
        "momentum": lp.Linear(steps=100, start=0.95, end=0.85).to_config(),
    }
    cfg.write_text(json.dumps(plan))
    assert main(["show", str(cfg), "--key", "momentum", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["absolute"] is True
    assert (doc["start"]["value"], doc["end"]["value"]) == (0.95, 0.85)
    assert main(["show", str(cfg)]) == 0  # lr by default
    assert "Join(" in capsys.readouterr().out
    assert main(["show", str(cfg), "--key", "weight_decay"]) == 2
    assert "holds schedules for the keys ['lr', 'momentum']" in capsys.readouterr().err


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("command", ["plot", "compare", "show", "demo"])
@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Cosine(steps=100", "not valid syntax"),
        ("Cosin(steps=100)", "'Cosin' is not allowed"),
        ("Cosine(steps=-1)", "steps must be"),
        ("missing.yaml", "does not exist"),
        ("Linear(steps=10, after='raise')", "cannot evaluate"),
    ],
)
def test_bad_specs_exit_2_in_every_command(
    command: str,
    spec: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.png"
    argv = {
        "plot": ["plot", spec, "--steps", "20", "-o", str(out)],
        "compare": ["compare", "Constant()", spec, "--steps", "20", "-o", str(out)],
        "show": ["show", spec, "--steps", "20"],
        "demo": ["demo", "--epochs", "1", "-q", "-o", str(out), "--schedule", spec],
    }[command]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("lrplan: error: ")
    assert message in captured.err
    assert captured.out == ""
    assert not out.exists()


@pytest.mark.parametrize("command", ["plot", "compare", "demo"])
def test_unwritable_output_exit_1_in_every_command(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "no" / "such" / "dir.png")
    argv = {
        "plot": ["plot", SPEC, "-o", out],
        "compare": ["compare", SPEC, "Constant()", "-o", out],
        "demo": ["demo", "--epochs", "1", "-q", "-o", out],
    }[command]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("lrplan: error: ") and "dir.png" in err


# --------------------------------------------------------------------------- demo with any plan


def test_demo_command_with_fraction_durations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = "warmup(Cosine(steps=fraction(0.9), end=0.1), steps=fraction(0.1))"
    out = tmp_path / "demo.svg"
    assert main(["demo", "--epochs", "1", "-q", "-o", str(out), "--schedule", spec]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # bound to the run: no length mismatch note
    spe = _demo.STEPS_PER_EPOCH
    warm = round(0.1 * spe, 9)
    assert f"Linear(steps={warm:g}" in captured.out or f"Linear(steps={warm}" in captured.out
    assert out.read_text().lstrip().startswith("<?xml")


# --------------------------------------------------------------------------- real processes


def test_console_script_plot_compare_show(tmp_path: Path) -> None:
    """plot, compare and show through the installed entry point, in real subprocesses."""
    script = _console_script()

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [script, *argv], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )

    plot = run("plot", SPEC, "-o", "p.png", "--steps-per-epoch", "20")
    assert plot.returncode == 0, plot.stderr
    assert png_size(tmp_path / "p.png") == (990, 550)
    cmp = run("compare", SPEC, "Exponential(gamma=0.97)", "--log", "-o", "c.svg")
    assert cmp.returncode == 0, cmp.stderr
    assert (tmp_path / "c.svg").read_text().lstrip().startswith("<?xml")
    show = run("show", SPEC, "--format", "json")
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["peak"] == {"name": "peak", "step": 10, "value": 1.0}
    bad = run("show", SPEC, "--key", "momentum", "--base-lr", "1")
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("lrplan: error: --base-lr 1 applies to relative keys")


def test_cli_module_doctests() -> None:
    import doctest

    import lrplan.cli

    result = doctest.testmod(lrplan.cli, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2 and result.failed == 0


def test_docs_cli_samples_are_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    """The one-line ``$ lrplan show/plot ...`` samples in docs/cli.md print what the docs say."""
    import re
    import shlex

    doc = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    checked = 0
    for block in re.findall(r"```console\n(.*?)```", doc, flags=re.S):
        lines = block.splitlines()
        if not lines[0].startswith("$ lrplan ") or lines[0].endswith("\\"):
            continue
        if sum(ln.startswith("$ ") for ln in lines) > 1:  # the error samples
            continue
        argv = shlex.split(lines[0][len("$ lrplan ") :])
        if argv[0] not in ("show", "plot") or "-o" in argv:
            continue
        expected = [ln.rstrip() for ln in lines[1:]]
        assert main(argv) == 0, argv
        got = [ln.rstrip() for ln in capsys.readouterr().out.splitlines()]
        assert got[: len(expected)] == expected, argv
        checked += 1
    assert checked >= 3


def test_show_uses_rich_on_a_terminal_and_plain_text_without_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["show", SPEC]) == 0
    out = capsys.readouterr().out
    assert "┏━" in out and "│ boundary │" in out  # rich's box drawing
    monkeypatch.setitem(sys.modules, "rich", None)
    monkeypatch.setitem(sys.modules, "rich.console", None)
    monkeypatch.setitem(sys.modules, "rich.table", None)
    assert main(["show", SPEC]) == 0
    out = capsys.readouterr().out
    assert "point     step  value" in out and "│" not in out


# --------------------------------------------------------------------------- start-up without torch

#: Runs ``lrplan ARGS...`` (lrplan.cli.main, the console script's target) with torch
#: made unimportable, then reports every attempt to import it on the last line.
_CLI_WITHOUT_TORCH = """
import sys

class _BlockTorch:
    attempts = []

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            self.attempts.append(name)
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

blocker = _BlockTorch()
sys.meta_path.insert(0, blocker)
from lrplan.cli import main

try:
    rc = main(sys.argv[1:])
finally:
    sys.stdout.flush()
    print(f"\\ntorch attempts: {blocker.attempts}", file=sys.stderr)
sys.exit(rc)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["show", SPEC],
        ["show", "--format", "json", "Cosine(steps=fraction(1))", "--total-steps", "100"],
        ["plot", "--terminal", SPEC, "--width", "60", "--height", "12"],
        ["compare", "--terminal", SPEC, "Linear(steps=50)"],
        ["--help"],
        ["--version"],
        ["show", "--help"],
    ],
)
def test_commands_do_not_import_torch(argv: list[str], tmp_path: Path) -> None:
    """`lrplan show`, `plot --terminal`, `--help` and `--version` answer without torch:
    they work with torch unimportable, and never even try to import it."""
    if argv[0] in ("plot", "compare"):
        pytest.importorskip("plotext")
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_WITHOUT_TORCH, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "torch attempts: []", proc.stderr
    assert proc.stdout.strip()


def test_demo_command_needs_torch(tmp_path: Path) -> None:
    """`lrplan demo` trains a torch model: without torch it fails (exit 1, a missing
    dependency) naming it, before writing anything."""
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_WITHOUT_TORCH, "demo", "--epochs", "1", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 1, proc.stderr
    assert "lrplan: error: No module named 'torch'" in proc.stderr
    assert "torch attempts: ['torch']" in proc.stderr
    assert list(tmp_path.iterdir()) == []
