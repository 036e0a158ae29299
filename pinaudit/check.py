"""The check pipeline, from paths to findings, with no printing and no exits.

Both ``check`` and ``fix`` run this; ``fix`` runs it a second time over the
edited texts (through ``reader``) to prove an edit removes its finding and adds
none before anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pinaudit.discover import discover
from pinaudit.drift import LOCK_DRIFT, lock_drift
from pinaudit.engine import Decided, evaluate
from pinaudit.environments import ManifestLoader, Reader, build_environments
from pinaudit.findings import Finding, Involved
from pinaudit.model import Environment, ManifestKind, Problem
from pinaudit.ranges import Relation
from pinaudit.rulebook import Match, Rule
from pinaudit.targets import Target
from pinaudit.textfile import missing_reason, read_source

#: Internal checks that run unless deselected (``--ignore PA0101``).
DEFAULT_INTERNAL: frozenset[str] = frozenset({LOCK_DRIFT.code})


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check read and found; ``fix`` and ``--advisories`` re-evaluate it unread."""

    files: tuple[tuple[Path, ManifestKind], ...]
    environments: tuple[Environment, ...]
    findings: tuple[Finding, ...]
    problems: tuple[Problem, ...]


def check_files(
    files: Sequence[tuple[Path, ManifestKind]],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    reader: Reader = read_source,
    environ: Mapping[str, str] | None = None,
    internal: Collection[str] = DEFAULT_INTERNAL,
    jobs: int | None = None,
) -> CheckResult:
    """Findings of the indexed rules, plus the enabled internal checks (lock drift)."""
    loader = ManifestLoader(reader, dict(environ or {}))
    environments = build_environments(files, loader)
    seen_problems: dict[tuple[str, int | None, int | None, str], Problem] = {}
    for problem in (p for env in environments for p in env.problems):
        seen_problems.setdefault(
            (str(problem.path), problem.line, problem.column, problem.message), problem
        )
    problems = sorted(
        seen_problems.values(), key=lambda p: (str(p.path), p.line or 0, p.column or 0)
    )
    parsed = CheckResult(tuple(files), tuple(environments), (), tuple(problems))
    return recheck(parsed, index, targets, internal=internal, jobs=jobs)


def recheck(
    result: CheckResult,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    internal: Collection[str] = DEFAULT_INTERNAL,
    jobs: int | None = None,
) -> CheckResult:
    """The environments of an earlier check evaluated again, without reading any file.

    ``--advisories`` first checks with no rules to learn which packages the
    files name (only their advisories are loaded), then evaluates the rules
    here on what that pass parsed.  The files, environments and problems are
    kept; the findings are all new.  ``jobs`` is the number of processes that
    evaluate the rules (None: as many as pay off, see :mod:`pinaudit.parallel`).
    """
    findings: dict[object, Finding] = {}
    drift = LOCK_DRIFT.code in internal
    environments = result.environments
    evaluated = _evaluate_all(environments, index, targets, jobs)
    for environment, found in zip(environments, evaluated, strict=True):
        for finding in found:
            findings.setdefault(finding.key(), finding)
        if drift:
            for finding in lock_drift(environment, targets):
                findings.setdefault(finding.key(), finding)
    ordered = sorted(
        findings.values(),
        key=lambda f: (str(f.primary.path), f.primary.location.start, f.rule.code),
    )
    return CheckResult(result.files, result.environments, tuple(ordered), result.problems)


def _evaluate_all(
    environments: Sequence[Environment],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    jobs: int | None,
) -> list[list[Finding]]:
    """Each environment's findings, in order, in one process or several.

    Environments are independent, so any cut of them gives the same findings
    per environment, except that a finding another environment of the same
    process already produced may be skipped (:class:`Decided`); the caller
    keeps the first finding per key, in environment order, so the run reports
    the same findings either way.
    """
    from pinaudit import parallel

    processes = parallel.processes_for(len(environments), jobs) if index else 1
    if processes == 1:
        decided = Decided()
        return [evaluate(environment, index, targets, decided) for environment in environments]

    def work(chunk: Sequence[Environment]) -> list[list[_Wire]]:
        decided = Decided()
        return [
            _encode(environment, evaluate(environment, index, targets, decided))
            for environment in chunk
        ]

    chunks = parallel.split(environments, processes)
    return [
        _decode(environment, wires, index)
        for chunk, encoded in zip(chunks, parallel.fork_map(work, chunks), strict=True)
        for environment, wires in zip(chunk, encoded, strict=True)
    ]


def _rule(index: Mapping[str, Sequence[Rule]], code: str, name: str) -> Rule:
    """The rule ``code`` among those of package ``name``, through ``get`` only (lazy indexes)."""
    for rule in index.get(name) or ():
        if rule.code == code:
            return rule
    raise LookupError(f"rule {code} is not indexed under {name}")  # pragma: no cover


#: A finding as a child process sends it: rule code, match, environment name,
#: per package (name, relation, positions of its entries in the environment),
#: where and detail.
_Wire = tuple[str, str, str, tuple[tuple[str, str, tuple[int, ...]], ...], str, str]


def _encode(environment: Environment, findings: Sequence[Finding]) -> list[_Wire]:
    if not findings:
        return []
    position = {id(dep): number for number, dep in enumerate(environment.dependencies)}
    return [
        (
            finding.rule.code,
            finding.match.value,
            finding.environment,
            tuple(
                (item.name, item.relation.value, tuple(position[id(d)] for d in item.dependencies))
                for item in finding.involved
            ),
            finding.where,
            finding.detail,
        )
        for finding in findings
    ]


def _decode(
    environment: Environment, wires: Sequence[_Wire], index: Mapping[str, Sequence[Rule]]
) -> list[Finding]:
    dependencies = environment.dependencies
    return [
        Finding(
            _rule(index, code, involved[0][0]),
            Match(match),
            name,
            tuple(
                Involved(package, Relation(relation), tuple(dependencies[n] for n in numbers))
                for package, relation, numbers in involved
            ),
            where,
            detail,
        )
        for code, match, name, involved, where, detail in wires
    ]


def check_paths(
    paths: Sequence[Path],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    exclude: Sequence[str] = (),
    reader: Reader = read_source,
    environ: Mapping[str, str] | None = None,
    internal: Collection[str] = DEFAULT_INTERNAL,
    jobs: int | None = None,
) -> CheckResult:
    missing = [
        Problem(path, reason, code="missing-path")
        for path in paths
        if (reason := missing_reason(path)) is not None
    ]
    result = check_files(
        discover(paths, exclude),
        index,
        targets,
        reader=reader,
        environ=environ,
        internal=internal,
        jobs=jobs,
    )
    if not missing:
        return result
    return CheckResult(
        result.files, result.environments, result.findings, (*missing, *result.problems)
    )
