"""All-or-nothing ``load_state_dict`` for schedulers that load several parts.

A composite scheduler (``SequentialLR``, ``ChainedScheduler``, a warmup wrapper,
``MultiScheduledLR``) restores its children one after the other, and each child
writes values into the optimizer. If a later part is refused (another format
version, another class, a changed config), the earlier parts must not stay
loaded: :func:`atomic_load` snapshots the optimizer's param-group values and the
children's states, and puts both back when the body raises.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.optim import Optimizer

__all__ = ["accepts_policy", "atomic_load", "load_child"]


def _snapshot_value(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return v.detach().clone()
    if isinstance(v, tuple):
        return tuple(_snapshot_value(x) for x in v)
    return copy.deepcopy(v)


def _restore_value(group: dict[str, Any], key: str, saved: Any) -> None:
    cur = group.get(key)
    if isinstance(cur, torch.Tensor) and isinstance(saved, torch.Tensor):
        cur.copy_(saved)  # in place: compiled steps and aliases keep the same tensor
    elif (
        isinstance(cur, tuple)
        and isinstance(saved, tuple)
        and len(cur) == len(saved)
        and any(isinstance(x, torch.Tensor) for x in cur)
    ):
        for c, s in zip(cur, saved, strict=True):
            if isinstance(c, torch.Tensor) and isinstance(s, torch.Tensor):
                c.copy_(s)
        if not all(isinstance(c, torch.Tensor) for c in cur):
            group[key] = tuple(
                c if isinstance(c, torch.Tensor) else s for c, s in zip(cur, saved, strict=True)
            )
    else:
        group[key] = saved


@contextlib.contextmanager
def atomic_load(optimizer: Optimizer, schedulers: Sequence[Any]) -> Iterator[None]:
    """Undo everything the body did to ``optimizer``'s groups and ``schedulers`` if it raises.

    The schedulers are rolled back by loading the states they had on entry (their
    own, unchanged config, so these loads succeed); then every param group gets
    back exactly the values it held, tensors filled in place.
    """
    groups = [
        {k: _snapshot_value(v) for k, v in g.items() if k != "params"}
        for g in optimizer.param_groups
    ]
    states = [copy.deepcopy(s.state_dict()) for s in schedulers]
    try:
        yield
    except BaseException:
        for s, st in zip(schedulers, states, strict=True):
            with contextlib.suppress(Exception):
                s.load_state_dict(st)
        for g, snap in zip(optimizer.param_groups, groups, strict=False):
            for k in [k for k in g if k != "params" and k not in snap]:
                del g[k]
            for k, v in snap.items():
                _restore_value(g, k, v)
        raise


def load_child(child: Any, state: Any, on_config_change: str = "error") -> None:
    """``child.load_state_dict(state)``, passing the config-drift policy where it is accepted.

    lrplan's schedulers take ``on_config_change``; torch's own do not (they have no
    config check), so the policy only reaches those that can apply it.
    """
    if on_config_change != "error" and accepts_policy(child):
        child.load_state_dict(state, on_config_change=on_config_change)
    else:
        child.load_state_dict(state)


def accepts_policy(child: Any) -> bool:
    """Whether ``child.load_state_dict`` accepts ``on_config_change`` (lrplan's do)."""
    try:
        params = inspect.signature(child.load_state_dict).parameters
    except (TypeError, ValueError):
        return False
    return "on_config_change" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )
