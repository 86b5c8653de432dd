"""The stateful layer: lrplan's own implementation of torch's ``LRScheduler`` protocol.

:class:`LRScheduler` subclasses ``torch.optim.lr_scheduler.LRScheduler`` so that
Lightning, accelerate, HF ``Trainer`` and torch's own ``SequentialLR`` /
``ChainedScheduler`` accept it, but it implements the protocol itself. Every
subclass supplies one pure :class:`~lrplan.Schedule` per param group; the driver
turns closed forms into the chainable behaviour torch users rely on:

* While a group still holds exactly the value this scheduler last wrote, the
  scheduler writes its closed form ``scale * s(t)``.
* Once a group holds something else (another scheduler, or the user's
  ``group["lr"] *= k``), the scheduler switches that group to *relative* mode for
  good and applies its own change relative to the current value
  (``Schedule._rechain``, by default ``current * s(t) / s(t - 1)``). That is how
  torch's chainable schedulers always behave, so several schedulers on one
  optimizer multiply and an external change persists. ``set_step`` and
  ``step(epoch)`` return every group to closed-form mode; ``load_state_dict``
  restores each group's saved mode (closed form when the schedule changed).

A relative step divides by the shape's previous value; where that value is 0 (a
warmup from 0) the ratio is undefined and the closed form is written instead.
Combine pure schedules with ``*`` rather than chaining such shapes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import numbers
import operator
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any, ClassVar, Literal

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler

from ._hot import hot_chained_step, hot_step
from ._schedules import Schedule
from ._schedules._kernel import compile_kernels, compile_rechain

__all__ = [
    "EPOCH_DEPRECATION_WARNING",
    "ConfigChangePolicy",
    "LRScheduler",
    "ScheduledLR",
]

logger = logging.getLogger("lrplan")

#: torch's warning text for the deprecated ``step(epoch)``, word for word.
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_OVERRIDDEN_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

STATE_FORMAT = "lrplan.scheduler"
STATE_VERSION = 1

ConfigChangePolicy = Literal["error", "keep_step", "keep_fraction"]
_POLICIES = ("error", "keep_step", "keep_fraction")

_BETAS_KEYS = {"betas[0]": 0, "betas[1]": 1}


# --------------------------------------------------------------------------- param-group access


def _read(group: Mapping[str, Any], key: str) -> Any:
    """The raw value (float or tensor) of ``key`` in ``group``."""
    idx = _BETAS_KEYS.get(key)
    if idx is not None:
        return group["betas"][idx]
    return group[key]


def _as_float(value: Any) -> float:
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


def _write(group: dict[str, Any], key: str, value: float) -> float:
    """Write ``value``; tensors are filled in place, never replaced. Return what was stored."""
    idx = _BETAS_KEYS.get(key)
    if idx is not None:
        betas = group["betas"]
        cur = betas[idx]
        if isinstance(cur, torch.Tensor):
            cur.fill_(value)
            return float(cur.item())
        new = list(betas)
        new[idx] = value
        group["betas"] = tuple(new)
        return value
    cur = group[key]
    if isinstance(cur, torch.Tensor):
        cur.fill_(value)
        return float(cur.item())
    group[key] = value
    return value


def _stored_like(raw: Any, value: float) -> float:
    """``value`` as it would read back after being written where ``raw`` lives."""
    if isinstance(raw, torch.Tensor):
        return float(torch.tensor(value, dtype=raw.dtype).item())
    return value


def _copy_value(raw: Any) -> Any:
    return raw.detach().clone() if isinstance(raw, torch.Tensor) else raw


def _getter(key: str) -> Callable[[Mapping[str, Any]], Any]:
    """A fast reader of ``key`` (``"betas[i]"`` included) from a param group."""
    idx = _BETAS_KEYS.get(key)
    if idx is None:
        return operator.itemgetter(key)
    return lambda group: group["betas"][idx]


def _pack(values: Sequence[Any]) -> torch.Tensor | None:
    """Make the groups' 0-dim tensors views of one 1-D buffer, in place; return the buffer.

    Each tensor keeps its identity (``Tensor.set_`` moves its storage), so the
    optimizer and the user still hold the same objects, but one ``copy_`` on the
    buffer then writes every group at once. Returns ``None`` (write group by group)
    unless every value is a distinct, standalone, floating 0-dim tensor on one
    dtype and device that needs no grad; tensors already packed in this order are
    reused as they are.
    """
    if not values or not all(isinstance(v, torch.Tensor) for v in values):
        return None
    first = values[0]
    dtype, device, n = first.dtype, first.device, len(values)
    if not dtype.is_floating_point or len({id(v) for v in values}) != n:
        return None
    for v in values:
        if v.dim() != 0 or v.dtype != dtype or v.device != device or v.requires_grad:
            return None
        if v.layout != torch.strided or v.is_inference():
            return None
    storage = first.untyped_storage()
    ptr, size = storage.data_ptr(), first.element_size()
    if storage.nbytes() == n * size and all(
        v.untyped_storage().data_ptr() == ptr and v.storage_offset() == i
        for i, v in enumerate(values)
    ):
        reused: torch.Tensor = first.new_empty(0).set_(storage, 0, (n,), (1,))
        return reused
    if any(v.untyped_storage().nbytes() != size for v in values):
        return None  # a view into something else (or another scheduler's buffer): leave it
    with torch.no_grad():
        buf = torch.stack([v.detach() for v in values])
        storage = buf.untyped_storage()
        for i, v in enumerate(values):
            v.set_(storage, i, (), ())
    return buf


_FLOAT_ONLY = {float}
_INF = math.inf


_F32_MAX = 3.4028234663852886e38


def _fills_exactly(dtype: torch.dtype, value: float) -> bool:
    """Whether ``fill_(value)`` stores what ``torch.tensor([value], dtype=dtype)`` does:
    one correctly rounded cast for float64 and float32 (within range; ``fill_`` refuses
    an overflow). Other dtypes take the general writer's route."""
    return dtype is torch.float64 or (dtype is torch.float32 and value <= _F32_MAX)


def _scalar_fn(s: Schedule) -> Callable[[float], float]:
    """``s(t)`` for an already validated float ``t``: the schedule's compiled kernel."""
    return s._scalar_kernel()


def _all_ok(values: list[float]) -> bool:
    """Fast: every value is a finite float >= 0 (False may be a false alarm; recheck)."""
    return not values or (min(values) >= 0.0 and sum(values) < math.inf)


def _check_values(owner: str, key: str, t: float, values: list[float]) -> None:
    """Raise :func:`_check_value`'s error for the first value that is not finite and
    ``>= 0``; one fast pass (:func:`_all_ok`) when all are."""
    if not _all_ok(values):
        for i, v in enumerate(values):
            _check_value(owner, key, i, t, v)


# --------------------------------------------------------------------------- call-order check


def _patch_optimizer_step(optimizer: Optimizer) -> None:
    """Wrap ``optimizer.step`` once so it records that it ran (torch's protocol).

    The wrapper holds only a weak reference to the optimizer: no reference cycle
    keeps an optimizer alive. The attribute names are torch's, so torch's own
    schedulers and lrplan's share one wrapper.
    """
    if hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        return
    opt_ref = weakref.ref(optimizer)
    func = optimizer.step.__func__  # type: ignore[attr-defined]

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opt = opt_ref()
        opt._opt_called = True  # type: ignore[union-attr]
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    optimizer.step = wrapper  # type: ignore[method-assign]


def _has_nonfinite_grad(optimizer: Optimizer) -> bool:
    """True when some gradient holds inf/NaN: AMP's GradScaler then skips ``step()``."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            g = p.grad
            if g is not None and not bool(torch.isfinite(g).all()):
                return True
    return False


def _check_call_order(optimizer: Optimizer) -> None:
    """Warn (once per optimizer and cause) when the scheduler steps before the optimizer."""
    if not hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        cause, message = "_lrplan_warned_overridden", _OVERRIDDEN_WARNING
    elif not getattr(optimizer, "_opt_called", False):
        if _has_nonfinite_grad(optimizer):
            # GradScaler found inf/NaN and skipped optimizer.step(): not a misuse.
            return
        cause, message = "_lrplan_warned_order", _ORDER_WARNING
    else:
        return
    if getattr(optimizer, cause, False):
        return
    setattr(optimizer, cause, True)
    warnings.warn(message, UserWarning, stacklevel=4)


# --------------------------------------------------------------------------- helpers


def fingerprint(config: Any) -> str:
    """A short, stable hash of plain-data ``config`` (sorted-key JSON, SHA-256)."""
    blob = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _check_value(owner: str, key: str, group_index: int, t: float, value: float) -> float:
    if not (value >= 0.0 and value != math.inf):
        raise ValueError(
            f"{owner}: the schedule produced {key}={value!r} for param group {group_index} "
            f"at step {t}; values must be finite and >= 0"
        )
    return value


def _check_fits(owner: str, key: str, group_index: int, t: float, raw: Any, value: float) -> None:
    """Refuse a finite value that the group's tensor would store as ``inf``."""
    if raw.is_floating_point() and value > torch.finfo(raw.dtype).max:
        raise ValueError(
            f"{owner}: the schedule produced {key}={value!r} for param group {group_index} "
            f"at step {t}, too large for the group's {raw.dtype} tensor "
            f"(largest {torch.finfo(raw.dtype).max:.6g}); it would be stored as inf"
        )


def _check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    return optimizer


def _check_last_epoch(owner: str, last_epoch: Any) -> int:
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
        raise TypeError(f"{owner}: last_epoch must be an int >= -1, got {last_epoch!r}")
    if last_epoch < -1:
        raise ValueError(f"{owner}: last_epoch must be an int >= -1, got {last_epoch!r}")
    return int(last_epoch)


def _diff_configs(old: Any, new: Any, path: str = "") -> list[str]:
    """Human-readable differences between two plain-data configs."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            p = f"{path}.{k}" if path else str(k)
            if k not in old:
                out.append(f"{p}: added ({new[k]!r})")
            elif k not in new:
                out.append(f"{p}: removed (was {old[k]!r})")
            else:
                out.extend(_diff_configs(old[k], new[k], p))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in _diff_configs(a, b, f"{path}[{i}]")
        ]
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


# --------------------------------------------------------------------------- the protocol


class LRScheduler(_TorchLRScheduler):
    """lrplan's implementation of torch's ``LRScheduler`` protocol.

    Subclasses implement :meth:`_make_schedule`, which returns the pure schedule
    for one param group given its base value. Everything else is here:

    * **Construction** with ``last_epoch=-1`` records ``initial_<key>`` in every
      group (``setdefault``; tensors are cloned) and takes ``base_lrs`` from it.
      With ``last_epoch >= 0`` (resuming) every group must already hold it, or a
      ``KeyError`` explains what to do. The constructor then performs the initial
      step, so the value for step ``last_epoch + 1`` is written at once.
    * **step()** advances ``last_epoch`` by one and writes the new values
      (see the module docs for how closed form and chaining meet).
    * **step(epoch)** is torch's deprecated form: it warns with
      :data:`EPOCH_DEPRECATION_WARNING` and writes the closed form at ``epoch``.
      :meth:`set_step` does the same exactly, accepts floats, and never warns.
    * The **call-order check** warns once when ``scheduler.step()`` runs before
      ``optimizer.step()``, but not when AMP's GradScaler skipped the optimizer
      step because of an inf/NaN gradient.
    * :meth:`state_dict` is plain data (see :meth:`state_dict`) and
      :meth:`load_state_dict` checks the schedule's config fingerprint.
    * ``verbose=True`` (an argument torch removed in 2.7) logs every change to
      the ``"lrplan"`` logger instead of failing.

    Every value written is checked: a schedule can never put a NaN, an inf or a
    negative number into an optimizer.

    Example:
        >>> import torch, lrplan as lp
        >>> class Halving(lp.LRScheduler):
        ...     def _make_schedule(self, group_index, base):
        ...         return lp.Exponential(gamma=0.5)
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
        >>> sched = Halving(opt)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.05]
        >>> isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
        True
    """

    #: The param-group key this scheduler drives.
    key: str = "lr"
    #: Whether foreign changes to a group are composed with (torch's chainable
    #: classes) or overwritten by the closed form (``LambdaLR``).
    _chainable: ClassVar[bool] = True
    #: Whether schedules are multipliers of the base value (True) or absolute.
    _relative: bool = True
    #: The step whose values ``_written`` holds, stamped by ``_sync`` and
    #: ``_write_values``. The fast step does not stamp it (it only writes closed
    #: forms), so after fast steps the general path re-derives the same values once.
    _written_t: Any = None
    #: Set by ``_index_schedules``: whether ``_fast_step`` may run for this class.
    _fast_ok: bool = False
    #: Whether ``step()`` warns when it runs before ``optimizer.step()``, and
    #: whether ``step(epoch)`` warns that ``epoch`` is deprecated (torch's classes
    #: do, except ``CosineAnnealingWarmRestarts``).
    _warns_call_order: ClassVar[bool] = True
    _warns_epoch: ClassVar[bool] = True
    #: The hot step (see :meth:`_arm` and :mod:`lrplan._hot`), or ``None`` while
    #: disarmed; the (schedules, second schedule, fused kernel) compiled last.
    _hot: Callable[[Any], bool] | None = None
    _hot_pair: Any = None
    _hot_rechain: Any = None
    #: ``(stored, v)``: the packed fast step filled the buffer with the float ``v`` and
    #: read back ``stored`` (still ``_written`` while nothing else wrote).
    _buf_fill: tuple[list[float], float] | None = None
    _verbose: bool = False
    #: A subclass that overrides ``_update_lr`` sets this when its override only
    #: differs on the initial step, on ``t_prev < 0`` or on ``step(epoch)``, so the
    #: fast path (a closed-form step over untouched float groups) is still exact.
    _fast_step_safe: ClassVar[bool] = False
    #: A subclass that overrides ``_write_values`` only to write *other* keys as
    #: well (a momentum that cycles with the lr) sets this and does those writes
    #: in :meth:`_fast_also`, so the fast path stays available to it.
    _fast_write_safe: ClassVar[bool] = False

    optimizer: Optimizer
    last_epoch: Any

    def __init__(
        self,
        optimizer: Optimizer,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        owner = type(self).__name__
        self.optimizer = _check_optimizer(owner, optimizer)
        last_epoch = _check_last_epoch(owner, last_epoch)
        self.verbose = bool(verbose) and verbose != "deprecated"
        initial_key = self._initial_key
        if last_epoch == -1:
            for group in optimizer.param_groups:
                self._check_key_present(group)
                group.setdefault(initial_key, _copy_value(_read(group, self.key)))
        else:
            for i, group in enumerate(optimizer.param_groups):
                if initial_key not in group:
                    raise KeyError(
                        f"param {initial_key!r} is not specified in param_groups[{i}] when "
                        f"resuming {owner} with last_epoch={last_epoch} >= 0. Load the "
                        "optimizer's state_dict (which holds it) before creating the "
                        "scheduler, or use scheduler.load_state_dict() instead of last_epoch."
                    )
        self.last_epoch = last_epoch
        self._get = _getter(self.key)
        # The hot path's caches (see _closed_all and _packed); rebuilt whenever stale.
        self._idx_schedules: list[Schedule] | None = None
        self._idx_scales: list[float] | None = None
        self._idx_len = -1
        self._idx_fns: list[Callable[[float], float]] = []
        self._idx_of: list[int] = []
        self._idx_smax: float | None = None
        self._idx_uscale: float | None = None
        self._fast_same: list[float] | None = None  # a ``_written`` of one float object
        self._buf: torch.Tensor | None = None
        self._buf_views: list[Any] = []
        self._base_raw: list[Any] = [_copy_value(g[initial_key]) for g in optimizer.param_groups]
        self._bases: list[float] = [_as_float(b) for b in self._base_raw]
        self._schedules: list[Schedule] = []
        self._scales: list[float] = []
        self._build_schedules()
        self._written: list[float] = []
        self._chained: list[bool] = []
        self._last_values: list[float] = []
        _patch_optimizer_step(optimizer)
        self._initial_step()

    def __getstate__(self) -> dict[str, Any]:
        # The hot step belongs to this object (it edits this object's lists): a copy
        # arms its own on its first fast step.
        state = self.__dict__.copy()
        state.pop("_hot", None)
        return state

    @property
    def verbose(self) -> bool:
        """Log every change of a value to the ``"lrplan"`` logger (torch removed it in 2.7)."""
        return self._verbose

    @verbose.setter
    def verbose(self, value: bool) -> None:
        self._verbose = bool(value)
        self._hot = None  # the hot path does not log

    # -- what subclasses provide ----------------------------------------------------------

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        """The pure schedule for param group ``group_index`` whose base value is ``base``."""
        raise NotImplementedError

    def _extra_state(self) -> dict[str, Any]:
        """Subclass state beyond the step (plain data only)."""
        return {}

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_extra_state` returned."""

    # -- bases and schedules --------------------------------------------------------------

    @property
    def _initial_key(self) -> str:
        return f"initial_{self.key}"

    def _check_key_present(self, group: Mapping[str, Any]) -> None:
        try:
            _read(group, self.key)
        except (KeyError, IndexError, TypeError):
            raise ValueError(
                f"{type(self).__name__}: key {self.key!r} is not in the optimizer's param "
                f"groups (available: {sorted(k for k in group if k != 'params')}); "
                "use 'betas[0]'/'betas[1]' for Adam's betas"
            ) from None

    @property  # type: ignore[override]
    def base_lrs(self) -> list[Any]:
        """Each group's base value (``initial_<key>``); a tensor where the group's is.

        Assigning a new list rebuilds the per-group schedules from the new bases.
        """
        return [_copy_value(b) for b in self._base_raw]

    @base_lrs.setter
    def base_lrs(self, values: Sequence[Any]) -> None:
        values = list(values)
        if len(values) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{type(self).__name__}: base_lrs needs {len(self.optimizer.param_groups)} "
                f"values (one per param group), got {len(values)}"
            )
        self._base_raw = [_copy_value(v) for v in values]
        self._bases = [_as_float(v) for v in values]
        self._build_schedules()

    def _build_schedules(self) -> None:
        self._hot = None
        self._schedules = [self._make_schedule(i, b) for i, b in enumerate(self._bases)]
        for i, s in enumerate(self._schedules):
            if not isinstance(s, Schedule):
                raise TypeError(
                    f"{type(self).__name__}: schedule for param group {i} must be an "
                    f"lrplan Schedule, got {type(s).__name__}"
                )
        self._scales = [b if self._relative else 1.0 for b in self._bases]

    def _adopt_new_groups(self) -> None:
        """Groups added with ``optimizer.add_param_group`` after construction."""
        self._hot = None
        groups = self.optimizer.param_groups
        for i in range(len(self._bases), len(groups)):
            group = groups[i]
            self._check_key_present(group)
            group.setdefault(self._initial_key, _copy_value(_read(group, self.key)))
            raw = _copy_value(group[self._initial_key])
            self._base_raw.append(raw)
            self._bases.append(_as_float(raw))
            self._schedules.append(self._make_schedule(i, self._bases[-1]))
            self._scales.append(self._bases[-1] if self._relative else 1.0)
            # A group that joins mid-run composes with whatever it holds, as in torch.
            cur = _as_float(_read(group, self.key))
            # The fast path may alias these two lists; grow copies.
            self._written = [*self._written, cur]
            self._chained.append(self._chainable and self.last_epoch > 0)
            self._last_values = [*self._last_values, cur]

    # -- values ----------------------------------------------------------------------------

    def _closed(self, i: int, t: float) -> float:
        """The closed form for group ``i`` at time ``t`` (``t = -1`` is the base)."""
        if t < 0:
            return self._bases[i]
        return self._scales[i] * self._schedules[i](t)

    def _closed_all(self, t: float) -> list[float]:
        """``[self._closed(i, t) for every group]``, the same numbers, fast.

        Equal schedules (the usual case: one schedule for every group) are
        evaluated once, and the already validated ``t`` skips ``Schedule.__call__``'s
        checks.
        """
        if t < 0:
            return list(self._bases)
        if self._index_stale():
            self._index_schedules()
        ft = float(t)
        fns = self._idx_fns
        if len(fns) == 1:
            m = fns[0](ft)
            return [s * m for s in self._scales]
        ms = [fn(ft) for fn in fns]
        return [s * ms[j] for s, j in zip(self._scales, self._idx_of, strict=True)]

    def _index_stale(self) -> bool:
        """Whether the schedule index is out of date: O(1), no value comparisons.

        ``_schedules``/``_scales`` are replaced (``_build_schedules``) or grown in
        place (``_adopt_new_groups``), never edited element by element.
        """
        return (
            self._schedules is not self._idx_schedules
            or self._scales is not self._idx_scales
            or len(self._schedules) != self._idx_len
        )

    def _index_schedules(self) -> None:
        """Find the distinct schedules, so each is evaluated once per step.

        Also decide whether the fast path of :meth:`_update_lr` may be used: only
        for classes that keep the driver's own value and write rules, and not for
        ``betas`` (a tuple) or ``verbose`` logging. And note what lets the fast
        path skip work: one schedule and one scale for every group (every group
        gets the same value, computed once), and the largest scale when all are
        finite and ``>= 0`` (then ``m >= 0`` and ``m * max < inf`` prove every
        ``scale * m`` finite and ``>= 0`` without a pass over the values).
        """
        seen: dict[Any, int] = {}
        fns: list[Callable[[float], float]] = []
        of: list[int] = []
        for s in self._schedules:
            try:
                j = seen.setdefault(s, len(fns))
            except TypeError:  # unhashable: compare by identity
                j = seen.setdefault(id(s), len(fns))
            if j == len(fns):
                fns.append(_scalar_fn(s))
            of.append(j)
        self._hot = None
        self._hot_pair = self._hot_rechain = None
        self._idx_schedules = self._schedules
        self._idx_scales = self._scales
        self._idx_len = len(self._schedules)
        self._idx_fns = fns
        self._idx_of = of
        scales = self._scales
        bounded = bool(scales) and all(0.0 <= s < math.inf for s in scales)
        self._idx_smax = max(scales) if bounded else None
        # Equal and of one sign (0.0 and -0.0 compare equal but scale differently).
        one_scale = bounded and len({(s, math.copysign(1.0, s)) for s in scales}) == 1
        self._idx_uscale = scales[0] if one_scale and len(fns) == 1 else None
        cls = type(self)
        self._fast_ok = (
            self.key not in _BETAS_KEYS
            and (cls._write_values is LRScheduler._write_values or cls._fast_write_safe)
            and cls._closed_all is LRScheduler._closed_all
            and cls._closed is LRScheduler._closed
            and cls._changed is LRScheduler._changed
            and (cls._update_lr is LRScheduler._update_lr or cls._fast_step_safe)
        )

    def _fast_step(self) -> bool:
        """The common step, or ``False`` (nothing changed) when it doesn't apply.

        It applies when every group still holds the very float this scheduler
        wrote last (so nothing outside changed it and no group is in relative
        mode) and the new values are finite and non-negative. It computes and
        writes exactly what the general path would, with as little per-group
        work as possible: one identity test and one dict store per group, and
        when all groups share one schedule and one scale, one value for all.
        """
        self._hot = None  # armed again (_arm) only by a step that allows it
        if (
            not self._fast_ok
            or self._verbose
            or self.last_epoch < 0
            or self._schedules is not self._idx_schedules
            or self._scales is not self._idx_scales
        ):
            return False
        groups = self.optimizer.param_groups
        written = self._written
        n = len(written)
        if len(groups) != n or not n or n != self._idx_len:
            return False
        if True in self._chained:
            return self._fast_chained_step(groups)
        key = self.key
        # A group is untouched when it holds the float written last: the very object,
        # or (another scheduler rewrote it unchanged) an equal float, which is what
        # the general path's test (_changed) accepts too.
        w = written[0]
        x = groups[0][key]
        if x is not w and not (type(x) is float and x == w):
            return self._fast_packed_step(groups)
        # same: every group still holds the one float object written to all of them.
        same = written is self._fast_same
        if same:
            for group in groups:
                x = group[key]
                if x is not w:
                    same = False
                    if not (type(x) is float and x == w):
                        return False
        else:
            for group, wi in zip(groups, written, strict=True):
                x = group[key]
                if x is not wi and not (type(x) is float and x == wi):
                    return False
        t = self.last_epoch + 1
        u = self._idx_uscale
        if u is not None:
            v = u * self._idx_fns[0](float(t))
            if not (v >= 0.0 and v < _INF):
                return False  # the general path raises the precise error
            if self._fast_write_safe and not self._fast_also(t):
                return False
            if same and v == w and w != 0.0:
                # Unchanged (StepLR between its steps, a constant phase): every group
                # already holds this very number; nothing to write.
                self.last_epoch = t
                self._arm(t, w, n, u)
                return True
            for group in groups:
                group[key] = v
            values = [v] * n
            self._fast_same = values
        else:
            computed = self._fast_values(float(t))
            if computed is None:
                return False
            values = computed
            if self._fast_write_safe and not self._fast_also(t):
                return False
            for group, v in zip(groups, values, strict=True):
                group[key] = v
        self.last_epoch = t
        self._written = values
        self._last_values = values  # replaced, never edited (but see _arm)
        if u is not None:
            self._arm(t, values[0], n, u)
        return True

    def _fast_chained_step(self, groups: list[dict[str, Any]]) -> bool:
        """:meth:`_fast_step` for relative (chained) mode, when one computation serves all.

        It applies when every group is chained, shares one schedule and one scale,
        and holds the same non-zero float (the very object, or an equal float: equal
        non-zero floats are the same number, bit for bit). Then the relative step of
        the general path (``_rechain``, or the closed form where that is undefined)
        gives one value for every group: it is computed once and written to all.
        A result equal to the current value is written as the current object, so a
        scheduler chained after this one sees its own value untouched.
        """
        if not self._chainable or False in self._chained:
            return False
        u = self._idx_uscale
        key = self.key
        c = groups[0][key]
        if u is not None and isinstance(c, torch.Tensor):
            return self._fast_chained_packed(groups, u)
        if u is None or type(c) is not float or not (c != 0.0 and c - c == 0.0):
            return False  # also refuses NaN and inf (c - c is NaN)
        same = True  # every group holds the object c itself
        for group in groups:
            x = group[key]
            if x is not c:
                if type(x) is not float or x != c:
                    return False
                same = False
        t = self.last_epoch + 1
        v = self._rechained(c, u)
        if v is None:
            return False
        if v == c:
            v = c
        if self._fast_write_safe and not self._fast_also(t):
            return False
        if same and v is c:
            # Unchanged: the groups already hold it. Record it as written all the same.
            if self._written is not self._fast_same or self._written[0] is not c:
                self._written = self._last_values = self._fast_same = [c] * len(groups)
            self.last_epoch = t
        else:
            for group in groups:
                group[key] = v
            values = [v] * len(groups)
            self._fast_same = values
            self.last_epoch = t
            self._written = values
            self._last_values = values
        if same and not self._fast_write_safe:
            self._arm_chained(t, v, len(groups), u)
        return True

    def _fast_chained_packed(self, groups: list[dict[str, Any]], u: float) -> bool:
        """:meth:`_fast_chained_step` for tensor groups that are views of one buffer
        (see :meth:`_fast_packed_step`) and all hold one number: one read, one relative
        update, and one ``fill_`` (nothing written when the value is unchanged)."""
        buf = self._packed_buffer(groups)
        if buf is None:
            return False
        current = buf.tolist()
        c = current[0]
        if not (c != 0.0 and c - c == 0.0) or current.count(c) != len(current):
            return False  # not one finite, non-zero number (equal numbers: the same bits)
        t = self.last_epoch + 1
        v = self._rechained(c, u)
        if v is None:
            return False
        src = None
        if v != c and not _fills_exactly(buf.dtype, v):
            src = torch.tensor([v] * len(groups), dtype=buf.dtype)  # as _write_values does
            if not bool(torch.isfinite(src).all()):
                return False  # too large for the dtype: the general path raises
        if self._fast_write_safe and not self._fast_also(t):
            return False
        if v != c:  # else the buffer already holds it (written again, it would not change)
            if src is None:
                buf.fill_(v)
            else:
                buf.copy_(src)
            current = buf.tolist()
        self.last_epoch = t
        self._written = current
        self._last_values = current
        return True

    def _rechained(self, c: float, u: float) -> float | None:
        """The relative (chained) step of the one schedule from ``c``, the value every
        group holds: ``_rechain``, or the closed form where the ratio is undefined, as
        the general path computes it; ``None`` unless finite and ``>= 0``."""
        t_prev = self.last_epoch
        v = self._schedules[0]._rechain(c, u, t_prev, t_prev + 1)
        if v is None:
            v = u * self._idx_fns[0](float(t_prev + 1))
        return v if v >= 0.0 and v < _INF else None

    def _packed_buffer(self, groups: list[dict[str, Any]]) -> torch.Tensor | None:
        """The packed buffer (:func:`_pack`) when every group still holds its view of it."""
        buf = self._buf
        views = self._buf_views
        if buf is None or len(views) != len(groups):
            return None
        key = self.key
        for group, view in zip(groups, views, strict=True):
            if group[key] is not view:
                return None
        return buf

    def _arm_chained(self, t: int, v: float, n: int, u: float) -> None:
        """Arm the hot step of relative mode (:func:`lrplan._hot.hot_chained_step`)
        after a chained fast step that left every group holding ``v`` at step ``t``,
        when the shape's relative update traces into a kernel (Step, MultiStep,
        Exponential: ``compile_rechain``)."""
        if self._step_count < 2 or self._verbose:
            return
        cached = self._hot_rechain
        if cached is not None and cached[0] is self._idx_schedules and cached[1] == u:
            rechain = cached[2]
        else:
            rechain = compile_rechain(self._schedules[0], u)
            self._hot_rechain = (self._idx_schedules, u, rechain)
        if rechain is None:
            return
        values = [v] * n
        self._written = self._last_values = self._fast_same = values
        self._hot = hot_chained_step(key=self.key, n=n, t=t, values=values, rechain=rechain)

    def _fast_packed_step(self, groups: list[dict[str, Any]]) -> bool:
        """:meth:`_fast_step` for tensor groups that are views of one buffer (:func:`_pack`).

        The buffer is read with one ``tolist()`` (a foreign change shows as a value
        that differs from what was stored) and written with one ``fill_`` (one value
        for all) or one ``copy_``, rounding as the general path does.
        """
        buf = self._packed_buffer(groups)
        if buf is None or buf.tolist() != self._written:
            return False
        t = self.last_epoch + 1
        u = self._idx_uscale
        values: list[float] | None
        if u is not None:
            v = u * self._idx_fns[0](float(t))
            if not (v >= 0.0 and v < _INF):
                return False
            values = None
        else:
            values = self._fast_values(float(t))
            if values is None:
                return False
        src: torch.Tensor | None = None
        if values is not None or not _fills_exactly(buf.dtype, v):
            src = torch.tensor([v] * len(groups) if values is None else values, dtype=buf.dtype)
            if not bool(torch.isfinite(src).all()):
                return False  # too large for the dtype: the general path raises
        if self._fast_write_safe and not self._fast_also(t):
            return False
        fill = self._buf_fill
        if src is None and fill is not None and fill[0] is self._written and fill[1] == v:
            # The buffer holds (just read) what filling it with this very number stored
            # last time (StepLR between its steps): filling it again changes nothing.
            self.last_epoch = t
            self._last_values = self._written
            return True
        if src is None:
            buf.fill_(v)
        else:
            buf.copy_(src)  # as _write_values does
        stored = buf.tolist()
        self._buf_fill = (stored, v) if src is None else None
        self.last_epoch = t
        self._written = stored
        self._last_values = stored
        return True

    def _fast_snapshot(self) -> list[float] | None:
        """What every group holds right after this scheduler's last step, or ``None``.

        Known without reading the groups when that step was a fast one that gave
        every group one float (a ``ChainedScheduler`` whose last child this is
        records its ``_last_lr`` from it). Valid only until anything else writes.
        """
        values = self._last_values
        return list(values) if values is self._fast_same else None

    def _fast_also(self, t: int) -> bool:
        """With ``_fast_write_safe``: write the other keys for step ``t``, all or none.

        Called by the fast path once the lr values are known to be valid and before
        any is written. Return ``False``, having written nothing, to send the step to
        the general path (which then calls ``_write_values``).
        """
        return True

    def _fast_values(self, ft: float) -> list[float] | None:
        """Every group's closed form at ``ft`` (as :meth:`_closed_all`), or ``None`` if
        one is not finite and ``>= 0``."""
        fns = self._idx_fns
        scales = self._scales
        smax = self._idx_smax
        if len(fns) == 1:
            m = fns[0](ft)
            values = [s * m for s in scales]
            if smax is not None:
                return values if m >= 0.0 and m * smax < _INF else None
        else:
            ms = [fn(ft) for fn in fns]
            values = [s * ms[j] for s, j in zip(scales, self._idx_of, strict=True)]
            if smax is not None:
                return values if min(ms) >= 0.0 and max(ms) * smax < _INF else None
        return values if min(values) >= 0.0 and sum(values) < _INF else None

    def _relative_step(self, i: int, current: float, t_prev: float, t: float) -> float:
        if t_prev < 0:
            base = self._bases[i]
            if base == 0:
                return self._closed(i, t)
            return current * (self._closed(i, t) / base)
        new = self._schedules[i]._rechain(current, self._scales[i], t_prev, t)
        return self._closed(i, t) if new is None else new

    def _expect_closed(self, t: float) -> None:
        """Expect every group to hold the closed form at step ``t``, as it would be stored."""
        self._hot = None
        self._written = [
            _stored_like(_read(g, self.key), self._closed(i, t))
            for i, g in enumerate(self.optimizer.param_groups)
        ]
        self._written_t = t

    def _sync(self) -> None:
        """Forget foreign changes: expect every group to hold the closed form at ``last_epoch``."""
        self._expect_closed(self.last_epoch)
        self._chained = [False] * len(self._written)

    def _changed(self, groups: list[dict[str, Any]]) -> list[float] | None:
        """Every group's current value, or ``None`` when nothing needs a relative step.

        ``None`` means no group is chained and each still holds exactly what this
        scheduler last wrote. The common case is decided without reading a
        number: a float group still holds the very float object written last.
        """
        raw = list(map(self._get, groups))
        chained = True in self._chained
        if not chained and all(map(operator.is_, raw, self._written)):
            return None
        buf = self._packed(raw)
        current = buf.tolist() if buf is not None else [_as_float(v) for v in raw]
        if not chained and current == self._written:
            return None
        return current

    def _packed(self, raw: list[Any]) -> torch.Tensor | None:
        """The buffer whose elements are the groups' tensors ``raw``, or ``None``.

        Packing (see :func:`_pack`) is attempted again whenever the groups hold
        other objects than last time (a group added, a tensor replaced).
        """
        views = self._buf_views
        if len(views) == len(raw) and all(map(operator.is_, raw, views)):
            return self._buf
        self._buf = _pack(raw)
        self._buf_views = raw
        return self._buf

    def _write_values(self, values: Sequence[float]) -> None:
        self._hot = None
        owner = type(self).__name__
        t = self.last_epoch
        key = self.key
        groups = self.optimizer.param_groups
        values = list(values)
        if len(values) != len(groups):
            raise ValueError(f"{owner}: {len(values)} values for {len(groups)} param groups")
        _check_values(owner, key, t, values)
        raw = list(map(self._get, groups))
        float_only = set(map(type, raw)) == _FLOAT_ONLY
        if not float_only:
            for i, (r, v) in enumerate(zip(raw, values, strict=True)):
                if isinstance(r, torch.Tensor):
                    _check_fits(owner, key, i, t, r, v)
        stored: list[float]
        if key not in _BETAS_KEYS and float_only:
            for group, v in zip(groups, values, strict=True):
                group[key] = v
            stored = values
        elif (buf := self._packed(raw)) is not None:
            # One tensor op for every group; the cast rounds exactly as fill_ would.
            src = torch.tensor(values, dtype=buf.dtype)
            buf.copy_(src)
            stored = src.tolist()
        else:
            stored = [_write(g, key, v) for g, v in zip(groups, values, strict=True)]
        if self.verbose:
            last = self._last_values
            for i, v in enumerate(stored):
                if i >= len(last) or v != last[i]:
                    logger.info("%s: step %s, param group %d: %s = %.6e", owner, t, i, key, v)
        self._written = stored
        self._written_t = t
        self._last_values = list(stored)

    # -- the protocol ----------------------------------------------------------------------

    def _initial_step(self) -> None:
        """Reset the step count and perform the initial step (torch's protocol)."""
        self._step_count = 0
        self._sync()
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self, epoch: int | float | None = None) -> None:  # type: ignore[override]
        """Advance one step and write the new values.

        ``epoch`` is torch's deprecated argument: it warns and writes the closed
        form at ``epoch``; prefer :meth:`set_step`.
        """
        hot = self._hot
        if hot is not None and epoch is None and hot(self):
            return  # the hot step (see _arm and lrplan._hot) did it all
        if epoch is None and self._step_count > 1:
            # Nothing to check or warn about, and usually nothing changed.
            self._step_count += 1
            if not self._fast_step():
                self._update_lr(None)
            return
        self._count_step(epoch)
        self._update_lr(epoch)

    def _arm(self, t: int, w: float, n: int, u: float) -> None:
        """Arm the hot step after a fast step that gave all ``n`` groups the one float
        ``w`` at step ``t`` (one schedule, one scale ``u``).

        The hot step (:func:`lrplan._hot.hot_step`, the schedule's kernel inlined)
        then re-checks only what can change without this scheduler knowing:
        ``last_epoch`` (assigned from outside), the optimizer's groups (added,
        replaced) and the values they hold (written by someone else). Whatever
        can change only through this scheduler disarms it (``_hot = None``): a
        general step or write, new schedules or scales, ``verbose``, a load.
        """
        if self._step_count < 2 or self._verbose:
            return  # the call-order check (step 1) runs on the general path
        # One list for the three, owned by the hot step, which edits it in place
        # (everyone else replaces these lists; readers copy them).
        values = [w] * n
        self._written = self._last_values = self._fast_same = values
        kernel: Callable[[float], Any] = self._idx_fns[0]
        key2 = w2 = None
        also = self._fast_write_safe
        second = self._second_kernel() if also else None
        if second is not None:
            key2, w2, kernel = second
            also = False
            self._hot_second_taken()
        self._hot = hot_step(
            key=self.key,
            n=n,
            scale=u,
            written=w,
            t=t,
            values=values,
            kernel=kernel,
            key2=key2,
            written2=w2,
            also=also,
        )

    def _second_kernel(self) -> tuple[str, float, Callable[[float], Any]] | None:
        """``(key, value, kernel)`` for the hot step to write :meth:`_hot_second`'s key.

        When every group holds one float object for that key (just written by
        ``_fast_also``), one kernel computes both values (:func:`compile_kernels`,
        cached per schedule pair); else ``None`` (``_fast_also`` writes it).
        """
        second = self._hot_second()
        if second is None:
            return None
        key2, schedule2 = second
        groups = self.optimizer.param_groups
        w2 = groups[0][key2]
        if type(w2) is not float or any(g[key2] is not w2 for g in groups):
            return None
        cached = self._hot_pair
        if cached is not None and cached[0] is self._idx_schedules and cached[1] == schedule2:
            fused = cached[2]
        else:
            fused = compile_kernels(self._schedules[0], schedule2)
            self._hot_pair = (self._idx_schedules, schedule2, fused)
        return None if fused is None else (key2, w2, fused)

    def _hot_second(self) -> tuple[str, Schedule] | None:
        """A second float key the hot path may write with the lr: ``(key, schedule)``
        (absolute values, one schedule for every group), or ``None`` (the default)."""
        return None

    def _hot_second_taken(self) -> None:
        """The hot path now writes the key of :meth:`_hot_second` itself."""

    def _count_step(self, epoch: Any) -> None:
        """The bookkeeping of a user's ``step()``: call-order check, count, deprecation."""
        if self._step_count == 1 and self._warns_call_order:
            _check_call_order(self.optimizer)
        self._step_count += 1
        if epoch is not None and self._warns_epoch:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=3)

    def _update_lr(self, epoch: int | float | None = None) -> None:
        """Write the values for the next step, or for ``epoch`` in closed form."""
        self._hot = None
        groups = self.optimizer.param_groups
        if len(groups) != len(self._bases):
            self._adopt_new_groups()
        if epoch is not None:
            self.last_epoch = _check_time("step", epoch)
            self._chained = [False] * len(self._chained)
            self._write_values(self._closed_all(self.last_epoch))
            return
        if self._fast_step():
            return
        t_prev = self.last_epoch
        t = t_prev + 1
        self.last_epoch = t
        if self._chainable and self._written_t != t_prev:
            # ``last_epoch`` was moved from outside (torch's SequentialLR undoes its
            # children's steps): what this scheduler wrote belongs to another step,
            # and a sibling may since have written the same number. Expect the
            # closed form at ``t_prev`` instead; unchained groups always hold it.
            self._expect_closed(t_prev)
        current = self._changed(groups) if self._chainable else None
        if current is None:
            self._write_values(self._closed_all(t))
            return
        values = []
        for i, cur in enumerate(current):
            if self._chained[i] or cur != self._written[i]:
                self._chained[i] = True
                values.append(self._relative_step(i, cur, t_prev, t))
            else:
                values.append(self._closed(i, t))
        self._write_values(values)

    def set_step(self, t: int | float) -> None:
        """Jump to time ``t`` (int or float, ``>= 0``) and write its closed form.

        Exact random access: no warning, no accumulated error, and any relative
        (chained) mode is reset. It does not count as a ``step()`` call.
        """
        self._adopt_new_groups()
        self.last_epoch = _check_time("set_step", t)
        self._chained = [False] * len(self._chained)
        self._write_values(self._closed_all(self.last_epoch))

    def get_lr(self) -> list[Any]:
        """The closed-form values at ``last_epoch``, one per group (torch's ``get_lr``)."""
        return self._as_group_types(self._closed_all(self.last_epoch))

    def _get_closed_form_lr(self) -> list[Any]:
        return self.get_lr()

    def _as_group_types(self, values: Sequence[float]) -> list[Any]:
        out: list[Any] = []
        for group, v in zip(self.optimizer.param_groups, values, strict=False):
            raw = _read(group, self.key)
            if isinstance(raw, torch.Tensor):
                out.append(torch.tensor(v, dtype=raw.dtype, device=raw.device))
            else:
                out.append(v)
        return out

    def get_last_lr(self) -> list[Any]:
        """Fresh copies of the values last written (a tensor where the group holds one)."""
        return self._as_group_types(self._last_values)

    @property
    def _last_lr(self) -> list[Any]:
        return self.get_last_lr()

    @_last_lr.setter
    def _last_lr(self, values: Sequence[Any]) -> None:
        # Wrappers written for torch's schedulers assign ``_last_lr``; honour it.
        self._hot = None
        self._last_values = [_as_float(v) for v in values]

    @property
    def schedules(self) -> list[Schedule]:
        """The pure schedule of each param group (read-only)."""
        return list(self._schedules)

    # -- state -----------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        return {
            "class": type(self).__name__,
            "key": self.key,
            "relative": self._relative,
            "schedules": [s.to_config() for s in self._schedules],
        }

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data.

        Numbers, strings, bools, lists and dicts only, so
        ``torch.load(..., weights_only=True)`` accepts it. The key set is fixed from
        construction on. ``config`` describes every group's schedule and
        ``fingerprint`` hashes it, so a resumed run can detect a changed schedule.
        """
        config = self._config()
        # What the groups hold *now*, not what this scheduler last wrote: another
        # scheduler on the same optimizer (or the user's ``group["lr"] *= k``) may have
        # changed it since. Every scheduler then restores the same values, in any load
        # order, and a change not yet seen by a step is marked for relative mode, as
        # the next step() would have done.
        groups = self.optimizer.param_groups[: len(self._written)]
        current = [_as_float(_read(g, self.key)) for g in groups]
        chained = [
            bool(c) or (self._chainable and v != w)
            for c, v, w in zip(self._chained, current, self._written, strict=True)
        ]
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "class": type(self).__name__,
            "key": self.key,
            "fingerprint": fingerprint(config),
            "config": config,
            "last_epoch": self.last_epoch,
            "step_count": self._step_count,
            "base_values": list(self._bases),
            "last_values": current,
            "chained": chained,
            "extra": self._extra_state(),
        }

    def load_state_dict(  # type: ignore[override]
        self,
        state_dict: Mapping[str, Any],
        *,
        on_config_change: ConfigChangePolicy = "error",
    ) -> None:
        """Restore the state from :meth:`state_dict` and write its values into the optimizer.

        ``state_dict`` is not modified. State from another scheduler class, another
        key or another format version is rejected before anything changes.

        ``on_config_change`` says what to do when the saved schedule differs from
        this scheduler's (the fingerprints differ):

        * ``"error"`` (default): raise ``ValueError`` naming what changed;
        * ``"keep_step"``: keep the saved step and continue on the new schedule;
        * ``"keep_fraction"``: keep the saved fraction of the run, rescaled to the
          new schedule's length (both must have a finite length).
        """
        self._hot = None
        owner = type(self).__name__
        if on_config_change not in _POLICIES:
            raise ValueError(
                f"{owner}.load_state_dict: on_config_change must be one of {_POLICIES}, "
                f"got {on_config_change!r}"
            )
        st = _validate_state(owner, state_dict, self.key, len(self.optimizer.param_groups))
        saved_bases = [float(b) for b in st["base_values"]]
        old = (list(self._base_raw), list(self._bases), list(self._schedules), list(self._scales))
        try:
            self.base_lrs = _rebase_like(self._base_raw, saved_bases)
            changed = fingerprint(self._config()) != st["fingerprint"]
            if changed and on_config_change == "error":
                diffs = _diff_configs(st["config"], self._config())
                raise ValueError(
                    f"{owner}.load_state_dict: the saved schedule differs from this one "
                    f"({'; '.join(diffs) or 'fingerprint mismatch'}). Pass "
                    "on_config_change='keep_step' or 'keep_fraction' to resume anyway."
                )
            t = st["last_epoch"]
            if changed and on_config_change == "keep_fraction":
                t = _rescale_time(owner, st["config"], self._schedules, t)
            self._load_extra_state(st["extra"])
        except Exception:
            self._base_raw, self._bases, self._schedules, self._scales = old
            raise
        self._step_count = int(st["step_count"])
        self.last_epoch = t
        self._written = [0.0] * len(self._bases)
        if changed:
            self._chained = [False] * len(self._bases)
            self._write_values([self._closed(i, t) for i in range(len(self._bases))])
        else:
            self._chained = [bool(c) for c in st["chained"]]
            self._write_values([float(v) for v in st["last_values"]])


def _check_time(owner: str, t: Any) -> Any:
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"{owner}: the step must be a number >= 0, got {type(t).__name__} {t!r}")
    if not (float(t) >= 0.0 and math.isfinite(float(t))):
        raise ValueError(f"{owner}: the step must be finite and >= 0, got {t!r}")
    return int(t) if isinstance(t, numbers.Integral) else float(t)


_REQUIRED_STATE = {
    "format": str,
    "version": int,
    "class": str,
    "key": str,
    "fingerprint": str,
    "config": dict,
    "step_count": int,
    "base_values": list,
    "last_values": list,
    "chained": list,
    "extra": dict,
}


def check_state_version(owner: str, state: Mapping[str, Any]) -> None:
    """Refuse a state written in another format version than this lrplan reads."""
    if state.get("version") != STATE_VERSION:
        raise ValueError(
            f"{owner}.load_state_dict: state format version {state.get('version')!r} is not "
            f"supported (this lrplan reads version {STATE_VERSION})"
        )


def check_state_header(owner: str, state: Any, fmt: str, kind: str) -> Mapping[str, Any]:
    """What every lrplan state must be: a mapping, tagged ``fmt``, in a version we read.

    ``kind`` names the state in the message ("scheduler", "SequentialLR", ...).
    Returns ``state``, now known to be a mapping.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner}.load_state_dict: expected a dict, got {type(state).__name__}")
    if state.get("format") != fmt:
        raise ValueError(
            f"{owner}.load_state_dict: this is not an lrplan {kind} state "
            f"(format={state.get('format')!r}); it may come from torch's own {kind}"
        )
    check_state_version(owner, state)
    return state


def _validate_state(owner: str, state: Any, key: str, n_groups: int) -> dict[str, Any]:
    check_state_header(owner, state, STATE_FORMAT, "scheduler")
    for k, typ in _REQUIRED_STATE.items():
        if not isinstance(state.get(k), typ):
            raise ValueError(f"{owner}.load_state_dict: state key {k!r} is missing or malformed")
    if state["class"] != owner:
        raise ValueError(
            f"{owner}.load_state_dict: the state belongs to {state['class']}, not {owner}"
        )
    if state["key"] != key:
        raise ValueError(
            f"{owner}.load_state_dict: the state drives {state['key']!r}, this scheduler {key!r}"
        )
    t = state.get("last_epoch")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise ValueError(f"{owner}.load_state_dict: state key 'last_epoch' is malformed")
    for k in ("base_values", "last_values", "chained"):
        if len(state[k]) != n_groups:
            raise ValueError(
                f"{owner}.load_state_dict: the state has {len(state[k])} param groups in "
                f"{k!r}, the optimizer has {n_groups}"
            )
    return dict(state)


def _rebase_like(raw: Sequence[Any], values: Sequence[float]) -> list[Any]:
    out: list[Any] = []
    for r, v in zip(raw, values, strict=True):
        out.append(
            torch.tensor(v, dtype=r.dtype, device=r.device) if isinstance(r, torch.Tensor) else v
        )
    return out


def _rescale_time(
    owner: str, old_config: Mapping[str, Any], new: Sequence[Schedule], t: float
) -> float:
    try:
        old_scheds = [Schedule.from_config(c) for c in old_config["schedules"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{owner}.load_state_dict: cannot read the saved schedule: {e}") from None
    old_d = {s.duration for s in old_scheds}
    new_d = {s.duration for s in new}
    if len(old_d) != 1 or len(new_d) != 1 or None in old_d or None in new_d:
        raise ValueError(
            f"{owner}.load_state_dict: on_config_change='keep_fraction' needs schedules with "
            f"one finite length (saved: {sorted(map(str, old_d))}, now: {sorted(map(str, new_d))})"
        )
    (od,), (nd,) = old_d, new_d
    if od is None or nd is None or not od:
        raise ValueError(f"{owner}.load_state_dict: the saved schedule has length 0")
    scaled = t * (nd / od)
    return round(scaled) if isinstance(t, int) and float(scaled).is_integer() else scaled


# --------------------------------------------------------------------------- ScheduledLR


_ABSOLUTE_BY_DEFAULT = ("momentum", "betas[0]", "betas[1]", "dampening")


class ScheduledLR(LRScheduler):
    """Drive any param-group key of any optimizer with pure schedules.

    Args:
        optimizer: the optimizer whose param groups are driven.
        schedule: one :class:`~lrplan.Schedule` for every group, or a list with
            one per group.
        key: the param-group entry to drive: ``"lr"`` (default),
            ``"weight_decay"``, ``"momentum"``, ``"betas[0]"``, ``"betas[1]"``, or
            any other scalar entry the groups hold.
        relative: whether schedule values multiply each group's base value
            (``initial_<key>``, recorded at construction) or are the values
            themselves. The default is relative for ``lr``, ``weight_decay`` and
            other keys, and absolute for ``momentum``, ``dampening`` and ``betas``,
            whose values are coefficients one states directly.
        last_epoch: the last step taken, when resuming (torch's protocol).

    Tensor values (a tensor ``lr``, tensor ``betas``) are updated in place with
    ``fill_``, never replaced, so a compiled optimizer step keeps its graph.

    Example:
        >>> import torch, lrplan as lp
        >>> model = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> plan = lp.warmup(lp.Cosine(steps=90, end=0.01), steps=10)
        >>> sched = lp.ScheduledLR(opt, plan)
        >>> mom = lp.ScheduledLR(opt, lp.Linear(steps=100, start=0.95, end=0.85), key="momentum")
        >>> opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        (0.0, 0.95)
        >>> for _ in range(10):
        ...     opt.step(); sched.step(); mom.step()
        >>> sched.get_last_lr(), round(opt.param_groups[0]["momentum"], 6)
        ([0.1], 0.94)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedule | Sequence[Schedule],
        *,
        key: str = "lr",
        relative: bool | None = None,
        last_epoch: int = -1,
        verbose: bool | str = False,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise TypeError(f"ScheduledLR: key must be a non-empty str, got {key!r}")
        if key == "params" or key.startswith("initial_"):
            raise ValueError(f"ScheduledLR: key {key!r} cannot be scheduled")
        self.key = key
        if relative is None:
            relative = key not in _ABSOLUTE_BY_DEFAULT
        if not isinstance(relative, bool):
            raise TypeError(f"ScheduledLR: relative must be a bool or None, got {relative!r}")
        self._relative = relative
        n = len(_check_optimizer("ScheduledLR", optimizer).param_groups)
        if isinstance(schedule, Schedule):
            self._given: list[Schedule] | Schedule = schedule
        elif isinstance(schedule, list | tuple):
            if len(schedule) != n:
                raise ValueError(
                    f"ScheduledLR: schedule list must have one entry per param group "
                    f"({n}), got {len(schedule)}"
                )
            for i, s in enumerate(schedule):
                if not isinstance(s, Schedule):
                    raise TypeError(
                        f"ScheduledLR: schedule[{i}] must be an lrplan Schedule, "
                        f"got {type(s).__name__}"
                    )
            self._given = list(schedule)
        else:
            raise TypeError(
                "ScheduledLR: schedule must be an lrplan Schedule or a list of them, "
                f"got {type(schedule).__name__}"
            )
        super().__init__(optimizer, last_epoch, verbose)

    def _make_schedule(self, group_index: int, base: float) -> Schedule:
        if isinstance(self._given, Schedule):
            return self._given
        if group_index >= len(self._given):
            raise ValueError(
                f"ScheduledLR: param group {group_index} was added after construction, but "
                "a per-group schedule list was given; pass one schedule for all groups"
            )
        return self._given[group_index]
