"""``tensorize``: make an optimizer's scheduled values compile-friendly, in place.

An optimizer step compiled with ``torch.compile`` specialises on the Python
floats it reads from ``param_groups``: every new float lr, momentum or beta can
mean a new graph, until the recompile limit is hit. 0-dim tensors are graph
inputs instead, so changing their *contents* recompiles nothing. lrplan's
schedulers always update tensors in place, so after :func:`tensorize` a whole
schedule runs on the first graph.

``tensorize`` makes each group's value a view of one buffer per key; a scheduler
then writes all groups with one ``copy_`` (``_groups.packed_buffer`` recognises the
layout). Without ``tensorize``, tensors the user made keep their own storage and are
filled in place one by one: lrplan never moves a tensor's storage, which CUDA graphs,
whose captured addresses must not change, rely on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.optim import Optimizer

__all__ = ["tensorize"]

_KEYS = ("lr", "momentum", "dampening", "weight_decay", "betas", "betas[0]", "betas[1]")


def tensorize(
    optimizer: Optimizer,
    keys: str | Iterable[str] = ("lr",),
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> Optimizer:
    """Turn float param-group values into 0-dim tensors, in place; return ``optimizer``.

    For each key, the groups' values become views of one 1-D buffer (so a scheduler
    writes all groups with one tensor op). Values that already are tensors are left
    alone; numbers are unchanged (the default ``float64`` holds every Python float
    exactly). Call it right after creating the optimizer, before the schedulers
    and before the first compiled step.

    Args:
        optimizer: the optimizer whose ``param_groups`` are changed.
        keys: ``"lr"`` (default), ``"momentum"``, ``"dampening"``,
            ``"weight_decay"``, ``"betas"`` (both), ``"betas[0]"`` or ``"betas[1]"``,
            or a list of them.
        dtype: a floating dtype for the new tensors (default ``torch.float64``).
        device: where the new tensors live (default: CPU, which every torch
            optimizer accepts for a tensor lr).

    Raises:
        TypeError: ``optimizer`` is not an Optimizer, or ``dtype`` is not floating.
        ValueError: an unknown key, or a key some group does not hold.

    Note: torch's own rules for tensor hyperparameters still apply; e.g. Adam and
    AdamW on CPU need ``foreach=False`` (or ``capturable=True``) with a tensor lr.

    Example:
        >>> import torch, lrplan
        >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        >>> _ = lrplan.tensorize(opt, ["lr", "momentum"])
        >>> opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        (tensor(0.1000, dtype=torch.float64), tensor(0.9000, dtype=torch.float64))
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"tensorize: optimizer must be an Optimizer, got {type(optimizer).__name__}"
        )
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"tensorize: dtype must be a floating torch.dtype, got {dtype!r}")
    key_list = [keys] if isinstance(keys, str) else list(keys)
    expanded: list[str] = []
    for key in key_list:
        if key not in _KEYS:
            raise ValueError(f"tensorize: key must be one of {_KEYS}, got {key!r}")
        expanded.extend(["betas[0]", "betas[1]"] if key == "betas" else [key])
    groups = optimizer.param_groups
    for key in dict.fromkeys(expanded):
        idx = {"betas[0]": 0, "betas[1]": 1}.get(key)
        name = "betas" if idx is not None else key
        for i, g in enumerate(groups):
            if name not in g:
                raise ValueError(
                    f"tensorize: param_groups[{i}] has no {name!r} "
                    f"(it has {sorted(k for k in g if k != 'params')})"
                )
        current: list[Any] = [g[name] if idx is None else g[name][idx] for g in groups]
        todo = [i for i, v in enumerate(current) if not isinstance(v, torch.Tensor)]
        if not todo:
            continue
        buf = torch.tensor([float(current[i]) for i in todo], dtype=dtype, device=device)
        for j, i in enumerate(todo):
            view = buf[j]
            if idx is None:
                groups[i][name] = view
            else:
                betas = list(groups[i][name])
                betas[idx] = view
                groups[i][name] = tuple(betas)
    return optimizer
