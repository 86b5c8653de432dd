"""User schedulers written against torch's ``LRScheduler`` run unchanged on lrplan's.

Every scheduler below is written the way people write them against
``torch.optim.lr_scheduler.LRScheduler``: a factory ``make_x(Base)`` returns the
class, so the very same code is built twice, once on torch's base (the
reference) and once on ``lrplan.LRScheduler`` (the candidate). Library classes a
script uses (``StepLR``, ``SequentialLR``, ...) come from the same side: torch's
with torch's base, lrplan's with lrplan's.

One script runs on both sides, each with a fresh model and a fresh SGD optimizer
(momentum, two param groups with different lrs, float lrs or 0-dim float64
tensor lrs). After every action a :class:`Recorder` takes a snapshot: each
group's ``lr`` and ``initial_lr``, the optimizer's call-order bookkeeping, a
checksum of the parameters, and for every watched scheduler ``last_epoch``,
``_step_count``, ``base_lrs``, ``get_last_lr()`` and the subclass's own state,
plus the warnings the action emitted (category, text, and whether they point at
user code or library code) and any exception it raised.
:func:`assert_same_trace` then names the first action where the traces differ.

To check the tests themselves against torch, put torch on both sides:

    LRPLAN_PROTOCOL_CANDIDATE=torch pytest tests/test_protocol_subclass.py
"""

from __future__ import annotations

import copy
import importlib
import io
import math
import os
import pickle
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as torch_sched
from hypothesis import given, settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------- the user's schedulers

_GET_LR_MESSAGE = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)


def make_warmup_multistep(Base: type) -> type:
    """Pattern 1: chainable (reads ``group["lr"]``), warns when get_lr() runs outside step()."""

    class WarmupMultiStep(Base):
        def __init__(
            self,
            optimizer,
            milestones,
            gamma=0.1,
            warmup_iters=5,
            warmup_factor=1.0 / 3,
            last_epoch=-1,
        ):
            if list(milestones) != sorted(milestones):
                raise ValueError(f"milestones must be increasing, got {milestones}")
            self.milestones = dict(Counter(milestones))
            self.gamma = gamma
            self.warmup_iters = warmup_iters
            self.warmup_factor = warmup_factor
            self.get_lr_calls = 0
            super().__init__(optimizer, last_epoch)

        def _warmup(self, epoch):
            if epoch >= self.warmup_iters:
                return 1.0
            alpha = epoch / self.warmup_iters
            return self.warmup_factor * (1.0 - alpha) + alpha

        def get_lr(self):
            if not self._get_lr_called_within_step:
                warnings.warn(_GET_LR_MESSAGE, UserWarning, stacklevel=2)
            self.get_lr_calls += 1
            epoch = self.last_epoch
            groups = self.optimizer.param_groups
            if epoch == 0:
                return [group["lr"] * self.warmup_factor for group in groups]
            factor = self._warmup(epoch) / self._warmup(epoch - 1)
            factor *= self.gamma ** self.milestones.get(epoch, 0)
            return [group["lr"] * factor for group in groups]

    return WarmupMultiStep


def make_closed_step(Base: type) -> type:
    """Pattern 2: closed-form get_lr from base_lrs/last_epoch plus ``_get_closed_form_lr``.

    Both log their calls, with the protocol flags they saw, so the traces show
    which one the base called, when, and how often.
    """

    class ClosedFormStepDecay(Base):
        def __init__(self, optimizer, step_size, gamma=0.5, last_epoch=-1):
            self.step_size = step_size
            self.gamma = gamma
            self.calls = []
            super().__init__(optimizer, last_epoch)

        def _log(self, which):
            flags = [bool(self._get_lr_called_within_step), bool(self._is_initial)]
            self.calls.append([which, self.last_epoch, *flags])

        def get_lr(self):
            self._log("get_lr")
            factor = self.gamma ** (self.last_epoch // self.step_size)
            return [base_lr * factor for base_lr in self.base_lrs]

        def _get_closed_form_lr(self):
            self._log("closed_form")
            factor = self.gamma ** (self.last_epoch // self.step_size)
            return [base_lr * factor for base_lr in self.base_lrs]

    return ClosedFormStepDecay


def make_noam(Base: type) -> type:
    """Pattern 3: Noam / inverse-sqrt warmup (Vaswani et al. 2017), closed form."""

    class Noam(Base):
        def __init__(self, optimizer, d_model, warmup_steps, last_epoch=-1):
            self.d_model = d_model
            self.warmup_steps = warmup_steps
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            step = max(self.last_epoch, 1)
            scale = self.d_model**-0.5 * min(step**-0.5, step * self.warmup_steps**-1.5)
            return [base_lr * scale for base_lr in self.base_lrs]

    return Noam


def make_poly_nosuper(Base: type) -> type:
    """Pattern 4: polynomial decay whose step() never calls super() and has no get_lr.

    It sets ``last_epoch`` itself, writes ``group["lr"]`` directly (replacing a
    tensor lr by a new tensor) and keeps its own ``_last_lr``.
    """

    class PolyDecay(Base):
        def __init__(self, optimizer, max_decay_steps, end_lr=1e-4, power=2.0):
            if max_decay_steps <= 1:
                raise ValueError("max_decay_steps should be greater than 1.")
            self.max_decay_steps = max_decay_steps
            self.end_lr = end_lr
            self.power = power
            super().__init__(optimizer)

        def step(self, epoch=None):
            self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
            t = min(self.last_epoch, self.max_decay_steps)
            frac = (1.0 - t / self.max_decay_steps) ** self.power
            for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                group["lr"] = (base_lr - self.end_lr) * frac + self.end_lr
            self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    return PolyDecay


def make_cosine_restarts(Base: type) -> type:
    """Pattern 5: cosine with warmup and restarts; reassigns ``base_lrs`` at every restart."""

    class CosineWarmupRestarts(Base):
        def __init__(
            self,
            optimizer,
            first_cycle_steps,
            warmup_steps=2,
            cycle_mult=1.5,
            gamma=0.6,
            min_lr=1e-3,
            last_epoch=-1,
        ):
            self.first_cycle_steps = first_cycle_steps
            self.warmup_steps = warmup_steps
            self.cycle_mult = cycle_mult
            self.gamma = gamma
            self.min_lr = min_lr
            self.cycle = 0
            self.step_in_cycle = last_epoch
            self.cur_cycle_steps = first_cycle_steps
            super().__init__(optimizer, last_epoch)

        def _next_length(self, length):
            return self.warmup_steps + int((length - self.warmup_steps) * self.cycle_mult)

        def get_lr(self):
            s, lo = self.step_in_cycle, self.min_lr
            if s < self.warmup_steps:
                return [lo + (peak - lo) * s / self.warmup_steps for peak in self.base_lrs]
            progress = (s - self.warmup_steps) / (self.cur_cycle_steps - self.warmup_steps)
            f = (1.0 + math.cos(math.pi * progress)) / 2.0
            return [lo + (peak - lo) * f for peak in self.base_lrs]

        def step(self, epoch=None):
            if epoch is None:
                self.step_in_cycle += 1
                if self.step_in_cycle >= self.cur_cycle_steps:
                    self.cycle += 1
                    self.step_in_cycle -= self.cur_cycle_steps
                    self.cur_cycle_steps = self._next_length(self.cur_cycle_steps)
                    self.base_lrs = [peak * self.gamma for peak in self.base_lrs]
            else:
                cycle, s, length = 0, epoch, self.first_cycle_steps
                while s >= length:
                    s -= length
                    length = self._next_length(length)
                    cycle += 1
                self.cycle, self.step_in_cycle, self.cur_cycle_steps = cycle, s, length
                self.base_lrs = [
                    group["initial_lr"] * self.gamma**cycle for group in self.optimizer.param_groups
                ]
            super().step(epoch)

    return CosineWarmupRestarts


def make_gradual_warmup(Base: type, plateau_cls: type) -> type:
    """Pattern 6: the 2019 GradualWarmupScheduler, quirks included.

    * After ``total_epoch`` it sets ``after_scheduler.base_lrs`` once, then
      returns the after scheduler's *last* lr (so the lr dips for one step, and
      a chainable after scheduler continues from the dipped value).
    * Its step() bypasses the base once the hand-off is done; the plateau path
      never calls the base's step() at all (no ``_last_lr`` during warmup), and
      always passes an epoch on to ReduceLROnPlateau (deprecation warning).
    """

    class GradualWarmupScheduler(Base):
        def __init__(self, optimizer, multiplier, total_epoch, after_scheduler=None):
            self.multiplier = multiplier
            if self.multiplier < 1.0:
                raise ValueError("multiplier should be greater than or equal to 1.")
            self.total_epoch = total_epoch
            self.after_scheduler = after_scheduler
            self.finished = False
            super().__init__(optimizer)

        def _ramp(self):
            e = self.last_epoch
            return [
                base_lr * ((self.multiplier - 1.0) * e / self.total_epoch + 1.0)
                for base_lr in self.base_lrs
            ]

        def get_lr(self):
            if self.last_epoch > self.total_epoch:
                if self.after_scheduler is not None:
                    if not self.finished:
                        self.after_scheduler.base_lrs = [
                            base_lr * self.multiplier for base_lr in self.base_lrs
                        ]
                        self.finished = True
                    return self.after_scheduler.get_last_lr()
                return [base_lr * self.multiplier for base_lr in self.base_lrs]
            if self.multiplier == 1.0:
                e = float(self.last_epoch)
                return [base_lr * (e / self.total_epoch) for base_lr in self.base_lrs]
            return self._ramp()

        def step_ReduceLROnPlateau(self, metrics, epoch=None):
            if epoch is None:
                epoch = self.last_epoch + 1
            self.last_epoch = epoch if epoch != 0 else 1
            if self.last_epoch <= self.total_epoch:
                for group, lr in zip(self.optimizer.param_groups, self._ramp(), strict=True):
                    group["lr"] = lr
            else:
                self.after_scheduler.step(metrics, epoch - self.total_epoch)

        def step(self, epoch=None, metrics=None):
            if type(self.after_scheduler) is not plateau_cls:
                if self.finished and self.after_scheduler is not None:
                    if epoch is None:
                        self.after_scheduler.step(None)
                    else:
                        self.after_scheduler.step(epoch - self.total_epoch)
                    self._last_lr = self.after_scheduler.get_last_lr()
                else:
                    return super().step(epoch)
            else:
                self.step_ReduceLROnPlateau(metrics, epoch)
            return None

    return GradualWarmupScheduler


def make_warmup_wrapper(Base: type) -> type:
    """Pattern 7: wraps another scheduler, scaling its lrs by a warmup factor.

    Its state_dict holds the wrapped scheduler's state_dict, nested.
    """

    class WarmupWrapper(Base):
        def __init__(self, optimizer, inner, warmup_steps, start_factor=0.1, last_epoch=-1):
            self.inner = inner
            self.warmup_steps = warmup_steps
            self.start_factor = start_factor
            super().__init__(optimizer, last_epoch)

        def _factor(self):
            if self.last_epoch >= self.warmup_steps:
                return 1.0
            ramp = self.last_epoch / self.warmup_steps
            return self.start_factor + (1.0 - self.start_factor) * ramp

        def get_lr(self):
            return [lr * self._factor() for lr in self.inner.get_last_lr()]

        def step(self, epoch=None):
            if self.last_epoch >= 0:  # past our initial step: advance the wrapped one
                for group, lr in zip(
                    self.optimizer.param_groups, self.inner.get_last_lr(), strict=True
                ):
                    group["lr"] = lr  # give it back its own lrs before it steps
                self.inner.step()
            super().step(epoch)

        def state_dict(self):
            state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "inner")}
            state["inner"] = self.inner.state_dict()
            return state

        def load_state_dict(self, state_dict):
            state = dict(state_dict)
            self.inner.load_state_dict(state.pop("inner"))
            self.__dict__.update(state)

    return WarmupWrapper


def make_warmup_cosine(Base: type) -> type:
    """Pattern 8: linear warmup from 0, then cosine down to ``min_ratio``; closed form."""

    class WarmupCosine(Base):
        def __init__(self, optimizer, warmup_steps, total_steps, min_ratio=0.0, last_epoch=-1):
            self.warmup_steps = warmup_steps
            self.total_steps = total_steps
            self.min_ratio = min_ratio
            super().__init__(optimizer, last_epoch)

        def _ratio(self, step):
            if step < self.warmup_steps:
                return step / self.warmup_steps
            span = max(1, self.total_steps - self.warmup_steps)
            progress = min(1.0, (step - self.warmup_steps) / span)
            return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

        def get_lr(self):
            ratio = self._ratio(self.last_epoch)
            return [base_lr * ratio for base_lr in self.base_lrs]

    return WarmupCosine


def make_linear_warmup(Base: type) -> type:
    """A closed-form linear warmup, the first phase of a SequentialLR."""

    class LinearWarmup(Base):
        def __init__(self, optimizer, warmup_steps, start_factor=0.1, last_epoch=-1):
            self.warmup_steps = warmup_steps
            self.start_factor = start_factor
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            ramp = min(self.last_epoch, self.warmup_steps) / self.warmup_steps
            f = self.start_factor + (1.0 - self.start_factor) * ramp
            return [base_lr * f for base_lr in self.base_lrs]

    return LinearWarmup


_FACTORIES: dict[str, Callable[[Side], type]] = {
    "WarmupMultiStep": lambda L: make_warmup_multistep(L.LRScheduler),
    "ClosedFormStepDecay": lambda L: make_closed_step(L.LRScheduler),
    "Noam": lambda L: make_noam(L.LRScheduler),
    "PolyDecay": lambda L: make_poly_nosuper(L.LRScheduler),
    "CosineWarmupRestarts": lambda L: make_cosine_restarts(L.LRScheduler),
    "GradualWarmupScheduler": lambda L: make_gradual_warmup(L.LRScheduler, L.ReduceLROnPlateau),
    "WarmupWrapper": lambda L: make_warmup_wrapper(L.LRScheduler),
    "WarmupCosine": lambda L: make_warmup_cosine(L.LRScheduler),
    "LinearWarmup": lambda L: make_linear_warmup(L.LRScheduler),
}

# --------------------------------------------------------------------------- the two sides

_BUILT: dict[tuple[str, str], type] = {}


class Side:
    """``L.X``: the user's class ``X`` built on this side's base, or the library's ``X``."""

    def __init__(self, name: str, module_name: str) -> None:
        self.name = name
        self.module_name = module_name

    @property
    def module(self) -> Any:
        return importlib.import_module(self.module_name)

    @property
    def legacy_base(self) -> type:
        """``_LRScheduler``, the backwards-compatible name of the base."""
        if self.module_name == "lrplan":
            from lrplan import _LRScheduler  # the spelling old user code has

            return _LRScheduler
        return self.module._LRScheduler

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _FACTORIES:
            return _concrete(self, name)
        return getattr(self.module, name)

    def __repr__(self) -> str:
        return f"<{self.name}: {self.module_name}>"


def _concrete(side: Side, pattern: str) -> type:
    """Build the user's class once per side, importable by name (so it pickles)."""
    key = (side.name, pattern)
    if key not in _BUILT:
        cls = _FACTORIES[pattern](side)
        alias = f"_{pattern}__{side.name}"
        cls.__qualname__ = alias  # __name__ stays the user's, so messages match
        cls.__module__ = __name__
        globals()[alias] = cls
        _BUILT[key] = cls
    return _BUILT[key]


TORCH = Side("torch", "torch.optim.lr_scheduler")
if os.environ.get("LRPLAN_PROTOCOL_CANDIDATE", "lrplan") == "torch":
    CANDIDATE = Side("torch_again", "torch.optim.lr_scheduler")  # checks the tests themselves
else:
    CANDIDATE = Side("lrplan", "lrplan")

# --------------------------------------------------------------------------- recording

_MISSING = "<absent>"
_HERE = os.path.basename(__file__)
_X = torch.linspace(-1.0, 1.0, 12, dtype=torch.float64).reshape(4, 3)

#: What a snapshot reads from a watched scheduler.
FULL = ("last_epoch", "_step_count", "base_lrs", "get_last_lr", "isinstance")
LIB = ("last_epoch", "_step_count", "base_lrs", "get_last_lr")
PLATEAU = ("last_epoch", "get_last_lr")
COMPOSITE = ("get_last_lr",)
#: Snapshot entries that are the optimizer's own business (a pickled optimizer
#: drops its patched step); left out when a copy is compared with its original.
OPTIMIZER_FLAGS = ("optimizer._opt_called", "optimizer._step_count", "optimizer.step patched")


def norm(v: Any) -> Any:
    """A comparable, printable form of a value (type kept: float vs tensor, dtype)."""
    if isinstance(v, torch.Tensor):
        value = v.item() if v.dim() == 0 else v.tolist()
        return ("tensor", str(v.dtype).removeprefix("torch."), tuple(v.shape), value)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return (type(v).__name__, v)
    if isinstance(v, list | tuple):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {str(k): norm(x) for k, x in v.items()}
    return f"<{type(v).__name__}>"


def _read(fn: Callable[[], Any]) -> Any:
    try:
        return norm(fn())
    except Exception as exc:
        return f"<raises {type(exc).__name__}>"


def make_model_opt(
    lrs: Sequence[float] = (0.1, 0.02), tensor: bool = False
) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    """A small float64 model; SGD with momentum, one param group per layer."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    ).double()

    def lr(v: float) -> Any:
        return torch.tensor(float(v), dtype=torch.float64) if tensor else float(v)

    groups = [
        {"params": list(model[0].parameters()), "lr": lr(lrs[0])},
        {"params": list(model[2].parameters()), "lr": lr(lrs[1])},
    ]
    return model, torch.optim.SGD(groups, lr=0.05, momentum=0.9, foreach=False)


@dataclass
class Snap:
    label: str
    data: dict[str, Any]
    note: str = ""  # not compared: an exception's message, for the failure report


class Recorder:
    """Runs actions on one side and snapshots everything after each."""

    def __init__(self, side: Side, model: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
        self.side = side
        self.model = model
        self.opt = opt
        self.watched: list[tuple[str, Any, tuple[str, ...], tuple[str, ...]]] = []
        self.trace: list[Snap] = []

    def watch(
        self, name: str, sched: Any, fields: tuple[str, ...] = FULL, attrs: tuple[str, ...] = ()
    ) -> None:
        self.watched.append((name, sched, fields, attrs))

    def optimizer_step(self) -> None:
        self.opt.zero_grad()
        self.model(_X).square().mean().backward()
        self.opt.step()

    def act(
        self,
        label: str,
        fn: Callable[[], Any],
        *,
        result: bool = False,
        watch: str | None = None,
        fields: tuple[str, ...] = FULL,
        attrs: tuple[str, ...] = (),
    ) -> Any:
        """Run ``fn`` and record a snapshot; ``watch`` names and watches what it returns."""
        note = ""
        out = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = fn()
                error = None
            except Exception as exc:
                error = type(exc).__name__
                note = f"{error}: {exc}"
            if watch is not None and error is None:
                self.watch(watch, out, fields, attrs)
            data = self._snapshot()
        data["error"] = error
        if result:
            data["result"] = norm(out)
        data["warnings"] = [
            (
                w.category.__name__,
                str(w.message),
                "user" if os.path.basename(w.filename) == _HERE else "library",
            )
            for w in caught
        ]
        self.trace.append(Snap(label, data, note))
        return out

    def build(self, name: str, fn: Callable[[], Any], **kw: Any) -> Any:
        return self.act(f"construct {name}", fn, watch=name, **kw)

    def _snapshot(self) -> dict[str, Any]:
        opt = self.opt
        data: dict[str, Any] = {
            "lr": [norm(g["lr"]) for g in opt.param_groups],
            "initial_lr": [norm(g.get("initial_lr", _MISSING)) for g in opt.param_groups],
            "optimizer._opt_called": getattr(opt, "_opt_called", _MISSING),
            "optimizer._step_count": norm(getattr(opt, "_step_count", _MISSING)),
            "optimizer.step patched": hasattr(opt.step, "_wrapped_by_lr_sched"),
            "params": float(sum(float(p.detach().sum()) for p in self.model.parameters())),
        }
        for name, s, fields, attrs in self.watched:
            for f in fields:
                key = f"{name}.{f}"
                if f == "get_last_lr":
                    data[key] = _read(s.get_last_lr)
                elif f == "isinstance":
                    data[key] = isinstance(s, torch_sched.LRScheduler)
                else:
                    data[key] = norm(getattr(s, f, _MISSING))
            for a in attrs:
                data[f"{name}.{a}"] = norm(copy.deepcopy(getattr(s, a, _MISSING)))
        return data


# --------------------------------------------------------------------------- comparing


def _tolerance(path: str) -> tuple[float, float]:
    return (1e-9, 1e-12) if path.startswith("params") else (1e-12, 1e-15)


def _first_diff(a: Any, b: Any, path: str) -> tuple[str, Any, Any] | None:
    if isinstance(a, float) and isinstance(b, float):
        if a == b or (math.isnan(a) and math.isnan(b)):
            return None
        rel, abs_ = _tolerance(path)
        return None if math.isclose(a, b, rel_tol=rel, abs_tol=abs_) else (path, a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b) and set(a) != set(b):
            return (f"{path} (keys)", sorted(a), sorted(b))
        for k in a:
            d = _first_diff(a[k], b[k], f"{path}.{k}" if path else k)
            if d:
                return d
        return None
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and type(a) is type(b):
        if len(a) != len(b):
            return (f"{path} (length)", a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _first_diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is not type(b) or a != b:
        return (path, a, b)
    return None


def assert_same_trace(
    ref: list[Snap],
    cand: list[Snap],
    ref_name: str = "torch",
    cand_name: str = "lrplan",
    ignore: Sequence[str] = (),
) -> None:
    """Fail at the first action whose snapshots differ, naming the action and the entry."""
    for i in range(max(len(ref), len(cand))):
        if i >= len(ref) or i >= len(cand):
            longer, name = (ref, ref_name) if len(ref) > len(cand) else (cand, cand_name)
            raise AssertionError(
                f"traces differ in length: {ref_name} has {len(ref)} actions, {cand_name} "
                f"{len(cand)}; first extra action on {name}: {longer[i].label!r}"
            )
        r, c = ref[i], cand[i]
        rd = {k: v for k, v in r.data.items() if k not in ignore}
        cd = {k: v for k, v in c.data.items() if k not in ignore}
        d = _first_diff(r.label, c.label, "label") or _first_diff(rd, cd, "")
        if d:
            prev = ref[i - 1].label if i else "(start)"
            msg = (
                f"{cand_name} differs from {ref_name} at action #{i} {r.label!r} "
                f"(previous action: {prev!r})\n"
                f"  at {d[0]}:\n    {ref_name}: {d[1]!r}\n    {cand_name}: {d[2]!r}"
            )
            if r.note or c.note:
                msg += (
                    f"\n  {ref_name} raised: {r.note or '-'}\n  {cand_name} raised: {c.note or '-'}"
                )
            raise AssertionError(msg)


Script = Callable[[Side, Recorder], None]


def run_side(
    side: Side, script: Script, *, lrs: Sequence[float] = (0.1, 0.02), tensor: bool = False
) -> list[Snap]:
    model, opt = make_model_opt(lrs, tensor)
    rec = Recorder(side, model, opt)
    script(side, rec)
    return rec.trace


def compare(script: Script, **kw: Any) -> None:
    ref = run_side(TORCH, script, **kw)
    cand = run_side(CANDIDATE, script, **kw)
    assert_same_trace(ref, cand, TORCH.name, CANDIDATE.name)


def train(rec: Recorder, sched: Any, n: int, tag: str = "") -> None:
    for i in range(n):
        rec.act(f"optimizer.step() {tag}{i}", rec.optimizer_step)
        rec.act(f"scheduler.step() {tag}{i}", lambda: sched.step())


def scale_lrs(opt: torch.optim.Optimizer, k: float) -> None:
    """What users do by hand: ``group["lr"] *= k`` (in place for a tensor lr)."""
    for group in opt.param_groups:
        group["lr"] *= k


def maybe_early_step(rec: Recorder, sched: Any, sched_first: bool) -> None:
    """Optionally step the scheduler before the fresh optimizer ever stepped."""
    if sched_first:
        rec.act("scheduler.step() before any optimizer.step()", lambda: sched.step())


LR_KINDS = pytest.mark.parametrize("tensor", [False, True], ids=["float", "tensor64"])
ORDERS = pytest.mark.parametrize("sched_first", [False, True], ids=["opt_first", "sched_first"])

# --------------------------------------------------------------------------- the patterns, stepped


@LR_KINDS
@ORDERS
def test_chainable_warmup_multistep(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched",
            lambda: L.WarmupMultiStep(
                rec.opt, milestones=[12, 20, 20, 27], gamma=0.5, warmup_iters=6, warmup_factor=0.2
            ),
            attrs=("get_lr_calls", "milestones"),
        )
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 15)
        rec.act("user calls get_lr()", lambda: sched.get_lr(), result=True)
        rec.act("user halves every group's lr", lambda: scale_lrs(rec.opt, 0.5))
        train(rec, sched, 20, "after halving ")

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_closed_form_with_step_epoch(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched",
            lambda: L.ClosedFormStepDecay(rec.opt, step_size=4, gamma=0.5),
            attrs=("calls",),
        )
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 8)
        rec.act("scheduler.step(15)", lambda: sched.step(15))
        train(rec, sched, 5, "after 15: ")
        rec.act("scheduler.step(3)", lambda: sched.step(3))
        train(rec, sched, 4, "after 3: ")
        rec.act("user calls get_lr()", lambda: sched.get_lr(), result=True)
        rec.act(
            "user calls _get_closed_form_lr()", lambda: sched._get_closed_form_lr(), result=True
        )
        rec.act("scheduler.step(0)", lambda: sched.step(0))
        train(rec, sched, 3, "after 0: ")

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_noam(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build("sched", lambda: L.Noam(rec.opt, d_model=64, warmup_steps=8))
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 40)
        rec.act("user calls get_lr()", lambda: sched.get_lr(), result=True)
        rec.act("scheduler.step(30) (no closed form)", lambda: sched.step(30))
        train(rec, sched, 4, "after 30: ")

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_poly_decay_step_without_super(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build("sched", lambda: L.PolyDecay(rec.opt, max_decay_steps=20, end_lr=1e-3))
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 25)
        rec.act("scheduler.step(5)", lambda: sched.step(5))
        rec.act("user calls get_lr() (not defined)", lambda: sched.get_lr(), result=True)
        train(rec, sched, 3, "after 5: ")

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_cosine_restarts_reassigning_base_lrs(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched",
            lambda: L.CosineWarmupRestarts(rec.opt, first_cycle_steps=8, warmup_steps=2),
            attrs=("cycle", "step_in_cycle", "cur_cycle_steps"),
        )
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 30)
        rec.act("scheduler.step(40)", lambda: sched.step(40))
        train(rec, sched, 6, "after 40: ")
        rec.act("scheduler.step(5)", lambda: sched.step(5))
        train(rec, sched, 5, "after 5: ")

    compare(script, tensor=tensor)


_AFTER = {
    "steplr": lambda L, opt: L.StepLR(opt, step_size=4, gamma=0.5),
    "cosine": lambda L, opt: L.CosineAnnealingLR(opt, T_max=15, eta_min=1e-4),
}


@LR_KINDS
@pytest.mark.parametrize(
    ("after", "multiplier", "by_epoch"),
    [("steplr", 4.0, False), ("cosine", 1.0, False), ("steplr", 4.0, True), ("cosine", 2.0, True)],
)
def test_gradual_warmup(tensor: bool, after: str, multiplier: float, by_epoch: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        inner = rec.build("after", lambda: _AFTER[after](L, rec.opt), fields=LIB)
        sched = rec.build(
            "warmup",
            lambda: L.GradualWarmupScheduler(rec.opt, multiplier, 5, after_scheduler=inner),
            attrs=("finished",),
        )
        if not by_epoch:
            train(rec, sched, 30)
            return
        # The package's README loop: step(epoch) from 1 on.
        for e in range(1, 26):
            rec.act(f"optimizer.step() {e}", rec.optimizer_step)
            rec.act(f"scheduler.step({e})", lambda e=e: sched.step(e))

    compare(script, tensor=tensor)


@LR_KINDS
@pytest.mark.parametrize("with_epoch", [False, True])
def test_gradual_warmup_then_plateau(tensor: bool, with_epoch: bool) -> None:
    losses = [1.0, 0.9, 0.8, 0.7, 0.65, 0.6, 0.6, 0.61, 0.6, 0.62, 0.6, 0.6, 0.55, 0.55]
    losses += [0.56, 0.57, 0.55, 0.55, 0.55, 0.56, 0.55, 0.55, 0.55, 0.55]

    def script(L: Side, rec: Recorder) -> None:
        inner = rec.build(
            "plateau",
            lambda: L.ReduceLROnPlateau(rec.opt, mode="min", factor=0.5, patience=2),
            fields=PLATEAU,
        )
        sched = rec.build(
            "warmup",
            lambda: L.GradualWarmupScheduler(rec.opt, 2.0, 4, after_scheduler=inner),
            attrs=("finished",),
        )
        for e, loss in enumerate(losses, start=1):
            rec.act(f"optimizer.step() {e}", rec.optimizer_step)
            if with_epoch:
                rec.act(f"step({e}, metrics={loss})", lambda e=e, m=loss: sched.step(e, m))
            else:
                rec.act(f"step(metrics={loss})", lambda m=loss: sched.step(metrics=m))

    compare(script, tensor=tensor)


_INNER = {
    "custom": lambda L, opt: L.ClosedFormStepDecay(opt, step_size=5, gamma=0.5),
    "chainable": lambda L, opt: L.WarmupMultiStep(opt, [9, 15], gamma=0.5, warmup_iters=3),
    "library": lambda L, opt: L.ExponentialLR(opt, gamma=0.95),
}


@LR_KINDS
@pytest.mark.parametrize("inner", sorted(_INNER))
def test_multiplier_wrapper(tensor: bool, inner: str) -> None:
    def script(L: Side, rec: Recorder) -> None:
        fields = LIB if inner == "library" else FULL
        wrapped = rec.build("inner", lambda: _INNER[inner](L, rec.opt), fields=fields)
        sched = rec.build("wrapper", lambda: L.WarmupWrapper(rec.opt, wrapped, warmup_steps=6))
        train(rec, sched, 25)

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_warmup_cosine(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched", lambda: L.WarmupCosine(rec.opt, warmup_steps=5, total_steps=40, min_ratio=0.1)
        )
        maybe_early_step(rec, sched, sched_first)
        train(rec, sched, 45)
        rec.act("user calls get_lr()", lambda: sched.get_lr(), result=True)

    compare(script, tensor=tensor)


# --------------------------------------------------------------------------- random variations

_LR = st.floats(min_value=1e-4, max_value=1.0, allow_nan=False, allow_infinity=False)
_LRS = st.tuples(_LR, _LR)


@settings(max_examples=20, deadline=None)
@given(
    lrs=_LRS,
    d_model=st.sampled_from([16, 64, 512]),
    warmup=st.integers(min_value=1, max_value=20),
    n=st.integers(min_value=1, max_value=40),
    tensor=st.booleans(),
)
def test_noam_random(lrs: tuple[float, float], d_model: int, warmup: int, n: int, tensor: bool):
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build("sched", lambda: L.Noam(rec.opt, d_model=d_model, warmup_steps=warmup))
        train(rec, sched, n)

    compare(script, lrs=lrs, tensor=tensor)


@settings(max_examples=20, deadline=None)
@given(
    lrs=_LRS,
    warmup=st.integers(min_value=1, max_value=10),
    extra=st.integers(min_value=1, max_value=40),
    min_ratio=st.floats(min_value=0.0, max_value=0.5),
    n=st.integers(min_value=1, max_value=55),
    tensor=st.booleans(),
)
def test_warmup_cosine_random(
    lrs: tuple[float, float], warmup: int, extra: int, min_ratio: float, n: int, tensor: bool
) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched",
            lambda: L.WarmupCosine(rec.opt, warmup, warmup + extra, min_ratio=min_ratio),
        )
        train(rec, sched, n)

    compare(script, lrs=lrs, tensor=tensor)


@settings(max_examples=15, deadline=None)
@given(
    lrs=_LRS,
    milestones=st.lists(st.integers(min_value=1, max_value=30), max_size=4).map(sorted),
    gamma=st.floats(min_value=0.1, max_value=0.9),
    n=st.integers(min_value=1, max_value=35),
    scale_at=st.integers(min_value=0, max_value=35),
    tensor=st.booleans(),
)
def test_warmup_multistep_random(
    lrs: tuple[float, float],
    milestones: list[int],
    gamma: float,
    n: int,
    scale_at: int,
    tensor: bool,
) -> None:
    def script(L: Side, rec: Recorder) -> None:
        sched = rec.build(
            "sched",
            lambda: L.WarmupMultiStep(rec.opt, milestones, gamma=gamma, warmup_iters=4),
            attrs=("get_lr_calls",),
        )
        for i in range(n):
            if i == scale_at:
                rec.act("user scales every group's lr by 0.3", lambda: scale_lrs(rec.opt, 0.3))
            train(rec, sched, 1, f"{i}.")

    compare(script, lrs=lrs, tensor=tensor)


# --------------------------------------------------------------------------- mixing with lrplan's


def test_chained_noam_and_exponential() -> None:
    def script(L: Side, rec: Recorder) -> None:
        noam = rec.build("noam", lambda: L.Noam(rec.opt, d_model=64, warmup_steps=6))
        exp = rec.build("exp", lambda: L.ExponentialLR(rec.opt, gamma=0.97), fields=LIB)
        chain = rec.build(
            "chain", lambda: L.ChainedScheduler([noam, exp], optimizer=rec.opt), fields=COMPOSITE
        )
        train(rec, chain, 30)

    compare(script)


@LR_KINDS
@ORDERS
def test_chained_exponential_and_chainable_custom(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        exp = rec.build("exp", lambda: L.ExponentialLR(rec.opt, gamma=0.95), fields=LIB)
        warm = rec.build(
            "warm",
            lambda: L.WarmupMultiStep(rec.opt, [10, 18], gamma=0.5, warmup_iters=5),
            attrs=("get_lr_calls",),
        )
        chain = rec.build("chain", lambda: L.ChainedScheduler([exp, warm]), fields=COMPOSITE)
        maybe_early_step(rec, chain, sched_first)
        train(rec, chain, 25)

    compare(script, tensor=tensor)


@LR_KINDS
@ORDERS
def test_sequential_custom_warmup_then_cosine(tensor: bool, sched_first: bool) -> None:
    def script(L: Side, rec: Recorder) -> None:
        warm = rec.build("warm", lambda: L.LinearWarmup(rec.opt, warmup_steps=5, start_factor=0.1))
        cos = rec.build(
            "cos", lambda: L.CosineAnnealingLR(rec.opt, T_max=20, eta_min=1e-4), fields=LIB
        )
        seq = rec.build(
            "seq", lambda: L.SequentialLR(rec.opt, [warm, cos], milestones=[5]), fields=COMPOSITE
        )
        maybe_early_step(rec, seq, sched_first)
        train(rec, seq, 30)

    compare(script, tensor=tensor)


def test_sequential_three_phases_with_custom_ones() -> None:
    def script(L: Side, rec: Recorder) -> None:
        closed = rec.build(
            "closed",
            lambda: L.ClosedFormStepDecay(rec.opt, step_size=3, gamma=0.7),
            attrs=("calls",),
        )
        exp = rec.build("exp", lambda: L.ExponentialLR(rec.opt, gamma=0.9), fields=LIB)
        noam = rec.build("noam", lambda: L.Noam(rec.opt, d_model=16, warmup_steps=4))
        seq = rec.build(
            "seq",
            lambda: L.SequentialLR(rec.opt, [closed, exp, noam], milestones=[8, 16]),
            fields=COMPOSITE,
        )
        train(rec, seq, 30)

    compare(script)


# --------------------------------------------------------------------------- state, copies, names

#: name -> (builder, whether state_dict() is plain data: torch.save/weights_only round trip)
_STATE_CASES: dict[str, tuple[Callable[[Side, torch.optim.Optimizer], Any], bool]] = {
    "warmup_multistep": (
        lambda L, o: L.WarmupMultiStep(o, [6, 11, 11], gamma=0.5, warmup_iters=4),
        True,
    ),
    "closed_form": (lambda L, o: L.ClosedFormStepDecay(o, step_size=3, gamma=0.5), True),
    "noam": (lambda L, o: L.Noam(o, d_model=32, warmup_steps=5), True),
    "poly_nosuper": (lambda L, o: L.PolyDecay(o, max_decay_steps=15), True),
    "cosine_restarts": (lambda L, o: L.CosineWarmupRestarts(o, first_cycle_steps=5), True),
    "wrapper": (
        lambda L, o: L.WarmupWrapper(o, L.ClosedFormStepDecay(o, 4, 0.5), warmup_steps=5),
        True,
    ),
    "warmup_cosine": (lambda L, o: L.WarmupCosine(o, 3, 20, min_ratio=0.05), True),
    "gradual_warmup": (
        lambda L, o: L.GradualWarmupScheduler(o, 3.0, 4, after_scheduler=L.StepLR(o, 3, 0.5)),
        False,
    ),
}
_ATTRS = ("calls", "cycle", "step_in_cycle", "cur_cycle_steps", "finished", "get_lr_calls")


def _roundtrip(obj: Any) -> Any:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def _continue(side: Side, model: Any, opt: Any, sched: Any, n: int, tag: str) -> list[Snap]:
    rec = Recorder(side, model, opt)
    rec.watch("sched", sched, FULL, _ATTRS)
    train(rec, sched, n, tag)
    return rec.trace


def _state_run(side: Side, case: str, tensor: bool) -> dict[str, Any]:
    build, plain = _STATE_CASES[case]
    model, opt = make_model_opt(tensor=tensor)
    sched = build(side, opt)
    before = _continue(side, model, opt, sched, 9, "before saving ")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sd = sched.state_dict()
    out: dict[str, Any] = {"before": before, "keys": sorted(sd), "state": norm(sd)}
    if plain:
        saved = _roundtrip(sd)
        saved_opt = copy.deepcopy(opt.state_dict())
        saved_model = copy.deepcopy(model.state_dict())
        model2, opt2 = make_model_opt(tensor=tensor)
        sched2 = build(side, opt2)  # the scheduler first, then the optimizer's state
        model2.load_state_dict(saved_model)
        opt2.load_state_dict(saved_opt)
        sched2.load_state_dict(saved)
        out["resumed"] = _continue(side, model2, opt2, sched2, 8, "resumed ")
    out["original"] = _continue(side, model, opt, sched, 8, "resumed ")
    return out


@pytest.mark.parametrize("tensor", [False, True], ids=["float", "tensor64"])
@pytest.mark.parametrize("case", sorted(_STATE_CASES))
def test_state_dict_roundtrip_and_resume(case: str, tensor: bool) -> None:
    ref = _state_run(TORCH, case, tensor)
    cand = _state_run(CANDIDATE, case, tensor)
    assert_same_trace(ref["before"], cand["before"], TORCH.name, CANDIDATE.name)
    assert cand["keys"] == ref["keys"], (
        f"state_dict keys: {TORCH.name} {ref['keys']}, {CANDIDATE.name} {cand['keys']}"
    )
    d = _first_diff(ref["state"], cand["state"], "state_dict")
    assert d is None, f"state_dict values differ at {d[0]}: {d[1]!r} vs {d[2]!r}"
    assert_same_trace(ref["original"], cand["original"], TORCH.name, CANDIDATE.name)
    if "resumed" in ref:
        assert_same_trace(ref["resumed"], cand["resumed"], TORCH.name, f"{CANDIDATE.name} resumed")
        assert_same_trace(
            cand["original"],
            cand["resumed"],
            f"{CANDIDATE.name} uninterrupted",
            f"{CANDIDATE.name} resumed",
        )


def _clone_run(side: Side, case: str, how: str, tensor: bool) -> tuple[list[Snap], ...]:
    build, _ = _STATE_CASES[case]
    model, opt = make_model_opt(tensor=tensor)
    sched = build(side, opt)
    before = _continue(side, model, opt, sched, 7, "before copying ")
    bundle = (model, opt, sched)
    if how == "deepcopy":
        model2, opt2, sched2 = copy.deepcopy(bundle)
    else:
        model2, opt2, sched2 = pickle.loads(pickle.dumps(bundle))
    assert sched2.optimizer is opt2
    copied = _continue(side, model2, opt2, sched2, 8, "continued ")
    original = _continue(side, model, opt, sched, 8, "continued ")
    return before, original, copied


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("case", sorted(_STATE_CASES))
def test_copy_and_pickle_continue(case: str, how: str) -> None:
    ref_before, _, ref_copy = _clone_run(TORCH, case, how, tensor=False)
    cand_before, cand_orig, cand_copy = _clone_run(CANDIDATE, case, how, tensor=False)
    assert_same_trace(ref_before, cand_before, TORCH.name, CANDIDATE.name)
    assert_same_trace(ref_copy, cand_copy, f"{TORCH.name} copy", f"{CANDIDATE.name} copy")
    assert_same_trace(
        cand_orig,
        cand_copy,
        f"{CANDIDATE.name} original",
        f"{CANDIDATE.name} copy",
        ignore=OPTIMIZER_FLAGS,
    )


def test_candidate_is_a_torch_lrscheduler() -> None:
    assert issubclass(CANDIDATE.LRScheduler, torch_sched.LRScheduler)
    _, opt = make_model_opt()
    sched = CANDIDATE.Noam(opt, d_model=16, warmup_steps=3)
    assert isinstance(sched, torch_sched.LRScheduler)


def test_base_adds_no_closed_form_hook() -> None:
    """torch's step(epoch) and SequentialLR use ``hasattr(s, "_get_closed_form_lr")``."""
    seen = {}
    for side in (TORCH, CANDIDATE):
        _, opt = make_model_opt()
        seen[side.name] = (
            hasattr(side.Noam(opt, d_model=16, warmup_steps=3), "_get_closed_form_lr"),
            hasattr(side.ClosedFormStepDecay(opt, step_size=2), "_get_closed_form_lr"),
        )
    assert seen[CANDIDATE.name] == seen[TORCH.name]


def test_legacy_lrscheduler_name() -> None:
    facts = {}
    for side in (TORCH, CANDIDATE):
        legacy = side.legacy_base
        facts[side.name] = (
            legacy.__name__,
            issubclass(legacy, side.LRScheduler),
            issubclass(legacy, torch_sched.LRScheduler),
            legacy is side.LRScheduler,
        )
    assert facts[CANDIDATE.name] == facts[TORCH.name]

    def script(L: Side, rec: Recorder) -> None:
        cls = rec.act("subclass _LRScheduler", lambda: make_closed_step(L.legacy_base))
        sched = rec.build("sched", lambda: cls(rec.opt, step_size=3, gamma=0.5), attrs=("calls",))
        rec.act("scheduler.step() first", lambda: sched.step())
        train(rec, sched, 8)
        rec.act("scheduler.step(2)", lambda: sched.step(2))
        rec.act("state_dict keys", lambda: sorted(sched.state_dict()), result=True)

    compare(script)


@pytest.mark.parametrize("side", [TORCH, CANDIDATE], ids=lambda s: s.name)
def test_get_lr_with_wrong_signature_raises_type_error(side: Side) -> None:
    class WrongSignature(side.LRScheduler):
        def get_lr(self, step):
            return [base_lr * 0.5**step for base_lr in self.base_lrs]

    _, opt = make_model_opt()
    with pytest.raises(TypeError, match="get_lr"):
        WrongSignature(opt)
