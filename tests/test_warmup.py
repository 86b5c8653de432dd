"""GradualWarmupScheduler and LinearAnnealingLR: golden sequences, hand-off, resume, errors.

Expected values come from formulas written here: the warmup (Goyal et al. 2017),
then the after-scheduler's own closed form at step ``e - T`` on base ``m * b``.
The after-schedulers are torch's own classes, lrplan's, and a user's own
``get_lr()`` subclasses (closed form on lrplan's base, chainable on torch's).
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
from hypothesis import given, settings
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
