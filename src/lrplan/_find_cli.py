"""``lrplan find``: the range test on the demo model or on the user's ``module:function``.

The setup function takes no arguments and returns ``(model, optimizer, loss_fn,
loader)`` or ``(model, optimizer, loss_fn, loader, val_loader)``; the loader yields
``(inputs, targets, ...)`` batches. Without a setup the test runs on the model and
data of ``lrplan demo`` (:func:`demo_setup`).

Example:
    >>> from lrplan._find_cli import demo_setup
    >>> model, optimizer, loss_fn, loader = demo_setup(seed=0)
    >>> type(optimizer).__name__, len(loader), optimizer.param_groups[0]["lr"]
    ('AdamW', 48, 0.01)
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import nn

from lrplan._demo import BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_LR, STEPS_PER_EPOCH, make_spirals
from lrplan._find import RULES, FindResult, RangeTest, find_lr

__all__ = ["DEMO_TOTAL_STEPS", "SetupError", "demo_setup", "load_setup", "run_find"]

#: The run the plan is sized for on the demo task: ``lrplan demo``'s default run.
DEMO_TOTAL_STEPS = DEFAULT_EPOCHS * STEPS_PER_EPOCH

#: The run the plan is sized for on a user's setup when ``--total-steps`` is not given.
DEFAULT_TOTAL_STEPS = 1000


class SetupError(ValueError):
    """The setup or the options cannot be used as given (the CLI's exit code 2)."""


class ShuffledBatches:
    """Mini-batches of ``(x, y)`` in a new random order on every pass, drawn from a
    generator of its own (the global RNG is left alone), like ``lrplan demo``'s epochs."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.x), generator=self.generator)
        for i in range(len(self)):
            idx = order[i * self.batch_size : (i + 1) * self.batch_size]
            yield self.x[idx], self.y[idx]


def demo_setup(
    seed: int = 0,
) -> tuple[nn.Module, torch.optim.Optimizer, nn.Module, ShuffledBatches]:
    """The model, optimizer, loss and batches of ``lrplan demo``: an MLP (2-64-64-3, GELU)
    on three noisy spirals, AdamW at the demo's lr with weight decay 1e-4, batches of 64
    in a new order each pass (the demo's first epoch comes first)."""
    x, y = make_spirals(seed=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Linear(2, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 3)
        )
    optimizer = torch.optim.AdamW(model.parameters(), lr=DEFAULT_LR, weight_decay=1e-4)
    return model, optimizer, nn.CrossEntropyLoss(), ShuffledBatches(x, y, BATCH_SIZE, seed + 1)


def load_setup(target: str) -> tuple[Any, ...]:
    """Import ``module:function`` (the current directory is on the path), call it and
    check what it returns.

    Raises:
        SetupError: the target is malformed, cannot be imported, or returns something
            else than ``(model, optimizer, loss_fn, loader[, val_loader])`` with
            iterable loaders (``val_loader`` may be ``None``).
    """
    module_name, sep, func_name = target.partition(":")
    if not sep or not module_name or not func_name.isidentifier():
        raise SetupError(f"the setup must be given as module:function, got {target!r}")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SetupError(f"cannot import {module_name!r} for {target!r}: {exc}") from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise SetupError(f"{module_name!r} has no function {func_name!r}")
    setup = func()
    if not isinstance(setup, tuple | list) or len(setup) not in (4, 5):
        raise SetupError(
            f"{target} must return (model, optimizer, loss_fn, loader) or (model, "
            f"optimizer, loss_fn, loader, val_loader), got {type(setup).__name__}"
        )
    model, optimizer = setup[0], setup[1]
    if not isinstance(model, nn.Module):
        raise SetupError(
            f"{target}: the model must be a torch.nn.Module, got {type(model).__name__}"
        )
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise SetupError(
            f"{target}: the optimizer must be a torch.optim.Optimizer, "
            f"got {type(optimizer).__name__}"
        )
    if not callable(setup[2]):
        raise SetupError(f"{target}: the loss function must be callable")
    for i, name in ((3, "loader"), (4, "val_loader")):
        if i < len(setup) and not (i == 4 and setup[i] is None):
            try:
                iter(setup[i])
            except TypeError:
                raise SetupError(
                    f"{target}: the {name} must be iterable (a DataLoader or a list of "
                    f"batches), got {type(setup[i]).__name__}"
                ) from None
    return tuple(setup)


def _progress(
    stream: TextIO,
) -> tuple[Callable[[int, int, float, float], None], Callable[[], None]]:
    """(update, close) for a progress display on ``stream``: a rich bar on a terminal
    when rich is installed, else one plain line per tenth of the ramp."""
    if stream.isatty():
        try:
            from rich.console import Console
            from rich.progress import Progress
        except ImportError:
            pass
        else:
            bar = Progress(console=Console(file=stream), transient=False)
            bar.start()
            task = bar.add_task("range test", total=None)

            def update_rich(step: int, total: int, lr: float, loss: float) -> None:
                bar.update(
                    task,
                    completed=step,
                    total=total,
                    description=f"range test  lr {lr:.2e}  loss {loss:.4g}",
                )

            def close_rich() -> None:
                bar.stop()

            return update_rich, close_rich
    shown = [0]

    def update_plain(step: int, total: int, lr: float, loss: float) -> None:
        tenth = step * 10 // total
        if step == 1 or tenth > shown[0]:
            shown[0] = tenth
            stream.write(f"range test: step {step}/{total}  lr {lr:.3e}  loss {loss:.4g}\n")
            stream.flush()

    return update_plain, _nothing


def _nothing() -> None:
    pass


def _strict(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``None``: strict JSON has no
    NaN or Infinity (a diverged loss is often one)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj


def _table(result: FindResult) -> str:
    rows = ["rule                 lr         plausible range"]
    for rule in RULES:
        s = result.suggest(rule)
        if s.lr is None:
            rows.append(f"{rule:<20} {'-':<10} (no suggestion)")
        else:
            rows.append(f"{rule:<20} {s.lr:<10.3g} [{s.low:.3g}, {s.high:.3g}]")
    return "\n".join(rows)


def run_find(args: argparse.Namespace) -> int:
    """Run ``lrplan find`` from parsed arguments; print the result; return the exit code."""
    if args.out is not None and args.out.suffix.lower() not in (".png", ".svg"):
        raise SetupError(f"--out must end in .png or .svg, got {str(args.out)!r}")
    if args.setup is None:
        model, optimizer, loss_fn, loader = demo_setup(seed=args.seed)
        val_loader = None
        total = args.total_steps or DEMO_TOTAL_STEPS
        where = "the demo model (MLP on three spirals, AdamW)"
    else:
        model, optimizer, loss_fn, loader, *rest = load_setup(args.setup)
        val_loader = rest[0] if rest else None
        total = args.total_steps or DEFAULT_TOTAL_STEPS
        where = args.setup
    settings: dict[str, Any] = {
        "start_lr": args.start_lr,
        "end_lr": args.end_lr,
        "num_steps": args.steps,
        "mode": args.mode,
        "smooth_f": args.smooth_f,
        "diverge_th": args.diverge_th,
        "stop_on_divergence": not args.no_stop,
    }
    try:  # every argument is checked before any training
        RangeTest(optimizer, model=model, **settings)
        if args.accumulate < 1:
            raise ValueError(f"--accumulate must be >= 1, got {args.accumulate}")
        if total < 2:
            raise ValueError(f"--total-steps must be >= 2, got {total}")
    except (TypeError, ValueError) as exc:
        raise SetupError(str(exc)) from exc
    update: Callable[[int, int, float, float], None] | None = None
    close: Callable[[], None] = _nothing
    if not args.quiet:
        update, close = _progress(sys.stderr)
    threads = torch.get_num_threads()
    if args.setup is None:  # the demo model is tiny: one thread is fastest (see _demo)
        torch.set_num_threads(1)
    start = time.perf_counter()
    try:
        result = find_lr(
            model,
            optimizer,
            loss_fn,
            loader,
            val_loader=val_loader,
            accumulation_steps=args.accumulate,
            progress=update,
            **settings,
        )
    except (TypeError, ValueError) as exc:  # BatchError, an empty loader, a zero lr, ...
        raise SetupError(f"{where}: {exc}") from exc
    finally:
        close()
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    suggestion = result.suggest(args.rule)
    if args.format == "json":
        out: dict[str, Any] = {
            "setup": where,
            "lrs": result.lrs,
            "losses": result.losses,
            "smoothed": result.smoothed,
            "stop_reason": result.stop_reason,
            "skipped": result.skipped,
            "suggestions": {
                rule: {"lr": s.lr, "low": s.low, "high": s.high, "reason": s.reason}
                for rule, s in result.suggestions().items()
            },
        }
        if suggestion.lr is not None:
            plan = result.plan(total, rule=args.rule, shape=args.plan)
            out["plan"] = {"lr": plan.lr, "spec": plan.spec, "total_steps": total}
        print(json.dumps(_strict(out), indent=2, allow_nan=False))
    else:
        print(f"range test on {where}: {seconds:.1f}s")
        print(result.summary(args.rule))
        print()
        print(_table(result))
    if args.out is not None:
        try:
            result.plot(args.out, rule=args.rule)
        except ImportError as exc:
            print(f"no picture: {exc}", file=sys.stderr)
        else:
            if args.format != "json":
                print(f"wrote {args.out}")
    if args.terminal or (args.out is None and args.format != "json" and sys.stdout.isatty()):
        try:
            print(result.terminal_chart(rule=args.rule, width=args.width, height=args.height))
        except ImportError:
            if args.terminal:
                raise
    if suggestion.lr is None:
        if args.format != "json":
            print("\nno plan: the curve supports no suggestion (see above)")
        return 0
    if args.format != "json":
        plan = result.plan(total, rule=args.rule, shape=args.plan)
        print()
        print(f"proposed plan over {total} steps (set the optimizer's lr to {plan.lr:.3g}):")
        print(f"  {plan.spec}")
        print(f'look at it with:  lrplan show "{plan.spec}" --base-lr {plan.lr:.3g}')
    return 0
