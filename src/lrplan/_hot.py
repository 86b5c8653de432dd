"""The driver's hot step, written out for one scheduler in one configuration.

Most ``scheduler.step()`` calls of a training run are alike: nothing outside
changed the optimizer's groups since the last step, every group gets the same
value, and the schedule is one formula of the time. :meth:`LRScheduler._arm
<lrplan._driver.LRScheduler._arm>` notices that state after a step and asks
:func:`hot_step` for a function that performs exactly the next steps of that
state and nothing else. The function is generated as Python source, with

* the schedule's kernel inlined (the traced formula of
  :mod:`lrplan._schedules._kernel`, the operations that ``s(t)`` performs, in its
  order, so the values are the same bits);
* the key, the scale, the group count and the values written last held in
  closure cells instead of attributes;
* the checks that keep it exact: ``last_epoch`` is the step it expects, the
  optimizer has the same number of groups, and each group still holds the very
  float object it wrote (for a second key too). Anything else that could change
  the result goes through the scheduler, which drops the function (disarms).

It returns ``False``, having changed nothing, when its checks fail or a value is
not finite and ``>= 0``; the general path then runs (and raises the precise
error). An exception from the formula itself (a time past a schedule's end that
must raise) propagates after ``_step_count`` was counted, as on the general path.

The function takes the scheduler as its argument rather than holding it, so no
reference cycle keeps a scheduler alive; the scheduler drops it when pickled or
copied (it belongs to one object).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._schedules._kernel import compiled
from ._schedules._ops import SCALAR_GLOBALS

__all__ = ["hot_chained_step", "hot_step"]


def hot_step(
    *,
    key: str,
    n: int,
    scale: float,
    written: float,
    t: int,
    values: list[float],
    kernel: Callable[[float], Any],
    key2: str | None = None,
    written2: float | None = None,
    also: bool = False,
) -> Callable[[Any], bool]:
    """The hot step for a scheduler whose ``n`` groups all hold the float ``written``.

    ``kernel`` gives the schedule's value at a float time (a tuple of two values
    when ``key2`` is written too, its groups all holding ``written2``); the lr is
    ``scale`` times the first. ``values`` is the scheduler's list of the values
    written (one per group), edited in place. ``t`` is the ``last_epoch`` of the
    step that wrote them. ``also`` calls the scheduler's ``_fast_also(t)`` once the
    values are known to be valid (it writes other keys, all or nothing).
    """
    call = "        _m = _kernel(t)" if key2 is None else "        _m, _m2 = _kernel(t)"
    body, returns, consts, traced = _inlined(kernel, call, ["_m", "_m2"])
    unit = traced and type(scale) is float and scale == 1.0
    src = _source(
        n=n, key2=key2 is not None, also=also, unit_scale=unit, body=body, returns=returns
    )
    factory = _factory(src, "hot step", consts, kernel)
    return factory(key, key2, scale, written, written2, t, values, n)


def _inlined(
    kernel: Callable[..., Any], call: str, names: list[str]
) -> tuple[list[str], list[str], dict[str, Any], bool]:
    """The lines that compute ``kernel``'s values in a hot step, their names, the
    constants they read, and whether the formula was inlined: a traced kernel's
    body (see :mod:`lrplan._schedules._kernel`), else ``call`` of it as ``_kernel``
    (a user function), whose results are ``names``."""
    traced = getattr(kernel, "lrplan_trace", None)
    if traced is None:
        return [call], names, {}, False
    body = ["        " + line.removeprefix("    ") for line in traced.lines]
    return body, list(traced.returns), dict(traced.consts), True


def _factory(
    src: str, name: str, consts: dict[str, Any], kernel: Callable[..., Any]
) -> Callable[..., Callable[[Any], bool]]:
    """Compile ``src`` (cached by its text) and return its ``factory``."""
    ns: dict[str, Any] = {**SCALAR_GLOBALS, **consts, "_kernel": kernel, "_inf": math.inf}
    exec(compiled(src, name), ns)
    factory: Callable[..., Callable[[Any], bool]] = ns["factory"]
    return factory


def _store(one: bool, key: str, value: str, pad: str) -> list[str]:
    """Lines that write ``value`` into every group's ``key`` (``_g``: the one group)."""
    if one:
        return [f"{pad}_g[{key}] = {value}"]
    return [f"{pad}for _g in _gs:", f"{pad}    _g[{key}] = {value}"]


def _record(one: bool, pad: str) -> str:
    """The line that records ``_v`` as every group's value in ``_values``, in place."""
    return f"{pad}_values[0] = _v" if one else f"{pad}_values[:] = [_v] * _n"


def _source(
    *, n: int, key2: bool, also: bool, unit_scale: bool, body: list[str], returns: list[str]
) -> str:
    one = n == 1
    lines = [
        "def factory(_key, _key2, _scale, _w, _w2, _t, _values, _n):",
        "    def hot(_s):",
        "        nonlocal _w, _w2, _t",
        "        if _s.last_epoch != _t:",
        "            return False",
    ]
    untouched = "_g[_key] is not _w" + (" or _g[_key2] is not _w2" if key2 else "")
    if one:
        lines += [
            "        try:",
            "            (_g,) = _s.optimizer.param_groups  # exactly one group",
            "        except ValueError:",
            "            return False",
            f"        if {untouched}:",
            "            return False",
        ]
    else:
        lines += [
            "        _gs = _s.optimizer.param_groups",
            "        if len(_gs) != _n:",
            "            return False",
            "        for _g in _gs:",
            f"            if {untouched}:",
            "                return False",
        ]
    lines += [
        "        _ti = _t + 1",
        "        _s._step_count += 1",
        "        t = _ti + 0.0",
        *body,
        # scale 1.0 (absolute schedules): 1.0 * x is x for a float x
        f"        _v = {returns[0]}"
        if unit_scale and returns[0].isidentifier()
        else f"        _v = _scale * {returns[0]}",
    ]
    valid = "0.0 <= _v < _inf"
    if key2:
        lines.append(f"        _v2 = {returns[1]}")
        valid += " and 0.0 <= _v2 < _inf"
    if also:
        valid += " and _s._fast_also(_ti)"
    lines += [
        f"        if not ({valid}):",
        "            _s._step_count -= 1",
        "            return False",
        "        _s.last_epoch = _t = _ti",
        "        if _v != _w or _w == 0.0:  # else: unchanged, already in place",
        "            _w = _v",
    ]
    lines += [*_store(one, "_key", "_v", " " * 12), _record(one, " " * 12)]
    if key2:
        lines += ["        if _v2 != _w2 or _w2 == 0.0:", "            _w2 = _v2"]
        lines += _store(one, "_key2", "_v2", " " * 12)
    lines += ["        return True", "    return hot"]
    return "\n".join(lines) + "\n"


def hot_chained_step(
    *, key: str, n: int, t: int, values: list[float], rechain: Callable[..., float]
) -> Callable[[Any], bool]:
    """The hot step of a scheduler in relative (chained) mode (see
    ``LRScheduler._fast_chained_step``): every group holds one float ``c`` (whoever
    wrote it, finite and non-zero), and the next value is ``rechain(c, t, t + 1)``
    (the shape's relative update, inlined when traced), written to every group;
    a value equal to ``c`` is written as ``c`` itself.
    """
    body, returns, consts, _ = _inlined(rechain, "        _m = _kernel(c, tp, t)", ["_m"])
    lines = [
        "def factory(_key, _t, _values, _n):",
        "    def hot(_s):",
        "        nonlocal _t",
        "        if _s.last_epoch != _t:",
        "            return False",
    ]
    if n == 1:
        lines += [
            "        try:",
            "            (_g,) = _s.optimizer.param_groups  # exactly one group",
            "        except ValueError:",
            "            return False",
            "        c = _g[_key]",
        ]
    else:
        lines += [
            "        _gs = _s.optimizer.param_groups",
            "        if len(_gs) != _n:",
            "            return False",
            "        c = _gs[0][_key]",
            "        for _g in _gs:",
            "            if _g[_key] is not c:",
            "                return False",
        ]
    lines += [
        "        if type(c) is not float or not (c != 0.0 and c - c == 0.0):",
        "            return False",
    ]
    lines += [
        "        _ti = _t + 1",
        "        _s._step_count += 1",
        "        tp = _t + 0.0",
        "        t = _ti + 0.0",
        *body,
        f"        _v = {returns[0]}",
        "        if not (0.0 <= _v < _inf):",
        "            _s._step_count -= 1",
        "            return False",
        "        _s.last_epoch = _t = _ti",
        "        if _v == c:",
        "            _v = c  # unchanged: the groups keep the very object",
        "        else:",
    ]
    lines += [*_store(n == 1, "_key", "_v", " " * 12), _record(n == 1, " " * 8)]
    lines += ["        return True", "    return hot"]
    factory = _factory("\n".join(lines) + "\n", "hot chained step", consts, rechain)
    return factory(key, t, values, n)
