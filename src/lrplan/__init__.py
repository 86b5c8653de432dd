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
from ._compile import tensorize
from ._driver import EPOCH_DEPRECATION_WARNING, LRScheduler, ScheduledLR
from ._schedules import (
    Duration,
    ExponentialRamp,
    InverseSqrt,
    Repeat,
    RunLength,
    Shift,
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
    Clip,
    Constant,
    Cosine,
    Exponential,
    Linear,
    MultiStep,
    Polynomial,
    Product,
    Schedule,
    Sequence,
    Step,
    warmup,
    CosineRestarts,
    Cyclic,
    OneCycle,
    OneCycleMomentum,
)
from ._plot import plot
from ._warmup import GradualWarmupScheduler, LinearAnnealingLR
from ._wsd import WSDScheduler
from ._registry import HF_SCHEDULER_NAMES, HFScheduledLR, get_scheduler, hf_schedule
from ._wrappers import MultiScheduledLR, Warmup, schedule_many
from . import timm

__version__ = "0.1.0"

__all__ = [
    "Duration",
    "ExponentialRamp",
    "InverseSqrt",
    "Repeat",
    "RunLength",
    "Shift",
    "Tanh",
    "TimeScale",
    "Unbound",
    "UntunedWarmup",
    "WSDScheduler",
    "WarmupStableDecay",
    "epochs",
    "fraction",
    "large_batch",
    "per_iteration",
    "ramp",
    "scale_lr",
    "HF_SCHEDULER_NAMES",
    "HFScheduledLR",
    "MultiScheduledLR",
    "Warmup",
    "get_scheduler",
    "hf_schedule",
    "schedule_many",
    "timm",
    "EPOCH_DEPRECATION_WARNING",
    "Clip",
    "Constant",
    "Cosine",
    "Exponential",
    "GradualWarmupScheduler",
    "LRScheduler",
    "LambdaLR",
    "ChainedScheduler",
    "SequentialLR",
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "Linear",
    "LinearAnnealingLR",
    "MultiStep",
    "Polynomial",
    "Product",
    "Schedule",
    "ScheduledLR",
    "Sequence",
    "Step",
    "StepLR",
    "__version__",
    "tensorize",
    "plot",
    "warmup",
    "CosineAnnealingWarmRestarts",
    "CosineRestarts",
    "Cyclic",
    "CyclicLR",
    "OneCycle",
    "OneCycleLR",
    "OneCycleMomentum",
    "ReduceLROnPlateau",
]
