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
    from . import timm, transformers
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
    from ._find import FindResult, ProposedPlan, RangeTest, Suggestion, find_lr
    from ._hf import (
        TYPE_TO_SCHEDULER_FUNCTION,
        GreedyLR,
        HFScheduledLR,
        get_constant_schedule,
        get_constant_schedule_with_warmup,
        get_cosine_schedule_with_warmup,
        get_cosine_with_hard_restarts_schedule_with_warmup,
        get_cosine_with_min_lr_schedule_with_warmup,
        get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
        get_greedy_schedule,
        get_inverse_sqrt_schedule,
        get_linear_schedule_with_warmup,
        get_polynomial_decay_schedule_with_warmup,
        get_reduce_on_plateau_schedule,
        get_scheduler,
        get_wsd_schedule,
    )
    from ._many import MultiScheduledLR, schedule_many
    from ._plot import plot
    from ._schedules import (
        Clip,
        Duration,
        Join,
        Product,
        RunLength,
        Schedule,
        Unbound,
        _catalogue,
        _cyclic,
        _shapes,
        _timemaps,
        epochs,
        fraction,
        ramp,
        warmup,
    )
    from ._schedules._catalogue import *  # noqa: F403  (every shape: each module's __all__)
    from ._schedules._cyclic import *  # noqa: F403
    from ._schedules._hf import HF_SCHEDULER_NAMES, SchedulerType, hf_schedule
    from ._schedules._shapes import *  # noqa: F403
    from ._schedules._timemaps import *  # noqa: F403
    from ._spec import load
    from ._tensorize import tensorize
    from ._warmup import GradualWarmupScheduler, LinearAnnealingLR, Warmup
    from ._wsd import WSDScheduler

    # Old names (lrplan._schedules.RENAMED): in no __all__, so ``from lrplan import *``
    # binds only the new name. The one place in lrplan where ``Sequence`` is not
    # collections.abc.Sequence.
    Sequence = Join

__version__ = "0.1.0"

# lrplan.__all__ as type checkers read it: the names above, then every shape module's
# __all__. At run time __getattr__ builds the same list on first access (from _LAZY and
# lrplan._schedules.EXPORTS), so that ``import lrplan`` imports nothing;
# tests/test_architecture.py checks that the two agree.
if TYPE_CHECKING:
    __all__ = [
        "EPOCH_DEPRECATION_WARNING",
        "HF_SCHEDULER_NAMES",
        "TYPE_TO_SCHEDULER_FUNCTION",
        "ChainedScheduler",
        "Clip",
        "ConstantLR",
        "CosineAnnealingLR",
        "CosineAnnealingWarmRestarts",
        "CyclicLR",
        "Duration",
        "ExponentialLR",
        "FindResult",
        "GradualWarmupScheduler",
        "GreedyLR",
        "HFScheduledLR",
        "Join",
        "LRScheduler",
        "LambdaLR",
        "LinearAnnealingLR",
        "LinearLR",
        "MultiScheduledLR",
        "MultiStepLR",
        "MultiplicativeLR",
        "OneCycleLR",
        "PolynomialLR",
        "Product",
        "ProposedPlan",
        "RangeTest",
        "ReduceLROnPlateau",
        "RunLength",
        "Schedule",
        "ScheduledLR",
        "SchedulerType",
        "SequentialLR",
        "StepLR",
        "Suggestion",
        "Unbound",
        "WSDScheduler",
        "Warmup",
        "_LRScheduler",
        "__version__",
        "epochs",
        "find_lr",
        "fraction",
        "get_constant_schedule",
        "get_constant_schedule_with_warmup",
        "get_cosine_schedule_with_warmup",
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        "get_cosine_with_min_lr_schedule_with_warmup",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        "get_greedy_schedule",
        "get_inverse_sqrt_schedule",
        "get_linear_schedule_with_warmup",
        "get_polynomial_decay_schedule_with_warmup",
        "get_reduce_on_plateau_schedule",
        "get_scheduler",
        "get_wsd_schedule",
        "hf_schedule",
        "load",
        "plot",
        "ramp",
        "schedule_many",
        "tensorize",
        "timm",
        "transformers",
        "warmup",
    ]
    __all__ += _shapes.__all__
    __all__ += _cyclic.__all__
    __all__ += _catalogue.__all__
    __all__ += _timemaps.__all__

#: Where each public name above the pure layer lives. ``import lrplan`` imports none of
#: these modules; the first access to a name imports its module and caches the name
#: here (PEP 562). The pure layer's names are not listed: they are
#: ``lrplan._schedules.EXPORTS``, built from the shape modules' ``__all__``.
_LAZY: dict[str, tuple[str, ...]] = {
    "lrplan._plot": ("plot",),
    "lrplan._spec": ("load",),
    "lrplan._driver": (
        "EPOCH_DEPRECATION_WARNING",
        "LRScheduler",
        "ScheduledLR",
        "_LRScheduler",
    ),
    "lrplan._tensorize": ("tensorize",),
    "lrplan._find": ("FindResult", "ProposedPlan", "RangeTest", "Suggestion", "find_lr"),
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
        "Warmup",
    ),
    "lrplan._many": (
        "MultiScheduledLR",
        "schedule_many",
    ),
    "lrplan._wsd": ("WSDScheduler",),
    "lrplan._hf": (
        "TYPE_TO_SCHEDULER_FUNCTION",
        "GreedyLR",
        "HFScheduledLR",
        "get_constant_schedule",
        "get_constant_schedule_with_warmup",
        "get_cosine_schedule_with_warmup",
        "get_cosine_with_hard_restarts_schedule_with_warmup",
        "get_cosine_with_min_lr_schedule_with_warmup",
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        "get_greedy_schedule",
        "get_inverse_sqrt_schedule",
        "get_linear_schedule_with_warmup",
        "get_polynomial_decay_schedule_with_warmup",
        "get_reduce_on_plateau_schedule",
        "get_scheduler",
        "get_wsd_schedule",
    ),
    "lrplan._schedules._hf": (
        "HF_SCHEDULER_NAMES",
        "SchedulerType",
        "hf_schedule",
    ),
}

#: Public submodules, imported on first access as well.
_SUBMODULES = ("timm", "transformers")

_MODULE_OF: dict[str, str] = {name: module for module, names in _LAZY.items() for name in names}


#: The package that serves every other public name: the pure layer (numpy only).
_PURE = "lrplan._schedules"


def _public_names() -> list[str]:
    """``lrplan.__all__``: the names of ``_LAZY``, the submodules, ``__version__`` and
    the pure layer's exports (importing the pure layer, never torch)."""
    pure: tuple[str, ...] = importlib.import_module(_PURE).EXPORTS
    return sorted([*_MODULE_OF, *_SUBMODULES, "__version__", *pure])


# Hidden from type checkers, so that a misspelt ``lrplan.Cosin`` stays an error there:
# they see the names through the TYPE_CHECKING imports above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name in _SUBMODULES:
            value: Any = importlib.import_module(f"{__name__}.{name}")
        elif name in _MODULE_OF:
            value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        elif name == "__all__":
            value = _public_names()
        elif not name.startswith("_") and name in importlib.import_module(_PURE).EXPORTS:
            value = getattr(importlib.import_module(_PURE), name)
        elif name in importlib.import_module(_PURE).RENAMED:  # an old name: not in __all__
            value = __getattr__(importlib.import_module(_PURE).RENAMED[name])
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals()[name] = value  # later lookups find it without this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_public_names()))
