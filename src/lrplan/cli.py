"""The ``lrplan`` command line: ``lrplan demo`` and ``lrplan plot``.

Exit codes: 0 on success, 2 for a bad spec, config or argument, 1 when an
optional dependency the command needs is missing or a file cannot be written.

Example:
    >>> from lrplan.cli import main
    >>> main(["plot", "Cosine(steps=100, end=0.1)", "--terminal"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_SPEC_HELP = (
    'a spec such as "warmup(Cosine(steps=9500, end=0.01), steps=500)", '
    "or a .json/.yaml/.yml config file"
)


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
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lrplan")
    except PackageNotFoundError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrplan",
        description="Look at learning-rate schedules before you train with them.",
    )
    parser.add_argument("--version", action="version", version=f"lrplan {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = sub.add_parser(
        "demo",
        help="train a small MLP on built-in data and draw its lr and loss curves",
        description=(
            "Train a small MLP on built-in synthetic data (three spirals) with AdamW, "
            "stepping lrplan.ScheduledLR every iteration, then write the lr and loss "
            "curves to a PNG (or a terminal chart without matplotlib)."
        ),
    )
    demo.add_argument("--epochs", type=_positive_int, default=None, help="passes over the data")
    demo.add_argument(
        "--out",
        "-o",
        type=Path,
        default=Path("lrplan-demo.png"),
        help="PNG to write (default: %(default)s)",
    )
    demo.add_argument(
        "--schedule",
        metavar="SPEC_OR_CONFIG",
        help=f"lr multiplier per step; {_SPEC_HELP}; default: warmup + cosine sized to the run",
    )
    demo.add_argument("--seed", type=int, default=0, help="data, weights and batch order")
    demo.add_argument("--lr", type=_positive_float, default=None, help="peak learning rate")
    demo.add_argument("--quiet", "-q", action="store_true", help="no progress bar")

    plot = sub.add_parser(
        "plot",
        help="draw a schedule as a PNG and/or a terminal chart",
        description=(
            "Draw a schedule. -o writes a PNG; the terminal chart is drawn with --terminal, "
            "when no -o is given, or when stdout is a terminal."
        ),
    )
    plot.add_argument("spec", metavar="SPEC_OR_CONFIG", help=_SPEC_HELP)
    plot.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        help=(
            "last step drawn, and the run length for plans with fraction(...) durations "
            "(default: the schedule's duration, or 1000 if it has none)"
        ),
    )
    plot.add_argument(
        "--steps-per-epoch",
        type=_positive_float,
        default=None,
        help="epoch size in steps, for plans with durations in epochs(...)",
    )
    plot.add_argument("-o", "--out", type=Path, default=None, help="PNG to write")
    plot.add_argument("--terminal", action="store_true", help="draw a terminal chart")
    plot.add_argument("--log", action="store_true", help="logarithmic y axis")
    plot.add_argument(
        "--title", default=None, help="chart title (default: start, peak and end values)"
    )
    plot.add_argument("--width", type=_positive_int, default=None, help="terminal chart columns")
    plot.add_argument("--height", type=_positive_int, default=None, help="terminal chart rows")
    return parser


def _error(message: str) -> None:
    print(f"lrplan: error: {message}", file=sys.stderr)


def _cmd_plot(args: argparse.Namespace) -> int:
    from lrplan._plot import default_steps, key_points, plot_schedules, terminal_chart
    from lrplan._schedules import Unbound
    from lrplan._spec import SpecError, bind_schedule, load_schedule

    schedule = load_schedule(args.spec)
    if isinstance(schedule, Unbound):
        try:
            schedule = bind_schedule(
                schedule, total_steps=args.steps, steps_per_epoch=args.steps_per_epoch
            )
        except SpecError as exc:
            raise SpecError(
                f"{exc}. On the command line, --steps gives the run length and "
                "--steps-per-epoch the epoch size."
            ) from exc
    named = {args.spec if len(args.spec) <= 80 else repr(schedule): schedule}
    steps = args.steps if args.steps is not None else default_steps(named)
    try:  # the values first: a schedule with after="raise" refuses steps past its end
        summary = f"{schedule!r}\n{key_points(schedule, steps)}"
    except ValueError as exc:
        raise SpecError(f"cannot draw {schedule!r} over steps 0..{steps}: {exc}") from exc
    if args.out is not None:
        plot_schedules(named, steps, args.out, log=args.log, title=args.title)
    asked = args.terminal or args.out is None
    if asked or sys.stdout.isatty():
        try:
            chart = terminal_chart(
                named, steps, width=args.width, height=args.height, log=args.log, title=args.title
            )
        except ImportError:
            if asked:
                raise
        else:
            print(chart)
    print(summary)
    if args.out is not None:
        print(f"wrote {args.out}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from lrplan import _demo
    from lrplan._spec import bind_schedule, load_schedule

    epochs = args.epochs if args.epochs is not None else _demo.DEFAULT_EPOCHS
    total = epochs * _demo.STEPS_PER_EPOCH
    schedule = None
    if args.schedule is not None:
        schedule = bind_schedule(
            load_schedule(args.schedule),
            total_steps=total,
            steps_per_epoch=_demo.STEPS_PER_EPOCH,
        )
    if schedule is not None and schedule.duration is not None and schedule.duration != total:
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrplan`` command line; returns the exit code.

    Example:
        >>> from lrplan.cli import main
        >>> main(["plot", "Linear(steps=10", "--terminal"])  # doctest: +SKIP
        2
    """
    from lrplan._spec import SpecError

    parser = _parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        if args.command == "plot":
            return _cmd_plot(args)
        return _cmd_demo(args)
    except SpecError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except (ImportError, OSError) as exc:
        _error(str(exc))
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
