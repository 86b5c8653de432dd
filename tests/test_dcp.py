"""torch.distributed.checkpoint (DCP) with lrplan schedulers: a real 2-process gloo run.

DCP loads *in place*: the caller builds a state dict of the right shape (here from
freshly constructed objects, at step 0) and DCP fills it from the checkpoint. That
only works because an lrplan ``state_dict()`` has the same key set from
construction on. Non-tensor leaves (strings such as ``format`` and ``class``,
lists of floats, nested dicts of child states) are stored by DCP as pickled bytes
and written back into the given dict; tensors (a wrapped torch scheduler's tensor
``base_lrs``) are loaded into the given tensors.

Each rank trains a DDP model for K steps, saves model + optimizer + schedulers
with ``dcp.save``, and keeps training as the uninterrupted reference. Then it
builds everything fresh, ``dcp.load``s, restores, and trains again: the lr
sequence must equal the reference bit for bit on every rank, and all ranks must
agree.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
import torch

pytestmark = pytest.mark.integration

K, N = 7, 9  # save after K steps, then N more


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _schedulers(opt: torch.optim.Optimizer) -> list[Any]:
    """A mix: nested wrapper around a torch-named class, composition, several keys, timm."""
    import lrplan as lp

    out: list[Any] = [
        lp.GradualWarmupScheduler(
            opt, multiplier=2, total_epoch=3, after_scheduler=lp.CosineAnnealingLR(opt, T_max=6)
        ),
        lp.ScheduledLR(opt, lp.Linear(steps=10, start=0.95, end=0.85), key="momentum"),
    ]
    return out


def _other_schedulers(opt: torch.optim.Optimizer) -> list[Any]:
    import lrplan as lp

    return [
        lp.SequentialLR(
            opt,
            [lp.LinearLR(opt, start_factor=0.1, total_iters=4), lp.StepLR(opt, 3, 0.5)],
            milestones=[4],
        ),
        lp.Warmup(torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9), steps=3),
    ]


BUILDERS = {"gws+momentum": _schedulers, "sequential+warmup(torch)": _other_schedulers}


def _setup(name: str, seed: int, tensor_lr: bool) -> tuple[Any, Any, Any, list[Any]]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    lr: Any = torch.tensor(0.05) if tensor_lr else 0.05
    opt = torch.optim.SGD(ddp.parameters(), lr=lr, momentum=0.9, foreach=False)
    scheds = BUILDERS[name](opt)
    return model, ddp, opt, scheds


def _train(ddp: Any, opt: Any, scheds: list[Any], rank: int, t: int) -> list[float]:
    g = torch.Generator().manual_seed(100 * t + rank)  # each rank its own shard
    x = torch.randn(8, 4, generator=g)
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.mse_loss(ddp(x), x.sum(1, keepdim=True)).backward()
    opt.step()
    for s in scheds:
        s.step()
    return [float(opt.param_groups[0]["lr"]), float(opt.param_groups[0]["momentum"])]


def _worker(rank: int, world: int, port: int, out_dir: str, name: str, tensor_lr: bool) -> None:
    import torch.distributed as dist

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=120)
    )
    try:
        _run_rank(rank, world, out_dir, name, tensor_lr)
        dist.barrier()
    except BaseException:
        (Path(out_dir) / f"rank{rank}.error").write_text(traceback.format_exc())
        sys.stderr.flush()
        os._exit(1)
    # gloo's teardown can hang when the ranks leave at different moments; the results
    # are on disk, so leave without running destructors.
    sys.stdout.flush()
    os._exit(0)


def _types(value: Any) -> set[str]:
    """The type names in a nested state (containers and their contents)."""
    inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return {type(value).__name__}.union(*map(_types, inner))


def _run_rank(rank: int, world: int, out_dir: str, name: str, tensor_lr: bool) -> None:
    import torch.distributed as dist
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

    ckpt = str(Path(out_dir) / "ckpt")
    model, ddp, opt, scheds = _setup(name, 0, tensor_lr)
    keys_at_construction = [sorted(s.state_dict()) for s in scheds]
    for t in range(1, K + 1):
        _train(ddp, opt, scheds, rank, t)
    msd, osd = get_state_dict(model, opt)
    dcp.save(
        {"model": msd, "optim": osd, "scheds": [s.state_dict() for s in scheds]},
        checkpoint_id=ckpt,
    )
    reference = [_train(ddp, opt, scheds, rank, t) for t in range(K + 1, K + N + 1)]

    # Fresh objects at step 0; DCP fills their state dicts in place.
    model2, ddp2, opt2, scheds2 = _setup(name, 1 + rank, tensor_lr)
    msd2, osd2 = get_state_dict(model2, opt2)
    target = {"model": msd2, "optim": osd2, "scheds": [s.state_dict() for s in scheds2]}
    assert [sorted(sd) for sd in target["scheds"]] == keys_at_construction
    dcp.load(target, checkpoint_id=ckpt)
    set_state_dict(model2, opt2, model_state_dict=target["model"], optim_state_dict=target["optim"])
    for s, sd in zip(scheds2, target["scheds"], strict=True):
        s.load_state_dict(sd)
    at_resume = [float(opt2.param_groups[0]["lr"]), float(opt2.param_groups[0]["momentum"])]
    resumed = [_train(ddp2, opt2, scheds2, rank, t) for t in range(K + 1, K + N + 1)]
    params_equal = all(
        torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters(), strict=True)
    )
    everyone: list[Any] = [None] * world
    dist.all_gather_object(everyone, resumed)
    result = {
        "reference": [[v.hex() for v in row] for row in reference],
        "resumed": [[v.hex() for v in row] for row in resumed],
        "at_resume": [v.hex() for v in at_resume],
        "params_equal": params_equal,
        "ranks_agree": all(r == resumed for r in everyone),
        "sched_state_types": sorted(set().union(*map(_types, target["scheds"]))),
    }
    (Path(out_dir) / f"rank{rank}.json").write_text(json.dumps(result))


@pytest.mark.parametrize("tensor_lr", [False, True], ids=["float-lr", "tensor-lr"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dcp_two_process_gloo_resume_is_exact(name: str, tensor_lr: bool, tmp_path: Path) -> None:
    import torch.distributed as dist
    import torch.multiprocessing as mp

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    world = 2
    ctx = mp.spawn(
        _worker,
        args=(world, _free_port(), str(tmp_path), name, tensor_lr),
        nprocs=world,
        join=False,
    )
    deadline = time.monotonic() + 300
    while True:
        try:
            if ctx.join(timeout=5):
                break
        except Exception:  # a rank failed: show its traceback
            errors = [p.read_text() for p in sorted(tmp_path.glob("rank*.error"))]
            pytest.fail("a rank failed:\n" + "\n".join(errors))
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("the 2-process DCP run did not finish within 300 s")
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(world)]
    for r, res in enumerate(results):
        assert res["resumed"] == res["reference"], f"rank {r}"
        assert res["params_equal"], f"rank {r}"
        assert res["ranks_agree"], f"rank {r}"
        assert "str" in res["sched_state_types"]  # strings came back through DCP
        assert "list" in res["sched_state_types"]
    # Every rank resumed on the same lr (DDP keeps replicas identical).
    assert len({tuple(res["at_resume"]) for res in results}) == 1
    assert results[0]["resumed"] == results[1]["resumed"]


def test_dcp_single_process_round_trip_keeps_non_tensor_leaves(tmp_path: Path) -> None:
    """Without a process group DCP still saves/loads in place; every leaf type survives."""
    import warnings

    import torch.distributed.checkpoint as dcp

    import lrplan as lp

    torch.manual_seed(0)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    sched = lp.GradualWarmupScheduler(opt, 4, 3, after_scheduler=lp.StepLR(opt, 2, 0.5))
    for _ in range(6):
        opt.step()
        sched.step()
    saved = sched.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "assuming single process"
        dcp.save({"sched": saved}, checkpoint_id=str(tmp_path))
        opt2 = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
        sched2 = lp.GradualWarmupScheduler(opt2, 4, 3, after_scheduler=lp.StepLR(opt2, 2, 0.5))
        target = {"sched": sched2.state_dict()}
        dcp.load(target, checkpoint_id=str(tmp_path))
    assert target["sched"] == saved
    sched2.load_state_dict(target["sched"])
    assert sched2.get_last_lr() == sched.get_last_lr()
