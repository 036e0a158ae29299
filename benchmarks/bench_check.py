"""Time ``pinaudit check`` against its floors; run by hand, figures go in the notes.

Two targets from the foundation issue:
- start-up: checking one small example within 6x of ``python -c pass``;
- throughput: checking a large synthetic monorepo within 1.3x of the raw-parse
  floor, a plain loop of ``packaging.requirements.Requirement`` over the same
  requirement lines (file reading included on both sides).

Each side runs in fresh processes; see docs/performance.md for the figures.

Usage: python -m benchmarks.bench_check [--services 1500] [--runs 15] [--tree-runs 5]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from packaging.requirements import Requirement

from benchmarks.generate_monorepo import generate
from benchmarks.timing import REPO, wall_median
from pinaudit.check import check_paths
from pinaudit.discover import discover
from pinaudit.parallel import processes_for
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets

#: What any check imports before pinaudit's own code: the CLI library, the
#: specifier, marker, version and range code of packaging, and dataclasses.
LIBRARY_IMPORTS = (
    "import click, dataclasses, pathlib, packaging.markers, packaging.specifiers, packaging.ranges"
)


def _cold(side: str, root: Path, runs: int, jobs: int | None) -> float:
    """Best of ``runs`` fresh processes, each timing one pass of ``side`` over ``root``.

    A fresh process starts with every memo empty, as the ``pinaudit`` command
    does on each run; timing repeated passes in one process would let the
    second pass reuse the first one's parsed specifiers and ranges.  Imports
    and rule loading happen before the clock starts (start-up is measured
    apart).  Both sides run with the cyclic collector paused, as the command
    runs (see ``pinaudit.cli``).
    """
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "benchmarks.bench_check", "--time-one", side, str(root)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, cwd=REPO, env=environment
        )
        samples.append(float(done.stdout.split()[0]))
    return min(samples)


def _time_one(side: str, root: Path, jobs: int | None) -> None:
    """The child of :func:`_cold`: print the seconds one pass takes, then a count."""
    rules = load_rules([builtin_rules_path()])
    index = rules.index()
    targets = make_targets()
    files = [path for path, _ in discover([root])]
    gc.disable()
    started = time.perf_counter()
    if side == "floor":
        count = raw_floor(files)
    else:
        count = len(check_paths([root], index, targets, jobs=jobs).findings)
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.6f} {count}")


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
    parser.add_argument(
        "--tree-runs", type=int, default=5, help="fresh processes per side on the monorepo"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes that evaluate rules (default: the command's own choice)",
    )
    parser.add_argument("--time-one", nargs=2, metavar=("SIDE", "ROOT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.time_one:
        _time_one(arguments.time_one[0], Path(arguments.time_one[1]), arguments.jobs)
        return

    script = Path(sys.executable).parent / "pinaudit"
    floor = wall_median([sys.executable, "-c", "pass"], arguments.runs)
    seed = wall_median([str(script), "check", "examples/seed"], arguments.runs)
    libraries = wall_median([sys.executable, "-c", LIBRARY_IMPORTS], arguments.runs)
    print(
        f"start-up: python -c pass {floor * 1000:.1f} ms; "
        f"pinaudit check examples/seed {seed * 1000:.1f} ms; ratio {seed / floor:.2f}x (target 6x)"
    )
    print(
        f"  for reference, importing the libraries a check cannot do without: "
        f"{libraries * 1000:.1f} ms ({libraries / floor:.2f}x)"
    )

    rules = load_rules([builtin_rules_path()])
    index = rules.index()
    targets = make_targets()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        written = generate(root, arguments.services, arguments.lines)
        files = [path for path, _ in discover([root])]
        lines = raw_floor(files)
        floor_time = _cold("floor", root, arguments.tree_runs, None)
        check_time = _cold("check", root, arguments.tree_runs, arguments.jobs)
        result = check_paths([root], index, targets, jobs=arguments.jobs)
        print(
            f"monorepo: {written} files, {lines} requirement lines, "
            f"{len(result.environments)} environments, {len(result.findings)} findings, "
            f"{len(rules.rules)} rules"
        )
        processes = processes_for(len(result.environments), arguments.jobs)
        print(
            f"raw-parse floor {floor_time:.3f} s; pinaudit check {check_time:.3f} s "
            f"({processes} process{'es' if processes > 1 else ''} evaluating rules); "
            f"ratio {check_time / floor_time:.2f}x (target 1.3x)"
        )
        command = [str(script), "check", "--output-format", "concise", str(root)]
        if arguments.jobs is not None:
            command += ["--jobs", str(arguments.jobs)]
        whole = wall_median(command, 3)
        print(
            f"the command end to end (start-up and rule loading included): {whole:.3f} s; "
            f"ratio {whole / floor_time:.2f}x"
        )


if __name__ == "__main__":
    main()
