"""HF ``Trainer`` runs an lrplan scheduler given as ``optimizers=(opt, sched)``.

A real ``Trainer.train`` on a tiny regression model and an in-memory dataset (nothing
is downloaded): the ``learning_rate`` the Trainer logs must be ``base * plan(step)``, and
resuming from a Trainer checkpoint (which reloads ``scheduler.pt`` with
``torch.load(weights_only=True)``) must continue the lr sequence exactly.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import transformers
from transformers import Trainer, TrainerCallback, TrainingArguments

import lrplan as lp

pytestmark = pytest.mark.integration

BASE_LR = 0.05
STEPS = 12
PLAN = lp.warmup(lp.Cosine(steps=8, end=0.1), steps=4)


class Regression(torch.nn.Module):
    """``forward(x, labels)`` returning ``{"loss": ...}``: all the Trainer needs."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(4, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"loss": torch.nn.functional.mse_loss(self.net(x).squeeze(-1), labels)}


class Rows(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    def __init__(self, n: int = 32) -> None:
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x.sum(dim=1)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"x": self.x[i], "labels": self.y[i]}


class RecordLR(TrainerCallback):
    """The lr each optimizer step trains with, read from the optimizer at step begin."""

    def __init__(self) -> None:
        self.lrs: list[float] = []

    def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.lrs.append(float(kw["optimizer"].param_groups[0]["lr"]))


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    transformers.logging.set_verbosity_error()
    logging.getLogger("accelerate").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _train(
    out: Path, max_steps: int, resume: Path | None = None, save_steps: int | None = None
) -> tuple[Trainer, RecordLR]:
    model = Regression()
    opt = torch.optim.AdamW(model.parameters(), lr=BASE_LR)
    sched = lp.ScheduledLR(opt, PLAN)
    args = TrainingArguments(
        output_dir=str(out),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        logging_steps=1,
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 500,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=0,
    )
    rec = RecordLR()
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Rows(),
        optimizers=(opt, sched),
        callbacks=[rec],
    )
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    return trainer, rec


def _logged(trainer: Trainer) -> dict[int, float]:
    history = trainer.state.log_history
    return {h["step"]: h["learning_rate"] for h in history if "learning_rate" in h}


def test_logged_learning_rate_matches_schedule(tmp_path: Path) -> None:
    trainer, rec = _train(tmp_path, STEPS)
    assert trainer.lr_scheduler is not None
    # The optimizer step k (0-based) trains with base * plan(k) ...
    assert rec.lrs == pytest.approx([BASE_LR * PLAN(k) for k in range(STEPS)], rel=1e-12, abs=0)
    # ... and the Trainer logs at global step k the lr that step k trained with: it reads
    # ``get_last_lr()`` after the optimizer step and before the scheduler step, so the
    # entry for step k is base * plan(k - 1).
    logged = _logged(trainer)
    assert sorted(logged) == list(range(1, STEPS + 1))
    for k, lr in logged.items():
        assert lr == pytest.approx(BASE_LR * PLAN(k - 1), rel=1e-12, abs=0), k


def test_resume_from_trainer_checkpoint_is_exact(tmp_path: Path) -> None:
    _, full = _train(tmp_path / "full", STEPS)
    _, first = _train(tmp_path / "run", STEPS, save_steps=5)  # checkpoints at 5 and 10
    ckpt = tmp_path / "run" / "checkpoint-5"
    state = torch.load(ckpt / "scheduler.pt", weights_only=True)  # what the Trainer does
    assert state["last_epoch"] == 5
    trainer, resumed = _train(tmp_path / "run", STEPS, resume=ckpt)
    assert trainer.state.global_step == STEPS
    assert first.lrs == full.lrs
    assert resumed.lrs == full.lrs[5:]  # bit for bit, continuing at step 5
    # The log history holds steps 1..5 from the checkpoint's trainer_state.json, then the
    # resumed steps 6..12, each with the lr that step trained with.
    logged = _logged(trainer)
    assert sorted(logged) == list(range(1, STEPS + 1))
    assert [logged[k] for k in range(1, STEPS + 1)] == full.lrs
