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
from pinaudit.findings import Finding
from pinaudit.model import Environment, ManifestKind, Problem
from pinaudit.rulebook import Rule
from pinaudit.targets import Target
from pinaudit.textfile import read_source

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
    return recheck(parsed, index, targets, internal=internal)


def recheck(
    result: CheckResult,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    internal: Collection[str] = DEFAULT_INTERNAL,
) -> CheckResult:
    """The environments of an earlier check evaluated again, without reading any file.

    ``--advisories`` first checks with no rules to learn which packages the
    files name (only their advisories are loaded), then evaluates the rules
    here on what that pass parsed.  The files, environments and problems are
    kept; the findings are all new.
    """
    findings: dict[object, Finding] = {}
    drift = LOCK_DRIFT.code in internal
    decided = Decided()
    for environment in result.environments:
        for finding in evaluate(environment, index, targets, decided):
            findings.setdefault(finding.key(), finding)
        if drift:
            for finding in lock_drift(environment, targets):
                findings.setdefault(finding.key(), finding)
    ordered = sorted(
        findings.values(),
        key=lambda f: (str(f.primary.path), f.primary.location.start, f.rule.code),
    )
    return CheckResult(result.files, result.environments, tuple(ordered), result.problems)


def check_paths(
    paths: Sequence[Path],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    exclude: Sequence[str] = (),
    reader: Reader = read_source,
    environ: Mapping[str, str] | None = None,
    internal: Collection[str] = DEFAULT_INTERNAL,
) -> CheckResult:
    missing = [
        Problem(path, "no such file or directory", code="missing-path")
        for path in paths
        if not path.exists()
    ]
    result = check_files(
        discover(paths, exclude), index, targets, reader=reader, environ=environ, internal=internal
    )
    if not missing:
        return result
    return CheckResult(
        result.files, result.environments, result.findings, (*missing, *result.problems)
    )
