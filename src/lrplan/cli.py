"""The ``lrplan`` command line: ``plot``, ``compare``, ``show``, ``demo`` and ``find``.

Exit codes, the same for every subcommand:

* 0: success;
* 2: a usage error: a bad spec, config or argument, a plan that cannot be bound or
  evaluated over the range asked for, an output file with an unknown suffix;
* 1: a runtime failure: an optional dependency the command needs is missing, or a
  file cannot be written or read.

Errors go to stderr as one ``lrplan: error: ...`` line naming the problem.

Example:
    >>> from lrplan.cli import main
    >>> main(["show", "warmup(Cosine(steps=90, end=0.1), steps=10)"])  # doctest: +ELLIPSIS
    Join(schedules=(Linear(steps=10, start=0.0, end=1.0), Cosine(steps=90, end=0.1)), ...)
    key points over steps 0..100; lr multiplier (× base lr)
    <BLANKLINE>
    point     step  value
    start        0      0
    boundary    10      1
    end        100    0.1
    peak        10      1
    min          0      0
    0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

# The pure layer and plotting only: `show`, `plot`, `compare`, --help and --version
# never import torch. `demo` and `find` import it, in _cmd_demo and _cmd_find
# (tests/test_cli.py checks both).
from lrplan._plot import (
    DEFAULT_OPEN_ENDED_STEPS,
    KeyPoint,
    Units,
    _step_chunks,
    _step_text,
    check_figure_path,
    default_range,
    key_point_table,
    key_points,
    plot_schedules,
    terminal_chart,
)
from lrplan._schedules import Schedule, Unbound
from lrplan._spec import CONFIG_SUFFIXES, SpecError, bind_schedule, load_schedule

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "UsageError", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

#: ``lrplan show`` lists at most this many phase boundaries as table rows.
MAX_TABLE_BOUNDARIES = 50

_SPEC_HELP = (
    'a spec such as "warmup(Cosine(steps=9500, end=0.01), steps=500)", '
    "or a .json/.yaml/.yml config file"
)
_LABEL_CHARS = 120


class UsageError(ValueError):
    """A command line that cannot be carried out as given (exit code 2)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _version() -> str:
    try:
        return metadata.version("lrplan")
    except metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------- the parser


def _run_options() -> argparse.ArgumentParser:
    """Options shared by plot, compare and show: the range, the run, the key."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("range and run length")
    g.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help=(
            "last step drawn or tabulated (default: the run length if given, else "
            "every phase of the longest schedule, plus a short tail after a final drop; "
            "a schedule that never ends is drawn past its first four boundaries (a few "
            f"cycles), or over {_default_open_ended()} steps at least when it has fewer, "
            "with a note); also the run length for "
            "fraction(...) durations when --total-steps and --epochs are not given"
        ),
    )
    g.add_argument(
        "--total-steps",
        type=_positive_float,
        default=None,
        help="run length in steps: what fraction(...) durations are fractions of",
    )
    g.add_argument(
        "--epochs",
        type=_positive_float,
        default=None,
        help="run length in epochs (needs --steps-per-epoch)",
    )
    g.add_argument(
        "--steps-per-epoch",
        type=_positive_float,
        default=None,
        help="epoch size in steps: binds epochs(...) durations and puts epochs on the x axis",
    )
    k = p.add_argument_group("values")
    k.add_argument(
        "--key",
        default="lr",
        help=(
            "the hyperparameter the schedule drives (default: lr). lr, weight_decay and "
            "other keys are multipliers of the base value; momentum, dampening, "
            "betas[0] and betas[1] are absolute values. Picks the key's schedule from "
            "a config file that holds several"
        ),
    )
    k.add_argument(
        "--base-lr",
        "--base",
        dest="base",
        type=_positive_float,
        default=None,
        metavar="X",
        help="multiply by this base value to show the absolute lr (or other relative key)",
    )
    return p


def _figure_options() -> argparse.ArgumentParser:
    """Options shared by plot and compare: where and how to draw."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("output")
    g.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="image to write, .png or .svg by its suffix (both need matplotlib)",
    )
    g.add_argument(
        "--terminal",
        action="store_true",
        help="draw a terminal chart (plotext); also the default without -o",
    )
    g.add_argument("--log", action="store_true", help="logarithmic y axis")
    g.add_argument("--title", default=None, help="chart title (default: the key points)")
    g.add_argument("--width", type=_positive_int, default=None, help="terminal chart columns")
    g.add_argument("--height", type=_positive_int, default=None, help="terminal chart rows")
    return p


def _default_open_ended() -> int:
    return DEFAULT_OPEN_ENDED_STEPS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrplan",
        description=(
            "Look at learning-rate schedules before you train with them. "
            "Schedules are given as specs in the Python API's own names, "
            'e.g. "warmup(Cosine(steps=9500, end=0.01), steps=500)", '
            "or as .json/.yaml config files."
        ),
        epilog=(
            "exit codes: 0 success; 2 bad spec, config or argument; "
            "1 missing optional dependency or unwritable file. "
            "Run 'lrplan COMMAND --help' for a command's options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"lrplan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run, fig = _run_options(), _figure_options()

    plot = sub.add_parser(
        "plot",
        parents=[run, fig],
        help="draw one schedule as a PNG, an SVG or a terminal chart",
        description=(
            "Draw one schedule, with its phase boundaries as dashed lines. -o writes a "
            "PNG or SVG; the terminal chart is drawn with --terminal, when no -o is "
            "given, or when stdout is a terminal. The start, peak and end are printed."
        ),
    )
    plot.add_argument("spec", metavar="SPEC_OR_CONFIG", help=_SPEC_HELP)

    compare = sub.add_parser(
        "compare",
        parents=[run, fig],
        help="overlay several schedules in one chart, with a legend",
        description=(
            "Overlay several schedules in one chart, each labelled in the legend by its "
            "spec, its config file name, or --labels. Outputs as for 'lrplan plot'."
        ),
    )
    compare.add_argument("specs", metavar="SPEC_OR_CONFIG", nargs="+", help=_SPEC_HELP)
    compare.add_argument(
        "--labels",
        nargs="+",
        default=None,
        metavar="LABEL",
        help="legend labels, one per schedule, in order (give them after the schedules)",
    )

    show = sub.add_parser(
        "show",
        parents=[run],
        help="print a table of a schedule's key points: start, peak, boundaries, end, min",
        description=(
            "Print the key points of a schedule: the start, every phase boundary (the "
            "value where the next phase begins), the end, the peak and the minimum "
            "(over every integer step, at the first step that reaches it)."
        ),
    )
    show.add_argument("spec", metavar="SPEC_OR_CONFIG", help=_SPEC_HELP)
    show.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="a table (default; drawn with rich when installed and on a terminal) or JSON",
    )

    demo = sub.add_parser(
        "demo",
        help="train a small MLP on built-in data and draw its lr and loss curves",
        description=(
            "Train a small MLP on built-in synthetic data (three spirals) with AdamW, "
            "stepping lrplan.ScheduledLR every iteration, then write the lr and loss "
            "curves to a PNG or SVG (or a terminal chart without matplotlib)."
        ),
    )
    demo.add_argument("--epochs", type=_positive_int, default=None, help="passes over the data")
    demo.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("lrplan-demo.png"),
        help="PNG or SVG to write (default: %(default)s)",
    )
    demo.add_argument(
        "--schedule",
        metavar="SPEC_OR_CONFIG",
        help=(
            f"lr multiplier per step; {_SPEC_HELP}; epochs(...) and fraction(...) durations "
            "are bound to the run; default: warmup + cosine sized to the run"
        ),
    )
    demo.add_argument("--seed", type=int, default=0, help="data, weights and batch order")
    demo.add_argument("--lr", type=_positive_float, default=None, help="peak learning rate")
    demo.add_argument(
        "--key",
        default="lr",
        help=(
            "what --schedule drives (default: lr), and the schedule picked from a config "
            "that holds several: lr, weight_decay, momentum (AdamW's betas[0]), betas[0] "
            "or betas[1]; for another key the lr follows the default warmup + cosine"
        ),
    )
    demo.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _add_find_parser(sub)
    return parser


def _add_find_parser(sub: Any) -> None:
    """``lrplan find``: the LR range test (its run lives in lrplan._find_cli)."""
    find = sub.add_parser(
        "find",
        help="run the LR range test on the demo model or your own, and propose a plan",
        description=(
            "Run the learning-rate range test (Smith 2017): raise the lr from --start-lr "
            "to --end-lr over --steps steps, stop when the smoothed loss diverges, "
            "suggest a peak lr and print a schedule that uses it. Without SETUP it runs "
            "on the model and data of 'lrplan demo'. The model, optimizer and RNG states "
            "are restored afterwards."
        ),
    )
    find.add_argument(
        "setup",
        nargs="?",
        default=None,
        metavar="MODULE:FUNCTION",
        help=(
            "a function returning (model, optimizer, loss_fn, loader[, val_loader]); "
            "imported with the current directory on the path (default: the demo model)"
        ),
    )
    t = find.add_argument_group("the test")
    t.add_argument("--start-lr", type=_positive_float, default=1e-7, help="first lr (1e-7)")
    t.add_argument("--end-lr", type=_positive_float, default=10.0, help="last lr (10)")
    t.add_argument("--steps", type=_positive_int, default=100, help="steps in the ramp (100)")
    t.add_argument("--mode", choices=("exp", "linear"), default="exp", help="ramp (exp)")
    t.add_argument("--smooth-f", type=float, default=0.05, help="EMA weight of a new loss (0.05)")
    t.add_argument(
        "--diverge-th", type=float, default=5.0, help="stop above this x the best loss (5)"
    )
    t.add_argument("--no-stop", action="store_true", help="run the whole ramp even if it diverges")
    t.add_argument("--accumulate", type=_positive_int, default=1, help="batches per step (1)")
    t.add_argument("--seed", type=int, default=0, help="the demo's data, weights and batch order")
    r = find.add_argument_group("suggestion and plan")
    r.add_argument(
        "--rule",
        choices=("valley", "steepest", "steepest_lightning", "minimum", "steep"),
        default="valley",
        help="how to read the lr off the curve (default: valley)",
    )
    r.add_argument("--plan", choices=("cosine", "wsd"), default="cosine", help="plan shape")
    r.add_argument(
        "--total-steps",
        type=_positive_int,
        default=None,
        help="run length the plan is sized for (default: the demo's run, or 1000)",
    )
    o = find.add_argument_group("output")
    o.add_argument("-o", "--out", type=Path, default=None, help="write the curve to .png/.svg")
    o.add_argument("--terminal", action="store_true", help="draw a terminal chart (plotext)")
    o.add_argument("--width", type=_positive_int, default=None, help="terminal chart columns")
    o.add_argument("--height", type=_positive_int, default=None, help="terminal chart rows")
    o.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    o.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _error(message: str) -> None:
    print(f"lrplan: error: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- shared steps


def _units(args: argparse.Namespace) -> Units:
    try:
        return Units(key=args.key, base=args.base, steps_per_epoch=args.steps_per_epoch)
    except ValueError as exc:
        raise UsageError(str(exc).replace("base=", "--base-lr ")) from exc


def _total_steps(args: argparse.Namespace) -> float | None:
    """The run length from --total-steps, --epochs x --steps-per-epoch, or --steps."""
    total: float | None = args.total_steps
    if args.epochs is not None:
        if args.steps_per_epoch is None:
            raise UsageError(f"--epochs {args.epochs:g} needs --steps-per-epoch")
        from_epochs = args.epochs * args.steps_per_epoch
        if total is not None and not math.isclose(total, from_epochs, rel_tol=1e-12):
            raise UsageError(
                f"--total-steps {total:g} disagrees with --epochs x --steps-per-epoch "
                f"= {from_epochs:g}; give one of them"
            )
        total = from_epochs
    return total if total is not None else args.steps


def _load(text: str, args: argparse.Namespace, total: float | None) -> Schedule:
    schedule = load_schedule(text, key=args.key)
    if isinstance(schedule, Unbound):
        try:
            schedule = bind_schedule(
                schedule, total_steps=total, steps_per_epoch=args.steps_per_epoch
            )
        except SpecError as exc:
            raise SpecError(
                f"{exc}. On the command line, --steps or --total-steps (or --epochs with "
                "--steps-per-epoch) gives the run length and --steps-per-epoch the epoch size."
            ) from exc
    return schedule


def _label(text: str) -> str:
    """A legend label for a spec or config path: the file name, or the spec shortened."""
    text = text.strip()
    if text.lower().endswith(CONFIG_SUFFIXES):
        return Path(text).name
    if len(text) <= _LABEL_CHARS:
        return text
    return text[: _LABEL_CHARS - 3] + "..."


def _range(named: dict[str, Schedule], args: argparse.Namespace, total: float | None) -> int:
    """The last step to draw or tabulate; a note on stderr when it is a guess."""
    if args.steps is not None:
        return int(args.steps)
    if total is not None:
        return max(1, math.ceil(total))
    try:
        steps, note = default_range(named)
    except ValueError as exc:  # a schedule that cannot be evaluated near its end
        raise SpecError(str(exc)) from exc
    if note is not None:
        print(f"note: {note} (choose the range with --steps)", file=sys.stderr)
    return steps


def _check_values(named: dict[str, Schedule], steps: int) -> None:
    """Evaluate every schedule over the range first, so a bad one fails before any output."""
    for label, s in named.items():
        try:
            for ts in _step_chunks(steps):
                s.values(ts)
        except ValueError as exc:
            raise SpecError(f"cannot evaluate {label!r} over steps 0..{steps}: {exc}") from exc


def _check_out(out: Path | None) -> None:
    """Refuse an output file with an unknown suffix (a usage error) before any work."""
    if out is not None:
        try:
            check_figure_path(out)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc


def _draw(named: dict[str, Schedule], steps: int, units: Units, args: argparse.Namespace) -> None:
    if args.out is not None:
        plot_schedules(named, steps, args.out, log=args.log, title=args.title, units=units)
    asked = args.terminal or args.out is None
    if asked or sys.stdout.isatty():
        try:
            chart = terminal_chart(
                named,
                steps,
                width=args.width,
                height=args.height,
                log=args.log,
                title=args.title,
                units=units,
            )
        except ImportError:
            if asked:
                raise
        else:
            print(chart)


# --------------------------------------------------------------------------- commands


def _cmd_plot(args: argparse.Namespace) -> int:
    units = _units(args)
    _check_out(args.out)
    total = _total_steps(args)
    schedule = _load(args.spec, args, total)
    named = {_label(args.spec): schedule}
    steps = _range(named, args, total)
    _check_values(named, steps)
    _draw(named, steps, units, args)
    print(repr(schedule))
    print(key_points(schedule, steps, units))
    if args.out is not None:
        print(f"wrote {args.out}")
    return EXIT_OK


def _cmd_compare(args: argparse.Namespace) -> int:
    units = _units(args)
    _check_out(args.out)
    if args.labels is not None and len(args.labels) != len(args.specs):
        raise UsageError(
            f"--labels gave {len(args.labels)} label(s) for {len(args.specs)} schedule(s); "
            "give one per schedule, after the schedules"
        )
    total = _total_steps(args)
    named: dict[str, Schedule] = {}
    for i, text in enumerate(args.specs):
        schedule = _load(text, args, total)
        label = args.labels[i] if args.labels is not None else _label(text)
        if label in named:
            label = f"{label} ({i + 1})"
        named[label] = schedule
    steps = _range(named, args, total)
    _check_values(named, steps)
    _draw(named, steps, units, args)
    width = max(len(label) for label in named)
    for label, schedule in named.items():
        print(f"{label:<{width}}  {key_points(schedule, steps, units)}")
    if args.out is not None:
        print(f"wrote {args.out}")
    return EXIT_OK


def _table_rows(rows: list[KeyPoint], units: Units) -> tuple[list[str], list[list[str]]]:
    """The table's header and rows; boundary rows only up to MAX_TABLE_BOUNDARIES of them
    (more are summarised under the table by :func:`_summarise`)."""
    header = ["point", "step"]
    if units.steps_per_epoch is not None:
        header.append("epoch")
    header.append("value")
    if units.base is not None:
        header.append(units.key)
    many = sum(r.name == "boundary" for r in rows) > MAX_TABLE_BOUNDARIES
    body: list[list[str]] = []
    for r in rows:
        if many and r.name == "boundary":
            continue
        cells = [r.name, _step_text(r.step)]
        if units.steps_per_epoch is not None:
            cells.append(f"{r.step / units.steps_per_epoch:,.6g}")
        cells.append(f"{r.value:.6g}")
        if units.base is not None:
            cells.append(f"{r.value * units.base:.6g}")
        body.append(cells)
    return header, body


def _run_at(steps: Sequence[float], i: int) -> tuple[int, int]:
    """The longest run from ``steps[i]`` on that repeats a pattern of ``q <= 4`` gaps:
    ``(q, end)``, where ``steps[i:end]`` is the run; ``(0, i + 1)`` for none."""
    best = (0, i + 1)
    for q in range(1, 5):
        if i + q >= len(steps):
            break
        period = steps[i + q] - steps[i]
        k = i
        while k + q < len(steps) and math.isclose(steps[k + q] - steps[k], period, rel_tol=1e-9):
            k += 1
        end = k + q  # steps[i:end] follow the pattern
        if end - i >= 2 * q + 2 and end > best[1]:
            best = (q, end)
    return best


def _summarise(steps: Sequence[float]) -> list[str]:
    """Boundaries as lines of text, repeats summarised by their period.

    Example:
        >>> from lrplan.cli import _summarise
        >>> _summarise([5.0, 15.0, 25.0, 35.0, 45.0, 50.5])
        ['every 10 steps: 5, 15, ..., 45 (5 boundaries)', 'at step 50.5']
        >>> _summarise([2.0, 10.0, 12.0, 20.0, 22.0, 30.0])
        ['2, 10 repeating every 10 steps: 2, 10, 12, ..., 30 (6 boundaries)']
    """
    lines: list[str] = []
    i = 0
    while i < len(steps):
        q, end = _run_at(steps, i)
        if q == 0:
            lines.append(f"at step {_step_text(steps[i])}")
            i += 1
            continue
        period = _step_text(steps[i + q] - steps[i])
        shown = ", ".join(_step_text(b) for b in steps[i : i + q + 1])
        what = f"every {period} steps"
        if q > 1:
            pattern = ", ".join(_step_text(b) for b in steps[i : i + q])
            what = f"{pattern} repeating {what}"
        last = _step_text(steps[end - 1])
        lines.append(f"{what}: {shown}, ..., {last} ({end - i:,} boundaries)")
        i = end
    return lines


def _plain_table(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = []
    for row in [header, *body]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _rich_table(header: list[str], body: list[list[str]]) -> bool:
    """Print with rich when it is installed and stdout is a terminal; False otherwise."""
    if not sys.stdout.isatty():
        return False
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return False
    table = Table(*header)
    for col in table.columns[1:]:
        col.justify = "right"
    for row in body:
        table.add_row(*row)
    Console().print(table)
    return True


def _cmd_show(args: argparse.Namespace) -> int:
    units = _units(args)
    total = _total_steps(args)
    schedule = _load(args.spec, args, total)
    named = {_label(args.spec): schedule}
    steps = _range(named, args, total)
    _check_values(named, steps)
    try:
        rows = key_point_table(schedule, steps)
    except ValueError as exc:  # more boundaries in the range than are listed at most
        raise UsageError(f"{exc} (--steps)") from exc
    if args.format == "json":
        by_name = {r.name: r.as_dict(units) for r in rows if r.name != "boundary"}
        doc: dict[str, Any] = {
            "schedule": repr(schedule),
            "key": units.key,
            "absolute": units.absolute,
            "base": units.base,
            "steps_per_epoch": units.steps_per_epoch,
            "steps": steps,
            "start": by_name["start"],
            "peak": by_name["peak"],
            "boundaries": [r.as_dict(units) for r in rows if r.name == "boundary"],
            "end": by_name["end"],
            "min": by_name["min"],
            "max": by_name["peak"],
        }
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    header, body = _table_rows(rows, units)
    print(repr(schedule))
    print(f"key points over steps 0..{steps:,}; {units.ylabel()}")
    print()
    if not _rich_table(header, body):
        print(_plain_table(header, body))
    bounds = [r.step for r in rows if r.name == "boundary"]
    if len(bounds) > MAX_TABLE_BOUNDARIES:
        lines = _summarise(bounds)
        print()
        print(f"{len(bounds):,} phase boundaries (--format json lists each with its value):")
        for line in lines[:MAX_TABLE_BOUNDARIES]:
            print(f"  {line}")
        if len(lines) > MAX_TABLE_BOUNDARIES:
            print(f"  ... and {len(lines) - MAX_TABLE_BOUNDARIES:,} more lines")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from lrplan import _demo  # trains a torch model: the one command that imports torch

    _check_out(args.out)
    epochs = args.epochs if args.epochs is not None else _demo.DEFAULT_EPOCHS
    total = epochs * _demo.STEPS_PER_EPOCH
    if args.key not in _demo.DEMO_KEYS:
        raise UsageError(
            f"--key {args.key!r}: the demo trains with AdamW and can schedule "
            f"{', '.join(_demo.DEMO_KEYS)}"
        )
    if args.key != "lr" and args.schedule is None:
        raise UsageError(f"--key {args.key} needs a --schedule for it")
    schedule = None
    if args.schedule is not None:
        schedule = bind_schedule(
            load_schedule(args.schedule, key=args.key),
            total_steps=total,
            steps_per_epoch=_demo.STEPS_PER_EPOCH,
        )
        _check_values({args.schedule: schedule}, total)
        try:  # AdamW's betas lie in [0, 1); lr and weight_decay multipliers are >= 0
            _demo.check_key_values(args.key, schedule, total, name=f"--key {args.key}")
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        if schedule.duration is not None and schedule.duration != total:
            print(
                f"note: the schedule lasts {schedule.duration:g} steps and this run "
                f"{total} ({epochs} epochs x {_demo.STEPS_PER_EPOCH}); "
                "past its end a schedule holds its final value",
                file=sys.stderr,
            )
    result = _demo.run_demo(
        epochs=epochs,
        schedule=schedule,
        seed=args.seed,
        base_lr=args.lr if args.lr is not None else _demo.DEFAULT_LR,
        out=args.out,
        progress=not args.quiet,
        key=args.key,
    )
    print(_demo.describe(result))
    if result.png is not None:
        print(f"wrote {result.png}")
    elif result.chart is not None:
        print(result.chart)
        print('matplotlib is not installed, so no PNG was written; pip install "lrplan[plot]"')
    else:
        print('no plotting library is installed, so no chart; pip install "lrplan[plot]"')
    return EXIT_OK


def _cmd_find(args: argparse.Namespace) -> int:
    # The range test trains a torch model: imported here, so no other command imports torch.
    from lrplan._find_cli import SetupError, run_find

    try:
        return run_find(args)
    except SetupError as exc:
        raise UsageError(str(exc)) from exc


_COMMANDS = {
    "plot": _cmd_plot,
    "compare": _cmd_compare,
    "show": _cmd_show,
    "demo": _cmd_demo,
    "find": _cmd_find,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrplan`` command line; returns the exit code.

    Example:
        >>> from lrplan.cli import main
        >>> main(["show", "Linear(steps=10"])
        2
    """
    parser = _parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return _COMMANDS[args.command](args)
    except (SpecError, UsageError) as exc:
        _error(str(exc))
        return EXIT_USAGE
    except BrokenPipeError:  # `lrplan show ... | head`: the reader left; stop quietly
        if argv is None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes
        return EXIT_FAILURE
    except (ImportError, OSError) as exc:
        _error(str(exc))
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
