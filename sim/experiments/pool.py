"""Local worker processes for sweeps: restarted when one dies, gone when their parent dies.

A ``ProcessPoolExecutor`` whose worker is killed (say by the out-of-memory killer) is
broken for good: every run in flight fails and nothing more can be submitted.
:class:`WorkerPool` starts a fresh pool when that happens, so the sweep can retry those
runs. Each worker also watches the process that started the pool and exits when it is
gone, so a sweep killed with SIGKILL leaves no workers behind (the forkserver and the
resource tracker then exit by themselves).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

#: Seconds between checks on the parent where a process file descriptor is unavailable.
_POLL_SECONDS = 1.0

#: Run ids whose worker kills itself (fault injection for the tests; see kill_worker_at).
_kill_at: frozenset[str] = frozenset()
_kill_once: Path | None = None


class WorkerPool(futures.Executor):
    """A pool of local worker processes (forkserver) that is replaced when it breaks.

    Args:
        workers: Number of worker processes.
        initializer: Called in each worker when it starts, with ``initargs``.
        initargs: Arguments of ``initializer``.
    """

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        self.workers = workers
        self._init = (initializer, initargs)
        self.restarts = 0
        self._pool = self._start()

    @property
    def _max_workers(self) -> int:  # read by run_sweep to size its window
        return self.workers

    def _start(self) -> futures.ProcessPoolExecutor:
        return futures.ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start_worker,
            initargs=(os.getpid(), *self._init),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future:
        """Submit to the pool, first replacing it if a worker died and broke it."""
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
            self.restarts += 1
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the current pool down (see ``Executor.shutdown``)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def worker_died(exc: BaseException | None) -> bool:
    """Whether a run's error means its worker process died rather than the run failing."""
    return isinstance(exc, futures.BrokenExecutor)


def _start_worker(
    parent: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    """Set up a worker: exit with the parent, then the caller's initializer."""
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with(parent: int) -> None:
    """Wait until process ``parent`` has ended, then end this worker at once."""
    try:
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):  # not Linux 5.3+, or already gone
        while process_alive(parent):
            time.sleep(_POLL_SECONDS)
    else:
        with contextlib.suppress(OSError):
            select.select([fd], [], [])  # readable once the process has ended
    os._exit(1)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (also one of another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_worker_at(run_ids: frozenset[str], once: Path | None = None) -> None:
    """Fault injection: make this worker kill itself (SIGKILL) when it starts these runs.

    Used as a :class:`WorkerPool` initializer by the tests, to reproduce a worker killed
    by the out-of-memory killer at a well-defined point.

    Args:
        run_ids: The runs at which the worker dies.
        once: If given, die only the first time (the file records that it happened).
    """
    global _kill_at, _kill_once
    _kill_at, _kill_once = run_ids, once


def fault_point(run_id: str) -> None:
    """Where an injected worker death happens (nothing unless :func:`kill_worker_at` ran)."""
    if run_id not in _kill_at:
        return
    if _kill_once is not None:
        try:
            _kill_once.touch(exist_ok=False)
        except FileExistsError:
            return
    os.kill(os.getpid(), signal.SIGKILL)
