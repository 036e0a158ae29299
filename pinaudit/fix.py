"""Plan the edits that remove findings, and prove them before anyone writes.

For each finding the rule's remedies are tried in order; the first whose edit,
applied to the whole environment, leaves that finding gone and adds no other
one is taken.  Edits go to the file that drives an installation: the
requirement line itself, the ``.in`` of a pip-compile output, the pyproject.toml
or Pipfile of a lockfile.  Locks are never hand-edited: their plan carries the
command that re-locks instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from pinaudit.engine import evaluate
from pinaudit.environments import replace_dependencies
from pinaudit.findings import Finding
from pinaudit.model import Dependency, Environment, Manifest, ManifestKind, Role, Span
from pinaudit.ranges import Relation, allowed_range, relation
from pinaudit.rulebook import Remedy, Rule
from pinaudit.specedit import move_specifier
from pinaudit.targets import Target

_NAME_AND_EXTRAS = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[^\]]*\])?")

_RELOCK = {
    ManifestKind.UV_LOCK: "uv lock --upgrade-package {name}",
    ManifestKind.POETRY_LOCK: "poetry update {name}",
    ManifestKind.PDM_LOCK: "pdm update {name}",
    ManifestKind.PIPFILE_LOCK: "pipenv upgrade {name}",
    ManifestKind.PYLOCK: "re-run the tool that wrote {path} (e.g. uv export or pip lock)",
}


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the characters of ``span`` in ``path`` (which were ``original``)."""

    path: Path
    span: Span
    original: str
    replacement: str


@dataclass(frozen=True, slots=True)
class FixPlan:
    finding: Finding
    edits: tuple[TextEdit, ...] = ()
    remedy: Remedy | None = None
    summary: str = ""
    blocked: str | None = None
    relock: str | None = None

    @property
    def fixable(self) -> bool:
        return self.blocked is None and (bool(self.edits) or self.relock is not None)


class _Refused(Exception):
    """A remedy that cannot be applied; the message says why."""


def _finding_keys(findings: Sequence[Finding]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {finding.identity() for finding in findings}


def _with_specifier(dependency: Dependency, text: str) -> Dependency:
    specifier = SpecifierSet(text)
    clauses = list(specifier)
    pinned: Version | None = None
    if len(clauses) == 1 and clauses[0].operator in ("==", "===") and "*" not in clauses[0].version:
        try:
            pinned = Version(clauses[0].version)
        except ValueError:
            pinned = None
    return replace(dependency, specifier=specifier, pinned=pinned)


def _edit_for(dependency: Dependency, new_text: str, source_text: str) -> TextEdit:
    if dependency.version_span is not None:
        span = dependency.version_span
        return TextEdit(dependency.path, span, source_text[span.start : span.end], new_text)
    match = _NAME_AND_EXTRAS.match(dependency.text)
    if match is None or not dependency.text:
        raise _Refused(f"cannot tell where the version of {dependency.raw_name} goes")
    at = dependency.span.start + match.end()
    point = Span(
        at,
        at,
        dependency.span.line,
        dependency.span.column + match.end(),
        dependency.span.line,
        dependency.span.column + match.end(),
    )
    return TextEdit(dependency.path, point, "", new_text)


def _relock_command(environment: Environment, name: str) -> str | None:
    for manifest in environment.manifests:
        if manifest.kind.is_lock:
            template = _RELOCK.get(manifest.kind)
            if template is not None:
                return template.format(name=name, path=manifest.path)
        if manifest.generated_by == "pip-compile" and manifest.source is not None:
            return f"pip-compile --upgrade-package {name} {manifest.source}"
    return None


def _editable_entries(environment: Environment, name: str) -> tuple[list[Dependency], bool]:
    """Entries a fix may edit for ``name``, and whether a re-lock must follow.

    Where a lock (or a pip-compile output, read as one) holds the package, only
    the manifests that drive it are edited.
    """
    entries = environment.entries(name)
    if any(dep.role is Role.LOCK for dep in entries):
        driver_paths = {manifest.path for manifest in environment.drivers}
        return [
            dep for dep in entries if dep.path in driver_paths and dep.role is not Role.LOCK
        ], True
    return list(entries), False


def _apply_remedy(
    finding: Finding,
    remedy: Remedy,
    environment: Environment,
    texts: Mapping[Path, str],
) -> tuple[list[TextEdit], dict[Dependency, Dependency], str | None]:
    rule = finding.rule
    condition = rule.condition(remedy.package)
    entries, relock = _editable_entries(environment, remedy.package)
    relock_command = _relock_command(environment, remedy.package) if relock else None
    if not entries:
        where = "the file that drives the lock" if relock else "a file pinaudit can edit"
        raise _Refused(f"{remedy.package} is not declared in {where}")
    edits: list[TextEdit] = []
    replacements: dict[Dependency, Dependency] = {}

    def settled() -> bool:
        current = [replacements.get(dep, dep).specifier for dep in entries]
        return relation(allowed_range(current), condition.range) is Relation.NEVER

    # Pins first: moving the one entry that decides the version is the smallest edit.
    for dependency in sorted(entries, key=lambda dep: (dep.pinned is None, not str(dep.specifier))):
        if settled():
            break
        if dependency.url is not None or dependency.editable:
            raise _Refused(f"{dependency.raw_name} comes from a URL or path; move it by hand")
        source_text = texts.get(dependency.path)
        if source_text is None:
            raise _Refused(f"{dependency.path} could not be read back")
        written = (
            source_text[dependency.version_span.start : dependency.version_span.end]
            if dependency.version_span is not None
            else ""
        )
        moved = move_specifier(written, remedy.version, condition.specifier)
        if moved is None:
            raise _Refused(
                f"'{dependency.raw_name}{written}' at {dependency.path}:{dependency.span.line} "
                f"cannot be moved to {remedy.version} with a minimal edit"
            )
        if moved == written and written.strip():
            continue
        if dependency.hashes:
            raise _Refused(
                f"{dependency.path}:{dependency.span.line} pins {dependency.raw_name} with --hash; "
                f"new hashes are needed: regenerate it with "
                f"'pip-compile --generate-hashes --upgrade-package {remedy.package}'"
            )
        try:
            replacements[dependency] = _with_specifier(dependency, moved)
        except InvalidSpecifier as error:
            raise _Refused(
                f"the edit would write an invalid specifier {moved!r}: {error}"
            ) from None
        edits.append(_edit_for(dependency, moved, source_text))
    if relock:
        # Simulate the re-lock: the locker would pick the remedy's release.
        simulated = SpecifierSet(f"=={remedy.version}")
        for dependency in environment.entries(remedy.package):
            stale_pin = dependency.pinned is not None and dependency not in replacements
            if dependency.role is Role.LOCK or stale_pin:
                replacements[dependency] = replace(
                    dependency, pinned=remedy.version, specifier=simulated
                )
    return edits, replacements, relock_command


def plan_fix(
    finding: Finding,
    environment: Environment,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    texts: Mapping[Path, str],
) -> FixPlan:
    """The first remedy that removes ``finding`` and adds no other, or why none does."""
    rule = finding.rule
    if not rule.remedies:
        return FixPlan(finding, blocked=f"{rule.code} lists no remedy")
    before = _finding_keys(evaluate(environment, index, targets))
    own = finding.identity()
    reasons: list[str] = []
    for remedy in rule.remedies:
        try:
            edits, replacements, relock = _apply_remedy(finding, remedy, environment, texts)
        except _Refused as refusal:
            reasons.append(f"{remedy.package} {remedy.version}: {refusal}")
            continue
        after = _finding_keys(
            evaluate(replace_dependencies(environment, replacements), index, targets)
        )
        if own in after:
            reasons.append(f"{remedy.package} {remedy.version}: the finding would remain")
            continue
        new = sorted(code for code, _, _ in after - before)
        if new:
            reasons.append(f"{remedy.package} {remedy.version}: would introduce {', '.join(new)}")
            continue
        old = finding.involved[[i.name for i in finding.involved].index(remedy.package)].versions
        summary = f"{remedy.package} {old} -> {remedy.version}"
        if remedy.note:
            summary += f" ({remedy.note})"
        return FixPlan(finding, tuple(edits), remedy, summary, None, relock)
    return FixPlan(finding, blocked="; ".join(reasons) or "no remedy applies")


def plan_fixes(
    findings: Sequence[Finding],
    environments: Sequence[Environment],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    texts: Mapping[Path, str],
) -> list[FixPlan]:
    """A plan per finding; a plan whose edits collide with an earlier one is refused."""
    by_name = {environment.name: environment for environment in environments}
    plans: list[FixPlan] = []
    taken: dict[tuple[Path, int, int], str] = {}
    for finding in findings:
        environment = by_name[finding.environment]
        plan = plan_fix(finding, environment, index, targets, texts)
        clash = next(
            (
                edit
                for edit in plan.edits
                if taken.get((edit.path, edit.span.start, edit.span.end), edit.replacement)
                != edit.replacement
            ),
            None,
        )
        if clash is not None:
            plan = FixPlan(
                finding,
                blocked=f"its edit at {clash.path}:{clash.span.line} conflicts with an earlier fix",
            )
        for edit in plan.edits:
            taken[(edit.path, edit.span.start, edit.span.end)] = edit.replacement
        plans.append(plan)
    return plans


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with ``edits`` applied; identical edits are applied once."""
    unique = {(edit.span.start, edit.span.end): edit for edit in edits}
    result = text
    for (start, end), edit in sorted(unique.items(), reverse=True):
        result = result[:start] + edit.replacement + result[end:]
    return result


def manifests_by_path(environments: Sequence[Environment]) -> dict[Path, Manifest]:
    return {manifest.path: manifest for env in environments for manifest in env.manifests}
