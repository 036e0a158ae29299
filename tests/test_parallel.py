"""Forked evaluation: the same findings as one process, whatever happens to a child."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.generate_monorepo import generate
from pinaudit import parallel
from pinaudit.check import check_paths
from pinaudit.cli import main
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.rulecache import RuleIndex
from pinaudit.targets import make_targets

SHARED = Path(__file__).resolve().parents[2] / "shared"
needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="this platform does not fork")


def test_split_keeps_order_and_balances() -> None:
    parts = parallel.split(list(range(10)), 3)
    assert [list(part) for part in parts] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [list(part) for part in parallel.split([1, 2], 2)] == [[1], [2]]


def test_processes_follow_jobs_and_the_amount_of_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 8)
    assert parallel.processes_for(1000, 1) == 1
    assert parallel.processes_for(1000, 3) == 3
    assert parallel.processes_for(2, 5) == 2  # never more processes than items
    assert parallel.processes_for(1, None) == 1
    assert parallel.processes_for(parallel.MIN_PER_PROCESS * 2 - 1, None) == 1
    assert parallel.processes_for(parallel.MIN_PER_PROCESS * 2, None) == 2
    assert parallel.processes_for(100_000, None) == parallel.MAX_PROCESSES
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 1)
    assert parallel.processes_for(100_000, None) == 1
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    assert parallel.processes_for(100_000, 4) == 1


def test_no_fork_while_another_thread_runs() -> None:
    if not parallel.can_fork():
        pytest.skip("this platform does not fork")
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not parallel.can_fork()
    finally:
        release.set()
        thread.join()
    assert parallel.can_fork()


def _pids(chunk: Sequence[int]) -> list[tuple[int, int]]:
    return [(item * item, os.getpid()) for item in chunk]


@needs_fork
def test_fork_map_runs_all_but_the_first_chunk_in_children() -> None:
    chunks = parallel.split(list(range(9)), 3)
    results = parallel.fork_map(_pids, chunks)
    assert [value for part in results for value, _ in part] == [n * n for n in range(9)]
    pids = [{pid for _, pid in part} for part in results]
    assert pids[0] == {os.getpid()}
    assert len({*pids[1], *pids[2]}) == 2 and os.getpid() not in {*pids[1], *pids[2]}
    _assert_no_children_left()


@needs_fork
@pytest.mark.parametrize("failure", ["raise", "silent exit", "killed"])
def test_a_failing_child_has_its_chunk_redone_here(failure: str) -> None:
    parent = os.getpid()

    def work(chunk: Sequence[int]) -> list[tuple[int, int]]:
        if os.getpid() != parent:
            if failure == "raise":
                raise RuntimeError("child failed")
            if failure == "silent exit":
                os._exit(0)  # exits "successfully" without sending anything
            os.kill(os.getpid(), 9)
        return _pids(chunk)

    results = parallel.fork_map(work, parallel.split(list(range(6)), 2))
    assert results == [_pids([0, 1, 2]), _pids([3, 4, 5])]
    _assert_no_children_left()


@needs_fork
def test_an_interrupt_here_kills_the_children() -> None:
    parent = os.getpid()

    def work(chunk: Sequence[int]) -> list[int]:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        threading.Event().wait(60)  # a child that would outlive the interrupt
        return list(chunk)

    with pytest.raises(KeyboardInterrupt):
        parallel.fork_map(work, parallel.split(list(range(6)), 3))
    _assert_no_children_left()


def _assert_no_children_left() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


# ---------------------------------------------------------------------------
# The check itself: any number of processes, the same findings.


def _described(paths: list[Path], jobs: int, lazy: bool) -> list[str]:
    rules = load_rules([builtin_rules_path()])
    index = RuleIndex(rules.rules) if lazy else rules.index()
    result = check_paths(paths, index, make_targets(), jobs=jobs)
    return [
        f"{f.rule.code} {f.match} {f.environment} {f.key()} {f.message} "
        f"{[(i.name, i.relation, [(d.path, d.span) for d in i.dependencies]) for i in f.involved]}"
        for f in result.findings
    ]


@needs_fork
@pytest.mark.parametrize("lazy", [False, True], ids=["index", "lazy index"])
def test_a_monorepo_gets_the_same_findings_from_any_number_of_processes(
    tmp_path: Path, lazy: bool
) -> None:
    generate(tmp_path, 60, 20)
    alone = _described([tmp_path], 1, lazy)
    assert len(alone) > 20
    for jobs in (2, 3, 7):
        assert _described([tmp_path], jobs, lazy) == alone, jobs
    _assert_no_children_left()


@needs_fork
def test_the_real_corpus_gets_the_same_findings_from_two_processes() -> None:
    corpus = SHARED / "corpus" / "real"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus/real is absent (a user's clone has none)")
    alone = _described([corpus], 1, True)
    assert alone
    assert _described([corpus], 2, True) == alone


@needs_fork
def test_the_jobs_option_changes_nothing_in_the_output(tmp_path: Path) -> None:
    generate(tmp_path, 10, 10)
    runner = CliRunner()
    outputs = [
        runner.invoke(
            main, ["check", "--isolated", "--output-format", "json", "--jobs", jobs, str(tmp_path)]
        )
        for jobs in ("1", "3")
    ]
    assert outputs[0].exit_code == outputs[1].exit_code == 1
    assert outputs[0].output == outputs[1].output
    refused = runner.invoke(main, ["check", "--jobs", "0", str(tmp_path)])
    assert refused.exit_code == 2 and "--jobs" in refused.output
