"""Run ``fix`` end to end: check, plan, verify on the edited texts, then write.

Verification re-runs the whole check over the edited texts, not over the
model: it re-parses what would be written, so a specifier that only looks right
is caught.  A plan whose finding survives, or that brings a new finding or a
parse problem, is dropped and the rest are verified again.

With ``relock=True`` (and ``write``), the lockers are run after the writes,
one command per lockfile for every package the plans move there; a locker
that fails has the manifests written for it put back (a manifest and its lock
never disagree because of pinaudit), and the repository is checked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pinaudit.check import DEFAULT_INTERNAL, CheckResult, check_files, check_paths
from pinaudit.drift import LOCK_DRIFT
from pinaudit.findings import Finding
from pinaudit.fix import FixOptions, FixPlan, FixSettingsError, TextEdit, apply_edits, plan_fixes
from pinaudit.model import Problem
from pinaudit.relock import DEFAULT_TIMEOUT, RelockCommand, RelockOutcome, run_relock
from pinaudit.rulebook import Rule
from pinaudit.simpleindex import IndexUnavailable, SimpleIndex
from pinaudit.targets import Target
from pinaudit.textfile import SourceText, UnreadableFile, digest_of, read_source
from pinaudit.write import WriteRefused, atomic_write, prepare


@dataclass(frozen=True, slots=True)
class FixOutcome:
    result: CheckResult
    plans: tuple[FixPlan, ...]
    changes: Mapping[Path, tuple[str, str]]
    remaining: tuple[Finding, ...]
    written: tuple[Path, ...]
    problems: tuple[Problem, ...]
    relocks: tuple[RelockOutcome, ...] = ()
    restored: tuple[Path, ...] = ()


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


#: Where the ``latest`` strategy finds an index the user set for uv or pip, in
#: this order (``UV_INDEX_URL`` is uv's older name for ``UV_DEFAULT_INDEX``).
INDEX_VARIABLES = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")


def index_from(
    strategy: str, index_url: str | None, environ: Mapping[str, str]
) -> SimpleIndex | None:
    """The index a run may ask, or None (offline); ``latest`` without one is an error."""
    url = index_url
    if url is None and strategy == "latest":
        url = next((environ[name] for name in INDEX_VARIABLES if environ.get(name)), None)
    if url is None:
        if strategy == "latest":
            raise FixSettingsError(
                "the latest upgrade strategy needs a package index and pinaudit is offline by "
                f"default: pass an index URL (or set {' / '.join(INDEX_VARIABLES)}), or use the "
                "minimal strategy"
            )
        return None
    try:
        return SimpleIndex(url, environ=environ)
    except IndexUnavailable as error:
        raise FixSettingsError(str(error)) from None


def _merged_commands(plans: Sequence[FixPlan]) -> list[RelockCommand]:
    by_lock: dict[Path, RelockCommand] = {}
    for plan in plans:
        command = plan.relock_command
        if plan.blocked is not None or command is None or not command.argv:
            continue
        existing = by_lock.get(command.lock)
        by_lock[command.lock] = command if existing is None else existing.merged(command)
    return list(by_lock.values())


def run_fix(
    paths: Sequence[Path],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    *,
    environ: Mapping[str, str],
    write: bool,
    root: Path,
    strategy: str = "minimal",
    max_bump: str | None = None,
    relock: bool = False,
    index_url: str | None = None,
    relock_timeout: float = DEFAULT_TIMEOUT,
    select: Callable[[CheckResult], Sequence[Finding]] | None = None,
    exclude: Sequence[str] = (),
    internal: Collection[str] = DEFAULT_INTERNAL,
) -> FixOutcome:
    """Check, plan, verify, and (with ``write``) write; (with ``relock``) re-lock.

    ``strategy`` is ``"minimal"`` or ``"latest"``; ``max_bump`` is ``"patch"``,
    ``"minor"``, ``"major"`` or None; ``index_url`` opts in to a package index
    (required by ``latest``).  ``select`` picks the findings to fix (all by
    default), e.g. to leave suppressed ones alone.  Raises
    :class:`pinaudit.fix.FixSettingsError` for settings that cannot work.
    """
    options = FixOptions(
        strategy, max_bump, index_from(strategy, index_url, environ), environ=environ
    )
    options.validate()
    result = check_paths(paths, index, targets, environ=environ, exclude=exclude, internal=internal)
    sources = _sources(result)
    texts = {path: source.text for path, source in sources.items()}
    wanted = result.findings if select is None else select(result)
    plans = plan_fixes(wanted, result.environments, index, targets, texts, options=options)
    plans, new_texts, after = _verify(result, plans, sources, index, targets, environ)
    changes = {
        path: (sources[path].text, text)
        for path, text in new_texts.items()
        if text != sources[path].text
    }
    written: list[Path] = []
    problems: list[Problem] = []
    originals: dict[Path, bytes] = {}
    if write:
        prepared: list[tuple[Path, bytes]] = []
        for path, (_, text) in changes.items():
            try:
                current, data = prepare(path, sources[path].digest, text, root)
            except WriteRefused as refusal:
                problems.append(
                    Problem(path, str(refusal).split(": ", 1)[-1], code="write-refused")
                )
                continue
            prepared.append((path, data))
            originals[path] = current
        for path, data in prepared:
            atomic_write(path, data)
            written.append(path)
    outcomes: list[RelockOutcome] = []
    restored: list[Path] = []
    if write and relock:
        refused = {problem.path for problem in problems}
        for command in _merged_commands(plans):
            drivers = _drivers_of(command, plans)
            if drivers & refused:
                outcomes.append(
                    RelockOutcome(
                        command,
                        False,
                        None,
                        "",
                        f"not run: {command.display} (a write was refused)",
                    )
                )
                continue
            outcome = run_relock(command, environ=environ, timeout=relock_timeout)
            outcomes.append(outcome)
            if outcome.ran and not outcome.ok:
                restored += _restore(drivers & set(written), originals, new_texts, sources)
        if outcomes:
            after = check_paths(
                paths, index, targets, environ=environ, exclude=exclude, internal=internal
            )
    return FixOutcome(
        result,
        tuple(plans),
        changes,
        after.findings,
        tuple(written),
        tuple(problems),
        tuple(outcomes),
        tuple(restored),
    )


def _drivers_of(command: RelockCommand, plans: Sequence[FixPlan]) -> set[Path]:
    """The files the plans re-locked by ``command`` edit."""
    return {
        edit.path
        for plan in plans
        if plan.blocked is None
        and plan.relock_command is not None
        and plan.relock_command.lock == command.lock
        for edit in plan.edits
    }


def _restore(
    paths: set[Path],
    originals: Mapping[Path, bytes],
    new_texts: Mapping[Path, str],
    sources: Mapping[Path, SourceText],
) -> list[Path]:
    """Put back the bytes of ``paths`` when they still hold what pinaudit wrote."""
    restored: list[Path] = []
    for path in sorted(paths):
        try:
            now = path.read_bytes()
        except OSError:
            continue
        if digest_of(now) != digest_of(sources[path].encode(new_texts[path])):
            continue  # changed by someone else since: leave it
        atomic_write(path, originals[path])
        restored.append(path)
    return restored
