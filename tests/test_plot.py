"""PNG plots (matplotlib) and terminal charts (plotext 6) of schedules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import lrplan as lp
from lrplan._plot import (
    default_steps,
    key_points,
    plot_schedules,
    plot_training,
    schedule_png_bytes,
    terminal_chart,
    training_chart,
)

pytest.importorskip("matplotlib")
pytest.importorskip("plotext")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PLAN = lp.warmup(lp.Cosine(steps=900, end=0.05), steps=100)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5_000  # a real picture, not an empty canvas header


def test_plot_schedules_writes_a_png_with_labels(tmp_path: Path) -> None:
    out = tmp_path / "plan.png"
    fig = plot_schedules({"plan": PLAN, "step": lp.Step(step_size=300, gamma=0.5)}, 1000, out)
    assert_png(out)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step"
    assert "multiplier" in ax.get_ylabel()
    assert ax.get_title() == "2 schedules"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["plan", "step", "phase boundary"]


def test_single_schedule_title_gives_its_key_points() -> None:
    fig = plot_schedules({"plan": PLAN}, 1000)
    assert fig.axes[0].get_title() == "start 0, peak 1 at step 100, end 0.05 at step 1,000"


def test_key_points_first_peak_and_range() -> None:
    hump = lp.Linear(steps=10, start=0.5, end=2.0).then(lp.Linear(steps=10, start=2.0), at=10)
    assert key_points(hump, 30) == "start 0.5, peak 2 at step 10, end 0 at step 30"
    assert key_points(hump, 5) == "start 0.5, peak 1.25 at step 5, end 1.25 at step 5"


def test_plotted_curve_is_the_schedule(tmp_path: Path) -> None:
    fig = plot_schedules({"plan": PLAN}, 1000)
    x, y = fig.axes[0].lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(1001))
    np.testing.assert_array_equal(y, PLAN.values(np.arange(1001)))


def test_phase_boundaries_are_dashed_vertical_lines() -> None:
    plan = lp.Linear(steps=10, start=0.0, end=1.0).then(lp.Constant(value=1.0), at=10)
    plan = plan.then(lp.Cosine(steps=50), at=40)
    fig = plot_schedules({"p": plan}, 100)
    vlines = [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"]
    assert sorted(ln.get_xdata()[0] for ln in vlines) == [10.0, 40.0]


def test_boundaries_past_the_drawn_range_are_left_out() -> None:
    fig = plot_schedules({"p": PLAN}, 50)
    assert [ln for ln in fig.axes[0].lines if ln.get_linestyle() == "--"] == []


def test_log_scale_and_existing_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    got = plot_schedules({"exp": lp.Exponential(gamma=0.99)}, 500, ax=ax, log=True, title="T")
    assert got is fig
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "T"


@pytest.mark.parametrize("steps", [0, -5, 2.5, True])
def test_bad_steps(steps: object) -> None:
    with pytest.raises(ValueError, match="steps"):
        plot_schedules({"p": PLAN}, steps)  # type: ignore[arg-type]


def test_empty_mapping() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plot_schedules({}, 10)


def test_default_steps() -> None:
    assert default_steps({"p": PLAN}) == 1000
    assert default_steps({"a": lp.Linear(steps=10.2), "b": lp.Constant()}) == 11
    assert default_steps({"open": lp.Constant()}) == 1000


def test_schedule_png_bytes_and_notebook_repr() -> None:
    assert schedule_png_bytes(PLAN)[:8] == PNG_MAGIC
    png = PLAN._repr_png_()
    assert png is not None and png[:8] == PNG_MAGIC


def test_missing_matplotlib_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.lines"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'pip install "lrplan\[plot\]"'):
        plot_schedules({"p": PLAN}, 10)


def test_plot_training(tmp_path: Path) -> None:
    n = 200
    lrs = list(PLAN.values(np.arange(n)) * 0.1)
    losses = list(np.exp(-np.arange(n) / 50) + 0.01)
    out = tmp_path / "run.png"
    fig = plot_training(lrs=lrs, losses=losses, boundaries=[100], steps_per_epoch=20, path=out)
    assert_png(out)
    ax_lr, ax_loss = fig.axes[:2]
    np.testing.assert_allclose(ax_lr.lines[0].get_ydata(), lrs)
    assert ax_loss.get_yscale() == "log"
    with pytest.raises(ValueError):
        plot_training(lrs=[0.1], losses=[])


# --------------------------------------------------------------------------- terminal


def test_terminal_chart_size_title_and_legend() -> None:
    chart = terminal_chart({"my plan": PLAN}, 1000, width=70, height=18, title="hello")
    lines = chart.splitlines()
    assert len(lines) == 18
    assert max(len(line) for line in lines) <= 70
    assert "hello" in lines[0]
    assert "my plan" in chart
    assert "\x1b[" not in chart  # not a terminal under pytest: no colour codes


def test_terminal_chart_colour_on_request() -> None:
    assert "\x1b[" in terminal_chart({"p": PLAN}, 100, width=50, height=12, color=True)


def test_terminal_chart_shows_the_shape() -> None:
    # a step down from 1 to 0.1 at t=50: the top rows are filled only on the left,
    # the bottom rows only on the right
    s = lp.Step(step_size=50, gamma=0.1)
    chart = terminal_chart({"s": s}, 100, width=60, height=15)
    rows = chart.splitlines()[2:-4]
    plot_cells = "▘▝▀▖▗▄▌▐▙▟▛▜█▞"  # not ▚: the legend uses it as its marker
    top = next(r for r in rows if any(c in plot_cells for c in r))
    bottom = next(r for r in reversed(rows) if any(c in plot_cells for c in r))
    top_cols = [i for i, c in enumerate(top) if c in plot_cells]
    bottom_cols = [i for i, c in enumerate(bottom) if c in plot_cells]
    assert max(top_cols) < min(bottom_cols) + 3


def test_terminal_chart_log_scale_skips_zeros() -> None:
    chart = terminal_chart({"p": PLAN}, 1000, width=60, height=15, log=True)
    assert "p" in chart


def test_missing_plotext_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "plotext", None)
    with pytest.raises(ImportError, match=r'pip install "lrplan\[plot\]"'):
        terminal_chart({"p": PLAN}, 10)


def test_training_chart() -> None:
    chart = training_chart(
        lrs=[0.1 * i / 50 for i in range(50)],
        losses=[1.0 / (i + 1) for i in range(50)],
        width=60,
        height=14,
    )
    assert "learning rate" in chart and "training loss" in chart
    assert len(chart.splitlines()) == 2 * 14 + 1
