"""Pictures and tables of schedules: matplotlib PNG/SVG, plotext terminal charts, key points.

Both back ends are optional (``pip install "lrplan[plot]"``) and imported only when
a picture is asked for, so ``import lrplan`` stays light. Files and notebook images
never touch ``matplotlib.pyplot``: figures are built with
:class:`matplotlib.figure.Figure` and rendered by the Agg (or SVG) canvas, so no GUI
backend is selected and the caller's pyplot state is left alone. Only :func:`plot`
without an ``ax`` asks pyplot for a new figure, as pandas' ``.plot()`` does.

Example:
    >>> import lrplan as lp
    >>> from lrplan._plot import plot_schedules, terminal_chart
    >>> plan = lp.warmup(lp.Cosine(steps=900, end=0.05), steps=100)
    >>> fig = plot_schedules({"plan": plan}, steps=1000, path="plan.png")  # doctest: +SKIP
    >>> print(terminal_chart({"plan": plan}, steps=1000, width=70, height=15))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import shutil
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lrplan._schedules import Schedule, Unbound

__all__ = [
    "ABSOLUTE_KEYS",
    "DEFAULT_OPEN_ENDED_STEPS",
    "FIGURE_SUFFIXES",
    "MAX_DRAWN_BOUNDARIES",
    "MAX_FIGURE_POINTS",
    "KeyPoint",
    "Units",
    "check_figure_path",
    "default_steps",
    "key_point_table",
    "key_points",
    "plot",
    "plot_schedules",
    "plot_training",
    "sample_steps",
    "schedule_png_bytes",
    "terminal_chart",
    "terminal_curves",
    "training_chart",
]

#: How far to draw a schedule that has no end of its own (``duration is None``).
DEFAULT_OPEN_ENDED_STEPS = 1000

#: Output suffixes a figure can be written to (the format follows the suffix).
FIGURE_SUFFIXES = (".png", ".svg")

#: Keys whose schedule values are used as they are (absolute), as in
#: :class:`lrplan.ScheduledLR`; every other key's values multiply the group's base value.
ABSOLUTE_KEYS = ("momentum", "betas[0]", "betas[1]", "dampening")

#: Evaluated points per curve in a figure: every step up to this many, then an even
#: sample (plus both sides of every boundary, so a step change stays a step).
MAX_FIGURE_POINTS = 20_001

#: More phase boundaries than this in one curve's range are not drawn one by one.
MAX_DRAWN_BOUNDARIES = 100

_INSTALL_HINT = 'install the plotting extra with: pip install "lrplan[plot]"'
_LONG_LABEL = 40
_TERMINAL_LABEL = 40

Curve = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _import_matplotlib_figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"PNG and SVG plots need matplotlib, which is not installed; {_INSTALL_HINT}"
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


# --------------------------------------------------------------------------- units


@dataclasses.dataclass(frozen=True)
class Units:
    """What the numbers of a schedule mean on a chart or in a table.

    Args:
        key: the param-group entry the schedule drives (``"lr"``, ``"momentum"``,
            ``"weight_decay"``, ``"betas[0]"``, ...). Values of the keys in
            :data:`ABSOLUTE_KEYS` are absolute; the others are multipliers of each
            group's base value.
        base: a base value to multiply by, so a relative key is drawn in its own
            units (the absolute lr). Not allowed for an absolute key.
        steps_per_epoch: draw time in epochs of this many steps instead of steps.

    Example:
        >>> from lrplan._plot import Units
        >>> Units().ylabel()
        'lr multiplier (× base lr)'
        >>> Units(base=3e-4).ylabel()
        'lr (base lr 0.0003 × multiplier)'
        >>> Units(key="momentum").ylabel()
        'momentum (absolute value)'
        >>> Units(steps_per_epoch=50).xlabel()
        'epoch (50 steps each)'
    """

    key: str = "lr"
    base: float | None = None
    steps_per_epoch: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise ValueError(f"key must be a non-empty string such as 'lr', got {self.key!r}")
        if self.base is not None:
            if not _positive_finite(self.base):
                raise ValueError(f"base must be a finite number > 0, got {self.base!r}")
            if self.absolute:
                raise ValueError(
                    f"base={self.base:g} applies to relative keys (lr, weight_decay, ...); "
                    f"{self.key!r} values are absolute already"
                )
        if self.steps_per_epoch is not None and not _positive_finite(self.steps_per_epoch):
            raise ValueError(
                f"steps_per_epoch must be a finite number > 0, got {self.steps_per_epoch!r}"
            )

    @property
    def absolute(self) -> bool:
        """Whether the schedule's values are the key's values themselves."""
        return self.key in ABSOLUTE_KEYS

    def ylabel(self) -> str:
        """The value axis label: says whether the numbers are multipliers or absolute."""
        if self.absolute:
            return f"{self.key} (absolute value)"
        if self.base is not None:
            return f"{self.key} (base {self.key} {self.base:g} × multiplier)"
        return f"{self.key} multiplier (× base {self.key})"

    def xlabel(self) -> str:
        """The time axis label."""
        if self.steps_per_epoch is None:
            return "step"
        return f"epoch ({self.steps_per_epoch:g} steps each)"

    def x(self, steps: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Steps in the time axis' units."""
        return steps if self.steps_per_epoch is None else steps / self.steps_per_epoch

    def y(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Schedule values in the value axis' units."""
        return values if self.base is None else values * self.base


def _positive_finite(v: Any) -> bool:
    return bool(
        not isinstance(v, bool)
        and isinstance(v, int | float | np.integer | np.floating)
        and math.isfinite(v)
        and v > 0
    )


_STEPS = Units()


# --------------------------------------------------------------------------- helpers


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
    for label, s in schedules.items():
        if not isinstance(s, Schedule):
            raise TypeError(f"{label!r} is not a schedule: {type(s).__name__}")
        if isinstance(s, Unbound):
            raise ValueError(
                f"{s!r} has durations in epochs or fractions of the run; bind it first, "
                "e.g. plan.bind(total_steps=..., steps_per_epoch=...)"
            )


def _boundaries_within(s: Schedule, steps: int) -> list[float]:
    return sorted({float(b) for b in s.boundaries() if 0 < b < steps})


def check_figure_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if its suffix is one of :data:`FIGURE_SUFFIXES`, else ValueError."""
    p = Path(os.fspath(path))
    if p.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(
            f"cannot tell the image format of {str(p)!r}: the file name must end in "
            f"{' or '.join(FIGURE_SUFFIXES)}"
        )
    return p


def _save(fig: Any, path: str | os.PathLike[str]) -> None:
    p = check_figure_path(path)
    fig.savefig(os.fspath(p), format=p.suffix.lower()[1:], dpi=110)


def sample_steps(
    steps: int, boundaries: Sequence[float] = (), max_points: int = MAX_FIGURE_POINTS
) -> npt.NDArray[np.float64]:
    """Integer steps at which to evaluate a curve over ``0..steps``.

    Every step when there are at most ``max_points``; otherwise an even sample of
    ``max_points`` steps plus the steps on both sides of every boundary, so jumps at
    phase changes stay sharp.

    Example:
        >>> from lrplan._plot import sample_steps
        >>> sample_steps(4).tolist()
        [0.0, 1.0, 2.0, 3.0, 4.0]
        >>> sample_steps(1000, [501.5], max_points=3).tolist()
        [0.0, 500.0, 501.0, 502.0, 1000.0]
    """
    steps = _check_steps(steps)
    if steps + 1 <= max_points:
        return np.arange(steps + 1, dtype=np.float64)
    pts = set(np.round(np.linspace(0, steps, max(2, max_points))).tolist())
    for b in boundaries:
        for p in (math.floor(b) - 1, math.floor(b), math.ceil(b)):
            if 0 <= p <= steps:
                pts.add(float(p))
    return np.array(sorted(pts), dtype=np.float64)


def _step_text(step: float) -> str:
    return f"{step:,.0f}" if float(step).is_integer() else f"{step:,.6g}"


# --------------------------------------------------------------------------- key points


@dataclasses.dataclass(frozen=True)
class KeyPoint:
    """One row of :func:`key_point_table`: what the point is, its step and the value there."""

    name: str
    step: float
    value: float

    def as_dict(self, units: Units = _STEPS) -> dict[str, float | str]:
        """Plain data: name, step, value; plus ``epoch`` and the scaled value when given."""
        step = int(self.step) if float(self.step).is_integer() else self.step
        out: dict[str, float | str] = {"name": self.name, "step": step, "value": self.value}
        if units.steps_per_epoch is not None:
            out["epoch"] = self.step / units.steps_per_epoch
        if units.base is not None:
            out[units.key] = self.value * units.base
        return out


def _step_chunks(steps: int, chunk: int = 1 << 20) -> Iterator[npt.NDArray[np.float64]]:
    """Every integer step ``0..steps`` as float arrays of at most ``chunk`` steps.

    Example:
        >>> from lrplan._plot import _step_chunks
        >>> [c.tolist() for c in _step_chunks(4, chunk=2)]
        [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    for lo in range(0, steps + 1, chunk):
        yield np.arange(lo, min(steps + 1, lo + chunk), dtype=np.float64)


def _scan(schedule: Schedule, steps: int) -> tuple[int, float, int, float]:
    """First step of the maximum and of the minimum over every integer step 0..steps."""
    i_max, y_max, i_min, y_min = 0, -math.inf, 0, math.inf
    for ts in _step_chunks(steps):
        lo = int(ts[0])
        y = schedule.values(ts)
        a, b = int(np.argmax(y)), int(np.argmin(y))
        if y[a] > y_max:
            i_max, y_max = lo + a, float(y[a])
        if y[b] < y_min:
            i_min, y_min = lo + b, float(y[b])
    return i_max, y_max, i_min, y_min


def key_point_table(schedule: Schedule, steps: int) -> list[KeyPoint]:
    """The key points of a schedule over ``0..steps``, in time order, then peak and min.

    Rows: ``start`` (step 0), one ``boundary`` row per phase boundary inside the range
    (the value *at* the boundary, i.e. of the phase that begins there), ``end`` (step
    ``steps``), ``peak`` (the maximum over every integer step, at the first step that
    reaches it) and ``min`` (likewise).

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import key_point_table
        >>> for row in key_point_table(lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10), 100):
        ...     print(row.name, row.step, round(row.value, 6))
        start 0.0 0.0
        boundary 10.0 1.0
        end 100.0 0.1
        peak 10.0 1.0
        min 0.0 0.0
    """
    _check_schedules({"schedule": schedule})
    steps = _check_steps(steps)
    bounds = _boundaries_within(schedule, steps)
    at = schedule.values(np.array([0.0, *bounds, float(steps)]))
    rows = [KeyPoint("start", 0.0, float(at[0]))]
    rows += [KeyPoint("boundary", b, float(v)) for b, v in zip(bounds, at[1:-1], strict=True)]
    rows.append(KeyPoint("end", float(steps), float(at[-1])))
    i_max, y_max, i_min, y_min = _scan(schedule, steps)
    rows.append(KeyPoint("peak", float(i_max), y_max))
    rows.append(KeyPoint("min", float(i_min), y_min))
    return rows


def key_points(schedule: Schedule, steps: int, units: Units = _STEPS) -> str:
    """Start, peak (the first step that reaches it) and end of a schedule over ``0..steps``.

    Example:
        >>> import lrplan as lp
        >>> key_points(lp.warmup(lp.Cosine(steps=900, end=0.01), steps=100), 1000)
        'start 0, peak 1 at step 100, end 0.01 at step 1,000'
        >>> key_points(lp.Cosine(steps=100, end=0.1), 100, Units(base=0.5, steps_per_epoch=10))
        'start 0.5, peak 0.5 at epoch 0, end 0.05 at epoch 10'
    """
    _check_schedules({"schedule": schedule})
    steps = _check_steps(steps)
    y0, y_end = schedule.values(np.array([0.0, float(steps)]))
    peak, y_peak, _, _ = _scan(schedule, steps)
    scale = 1.0 if units.base is None else units.base

    def when(step: float) -> str:
        if units.steps_per_epoch is None:
            return f"step {_step_text(step)}"
        return f"epoch {step / units.steps_per_epoch:,.4g}"

    return (
        f"start {y0 * scale:.4g}, peak {y_peak * scale:.4g} at {when(peak)}, "
        f"end {y_end * scale:.4g} at {when(steps)}"
    )


def _default_title(schedules: Mapping[str, Schedule], steps: int, units: Units) -> str:
    if len(schedules) == 1:
        (s,) = schedules.values()
        return key_points(s, steps, units)
    if units.steps_per_epoch is None:
        return f"{len(schedules)} schedules over {steps:,} steps"
    return f"{len(schedules)} schedules over {steps / units.steps_per_epoch:,.4g} epochs"


def _wrap(label: str, width: int = 80) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


# --------------------------------------------------------------------------- matplotlib


def plot_schedules(
    schedules: Mapping[str, Schedule],
    steps: int,
    path: str | os.PathLike[str] | None = None,
    *,
    log: bool = False,
    title: str | None = None,
    ylabel: str | None = None,
    ax: Any = None,
    units: Units = _STEPS,
) -> Any:
    """Draw schedules over ``0..steps`` with matplotlib; return the Figure.

    Each schedule is evaluated with ``s.values`` at every integer step (an even
    sample of :data:`MAX_FIGURE_POINTS` steps, plus both sides of each boundary, for
    longer ranges). Phase boundaries (``s.boundaries()``) are dashed vertical lines
    in the curve's colour (not drawn, but counted in the legend, when one curve has
    more than :data:`MAX_DRAWN_BOUNDARIES` of them in range).

    Args:
        schedules: label -> schedule; labels go in the legend.
        steps: the last step drawn.
        path: where to save the figure; the format follows the suffix (``.png`` or
            ``.svg``).
        log: logarithmic y axis (values <= 0 are left out).
        title: figure title; by default the key points (start, peak, end) of a
            single schedule, or how many schedules there are.
        ylabel: the y axis label; by default ``units.ylabel()``.
        ax: an existing matplotlib Axes to draw into; a new figure otherwise.
        units: the key, an optional base value, and epochs on the time axis.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: bad steps, no schedules, an unbound plan, or a ``path`` whose
            suffix is neither ``.png`` nor ``.svg``.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import plot_schedules
        >>> fig = plot_schedules({"cosine": lp.Cosine(steps=100)}, steps=100)
        >>> fig.axes[0].get_xlabel()
        'step'
    """
    _check_schedules(schedules)
    steps = _check_steps(steps)
    if path is not None:
        check_figure_path(path)
    if ax is None:
        figure_cls = _import_matplotlib_figure()
        fig = figure_cls(figsize=(9.0, 5.0), dpi=110, layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    from matplotlib.lines import Line2D
    from matplotlib.transforms import offset_copy

    hidden = 0
    drawn = False
    for label, s in schedules.items():
        bounds = _boundaries_within(s, steps)
        x = sample_steps(steps, bounds)
        (line,) = ax.plot(units.x(x), units.y(s.values(x)), label=_wrap(label), linewidth=2.0)
        if len(bounds) > MAX_DRAWN_BOUNDARIES:
            hidden += len(bounds)
            continue
        for b in units.x(np.asarray(bounds, dtype=np.float64)):
            drawn = True
            ax.axvline(b, color=line.get_color(), linestyle="--", linewidth=1.0, alpha=0.6)
    if log:
        ax.set_yscale("log", nonpositive="mask")
    elif not units.absolute:  # multipliers read against 0; absolute values (momentum) need not
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    ax.set_xlim(0, float(units.x(np.array([float(steps)]))[0]))
    ax.set_xlabel(units.xlabel())
    ax.set_ylabel(units.ylabel() if ylabel is None else ylabel)
    if units.steps_per_epoch is None:
        ax.xaxis.set_major_formatter("{x:,.0f}")
    else:
        spe = float(units.steps_per_epoch)
        top = ax.secondary_xaxis("top", functions=(lambda e: e * spe, lambda s: s / spe))
        top.set_xlabel("step")
        top.xaxis.set_major_formatter("{x:,.0f}")
    ax.grid(True, alpha=0.3)
    ax.set_title(_wrap(_default_title(schedules, steps, units) if title is None else title, 90))
    handles, labels = ax.get_legend_handles_labels()
    if drawn:
        handles.append(Line2D([], [], color="gray", linestyle="--", linewidth=1.0))
        labels.append("phase boundary")
    if hidden:
        handles.append(Line2D([], [], color="none"))
        labels.append(f"{hidden:,} phase boundaries (too many to draw)")
    if max(len(label) for label in schedules) > _LONG_LABEL:  # below the chart, not over it
        ax.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=offset_copy(ax.transAxes, fig=fig, y=-36.0, units="points"),
            fontsize="small",
            frameon=False,
        )
    else:
        ax.legend(handles, labels, loc="best", fontsize="small", framealpha=0.9)
    if path is not None:
        _save(fig, path)
    return fig


def plot(
    schedule: Schedule | Mapping[str, Schedule],
    *,
    ax: Any = None,
    steps: int | None = None,
    key: str = "lr",
    base: float | None = None,
    steps_per_epoch: float | None = None,
    log: bool = False,
    label: str | None = None,
    title: str | None = None,
) -> Any:
    """Draw a schedule (or several) into a matplotlib Axes and return the Axes.

    Phase boundaries are dashed lines; the title gives the start, peak and end.

    Args:
        schedule: a schedule, or a mapping of legend label -> schedule.
        ax: the Axes to draw into. Without one, a new pyplot figure is made.
        steps: the last step drawn; by default the longest schedule's duration,
            or 1000 steps for schedules that never end. Plans with durations in
            ``fraction(...)`` of the run are bound to a run of this many steps.
        key: what the values drive; ``momentum``, ``dampening`` and ``betas[i]``
            are absolute, the rest multiply the base value (see :class:`Units`).
        base: multiply by this base value (say the optimizer's lr) to draw
            absolute values of a relative key.
        steps_per_epoch: put epochs of this many steps on the time axis (and bind
            ``epochs(...)`` durations with it).
        log: logarithmic value axis.
        label: legend label of a single schedule (default: its repr).
        title: the title (default: the key points).

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: bad arguments, or a plan that cannot be bound with the facts given.

    Example:
        >>> import lrplan as lp
        >>> from matplotlib.figure import Figure
        >>> fig = Figure(figsize=(6, 3))
        >>> ax = fig.add_subplot()
        >>> plan = lp.warmup(lp.Cosine(steps=900, end=0.1), steps=100)
        >>> lp.plot(plan, ax=ax, steps=1000, base=3e-4, label="warmup + cosine") is ax
        True
        >>> ax.get_title()
        'start 0, peak 0.0003 at step 100, end 3e-05 at step 1,000'
        >>> [t.get_text() for t in ax.get_legend().get_texts()]
        ['warmup + cosine', 'phase boundary']
    """
    if isinstance(schedule, Schedule):
        named: dict[str, Schedule] = {label if label is not None else repr(schedule): schedule}
    elif isinstance(schedule, Mapping):
        if label is not None:
            raise ValueError("label is for a single schedule; a mapping's keys are its labels")
        named = dict(schedule)
    else:
        raise TypeError(f"schedule must be a Schedule or a mapping, got {type(schedule).__name__}")
    if steps is not None:
        steps = _check_steps(steps)
    units = Units(key=key, base=base, steps_per_epoch=steps_per_epoch)
    run = {
        k: v
        for k, v in (("total_steps", steps), ("steps_per_epoch", steps_per_epoch))
        if v is not None
    }
    named = {k: s.bind(**run) if isinstance(s, Unbound) else s for k, s in named.items()}
    n = default_steps(named) if steps is None else steps
    if ax is None:
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                f"plots need matplotlib, which is not installed; {_INSTALL_HINT}"
            ) from exc
        _, ax = plt.subplots(figsize=(7.0, 3.5), layout="constrained")
    plot_schedules(named, n, ax=ax, log=log, title=title, units=units)
    return ax


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


def _check_run(lrs: Sequence[float], losses: Sequence[float]) -> None:
    if len(lrs) != len(losses) or not lrs:
        raise ValueError("lrs and losses must be non-empty and of equal length")


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
    _check_run(lrs, losses)
    if path is not None:
        check_figure_path(path)
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
        _save(fig, path)
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
    return sample_steps(steps, boundaries, max_points=max(2, 4 * width))


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
    legend: bool = True,
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
        short = label if len(label) <= _TERMINAL_LABEL else label[: _TERMINAL_LABEL - 3] + "..."
        sig = fig.signal(x[keep].tolist(), y[keep].tolist())
        fig.draw((sig.label(short) if legend else sig).lines())  # a label makes a legend
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
    if legend and math.isfinite(ymax):
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
    units: Units = _STEPS,
) -> str:
    """A text chart of schedules over ``0..steps`` (plotext 6), returned as a string.

    Args:
        schedules: label -> schedule.
        steps: the last step drawn.
        width, height: chart size in terminal cells; the terminal's size by default.
        log: logarithmic y axis (values <= 0 are left out).
        title: chart title; the default is as in :func:`plot_schedules`.
        color: ANSI colours; by default only when stdout is a terminal.
        units: the key, an optional base value, and epochs on the time axis.

    Raises:
        ImportError: plotext 6 is not installed.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import terminal_chart
        >>> two = {"linear": lp.Linear(steps=10), "flat": lp.Constant(value=0.5)}
        >>> chart = terminal_chart(two, steps=10, width=50, height=12)
        >>> "linear" in chart and len(chart.splitlines()) == 12
        True
    """
    _check_schedules(schedules)
    steps = _check_steps(steps)
    w, h = _terminal_size(width, height)
    bounds = sorted({b for s in schedules.values() for b in _boundaries_within(s, steps)})
    x = _sample_points(steps, w, bounds)
    curves = {label: (units.x(x), units.y(s.values(x))) for label, s in schedules.items()}
    if title is None:
        title = _default_title(schedules, steps, units)
    shown = bounds if len(bounds) <= MAX_DRAWN_BOUNDARIES else []
    return terminal_curves(
        curves,
        xmax=float(units.x(np.array([float(steps)]))[0]),
        boundaries=units.x(np.asarray(shown, dtype=np.float64)).tolist(),
        width=w,
        height=h,
        log=log,
        title=title,
        xlabel=units.xlabel(),
        ylabel=units.ylabel(),
        color=sys.stdout.isatty() if color is None else color,
        legend=len(schedules) > 1,  # one curve: the title and the printout name it
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
    _check_run(lrs, losses)
    w, h = _terminal_size(width, height)
    n = len(lrs)
    x = np.arange(n, dtype=np.float64)
    bounds = [b for b in boundaries if 0 < b < n]
    pick = _sample_points(n - 1, w, bounds).astype(np.int64)
    loss = np.asarray(losses, dtype=np.float64)
    smooth = _smooth(loss, _smoothing_span(n))
    common: dict[str, Any] = {
        "xmax": float(max(1, n - 1)),
        "boundaries": bounds,
        "width": w,
        "height": h,
        "xlabel": "step",
        "color": sys.stdout.isatty() if color is None else color,
    }
    lr_chart = terminal_curves(
        {"lr": (x[pick], np.asarray(lrs, dtype=np.float64)[pick])},
        log=False,
        title="learning rate",
        ylabel="lr",
        **common,
    )
    loss_chart = terminal_curves(
        {"loss (smoothed)": (x[pick], smooth[pick])},
        log=True,
        title="training loss (log scale)",
        ylabel="loss",
        **common,
    )
    return lr_chart + "\n" + loss_chart
