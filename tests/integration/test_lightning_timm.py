"""Lightning runs lrplan.timm's schedulers as they are: no ``lr_scheduler_step`` override.

timm's own classes are not torch ``LRScheduler``s, so Lightning refuses them unless the
module overrides ``lr_scheduler_step``. lrplan's are, so ``configure_optimizers``
returns them directly. Each test is a real ``Trainer.fit``; the lr every batch trained
with (read from the optimizer at ``on_train_batch_start``) must equal what the real
timm scheduler writes when timm's training loop drives it (``step_update(n)`` after
update ``n``, or ``step(e)`` after epoch ``e - 1``).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import lrplan.timm as lt
import timm_oracle

pytestmark = pytest.mark.integration

BASE_LR = 0.1
BATCHES_PER_EPOCH = 4
EPOCHS = 4
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    # per update: warmup, cosine with noise, lr_scale on the second group
    "step": (
        "CosineLRScheduler",
        {
            "t_initial": 12,
            "warmup_t": 3,
            "warmup_lr_init": 0.01,
            "lr_min": 1e-3,
            "t_in_epochs": False,
            "noise_range_t": 5,
            "noise_seed": 3,
        },
    ),
    # per epoch: the timm WSD schedule with a 1-sqrt cooldown
    "epoch": ("WSDLRScheduler", {"t_initial": 3, "decay_t": 2, "warmup_t": 1}),
}


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(num_workers|does not have many workers).*")
        warnings.filterwarnings("ignore", message=r".*log_every_n_steps.*")
        yield


def _loader() -> DataLoader[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8 * BATCHES_PER_EPOCH, 3, generator=g)
    return DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)


def _optimizer(params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        [{"params": params[:1]}, {"params": params[1:], "lr_scale": 0.5}], lr=BASE_LR
    )


class TimmModel(pl.LightningModule):
    def __init__(self, case: str) -> None:
        super().__init__()
        self.case = case
        torch.manual_seed(0)
        self.net = torch.nn.Linear(3, 1)
        self.seen: list[list[float]] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x), y)

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self.seen.append([float(g["lr"]) for g in self.trainer.optimizers[0].param_groups])

    def configure_optimizers(self) -> Any:
        opt = _optimizer(list(self.parameters()))
        name, kw = CASES[self.case]
        sched = getattr(lt, name)(opt, **kw)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": self.case}}


def _timm_lrs(case: str) -> list[list[float]]:
    """The lrs of each batch when timm's own scheduler runs in timm's training loop."""
    name, kw = CASES[case]
    opt = _optimizer([torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))])
    sched = getattr(timm_oracle.scheduler(), name)(opt, **kw)
    out, updates = [], 0
    for epoch in range(EPOCHS):
        for _ in range(BATCHES_PER_EPOCH):
            out.append([g["lr"] for g in opt.param_groups])
            updates += 1
            sched.step_update(num_updates=updates)
        sched.step(epoch + 1)
    return out


@pytest.mark.parametrize("case", sorted(CASES))
def test_timm_scheduler_in_trainer_fit(tmp_path: Path, case: str) -> None:
    model = TimmModel(case)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=EPOCHS,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        logger=False,
        default_root_dir=tmp_path,
    )
    assert "lr_scheduler_step" not in type(model).__dict__
    trainer.fit(model, _loader())
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert type(sched).__name__ == CASES[case][0]
    expected = _timm_lrs(case)
    assert len(model.seen) == EPOCHS * BATCHES_PER_EPOCH
    assert model.seen == expected  # bit for bit, noise and lr_scale included
    assert len({tuple(v) for v in expected}) >= 3  # the schedule really moved
