"""Bad input fails loudly: a table of invalid constructions and calls across the public API.

Every row is one mistake. It must raise ``ValueError`` or ``TypeError`` right
there (at construction or at the faulty call, not steps later), with a message
that names the parameter and, for numbers, the accepted range. Spec strings are
parsed without ever being evaluated as code (a payload that would create a file
is checked not to have run). Torch-named classes keep torch's messages where
torch validates; where torch accepts a value that later gives a NaN, an inf or a
``ZeroDivisionError``, lrplan refuses it at construction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

import lrplan as lp

# --------------------------------------------------------------------------- fixtures


def opt_(groups: int = 1, kind: str = "sgd") -> torch.optim.Optimizer:
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in range(groups)]
    if kind == "adam":
        return torch.optim.Adam([{"params": [p]} for p in params], lr=0.01)
    return torch.optim.SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9)


A = lp.Cosine(steps=10)
B = lp.Linear(steps=5)


def _get(name: str) -> Any:
    return getattr(lp, name)


def _spec(text: str) -> Any:
    from lrplan._spec import parse_spec

    return parse_spec(text)


def _other_opt_sched(make: Callable[[torch.optim.Optimizer], Any]) -> Any:
    return make(opt_())


# (id, call, exception, regexes the message must match; the first names the parameter)
Row = tuple[str, Callable[[], Any], type[Exception], tuple[str, ...]]
R = r"\(0, inf\)"  # the range (0, inf)
NN = r"\[0, inf\)"  # the range [0, inf)

ROWS: list[Row] = [
    # -- pure shapes: periods, factors, minimums ------------------------------------------
    ("linear-zero-steps", lambda: lp.Linear(steps=0), ValueError, ("steps", R)),
    ("linear-negative-steps", lambda: lp.Linear(steps=-5), ValueError, ("steps", R)),
    ("linear-nan-steps", lambda: lp.Linear(steps=math.nan), ValueError, ("steps", "finite")),
    ("linear-negative-start", lambda: lp.Linear(steps=10, start=-1), ValueError, ("start", NN)),
    ("linear-inf-end", lambda: lp.Linear(steps=10, end=math.inf), ValueError, ("end", "finite")),
    ("linear-str-steps", lambda: lp.Linear(steps="10"), TypeError, ("steps", "real number")),
    ("cosine-negative-end", lambda: lp.Cosine(steps=10, end=-0.1), ValueError, ("end", NN)),
    ("cosine-bad-after", lambda: lp.Cosine(steps=10, after="loop"), ValueError, ("after", "hold")),
    ("cosine-periodic-str", lambda: lp.Cosine(steps=10, periodic="yes"), TypeError, ("periodic",)),
    ("exp-nan-gamma", lambda: lp.Exponential(gamma=math.nan), ValueError, ("gamma", "finite")),
    ("exp-negative-gamma", lambda: lp.Exponential(gamma=-0.5), ValueError, ("gamma", NN)),
    ("step-zero-size", lambda: lp.Step(step_size=0), ValueError, ("step_size", R)),
    ("step-negative-size", lambda: lp.Step(step_size=-3), ValueError, ("step_size", R)),
    ("step-inf-gamma", lambda: lp.Step(step_size=3, gamma=math.inf), ValueError, ("gamma",)),
    (
        "multistep-unsorted",
        lambda: lp.MultiStep(milestones=(5, 2)),
        ValueError,
        ("milestones", "sorted"),
    ),
    (
        "multistep-negative",
        lambda: lp.MultiStep(milestones=(-1, 3)),
        ValueError,
        (r"milestones\[0\]", NN),
    ),
    ("multistep-str", lambda: lp.MultiStep(milestones="30,60"), TypeError, ("milestones",)),
    ("poly-negative-power", lambda: lp.Polynomial(steps=10, power=-1), ValueError, ("power", NN)),
    ("constant-negative", lambda: lp.Constant(value=-1), ValueError, ("value", NN)),
    ("constant-str", lambda: lp.Constant(value="0.1"), TypeError, ("value", "real number")),
    ("constant-bool", lambda: lp.Constant(value=True), TypeError, ("value", "real number")),
    # -- combinators: wrong list lengths, non-schedules -----------------------------------
    (
        "sequence-wrong-length",
        lambda: lp.Join(schedules=[A], boundaries=[5]),
        ValueError,
        ("boundaries", "len"),
    ),
    (
        "sequence-zero-boundary",
        lambda: lp.Join(schedules=[A, B], boundaries=[0]),
        ValueError,
        (r"boundaries\[0\]", R),
    ),
    (
        "sequence-unsorted",
        lambda: lp.Join(schedules=[A, B, A], boundaries=[5, 5]),
        ValueError,
        ("boundaries", "increasing"),
    ),
    (
        "sequence-non-schedule",
        lambda: lp.Join(schedules=[A, 3.0], boundaries=[5]),
        TypeError,
        (r"schedules\[1\]", "Schedule"),
    ),
    ("product-empty", lambda: lp.Product(factors=()), ValueError, ("factors",)),
    ("clip-nothing", lambda: lp.Clip(schedule=A), ValueError, ("lo", "hi")),
    ("clip-lo-above-hi", lambda: lp.Clip(schedule=A, lo=0.5, hi=0.1), ValueError, ("lo", "hi")),
    ("clip-negative-lo", lambda: lp.Clip(schedule=A, lo=-1), ValueError, ("lo", NN)),
    (
        "clip-not-schedule",
        lambda: lp.Clip(schedule=lambda t: 1.0, lo=0.1),
        TypeError,
        ("schedule",),
    ),
    ("warmup-negative-steps", lambda: lp.warmup(A, steps=-1), ValueError, ("steps", NN)),
    ("warmup-bad-shape", lambda: lp.warmup(A, steps=5, shape="quad"), ValueError, ("shape",)),
    ("warmup-not-schedule", lambda: lp.warmup("cosine", steps=5), TypeError, ("schedule",)),
    # -- catalogue shapes, restarts, cycles, time ----------------------------------------
    ("restarts-zero-period", lambda: lp.CosineRestarts(period=0), ValueError, ("period", R)),
    (
        "restarts-nan-decay",
        lambda: lp.CosineRestarts(period=10, decay=math.nan),
        ValueError,
        ("decay", "finite"),
    ),
    (
        "cyclic-zero-up",
        lambda: lp.Cyclic(start=0.1, step_size_up=0),
        ValueError,
        ("step_size_up", R),
    ),
    (
        "cyclic-up-underflows-next-to-down",
        lambda: lp.Cyclic(start=0.1, step_size_up=5e-324, step_size_down=2.0),
        ValueError,
        ("step_size_up", "step_size_down"),
    ),
    (
        "cyclic-bad-mode",
        lambda: lp.Cyclic(start=0.1, step_size_up=2, mode="sine"),
        ValueError,
        ("mode", "triangular"),
    ),
    (
        "cyclic-gamma-above-1",
        lambda: lp.Cyclic(start=0.1, step_size_up=2, gamma=1.5),
        ValueError,
        ("gamma", r"\(0, 1\]"),
    ),
    ("onecycle-zero-steps", lambda: lp.OneCycle(steps=0), ValueError, ("steps",)),
    (
        "onecycle-pct-above-1",
        lambda: lp.OneCycle(steps=100, pct_start=1.5),
        ValueError,
        ("pct_start", r"\[0, 1\)"),
    ),
    (
        "onecycle-bad-anneal",
        lambda: lp.OneCycle(steps=100, anneal="quadratic"),
        ValueError,
        ("anneal", "cos"),
    ),
    (
        "wsd-bad-decay-shape",
        lambda: lp.WarmupStableDecay(warmup=1, stable=3, decay=5, decay_shape="exp"),
        ValueError,
        ("decay_shape", "1-sqrt"),
    ),
    (
        "wsd-negative-min-ratio",
        lambda: lp.WarmupStableDecay(warmup=1, stable=3, decay=5, min_ratio=-0.1),
        ValueError,
        ("min_ratio",),
    ),
    ("invsqrt-zero", lambda: lp.InverseSqrt(timescale=0), ValueError, ("timescale", R)),
    ("untuned-beta2-1", lambda: lp.UntunedWarmup(beta2=1.0), ValueError, ("beta2", r"1\)")),
    ("repeat-zero-period", lambda: lp.Repeat(schedule=B, period=0), ValueError, ("period",)),
    ("shift-nan", lambda: lp.Shift(schedule=A, by=math.nan), ValueError, ("by", "finite")),
    ("timescale-zero", lambda: lp.TimeScale(schedule=A, factor=0), ValueError, ("factor", R)),
    ("large-batch-zero", lambda: lp.large_batch(batch_size=0), ValueError, ("batch_size", R)),
    (
        "scale-lr-negative-batch",
        lambda: lp.scale_lr(0.1, batch_size=-8),
        ValueError,
        ("batch_size", R),
    ),
    # -- configs and spec strings: unknown names, malformed text --------------------------
    (
        "config-unknown-type",
        lambda: lp.Schedule.from_config({"type": "cosinus", "steps": 10}),
        ValueError,
        ("cosinus", "known types"),
    ),
    (
        "config-unknown-key",
        lambda: lp.Schedule.from_config({"type": "cosine", "steps": 10, "stepz": 3}),
        ValueError,
        ("stepz", "accepted keys"),
    ),
    (
        "config-no-type",
        lambda: lp.Schedule.from_config({"steps": 10}),
        ValueError,
        ("type",),
    ),
    ("config-not-mapping", lambda: lp.Schedule.from_config(["cosine"]), TypeError, ("mapping",)),
    (
        "config-bad-value",
        lambda: lp.Schedule.from_config({"type": "cosine", "steps": -1}),
        ValueError,
        ("steps", R),
    ),
    ("spec-unknown-name", lambda: _spec("Cosinus(steps=10)"), ValueError, ("Cosinus", "allowed")),
    ("spec-syntax", lambda: _spec("Cosine(steps=10"), ValueError, ("syntax",)),
    ("spec-dunder", lambda: _spec("Cosine(steps=10).__class__"), ValueError, ("__class__",)),
    ("spec-lambda", lambda: _spec("lambda: Cosine(steps=10)"), ValueError, ("lambda",)),
    ("spec-kwargs", lambda: _spec("Cosine(**{'steps': 10})"), ValueError, ("not allowed",)),
    ("spec-subscript", lambda: _spec("[Cosine(steps=10)][0]"), ValueError, ("not allowed",)),
    ("spec-bad-value", lambda: _spec("Cosine(steps=-10)"), ValueError, ("steps", R)),
    ("spec-not-schedule", lambda: _spec("3.5"), ValueError, ("schedule",)),
    ("spec-empty", lambda: _spec("   "), ValueError, ("empty",)),
    ("spec-not-str", lambda: _spec(42), TypeError, ("string",)),
    # -- lrplan schedulers -----------------------------------------------------------------
    ("steplr-zero", lambda: lp.StepLR(opt_(), step_size=0), ValueError, ("step_size", ">= 1")),
    ("steplr-nan-gamma", lambda: lp.StepLR(opt_(), 2, gamma=math.nan), ValueError, ("gamma",)),
    ("steplr-not-optimizer", lambda: lp.StepLR(object(), 2), TypeError, ("Optimizer",)),
    (
        "lambdalr-not-callable",
        lambda: lp.LambdaLR(opt_(), lr_lambda=0.5),
        TypeError,
        ("lr_lambda",),
    ),
    (
        "lambdalr-wrong-length",
        lambda: lp.LambdaLR(opt_(2), [lambda e: 1.0]),
        ValueError,
        ("lr_lambdas", "2"),
    ),
    (
        "gws-multiplier-below-1",
        lambda: lp.GradualWarmupScheduler(opt_(), 0.5, 5),
        ValueError,
        ("multiplier", r"\[1, inf\)"),
    ),
    (
        "gws-zero-epochs",
        lambda: lp.GradualWarmupScheduler(opt_(), 2, 0),
        ValueError,
        ("total_epoch", ">= 1"),
    ),
    (
        "gws-other-optimizer",
        lambda: lp.GradualWarmupScheduler(opt_(), 2, 5, after_scheduler=lp.StepLR(opt_(), 3)),
        ValueError,
        ("after_scheduler", "optimizer"),
    ),
    (
        "gws-after-not-scheduler",
        lambda: lp.GradualWarmupScheduler(opt_(), 2, 5, after_scheduler="cosine"),
        TypeError,
        ("after_scheduler",),
    ),
    ("anneal-zero", lambda: lp.LinearAnnealingLR(opt_(), T_max=0), ValueError, ("T_max", R)),
    (
        "anneal-negative-min",
        lambda: lp.LinearAnnealingLR(opt_(), T_max=10, eta_min=-0.1),
        ValueError,
        ("eta_min", NN),
    ),
    ("scheduled-not-schedule", lambda: lp.ScheduledLR(opt_(), 3), TypeError, ("schedule",)),
    (
        "scheduled-wrong-length",
        lambda: lp.ScheduledLR(opt_(), [A, B]),
        ValueError,
        ("schedule", "one entry per param group"),
    ),
    (
        "scheduled-missing-key",
        lambda: lp.ScheduledLR(opt_(kind="adam"), A, key="momentum"),
        ValueError,
        ("momentum", "betas"),
    ),
    (
        "scheduled-params-key",
        lambda: lp.ScheduledLR(opt_(), A, key="params"),
        ValueError,
        ("params",),
    ),
    (
        "scheduled-last-epoch",
        lambda: lp.ScheduledLR(opt_(), A, last_epoch=-2),
        ValueError,
        ("last_epoch", ">= -1"),
    ),
    ("set-step-negative", lambda: lp.ScheduledLR(opt_(), A).set_step(-1), ValueError, (">= 0",)),
    ("set-step-nan", lambda: lp.ScheduledLR(opt_(), A).set_step(math.nan), ValueError, ("finite",)),
    ("set-step-str", lambda: lp.ScheduledLR(opt_(), A).set_step("3"), TypeError, ("number",)),
    (
        "load-bad-policy",
        lambda: (s := lp.ScheduledLR(opt_(), A)).load_state_dict(
            s.state_dict(), on_config_change="ignore"
        ),
        ValueError,
        ("on_config_change", "keep_fraction"),
    ),
    (
        "load-not-a-dict",
        lambda: lp.ScheduledLR(opt_(), A).load_state_dict([1, 2]),
        TypeError,
        ("dict",),
    ),
    (
        "warmup-wrapper-negative",
        lambda: lp.Warmup(lp.StepLR(opt_(), 3), steps=-1),
        ValueError,
        ("steps",),
    ),
    (
        "warmup-wrapper-shape",
        lambda: lp.Warmup(lp.StepLR(opt_(), 3), steps=5, shape="quad"),
        ValueError,
        ("shape", "linear"),
    ),
    ("warmup-wrapper-not-sched", lambda: lp.Warmup("x", steps=5), TypeError, ("scheduler",)),
    (
        "wsd-negative-warmup",
        lambda: lp.WSDScheduler(opt_(), warmup=-1),
        ValueError,
        ("warmup", NN),
    ),
    (
        "wsd-bad-shape",
        lambda: lp.WSDScheduler(opt_(), warmup=1, decay_shape="exp"),
        ValueError,
        ("decay_shape",),
    ),
    (
        "hf-unknown-name",
        lambda: lp.get_scheduler("cosine_annealing", opt_(), 1, 10),
        ValueError,
        ("cosine_annealing", "linear"),
    ),
    (
        "hf-missing-training-steps",
        lambda: lp.get_scheduler("cosine", opt_(), num_warmup_steps=1),
        ValueError,
        ("num_training_steps",),
    ),
    (
        "schedule-many-not-schedule",
        lambda: lp.schedule_many(opt_(), {"lr": 3}),
        TypeError,
        ("schedule",),
    ),
    # -- torch-named drop-ins --------------------------------------------------------------
    (
        "exponentiallr-nan",
        lambda: _get("ExponentialLR")(opt_(), gamma=math.nan),
        ValueError,
        ("gamma",),
    ),
    (
        "cosinelr-zero-tmax",
        lambda: _get("CosineAnnealingLR")(opt_(), T_max=0),
        ValueError,
        ("T_max",),
    ),
    (
        "cosinelr-negative-min",
        lambda: _get("CosineAnnealingLR")(opt_(), T_max=10, eta_min=-1.0),
        ValueError,
        ("eta_min",),
    ),
    (
        "constantlr-zero-factor",
        lambda: _get("ConstantLR")(opt_(), factor=0.0),
        ValueError,
        ("factor", r"\(0, 1\]"),
    ),
    (
        "constantlr-factor",
        lambda: _get("ConstantLR")(opt_(), factor=1.5),
        ValueError,
        ("factor", "between 0 and 1"),
    ),
    (
        "linearlr-zero-start",
        lambda: _get("LinearLR")(opt_(), start_factor=0),
        ValueError,
        ("start_factor", r"\(0, 1\]"),
    ),
    (
        "onecycle-no-length",
        lambda: _get("OneCycleLR")(opt_(), max_lr=0.1),
        ValueError,
        ("total_steps",),
    ),
    (
        "onecycle-max-lr-length",
        lambda: _get("OneCycleLR")(opt_(), max_lr=[0.1, 0.2], total_steps=10),
        ValueError,
        ("max_lr", "1"),
    ),
    (
        "cycliclr-bad-mode",
        lambda: _get("CyclicLR")(opt_(), base_lr=0.01, max_lr=0.1, mode="sine"),
        ValueError,
        ("mode",),
    ),
    (
        "warmrestarts-zero",
        lambda: _get("CosineAnnealingWarmRestarts")(opt_(), T_0=0),
        ValueError,
        ("T_0",),
    ),
    (
        "warmrestarts-float-mult",
        lambda: _get("CosineAnnealingWarmRestarts")(opt_(), T_0=10, T_mult=1.5),
        ValueError,
        ("T_mult",),
    ),
    (
        "plateau-bad-mode",
        lambda: _get("ReduceLROnPlateau")(opt_(), mode="maximize"),
        ValueError,
        ("mode",),
    ),
    (
        "plateau-factor-1",
        lambda: _get("ReduceLROnPlateau")(opt_(), factor=1.0),
        ValueError,
        ("[Ff]actor", "1.0"),
    ),
    (
        "plateau-negative-patience",
        lambda: _get("ReduceLROnPlateau")(opt_(), patience=-1),
        ValueError,
        ("patience", ">= 0"),
    ),
    (
        "plateau-negative-min-lr",
        lambda: _get("ReduceLROnPlateau")(opt_(), min_lr=-1),
        ValueError,
        ("min_lr", ">= 0"),
    ),
    (
        "plateau-negative-min-lr-in-list",
        lambda: _get("ReduceLROnPlateau")(opt_(), min_lr=[-0.5]),
        ValueError,
        (r"min_lr\[0\]", ">= 0"),
    ),
    (
        "plateau-bad-threshold-mode",
        lambda: _get("ReduceLROnPlateau")(opt_(), threshold_mode="bogus"),
        ValueError,
        ("threshold_mode", "'rel' or 'abs'", "bogus"),
    ),
    (
        "cycliclr-negative-base-lr",
        lambda: _get("CyclicLR")(opt_(), base_lr=-0.1, max_lr=0.1),
        ValueError,
        ("CyclicLR", "base_lr", r"\[0, inf\)"),
    ),
    (
        "cycliclr-negative-max-momentum",
        lambda: _get("CyclicLR")(opt_(), base_lr=0.01, max_lr=0.1, max_momentum=-0.9),
        ValueError,
        ("max_momentum", r"\[0, inf\)"),
    ),
    (
        "plateau-min-lr-length",
        lambda: _get("ReduceLROnPlateau")(opt_(), min_lr=[0.1, 0.2]),
        ValueError,
        ("min_lr", "1"),
    ),
    (
        "sequential-milestone-count",
        lambda: (
            (o := opt_())
            and _get("SequentialLR")(o, [lp.StepLR(o, 2), lp.StepLR(o, 3)], milestones=[5, 10])
        ),
        ValueError,
        ("milestone", "one more"),
    ),
    (
        "sequential-other-optimizer",
        lambda: (
            (o := opt_())
            and _get("SequentialLR")(o, [lp.StepLR(o, 2), lp.StepLR(opt_(), 3)], milestones=[5])
        ),
        ValueError,
        ("optimizer",),
    ),
    (
        "chained-other-optimizer",
        lambda: _get("ChainedScheduler")([lp.StepLR(opt_(), 2), lp.StepLR(opt_(), 3)]),
        ValueError,
        ("optimizer",),
    ),
    (
        "timm-zero-t-initial",
        lambda: __import__("lrplan.timm").timm.CosineLRScheduler(opt_(), t_initial=0),
        ValueError,
        ("t_initial",),
    ),
]


def _available(row: Row) -> bool:
    src = row[0]
    needs = {
        "exponentiallr": "ExponentialLR",
        "cosinelr": "CosineAnnealingLR",
        "constantlr": "ConstantLR",
        "linearlr": "LinearLR",
        "onecycle-no": "OneCycleLR",
        "onecycle-max": "OneCycleLR",
        "cycliclr": "CyclicLR",
        "warmrestarts": "CosineAnnealingWarmRestarts",
        "plateau": "ReduceLROnPlateau",
        "sequential": "SequentialLR",
        "chained": "ChainedScheduler",
    }
    return all(hasattr(lp, n) for p, n in needs.items() if src.startswith(p))


@pytest.mark.parametrize("row", [r for r in ROWS if _available(r)], ids=lambda r: r[0])
def test_invalid_input_raises_at_once_with_a_helpful_message(row: Row) -> None:
    _, call, exc, patterns = row
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    assert isinstance(info.value, exc), f"expected {exc.__name__}, got {info.value!r}"
    msg = str(info.value)
    for pat in patterns:
        assert re.search(pat, msg), f"message {msg!r} lacks {pat!r}"


def test_the_table_is_large_enough() -> None:
    assert len([r for r in ROWS if _available(r)]) >= 60
    assert len({r[0] for r in ROWS}) == len(ROWS)


# --------------------------------------------------------------------------- never evaluated


@pytest.mark.parametrize(
    "payload",
    [
        "__import__('pathlib').Path({p!r}).touch()",
        "Cosine(steps=10).then(__import__('pathlib').Path({p!r}).touch(), at=5)",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "open({p!r}, 'w')",
        "Cosine(steps=(lambda: open({p!r}, 'w'))())",
        "Cosine(steps=10); open({p!r}, 'w')",
    ],
)
def test_spec_strings_are_never_evaluated_as_code(payload: str, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    with pytest.raises(ValueError):
        _spec(payload.format(p=str(target)))
    assert not target.exists()


# --------------------------------------------------------------------------- no bad lr later


def test_no_scheduler_input_produces_a_bad_learning_rate_later() -> None:
    """Borderline-valid inputs: every lr written stays finite and >= 0 for 500 steps."""
    makers: list[Callable[[torch.optim.Optimizer], Any]] = [
        lambda o: lp.StepLR(o, step_size=1, gamma=0.0),
        lambda o: lp.LinearAnnealingLR(o, T_max=1e-9),
        lambda o: lp.GradualWarmupScheduler(o, 1, 1, after_scheduler=lp.StepLR(o, 1, 0.0)),
        lambda o: lp.ScheduledLR(o, lp.Exponential(gamma=0.0) * lp.Constant(value=0.0)),
        lambda o: lp.ScheduledLR(o, lp.Polynomial(steps=1e-9, power=0.0)),
        lambda o: lp.ScheduledLR(o, lp.Step(step_size=1e-300, gamma=0.5)),
    ]
    for name, kw in (
        ("ConstantLR", {"factor": 1e-300, "total_iters": 3}),
        ("LinearLR", {"start_factor": 1e-300, "end_factor": 0.0, "total_iters": 2}),
        ("PolynomialLR", {"total_iters": 1, "power": 0.0}),
        ("CosineAnnealingLR", {"T_max": 1, "eta_min": 0.0}),
        ("ExponentialLR", {"gamma": 0.0}),
        ("MultiStepLR", {"milestones": [1, 1, 1], "gamma": 0.0}),
    ):
        if hasattr(lp, name):
            makers.append(lambda o, name=name, kw=kw: _get(name)(o, **kw))
    for make in makers:
        opt = opt_(2)
        sched = make(opt)
        for _ in range(500):
            opt.step()
            sched.step()
            for g in opt.param_groups:
                assert math.isfinite(g["lr"]) and g["lr"] >= 0, (sched, g["lr"])
