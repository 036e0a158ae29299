"""Run ``fix`` end to end: check, plan, verify on the edited texts, then write.

Verification re-runs the whole check over the edited texts, not over the
model: it re-parses what would be written, so a specifier that only looks right
is caught.  A plan whose finding survives, or that brings a new finding or a
parse problem, is dropped and the rest are verified again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pinaudit.check import CheckResult, check_files, check_paths
from pinaudit.drift import LOCK_DRIFT
from pinaudit.findings import Finding
from pinaudit.fix import FixPlan, TextEdit, apply_edits, plan_fixes
from pinaudit.model import Problem
from pinaudit.rulebook import Rule
from pinaudit.targets import Target
from pinaudit.textfile import SourceText, UnreadableFile, read_source
from pinaudit.write import WriteRefused, atomic_write, prepare


@dataclass(frozen=True, slots=True)
class FixOutcome:
    result: CheckResult
    plans: tuple[FixPlan, ...]
    changes: Mapping[Path, tuple[str, str]]
    remaining: tuple[Finding, ...]
    written: tuple[Path, ...]
    problems: tuple[Problem, ...]


def _sources(result: CheckResult) -> dict[Path, SourceText]:
    sources: dict[Path, SourceText] = {}
    for environment in result.environments:
        for manifest in environment.manifests:
            if manifest.path in sources:
                continue
            try:
                sources[manifest.path] = read_source(manifest.path)
            except UnreadableFile:
                continue
    return sources


def _new_texts(plans: Sequence[FixPlan], sources: Mapping[Path, SourceText]) -> dict[Path, str]:
    edits: dict[Path, list[TextEdit]] = defaultdict(list)
    for plan in plans:
        if plan.blocked is None:
            for edit in plan.edits:
                edits[edit.path].append(edit)
    return {path: apply_edits(sources[path].text, items) for path, items in edits.items()}


def _overlay_reader(texts: Mapping[Path, str], sources: Mapping[Path, SourceText]):  # type: ignore[no-untyped-def]
    def read(path: Path) -> SourceText:
        if path in texts:
            return replace(sources[path], text=texts[path])
        return read_source(path)

    return read


def _verify(
    result: CheckResult,
    plans: list[FixPlan],
    sources: Mapping[Path, SourceText],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    environ: Mapping[str, str],
) -> tuple[list[FixPlan], dict[Path, str], CheckResult]:
    """Drop plans until the edited texts check clean for what they claim to fix."""
    before_keys = {finding.identity() for finding in result.findings}
    for _ in range(len(plans) + 1):
        texts = _new_texts(plans, sources)
        after = check_files(
            result.files, index, targets, reader=_overlay_reader(texts, sources), environ=environ
        )
        after_keys = {finding.identity() for finding in after.findings}
        new_problems = {p.describe() for p in after.problems} - {
            p.describe() for p in result.problems
        }
        introduced = after_keys - before_keys
        files_of = {
            env.name: {manifest.path for manifest in env.manifests} for env in after.environments
        }
        culprits: list[int] = []
        for position, plan in enumerate(plans):
            if plan.blocked is not None or not plan.edits:
                continue
            own = plan.finding.identity()
            touched = {edit.path for edit in plan.edits}
            survives = own in after_keys and plan.relock is None
            broke = bool(new_problems) and any(
                p.path in touched for p in after.problems if p.describe() in new_problems
            )
            # Editing the manifest of a lock drifts it from the lock until the
            # re-lock the plan asks for; that drift is the plan working.
            brought = sorted(
                code
                for code, env, _ in introduced
                if touched & files_of.get(env, set())
                and not (plan.relock is not None and code == LOCK_DRIFT.code)
            )
            if survives or broke or brought:
                reason = (
                    "the edited file no longer parses"
                    if broke
                    else "the finding would remain after the edit"
                    if survives
                    else "the edit would introduce " + ", ".join(brought)
                )
                culprits.append(position)
                plans[position] = FixPlan(
                    plan.finding, blocked=f"edit refused on re-check: {reason}"
                )
        if not culprits:
            return plans, texts, after
    return plans, {}, result


def run_fix(
    paths: Sequence[Path],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    environ: Mapping[str, str],
    write: bool,
    root: Path,
) -> FixOutcome:
    result = check_paths(paths, index, targets, environ=environ)
    sources = _sources(result)
    texts = {path: source.text for path, source in sources.items()}
    plans = plan_fixes(result.findings, result.environments, index, targets, texts)
    plans, new_texts, after = _verify(result, plans, sources, index, targets, environ)
    changes = {
        path: (sources[path].text, text)
        for path, text in new_texts.items()
        if text != sources[path].text
    }
    written: list[Path] = []
    problems: list[Problem] = []
    if write:
        prepared: list[tuple[Path, bytes]] = []
        for path, (_, text) in changes.items():
            try:
                _, data = prepare(path, sources[path].digest, text, root)
            except WriteRefused as refusal:
                problems.append(
                    Problem(path, str(refusal).split(": ", 1)[-1], code="write-refused")
                )
                continue
            prepared.append((path, data))
        for path, data in prepared:
            atomic_write(path, data)
            written.append(path)
    return FixOutcome(
        result, tuple(plans), changes, after.findings, tuple(written), tuple(problems)
    )
