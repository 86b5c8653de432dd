"""torch's ``ReduceLROnPlateau``: metric-driven, same numbers, plain-data state."""

from __future__ import annotations

import logging
import math
import numbers
import operator
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, SupportsFloat

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from ._driver import EPOCH_DEPRECATION_WARNING, LRScheduler, STATE_FORMAT, STATE_VERSION
from ._groups import as_float as _as_float
from ._driver import diff_configs as _diff_configs
from ._groups import packed_buffer as _pack
from ._groups import write as _write
# TODO(driver rewrite): check_state_version removed

__all__ = ["ReduceLROnPlateau"]

logger = logging.getLogger("lrplan")

_COUNTERS = ("last_epoch", "best", "num_bad_epochs", "cooldown_counter")
_CONFIG = (
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


_LR = operator.itemgetter("lr")
_PLAIN = (float, int)  # the lr types recorded as they are: immutable, read with float()

# How ``step`` compares a metric with the best one (see ``_configure_compare``).
_GENERIC, _MIN_REL, _MIN_ABS, _MAX_REL, _MAX_ABS = range(5)
_COMPARE_KINDS = {
    ("min", "rel"): _MIN_REL,
    ("min", "abs"): _MIN_ABS,
    ("max", "rel"): _MAX_REL,
    ("max", "abs"): _MAX_ABS,
}


def _number(owner: str, name: str, value: Any) -> Any:
    """A Python int or float (numpy scalars and 0-dim tensors converted), or TypeError."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number, got {type(value).__name__} {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


class ReduceLROnPlateau(LRScheduler, _TorchPlateau):
    """Reduce the lr when a metric stops improving: torch's ``ReduceLROnPlateau``.

    Same arguments, defaults, errors and numbers as torch 2.13. ``step(metric)``
    counts an epoch as *bad* unless the metric beats the best one so far by the
    threshold (``mode="min"``: ``metric < best * (1 - threshold)`` with
    ``threshold_mode="rel"``, ``metric < best - threshold`` with ``"abs"``;
    ``mode="max"`` mirrors both). After more than ``patience`` bad epochs every
    group's lr becomes ``max(lr * factor, min_lr)`` -- unless that changes it by
    ``eps`` or less -- and ``cooldown`` epochs follow in which bad epochs are
    not counted.

    It is an instance of ``torch.optim.lr_scheduler.ReduceLROnPlateau`` (so
    Lightning and HF treat it as the metric-driven scheduler it is) and of
    :class:`lrplan.LRScheduler`; ``metric_driven`` is ``True``. It has no closed
    form, so :meth:`set_step` is not available.

    Differences that change no number: arguments given as numpy scalars are
    stored as Python numbers, so :meth:`state_dict` (plain data, with torch's
    attribute names) always loads with ``torch.load(weights_only=True)``; tensor
    lrs are updated in place; ``verbose=True`` logs each reduction. Unlike torch,
    :meth:`load_state_dict` does not silently replace the constructor arguments
    with the saved ones: a changed configuration raises unless
    ``on_config_change`` says to keep the new one. States saved by torch's own
    class load too.

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
    # Whether step() may inline _is_better and in_cooldown (False in a subclass
    # that redefines either; see __init_subclass__).
    _inline_compare: ClassVar[bool] = True

    # Behind the properties mode/threshold/threshold_mode, and what step() derives.
    _mode: str
    _threshold: float
    _threshold_mode: str
    _compare: int
    _compare_k: Any
    # The record of the lrs at the last step (see _record_lrs and _last_values).
    _lrs_raw: list[Any] | None
    _lrs_values: list[float] | None
    _lrs_buf: torch.Tensor | None
    _lrs_views: list[Any]

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
            self.min_lrs = [_number(owner, f"min_lr[{i}]", m) for i, m in enumerate(min_lr)]
        else:
            self.default_min_lr = _number(owner, "min_lr", min_lr)
            self.min_lrs = [self.default_min_lr] * n
        self.patience = _number(owner, "patience", patience)
        self.cooldown = _number(owner, "cooldown", cooldown)
        self.eps = _number(owner, "eps", eps)
        self.verbose = bool(verbose) and verbose != "deprecated"
        self.last_epoch: Any = 0
        self._record_lrs(list(map(_LR, optimizer.param_groups)))
        self._init_is_better(
            mode=mode,
            threshold=_number(owner, "threshold", threshold),
            threshold_mode=threshold_mode,
        )
        self._reset()

    # -- torch's protocol ------------------------------------------------------------------

    def _reset(self) -> None:
        """Forget the best metric and the counters."""
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in {"min", "max"}:
            raise ValueError("mode " + str(mode) + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + str(threshold_mode) + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    # ``mode``, ``threshold`` and ``threshold_mode`` are properties so that ``step``
    # can use a comparison chosen once (``_compare``/``_compare_k``) and still follow
    # a user who changes them after construction, as torch's class allows.

    @property
    def mode(self) -> str:
        """``"min"`` or ``"max"``: whether a lower or a higher metric is better."""
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        self._mode = value
        self._configure_compare()

    @property
    def threshold(self) -> float:
        """How much better than the best a metric must be to count as better."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._threshold = value
        self._configure_compare()

    @property
    def threshold_mode(self) -> str:
        """``"rel"`` (threshold relative to the best) or ``"abs"``."""
        return self._threshold_mode

    @threshold_mode.setter
    def threshold_mode(self, value: str) -> None:
        self._threshold_mode = value
        self._configure_compare()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that redefines how metrics compare or what cooldown means
        # gets its own methods called on every step.
        if cls._is_better is not ReduceLROnPlateau._is_better or (
            cls.in_cooldown is not ReduceLROnPlateau.in_cooldown
        ):
            cls._inline_compare = False

    def _configure_compare(self) -> None:
        """Choose the comparison ``step`` inlines, from mode, threshold and threshold_mode.

        ``_compare`` is one of the ``_MIN_REL``... kinds, with ``_compare_k`` the
        operand torch computes on every call (``1 - threshold`` or ``threshold + 1``
        for ``"rel"``, the threshold itself for ``"abs"``), or ``_GENERIC``: call
        :meth:`_is_better` (and :attr:`in_cooldown`) as they are. ``_GENERIC`` is
        kept for anything unusual -- a threshold that is not a plain int or float
        (a tensor could change in place; a string must fail at ``step``, not here),
        a mode that is not one of the four, a subclass's own comparison -- so those
        behave, and fail, exactly as the methods do.
        """
        # (getattr with a default, not self.__dict__: reading an instance's __dict__
        # makes CPython 3.11+ slow down every later attribute access on it.)
        mode = getattr(self, "_mode", None)
        threshold_mode = getattr(self, "_threshold_mode", None)
        threshold = getattr(self, "_threshold", None)
        kind = _GENERIC
        if (
            self._inline_compare
            and type(mode) is str
            and type(threshold_mode) is str
            and type(threshold) in _PLAIN
        ):
            kind = _COMPARE_KINDS.get((mode, threshold_mode), _GENERIC)
        k: Any = threshold
        if kind == _MIN_REL:
            k = 1.0 - k
        elif kind == _MAX_REL:
            k = k + 1.0
        self._compare, self._compare_k = kind, k

    @property
    def in_cooldown(self) -> bool:
        """Whether bad epochs are being ignored after a reduction."""
        return bool(self.cooldown_counter > 0)

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return bool(a < best * (1.0 - self.threshold))
            return bool(a < best - self.threshold)
        if self.threshold_mode == "rel":
            return bool(a > best * (self.threshold + 1.0))
        return bool(a > best + self.threshold)

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record ``metrics`` for one epoch; reduce the lrs after too long a plateau."""
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        # _is_better and in_cooldown, inlined: the same expressions on the same operands.
        kind = self._compare
        if kind == _MIN_REL:
            better = current < self.best * self._compare_k
        elif kind == _MIN_ABS:
            better = current < self.best - self._compare_k
        elif kind == _MAX_REL:
            better = current > self.best * self._compare_k
        elif kind == _MAX_ABS:
            better = current > self.best + self._compare_k
        else:
            better = self._is_better(current, self.best)
        if better:
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0 if kind else self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        # Record what the groups now hold (for get_last_lr), cheaply in the usual cases.
        groups = self.optimizer.param_groups
        if (record := self._lrs_raw) is not None:
            # Last time every lr was a plain int or float. If they still are, the
            # objects themselves are the record (immutable; made floats when read).
            if len(groups) == 1:
                lr = groups[0]["lr"]
                if len(record) == 1 and lr is record[0]:
                    return  # the very object recorded last time: the record stands
                raws = [lr]
                plain = type(lr) in _PLAIN
            else:
                # ``sum`` from 0.0 stays a float only over ints and floats (and numbers
                # whose ``__radd__`` gives one, which no torch optimizer accepts as an
                # lr); over a tensor or a numpy scalar it is not, or it raises.
                raws = list(map(_LR, groups))
                try:
                    plain = type(sum(raws, 0.0)) is float
                except Exception:  # the group-by-group record reports what is wrong
                    plain = False
            if plain:
                self._lrs_raw, self._lrs_values = raws, None
                return
        else:
            raws = list(map(_LR, groups))
            views = self._lrs_views
            if len(raws) == len(views) and all(map(operator.is_, raws, views)):
                # The very objects recorded last time, but not plain numbers: their
                # values may have changed in place. 0-dim tensors packed as views of
                # one buffer are read at once; anything else, one by one (no new
                # attempt to pack what could not be packed).
                buf = self._lrs_buf
                self._lrs_values = buf.tolist() if buf is not None else [_as_float(r) for r in raws]
                return
        self._record_lrs(raws)

    def _record_lrs(self, raws: list[Any]) -> None:
        """Record the lrs ``raws`` (what the groups hold) one by one, and choose what
        the next steps try first: ``_lrs_raw`` (not ``None`` when every lr is a plain
        int or float) or ``_lrs_buf`` (the buffer when the lrs are 0-dim tensors that
        :func:`lrplan._driver._pack` could pack)."""
        values = [_as_float(r) for r in raws]  # raises, as before, on a bad lr
        plain = all(type(r) in _PLAIN for r in raws)
        self._lrs_raw = raws if plain else None
        self._lrs_values = values
        self._lrs_buf = None if plain else _pack(raws)
        self._lrs_views = raws

    @property
    def _last_values(self) -> list[float]:
        """The lrs recorded by the last step, as floats."""
        values = self._lrs_values
        if values is None:
            values = self._lrs_values = list(map(float, self._lrs_raw or ()))
        return values

    @_last_values.setter
    def _last_values(self, values: list[float]) -> None:
        # A record from elsewhere (a loaded state): the next step records group by group.
        self._lrs_raw, self._lrs_values, self._lrs_buf, self._lrs_views = None, values, None, []

    def _reduce_lr(self, epoch: Any) -> None:
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
            old = _as_float(group["lr"])
            new = max(old * self.factor, float(self.min_lrs[i]))
            if old - new > self.eps:
                stored = _write(group, "lr", new)
                if self.verbose:
                    logger.info(
                        "ReduceLROnPlateau: epoch %s, param group %d: lr = %.6e", epoch, i, stored
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

    def _config_state(self) -> dict[str, Any]:
        config = {k: getattr(self, k) for k in _CONFIG}
        config["min_lrs"] = list(self.min_lrs)
        return config

    def _comparable(self, config: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(config)
        if out.get("default_min_lr") is not None:
            del out["min_lrs"]  # derived from default_min_lr and the number of groups
        return out

    def get_last_lr(self) -> list[Any]:
        """The lrs after the last step: copies, tensors where the groups hold tensors."""
        out: list[Any] = []
        for group, v in zip(self.optimizer.param_groups, self._last_values, strict=False):
            raw = group["lr"]
            if isinstance(raw, torch.Tensor):
                out.append(torch.tensor(v, dtype=raw.dtype, device=raw.device))
            else:
                out.append(v)
        return out

    def state_dict(self) -> dict[str, Any]:
        """Plain data: torch's attribute names, plus lrplan's format and version.

        ``best``/``mode_worse`` may be ``inf``; floats load with ``weights_only=True``.
        """
        state: dict[str, Any] = {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "class": "ReduceLROnPlateau",
        }
        state.update(self._config_state())
        state.update({k: getattr(self, k) for k in _COUNTERS})
        state["mode_worse"] = self.mode_worse
        state["last_values"] = list(self._last_values)
        return state

    def load_state_dict(
        self, state_dict: Mapping[str, Any], *, on_config_change: str = "error"
    ) -> None:
        """Restore the counters (and the best metric) from :meth:`state_dict`.

        States written by torch's own ``ReduceLROnPlateau`` load too. The lrs are
        not written: the optimizer's own state holds them. ``on_config_change``:
        ``"error"`` (default) raises when the saved arguments (mode, factor,
        patience, ...) differ from this scheduler's; ``"keep_step"`` or
        ``"keep_fraction"`` keep this scheduler's arguments and restore the
        counters. ``state_dict`` is not modified.
        """
        owner = "ReduceLROnPlateau"
        if on_config_change not in ("error", "keep_step", "keep_fraction"):
            raise ValueError(
                f"{owner}.load_state_dict: on_config_change must be one of "
                f"('error', 'keep_step', 'keep_fraction'), got {on_config_change!r}"
            )
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{owner}.load_state_dict: expected a dict, got {type(state_dict).__name__}"
            )
        st = dict(state_dict)
        fmt = st.get("format")
        if fmt is not None and (fmt != STATE_FORMAT or st.get("class") != owner):
            raise ValueError(
                f"{owner}.load_state_dict: this state belongs to {st.get('class')!r} "
                f"(format {fmt!r}), not to ReduceLROnPlateau"
            )
        if fmt is not None:
            check_state_version(owner, st)
        missing = [k for k in (*_COUNTERS, *_CONFIG) if k not in st]
        if missing:
            raise ValueError(f"{owner}.load_state_dict: state keys missing: {missing}")
        saved = {k: (list(st[k]) if isinstance(st[k], list | tuple) else st[k]) for k in _CONFIG}
        saved_cmp, mine_cmp = self._comparable(saved), self._comparable(self._config_state())
        same = saved_cmp == mine_cmp
        if not same and on_config_change == "error":
            diffs = _diff_configs(saved_cmp, mine_cmp)
            raise ValueError(
                f"{owner}.load_state_dict: the saved arguments differ from this scheduler's "
                f"({'; '.join(diffs)}). Pass on_config_change='keep_step' to keep the new "
                "arguments and restore the counters."
            )
        self.last_epoch = st["last_epoch"]
        self.best = float(st["best"])
        self.num_bad_epochs = int(st["num_bad_epochs"])
        self.cooldown_counter = int(st["cooldown_counter"])
        if same and saved["default_min_lr"] is None:
            self.min_lrs = list(saved["min_lrs"])
        last = st.get("last_values", st.get("_last_lr"))
        if last is not None:
            self._last_values = [_as_float(v) for v in last]
