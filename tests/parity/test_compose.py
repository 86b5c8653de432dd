"""SequentialLR and ChainedScheduler against torch 2.13's, over random trees of children.

Each tree is built twice: once entirely from ``torch.optim.lr_scheduler`` (the
oracle) and once with every node drawn from lrplan or torch by a random mask
(all lrplan, all torch, or mixed), so lrplan's composites run over torch's
children and torch's composites over lrplan's, nested. Where torch itself fails
(a composite child reached at a milestone), the comparison stops there and a
separate test checks what lrplan does instead.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
import torch.optim.lr_scheduler as tsched
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrplan

from .harness import (
    LR_KINDS,
    Resume,
    ScaleLR,
    Step,
    lr_lists,
    make_optimizer,
    mixed,
    run_parity,
    torch_roundtrip,
)
from .test_simple import CLASSES

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# A tree node: ("leaf", name, kwargs) | ("seq", children, milestones) | ("chain", children)
Node = tuple[Any, ...]


def _leaf() -> st.SearchStrategy[Node]:
    return st.sampled_from(sorted(CLASSES)).flatmap(
        lambda n: CLASSES[n]().map(lambda kw: ("leaf", n, kw))
    )


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    seq = st.lists(children, min_size=1, max_size=3).flatmap(
        lambda cs: st.lists(
            st.integers(min_value=0, max_value=12), min_size=len(cs) - 1, max_size=len(cs) - 1
        ).map(lambda ms: ("seq", cs, sorted(ms)))
    )
    chain = st.lists(children, min_size=1, max_size=3).map(lambda cs: ("chain", cs))
    return st.one_of(seq, chain)


def trees(max_leaves: int = 5) -> st.SearchStrategy[Node]:
    """Composite trees (the root is always a SequentialLR or a ChainedScheduler)."""
    return _extend(st.recursive(_leaf(), _extend, max_leaves=max_leaves))


def _build_node(L: Any, opt: torch.optim.Optimizer, node: Node) -> Any:
    if node[0] == "leaf":
        return getattr(L, node[1])(opt, **node[2])
    children = [_build_node(L, opt, c) for c in node[1]]
    if node[0] == "seq":
        return L.SequentialLR(opt, children, milestones=list(node[2]))
    return L.ChainedScheduler(children)


def _builder(tree: Node) -> Any:
    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        return _build_node(L, opt, tree)

    return build


def _chained_cosine_with_floor(node: Node, in_chain: bool = False) -> bool:
    """A CosineAnnealingLR with eta_min > 0 chained with others: torch's affine rule can
    then go below 0 (lrplan refuses such a value, by design)."""
    if node[0] == "leaf":
        return in_chain and node[1] == "CosineAnnealingLR" and node[2]["eta_min"] > 0
    chain = in_chain or (node[0] == "chain" and len(node[1]) > 1)
    return any(_chained_cosine_with_floor(c, chain) for c in node[1])


def _count_nodes(node: Node) -> int:
    return 1 if node[0] == "leaf" else 1 + sum(_count_nodes(c) for c in node[1])


# --------------------------------------------------------------------------- differential


@SETTINGS
@given(data=st.data())
def test_random_trees_match_torch(data: st.DataObject) -> None:
    tree = data.draw(trees(), label="tree")
    n = _count_nodes(tree)
    mask = data.draw(
        st.one_of(
            st.just([True] * n),
            st.just([False] * n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        ),
        label="lrplan mask",
    )
    lrs = data.draw(lr_lists(), label="lrs")
    kind = data.draw(st.sampled_from(LR_KINDS), label="lr_kind")
    script = data.draw(
        st.lists(
            st.one_of(
                st.just(Step()),
                st.just(Step()),
                st.just(Step()),
                st.builds(ScaleLR, factor=st.floats(min_value=0.25, max_value=2.0)),
                st.just(Resume("state_dict")),
            ),
            min_size=10,
            max_size=35,
        ),
        label="script",
    )
    run_parity(
        _builder(tree),
        script,
        lrs=lrs,
        lr_kind=kind,
        candidate=mixed(mask),
        torch_errors="stop",
        accept_refusals=_chained_cosine_with_floor(tree),
    )


@pytest.mark.parametrize("outer", ["SequentialLR", "ChainedScheduler"])
@pytest.mark.parametrize("kind", LR_KINDS)
def test_classic_warmup_then_cosine_and_chains(outer: str, kind: str) -> None:
    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        warm = L.LinearLR(opt, start_factor=0.01, total_iters=5)
        cos = L.CosineAnnealingLR(opt, T_max=20, eta_min=1e-4)
        if outer == "SequentialLR":
            return L.SequentialLR(opt, [warm, cos], milestones=[5])
        return L.ChainedScheduler([warm, L.ExponentialLR(opt, gamma=0.95)])

    script: list[Any] = [Step()] * 12 + [Resume("state_dict")] + [Step()] * 6
    script += [ScaleLR(0.5)] + [Step()] * 30
    for mask in ([True], [False, True], [True, False]):
        run_parity(build, script, lrs=[0.1, 0.02], lr_kind=kind, candidate=mixed(mask))


def test_torch_quirk_chained_child_first_in_sequential() -> None:
    """torch's SequentialLR re-steps a ChainedScheduler child non-initially: reproduced."""

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        chain = L.ChainedScheduler(
            [L.ExponentialLR(opt, gamma=0.5), L.PolynomialLR(opt, total_iters=4)]
        )
        return L.SequentialLR(opt, [chain, L.StepLR(opt, step_size=2)], milestones=[3])

    trace = run_parity(build, [Step()] * 8, lrs=[1.0])
    # torch multiplies by gamma already at construction: the chain starts at 0.5 * (4/5)
    assert trace.torch_values[0][0][0] == pytest.approx(0.5 * 0.8)


# --------------------------------------------------------------------------- where torch fails


@pytest.mark.parametrize("inner", ["SequentialLR", "ChainedScheduler"])
def test_composite_child_at_a_milestone_restarts_where_torch_fails(inner: str) -> None:
    def build(lib: Any, opt: torch.optim.Optimizer) -> Any:
        first = lib.ExponentialLR(opt, gamma=0.5)
        a = lib.ConstantLR(opt, factor=0.5, total_iters=2)
        b = lib.StepLR(opt, step_size=1, gamma=0.9)
        if inner == "SequentialLR":
            child = lib.SequentialLR(opt, [a, b], milestones=[2])
        else:
            child = lib.ChainedScheduler([a, b])
        return lib.SequentialLR(opt, [first, child], milestones=[3])

    opt_t = make_optimizer([1.0])
    sched_t = build(tsched, opt_t)
    for _ in range(2):
        opt_t.step()
        sched_t.step()
    opt_t.step()
    with pytest.raises(NotImplementedError):
        sched_t.step()

    opt = make_optimizer([1.0])
    sched = build(lrplan, opt)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(6):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    # 1, 0.5, 0.25, then the child starts afresh on the base lr 1.0
    if inner == "SequentialLR":
        # ConstantLR for 2 steps (0.5), then StepLR restarts at 0 (1.0) and decays.
        want = [1.0, 0.5, 0.25, 0.5, 0.5, 1.0, 0.9]
    else:
        # both children from step 0: 0.5 * 1.0, then 0.5 * 0.9, then 0.9**2 (factor undone)
        want = [1.0, 0.5, 0.25, 0.5, 0.45, 0.9**2, 0.9**3]
    assert lrs == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------- validation


def _sgd() -> torch.optim.Optimizer:
    return make_optimizer([0.1])


@pytest.mark.parametrize("lib", [tsched, lrplan], ids=["torch", "lrplan"])
def test_same_validation_errors_as_torch(lib: Any) -> None:
    opt = _sgd()
    other = _sgd()
    s = lib.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="at least one scheduler"):
        lib.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="at least one scheduler"):
        lib.ChainedScheduler([])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        lib.SequentialLR(opt, [s, object()], milestones=[2])
    with pytest.raises(TypeError, match="should have `optimizer`"):
        lib.ChainedScheduler([s, object()])
    with pytest.raises(ValueError, match="same optimizer"):
        lib.SequentialLR(opt, [s, lib.StepLR(other, step_size=2)], milestones=[2])
    with pytest.raises(ValueError, match="same optimizer"):
        lib.ChainedScheduler([s, lib.StepLR(other, step_size=2)])
    with pytest.raises(ValueError, match="number of milestones"):
        lib.SequentialLR(opt, [s, lib.StepLR(opt, step_size=2)], milestones=[])
    with pytest.raises(AttributeError):
        lib.ChainedScheduler([object()])
    for plateau in (tsched.ReduceLROnPlateau(opt),):
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            lib.SequentialLR(opt, [s, plateau], milestones=[2])
        with pytest.raises(ValueError, match="ReduceLROnPlateau"):
            lib.ChainedScheduler([s, plateau])


def test_rejects_lrplan_plateau_too() -> None:
    plateau_cls = getattr(lrplan, "ReduceLROnPlateau", None)
    if plateau_cls is None:
        pytest.skip("lrplan.ReduceLROnPlateau is not exported yet")
    opt = _sgd()
    s = lrplan.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lrplan.SequentialLR(opt, [s, plateau_cls(opt)], milestones=[2])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lrplan.ChainedScheduler([s, plateau_cls(opt)])


@pytest.mark.parametrize(
    ("milestones", "error"),
    [([-1], ValueError), ([2.5], TypeError), ([5, 3], ValueError)],
)
def test_clear_errors_for_milestones_torch_accepts(milestones: list[Any], error: type) -> None:
    opt = _sgd()
    scheds = [lrplan.StepLR(opt, step_size=2) for _ in range(len(milestones) + 1)]
    with pytest.raises(error, match="milestones"):
        lrplan.SequentialLR(opt, scheds, milestones=milestones)


# --------------------------------------------------------------------------- state


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_state_is_plain_nested_data_and_resumes_bit_exactly() -> None:
    def build(opt: torch.optim.Optimizer) -> Any:
        chain = lrplan.ChainedScheduler(
            [lrplan.ConstantLR(opt, factor=0.5, total_iters=3), lrplan.ExponentialLR(opt, 0.9)]
        )
        cos = lrplan.CosineAnnealingLR(opt, T_max=7)
        return lrplan.SequentialLR(opt, [chain, cos], milestones=[5])

    opt = make_optimizer([0.1, 0.3], "float64")
    sched = build(opt)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert state["schedulers"][0]["format"] == "lrplan.chained"
    assert state["schedulers"][0]["schedulers"][1]["class"] == "ExponentialLR"
    loaded = torch_roundtrip(state)
    assert loaded == state
    snapshot = torch_roundtrip(state)

    opt2 = make_optimizer([0.1, 0.3], "float64")
    sched2 = build(opt2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(loaded)
    assert loaded == snapshot  # not modified by loading
    for _ in range(12):
        opt.step()
        sched.step()
        opt2.step()
        sched2.step()
        a = [float(g["lr"]) for g in opt.param_groups]
        b = [float(g["lr"]) for g in opt2.param_groups]
        assert a == b
        assert all(math.isfinite(x) for x in a)


def test_rejects_state_of_another_shape() -> None:
    opt = _sgd()
    seq = lrplan.SequentialLR(
        opt, [lrplan.StepLR(opt, step_size=2), lrplan.StepLR(opt, step_size=3)], milestones=[4]
    )
    bad = seq.state_dict()
    bad["milestones"] = [5]
    with pytest.raises(ValueError, match="milestones"):
        seq.load_state_dict(bad)
    chain = lrplan.ChainedScheduler([lrplan.StepLR(opt, step_size=2)])
    with pytest.raises(ValueError, match="child states"):
        chain.load_state_dict({**chain.state_dict(), "schedulers": []})
    with pytest.raises(ValueError, match="not an lrplan"):
        chain.load_state_dict(seq.state_dict())


def test_torch_sequential_accepts_lrplan_children_and_lrplan_is_a_torch_scheduler() -> None:
    opt = _sgd()
    seq = lrplan.SequentialLR(
        opt, [lrplan.ConstantLR(opt), lrplan.ExponentialLR(opt, gamma=0.9)], milestones=[5]
    )
    assert isinstance(seq, tsched.LRScheduler)
    outer = tsched.ChainedScheduler([seq])
    for _ in range(3):
        opt.step()
        outer.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 / 3)


@pytest.mark.parametrize("kind", ["float", "float64"])
def test_undone_children_whose_sibling_wrote_their_number_still_chain(kind: str) -> None:
    """A sequence over a chain of two one-child sequences (found by hypothesis).

    The outer SequentialLR resets the lr and moves every leaf's ``last_epoch`` back
    to -1; the first ConstantLR then writes 0.5, the very number the second one had
    written at its own step 0. The second must still see a foreign change and
    multiply (torch gives 0.25), not take 0.5 as its own closed form.
    """
    c = {"factor": 0.5, "total_iters": 1}
    tree = ("seq", [("chain", [("seq", [("leaf", "ConstantLR", c)], [])] * 2)], [])
    run_parity(_builder(tree), [Step()] * 6, lrs=[1.0], lr_kind=kind)
