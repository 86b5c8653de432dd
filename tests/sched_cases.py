"""Shared, table-driven cases for the resume, checkpoint, DCP and fuzz tests.

Two tables live here:

* :data:`SCHEDULER_CASES`: every public lrplan scheduler and wrapper, each with a
  hypothesis strategy for its arguments and a builder that constructs it on an
  optimizer. Entries for classes that have not landed yet (torch-named drop-ins
  arriving in other issues) are declared with torch's signatures and switch on as
  soon as ``lrplan`` exports the name.
* :func:`schedules`: a hypothesis strategy that builds random pure schedules by
  walking ``SPEC_NAMES`` generically (signature + type hints), so every shape or
  combinator registered later is fuzzed without editing this file.

This module is a helper, not a test file (pytest does not collect it).
"""

from __future__ import annotations

import collections
import dataclasses
import inspect
import math
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES, Schedule

# --------------------------------------------------------------------------- optimizers


def make_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))


def make_optimizer(
    model: torch.nn.Module, *, tensor_lr: bool, two_groups: bool, kind: str = "sgd"
) -> torch.optim.Optimizer:
    """SGD (momentum) or Adam over ``model``; tensor lrs when asked; one or two groups."""

    def lr(x: float) -> Any:
        return torch.tensor(x) if tensor_lr else x

    first, second = model[0], model[2]  # type: ignore[index]
    params: Any
    if two_groups:
        params = [
            {"params": list(first.parameters())},
            {"params": list(second.parameters()), "lr": lr(0.03)},
        ]
    else:
        params = list(model.parameters())
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr(0.01), foreach=False)
    return torch.optim.SGD(params, lr=lr(0.1), momentum=0.9, foreach=False)


def train_step(model: torch.nn.Module, opt: torch.optim.Optimizer, t: int) -> None:
    """One deterministic optimizer step on batch ``t``."""
    g = torch.Generator().manual_seed(1000 + t)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, 1, generator=g)
    opt.zero_grad(set_to_none=True)
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()


def backbone_and_head() -> tuple[list[torch.nn.Parameter], list[torch.nn.Parameter]]:
    """Two small parameter lists (seeded), for optimizers with two param groups."""
    torch.manual_seed(0)
    backbone = [torch.nn.Parameter(torch.randn(4, 3)), torch.nn.Parameter(torch.randn(4))]
    head = [torch.nn.Parameter(torch.randn(2, 4))]
    return backbone, head


def unit_grad_step(opt: torch.optim.Optimizer) -> None:
    """``opt.step()`` with every gradient set to ones."""
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = torch.ones_like(p)
    opt.step()


def metric_at(t: int) -> float:
    """A deterministic, noisy validation metric for metric-driven schedulers."""
    return 1.0 / (1 + t) + 0.05 * ((t * 7919) % 5)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Bitwise equality (NaN payloads included), unlike ``torch.equal``."""
    x, y = a.detach().contiguous(), b.detach().contiguous()
    return x.dtype == y.dtype and x.shape == y.shape and x.numpy().tobytes() == y.numpy().tobytes()


def group_values(opt: torch.optim.Optimizer, key: str = "lr") -> list[float]:
    out = []
    for g in opt.param_groups:
        v = g["betas"][int(key[-2])] if key.startswith("betas[") else g[key]
        out.append(float(v.item()) if isinstance(v, torch.Tensor) else float(v))
    return out


# --------------------------------------------------------------------------- pure schedules

NICE_REALS = st.one_of(
    st.sampled_from([0, 1, 2, 3, 5, 10, 0.5, 0.1, 0.9, 0.99, 1.5, 0.25, 100]),
    st.integers(1, 60),
    st.floats(0.0, 50.0, allow_nan=False),
)
WILD_REALS = st.one_of(
    NICE_REALS,
    st.floats(),  # NaN, inf, negative, huge
    st.integers(-(10**12), 10**12),
    st.sampled_from([-1, -0.5, 0, math.nan, math.inf, -math.inf, 1e308, 5e-324]),
)
WORDS = [
    "hold",
    "restart",
    "raise",
    "linear",
    "cosine",
    "cos",
    "triangular",
    "triangular2",
    "exp_range",
    "1-sqrt",
    "sqrt",
    "exp",
    "min",
    "max",
    "rel",
    "abs",
    "exponential",
    "step",
]


def _is_schedule_hint(h: Any) -> bool:
    return isinstance(h, type) and issubclass(h, Schedule)


def _strategy_for(
    name: str, hint: Any, wild: bool, sub: st.SearchStrategy[Schedule]
) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    reals = WILD_REALS if wild else NICE_REALS
    if hint is bool:
        return st.booleans() | (st.sampled_from([0, "yes"]) if wild else st.nothing())
    if hint is int:
        return st.integers(-5, 10**9) if wild else st.integers(1, 60)
    if hint is float:
        return reals
    if hint is str:
        return st.sampled_from(WORDS) | (st.text(max_size=4) if wild else st.nothing())
    if _is_schedule_hint(hint):
        return sub
    if origin is typing.Literal:
        return st.sampled_from(args) | (st.text(max_size=4) if wild else st.nothing())
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[_strategy_for(name, a, wild, sub) for a in args])
    if hint is type(None):
        return st.none()
    if origin in (tuple, list, Iterable) or (
        isinstance(origin, type) and issubclass(origin, Iterable)
    ):
        inner = args[0] if args else float
        if _is_schedule_hint(inner):
            return st.lists(sub, min_size=0 if wild else 1, max_size=3).map(tuple)
        elems = _strategy_for(name, inner, wild, sub)
        lists = st.lists(elems, min_size=0, max_size=4)
        if not wild:
            lists = lists.map(sorted)
        return lists.map(tuple)
    # typing.Any, object, and types this walker does not know: numbers.
    return reals


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    target = fn.__init__ if isinstance(fn, type) else fn  # type: ignore[misc]
    return typing.get_type_hints(target)


def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(fn)


@st.composite
def _call(
    draw: st.DrawFn, name: str, fn: Callable[..., Any], wild: bool, sub: st.SearchStrategy[Any]
) -> tuple[str, dict[str, Any]]:
    """Draw arguments for ``fn`` (required ones always, optional ones sometimes)."""
    hints = _hints(fn)
    kwargs: dict[str, Any] = {}
    for p in _signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is inspect.Parameter.empty
        if not required and not draw(st.booleans()):
            continue
        kwargs[p.name] = draw(_strategy_for(p.name, hints.get(p.name, float), wild, sub))
    if name == "Join" and not wild and "schedules" in kwargs:
        # A Join needs len(schedules) - 1 strictly increasing boundaries.
        n = len(kwargs["schedules"])
        kwargs["boundaries"] = tuple(
            sorted(draw(st.sets(st.integers(1, 60), min_size=n - 1, max_size=n - 1)))
        )
    return name, kwargs


def build(name: str, kwargs: dict[str, Any]) -> Schedule:
    fn = SPEC_NAMES[name]
    params = _signature(fn).parameters
    pos = [
        kwargs[n] for n, p in params.items() if p.kind == p.POSITIONAL_OR_KEYWORD and n in kwargs
    ]
    kw = {
        n: v for n, v in kwargs.items() if params[n].kind != inspect.Parameter.POSITIONAL_OR_KEYWORD
    }
    out = fn(*pos, **kw)
    assert isinstance(out, Schedule), f"{name} returned {type(out).__name__}"
    return out


FALLBACK = lp.Linear(steps=10, start=1.0, end=0.1)


def _makes_schedule(fn: Callable[..., Any]) -> bool:
    if isinstance(fn, type):
        return issubclass(fn, Schedule)
    ret = _hints(fn).get("return")
    return isinstance(ret, type) and issubclass(ret, Schedule)


def _spec_names() -> list[str]:
    """SPEC_NAMES entries that construct schedules (not durations or other helpers)."""
    return [n for n, fn in SPEC_NAMES.items() if _makes_schedule(fn)]


def _leaf_names() -> list[str]:
    out = []
    for name in _spec_names():
        fn = SPEC_NAMES[name]
        hints = _hints(fn)
        if not any("Schedule" in repr(h) for h in hints.values() if h is not None):
            out.append(name)
    return sorted(out)


def _combinator_names() -> list[str]:
    return sorted(set(_spec_names()) - set(_leaf_names()))


def calls(
    wild: bool, max_leaves: int = 6, tame: bool = True
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """Random schedule trees over SPEC_NAMES (invalid draws fall back to a known-valid one).

    ``wild`` draws any numbers (NaN, inf, negatives, huge) and strings; ``tame``
    replaces schedules that grow past 1e3 within 200 steps by the fallback.
    """

    def extend(children: st.SearchStrategy[Schedule]) -> st.SearchStrategy[Schedule]:
        return st.one_of(
            *[
                _call(n, SPEC_NAMES[n], wild, children).map(_try_build(tame))
                for n in _combinator_names()
            ]
        )

    leaves = st.one_of(
        *[_call(n, SPEC_NAMES[n], wild, st.nothing()).map(_try_build(tame)) for n in _leaf_names()]
    )
    return st.recursive(leaves, extend, max_leaves=max_leaves)  # type: ignore[return-value]


def _try_build(tame: bool) -> Callable[[tuple[str, dict[str, Any]]], Any]:
    def go(call: tuple[str, dict[str, Any]]) -> Any:
        try:
            s = build(*call)
            s(0)  # unbound durations (epochs, fractions) must be bound to a run first
            # Keep training sane in the resume tests: no lr growing past float32's range
            # (the fuzz tests cover such schedules on their own).
            if tame:
                with np.errstate(all="ignore"):
                    peak = float(np.max(s.values(np.arange(0.0, 201.0))))
                if not peak <= 1e3:
                    return FALLBACK
            return s
        except (ValueError, TypeError):
            return FALLBACK

    return go


def schedules(max_leaves: int = 6, tame: bool = True) -> st.SearchStrategy[Schedule]:
    """Random *valid* pure schedules with modest parameters (invalid draws fall back)."""
    return calls(wild=False, max_leaves=max_leaves, tame=tame)  # type: ignore[return-value]


def schedule_names() -> list[str]:
    """SPEC_NAMES entries that build schedules."""
    return _spec_names()


def draw_call(name: str, wild: bool, sub: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Arguments for one constructor call (``(name, kwargs)``)."""
    return _call(name, SPEC_NAMES[name], wild, sub)


# --------------------------------------------------------------------------- schedulers


@dataclasses.dataclass
class Case:
    """One public scheduler class: how to draw its arguments and build it.

    ``build(opt, args)`` returns the list of schedulers stepped together (the last
    one is the "top" that the user would save; all are saved). ``metric`` says
    whether ``step`` takes a metric.
    """

    name: str
    args: st.SearchStrategy[dict[str, Any]]
    build: Callable[[torch.optim.Optimizer, dict[str, Any]], list[Any]]
    metric: bool | Callable[[dict[str, Any]], bool] = False
    kinds: tuple[str, ...] = ("sgd",)
    needs: tuple[str, ...] = ()  # lrplan names that must exist
    #: called as hook(schedulers, t, args) before the schedulers step to time t
    hook: Callable[[list[Any], int, dict[str, Any]], None] | None = None
    #: whether the state's key paths and list lengths stay those of construction
    #: (what an in-place DCP load needs); GreedyLR's smoothing window grows, as in
    #: transformers, whose state layout it keeps.
    fixed_state_shape: bool | Callable[[dict[str, Any]], bool] = True

    def __repr__(self) -> str:
        return f"Case({self.name!r})"


class LambdaObj:
    """A callable object whose plain attributes LambdaLR saves (torch's behaviour)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.calls = 0

    def __call__(self, epoch: int) -> float:
        return float(self.rate**epoch)


def _lambda_fn(epoch: int) -> float:
    return 1.0 / (1.0 + 0.1 * epoch)


def _dict(**kw: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(kw)


POS_INT = st.integers(1, 12)
GAMMA = st.sampled_from([0.1, 0.5, 0.9, 0.97, 1.0])


def _after(opt: torch.optim.Optimizer, a: dict[str, Any]) -> Any:
    kind = a["after"]
    if kind == "none":
        return None
    if kind == "step":
        return lp.StepLR(opt, step_size=a["step_size"], gamma=a["gamma"])
    if kind == "anneal":
        return lp.LinearAnnealingLR(opt, T_max=a["T"], eta_min=0.001)
    if kind == "scheduled":
        return lp.ScheduledLR(opt, a["schedule"])
    if kind == "cosine_wr":
        return lp.CosineAnnealingWarmRestarts(opt, T_0=a["T"], T_mult=2)  # type: ignore[attr-defined]
    if kind == "plateau":
        return lp.ReduceLROnPlateau(opt, patience=1, factor=0.5)  # type: ignore[attr-defined]
    raise AssertionError(kind)


_AFTER_KINDS = ["none", "step", "anneal", "scheduled"] + [
    k
    for k, n in (("cosine_wr", "CosineAnnealingWarmRestarts"), ("plateau", "ReduceLROnPlateau"))
    if hasattr(lp, n)
]


def _get(name: str) -> Any:
    return getattr(lp, name)


SCHEDULER_CASES: list[Case] = [
    Case(
        "ScheduledLR",
        _dict(schedule=schedules()),
        lambda o, a: [lp.ScheduledLR(o, a["schedule"])],
        kinds=("sgd", "adam"),
    ),
    Case(
        "ScheduledLR[momentum]",
        _dict(
            lr=schedules(4),
            start=st.sampled_from([0.95, 0.9]),
            end=st.sampled_from([0.85, 0.5]),
            steps=POS_INT,
        ),
        lambda o, a: [
            lp.ScheduledLR(o, a["lr"]),
            lp.ScheduledLR(
                o, lp.Linear(steps=a["steps"], start=a["start"], end=a["end"]), key="momentum"
            ),
        ],
    ),
    Case(
        "ScheduledLR[betas[0]]",
        _dict(steps=POS_INT),
        lambda o, a: [
            lp.ScheduledLR(
                o,
                lp.Cosine(steps=a["steps"], start=0.95, end=0.85, after="restart"),
                key="betas[0]",
            )
        ],
        kinds=("adam",),
    ),
    Case(
        "StepLR",
        _dict(step_size=POS_INT, gamma=GAMMA),
        lambda o, a: [lp.StepLR(o, step_size=a["step_size"], gamma=a["gamma"])],
    ),
    Case(
        "StepLR+ScheduledLR (chained)",
        _dict(step_size=POS_INT, gamma=GAMMA, schedule=schedules(3)),
        lambda o, a: [
            lp.StepLR(o, step_size=a["step_size"], gamma=a["gamma"]),
            lp.ScheduledLR(o, lp.Cosine(steps=7, end=0.2, after="restart")),
        ],
    ),
    Case(
        "LambdaLR",
        _dict(rate=st.sampled_from([0.9, 0.95, 1.0]), obj=st.booleans()),
        lambda o, a: [lp.LambdaLR(o, LambdaObj(a["rate"]) if a["obj"] else _lambda_fn)],
    ),
    Case(
        "LinearAnnealingLR",
        _dict(T_max=POS_INT, eta_min=st.sampled_from([0.0, 0.001, 0.01])),
        lambda o, a: [lp.LinearAnnealingLR(o, T_max=a["T_max"], eta_min=a["eta_min"])],
    ),
    Case(
        "GradualWarmupScheduler",
        _dict(
            multiplier=st.sampled_from([1, 1.0, 2, 4.5, 8]),
            total_epoch=st.integers(1, 8),
            after=st.sampled_from(_AFTER_KINDS),
            step_size=POS_INT,
            gamma=GAMMA,
            T=POS_INT,
            schedule=schedules(3),
        ),
        lambda o, a: [
            lp.GradualWarmupScheduler(
                o, a["multiplier"], a["total_epoch"], after_scheduler=_after(o, a)
            )
        ],
        metric=True,
    ),
]

# Torch-named drop-ins: torch's signatures; active once lrplan exports the name.
_TORCH_NAMED: list[Case] = [
    Case(
        "MultiplicativeLR",
        _dict(rate=st.sampled_from([0.9, 0.95, 1.0])),
        lambda o, a: [_get("MultiplicativeLR")(o, LambdaObj(a["rate"]))],
    ),
    Case(
        "MultiStepLR",
        _dict(ms=st.lists(st.integers(1, 30), min_size=1, max_size=4).map(sorted), gamma=GAMMA),
        lambda o, a: [_get("MultiStepLR")(o, milestones=a["ms"], gamma=a["gamma"])],
    ),
    Case(
        "ConstantLR",
        _dict(factor=st.sampled_from([0.1, 0.5, 1.0]), total_iters=POS_INT),
        lambda o, a: [_get("ConstantLR")(o, factor=a["factor"], total_iters=a["total_iters"])],
    ),
    Case(
        "LinearLR",
        _dict(
            start=st.sampled_from([0.01, 0.1, 1.0]),
            end=st.sampled_from([0.0, 0.5, 1.0]),
            total_iters=POS_INT,
        ),
        lambda o, a: [
            _get("LinearLR")(
                o, start_factor=a["start"], end_factor=a["end"], total_iters=a["total_iters"]
            )
        ],
    ),
    Case(
        "ExponentialLR",
        _dict(gamma=GAMMA),
        lambda o, a: [_get("ExponentialLR")(o, gamma=a["gamma"])],
    ),
    Case(
        "PolynomialLR",
        _dict(total_iters=POS_INT, power=st.sampled_from([0.5, 1.0, 2.0])),
        lambda o, a: [_get("PolynomialLR")(o, total_iters=a["total_iters"], power=a["power"])],
    ),
    Case(
        "CosineAnnealingLR",
        _dict(T_max=POS_INT, eta_min=st.sampled_from([0.0, 0.001])),
        lambda o, a: [_get("CosineAnnealingLR")(o, T_max=a["T_max"], eta_min=a["eta_min"])],
    ),
    Case(
        "CosineAnnealingWarmRestarts",
        _dict(T_0=POS_INT, T_mult=st.sampled_from([1, 2, 3]), eta_min=st.sampled_from([0.0, 1e-3])),
        lambda o, a: [
            _get("CosineAnnealingWarmRestarts")(
                o, T_0=a["T_0"], T_mult=a["T_mult"], eta_min=a["eta_min"]
            )
        ],
    ),
    Case(
        "CyclicLR",
        _dict(
            mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
            up=st.integers(1, 6),
            down=st.one_of(st.none(), st.integers(1, 6)),
        ),
        lambda o, a: [
            _get("CyclicLR")(
                o,
                base_lr=0.01,
                max_lr=0.1,
                step_size_up=a["up"],
                step_size_down=a["down"],
                mode=a["mode"],
                gamma=0.99,
            )
        ],
    ),
    Case(
        "OneCycleLR",
        _dict(
            three_phase=st.booleans(),
            anneal=st.sampled_from(["cos", "linear"]),
            pct=st.sampled_from([0.2, 0.3, 0.5]),
        ),
        lambda o, a: [
            _get("OneCycleLR")(
                o,
                max_lr=0.2,
                total_steps=200,
                pct_start=a["pct"],
                anneal_strategy=a["anneal"],
                three_phase=a["three_phase"],
            )
        ],
    ),
    Case(
        "ReduceLROnPlateau",
        _dict(
            patience=st.integers(0, 3),
            factor=st.sampled_from([0.1, 0.5]),
            cooldown=st.integers(0, 2),
        ),
        lambda o, a: [
            _get("ReduceLROnPlateau")(
                o, patience=a["patience"], factor=a["factor"], cooldown=a["cooldown"]
            )
        ],
        metric=True,
    ),
    Case(
        "GreedyLR",
        _dict(
            patience=st.integers(0, 3),
            factor=st.sampled_from([0.5, 0.95]),
            cooldown=st.integers(0, 2),
            smooth=st.booleans(),
        ),
        lambda o, a: [
            _get("GreedyLR")(
                o,
                patience=a["patience"],
                factor=a["factor"],
                cooldown=a["cooldown"],
                smooth=a["smooth"],
                window_size=3,
                min_lr=1e-4,
            )
        ],
        metric=True,
        needs=("GreedyLR",),
        fixed_state_shape=lambda a: not a["smooth"],
    ),
    Case(
        "SequentialLR",
        _dict(k=st.integers(1, 10), T=POS_INT),
        lambda o, a: [
            _get("SequentialLR")(
                o,
                [
                    _get("LinearLR")(o, start_factor=0.1, total_iters=a["k"]),
                    _get("CosineAnnealingLR")(o, T_max=a["T"]),
                ],
                milestones=[a["k"]],
            )
        ],
        needs=("LinearLR", "CosineAnnealingLR"),
    ),
    Case(
        "ChainedScheduler",
        _dict(step_size=POS_INT, gamma=GAMMA),
        lambda o, a: [
            _get("ChainedScheduler")(
                [
                    lp.StepLR(o, step_size=a["step_size"], gamma=a["gamma"]),
                    _get("ExponentialLR")(o, gamma=0.99),
                ]
            )
        ],
        needs=("ExponentialLR",),
    ),
]


def _hf_kwargs(name: str) -> dict[str, Any] | None:
    if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        return {"min_lr_rate": 0.1}
    if name == "warmup_stable_decay":
        return {"num_decay_steps": 3, "min_lr_ratio": 0.05}
    if name == "cosine_with_restarts":
        return {"num_cycles": 3}
    return None


def _wsd_hook(scheds: list[Any], t: int, a: dict[str, Any]) -> None:
    if t == a["decay_at"] and t - 1 >= a["warmup"]:
        scheds[0].begin_decay(a["decay_steps"])


def _wrapped(o: torch.optim.Optimizer, kind: str) -> Any:
    if kind == "step":
        return lp.StepLR(o, step_size=3, gamma=0.5)
    if kind == "cosine":
        return _get("CosineAnnealingLR")(o, T_max=9, eta_min=0.001)
    if kind == "onecycle":
        return _get("OneCycleLR")(o, max_lr=0.3, total_steps=100)
    if kind == "plateau":
        return _get("ReduceLROnPlateau")(o, patience=1, factor=0.5)
    if kind == "torch_exp":
        return torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)
    raise AssertionError(kind)


_LATER: list[Case] = [
    Case(
        "HFScheduledLR",
        _dict(
            name=st.sampled_from(
                [
                    n
                    for n in getattr(lp, "HF_SCHEDULER_NAMES", ())
                    if n not in ("reduce_lr_on_plateau", "greedy")  # metric-driven: own cases
                ]
                or ["linear"]
            ),
            warm=st.integers(0, 6),
            total=st.integers(10, 30),  # >= warm + num_decay_steps
        ),
        lambda o, a: [
            _get("get_scheduler")(
                a["name"],
                o,
                num_warmup_steps=a["warm"],
                num_training_steps=a["total"],
                scheduler_specific_kwargs=_hf_kwargs(a["name"]),
            )
        ],
        needs=("get_scheduler",),
    ),
    Case(
        "MultiScheduledLR",
        _dict(lr=schedules(3), steps=POS_INT),
        lambda o, a: [
            _get("schedule_many")(
                o,
                {
                    "lr": a["lr"],
                    "momentum": lp.Linear(steps=a["steps"], start=0.95, end=0.85),
                    "weight_decay": lp.Cosine(steps=a["steps"], after="restart"),
                },
            )
        ],
        needs=("schedule_many",),
    ),
    Case(
        "WSDScheduler",
        _dict(
            warmup=st.integers(0, 6),
            decay_at=st.integers(0, 25),
            decay_steps=st.integers(1, 10),
            shape=st.sampled_from(["linear", "cosine", "1-sqrt"]),
            min_ratio=st.sampled_from([0.0, 0.1]),
        ),
        lambda o, a: [
            _get("WSDScheduler")(
                o, warmup=a["warmup"], decay_shape=a["shape"], min_ratio=a["min_ratio"]
            )
        ],
        hook=_wsd_hook,
    ),
    Case(
        "Warmup",
        _dict(
            steps=st.integers(1, 8),
            start=st.sampled_from([0.0, 0.1]),
            shape=st.sampled_from(["linear", "cosine"]),
            inner=st.sampled_from(["step", "cosine", "onecycle", "plateau", "torch_exp"]),
        ),
        lambda o, a: [
            _get("Warmup")(
                _wrapped(o, a["inner"]), steps=a["steps"], start=a["start"], shape=a["shape"]
            )
        ],
        metric=lambda a: a["inner"] == "plateau",
        needs=("CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau"),
    ),
    Case(
        "CosineLRScheduler",
        _dict(
            t_initial=st.integers(2, 12),  # t_initial=1 with no decay: timm warns "no effect"
            cycle_mul=st.sampled_from([1.0, 2.0]),
            cycle_decay=st.sampled_from([1.0, 0.5]),
            cycle_limit=st.integers(1, 4),
            warmup_t=st.integers(0, 5),
            noise=st.sampled_from([None, 3, (2, 12)]),
            k_decay=st.sampled_from([1.0, 2.0]),
        ),
        lambda o, a: [
            _timm().CosineLRScheduler(
                o,
                t_initial=a["t_initial"],
                lr_min=1e-4,
                cycle_mul=a["cycle_mul"],
                cycle_decay=a["cycle_decay"],
                cycle_limit=a["cycle_limit"],
                warmup_t=a["warmup_t"],
                warmup_lr_init=1e-3,
                noise_range_t=a["noise"],
                k_decay=a["k_decay"],
            )
        ],
        needs=("timm",),
    ),
]


def _timm() -> Any:
    import lrplan.timm

    return lrplan.timm


def active_cases() -> list[Case]:
    """The cases whose classes exist in this checkout of lrplan."""
    out = []
    for c in [*SCHEDULER_CASES, *_TORCH_NAMED, *_LATER]:
        base = c.name.split("[")[0].split("+")[0].split(" ")[0]
        if c in _LATER:
            base = c.needs[0] if c.needs else base
        if all(_exists(n) for n in (base, *c.needs)):
            out.append(c)
    return out


def _exists(name: str) -> bool:
    if hasattr(lp, name):
        return True
    try:
        __import__(f"lrplan.{name}")
    except ImportError:
        return False
    return True


def covered_names() -> set[str]:
    return {c.name.split("[")[0].split("+")[0].split(" ")[0] for c in active_cases()}


def public_scheduler_names() -> set[str]:
    """Every public lrplan class that is a scheduler (torch's protocol or ReduceLROnPlateau)."""
    out = set()
    for name in lp.__all__:
        obj = getattr(lp, name)
        if not isinstance(obj, type) or obj in (lp.LRScheduler, lp._LRScheduler):  # bases
            continue
        protocol = issubclass(obj, torch.optim.lr_scheduler.LRScheduler)
        duck = hasattr(obj, "step") and hasattr(obj, "load_state_dict")
        if (protocol or duck) and not issubclass(obj, Schedule):
            out.add(name)
    return out


def is_plain(obj: Any, path: str = "state") -> list[str]:
    """Paths in ``obj`` that are not plain data (numbers, str, bool, None, list, dict).

    Tensors are allowed (``weights_only`` loads them): ``base_lrs`` holds tensors when
    the user's lrs are tensors. So is a ``collections.Counter`` of ints (``weights_only``
    loads it too): torch's ``MultiStepLR`` saves its milestones as one.
    """
    if obj is None or type(obj) in (bool, int, float, str) or type(obj) is torch.Tensor:
        return []
    if type(obj) is collections.Counter and all(
        type(k) is int and type(v) is int for k, v in obj.items()
    ):
        return []
    if type(obj) is dict:
        bad = [f"{path}.{k!r} (key type {type(k).__name__})" for k in obj if type(k) is not str]
        return bad + [p for k, v in obj.items() for p in is_plain(v, f"{path}.{k}")]
    if type(obj) is list:
        return [p for i, v in enumerate(obj) for p in is_plain(v, f"{path}[{i}]")]
    return [f"{path}: {type(obj).__module__}.{type(obj).__name__}"]


def deep_equal(a: Any, b: Any) -> bool:
    """``==`` for nested plain data that may hold tensors (compared bitwise)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and same_bits(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def key_paths(obj: Any, path: str = "") -> set[str]:
    """Every dict key path in ``obj`` (list lengths count as part of the shape)."""
    out: set[str] = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f"{path}.{k}"
            out.add(p)
            out |= key_paths(v, p)
    elif isinstance(obj, list):
        out.add(f"{path}[len={len(obj)}]")
        for i, v in enumerate(obj):
            out |= key_paths(v, f"{path}[{i}]")
    return out
