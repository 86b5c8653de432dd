"""SequentialLR and ChainedScheduler against torch 2.13's, over random trees of children.

Each tree is built twice: once entirely from ``torch.optim.lr_scheduler`` (the
oracle) and once with every node drawn from lrplan or torch by a random mask
(all lrplan, all torch, or mixed), so lrplan's composites run over torch's
children and torch's composites over lrplan's, nested. Where torch itself fails
(a composite child reached at a milestone), the comparison stops there and a
separate test checks what lrplan does instead.
"""

from __future__ import annotations

import copy
import io
import math
import pickle
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
    assert state["lrplan"]["class"] == "SequentialLR"
    assert state["_milestones"] == [5] and state["last_epoch"] == 4
    assert state["_schedulers"][0]["lrplan"]["class"] == "ChainedScheduler"
    assert state["_schedulers"][0]["_schedulers"][1]["lrplan"]["class"] == "ExponentialLR"
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
    chain = lrplan.ChainedScheduler([lrplan.StepLR(opt, step_size=2)])
    with pytest.raises(ValueError, match="child states"):
        chain.load_state_dict({**chain.state_dict(), "_schedulers": []})
    with pytest.raises(ValueError, match="belongs to SequentialLR"):
        chain.load_state_dict(seq.state_dict())
    bad = seq.state_dict()
    bad["lrplan"] = {**bad["lrplan"], "version": 99}
    with pytest.raises(ValueError, match="version 99"):
        seq.load_state_dict(bad)


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


# --------------------------------------------------------------------------- the promises


def _tree(L: Any, opt: torch.optim.Optimizer, outer: str) -> Any:
    """A nested tree whose milestone lands on a leaf (torch handles every step of it)."""
    chain = L.ChainedScheduler(
        [L.ConstantLR(opt, factor=0.5, total_iters=3), L.ExponentialLR(opt, gamma=0.9)]
    )
    if outer == "ChainedScheduler":
        return L.ChainedScheduler([chain, L.StepLR(opt, step_size=2, gamma=0.8)])
    inner = L.SequentialLR(
        opt,
        [L.LinearLR(opt, start_factor=0.5, total_iters=2), L.CosineAnnealingLR(opt, T_max=6)],
        milestones=[2],
    )
    return L.SequentialLR(opt, [chain, inner, L.StepLR(opt, step_size=2)], milestones=[4, 4])


def _lrs(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def _floats(values: list[Any]) -> list[float]:
    return [float(v) for v in values]


def test_composites_are_instances_of_all_three() -> None:
    opt = _sgd()
    seq = lrplan.SequentialLR(opt, [lrplan.StepLR(opt, 2)], milestones=[])
    chain = lrplan.ChainedScheduler([lrplan.StepLR(opt, 2)])
    for sched, theirs in ((seq, tsched.SequentialLR), (chain, tsched.ChainedScheduler)):
        assert isinstance(sched, lrplan.LRScheduler)
        assert isinstance(sched, tsched.LRScheduler)
        assert isinstance(sched, theirs)


# An unpickled optimizer's step is no longer wrapped: a child's first step then warns, as
# torch's schedulers do after a pickle.
@pytest.mark.filterwarnings(r"ignore:Seems like `optimizer.step\(\)` has been overridden")
@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
@pytest.mark.parametrize("outer", ["SequentialLR", "ChainedScheduler"])
@pytest.mark.parametrize("kind", ["float", "float32"])
@pytest.mark.parametrize("how", ["pickle", "deepcopy", "torch.save"])
@pytest.mark.parametrize("at", [0, 3, 4, 7])
def test_pickle_and_deepcopy_mid_run_continue_identically(
    outer: str, kind: str, how: str, at: int
) -> None:
    opt = make_optimizer([0.1, 0.4], kind)
    sched = _tree(mixed([True, False, True])(), opt, outer)
    for _ in range(at):
        opt.step()
        sched.step()
    if how == "pickle":
        opt2, sched2 = pickle.loads(pickle.dumps((opt, sched)))
    elif how == "deepcopy":
        opt2, sched2 = copy.deepcopy((opt, sched))
    else:
        buf = io.BytesIO()
        torch.save((opt, sched), buf)
        buf.seek(0)
        opt2, sched2 = torch.load(buf, weights_only=False)
    assert sched2.optimizer is opt2
    assert all(c.optimizer is opt2 for c in sched2._schedulers)
    for _ in range(10):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert _lrs(opt2) == _lrs(opt)
        assert _floats(sched2.get_last_lr()) == _floats(sched.get_last_lr())


def _resume_across(src: Any, dst: Any, outer: str, at: int, kind: str) -> None:
    """Run ``src``'s tree ``at`` steps, load its state (through weights_only) into
    ``dst``'s tree, and check both continue with the same values as ``src``'s."""
    opt = make_optimizer([0.1, 0.4], kind)
    sched = _tree(src, opt, outer)
    for _ in range(at):
        opt.step()
        sched.step()
    state = sched.state_dict()
    loaded = torch_roundtrip(state)
    snapshot = torch_roundtrip(state)
    opt2 = make_optimizer([0.1, 0.4], kind)
    sched2 = _tree(dst, opt2, outer)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(loaded)
    assert _floats(sched2.get_last_lr()) == pytest.approx(_floats(sched.get_last_lr()), rel=1e-6)
    for _ in range(12):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        rel = 1e-9 if kind == "float" else 1e-6
        assert _lrs(opt2) == pytest.approx(_lrs(opt), rel=rel)
        assert _floats(sched2.get_last_lr()) == pytest.approx(_lrs(opt), rel=rel)
    if dst is lrplan:  # torch's children keep aliases into what they loaded
        assert str(loaded) == str(snapshot)


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
@pytest.mark.parametrize("outer", ["SequentialLR", "ChainedScheduler"])
@pytest.mark.parametrize("kind", ["float", "float32"])
@pytest.mark.parametrize("at", [0, 3, 4, 6, 9])
def test_torch_state_resumes_in_lrplan_and_lrplan_state_in_torch(
    outer: str, kind: str, at: int
) -> None:
    _resume_across(tsched, lrplan, outer, at, kind)
    _resume_across(lrplan, tsched, outer, at, kind)


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_state_is_torchs_keys_plus_lrplans_header() -> None:
    opt = _sgd()
    theirs = _tree(tsched, make_optimizer([0.1]), "SequentialLR")
    ours = _tree(lrplan, opt, "SequentialLR")
    st = ours.state_dict()
    assert set(theirs.state_dict()) <= set(st) <= set(theirs.state_dict()) | {"lrplan"}
    assert st["lrplan"] == {"format": "lrplan.scheduler", "version": 2, "class": "SequentialLR"}
    assert [c["lrplan"]["class"] for c in st["_schedulers"]] == [
        "ChainedScheduler",
        "SequentialLR",
        "StepLR",
    ]
    chain = lrplan.ChainedScheduler([lrplan.StepLR(opt, 2)])
    assert set(chain.state_dict()) == {"_schedulers", "_last_lr", "lrplan"}


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_changed_milestones_saved_win_with_one_warning() -> None:
    def build(opt: torch.optim.Optimizer, ms: list[int]) -> Any:
        return lrplan.SequentialLR(
            opt, [lrplan.ConstantLR(opt, 0.5, 2), lrplan.ExponentialLR(opt, 0.5)], ms
        )

    opt = _sgd()
    saved = build(opt, [3])
    for _ in range(2):
        opt.step()
        saved.step()
    state = saved.state_dict()
    new = build(_sgd(), [5])
    with pytest.warns(UserWarning, match=r"milestones: \[5\] -> \[3\] \(saved\)") as w:
        new.load_state_dict(state)
    assert len(w) == 1 and "on_config_change" in str(w[0].message)
    assert new._milestones == [3]
    opt2 = new.optimizer
    opt2.load_state_dict(opt.state_dict())
    for _ in range(4):
        for o, s in ((opt, saved), (opt2, new)):
            o.step()
            s.step()
        assert _lrs(opt2) == _lrs(opt)

    with pytest.raises(ValueError, match="milestones"):
        build(_sgd(), [5]).load_state_dict(state, on_config_change="error")
    kept = build(_sgd(), [5])
    kept.load_state_dict(state, on_config_change="keep_step")
    assert kept._milestones == [5] and kept.last_epoch == 2
    with pytest.raises(ValueError, match="on_config_change"):
        kept.load_state_dict(state, on_config_change="bogus")  # type: ignore[arg-type]


def test_a_refused_child_leaves_nothing_loaded() -> None:
    opt = _sgd()
    seq = lrplan.SequentialLR(
        opt, [lrplan.StepLR(opt, 2), lrplan.ExponentialLR(opt, 0.5)], milestones=[1]
    )
    other = lrplan.SequentialLR(opt, [lrplan.StepLR(opt, 2), lrplan.StepLR(opt, 3)], milestones=[1])
    for _ in range(3):
        opt.step()
        other.step()
    before = (copy.deepcopy(seq.state_dict()), _lrs(opt))
    with pytest.raises(ValueError, match="belongs to StepLR"):
        seq.load_state_dict(other.state_dict())
    assert str(seq.state_dict()) == str(before[0]) and _lrs(opt) == before[1]


@pytest.mark.filterwarnings(r"ignore:Detected call of `lr_scheduler.step\(\)`")
def test_lrplans_first_state_layout_still_loads() -> None:
    """Version 1: a ``format`` header at the top, ``schedulers``/``milestones``/``last_lr``."""

    def v1(st: dict[str, Any]) -> dict[str, Any]:
        if "_schedulers" in st:
            out = {
                "format": "lrplan.sequential" if "_milestones" in st else "lrplan.chained",
                "version": 1,
                "class": st["lrplan"]["class"],
                "last_lr": [float(v) for v in st["_last_lr"]],
                "schedulers": [v1(c) for c in st["_schedulers"]],
            }
            if "_milestones" in st:
                out.update(last_epoch=st["last_epoch"], milestones=st["_milestones"])
            return out
        lp = st["lrplan"]
        return {
            **{k: v for k, v in lp.items() if k != "values"},
            "version": 1,
            "base_values": st["base_lrs"],
            "step_count": st["_step_count"],
            "last_values": lp["values"],
        }

    opt = _sgd()
    sched = _tree(lrplan, opt, "SequentialLR")
    for _ in range(5):
        opt.step()
        sched.step()
    opt2 = _sgd()
    sched2 = _tree(lrplan, opt2, "SequentialLR")
    sched2.load_state_dict(v1(sched.state_dict()))
    for _ in range(6):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert _lrs(opt2) == _lrs(opt)


def test_user_subclasses_as_children_match_torch() -> None:
    """Children written by users on either library's base: closed-form and chainable."""

    def build(L: Any, opt: torch.optim.Optimizer, last_epoch: int = -1) -> Any:
        base = L.LRScheduler

        class Halving(base):  # type: ignore[misc, valid-type]
            def get_lr(self) -> list[float]:  # chainable
                if self.last_epoch == 0:
                    return [g["lr"] for g in self.optimizer.param_groups]
                return [g["lr"] * 0.5 for g in self.optimizer.param_groups]

        class Ramp(base):  # type: ignore[misc, valid-type]
            def get_lr(self) -> list[float]:  # closed form
                return [b * (self.last_epoch + 1) / 4 for b in self.base_lrs]

        chain = L.ChainedScheduler([Halving(opt), L.ExponentialLR(opt, gamma=0.9)])
        return L.SequentialLR(opt, [Ramp(opt), chain, Ramp(opt)], milestones=[3, 6])

    script: list[Any] = [Step()] * 5 + [ScaleLR(0.5)] + [Step()] * 8
    for mask in ([True], [False, True], [True, False]):
        run_parity(build, script, lrs=[0.1, 0.02], candidate=mixed(mask), torch_errors="stop")
