"""Differential tests: lrplan.StepLR and lrplan.LambdaLR against torch's, the oracle.

Criterion: 1e-9 relative for float lrs and float64 tensor lrs. float32 tensor lrs
are compared at float32 precision (rel 1e-6): torch's chainable StepLR multiplies
the float32 tensor by gamma at every decay, rounding to float32 each time, while
lrplan writes the float64 closed form and rounds once. Both are within a few
float32 ulps of the exact value, but not bit-identical to each other: the tolerance
grows by one float32 ulp per recursive step (and stays >= 1e-6). Below float32's
smallest normal number (~1.2e-38) the comparison is absolute.
"""

from __future__ import annotations

import inspect
import io
import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tl

import lrplan as lp

OptimizerFactory = Callable[..., torch.optim.Optimizer]

LRS = st.lists(st.floats(min_value=1e-4, max_value=10.0), min_size=1, max_size=3)
STEP_SIZE = st.integers(min_value=1, max_value=8)
GAMMA = st.floats(min_value=0.05, max_value=1.5)
DTYPES = st.sampled_from([None, torch.float64, torch.float32])  # None: float lrs


def roundtrip(obj: Any) -> Any:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def lrs_of(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def assert_same(
    ours: list[float], theirs: list[float], dtype: torch.dtype | None, steps: int = 0
) -> None:
    # float32: torch rounds gamma and every product to float32, up to ~1 ulp (2**-23) of
    # drift per recursive step; lrplan rounds its float64 closed form once.
    rel = max(1e-6, (steps + 2) * 2.0**-23) if dtype == torch.float32 else 1e-9
    # below float32's normal range (subnormals) precision is absolute, not relative
    tiny = torch.finfo(torch.float32).tiny if dtype == torch.float32 else 1e-300
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=tiny), (ours, theirs)


def twin(
    make_optimizer: OptimizerFactory, lrs: list[float], dtype: torch.dtype | None
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    kw: dict[str, Any] = {"tensor": dtype is not None}
    if dtype is not None:
        kw["dtype"] = dtype
    return make_optimizer(lrs, **kw), make_optimizer(lrs, **kw)


def last_lr(sched: Any) -> list[float]:
    return [float(v) for v in sched.get_last_lr()]


@pytest.fixture(autouse=True)
def _quiet_order_warnings() -> Any:
    # Every loop below calls optimizer.step() first; anything else that warns is a failure,
    # except the deprecation warning of step(epoch), which the tests check explicitly.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=r"The epoch parameter")
        yield


# --------------------------------------------------------------------------- lambdas


def _lambda_family(kind: int, a: float) -> Callable[[int], float]:
    if kind == 0:
        return lambda e: a**e
    if kind == 1:
        return lambda e: 1.0 / (1.0 + a * e)
    if kind == 2:
        w = 1 + int(a * 10)
        return lambda e: min(1.0, (e + 1) / w)
    return lambda e: 0.5 ** (e // 3) * (1.0 + a)


LAMBDA = st.builds(
    _lambda_family, st.integers(min_value=0, max_value=3), st.floats(min_value=0.5, max_value=0.99)
)


class ScaledDecay:
    """A callable object: its attributes are state, as in torch."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.calls = 0

    def __call__(self, epoch: int) -> float:
        self.calls += 1
        return self.rate**epoch


# --------------------------------------------------------------------------- StepLR


@settings(max_examples=60, deadline=None)
@given(
    lrs=LRS,
    dtype=DTYPES,
    step_size=STEP_SIZE,
    gamma=GAMMA,
    n=st.integers(min_value=0, max_value=40),
)
def test_steplr_matches_torch(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    step_size: int,
    gamma: float,
    n: int,
) -> None:
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = lp.StepLR(o1, step_size=step_size, gamma=gamma)
    theirs = tl.StepLR(o2, step_size=step_size, gamma=gamma)
    assert_same(lrs_of(o1), lrs_of(o2), dtype)
    for i in range(n):
        o1.step()
        ours.step()
        o2.step()
        theirs.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype, steps=i + 1)
        assert_same(last_lr(ours), last_lr(theirs), dtype, steps=i + 1)
        assert ours.last_epoch == theirs.last_epoch
    assert [float(b) for b in ours.base_lrs] == [float(b) for b in theirs.base_lrs]
    if dtype is not None:
        assert all(isinstance(v, torch.Tensor) for v in ours.get_last_lr())


# --------------------------------------------------------------------------- LambdaLR


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    lrs=LRS,
    dtype=DTYPES,
    per_group=st.booleans(),
    n=st.integers(min_value=0, max_value=40),
)
def test_lambdalr_matches_torch(
    make_optimizer: OptimizerFactory,
    data: st.DataObject,
    lrs: list[float],
    dtype: torch.dtype | None,
    per_group: bool,
    n: int,
) -> None:
    fns: Any = [data.draw(LAMBDA) for _ in lrs] if per_group else data.draw(LAMBDA)
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = lp.LambdaLR(o1, fns)
    theirs = tl.LambdaLR(o2, fns)
    assert_same(lrs_of(o1), lrs_of(o2), dtype)
    for _ in range(n):
        o1.step()
        ours.step()
        o2.step()
        theirs.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype)
        assert_same(last_lr(ours), last_lr(theirs), dtype)


# --------------------------------------------------------------------------- combinations

PARTNERS = ["torch.ExponentialLR", "torch.MultiStepLR", "StepLR", "LambdaLR"]


def _make(name: str, opt: torch.optim.Optimizer, ours: bool, p: dict[str, Any]) -> Any:
    if name == "torch.ExponentialLR":
        return tl.ExponentialLR(opt, gamma=p["gamma2"])
    if name == "torch.MultiStepLR":
        return tl.MultiStepLR(opt, milestones=p["milestones"], gamma=p["gamma2"])
    if name == "StepLR":
        cls: Any = lp.StepLR if ours else tl.StepLR
        return cls(opt, step_size=p["step_size"], gamma=p["gamma"])
    assert name == "LambdaLR"
    cls = lp.LambdaLR if ours else tl.LambdaLR
    return cls(opt, p["fn"])


PARAMS = st.fixed_dictionaries(
    {
        "gamma": GAMMA,
        "gamma2": st.floats(min_value=0.5, max_value=1.1),
        "step_size": STEP_SIZE,
        "milestones": st.lists(st.integers(min_value=1, max_value=30), max_size=4),
        "fn": LAMBDA,
    }
)


@settings(max_examples=60, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    first=st.sampled_from(["StepLR", "LambdaLR"]),
    second=st.sampled_from(PARTNERS),
    swap=st.booleans(),
    p=PARAMS,
    n=st.integers(min_value=1, max_value=30),
)
def test_stepped_together_on_one_optimizer(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    first: str,
    second: str,
    swap: bool,
    p: dict[str, Any],
    n: int,
) -> None:
    o1, o2 = twin(make_optimizer, lrs, dtype)
    names = [second, first] if swap else [first, second]
    ours = [_make(nm, o1, True, p) for nm in names]
    theirs = [_make(nm, o2, False, p) for nm in names]
    assert_same(lrs_of(o1), lrs_of(o2), dtype)
    for _ in range(n):
        o1.step()
        o2.step()
        for a, b in zip(ours, theirs, strict=True):
            a.step()
            b.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype)


@settings(max_examples=40, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    names=st.lists(st.sampled_from(PARTNERS), min_size=2, max_size=3),
    milestones=st.lists(
        st.integers(min_value=1, max_value=12), min_size=2, max_size=2, unique=True
    ),
    p=PARAMS,
    n=st.integers(min_value=1, max_value=30),
)
def test_inside_torch_sequential_lr(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    names: list[str],
    milestones: list[int],
    p: dict[str, Any],
    n: int,
) -> None:
    ms = sorted(milestones)[: len(names) - 1]
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = tl.SequentialLR(o1, [_make(nm, o1, True, p) for nm in names], milestones=ms)
    theirs = tl.SequentialLR(o2, [_make(nm, o2, False, p) for nm in names], milestones=ms)
    assert_same(lrs_of(o1), lrs_of(o2), dtype)
    for _ in range(n):
        o1.step()
        ours.step()
        o2.step()
        theirs.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype)
        assert_same(last_lr(ours), last_lr(theirs), dtype)


@settings(max_examples=40, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    names=st.lists(st.sampled_from(PARTNERS), min_size=1, max_size=3),
    p=PARAMS,
    n=st.integers(min_value=1, max_value=30),
)
def test_inside_torch_chained_scheduler(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    names: list[str],
    p: dict[str, Any],
    n: int,
) -> None:
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = tl.ChainedScheduler([_make(nm, o1, True, p) for nm in names])
    theirs = tl.ChainedScheduler([_make(nm, o2, False, p) for nm in names])
    assert_same(lrs_of(o1), lrs_of(o2), dtype)
    for _ in range(n):
        o1.step()
        ours.step()
        o2.step()
        theirs.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype)


# --------------------------------------------------------------------------- step(epoch)


@settings(max_examples=40, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    which=st.sampled_from(["StepLR", "LambdaLR"]),
    p=PARAMS,
    epochs=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=40)), min_size=1, max_size=12
    ),
)
def test_step_with_epoch_matches_torch(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    which: str,
    p: dict[str, Any],
    epochs: list[int | None],
) -> None:
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = _make(which, o1, True, p)
    theirs = _make(which, o2, False, p)
    for e in epochs:
        o1.step()
        o2.step()
        if e is None:
            ours.step()
            theirs.step()
        else:
            with pytest.warns(UserWarning, match="The epoch parameter"):
                ours.step(e)
            with pytest.warns(UserWarning, match="The epoch parameter"):
                theirs.step(e)
        assert ours.last_epoch == theirs.last_epoch
        assert_same(lrs_of(o1), lrs_of(o2), dtype)


def test_step_epoch_warning_text_is_torchs(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer()
    sched = lp.StepLR(opt, step_size=2)
    opt.step()
    with pytest.warns(UserWarning) as rec:
        sched.step(3)
    assert [str(w.message) for w in rec] == [tl.EPOCH_DEPRECATION_WARNING]


# ------------------------------------------------------------------- resume, external changes


@settings(max_examples=40, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    which=st.sampled_from(["StepLR", "LambdaLR"]),
    p=PARAMS,
    k=st.integers(min_value=0, max_value=20),
    m=st.integers(min_value=1, max_value=15),
)
def test_resume_with_last_epoch_matches_torch(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    which: str,
    p: dict[str, Any],
    k: int,
    m: int,
) -> None:
    """Train k steps, save the optimizer, rebuild with last_epoch=k-1, continue m steps."""
    results = []
    for ours in (True, False):
        opt = twin(make_optimizer, lrs, dtype)[0]
        sched = _make(which, opt, ours, p)
        for _ in range(k):
            opt.step()
            sched.step()
        saved = roundtrip(opt.state_dict())
        opt2 = twin(make_optimizer, lrs, dtype)[0]
        opt2.load_state_dict(saved)
        resumed = _make_resumed(which, opt2, ours, p, last_epoch=k - 1 if k else -1)
        seq = [lrs_of(opt2)]
        for _ in range(m):
            opt2.step()
            resumed.step()
            seq.append(lrs_of(opt2))
        results.append(seq)
    for a, b in zip(*results, strict=True):
        assert_same(a, b, dtype)


def _make_resumed(name: str, opt: Any, ours: bool, p: dict[str, Any], last_epoch: int) -> Any:
    if name == "StepLR":
        cls: Any = lp.StepLR if ours else tl.StepLR
        return cls(opt, step_size=p["step_size"], gamma=p["gamma"], last_epoch=last_epoch)
    cls = lp.LambdaLR if ours else tl.LambdaLR
    return cls(opt, p["fn"], last_epoch=last_epoch)


@pytest.mark.parametrize("which", ["StepLR", "LambdaLR"])
def test_resume_without_initial_lr_raises_like_torch(
    make_optimizer: OptimizerFactory, which: str
) -> None:
    p = {"step_size": 2, "gamma": 0.5, "fn": lambda e: 0.9**e}
    with pytest.raises(KeyError, match="initial_lr"):
        _make_resumed(which, make_optimizer(), False, p, last_epoch=3)
    with pytest.raises(KeyError, match="initial_lr"):
        _make_resumed(which, make_optimizer(), True, p, last_epoch=3)


@settings(max_examples=40, deadline=None)
@given(
    lrs=LRS,
    dtype=st.sampled_from([None, torch.float64]),
    which=st.sampled_from(["StepLR", "LambdaLR"]),
    p=PARAMS,
    changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=20), st.floats(min_value=0.1, max_value=3)),
        max_size=3,
    ),
    n=st.integers(min_value=1, max_value=25),
)
def test_external_lr_change_matches_torch(
    make_optimizer: OptimizerFactory,
    lrs: list[float],
    dtype: torch.dtype | None,
    which: str,
    p: dict[str, Any],
    changes: list[tuple[int, float]],
    n: int,
) -> None:
    """``group["lr"] *= k`` between steps: persists with StepLR, overwritten by LambdaLR."""
    o1, o2 = twin(make_optimizer, lrs, dtype)
    ours = _make(which, o1, True, p)
    theirs = _make(which, o2, False, p)
    at = dict(changes)
    for i in range(n):
        if i in at:
            for opt in (o1, o2):
                for g in opt.param_groups:
                    g["lr"] *= at[i]
        o1.step()
        ours.step()
        o2.step()
        theirs.step()
        assert_same(lrs_of(o1), lrs_of(o2), dtype)


def test_tensor_lr_stays_the_same_object(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer([0.1, 0.2], tensor=True)
    before = [g["lr"] for g in opt.param_groups]
    sched = lp.StepLR(opt, step_size=1, gamma=0.5)
    lam = lp.LambdaLR(opt, lambda e: 0.9**e)
    for _ in range(3):
        opt.step()
        sched.step()
        lam.step()
    assert all(g["lr"] is b for g, b in zip(opt.param_groups, before, strict=True))


# --------------------------------------------------------------------------- LambdaLR state


def test_lambdalr_state_plain_function_not_saved(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer([0.1, 0.2])
    sched = lp.LambdaLR(opt, [lambda e: 0.9**e, ScaledDecay(0.8)])
    state = roundtrip(sched.state_dict())
    saved = state["lr_lambdas"]
    assert saved[0] is None
    assert saved[1] == {"rate": 0.8, "calls": 1}
    # the same information torch saves
    topt = make_optimizer([0.1, 0.2])
    tsched = tl.LambdaLR(topt, [lambda e: 0.9**e, ScaledDecay(0.8)])
    assert tsched.state_dict()["lr_lambdas"] == saved


def test_lambdalr_callable_object_state_restored(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer([1.0])
    fn = ScaledDecay(0.5)
    sched = lp.LambdaLR(opt, fn)
    for _ in range(4):
        opt.step()
        sched.step()
    fn.rate = 0.25  # state that changed during training
    state = roundtrip(sched.state_dict())

    opt2 = make_optimizer([1.0])
    fn2 = ScaledDecay(0.9)
    sched2 = lp.LambdaLR(opt2, fn2)
    sched2.load_state_dict(state)
    assert fn2.rate == 0.25
    assert fn2.calls == fn.calls
    opt.step()
    sched.step()
    opt2.step()
    sched2.step()
    assert lrs_of(opt2) == lrs_of(opt) == [0.25**5]


def test_lambdalr_state_round_trip_bit_exact(make_optimizer: OptimizerFactory) -> None:
    fn = ScaledDecay(0.7)
    opt = make_optimizer([0.3, 0.6])
    sched = lp.LambdaLR(opt, [fn, lambda e: 1.0 / (1 + e)])
    for _ in range(6):
        opt.step()
        sched.step()
    ck = roundtrip({"opt": opt.state_dict(), "sched": sched.state_dict()})
    ref = []
    for _ in range(5):
        opt.step()
        sched.step()
        ref.append(lrs_of(opt))
    opt2 = make_optimizer([0.3, 0.6])
    sched2 = lp.LambdaLR(opt2, [ScaledDecay(0.7), lambda e: 1.0 / (1 + e)])
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    got = []
    for _ in range(5):
        opt2.step()
        sched2.step()
        got.append(lrs_of(opt2))
    assert got == ref


# --------------------------------------------------------------------------- signatures, errors


@pytest.mark.parametrize(("ours", "theirs"), [(lp.StepLR, tl.StepLR), (lp.LambdaLR, tl.LambdaLR)])
def test_signature_matches_torch(ours: Any, theirs: Any) -> None:
    a = inspect.signature(ours.__init__).parameters
    b = inspect.signature(theirs.__init__).parameters
    for name, param in b.items():
        assert name in a, name
        assert a[name].default == param.default, name
        assert a[name].kind == param.kind, name
    assert list(a)[: len(b)] == list(b)
    assert set(a) - set(b) <= {"verbose"}


def test_verbose_accepted(make_optimizer: OptimizerFactory) -> None:
    with pytest.raises(TypeError):
        tl.StepLR(make_optimizer(), step_size=2, verbose=True)  # type: ignore[call-arg]
    lp.StepLR(make_optimizer(), step_size=2, verbose=True)
    lp.LambdaLR(make_optimizer(), lambda e: 1.0, verbose=False)


def test_lambdalr_errors_like_torch(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer([0.1, 0.2])
    with pytest.raises(ValueError) as ours:
        lp.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError) as theirs:
        tl.LambdaLR(make_optimizer([0.1, 0.2]), [lambda e: 1.0])
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="lr_lambda"):
        lp.LambdaLR(make_optimizer(), 0.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1])
def test_steplr_bad_step_size_is_a_value_error(make_optimizer: OptimizerFactory, bad: int) -> None:
    # torch accepts these and fails later with ZeroDivisionError (or runs nonsense)
    with pytest.raises(ValueError, match="step_size"):
        lp.StepLR(make_optimizer(), step_size=bad)


def test_steplr_bad_optimizer() -> None:
    with pytest.raises(TypeError, match="Optimizer"):
        lp.StepLR(object(), step_size=2)  # type: ignore[arg-type]
