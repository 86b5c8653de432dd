"""Pure, closed-form schedules. This package imports numpy but never torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._catalogue import ExponentialRamp, InverseSqrt, Tanh, UntunedWarmup, WarmupStableDecay
from ._core import Clip, Product, Schedule, Sequence, registry
from ._cyclic import CosineRestarts, Cyclic, OneCycle, OneCycleMomentum
from ._shapes import (
    Constant,
    Cosine,
    Exponential,
    FiniteShape,
    Linear,
    MultiStep,
    Polynomial,
    Step,
    ramp,
    warmup,
)
from ._time import (
    Duration,
    Repeat,
    RunLength,
    Shift,
    TimeScale,
    Unbound,
    epochs,
    fraction,
    large_batch,
    per_iteration,
    scale_lr,
)

__all__ = [
    "SPEC_NAMES",
    "Clip",
    "Constant",
    "Cosine",
    "CosineRestarts",
    "Cyclic",
    "Duration",
    "Exponential",
    "ExponentialRamp",
    "FiniteShape",
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
    "registry",
    "scale_lr",
    "warmup",
]

#: Names a spec string may call (``lrplan plot "warmup(Cosine(steps=90), steps=10)"``).
SPEC_NAMES: dict[str, Callable[..., Any]] = {
    "Constant": Constant,
    "Linear": Linear,
    "Cosine": Cosine,
    "Exponential": Exponential,
    "Step": Step,
    "MultiStep": MultiStep,
    "Polynomial": Polynomial,
    "Sequence": Sequence,
    "Product": Product,
    "Clip": Clip,
    "warmup": warmup,
    "InverseSqrt": InverseSqrt,
    "WarmupStableDecay": WarmupStableDecay,
    "Tanh": Tanh,
    "UntunedWarmup": UntunedWarmup,
    "ExponentialRamp": ExponentialRamp,
    "Shift": Shift,
    "TimeScale": TimeScale,
    "Repeat": Repeat,
    "per_iteration": per_iteration,
    "large_batch": large_batch,
    "epochs": epochs,
    "fraction": fraction,
    "Cyclic": Cyclic,
    "OneCycle": OneCycle,
    "OneCycleMomentum": OneCycleMomentum,
    "CosineRestarts": CosineRestarts,
}
