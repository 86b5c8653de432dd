"""``lrplan demo``: train a small MLP under a schedule and draw the lr and loss curves.

The data is built in: three interleaved noisy spirals in the plane (a classic
problem a linear model cannot solve), generated from the seed, so the demo needs
no download and gives the same numbers on every run with the same seed (it
trains on one thread, whatever the machine's core count). The model is a
two-hidden-layer MLP trained with AdamW; the learning rate is driven per
iteration by :class:`lrplan.ScheduledLR`.

Example:
    >>> from lrplan._demo import run_demo
    >>> result = run_demo(epochs=2, out=None, progress=False)  # doctest: +SKIP
    >>> result.final_loss < result.initial_loss  # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np
import torch
from torch import nn

from lrplan import _plot
from lrplan._driver import ScheduledLR
from lrplan._schedules import Cosine, Schedule, warmup

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_EPOCHS",
    "DEFAULT_LR",
    "DEMO_KEYS",
    "POINTS_PER_CLASS",
    "STEPS_PER_EPOCH",
    "DemoResult",
    "check_key_values",
    "default_schedule",
    "describe",
    "make_spirals",
    "run_demo",
]

DEFAULT_EPOCHS = 30
DEFAULT_LR = 1e-2
POINTS_PER_CLASS = 1024
N_CLASSES = 3
BATCH_SIZE = 64
WARMUP_FRACTION = 0.1
FINAL_MULTIPLIER = 0.01
#: Optimizer steps in one demo epoch: the data size over the batch size.
STEPS_PER_EPOCH = (N_CLASSES * POINTS_PER_CLASS) // BATCH_SIZE
_HELD_OUT_SEED_OFFSET = 1_000_003

#: The keys ``--key`` may schedule, and the AdamW param-group entry each drives.
#: AdamW has no ``momentum``: as torch's ``OneCycleLR`` does for Adam, its first
#: beta (the averaging rate of the gradient) plays that part.
DEMO_KEYS = {
    "lr": "lr",
    "weight_decay": "weight_decay",
    "momentum": "betas[0]",
    "betas[0]": "betas[0]",
    "betas[1]": "betas[1]",
}

#: The values each key's schedule may take at every step of the run: AdamW's betas lie
#: in [0, 1) (a beta of 1 divides by zero in its bias correction, more diverges); the
#: lr and weight_decay schedules are multipliers of the base value, so at least 0.
_KEY_RANGES: dict[str, tuple[float, float]] = {
    "lr": (0.0, math.inf),
    "weight_decay": (0.0, math.inf),
    "momentum": (0.0, 1.0),
    "betas[0]": (0.0, 1.0),
    "betas[1]": (0.0, 1.0),
}


def check_key_values(key: str, schedule: Schedule, total: int, name: str | None = None) -> None:
    """Refuse a schedule whose value at some step ``0..total-1`` is out of ``key``'s range.

    ``momentum`` and the betas are AdamW's betas, absolute values in ``[0, 1)``;
    ``lr`` and ``weight_decay`` are multipliers of the base value, at least 0.
    ``name`` is how the error calls the key (default ``key 'momentum'``).

    Raises:
        ValueError: the first step whose value is out of range (or not finite).

    Example:
        >>> from lrplan import Linear
        >>> check_key_values("momentum", Linear(steps=10, start=0.95, end=0.85), 10)
        >>> too_high = Linear(steps=10, start=1.0, end=0.9)
        >>> check_key_values("momentum", too_high, 10)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: key 'momentum' (AdamW's betas[0]): values must lie in [0, 1) at ... step 0
    """
    lo, hi = _KEY_RANGES[key]
    values = np.asarray(schedule.values(np.arange(total, dtype=np.float64)), dtype=np.float64)
    bad = ~np.isfinite(values) | (values < lo) | (values >= hi)
    if not bad.any():
        return
    step = int(np.argmax(bad))
    what = f"AdamW's {DEMO_KEYS[key]}" if hi < math.inf else f"multipliers of the base {key}"
    span = f"[{lo:g}, {hi:g})" if hi < math.inf else f"at least {lo:g}"
    name = f"key {key!r}" if name is None else name
    raise ValueError(
        f"{name} ({what}): values must lie in {span} at every step of the run, "
        f"but the schedule gives {values[step]:g} at step {step}"
    )


def default_schedule(total_steps: int) -> Schedule:
    """Warmup over the first 10% of the run, then cosine down to 1% of the peak.

    Sized from the run length, so it ends exactly when training does.

    Example:
        >>> from lrplan._demo import default_schedule
        >>> plan = default_schedule(1000)
        >>> plan.duration == 1000, plan(0), plan(100), plan(1000)
        (True, 0.0, 1.0, 0.01)
    """
    if total_steps < 2:
        raise ValueError(f"the demo needs at least 2 steps, got {total_steps}")
    warm = max(1, round(total_steps * WARMUP_FRACTION))
    return warmup(Cosine(steps=total_steps - warm, end=FINAL_MULTIPLIER), steps=warm)


def make_spirals(
    points_per_class: int = POINTS_PER_CLASS,
    *,
    seed: int = 0,
    noise: float = 0.08,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Three interleaved spiral arms: inputs of shape ``(n, 2)`` and integer labels.

    Each point is displaced by Gaussian noise of standard deviation ``noise``, so
    neighbouring arms overlap a little and no model reaches zero loss.

    Example:
        >>> from lrplan._demo import make_spirals
        >>> x, y = make_spirals(10, seed=1)
        >>> tuple(x.shape), sorted(set(y.tolist()))
        ((30, 2), [0, 1, 2])
    """
    gen = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for c in range(N_CLASSES):
        radius = torch.linspace(0.05, 1.0, points_per_class)
        angle = c * 2 * math.pi / N_CLASSES + 3.5 * radius
        arm = torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)
        xs.append(arm + noise * torch.randn(points_per_class, 2, generator=gen))
        ys.append(torch.full((points_per_class,), c, dtype=torch.long))
    return torch.cat(xs), torch.cat(ys)


@dataclass(frozen=True)
class DemoResult:
    """What one demo run did.

    ``lrs[i]`` is the learning rate used by optimizer step ``i`` and ``losses[i]``
    that step's batch loss. ``initial_loss`` and ``final_loss`` are the loss on the
    whole training set before and after training; ``accuracy`` is measured on a
    held-out set drawn with another seed.
    """

    schedule: Schedule
    base_lr: float
    epochs: int
    steps_per_epoch: int
    lrs: list[float]
    losses: list[float]
    initial_loss: float
    final_loss: float
    accuracy: float
    seconds: float
    png: Path | None = None
    chart: str | None = field(default=None, repr=False)
    #: ``(key, schedule)`` when the schedule given drove another key than lr.
    extra: tuple[str, Schedule] | None = None
    #: That key's value used by each optimizer step (empty without ``extra``).
    extra_values: list[float] = field(default_factory=list, repr=False)

    @property
    def steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.lrs)


class _Progress:
    """A one-line progress bar on a stream: redrawn in place on a terminal,
    a few plain lines otherwise (CI logs)."""

    def __init__(self, total: int, epochs: int, stream: TextIO) -> None:
        self.total = total
        self.epochs = epochs
        self.stream = stream
        self.tty = stream.isatty()
        self.last_draw = 0.0
        self.drawn_width = 0
        self.logged_tenths = 0  # without a terminal: one line per tenth of the run

    def _line(self, step: int, epoch: int, loss: float, lr: float) -> str:
        frac = step / self.total
        width = 24
        filled = round(frac * width)
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"epoch {epoch:>{len(str(self.epochs))}}/{self.epochs} [{bar}] {frac:4.0%} "
            f"step {step}/{self.total}  loss {loss:.4f}  lr {lr:.3e}"
        )

    def update(self, step: int, epoch: int, loss: float, lr: float) -> None:
        if self.tty:
            done = step == self.total
            now = time.monotonic()
            if done or now - self.last_draw >= 0.05:
                self.last_draw = now
                line = self._line(step, epoch, loss, lr)
                self.stream.write("\r" + line.ljust(self.drawn_width))
                self.drawn_width = len(line)
                if done:
                    self.stream.write("\n")
                self.stream.flush()
        elif step == 1 or step * 10 // self.total > self.logged_tenths:
            self.logged_tenths = step * 10 // self.total
            self.stream.write(self._line(step, epoch, loss, lr) + "\n")
            self.stream.flush()


def _train(
    schedule: Schedule,
    *,
    epochs: int,
    seed: int,
    base_lr: float,
    progress: _Progress | None,
    extra: tuple[str, Schedule] | None = None,
    extra_values: list[float] | None = None,
) -> tuple[list[float], list[float], float, float, float]:
    # The model is tiny: extra intra-op threads only add synchronisation, and on a
    # busy machine they made each step tens of times slower (measured: 1440 steps
    # in 1.9 s on one thread, 6.1 s on two, on a loaded 2-core box). One thread also
    # keeps the numbers independent of the machine's core count.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train_single_thread(
            schedule,
            epochs=epochs,
            seed=seed,
            base_lr=base_lr,
            progress=progress,
            extra=extra,
            extra_values=extra_values,
        )
    finally:
        torch.set_num_threads(threads)


def _train_single_thread(
    schedule: Schedule,
    *,
    epochs: int,
    seed: int,
    base_lr: float,
    progress: _Progress | None,
    extra: tuple[str, Schedule] | None = None,
    extra_values: list[float] | None = None,
) -> tuple[list[float], list[float], float, float, float]:
    x, y = make_spirals(seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(
            nn.Linear(2, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, N_CLASSES)
        )
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        initial_loss = float(loss_fn(model(x), y))
    opt = torch.optim.AdamW(model.parameters(), lr=base_lr, weight_decay=1e-4)
    sched = ScheduledLR(opt, schedule)
    other = None if extra is None else ScheduledLR(opt, extra[1], key=DEMO_KEYS[extra[0]])
    lrs: list[float] = []
    losses: list[float] = []
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x), generator=gen)
        for i in range(STEPS_PER_EPOCH):
            idx = order[i * BATCH_SIZE : (i + 1) * BATCH_SIZE]
            lr = float(opt.param_groups[0]["lr"])
            if other is not None and extra_values is not None:
                extra_values.append(float(other.get_last_lr()[0]))
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if other is not None:
                other.step()
            lrs.append(lr)
            losses.append(loss.item())
            if progress is not None:
                progress.update(len(lrs), epoch, losses[-1], lr)
    with torch.no_grad():
        final_loss = float(loss_fn(model(x), y))
        x_val, y_val = make_spirals(seed=seed + _HELD_OUT_SEED_OFFSET)
        accuracy = float((model(x_val).argmax(dim=1) == y_val).float().mean())
    return lrs, losses, initial_loss, final_loss, accuracy


def run_demo(
    *,
    epochs: int = DEFAULT_EPOCHS,
    schedule: Schedule | None = None,
    seed: int = 0,
    base_lr: float = DEFAULT_LR,
    out: str | os.PathLike[str] | None = "lrplan-demo.png",
    progress: bool = True,
    stream: TextIO | None = None,
    key: str = "lr",
) -> DemoResult:
    """Train the demo model and, if ``out`` is given, draw the curves.

    With matplotlib installed the curves go to a PNG at ``out``; without it a
    terminal chart (plotext) is drawn into ``result.chart`` instead. With neither,
    no picture is made and ``result.png`` and ``result.chart`` are ``None``.

    Args:
        epochs: passes over the data (48 steps each).
        schedule: multiplier of ``base_lr`` per step; by default warmup + cosine
            sized to the run (:func:`default_schedule`). Durations in
            ``epochs(...)`` or ``fraction(...)`` are bound to this run.
        seed: makes the data, the initial weights and the batch order.
        base_lr: the peak learning rate of AdamW.
        out: PNG path, or ``None`` for no picture.
        progress: draw a progress bar on ``stream`` (stderr by default).
        stream: where progress goes.
        key: what ``schedule`` drives (:data:`DEMO_KEYS`): ``"lr"`` (the default),
            or ``"momentum"`` (AdamW's ``betas[0]``, absolute values),
            ``"betas[0]"``, ``"betas[1]"``, ``"weight_decay"``; for another key
            than lr, the lr follows :func:`default_schedule`.

    Raises:
        ValueError: bad ``epochs`` or ``key``; a schedule with a value out of the
            key's range at some step of the run (:func:`check_key_values`).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if key not in DEMO_KEYS:
        raise ValueError(f"key must be one of {sorted(DEMO_KEYS)} for the demo, got {key!r}")
    spe = STEPS_PER_EPOCH
    total = epochs * spe
    extra = None
    if schedule is None:
        plan = default_schedule(total)
    else:  # a plan in epochs or fractions of the run is resolved for this run
        plan = schedule.bind(total_steps=total, steps_per_epoch=spe)
    if schedule is not None:
        check_key_values(key, plan, total)
    if key != "lr" and schedule is not None:
        extra = (key, plan)
        plan = default_schedule(total)
    bar = _Progress(total, epochs, stream or sys.stderr) if progress else None
    start = time.perf_counter()
    extra_values: list[float] = []
    lrs, losses, initial_loss, final_loss, accuracy = _train(
        plan,
        epochs=epochs,
        seed=seed,
        base_lr=base_lr,
        progress=bar,
        extra=extra,
        extra_values=extra_values,
    )
    seconds = time.perf_counter() - start
    result = DemoResult(
        schedule=plan,
        base_lr=base_lr,
        epochs=epochs,
        steps_per_epoch=spe,
        lrs=lrs,
        losses=losses,
        initial_loss=initial_loss,
        final_loss=final_loss,
        accuracy=accuracy,
        seconds=seconds,
        extra=extra,
        extra_values=extra_values,
    )
    if out is None:
        return result
    return _draw(result, Path(out))


def _title(result: DemoResult) -> str:
    return (
        f"lrplan demo: MLP on 3 spirals, {result.epochs} epochs x {result.steps_per_epoch} steps; "
        f"final loss {result.final_loss:.4f}, held-out accuracy {result.accuracy:.1%}"
    )


def _draw(result: DemoResult, out: Path) -> DemoResult:
    bounds = set(result.schedule.boundaries(until=result.steps))
    extra = None
    if result.extra is not None:
        key, schedule = result.extra
        bounds.update(schedule.boundaries(until=result.steps))
        extra = (f"{key} (AdamW {DEMO_KEYS[key]})", result.extra_values)
    try:
        _plot.plot_training(
            lrs=result.lrs,
            losses=result.losses,
            boundaries=sorted(bounds),
            steps_per_epoch=result.steps_per_epoch,
            title=_title(result),
            path=out,
            extra=extra,
        )
        return replace(result, png=out)
    except ImportError:
        pass
    try:
        chart = _plot.training_chart(
            lrs=result.lrs, losses=result.losses, boundaries=sorted(bounds), extra=extra
        )
    except ImportError:
        return result
    return replace(result, chart=chart)


def describe(result: DemoResult) -> str:
    """The few lines the CLI prints after a run."""
    lines = [
        f"trained {result.steps} steps ({result.epochs} epochs) in {result.seconds:.1f}s "
        f"under {result.schedule!r}",
        f"loss {result.initial_loss:.4f} -> {result.final_loss:.4f}, "
        f"held-out accuracy {result.accuracy:.1%}",
    ]
    if result.extra is not None:
        key, schedule = result.extra
        lines.append(f"{key} (AdamW's {DEMO_KEYS[key]}) under {schedule!r}")
    return "\n".join(lines)
