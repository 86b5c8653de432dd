"""Shared test fixtures: small optimizers and random schedules.

Both fixtures are session-scoped and stateless (they return a factory and a
strategy), so hypothesis tests may use them without a function-scoped-fixture
health-check failure:

    def test_x(make_optimizer, schedules):
        ...
    @given(data=st.data())
    def test_y(make_optimizer, schedules, data):
        s = data.draw(schedules)
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st

import lrplan as lp

# CI (CI=true) runs a fixed, reproducible set of examples: a submission lands only
# when CI passes, so it must not hinge on which random examples a run happens to
# draw. Local runs keep drawing new ones, which is how bugs are found.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")

OptimizerFactory = Callable[..., torch.optim.Optimizer]


def _build_optimizer(
    lrs: Sequence[float] = (0.1,),
    *,
    kind: str = "sgd",
    tensor: bool = False,
    dtype: torch.dtype = torch.float64,
    **options: Any,
) -> torch.optim.Optimizer:
    """One param group per entry of ``lrs``, each with two small parameters.

    ``kind`` is ``"sgd"`` (``momentum`` etc. via ``options``), ``"adam"`` or
    ``"adamw"``. With ``tensor=True`` each group's lr is a 0-dim tensor of
    ``dtype`` (float64 by default, so values compare at double precision);
    the optimizer then runs its single-tensor path (``foreach=False``).
    """
    groups = []
    for lr in lrs:
        params = [torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(2))]
        value: Any = torch.tensor(float(lr), dtype=dtype) if tensor else float(lr)
        groups.append({"params": params, "lr": value})
    if tensor:
        options.setdefault("foreach", False)
    classes: dict[str, type[torch.optim.Optimizer]] = {
        "sgd": torch.optim.SGD,
        "adam": torch.optim.Adam,
        "adamw": torch.optim.AdamW,
    }
    if kind not in classes:
        raise ValueError(f"make_optimizer: kind must be one of {sorted(classes)}, got {kind!r}")
    return classes[kind](groups, **options)


@pytest.fixture(scope="session")
def make_optimizer() -> OptimizerFactory:
    """``make_optimizer(lrs=(0.1,), *, kind="sgd", tensor=False, dtype=float64, **options)``."""
    return _build_optimizer


def torch_roundtrip(obj: Any) -> Any:
    """``torch.save`` then ``torch.load(weights_only=True)``: what a checkpoint does."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.fixture(scope="session")
def weights_only_roundtrip() -> Callable[[Any], Any]:
    """Save with ``torch.save`` and load with ``torch.load(weights_only=True)``."""
    return torch_roundtrip


# --------------------------------------------------------------------------- schedules

_steps = st.integers(min_value=1, max_value=60)
_level = st.floats(min_value=0.05, max_value=2.0, allow_nan=False, allow_infinity=False)
_after = st.sampled_from(["hold", "restart"])


def _shapes() -> st.SearchStrategy[lp.Schedule]:
    """Basic shapes whose values stay strictly positive (safe for chaining)."""
    return st.one_of(
        st.builds(lp.Constant, value=_level),
        st.builds(lp.Linear, steps=_steps, start=_level, end=_level, after=_after),
        st.builds(lp.Cosine, steps=_steps, start=_level, end=_level, after=_after),
        st.builds(lp.Cosine, steps=_steps, start=_level, end=_level, periodic=st.just(True)),
        st.builds(lp.Exponential, gamma=st.floats(min_value=0.8, max_value=1.05), start=_level),
        st.builds(
            lp.Step,
            step_size=st.integers(min_value=1, max_value=20),
            gamma=st.floats(min_value=0.1, max_value=1.5),
        ),
        st.builds(
            lp.MultiStep,
            milestones=st.lists(st.integers(min_value=0, max_value=80), max_size=4).map(
                lambda ms: tuple(sorted(ms))
            ),
            gamma=st.floats(min_value=0.1, max_value=1.5),
        ),
        st.builds(
            lp.Polynomial,
            steps=_steps,
            power=st.floats(min_value=0.5, max_value=3.0),
            start=_level,
            end=_level,
            after=_after,
        ),
    )


def _after_last_boundary(s: lp.Schedule) -> float:
    # ``a.then(b, at=n)`` on a Join appends; ``n`` is absolute and must come later.
    return s.switches[-1] if isinstance(s, lp.Join) and s.switches else 0


def _combine(children: st.SearchStrategy[lp.Schedule]) -> st.SearchStrategy[lp.Schedule]:
    seq = st.tuples(children, children, st.integers(min_value=1, max_value=50)).map(
        lambda a: a[0].then(a[1], at=_after_last_boundary(a[0]) + a[2])
    )
    prod = st.tuples(children, children).map(lambda a: a[0] * a[1])
    clip = st.tuples(children, _level).map(lambda a: a[0].floor(a[1]))
    warm = st.tuples(children, st.integers(min_value=1, max_value=20), _level).map(
        lambda a: lp.warmup(a[0], steps=a[1], start=a[2])
    )
    return st.one_of(seq, prod, clip, warm)


@pytest.fixture(scope="session")
def schedules() -> st.SearchStrategy[lp.Schedule]:
    """A hypothesis strategy of random shapes and compositions with positive values."""
    return st.recursive(_shapes(), _combine, max_leaves=4)
