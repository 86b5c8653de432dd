"""timm's ``PlateauLRScheduler``: a warmup, then lrplan's ``ReduceLROnPlateau``, with noise."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from torch.optim import Optimizer

from .._compat_plateau import ReduceLROnPlateau
from .._driver import STATE_FORMAT, STATE_VERSION, LRScheduler, fingerprint
from .._groups import copy_all, write
from .._schedules._validate import check_int, check_real
from ._schedulers import (
    NOISE_TYPES,
    _check_flags,
    _plain,
    check_initialized,
    check_noise_range,
    check_time,
    scale_by_group,
    timm_noise,
)

__all__ = ["PlateauLRScheduler"]


class PlateauLRScheduler(LRScheduler):
    """timm's ``PlateauLRScheduler``: warmup, then decay by ``decay_rate`` on a plateau.

    ``step(epoch, metric)``, as in timm:

    * ``epoch <= warmup_t``: the lr is ``warmup_lr_init + epoch * (b -
      warmup_lr_init) / warmup_t`` (times each group's ``lr_scale``); the metric is
      not looked at. timm's quirk, kept: with ``warmup_t=0``, ``step(0)`` writes
      ``warmup_lr_init``.
    * later: the noise of the previous epoch is taken back out, then, if ``metric``
      is given, :class:`lrplan.ReduceLROnPlateau` (``patience=patience_t``,
      ``factor=decay_rate``, ``threshold``, ``cooldown=cooldown_t``, ``mode``,
      ``min_lr=lr_min``; torch's numbers) sees it, then inside ``noise_range_t``
      the lr is multiplied by ``1 + noise`` (seeded with ``noise_seed + epoch``;
      ``noise_type`` ``"normal"`` or ``"uniform"``).

    ``step_update`` does nothing, as in timm. Plain ``step()`` is ``step(last_epoch
    + 1)`` without a metric. The construction writes ``warmup_lr_init`` (with a
    warmup) or each base lr.

    Differences from timm: no ``FutureWarning`` (timm deprecates the class);
    :meth:`state_dict` keeps timm's two keys (``best`` and the plateau's
    ``last_epoch``) and adds the whole plateau state (bad-epoch and cooldown
    counters), the pending noise and the epoch, so a resume continues exactly
    where timm's restarts the plateau logic; timm's state loads too; bad arguments
    are refused under this class's names (``patience_t``, ``decay_rate``...) and a
    negative or non-finite epoch raises ``ValueError`` (timm writes a negative lr).
    A group added with ``optimizer.add_param_group`` keeps its lr through the
    warmup, then is reduced on a plateau, as in timm (where noise then fails).

    Example:
        >>> import torch
        >>> from lrplan.timm import PlateauLRScheduler
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = PlateauLRScheduler(opt, decay_rate=0.5, patience_t=1, mode="min")
        >>> for epoch, loss in enumerate([1.0, 0.9, 0.95, 0.95, 0.97], start=1):
        ...     sched.step(epoch, loss)
        >>> opt.param_groups[0]["lr"]
        0.5
    """

    metric_driven: ClassVar[bool] = True

    def __init__(
        self,
        optimizer: Optimizer,
        decay_rate: float = 0.1,
        patience_t: int = 10,
        threshold: float = 1e-4,
        cooldown_t: int = 0,
        warmup_t: int = 0,
        warmup_lr_init: float = 0.0,
        lr_min: float = 0.0,
        mode: str = "max",
        noise_range_t: float | Sequence[float] | None = None,
        noise_type: str = "normal",
        noise_pct: float = 0.67,
        noise_std: float = 1.0,
        noise_seed: int | None = None,
        initialize: bool = True,
    ) -> None:
        owner = "PlateauLRScheduler"
        _check_flags(owner, initialize=initialize)
        check_initialized(owner, optimizer, initialize)
        # The user's names, before torch's class sees them under its own.
        check_real(owner, "decay_rate", decay_rate, lo=0.0, hi=1.0, hi_open=True)
        for name, count in (("patience_t", patience_t), ("cooldown_t", cooldown_t)):
            if isinstance(count, bool) or not isinstance(count, numbers.Real):
                raise TypeError(f"{owner}: {name} must be a number >= 0, got {count!r}")
            if not count >= 0:  # inf is allowed (never), as torch's class allows it
                raise ValueError(
                    f"{owner}: {name} must be a number >= 0 (inf allowed), got {count!r}"
                )
        floors: Any = lr_min
        if isinstance(floors, list | tuple):  # torch's per-group min_lr, which timm passes on
            for i, m in enumerate(floors):
                check_real(owner, f"lr_min[{i}]", m, lo=0.0)
        else:
            check_real(owner, "lr_min", lr_min, lo=0.0)
        self.warmup_t = check_real(owner, "warmup_t", warmup_t, lo=0.0)
        self.warmup_lr_init = check_real(owner, "warmup_lr_init", warmup_lr_init, lo=0.0)
        if noise_type not in NOISE_TYPES:
            raise ValueError(
                f"{owner}: noise_type must be one of {NOISE_TYPES}, got {noise_type!r}"
            )
        self.noise_range_t = noise_range_t
        self._noise_range = check_noise_range(owner, noise_range_t)
        self.noise_type = noise_type
        self.noise_pct = float(check_real(owner, "noise_pct", noise_pct, lo=0.0, lo_open=True))
        self.noise_std = float(check_real(owner, "noise_std", noise_std, lo=0.0, lo_open=True))
        self.noise_seed = 42 if noise_seed is None else check_int(owner, "noise_seed", noise_seed)
        self.optimizer = optimizer
        self.param_group_field = "lr"
        self.t_in_epochs = True
        self.metric: Any = None
        self._args = {
            "decay_rate": decay_rate,
            "patience_t": patience_t,
            "threshold": threshold,
            "cooldown_t": cooldown_t,
            "lr_min": lr_min,
            "mode": mode,
        }
        for group in optimizer.param_groups:
            if "lr" not in group:
                raise KeyError(f"{owner}: lr missing from a param group")
            group.setdefault("initial_lr", group["lr"])
        self._bases = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.base_lrs = list(self._bases)
        self._write(self._bases)
        self.lr_scheduler = ReduceLROnPlateau(
            optimizer,
            patience=patience_t,
            factor=decay_rate,
            threshold=threshold,
            cooldown=cooldown_t,
            mode=mode,
            min_lr=lr_min,
        )
        if self.warmup_t:
            self._write([self.warmup_lr_init] * len(self._bases))
        self.restore_lr: list[float] | None = None
        self.last_epoch: Any = 0
        self._step_count = 1

    @property
    def base_values(self) -> list[float]:
        """Each group's base lr (timm's name)."""
        return list(self._bases)

    @property
    def warmup_steps(self) -> list[float]:
        """timm's per-group warmup slope (1 without a warmup)."""
        if not self.warmup_t:
            return [1 for _ in self._bases]
        return [(b - self.warmup_lr_init) / self.warmup_t for b in self._bases]

    def _write(self, values: list[float]) -> None:
        """timm's ``update_groups``: each value times the group's ``lr_scale``; a group
        added after construction (``optimizer.add_param_group``) is left as it is."""
        groups = self.optimizer.param_groups[: len(values)]
        for group, v in zip(groups, scale_by_group(values, groups), strict=True):
            write(group, "lr", v)
        groups = self.optimizer.param_groups
        self._last_lr = copy_all(groups, "lr")

    def step(self, epoch: int | float | None = None, metric: Any = None) -> None:  # type: ignore[override]
        """timm's per-epoch call (see the class docs); ``step()`` is the next epoch."""
        owner = "PlateauLRScheduler"
        epoch = self.last_epoch + 1 if epoch is None else check_time(f"{owner}.step", epoch)
        self._step_count += 1
        self.last_epoch = epoch
        self.metric = metric
        if epoch <= self.warmup_t:
            self._write([self.warmup_lr_init + epoch * s for s in self.warmup_steps])
            return
        groups = self.optimizer.param_groups
        if self.restore_lr is not None:
            for group, v in zip(groups, self.restore_lr, strict=False):
                write(group, "lr", v)
            self.restore_lr = None
        if metric is not None:
            self.lr_scheduler.step(metric)
        noise = timm_noise(
            owner,
            epoch,
            self._noise_range,
            noise_type=self.noise_type,
            pct=self.noise_pct,
            std=self.noise_std,
            seed=self.noise_seed,
        )
        if noise is not None:
            self.restore_lr = [float(g["lr"]) for g in groups]
            for group, old in zip(groups, self.restore_lr, strict=True):
                write(group, "lr", old + old * noise)
        self._last_lr = copy_all(groups, "lr")

    def step_update(self, num_updates: int, metric: Any = None) -> None:
        """Nothing: the plateau scheduler steps per epoch only (as in timm)."""

    def get_lr(self) -> list[Any]:
        """Not available: the lr depends on the metrics seen, not on a formula."""
        raise NotImplementedError("PlateauLRScheduler is metric-driven; read get_last_lr()")

    # -- state ------------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "class": "PlateauLRScheduler",
            **self._args,
            "warmup_t": self.warmup_t,
            "warmup_lr_init": self.warmup_lr_init,
            "noise_range_t": None if self._noise_range is None else list(self._noise_range),
            "noise_type": self.noise_type,
            "noise_pct": self.noise_pct,
            "noise_std": self.noise_std,
            "noise_seed": self.noise_seed,
        }

    def state_dict(self) -> dict[str, Any]:
        """timm's keys (``best``, and the plateau's ``last_epoch``) plus lrplan's under
        ``"lrplan"``: the epoch, the bases, the pending noise, the full plateau state."""
        config = self._config()
        metric = self.metric
        if metric is not None and not isinstance(metric, int | float):
            metric = float(metric)
        return {
            "best": self.lr_scheduler.best,
            "last_epoch": self.lr_scheduler.last_epoch,
            "lrplan": {
                "format": STATE_FORMAT,
                "version": STATE_VERSION,
                "class": "PlateauLRScheduler",
                "epoch": self.last_epoch,
                "step_count": self._step_count,
                "base_lrs": list(self._bases),
                "restore_lr": None if self.restore_lr is None else list(self.restore_lr),
                "metric": metric,
                "plateau": self.lr_scheduler.state_dict(),
                "config": _plain(config),
                "fingerprint": fingerprint(config),
            },
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:  # type: ignore[override]
        """Restore a state saved by this class, or timm's (``best``, ``last_epoch``)."""
        owner = "PlateauLRScheduler"
        if not isinstance(state_dict, Mapping) or "best" not in state_dict:
            raise ValueError(f"{owner}.load_state_dict: not a plateau scheduler state")
        lp = state_dict.get("lrplan")
        if not isinstance(lp, Mapping):  # timm's state: the plateau's best metric and count
            self.lr_scheduler.best = state_dict["best"]
            if "last_epoch" in state_dict:
                self.lr_scheduler.last_epoch = state_dict["last_epoch"]
            return
        if lp.get("class") != owner:
            raise ValueError(f"{owner}.load_state_dict: the state belongs to {lp.get('class')}")
        if lp.get("fingerprint") != fingerprint(self._config()):
            raise ValueError(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"(saved {lp.get('config')!r}, this {self._config()!r})"
            )
        bases = list(lp["base_lrs"])
        if len(bases) != len(self.optimizer.param_groups):
            raise ValueError(f"{owner}.load_state_dict: base_lrs does not match the param groups")
        self.lr_scheduler.load_state_dict(dict(lp["plateau"]), on_config_change="error")
        self._bases = [float(b) for b in bases]
        self.base_lrs = list(self._bases)
        self.last_epoch = lp["epoch"]
        self._step_count = int(lp["step_count"])
        self.restore_lr = None if lp["restore_lr"] is None else [float(v) for v in lp["restore_lr"]]
        self.metric = lp["metric"]
        self._last_lr = copy_all(self.optimizer.param_groups, "lr")
