"""Lock drift: a lockfile that no longer matches the manifest that drives it.

A lock is only a record of what the manifest asked for at the time it was
written.  When someone edits pyproject.toml (or a pip-compile ``.in``) and does
not re-lock, the lock keeps installing versions the manifest forbids, or
misses a dependency altogether; ``uv sync --locked`` and ``poetry check
--lock`` would refuse it, a plain install silently would not.  This is found
offline, from the two files alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.specifiers import SpecifierSet

from pinaudit.compiled import recompile_line
from pinaudit.engine import environment_targets, group_by_name
from pinaudit.findings import Finding, Involved
from pinaudit.model import Dependency, Environment, ManifestKind, Role
from pinaudit.ranges import Relation
from pinaudit.rulebook import Match, Rule, RuleKind, Severity
from pinaudit.targets import Target, describe, holds

LOCK_DRIFT = Rule(
    code="PA0101",
    slug="lock-drift",
    kind=RuleKind.INTERNAL,
    severity=Severity.WARNING,
    summary="the lockfile no longer satisfies the manifest that drives it; re-lock",
    packages=(),
    remedies=(),
    references=(),
    description=(
        "A locked version outside the declared specifier, or a declared dependency "
        "missing from the lock, means the lock was not regenerated after the manifest "
        "changed. Installing from the lock installs what the manifest forbids. Re-run the "
        "locker (uv lock, poetry lock, pdm lock, pipenv lock, pip-compile)."
    ),
)

_RELOCK = {
    ManifestKind.UV_LOCK: "uv lock",
    ManifestKind.POETRY_LOCK: "poetry lock",
    ManifestKind.PDM_LOCK: "pdm lock",
    ManifestKind.PIPFILE_LOCK: "pipenv lock",
}
_NOT_LOCKED_GROUPS = frozenset({"build-system"})


def _relock_hint(environment: Environment) -> str:
    for manifest in environment.manifests:
        command = _RELOCK.get(manifest.kind)
        if command is not None:
            return command
        source = manifest.compiled_from
        if source is not None:
            return recompile_line(manifest, source)
    return "re-lock"


def _locked_group(group: str | None, locked: frozenset[str] | None) -> bool:
    """Whether the lock covers a declared group.

    PDM locks only the groups it names (bare names: an extra and a dependency
    group alike); a compiled pyproject.toml covers the extras and groups its
    command line asked for (full names, ``optional:*`` for every extra).
    """
    if group in _NOT_LOCKED_GROUPS:
        return False
    if locked is None:
        return True
    if group is None:
        return "default" in locked
    if group in locked or (group.startswith("optional:") and "optional:*" in locked):
        return True
    return group.split(":", 1)[-1] in locked


def _declared(environment: Environment) -> list[Dependency]:
    drivers = {manifest.path for manifest in environment.drivers}
    named = [m.locked_groups for m in environment.manifests if m.locked_groups is not None]
    locked = frozenset().union(*named) if named else None
    return [
        dep
        for dep in environment.dependencies
        if dep.path in drivers
        and dep.role is Role.REQUIRE
        and _locked_group(dep.group, locked)
        and dep.url is None
        and not dep.editable
    ]


def lock_drift(environment: Environment, targets: Sequence[Target]) -> list[Finding]:
    """Findings for declared entries the lock contradicts or lacks."""
    if not environment.drivers:
        return []
    grouped = group_by_name(environment.dependencies)
    if not any(dep.role is Role.LOCK for deps in grouped.values() for dep in deps):
        return []
    hint = _relock_hint(environment)
    targets = environment_targets(environment, targets)
    findings: list[Finding] = []
    for declared in _declared(environment):
        applies = [t for t in targets if holds(declared.marker, t)]
        if not applies:
            continue
        locked = [dep for dep in grouped.get(declared.name, []) if dep.role is Role.LOCK]
        where = describe(applies, targets)
        if not locked:
            detail = (
                f"{declared.raw_name} is declared in {declared.path.name} but not in the lock; "
                f"run `{hint}`"
            )
            item = Involved(declared.name, Relation.ALWAYS, (declared,))
            findings.append(
                Finding(LOCK_DRIFT, Match.DEFINITE, environment.name, (item,), where, detail)
            )
            continue
        if _satisfied(declared.specifier, locked):
            continue
        versions = ", ".join(sorted({str(dep.pinned) for dep in locked if dep.pinned}))
        detail = (
            f"{declared.raw_name}{declared.specifier} is declared in {declared.path.name}, "
            f"but the lock holds {versions}; run `{hint}`"
        )
        items = (
            Involved(declared.name, Relation.ALWAYS, (declared,)),
            Involved(declared.name, Relation.ALWAYS, tuple(locked)),
        )
        findings.append(Finding(LOCK_DRIFT, Match.DEFINITE, environment.name, items, where, detail))
    return findings


def _satisfied(specifier: SpecifierSet, locked: Sequence[Dependency]) -> bool:
    """Some locked version meets the declared specifier (pre-releases count: they were locked)."""
    return any(
        dep.pinned is None or specifier.contains(dep.pinned, prereleases=True) for dep in locked
    )
