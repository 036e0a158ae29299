"""Time ``pinaudit check`` against its floors; run by hand, figures go in the notes.

Two targets from the foundation issue:
- start-up: checking one small example within 6x of ``python -c pass``;
- throughput: checking a large synthetic monorepo within 1.3x of the raw-parse
  floor, a plain loop of ``packaging.requirements.Requirement`` over the same
  requirement lines (file reading included on both sides).

Usage: python benchmarks/bench_check.py [--services 1500] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from packaging.requirements import Requirement

from benchmarks.generate_monorepo import generate
from pinaudit.check import check_paths
from pinaudit.discover import discover
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets

REPO = Path(__file__).resolve().parents[1]


def _wall(command: list[str], runs: int) -> float:
    """Median wall time, after one warm-up run that writes the bytecode cache.

    A real install has its ``.pyc`` files; a sandbox that sets
    PYTHONDONTWRITEBYTECODE would otherwise measure the compiler, not pinaudit.
    """
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, capture_output=True, check=False, cwd=REPO, env=environment)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, cwd=REPO, env=environment)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _best(function: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return min(samples)


def raw_floor(files: list[Path]) -> int:
    """Parse every requirement line with packaging and nothing else."""
    count = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.split(" #", 1)[0].split(" --hash", 1)[0].strip().rstrip("\\").strip()
            if not text or text.startswith(("#", "-")):
                continue
            Requirement(text)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=1500)
    parser.add_argument("--lines", type=int, default=30)
    parser.add_argument("--runs", type=int, default=15)
    arguments = parser.parse_args()

    script = Path(sys.executable).parent / "pinaudit"
    floor = _wall([sys.executable, "-c", "pass"], arguments.runs)
    seed = _wall([str(script), "check", "examples/seed"], arguments.runs)
    print(
        f"start-up: python -c pass {floor * 1000:.1f} ms; "
        f"pinaudit check examples/seed {seed * 1000:.1f} ms; ratio {seed / floor:.2f}x (target 6x)"
    )

    rules = load_rules([builtin_rules_path()])
    index = rules.index()
    targets = make_targets()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        written = generate(root, arguments.services, arguments.lines)
        files = [path for path, _ in discover([root])]
        lines = raw_floor(files)
        floor_time = _best(lambda: raw_floor(files), 3)
        check_time = _best(lambda: check_paths([root], index, targets), 3)
        result = check_paths([root], index, targets)
        print(
            f"monorepo: {written} files, {lines} requirement lines, "
            f"{len(result.environments)} environments, {len(result.findings)} findings, "
            f"{len(rules.rules)} rules"
        )
        print(
            f"raw-parse floor {floor_time:.3f} s; pinaudit check {check_time:.3f} s; "
            f"ratio {check_time / floor_time:.2f}x (target 1.3x)"
        )


if __name__ == "__main__":
    main()
