"""Pure, closed-form schedules. This package imports numpy but never torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    warmup,
)

__all__ = [
    "SPEC_NAMES",
    "Clip",
    "Constant",
    "Cosine",
    "Exponential",
    "FiniteShape",
    "Linear",
    "MultiStep",
    "Polynomial",
    "Product",
    "Schedule",
    "Sequence",
    "Step",
    "registry",
    "warmup",
    "CosineRestarts",
    "Cyclic",
    "OneCycle",
    "OneCycleMomentum",
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
    "Cyclic": Cyclic,
    "OneCycle": OneCycle,
    "OneCycleMomentum": OneCycleMomentum,
    "CosineRestarts": CosineRestarts,
}
