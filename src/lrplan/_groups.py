"""Reading, writing and checking the values held in an optimizer's param groups.

A scheduled key is a plain entry (``"lr"``, ``"momentum"``, ``"weight_decay"``) or
one element of Adam's ``betas`` tuple (``"betas[0]"``, ``"betas[1]"``). A value is
a Python float or a 0-dim tensor. Tensors are always written in place (``fill_``
or one ``copy_``), never replaced, so the optimizer, the user and a compiled or
captured graph keep holding the same object at the same address.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import torch

__all__ = [
    "BETAS_KEYS",
    "as_float",
    "check_fits",
    "check_key",
    "check_last_epoch",
    "check_time",
    "check_value",
    "copy_all",
    "copy_value",
    "packed_buffer",
    "read",
    "read_all",
    "read_floats",
    "write",
    "write_all",
]

#: The keys that name one element of a group's ``betas`` tuple.
BETAS_KEYS = {"betas[0]": 0, "betas[1]": 1}


def read(group: Mapping[str, Any], key: str) -> Any:
    """The raw value (float or tensor) of ``key`` in ``group``."""
    idx = BETAS_KEYS.get(key)
    return group[key] if idx is None else group["betas"][idx]


def read_all(groups: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    """``read(group, key)`` for every group."""
    idx = BETAS_KEYS.get(key)
    if idx is None:
        return list(map(operator.itemgetter(key), groups))
    return [g["betas"][idx] for g in groups]


def read_floats(groups: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """Every group's value of ``key`` as a Python float."""
    return list(map(as_float, read_all(groups, key)))


def as_float(value: Any) -> float:
    """A float or a one-element tensor as a Python float."""
    return float(value.item()) if isinstance(value, torch.Tensor) else float(value)


def copy_value(value: Any) -> Any:
    """A copy that never aliases ``value`` (tensors are cloned)."""
    return value.detach().clone() if isinstance(value, torch.Tensor) else value


def copy_all(groups: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    """Every group's value of ``key``, as copies that never alias it (torch's ``_last_lr``)."""
    values = read_all(groups, key)
    if any(isinstance(v, torch.Tensor) for v in values):
        return [copy_value(v) for v in values]
    return values  # numbers: immutable, a new list is copy enough


def write(group: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` (a number or a one-element tensor) as ``group``'s ``key``.

    A tensor already there is filled in place; a number replaces a number.
    """
    idx = BETAS_KEYS.get(key)
    current = read(group, key)
    if isinstance(current, torch.Tensor):
        if isinstance(value, torch.Tensor):
            value = value.reshape(())
        current.fill_(value)
    elif idx is None:
        group[key] = value
    else:
        betas = list(group["betas"])
        betas[idx] = value
        group["betas"] = tuple(betas)


def write_all(
    groups: Sequence[dict[str, Any]], key: str, values: Sequence[float], current: Sequence[Any]
) -> list[float]:
    """Store one float per group, where the groups hold ``current`` (``read_all``).

    Returns what the groups hold afterwards, as floats: a tensor stores the value
    rounded to its dtype.
    """
    stored = []
    plain = key not in BETAS_KEYS
    for group, cur, v in zip(groups, current, values, strict=True):
        if isinstance(cur, torch.Tensor):
            cur.fill_(v)  # float64 stores a float exactly; other dtypes round
            stored.append(v if cur.dtype is torch.float64 else float(cur.item()))
        elif plain:
            group[key] = v
            stored.append(v)
        else:
            write(group, key, v)
            stored.append(v)
    return stored


def packed_buffer(values: Sequence[Any]) -> torch.Tensor | None:
    """The 1-D buffer whose elements ``values`` are, in order, or ``None``.

    :func:`lrplan.tensorize` makes each group's value a view ``buf[i]`` of one
    buffer; a scheduler then writes every group with one ``copy_``. Anything else
    (separate tensors, floats, another order) is written group by group.
    """
    first = values[0] if values else None
    if not isinstance(first, torch.Tensor):
        return None
    buf = first._base
    if buf is None or buf.dim() != 1 or buf.numel() != len(values) or buf.stride() != (1,):
        return None
    offset = buf.storage_offset()
    for i, v in enumerate(values):
        if not isinstance(v, torch.Tensor) or v._base is not buf or v.dim() != 0:
            return None
        if v.storage_offset() != offset + i:
            return None
    return buf


# --------------------------------------------------------------------------- checks


def check_key(owner: str, group: Mapping[str, Any], key: str) -> None:
    """Raise a ``ValueError`` naming the available keys when ``group`` lacks ``key``."""
    try:
        read(group, key)
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"{owner}: key {key!r} is not in the optimizer's param groups (available: "
            f"{sorted(k for k in group if k != 'params')}); use 'betas[0]'/'betas[1]' "
            "for Adam's betas"
        ) from None


def check_value(owner: str, key: str, group_index: int, t: Any, value: float) -> float:
    """``value``, or a ``ValueError`` when it is not finite and ``>= 0``."""
    if not (value >= 0.0 and value != math.inf):
        raise ValueError(
            f"{owner}: the schedule produced {key}={value!r} for param group {group_index} "
            f"at step {t}; values must be finite and >= 0"
        )
    return value


def check_fits(owner: str, key: str, group_index: int, t: Any, raw: Any, value: float) -> None:
    """Refuse a finite value that the group's tensor would store as ``inf``."""
    if raw.dtype is torch.float64 or not raw.is_floating_point():
        return  # float64 holds every finite float; integer tensors are torch's business
    largest = torch.finfo(raw.dtype).max
    if value > largest:
        raise ValueError(
            f"{owner}: the schedule produced {key}={value!r} for param group "
            f"{group_index} at step {t}, too large for the group's {raw.dtype} tensor "
            f"(largest {largest:.6g}); it would be stored as inf"
        )


def check_last_epoch(owner: str, last_epoch: Any) -> int:
    """``last_epoch`` as an int ``>= -1``, or a clear error."""
    if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral):
        raise TypeError(f"{owner}: last_epoch must be an int >= -1, got {last_epoch!r}")
    if last_epoch < -1:
        raise ValueError(f"{owner}: last_epoch must be an int >= -1, got {last_epoch!r}")
    return int(last_epoch)


def check_time(owner: str, t: Any) -> Any:
    """A step: an int, or a float for fractional epochs; finite and ``>= 0``."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"{owner}: the step must be a number >= 0, got {type(t).__name__} {t!r}")
    if not (float(t) >= 0.0 and math.isfinite(float(t))):
        raise ValueError(f"{owner}: the step must be finite and >= 0, got {t!r}")
    return int(t) if isinstance(t, numbers.Integral) else float(t)
