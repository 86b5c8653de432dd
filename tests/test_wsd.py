"""WSDScheduler: warmup-stable-decay with the cooldown started on demand.

Expected lrs come from the WSD formula written here with ``math``; resume and
branching go through a real ``torch.save`` / ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import copy
import io
import math
import pickle
import warnings
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp


def ref_wsd(t: float, w: float, td: float | None, d: float, m: float, decay: str) -> float:
    """The multiplier at step t: warmup from 0, stable from w, cooldown from td over d."""
    if t < w:
        return t / w
    if td is None or t < td:
        return 1.0
    if t < td + d:
        p = (t - td) / d
        g = {"linear": 1 - p, "cosine": (1 + math.cos(math.pi * p)) / 2, "1-sqrt": 1 - p**0.5}
        return m + (1 - m) * g[decay]
    return m


def make_opt(lrs: tuple[float, ...] = (0.1,), tensor: bool = False) -> torch.optim.Optimizer:
    groups: list[dict[str, Any]] = []
    for lr in lrs:
        p = torch.nn.Parameter(torch.zeros(2))
        groups.append({"params": [p], "lr": torch.tensor(lr) if tensor else lr})
    return torch.optim.SGD(groups, lr=0.1)


def step(opt: torch.optim.Optimizer, sched: lp.WSDScheduler, n: int = 1) -> None:
    for _ in range(n):
        opt.step()
        sched.step()


def lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def roundtrip(state: dict[str, Any]) -> dict[str, Any]:
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    out: dict[str, Any] = torch.load(buf, weights_only=True)
    return out


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("shape", ["linear", "cosine", "1-sqrt"])
def test_decay_on_demand_golden(shape: str) -> None:
    opt = make_opt((0.1, 0.02))
    sched = lp.WSDScheduler(opt, warmup=5, decay_shape=shape, min_ratio=0.1)
    seen = [lrs(opt)]
    step(opt, sched, 20)
    seen.append(lrs(opt))
    assert sched.decay_start is None
    sched.begin_decay(steps=8)
    assert (sched.decay_start, sched.decay_steps) == (20, 8)
    for t in range(21, 40):
        step(opt, sched)
        expected = ref_wsd(t, 5, 20, 8, 0.1, shape)
        assert [close(v, b * expected) for v, b in zip(lrs(opt), (0.1, 0.02), strict=True)] == [
            True,
            True,
        ], (t, lrs(opt))
    assert seen[0] == [0.0, 0.0] and seen[1] == [0.1, 0.02]
    assert close(lrs(opt)[0], 0.01)


def test_docstring_numbers_and_at_later() -> None:
    opt = make_opt((1.0,))
    sched = lp.WSDScheduler(opt, warmup=2, min_ratio=0.1, decay_steps=4)
    step(opt, sched, 3)
    sched.begin_decay(at=10)  # scheduled ahead; default length from the constructor
    out = []
    for _ in range(12):
        step(opt, sched)
        out.append(round(lrs(opt)[0], 12))
    # steps 4..15: stable through 10, then 10 + 4 steps down to 0.1
    assert out == [1.0] * 7 + [0.775, 0.55, 0.325, 0.1, 0.1]


def test_tensor_lr_filled_in_place() -> None:
    opt = make_opt((0.5,), tensor=True)
    lr_tensor = opt.param_groups[0]["lr"]
    sched = lp.WSDScheduler(opt, warmup=2, decay_shape="cosine")
    step(opt, sched, 3)
    sched.begin_decay(steps=2)
    step(opt, sched, 1)
    assert opt.param_groups[0]["lr"] is lr_tensor
    assert close(float(lr_tensor), 0.5 * 0.5)
    assert isinstance(sched.get_last_lr()[0], torch.Tensor)


def test_planned_cooldown_equals_pure_shape() -> None:
    opt = make_opt((0.3,))
    sched = lp.WSDScheduler(
        opt, warmup=4, stable=10, decay_steps=6, decay_shape="1-sqrt", min_ratio=0.2
    )
    shape = lp.WarmupStableDecay(warmup=4, stable=10, decay=6, decay_shape="1-sqrt", min_ratio=0.2)
    assert sched.schedules == [shape]
    for t in range(1, 25):
        step(opt, sched)
        assert close(lrs(opt)[0], 0.3 * shape(t))
    with pytest.raises(RuntimeError, match="already decided"):
        sched.begin_decay(steps=3)


# --------------------------------------------------------------------------- errors


def test_errors() -> None:
    opt = make_opt()
    sched = lp.WSDScheduler(opt, warmup=5)
    step(opt, sched, 2)
    with pytest.raises(ValueError, match=r"warmup is still running \(step 2 of 5\)"):
        sched.begin_decay(steps=3)
    with pytest.raises(ValueError, match="inside the warmup"):
        sched.begin_decay(steps=3, at=4)
    with pytest.raises(ValueError, match="give steps="):
        sched.begin_decay()
    with pytest.raises(ValueError, match=r"steps must be in \(0, inf\)"):
        sched.begin_decay(steps=-3, at=5)
    with pytest.raises(ValueError, match=r"steps must be in \(0, inf\)"):
        sched.begin_decay(steps=0, at=5)
    with pytest.raises(TypeError, match="steps must be a real number"):
        sched.begin_decay(steps="10", at=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="in the past"):
        sched.begin_decay(steps=3, at=1)
    assert sched.decay_start is None  # nothing changed by the failed calls
    sched.begin_decay(steps=3, at=5)  # during warmup, scheduled at its end: fine
    with pytest.raises(RuntimeError, match="already decided"):
        sched.begin_decay(steps=3)
    with pytest.raises(ValueError, match="give decay_steps too"):
        lp.WSDScheduler(make_opt(), stable=10)
    with pytest.raises(ValueError, match="decay_shape must be one of"):
        lp.WSDScheduler(make_opt(), decay_shape="exp")
    with pytest.raises(ValueError, match=r"min_ratio must be in \[0, 1\]"):
        lp.WSDScheduler(make_opt(), min_ratio=2.0)
    with pytest.raises(ValueError, match=r"decay_steps must be in \(0, inf\)"):
        lp.WSDScheduler(make_opt(), decay_steps=0)


# --------------------------------------------------------------------------- resume and branching


def test_branch_two_cooldowns_from_one_checkpoint() -> None:
    """Save mid-stable, load into two runs, start cooldowns of different lengths."""
    base = (0.1, 0.05)
    opt = make_opt(base)
    sched = lp.WSDScheduler(opt, warmup=10, decay_shape="1-sqrt", min_ratio=0.01)
    step(opt, sched, 50)
    ckpt = roundtrip({"opt": opt.state_dict(), "sched": sched.state_dict()})

    results = {}
    for length in (10, 30):
        opt_b = make_opt(base)
        opt_b.load_state_dict(ckpt["opt"])
        sched_b = lp.WSDScheduler(opt_b, warmup=10, decay_shape="1-sqrt", min_ratio=0.01)
        sched_b.load_state_dict(ckpt["sched"])
        assert sched_b.last_epoch == 50 and lrs(opt_b) == list(base)
        sched_b.begin_decay(steps=length)
        trace = []
        for t in range(51, 90):
            step(opt_b, sched_b)
            expected = ref_wsd(t, 10, 50, length, 0.01, "1-sqrt")
            for v, b in zip(lrs(opt_b), base, strict=True):
                assert close(v, b * expected), (length, t, v, b * expected)
            trace.append(lrs(opt_b)[0])
        results[length] = trace
    assert results[10] != results[30]
    assert close(results[10][9], 0.1 * 0.01) and results[30][9] > 0.1 * 0.4
    # the original run, still undecided, stays at the peak
    step(opt, sched, 30)
    assert lrs(opt) == list(base)


def test_resume_after_decision_is_bit_exact() -> None:
    def fresh() -> tuple[torch.optim.Optimizer, lp.WSDScheduler]:
        o = make_opt((0.07, 0.3))
        return o, lp.WSDScheduler(o, warmup=3, decay_shape="cosine", min_ratio=0.05)

    opt_a, a = fresh()
    step(opt_a, a, 7)
    a.begin_decay(steps=13)
    step(opt_a, a, 5)
    state = roundtrip(a.state_dict())
    assert state["lrplan"]["extra"] == {"decay_start": 7, "decay_steps": 13}
    opt_b, b = fresh()  # built without a decision: the fingerprint still matches
    b.load_state_dict(state)
    assert (b.decay_start, b.decay_steps) == (7, 13)
    assert lrs(opt_b) == lrs(opt_a)
    for _ in range(15):
        step(opt_a, a)
        step(opt_b, b)
        assert lrs(opt_a) == lrs(opt_b)  # bit-exact
    with pytest.raises(RuntimeError, match="already decided"):
        b.begin_decay(steps=2)


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickle_and_deepcopy_keep_the_decision(how: str) -> None:
    opt = make_opt((0.07, 0.3))
    sched = lp.WSDScheduler(opt, warmup=3, decay_shape="1-sqrt", min_ratio=0.1)
    assert isinstance(sched, lp.LRScheduler)
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    step(opt, sched, 6)
    sched.begin_decay(steps=9)
    step(opt, sched, 2)
    pair = (opt, sched)
    opt2, s2 = pickle.loads(pickle.dumps(pair)) if how == "pickle" else copy.deepcopy(pair)
    assert (s2.decay_start, s2.decay_steps) == (6, 9)
    for _ in range(12):
        step(opt, sched)
        step(opt2, s2)
        assert lrs(opt2) == lrs(opt)


def test_state_is_plain_with_fixed_keys() -> None:
    opt = make_opt()
    sched = lp.WSDScheduler(opt, warmup=2)
    before = sched.state_dict()
    step(opt, sched, 3)
    sched.begin_decay(steps=4)
    after = sched.state_dict()
    assert set(before) == set(after)
    assert set(before["lrplan"]) == set(after["lrplan"])
    extras = (before["lrplan"]["extra"], after["lrplan"]["extra"])
    assert set(extras[0]) == set(extras[1]) == {"decay_start", "decay_steps"}
    assert before["lrplan"]["fingerprint"] == after["lrplan"]["fingerprint"]
    roundtrip(after)  # weights_only accepts it


def test_load_rejects_malformed_decision_and_other_config() -> None:
    opt = make_opt()
    sched = lp.WSDScheduler(opt, warmup=2)
    step(opt, sched, 3)
    sched.begin_decay(steps=4)
    state = sched.state_dict()

    def with_extra(extra: dict[str, Any]) -> dict[str, Any]:
        return {**state, "lrplan": {**state["lrplan"], "extra": extra}}

    bad = with_extra({"decay_start": 1, "decay_steps": 4})  # inside the warmup
    other = lp.WSDScheduler(make_opt(), warmup=2)
    with pytest.raises(ValueError, match="malformed cooldown"):
        other.load_state_dict(bad)
    half = with_extra({"decay_start": 5, "decay_steps": None})
    with pytest.raises(ValueError, match="both be set"):
        other.load_state_dict(half)
    assert other.decay_start is None
    different = lp.WSDScheduler(make_opt(), warmup=3)
    with pytest.raises(ValueError, match="differs"):
        different.load_state_dict(state)


def test_set_step_and_chaining_with_external_change() -> None:
    opt = make_opt((1.0,))
    sched = lp.WSDScheduler(opt, warmup=2, min_ratio=0.0)
    step(opt, sched, 4)
    sched.begin_decay(steps=10)
    sched.set_step(9)
    assert close(lrs(opt)[0], ref_wsd(9, 2, 4, 10, 0.0, "linear"))
    opt.param_groups[0]["lr"] *= 0.5  # an external change persists (torch's chaining)
    step(opt, sched)
    assert close(lrs(opt)[0], 0.5 * ref_wsd(10, 2, 4, 10, 0.0, "linear"))


def test_works_inside_torch_sequential() -> None:
    opt = make_opt((1.0,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = lp.WSDScheduler(opt, warmup=0)
        const = torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=1)
        seq = torch.optim.lr_scheduler.ChainedScheduler([sched, const])
    step_opt = opt.step
    for _ in range(3):
        step_opt()
        seq.step()
    sched.begin_decay(steps=2)
    step_opt()
    seq.step()
    assert close(lrs(opt)[0], 0.5)


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    w=st.integers(0, 20),
    extra=st.integers(0, 30),
    d=st.integers(1, 30),
    m=st.floats(0, 1),
    shape=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    save_at=st.integers(0, 90),
)
def test_stepping_matches_closed_form_and_resumes_anywhere(
    w: int, extra: int, d: int, m: float, shape: str, save_at: int
) -> None:
    decide = w + extra

    def run(n: int, state: dict[str, Any] | None = None) -> tuple[list[float], dict[str, Any]]:
        opt = make_opt((0.2,))
        s = lp.WSDScheduler(opt, warmup=w, decay_shape=shape, min_ratio=m)
        start = 0
        if state is not None:
            opt.param_groups[0]["lr"] = 0.2
            s.load_state_dict(state)
            start = s.last_epoch
        out = []
        for t in range(start + 1, n + 1):
            if t - 1 == decide and s.decay_start is None:
                s.begin_decay(steps=d)
            step(opt, s)
            out.append(lrs(opt)[0])
            if t == save_at:
                saved = roundtrip(s.state_dict())
        return out, saved if save_at <= n and save_at > start else {}

    total = 100
    full, saved = run(total)
    for t, v in enumerate(full, start=1):
        assert close(v, 0.2 * ref_wsd(t, w, decide, d, m, shape)), (t, v)
    if saved:
        tail, _ = run(total, saved)
        assert tail == full[save_at:]
