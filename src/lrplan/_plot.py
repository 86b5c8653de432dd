"""Pictures of schedules: matplotlib PNGs and plotext terminal charts.

Both back ends are optional (``pip install "lrplan[plot]"``) and imported only when
a picture is asked for, so ``import lrplan`` stays light. The PNG path never
touches ``matplotlib.pyplot``: figures are built with
:class:`matplotlib.figure.Figure` and rendered by the Agg canvas, so no GUI
backend is selected and the caller's pyplot state is left alone.

Example:
    >>> import lrplan as lp
    >>> from lrplan._plot import plot_schedules, terminal_chart
    >>> plan = lp.warmup(lp.Cosine(steps=900, end=0.05), steps=100)
    >>> fig = plot_schedules({"plan": plan}, steps=1000, path="plan.png")  # doctest: +SKIP
    >>> print(terminal_chart({"plan": plan}, steps=1000, width=70, height=15))  # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import os
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from lrplan._schedules import Schedule

__all__ = [
    "DEFAULT_OPEN_ENDED_STEPS",
    "default_steps",
    "key_points",
    "plot_schedules",
    "plot_training",
    "schedule_png_bytes",
    "terminal_chart",
    "terminal_curves",
    "training_chart",
]

#: How far to draw a schedule that has no end of its own (``duration is None``).
DEFAULT_OPEN_ENDED_STEPS = 1000

_INSTALL_HINT = 'install the plotting extra with: pip install "lrplan[plot]"'
_YLABEL = "multiplier of the base value"

Curve = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _import_matplotlib_figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"PNG plots need matplotlib, which is not installed; {_INSTALL_HINT}"
        ) from exc
    return Figure


def _import_plotext() -> Any:
    try:
        import plotext
    except ImportError as exc:
        raise ImportError(
            f"terminal charts need plotext 6, which is not installed; {_INSTALL_HINT}"
        ) from exc
    if not hasattr(plotext, "figure") or not hasattr(plotext.figure, "signal"):
        raise ImportError(
            f"terminal charts need plotext 6.x (found {getattr(plotext, '__version__', '?')}); "
            f"{_INSTALL_HINT}"
        )
    return plotext


def default_steps(schedules: Mapping[str, Schedule]) -> int:
    """How many steps to draw: the longest finite duration, else a fixed default.

    Example:
        >>> import lrplan as lp
        >>> default_steps({"a": lp.Linear(steps=300), "b": lp.Cosine(steps=1200.5)})
        1201
        >>> default_steps({"open": lp.Exponential(gamma=0.99)})
        1000
    """
    ends = [s.duration for s in schedules.values() if s.duration is not None]
    finite = [d for d in ends if math.isfinite(d) and d > 0]
    return max(1, math.ceil(max(finite))) if finite else DEFAULT_OPEN_ENDED_STEPS


def _check_steps(steps: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    return int(steps)


def _check_schedules(schedules: Mapping[str, Schedule]) -> None:
    if not isinstance(schedules, Mapping) or not schedules:
        raise ValueError("give at least one schedule, as a mapping of label -> schedule")


def _boundaries_within(s: Schedule, steps: int) -> list[float]:
    return [b for b in s.boundaries() if 0 < b < steps]


def key_points(schedule: Schedule, steps: int) -> str:
    """Start, peak (the first step that reaches it) and end of a schedule over ``0..steps``.

    Example:
        >>> import lrplan as lp
        >>> key_points(lp.warmup(lp.Cosine(steps=900, end=0.01), steps=100), 1000)
        'start 0, peak 1 at step 100, end 0.01 at step 1,000'
    """
    y = schedule.values(np.arange(steps + 1, dtype=np.float64))
    peak = int(np.argmax(y))
    return (
        f"start {y[0]:.4g}, peak {y[peak]:.4g} at step {peak:,}, end {y[-1]:.4g} at step {steps:,}"
    )


def _default_title(schedules: Mapping[str, Schedule], steps: int) -> str:
    if len(schedules) == 1:
        (s,) = schedules.values()
        return key_points(s, steps)
    return f"{len(schedules)} schedules"


def _wrap(label: str, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def plot_schedules(
    schedules: Mapping[str, Schedule],
    steps: int,
    path: str | os.PathLike[str] | None = None,
    *,
    log: bool = False,
    title: str | None = None,
    ylabel: str = _YLABEL,
    ax: Any = None,
) -> Any:
    """Draw schedules over ``0..steps`` with matplotlib; return the Figure.

    Each schedule is evaluated at every integer step with ``s.values``. Phase
    boundaries (``s.boundaries()``) are dashed vertical lines in the curve's colour.

    Args:
        schedules: label -> schedule; labels go in the legend.
        steps: the last step drawn.
        path: where to save a PNG (optional).
        log: logarithmic y axis (values <= 0 are left out).
        title: figure title; by default the key points (start, peak, end) of a
            single schedule, or how many schedules there are.
        ylabel: the y axis label.
        ax: an existing matplotlib Axes to draw into; a new figure otherwise.

    Raises:
        ImportError: matplotlib is not installed.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import plot_schedules
        >>> fig = plot_schedules({"cosine": lp.Cosine(steps=100)}, steps=100)
        >>> fig.axes[0].get_xlabel()
        'step'
    """
    _check_schedules(schedules)
    steps = _check_steps(steps)
    if ax is None:
        figure_cls = _import_matplotlib_figure()
        fig = figure_cls(figsize=(9.0, 5.0), dpi=110, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    from matplotlib.lines import Line2D

    x = np.arange(steps + 1, dtype=np.float64)
    any_boundary = False
    for label, s in schedules.items():
        y = s.values(x)
        (line,) = ax.plot(x, y, label=_wrap(label), linewidth=2.0)
        for b in _boundaries_within(s, steps):
            any_boundary = True
            ax.axvline(b, color=line.get_color(), linestyle="--", linewidth=1.0, alpha=0.6)
    if log:
        ax.set_yscale("log", nonpositive="mask")
    else:
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_xlim(0, steps)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter("{x:,.0f}")
    ax.grid(True, alpha=0.3)
    ax.set_title(_wrap(_default_title(schedules, steps) if title is None else title, 90))
    handles, labels = ax.get_legend_handles_labels()
    if any_boundary:
        handles.append(Line2D([], [], color="gray", linestyle="--", linewidth=1.0))
        labels.append("phase boundary")
    ax.legend(handles, labels, loc="best", fontsize="small", framealpha=0.9)
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
    return fig


def schedule_png_bytes(schedule: Schedule, steps: int | None = None) -> bytes:
    """PNG bytes of one schedule's plot (what notebooks show for a schedule).

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import schedule_png_bytes
        >>> schedule_png_bytes(lp.Linear(steps=10))[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    figure_cls = _import_matplotlib_figure()
    fig = figure_cls(figsize=(6.0, 3.2), dpi=90, layout="constrained")
    named = {repr(schedule): schedule}
    plot_schedules(named, default_steps(named) if steps is None else steps, ax=fig.add_subplot())
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _smoothing_span(n: int) -> int:
    """Steps averaged for the smoothed loss curve: about 2% of the run, at least 5."""
    return max(5, n // 50)


def _smooth(values: npt.NDArray[np.float64], span: int) -> npt.NDArray[np.float64]:
    """Exponential moving average with bias correction (reads well from step 0)."""
    alpha = 2.0 / (span + 1.0)
    out = np.empty_like(values)
    avg, weight = 0.0, 0.0
    for i, v in enumerate(values):
        avg = (1.0 - alpha) * avg + alpha * v
        weight = (1.0 - alpha) * weight + alpha
        out[i] = avg / weight
    return out


def plot_training(
    *,
    lrs: Sequence[float],
    losses: Sequence[float],
    boundaries: Sequence[float] = (),
    steps_per_epoch: int | None = None,
    title: str = "Training run",
    path: str | os.PathLike[str] | None = None,
) -> Any:
    """Two stacked panels over the steps of a run: learning rate, then loss (log scale).

    ``lrs[i]`` and ``losses[i]`` belong to step ``i``. Phase boundaries are dashed
    vertical lines on both panels; with ``steps_per_epoch`` an epoch axis runs
    along the top. Returns the matplotlib Figure.

    Raises:
        ImportError: matplotlib is not installed.

    Example:
        >>> from lrplan._plot import plot_training
        >>> fig = plot_training(lrs=[0.1, 0.2, 0.1], losses=[2.0, 1.0, 0.5], boundaries=[1])
        >>> [ax.get_ylabel() for ax in fig.axes[:2]]
        ['learning rate', 'loss (log scale)']
    """
    if len(lrs) != len(losses) or not lrs:
        raise ValueError("lrs and losses must be non-empty and of equal length")
    figure_cls = _import_matplotlib_figure()
    fig = figure_cls(figsize=(9.0, 6.5), dpi=110, layout="constrained")
    ax_lr, ax_loss = fig.subplots(2, 1, sharex=True, height_ratios=(1.0, 1.3))
    x = np.arange(len(lrs), dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    ax_lr.plot(x, np.asarray(lrs, dtype=np.float64), color="tab:blue", linewidth=2.0)
    ax_lr.set_ylabel("learning rate")
    ax_lr.yaxis.set_major_formatter("{x:.3g}")
    ax_loss.plot(x, loss, color="tab:orange", alpha=0.3, linewidth=0.8, label="batch loss")
    span = _smoothing_span(len(loss))
    ax_loss.plot(
        x, _smooth(loss, span), color="tab:red", linewidth=2.0, label=f"smoothed ({span} steps)"
    )
    ax_loss.set_yscale("log")
    positive = loss[loss > 0]
    if positive.size:  # rare near-zero batch losses would squash the curve
        ax_loss.set_ylim(bottom=float(np.percentile(positive, 1)) * 0.8)
    ax_loss.set_ylabel("loss (log scale)")
    ax_loss.set_xlabel("step")
    ax_loss.legend(loc="upper right", fontsize="small")
    inside = [b for b in boundaries if 0 < b < len(lrs)]
    for ax in (ax_lr, ax_loss):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(0, len(lrs))
        for b in inside:
            ax.axvline(b, color="gray", linestyle="--", linewidth=1.0, alpha=0.7)
    if steps_per_epoch:
        spe = float(steps_per_epoch)
        top = ax_lr.secondary_xaxis("top", functions=(lambda s: s / spe, lambda e: e * spe))
        top.set_xlabel("epoch")
    if inside:
        ax_lr.plot([], [], color="gray", linestyle="--", linewidth=1.0, label="phase boundary")
        ax_lr.legend(loc="upper right", fontsize="small")
    fig.suptitle(title)
    if path is not None:
        fig.savefig(os.fspath(path), dpi=110)
    return fig


# --------------------------------------------------------------------------- terminal


def _nice_ticks(upper: float, count: int = 5) -> list[float]:
    """Round tick positions 0, d, 2d, ... <= upper with d in {1, 2, 2.5, 5} x 10^k."""
    if upper <= 0:
        return [0.0]
    raw = upper / count
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    n = math.floor(upper / step + 1e-9)
    return [i * step for i in range(n + 1)]


def _tick_label(v: float) -> str:
    if v >= 10_000 and v % 1000 == 0:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def _sample_points(steps: int, width: int, boundaries: Sequence[float]) -> npt.NDArray[np.float64]:
    """Integer steps to evaluate: dense enough for the chart, plus both sides of each boundary."""
    n = min(steps + 1, max(2, 4 * width))
    pts = set(np.round(np.linspace(0, steps, n)).tolist())
    for b in boundaries:
        for p in (math.floor(b) - 1, math.floor(b), math.ceil(b)):
            if 0 <= p <= steps:
                pts.add(float(p))
    return np.array(sorted(pts), dtype=np.float64)


def _terminal_size(width: int | None, height: int | None) -> tuple[int, int]:
    cols, rows = shutil.get_terminal_size((100, 30))
    w = width if width is not None else max(40, min(cols, 120))
    h = height if height is not None else max(12, min(rows - 4, 25))
    return w, h


def terminal_curves(
    curves: Mapping[str, Curve],
    *,
    xmax: float,
    boundaries: Sequence[float],
    width: int,
    height: int,
    log: bool,
    title: str,
    xlabel: str,
    ylabel: str,
    color: bool,
) -> str:
    """Draw ``label -> (x, y)`` curves as a plotext 6 chart and return its text.

    The shared drawing code of :func:`terminal_chart` and :func:`training_chart`:
    dotted vertical lines at ``boundaries``, round x ticks up to ``xmax``, the legend
    in the top right corner. With ``log``, values <= 0 are left out.

    Raises:
        ImportError: plotext 6 is not installed.
    """
    plt = _import_plotext()
    fig = plt.figure
    fig.clear()
    ymax = -math.inf
    for label, (x, y) in curves.items():
        keep = np.isfinite(y) & (y > 0) if log else np.isfinite(y)
        if not keep.any():
            continue
        ymax = max(ymax, float(y[keep].max()))
        fig.draw(fig.signal(x[keep].tolist(), y[keep].tolist()).label(label).lines())
    for b in boundaries:
        fig.line(float(b), orientation="vertical", style="dotted")
    if log:
        fig.ruler("y").scale("log")
    ticks = _nice_ticks(xmax)
    fig.ruler("x").ticks(ticks, [_tick_label(t) for t in ticks])
    fig.ruler("x").lim(0, xmax)
    fig.title(title if len(title) <= width - 4 else title[: width - 7] + "...")
    fig.label(xlabel, axis="x")
    fig.label(ylabel, axis="y")
    if math.isfinite(ymax):
        fig.legend(x=xmax, y=ymax, ha="right", va="top", relative=True)
    fig.plot_size(width, height)
    text: str = fig.build().string()
    fig.clear()
    return text if color else str(plt.uncolorize(text))


def terminal_chart(
    schedules: Mapping[str, Schedule],
    steps: int,
    *,
    width: int | None = None,
    height: int | None = None,
    log: bool = False,
    title: str | None = None,
    color: bool | None = None,
) -> str:
    """A text chart of schedules over ``0..steps`` (plotext 6), returned as a string.

    Args:
        schedules: label -> schedule.
        steps: the last step drawn.
        width, height: chart size in terminal cells; the terminal's size by default.
        log: logarithmic y axis (values <= 0 are left out).
        title: chart title; the default is as in :func:`plot_schedules`.
        color: ANSI colours; by default only when stdout is a terminal.

    Raises:
        ImportError: plotext 6 is not installed.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import terminal_chart
        >>> chart = terminal_chart({"linear": lp.Linear(steps=10)}, steps=10, width=50, height=12)
        >>> "linear" in chart and len(chart.splitlines()) == 12
        True
    """
    _check_schedules(schedules)
    steps = _check_steps(steps)
    w, h = _terminal_size(width, height)
    bounds = sorted({b for s in schedules.values() for b in _boundaries_within(s, steps)})
    x = _sample_points(steps, w, bounds)
    curves = {label: (x, s.values(x)) for label, s in schedules.items()}
    if title is None:
        title = _default_title(schedules, steps)
    return terminal_curves(
        curves,
        xmax=float(steps),
        boundaries=bounds,
        width=w,
        height=h,
        log=log,
        title=title,
        xlabel="step",
        ylabel=_YLABEL,
        color=sys.stdout.isatty() if color is None else color,
    )


def training_chart(
    *,
    lrs: Sequence[float],
    losses: Sequence[float],
    boundaries: Sequence[float] = (),
    width: int | None = None,
    height: int | None = None,
    color: bool | None = None,
) -> str:
    """Terminal charts of a run: learning rate over steps, then loss (plotext 6).

    Raises:
        ImportError: plotext 6 is not installed.
    """
    if len(lrs) != len(losses) or not lrs:
        raise ValueError("lrs and losses must be non-empty and of equal length")
    w, h = _terminal_size(width, height)
    n = len(lrs)
    x = np.arange(n, dtype=np.float64)
    bounds = [b for b in boundaries if 0 < b < n]
    pick = _sample_points(n - 1, w, bounds).astype(np.int64)
    loss = np.asarray(losses, dtype=np.float64)
    smooth = _smooth(loss, _smoothing_span(n))
    use_color = sys.stdout.isatty() if color is None else color
    xmax = float(max(1, n - 1))
    lr_chart = terminal_curves(
        {"lr": (x[pick], np.asarray(lrs, dtype=np.float64)[pick])},
        xmax=xmax,
        boundaries=bounds,
        width=w,
        height=h,
        log=False,
        title="learning rate",
        xlabel="step",
        ylabel="lr",
        color=use_color,
    )
    loss_chart = terminal_curves(
        {"loss (smoothed)": (x[pick], smooth[pick])},
        xmax=xmax,
        boundaries=bounds,
        width=w,
        height=h,
        log=True,
        title="training loss (log scale)",
        xlabel="step",
        ylabel="loss",
        color=use_color,
    )
    return lr_chart + "\n" + loss_chart
