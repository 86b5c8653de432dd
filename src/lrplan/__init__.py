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
"""

from __future__ import annotations

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
