"""ReduceLROnPlateau's fast step is exact: bit for bit against torch 2.13's class.

``lrplan.ReduceLROnPlateau.step`` inlines the metric comparison chosen from
``mode``/``threshold``/``threshold_mode`` and skips re-reading the lrs when the
groups hold what they held (plain numbers recorded as they are, 0-dim tensors
read through one packed buffer). These tests run it side by side with torch's
own class on random scripts -- metrics of every kind, attribute changes
mid-run, lrs changed from outside between steps (new floats, equal floats, -0.0,
tensors replacing floats and back, tensors filled in place), added groups,
resumes -- and compare every observable number exactly.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as tls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_LR_VALUES = [0.1, 0.05, 1e-3, 1.0, 0.0, -0.0, 0.3]
_METRICS = [1.0, 0.9, 0.95, 0.5, 0.5, 2.0, -1.0, 0.0, -0.0, 1e-3, math.nan, math.inf]


def _bits(v: Any) -> tuple[Any, ...]:
    """An exact fingerprint of an lr or a counter: type, dtype and the float's bits."""
    if isinstance(v, torch.Tensor):
        return ("tensor", v.dtype, float(v.item()).hex())
    if isinstance(v, float):
        return ("float", v.hex())
    if isinstance(v, int):
        return ("int", v)
    return ("other", repr(v))


def _lr_bits(v: Any) -> tuple[Any, ...]:
    # lrplan records lrs as floats where torch keeps what the group held (an int
    # lr, say); the numbers are what must agree, and tensor-ness.
    if isinstance(v, torch.Tensor):
        return _bits(v)
    return ("number", float(v).hex())


def _value(v: Any) -> str:
    return float(v.item() if isinstance(v, torch.Tensor) else v).hex()


def _make_lr(spec: tuple[str, float]) -> Any:
    kind, x = spec
    if kind == "float":
        return float.fromhex(x.hex())  # a new object every time
    return torch.tensor(x, dtype=torch.float32 if kind == "f32" else torch.float64)


def _make_optimizer(lr_specs: list[tuple[str, float]]) -> torch.optim.Optimizer:
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lr_specs]
    groups = [{"params": [p], "lr": _make_lr(s)} for p, s in zip(params, lr_specs, strict=True)]
    return torch.optim.SGD(groups, lr=0.1)


def _snapshot(sched: Any) -> dict[str, Any]:
    return {
        "lrs": [_lr_bits(g["lr"]) for g in sched.optimizer.param_groups],
        "best": _bits(sched.best),
        "num_bad_epochs": _bits(sched.num_bad_epochs),
        "cooldown_counter": _bits(sched.cooldown_counter),
        "last_epoch": _bits(sched.last_epoch),
        "in_cooldown": sched.in_cooldown,
    }


def _assert_same(ref: Any, mine: Any, where: str) -> None:
    a, b = _snapshot(ref), _snapshot(mine)
    assert a == b, f"{where}: torch {a} != lrplan {b}"
    # The lrs recorded at the last step: lrplan's record (as saved in its state)...
    torch_last = [_value(v) for v in ref.get_last_lr()]
    assert [float(v).hex() for v in mine.state_dict()["last_values"]] == torch_last, where
    # ... and get_last_lr(). lrplan returns a tensor where the group holds one
    # *when it is called* (torch: where it held one at the step), so the two
    # differ after a float and a tensor swapped places; model that rule here.
    expected = []
    for g, v in zip(mine.optimizer.param_groups, ref.get_last_lr(), strict=False):
        number = float(v.item() if isinstance(v, torch.Tensor) else v)
        raw = g["lr"]
        expected.append(
            _bits(torch.tensor(number, dtype=raw.dtype))
            if isinstance(raw, torch.Tensor)
            else _bits(number)
        )
    assert [_bits(v) for v in mine.get_last_lr()] == expected, where


def _run_both(fn: Any, ref: Any, mine: Any, where: str) -> None:
    """Apply ``fn`` to both schedulers; errors and warnings must match."""
    outcomes = []
    for s in (ref, mine):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fn(s)
                err = None
            except Exception as e:  # compared below
                err = (type(e), str(e))
        outcomes.append((err, [(w.category, str(w.message)) for w in caught]))
    assert outcomes[0] == outcomes[1], f"{where}: torch {outcomes[0]} != lrplan {outcomes[1]}"


# -- actions ---------------------------------------------------------------------------------


def _metric(draw: Any) -> Any:
    m = draw(st.sampled_from(_METRICS))
    kind = draw(st.sampled_from(["float", "float", "t32", "t64", "np32", "np64"]))
    if kind == "t32":
        return torch.tensor(m, dtype=torch.float32)
    if kind == "t64":
        return torch.tensor(m, dtype=torch.float64)
    if kind == "np32":
        return np.float32(m)
    if kind == "np64":
        return np.float64(m)
    return m


_ATTRS: dict[str, Any] = {
    "mode": st.sampled_from(["min", "max"]),
    "threshold": st.sampled_from([0.0, 1e-4, 0.01, 0.1, 0.5, 1, 0, 2.0]),
    "threshold_mode": st.sampled_from(["rel", "abs"]),
    "patience": st.integers(min_value=0, max_value=3),
    "cooldown": st.integers(min_value=0, max_value=2),
    "factor": st.sampled_from([0.5, 0.1, 0.0, 0.9]),
    "eps": st.sampled_from([1e-8, 0.0, 0.05]),
    "best": st.sampled_from([0.5, math.inf, -math.inf, 0.0]),
    "num_bad_epochs": st.integers(min_value=0, max_value=4),
    "cooldown_counter": st.integers(min_value=0, max_value=2),
}


@st.composite
def _action(draw: Any, n_groups: int) -> tuple[Any, ...]:
    kind = draw(
        st.sampled_from(
            ["step"] * 8
            + ["epoch", "attr", "attr", "min_lrs", "lr", "lr", "fill", "tthr"]
            + ["add", "resume"]
        )
    )
    if kind in ("step", "epoch"):
        return (kind, _metric(draw), draw(st.integers(min_value=0, max_value=30)))
    if kind == "attr":
        name = draw(st.sampled_from(sorted(_ATTRS)))
        return ("attr", name, draw(_ATTRS[name]))
    if kind == "min_lrs":
        return ("min_lrs", draw(st.lists(st.sampled_from([0.0, 1e-3, 0.02, 0]), min_size=n_groups)))
    if kind == "tthr":
        # A tensor threshold, as torch allows; it may later change in place.
        return ("tthr", draw(st.sampled_from([0.0, 0.01, 0.1])))
    i = draw(st.integers(min_value=0, max_value=n_groups - 1))
    if kind == "fill":
        return ("fill", i, draw(st.sampled_from(_LR_VALUES)))
    if kind == "lr":
        spec = (
            draw(st.sampled_from(["float", "float", "f32", "f64", "same"])),
            draw(st.sampled_from(_LR_VALUES)),
        )
        return ("lr", i, spec)
    return (kind,)


def _set_lr(sched: Any, i: int, spec: tuple[str, float]) -> None:
    groups = sched.optimizer.param_groups
    if i >= len(groups):
        return
    if spec[0] == "same":
        # A new object holding the value the group holds (a float equal to a
        # float32 tensor's value, say): the record must follow it exactly.
        cur = groups[i]["lr"]
        val = float(cur.item()) if isinstance(cur, torch.Tensor) else float(cur)
        groups[i]["lr"] = float.fromhex(val.hex())
    else:
        groups[i]["lr"] = _make_lr(spec)


def _fill(sched: Any, i: int, x: float) -> None:
    groups = sched.optimizer.param_groups
    if i < len(groups) and isinstance(groups[i]["lr"], torch.Tensor):
        groups[i]["lr"].fill_(x)


def _apply(sched: Any, action: tuple[Any, ...]) -> None:
    kind = action[0]
    if kind == "step":
        sched.step(action[1])
    elif kind == "epoch":
        sched.step(action[1], action[2])
    elif kind == "attr":
        setattr(sched, action[1], action[2])
    elif kind == "min_lrs":
        sched.min_lrs = list(action[1])
    elif kind == "tthr":
        if isinstance(sched.threshold, torch.Tensor):
            sched.threshold.fill_(action[1])  # in place: the comparison must see it
        else:
            sched.threshold = torch.tensor(action[1], dtype=torch.float64)
    elif kind == "lr":
        _set_lr(sched, action[1], action[2])
    elif kind == "fill":
        _fill(sched, action[1], action[2])
    elif kind == "add":
        sched.optimizer.add_param_group(
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.25}
        )
    else:
        raise AssertionError(kind)


def _resume(mine: Any) -> Any:
    """A fresh lrplan scheduler on the same optimizer, loaded from ``mine``'s state."""
    fresh = lrplan.ReduceLROnPlateau(mine.optimizer)
    fresh.load_state_dict(mine.state_dict(), on_config_change="keep_step")
    for name in ("mode", "threshold", "threshold_mode", "patience", "cooldown", "factor", "eps"):
        setattr(fresh, name, getattr(mine, name))
    fresh.min_lrs = list(mine.min_lrs)
    fresh.default_min_lr = mine.default_min_lr
    return fresh


@st.composite
def _scenario(draw: Any) -> tuple[list[tuple[str, float]], dict[str, Any], list[Any]]:
    n = draw(st.sampled_from([1, 1, 2, 3, 7]))
    lr_kind = draw(st.sampled_from(["float", "f32", "f64", "mixed"]))
    specs: list[tuple[str, float]] = []
    for _ in range(n):
        k = draw(st.sampled_from(["float", "f32", "f64"])) if lr_kind == "mixed" else lr_kind
        specs.append((k, draw(st.sampled_from([0.1, 0.05, 1.0, 0.3, 0.0]))))
    min_lr: Any = draw(st.sampled_from([0, 1e-3, 0.02]))
    if draw(st.booleans()):
        min_lr = draw(st.lists(st.sampled_from([0.0, 1e-3, 0.02]), min_size=n, max_size=n))
    kwargs = {
        "mode": draw(st.sampled_from(["min", "max"])),
        "factor": draw(st.sampled_from([0.5, 0.1, 0.0, 0.9])),
        "patience": draw(st.integers(min_value=0, max_value=3)),
        "threshold": draw(st.sampled_from([0.0, 1e-4, 0.1, 1])),
        "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
        "cooldown": draw(st.integers(min_value=0, max_value=2)),
        "min_lr": min_lr,
        "eps": draw(st.sampled_from([1e-8, 0.0])),
    }
    actions = draw(st.lists(_action(n), min_size=1, max_size=40))
    return specs, kwargs, actions


@SETTINGS
@given(_scenario())
def test_fast_step_matches_torch_bit_for_bit(
    scenario: tuple[list[tuple[str, float]], dict[str, Any], list[Any]],
) -> None:
    specs, kwargs, actions = scenario
    ref = tls.ReduceLROnPlateau(_make_optimizer(specs), **kwargs)
    mine = lrplan.ReduceLROnPlateau(_make_optimizer(specs), **kwargs)
    _assert_same(ref, mine, "construction")
    for k, action in enumerate(actions):
        where = f"action {k} {action!r}"
        if action[0] == "resume":
            groups_added = len(mine.optimizer.param_groups) != len(specs)
            if not groups_added and not isinstance(mine.threshold, torch.Tensor):
                mine = _resume(mine)
        else:
            _run_both(lambda s, a=action: _apply(s, a), ref, mine, where)
        _assert_same(ref, mine, where)


# -- the cases the fast paths must not get wrong, one by one ---------------------------------


@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_float_replaced_by_an_equal_low_precision_tensor(n: int, dtype: torch.dtype) -> None:
    """``tensor(0.1, float32) == 0.1`` is true, yet the tensor holds another number."""
    ref = tls.ReduceLROnPlateau(_make_optimizer([("float", 0.1)] * n), patience=100)
    mine = lrplan.ReduceLROnPlateau(_make_optimizer([("float", 0.1)] * n), patience=100)
    for s in (ref, mine):
        s.step(1.0)
        s.optimizer.param_groups[0]["lr"] = torch.tensor(0.1, dtype=dtype)
        s.step(1.0)
    _assert_same(ref, mine, "after the swap")
    assert mine.get_last_lr()[0].item() != 0.1  # the tensor's own value, not the float's
    for s in (ref, mine):
        s.optimizer.param_groups[0]["lr"].fill_(0.5)  # in place, then back to a float
        s.step(1.0)
    _assert_same(ref, mine, "after the fill")
    for s in (ref, mine):
        s.optimizer.param_groups[0]["lr"] = 0.5
        s.step(1.0)
    _assert_same(ref, mine, "back to a float")


@pytest.mark.parametrize("n", [1, 4])
def test_sign_of_zero_and_equal_new_floats(n: int) -> None:
    ref = tls.ReduceLROnPlateau(_make_optimizer([("float", 0.0)] * n))
    mine = lrplan.ReduceLROnPlateau(_make_optimizer([("float", 0.0)] * n))
    for value in (-0.0, 0.0, float.fromhex((0.0).hex()), -0.0):
        for s in (ref, mine):
            s.optimizer.param_groups[-1]["lr"] = value
            s.step(1.0)
        _assert_same(ref, mine, f"lr {value!r}")
        assert math.copysign(1.0, mine.get_last_lr()[-1]) == math.copysign(1.0, value)


def test_record_is_the_lrs_at_the_step_not_later() -> None:
    for spec in (("float", 0.1), ("f32", 0.1), ("f64", 0.1)):
        mine = lrplan.ReduceLROnPlateau(_make_optimizer([spec] * 3))
        mine.step(1.0)
        for g in mine.optimizer.param_groups:
            if isinstance(g["lr"], torch.Tensor):
                g["lr"].fill_(0.7)
            else:
                g["lr"] = 0.7
        assert [float(v) for v in mine.get_last_lr()] == [float(_make_lr(spec))] * 3
        mine.step(1.0)
        assert [float(v) for v in mine.get_last_lr()] == [float(_make_lr((spec[0], 0.7)))] * 3


def test_tensor_lrs_keep_their_identity_and_follow_fills() -> None:
    opt = _make_optimizer([("f32", 0.1)] * 5)
    lrs = [g["lr"] for g in opt.param_groups]
    mine = lrplan.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    mine.step(1.0)
    mine.step(2.0)  # reduces every group, in place
    assert all(g["lr"] is t for g, t in zip(opt.param_groups, lrs, strict=True))
    assert [v.item() for v in mine.get_last_lr()] == [torch.tensor(0.05).item()] * 5
    lrs[2].fill_(0.3)
    mine.step(2.0)  # in cooldown-free patience 0: reduces again, from 0.3 for group 2
    expected = [torch.tensor(0.025).item()] * 5
    expected[2] = float(torch.tensor(float(torch.tensor(0.3).item()) * 0.5).item())
    assert [v.item() for v in mine.get_last_lr()] == expected


def test_a_subclass_comparison_is_called() -> None:
    calls: list[tuple[float, float]] = []

    class Never(lrplan.ReduceLROnPlateau):
        def _is_better(self, a: float, best: float) -> bool:
            calls.append((a, best))
            return False

    s = Never(_make_optimizer([("float", 1.0)]), patience=1, factor=0.5)
    for m in (3.0, 2.0, 1.0):
        s.step(m)
    assert len(calls) == 3
    assert s.get_last_lr() == [0.5]  # every epoch was bad: reduced after the second


def test_a_subclass_cooldown_is_called() -> None:
    class AlwaysCooling(lrplan.ReduceLROnPlateau):
        @property
        def in_cooldown(self) -> bool:
            return True

    s = AlwaysCooling(_make_optimizer([("float", 1.0)]), patience=0, factor=0.5)
    for m in (1.0, 2.0, 3.0):
        s.step(m)
    assert s.get_last_lr() == [1.0]
    assert s.cooldown_counter == -3  # torch's arithmetic, on the overridden property


@pytest.mark.parametrize(
    ("name", "value"),
    [("threshold", "0.1"), ("threshold", None), ("mode", None), ("threshold_mode", 3)],
)
def test_odd_attribute_values_fail_or_work_at_step_as_before(name: str, value: Any) -> None:
    """Setting never raises; ``step`` then does what the comparison method does."""
    s = lrplan.ReduceLROnPlateau(_make_optimizer([("float", 1.0)]))
    s.step(1.0)
    setattr(s, name, value)  # no error here, as in torch
    assert getattr(s, name) is value
    try:
        expected: Any = s._is_better(0.5, s.best)
    except Exception as e:  # the step must fail the same way
        with pytest.raises(type(e), match=None):
            s.step(0.5)
        return
    s.step(0.5)
    assert (s.best == 0.5) is expected


def test_threshold_changes_take_effect_at_once() -> None:
    s = lrplan.ReduceLROnPlateau(_make_optimizer([("float", 1.0)]), threshold=0.0)
    s.step(1.0)
    s.threshold = 0.5  # rel: must beat 0.5 now
    s.step(0.9)
    assert (s.best, s.num_bad_epochs) == (1.0, 1)
    s.threshold_mode = "abs"  # must beat 1.0 - 0.5
    s.step(0.6)
    assert (s.best, s.num_bad_epochs) == (1.0, 2)
    s.step(0.4)
    assert (s.best, s.num_bad_epochs) == (0.4, 0)
    s.mode = "max"  # 0.4 + 0.5 must be beaten
    s.step(0.8)
    assert (s.best, s.num_bad_epochs) == (0.4, 1)
    s.step(1.0)
    assert (s.best, s.num_bad_epochs) == (1.0, 0)
