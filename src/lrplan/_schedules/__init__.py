"""Pure, closed-form schedules. This package imports numpy and the standard library only.

Modules, bottom to top (each imports only modules above it in this list; a test,
tests/test_architecture.py, fails on any cycle):

* ``_ops``: the ``xp`` namespaces (scalar math and numpy) formulas are written against;
* ``_validate``: argument checks;
* ``_time``: durations (``epochs``, ``fraction``) and :class:`RunLength`;
* ``_core``: :class:`Schedule`, its combinators, :class:`Constant`, :class:`Unbound`;
* ``_shapes``, ``_cyclic``: the basic and the cyclic shapes;
* ``_catalogue``: shapes from the literature;
* ``_ramp``: :func:`ramp` and :func:`warmup`;
* ``_timemaps``: :class:`Shift`, :class:`TimeScale`, :class:`Repeat`, batch-size rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._catalogue import ExponentialRamp, InverseSqrt, Tanh, UntunedWarmup, WarmupStableDecay
from ._core import Clip, Constant, Product, Schedule, Sequence, Unbound, registry
from ._cyclic import CosineRestarts, Cyclic, OneCycle, OneCycleMomentum
from ._ramp import ramp, warmup
from ._shapes import Cosine, Exponential, FiniteShape, Linear, MultiStep, Polynomial, Step
from ._time import Duration, RunLength, epochs, fraction
from ._timemaps import Repeat, Shift, TimeScale, large_batch, per_iteration, scale_lr

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
