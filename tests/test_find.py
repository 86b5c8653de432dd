"""The LR range test (lrplan.find_lr, lrplan.RangeTest, ``lrplan find``).

torch-lr-finder and Lightning are the oracles: on the same model, seed, data order and
settings lrplan records the same lrs and losses, and the steepest-descent rules pick the
same lr. The deliberate differences (param-group ratios, skipped AMP steps, restored RNG)
have tests of their own.
"""

from __future__ import annotations

import copy
import json
import math
import operator
import random
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrplan as lp
from lrplan import _find
from lrplan._spec import parse_spec
from lrplan.cli import main

# --------------------------------------------------------------------------- fixtures


def _data(seed: int = 0, n: int = 256) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.3 * torch.randn(n, generator=g))[:, None]
    return TensorDataset(x, y)


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))


def _ours(**kw: Any) -> _find.FindResult:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loader = DataLoader(_data(), batch_size=16)
    val = kw.pop("val", False)
    return lp.find_lr(
        model,
        opt,
        nn.MSELoss(),
        loader,
        val_loader=DataLoader(_data(1, 64), batch_size=32) if val else None,
        **kw,
    )


def _theirs(**kw: Any) -> Any:
    from torch_lr_finder import LRFinder

    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    finder = LRFinder(model, opt, nn.MSELoss())
    val = kw.pop("val", False)
    finder.range_test(
        DataLoader(_data(), batch_size=16),
        val_loader=DataLoader(_data(1, 64), batch_size=32) if val else None,
        **kw,
    )
    return finder


# --------------------------------------------------------------------------- the oracle

CASES = [
    # (lrplan settings, the same for torch-lr-finder)
    (
        {"start_lr": 1e-5, "end_lr": 10.0, "num_steps": 60},
        {"start_lr": 1e-5, "end_lr": 10.0, "num_iter": 60},
    ),
    (
        {"start_lr": 1e-4, "end_lr": 1.0, "num_steps": 40, "mode": "linear", "smooth_f": 0.2},
        {"start_lr": 1e-4, "end_lr": 1.0, "num_iter": 40, "step_mode": "linear", "smooth_f": 0.2},
    ),
    (
        {"start_lr": 1e-5, "end_lr": 3.0, "num_steps": 50, "accumulation_steps": 3},
        {"start_lr": 1e-5, "end_lr": 3.0, "num_iter": 50, "accumulation_steps": 3},
    ),
    (
        {"start_lr": 1e-5, "end_lr": 10.0, "num_steps": 40, "smooth_f": 0.0, "val": True},
        {"start_lr": 1e-5, "end_lr": 10.0, "num_iter": 40, "smooth_f": 0.0, "val": True},
    ),
    (
        {"start_lr": 1e-5, "end_lr": 10.0, "num_steps": 80, "diverge_th": 2.0},
        {"start_lr": 1e-5, "end_lr": 10.0, "num_iter": 80, "diverge_th": 2.0},
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), CASES)
def test_same_curve_as_torch_lr_finder(
    ours: dict[str, Any], theirs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    mine = _ours(**ours)
    finder = _theirs(**theirs)
    capsys.readouterr()
    assert mine.lrs == finder.history["lr"]  # exact: the same formula, the same floats
    assert mine.smoothed == finder.history["loss"]
    assert len(mine.losses) == len(mine.lrs)


def test_divergence_stops_where_torch_lr_finder_stops(capsys: pytest.CaptureFixture[str]) -> None:
    mine = _ours(start_lr=1e-5, end_lr=100.0, num_steps=100)
    finder = _theirs(start_lr=1e-5, end_lr=100.0, num_iter=100)
    assert "Stopping early" in capsys.readouterr().out
    assert mine.stop_reason == "diverged"
    assert len(mine.lrs) == len(finder.history["lr"]) < 100


def test_steepest_suggestion_agrees_with_torch_lr_finder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from matplotlib.figure import Figure

    mine = _ours(start_lr=1e-5, end_lr=10.0, num_steps=100)
    finder = _theirs(start_lr=1e-5, end_lr=10.0, num_iter=100)
    _, theirs = finder.plot(suggest_lr=True, ax=Figure().add_subplot())
    capsys.readouterr()
    s = mine.suggest("steepest")
    assert s.ok
    assert s.lr == theirs


def test_steepest_lightning_agrees_with_lightning() -> None:
    from lightning.pytorch.tuner.lr_finder import _LRFinder

    mine = _ours(start_lr=1e-5, end_lr=10.0, num_steps=100)
    oracle = _LRFinder(mode="exponential", lr_min=1e-5, lr_max=10.0, num_training=100)
    oracle.results = {"lr": mine.lrs, "loss": mine.smoothed}
    assert mine.suggest("steepest_lightning").lr == oracle.suggestion()


# --------------------------------------------------------------------------- fastai's rules


def _result(losses: list[float], lrs: list[float] | None = None) -> _find.FindResult:
    """A result from a given curve (smoothing off), as a RangeTest records it."""
    n = len(losses)
    lrs = lrs or [_find.ramp_lr(i, n, 1e-6, 1.0) for i in range(n)]
    return _find.FindResult(
        lrs=lrs,
        losses=losses,
        smoothed=losses,
        start_lr=lrs[0],
        end_lr=lrs[-1],
        num_steps=n,
        mode="exp",
        smooth_f=0.0,
        diverge_th=5.0,
        stop_reason="completed",
    )


# A clean curve: flat, a long fall, a minimum at step 40, then a rise. Worked by hand.
CURVE = [2.0] * 10 + [2.0 - 0.05 * k for k in range(1, 31)] + [0.5 + 0.1 * k for k in range(10)]


def test_minimum_is_a_tenth_of_the_lowest_point() -> None:
    r = _result(CURVE)
    assert int(np.argmin(CURVE)) == 39  # 2.0 - 0.05 * 30 = 0.5 at step 39
    assert r.suggest("minimum").lr == pytest.approx(r.lrs[39] / 10, rel=1e-15)


def test_valley_picks_the_point_half_way_down_the_longest_fall() -> None:
    r = _result(CURVE)
    # fastai trims num_steps // 10 = 5 points at the start and 5 at the end, so index 0
    # of the trimmed curve is step 5. The longest strictly decreasing subsequence has 31
    # points (one flat point, then the 30 falls) and ends at step 39 (index 34); fastai
    # puts its start at 34 - 31 = 3 and picks 3 + int(31 / 3) + int(31 / 6) = 18: step 23.
    s = r.suggest("valley")
    assert s.index == 5 + 18
    assert s.lr == r.lrs[23]


def test_steep_is_the_steepest_fall_per_log_lr() -> None:
    losses = [*CURVE]
    losses[20] -= 0.2  # one sharp drop, from step 19 to 20
    s = _result(losses).suggest("steep")
    assert s.index == 19


def test_range_runs_from_the_start_of_the_fall_to_the_minimum() -> None:
    s = _result(CURVE).suggest("valley")
    # 10% of the fall (2.0 -> 0.5) is 0.15: first reached at 2.0 - 0.05 * 3, step 12.
    assert (s.low, s.high) == (_result(CURVE).lrs[12], _result(CURVE).lrs[39])


def test_range_starts_after_the_highest_point_before_the_minimum() -> None:
    # low at first, a bump (early instability), then the real fall from 3.0 to 0.3
    curve = [1.0] * 10 + [3.0] * 10 + [3.0 - 0.09 * k for k in range(1, 31)] + [0.4] * 10
    r = _result(curve)
    s = r.suggest("valley")
    # 10% of the fall from 3.0 (step 10) to 0.3 (step 49) is 0.27: 3.0 - 0.09 * 3, step 22
    assert (s.low, s.high) == (r.lrs[22], r.lrs[49])


# --------------------------------------------------------------------------- the loop form


def _bn_model() -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Dropout(0.2), nn.Linear(8, 1))


def _states(model: nn.Module, opt: torch.optim.Optimizer) -> dict[str, Any]:
    return {
        "model": copy.deepcopy(model.state_dict()),
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "training": [m.training for m in model.modules()],
        "opt": copy.deepcopy(opt.state_dict()),
        "groups": copy.deepcopy(
            [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
        ),
        "torch_rng": torch.get_rng_state(),
        "random": random.getstate(),
        "numpy": np.random.get_state(),
    }


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return bool(a == b)


def test_restore_is_bit_exact() -> None:
    model = _bn_model()
    loader = DataLoader(_data(), batch_size=16, shuffle=True)
    opt = torch.optim.Adam(
        [
            {"params": model[0].parameters(), "lr": 1e-3},
            {
                "params": [*model[1].parameters(), *model[3].parameters()],
                "lr": 2e-3,
                "weight_decay": 0.1,
            },
        ]
    )
    x, y = _data()[:16]
    nn.functional.mse_loss(model(x), y).backward()
    opt.step()  # Adam has state, the grads are set
    model.eval()[1].train()  # mixed train/eval flags
    random.seed(5)
    np.random.seed(5)
    before = _states(model, opt)

    def step(m: nn.Module, batch: Any) -> torch.Tensor:
        random.random()
        np.random.rand()  # the step uses every RNG
        return nn.functional.mse_loss(m(batch[0]), batch[1])

    result = lp.find_lr(model, opt, None, loader, step_fn=step, start_lr=1e-5, num_steps=30)
    assert len(result.lrs) > 10
    assert _equal(_states(model, opt), before)


def test_restore_after_an_error_in_the_loop() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _states(model, opt)
    with pytest.raises(RuntimeError, match="boom"), lp.RangeTest(opt, model=model) as test:
        for x, y in DataLoader(_data(), batch_size=16):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            test.step(loss)
            raise RuntimeError("boom")
    assert _equal(_states(model, opt), before)


def test_tensor_lr_keeps_its_identity() -> None:
    model = _model()
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    result = lp.find_lr(model, opt, nn.MSELoss(), DataLoader(_data(), batch_size=16), num_steps=20)
    assert opt.param_groups[0]["lr"] is lr and torch.equal(lr, torch.tensor(0.01))
    assert result.lrs[0] == 1e-7


def test_param_groups_keep_their_ratios() -> None:
    model = _model()
    opt = torch.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.1},
            {"params": model[2].parameters(), "lr": 0.025},
        ]
    )
    seen: list[tuple[float, float]] = []
    with lp.RangeTest(opt, model=model, start_lr=1e-4, end_lr=1.0, num_steps=20) as test:
        while not test.should_stop:
            seen.append((opt.param_groups[0]["lr"], opt.param_groups[1]["lr"]))
            test.step(1.0)  # a flat loss: the whole ramp runs
    assert [a for a, _ in seen] == test.result.lrs
    assert all(b == a * 0.25 for a, b in seen)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.025]


def test_torch_lr_finder_loses_the_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    """The documented difference: torch-lr-finder sets every group to start_lr."""
    from torch_lr_finder import LRFinder

    model = _model()
    opt = torch.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.1},
            {"params": model[2].parameters(), "lr": 0.025},
        ]
    )
    finder = LRFinder(model, opt, nn.MSELoss())
    finder.range_test(DataLoader(_data(), batch_size=16), start_lr=1e-4, end_lr=1.0, num_iter=5)
    capsys.readouterr()
    assert opt.param_groups[0]["lr"] == opt.param_groups[1]["lr"]


def test_grad_scaler_skips_are_not_counted(capsys: pytest.CaptureFixture[str]) -> None:
    """A real GradScaler under bfloat16 autocast skips the steps whose gradients hold
    inf (injected by a hook on the weight's gradient): lrplan does not count them and
    retries the lr; torch-lr-finder counts them."""
    from torch_lr_finder import LRFinder

    def run(ours: bool) -> tuple[Any, int, Any, nn.Module]:
        model = _model()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
        calls = [0]

        def poison(grad: torch.Tensor) -> torch.Tensor:
            calls[0] += 1
            return grad * math.inf if calls[0] in (4, 9) else grad

        model[0].weight.register_hook(poison)
        loader = DataLoader(_data(), batch_size=16)
        if ours:

            def step(m: nn.Module, batch: Any) -> torch.Tensor:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return nn.functional.mse_loss(m(batch[0]).float(), batch[1])

            result = lp.find_lr(
                model, opt, None, loader, step_fn=step, scaler=scaler,
                start_lr=1e-4, end_lr=0.1, num_steps=20,
            )  # fmt: skip
            return result, calls[0], scaler, model
        finder = LRFinder(
            model,
            opt,
            nn.MSELoss(),
            amp_backend="torch",
            amp_config={"device_type": "cpu", "dtype": torch.bfloat16},
            grad_scaler=scaler,
        )
        finder.range_test(loader, start_lr=1e-4, end_lr=0.1, num_iter=20)
        return finder.history, calls[0], scaler, model

    result, ours_calls, scaler, model = run(True)
    history, their_calls, _, _ = run(False)
    capsys.readouterr()
    ramp = [_find.ramp_lr(i, 20, 1e-4, 0.1) for i in range(20)]
    assert result.skipped == 2 and ours_calls == 22
    assert result.lrs == ramp  # 20 counted steps, each at its own lr
    assert scaler.get_scale() == 2.0**10  # the scaler is restored too
    assert torch.equal(model[0].weight, _model()[0].weight)
    assert their_calls == 20 and history["lr"] == ramp  # two of its 20 lrs did nothing


def test_loss_not_finite_from_the_first_step() -> None:
    w = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    with lp.RangeTest(opt) as test:
        while not test.should_stop:
            test.step(float("nan"))
    r = test.result
    assert len(r.lrs) == 1 and "not finite" in r.stop_reason
    s = r.suggest()
    assert not s.ok and "first step" in s.reason
    with pytest.raises(ValueError, match="no plan: the loss was not finite at the first step"):
        r.plan(1000)


def test_a_noisy_curve_is_reported() -> None:
    w = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    rng = np.random.default_rng(0)
    with lp.RangeTest(opt, num_steps=100, diverge_th=100.0) as test:
        while not test.should_stop:
            test.step(1.0 + 0.1 * float(rng.standard_normal()))  # the lr does not matter
    for rule, s in test.result.suggestions().items():
        assert not s.ok, rule
        assert s.reason.startswith("too noisy to support a suggestion")
    assert test.result.noise == pytest.approx(0.1, rel=0.25)


def test_noise_decides_between_a_suggestion_and_a_report() -> None:
    rng = np.random.default_rng(0)
    clean = [c + 0.02 * float(rng.standard_normal()) for c in CURVE]
    assert _result(clean).suggest("valley").ok
    drowned = [c + 2.0 * float(rng.standard_normal()) for c in CURVE]  # noise > the fall
    assert _result(drowned).suggest("valley").reason.startswith("too noisy")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr must be greater than start_lr"),
        ({"start_lr": 0.0}, "start_lr must be a finite number > 0"),
        ({"end_lr": math.inf}, "end_lr must be a finite number > 0"),
        ({"num_steps": 1}, "num_steps must be an integer >= 2"),
        ({"mode": "cos"}, "mode must be one of"),
        ({"smooth_f": 1.0}, r"smooth_f must be in \[0, 1\)"),
        ({"diverge_th": 1.0}, "diverge_th must be a finite number > 1"),
    ],
)
def test_bad_arguments(kw: dict[str, Any], message: str) -> None:
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1)
    with pytest.raises(ValueError, match=message):
        lp.RangeTest(opt, **kw)


def test_bad_types_and_loaders() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"optimizer must be a torch\.optim\.Optimizer"):
        lp.RangeTest(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the loader yielded no batch"):
        lp.find_lr(model, opt, nn.MSELoss(), [])
    with pytest.raises(ValueError, match="accumulation_steps must be an integer >= 1"):
        lp.find_lr(model, opt, nn.MSELoss(), [], accumulation_steps=0)
    with pytest.raises(RuntimeError, match="has not ended"):
        _ = lp.RangeTest(opt).result
    assert opt.param_groups[0]["lr"] == 0.1


def test_too_few_steps_for_a_suggestion() -> None:
    s = _result([2.0, 1.5, 1.0, 0.8, 0.7]).suggest()
    assert not s.ok and "at least 10 are needed" in s.reason
    with pytest.raises(ValueError, match="rule must be one of"):
        _result(CURVE).suggest("magic")


# --------------------------------------------------------------------------- the plan


@pytest.mark.parametrize("shape", ["cosine", "wsd"])
def test_the_plan_is_a_spec_that_parses_to_the_schedule(
    shape: str, capsys: pytest.CaptureFixture[str]
) -> None:
    r = _result(CURVE)
    plan = r.plan(2000, shape=shape)
    assert plan.lr == r.suggest("valley").lr
    assert parse_spec(plan.spec) == plan.schedule
    assert plan.schedule.duration == 2000
    assert plan.schedule(0) == 0.0 and plan.schedule(200) == 1.0  # warmup to the peak
    assert plan.schedule(2000) == pytest.approx(0.01)
    assert main(["show", plan.spec, "--base-lr", str(plan.lr)]) == 0
    assert "end" in capsys.readouterr().out


def test_the_plan_drives_the_optimizer_to_the_suggested_peak() -> None:
    plan = _result(CURVE).plan(100, warmup_fraction=0.1)
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=plan.lr)
    sched = lp.ScheduledLR(opt, plan.schedule)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert max(lrs) == pytest.approx(plan.lr, rel=1e-12) and lrs[10] == max(lrs)


def test_plan_arguments() -> None:
    r = _result(CURVE)
    with pytest.raises(ValueError, match="shape must be one of"):
        r.plan(100, shape="step")
    with pytest.raises(ValueError, match="total_steps must be an integer >= 2"):
        r.plan(1)


# --------------------------------------------------------------------------- pictures


def test_plot_png_and_notebook(tmp_path: Path) -> None:
    r = _result(CURVE)
    fig = r.plot(tmp_path / "find.png")
    assert (tmp_path / "find.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.axes[0].get_xscale() == "log"
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "plausible range" in labels and any(lab.startswith("valley: ") for lab in labels)
    png = r._repr_png_()
    assert png is not None and png[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="image format"):
        r.plot(tmp_path / "find.gif")


def test_terminal_chart() -> None:
    chart = _result(CURVE).terminal_chart(width=70, height=18)
    assert len(chart.splitlines()) == 18
    assert "1e-06" in chart and "smoothed" in chart and "valley" in chart


# --------------------------------------------------------------------------- the CLI


def test_cli_find_on_the_demo_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "find.png"
    assert main(["find", "--steps", "60", "-q", "-o", str(out), "--terminal", "--width", "70"]) == 0
    text = capsys.readouterr().out
    assert "range test on the demo model" in text
    assert out.read_bytes()[:4] == b"\x89PNG"
    spec = text.split("proposed plan over 1440 steps")[1].splitlines()[1].strip()
    assert parse_spec(spec).duration == 1440


def test_cli_find_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["find", "--steps", "60", "-q", "--format", "json", "--plan", "wsd"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["lrs"]) == len(data["losses"]) <= 60
    assert set(data["suggestions"]) == set(_find.RULES)
    assert parse_spec(data["plan"]["spec"]).duration == 1440


SETUP = """
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

def setup():
    torch.manual_seed(0)
    x = torch.randn(256, 3)
    y = x.sum(dim=1, keepdim=True)
    model = nn.Linear(3, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), DataLoader(
        TensorDataset(x, y), batch_size=32)

def broken():
    return "not a setup"

def dicts():
    model = nn.Linear(3, 1)
    batches = [{"x": torch.randn(4, 3), "y": torch.randn(4, 1)}]
    return model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), batches
"""


def test_cli_find_on_a_user_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "my_setup_for_find.py").write_text(textwrap.dedent(SETUP))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    code = main(
        [
            "find",
            "my_setup_for_find:setup",
            "--start-lr",
            "1e-4",
            "--steps",
            "50",
            "-q",
            "--total-steps",
            "500",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "range test on my_setup_for_find:setup" in text
    assert "proposed plan over 500 steps" in text
    assert main(["find", "my_setup_for_find:broken", "-q"]) == 2
    assert "must return (model, optimizer, loss_fn, loader)" in capsys.readouterr().err
    assert main(["find", "no_such_module_here:setup", "-q"]) == 2
    assert main(["find", "my_setup_for_find:dicts", "-q"]) == 2
    assert "each batch must be (inputs, targets, ...)" in capsys.readouterr().err
    assert main(["find", "--start-lr", "1", "--end-lr", "0.5", "-q"]) == 2
    assert "end_lr must be greater than start_lr" in capsys.readouterr().err


def test_cli_find_progress_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["find", "--steps", "40"]) == 0
    captured = capsys.readouterr()
    assert "range test: step 1/40" in captured.err
    assert "suggested lr" in captured.out or "no suggestion" in captured.out


def test_no_stop_runs_the_whole_ramp() -> None:
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1)
    losses = [1.0 / (i + 1) for i in range(10)] + [100.0] * 10  # diverges at step 10
    for stop, expected in ((True, 11), (False, 20)):
        with lp.RangeTest(opt, num_steps=20, stop_on_divergence=stop) as test:
            for loss in losses:
                if test.should_stop:
                    break
                test.step(loss)
        assert len(test.result.lrs) == expected
        assert test.result.stop_reason == ("diverged" if stop else "completed")


def test_a_scaler_that_always_skips_stops_the_test() -> None:
    w = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    with lp.RangeTest(opt, scaler=scaler, num_steps=10, max_skipped=3) as test:
        while not test.should_stop:
            loss = (w * 1e38).sum()  # finite, but the scaled gradients overflow
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            test.step(loss)
    r = test.result
    assert r.skipped == 4 and r.lrs == []
    assert r.stop_reason == "the GradScaler skipped more than 3 steps"
    assert not r.suggest().ok and torch.equal(w, torch.ones(2))


# --------------------------------------------------------------------------- review fixes


class _Float32Momentum(torch.optim.Optimizer):
    """SGD with momentum kept in float32 whatever the params' dtype."""

    def __init__(self, params: Any, lr: float = 0.1) -> None:
        super().__init__(params, {"lr": lr})

    @torch.no_grad()  # type: ignore[misc]
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                buf = self.state[p].setdefault("mom", torch.zeros_like(p, dtype=torch.float32))
                buf.mul_(0.9).add_(p.grad.float())
                p.add_((-group["lr"] * buf).to(p.dtype))


def test_restore_keeps_state_dtypes_and_identities() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1).to(torch.bfloat16)
    opt = _Float32Momentum(model.parameters())
    x, y = torch.randn(64, 4, dtype=torch.bfloat16), torch.randn(64, 1, dtype=torch.bfloat16)
    for _ in range(3):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    mom = opt.state[model.weight]["mom"]
    saved = mom.clone()
    batches = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    lp.find_lr(model, opt, nn.MSELoss(), batches, num_steps=20)
    # load_state_dict would have cast the float32 momentum to bfloat16
    assert opt.state[model.weight]["mom"] is mom and mom.dtype == torch.float32
    assert torch.equal(mom, saved)

    model = _bn_model()
    betas = (torch.tensor(0.9), torch.tensor(0.999))
    adam = torch.optim.Adam(model.parameters(), lr=torch.tensor(1e-3), betas=betas)
    x, y = _data()[:16]
    nn.functional.mse_loss(model(x), y).backward()
    adam.step()
    group = adam.param_groups[0]
    state_tensors = [t for st in adam.state.values() for t in st.values()]
    before = _states(model, adam)
    with lp.RangeTest(adam, model=model, num_steps=10) as test:
        while not test.should_stop:
            loss = nn.functional.mse_loss(model(x), y)
            adam.zero_grad()
            loss.backward()
            adam.step()
            test.step(loss)
    assert adam.param_groups[0] is group and group["betas"][0] is betas[0]
    after = [t for st in adam.state.values() for t in st.values()]
    assert len(after) == len(state_tensors) and all(map(operator.is_, after, state_tensors))
    assert _equal(_states(model, adam), before)


def test_non_persistent_buffers_are_restored() -> None:
    class Counter(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(4, 1)
            self.register_buffer("seen", torch.zeros(()), persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.seen += 1
            out: torch.Tensor = self.lin(x)
            return out

    model = Counter()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    result = lp.find_lr(model, opt, nn.MSELoss(), DataLoader(_data(), batch_size=16), num_steps=20)
    assert len(result.lrs) == 20 and model.seen.item() == 0.0


def test_extra_state_is_restored() -> None:
    """A module's own get_extra_state/set_extra_state (not tensors) comes back too."""

    class Tally(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(4, 1)
            self.calls = {"forward": 0}

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.calls["forward"] += 1
            out: torch.Tensor = self.lin(x)
            return out

        def get_extra_state(self) -> dict[str, int]:
            return dict(self.calls)

        def set_extra_state(self, state: dict[str, int]) -> None:
            self.calls = dict(state)

    model = Tally()
    model.calls["forward"] = 7
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    result = lp.find_lr(model, opt, nn.MSELoss(), DataLoader(_data(), batch_size=16), num_steps=20)
    assert len(result.lrs) == 20 and model.calls == {"forward": 7}


class _TemperatureLoss(nn.Module):
    """A loss with a learnable parameter of its own: in the optimizer, not the model."""

    def __init__(self) -> None:
        super().__init__()
        self.log_t = nn.Parameter(torch.zeros(()))

    def forward(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss: torch.Tensor = nn.functional.mse_loss(out, y) * self.log_t.exp() + self.log_t.abs()
        return loss


def test_params_outside_the_model_are_restored() -> None:
    model, loss_fn = _model(), _TemperatureLoss()
    opt = torch.optim.SGD([*model.parameters(), *loss_fn.parameters()], lr=0.01)
    result = lp.find_lr(model, opt, loss_fn, DataLoader(_data(), batch_size=16), num_steps=30)
    assert len(result.lrs) > 10 and loss_fn.log_t.item() == 0.0 and loss_fn.log_t.grad is None
    # the loop form without a model restores the optimizer's params all the same
    w = nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([w], lr=0.1)
    with lp.RangeTest(opt, num_steps=5) as test:
        while not test.should_stop:
            loss = (w**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            test.step(loss)
    assert torch.equal(w, torch.ones(3)) and w.grad is None and opt.state == {}


def test_a_non_finite_loss_stops_the_test_with_a_scaler() -> None:
    w = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    scaler = torch.amp.GradScaler("cpu")
    losses = [1.0, 0.9, math.nan, 0.8]
    with lp.RangeTest(opt, scaler=scaler, num_steps=10) as test:
        for value in losses:
            if test.should_stop:
                break
            loss = (w * value).sum()
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            test.step(loss)
    r = test.result
    assert r.skipped == 0 and len(r.lrs) == 3 and math.isnan(r.losses[-1])
    assert r.stop_reason.startswith("the loss is not finite at lr=")


def test_max_skipped_is_the_number_of_skips_allowed() -> None:
    w = nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([w], lr=0.1)
    for allowed in (0, 2):
        scaler = torch.amp.GradScaler("cpu")
        with lp.RangeTest(opt, scaler=scaler, num_steps=10, max_skipped=allowed) as test:
            while not test.should_stop:
                loss = (w * 1e38).sum()
                opt.zero_grad()
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                test.step(loss)
        assert test.result.skipped == allowed + 1


def _smoothed(raw: np.ndarray, f: float) -> list[float]:
    out: list[float] = []
    for v in raw:
        out.append(float(v) if not out else f * float(v) + (1 - f) * out[-1])
    return out


def test_pure_noise_rarely_gets_a_suggestion() -> None:
    # A loss that does not depend on the lr: chance may name one in 1% of the curves.
    n, seeds = 60, 500
    lrs = [_find.ramp_lr(i, n, 1e-7, 10.0) for i in range(n)]
    for name, draw in (
        ("gaussian", lambda g: g.standard_normal(n)),
        ("student-t, 2 dof", lambda g: g.standard_t(2, n)),
    ):
        named = 0
        for seed in range(seeds):
            raw = 1.0 + 0.1 * draw(np.random.default_rng(seed))
            r = _find.FindResult(
                lrs=lrs,
                losses=raw.tolist(),
                smoothed=_smoothed(raw, 0.05),
                start_lr=1e-7,
                end_lr=10.0,
                num_steps=n,
                mode="exp",
                smooth_f=0.05,
                diverge_th=5.0,
                stop_reason="completed",
            )
            named += r.suggest().ok
        assert named <= seeds // 50, (name, named)  # at most 2%


def test_a_real_descent_passes_the_noise_check() -> None:
    rng = np.random.default_rng(1)
    # flat, then a fall of 5 noise deviations over 15 steps, then divergence
    raw = np.concatenate([np.ones(40), np.linspace(1.0, 0.75, 15), 0.75 * 1.5 ** np.arange(5)])
    raw = raw + 0.05 * rng.standard_normal(raw.size)
    r = _result(raw.tolist())
    assert r.chance <= _find.NOISE_LEVEL and r.suggest().ok
    assert r.chance == _result(raw.tolist()).chance  # a fixed seed: the same answer


def test_a_one_shot_loader_ends_the_test_and_keeps_the_curve() -> None:
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = _data().tensors
    batches = ((x[i : i + 16], y[i : i + 16]) for i in range(0, 256, 16))  # 16 batches
    result = lp.find_lr(model, opt, nn.MSELoss(), batches, num_steps=50)
    assert len(result.lrs) == 16 and "the loader ran out after 16 batch(es)" in result.stop_reason
    assert opt.param_groups[0]["lr"] == 0.1


def test_numbers_of_any_kind_and_named_type_errors() -> None:
    r = _result(CURVE)
    plan = r.plan(np.int64(100), end=np.float64(0.01), warmup_fraction=np.float32(0.1))
    assert plan.spec == "warmup(Cosine(steps=90, end=0.01), steps=10)"
    assert parse_spec(plan.spec) == plan.schedule
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=0.1)
    assert lp.RangeTest(opt, num_steps=np.int64(50)).num_steps == 50
    for kw in ({"smooth_f": "0.1"}, {"smooth_f": None}, {"diverge_th": "5"}):
        with pytest.raises(TypeError, match=f"{next(iter(kw))} must be a number, got"):
            lp.RangeTest(opt, **kw)
    with pytest.raises(TypeError, match="warmup_fraction must be a number, got str"):
        r.plan(100, warmup_fraction="0.1")  # type: ignore[arg-type]


@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.85, 0.9])
def test_the_wsd_plan_lasts_total_steps(fraction: float) -> None:
    plan = _result(CURVE).plan(100, shape="wsd", warmup_fraction=fraction)
    assert plan.schedule.duration == 100 and parse_spec(plan.spec).duration == 100
    assert plan.schedule(100) == pytest.approx(0.01)


def test_terminal_chart_labels_a_ramp_of_less_than_a_decade() -> None:
    n = 40
    lrs = [_find.ramp_lr(i, n, 1e-3, 5e-3) for i in range(n)]
    curve = [2.0 - 0.04 * i for i in range(30)] + [0.9 + 0.2 * i for i in range(10)]
    chart = _result(curve, lrs).terminal_chart(width=80, height=18)
    assert "0.001" in chart and "0.004" in chart


SETUP_ERRORS = """
import torch
from torch import nn

def _base():
    model = nn.Linear(3, 1)
    return model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss()

def no_loader():
    return (*_base(), None)

def empty():
    return (*_base(), [])

def bad_val():
    return (*_base(), [(torch.randn(4, 3), torch.randn(4, 1))], 5)

def zero_lr():
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    return model, opt, nn.MSELoss(), [(torch.randn(4, 3), torch.randn(4, 1))]
"""


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_loader", "the loader must be iterable (a DataLoader or a list of batches), got None"),
        ("empty", "the loader yielded no batch"),
        ("bad_val", "the val_loader must be iterable"),
        ("zero_lr", "param group 0 has lr=0.0"),
    ],
)
def test_cli_find_setup_errors_exit_2(
    target: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "find_setup_errors.py").write_text(textwrap.dedent(SETUP_ERRORS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["find", f"find_setup_errors:{target}", "-q", "--steps", "20"]) == 2
    assert message in capsys.readouterr().err


def test_cli_find_json_is_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "my_setup_for_find_json.py").write_text(textwrap.dedent(SETUP))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["find", "my_setup_for_find_json:setup", "-q", "--format", "json"]
    assert main([*argv, "--end-lr", "1e6", "--no-stop", "--steps", "60"]) == 0

    def refuse(constant: str) -> None:
        raise ValueError(f"not strict JSON: {constant}")

    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data["losses"][-1] is None and "not finite" in data["stop_reason"]
