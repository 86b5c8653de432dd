"""Lightning runs lrplan schedulers: per step, per epoch, metric-driven, and across a resume.

Every test is a real ``Trainer.fit`` on a tiny CPU model. The learning rate each batch
trains with is read from the optimizer at ``on_train_batch_start`` (what the optimizer
step of that batch uses) and from ``LearningRateMonitor`` through a ``CSVLogger``, and
is compared with ``base * plan(t)`` computed here from the pure schedule.
"""

from __future__ import annotations

import csv
import logging
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, TensorDataset

import lrplan as lp

pytestmark = pytest.mark.integration

BASE_LR = 0.1
BATCHES_PER_EPOCH = 4
PLAN = lp.warmup(lp.Cosine(steps=12, end=0.1), steps=4)  # 16 steps: warmup, then cosine


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    """Lightning's info banners and its small-dataloader warnings are noise here."""
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(num_workers|does not have many workers).*")
        warnings.filterwarnings("ignore", message=r".*log_every_n_steps.*")
        yield


def _loader() -> DataLoader[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8 * BATCHES_PER_EPOCH, 3, generator=g)
    y = x.sum(dim=1, keepdim=True)
    return DataLoader(TensorDataset(x, y), batch_size=8, shuffle=False)


class TinyModel(pl.LightningModule):
    """A linear regression whose ``configure_optimizers`` returns an lrplan scheduler."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 1)
        self.seen: list[float] = []  # lr of the optimizer when each batch starts

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        if self.kind == "plateau":
            # A metric that stops improving after the first epoch: the plateau scheduler
            # must see it through ``monitor`` and cut the lr by ``factor``.
            self.log("val_metric", torch.tensor(1.0), on_step=False, on_epoch=True)
        return loss

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self.seen.append(float(self.trainer.optimizers[0].param_groups[0]["lr"]))

    def configure_optimizers(self) -> Any:
        opt = torch.optim.SGD(self.parameters(), lr=BASE_LR, momentum=0.9)
        if self.kind == "step":
            sched: Any = lp.ScheduledLR(opt, PLAN)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        if self.kind == "epoch":
            sched = lp.ScheduledLR(opt, lp.Step(step_size=1, gamma=0.5))
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
        if self.kind == "plateau":
            sched = lp.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=0)
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": sched, "interval": "epoch", "monitor": "val_metric"},
            }
        raise AssertionError(self.kind)


def _trainer(tmp_path: Path, **kw: Any) -> pl.Trainer:
    return pl.Trainer(
        accelerator="cpu",
        devices=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=CSVLogger(tmp_path, name="logs"),
        log_every_n_steps=1,
        default_root_dir=tmp_path,
        **kw,
    )


def _logged_lrs(trainer: pl.Trainer, column: str = "lr-SGD") -> dict[int, float]:
    """What LearningRateMonitor wrote to the CSV log: step -> lr."""
    assert trainer.logger is not None and trainer.logger.log_dir is not None
    trainer.logger.save()
    path = Path(trainer.logger.log_dir) / "metrics.csv"
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r.get(column)]
    return {int(r["step"]): float(r[column]) for r in rows}


def test_per_step_schedule_and_lr_monitor(tmp_path: Path) -> None:
    model = TinyModel("step")
    trainer = _trainer(
        tmp_path, max_steps=16, callbacks=[LearningRateMonitor(logging_interval="step")]
    )
    trainer.fit(model, _loader())
    expected = [BASE_LR * PLAN(t) for t in range(16)]
    assert model.seen == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert model.seen[0] == 0.0 and model.seen[4] == pytest.approx(BASE_LR)  # warmup, then peak
    logged = _logged_lrs(trainer)
    assert sorted(logged) == list(range(16))
    assert [logged[t] for t in range(16)] == pytest.approx(expected, rel=1e-12, abs=0.0)
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(sched, lp.ScheduledLR) and sched.last_epoch == 16


def test_per_epoch_schedule(tmp_path: Path) -> None:
    model = TinyModel("epoch")
    trainer = _trainer(
        tmp_path, max_epochs=3, callbacks=[LearningRateMonitor(logging_interval="epoch")]
    )
    trainer.fit(model, _loader())
    # The scheduler steps once per epoch: every batch of epoch e trains with 0.1 * 0.5**e.
    expected = [BASE_LR * 0.5**e for e in range(3) for _ in range(BATCHES_PER_EPOCH)]
    assert model.seen == pytest.approx(expected, rel=1e-12, abs=0.0)
    logged = _logged_lrs(trainer)  # logged at each epoch start, at the global step reached
    assert logged == pytest.approx(
        {e * BATCHES_PER_EPOCH: BASE_LR * 0.5**e for e in range(3)}, rel=1e-12, abs=0.0
    )


def test_metric_driven_plateau_with_monitor(tmp_path: Path) -> None:
    model = TinyModel("plateau")
    trainer = _trainer(tmp_path, max_epochs=4)
    trainer.fit(model, _loader())
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(sched, lp.ReduceLROnPlateau)
    assert trainer.lr_scheduler_configs[0].reduce_on_plateau  # Lightning passes the metric
    # Epoch 0 sets the best metric; every later epoch is no better (patience 0), so the lr
    # halves after epochs 1, 2 and 3: epochs 0..3 train with 0.1, 0.1, 0.05, 0.025.
    expected = [BASE_LR * f for f in (1.0, 1.0, 0.5, 0.25) for _ in range(BATCHES_PER_EPOCH)]
    assert model.seen == pytest.approx(expected, rel=1e-12, abs=0.0)
    assert sched.get_last_lr() == pytest.approx([BASE_LR * 0.125])


@pytest.mark.parametrize("kind", ["step", "epoch"])
def test_resume_from_lightning_checkpoint_is_exact(tmp_path: Path, kind: str) -> None:
    steps = {"max_epochs": 4}
    full = TinyModel(kind)
    _trainer(tmp_path / "full", **steps).fit(full, _loader())

    first = TinyModel(kind)
    t1 = _trainer(tmp_path / "a", max_epochs=2)
    t1.fit(first, _loader())
    ckpt = tmp_path / "mid.ckpt"
    t1.save_checkpoint(ckpt)
    # The scheduler's part of the checkpoint is plain data.
    state = torch.load(ckpt, weights_only=True)["lr_schedulers"][0]
    assert state["last_epoch"] == (8 if kind == "step" else 2)

    resumed = TinyModel(kind)
    _trainer(tmp_path / "b", **steps).fit(resumed, _loader(), ckpt_path=ckpt)
    assert len(full.seen) == 16 and len(first.seen) == 8 and len(resumed.seen) == 8
    assert first.seen + resumed.seen == full.seen  # bit for bit
    torch.testing.assert_close(
        resumed.net.weight, full.net.weight, rtol=0, atol=0
    )  # same lrs, same data, same parameters
