"""lrplan: learning-rate and hyperparameter schedules for PyTorch.

Two layers:

* **Schedules** (:class:`Schedule` and its shapes and combinators) are pure,
  immutable values: ``s(t)``, ``s.values(ts)``, configs, composition. No optimizer.
* **Schedulers** (:class:`LRScheduler` subclasses) follow torch's protocol and
  write schedule values into an optimizer's param groups: :class:`ScheduledLR`
  for any schedule and key, plus torch-named drop-ins and classic warmups.

Example:
    >>> import lrplan as lp
    >>> plan = lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)
    >>> plan(0), plan(10), round(plan(55), 4), plan(100)
    (0.0, 1.0, 0.55, 0.1)

Layering (for contributors; docs/architecture.md has the details). Each layer
imports only the layers before it in this list, and no module-level import cycle
exists (tests/test_architecture.py checks both):

1. ``_schedules/`` (shapes, combinators, durations, configs) and ``_spec`` (spec
   strings, config files): pure, numpy and the standard library only, no torch.
2. ``_groups``, ``_atomic``, ``_driver``: param-group values, the ``LRScheduler``
   protocol and :class:`ScheduledLR`. torch starts here.
3. ``_compat*``, ``_warmup``, ``_wrappers``, ``_wsd``, ``timm``, ``_tensorize``: the
   torch-named classes and the wrappers.
4. ``_registry``: HF and config names to schedulers.
5. ``cli`` (and ``_demo``) on top, with ``_plot`` beside it on layer 1 only.

This module imports none of them at run time: a public name's module is imported on
first access (PEP 562), so ``import lrplan; lrplan.Cosine(steps=10)`` never imports
torch, and ``lrplan.StepLR`` does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time, __getattr__ below
    from . import timm
    from ._compat import (
        ConstantLR,
        CosineAnnealingLR,
        ExponentialLR,
        LambdaLR,
        LinearLR,
        MultiplicativeLR,
        MultiStepLR,
        PolynomialLR,
        StepLR,
    )
    from ._compat_compose import ChainedScheduler, SequentialLR
    from ._compat_cyclic import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
    from ._compat_plateau import ReduceLROnPlateau
    from ._driver import EPOCH_DEPRECATION_WARNING, LRScheduler, ScheduledLR, _LRScheduler
    from ._plot import plot
    from ._registry import HF_SCHEDULER_NAMES, HFScheduledLR, get_scheduler, hf_schedule
    from ._schedules import (
        Clip,
        Constant,
        Cosine,
        CosineRestarts,
        Cyclic,
        Duration,
        Exponential,
        ExponentialRamp,
        InverseSqrt,
        Linear,
        MultiStep,
        OneCycle,
        OneCycleMomentum,
        Polynomial,
        Product,
        Repeat,
        RunLength,
        Schedule,
        Sequence,
        Shift,
        Step,
        Tanh,
        TimeScale,
        Unbound,
        UntunedWarmup,
        WarmupStableDecay,
        epochs,
        fraction,
        large_batch,
        per_iteration,
        ramp,
        scale_lr,
        warmup,
    )
    from ._tensorize import tensorize
    from ._warmup import GradualWarmupScheduler, LinearAnnealingLR
    from ._wrappers import MultiScheduledLR, Warmup, schedule_many
    from ._wsd import WSDScheduler

__version__ = "0.1.0"

__all__ = [
    "EPOCH_DEPRECATION_WARNING",
    "HF_SCHEDULER_NAMES",
    "ChainedScheduler",
    "Clip",
    "Constant",
    "ConstantLR",
    "Cosine",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CosineRestarts",
    "Cyclic",
    "CyclicLR",
    "Duration",
    "Exponential",
    "ExponentialLR",
    "ExponentialRamp",
    "GradualWarmupScheduler",
    "HFScheduledLR",
    "InverseSqrt",
    "LRScheduler",
    "LambdaLR",
    "Linear",
    "LinearAnnealingLR",
    "LinearLR",
    "MultiScheduledLR",
    "MultiStep",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycle",
    "OneCycleLR",
    "OneCycleMomentum",
    "Polynomial",
    "PolynomialLR",
    "Product",
    "ReduceLROnPlateau",
    "Repeat",
    "RunLength",
    "Schedule",
    "ScheduledLR",
    "Sequence",
    "SequentialLR",
    "Shift",
    "Step",
    "StepLR",
    "Tanh",
    "TimeScale",
    "Unbound",
    "UntunedWarmup",
    "WSDScheduler",
    "Warmup",
    "WarmupStableDecay",
    "_LRScheduler",
    "__version__",
    "epochs",
    "fraction",
    "get_scheduler",
    "hf_schedule",
    "large_batch",
    "per_iteration",
    "plot",
    "ramp",
    "scale_lr",
    "schedule_many",
    "tensorize",
    "timm",
    "warmup",
]

#: Where each public name lives. ``import lrplan`` imports none of these modules; the
#: first access to a name imports its module and caches the name here (PEP 562).
_LAZY: dict[str, tuple[str, ...]] = {
    "lrplan._schedules": (
        "Clip",
        "Constant",
        "Cosine",
        "CosineRestarts",
        "Cyclic",
        "Duration",
        "Exponential",
        "ExponentialRamp",
        "InverseSqrt",
        "Linear",
        "MultiStep",
        "OneCycle",
        "OneCycleMomentum",
        "Polynomial",
        "Product",
        "Repeat",
        "RunLength",
        "Schedule",
        "Sequence",
        "Shift",
        "Step",
        "Tanh",
        "TimeScale",
        "Unbound",
        "UntunedWarmup",
        "WarmupStableDecay",
        "epochs",
        "fraction",
        "large_batch",
        "per_iteration",
        "ramp",
        "scale_lr",
        "warmup",
    ),
    "lrplan._plot": ("plot",),
    "lrplan._driver": (
        "EPOCH_DEPRECATION_WARNING",
        "LRScheduler",
        "ScheduledLR",
        "_LRScheduler",
    ),
    "lrplan._tensorize": ("tensorize",),
    "lrplan._compat": (
        "ConstantLR",
        "CosineAnnealingLR",
        "ExponentialLR",
        "LambdaLR",
        "LinearLR",
        "MultiplicativeLR",
        "MultiStepLR",
        "PolynomialLR",
        "StepLR",
    ),
    "lrplan._compat_compose": (
        "ChainedScheduler",
        "SequentialLR",
    ),
    "lrplan._compat_cyclic": (
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "OneCycleLR",
    ),
    "lrplan._compat_plateau": ("ReduceLROnPlateau",),
    "lrplan._warmup": (
        "GradualWarmupScheduler",
        "LinearAnnealingLR",
    ),
    "lrplan._wrappers": (
        "MultiScheduledLR",
        "Warmup",
        "schedule_many",
    ),
    "lrplan._wsd": ("WSDScheduler",),
    "lrplan._registry": (
        "HF_SCHEDULER_NAMES",
        "HFScheduledLR",
        "get_scheduler",
        "hf_schedule",
    ),
}

#: Public submodules, imported on first access as well.
_SUBMODULES = ("timm",)

_MODULE_OF: dict[str, str] = {name: module for module, names in _LAZY.items() for name in names}


# Hidden from type checkers, so that a misspelt ``lrplan.Cosin`` stays an error there:
# they see the names through the TYPE_CHECKING imports above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _SUBMODULES:
            value: Any = importlib.import_module(f"{__name__}.{name}")
        elif name in _MODULE_OF:
            value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # later lookups find it without this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
