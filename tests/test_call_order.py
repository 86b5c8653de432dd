"""Call-order warnings that are right: silent after an AMP-skipped step, loud on misuse, once.

* A real ``torch.amp.GradScaler`` (CPU) whose first ``scaler.step(opt)`` is
  skipped because the scaled gradient overflowed: ``scheduler.step()`` after it
  is the correct order and must not warn (torch's own schedulers do warn there,
  a long-standing complaint).
* The classic misuse, stepping the scheduler at the top of each epoch before any
  ``optimizer.step()``, still warns.
* As many warnings as torch gives: one per scheduler whose first ``step()`` comes
  before ``optimizer.step()`` (two schedulers on one optimizer, the children of
  ``SequentialLR`` / ``ChainedScheduler``), compared with torch's own classes.

Every public scheduler in ``sched_cases`` runs through the first two checks.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch

import lrplan as lp
from sched_cases import Case, active_cases, make_model, make_optimizer, metric_at

ORDER = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"
OVERRIDDEN = "has been overridden after learning rate scheduler initialization"

CASES = active_cases()


def _order_warnings(rec: list[warnings.WarningMessage], text: str = ORDER) -> list[str]:
    return [str(w.message) for w in rec if text in str(w.message)]


def _step(sched: Any, case: Case | None, args: dict[str, Any], t: int) -> None:
    metric = case is not None and (case.metric(args) if callable(case.metric) else case.metric)
    if metric and "metrics" in inspect.signature(sched.step).parameters:
        sched.step(metrics=metric_at(t))
    elif metric:
        sched.step(metric_at(t))
    else:
        sched.step()


# Arguments that make the misuse observable: SequentialLR's first milestone at 1 hands
# over to the next child (via its closed form) on the very first step, as in torch.
PREFER: dict[str, Callable[[dict[str, Any]], bool]] = {"SequentialLR": lambda a: a["k"] >= 2}

# torch quirks kept under torch's names (differential check below): no call-order check.
TORCH_SILENT = {"CosineAnnealingWarmRestarts"}


def _minimal(case: Case) -> dict[str, Any]:
    """The simplest arguments of a case (hypothesis' minimal example)."""
    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample

    want = PREFER.get(case.name, lambda a: True)
    try:
        return find(case.args, want, settings=settings(database=None))
    except NoSuchExample:  # pragma: no cover
        raise AssertionError(case.name) from None


def _amp_skipped_step(model: torch.nn.Module, opt: torch.optim.Optimizer) -> torch.amp.GradScaler:
    """One real GradScaler iteration whose optimizer step is skipped (inf gradient)."""
    scaler = torch.amp.GradScaler("cpu")
    opt.zero_grad(set_to_none=True)
    x = torch.ones(2, 3)
    loss = model(x).sum() * 1e38  # finite in float32; scaled by 65536 the grads overflow
    scaler.scale(loss).backward()
    before = [p.detach().clone() for p in model.parameters()]
    scaler.step(opt)
    scaler.update()
    assert not getattr(opt, "_opt_called", False), "the optimizer step was not skipped"
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
    assert scaler.get_scale() < 65536.0  # the scaler saw the inf and backed off
    return scaler


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_warning_when_grad_scaler_skips_the_first_step(case: Case) -> None:
    args = _minimal(case)
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=False, kind=case.kinds[0])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        scheds = case.build(opt, args)
        scaler = _amp_skipped_step(model, opt)
        for s in scheds:
            _step(s, case, args, 1)
        # later iterations run normally
        for t in range(2, 5):
            opt.zero_grad(set_to_none=True)
            scaler.scale(model(torch.ones(2, 3)).sum()).backward()
            scaler.step(opt)
            scaler.update()
            for s in scheds:
                _step(s, case, args, t)
    assert _order_warnings(rec) == []
    assert _order_warnings(rec, OVERRIDDEN) == []


def _misuse(
    scheds: list[Any],
    opt: torch.optim.Optimizer,
    model: torch.nn.Module,
    case: Case | None = None,
    args: dict[str, Any] | None = None,
) -> list[str]:
    """Step the scheduler(s) at the top of each epoch, then the optimizer: the classic mistake."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for epoch in range(1, 4):
            for s in scheds:
                _step(s, case, args or {}, epoch)
            for _ in range(3):
                opt.zero_grad(set_to_none=True)
                model(torch.ones(2, 3)).sum().backward()
                opt.step()
    return _order_warnings(rec)


# Metric-driven classes whose reference never warns about the call order: torch's
# ReduceLROnPlateau skips the base constructor, and transformers' GreedyLR is a plain
# class (test_metric_driven_misuse_is_silent_as_in_the_reference checks both).
_SILENT_METRIC_DRIVEN = ("ReduceLROnPlateau", "GreedyLR")


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.name not in _SILENT_METRIC_DRIVEN],
    ids=[c.name for c in CASES if c.name not in _SILENT_METRIC_DRIVEN],
)
def test_classic_misuse_warns(case: Case) -> None:
    args = _minimal(case)
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=False, kind=case.kinds[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheds = case.build(opt, args)
    warned = _misuse(scheds, opt, model, case, args)
    if case.name in TORCH_SILENT:
        assert warned == []
    else:  # once for each scheduler stepped first before the optimizer, at most
        assert 1 <= len(warned) <= len(scheds) + 2


def test_metric_driven_misuse_is_silent_as_in_the_reference() -> None:
    """scheduler.step(metric) before optimizer.step(): no warning from the reference
    classes, and none from lrplan's."""
    transformers = pytest.importorskip("transformers.optimization")
    pairs = [
        (torch.optim.lr_scheduler.ReduceLROnPlateau, lp.ReduceLROnPlateau),
        (transformers.GreedyLR, lp.GreedyLR),
    ]
    for reference, ours in pairs:
        for cls in (reference, ours):
            model = make_model()
            opt = make_optimizer(model, tensor_lr=False, two_groups=False)
            sched = cls(opt)
            with warnings.catch_warnings(record=True) as rec:
                warnings.simplefilter("always")
                sched.step(1.0)
                model(torch.ones(2, 3)).sum().backward()
                opt.step()
            assert _order_warnings(rec) == [], cls


@pytest.mark.parametrize("name", sorted(TORCH_SILENT))
def test_torch_silent_quirks_match_torch(name: str) -> None:
    """Where lrplan keeps torch's silence on misuse, torch really is silent too."""
    counts = []
    for module in (torch.optim.lr_scheduler, lp):
        model = make_model()
        opt = make_optimizer(model, tensor_lr=False, two_groups=False)
        sched = getattr(module, name)(opt, 3)
        counts.append(len(_misuse([sched], opt, model)))
    assert counts == [0, 0]


def _two_on_one(L: Any, o: torch.optim.Optimizer) -> list[Any]:
    return [L.StepLR(o, 2), L.ExponentialLR(o, 0.9)]


def _sequential(L: Any, o: torch.optim.Optimizer) -> list[Any]:
    return [
        L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.5, total_iters=2), L.StepLR(o, 2)], milestones=[2]
        )
    ]


def _chained(L: Any, o: torch.optim.Optimizer) -> list[Any]:
    return [L.ChainedScheduler([L.StepLR(o, 2), L.ExponentialLR(o, 0.9)])]


def _three(L: Any, o: torch.optim.Optimizer) -> list[Any]:
    return [L.StepLR(o, 2), L.ExponentialLR(o, 0.9), L.CosineAnnealingLR(o, 9)]


TORCH_GROUPS: dict[str, Callable[[Any, torch.optim.Optimizer], list[Any]]] = {
    "two schedulers, one optimizer": _two_on_one,
    "three schedulers, one optimizer": _three,
    "SequentialLR children": _sequential,
    "ChainedScheduler children": _chained,
}


@pytest.mark.parametrize("make", list(TORCH_GROUPS.values()), ids=list(TORCH_GROUPS))
def test_misuse_warns_as_often_as_torch(
    make: Callable[[Any, torch.optim.Optimizer], list[Any]],
) -> None:
    counts = []
    for library in (torch.optim.lr_scheduler, lp):
        model = make_model()
        opt = make_optimizer(model, tensor_lr=False, two_groups=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheds = make(library, opt)
        counts.append(len(_misuse(scheds, opt, model)))
    assert counts[0] >= 1 and counts[1] == counts[0]


def _momentum_too(o: torch.optim.Optimizer) -> list[Any]:
    return [
        lp.StepLR(o, 2),
        lp.ScheduledLR(o, lp.Linear(steps=5, start=0.95, end=0.9), key="momentum"),
    ]


def _warmup_torch(o: torch.optim.Optimizer) -> list[Any]:
    return [lp.Warmup(torch.optim.lr_scheduler.ExponentialLR(o, 0.9), steps=2)]


def _gws(o: torch.optim.Optimizer) -> list[Any]:
    return [lp.GradualWarmupScheduler(o, 2, 2, after_scheduler=lp.CosineAnnealingLR(o, 5))]


GROUPS: dict[str, Callable[[torch.optim.Optimizer], list[Any]]] = {
    **{name: functools.partial(make, lp) for name, make in TORCH_GROUPS.items()},
    "lr and momentum schedulers": _momentum_too,
    "Warmup around torch's ExponentialLR": _warmup_torch,
    "GradualWarmupScheduler + after_scheduler": _gws,
}


@pytest.mark.parametrize("make", list(GROUPS.values()), ids=list(GROUPS))
def test_composites_stay_silent_after_an_amp_skip(
    make: Callable[[torch.optim.Optimizer], list[Any]],
) -> None:
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        scheds = make(opt)
        _amp_skipped_step(model, opt)
        for s in scheds:
            s.step()
    assert _order_warnings(rec) == []


def test_overridden_optimizer_step_warns_once_per_scheduler() -> None:
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=False)
    scheds = [lp.StepLR(opt, 2), lp.ScheduledLR(opt, lp.Cosine(steps=9))]
    plain = type(opt).step
    opt.step = plain.__get__(opt)  # type: ignore[method-assign]  # replaced after init
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        for _ in range(3):
            model(torch.ones(2, 3)).sum().backward()
            opt.step()
            for s in scheds:
                s.step()
    assert len(_order_warnings(rec, OVERRIDDEN)) == len(scheds)  # as torch: once each
    assert _order_warnings(rec) == []


def test_correct_order_never_warns() -> None:
    model = make_model()
    opt = make_optimizer(model, tensor_lr=False, two_groups=False)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        scheds = _momentum_too(opt)
        for _ in range(5):
            model(torch.ones(2, 3)).sum().backward()
            opt.step()
            for s in scheds:
                s.step()
    assert _order_warnings(rec) == [] and _order_warnings(rec, OVERRIDDEN) == []
