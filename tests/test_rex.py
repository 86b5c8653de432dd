"""REX (Chen, Wolfe & Kyrillidis 2022): the shape added by following CONTRIBUTING.md.

With z = t / steps, REX is ``end + (start - end) * (1 - z) / (1 - beta * z)``. The
expected values below are exact fractions, from the formula rearranged by hand to
``(n - t) / (n - beta * t)`` for ``steps = n`` (multiply through by n), never from
lrplan's own code.
"""

from __future__ import annotations

import json
import pickle
from fractions import Fraction

import numpy as np
import pytest

import lrplan as lp
from lrplan._schedules import SPEC_NAMES, registry
from lrplan._spec import parse_spec

REL = 1e-13


def exact(t: Fraction, n: int, beta: Fraction, start: Fraction, end: Fraction) -> Fraction:
    """The closed form on exact rationals: (n - u) / (n - beta u), u = min(t, n)."""
    u = min(t, Fraction(n))
    return end + (start - end) * (n - u) / (n - beta * u)


# The paper's profile, beta = 1/2, over 4 steps, worked by hand: 2 (4 - t) / (8 - t).
HAND = [(0, 1.0), (1, 6 / 7), (2, 2 / 3), (3, 2 / 5), (4, 0.0), (5, 0.0), (100, 0.0)]

# (steps, beta, start, end), as exact fractions; the floats lrplan gets are these.
CASES = [
    (4, Fraction(1, 2), Fraction(1), Fraction(0)),
    (10, Fraction(1, 2), Fraction(1), Fraction(0)),
    (10, Fraction(0), Fraction(1), Fraction(0)),  # beta = 0: linear decay
    (8, Fraction(3, 4), Fraction(2), Fraction(1, 4)),
    (16, Fraction(9, 10), Fraction(1, 2), Fraction(1, 8)),
    (1000, Fraction(1, 8), Fraction(1), Fraction(1, 100)),
]


def _make(n: int, beta: Fraction, start: Fraction, end: Fraction) -> lp.REX:
    return lp.REX(steps=n, beta=float(beta), start=float(start), end=float(end))


def test_hand_computed_table() -> None:
    s = lp.REX(steps=4)
    for t, want in HAND:
        assert abs(s(t) - want) <= REL * max(abs(want), 1.0), t
    assert s(0) == 1.0 and s(4) == 0.0


@pytest.mark.parametrize(("n", "beta", "start", "end"), CASES)
def test_golden_table_and_vectorised_agree(
    n: int, beta: Fraction, start: Fraction, end: Fraction
) -> None:
    s = _make(n, beta, start, end)
    ts = [Fraction(k, 4) for k in range(0, 4 * n + 1, max(1, n // 8))]
    ts += [Fraction(n), Fraction(n) + Fraction(1, 3), Fraction(3 * n)]  # the end, and past it
    for t in ts:
        want = float(exact(t, n, beta, start, end))
        assert abs(s(float(t)) - want) <= REL * max(abs(want), 1.0), (t, s(float(t)), want)
    grid = np.array([float(t) for t in ts])
    assert s.values(grid).tolist() == [s(float(t)) for t in ts]  # s(t) and s.values agree exactly


@pytest.mark.parametrize(("n", "beta", "start", "end"), CASES)
def test_endpoints_and_strict_decrease(
    n: int, beta: Fraction, start: Fraction, end: Fraction
) -> None:
    s = _make(n, beta, start, end)
    assert s(0) == float(start) and s(n) == float(end) and s(10 * n) == float(end)
    assert s.duration == n
    v = s.values(np.linspace(0.0, n, 4 * n + 1))
    assert np.all(np.diff(v) < 0)


def test_beta_orders_the_curves() -> None:
    """A larger beta stays higher for longer; beta = 0 is Linear; the paper's default
    is 1/2, which stays above linear decay everywhere inside the run."""
    ts = np.linspace(0.5, 99.5, 199)
    low, mid, high = (lp.REX(steps=100, beta=b).values(ts) for b in (0.0, 0.5, 0.9))
    assert np.all(low < mid) and np.all(mid < high)
    assert np.allclose(low, lp.Linear(steps=100).values(ts), rtol=1e-14, atol=1e-15)
    assert lp.REX(steps=100) == lp.REX(steps=100, beta=0.5)


def test_after_policies() -> None:
    restart = lp.REX(steps=10, after="restart")
    assert restart(13) == restart(3) and restart(10) == 1.0 and restart.duration is None
    with pytest.raises(ValueError, match="past the end"):
        lp.REX(steps=10, after="raise")(11)


def test_config_round_trip_repr_pickle() -> None:
    s = lp.REX(steps=100, beta=0.75, start=2.0, end=0.1)
    cfg = s.to_config()
    assert cfg == {
        "type": "rex",
        "steps": 100,
        "after": "hold",
        "start": 2.0,
        "end": 0.1,
        "beta": 0.75,
    }
    assert lp.Schedule.from_config(json.loads(json.dumps(cfg))) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert repr(s) == "REX(steps=100, start=2.0, end=0.1, beta=0.75)"
    assert repr(lp.REX(steps=10)) == "REX(steps=10)"


def test_spec_string() -> None:
    assert parse_spec("REX(steps=100, beta=0.9)") == lp.REX(steps=100, beta=0.9)
    plan = parse_spec("warmup(REX(steps=fraction(1) - epochs(1)), steps=epochs(1))")
    bound = plan.bind(epochs=10, steps_per_epoch=10)
    assert bound(10) == 1.0 and bound(100) == 0.0
    assert bound(55) == pytest.approx(float(exact(Fraction(45), 90, Fraction(1, 2), 1, 0)))


def test_found_without_being_listed() -> None:
    """The class alone registers it for configs and specs and exports it (no lists)."""
    assert registry()["rex"] is lp.REX and SPEC_NAMES["REX"] is lp.REX
    assert "REX" in lp.__all__


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"beta": 1.0}, r"REX: beta must be in \[0, 1\), got 1\.0"),
        ({"beta": -0.1}, r"REX: beta must be in \[0, 1\), got -0\.1"),
        ({"beta": float("nan")}, r"REX: beta must be a finite number in \[0, 1\)"),
        ({"steps": 0}, r"REX: steps must be in \(0, inf\), got 0"),
        ({"start": -1.0}, r"REX: start must be in \[0, inf\)"),
        ({"end": -0.5}, r"REX: end must be in \[0, inf\)"),
        ({"after": "wrap"}, r"REX: after must be one of"),
    ],
)
def test_bad_arguments_name_the_parameter_and_its_range(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"steps": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        lp.REX(**args)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="REX: beta must be a real number"):
        lp.REX(steps=10, beta="0.5")  # type: ignore[arg-type]
