"""lrplan._warmup: Warmup around any scheduler, GradualWarmupScheduler, LinearAnnealingLR.

Warmup runs around lrplan schedulers, torch's schedulers, a user's own ``get_lr()``
subclasses and metric-driven ones; its ramps are the pure ``lrplan.ramp``'s.

GradualWarmupScheduler: golden sequences, hand-off, resume, errors. Expected values
come from formulas written here: the warmup (Goyal et al. 2017), then the
after-scheduler's own closed form at step ``e - T`` on base ``m * b``. The
after-schedulers are torch's own classes, lrplan's, and a user's own ``get_lr()``
subclasses (closed form on lrplan's base, chainable on torch's).
"""

from __future__ import annotations

import copy
import io
import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tl

import lrplan as lp

OptimizerFactory = Callable[..., torch.optim.Optimizer]
BASES = [0.1, 0.4]
REL = 1e-12


def roundtrip(obj: Any) -> Any:
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def lrs_of(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def warm(e: float, b: float, m: float, total: int) -> float:
    if m == 1:
        return b * e / total
    return b * (1 + (m - 1) * e / total)


def step_after(k: int, peak: float, step_size: int, gamma: float) -> float:
    return peak * gamma ** (k // step_size)


def cosine_after(k: int, peak: float, t_max: int, eta_min: float) -> float:
    return eta_min + (peak - eta_min) * (1 + math.cos(math.pi * k / t_max)) / 2


def plateau_after(j: int, peak: float, patience: int, factor: float) -> float:
    """A constant metric: the first plateau step sets the best, then every step is bad;
    the lr drops when the bad count exceeds ``patience`` and the count restarts."""
    if j < patience + 2:
        return peak
    return peak * factor ** (1 + (j - (patience + 2)) // (patience + 1))


# --------------------------------------------------------------------------- cases


class ClosedFormStep(lp.LRScheduler):
    """A user's scheduler on lrplan's base, in closed form: ``base * gamma ** (t // size)``."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class ChainableStep(tl.LRScheduler):
    """A user's chainable scheduler on torch's base: reads ``group["lr"]``, like StepLR."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float, last_epoch: int = -1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[Any]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


KINDS = [
    "StepLR",
    "lrplan.StepLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "user.ClosedForm",
    "user.Chainable",
]


def make_after(kind: str, opt: torch.optim.Optimizer) -> Any:
    if kind == "StepLR":
        return tl.StepLR(opt, step_size=2, gamma=0.5)
    if kind == "lrplan.StepLR":
        return lp.StepLR(opt, step_size=3, gamma=0.1)
    if kind == "CosineAnnealingLR":
        return tl.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    if kind == "user.ClosedForm":
        return ClosedFormStep(opt, step_size=2, gamma=0.5)
    if kind == "user.Chainable":
        return ChainableStep(opt, step_size=3, gamma=0.1)
    assert kind == "ReduceLROnPlateau"
    return tl.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2)


def golden(kind: str | None, e: int, b: float, m: float, total: int) -> float:
    if e <= total or kind is None:
        return warm(min(e, total), b, m, total)
    k = e - total
    peak = m * b
    if kind in ("StepLR", "user.ClosedForm"):
        return step_after(k, peak, 2, 0.5)
    if kind in ("lrplan.StepLR", "user.Chainable"):
        return step_after(k, peak, 3, 0.1)
    if kind == "CosineAnnealingLR":
        return cosine_after(k, peak, 6, 0.001)
    return plateau_after(k, peak, 2, 0.5)


def build(
    make_optimizer: OptimizerFactory, kind: str | None, m: float, total: int
) -> tuple[torch.optim.Optimizer, lp.GradualWarmupScheduler]:
    opt = make_optimizer(BASES)
    after = None if kind is None else make_after(kind, opt)
    return opt, lp.GradualWarmupScheduler(
        opt, multiplier=m, total_epoch=total, after_scheduler=after
    )


def advance(opt: torch.optim.Optimizer, sched: lp.GradualWarmupScheduler, kind: str | None) -> None:
    opt.step()
    if kind == "ReduceLROnPlateau":
        sched.step(metrics=1.0)
    else:
        sched.step()


def assert_close_list(got: list[float], want: list[float]) -> None:
    for a, b in zip(got, want, strict=True):
        assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-15), (got, want)


@pytest.fixture(autouse=True)
def _strict_warnings() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=r"The epoch parameter")
        yield


# --------------------------------------------------------------------------- golden sequences


@pytest.mark.parametrize("kind", [*KINDS, None])
@pytest.mark.parametrize("m", [1, 4.0])
@pytest.mark.parametrize("total", [1, 5])
def test_golden_sequence(
    make_optimizer: OptimizerFactory, kind: str | None, m: float, total: int
) -> None:
    opt, sched = build(make_optimizer, kind, m, total)
    seen = [lrs_of(opt)]
    assert_close_list(seen[0], [golden(kind, 0, b, m, total) for b in BASES])
    for e in range(1, total + 16):
        advance(opt, sched, kind)
        got = lrs_of(opt)
        assert_close_list(got, [golden(kind, e, b, m, total) for b in BASES])
        assert_close_list([float(v) for v in sched.get_last_lr()], got)
        assert sched.last_epoch == e
        seen.append(got)
    # the peak m*b appears exactly at epoch T, not twice in a row (no repeated step) ...
    peaks = [i for i, v in enumerate(seen) if math.isclose(v[0], m * BASES[0], rel_tol=REL)]
    assert peaks[0] == total
    # ... and the multiplier is never lost
    assert all(v[0] <= m * BASES[0] * (1 + REL) for v in seen)


def test_handoff_step_is_not_repeated_or_skipped(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer([1.0])
    after = tl.StepLR(opt, step_size=1, gamma=0.5)
    sched = lp.GradualWarmupScheduler(opt, multiplier=2, total_epoch=3, after_scheduler=after)
    seq = [lrs_of(opt)[0]]
    for _ in range(6):
        advance(opt, sched, "StepLR")
        seq.append(lrs_of(opt)[0])
    assert_close_list(seq, [1.0, 4 / 3, 5 / 3, 2.0, 1.0, 0.5, 0.25])
    assert after.last_epoch == 3  # the after-scheduler's step 0 was epoch 3
    assert after.base_lrs == [2.0]


def test_plateau_warms_up_with_multiplier_one(make_optimizer: OptimizerFactory) -> None:
    # The 2019 implementation skipped the warmup for ReduceLROnPlateau when m == 1.
    opt, sched = build(make_optimizer, "ReduceLROnPlateau", 1, 4)
    assert lrs_of(opt) == [0.0, 0.0]
    advance(opt, sched, "ReduceLROnPlateau")
    assert_close_list(lrs_of(opt), [b / 4 for b in BASES])


def test_plateau_needs_metrics_after_warmup(make_optimizer: OptimizerFactory) -> None:
    opt, sched = build(make_optimizer, "ReduceLROnPlateau", 2, 2)
    for _ in range(2):
        opt.step()
        sched.step()  # metrics are not needed during the warmup
    opt.step()
    with pytest.raises(ValueError, match="metrics"):
        sched.step()


def test_plateau_reacts_to_improving_metrics(make_optimizer: OptimizerFactory) -> None:
    opt, sched = build(make_optimizer, "ReduceLROnPlateau", 2, 2)
    for metric in [9.0, 9.0, 5.0, 4.0, 3.0, 2.0, 1.0]:  # keeps improving: no reduction
        opt.step()
        sched.step(metrics=metric)
    assert_close_list(lrs_of(opt), [2 * b for b in BASES])


def test_without_after_scheduler_holds_the_peak(make_optimizer: OptimizerFactory) -> None:
    opt, sched = build(make_optimizer, None, 3, 2)
    for _ in range(10):
        advance(opt, sched, None)
    assert_close_list(lrs_of(opt), [3 * b for b in BASES])


# --------------------------------------------------------------------------- step(epoch)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("m", [1, 2.5])
def test_step_epoch_agrees_with_plain_step(
    make_optimizer: OptimizerFactory, kind: str, m: float
) -> None:
    total = 4
    opt_a, plain = build(make_optimizer, kind, m, total)
    opt_b, epochs = build(make_optimizer, kind, m, total)
    for e in range(1, total + 12):
        advance(opt_a, plain, kind)
        opt_b.step()
        with pytest.warns(UserWarning, match="The epoch parameter"):
            if kind == "ReduceLROnPlateau":
                epochs.step(e, metrics=1.0)
            else:
                epochs.step(e)
        assert lrs_of(opt_b) == pytest.approx(lrs_of(opt_a), rel=REL)
        assert epochs.last_epoch == plain.last_epoch == e


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "ReduceLROnPlateau"])
def test_random_access_is_the_closed_form(make_optimizer: OptimizerFactory, kind: str) -> None:
    m, total = 3.0, 4
    opt, sched = build(make_optimizer, kind, m, total)
    for e in [9, 2, 4, 5, 15, 0, 7, 4]:
        sched.set_step(e)
        assert_close_list(lrs_of(opt), [golden(kind, e, b, m, total) for b in BASES])
        # and stepping on from there continues the same sequence
        advance(opt, sched, kind)
        assert_close_list(lrs_of(opt), [golden(kind, e + 1, b, m, total) for b in BASES])


# --------------------------------------------------------------------------- state


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from([*KINDS, None]),
    m=st.sampled_from([1, 1.5, 8.0]),
    total=st.integers(min_value=1, max_value=6),
    k=st.integers(min_value=0, max_value=14),
    n=st.integers(min_value=1, max_value=10),
)
def test_resume_is_bit_exact(
    make_optimizer: OptimizerFactory, kind: str | None, m: float, total: int, k: int, n: int
) -> None:
    """Checkpoint at epoch k (mid-warmup, at the hand-off or after it); resume from disk."""
    opt, sched = build(make_optimizer, kind, m, total)
    for _ in range(k):
        advance(opt, sched, kind)
    state = sched.state_dict()
    ckpt = roundtrip({"opt": opt.state_dict(), "sched": state})
    assert ckpt["sched"] == state
    ref = []
    for _ in range(n):
        advance(opt, sched, kind)
        ref.append(lrs_of(opt))

    opt2, sched2 = build(make_optimizer, kind, m, total)
    opt2.load_state_dict(ckpt["opt"])
    sched2.load_state_dict(ckpt["sched"])
    assert sched2.last_epoch == k
    got = []
    for _ in range(n):
        advance(opt2, sched2, kind)
        got.append(lrs_of(opt2))
    assert got == ref


@pytest.mark.parametrize("kind", [*KINDS, None])
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickle_and_deepcopy_mid_run_continue_identically(
    make_optimizer: OptimizerFactory, kind: str | None, how: str
) -> None:
    for k in (2, 4, 7):  # mid-warmup, at the hand-off, after it
        opt, sched = build(make_optimizer, kind, 2.0, 4)
        for _ in range(k):
            advance(opt, sched, kind)
        pair = (opt, sched)
        opt2, sched2 = pickle.loads(pickle.dumps(pair)) if how == "pickle" else copy.deepcopy(pair)
        assert sched2.optimizer is opt2
        assert kind is None or sched2.after_scheduler.optimizer is opt2
        for _ in range(10):
            advance(opt, sched, kind)
            advance(opt2, sched2, kind)
            assert lrs_of(opt2) == lrs_of(opt)
        assert sched2.state_dict() == sched.state_dict()


def test_is_an_lrplan_and_a_torch_scheduler(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer(BASES)
    for sched in (
        lp.GradualWarmupScheduler(opt, 2, 3, after_scheduler=ChainableStep(opt, 2, 0.5)),
        lp.LinearAnnealingLR(opt, T_max=5),
    ):
        assert isinstance(sched, lp.LRScheduler)
        assert isinstance(sched, tl.LRScheduler)


@pytest.mark.parametrize("kind", ["StepLR", "ReduceLROnPlateau", "lrplan.StepLR"])
def test_resumes_from_lrplan_version_1_state(make_optimizer: OptimizerFactory, kind: str) -> None:
    """lrplan's version-1 layout (its keys at the top, no 'targets' or 'inner_step')."""
    for k in (2, 4, 9):
        opt, sched = build(make_optimizer, kind, 2.0, 4)
        for _ in range(k):
            advance(opt, sched, kind)
        st_, lp_ = sched.state_dict(), sched.state_dict()["lrplan"]
        after = lp_["extra"]["after_scheduler"]
        if kind == "lrplan.StepLR":  # the nested state in version 1 too
            after = {
                **{k_: v for k_, v in after["lrplan"].items() if k_ != "values"},
                "version": 1,
                "step_count": after["_step_count"],
                "base_values": after["base_lrs"],
                "last_values": after["lrplan"]["values"],
            }
        v1 = {
            **{k_: v for k_, v in lp_.items() if k_ != "values"},
            "version": 1,
            "step_count": st_["_step_count"],
            "base_values": st_["base_lrs"],
            "last_values": lp_["values"],
            "extra": {"handed_off": k >= 4, "after_scheduler": after},
        }
        opt2, sched2 = build(make_optimizer, kind, 2.0, 4)
        opt2.load_state_dict(opt.state_dict())
        sched2.load_state_dict(roundtrip(v1))
        for _ in range(10):
            advance(opt, sched, kind)
            advance(opt2, sched2, kind)
            assert lrs_of(opt2) == lrs_of(opt)


def test_state_nests_the_after_scheduler(make_optimizer: OptimizerFactory) -> None:
    opt, sched = build(make_optimizer, "CosineAnnealingLR", 2, 3)
    for _ in range(5):
        advance(opt, sched, "CosineAnnealingLR")
    state = sched.state_dict()
    nested = state["lrplan"]["extra"]["after_scheduler"]
    assert isinstance(nested, dict)
    assert nested["last_epoch"] == 2
    assert nested["base_lrs"] == [2 * b for b in BASES]
    roundtrip(state)  # weights_only accepts it: no optimizer, no objects


def test_state_mismatch_on_after_scheduler_rejected(make_optimizer: OptimizerFactory) -> None:
    _, with_after = build(make_optimizer, "StepLR", 2, 3)
    _, without = build(make_optimizer, None, 2, 3)
    with pytest.raises(ValueError):
        without.load_state_dict(with_after.state_dict())
    assert without.last_epoch == 0


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"multiplier": 0.5}, ValueError, "multiplier"),
        ({"multiplier": math.nan}, ValueError, "multiplier"),
        ({"multiplier": "2"}, TypeError, "multiplier"),
        ({"total_epoch": 0}, ValueError, "total_epoch"),
        ({"total_epoch": -3}, ValueError, "total_epoch"),
        ({"total_epoch": 2.5}, TypeError, "total_epoch"),
        ({"after_scheduler": object()}, TypeError, "after_scheduler"),
    ],
)
def test_bad_arguments(
    make_optimizer: OptimizerFactory, kwargs: dict[str, Any], exc: type, name: str
) -> None:
    args: dict[str, Any] = {"multiplier": 2, "total_epoch": 3, **kwargs}
    opt = make_optimizer(BASES)
    with pytest.raises(exc) as info:
        lp.GradualWarmupScheduler(opt, **args)
    assert name in str(info.value)
    assert lrs_of(opt) == BASES


def test_after_scheduler_on_another_optimizer(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer(BASES)
    other = make_optimizer(BASES)
    with pytest.raises(ValueError, match=r"after_scheduler.*different optimizer"):
        lp.GradualWarmupScheduler(
            opt, multiplier=2, total_epoch=3, after_scheduler=tl.StepLR(other, step_size=2)
        )


# --------------------------------------------------------------------------- Warmup: cases


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

Factory = Callable[[torch.optim.Optimizer], Any]


def _opt(lrs: tuple[float, ...] = (0.1, 0.02), tensor: bool = False) -> torch.optim.Optimizer:
    groups = []
    for lr in lrs:
        value: Any = torch.tensor(lr, dtype=torch.float64) if tensor else lr
        groups.append({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": value})
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9, foreach=False)


def _lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def _rows_close(a: list[list[float]], b: list[list[float]]) -> bool:
    return len(a) == len(b) and all(
        x == pytest.approx(y, rel=1e-12, abs=1e-15) for x, y in zip(a, b, strict=True)
    )


def _ramp(shape: str, start: float, p: float) -> float:
    """The ramp multiplier at progress p, written independently of lrplan."""
    if shape == "linear":
        return start + (1 - start) * p
    if shape == "cosine":
        return start + (1 - start) * (1 - math.cos(math.pi * p)) / 2
    return start ** (1 - p)


class ClosedFormDecay(lp.LRScheduler):
    """A user's closed-form scheduler on lrplan's base: ``base / (1 + t / 4)``."""

    def get_lr(self) -> list[Any]:
        return [b / (1 + self.last_epoch / 4) for b in self.base_lrs]


class ChainableDecay(tl.LRScheduler):
    """A user's chainable scheduler on torch's base: ``lr *= 0.8`` every second step."""

    def get_lr(self) -> list[Any]:
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % 2:
            return [g["lr"] for g in groups]
        return [g["lr"] * 0.8 for g in groups]


INNERS: dict[str, Factory] = {
    "user.ClosedFormDecay": ClosedFormDecay,
    "user.ChainableDecay": ChainableDecay,
    "torch.StepLR": lambda o: tl.StepLR(o, step_size=3, gamma=0.5),
    "torch.MultiStepLR": lambda o: tl.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
    "torch.ExponentialLR": lambda o: tl.ExponentialLR(o, gamma=0.9),
    "torch.CosineAnnealingLR": lambda o: tl.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "torch.LinearLR": lambda o: tl.LinearLR(o, start_factor=0.5, total_iters=4),
    "torch.LambdaLR": lambda o: tl.LambdaLR(o, lambda e: 1 / (1 + e)),
    "torch.OneCycleLR": lambda o: tl.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=40),
    "torch.PolynomialLR": lambda o: tl.PolynomialLR(o, total_iters=6, power=2.0),
    "torch.CosineAnnealingWarmRestarts": lambda o: tl.CosineAnnealingWarmRestarts(o, T_0=4),
    "lrplan.StepLR": lambda o: lp.StepLR(o, step_size=2, gamma=0.7),
    "lrplan.ScheduledLR": lambda o: lp.ScheduledLR(o, lp.Cosine(steps=12, end=0.1)),
    "lrplan.LinearAnnealingLR": lambda o: lp.LinearAnnealingLR(o, T_max=5, eta_min=0.001),
}


def _step_all(opt: torch.optim.Optimizer, sched: Any, n: int) -> list[list[float]]:
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's own chatter (e.g. OneCycleLR)
        for _ in range(n):
            opt.step()
            sched.step()
            out.append(_lrs(opt))
    return out


# --------------------------------------------------------------------------- Warmup: golden


def test_golden_linear_around_torch_steplr() -> None:
    opt = _opt((1.0,))
    sched = lp.Warmup(tl.StepLR(opt, step_size=2, gamma=0.5), steps=4)
    seq = [_lrs(opt), *_step_all(opt, sched, 8)]
    assert [v[0] for v in seq] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize(
    ("shape", "start", "expected"),
    [
        ("linear", 0.2, [0.2, 0.36, 0.52, 0.68, 0.84, 1.0]),
        ("cosine", 0.0, [0.0, 0.0954915, 0.3454915, 0.6545085, 0.9045085, 1.0]),
        ("exponential", 0.01, [0.01, 0.0251189, 0.0630957, 0.1584893, 0.3981072, 1.0]),
    ],
)
def test_golden_shapes(shape: str, start: float, expected: list[float]) -> None:
    opt = _opt((2.0,))
    sched = lp.Warmup(tl.ExponentialLR(opt, gamma=1.0), steps=5, start=start, shape=shape)
    seq = [_lrs(opt), *_step_all(opt, sched, 5)]
    assert [round(v[0] / 2.0, 7) for v in seq] == expected
    assert [v[0] / 2 for v in seq[:5]] == pytest.approx(
        [_ramp(shape, start, t / 5) for t in range(5)], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize(
    ("shape", "pure", "start"),
    [("linear", "linear", 0.0), ("cosine", "cosine", 0.3), ("exponential", "geometric", 0.01)],
)
def test_the_ramp_is_the_pure_ramp(shape: str, pure: str, start: float) -> None:
    """One ramp rule: Warmup writes ``lrplan.ramp(...)`` from ``start * target`` to
    ``target``, the function ``lrplan.warmup`` builds its ramps with, bit for bit."""
    opt = _opt((0.1, 0.02))
    sched = lp.Warmup(tl.StepLR(opt, step_size=3, gamma=0.5), steps=6, start=start, shape=shape)
    ramps = [lp.ramp(pure, steps=6, start=start * b, end=b) for b in (0.1, 0.02)]
    for t in (0, 1, 2.5, 5, 6):
        sched.set_step(t)
        assert _lrs(opt) == [r(t) for r in ramps], t
    assert lp.warmup(lp.Constant(value=0.1), steps=6, start=start * 0.1, shape=pure)(2) == (
        ramps[0](2)
    )


# --------------------------------------------------------------------------- Warmup: hand-off


@SETTINGS
@given(
    inner=st.sampled_from(sorted(INNERS)),
    steps=st.integers(min_value=0, max_value=12),
    start=st.floats(min_value=0.0, max_value=1.0),
    shape=st.sampled_from(["linear", "cosine", "exponential"]),
    tensor=st.booleans(),
)
def test_hand_off_is_continuous(
    inner: str, steps: int, start: float, shape: str, tensor: bool
) -> None:
    """The wrapper = the ramp, then EXACTLY the unwrapped scheduler from its step 0."""
    if shape == "exponential":
        start = max(start, 1e-3)
    make = INNERS[inner]
    if tensor and inner.startswith("torch.OneCycle"):
        tensor = False  # torch's OneCycleLR rejects tensor lrs for max_lr lists
    twin = _opt(tensor=tensor)
    ref = make(twin)
    expected = [_lrs(twin), *_step_all(twin, ref, 20)]
    opt = _opt(tensor=tensor)
    lr_objects = [g["lr"] for g in opt.param_groups]
    sched = lp.Warmup(make(opt), steps=steps, start=start, shape=shape)
    got = [_lrs(opt), *_step_all(opt, sched, steps + 20)]
    targets = expected[0]
    for t in range(steps):
        want = [x * _ramp(shape, start, t / steps) for x in targets]
        assert got[t] == pytest.approx(want, rel=1e-12, abs=1e-15), t
    assert got[steps:] == expected  # bit for bit: nothing repeated, nothing skipped
    assert sched.get_last_lr() == got[-1]
    if tensor:
        assert all(g["lr"] is o for g, o in zip(opt.param_groups, lr_objects, strict=True))


def test_targets_are_the_wrapped_schedulers_step_zero() -> None:
    opt = _opt((1.0,))
    inner = tl.LinearLR(opt, start_factor=0.25, total_iters=4)
    sched = lp.Warmup(inner, steps=2)
    assert sched.targets == [0.25]
    opt2 = _opt((1.0,))
    oc = tl.OneCycleLR(opt2, max_lr=1.0, total_steps=10, div_factor=20)
    assert lp.Warmup(oc, steps=3, start=0.5).get_last_lr() == pytest.approx([0.025])


def test_momentum_cycling_inner_keeps_its_momentum_during_warmup() -> None:
    opt = _opt((0.1,))
    oc = tl.OneCycleLR(opt, max_lr=0.5, total_steps=20)
    m0 = opt.param_groups[0]["momentum"]
    sched = lp.Warmup(oc, steps=4)
    _step_all(opt, sched, 4)
    assert opt.param_groups[0]["momentum"] == m0
    _step_all(opt, sched, 3)
    assert opt.param_groups[0]["momentum"] != m0


# --------------------------------------------------------------------------- Warmup: metric-driven


def _plateaus() -> list[tuple[str, Callable[..., Any]]]:
    out: list[tuple[str, Callable[..., Any]]] = [("torch", tl.ReduceLROnPlateau)]
    if hasattr(lp, "ReduceLROnPlateau"):
        out.append(("lrplan", lp.ReduceLROnPlateau))
    return out


@pytest.mark.parametrize(("lib", "plateau"), _plateaus())
def test_warmup_then_plateau_matches_plain_plateau(lib: str, plateau: Callable[..., Any]) -> None:
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.9, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7]
    twin = _opt()
    ref = plateau(twin, factor=0.5, patience=1, min_lr=1e-4)
    expected = [_lrs(twin)]
    for m in metrics:
        twin.step()
        ref.step(m)
        expected.append(_lrs(twin))
    opt = _opt()
    sched = lp.Warmup(plateau(opt, factor=0.5, patience=1, min_lr=1e-4), steps=3, start=0.1)
    assert sched.metric_driven
    got = [_lrs(opt)]
    for m in [123.0, 456.0, 789.0, *metrics]:  # warmup metrics are ignored
        opt.step()
        sched.step(m)
        got.append(_lrs(opt))
    assert _rows_close(got[:3], [[0.01, 0.002], [0.04, 0.008], [0.07, 0.014]])
    assert got[3:] == expected
    assert expected[-1] != expected[0]


def test_plateau_needs_a_metric_after_the_warmup() -> None:
    opt = _opt()
    sched = lp.Warmup(tl.ReduceLROnPlateau(opt), steps=2)
    opt.step()
    sched.step()  # warmup: no metric needed
    sched.step()  # the hand-off step
    with pytest.raises(ValueError, match="needs a metric"):
        sched.step()
    sched.step(metrics=0.5)


@pytest.mark.parametrize(("lib", "plateau"), _plateaus())
def test_warmup_plateau_survives_save_load_mid_run(
    lib: str, plateau: Callable[..., Any], weights_only_roundtrip: Any
) -> None:
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.8, 0.85, 0.86, 0.9, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7] * 2
    for cut in (1, 4, 6, 11):
        opt = _opt()
        sched = lp.Warmup(plateau(opt, factor=0.5, patience=1), steps=4, start=0.25)
        for m in metrics[:cut]:
            opt.step()
            sched.step(m)
        state = weights_only_roundtrip(sched.state_dict())
        opt2 = _opt()
        sched2 = lp.Warmup(plateau(opt2, factor=0.5, patience=1), steps=4, start=0.25)
        sched2.load_state_dict(state)
        assert _lrs(opt2) == _lrs(opt)
        for m in metrics[cut:]:
            opt.step()
            sched.step(m)
            opt2.step()
            sched2.step(m)
            assert _lrs(opt2) == _lrs(opt)
        assert sched2.state_dict() == sched.state_dict()


# ------------------------------------------------------------------------- Warmup: resume and jumps


@SETTINGS
@given(
    inner=st.sampled_from(sorted(INNERS)),
    steps=st.integers(min_value=0, max_value=8),
    cut=st.integers(min_value=0, max_value=20),
    shape=st.sampled_from(["linear", "cosine"]),
)
def test_warmup_resume_is_bit_exact(
    inner: str, steps: int, cut: int, shape: str, weights_only_roundtrip: Any
) -> None:
    make = INNERS[inner]
    opt = _opt()
    sched = lp.Warmup(make(opt), steps=steps, shape=shape, start=0.1)
    _step_all(opt, sched, cut)
    state = weights_only_roundtrip(sched.state_dict())
    opt2 = _opt()
    sched2 = lp.Warmup(make(opt2), steps=steps, shape=shape, start=0.1)
    sched2.load_state_dict(state)
    assert _lrs(opt2) == _lrs(opt)
    assert _step_all(opt2, sched2, 15) == _step_all(opt, sched, 15)


@SETTINGS
@given(
    inner=st.sampled_from(sorted(INNERS)),
    steps=st.integers(min_value=0, max_value=8),
    jumps=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=4),
)
def test_set_step_equals_stepping(inner: str, steps: int, jumps: list[int]) -> None:
    make = INNERS[inner]
    opt = _opt()
    sched = lp.Warmup(make(opt), steps=steps, start=0.1)
    run = [_lrs(opt), *_step_all(opt, sched, 30)]
    opt2 = _opt()
    sched2 = lp.Warmup(make(opt2), steps=steps, start=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # set_step never warns
        for t in jumps:
            sched2.set_step(t)
            assert _lrs(opt2) == pytest.approx(run[t], rel=1e-12), t
            assert sched2.last_epoch == t
    # and stepping on from the last jump follows the run
    t = jumps[-1]
    assert _rows_close(_step_all(opt2, sched2, 3), run[t + 1 : t + 4])


def test_fractional_set_step_in_the_warmup_and_deprecated_epoch() -> None:
    opt = _opt((1.0,))
    sched = lp.Warmup(lp.StepLR(opt, step_size=2), steps=4)
    sched.set_step(1.5)
    assert _lrs(opt) == [0.375]
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(epoch=6)
    assert _lrs(opt) == pytest.approx([0.1])
    sched.set_step(4.5)  # lrplan inners accept fractional steps
    assert _lrs(opt) == [1.0]
    torch_opt = _opt((1.0,))
    torch_sched = lp.Warmup(tl.StepLR(torch_opt, step_size=2), steps=4)
    with pytest.raises(ValueError, match="fractional"):
        torch_sched.set_step(5.5)


def test_cannot_jump_past_the_hand_off_of_a_metric_driven_scheduler() -> None:
    opt = _opt()
    sched = lp.Warmup(tl.ReduceLROnPlateau(opt), steps=3)
    sched.set_step(3)
    assert _lrs(opt) == [0.1, 0.02]
    with pytest.raises(ValueError, match="metric-driven"):
        sched.set_step(4)


def test_state_is_plain_data_with_the_inner_state_nested() -> None:
    opt = _opt()
    sched = lp.Warmup(lp.ScheduledLR(opt, lp.Cosine(steps=10)), steps=3)
    st_ = sched.state_dict()
    lp_ = st_["lrplan"]
    assert lp_["class"] == "Warmup"
    assert lp_["extra"]["scheduler"]["lrplan"]["class"] == "ScheduledLR"
    assert lp_["extra"]["targets"] == [0.1, 0.02]
    assert set(lp_["config"]) >= {"steps", "start", "shape", "scheduler"}

    def plain(x: Any) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or isinstance(x, bool | int | float | str)

    assert plain(st_)


def test_load_rejects_another_configuration() -> None:
    opt = _opt()
    state = lp.Warmup(tl.StepLR(opt, 2), steps=3).state_dict()
    opt2 = _opt()
    other = lp.Warmup(tl.StepLR(opt2, 2), steps=5)
    with pytest.raises(ValueError, match="steps"):
        other.load_state_dict(state)
    with pytest.raises(ValueError, match="only on_config_change='error'"):
        other.load_state_dict(state, on_config_change="keep_step")


def test_is_a_torch_lr_scheduler_and_nests_in_sequential() -> None:
    opt = _opt((1.0,))
    w = lp.Warmup(tl.ExponentialLR(opt, gamma=0.5), steps=2)
    assert isinstance(w, tl.LRScheduler)
    assert isinstance(w, lp.LRScheduler)
    assert w.phase == ("warmup", 0.0)
    _step_all(opt, w, 3)
    assert w.phase == ("wrapped", 1.0)


@pytest.mark.parametrize(
    "inner", ["torch.StepLR", "torch.OneCycleLR", "lrplan.StepLR", "user.ChainableDecay", "plateau"]
)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_warmup_pickle_and_deepcopy_mid_run_continue_identically(inner: str, how: str) -> None:
    make = (lambda o: tl.ReduceLROnPlateau(o, patience=0)) if inner == "plateau" else INNERS[inner]
    metrics = [1.0, 1.0, 0.5, 0.7, 0.8, 0.9, 0.3] * 4

    def run(opt: torch.optim.Optimizer, sched: Any, ms: list[float]) -> list[list[float]]:
        out = []
        for m in ms:
            opt.step()
            sched.step(m) if inner == "plateau" else sched.step()
            out.append(_lrs(opt))
        return out

    for cut in (1, 3, 6):  # in the ramp, at the hand-off, after it
        opt = _opt()
        sched = lp.Warmup(make(opt), steps=3, start=0.1)
        run(opt, sched, metrics[:cut])
        pair = (opt, sched)
        opt2, sched2 = pickle.loads(pickle.dumps(pair)) if how == "pickle" else copy.deepcopy(pair)
        assert sched2.optimizer is opt2 and sched2.scheduler.optimizer is opt2
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no call-order warning for the copy's inner
            assert run(opt2, sched2, metrics[cut:]) == run(opt, sched, metrics[cut:])


# --------------------------------------------------------------------------- Warmup: errors


def test_errors_are_clear() -> None:
    opt = _opt()
    inner = tl.StepLR(opt, 2)
    with pytest.raises(TypeError, match="not the optimizer"):
        lp.Warmup(opt, steps=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="learning-rate scheduler"):
        lp.Warmup(object(), steps=3)
    with pytest.raises(ValueError, match="not the optimizer the scheduler drives"):
        lp.Warmup(inner, steps=3, optimizer=_opt())
    lp.Warmup(inner, steps=3, optimizer=opt)  # the right one is fine
    with pytest.raises(ValueError, match="steps must be an integer >= 0"):
        lp.Warmup(inner, steps=-1)
    with pytest.raises(TypeError, match="steps must be an integer"):
        lp.Warmup(inner, steps=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="steps must be an integer"):
        lp.Warmup(inner, steps=True)
    for bad in (-0.1, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"start must be .*\[0, 1\]"):
            lp.Warmup(inner, steps=3, start=bad)
    with pytest.raises(ValueError, match="shape must be one of"):
        lp.Warmup(inner, steps=3, shape="quadratic")
    with pytest.raises(ValueError, match=r"exponential.*start in \(0, 1\]"):
        lp.Warmup(inner, steps=3, shape="exponential")
    w = lp.Warmup(inner, steps=3)
    with pytest.raises(ValueError, match="takes no metric"):
        w.step(0.5)


# --------------------------------------------------------------------------- LinearAnnealingLR


def linear_anneal(t: float, b: float, eta_min: float, t_max: float) -> float:
    return eta_min + (b - eta_min) * (1 - min(t, t_max) / t_max)


@pytest.mark.parametrize(("t_max", "eta_min"), [(10, 0.0), (7, 0.01), (1, 0.05)])
def test_linear_annealing_golden(
    make_optimizer: OptimizerFactory, t_max: int, eta_min: float
) -> None:
    opt = make_optimizer(BASES)
    sched = lp.LinearAnnealingLR(opt, T_max=t_max, eta_min=eta_min)
    assert_close_list(lrs_of(opt), BASES)
    for t in range(1, t_max + 8):
        opt.step()
        sched.step()
        assert_close_list(lrs_of(opt), [linear_anneal(t, b, eta_min, t_max) for b in BASES])
    assert lrs_of(opt) == [eta_min, eta_min]  # holds exactly after T_max, never cycles
    sched.set_step(t_max / 2)
    assert_close_list(lrs_of(opt), [linear_anneal(t_max / 2, b, eta_min, t_max) for b in BASES])


def test_linear_annealing_resume(make_optimizer: OptimizerFactory) -> None:
    opt = make_optimizer(BASES)
    sched = lp.LinearAnnealingLR(opt, T_max=12, eta_min=0.01)
    for _ in range(5):
        opt.step()
        sched.step()
    ck = roundtrip({"opt": opt.state_dict(), "sched": sched.state_dict()})
    opt2 = make_optimizer(BASES)
    sched2 = lp.LinearAnnealingLR(opt2, T_max=12, eta_min=0.01)
    opt2.load_state_dict(ck["opt"])
    sched2.load_state_dict(ck["sched"])
    for _ in range(10):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert lrs_of(opt2) == lrs_of(opt)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"T_max": 0}, ValueError, "T_max"),
        ({"T_max": -5}, ValueError, "T_max"),
        ({"T_max": "5"}, TypeError, "T_max"),
        ({"T_max": 5, "eta_min": -0.1}, ValueError, "eta_min"),
        ({"T_max": 5, "eta_min": math.inf}, ValueError, "eta_min"),
    ],
)
def test_linear_annealing_errors(
    make_optimizer: OptimizerFactory, kwargs: dict[str, Any], exc: type, name: str
) -> None:
    with pytest.raises(exc) as info:
        lp.LinearAnnealingLR(make_optimizer(BASES), **kwargs)
    assert name in str(info.value)
