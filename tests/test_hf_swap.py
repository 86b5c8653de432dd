"""lrplan.transformers as a drop-in for transformers.optimization's scheduler API.

Against the installed transformers (the oracle): the same names and signatures; a
real snippet written for transformers runs unchanged with the import swapped; every
``get_*`` function gives the same lr at every step, through and past the run, for
random arguments and for a resumed ``last_epoch``; and checkpoints move between the
two libraries in both directions and resume with the same lrs.
"""

from __future__ import annotations

import ast
import inspect
import math
import runpy
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan as lp
import lrplan.transformers as lpt

transformers = pytest.importorskip("transformers")
import transformers.optimization as hfo  # noqa: E402

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

#: The public functions of transformers.optimization's scheduler API.
FUNCTIONS = [n for n in lpt.__all__ if n.startswith("get_")]


def _opt(lrs: tuple[float, ...] = (0.1, 0.02)) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def _close(a: list[float], b: list[float]) -> bool:
    return all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-15) for x, y in zip(a, b, strict=True))


# --------------------------------------------------------------------------- names


def test_the_twelve_names_are_transformers_scheduler_types() -> None:
    from transformers.trainer_utils import SchedulerType as HFSchedulerType

    ours = [(m.name, m.value) for m in lp.SchedulerType]
    assert ours == [(m.name, m.value) for m in HFSchedulerType]
    assert len(ours) == 12 and "greedy" in lp.HF_SCHEDULER_NAMES
    assert tuple(m.value for m in HFSchedulerType) == lp.HF_SCHEDULER_NAMES
    assert isinstance(lp.SchedulerType.COSINE, str) and lp.SchedulerType.COSINE == "cosine"
    assert lp.SchedulerType("greedy") is lp.SchedulerType.GREEDY
    with pytest.raises(ValueError, match="not a valid SchedulerType"):
        lp.SchedulerType("cosinus")


def test_every_function_of_the_scheduler_api_is_here_with_transformers_signature() -> None:
    """Parameter names, order, kinds and defaults equal transformers' (annotations aside)."""
    hf_functions = {f.__name__ for f in hfo.TYPE_TO_SCHEDULER_FUNCTION.values()} | {"get_scheduler"}
    assert set(FUNCTIONS) == hf_functions
    for name in [*FUNCTIONS, "GreedyLR"]:
        ours = inspect.signature(getattr(lpt, name)).parameters.values()
        theirs = inspect.signature(getattr(hfo, name)).parameters.values()
        assert [(p.name, p.kind, p.default) for p in ours] == [
            (p.name, p.kind, p.default) for p in theirs
        ], name


def test_type_to_scheduler_function_maps_like_transformers() -> None:
    assert {k.value: f.__name__ for k, f in lpt.TYPE_TO_SCHEDULER_FUNCTION.items()} == {
        k.value: f.__name__ for k, f in hfo.TYPE_TO_SCHEDULER_FUNCTION.items()
    }


def test_the_api_is_exported_from_lrplan_and_imports_no_transformers() -> None:
    for name in lpt.__all__:
        assert getattr(lp, name) is getattr(lpt, name), name
        assert name in lp.__all__
    assert "transformers" in lp.__all__ and lp.transformers is lpt
    # Neither module imports transformers (an optional oracle, not a dependency).
    for module in (lpt, lp._hf, lp._schedules._hf):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        imported = {
            a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
        }
        imported |= {
            node.module or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0
        }
        assert not any(m.split(".")[0] == "transformers" for m in imported), module


def test_what_each_function_returns() -> None:
    """Closed-form names: an HFScheduledLR, a torch LRScheduler but not a LambdaLR
    (its multiplier is a pure schedule, not a lambda); the metric-driven ones: lrplan's
    ReduceLROnPlateau and GreedyLR."""
    s = lpt.get_linear_schedule_with_warmup(_opt(), 2, 10)
    assert isinstance(s, lp.HFScheduledLR)
    assert isinstance(s, torch.optim.lr_scheduler.LRScheduler)
    assert not isinstance(s, torch.optim.lr_scheduler.LambdaLR)
    assert s.schedules[0] == lp.hf_schedule("linear", num_warmup_steps=2, num_training_steps=10)
    plateau = lpt.get_reduce_on_plateau_schedule(_opt(), patience=3)
    assert isinstance(plateau, torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert isinstance(lpt.get_greedy_schedule(_opt()), lp.GreedyLR)


# --------------------------------------------------------------------------- the import swap

SNIPPET = """
import torch
from transformers.optimization import (
    SchedulerType,
    get_cosine_schedule_with_warmup,
    get_scheduler,
    get_wsd_schedule,
)


def train(make_scheduler, steps):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    scheduler = make_scheduler(optimizer)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    lrs = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs, [p.detach().clone() for p in model.parameters()]


RESULTS = [
    train(lambda opt: get_cosine_schedule_with_warmup(opt, num_warmup_steps=5,
                                                      num_training_steps=40), 45),
    train(lambda opt: get_wsd_schedule(opt, 3, num_decay_steps=10, num_training_steps=30,
                                       decay_type="1-sqrt", min_lr_ratio=0.1), 35),
    train(lambda opt: get_scheduler(SchedulerType.COSINE_WITH_MIN_LR, opt,
                                    num_warmup_steps=4, num_training_steps=30,
                                    scheduler_specific_kwargs={"min_lr_rate": 0.1}), 30),
    train(lambda opt: get_scheduler("linear", opt, 2, 20), 25),
]
"""


def test_a_transformers_snippet_runs_unchanged_with_the_import_swapped(tmp_path: Path) -> None:
    original = tmp_path / "with_transformers.py"
    original.write_text(SNIPPET)
    swapped = tmp_path / "with_lrplan.py"
    swapped.write_text(
        SNIPPET.replace("from transformers.optimization import", "from lrplan.transformers import")
    )
    assert "transformers.optimization" not in swapped.read_text()
    theirs = runpy.run_path(str(original))["RESULTS"]
    ours = runpy.run_path(str(swapped))["RESULTS"]
    for (lrs_a, params_a), (lrs_b, params_b) in zip(theirs, ours, strict=True):
        assert _close(lrs_a, lrs_b)
        for a, b in zip(params_a, params_b, strict=True):
            assert torch.allclose(a, b, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- differential


def _arguments(name: str, w: int, n: int, pick: Callable[[list[Any]], Any]) -> dict[str, Any]:
    """Valid arguments for ``<name>`` (beyond the optimizer); ``pick`` chooses one of
    each list of options (hypothesis draws it, or a fixed test takes the last)."""
    cycles = [0.5, 0.25, 1.0, 1.5, 2.0, 0.0]
    min_lr = pick([{"min_lr_rate": 0.1}, {"min_lr_rate": 0.0}, {"min_lr": 0.01}])
    types = ["linear", "cosine", "1-sqrt"]
    if name == "get_constant_schedule":
        return {}
    if name == "get_constant_schedule_with_warmup":
        return {"num_warmup_steps": w}
    if name == "get_inverse_sqrt_schedule":
        return {"num_warmup_steps": w, "timescale": pick([None, 1, 7, 50])}
    run = {"num_warmup_steps": w, "num_training_steps": n}
    if name == "get_linear_schedule_with_warmup":
        return run
    if name == "get_cosine_schedule_with_warmup":
        return {**run, "num_cycles": pick(cycles)}
    if name == "get_cosine_with_hard_restarts_schedule_with_warmup":
        return {**run, "num_cycles": pick([0, 1, 2, 3, 5])}
    if name == "get_polynomial_decay_schedule_with_warmup":
        return {
            "num_warmup_steps": w,
            "num_training_steps": n + w + 1,  # transformers divides by N - W
            "lr_end": pick([1e-7, 0.0, 1e-3]),
            "power": pick([0.5, 1.0, 2.0]),
        }
    if name == "get_cosine_with_min_lr_schedule_with_warmup":
        return {**run, "num_cycles": pick(cycles), **min_lr}
    if name == "get_cosine_with_min_lr_schedule_with_warmup_lr_rate":
        return {
            **run,
            "num_cycles": pick(cycles),
            "warmup_lr_rate": pick([None, 0.0, 0.3]),
            **min_lr,
        }
    assert name == "get_wsd_schedule", name
    return {
        "num_warmup_steps": w,
        "num_decay_steps": min(n, pick([0, 1, 5, 20])),
        "num_training_steps": w + n,
        "warmup_type": pick(types),
        "decay_type": pick(types),
        "min_lr_ratio": pick([0, 0.1, 0.5]),
        "num_cycles": pick([0.5, 1.0]),
    }


CLOSED_FORM = [
    f for f in FUNCTIONS if f not in ("get_scheduler", "get_reduce_on_plateau_schedule",
                                      "get_greedy_schedule")
]  # fmt: skip


@SETTINGS
@given(
    w=st.integers(min_value=0, max_value=20),
    n=st.integers(min_value=0, max_value=50),
    data=st.data(),
)
@pytest.mark.parametrize("function", CLOSED_FORM)
def test_every_function_matches_transformers_at_every_step(
    function: str, w: int, n: int, data: st.DataObject
) -> None:
    kw = _arguments(function, w, n, lambda options: data.draw(st.sampled_from(options)))
    o_hf, o_lp = _opt(), _opt()
    ref = getattr(hfo, function)(o_hf, **kw)
    mine = getattr(lpt, function)(o_lp, **kw)
    assert _close(_lrs(o_hf), _lrs(o_lp))
    for step in range(w + n + 30):  # through the run and 30 steps past its end
        o_hf.step()
        o_lp.step()
        ref.step()
        mine.step()
        assert _close(_lrs(o_hf), _lrs(o_lp)), (function, kw, step)


@pytest.mark.parametrize("function", CLOSED_FORM)
def test_last_epoch_resumes_like_transformers(function: str) -> None:
    """``last_epoch=k`` (groups holding ``initial_lr``) continues from step k + 1."""
    kw = _arguments(function, 3, 20, lambda options: options[-1])
    twins = []
    for module in (hfo, lpt):
        opt = _opt()
        for g, lr in zip(opt.param_groups, (0.2, 0.05), strict=True):
            g["initial_lr"] = lr
        twins.append((opt, getattr(module, function)(opt, **kw, last_epoch=7)))
    (o_hf, ref), (o_lp, mine) = twins
    assert ref.last_epoch == mine.last_epoch
    for _ in range(25):
        o_hf.step()
        o_lp.step()
        ref.step()
        mine.step()
        assert _close(_lrs(o_hf), _lrs(o_lp)), function


# --------------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize("function", CLOSED_FORM)
@pytest.mark.parametrize("direction", ["transformers->lrplan", "lrplan->transformers"])
def test_checkpoints_move_between_the_libraries(
    function: str, direction: str, weights_only_roundtrip: Any
) -> None:
    """Save with one library after k steps, load the optimizer and the scheduler state
    into the other's (same name and arguments), and both go on with the same lrs."""
    save_with, load_with = (hfo, lpt) if direction.startswith("transformers") else (lpt, hfo)
    kw = _arguments(function, 4, 20, lambda options: options[-1])
    o_a = _opt()
    a = getattr(save_with, function)(o_a, **kw)
    for _ in range(9):
        o_a.step()
        a.step()
    opt_state = weights_only_roundtrip(o_a.state_dict())
    sched_state = weights_only_roundtrip(a.state_dict())
    # The same optimizer.defaults["lr"] (polynomial and min_lr read it at construction,
    # in both libraries); another lr in group 1: the checkpoint restores it.
    o_b = _opt((0.1, 0.5))
    b = getattr(load_with, function)(o_b, **kw)
    o_b.load_state_dict(opt_state)
    b.load_state_dict(sched_state)
    assert b.last_epoch == a.last_epoch
    for step in range(30):
        o_a.step()
        o_b.step()
        a.step()
        b.step()
        assert _close(_lrs(o_a), _lrs(o_b)), (function, direction, step)
        assert _close(a.get_last_lr(), b.get_last_lr())


def test_a_transformers_checkpoint_resumes_in_lrplan_by_name() -> None:
    """get_scheduler's schedulers load a transformers state saved mid-warmup too."""
    o_hf, o_lp = _opt(), _opt()
    ref = hfo.get_scheduler("cosine", o_hf, 6, 30)
    for _ in range(3):
        o_hf.step()
        ref.step()
    mine = lp.get_scheduler("cosine", o_lp, 6, 30)
    o_lp.load_state_dict(o_hf.state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about the foreign state
        mine.load_state_dict(ref.state_dict())
    for _ in range(40):
        for o, s in ((o_hf, ref), (o_lp, mine)):
            o.step()
            s.step()
        assert _close(_lrs(o_hf), _lrs(o_lp))
