"""lrplan's simple torch-named schedulers against torch 2.13's, on random arguments and scripts.

Every test builds the same scenario with ``torch.optim.lr_scheduler`` and with
``lrplan`` (see ``harness.py``) and requires the same lr in every param group,
the same ``get_last_lr()`` and ``last_epoch``, the same warnings and the same
exception types, at every step, within 1e-9 relative (float32 tensor lrs: see
the harness for why their tolerance is float32's).
"""

from __future__ import annotations

import math
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as tsched
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan

from .harness import (
    _REFUSAL,
    LR_KINDS,
    AddGroup,
    ParityError,
    Resume,
    ScaleLR,
    SetLR,
    Step,
    StepEpoch,
    actions,
    lr_lists,
    make_optimizer,
    run_parity,
    torch_roundtrip,
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- argument strategies

_gamma = st.floats(min_value=0.05, max_value=1.5)
_iters = st.integers(min_value=1, max_value=25)
_factor_open = st.floats(min_value=0.02, max_value=1.0)  # (0, 1]
_factor_closed = st.floats(min_value=0.0, max_value=1.0)  # [0, 1]


class _Scale:
    """A callable object with state (torch saves its ``__dict__``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return 1.0 / (1.0 + self.rate * epoch)


class _Factor:
    def __init__(self, value: float, every: int) -> None:
        self.value = value
        self.every = every

    def __call__(self, epoch: int) -> float:
        return self.value if epoch % self.every == 0 else 1.0


def _step_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"step_size": _iters, "gamma": _gamma})


def _multistep_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "milestones": st.lists(st.integers(min_value=0, max_value=30), max_size=5),
            "gamma": _gamma,
        }
    )


def _constant_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"factor": _factor_open, "total_iters": _iters})


def _linear_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"start_factor": _factor_open, "end_factor": _factor_closed, "total_iters": _iters}
    )


def _exponential_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"gamma": st.floats(min_value=0.5, max_value=1.2)})


def _polynomial_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"total_iters": _iters, "power": st.floats(min_value=0.0, max_value=3.0)}
    )


def _cosine_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            # Fractional periods in quarters: exact in binary, so torch's trough test
            # is exact too (see test_cosine_where_torch_divides_by_zero for the rest).
            "T_max": st.one_of(_iters, st.integers(min_value=2, max_value=80).map(lambda k: k / 4)),
            "eta_min": st.one_of(st.just(0.0), st.floats(min_value=0.0, max_value=0.05)),
        }
    )


def _lambda_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    fns = st.one_of(
        st.floats(min_value=0.5, max_value=0.99).map(lambda g: lambda e: g**e),
        st.floats(min_value=0.0, max_value=1.0).map(_Scale),
    )
    return st.fixed_dictionaries({"lr_lambda": fns})


def _multiplicative_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    fns = st.one_of(
        st.floats(min_value=0.5, max_value=1.05).map(lambda g: lambda e: g),
        st.tuples(st.floats(min_value=0.2, max_value=1.0), _iters).map(lambda a: _Factor(*a)),
    )
    return st.fixed_dictionaries({"lr_lambda": fns})


CLASSES: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
    "StepLR": _step_kwargs,
    "MultiStepLR": _multistep_kwargs,
    "ConstantLR": _constant_kwargs,
    "LinearLR": _linear_kwargs,
    "ExponentialLR": _exponential_kwargs,
    "PolynomialLR": _polynomial_kwargs,
    "CosineAnnealingLR": _cosine_kwargs,
    "LambdaLR": _lambda_kwargs,
    "MultiplicativeLR": _multiplicative_kwargs,
}


def _builder(name: str, kwargs: dict[str, Any]) -> Callable[..., Any]:
    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        return getattr(L, name)(opt, **kwargs, last_epoch=last_epoch)

    return build


# --------------------------------------------------------------------------- the harness can fail


def test_harness_detects_a_wrong_number() -> None:
    """A scheduler that differs from torch by one part in 1e6 is caught."""

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        gamma = 0.5 if L.label == "torch" else 0.5 * (1 + 1e-6)
        return L.ExponentialLR(opt, gamma=gamma)

    with pytest.raises(ParityError, match="group 0 key 'lr'"):
        run_parity(build, [Step()] * 3)


def test_harness_detects_a_missing_error() -> None:
    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        if L.label == "torch":
            raise ValueError("torch says no")
        return L.StepLR(opt, step_size=2)

    with pytest.raises(ParityError, match="torch raised ValueError"):
        run_parity(build, [Step()])


def test_harness_detects_replaced_tensors() -> None:
    def replace(opt: torch.optim.Optimizer, scheds: list[Any]) -> None:
        opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"].clone()

    from .harness import Custom

    with pytest.raises(ParityError, match="replaced the tensor"):
        run_parity(
            lambda L, opt, last_epoch=-1: L.StepLR(opt, step_size=2),
            [Custom(replace)],
            lr_kind="float64",
        )


# --------------------------------------------------------------------------- golden values


def test_golden_values_every_class() -> None:
    """Independent formulas, written here, for a fresh run of every simple class."""
    base = 0.4
    cases: list[tuple[str, dict[str, Any], Callable[[int], float]]] = [
        ("StepLR", {"step_size": 3, "gamma": 0.5}, lambda t: base * 0.5 ** (t // 3)),
        (
            "MultiStepLR",
            {"milestones": [5, 2, 5], "gamma": 0.5},
            lambda t: base * 0.5 ** ((t >= 2) + 2 * (t >= 5)),
        ),
        ("ConstantLR", {"factor": 0.25, "total_iters": 4}, lambda t: base * (0.25 if t < 4 else 1)),
        (
            "LinearLR",
            {"start_factor": 0.2, "end_factor": 0.8, "total_iters": 6},
            lambda t: base * (0.2 + 0.6 * min(t, 6) / 6),
        ),
        ("ExponentialLR", {"gamma": 0.9}, lambda t: base * 0.9**t),
        (
            "PolynomialLR",
            {"total_iters": 8, "power": 1.5},
            lambda t: base * (1 - min(t, 8) / 8) ** 1.5,
        ),
        (
            "CosineAnnealingLR",
            {"T_max": 5, "eta_min": 0.01},
            lambda t: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * t / 5)) / 2,
        ),
        ("LambdaLR", {"lr_lambda": lambda e: 1 / (e + 1)}, lambda t: base / (t + 1)),
        ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9}, lambda t: base * 0.9**t),
    ]
    for name, kwargs, expected in cases:
        opt = make_optimizer([base])
        sched = getattr(lrplan, name)(opt, **kwargs)
        got = [opt.param_groups[0]["lr"]]
        for _ in range(20):
            opt.step()
            sched.step()
            got.append(opt.param_groups[0]["lr"])
        want = [expected(t) for t in range(21)]
        assert got == pytest.approx(want, rel=1e-12, abs=1e-15), name


# --------------------------------------------------------------------------- differential


@pytest.mark.parametrize("name", sorted(CLASSES))
@SETTINGS
@given(data=st.data())
def test_random_runs_match_torch(name: str, data: st.DataObject) -> None:
    """Random arguments, lrs and scripts: steps, external changes, resumes, step(epoch)."""
    kwargs = data.draw(CLASSES[name](), label="kwargs")
    lrs = data.draw(lr_lists(), label="lrs")
    kind = data.draw(st.sampled_from(LR_KINDS), label="lr_kind")
    script = data.draw(actions(max_steps=45, epochs=True), label="script")
    run_parity(
        _builder(name, kwargs), script, lrs=lrs, lr_kind=kind, value_scale=kwargs.get("eta_min")
    )


@pytest.mark.parametrize("name", sorted(CLASSES))
@SETTINGS
@given(data=st.data())
def test_add_param_group_matches_torch_where_torch_works(name: str, data: st.DataObject) -> None:
    """A group added mid-run: same numbers as torch until torch fails (if it does)."""
    kwargs = data.draw(CLASSES[name](), label="kwargs")
    lrs = data.draw(lr_lists(), label="lrs")
    kind = data.draw(st.sampled_from(["float", "float64"]), label="lr_kind")
    script = data.draw(actions(max_steps=30, add_group=True, resume=False), label="script")
    trace = run_parity(_builder(name, kwargs), script, lrs=lrs, lr_kind=kind, torch_errors="stop")
    if trace.torch_error is not None:
        # Where torch fails, lrplan carries on: the rest of the script runs cleanly.
        k = trace.torch_error[0]
        opt = make_optimizer(lrs, kind)
        sched = _builder(name, kwargs)(lrplan, opt)
        for action in script:
            if isinstance(action, AddGroup):
                opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1})
            elif isinstance(action, StepEpoch):
                with pytest.warns(UserWarning):
                    sched.step(action.epoch)
            elif isinstance(action, ScaleLR):
                for g in opt.param_groups:
                    g["lr"] *= action.factor
            else:
                opt.step()
                try:
                    sched.step()
                except ValueError as e:
                    # An external scale below CosineAnnealingLR's eta_min makes torch's
                    # affine rule go negative; lrplan refuses to write that (by design).
                    assert _REFUSAL in str(e)
                    break
        assert k >= 0
        for g in opt.param_groups:
            assert math.isfinite(float(g["lr"])) and float(g["lr"]) >= 0


@pytest.mark.parametrize("first", sorted(CLASSES))
@SETTINGS
@given(data=st.data())
def test_several_schedulers_on_one_optimizer(first: str, data: st.DataObject) -> None:
    """Two or three schedulers stepped together multiply (or override) as in torch."""
    others = data.draw(
        st.lists(st.sampled_from(sorted(CLASSES)), min_size=1, max_size=2), label="others"
    )
    names = [first, *others]
    kwargs = [data.draw(CLASSES[n](), label=f"kwargs {n}") for n in names]
    lrs = data.draw(lr_lists(), label="lrs")
    kind = data.draw(st.sampled_from(["float", "float64"]), label="lr_kind")
    script = data.draw(actions(max_steps=35, resume=True), label="script")

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        return [
            getattr(L, n)(opt, **kw, last_epoch=last_epoch)
            for n, kw in zip(names, kwargs, strict=True)
        ]

    # A later scheduler can overwrite the negative lr torch computed (e.g. a
    # CosineAnnealingLR chained below its eta_min, then PolynomialLR's factor 0);
    # lrplan refuses to write the negative value (docs/torch-parity.md).
    run_parity(build, script, lrs=lrs, lr_kind=kind, accept_refusals=True)


# --------------------------------------------------------------------------- targeted cases


@pytest.mark.parametrize("kind", LR_KINDS)
def test_cosine_annealing_cycles_past_T_max_and_keeps_external_changes(kind: str) -> None:
    """torch's quirk (periodic past T_max) and its additive step out of each trough."""
    script: list[Any] = [Step()] * 7 + [ScaleLR(0.5)] + [Step()] * 12 + [SetLR(0.3)]
    script += [Step()] * 14
    run_parity(
        lambda L, opt, last_epoch=-1: L.CosineAnnealingLR(opt, T_max=4, eta_min=0.01),
        script,
        lrs=[0.2, 0.05],
        lr_kind=kind,
    )


def test_cosine_where_torch_divides_by_zero() -> None:
    """A T_max a rounding error off an integer: torch's trough test misses and it divides
    by zero; lrplan writes the closed form instead (the same value torch would mean)."""
    t_max = 3.9999999999999964
    opt_t, opt_l = make_optimizer([1.0]), make_optimizer([1.0])
    sched_t = tsched.CosineAnnealingLR(opt_t, T_max=t_max)
    sched_l = lrplan.CosineAnnealingLR(opt_l, T_max=t_max)
    for _ in range(4):
        for o, sch in ((opt_t, sched_t), (opt_l, sched_l)):
            o.step()
            sch.step()
    assert opt_l.param_groups[0]["lr"] == pytest.approx(opt_t.param_groups[0]["lr"], abs=1e-15)
    opt_t.step()
    with pytest.raises(ZeroDivisionError):
        sched_t.step()
    opt_l.step()
    sched_l.step()
    want = (1 + math.cos(math.pi * 5 / t_max)) / 2
    assert opt_l.param_groups[0]["lr"] == pytest.approx(want, rel=1e-9)


def test_cosine_annealing_with_base_equal_to_eta_min_follows_external_changes() -> None:
    run_parity(
        lambda L, opt, last_epoch=-1: L.CosineAnnealingLR(opt, T_max=3, eta_min=0.1),
        [Step(), ScaleLR(2.0)] + [Step()] * 10,
        lrs=[0.1],
    )


@pytest.mark.parametrize("name", ["LinearLR", "PolynomialLR"])
def test_external_change_after_the_end_is_kept(name: str) -> None:
    kw = {"LinearLR": {"end_factor": 0.0, "total_iters": 3}, "PolynomialLR": {"total_iters": 3}}
    run_parity(
        lambda L, opt, last_epoch=-1: getattr(L, name)(opt, **kw[name]),
        [Step()] * 5 + [SetLR(0.05)] + [Step()] * 3,
        lrs=[0.1],
    )


@pytest.mark.parametrize("name", sorted(CLASSES))
@pytest.mark.parametrize("via", ["last_epoch", "state_dict"])
def test_resume_at_every_step(name: str, via: str) -> None:
    kwargs = {
        "StepLR": {"step_size": 3},
        "MultiStepLR": {"milestones": [2, 5, 5, 9]},
        "ConstantLR": {"factor": 0.5, "total_iters": 4},
        "LinearLR": {"start_factor": 0.1, "total_iters": 6},
        "ExponentialLR": {"gamma": 0.8},
        "PolynomialLR": {"total_iters": 7, "power": 2.0},
        "CosineAnnealingLR": {"T_max": 4, "eta_min": 0.001},
        "LambdaLR": {"lr_lambda": _Scale(0.3)},
        "MultiplicativeLR": {"lr_lambda": _Factor(0.5, 3)},
    }[name]
    for k in range(12):
        script = [Step()] * k + [Resume(via)] + [Step()] * 6  # type: ignore[list-item]
        run_parity(_builder(name, kwargs), script, lrs=[0.1, 0.7], lr_kind="float64")


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_step_epoch_warns_and_matches(name: str) -> None:
    kwargs = {
        "StepLR": {"step_size": 3},
        "MultiStepLR": {"milestones": [2, 5]},
        "ConstantLR": {},
        "LinearLR": {},
        "ExponentialLR": {"gamma": 0.8},
        "PolynomialLR": {"power": 0.9},
        "CosineAnnealingLR": {"T_max": 4},
        "LambdaLR": {"lr_lambda": lambda e: 0.9**e},
        "MultiplicativeLR": {"lr_lambda": lambda e: 0.9},
    }[name]
    script = [StepEpoch(2)] * 3 + [Step(), StepEpoch(7), Step(), StepEpoch(0), Step()]
    run_parity(_builder(name, kwargs), script, lrs=[0.05, 0.5])


def test_multiplicative_calls_the_function_once_per_step() -> None:
    calls: list[int] = []

    def f(epoch: int) -> float:
        calls.append(epoch)
        return 0.9

    opt = make_optimizer([0.1])
    sched = lrplan.MultiplicativeLR(opt, f)
    for _ in range(5):
        opt.step()
        sched.step()
    assert calls == [1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- validation


def _errors(name: str, kwargs: dict[str, Any]) -> tuple[type | None, type | None]:
    out: list[type | None] = []
    for lib in (tsched, lrplan):
        opt = make_optimizer([0.1])
        try:
            sched = getattr(lib, name)(opt, **kwargs)
            for _ in range(8):
                opt.step()
                sched.step()
            out.append(None)
        except Exception as e:
            out.append(type(e))
    return out[0], out[1]


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ConstantLR", {"factor": 1.5}),
        ("ConstantLR", {"factor": -0.1}),
        ("ConstantLR", {"factor": "x"}),
        ("LinearLR", {"start_factor": 0.0}),
        ("LinearLR", {"start_factor": 1.5}),
        ("LinearLR", {"end_factor": -0.5}),
        ("LinearLR", {"end_factor": 1.01}),
        ("LinearLR", {"start_factor": "a"}),
        ("LambdaLR", {"lr_lambda": [lambda e: 1.0, lambda e: 1.0]}),
        ("MultiplicativeLR", {"lr_lambda": [lambda e: 1.0, lambda e: 1.0]}),
        ("MultiplicativeLR", {"lr_lambda": 3}),
    ],
)
def test_same_exception_types_as_torch(name: str, kwargs: dict[str, Any]) -> None:
    t_err, l_err = _errors(name, kwargs)
    assert t_err is not None
    assert l_err is not None
    assert issubclass(l_err, t_err), (t_err, l_err)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("StepLR", {"step_size": 0}), ("CosineAnnealingLR", {"T_max": 0})],
)
def test_value_error_where_torch_divides_by_zero_later(name: str, kwargs: dict[str, Any]) -> None:
    t_err, l_err = _errors(name, kwargs)
    assert t_err is ZeroDivisionError
    assert l_err is ValueError


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("ConstantLR", {"factor": 0.0}, "factor must be in"),
        ("ConstantLR", {"total_iters": 0}, "total_iters must be an integer >= 1"),
        ("LinearLR", {"total_iters": 0}, "total_iters must be an integer >= 1"),
        ("PolynomialLR", {"total_iters": 0}, "total_iters must be an integer >= 1"),
        ("PolynomialLR", {"power": -1.0}, "power must be in"),
        ("StepLR", {"step_size": 0}, "step_size must be an integer >= 1"),
        ("StepLR", {"step_size": 2.5}, "step_size must be an integer"),
        ("StepLR", {"step_size": 2, "gamma": -0.5}, "gamma must be in"),
        ("ExponentialLR", {"gamma": -0.9}, "gamma must be in"),
        ("MultiStepLR", {"milestones": [3, -1]}, r"milestones\[1\] must be an integer >= 0"),
        ("MultiStepLR", {"milestones": [2.5]}, "milestones"),
        ("MultiStepLR", {"milestones": 3}, "milestones must be an iterable"),
        ("CosineAnnealingLR", {"T_max": 0}, "T_max must be in"),
        ("CosineAnnealingLR", {"T_max": 5, "eta_min": -0.1}, "eta_min must be in"),
    ],
)
def test_clear_errors_where_torch_fails_late_or_not_at_all(
    name: str, kwargs: dict[str, Any], match: str
) -> None:
    opt = make_optimizer([0.1])
    with pytest.raises((ValueError, TypeError), match=match):
        getattr(lrplan, name)(opt, **kwargs)


def test_zero_factor_fails_late_in_torch() -> None:
    """The reason ConstantLR refuses factor=0: torch divides by zero at total_iters."""
    opt = make_optimizer([0.1])
    sched = tsched.ConstantLR(opt, factor=0.0, total_iters=2)
    opt.step()
    sched.step()
    with pytest.raises(ZeroDivisionError):
        opt.step()
        sched.step()


def test_negative_lambda_factor_is_refused() -> None:
    opt = make_optimizer([0.1])
    sched = lrplan.MultiplicativeLR(opt, lambda e: -1.0)
    opt.step()
    with pytest.raises(ValueError, match="finite and >= 0"):
        sched.step()


# --------------------------------------------------------------------------- state


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_state_is_plain_data_with_numpy_arguments(name: str) -> None:
    kwargs: dict[str, Any] = {
        "StepLR": {"step_size": np.int64(3), "gamma": np.float32(0.5)},
        "MultiStepLR": {"milestones": np.array([2, 4]), "gamma": np.float64(0.5)},
        "ConstantLR": {"factor": np.float64(0.5), "total_iters": np.int32(3)},
        "LinearLR": {"start_factor": np.float64(0.5), "total_iters": np.int64(4)},
        "ExponentialLR": {"gamma": np.float64(0.9)},
        "PolynomialLR": {"total_iters": np.int64(4), "power": np.float64(2.0)},
        "CosineAnnealingLR": {"T_max": np.int64(4), "eta_min": np.float64(0.01)},
        "LambdaLR": {"lr_lambda": _Scale(np.float64(0.5))},  # type: ignore[arg-type]
        "MultiplicativeLR": {"lr_lambda": _Factor(np.float64(0.5), np.int64(2))},  # type: ignore[arg-type]
    }[name]
    opt = make_optimizer([0.1, 0.2], "float64")
    sched = getattr(lrplan, name)(opt, **kwargs)
    for _ in range(5):
        opt.step()
        sched.step()
    state = sched.state_dict()
    loaded = torch_roundtrip(state)  # weights_only=True
    assert loaded == state
    opt2 = make_optimizer([0.1, 0.2], "float64")
    sched2 = getattr(lrplan, name)(opt2, **kwargs)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(loaded)
    for _ in range(5):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        assert [float(g["lr"]) for g in opt2.param_groups] == [
            float(g["lr"]) for g in opt.param_groups
        ]  # bit-exact


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_tensor_lrs_are_updated_in_place(name: str) -> None:
    kwargs = {
        "StepLR": {"step_size": 2},
        "MultiStepLR": {"milestones": [1, 3]},
        "ConstantLR": {},
        "LinearLR": {},
        "ExponentialLR": {"gamma": 0.9},
        "PolynomialLR": {},
        "CosineAnnealingLR": {"T_max": 3},
        "LambdaLR": {"lr_lambda": lambda e: 0.5**e},
        "MultiplicativeLR": {"lr_lambda": lambda e: 0.5},
    }[name]
    opt = make_optimizer([0.1], "float32")
    lr = opt.param_groups[0]["lr"]
    sched = getattr(lrplan, name)(opt, **kwargs)
    for _ in range(6):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] is lr
    assert isinstance(sched.get_last_lr()[0], torch.Tensor)
    assert sched.get_last_lr()[0] is not lr


def test_pickle_of_scheduler_with_plain_function_is_not_needed_for_state() -> None:
    opt = make_optimizer([0.1])
    sched = lrplan.LambdaLR(opt, lambda e: 0.9**e)
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None]
    pickle.dumps(state)


def test_verbose_is_accepted_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    opt = make_optimizer([0.1])
    with caplog.at_level("INFO", logger="lrplan"):
        sched = lrplan.ExponentialLR(opt, gamma=0.5, verbose=True)
        opt.step()
        sched.step()
    assert "ExponentialLR" in caplog.text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError):
            tsched.ExponentialLR(make_optimizer([0.1]), gamma=0.5, verbose=True)  # type: ignore[call-arg]
