"""PNG plots (matplotlib) and terminal charts (plotext 6) of schedules."""

from __future__ import annotations

import copy
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
import sched_cases
from lrplan._plot import (
    MAX_FIGURE_POINTS,
    Units,
    default_steps,
    key_point_table,
    key_points,
    plot_schedules,
    plot_training,
    sample_steps,
    schedule_png_bytes,
    terminal_chart,
    training_chart,
)
from sched_cases import schedules

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
    assert ax.get_title() == "2 schedules over 1,000 steps"
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
    assert "my plan" not in chart  # one curve: no legend box over it
    two = terminal_chart({"my plan": PLAN, "flat": lp.Constant()}, 1000, width=70, height=18)
    assert "▚ my plan" in two and "▚ flat" in two
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


# --------------------------------------------------------------------------- units, formats


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always follows the 8-byte signature."""
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_units_labels_say_multiplier_or_absolute() -> None:
    assert Units().ylabel() == "lr multiplier (× base lr)"
    assert Units(key="weight_decay").ylabel() == "weight_decay multiplier (× base weight_decay)"
    assert Units(base=0.1).ylabel() == "lr (base lr 0.1 × multiplier)"
    for key in ("momentum", "betas[0]", "betas[1]", "dampening"):
        assert Units(key=key).absolute
        assert Units(key=key).ylabel() == f"{key} (absolute value)"
    assert Units().xlabel() == "step"
    assert Units(steps_per_epoch=12.5).xlabel() == "epoch (12.5 steps each)"


def test_absolute_keys_match_the_driver() -> None:
    from lrplan._driver import _ABSOLUTE_BY_DEFAULT
    from lrplan._plot import ABSOLUTE_KEYS

    assert set(ABSOLUTE_KEYS) == set(_ABSOLUTE_BY_DEFAULT)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": "momentum", "base": 0.9}, "absolute"),
        ({"key": ""}, "key"),
        ({"base": 0.0}, "base"),
        ({"base": float("nan")}, "base"),
        ({"steps_per_epoch": -1}, "steps_per_epoch"),
        ({"steps_per_epoch": True}, "steps_per_epoch"),
    ],
)
def test_units_refuse_bad_values(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Units(**kwargs)  # type: ignore[arg-type]


def test_base_value_and_epoch_axis() -> None:
    fig = plot_schedules({"plan": PLAN}, 1000, units=Units(base=3e-4, steps_per_epoch=50))
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(1001) / 50)
    np.testing.assert_allclose(y, 3e-4 * PLAN.values(np.arange(1001)), rtol=1e-15)
    assert ax.get_xlim() == (0.0, 20.0)
    assert ax.get_xlabel() == "epoch (50 steps each)"
    assert ax.get_ylabel() == "lr (base lr 0.0003 × multiplier)"
    assert ax.get_title() == "start 0, peak 0.0003 at epoch 2, end 1.5e-05 at epoch 20"
    vlines = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert [ln.get_xdata()[0] for ln in vlines] == [2.0]  # the boundary at step 100, in epochs
    assert [c.get_xlabel() for c in ax.child_axes] == ["step"]  # steps along the top


def test_absolute_key_is_drawn_as_is() -> None:
    mom = lp.Linear(steps=100, start=0.95, end=0.85)
    fig = plot_schedules({"m": mom}, 100, units=Units(key="momentum"))
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), mom.values(np.arange(101)))
    assert ax.get_ylabel() == "momentum (absolute value)"
    assert ax.get_ylim()[0] > 0.8  # absolute values are not squashed against 0


def test_svg_output_is_xml(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    out = tmp_path / "plan.svg"
    plot_schedules({"plan": PLAN}, 1000, out)
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "648pt" and root.get("height") == "360pt"  # 9 x 5 inches


def test_png_has_the_figure_size(tmp_path: Path) -> None:
    out = tmp_path / "plan.png"
    plot_schedules({"plan": PLAN}, 1000, out)
    assert png_size(out.read_bytes()) == (990, 550)  # 9 x 5 inches at 110 dpi


@pytest.mark.parametrize("name", ["plan.pdf", "plan", "plan.png.txt"])
def test_unknown_image_suffix_is_refused_before_drawing(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"must end in \.png or \.svg"):
        plot_schedules({"plan": PLAN}, 1000, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_long_ranges_are_sampled_but_keep_jumps_sharp() -> None:
    s = lp.Linear(steps=10, end=1.0, start=0.0).then(lp.Constant(value=0.25), at=654_321.5)
    fig = plot_schedules({"s": s}, 2_000_000)
    x, y = fig.axes[0].lines[0].get_data()
    assert len(x) <= MAX_FIGURE_POINTS + 5  # the sample, 3 steps around the jump, its 2 ends
    assert x[0] == 0 and x[-1] == 2_000_000 and np.all(np.diff(x) >= 0)
    assert {654_320.0, 654_321.0, 654_322.0} <= set(x.tolist())
    i = int(np.searchsorted(x, 654_321.5))
    assert x[i] == x[i + 1] == 654_321.5  # the drop is a vertical segment at the switch
    assert (y[i - 1], y[i], y[i + 1], y[i + 2]) == (1.0, 1.0, 0.25, 0.25)
    np.testing.assert_array_equal(sample_steps(10, [3.5]), np.arange(11))


def test_too_many_boundaries_are_counted_not_drawn() -> None:
    fig = plot_schedules({"r": lp.CosineRestarts(period=5)}, 1000)
    ax = fig.axes[0]
    assert [ln for ln in ax.lines if ln.get_linestyle() == "--"] == []
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["r", "199 phase boundaries (too many to draw)"]


def test_unbound_plans_are_refused_with_a_hint() -> None:
    plan = lp.warmup(lp.Cosine(steps=lp.fraction(0.9)), steps=lp.fraction(0.1))
    with pytest.raises(ValueError, match="bind it first"):
        plot_schedules({"p": plan}, 100)
    with pytest.raises(ValueError, match="bind it first"):
        key_point_table(plan, 100)
    assert plan._repr_png_() is None  # a notebook shows the text repr instead


def test_notebook_png_is_small_and_real() -> None:
    png = PLAN._repr_png_()
    assert png is not None
    assert png_size(png) == (540, 288)  # 6 x 3.2 inches at 90 dpi
    assert len(png) > 5_000


# --------------------------------------------------------------------------- restarts


def restart_starts(period: float, mult: float, n: int) -> list[float]:
    """S_i = sum_{j<i} period * mult**j, summed term by term."""
    out, start = [], 0.0
    for i in range(n):
        start += period * mult**i
        out.append(start)
    return out


def test_open_ended_restarts_list_every_restart_up_to_the_cap() -> None:
    from lrplan._schedules._cyclic import MAX_LISTED_RESTARTS

    s = lp.CosineRestarts(period=10)
    assert s.boundaries() == [10.0 * i for i in range(1, MAX_LISTED_RESTARTS + 1)]
    doubling = lp.CosineRestarts(period=7, period_mult=2)
    np.testing.assert_allclose(doubling.boundaries()[:20], restart_starts(7, 2, 20), rtol=1e-15)
    assert lp.CosineRestarts(period=10, cycle_limit=3).boundaries() == [10.0, 20.0, 30.0]
    huge = lp.CosineRestarts(period=10, period_mult=1000.0).boundaries()  # 1000**103 overflows
    assert 50 < len(huge) < MAX_LISTED_RESTARTS and all(np.isfinite(huge))


def test_plot_marks_every_restart_of_an_open_ended_plan() -> None:
    plan = lp.warmup(lp.CosineRestarts(period=50, period_mult=1.5, decay=0.8), steps=20)
    fig = plot_schedules({"p": plan}, 2000)
    drawn = sorted(ln.get_xdata()[0] for ln in fig.axes[0].lines if ln.get_linestyle() == "--")
    expected = [20.0] + [20.0 + b for b in restart_starts(50, 1.5, 12) if 20.0 + b < 2000]
    np.testing.assert_allclose(drawn, expected, rtol=1e-12)
    assert len(drawn) == 8  # 20, then restarts at 70, 145, ..., 1,316.9


# --------------------------------------------------------------------------- key points


def test_key_point_table_against_independent_values() -> None:
    # warmup 0 -> 1 over 100 steps, then cosine from 1 to 0.05 over 900 steps
    def ref(t: int) -> float:
        if t < 100:
            return t / 100
        u = min(t - 100, 900) / 900
        return 0.05 + (1 - 0.05) * (1 + math.cos(math.pi * u)) / 2

    rows = key_point_table(PLAN, 1200)
    got = [(r.name, r.step, r.value) for r in rows]
    ys = [ref(t) for t in range(1201)]
    peak = max(range(1201), key=lambda t: (ys[t], -t))
    low = min(range(1201), key=lambda t: (ys[t], t))
    assert [g[:2] for g in got] == [
        ("start", 0.0),
        ("boundary", 100.0),
        ("end", 1200.0),
        ("peak", float(peak)),
        ("min", float(low)),
    ]
    expected = [ref(0), ref(100), ref(1200), ys[peak], ys[low]]
    np.testing.assert_allclose([g[2] for g in got], expected, rtol=1e-12, atol=1e-15)


def test_key_point_table_values_at_restarts() -> None:
    s = lp.CosineRestarts(period=10, period_mult=2, decay=0.5, end=0.1)
    rows = key_point_table(s, 100)
    bounds = [(r.step, r.value) for r in rows if r.name == "boundary"]
    # restarts at 10, 30, 70; cycle i starts at 1 * 0.5**i
    assert bounds == [(10.0, 0.5), (30.0, 0.25), (70.0, 0.125)]
    # the lowest integer step: the last of cycle 1 (length 40, from 0.25 down to 0.1)
    low = 0.1 + (0.25 - 0.1) * (1 + math.cos(math.pi * 39 / 40)) / 2
    assert (rows[-1].name, rows[-1].step) == ("min", 69.0)
    assert rows[-1].value == pytest.approx(low, rel=1e-12)


def test_key_points_scan_every_step_of_a_long_range() -> None:
    # the maximum sits in the second chunk of 2**20 steps
    s = lp.Linear(steps=1_500_000, start=0.0, end=2.0).then(lp.Constant(value=0.5), at=1_500_000)
    rows = {r.name: r for r in key_point_table(s, 3_000_000)}
    assert rows["peak"].step == 1_499_999.0
    assert rows["peak"].value == pytest.approx(2.0, rel=1e-6)
    assert rows["min"].step == 0.0 and rows["end"].value == 0.5


def test_key_point_dict_adds_epochs_and_scaled_values() -> None:
    from lrplan._plot import KeyPoint

    kp = KeyPoint("peak", 100.0, 0.5)
    assert kp.as_dict() == {"name": "peak", "step": 100, "value": 0.5}
    assert kp.as_dict(Units(base=0.2, steps_per_epoch=50)) == {
        "name": "peak",
        "step": 100,
        "value": 0.5,
        "epoch": 2.0,
        "lr": 0.1,
    }


# --------------------------------------------------------------------------- lrplan.plot


def test_public_plot_draws_into_given_axes() -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert lp.plot(PLAN, ax=right, steps=500, label="mine") is right
    assert len(left.lines) == 0
    x, y = right.lines[0].get_data()
    np.testing.assert_array_equal(x, np.arange(501))
    np.testing.assert_array_equal(y, PLAN.values(np.arange(501)))
    assert [t.get_text() for t in right.get_legend().get_texts()] == ["mine", "phase boundary"]


def test_public_plot_binds_plans_and_overlays_mappings() -> None:
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    plan = lp.warmup(lp.Cosine(steps=lp.fraction(1) - lp.epochs(1)), steps=lp.epochs(1))
    lp.plot({"a": plan, "b": lp.Constant(value=0.5)}, ax=ax, steps=400, steps_per_epoch=100)
    assert [ln.get_label() for ln in ax.lines if ln.get_linestyle() == "-"] == ["a", "b"]
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(401) / 100)
    bound = lp.warmup(lp.Cosine(steps=300), steps=100)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), bound.values(np.arange(401)))
    with pytest.raises(ValueError, match="bind with steps_per_epoch"):
        lp.plot(plan, ax=ax, steps=400)
    with pytest.raises(ValueError, match="absolute"):
        lp.plot(PLAN, ax=ax, key="momentum", base=0.1)
    with pytest.raises(TypeError, match="a Schedule, a mapping of label -> Schedule, or a sch"):
        lp.plot("Cosine(steps=10)", ax=ax)  # type: ignore[arg-type]


def test_public_plot_without_axes_uses_pyplot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = lp.plot(lp.Exponential(gamma=0.99), log=True)
    try:
        assert ax.get_yscale() == "log"
        assert ax.get_xlim() == (0.0, 1000.0)  # open-ended: the documented default range
        assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
    finally:
        plt.close(ax.figure)


def test_terminal_chart_units() -> None:
    chart = terminal_chart(
        {"m": lp.Linear(steps=100, start=0.95, end=0.85)},
        100,
        width=70,
        height=15,
        units=Units(key="momentum", steps_per_epoch=10),
    )
    assert "momentum (absolute value)" in chart
    assert "epoch (10 steps each)" in chart
    assert "start 0.95, peak 0.95 at epoch 0, end 0.85 at epoch 10" in chart


def test_plot_module_doctests() -> None:
    import doctest

    import lrplan._plot

    result = doctest.testmod(lrplan._plot, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 10 and result.failed == 0


# --------------------------------------------------------------------------- ranges, drops


def test_png_draws_a_vertical_drop_and_the_last_phase() -> None:
    """MultiStep(30, 60, 80): drawn past 80, each drop a vertical segment in the Agg figure."""
    ax = lp.plot(lp.MultiStep(milestones=(30, 60, 80)), ax=_axes())
    assert ax.get_xlim() == (0.0, 96.0)
    x, y = ax.lines[0].get_data()
    for b, (hi, lo) in {30: (1.0, 0.1), 60: (0.1, 0.01), 80: (0.01, 0.001)}.items():
        i = int(np.flatnonzero(x == b)[0])
        assert x[i + 1] == b and y[i] == pytest.approx(hi) and y[i + 1] == pytest.approx(lo)


def test_then_constant_is_drawn_after_the_switch() -> None:
    ax = lp.plot(lp.Cosine(steps=100).then(lp.Constant(value=0.1), at=50), ax=_axes())
    assert ax.get_xlim() == (0.0, 60.0)
    x, y = ax.lines[0].get_data()
    assert x[-1] == 60 and y[-1] == pytest.approx(0.1)


def test_open_ended_plot_says_so_in_the_title() -> None:
    ax = lp.plot(lp.CosineRestarts(period=100), ax=_axes())
    assert ax.get_xlim() == (0.0, 480.0)
    assert "has no end of its own" in ax.get_title() and "steps=" in ax.get_title()


def test_a_transformers_schedule_is_drawn_over_its_run() -> None:
    """transformers' cosine_with_min_lr never clamps, so it has no end of its own, but it
    knows its run (num_training_steps): the plot shows 0..N, the whole decay, with the
    peak at the end of the warmup (it was drawn to 1,000 with "peak 0.5 at step 1,000")."""
    s = lp.hf_schedule(
        "cosine_with_min_lr", num_warmup_steps=2000, num_training_steps=100000, min_lr_rate=0.1
    )
    assert s.duration is None and s.planned_length == 100000.0
    ax = lp.plot(s, ax=_axes())
    assert ax.get_xlim() == (0.0, 100000.0)
    x, y = ax.lines[0].get_data()
    assert y[list(x).index(2000)] == pytest.approx(1.0)
    assert y[-1] == pytest.approx(0.1)
    assert ax.get_title() == "start 0, peak 1 at step 2,000, end 0.1 at step 100,000"


def test_plot_a_scheduler_marks_its_step() -> None:
    import torch

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    sched = lp.ScheduledLR(opt, lp.MultiStep(milestones=(30, 60, 80)))
    for _ in range(40):
        opt.step()
        sched.step()
    ax = lp.plot(sched, ax=_axes())
    assert ax.get_ylabel() == "lr (base lr 0.1 × multiplier)"
    assert "current step 40 (last_epoch)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.lines[0].get_data()[1][0] == pytest.approx(0.1)
    assert sched.last_epoch == 40 and opt.param_groups[0]["lr"] == pytest.approx(0.01)


def test_plot_a_torch_scheduler_simulates_a_copy() -> None:
    import torch

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    ax = lp.plot(sched, ax=_axes(), steps=30)
    x, y = ax.lines[0].get_data()
    assert list(x) == list(range(31))
    assert list(y) == [0.5 ** (t // 10) for t in range(31)]  # torch's own numbers
    assert sched.last_epoch == 0 and opt.param_groups[0]["lr"] == 1.0  # untouched
    with pytest.raises(TypeError, match="metric"):
        lp.plot(torch.optim.lr_scheduler.ReduceLROnPlateau(opt), ax=_axes())


def _axes() -> object:
    from matplotlib.figure import Figure

    return Figure().add_subplot()


# --------------------------------------------------------------------------- boundaries(until)


@pytest.mark.parametrize(
    ("schedule", "until", "expected"),
    [
        # every restart / drop / cycle edge, from the shape's own formula
        (lp.CosineRestarts(period=10), 35, [10, 20, 30]),
        (lp.CosineRestarts(period=10, period_mult=2), 100, [10, 30, 70]),  # S_i = 10 (2^i - 1)
        (lp.CosineRestarts(period=10, cycle_limit=2), 1e12, [10, 20]),
        (lp.Cyclic(start=0.1, step_size_up=2, step_size_down=3), 12, [2, 5, 7, 10, 12]),
        (lp.Cyclic(start=0.1, step_size_up=2, cycles=1), 1e9, [2, 4]),
        (lp.Step(step_size=30), 100, [30, 60, 90]),
        (lp.Linear(steps=30, after="restart"), 95, [30, 60, 90]),
        (lp.Cosine(steps=30, periodic=True), 95, [30, 60, 90]),  # troughs and peaks
        (lp.MultiStep(milestones=(30, 60, 80)), 60, [30, 60]),
        (lp.WarmupStableDecay(warmup=10, stable=70, decay=20), 80, [10, 80]),
        (lp.OneCycle(steps=100, peak=1.0), 50, [30]),
        # combinators forward ``until`` in their own clock
        (lp.Shift(schedule=lp.MultiStep(milestones=(3, 7)), by=3), 8, [3, 6]),
        (lp.TimeScale(schedule=lp.MultiStep(milestones=(3, 7)), factor=10), 50, [30]),
        (lp.Repeat(schedule=lp.warmup(lp.Linear(steps=8), steps=2)), 25, [2, 10, 12, 20, 22]),
        (lp.Repeat(schedule=lp.Linear(steps=4), times=2), 100, [4, 8]),
        (lp.Step(step_size=10) * lp.MultiStep(milestones=(15,)), 30, [10, 15, 20, 30]),
        (lp.Step(step_size=10).clip(lo=0.05), 30, [10, 20, 30]),
        # a Join lists each phase's boundaries only while that phase runs
        (lp.warmup(lp.CosineRestarts(period=10), steps=5), 40, [5, 15, 25, 35]),
        (lp.CosineRestarts(period=10).then(lp.Constant(value=0.1), at=25), 1e9, [10, 20, 25]),
    ],
)
def test_boundaries_until_lists_every_boundary_up_to_it(
    schedule: lp.Schedule, until: float, expected: list[float]
) -> None:
    got = schedule.boundaries(until=until)
    assert got == pytest.approx(expected)
    assert got == sorted(set(got))


def test_boundaries_without_until_keep_their_old_lists() -> None:
    from lrplan._schedules._cyclic import MAX_LISTED_RESTARTS

    assert len(lp.CosineRestarts(period=10).boundaries()) == MAX_LISTED_RESTARTS
    assert lp.Cyclic(start=0.1, step_size_up=2).boundaries() == [2, 4]  # the first cycle
    assert (
        lp.Step(step_size=3).boundaries() == [] == lp.Linear(steps=3, after="restart").boundaries()
    )


def test_boundaries_until_refuses_a_huge_list_and_bad_until() -> None:
    from lrplan._schedules._core import MAX_BOUNDARIES

    assert len(lp.CosineRestarts(period=1).boundaries(until=MAX_BOUNDARIES)) == MAX_BOUNDARIES
    for s in (
        lp.CosineRestarts(period=1),
        lp.Step(step_size=1),
        lp.Cyclic(start=0.1, step_size_up=1),
    ):
        with pytest.raises(ValueError, match="listed at most; ask for a shorter range"):
            s.boundaries(until=1e9)
    with pytest.raises(ValueError, match="listed at most"):
        lp.warmup(lp.Step(step_size=1e-3), steps=5).boundaries(until=1e6)
    for bad in (math.nan, "10", True):
        with pytest.raises(TypeError, match="until must be a real number or None"):
            lp.Linear(steps=3).boundaries(until=bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), st.floats(0, 2_000), st.floats(0, 1))
def test_boundaries_until_is_a_prefix(s: lp.Schedule, until: float, frac: float) -> None:
    """Asking for less gives a prefix of the longer list; all inside (0, until]."""
    try:
        longer = s.boundaries(until=until)
    except ValueError:  # more than MAX_BOUNDARIES
        return
    assert longer == sorted(set(longer)) and all(0 < b <= until for b in longer)
    shorter = until * frac
    assert s.boundaries(until=shorter) == [b for b in longer if b <= shorter]


def test_terminal_chart_and_key_points_take_an_lrplan_scheduler() -> None:
    import torch

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.5, momentum=0.9)
    multi = lp.schedule_many(
        opt, {"lr": lp.Linear(steps=20), "momentum": lp.Linear(steps=20, start=0.95, end=0.85)}
    )
    for _ in range(5):
        opt.step()
        multi.step()
    assert key_points(multi) == "start 0.5, peak 0.5 at step 0, end 0 at step 20"
    assert key_points(multi.schedulers["momentum"]) == (
        "start 0.95, peak 0.95 at step 0, end 0.85 at step 20"
    )
    chart = terminal_chart(multi.schedulers["momentum"], width=60, height=12, color=False)
    assert "momentum (absolute value)" in chart
    torch_sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3)
    with pytest.raises(TypeError, match=r"use lrplan\.plot\(scheduler, steps=N\)"):
        terminal_chart(torch_sched)


def test_plot_simulates_a_get_lr_subclass_from_its_current_step() -> None:
    import torch

    class Halving(lp.LRScheduler):
        def get_lr(self) -> list[float]:
            return [
                g["lr"] * (0.5 if self.last_epoch % 4 == 0 else 1.0)
                for g in self.optimizer.param_groups
            ]

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = Halving(opt)
    for _ in range(2):
        opt.step()
        sched.step()
    weight = model.weight.detach().clone()
    ax = lp.plot(sched, ax=_axes(), steps=8)
    x, y = ax.lines[0].get_data()
    assert list(x) == list(range(2, 11))
    assert list(y) == [0.5 ** (t // 4 + 1) for t in range(2, 11)]  # halved at 0, 4, 8
    assert ax.lines[0].get_drawstyle() == "steps-post"  # a drop is vertical
    assert sched.last_epoch == 2 and opt.param_groups[0]["lr"] == 0.5
    assert torch.equal(model.weight, weight)
    assert "simulated on a copy for 8 steps" in ax.get_title()


def test_more_boundaries_than_listed_are_not_drawn_but_said() -> None:
    s = lp.Step(step_size=1e-4, gamma=0.999)  # 10 million drops up to step 1000
    fig = plot_schedules({"s": s}, 1000)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["s", "more than 1,000,000 phase boundaries (too many to draw)"]
    x, _ = fig.axes[0].lines[0].get_data()
    assert len(x) == 1001  # every step, no per-boundary points
    chart = terminal_chart({"s": s}, 1000, width=50, height=10, color=False)
    assert len(chart.splitlines()) == 10 and "┊" not in chart  # no boundary lines drawn


# --------------------------------------------------------------------------- plot == stepping


def _drawn(ax: object, n: int) -> list[np.ndarray]:
    """Each drawn curve's value at steps 0..n (a boundary's later sample is its value)."""
    out = []
    for line in ax.lines:  # type: ignore[attr-defined]
        x, y = (np.asarray(v, dtype=np.float64) for v in line.get_data())
        if len(set(x)) < 2:  # the current step's dot and line, a boundary's line
            continue
        out.append(y[np.searchsorted(x, np.arange(n + 1), side="right") - 1])
    return out


def _stepped(sched: object, n: int) -> np.ndarray:
    """Each group's value of the drawn key over steps 0..n of a deep copy (torch's own
    numbers), stopping where a step raises."""
    from lrplan._groups import read_floats

    twin = copy.deepcopy(sched)
    groups = twin.optimizer.param_groups  # type: ignore[attr-defined]
    key = str(getattr(sched, "key", "lr"))
    rows = [read_floats(groups, key)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(n):
            try:
                twin.step()  # type: ignore[attr-defined]
            except ValueError:
                break
            rows.append(read_floats(groups, key))
    return np.asarray(rows).T


def _assert_plot_is_stepping(sched: object, steps: int | None = None) -> object:
    ax = lp.plot(sched, ax=_axes(), steps=steps)
    n = int(ax.get_xlim()[1]) if steps is None else steps
    (drawn,) = _drawn(ax, n)  # one group, so one curve, in lr
    (expected,) = _stepped(sched, n)
    np.testing.assert_allclose(drawn[: len(expected)], expected, rtol=1e-9, atol=1e-15)
    return ax


def _representative_schedulers() -> list[tuple[str, Any]]:
    import torch

    import lrplan.timm

    def opt() -> torch.optim.Optimizer:
        return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)

    o = [opt() for _ in range(16)]
    return [
        (
            "GradualWarmupScheduler+CosineAnnealingLR",  # the reviewer's case
            lp.GradualWarmupScheduler(
                o[0],
                multiplier=4,
                total_epoch=5,
                after_scheduler=lp.CosineAnnealingLR(o[0], T_max=40),
            ),
        ),
        ("GradualWarmupScheduler", lp.GradualWarmupScheduler(o[1], multiplier=2, total_epoch=5)),
        ("Warmup+StepLR", lp.Warmup(lp.StepLR(o[2], step_size=7, gamma=0.5), steps=4)),
        (
            "Warmup+torch ExponentialLR",
            lp.Warmup(torch.optim.lr_scheduler.ExponentialLR(o[3], gamma=0.9), steps=3, start=0.1),
        ),
        ("Warmup+OneCycleLR", lp.Warmup(lp.OneCycleLR(o[4], max_lr=1.0, total_steps=30), steps=5)),
        (
            "SequentialLR",
            lp.SequentialLR(
                o[5],
                [lp.LinearLR(o[5], start_factor=0.1, total_iters=5), lp.StepLR(o[5], step_size=10)],
                milestones=[5],
            ),
        ),
        (
            "ChainedScheduler",
            lp.ChainedScheduler([lp.StepLR(o[6], step_size=4), lp.ExponentialLR(o[6], gamma=0.95)]),
        ),
        ("timm CosineLRScheduler", lrplan.timm.CosineLRScheduler(o[7], t_initial=20, warmup_t=3)),
        (
            "timm CosineLRScheduler with noise",  # the reviewer's case
            lrplan.timm.CosineLRScheduler(o[8], t_initial=20, noise_range_t=(5, 30), noise_pct=0.5),
        ),
        (
            "timm StepLRScheduler with noise",
            lrplan.timm.StepLRScheduler(o[9], decay_t=5, noise_range_t=2, noise_pct=0.3),
        ),
        ("HF cosine", lp.get_scheduler("cosine", o[10], num_warmup_steps=5, num_training_steps=40)),
        ("OneCycleLR", lp.OneCycleLR(o[11], max_lr=1.0, total_steps=50)),
        ("CyclicLR", lp.CyclicLR(o[12], base_lr=0.01, max_lr=0.1, step_size_up=5)),
        ("CosineAnnealingWarmRestarts", lp.CosineAnnealingWarmRestarts(o[13], T_0=10)),
        ("torch OneCycleLR", torch.optim.lr_scheduler.OneCycleLR(o[14], max_lr=1, total_steps=60)),
        ("torch CosineAnnealingLR", torch.optim.lr_scheduler.CosineAnnealingLR(o[15], T_max=30)),
    ]


def test_every_scheduler_is_drawn_as_stepping_a_copy_records() -> None:
    # Over the default range: what the curve shows is what the scheduler's steps write,
    # wrappers and noise included.
    for name, sched in _representative_schedulers():
        try:
            _assert_plot_is_stepping(sched)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc


def test_a_wrapped_scheduler_is_simulated_over_its_whole_run() -> None:
    (_, sched), *_ = _representative_schedulers()
    ax = _assert_plot_is_stepping(sched)
    assert ax.get_xlim() == (0.0, 85.0)  # the warmup's 5 steps, then a cosine period (2 * 40)
    title = ax.get_title().replace("\n", " ")
    assert "its schedules hold only the warmup" in title and "run at step 85" in title
    with pytest.raises(TypeError, match="hold only the warmup"):
        key_points(sched)  # no closed form of the whole run
    with pytest.raises(TypeError, match="hold only the warmup"):
        terminal_chart(sched)


def test_noisy_timm_schedulers_are_simulated_not_drawn_noise_free() -> None:
    import torch

    import lrplan.timm

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    quiet = lrplan.timm.CosineLRScheduler(opt, t_initial=20)
    noisy = lrplan.timm.CosineLRScheduler(opt, t_initial=20, noise_range_t=(5, 30), noise_pct=0.5)
    ax = _assert_plot_is_stepping(noisy, steps=40)
    assert "noise_range_t" in ax.get_title().replace("\n", " ")
    (noise_free,) = _drawn(lp.plot(quiet, ax=_axes(), steps=40), 40)
    (drawn,) = _drawn(ax, 40)
    assert not np.allclose(drawn[5:30], noise_free[5:30])  # the noise is drawn
    assert np.allclose(drawn[:5], noise_free[:5])  # and only inside noise_range_t
    with pytest.raises(TypeError, match="noise"):
        key_points(noisy)


@given(data=st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_public_scheduler_case_is_drawn_as_stepping_records(data: st.DataObject) -> None:
    cases = [
        c
        for c in sched_cases.active_cases()
        if c.hook is None and (c.metric is False or callable(c.metric))
    ]
    case = data.draw(st.sampled_from(cases), label="case")
    args = data.draw(case.args, label="args")
    if callable(case.metric) and case.metric(args):
        return  # metric-driven: nothing to draw
    model = sched_cases.make_model()
    opt = sched_cases.make_optimizer(model, tensor_lr=False, two_groups=False, kind=case.kinds[0])
    scheds = case.build(opt, args)
    if len(scheds) > 1:  # several schedulers on one optimizer: each draws its own part
        return
    _assert_plot_is_stepping(scheds[-1], steps=40)


def test_torch_one_cycle_is_simulated_over_its_total_steps_and_stops_at_an_error() -> None:
    import torch

    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1, total_steps=100)
    ax = _assert_plot_is_stepping(sched)  # raised "Tried to step 101 times" before
    assert ax.get_xlim() == (0.0, 100.0)
    assert "to the end of its run at step 100" in ax.get_title().replace("\n", " ")
    ax = lp.plot(sched, ax=_axes(), steps=300)  # asked past its end: the steps it has
    x, _ = ax.lines[0].get_data()
    assert x[-1] == 100
    assert "stopped after 100 steps, where a step raised ValueError: Tried to step 101" in (
        ax.get_title().replace("\n", " ")
    )
    assert sched.last_epoch == 0  # untouched
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
    assert lp.plot(cosine, ax=_axes()).get_xlim() == (0.0, 60.0)  # one whole period
