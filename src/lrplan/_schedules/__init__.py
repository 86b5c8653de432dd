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
* ``_timm``: timm's formulas as plain functions, for :mod:`lrplan.timm` (whose
  schedule classes are registered above this layer, so they are not spec names).
* ``_torchnames``: torch's scheduler names: the per-group shape of each torch-named
  class (``lrplan._compat*`` builds with it) and the torch names a spec may call.
* ``_hf``: transformers' scheduler names (:class:`SchedulerType`) and
  :func:`hf_schedule`, the multipliers of each, for :mod:`lrplan._hf` and specs; its
  private shapes (transformers' quirks) are registered for configs only, not spec names.

Nothing here lists the shapes by hand. The spec names (:data:`SPEC_NAMES`) come from
the config registry (every :class:`Schedule` subclass with a ``type_name``), and the
exports (:data:`EXPORTS`, which ``lrplan`` serves) from the ``__all__`` of the
modules that hold shapes (``_shapes``, ``_cyclic``, ``_catalogue``, ``_timemaps``).
CONTRIBUTING.md has the recipe for a new shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _catalogue, _cyclic, _shapes, _timemaps
from ._catalogue import *  # noqa: F403  (each shape module's __all__: its public shapes)
from ._core import Clip, Join, Product, Schedule, Unbound, registry
from ._cyclic import *  # noqa: F403
from ._ramp import ramp, warmup
from ._shapes import *  # noqa: F403
from ._shapes import FiniteShape
from ._time import Duration, RunLength, epochs, fraction
from ._timemaps import *  # noqa: F403
from ._timemaps import large_batch, per_iteration

__all__ = [
    "EXPORTS",
    "RENAMED",
    "SPEC_FUNCTIONS",
    "SPEC_NAMES",
    "Clip",
    "Duration",
    "FiniteShape",
    "Join",
    "Product",
    "RunLength",
    "Schedule",
    "Unbound",
    "epochs",
    "fraction",
    "ramp",
    "registry",
    "warmup",
]
__all__ += _shapes.__all__
__all__ += _cyclic.__all__
__all__ += _catalogue.__all__
__all__ += _timemaps.__all__

#: Names of this package for lrplan's own modules only: lrplan does not export them.
_INTERNAL = frozenset(
    {"EXPORTS", "RENAMED", "SPEC_FUNCTIONS", "SPEC_NAMES", "FiniteShape", "registry"}
)

#: Every name ``lrplan`` exports from the pure layer: the value type, its combinators,
#: the durations and warmup (listed above), then the ``__all__`` of each module that
#: holds shapes. A shape added to one of those modules (and to its ``__all__``) is
#: exported with no other edit.
EXPORTS: tuple[str, ...] = tuple(n for n in __all__ if n not in _INTERNAL)

#: Old names of public classes, each with the name it has now. ``lrplan.<old>``,
#: ``from lrplan import <old>`` and ``<old>(...)`` in a spec string still give the class,
#: but an old name is in no ``__all__`` (so ``from lrplan import *`` binds only the new
#: one) and not in :data:`SPEC_NAMES`, and only ``lrplan`` itself binds it (for type
#: checkers, and on first use): ``Sequence`` would shadow ``collections.abc.Sequence``.
RENAMED: dict[str, str] = {"Sequence": "Join"}

#: The functions a spec string may call besides the schedule classes.
SPEC_FUNCTIONS: tuple[Callable[..., Any], ...] = (
    warmup,
    per_iteration,
    large_batch,
    epochs,
    fraction,
)


def _spec_names() -> dict[str, Callable[..., Any]]:
    """Every schedule class of this package in the config registry, by class name (all
    but :class:`Unbound`, which records a call rather than making one, and the private
    classes, registered for configs only), then :data:`SPEC_FUNCTIONS`."""
    names: dict[str, Callable[..., Any]] = {
        cls.__name__: cls
        for cls in registry().values()
        if cls.__module__.startswith(f"{__name__}.")
        and cls is not Unbound
        and not cls.__name__.startswith("_")
    }
    names.update((fn.__name__, fn) for fn in SPEC_FUNCTIONS)
    return names


#: Names a spec string may call (``lrplan plot "warmup(Cosine(steps=90), steps=10)"``).
#: Built from the config registry when this package is imported, so a new shape class
#: (with its ``type_name``) can be called from a spec without being listed anywhere.
SPEC_NAMES: dict[str, Callable[..., Any]] = _spec_names()
