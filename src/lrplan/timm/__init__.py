"""timm's scheduler vocabulary: all of ``timm.scheduler`` with timm's arguments and values.

``from lrplan.timm import CosineLRScheduler, create_scheduler_v2`` is a drop-in for
``from timm.scheduler import ...`` (timm 1.0.31): the seven schedulers
(:class:`CosineLRScheduler`, :class:`TanhLRScheduler`, :class:`StepLRScheduler`,
:class:`MultiStepLRScheduler`, :class:`PolyLRScheduler`,
:class:`PlateauLRScheduler`, :class:`WSDLRScheduler`), :func:`create_scheduler_v2`,
:func:`scheduler_kwargs` and :func:`create_scheduler`. Each scheduler takes timm's
``step(epoch, metric)`` and ``step_update(num_updates, metric)`` and is also a real
torch ``LRScheduler`` (so Lightning and friends accept it), resumes from plain-data
state, and reproduces timm's noise, seeded per step, after a resume too.

The per-group curves (:class:`TimmCosine`, :class:`TimmTanh`, :class:`TimmPoly`,
:class:`TimmStep`, :class:`TimmMultiStep`, :class:`TimmWSD`) are lrplan schedules:
previews, plots and configs work on them without an optimizer.

Example:
    >>> import torch
    >>> from lrplan.timm import CosineLRScheduler
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = CosineLRScheduler(opt, t_initial=10, warmup_t=2, warmup_lr_init=0.01)
    >>> opt.param_groups[0]["lr"]
    0.01
    >>> opt.step(); sched.step(10)
    >>> opt.param_groups[0]["lr"]
    0.0
"""

from __future__ import annotations

from ._factory import SCHEDULER_NAMES as SCHEDULER_NAMES
from ._factory import create_scheduler, create_scheduler_v2, scheduler_kwargs
from ._plateau import PlateauLRScheduler
from ._schedulers import (
    CosineLRScheduler,
    MultiStepLRScheduler,
    PolyLRScheduler,
    StepLRScheduler,
    TanhLRScheduler,
    WSDLRScheduler,
)
from ._schedulers import TimmScheduler as TimmScheduler
from ._shapes import TimmCosine, TimmMultiStep, TimmPoly, TimmStep, TimmTanh, TimmWSD

__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PlateauLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "TimmCosine",
    "TimmMultiStep",
    "TimmPoly",
    "TimmStep",
    "TimmTanh",
    "TimmWSD",
    "WSDLRScheduler",
    "create_scheduler",
    "create_scheduler_v2",
    "scheduler_kwargs",
]
