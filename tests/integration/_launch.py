"""Run a function in several real processes that form a gloo group on 127.0.0.1.

Each rank is a child made with the ``fork`` start method (fast: the parent has already
imported torch), given the environment ``torchrun`` would give it (``MASTER_ADDR``,
``MASTER_PORT`` on a free port, ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``), and limited to
one intra-op thread, as torch's DataLoader workers are after a fork. torch._dynamo
(which DDP imports lazily) is imported before forking, so no rank pays for it. The function's
return value comes back through a pickle file; an exception in any rank fails the call
with that rank's traceback, and a rank that hangs is terminated after ``timeout``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import socket
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# DistributedDataParallel imports torch._dynamo on first use, which takes seconds; import
# it once here so that every forked rank shares it.
import torch._dynamo  # noqa: F401


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _child(fn: Callable[..., Any], rank: int, world: int, port: int, out: str, args: Any) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_WORLD_SIZE=str(world),
        GLOO_SOCKET_IFNAME="lo",
        OMP_NUM_THREADS="1",
    )
    if world == 1:
        for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE"):
            del os.environ[key]  # a plain single-process run, as a user starts it
    import torch

    torch.set_num_threads(1)
    try:
        result: Any = ("ok", fn(rank, world, *args))
    except BaseException:
        result = ("error", traceback.format_exc())
    Path(out).write_bytes(pickle.dumps(result))


def run_ranks(
    fn: Callable[..., Any], world_size: int, *args: Any, timeout: float = 180.0
) -> list[Any]:
    """``[fn(rank, world_size, *args) for each rank]``, each rank in its own process."""
    ctx = mp.get_context("fork")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        outs = [os.path.join(tmp, f"rank{r}.pkl") for r in range(world_size)]
        procs = [
            ctx.Process(target=_child, args=(fn, r, world_size, port, outs[r], args), daemon=True)
            for r in range(world_size)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout)
        hung = [r for r, p in enumerate(procs) if p.is_alive()]
        for r in hung:
            procs[r].terminate()
            procs[r].join(10)
        results: list[Any] = []
        errors: list[str] = []
        for r, path in enumerate(outs):
            if not os.path.exists(path):
                errors.append(f"rank {r}: no result (exit code {procs[r].exitcode})")
                continue
            status, value = pickle.loads(Path(path).read_bytes())
            if status == "error":
                errors.append(f"rank {r} raised:\n{value}")
            results.append(value)
        if hung:
            errors.append(f"ranks {hung} did not finish within {timeout} s")
        if errors:
            raise AssertionError("\n".join(errors))
        return results
