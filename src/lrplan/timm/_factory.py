"""timm's scheduler factories: ``create_scheduler_v2``, ``scheduler_kwargs``, ``create_scheduler``.

Same names, arguments, defaults and return values as ``timm.scheduler`` 1.0.31,
building lrplan's classes, so timm's training script runs on them unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch.optim import Optimizer

from .._driver import LRScheduler
from ._plateau import PlateauLRScheduler
from ._schedulers import (
    CosineLRScheduler,
    MultiStepLRScheduler,
    PolyLRScheduler,
    StepLRScheduler,
    TanhLRScheduler,
    WSDLRScheduler,
)

__all__ = ["SCHEDULER_NAMES", "create_scheduler", "create_scheduler_v2", "scheduler_kwargs"]

#: The names ``create_scheduler_v2`` accepts for ``sched``.
SCHEDULER_NAMES = (
    "cosine",
    "tanh",
    "step",
    "constant",
    "multistep",
    "plateau",
    "poly",
    "wsd",
    "rsqrt",
    "none",
)


def scheduler_kwargs(cfg: Any, decreasing_metric: bool | None = None) -> dict[str, Any]:
    """``create_scheduler_v2``'s keyword arguments read from an argparse namespace or a
    config object (timm's ``train.py`` argument names), with timm's defaults for the
    ones it lacks. ``plateau_mode`` is ``"min"`` when ``decreasing_metric`` (or, when it
    is ``None``, when ``cfg.eval_metric`` names a loss), else ``"max"``.

    Example:
        >>> from types import SimpleNamespace
        >>> from lrplan.timm import scheduler_kwargs
        >>> kw = scheduler_kwargs(SimpleNamespace(sched="cosine", epochs=50))
        >>> kw["num_epochs"], kw["warmup_epochs"], kw["plateau_mode"]
        (50, 5, 'max')
    """

    def get(name: str, default: Any) -> Any:
        return getattr(cfg, name, default)

    if decreasing_metric is not None:
        plateau_mode = "min" if decreasing_metric else "max"
    else:
        plateau_mode = "min" if "loss" in get("eval_metric", "top1") else "max"
    return {
        "sched": cfg.sched,
        "num_epochs": get("epochs", 100),
        "decay_epochs": get("decay_epochs", 30),
        "decay_milestones": get("decay_milestones", [30, 60]),
        "warmup_epochs": get("warmup_epochs", 5),
        "cooldown_epochs": get("cooldown_epochs", 0),
        "patience_epochs": get("patience_epochs", 10),
        "decay_rate": get("decay_rate", 0.1),
        "min_lr": get("min_lr", 0.0),
        "warmup_lr": get("warmup_lr", 1e-5),
        "warmup_prefix": get("warmup_prefix", False),
        "noise": get("lr_noise", None),
        "noise_pct": get("lr_noise_pct", 0.67),
        "noise_std": get("lr_noise_std", 1.0),
        "noise_seed": get("seed", 42),
        "cycle_mul": get("lr_cycle_mul", 1.0),
        "cycle_decay": get("lr_cycle_decay", 0.1),
        "cycle_limit": get("lr_cycle_limit", 1),
        "k_decay": get("lr_k_decay", 1.0),
        "decay_fn": get("lr_decay_fn", None),
        "stable_timescale": get("lr_stable_timescale", None),
        "plateau_mode": plateau_mode,
        "step_on_epochs": not get("sched_on_updates", False),
    }


def create_scheduler(
    args: Any, optimizer: Optimizer, updates_per_epoch: int = 0
) -> tuple[LRScheduler | None, int]:
    """timm's older factory: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args),
    updates_per_epoch=updates_per_epoch)``."""
    return create_scheduler_v2(
        optimizer=optimizer, **scheduler_kwargs(args), updates_per_epoch=updates_per_epoch
    )


def _noise_range(noise: Any, t_initial: float) -> Any:
    """``noise`` (fractions of the schedule) as ``noise_range_t`` in time units."""
    if noise is None:
        return None
    if isinstance(noise, list | tuple):
        points = [n * t_initial for n in noise]
        return points[0] if len(points) == 1 else points
    return noise * t_initial


def create_scheduler_v2(
    optimizer: Optimizer,
    sched: str = "cosine",
    num_epochs: int = 300,
    decay_epochs: float | None = None,
    decay_milestones: Sequence[int] = (90, 180, 270),
    cooldown_epochs: int = 0,
    patience_epochs: int = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: int = 0,
    warmup_prefix: bool = False,
    noise: float | Sequence[float] | None = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: str = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> tuple[LRScheduler | None, int]:
    """A scheduler by timm's name, and the number of epochs to train: timm's factory.

    ``sched`` is one of :data:`SCHEDULER_NAMES`: ``cosine``, ``tanh``, ``poly``
    (``decay_rate`` is its power), ``step`` (every ``decay_epochs``, default 90),
    ``constant`` (a step schedule that never decays: warmup and ``lr_scale`` only),
    ``multistep`` (``decay_milestones``), ``plateau``, ``wsd``/``rsqrt`` (decay over
    ``decay_epochs``, a fraction of the stable + decay length when in (0, 1),
    default 0.2), or ``none`` (returns ``None``). With ``step_on_epochs=False`` every
    duration is multiplied by ``updates_per_epoch`` and the scheduler counts updates.
    ``noise`` gives ``noise_range_t`` as fractions of the schedule.

    The epoch count returned is timm's: for the cycle-based schedulers (cosine,
    tanh, poly, wsd/rsqrt) the cycles' length plus ``cooldown_epochs`` (and the
    warmup when it is a prefix), otherwise ``num_epochs`` plus the warmup when it is
    a prefix.

    Example:
        >>> import torch
        >>> from lrplan.timm import create_scheduler_v2
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched, epochs = create_scheduler_v2(opt, "cosine", num_epochs=50, warmup_epochs=5,
        ...                                     warmup_prefix=True, cooldown_epochs=10)
        >>> type(sched).__name__, epochs
        ('CosineLRScheduler', 65)
    """
    if sched not in SCHEDULER_NAMES:
        raise ValueError(f"Unknown scheduler '{sched}': expected one of {SCHEDULER_NAMES}")
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial: Any = num_epochs
    warmup_t: Any = warmup_epochs
    decay_t: Any = decay_epochs
    cooldown_t: Any = cooldown_epochs
    timescale_t = stable_timescale
    milestones = list(decay_milestones)
    if not step_on_epochs:
        if not updates_per_epoch > 0:
            raise ValueError(
                "create_scheduler_v2: updates_per_epoch must be the number of dataloader "
                f"batches (> 0) when step_on_epochs=False, got {updates_per_epoch!r}"
            )
        t_initial = t_initial * updates_per_epoch
        warmup_t = warmup_t * updates_per_epoch
        decay_t = decay_t * updates_per_epoch
        milestones = [d * updates_per_epoch for d in milestones]
        cooldown_t = cooldown_t * updates_per_epoch
        if timescale_t is not None:
            timescale_t = timescale_t * updates_per_epoch
    warmup_args: dict[str, Any] = {
        "warmup_lr_init": warmup_lr,
        "warmup_t": warmup_t,
        "warmup_prefix": warmup_prefix,
    }
    noise_args: dict[str, Any] = {
        "noise_range_t": _noise_range(noise, t_initial),
        "noise_pct": noise_pct,
        "noise_std": noise_std,
        "noise_seed": noise_seed,
    }
    cycle_args: dict[str, Any] = {
        "cycle_mul": cycle_mul,
        "cycle_decay": cycle_decay,
        "cycle_limit": cycle_limit,
    }

    scheduler: LRScheduler | None = None
    if sched == "cosine":
        scheduler = CosineLRScheduler(
            optimizer,
            t_initial=t_initial,
            lr_min=min_lr,
            t_in_epochs=step_on_epochs,
            k_decay=k_decay,
            **cycle_args,
            **warmup_args,
            **noise_args,
        )
    elif sched == "tanh":
        scheduler = TanhLRScheduler(
            optimizer,
            t_initial=t_initial,
            lr_min=min_lr,
            t_in_epochs=step_on_epochs,
            **cycle_args,
            **warmup_args,
            **noise_args,
        )
    elif sched in ("step", "constant"):
        constant = sched == "constant"
        scheduler = StepLRScheduler(
            optimizer,
            decay_t=1 if constant else decay_t,
            decay_rate=1.0 if constant else decay_rate,
            t_in_epochs=step_on_epochs,
            **warmup_args,
            **noise_args,
        )
    elif sched == "multistep":
        scheduler = MultiStepLRScheduler(
            optimizer,
            decay_t=milestones,
            decay_rate=decay_rate,
            t_in_epochs=step_on_epochs,
            **warmup_args,
            **noise_args,
        )
    elif sched == "plateau":
        if not step_on_epochs:
            raise ValueError("create_scheduler_v2: plateau steps per epoch only (step_on_epochs)")
        scheduler = PlateauLRScheduler(
            optimizer,
            decay_rate=decay_rate,
            patience_t=patience_epochs,
            cooldown_t=0,
            warmup_lr_init=warmup_lr,
            warmup_t=warmup_t,
            lr_min=min_lr,
            mode=plateau_mode,
            **noise_args,
        )
    elif sched == "poly":
        scheduler = PolyLRScheduler(
            optimizer,
            power=decay_rate,  # timm reuses decay_rate as the polynomial's power
            t_initial=t_initial,
            lr_min=min_lr,
            t_in_epochs=step_on_epochs,
            k_decay=k_decay,
            **cycle_args,
            **warmup_args,
            **noise_args,
        )
    elif sched in ("wsd", "rsqrt"):
        # The warmup is always a prefix here; without warmup_prefix the stable and decay
        # phases fit into num_epochs minus the warmup (timm's rule).
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = round(decay_t)
        if not 0 < decay_t <= t_sched:
            raise ValueError(
                f"{sched} schedule requires 0 < decay_epochs <= "
                f"epochs{'' if warmup_prefix else ' - warmup_epochs'}, "
                f"got decay {decay_t} and stable + decay length {t_sched}."
            )
        scheduler = WSDLRScheduler(
            optimizer,
            t_initial=t_sched,
            decay_t=decay_t,
            lr_min=min_lr,
            stable_fn="rsqrt" if sched == "rsqrt" else "constant",
            stable_timescale=timescale_t,
            decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"),
            t_in_epochs=step_on_epochs,
            warmup_t=warmup_t,
            warmup_lr_init=warmup_lr,
            **noise_args,
        )

    get_cycle_length = getattr(scheduler, "get_cycle_length", None)
    if get_cycle_length is not None:
        total = get_cycle_length() + cooldown_t
        num_epochs = total if step_on_epochs else total // updates_per_epoch
    elif warmup_prefix:
        num_epochs += warmup_epochs
    return scheduler, num_epochs
