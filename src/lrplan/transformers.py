"""``transformers.optimization``'s scheduler API on lrplan: swap the import, keep the code.

::

    from transformers.optimization import get_cosine_schedule_with_warmup  # before
    from lrplan.transformers import get_cosine_schedule_with_warmup        # after

Every scheduler name of transformers 5.25 (:class:`SchedulerType`, twelve of them),
its ``get_*`` function with transformers' signature, :func:`get_scheduler`,
``TYPE_TO_SCHEDULER_FUNCTION`` and :class:`GreedyLR` are here, with the same lr at
every step. The closed-form names return an :class:`~lrplan.HFScheduledLR` (a torch
``LRScheduler`` whose pure schedule is ``scheduler.schedules[0]``; not a
``LambdaLR``, though its state loads into transformers' ``LambdaLR`` and back);
``reduce_lr_on_plateau`` a :class:`~lrplan.ReduceLROnPlateau`; ``greedy`` a
:class:`GreedyLR`. Bad arguments raise at construction where transformers fails
mid-run. docs/hf-timm.md has the details.

This module does not import transformers.

Example:
    >>> import torch
    >>> from lrplan.transformers import get_linear_schedule_with_warmup
    >>> opt = torch.optim.AdamW(torch.nn.Linear(2, 1).parameters(), lr=1e-3)
    >>> sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=2, num_training_steps=10)
    >>> for _ in range(6):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.0005]
"""

from __future__ import annotations

from ._hf import (
    TYPE_TO_SCHEDULER_FUNCTION,
    GreedyLR,
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
from ._schedules._hf import SchedulerType

__all__ = [
    "TYPE_TO_SCHEDULER_FUNCTION",
    "GreedyLR",
    "SchedulerType",
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
]
