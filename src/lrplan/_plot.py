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

import collections
import copy
import dataclasses
import io
import math
import os
import shutil
import sys
import textwrap
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lrplan._schedules import Schedule, Unbound
from lrplan._schedules._core import MAX_BOUNDARIES

__all__ = [
    "ABSOLUTE_KEYS",
    "DEFAULT_OPEN_ENDED_STEPS",
    "FIGURE_SUFFIXES",
    "MAX_DRAWN_BOUNDARIES",
    "MAX_FIGURE_POINTS",
    "MIN_TAIL_STEPS",
    "OPEN_ENDED_BOUNDARIES",
    "TAIL_FRACTION",
    "KeyPoint",
    "SchedulerView",
    "Units",
    "check_figure_path",
    "curve",
    "default_range",
    "default_steps",
    "key_point_table",
    "key_points",
    "plot",
    "plot_schedules",
    "plot_training",
    "sample_steps",
    "schedule_png_bytes",
    "scheduler_view",
    "simulate",
    "terminal_chart",
    "terminal_curves",
    "training_chart",
]

#: How far to draw a schedule that has no end of its own (``duration is None``), at
#: least; also how many steps of a scheduler without a closed form are simulated when
#: it states no run length of its own (:func:`_run_length`).
DEFAULT_OPEN_ENDED_STEPS = 1000

#: A schedule with no end of its own is drawn past this many of its first boundaries.
OPEN_ENDED_BOUNDARIES = 4

#: After a last phase that begins with a jump, the range goes on this fraction of the
#: time so far (at least :data:`MIN_TAIL_STEPS` steps), so the final value is seen.
TAIL_FRACTION = 0.2
MIN_TAIL_STEPS = 5

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


def _tail(end: float) -> float:
    """The steps drawn after a last change at ``end``: 20% of it, at least 5."""
    return max(float(MIN_TAIL_STEPS), TAIL_FRACTION * end)


def _jumps(s: Schedule, t: float) -> bool:
    """Whether ``s`` jumps at ``t``: its value there differs from its left limit.

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import _jumps
        >>> _jumps(lp.MultiStep(milestones=(30,)), 30.0), _jumps(lp.Linear(steps=30), 30.0)
        (True, False)
    """
    if t <= 0:
        return False
    try:
        left, right = s.values(np.array([np.nextafter(t, 0.0), t]))
    except ValueError:  # not defined just before t (after="raise"): no jump to draw
        return False
    return not math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-12)


def _first_boundaries(s: Schedule, count: int) -> list[float]:
    """The first ``count`` boundaries of ``s`` (fewer if it has fewer).

    ``boundaries(until=h)`` is asked for ``h = 1, 2, 4, ...`` until enough are found,
    so a short period never lists more than about twice ``count``.
    """
    h = 1.0
    found: list[float] = []
    while h < 1e300:
        try:
            found = [b for b in s.boundaries(until=h) if b > 0]
        except ValueError:  # more than MAX_BOUNDARIES below h: a tiny period
            break
        if len(found) >= count:
            break
        h *= 2.0
    return sorted(found)[:count]


def _own_range(s: Schedule) -> tuple[int | None, str | None]:
    """The last step to draw for one schedule, and why when it has no end of its own.

    * A finite ``duration`` (or, without one, the run it was planned for,
      :attr:`~lrplan.Schedule.planned_length`): up to it, or to its last boundary if
      that is later; when the schedule jumps there (the final phase begins with a
      drop), a tail of 20% (at least 5 steps) shows the value after the drop.
    * No end (``duration is None``): past its first four boundaries plus the tail (a
      few cycles of a periodic schedule); with fewer boundaries, past the last one
      and over :data:`DEFAULT_OPEN_ENDED_STEPS` steps at least; with a note.
    * No end and no boundaries (``Exponential``), or zero length (``Constant``):
      None, no range of its own (a note for the first).
    """
    d = s.duration
    if d is None:  # no end of its own, but perhaps a planned run (transformers' cosine)
        d = s.planned_length
    if d is not None and math.isfinite(d) and d > 0:
        try:
            last = max([d, *_boundaries_upto(s, d)])
        except ValueError:  # too many boundaries to list: they all lie within d anyway
            last = d
        end = last + _tail(last) if _jumps(s, last) else last
        return max(1, math.ceil(end)), None
    first = _first_boundaries(s, OPEN_ENDED_BOUNDARIES)
    if not first:  # no scale of its own: the other schedules' range, else the default
        if d is not None:  # zero length (a Constant): nothing to say
            return None, None
        return None, "has no end of its own and no phase boundaries"
    last = first[-1]
    steps = math.ceil(last + _tail(last))
    if len(first) < OPEN_ENDED_BOUNDARIES:  # not periodic: what follows the last one
        steps = max(DEFAULT_OPEN_ENDED_STEPS, steps)
    what = "boundary" if len(first) == 1 else f"{len(first)} boundaries"
    return steps, f"has no end of its own; drawn to step {steps:,}, past its first {what}"


def default_range(schedules: Mapping[str, Schedule]) -> tuple[int, str | None]:
    """How many steps to draw, and a note when a schedule has no end of its own.

    The range covers every phase of every schedule that has an end (see
    :func:`_own_range`): its ``duration``, or its last boundary when later, plus a
    tail of 20% (at least 5 steps) where the final phase begins with a jump. When no
    schedule has an end, a periodic one is drawn past its first four boundaries (a
    few cycles), another over 1000 steps at least, and the note says so.

    Example:
        >>> import lrplan as lp
        >>> default_range({"m": lp.MultiStep(milestones=(30, 60, 80))})
        (96, None)
        >>> default_range({"c": lp.Cosine(steps=100).then(lp.Constant(value=0.1), at=50)})
        (60, None)
        >>> default_range({"w": lp.warmup(lp.Cosine(steps=900), steps=100)})
        (1000, None)
        >>> steps, note = default_range({"sgdr": lp.CosineRestarts(period=2000)})
        >>> steps
        9600
        >>> note.split("; ")[0]
        "'sgdr' has no end of its own"
        >>> note.split("; ")[1]
        'drawn to step 9,600, past its first 4 boundaries'
    """
    ranges = {label: _own_range(s) for label, s in schedules.items()}
    # Schedules with an end of their own set the range; the others only without them.
    ends = [r for r, why in ranges.values() if r is not None and why is None]
    guesses = [r for r, why in ranges.values() if r is not None and why is not None]
    steps = max(ends or guesses or [DEFAULT_OPEN_ENDED_STEPS])
    if ends:
        return steps, None
    notes = [
        f"{label!r} {why}" if r is not None else f"{label!r} {why}; drawn over {steps:,} steps"
        for label, (r, why) in ranges.items()
        if why is not None
    ]
    if len(notes) > 1:
        notes = [f"{len(notes)} schedules have no end of their own; drawn over {steps:,} steps"]
    return steps, notes[0] if notes else None


def default_steps(schedules: Mapping[str, Schedule]) -> int:
    """How many steps to draw: :func:`default_range` without the note.

    Example:
        >>> import lrplan as lp
        >>> default_steps({"a": lp.Linear(steps=300), "b": lp.Cosine(steps=1200.5)})
        1201
        >>> default_steps({"open": lp.Exponential(gamma=0.99)})
        1000
    """
    return default_range(schedules)[0]


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


def _boundaries_upto(s: Schedule, until: float) -> list[float]:
    """Every boundary in ``(0, until]``; a ValueError when there are too many to list."""
    return sorted({float(b) for b in s.boundaries(until=until) if 0 < b <= until})


def _boundaries_within(s: Schedule, steps: int) -> list[float] | None:
    """The boundaries strictly inside ``(0, steps)``; None when too many to list
    (more than ``MAX_BOUNDARIES``, see :meth:`Schedule.boundaries`)."""
    try:
        return [b for b in _boundaries_upto(s, steps) if b < steps]
    except ValueError:
        return None


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


def curve(
    s: Schedule, steps: int, max_points: int = MAX_FIGURE_POINTS
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The points to draw ``s`` over ``0..steps``: a jump is a vertical segment.

    The steps of :func:`sample_steps`; at every boundary ``b`` in ``(0, steps]``
    where ``s`` jumps (its left limit differs from ``s(b)``), two points at the same
    ``x = b``: the left limit, then ``s(b)``. A line through them drops straight
    down, as the schedule does, instead of sloping over the step before. (More
    boundaries than ``max_points`` are not resolved: such a chart is a blur anyway.)

    Example:
        >>> import lrplan as lp
        >>> from lrplan._plot import curve
        >>> x, y = curve(lp.MultiStep(milestones=(2,), gamma=0.5), 4)
        >>> x.tolist(), y.tolist()
        ([0.0, 1.0, 2.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 0.5, 0.5, 0.5])
    """
    steps = _check_steps(steps)
    try:
        bounds = _boundaries_upto(s, steps)
    except ValueError:
        bounds = []
    if len(bounds) > max_points:
        bounds = []
    x = sample_steps(steps, bounds, max_points)
    y = s.values(x)
    if not bounds:
        return x, y
    b = np.asarray(bounds, dtype=np.float64)
    left = s.values(np.nextafter(b, 0.0))
    right = s.values(b)
    jump = ~np.isclose(left, right, rtol=1e-9, atol=1e-12)
    if not jump.any():
        return x, y
    jb = b[jump]
    keep = ~np.isin(x, jb)
    xs = np.concatenate([x[keep], jb, jb])
    ys = np.concatenate([y[keep], left[jump], right[jump]])
    # At a jump the left limit comes first: sort by x, then by this rank.
    rank = np.concatenate([np.zeros(int(keep.sum()) + jb.size), np.ones(jb.size)])
    order = np.lexsort((rank, xs))
    return xs[order], ys[order]


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

    Rows: ``start`` (step 0), one ``boundary`` row per phase boundary in ``(0, steps)``
    (the value *at* the boundary, i.e. of the phase that begins there; also one at
    ``steps`` where the schedule jumps there), ``end`` (step
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
    # More than MAX_BOUNDARIES boundaries: boundaries() raises a ValueError naming them.
    # A boundary at the last step is a row where the schedule jumps there (a restart).
    bounds = [b for b in _boundaries_upto(schedule, steps) if b < steps or _jumps(schedule, b)]
    at = schedule.values(np.array([0.0, *bounds, float(steps)]))
    rows = [KeyPoint("start", 0.0, float(at[0]))]
    rows += [KeyPoint("boundary", b, float(v)) for b, v in zip(bounds, at[1:-1], strict=True)]
    rows.append(KeyPoint("end", float(steps), float(at[-1])))
    i_max, y_max, i_min, y_min = _scan(schedule, steps)
    rows.append(KeyPoint("peak", float(i_max), y_max))
    rows.append(KeyPoint("min", float(i_min), y_min))
    return rows


def key_points(schedule: Any, steps: int | None = None, units: Units = _STEPS) -> str:
    """Start, peak (the first step that reaches it) and end of a schedule over ``0..steps``.

    ``schedule`` may be an lrplan scheduler (its first group's schedule, in its units);
    ``steps`` defaults to :func:`default_range`.

    Example:
        >>> import lrplan as lp
        >>> key_points(lp.warmup(lp.Cosine(steps=900, end=0.01), steps=100), 1000)
        'start 0, peak 1 at step 100, end 0.01 at step 1,000'
        >>> key_points(lp.Cosine(steps=100, end=0.1), 100, Units(base=0.5, steps_per_epoch=10))
        'start 0.5, peak 0.5 at epoch 0, end 0.05 at epoch 10'
    """
    if _is_scheduler(schedule):  # an lrplan scheduler: its (first group's) schedule
        view = _closed_form_view(schedule, "key_points")
        schedule, units = next(iter(view.schedules.values())), view.units
    _check_schedules({"schedule": schedule})
    steps = default_range({"s": schedule})[0] if steps is None else _check_steps(steps)
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


def _short(text: str, width: int = 120) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    return textwrap.shorten(text, width, placeholder=" ...") or text[:width]


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
    mark: float | None = None,
    note: str | None = None,
) -> Any:
    """Draw schedules over ``0..steps`` with matplotlib; return the Figure.

    Each schedule is evaluated with ``s.values`` at every integer step (an even
    sample of :data:`MAX_FIGURE_POINTS` steps, plus both sides of each boundary, for
    longer ranges); where it jumps, the drop is a vertical segment (:func:`curve`).
    Phase boundaries (``s.boundaries(until=steps)``) are dashed vertical lines in the
    curve's colour (not drawn, but counted in the legend, when one curve has more
    than :data:`MAX_DRAWN_BOUNDARIES` of them in range).

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
        mark: a step to mark with a dotted line and a dot on each curve (a
            scheduler's current step).
        note: a line added under the title (why the range is what it is).

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
    too_many = False
    drawn = False
    for label, s in schedules.items():
        bounds = _boundaries_within(s, steps)
        x, y = curve(s, steps)
        (line,) = ax.plot(units.x(x), units.y(y), label=_wrap(label), linewidth=2.0)
        if mark is not None:
            at = units.y(s.values(np.array([float(mark)])))
            ax.plot(units.x(np.array([float(mark)])), at, "o", color=line.get_color())
        if bounds is None or len(bounds) > MAX_DRAWN_BOUNDARIES:
            too_many = too_many or bounds is None
            hidden += 0 if bounds is None else len(bounds)
            continue
        for b in units.x(np.asarray(bounds, dtype=np.float64)):
            drawn = True
            ax.axvline(b, color=line.get_color(), linestyle="--", linewidth=1.0, alpha=0.6)
    if mark is not None:
        ax.axvline(float(units.x(np.array([float(mark)]))[0]), color="black", linestyle=":")
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
    heading = _wrap(_default_title(schedules, steps, units) if title is None else title, 90)
    ax.set_title(heading if note is None else f"{heading}\n{_wrap(note, 90)}")
    handles, labels = ax.get_legend_handles_labels()
    if drawn:
        handles.append(Line2D([], [], color="gray", linestyle="--", linewidth=1.0))
        labels.append("phase boundary")
    if hidden or too_many:
        handles.append(Line2D([], [], color="none"))
        many = f"more than {MAX_BOUNDARIES:,}" if too_many else f"{hidden:,}"
        labels.append(f"{many} phase boundaries (too many to draw)")
    if mark is not None:
        handles.append(Line2D([], [], color="black", linestyle=":", marker="o"))
        labels.append(f"current step {_step_text(mark)} (last_epoch)")
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


# --------------------------------------------------------------------------- schedulers


def _is_scheduler(obj: Any) -> bool:
    """Whether ``obj`` looks like a torch/lrplan scheduler (duck-typed: no torch import)."""
    return hasattr(obj, "optimizer") and callable(getattr(obj, "step", None))


def _refuse_metric_driven(obj: Any) -> None:
    # lrplan's metric-driven classes (ReduceLROnPlateau, GreedyLR, timm's plateau) say so
    # with ``metric_driven``; torch's own ReduceLROnPlateau is known by name.
    if getattr(obj, "metric_driven", False) or any(
        c.__name__ == "ReduceLROnPlateau" for c in type(obj).__mro__
    ):
        raise TypeError(
            f"{type(obj).__name__} changes the lr from the metric passed to step(metric), "
            "so it has no schedule to draw before training; record get_last_lr() after "
            "each step and plot those values instead"
        )


@dataclasses.dataclass(frozen=True)
class SchedulerView:
    """What a scheduler with a closed form draws: its schedules, units and current step.

    ``schedules`` maps a label to each distinct param-group schedule; ``units`` gives
    the key and, where every group shares one base value, that base (so the curve is
    in the key's own units); ``mark`` is the scheduler's ``last_epoch``.
    """

    schedules: dict[str, Schedule]
    units: Units
    ylabel: str | None
    mark: float


def scheduler_view(obj: Any) -> SchedulerView | None:
    """The schedules of an lrplan scheduler, or None for one without a closed form.

    Every lrplan scheduler (``ScheduledLR``, the torch-named classes, the registry's)
    holds one pure schedule per param group (``scheduler.schedules``); a
    ``MultiScheduledLR`` gives its lr scheduler (else its first key's). Anything else
    (torch's own classes, ``get_lr()`` subclasses, composites) has no closed form:
    None. So has a scheduler whose schedules miss part of what its steps write
    (:func:`_partial_reason`: a warmup wrapper, timm's noise or ``lr_scale``).

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> view = scheduler_view(lp.ScheduledLR(opt, lp.Cosine(steps=100)))
        >>> list(view.schedules), view.units.base, view.mark
        (['ScheduledLR (lr)'], 0.1, 0.0)
    """
    inner = getattr(obj, "schedulers", None)
    if isinstance(inner, Mapping) and inner:  # MultiScheduledLR
        obj = inner.get("lr") or next(iter(inner.values()))
    scheds = getattr(obj, "schedules", None)
    if not isinstance(scheds, list) or not scheds:
        return None
    if not all(isinstance(s, Schedule) for s in scheds) or _partial_reason(obj) is not None:
        return None
    key = str(getattr(obj, "key", "lr"))
    # ScheduleDriven writes base * s(t) where relative (the default for lr and the
    # other relative keys), else s(t) itself.
    relative = bool(getattr(obj, "_relative", key not in ABSOLUTE_KEYS))
    bases = [float(b) for b in obj.base_lrs]
    name = type(obj).__name__
    ylabel = None
    if relative == (key in ABSOLUTE_KEYS):  # the key's usual meaning was overridden
        ylabel = f"{key} multiplier (× base {key})" if relative else f"{key} (absolute value)"
    pairs = list(dict.fromkeys(zip(scheds, bases, strict=True)))
    if len(pairs) == 1:
        s, b = pairs[0]
        usable = relative and key not in ABSOLUTE_KEYS and _positive_finite(b)
        named = {f"{name} ({key})": s}
        units = Units(key=key, base=b if usable else None)
    else:  # groups differ: each group's multipliers (or values), labelled with its base
        named = {}
        for i, (s, b) in enumerate(zip(scheds, bases, strict=True)):
            named.setdefault(f"{name} group {i} (base {key} {b:g})", s)
        units = Units(key=key)
    return SchedulerView(named, units, ylabel, float(obj.last_epoch))


def _wrapped(obj: Any) -> Any:
    """The scheduler a warmup wrapper (``Warmup``, ``GradualWarmupScheduler``) hands
    off to, named by its class's ``_inner_name``; None for any other scheduler."""
    inner_name = getattr(type(obj), "_inner_name", None)
    return getattr(obj, inner_name, None) if isinstance(inner_name, str) else None


def _partial_reason(obj: Any) -> str | None:
    """Why the schedules of scheduler ``obj`` miss values its steps write; None if not.

    Each lrplan scheduler says so itself (``_schedules_gap``): ``Warmup`` and
    ``GradualWarmupScheduler`` hold only their warmup ramp, the scheduler they wrap
    writing every later step; timm's add seeded random noise (``noise_range_t``) and
    a group's ``lr_scale``.

    Example:
        >>> import torch, lrplan as lp
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> _partial_reason(lp.Warmup(lp.StepLR(opt, step_size=5), steps=3))
        'its schedules hold only the warmup; StepLR writes the steps after it'
    """
    gap = getattr(obj, "_schedules_gap", None)
    reason: str | None = gap() if callable(gap) else None
    return reason


def _closed_form_view(obj: Any, where: str) -> SchedulerView:
    """:func:`scheduler_view`, or a TypeError saying what to do instead."""
    _refuse_metric_driven(obj)
    view = scheduler_view(obj)
    if view is None:
        why = _partial_reason(obj)
        raise TypeError(
            f"{where} draws schedules and lrplan schedulers; {type(obj).__name__} has no "
            f"closed form{'' if why is None else f' ({why})'}: use "
            "lrplan.plot(scheduler, steps=N), which simulates a copy"
        )
    return view


def _current_step(obj: Any) -> float:
    """A scheduler's ``last_epoch``; a ``ChainedScheduler`` (none) gives its first child's."""
    t = getattr(obj, "last_epoch", None)
    if t is None:
        children = getattr(obj, "_schedulers", None) or [None]
        return 0.0 if children[0] is None else _current_step(children[0])
    return float(t)


def _run_length(obj: Any) -> float | None:
    """How many steps a scheduler's run lasts from its step 0, where it says; else None.

    * a warmup wrapper: its warmup, then its wrapped scheduler's run;
    * an lrplan scheduler: the range of its schedules when they end
      (:func:`default_range`);
    * ``total_steps`` (``OneCycleLR``, which raises when stepped past it);
    * ``T_max`` (``CosineAnnealingLR``) is half a period of its cosine, which then
      climbs back: one whole period, ``2 * T_max``;
    * ``total_iters`` (``LinearLR``, ``ConstantLR``, ``PolynomialLR``), then a tail
      of 20% (at least 5 steps) to show the value it holds;
    * ``SequentialLR``: its last milestone, then its last child's run;
    * ``ChainedScheduler``: its longest child's run.

    Example:
        >>> import torch
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> _run_length(torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40))
        80.0
    """
    inner = _wrapped(obj)
    if inner is not None:
        rest = _run_length(inner)
        return None if rest is None else float(obj._at) + rest
    scheds = getattr(obj, "schedules", None)
    if isinstance(scheds, list) and scheds and all(isinstance(s, Schedule) for s in scheds):
        steps, note = default_range({str(i): s for i, s in enumerate(scheds)})
        if note is None:
            return float(steps)
    for name, scale in (("total_steps", 1.0), ("T_max", 2.0), ("total_iters", 1.0)):
        n = getattr(obj, name, None)
        if isinstance(n, int | float) and not isinstance(n, bool) and 0 < n < math.inf:
            return scale * n + (_tail(n) if name == "total_iters" else 0.0)
    children = getattr(obj, "_schedulers", None)
    if not children:
        return None
    lengths = [_run_length(c) for c in children]
    milestones = getattr(obj, "_milestones", None)
    if milestones:  # SequentialLR: the last child starts at the last milestone
        return None if lengths[-1] is None else float(milestones[-1]) + lengths[-1]
    known = [n for n in lengths if n is not None]
    return max(known) if known else None


def simulate(obj: Any, steps: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Step a copy of a scheduler ``steps`` times and record every group's lr.

    For schedulers without a closed form (torch's own classes, subclasses that only
    define ``get_lr()``). The scheduler is deep-copied with a stand-in for each
    parameter and an empty optimizer state, so neither the model's weights nor the
    optimizer's buffers are copied, and the caller's optimizer and scheduler are
    never touched. Returns ``x`` (from the current ``last_epoch`` on) and one row of
    lrs per param group. Warnings of the copy's steps (call order) are silenced.

    Raises:
        TypeError: the scheduler cannot be copied.
        Exception: whatever a step of the copy raises (``OneCycleLR`` stepped past
            its ``total_steps``); :func:`plot` draws the steps before it instead.

    Example:
        >>> import torch
        >>> from lrplan._plot import simulate
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> x, lrs = simulate(sched, 4)
        >>> x.tolist(), lrs.tolist(), sched.last_epoch, opt.param_groups[0]["lr"]
        ([0.0, 1.0, 2.0, 3.0, 4.0], [[1.0, 1.0, 0.5, 0.5, 0.25]], 0, 1.0)
    """
    x, lrs, error = _record(obj, _check_steps(steps))
    if error is not None:
        raise error
    return x, lrs


def _record(
    obj: Any, steps: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], Exception | None]:
    """:func:`simulate`, stopping at the first step that raises: (x, lrs, its error)."""
    import torch  # a scheduler exists, so torch is imported already

    opt = obj.optimizer
    memo: dict[int, Any] = {
        id(p): torch.empty(0) for group in opt.param_groups for p in group["params"]
    }
    memo[id(opt.state)] = collections.defaultdict(dict)
    try:
        twin = copy.deepcopy(obj, memo)
    except Exception as exc:
        raise TypeError(
            f"cannot copy {type(obj).__name__} to simulate its schedule ({exc}); "
            "draw an lrplan schedule instead (lrplan.plot(schedule))"
        ) from exc
    groups = twin.optimizer.param_groups
    rows = [[float(g["lr"]) for g in groups]]
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            try:
                twin.step()
            except Exception as exc:  # the copy cannot go on: keep what it recorded
                error = exc
                break
            rows.append([float(g["lr"]) for g in groups])
    x = _current_step(obj) + np.arange(len(rows), dtype=np.float64)
    return x, np.asarray(rows, dtype=np.float64).T, error


def _simulated_range(obj: Any) -> tuple[int, str]:
    """How many steps to simulate without ``steps=``, and why (for the note)."""
    length, now = _run_length(obj), _current_step(obj)
    if length is None:
        return DEFAULT_OPEN_ENDED_STEPS, "as its run has no stated length"
    if length > now:
        return max(1, math.ceil(length - now)), f"to the end of its run at step {length:,.0f}"
    return max(1, math.ceil(_tail(now))), f"past the end of its run at step {length:,.0f}"


def _plot_simulated(
    obj: Any, steps: int | None, ax: Any, log: bool, label: str | None, title: str | None
) -> Any:
    n, why = (steps, None) if steps is not None else _simulated_range(obj)
    x, lrs, error = _record(obj, n)
    name = type(obj).__name__
    for i, y in enumerate(lrs):
        text = label if label is not None else name
        if len(lrs) > 1:
            text = f"{text} group {i}"
        # The lr of step t holds until step t + 1: drawn as stairs, drops are vertical.
        (line,) = ax.plot(x, y, drawstyle="steps-post", label=text, linewidth=2.0)
        ax.plot(x[:1], y[:1], "o", color=line.get_color())
    ax.axvline(float(x[0]), color="black", linestyle=":", label=f"current step {x[0]:,.0f}")
    if log:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_xlim(float(x[0]), float(x[-1]))
    ax.set_xlabel("step")
    ax.set_ylabel("lr")
    ax.xaxis.set_major_formatter("{x:,.0f}")
    ax.grid(True, alpha=0.3)
    reason = _partial_reason(obj)
    note = f"{name} has no closed form{'' if reason is None else f' ({reason})'}"
    note += f": simulated on a copy for {n:,} steps from its current step"
    if why is not None:
        note += f", {why}; choose how many with steps="
    if error is not None:
        note += (
            f"; stopped after {len(x) - 1:,} steps, where a step raised "
            f"{type(error).__name__}: {_short(str(error))}"
        )
    heading = f"{name}: lr from step {x[0]:,.0f}" if title is None else title
    ax.set_title(f"{_wrap(heading, 90)}\n{_wrap(note, 90)}")
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax


def plot(
    schedule: Any,
    *,
    ax: Any = None,
    steps: int | None = None,
    key: str | None = None,
    base: float | None = None,
    steps_per_epoch: float | None = None,
    log: bool = False,
    label: str | None = None,
    title: str | None = None,
) -> Any:
    """Draw a schedule, several, or a scheduler into a matplotlib Axes; return the Axes.

    Phase boundaries are dashed lines and drops are vertical; the title gives the
    start, peak and end. Without ``steps`` the range covers every phase, the last
    included (:func:`default_range`); a schedule with no end of its own gets a range
    of a few of its cycles, and a line under the title says so.

    A **scheduler** is drawn over its run, with its current step (``last_epoch``)
    marked by a dotted line and a dot:

    * an lrplan scheduler (``ScheduledLR``, the torch-named classes, the
      registry's; ``MultiScheduledLR`` draws its lr) has a closed form: its
      schedule is drawn from step 0, in the key's units (times the base value);
    * any other scheduler (torch's own classes, a subclass that defines
      ``get_lr()``, ``SequentialLR`` and ``ChainedScheduler``, and the lrplan
      schedulers whose schedules miss part of their run: ``Warmup`` and
      ``GradualWarmupScheduler`` around another scheduler, timm's with noise or
      ``lr_scale``) is simulated on a deep copy, from its current step for
      ``steps`` steps, and drawn as stairs. Without ``steps`` the copy runs to
      the end of the scheduler's own run where it has one (``total_steps``;
      ``2 * T_max``, a whole cosine period; ``total_iters`` and a tail; a
      wrapper's warmup plus its inner's run), else over 1000 steps. A step of
      the copy that raises ends the curve there, and the title says why. The
      copy never touches your optimizer or scheduler;
    * ``ReduceLROnPlateau`` follows a metric, so it has no schedule: TypeError.

    Args:
        schedule: a schedule, a mapping of legend label -> schedule, or a scheduler.
        ax: the Axes to draw into. Without one, a new pyplot figure is made.
        steps: the last step drawn (see above). Plans with durations in
            ``fraction(...)`` of the run are bound to a run of this many steps.
        key: what the values drive (default ``lr``, or the scheduler's key);
            ``momentum``, ``dampening`` and ``betas[i]`` are absolute, the rest
            multiply the base value (see :class:`Units`).
        base: multiply by this base value (say the optimizer's lr) to draw
            absolute values of a relative key (a scheduler gives its own).
        steps_per_epoch: put epochs of this many steps on the time axis (and bind
            ``epochs(...)`` durations with it).
        log: logarithmic value axis.
        label: legend label of a single schedule (default: its repr).
        title: the title (default: the key points).

    Raises:
        ImportError: matplotlib is not installed.
        TypeError: not a schedule, mapping or scheduler; a metric-driven scheduler.
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
    if steps is not None:
        steps = _check_steps(steps)
    mark: float | None = None
    ylabel: str | None = None
    if isinstance(schedule, Schedule):
        named: dict[str, Schedule] = {label if label is not None else repr(schedule): schedule}
        units = Units(key=key or "lr", base=base, steps_per_epoch=steps_per_epoch)
    elif isinstance(schedule, Mapping):
        if label is not None:
            raise ValueError("label is for a single schedule; a mapping's keys are its labels")
        named = dict(schedule)
        units = Units(key=key or "lr", base=base, steps_per_epoch=steps_per_epoch)
    elif _is_scheduler(schedule):
        _refuse_metric_driven(schedule)
        view = scheduler_view(schedule)
        if ax is None:
            ax = _new_axes()
        if view is None:
            return _plot_simulated(schedule, steps, ax, log, label, title)
        if key is not None and key != view.units.key:
            raise ValueError(f"key={key!r}, but the scheduler drives {view.units.key!r}")
        named = view.schedules
        if label is not None:
            if len(named) > 1:
                raise ValueError("label is for a single schedule; this scheduler's groups differ")
            named = {label: next(iter(named.values()))}
        units = Units(
            key=view.units.key,
            base=view.units.base if base is None else base,
            steps_per_epoch=steps_per_epoch,
        )
        mark, ylabel = view.mark, view.ylabel
    else:
        raise TypeError(
            "schedule must be a Schedule, a mapping of label -> Schedule, or a scheduler, "
            f"got {type(schedule).__name__}"
        )
    run = {
        k: v
        for k, v in (("total_steps", steps), ("steps_per_epoch", steps_per_epoch))
        if v is not None
    }
    named = {k: s.bind(**run) if isinstance(s, Unbound) else s for k, s in named.items()}
    note = None
    if steps is None:
        n, note = default_range(named)
        if mark is not None and mark > n:  # the scheduler ran past its schedule's end
            n = math.ceil(mark + _tail(mark))
    else:
        n = steps
    if note is not None:
        note += "; choose the range with steps="
    if ax is None:
        ax = _new_axes()
    plot_schedules(
        named, n, ax=ax, log=log, title=title, ylabel=ylabel, units=units, mark=mark, note=note
    )
    return ax


def _new_axes() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"plots need matplotlib, which is not installed; {_INSTALL_HINT}"
        ) from exc
    _, ax = plt.subplots(figsize=(7.0, 3.5), layout="constrained")
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
    note = None
    if steps is None:
        steps, note = default_range(named)
    plot_schedules(named, steps, ax=fig.add_subplot(), note=note)
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
    extra: tuple[str, Sequence[float]] | None = None,
) -> Any:
    """Stacked panels over the steps of a run: learning rate, then loss (log scale).

    ``lrs[i]`` and ``losses[i]`` belong to step ``i``; each value holds for its step,
    so the lr is drawn as stairs and a drop is vertical. ``extra`` (a name and one
    value per step, say the momentum) adds a panel between the two. Phase boundaries
    are dashed vertical lines on every panel; with ``steps_per_epoch`` an epoch axis
    runs along the top. Returns the matplotlib Figure.

    Raises:
        ImportError: matplotlib is not installed.

    Example:
        >>> from lrplan._plot import plot_training
        >>> fig = plot_training(lrs=[0.1, 0.2, 0.1], losses=[2.0, 1.0, 0.5], boundaries=[1])
        >>> [ax.get_ylabel() for ax in fig.axes[:2]]
        ['learning rate', 'loss (log scale)']
        >>> momentum = ("momentum", [0.9, 0.9, 0.9])
        >>> fig = plot_training(lrs=[0.1] * 3, losses=[2.0, 1.0, 0.5], extra=momentum)
        >>> [ax.get_ylabel() for ax in fig.axes[:3]]
        ['learning rate', 'momentum', 'loss (log scale)']
    """
    _check_run(lrs, losses)
    if path is not None:
        check_figure_path(path)
    if extra is not None and len(extra[1]) != len(lrs):
        raise ValueError(f"extra {extra[0]!r} needs one value per step ({len(lrs)})")
    figure_cls = _import_matplotlib_figure()
    x = np.arange(len(lrs), dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    if extra is None:
        fig = figure_cls(figsize=(9.0, 6.5), dpi=110, layout="constrained")
        ax_lr, ax_loss = fig.subplots(2, 1, sharex=True, height_ratios=(1.0, 1.3))
        panels: tuple[Any, ...] = (ax_lr, ax_loss)
    else:
        fig = figure_cls(figsize=(9.0, 8.5), dpi=110, layout="constrained")
        ax_lr, ax_extra, ax_loss = fig.subplots(3, 1, sharex=True, height_ratios=(1.0, 1.0, 1.3))
        panels = (ax_lr, ax_extra, ax_loss)
        values = np.asarray(extra[1], dtype=np.float64)
        ax_extra.plot(x, values, color="tab:green", linewidth=2.0, drawstyle="steps-post")
        ax_extra.set_ylabel(extra[0])
        ax_extra.yaxis.set_major_formatter("{x:.3g}")
    lr = np.asarray(lrs, dtype=np.float64)
    ax_lr.plot(x, lr, color="tab:blue", linewidth=2.0, drawstyle="steps-post")
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
    for ax in panels:
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
    mark: float | None = None,
) -> str:
    """Draw ``label -> (x, y)`` curves as a plotext 6 chart and return its text.

    The shared drawing code of :func:`terminal_chart` and :func:`training_chart`:
    dotted vertical lines at ``boundaries``, a solid one at ``mark`` (a scheduler's
    current step), round x ticks up to ``xmax``, the legend in the top right corner.
    With ``log``, values <= 0 are left out.

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
    if mark is not None:
        fig.line(mark, orientation="vertical")
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
    schedules: Any,
    steps: int | None = None,
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
        schedules: label -> schedule, or an lrplan scheduler (drawn with its
            current step marked, in its own units).
        steps: the last step drawn; by default :func:`default_range`'s.
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
    mark: float | None = None
    if _is_scheduler(schedules):
        view = _closed_form_view(schedules, "terminal_chart")
        schedules, units, mark = view.schedules, view.units, view.mark
    _check_schedules(schedules)
    steps = default_range(schedules)[0] if steps is None else _check_steps(steps)
    if mark is not None and mark > steps:
        steps = math.ceil(mark + _tail(mark))
    w, h = _terminal_size(width, height)
    each = [_boundaries_within(s, steps) for s in schedules.values()]
    bounds = sorted({b for bs in each if bs is not None for b in bs})
    curves = {}
    for label, s in schedules.items():
        x, y = curve(s, steps, max_points=max(2, 4 * w))
        curves[label] = (units.x(x), units.y(y))
    if title is None:
        title = _default_title(schedules, steps, units)
    shown = bounds if len(bounds) <= MAX_DRAWN_BOUNDARIES and None not in each else []
    return terminal_curves(
        curves,
        xmax=float(units.x(np.array([float(steps)]))[0]),
        boundaries=units.x(np.asarray(shown, dtype=np.float64)).tolist(),
        mark=None if mark is None else float(units.x(np.array([mark]))[0]),
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
    extra: tuple[str, Sequence[float]] | None = None,
) -> str:
    """Terminal charts of a run: learning rate over steps, ``extra`` (a name and one
    value per step) if given, then loss (plotext 6).

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
    if extra is not None:
        name, values = extra
        lr_chart += "\n" + terminal_curves(
            {name: (x[pick], np.asarray(values, dtype=np.float64)[pick])},
            log=False,
            title=name,
            ylabel=name,
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
