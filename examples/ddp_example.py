"""Data-parallel training (DistributedDataParallel) with an lrplan schedule.

Every rank builds its own optimizer and its own scheduler from the same plan and steps
it once per optimizer step. A schedule is a closed form of the step count, so all ranks
write the same learning rate at every step without communicating; rank 0 checkpoints the
scheduler's plain-data state, and every rank resumes from it.

Run it on CPU with two processes talking gloo over 127.0.0.1:

    python examples/ddp_example.py --world-size 2 --steps 40

or under torchrun, which sets RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT itself:

    torchrun --nproc-per-node 2 examples/ddp_example.py --steps 40

It prints one line per step with each rank's lr (gathered to rank 0) and fails if the
ranks ever disagree.
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import sys
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import lrplan as lp

BASE_LR = 0.05


def make_plan(steps: int) -> lp.Schedule:
    """10% linear warmup, then cosine down to 1% of the base lr."""
    warm = max(1, steps // 10)
    return lp.warmup(lp.Cosine(steps=steps - warm, end=0.01), steps=warm)


def train(rank: int, world_size: int, steps: int, checkpoint: str | None = None) -> list[float]:
    """Train on this rank; return the lr every optimizer step used (the same on all ranks).

    The process group comes from the environment (``MASTER_ADDR``, ``MASTER_PORT``);
    ``rank`` and ``world_size`` are passed explicitly. With ``checkpoint``, the run stops
    halfway, rank 0 saves the scheduler and optimizer state, and every rank rebuilds its
    optimizer and scheduler from that file before finishing, as a restarted job would.
    """
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        lrs = _train_loop(rank, world_size, steps, checkpoint)
        # Free the DDP model (and its reducer) while the process group still exists:
        # destroying the group first can leave a gloo rank waiting at exit.
        gc.collect()
        return lrs
    finally:
        dist.destroy_process_group()


def _train_loop(rank: int, world_size: int, steps: int, checkpoint: str | None) -> list[float]:
    torch.manual_seed(0)
    model = DistributedDataParallel(torch.nn.Linear(8, 1))
    plan = make_plan(steps)

    def fresh() -> tuple[torch.optim.Optimizer, lp.ScheduledLR]:
        opt = torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=0.9)
        return opt, lp.ScheduledLR(opt, plan)

    opt, sched = fresh()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64 * world_size, 8, generator=g)
    data = TensorDataset(x, x.sum(dim=1, keepdim=True))
    sampler = DistributedSampler(data, num_replicas=world_size, rank=rank, seed=0)
    loader = DataLoader(data, batch_size=8, sampler=sampler)
    lrs: list[float] = []
    epoch = 0
    while len(lrs) < steps:
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            lr = float(opt.param_groups[0]["lr"])
            every = [0.0] * world_size
            dist.all_gather_object(every, lr)
            if len(set(every)) != 1:
                raise RuntimeError(f"step {len(lrs)}: ranks disagree on the lr: {every}")
            if rank == 0:
                print(f"step {len(lrs):4d}  lr per rank {every}", flush=True)
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            lrs.append(lr)
            if checkpoint is not None and len(lrs) == steps // 2:
                if rank == 0:
                    torch.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, checkpoint)
                dist.barrier()  # the file is complete before anyone reads it
                ck = torch.load(checkpoint, weights_only=True)
                opt, sched = fresh()  # as a restarted job would build them
                opt.load_state_dict(ck["opt"])
                sched.load_state_dict(ck["sched"])
            if len(lrs) == steps:
                break
        epoch += 1
    return lrs


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawned(rank: int, world_size: int, steps: int, checkpoint: str | None) -> None:
    torch.set_num_threads(1)
    train(rank, world_size, steps, checkpoint)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world-size", type=int, default=2, help="processes to start (2)")
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps (40)")
    parser.add_argument(
        "--no-resume", action="store_true", help="do not checkpoint and resume halfway"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = None if args.no_resume else str(Path(tmp) / "ckpt.pt")
        if "RANK" in os.environ:  # started by torchrun: one process per rank already
            rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
            if ckpt is not None and world > 1:
                ckpt = None  # no shared temporary directory between torchrun's processes
            _spawned(rank, world, args.steps, ckpt)
            return 0
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        mp.start_processes(
            _spawned,
            args=(args.world_size, args.steps, ckpt),
            nprocs=args.world_size,
            start_method="forkserver",
        )
    print("done: every rank used the same lr at every step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
