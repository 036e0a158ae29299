"""Run independent pieces of one check in forked processes, on machines with cores to spare.

Evaluating a monorepo's environments is pure computation on a model that is
already in memory, and each environment's findings depend on nothing but it.
``fork`` hands a child that model for free (copy on write) and the child sends
back small picklable results, so nothing is parsed twice.  Anything unusual
(no ``fork``, one core, threads running, a child that fails) means the work is
done here, in this process, with the same results: parallelism may only ever
change how long a run takes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

# pickle, threading and contextlib are imported where they are used: the
# pre-commit hook checks a handful of files and never forks, and would pay
# for them at every start-up.

_Chunk = TypeVar("_Chunk")
_Result = TypeVar("_Result")

#: Below this many items per process, a fork costs more than it saves.  With
#: the shipped rules an environment costs 0.1-0.2 ms, and a fork (with the
#: child's first writes to memory it shares, and the result's pickle) about
#: 10 ms: on 2 cores 128 environments took as long in two processes as in
#: one, 256 took 18% less.
MIN_PER_PROCESS = 128
#: Each process recomputes the answers the others already know (shared base
#: files), so more processes pay less and less.
MAX_PROCESSES = 4


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the platform says)."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a plain ``fork`` is safe here: POSIX, not macOS, no other threads.

    A child forked while another thread holds a lock (an import, logging,
    an HTTP pool) can hang on it forever; macOS's system libraries are not
    fork-safe either, which is why Python stopped forking there by default.
    """
    import threading

    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


def processes_for(items: int, jobs: int | None) -> int:
    """How many processes to use for ``items`` pieces of work; ``jobs`` None means choose.

    ``jobs`` is taken as given (at most one process per item) when the
    platform can fork; the automatic choice keeps every process at least
    :data:`MIN_PER_PROCESS` items.
    """
    if jobs is None:
        wanted = min(MAX_PROCESSES, items // MIN_PER_PROCESS)
        if wanted > 1:
            wanted = min(wanted, usable_cpus())
    else:
        wanted = min(jobs, items)
    return wanted if wanted > 1 and can_fork() else 1


def split(items: Sequence[_Chunk], parts: int) -> list[Sequence[_Chunk]]:
    """``items`` cut into ``parts`` contiguous slices of near-equal length, in order."""
    size, extra = divmod(len(items), parts)
    slices: list[Sequence[_Chunk]] = []
    start = 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        slices.append(items[start:end])
        start = end
    return slices


def fork_map(work: Callable[[_Chunk], _Result], chunks: Sequence[_Chunk]) -> list[_Result]:
    """``work(chunk)`` for each chunk, in order; all but the first in forked children.

    The first chunk runs here while the children run theirs.  A child sends
    its pickled result through a pipe and leaves with ``os._exit``, so it
    never runs this process's exit handlers or flushes its output buffers.
    A child that fails, or whose result cannot be read, has its chunk redone
    here.  Interrupted, the children still running are killed before the
    exception goes on.
    """
    if not chunks:
        return []
    pending: list[tuple[int, int, _Chunk]] = []
    try:
        for chunk in chunks[1:]:
            pid, reader = _spawn(work, chunk)
            pending.append((pid, reader, chunk))
        results = [work(chunks[0])]
        while pending:
            pid, reader, chunk = pending[0]
            with os.fdopen(reader, "rb") as stream:
                payload = stream.read()
            pending.pop(0)
            received = _received(pid, payload)
            results.append(work(chunk) if received is None else cast(_Result, received[0]))
        return results
    finally:
        for pid, reader, _ in pending:
            _kill(pid, reader)


def _spawn(work: Callable[[_Chunk], _Result], chunk: _Chunk) -> tuple[int, int]:
    import pickle

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its effect is tested through the parent
        code = 1
        try:
            os.close(reader)
            payload = pickle.dumps(work(chunk), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as stream:
                stream.write(payload)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    return pid, reader


def _received(pid: int, payload: bytes) -> tuple[object] | None:
    """The child's result (in a 1-tuple), or None when it failed or sent something torn."""
    import pickle

    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    try:
        result: object = pickle.loads(payload)
    except Exception:  # a torn payload: the caller redoes the chunk
        return None
    return (result,)


def _kill(pid: int, reader: int) -> None:
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    with contextlib.suppress(OSError):  # already closed when the read was interrupted
        os.close(reader)
