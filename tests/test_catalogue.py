"""The schedule catalogue: inverse-sqrt, WSD, k-decay cosine, tanh, untuned and exponential warmup.

Expected values come from formulas written independently here with ``math``
(golden tables, boundary steps always included), from transformers' own lambdas
(differential tests, when transformers is installed), and from properties.
"""

from __future__ import annotations

import itertools
import math
import pickle
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lrplan as lp
from lrplan._schedules import SPEC_NAMES, registry
from lrplan._spec import parse_spec

REL = 1e-12


def close(a: float, b: float, rel: float = REL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-15)


# --------------------------------------------------------------------------- independent formulas


def ref_inverse_sqrt(t: float, tau: float) -> float:
    return (tau / (t + tau)) ** 0.5


def ref_wsd(
    t: float,
    w: float,
    s: float,
    d: float,
    m: float,
    decay: str,
    warm: str = "linear",
    w0: float = 0.0,
) -> float:
    if t < w:
        p = t / w
        f = {"linear": p, "cosine": (1 - math.cos(math.pi * p)) / 2, "1-sqrt": 1 - (1 - p) ** 0.5}
        return w0 + (1 - w0) * f[warm]
    if t < w + s:
        return 1.0
    if t < w + s + d:
        p = (t - w - s) / d
        g = {"linear": 1 - p, "cosine": (1 + math.cos(math.pi * p)) / 2, "1-sqrt": 1 - p**0.5}
        return m + (1 - m) * g[decay]
    return m


def ref_kcos(t: float, steps: float, k: float, start: float, end: float) -> float:
    u = min(t, steps)
    return end + (start - end) * (1 + math.cos(math.pi * u**k / steps**k)) / 2


def ref_tanh(t: float, steps: float, lo: float, hi: float, start: float, end: float) -> float:
    u = min(t, steps)
    return end + (start - end) * (1 - math.tanh(lo + (hi - lo) * u / steps)) / 2


def ref_untuned(t: float, beta2: float, shape: str) -> float:
    n = t + 1  # Adam's update count starts at 1
    if shape == "linear":
        return min(1.0, (1 - beta2) / 2 * n)
    return 1 - math.exp(-(1 - beta2) * n)


def ref_exp_ramp(t: float, steps: float, start: float, end: float, r: float) -> float:
    u = min(t, steps)
    return start + (end - start) * (1 - math.exp(-r * u / steps)) / (1 - math.exp(-r))


# --------------------------------------------------------------------------- golden tables

Case = tuple[lp.Schedule, Callable[[float], float], list[float]]


def _cases() -> list[tuple[str, Case]]:
    out: list[tuple[str, Case]] = []

    def add(name: str, s: lp.Schedule, f: Callable[[float], float], ts: list[float]) -> None:
        out.append((name, (s, f, ts)))

    many = [0, 0.5, 1, 2, 3, 7, 10, 99, 100, 101, 1e3, 12_345.5, 1e6]
    add("isqrt-default", lp.InverseSqrt(), lambda t: ref_inverse_sqrt(t, 10_000), many)
    add("isqrt-100", lp.InverseSqrt(timescale=100), lambda t: ref_inverse_sqrt(t, 100), many)
    add("isqrt-frac", lp.InverseSqrt(timescale=0.5), lambda t: ref_inverse_sqrt(t, 0.5), many)
    wsd_ts = [0, 1, 4.5, 9, 10, 11, 50, 89, 89.5, 90, 91, 95, 99, 99.9, 100, 101, 1e5]
    for decay in ("linear", "cosine", "1-sqrt"):
        for warm in ("linear", "cosine", "1-sqrt"):
            add(
                f"wsd-{warm}-{decay}",
                lp.WarmupStableDecay(
                    warmup=10,
                    stable=80,
                    decay=10,
                    min_ratio=0.1,
                    decay_shape=decay,
                    warmup_shape=warm,
                ),
                lambda t, d=decay, w=warm: ref_wsd(t, 10, 80, 10, 0.1, d, w),
                wsd_ts,
            )
    add(
        "wsd-no-warmup",
        lp.WarmupStableDecay(stable=5, decay=3, decay_shape="1-sqrt"),
        lambda t: ref_wsd(t, 0, 5, 3, 0.0, "1-sqrt"),
        [0, 1, 4, 5, 6, 7, 8, 9, 100],
    )
    add(
        "wsd-no-stable",
        lp.WarmupStableDecay(warmup=4, stable=0, decay=4, min_ratio=0.5),
        lambda t: ref_wsd(t, 4, 0, 4, 0.5, "linear"),
        [0, 1, 3, 4, 5, 7, 8, 9],
    )
    add(
        "wsd-no-decay",
        lp.WarmupStableDecay(warmup=4, stable=6, decay=0, min_ratio=0.25),
        lambda t: ref_wsd(t, 4, 6, 0, 0.25, "linear"),
        [0, 3, 4, 9, 9.99, 10, 11],
    )
    add(
        "wsd-open",
        lp.WarmupStableDecay(warmup=4, warmup_start=0.2),
        lambda t: ref_wsd(t, 4, math.inf, 0, 0.0, "linear", "linear", 0.2),
        [0, 1, 2, 3.5, 4, 5, 1e9],
    )
    add(
        "wsd-from-transformers",
        lp.WarmupStableDecay.from_transformers(
            num_warmup_steps=10, num_decay_steps=20, num_training_steps=100, min_lr_ratio=0.3
        ),
        lambda t: ref_wsd(t, 10, 70, 20, 0.3, "cosine", "linear", 0.3),
        wsd_ts,
    )
    cos_ts = [0, 0.5, 1, 25, 49, 50, 51, 99, 100, 101, 1000]
    for k in (0.5, 1.0, 2.0, 3.7):
        add(
            f"kcos-{k}",
            lp.Cosine(steps=100, k=k, end=0.05),
            lambda t, k=k: ref_kcos(t, 100, k, 1.0, 0.05),
            cos_ts,
        )
    add("tanh-default", lp.Tanh(steps=100), lambda t: ref_tanh(t, 100, -6, 3, 1, 0), cos_ts)
    add(
        "tanh-custom",
        lp.Tanh(steps=40, lower=-4, upper=4, start=2.0, end=0.1),
        lambda t: ref_tanh(t, 40, -4, 4, 2.0, 0.1),
        [0, 1, 10, 20, 39, 40, 41, 1e4],
    )
    add(
        "tanh-restart",
        lp.Tanh(steps=10, after="restart"),
        lambda t: ref_tanh(t - 10 * math.floor(t / 10), 10, -6, 3, 1, 0),
        [0, 5, 9, 10, 15, 20, 25.5],
    )
    unt_ts = [0, 1, 10, 998, 999, 1000, 1998, 1999, 2000, 5000, 1e6]
    for b2 in (0.999, 0.99, 0.98, 0.0):
        for shape in ("linear", "exponential"):
            add(
                f"untuned-{shape}-{b2}",
                lp.UntunedWarmup(beta2=b2, shape=shape),
                lambda t, b=b2, s=shape: ref_untuned(t, b, s),
                unt_ts,
            )
    for r in (2.0, 0.001, 7.5):
        add(
            f"exp-ramp-{r}",
            lp.ExponentialRamp(steps=10, start=0.1, end=1.5, rate=r),
            lambda t, r=r: ref_exp_ramp(t, 10, 0.1, 1.5, r),
            [0, 0.5, 1, 5, 9, 10, 11, 100],
        )
    return out


CASES = _cases()


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_golden_table(name: str, case: Case) -> None:
    s, f, ts = case
    for t in ts:
        assert close(s(t), f(t)), (name, t, s(t), f(t))
    vec = s.values(np.asarray(ts, dtype=float))
    for t, v in zip(ts, vec, strict=True):
        assert close(float(v), f(t)), (name, t, v, f(t))


@pytest.mark.parametrize(("name", "case"), CASES, ids=[n for n, _ in CASES])
def test_config_round_trip_repr_pickle(name: str, case: Case) -> None:
    s = case[0]
    cfg = s.to_config()
    assert lp.Schedule.from_config(cfg) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert parse_spec(repr(s)) == s  # the repr is a valid spec that rebuilds it


def test_exact_anchor_values() -> None:
    """Values worked out by hand, exactly representable."""
    assert lp.InverseSqrt(timescale=100)(300) == 0.5
    wsd = lp.WarmupStableDecay(warmup=10, stable=80, decay=16, min_ratio=0.0, decay_shape="1-sqrt")
    assert wsd(94) == 0.5  # p = 1/4, 1 - sqrt(1/4)
    assert wsd(106) == 0.0 and wsd(90) == 1.0
    assert lp.Tanh(steps=90)(60) == 0.5  # tanh(0)
    assert lp.UntunedWarmup(beta2=0.875)(15) == 1.0  # 2 / (1/8) = 16th update
    assert lp.UntunedWarmup(beta2=0.875)(7) == 0.5
    assert lp.ExponentialRamp(steps=8)(8) == 1.0
    assert lp.Cosine(steps=16, k=0.5)(4) == 0.5  # sqrt(4/16) = 1/2 -> cos(pi/2) = 0


# --------------------------------------------------------------------------- Cosine k compatibility


def test_cosine_k_default_keeps_config_and_values() -> None:
    c = lp.Cosine(steps=100, end=0.1)
    assert c.to_config() == {
        "type": "cosine",
        "steps": 100,
        "after": "hold",
        "start": 1.0,
        "end": 0.1,
        "periodic": False,
    }
    assert lp.Cosine(steps=100, end=0.1, k=1) == c
    assert repr(c) == "Cosine(steps=100, end=0.1)"
    assert lp.Cosine(steps=100, k=2.0).to_config()["k"] == 2.0
    assert lp.Schedule.from_config({"type": "cosine", "steps": 10, "k": 3}) == lp.Cosine(
        steps=10, k=3
    )
    # k=1 takes the original formula, bit for bit.
    for t in (0, 1, 17, 50, 99.5, 100):
        expected = 0.1 + (1.0 - 0.1) * 0.5 * (1.0 + math.cos(math.pi * t / 100))
        assert c(t) == expected


def test_cosine_k_validation() -> None:
    with pytest.raises(ValueError, match="k must be in"):
        lp.Cosine(steps=10, k=0)
    with pytest.raises(ValueError, match="not periodic"):
        lp.Cosine(steps=10, k=2, periodic=True)


def test_cosine_k_chains_like_torch() -> None:
    """Relative (chained) updates stay affine around the floor with k-decay too."""
    s = lp.Cosine(steps=20, k=2.0, end=0.1)
    cur = 2.0 * s(3)
    new = s._rechain(cur, 2.0, 3, 4)
    assert new is not None and close(new, 2.0 * s(4))


# --------------------------------------------------------------------------- warmup shapes


@pytest.mark.parametrize("shape", ["linear", "cosine", "exponential"])
def test_warmup_shapes_continuous_hand_off(shape: str) -> None:
    plan = lp.warmup(lp.Cosine(steps=50, end=0.1), steps=10, start=0.2, shape=shape)
    assert close(plan(0), 0.2)
    assert close(plan(10 - 1e-9), 1.0, rel=1e-8)
    assert plan(10) == 1.0
    ramp = [plan(t) for t in range(11)]
    assert all(a < b for a, b in itertools.pairwise(ramp))


def test_warmup_exponential_formula() -> None:
    plan = lp.warmup(lp.Constant(value=0.8), steps=20, shape="exponential")
    for t in (0, 1, 5, 10, 19.5, 20, 30):
        expected = ref_exp_ramp(t, 20, 0.0, 0.8, 2.0) if t < 20 else 0.8
        assert close(plan(t), expected)
    with pytest.raises(ValueError, match="shape must be one of"):
        lp.warmup(lp.Constant(), steps=3, shape="quadratic")


def test_ramp_function() -> None:
    assert lp.ramp("linear", steps=4, start=0, end=2) == lp.Linear(steps=4, start=0, end=2)
    assert lp.ramp("cosine", steps=4, start=0, end=2) == lp.Cosine(steps=4, start=0, end=2)
    assert lp.ramp("exponential", steps=4, start=0, end=2) == lp.ExponentialRamp(
        steps=4, start=0, end=2
    )


# --------------------------------------------------------------------------- WSD specifics


def test_wsd_for_run_and_validation() -> None:
    s = lp.WarmupStableDecay.for_run(total=100, warmup=10, decay=20, decay_shape="cosine")
    assert (s.warmup, s.stable, s.decay) == (10, 70, 20)
    assert s.duration == 100
    assert s.boundaries() == [10, 80, 100]
    with pytest.raises(ValueError, match="shorter than"):
        lp.WarmupStableDecay.for_run(total=10, warmup=5, decay=6)
    with pytest.raises(ValueError, match="needs a finite stable length"):
        lp.WarmupStableDecay(warmup=5, decay=3)
    with pytest.raises(ValueError, match="decay_shape must be one of"):
        lp.WarmupStableDecay(stable=1, decay=1, decay_shape="exp")
    with pytest.raises(ValueError, match="warmup_shape must be one of"):
        lp.WarmupStableDecay(warmup=1, warmup_shape="step")
    with pytest.raises(ValueError, match=r"min_ratio must be in \[0, 1\]"):
        lp.WarmupStableDecay(min_ratio=1.5)
    with pytest.raises(ValueError, match="stable must be in"):
        lp.WarmupStableDecay(stable=-1)
    with pytest.raises(ValueError, match="give num_training_steps or num_stable_steps"):
        lp.WarmupStableDecay.from_transformers(num_warmup_steps=1, num_decay_steps=1)
    with pytest.raises(ValueError, match="shorter than"):
        lp.WarmupStableDecay.from_transformers(
            num_warmup_steps=5, num_decay_steps=6, num_training_steps=10
        )
    open_ = lp.WarmupStableDecay(warmup=3)
    assert open_.duration is None and open_.boundaries() == [3]


def test_validation_messages() -> None:
    with pytest.raises(ValueError, match=r"timescale must be in \(0, inf\)"):
        lp.InverseSqrt(timescale=0)
    with pytest.raises(TypeError, match="timescale must be a real number"):
        lp.InverseSqrt(timescale="10")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lower must be < upper"):
        lp.Tanh(steps=10, lower=3, upper=-6)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\)"):
        lp.UntunedWarmup(beta2=1.0)
    with pytest.raises(ValueError, match="shape must be one of"):
        lp.UntunedWarmup(shape="cosine")
    with pytest.raises(ValueError, match=r"rate must be in \(0, inf\)"):
        lp.ExponentialRamp(steps=3, rate=0)


def test_untuned_warmup_period_and_duration() -> None:
    lin = lp.UntunedWarmup(beta2=0.999)
    assert close(lin.period, 2000.0, rel=1e-9)
    assert lin.duration is not None and abs(lin.duration - 1999) < 1e-6
    assert lin(1999) == 1.0 and lin(1998) < 1.0
    exp = lp.UntunedWarmup(beta2=0.999, shape="exponential")
    assert close(exp.period, 1000.0, rel=1e-9) and exp.duration is None
    # A multiplicative factor in front of any schedule (the paper's usage).
    plan = lp.UntunedWarmup(beta2=0.99) * lp.Cosine(steps=1000)
    assert close(plan(99), ref_untuned(99, 0.99, "linear") * lp.Cosine(steps=1000)(99))


def test_spec_names_registered() -> None:
    for name in ("InverseSqrt", "WarmupStableDecay", "Tanh", "UntunedWarmup", "ExponentialRamp"):
        assert name in SPEC_NAMES
    for t in ("inverse_sqrt", "warmup_stable_decay", "tanh", "untuned_warmup", "exponential_ramp"):
        assert t in registry()
    plan = parse_spec("warmup(InverseSqrt(timescale=100), steps=100, shape='exponential')")
    assert plan(100) == 1.0 and close(plan(400), 0.5)


# --------------------------------------------------------------------------- properties

PROP = settings(max_examples=60, deadline=None)
times = st.floats(min_value=0, max_value=1e7, allow_nan=False)


@PROP
@given(
    w=st.integers(0, 50),
    s=st.integers(0, 200),
    d=st.integers(1, 100),
    m=st.floats(0, 1),
    decay=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    warm=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    w0=st.floats(0, 1),
)
def test_wsd_properties(w: int, s: int, d: int, m: float, decay: str, warm: str, w0: float) -> None:
    sched = lp.WarmupStableDecay(
        warmup=w,
        stable=s,
        decay=d,
        min_ratio=m,
        decay_shape=decay,
        warmup_shape=warm,
        warmup_start=w0,
    )
    ts = np.linspace(0, w + s + d + 5, 397)
    vals = sched.values(ts)
    assert np.all(vals >= min(m, w0) - 1e-12) and np.all(vals <= 1 + 1e-12)
    # monotone up through warmup, flat, monotone down through cooldown
    up = vals[ts < w]
    down = vals[(ts >= w + s)]
    assert np.all(np.diff(up) >= -1e-12)
    assert np.all(np.diff(down) <= 1e-12)
    assert np.all(vals[(ts >= w) & (ts < w + s)] == 1.0)
    # continuous at every boundary
    for b in (w, w + s, w + s + d):
        if b > 0:
            assert abs(sched(b) - sched(b - 1e-7)) < 1e-3
    assert sched(w + s + d) == m
    for t in ts[::40]:
        assert sched(float(t)) == pytest.approx(float(sched.values([t])[0]), rel=1e-12, abs=0)


@PROP
@given(tau=st.floats(1e-3, 1e6), t=times, dt=st.floats(0, 1e6))
def test_inverse_sqrt_properties(tau: float, t: float, dt: float) -> None:
    s = lp.InverseSqrt(timescale=tau)
    assert s(0) == 1.0
    assert 0 < s(t + dt) <= s(t) <= 1.0
    # halving after 3 timescales; quartering after 15
    assert close(s(3 * tau), 0.5, rel=1e-9) and close(s(15 * tau), 0.25, rel=1e-9)


@PROP
@given(
    steps=st.floats(1, 1e5),
    k=st.floats(0.1, 8),
    end=st.floats(0, 1),
    t=times,
)
def test_kcos_properties(steps: float, k: float, end: float, t: float) -> None:
    s = lp.Cosine(steps=steps, k=k, end=end)
    assert s(0) == 1.0 and close(s(steps), end)
    assert end - 1e-12 <= s(t) <= 1.0 + 1e-12
    ts = np.linspace(0, steps * 1.2, 101)
    assert np.all(np.diff(s.values(ts)) <= 1e-12)
    # k > 1 stays above the plain cosine, k < 1 below
    plain = lp.Cosine(steps=steps, end=end)
    u = min(t, steps)
    if k >= 1:
        assert s(u) >= plain(u) - 1e-12
    else:
        assert s(u) <= plain(u) + 1e-12


@PROP
@given(steps=st.floats(1, 1e5), lo=st.floats(-10, 0), span=st.floats(0.1, 20), t=times)
def test_tanh_properties(steps: float, lo: float, span: float, t: float) -> None:
    s = lp.Tanh(steps=steps, lower=lo, upper=lo + span, end=0.1)
    assert 0.1 <= s(t) <= 1.0
    ts = np.linspace(0, steps * 1.5, 101)
    assert np.all(np.diff(s.values(ts)) <= 1e-12)


@PROP
@given(b2=st.floats(0, 0.9999), shape=st.sampled_from(["linear", "exponential"]), t=times)
def test_untuned_properties(b2: float, shape: str, t: float) -> None:
    s = lp.UntunedWarmup(beta2=b2, shape=shape)
    assert 0 < s(t) <= 1.0
    assert s(t + 1) >= s(t)
    # the exponential factor is never above the linear one at the same update
    if shape == "exponential":
        assert s(t) >= 0
        lin = lp.UntunedWarmup(beta2=b2)
        assert s(t) <= 1.0 and lin(t) <= 1.0


@PROP
@given(steps=st.floats(1, 1e4), start=st.floats(0, 2), end=st.floats(0, 2), r=st.floats(1e-6, 50))
def test_exponential_ramp_properties(steps: float, start: float, end: float, r: float) -> None:
    s = lp.ExponentialRamp(steps=steps, start=start, end=end, rate=r)
    assert s(0) == start and close(s(steps), end, rel=1e-9)
    vals = s.values(np.linspace(0, steps, 51))
    lo, hi = min(start, end), max(start, end)
    assert np.all(vals >= lo - 1e-9) and np.all(vals <= hi + 1e-9)
    # saturating: at half time it is past half way (concave for a rise)
    if end > start + 1e-6:
        assert s(steps / 2) >= (start + end) / 2 - 1e-9


# ------------------------------------------------------------- differential vs transformers

transformers = pytest.importorskip("transformers", reason="transformers is the oracle here")


def _hf_lambda(factory: Callable[..., torch.optim.lr_scheduler.LambdaLR], **kw: object):  # type: ignore[no-untyped-def]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = factory(opt, **kw)
    return sched.lr_lambdas[0]


@pytest.mark.parametrize("warmup", [0, 1, 7, 100])
@pytest.mark.parametrize("timescale", [None, 3, 500])
def test_inverse_sqrt_matches_transformers(warmup: int, timescale: int | None) -> None:
    from transformers.optimization import get_inverse_sqrt_schedule

    lam = _hf_lambda(get_inverse_sqrt_schedule, num_warmup_steps=warmup, timescale=timescale)
    tau = timescale if timescale is not None else (warmup or 10_000)
    plan = lp.warmup(lp.InverseSqrt(timescale=tau), steps=warmup)
    for s in [*range(0, 2 * warmup + 5), 1000, 12_345]:
        assert close(plan(s), lam(s)), (s, plan(s), lam(s))


@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize(
    ("w", "d", "n", "m"), [(10, 20, 100, 0.0), (3, 7, 50, 0.25), (0, 5, 9, 0.1)]
)
def test_wsd_matches_transformers(
    warmup_type: str, decay_type: str, w: int, d: int, n: int, m: float
) -> None:
    from transformers.optimization import get_wsd_schedule

    lam = _hf_lambda(
        get_wsd_schedule,
        num_warmup_steps=w,
        num_decay_steps=d,
        num_training_steps=n,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=m,
    )
    plan = lp.WarmupStableDecay.from_transformers(
        num_warmup_steps=w,
        num_decay_steps=d,
        num_training_steps=n,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=m,
    )
    for s in range(0, n + 10):
        assert close(plan(s), lam(s), rel=1e-12), (s, plan(s), lam(s))


@pytest.mark.parametrize(
    "plan",
    [
        lp.warmup(lp.InverseSqrt(timescale=20), steps=5),
        lp.WarmupStableDecay(warmup=3, stable=10, decay=7, min_ratio=0.1, decay_shape="1-sqrt"),
        lp.Cosine(steps=25, k=2.5, end=0.05),
        lp.Tanh(steps=25, end=0.01),
        lp.UntunedWarmup(beta2=0.9) * lp.Cosine(steps=30),
        lp.warmup(lp.Cosine(steps=20), steps=6, shape="exponential"),
    ],
)
def test_driver_steps_to_closed_form_and_resumes(plan: lp.Schedule) -> None:
    """Stepping ScheduledLR N times writes base * s(N); a state round trip resumes bit-exactly."""
    import io

    def fresh() -> tuple[torch.optim.Optimizer, lp.ScheduledLR]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
        return opt, lp.ScheduledLR(opt, plan)

    opt, sched = fresh()
    seen = []
    for t in range(1, 36):
        opt.step()
        sched.step()
        assert close(opt.param_groups[0]["lr"], 0.3 * plan(t)), t
        seen.append(opt.param_groups[0]["lr"])
        if t == 12:
            buf = io.BytesIO()
            torch.save(sched.state_dict(), buf)
            buf.seek(0)
            state = torch.load(buf, weights_only=True)
    opt2, sched2 = fresh()
    sched2.load_state_dict(state)
    for t in range(13, 36):
        opt2.step()
        sched2.step()
        assert opt2.param_groups[0]["lr"] == seen[t - 1]


@pytest.mark.parametrize(
    "module", ["lrplan._schedules._catalogue", "lrplan._schedules._time", "lrplan._wsd"]
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
