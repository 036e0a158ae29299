"""Wall-clock timing of whole processes, taken alike by every benchmark."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wall_median(
    command: list[str],
    runs: int,
    environment: Mapping[str, str] | None = None,
    *,
    check: bool = False,
) -> float:
    """Median wall time of ``command`` over ``runs``, after one warm-up run.

    The warm-up writes the bytecode cache: a real install has its ``.pyc``
    files, and a sandbox that sets PYTHONDONTWRITEBYTECODE would otherwise
    measure the compiler, not pinaudit, so that variable is dropped.
    ``check`` makes a failing command an error (``pinaudit check`` exits 1 on
    findings, so its callers leave it off).
    """
    base = os.environ if environment is None else environment
    env = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    samples = []
    for run in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=check, cwd=REPO, env=env)
        if run:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)
