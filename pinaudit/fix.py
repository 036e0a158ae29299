"""Plan the edits that remove findings, and prove them before anyone writes.

For each finding the rule's remedies are tried in order; the first whose edit,
applied to the whole environment, leaves that finding gone, adds no other one
and still resolves (:mod:`pinaudit.resolve`) is taken.  The version chosen is
the remedy's (the smallest release that fixes it) or, with the ``latest``
strategy and an index, the newest release outside the bad range; a move
further than ``max_bump`` allows is refused with the reason.

Edits go to the file that drives an installation, in that file's own
spelling: the requirement line itself, the ``.in`` of a pip-compile output, a
pyproject.toml's PEP 508 string or Poetry constraint, a Pipfile's version.
Locks are never hand-edited: their plan carries the command that re-locks
instead, and a package only the lock holds gets no invented edit, only that
command and the constraint a user could add.  A requirement with ``--hash``
gets new hashes only from the index its file names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from pinaudit.compiled import recompile_line
from pinaudit.engine import evaluate
from pinaudit.environments import replace_dependencies
from pinaudit.findings import Finding
from pinaudit.indexauth import redact
from pinaudit.model import (
    Dependency,
    Environment,
    LineIndex,
    ManifestKind,
    Role,
    Span,
)
from pinaudit.ranges import Relation, allowed_range, relation
from pinaudit.relock import RelockCommand, constraint_hint, relock_command
from pinaudit.resolve import (
    Knowledge,
    Verdict,
    bump_allowed,
    bump_kind,
    check_proposal,
    knowledge_of,
)
from pinaudit.rulebook import Remedy, Rule
from pinaudit.simpleindex import IndexUnavailable, SimpleIndex
from pinaudit.specedit import move_bare_version, move_poetry_constraint, move_specifier
from pinaudit.targets import Target

_NAME_AND_EXTRAS = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*(\s*\[[^\]]*\])?")
_KEY_VALUE = re.compile(r"""^\s*["']?[A-Za-z0-9][A-Za-z0-9._-]*["']?\s*=(?!=)""")
_HASH_OPTION = re.compile(r"--hash(?:=|[ \t]+)(?P<algorithm>[A-Za-z0-9]+):(?P<value>[0-9A-Fa-f]+)")

STRATEGIES = ("minimal", "latest")
MAX_BUMPS = ("patch", "minor", "major")


class FixSettingsError(ValueError):
    """Settings that cannot work (an unknown strategy, ``latest`` with no index)."""


@dataclass(frozen=True, slots=True)
class FixOptions:
    """How fixes are chosen.

    ``strategy``: ``minimal`` (the remedy's release) or ``latest`` (the newest
    release outside the bad range, which needs ``index``).  ``max_bump``: the
    furthest a package may move from its locked or pinned version.  ``index``:
    a package index to read versions and requirements from (opt-in; None keeps
    the planner offline).  ``hash_index``: fetch new ``--hash`` values from the
    index a requirements file names itself.  ``environ``: where that index's
    ``.netrc`` is looked up (the process's environment when None).
    ``hash_indexes``: the clients of those indexes, one per URL for the whole
    run, so that a package pinned with hashes in many files is listed once and
    the TLS set-up is paid once per index rather than once per pin.
    """

    strategy: str = "minimal"
    max_bump: str | None = None
    index: SimpleIndex | None = None
    hash_index: bool = True
    environ: Mapping[str, str] | None = field(default=None, compare=False)
    hash_indexes: dict[str, SimpleIndex] = field(default_factory=dict, compare=False, repr=False)

    def validate(self) -> None:
        if self.strategy not in STRATEGIES:
            raise FixSettingsError(
                f"unknown upgrade strategy {self.strategy!r}; use {' or '.join(STRATEGIES)}"
            )
        if self.max_bump is not None and self.max_bump not in MAX_BUMPS:
            raise FixSettingsError(
                f"unknown max bump {self.max_bump!r}; use {', '.join(MAX_BUMPS)}"
            )


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the characters of ``span`` in ``path`` (which were ``original``)."""

    path: Path
    span: Span
    original: str
    replacement: str


@dataclass(frozen=True, slots=True)
class Move:
    """One package the plan moves: from what the environment has to the new release."""

    package: str
    old: Version | None
    new: Version
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FixPlan:
    finding: Finding
    edits: tuple[TextEdit, ...] = ()
    remedy: Remedy | None = None
    summary: str = ""
    blocked: str | None = None
    relock: str | None = None
    moves: tuple[Move, ...] = ()
    notes: tuple[str, ...] = ()
    relock_command: RelockCommand | None = field(default=None, compare=False)

    @property
    def fixable(self) -> bool:
        return self.blocked is None and (bool(self.edits) or self.relock is not None)


class _Refused(Exception):
    """A remedy that cannot be applied; the message says why."""


def _finding_keys(findings: Sequence[Finding]) -> set[tuple[str, str, tuple[str, ...]]]:
    return {finding.identity() for finding in findings}


# -- the spelling of a version in each kind of file ----------------------------------


def _dialect(dependency: Dependency, kind: ManifestKind | None) -> str:
    """``pep440`` (a PEP 508 string), ``poetry`` or ``bare`` (Pipfile, PDM override)."""
    if kind is ManifestKind.PIPFILE:
        return "bare"
    if kind is ManifestKind.PYPROJECT and _KEY_VALUE.match(dependency.text):
        return "bare" if dependency.group == "override" else "poetry"
    return "pep440"


def _specifier_of(text: str, dialect: str) -> SpecifierSet:
    if dialect == "poetry":
        from pinaudit.poetry_constraints import to_specifier

        return to_specifier(text)
    stripped = text.strip()
    if dialect == "bare":
        if stripped in ("", "*"):
            return SpecifierSet()
        if stripped[0].isdigit():
            stripped = "==" + stripped
    return SpecifierSet(stripped)


def _move(written: str, target: Version, bad: SpecifierSet, dialect: str) -> str | None:
    if dialect == "poetry":
        return move_poetry_constraint(written, target, bad)
    if dialect == "bare":
        return move_bare_version(written, target, bad)
    return move_specifier(written, target, bad)


def _with_specifier(dependency: Dependency, text: str, dialect: str) -> Dependency:
    from pinaudit.sources.registry import pinned_of

    specifier = _specifier_of(text, dialect)
    return replace(dependency, specifier=specifier, pinned=pinned_of(specifier))


def _edit_for(dependency: Dependency, new_text: str, source_text: str) -> TextEdit:
    if dependency.version_span is not None:
        span = dependency.version_span
        return TextEdit(dependency.path, span, source_text[span.start : span.end], new_text)
    match = _NAME_AND_EXTRAS.match(dependency.text)
    if match is None or not dependency.text:
        raise _Refused(f"cannot tell where the version of {dependency.raw_name} goes")
    at = dependency.span.start + match.end()
    if source_text[dependency.span.start : at] != dependency.text[: match.end()]:
        raise _Refused(f"cannot tell where the version of {dependency.raw_name} goes")
    point = Span(
        at,
        at,
        dependency.span.line,
        dependency.span.column + match.end(),
        dependency.span.line,
        dependency.span.column + match.end(),
    )
    return TextEdit(dependency.path, point, "", new_text)


# -- hashes ------------------------------------------------------------------------


def _hash_matches(text: str, dependency: Dependency) -> list[re.Match[str]]:
    """The ``--hash`` options of a requirement's logical line, in order."""
    position = dependency.span.end
    end = len(text)
    while True:
        newline = text.find("\n", position)
        line_end = end if newline == -1 else newline
        if newline != -1 and text[position:line_end].rstrip("\r").rstrip().endswith("\\"):
            position = newline + 1
            continue
        end = line_end
        break
    return list(_HASH_OPTION.finditer(text, dependency.span.end, end))


def _index_urls(environment: Environment) -> list[str]:
    primary = [
        option.value
        for manifest in environment.manifests
        for option in manifest.options
        if option.name == "--index-url" and option.value
    ]
    extra = [
        option.value
        for manifest in environment.manifests
        for option in manifest.options
        if option.name == "--extra-index-url" and option.value
    ]
    return [*primary[:1], *extra]


def _hash_edit(
    dependency: Dependency,
    version: Version,
    environment: Environment,
    text: str,
    options: FixOptions,
) -> TextEdit:
    """The edit that replaces a requirement's hashes with those of ``version``."""
    regenerate = (
        f"regenerate it with 'pip-compile --generate-hashes --upgrade-package {dependency.name}'"
    )
    urls = _index_urls(environment)
    where = f"{dependency.path}:{dependency.span.line}"
    if not urls or not options.hash_index:
        raise _Refused(
            f"{where} pins {dependency.raw_name} with --hash; new hashes are needed and the "
            f"file names no --index-url to take them from: {regenerate}"
        )
    hashes: list[str] = []
    for url in urls:
        try:
            client = options.hash_indexes.get(url)
            if client is None:
                client = options.hash_indexes[url] = SimpleIndex(url, environ=options.environ)
            files = client.release_files(dependency.name, version)
        except IndexUnavailable as error:
            raise _Refused(
                f"{where} pins {dependency.raw_name} with --hash; new hashes are needed and "
                f"the index could not be read ({error}): {regenerate}"
            ) from None
        for item in files:
            digest = item.hashes.get("sha256")
            if digest is None:
                raise _Refused(
                    f"{where}: the index lists {item.filename} without a sha256 hash: {regenerate}"
                )
            if digest not in hashes:
                hashes.append(digest)
    if not hashes:
        raise _Refused(
            f"{where} pins {dependency.raw_name} with --hash; the index lists no file of "
            f"{dependency.name} {version}: {regenerate}"
        )
    matches = _hash_matches(text, dependency)
    if not matches:
        raise _Refused(f"{where}: cannot locate the --hash options of {dependency.raw_name}")
    first, last = matches[0], matches[-1]
    prefix = text[first.start() : first.start("algorithm")]
    if len(matches) > 1:
        separator = text[first.end() : matches[1].start()]
    else:
        before = text[dependency.span.end : first.start()]
        separator = before if "\\" in before else " "
    replacement = separator.join(f"{prefix}sha256:{digest}" for digest in hashes)
    span = LineIndex(text).span(first.start(), last.end())
    return TextEdit(dependency.path, span, text[first.start() : last.end()], replacement)


# -- one package moved -------------------------------------------------------------


@dataclass(slots=True)
class _Applied:
    edits: list[TextEdit] = field(default_factory=list)
    replacements: dict[Dependency, Dependency] = field(default_factory=dict)
    relock: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _editable_entries(environment: Environment, name: str) -> tuple[list[Dependency], bool]:
    """Entries a fix may edit for ``name``, and whether a re-lock must follow.

    Where a lock (or a compiled requirements file, read as one) holds the package, only
    the manifests that drive it are edited.
    """
    entries = environment.entries(name)
    if any(dep.role is Role.LOCK for dep in entries):
        driver_paths = {manifest.path for manifest in environment.drivers}
        return [
            dep for dep in entries if dep.path in driver_paths and dep.role is not Role.LOCK
        ], True
    return list(entries), False


def _compiled_without_input(environment: Environment, dependency: Dependency) -> str | None:
    """A warning when the edit goes into a compiled file whose input is not read
    (setup.py, setup.cfg, or an input not found): the next compile undoes it."""
    for manifest in environment.manifests:
        source = manifest.compiled_from
        if manifest.path == dependency.path and source is not None and not environment.drivers:
            return (
                f"{manifest.path.name} is compiled from {source.name}, which pinaudit does not "
                f"read: make the same change there, or the next compile "
                f"(`{recompile_line(manifest, source)}`) undoes this edit"
            )
    return None


def _lock_name(environment: Environment) -> str:
    for manifest in environment.manifests:
        if manifest.kind.is_lock or manifest.compiled_from is not None:
            return manifest.path.name
    return "the lock"


def _driver_name(environment: Environment) -> str:
    names = sorted({manifest.path.name for manifest in environment.drivers})
    return " or ".join(names) if names else "the manifest"


def _move_package(
    environment: Environment,
    name: str,
    version: Version,
    bad: SpecifierSet,
    texts: Mapping[Path, str],
    options: FixOptions,
    applied: _Applied,
    *,
    follow: bool = False,
) -> None:
    """Edit (or plan to re-lock) ``name`` so the environment installs ``version``.

    ``follow``: a move the remedy drags along; entries that already admit
    ``version`` are left as they are (the re-lock moves the package).
    """
    entries, relock = _editable_entries(environment, name)
    if not entries and follow and relock:
        pass
    elif not entries:
        if not relock:
            raise _Refused(f"{name} is not declared in a file pinaudit can edit")
        floor = move_specifier("", version, bad) or f"=={version}"
        lock = _lock_name(environment)
        if environment.drivers:
            applied.notes.append(
                f"{name} is not declared in {_driver_name(environment)} (only {lock} holds it, "
                f"for another package): there is nothing to edit; the re-lock moves it, and to "
                f"keep it there {constraint_hint(environment, name, floor)}"
            )
        else:
            applied.notes.append(
                f"{name} is only in {lock} and no manifest beside it drives the lock: there is "
                f"nothing to edit; re-lock from the project that wrote it"
            )
    kinds = {manifest.path: manifest.kind for manifest in environment.manifests}
    condition_range = SpecifierSet(str(bad))

    def settled() -> bool:
        if not entries:
            return True
        current = [applied.replacements.get(dep, dep).specifier for dep in entries]
        if follow:
            return all(spec.contains(version, prereleases=True) for spec in current)
        from pinaudit.ranges import bad_range

        return relation(allowed_range(current), bad_range(condition_range)) is Relation.NEVER

    # Pins first: moving the one entry that decides the version is the smallest edit.
    for dependency in sorted(entries, key=lambda dep: (dep.pinned is None, not str(dep.specifier))):
        if settled():
            break
        if dependency.url is not None or dependency.editable:
            raise _Refused(f"{dependency.raw_name} comes from a URL or path; move it by hand")
        source_text = texts.get(dependency.path)
        if source_text is None:
            raise _Refused(f"{dependency.path} could not be read back")
        dialect = _dialect(dependency, kinds.get(dependency.path))
        if dependency.version_span is None and dialect != "pep440":
            raise _Refused(
                f"{dependency.raw_name} at {dependency.path}:{dependency.span.line} has no "
                f"version to edit"
            )
        written = (
            source_text[dependency.version_span.start : dependency.version_span.end]
            if dependency.version_span is not None
            else ""
        )
        moved = _move(written, version, bad, dialect)
        if moved is None:
            shown = dependency.text if dialect != "pep440" else f"{dependency.raw_name}{written}"
            raise _Refused(
                f"'{shown}' at {dependency.path}:{dependency.span.line} "
                f"cannot be moved to {version} with a minimal edit"
            )
        if moved == written and written.strip():
            continue
        try:
            applied.replacements[dependency] = _with_specifier(dependency, moved, dialect)
        except (InvalidSpecifier, ValueError) as error:
            raise _Refused(f"the edit would write an invalid version {moved!r}: {error}") from None
        applied.edits.append(_edit_for(dependency, moved, source_text))
        compiled = _compiled_without_input(environment, dependency)
        if compiled is not None and compiled not in applied.notes:
            applied.notes.append(compiled)
        if dependency.hashes:
            applied.edits.append(_hash_edit(dependency, version, environment, source_text, options))
            source = redact(_index_urls(environment)[0])
            applied.notes.append(f"new --hash values for {dependency.name} {version} from {source}")
    if relock:
        applied.relock.append(name)
        # Simulate the re-lock: the locker would pick this release.
        simulated = SpecifierSet(f"=={version}")
        for dependency in environment.entries(name):
            stale_pin = dependency.pinned is not None and dependency not in applied.replacements
            if dependency.role is Role.LOCK or stale_pin:
                applied.replacements[dependency] = replace(
                    dependency, pinned=version, specifier=simulated
                )


def _is_upgrade(bad: SpecifierSet, version: Version) -> bool:
    from pinaudit.ranges import bad_range

    below = SpecifierSet(f"<{version.public}", prereleases=True).to_range()
    return bad_range(bad).is_subset(below)


# -- versions ------------------------------------------------------------------------


def current_version(environment: Environment, name: str) -> Version | None:
    """The version the environment installs now: locked, else pinned."""
    entries = environment.entries(name)
    locked = [dep.pinned for dep in entries if dep.role is Role.LOCK and dep.pinned is not None]
    if locked:
        return max(locked)
    pinned = [dep.pinned for dep in entries if dep.pinned is not None]
    return max(pinned) if pinned else None


def _choose_version(
    remedy: Remedy, bad: SpecifierSet, old: Version | None, options: FixOptions
) -> tuple[Version, str]:
    """The release to move to, and a note on how it was chosen."""
    if options.strategy != "latest":
        return remedy.version, ""
    if options.index is None:
        raise _Refused(
            "the latest strategy needs a package index and pinaudit is offline by default; "
            f"pass an index or use the minimal strategy ({remedy.package} {remedy.version})"
        )
    try:
        versions = options.index.versions(remedy.package)
    except IndexUnavailable as error:
        raise _Refused(f"the index could not be read: {error}") from None
    upgrade = _is_upgrade(bad, remedy.version)
    fitting = [
        v
        for v in versions
        if not v.is_prerelease
        and not bad.contains(v, prereleases=True)
        and (v >= remedy.version if upgrade else True)
        and (old is None or bump_allowed(old, v, options.max_bump))
    ]
    if not fitting:
        return remedy.version, f"no newer release fits, so {remedy.version}"
    chosen = max(fitting)
    return chosen, ("latest release outside the bad range" if chosen != remedy.version else "")


def _bad_for_move(old: Version | None, new: Version) -> SpecifierSet:
    """The range an extra move must leave: everything below (or above) the new release.

    Bounded by the public version: ``<`` and ``>`` take no local label, and
    neither admits a local build of the bound itself (``2.7.0+cu128``).
    """
    if old is not None and new < old:
        return SpecifierSet(f">{new.public}")
    return SpecifierSet(f"<{new.public}")


# -- plans -------------------------------------------------------------------------


def _format_moves(moves: Sequence[Move]) -> str:
    parts = []
    for move in moves:
        step = f"{move.package} {move.old if move.old is not None else '(unpinned)'} -> {move.new}"
        parts.append(f"{move.reason}, so {step}" if move.reason else step)
    return "; ".join(parts)


def plan_fix(
    finding: Finding,
    environment: Environment,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    texts: Mapping[Path, str],
    *,
    options: FixOptions | None = None,
    knowledge: Knowledge | None = None,
) -> FixPlan:
    """The first remedy that removes ``finding``, adds no other and still
    resolves, or why none does."""
    options = options or FixOptions()
    rule = finding.rule
    if not rule.remedies:
        return FixPlan(finding, blocked=f"{rule.code} lists no remedy")
    if knowledge is None:
        knowledge = knowledge_of(environment, texts, options.index)
    before = _finding_keys(evaluate(environment, index, targets))
    own = finding.identity()
    reasons: list[str] = []
    for remedy in rule.remedies:
        label = f"{remedy.package} {remedy.version}"
        try:
            plan = _try_remedy(
                finding, remedy, environment, index, targets, texts, options, knowledge, before, own
            )
        except _Refused as refusal:
            reasons.append(f"{label}: {refusal}")
            continue
        return plan
    return FixPlan(finding, blocked="; ".join(reasons) or "no remedy applies")


def _try_remedy(
    finding: Finding,
    remedy: Remedy,
    environment: Environment,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    texts: Mapping[Path, str],
    options: FixOptions,
    knowledge: Knowledge,
    before: set[tuple[str, str, tuple[str, ...]]],
    own: tuple[str, str, tuple[str, ...]],
) -> FixPlan:
    condition = finding.rule.condition(remedy.package)
    old = current_version(environment, remedy.package)
    version, chosen_note = _choose_version(remedy, condition.specifier, old, options)
    if old is not None and not bump_allowed(old, version, options.max_bump):
        raise _Refused(
            f"{remedy.package} {old} -> {version} is a {bump_kind(old, version)} bump, "
            f"beyond the allowed {options.max_bump} bump"
        )
    applied = _Applied()
    _move_package(
        environment, remedy.package, version, condition.specifier, texts, options, applied
    )
    moves = [Move(remedy.package, old, version)]
    after_edit = [applied.replacements.get(dep, dep) for dep in environment.dependencies]
    verdict: Verdict = check_proposal(
        environment, after_edit, {remedy.package: version}, targets, knowledge
    )
    if not verdict.ok:
        where = "offline" if options.index is None else "on the index"
        raise _Refused(
            f"{remedy.package} {version} does not resolve with the rest of the environment: "
            f"{verdict.conflict}; no other combination of the releases known {where} "
            f"satisfies them all"
        )
    for name, (extra_old, extra_new) in sorted(verdict.changes.items()):
        if name == remedy.package:
            continue
        reason = verdict.reasons.get(name, f"{remedy.package} {version} needs it")
        if extra_old is not None and not bump_allowed(extra_old, extra_new, options.max_bump):
            raise _Refused(
                f"{reason}, so {name} {extra_old} -> {extra_new}, a "
                f"{bump_kind(extra_old, extra_new)} bump beyond the allowed {options.max_bump} bump"
            )
        _move_package(
            environment,
            name,
            extra_new,
            _bad_for_move(extra_old, extra_new),
            texts,
            options,
            applied,
            follow=True,
        )
        moves.append(Move(name, extra_old, extra_new, reason))
    after = _finding_keys(
        evaluate(replace_dependencies(environment, applied.replacements), index, targets)
    )
    if own in after:
        raise _Refused("the finding would remain")
    new = sorted(code for code, _, _ in after - before)
    if new:
        raise _Refused(f"would introduce {', '.join(new)}")
    notes = list(applied.notes)
    if chosen_note:
        notes.insert(0, chosen_note)
    unknown = list(verdict.unknown)
    if unknown:
        releases = ", ".join(
            f"{move.package} {move.new}" for move in moves if move.package in unknown
        )
        where = "offline" if options.index is None else "from the index"
        notes.append(
            f"the requirements of {releases} are not in the lock and unknown {where}; "
            "the re-lock resolves them"
            if any(m.kind.is_lock for m in environment.manifests)
            else f"the requirements of {releases} are unknown {where}; only the pins were checked"
        )
    if not verdict.checked:
        notes.append("part of the environment could not be checked by the resolver")
    if knowledge.index_failures:
        notes.append(f"the index could not be read ({knowledge.index_failures[0]})")
    command = relock_command(environment, applied.relock) if applied.relock else None
    first = moves[0]
    was = str(first.old) if first.old is not None else _versions(finding, first.package)
    summary = f"{first.package} {was} -> {first.new}"
    if remedy.note:
        summary += f" ({remedy.note})"
    if len(moves) > 1:
        summary += "; " + _format_moves(moves[1:])
    if notes:
        summary += "; " + "; ".join(notes)
    return FixPlan(
        finding,
        tuple(applied.edits),
        remedy if version == remedy.version else replace(remedy, version=version),
        summary,
        None,
        command.display if command is not None else None,
        tuple(moves),
        tuple(notes),
        command,
    )


def _versions(finding: Finding, name: str) -> str:
    for item in finding.involved:
        if item.name == name:
            return item.versions
    return "?"


def plan_fixes(
    findings: Sequence[Finding],
    environments: Sequence[Environment],
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    texts: Mapping[Path, str],
    *,
    options: FixOptions | None = None,
) -> list[FixPlan]:
    """A plan per finding; a plan whose edits collide with an earlier one is refused."""
    options = options or FixOptions()
    by_name = {environment.name: environment for environment in environments}
    known: dict[str, Knowledge] = {}
    plans: list[FixPlan] = []
    taken: dict[tuple[Path, int, int], str] = {}
    owner: dict[tuple[Path, int, int], int] = {}
    for finding in findings:
        environment = by_name[finding.environment]
        if environment.name not in known:
            known[environment.name] = knowledge_of(environment, texts, options.index)
        plan = plan_fix(
            finding,
            environment,
            index,
            targets,
            texts,
            options=options,
            knowledge=known[environment.name],
        )
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
            key = (clash.path, clash.span.start, clash.span.end)
            earlier = plans[owner[key]]
            if _covers(plan, earlier):
                # The later, larger move fixes both findings: both plans carry it.
                plans[owner[key]] = replace(
                    earlier,
                    edits=plan.edits,
                    summary=f"{plan.summary} (together with {plan.finding.rule.code})",
                )
            elif _covers(earlier, plan):
                plan = replace(
                    earlier,
                    finding=finding,
                    summary=f"{earlier.summary} (together with {earlier.finding.rule.code})",
                )
            else:
                plan = FixPlan(
                    finding,
                    blocked=f"its edit at {clash.path}:{clash.span.line} "
                    "conflicts with an earlier fix",
                )
        for edit in plan.edits:
            key = (edit.path, edit.span.start, edit.span.end)
            taken[key] = edit.replacement
            owner[key] = len(plans)
        plans.append(plan)
    return plans


def _covers(plan: FixPlan, other: FixPlan) -> bool:
    """Whether ``plan``'s move also takes ``other``'s package out of ``other``'s bad range.

    Two advisories on one pin (fixed in 2.10.1 and in 2.11.3) want two edits of
    the same characters; the larger move fixes both, so it serves both.
    """
    if plan.remedy is None or other.remedy is None or other.blocked is not None:
        return False
    if plan.remedy.package != other.remedy.package or len(plan.edits) != len(other.edits):
        return False
    try:
        condition = other.finding.rule.condition(plan.remedy.package)
    except KeyError:
        return False
    return not condition.range.contains(plan.remedy.version)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with ``edits`` applied; identical edits are applied once."""
    unique = {(edit.span.start, edit.span.end): edit for edit in edits}
    result = text
    for (start, end), edit in sorted(unique.items(), reverse=True):
        result = result[:start] + edit.replacement + result[end:]
    return result
