"""Specs in every vocabulary: transformers' and torch's names, arithmetic on numbers,
"did you mean", the public ``lrplan.load`` and ``ScheduledLR`` given a spec.

torch names are checked differentially: the real ``torch.optim.lr_scheduler`` class
runs on an SGD optimizer, and ``lr / base_lrs`` after each step must equal the spec's
schedule at that step.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules._hf import HF_SCHEDULER_NAMES, HF_SPECIFIC_KWARGS, hf_schedule
from lrplan._schedules._torchnames import TORCH_NOT_IN_SPECS, TORCH_SPEC_NAMES
from lrplan._spec import SpecError, parse_spec
from test_cli import _CLI_WITHOUT_TORCH

# --------------------------------------------------------------------------- transformers' names

#: Each transformers name with arguments that exercise its specific keywords.
HF_CASES: list[tuple[str, dict[str, Any]]] = [
    ("linear", {"num_warmup_steps": 10, "num_training_steps": 100}),
    ("cosine", {"num_warmup_steps": 10, "num_training_steps": 100, "num_cycles": 0.75}),
    ("cosine_with_restarts", {"num_warmup_steps": 5, "num_training_steps": 100, "num_cycles": 3}),
    (
        "polynomial",
        {
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "base_lr": 1e-3,
            "lr_end": 1e-5,
            "power": 2.0,
        },
    ),
    ("constant", {}),
    ("constant_with_warmup", {"num_warmup_steps": 10}),
    ("inverse_sqrt", {"num_warmup_steps": 10, "timescale": 20}),
    (
        "cosine_with_min_lr",
        {"num_warmup_steps": 2000, "num_training_steps": 100000, "min_lr_rate": 0.1},
    ),
    (
        "cosine_with_min_lr",
        {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr": 1e-5, "base_lr": 1e-3},
    ),
    (
        "cosine_warmup_with_min_lr",
        {
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "min_lr_rate": 0.05,
            "warmup_lr_rate": 0.1,
        },
    ),
    (
        "warmup_stable_decay",
        {
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "num_decay_steps": 30,
            "decay_type": "1-sqrt",
            "min_lr_ratio": 0.01,
        },
    ),
]


def _call_text(name: str, kwargs: dict[str, Any]) -> str:
    return f"{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


def test_every_closed_form_hf_name_has_a_case() -> None:
    covered = {name for name, _ in HF_CASES}
    assert covered == set(HF_SCHEDULER_NAMES) - {"reduce_lr_on_plateau", "greedy"}


@pytest.mark.parametrize(("name", "kwargs"), HF_CASES, ids=[_call_text(*c) for c in HF_CASES])
def test_hf_names_in_a_spec_are_hf_schedule(name: str, kwargs: dict[str, Any]) -> None:
    from_spec = parse_spec(_call_text(name, kwargs))
    direct = hf_schedule(name, **kwargs)
    assert from_spec == direct
    ts = [0, 1, 5, 9, 10, 11, 50, 99, 100, 150]
    assert from_spec.values(ts).tolist() == direct.values(ts).tolist()


def test_hf_spec_arguments_compose_with_arithmetic() -> None:
    spec = "cosine_with_min_lr(num_warmup_steps=2_000, num_training_steps=100_000, min_lr=3e-4/10,"
    spec += " base_lr=3e-4)"
    expected = hf_schedule(
        "cosine_with_min_lr",
        num_warmup_steps=2000,
        num_training_steps=100_000,
        min_lr=3e-4 / 10,
        base_lr=3e-4,
    )
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("name", ["reduce_lr_on_plateau", "greedy"])
def test_metric_driven_hf_names_say_so(name: str) -> None:
    with pytest.raises(SpecError, match="metric"):
        parse_spec(f"{name}(num_warmup_steps=0)")


VALUES = {
    "num_cycles": 0.5,
    "lr_end": 1e-7,
    "power": 1.0,
    "timescale": 10,
    "min_lr": 1e-5,
    "min_lr_rate": 0.1,
    "warmup_lr_rate": 0.1,
    "num_decay_steps": 10,
    "num_stable_steps": 10,
    "warmup_type": "linear",
    "decay_type": "cosine",
    "min_lr_ratio": 0.0,
}


@pytest.mark.parametrize("name", [n for n in HF_SCHEDULER_NAMES if n not in ("greedy",)])
def test_the_spec_table_of_hf_keywords_matches_hf_schedule(name: str) -> None:
    """``HF_SPECIFIC_KWARGS`` (which keywords the spec lets through, for "did you mean")
    lists exactly what hf_schedule accepts for each name."""
    run = {"num_warmup_steps": 10, "num_training_steps": 100, "base_lr": 1e-3}

    def unexpected(kw: str) -> bool:
        try:
            hf_schedule(name, **run, **{kw: VALUES[kw]})
        except TypeError as exc:
            return "unexpected" in str(exc)
        except ValueError:  # refused for another reason (plateau, or the value)
            return False
        return False

    if name == "reduce_lr_on_plateau":
        assert HF_SPECIFIC_KWARGS[name] == ()
        return
    for kw in VALUES:
        assert unexpected(kw) == (kw not in HF_SPECIFIC_KWARGS[name]), (name, kw)


def test_hf_names_take_keywords_only() -> None:
    with pytest.raises(SpecError, match="keyword arguments only"):
        parse_spec("linear(10, 100)")


# --------------------------------------------------------------------------- torch's names

#: (spec, torch class, torch arguments, base lr of the optimizer, steps to run)
TORCH_CASES: list[tuple[str, str, dict[str, Any], float, int]] = [
    ("StepLR(step_size=30, gamma=0.1)", "StepLR", {"step_size": 30, "gamma": 0.1}, 0.1, 100),
    ("StepLR(7)", "StepLR", {"step_size": 7}, 1.0, 40),
    (
        "MultiStepLR(milestones=[30, 10, 30], gamma=0.5)",
        "MultiStepLR",
        {"milestones": [30, 10, 30], "gamma": 0.5},
        0.1,
        50,
    ),
    (
        "ConstantLR(factor=0.5, total_iters=4)",
        "ConstantLR",
        {"factor": 0.5, "total_iters": 4},
        1,
        10,
    ),
    ("ConstantLR()", "ConstantLR", {}, 0.3, 10),
    (
        "LinearLR(start_factor=0.01, total_iters=20)",
        "LinearLR",
        {"start_factor": 0.01, "total_iters": 20},
        0.1,
        30,
    ),
    (
        "LinearLR(start_factor=1.0, end_factor=0.0, total_iters=9)",
        "LinearLR",
        {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 9},
        0.1,
        15,
    ),
    ("ExponentialLR(gamma=0.95)", "ExponentialLR", {"gamma": 0.95}, 0.1, 60),
    (
        "PolynomialLR(total_iters=20, power=2.0)",
        "PolynomialLR",
        {"total_iters": 20, "power": 2.0},
        1,
        30,
    ),
    ("CosineAnnealingLR(T_max=20)", "CosineAnnealingLR", {"T_max": 20}, 0.1, 60),
    (
        "CosineAnnealingLR(T_max=20, eta_min=1e-3, base_lr=0.1)",
        "CosineAnnealingLR",
        {"T_max": 20, "eta_min": 1e-3},
        0.1,
        60,
    ),
    (
        "CosineAnnealingWarmRestarts(T_0=5, T_mult=2, eta_min=0.01, base_lr=0.5)",
        "CosineAnnealingWarmRestarts",
        {"T_0": 5, "T_mult": 2, "eta_min": 0.01},
        0.5,
        80,
    ),
    ("CosineAnnealingWarmRestarts(T_0=7)", "CosineAnnealingWarmRestarts", {"T_0": 7}, 0.5, 30),
    (
        "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)",
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
        0.05,
        40,
    ),
    (
        "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=6, mode='triangular2')",
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 4,
            "step_size_down": 6,
            "mode": "triangular2",
        },
        0.05,
        60,
    ),
    (
        "CyclicLR(base_lr=1e-3, max_lr=1e-2, step_size_up=3, mode='exp_range', gamma=0.9)",
        "CyclicLR",
        {"base_lr": 1e-3, "max_lr": 1e-2, "step_size_up": 3, "mode": "exp_range", "gamma": 0.9},
        0.05,
        40,
    ),
    (
        "OneCycleLR(max_lr=0.1, total_steps=50)",
        "OneCycleLR",
        {"max_lr": 0.1, "total_steps": 50},
        0.05,
        50,
    ),
    (
        "OneCycleLR(max_lr=0.1, epochs=4, steps_per_epoch=10, pct_start=0.25,"
        " anneal_strategy='linear', three_phase=True, div_factor=10.0, cycle_momentum=False)",
        "OneCycleLR",
        {
            "max_lr": 0.1,
            "epochs": 4,
            "steps_per_epoch": 10,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
            "div_factor": 10.0,
            "cycle_momentum": False,
        },
        0.05,
        40,
    ),
]


def _torch_multipliers(cls_name: str, kwargs: dict[str, Any], lr: float, steps: int) -> list[float]:
    """``lr / base_lr`` of the real torch scheduler after 0, 1, ..., ``steps`` steps."""
    param = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([param], lr=lr, momentum=0.9)
    sched = getattr(torch.optim.lr_scheduler, cls_name)(opt, **kwargs)
    base = sched.base_lrs[0]
    out = [opt.param_groups[0]["lr"] / base]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append(opt.param_groups[0]["lr"] / base)
    return out


@pytest.mark.parametrize(
    ("spec", "cls_name", "kwargs", "lr", "steps"), TORCH_CASES, ids=[c[0] for c in TORCH_CASES]
)
def test_torch_names_in_a_spec_match_the_real_torch_class(
    spec: str, cls_name: str, kwargs: dict[str, Any], lr: float, steps: int
) -> None:
    expected = _torch_multipliers(cls_name, kwargs, lr, steps)
    got = parse_spec(spec).values(range(steps + 1)).tolist()
    for t, (g, e) in enumerate(zip(got, expected, strict=True)):
        # lrplan never writes a negative lr: torch's linear OneCycleLR extrapolates below
        # 0 at step total_steps (docs/torch-parity.md), lrplan writes 0 there.
        assert math.isclose(g, max(e, 0.0), rel_tol=1e-9, abs_tol=1e-12), (t, g, e)


@st.composite
def _torch_call(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], float]:
    """A random torch class call: (spec, class, arguments, optimizer lr)."""
    lr = draw(st.sampled_from([1e-3, 0.1, 1.0]))
    ints = st.integers(1, 12)
    unit = st.floats(0.05, 1.0)
    name = draw(st.sampled_from(sorted(TORCH_SPEC_NAMES)))
    kw: dict[str, Any]
    extra: dict[str, Any] = {}
    if name == "StepLR":
        kw = {"step_size": draw(ints), "gamma": draw(unit)}
    elif name == "MultiStepLR":
        kw = {"milestones": draw(st.lists(st.integers(0, 30), max_size=4)), "gamma": draw(unit)}
    elif name == "ConstantLR":
        kw = {"factor": draw(unit), "total_iters": draw(ints)}
    elif name == "LinearLR":
        kw = {"start_factor": draw(unit), "end_factor": draw(unit), "total_iters": draw(ints)}
    elif name == "ExponentialLR":
        kw = {"gamma": draw(st.floats(0.5, 1.0))}
    elif name == "PolynomialLR":
        kw = {"total_iters": draw(ints), "power": draw(st.floats(0.0, 3.0))}
    elif name in ("CosineAnnealingLR", "CosineAnnealingWarmRestarts"):
        eta = draw(st.sampled_from([0.0, lr / 100, lr / 2]))
        if name == "CosineAnnealingLR":
            kw = {"T_max": draw(ints), "eta_min": eta}
        else:
            kw = {"T_0": draw(ints), "T_mult": draw(st.integers(1, 3)), "eta_min": eta}
        extra = {"base_lr": lr}
    elif name == "CyclicLR":
        low = draw(st.sampled_from([1e-4, 1e-3, 1e-2]))
        kw = {
            "base_lr": low,
            "max_lr": low * draw(st.floats(1.0, 50.0)),
            "step_size_up": draw(ints),
            "step_size_down": draw(st.integers(0, 12)),
            "mode": draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
            "gamma": draw(st.floats(0.5, 1.0)),
        }
    else:
        kw = {
            "max_lr": draw(st.sampled_from([0.01, 0.1, 1.0])),
            "total_steps": draw(st.integers(20, 40)),  # phases longer than 0 steps
            "pct_start": draw(st.floats(0.1, 0.45)),
            "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
            "three_phase": draw(st.booleans()),
            "div_factor": draw(st.floats(2.0, 50.0)),
        }
    spec = _call_text(name, {**kw, **extra})
    return spec, name, kw, lr


@settings(max_examples=40, deadline=None)
@given(_torch_call())
def test_random_torch_calls_in_a_spec_match_torch(
    call: tuple[str, str, dict[str, Any], float],
) -> None:
    spec, name, kwargs, lr = call
    steps = kwargs.get("total_steps", 40)
    expected = _torch_multipliers(name, kwargs, lr, steps)
    got = parse_spec(spec).values(range(steps + 1)).tolist()
    for t, (g, e) in enumerate(zip(got, expected, strict=True)):
        assert math.isclose(g, max(e, 0.0), rel_tol=1e-9, abs_tol=1e-12), (spec, t, g, e)


def test_every_torch_spec_name_has_a_differential_case() -> None:
    assert {c[1] for c in TORCH_CASES} == set(TORCH_SPEC_NAMES)


def test_every_torch_class_is_in_specs_or_explained() -> None:
    torch_classes = {
        n
        for n in dir(torch.optim.lr_scheduler)
        if isinstance(getattr(torch.optim.lr_scheduler, n), type)
        and issubclass(getattr(torch.optim.lr_scheduler, n), torch.optim.lr_scheduler.LRScheduler)
        and not n.startswith("_")
        and n != "LRScheduler"
    } | {"ReduceLROnPlateau"}
    assert torch_classes == set(TORCH_SPEC_NAMES) | set(TORCH_NOT_IN_SPECS)


def test_scheduled_lr_on_a_torch_spec_writes_torch_lrs() -> None:
    """The base lr convention: an optimizer whose lr is the spec's base lr gets torch's lrs."""
    steps = 40
    expected = _torch_multipliers("CosineAnnealingLR", {"T_max": 15, "eta_min": 0.002}, 0.1, steps)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    sched = lp.ScheduledLR(opt, "CosineAnnealingLR(T_max=15, eta_min=0.002, base_lr=0.1)")
    got = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        got.append(opt.param_groups[0]["lr"])
    assert got == pytest.approx([0.1 * m for m in expected], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ("CosineAnnealingLR(T_max=100, eta_min=1e-5)", ["eta_min", "lr units", "base_lr="]),
        ("CosineAnnealingWarmRestarts(T_0=10, eta_min=1e-5)", ["eta_min", "base_lr="]),
        ("LambdaLR(lr_lambda=0)", ["Python function", "lrplan.LambdaLR"]),
        ("MultiplicativeLR(lr_lambda=0)", ["Exponential(gamma="]),
        ("ReduceLROnPlateau(patience=3)", ["metric", "lrplan.ReduceLROnPlateau"]),
        ("SequentialLR(milestones=[5])", [".then(", "Join("]),
        ("ChainedScheduler()", ["a * b"]),
        ("LinearLR(start_factor=0)", ["start_factor", "(0, 1]"]),
        ("StepLR(step_size=2.5)", ["step_size", "integer"]),
        ("OneCycleLR(max_lr=0.1)", ["total_steps", "epochs"]),
        ("CyclicLR(base_lr=0, max_lr=0.1)", ["base_lr", "(0, inf)"]),
        (
            "CyclicLR(base_lr=0.1, max_lr=1, mode='exp_range', gamma=1.1)",
            ["gamma", "lrplan.CyclicLR"],
        ),
        ("CyclicLR(base_lr=0.1, max_lr=1, scale_fn=None)", ["scale_fn", "CyclicLR() takes"]),
        ("StepLR(step_size=3, last_epoch=4)", ["last_epoch"]),
    ],
)
def test_torch_names_refuse_what_they_cannot_mean(spec: str, fragments: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(spec)
    for fragment in fragments:
        assert fragment in str(info.value)


# --------------------------------------------------------------------------- arithmetic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cosine(steps=100, end=1e-5/3e-4)", lp.Cosine(steps=100, end=1e-5 / 3e-4)),
        ("Cosine(steps=10 * 1000 + 500)", lp.Cosine(steps=10_500)),
        ("Cosine(steps=2 ** 10 - 24)", lp.Cosine(steps=1000)),
        ("Cosine(steps=(7 + 3) // 3)", lp.Cosine(steps=3)),
        ("Cosine(steps=100, end=-(-0.5) * +0.2)", lp.Cosine(steps=100, end=0.1)),
        ("Exponential(gamma=0.1 ** (1 / 100))", lp.Exponential(gamma=0.1 ** (1 / 100))),
        (
            "warmup(Cosine(steps=9_500), steps=10_000 - 9_500)",
            lp.warmup(lp.Cosine(steps=9500), steps=500),
        ),
        ("(1 / 2) * Cosine(steps=10)", 0.5 * lp.Cosine(steps=10)),
    ],
)
def test_arithmetic_on_numbers(text: str, expected: lp.Schedule) -> None:
    assert parse_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Cosine(steps=10**10**10)", "exponent"),
        ("Cosine(steps=2 ** -5000)", "exponent"),
        ("Cosine(steps=9 ** 1000)", "too large"),
        ("Cosine(steps=(10 ** 300) * (10 ** 300))", "too large"),
        ("Cosine(steps=1e308 * 10)", "finite"),
        ("Cosine(steps=1.5 ** 1024 * 1e200)", "finite"),
        ("Cosine(steps=(-8) ** 0.5)", "real number"),
        ("Cosine(steps=1 / 0)", "division by zero"),
        ("Cosine(steps=5 // 0)", "division by zero"),
        ("Cosine(steps=10) / 2", "'/' needs two numbers"),
        ("Cosine(steps=10) ** 2", "'**' needs two numbers"),
        ("Cosine(steps='a' + 'b')", "'+' needs"),
        ("Cosine(steps=True + 1)", "'+' needs"),
    ],
)
def test_arithmetic_abuse_is_refused(text: str, fragment: str) -> None:
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert fragment in str(info.value)
    assert time.perf_counter() - start < 5  # refused before computing, not after


# --------------------------------------------------------------------------- did you mean


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("Cosin(steps=100)", ["'Cosin' is not allowed", "did you mean 'Cosine'"]),
        ("warmup(Linaer(steps=10), steps=5)", ["did you mean 'Linear'"]),
        ("cosine_with_minlr(num_warmup_steps=1)", ["did you mean 'cosine_with_min_lr'"]),
        ("CosineAnnealingLr(T_max=10)", ["did you mean 'CosineAnnealingLR'"]),
        ("StepLr(step_size=10)", ["did you mean 'StepLR'"]),
        ("Cosine(step=100)", ["no argument 'step'", "did you mean 'steps'", "takes: steps,"]),
        ("Cosine(steps=100, edn=0.1)", ["did you mean 'end'"]),
        ("CosineAnnealingLR(Tmax=10)", ["did you mean 'T_max'", "takes: T_max, eta_min, base_lr"]),
        (
            "cosine(num_warmup_step=10, num_training_steps=100)",
            ["did you mean 'num_warmup_steps'", "num_cycles"],
        ),
        (
            "cosine_with_min_lr(num_warmup_steps=1, min_lr_ratio=0.1)",
            ["did you mean 'min_lr_rate'"],
        ),
        ("linear(steps=10)", ["Linear() takes steps="]),
        ("Cosine(steps=10).flor(0.1)", ["did you mean 'floor'"]),
        ("Linear(steps=1).then(Cosine(steps=2), att=3)", ["did you mean 'at'"]),
        ("Cosine()", ["missing a required argument: 'steps'"]),
        ("StepLR(1, 2, 3)", ["too many positional arguments", "StepLR() takes: step_size, gamma"]),
        ("StepLR(30, step_size=3)", ["multiple values for argument 'step_size'"]),
    ],
)
def test_unknown_names_and_keywords_say_what_was_meant(text: str, fragments: list[str]) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    assert "__init__" not in msg and "_step_lr" not in msg


def test_far_off_names_get_no_suggestion() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec("Zigzag(steps=3)")
    assert "did you mean" not in str(info.value)


# --------------------------------------------------------------------------- lrplan.load


def test_load_is_public_and_takes_specs_and_files(tmp_path: Path) -> None:
    import yaml

    plan = lp.warmup(lp.Cosine(steps=90, end=0.1), steps=10)
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_config()))
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan.to_config()))
    assert "load" in lp.__all__
    assert lp.load(tmp_path / "plan.json") == plan
    assert lp.load(str(tmp_path / "plan.yaml")) == plan
    assert lp.load("warmup(Cosine(steps=90, end=0.1), steps=10)") == plan
    assert lp.load("CosineAnnealingLR(T_max=100)") == lp.Cosine(steps=100, periodic=True)
    with pytest.raises(TypeError, match="spec string or a path"):
        lp.load(42)  # type: ignore[arg-type]


def test_load_picks_a_key_from_a_file_of_several(tmp_path: Path) -> None:
    lr, mom = lp.Cosine(steps=10), lp.Linear(steps=10, start=0.95, end=0.85)
    path = tmp_path / "plans.json"
    path.write_text(json.dumps({"lr": lr.to_config(), "momentum": mom.to_config()}))
    assert lp.load(path, key="momentum") == mom
    with pytest.raises(SpecError, match="keys"):
        lp.load(path)


def test_scheduled_lr_takes_a_spec_string_or_a_path(tmp_path: Path) -> None:
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = lp.ScheduledLR(opt, "Cosine(steps=10)")
    assert sched.schedules == [lp.Cosine(steps=10)]
    for _ in range(5):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.25])

    plans = tmp_path / "plans.json"
    mom = lp.Linear(steps=10, start=0.95, end=0.85)
    plans.write_text(json.dumps({"lr": lp.Constant().to_config(), "momentum": mom.to_config()}))
    by_key = lp.ScheduledLR(opt, plans, key="momentum")  # the file's entry for the key
    assert by_key.schedules == [mom]
    per_group = lp.ScheduledLR(opt, ["StepLR(step_size=2)"])
    assert per_group.schedules == [lp.Step(step_size=2)]
    with pytest.raises(SpecError, match="Cosin"):
        lp.ScheduledLR(opt, "Cosin(steps=10)")
    with pytest.raises(TypeError, match="spec string"):
        lp.ScheduledLR(opt, 3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        (
            "cosine_with_min_lr(num_warmup_steps=2000, num_training_steps=100000, min_lr_rate=0.1)",
            "0.1",
        ),
        ("CosineAnnealingLR(T_max=1000)", "Cosine(steps=1000, periodic=True)"),
    ],
)
def test_lrplan_show_takes_hf_and_torch_names_without_torch(
    spec: str, shown: str, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _CLI_WITHOUT_TORCH, "show", spec],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "torch attempts: []", proc.stderr
    assert shown in proc.stdout


def test_a_transformers_function_name_points_to_its_scheduler_name() -> None:
    """``get_cosine_schedule_with_warmup(...)`` in a spec says to write ``cosine(...)``;
    the table behind it is transformers' own ``TYPE_TO_SCHEDULER_FUNCTION``, by name."""
    transformers = pytest.importorskip("transformers.optimization")
    from lrplan._schedules._hf import HF_FUNCTION_NAMES

    theirs = {f.__name__: t.value for t, f in transformers.TYPE_TO_SCHEDULER_FUNCTION.items()}
    assert theirs == HF_FUNCTION_NAMES
    ours = {f.__name__: t.value for t, f in lp.TYPE_TO_SCHEDULER_FUNCTION.items()}
    assert ours == HF_FUNCTION_NAMES
    with pytest.raises(ValueError, match=r"write its scheduler name .*: cosine\(num_warmup_steps"):
        lp.load("get_cosine_schedule_with_warmup(num_warmup_steps=1, num_training_steps=10)")
