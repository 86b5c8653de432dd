"""lrplan.Warmup around lrplan schedulers, torch's schedulers, a user's own ``get_lr()``
subclasses and metric-driven ones; MultiScheduledLR's protocol."""

from __future__ import annotations

import copy
import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as tl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp

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


# --------------------------------------------------------------------------- golden


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


# --------------------------------------------------------------------------- hand-off


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


# --------------------------------------------------------------------------- metric-driven


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


# --------------------------------------------------------------------------- resume and jumps


@SETTINGS
@given(
    inner=st.sampled_from(sorted(INNERS)),
    steps=st.integers(min_value=0, max_value=8),
    cut=st.integers(min_value=0, max_value=20),
    shape=st.sampled_from(["linear", "cosine"]),
)
def test_resume_is_bit_exact(
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
def test_pickle_and_deepcopy_mid_run_continue_identically(inner: str, how: str) -> None:
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


def test_multi_scheduled_lr_is_a_scheduler_and_copies_mid_run() -> None:
    opt = _opt()
    multi = lp.schedule_many(
        opt, {"lr": lp.Cosine(steps=10), "momentum": lp.Linear(steps=10, start=0.95, end=0.85)}
    )
    assert isinstance(multi, lp.LRScheduler) and isinstance(multi, tl.LRScheduler)
    assert multi.base_lrs == [0.1, 0.02]
    _step_all(opt, multi, 4)
    assert multi.last_epoch == 4
    copies = [pickle.loads(pickle.dumps((opt, multi))), copy.deepcopy((opt, multi))]
    ref = _step_all(opt, multi, 8)
    for opt2, multi2 in copies:
        assert _step_all(opt2, multi2, 8) == ref
        assert multi2.get_last_values() == multi.get_last_values()
    multi.last_epoch = 2  # torch's composites move their children's steps
    assert {s.last_epoch for s in multi.schedulers.values()} == {2}


# --------------------------------------------------------------------------- errors


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
