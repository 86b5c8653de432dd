"""torch's ``ReduceLROnPlateau``: metric-driven, same numbers, plain-data state."""

from __future__ import annotations

import logging
import math
import numbers
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, SupportsFloat

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from ._driver import (
    _POLICIES,
    EPOCH_DEPRECATION_WARNING,
    STATE_FORMAT,
    STATE_VERSION,
    ConfigChangePolicy,
    LRScheduler,
    _same,
    check_state_header,
    check_state_mapping,
    fingerprint,
)
from ._groups import write

__all__ = ["ReduceLROnPlateau"]

logger = logging.getLogger("lrplan")

#: The constructor's arguments as torch stores them (``min_lr`` becomes these two).
_ARGS = (
    "mode",
    "factor",
    "patience",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lrs",
    "default_min_lr",
    "eps",
)
#: The counters every state torch's class ever saved holds.
_COUNTERS = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")


def _number(owner: str, name: str, value: Any) -> Any:
    """A Python int or float (numpy scalars and 0-dim tensors converted), or TypeError."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _at_least_0(owner: str, name: str, value: Any, *, inf_ok: bool = False) -> Any:
    """A number >= 0, finite unless ``inf_ok`` (torch accepts a negative or NaN one and
    misbehaves later: a negative min_lr is written into the optimizer)."""
    v = _number(owner, name, value)
    if inf_ok and v == math.inf:
        return v
    if not (0 <= v < math.inf):
        what = "a number >= 0 (inf allowed)" if inf_ok else "a finite number >= 0"
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")
    return v


def _copy(value: Any) -> Any:
    """Lists copied, so a state and the scheduler never share one."""
    return list(value) if isinstance(value, list) else value


class ReduceLROnPlateau(LRScheduler, _TorchPlateau):
    """Reduce the lr when a metric stops improving: torch's ``ReduceLROnPlateau``.

    Same arguments, defaults, errors and numbers as torch 2.13. ``step(metric)``
    counts an epoch as *bad* unless the metric beats the best one so far by the
    threshold (``mode="min"``: ``metric < best * (1 - threshold)`` with
    ``threshold_mode="rel"``, ``metric < best - threshold`` with ``"abs"``;
    ``mode="max"``: ``metric > best * (1 + threshold)``, ``metric > best + threshold``).
    After more than ``patience`` bad epochs every group's lr becomes
    ``max(lr * factor, min_lr)`` -- unless that lowers it by ``eps`` or less --
    and ``cooldown`` epochs follow in which bad epochs are not counted.

    It is an instance of ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (so
    Lightning and HF treat it as the metric-driven scheduler it is), of torch's
    ``LRScheduler`` and of :class:`lrplan.LRScheduler`; ``metric_driven`` is
    ``True``. Like torch's, it does not record ``initial_lr`` or check the call
    order, and it has no closed form, so :meth:`set_step` is not available.

    Differences that change no number: arguments given as numpy scalars are
    stored as Python numbers, so :meth:`state_dict` always loads with
    ``torch.load(weights_only=True)``; tensor lrs are filled in place;
    ``verbose=True`` logs each reduction to the ``"lrplan"`` logger; a negative
    ``factor`` or a non-numeric argument is refused. :meth:`load_state_dict`
    takes the saved arguments, as torch does, but warns when they differ.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
        >>> sched = lrplan.ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for loss in [1.0, 0.9, 0.95, 0.95, 0.97, 0.99]:
        ...     sched.step(loss)
        >>> sched.get_last_lr()
        [0.25]
    """

    metric_driven: ClassVar[bool] = True
    mode: str
    threshold: float
    threshold_mode: str
    best: float
    cooldown_counter: int

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
        verbose: bool | str = False,
    ) -> None:
        # torch's attributes, in torch's order; LRScheduler.__init__ is not called
        # (torch's class does not call its base's either: no initial step).
        owner = "ReduceLROnPlateau"
        factor = _number(owner, "factor", factor)
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        if factor < 0:
            raise ValueError(f"{owner}: factor must be in [0, 1), got {factor!r}")
        self.factor = factor
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, list | tuple):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs, got {len(min_lr)}")
            self.default_min_lr: Any = None
            self.min_lrs = [_at_least_0(owner, f"min_lr[{i}]", m) for i, m in enumerate(min_lr)]
        else:
            self.default_min_lr = _at_least_0(owner, "min_lr", min_lr)
            self.min_lrs = [self.default_min_lr] * n
        self.patience = _at_least_0(owner, "patience", patience, inf_ok=True)
        self.cooldown = _at_least_0(owner, "cooldown", cooldown, inf_ok=True)
        self.eps = _at_least_0(owner, "eps", eps)
        self.last_epoch: Any = 0
        self._record_lrs()
        self._init_is_better(mode, _number(owner, "threshold", threshold), threshold_mode)
        self._reset()
        if verbose:
            self.verbose = verbose  # type: ignore[assignment]

    def _reset(self) -> None:
        """Forget the best metric and the counters."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        """Check and set the comparison's arguments; ``mode_worse`` is the worst metric."""
        # torch's own words stay in the message, for code that matches them.
        if mode not in {"min", "max"}:
            raise ValueError(
                f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r} "
                f"(mode {mode} is unknown!)"
            )
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got "
                f"{threshold_mode!r} (threshold mode {threshold_mode} is unknown!)"
            )
        self.mode_worse = float("inf") if mode == "min" else float("-inf")
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    @property
    def in_cooldown(self) -> bool:
        """Whether bad epochs are being ignored after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        """Whether metric ``a`` beats ``best`` by the threshold (see the class docs)."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record ``metrics`` for one epoch; reduce the lrs after too long a plateau.

        ``epoch`` is torch's deprecated argument: it warns and sets ``last_epoch``.
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in a cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._record_lrs()

    def _record_lrs(self) -> None:
        """``_last_lr``: what the groups hold now (tensors cloned, as in torch)."""
        self._last_lr = [
            lr.clone() if isinstance(lr := g["lr"], Tensor) else lr
            for g in self.optimizer.param_groups
        ]

    def _reduce_lr(self, epoch: Any) -> None:
        """Every group's lr times ``factor``, not below its ``min_lr``, unless the change <= eps."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                write(group, "lr", new)
                if self._verbose:
                    logger.info(
                        "%s: step %s, param group %d: lr = %.6e", type(self).__name__, epoch, i, new
                    )

    def get_lr(self) -> list[Any]:
        """Not available: the lr depends on the metrics seen, not on a formula."""
        raise NotImplementedError(
            "ReduceLROnPlateau has no closed form; read get_last_lr() instead"
        )

    def set_step(self, t: int | float) -> None:
        """Not available: there is no closed form to jump to."""
        raise TypeError("ReduceLROnPlateau is metric-driven; call step(metrics) instead")

    # -- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """torch's state (every attribute but the optimizer) plus lrplan's under ``"lrplan"``.

        Plain data (``best`` and ``mode_worse`` may be ``inf``), so it loads with
        ``torch.load(weights_only=True)``, and torch's own class loads it too.
        """
        state = {k: _copy(v) for k, v in super().state_dict().items()}
        state["lrplan"] = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "class": type(self).__name__,
            "last_epoch": self.last_epoch,
            "fingerprint": fingerprint({k: getattr(self, k) for k in _ARGS}),
        }
        return state

    def load_state_dict(  # type: ignore[override]
        self, state_dict: Mapping[str, Any], *, on_config_change: ConfigChangePolicy | None = None
    ) -> None:
        """Restore a state saved by this class, by torch's (any version) or by lrplan 1.

        The lrs are not written: the optimizer's own state holds them, as in torch.
        ``state_dict`` is not modified. When the saved arguments (mode, factor,
        patience, ...) differ from this scheduler's, ``on_config_change`` decides:

        * ``"saved"`` (default): the saved ones replace them, as in torch, with one
          ``UserWarning`` naming each difference;
        * ``"error"``: a ``ValueError`` naming each difference;
        * ``"keep_step"`` (or ``"keep_fraction"``: a metric-driven run has no
          length, so the two agree): keep this scheduler's arguments, restore the
          counters and the best metric.
        """
        owner = type(self).__name__
        policy = on_config_change or "saved"
        if policy not in _POLICIES:
            raise ValueError(
                f"{owner}.load_state_dict: on_config_change must be one of {_POLICIES}, "
                f"got {on_config_change!r}"
            )
        st = self._normalise(dict(check_state_mapping(owner, state_dict)))
        same_default = st.get("default_min_lr", self.default_min_lr) == self.default_min_lr
        diffs = [
            f"{name}: {getattr(self, name)!r} -> {st[name]!r} (saved)"
            for name in _ARGS
            if name in st
            and not _same(st[name], getattr(self, name))
            # min_lrs follows a scalar min_lr to the number of groups
            and not (name == "min_lrs" and same_default and self.default_min_lr is not None)
        ]
        if diffs and policy == "error":
            raise ValueError(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"({'; '.join(diffs)}). Pass on_config_change='saved' or 'keep_step' to "
                "resume anyway."
            )
        if diffs and policy == "saved":
            warnings.warn(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"and replace them, as in torch ({'; '.join(diffs)}). Pass "
                "on_config_change='error' or 'keep_step' to keep this scheduler's "
                "arguments instead.",
                UserWarning,
                stacklevel=2,
            )
        keep = policy in ("keep_step", "keep_fraction")
        old = dict(self.__dict__)
        try:
            # torch's load: every saved attribute, then the comparison set up again.
            for k, v in st.items():
                if not (keep and k in _ARGS):
                    setattr(self, k, _copy(v))
            self._init_is_better(self.mode, self.threshold, self.threshold_mode)
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(old)
            raise

    def _normalise(self, st: dict[str, Any]) -> dict[str, Any]:
        """``st`` as torch's keys only: lrplan's part checked and removed (or converted
        from lrplan 1's layout), and the counters every torch version saved present."""
        owner = type(self).__name__
        if st.get("format") == STATE_FORMAT:  # lrplan 1: lrplan's keys at the top
            if st.get("version") != 1:
                raise ValueError(
                    f"{owner}.load_state_dict: state format version {st.get('version')!r} "
                    f"is not supported (this lrplan reads versions 1 and {STATE_VERSION})"
                )
            lp: Any = {**st, "version": STATE_VERSION}
            st = {k: v for k, v in st.items() if k not in ("format", "version", "class")}
            st["_last_lr"] = st.pop("last_values", None) or self._last_lr
        else:
            lp = st.pop("lrplan", None)
        if isinstance(lp, Mapping):
            check_state_header(owner, lp)
            # (A different last_epoch: torch's class loaded the state and stepped on.)
            if lp.get("last_epoch", st.get("last_epoch")) == st.get("last_epoch") and (
                lp.get("class") != owner
            ):
                raise ValueError(
                    f"{owner}.load_state_dict: the state belongs to {lp.get('class')}, not {owner}"
                )
        missing = [k for k in _COUNTERS if k not in st]
        if missing:
            raise ValueError(f"{owner}.load_state_dict: state keys missing: {missing}")
        return st
