"""Pictures of a range test: raw and smoothed loss against lr on a log axis, with the
suggestion and the plausible range marked. matplotlib (PNG, SVG, notebooks) and
plotext 6 (terminal) are imported only when a picture is asked for, through the
helpers of :mod:`lrplan._plot`; this module never imports torch.

Example:
    >>> from lrplan._find_plot import decade_ticks
    >>> decade_ticks(-7.0, 1.0)
    [-7.0, -5.0, -3.0, -1.0, 1.0]
"""

from __future__ import annotations

import io
import math
import os
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from lrplan._plot import (
    _import_matplotlib_figure,
    _import_plotext,
    _save,
    _terminal_size,
    check_figure_path,
)

if TYPE_CHECKING:
    from lrplan._find import FindResult, Suggestion

__all__ = ["decade_ticks", "find_chart", "find_png_bytes", "lr_ticks", "plot_find"]


def _title(result: FindResult, suggestion: Suggestion) -> str:
    head = f"LR range test: {len(result.lrs)} steps, {result.stop_reason}"
    if suggestion.lr is None:
        return f"{head}; no suggestion"
    return f"{head}; {suggestion.rule}: lr={suggestion.lr:.3g}"


def _y_top(result: FindResult) -> float:
    """Top of the loss axis: the first smoothed loss plus half the descent below it, so
    the diverging tail does not squash the useful part of the curve."""
    smooth = np.asarray(result.smoothed, dtype=np.float64)
    finite = smooth[np.isfinite(smooth)]
    if not finite.size:
        return math.inf
    first, lo = float(finite[0]), float(finite.min())
    return max(first, lo) + 0.5 * (max(first, lo) - lo) + 1e-12


def plot_find(
    result: FindResult,
    suggestion: Suggestion,
    *,
    path: str | os.PathLike[str] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (8.0, 4.8),
) -> Any:
    """Raw loss (faint) and smoothed loss against lr on a log x axis; the plausible
    range shaded, the suggestion a vertical line. Returns the matplotlib Figure and
    writes it to ``path`` (.png or .svg) when given.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: ``path`` has an unknown suffix.
    """
    if path is not None:
        check_figure_path(path)
    figure_cls = _import_matplotlib_figure()
    fig = figure_cls(figsize=figsize, dpi=110, layout="constrained")
    ax = fig.add_subplot()
    lrs = np.asarray(result.lrs, dtype=np.float64)
    raw = np.asarray(result.losses, dtype=np.float64)
    smooth = np.asarray(result.smoothed, dtype=np.float64)
    ax.plot(lrs, raw, color="tab:orange", alpha=0.35, linewidth=0.9, label="loss")
    ax.plot(lrs, smooth, color="tab:red", linewidth=2.0, label=f"smoothed (f={result.smooth_f:g})")
    if suggestion.low is not None and suggestion.high is not None:
        ax.axvspan(
            suggestion.low, suggestion.high, color="tab:green", alpha=0.12, label="plausible range"
        )
    if suggestion.lr is not None:
        ax.axvline(
            suggestion.lr,
            color="tab:green",
            linestyle="--",
            linewidth=1.5,
            label=f"{suggestion.rule}: {suggestion.lr:.3g}",
        )
    ax.set_xscale("log")
    finite = smooth[np.isfinite(smooth)]
    if finite.size:  # the diverging tail would squash the useful part of the curve
        lo, top = float(finite.min()), _y_top(result)
        ax.set_ylim(lo - 0.1 * (top - lo), top)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("loss")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title(title if title is not None else _title(result, suggestion), fontsize="medium")
    if path is not None:
        _save(fig, path)
    return fig


def find_png_bytes(result: FindResult, suggestion: Suggestion) -> bytes:
    """The plot as PNG bytes (for ``_repr_png_``)."""
    fig = plot_find(result, suggestion, figsize=(6.4, 3.6))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def decade_ticks(lo: float, hi: float) -> list[float]:
    """Whole powers of ten (as log10 values) between ``lo`` and ``hi``, at most 6."""
    first, last = math.ceil(lo), math.floor(hi)
    stride = max(1, math.ceil((last - first + 1) / 6))
    return [float(d) for d in range(first, last + 1, stride)]


def lr_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks (log10 values) and their labels for an lr axis from ``10**lo`` to ``10**hi``.

    Powers of ten when at least two fall in the range; otherwise (a ramp of about a
    decade or less) evenly spaced lrs at a round step of 1, 2 or 5 times a power of
    ten, at most 6 of them.

    Example:
        >>> from lrplan._find_plot import lr_ticks
        >>> lr_ticks(-4.0, -1.0)[1]
        ['1e-04', '1e-03', '1e-02', '1e-01']
        >>> lr_ticks(-3.0, -2.5)[1]  # 0.001 to 0.00316
        ['0.001', '0.0015', '0.002', '0.0025', '0.003']
    """
    decades = decade_ticks(lo, hi)
    if len(decades) >= 2:
        return decades, [f"1e{int(t):+03d}" for t in decades]
    a, b = 10.0**lo, 10.0**hi
    step = 10.0 ** math.floor(math.log10((b - a) / 6))
    step = next(m * step for m in (1, 2, 5, 10) if (b - a) / (m * step) <= 6)
    first, last = math.ceil(a / step - 1e-9), math.floor(b / step + 1e-9)
    values = [float(f"{i * step:.12g}") for i in range(max(first, 1), last + 1)]
    return [math.log10(v) for v in values], [f"{v:.3g}" for v in values]


def find_chart(
    result: FindResult,
    suggestion: Suggestion,
    *,
    width: int | None = None,
    height: int | None = None,
    color: bool | None = None,
) -> str:
    """The range test as a plotext 6 chart: x is log10 of the lr, ticks from
    :func:`lr_ticks`; the suggestion and the range ends are dotted vertical lines.

    Raises:
        ImportError: plotext 6 is not installed.
    """
    plt = _import_plotext()
    w, h = _terminal_size(width, height)
    x = np.log10(np.asarray(result.lrs, dtype=np.float64))
    top = _y_top(result)
    fig = plt.figure
    fig.clear()
    for label, values in (("loss", result.losses), ("smoothed", result.smoothed)):
        y = np.minimum(np.asarray(values, dtype=np.float64), top)  # clip the diverging tail
        keep = np.isfinite(y)
        if keep.any():
            fig.draw(fig.signal(x[keep].tolist(), y[keep].tolist()).label(label).lines())
    marks = [suggestion.lr, suggestion.low, suggestion.high]
    for lr in marks:
        if lr is not None:
            fig.line(math.log10(lr), orientation="vertical", style="dotted")
    if x.size:
        lo, hi = float(x.min()), float(max(x.max(), x.min() + 1e-9))
        ticks, labels = lr_ticks(lo, hi)
        fig.ruler("x").ticks(ticks, labels)
        fig.ruler("x").lim(lo, hi)
    title = _title(result, suggestion)
    fig.title(title if len(title) <= w - 4 else title[: w - 7] + "...")
    fig.label("learning rate (log scale)", axis="x")
    fig.label("loss", axis="y")
    fig.plot_size(w, h)
    text: str = fig.build().string()
    fig.clear()
    use_color = sys.stdout.isatty() if color is None else color
    return text if use_color else str(plt.uncolorize(text))
