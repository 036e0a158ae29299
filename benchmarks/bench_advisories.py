"""Time loading OSV advisories: cold (index build), warm (index read), none at all.

A pre-commit run is a fresh process that loads only the packages its repository
uses, so besides in-process timings this measures whole processes: ``python -c
pass``, a process that loads no advisories, and one that loads them warm.

By default the 600 names are packages the corpus has advisories for (the worst
case: every name brings rules); ``--names FILE`` (one name a line) measures a
real dependency list instead.  Figures go in the notes; nothing here asserts.

Usage: python -m benchmarks.bench_advisories [--corpus PATH] [--names FILE] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from benchmarks.timing import REPO, wall_median
from pinaudit.advisories import load_advisory_rules
from pinaudit.rulebook import RuleSet

CORPUS = REPO.parent / "shared" / "corpus" / "osv" / "pypa-advisory-database"

_CHILD = """
import sys, time
started = time.perf_counter()
from pathlib import Path
from pinaudit.advisories import load_advisory_rules
names = Path(sys.argv[2]).read_text().split()
paths = [Path(sys.argv[1])] if sys.argv[1] else []
rules = load_advisory_rules(paths, packages=names)
print(len(rules.rules), time.perf_counter() - started)
"""


def _timed(function: Callable[[], RuleSet]) -> tuple[float, RuleSet]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _best(function: Callable[[], RuleSet], runs: int) -> float:
    return min(_timed(function)[0] for _ in range(runs))


def _uv_lock(names: Sequence[str]) -> str:
    """A uv.lock locking every name at 0.0.1: old enough that most advisories hit."""
    lines = ["version = 1", "revision = 3", 'requires-python = ">=3.11"', ""]
    for name in names:
        lines += [
            "[[package]]",
            f'name = "{name}"',
            'version = "0.0.1"',
            'source = { registry = "https://index.example.org/simple" }',
            "",
        ]
    return "\n".join(lines)


def _check_lock(
    names: Sequence[str], corpus: Path, folder: Path, runs: int, environment: dict[str, str]
) -> None:
    """`pinaudit check` of a 600-package uv.lock: no advisories, cold cache, warm cache."""
    project = folder / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "0"\nrequires-python = ">=3.11"\n'
        "dependencies = [" + ", ".join(f'"{name}"' for name in names) + "]\n",
        encoding="utf-8",
    )
    (project / "uv.lock").write_text(_uv_lock(names), encoding="utf-8")
    script = [sys.executable, "-m", "pinaudit", "check", "--isolated", "--exit-zero"]
    plain = [*script, str(project)]
    with_advisories = [*script, "--advisories", str(corpus), str(project)]
    cache = folder / "check-cache"
    cold_environment = dict(environment, PINAUDIT_CACHE_DIR=str(cache))
    started = time.perf_counter()
    subprocess.run(with_advisories, capture_output=True, check=True, cwd=REPO, env=cold_environment)
    cold = time.perf_counter() - started
    warm = wall_median(with_advisories, runs, cold_environment, check=True)
    none = wall_median(plain, runs, cold_environment, check=True)
    result = subprocess.run(
        [*with_advisories[:-1], "--output-format", "json", str(project)],
        capture_output=True,
        check=True,
        cwd=REPO,
        env=cold_environment,
        text=True,
    )
    findings = result.stdout.count('"rule": ')
    print(
        f"pinaudit check of a {len(names)}-package uv.lock: no advisories {none * 1000:.0f} ms; "
        f"with the corpus cold cache {cold * 1000:.0f} ms, warm {warm * 1000:.0f} ms "
        f"(median of {runs}); {findings} findings"
    )


def _corpus_names(corpus: Path, count: int) -> list[str]:
    names = sorted({str(canonicalize_name(path.parent.name)) for path in corpus.rglob("*.json")})
    return names[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--names", type=Path, default=None, help="one package name a line")
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--runs", type=int, default=7)
    arguments = parser.parse_args()
    corpus: Path = arguments.corpus
    if not corpus.is_dir():
        sys.exit(f"corpus not found: {corpus}")
    if arguments.names is not None:
        names = arguments.names.read_text(encoding="utf-8").split()[: arguments.count]
    else:
        names = _corpus_names(corpus, arguments.count)
    files = sum(1 for _ in corpus.rglob("*.json"))
    print(f"corpus: {files} OSV files in {corpus}")
    print(
        f"names: {len(names)} ({'from ' + str(arguments.names) if arguments.names else 'corpus'})"
    )

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache"
        cold, loaded = _timed(
            lambda: load_advisory_rules([corpus], packages=names, cache_dir=cache)
        )
        warm = _best(lambda: load_advisory_rules([corpus], packages=names, cache_dir=cache), 5)
        everything = _best(lambda: load_advisory_rules([corpus], cache_dir=cache), 3)
        none = _best(lambda: load_advisory_rules([], packages=names, cache_dir=cache), 5)
        print(
            f"in process: cold {cold:.3f} s (builds the index), warm {warm * 1000:.1f} ms, "
            f"no advisories {none * 1000:.2f} ms; {len(loaded.rules)} rules, "
            f"{len(loaded.problems)} problems for these names"
        )
        print(f"in process, warm, every package: {everything * 1000:.1f} ms")

        list_file = Path(folder) / "names.txt"
        list_file.write_text("\n".join(names), encoding="utf-8")
        environment = dict(os.environ, PYTHONPATH=str(REPO), PINAUDIT_CACHE_DIR=str(cache))
        python = [sys.executable]
        runs = arguments.runs
        floor = wall_median([*python, "-c", "pass"], runs, environment, check=True)
        empty = wall_median(
            [*python, "-c", _CHILD, "", str(list_file)], runs, environment, check=True
        )
        process_warm = wall_median(
            [*python, "-c", _CHILD, str(corpus), str(list_file)], runs, environment, check=True
        )
        print(
            f"whole process (median of {arguments.runs}): python -c pass {floor * 1000:.0f} ms; "
            f"no advisories {empty * 1000:.0f} ms; warm advisories {process_warm * 1000:.0f} ms "
            f"(+{(process_warm - empty) * 1000:.0f} ms)"
        )
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        _check_lock(names, corpus, Path(folder), arguments.runs, environment)


if __name__ == "__main__":
    main()
