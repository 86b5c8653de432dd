"""Time units: durations in steps, epochs or a fraction of the run, and the run length.

Schedules run on one clock, in scheduler steps. Lengths known in other units are
written as *durations* (:func:`epochs`, :func:`fraction`, or sums of them with
plain step counts) and resolved **once**, when the plan is bound to a run:

    >>> import lrplan as lp
    >>> plan = lp.warmup(lp.Cosine(steps=lp.fraction(1) - lp.epochs(2)), steps=lp.epochs(2))
    >>> plan
    warmup(schedule=Cosine(steps=fraction(1) - epochs(2)), steps=epochs(2))
    >>> bound = plan.bind(epochs=10, batches_per_epoch=100, accumulation=4)
    >>> bound
    Join(schedules=(Linear(steps=50, start=0.0, end=1.0), Cosine(steps=200)), boundaries=(50,))

A plan with durations is an :class:`~lrplan.Unbound` schedule (defined with the value
type, in :mod:`lrplan._schedules._core`): a record of the constructor call, with a
plain-data config, that cannot be evaluated until it is bound. Binding returns an
ordinary schedule in steps, so the pure layer never carries units around.

This module sits below the value type: it knows nothing of schedules. The
combinators that move, stretch and repeat a schedule in time, and the batch-size
rules, are in :mod:`lrplan._schedules._timemaps`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any, cast

from ._validate import check_int, check_real

__all__ = [
    "DURATION_KEYS",
    "Duration",
    "RunLength",
    "Unresolved",
    "epochs",
    "fraction",
    "is_unresolved",
]


class Unresolved:
    """Marker base of values that need a run length first (durations, unbound plans).

    A schedule constructed with such an argument is deferred (see
    :meth:`lrplan.Schedule.__new__`) until it is bound to a run.
    """

    __slots__ = ()


def is_unresolved(value: Any) -> bool:
    """Whether ``value`` (or an item of a tuple or list) needs a run length first."""
    if isinstance(value, Unresolved):
        return True
    return isinstance(value, tuple | list) and any(isinstance(v, Unresolved) for v in value)


#: Keys of a duration in a config (``{"epochs": 5}``).
DURATION_KEYS = frozenset({"steps", "epochs", "fraction"})


# --------------------------------------------------------------------------- durations


def _real(owner: str, name: str, value: Any) -> float:
    return check_real(owner, name, value)


def _snap(x: float) -> float:
    """``x``, or the integer it is within 1e-9 (relative) of: no ``700.0000000000001``."""
    r = round(x)
    if abs(x - r) <= 1e-9 * max(1.0, abs(x)):
        return int(r)
    return x


@dataclasses.dataclass(frozen=True, repr=False)
class Duration(Unresolved):
    """A length of time: ``steps + epochs * steps_per_epoch + fraction * total_steps``.

    Make one with :func:`epochs` or :func:`fraction`; add, subtract and scale them,
    together or with plain step counts (``fraction(1) - epochs(5) - 100``).
    :meth:`resolve` turns it into steps for one :class:`RunLength`. Its config is
    ``{"epochs": 5}`` (only the non-zero units).

    Example:
        >>> import lrplan as lp
        >>> d = lp.fraction(1) - lp.epochs(2)
        >>> d, d.resolve(lp.RunLength(total_steps=1000, steps_per_epoch=100))
        (fraction(1) - epochs(2), 800)
    """

    steps: float = 0
    epochs: float = 0
    fraction: float = 0

    def __post_init__(self) -> None:
        for name in ("steps", "epochs", "fraction"):
            object.__setattr__(self, name, _real("Duration", name, getattr(self, name)))

    # -- arithmetic ------------------------------------------------------------------------

    @staticmethod
    def _of(value: Any) -> Duration | None:
        if isinstance(value, Duration):
            return value
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return Duration(steps=cast(float, value))
        return None

    def __add__(self, other: Any) -> Duration:
        o = self._of(other)
        if o is None:
            return NotImplemented
        return Duration(
            steps=self.steps + o.steps,
            epochs=self.epochs + o.epochs,
            fraction=self.fraction + o.fraction,
        )

    __radd__ = __add__

    def __neg__(self) -> Duration:
        return Duration(steps=-self.steps, epochs=-self.epochs, fraction=-self.fraction)

    def __sub__(self, other: Any) -> Duration:
        o = self._of(other)
        return NotImplemented if o is None else self + (-o)

    def __rsub__(self, other: Any) -> Duration:
        o = self._of(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, k: Any) -> Duration:
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            return NotImplemented
        f = cast(float, k)
        return Duration(steps=self.steps * f, epochs=self.epochs * f, fraction=self.fraction * f)

    __rmul__ = __mul__

    # -- resolution ------------------------------------------------------------------------

    def resolve(self, run: RunLength) -> float:
        """This duration in steps for ``run`` (an int where it is a whole number)."""
        total = 0.0 + self.steps
        if self.epochs:
            total += self.epochs * run.require_steps_per_epoch(self)
        if self.fraction:
            total += self.fraction * run.require_total_steps(self)
        return _snap(total)

    def to_config(self) -> dict[str, float]:
        cfg = {k: getattr(self, k) for k in ("steps", "epochs", "fraction") if getattr(self, k)}
        return cfg or {"steps": 0}

    @staticmethod
    def from_config(config: Mapping[str, Any]) -> Duration:
        """Rebuild from :meth:`to_config` (``{"epochs": 2.5}``, ``{"fraction": 0.1}``, ...)."""
        extra = set(config) - DURATION_KEYS
        if extra or not config:
            raise ValueError(
                f"a duration config takes the keys {sorted(DURATION_KEYS)}, got {dict(config)!r}"
            )
        return Duration(**config)

    def __repr__(self) -> str:
        parts = []
        if self.fraction:
            parts.append((self.fraction, f"fraction({_fmt(abs(self.fraction))})"))
        if self.epochs:
            parts.append((self.epochs, f"epochs({_fmt(abs(self.epochs))})"))
        if self.steps:
            parts.append((self.steps, _fmt(abs(self.steps))))
        if not parts:
            return "Duration(steps=0)"
        out = ("-" if parts[0][0] < 0 else "") + parts[0][1]
        for v, text in parts[1:]:
            out += (" - " if v < 0 else " + ") + text
        return out


def _fmt(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() else repr(x)


def epochs(n: float) -> Duration:
    """A duration of ``n`` epochs (fractional epochs are fine): ``epochs(2.5)``.

    Example:
        >>> import lrplan as lp
        >>> lp.epochs(2.5).resolve(lp.RunLength(steps_per_epoch=100))
        250
    """
    return Duration(epochs=_real("epochs", "n", n))


def fraction(p: float) -> Duration:
    """A duration that is fraction ``p`` of the whole run: ``fraction(0.1)``.

    Example:
        >>> import lrplan as lp
        >>> lp.fraction(0.7).resolve(lp.RunLength(total_steps=1000))
        700
    """
    return Duration(fraction=check_real("fraction", "p", p, lo=0.0))


# --------------------------------------------------------------------------- run length


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunLength:
    """What durations resolve against: the run's length and its epoch size, in steps.

    Args:
        total_steps: scheduler steps in the whole run (what :func:`fraction` is a
            fraction of). Or give ``epochs``.
        epochs: the run's length in epochs (with an epoch size); sets ``total_steps``.
        steps_per_epoch: scheduler (optimizer) steps per epoch.
        batches_per_epoch: micro-batches per epoch (``len(loader)``), used with
            ``accumulation`` instead of ``steps_per_epoch``: an epoch then has
            ``ceil(batches_per_epoch / accumulation)`` optimizer steps (the last,
            partial accumulation window still steps, as in Lightning and HF Trainer).
        accumulation: gradient-accumulation micro-batches per optimizer step.

    Example:
        >>> import lrplan as lp
        >>> run = lp.RunLength(epochs=3, batches_per_epoch=10, accumulation=4)
        >>> run.steps_per_epoch, run.total_steps
        (3, 9)
    """

    total_steps: float | None = None
    epochs: float | None = None
    steps_per_epoch: float | None = None
    batches_per_epoch: int | None = None
    accumulation: int = 1

    def __post_init__(self) -> None:
        owner = "RunLength"
        acc = check_int(owner, "accumulation", self.accumulation, lo=1)
        spe = self.steps_per_epoch
        if self.batches_per_epoch is not None:
            if spe is not None:
                raise ValueError(
                    f"{owner}: give steps_per_epoch (optimizer steps) or batches_per_epoch "
                    "(loader batches, with accumulation), not both"
                )
            batches = check_int(owner, "batches_per_epoch", self.batches_per_epoch, lo=1)
            spe = -(-batches // acc)
        elif spe is not None:
            spe = check_real(owner, "steps_per_epoch", spe, lo=0.0, lo_open=True)
            if acc != 1:
                raise ValueError(
                    f"{owner}: accumulation={acc} applies to batches_per_epoch; "
                    "steps_per_epoch already counts optimizer steps"
                )
        total = self.total_steps
        if total is not None:
            total = check_real(owner, "total_steps", total, lo=0.0, lo_open=True)
        if self.epochs is not None:
            ep = check_real(owner, "epochs", self.epochs, lo=0.0, lo_open=True)
            if spe is None:
                raise ValueError(f"{owner}: epochs={ep} needs steps_per_epoch or batches_per_epoch")
            from_epochs = _snap(ep * spe)
            if total is not None and not math.isclose(total, from_epochs, rel_tol=1e-12):
                raise ValueError(
                    f"{owner}: total_steps={total} disagrees with epochs * steps_per_epoch "
                    f"= {from_epochs}; give one of them"
                )
            total = from_epochs
        object.__setattr__(self, "accumulation", acc)
        object.__setattr__(self, "steps_per_epoch", spe)
        object.__setattr__(self, "total_steps", total)

    @staticmethod
    def coerce(run: Any, fields: Mapping[str, Any]) -> RunLength:
        """``run`` itself, or a RunLength built from keyword ``fields`` (not both)."""
        if run is not None:
            if fields:
                raise TypeError(
                    "bind: give a RunLength or its fields as keywords, not both "
                    f"(got run and {sorted(fields)})"
                )
            if not isinstance(run, RunLength):
                raise TypeError(f"bind: run must be a RunLength, got {type(run).__name__}")
            return run
        known = {f.name for f in dataclasses.fields(RunLength)}
        unknown = set(fields) - known
        if unknown:
            raise TypeError(
                f"bind: unknown argument(s) {sorted(unknown)}; accepted: {sorted(known)}"
            )
        return RunLength(**fields)

    def require_steps_per_epoch(self, what: Any) -> float:
        if self.steps_per_epoch is None:
            raise ValueError(
                f"{what!r} is in epochs: bind with steps_per_epoch= (optimizer steps) or "
                "batches_per_epoch= (with accumulation=)"
            )
        return self.steps_per_epoch

    def require_total_steps(self, what: Any) -> float:
        if self.total_steps is None:
            raise ValueError(
                f"{what!r} is a fraction of the run: bind with total_steps= or epochs= "
                "(with the epoch size)"
            )
        return self.total_steps
