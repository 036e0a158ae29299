"""Prove that a proposed fix still resolves, with resolvelib, on what is known.

A fix moves one package (the remedy) to a new release.  Before it is offered,
the whole installation must still hold together:

* the manifests' own requirements (after the edit), and their constraints;
* what every locked package declares, read from the lockfile's dependency
  tables (``locked_dependencies`` of poetry.lock, uv.lock, pdm.lock);
* the remedy release's own requirements when they are known: the lock lists
  that release, or an index was given (PEP 658 metadata or the wheel).
  Offline and not in the lock, they are unknown, and the verdict says so.

Candidates are the versions known: the locked (or pinned) ones first, so that
nothing moves that need not, then the remedy; when a requirement of the new
set rules out a locked version, the floor of that requirement (``click>=7.0``
offers click 7.0) and, with an index, the index's releases, smallest move
first.  Markers are evaluated per target; targets that agree on every marker
are resolved once.  A group whose *current* state already fails to resolve
under this model is not judged (the model, not the fix, is missing something).

The verdict lists every package that has to move with the remedy and why
("uvicorn 0.14.0 needs click>=7.0, so click 6.7 -> 7.0"), or the conflict that
makes the remedy impossible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import (
    InconsistentCandidate,
    RequirementInformation,
    ResolutionImpossible,
    ResolutionTooDeep,
)

from pinaudit.model import Dependency, Environment, ManifestKind, Role
from pinaudit.simpleindex import IndexUnavailable, SimpleIndex
from pinaudit.sources.registry import DeclaredRequirement, LockedPackage
from pinaudit.targets import Target, holds
from pinaudit.textfile import SourceText

MAX_ROUNDS = 2000
_BUMP_RANK = {"patch": 0, "minor": 1, "major": 2}


def bump_kind(old: Version, new: Version) -> str:
    """How far a move goes: ``major``, ``minor`` or ``patch`` (anything smaller)."""
    a = (*old.release, 0, 0, 0)
    b = (*new.release, 0, 0, 0)
    if old.epoch != new.epoch or a[0] != b[0]:
        return "major"
    if a[1] != b[1]:
        return "minor"
    return "patch"


def bump_allowed(old: Version, new: Version, max_bump: str | None) -> bool:
    return max_bump is None or _BUMP_RANK[bump_kind(old, new)] <= _BUMP_RANK[max_bump]


@dataclass(frozen=True, slots=True)
class Edge:
    """One requirement of a release (or of the manifests), as the resolver reads it."""

    name: str
    alternatives: tuple[SpecifierSet, ...]
    marker: Marker | None = None
    extras: frozenset[str] = frozenset()
    origin: str = ""

    def admits(self, version: Version) -> bool:
        return any(spec.contains(version, prereleases=True) for spec in self.alternatives)

    @property
    def text(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        spec = " || ".join(str(alt) for alt in self.alternatives if str(alt)) or ""
        return f"{self.name}{extras}{spec}"


@dataclass(slots=True)
class Release:
    """One known release: its requirements (None: unknown) and where it is known from."""

    name: str
    version: Version
    requires: tuple[Edge, ...] | None
    extras: dict[str, tuple[Edge, ...]] = field(default_factory=dict)
    source: str = "lock"
    fetched: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    version: Version
    extras: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the resolver made of a proposal."""

    ok: bool
    changes: Mapping[str, tuple[Version | None, Version]] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    conflict: str | None = None
    checked: bool = True


def _edge_from_declared(item: DeclaredRequirement, origin: str) -> Edge:
    return Edge(
        canonicalize_name(item.name),
        item.alternatives or (item.specifier,),
        item.marker,
        item.extras,
        origin,
    )


def _split_extra_marker(requirement: Requirement) -> tuple[str | None, Marker | None]:
    """(extra, marker) of a Requires-Dist line: ``extra == "x"`` moves it under extra x."""
    if requirement.marker is None:
        return None, None
    text = str(requirement.marker)
    for extra_name in _extras_named(text):
        if requirement.marker.evaluate({"extra": extra_name}) and not requirement.marker.evaluate(
            {"extra": ""}
        ):
            return extra_name, requirement.marker
    return None, requirement.marker


def _extras_named(marker: str) -> list[str]:
    import re

    return [
        canonicalize_name(match)
        for match in re.findall(r"""extra\s*==\s*["']([^"']+)["']""", marker)
    ]


def release_from_requirements(
    name: str, version: Version, requirements: Sequence[Requirement], source: str
) -> Release:
    origin = f"{name} {version}"
    base: list[Edge] = []
    extras: dict[str, list[Edge]] = {}
    for requirement in requirements:
        extra, marker = _split_extra_marker(requirement)
        edge = Edge(
            canonicalize_name(requirement.name),
            (requirement.specifier,),
            marker,
            frozenset(canonicalize_name(e) for e in requirement.extras),
            origin,
        )
        if extra is None:
            base.append(edge)
        else:
            extras.setdefault(extra, []).append(edge)
    return Release(
        name, version, tuple(base), {k: tuple(v) for k, v in extras.items()}, source, True
    )


@dataclass
class Knowledge:
    """Every release known for the environment, by name and version."""

    releases: dict[str, dict[Version, Release]] = field(default_factory=dict)
    current: dict[str, set[Version]] = field(default_factory=dict)
    index: SimpleIndex | None = None
    index_failures: list[str] = field(default_factory=list)
    asked_index: set[str] = field(default_factory=set)

    def add(self, release: Release, *, current: bool = False) -> None:
        known = self.releases.setdefault(release.name, {})
        existing = known.get(release.version)
        if existing is None or (existing.requires is None and release.requires is not None):
            known[release.version] = release
        if current:
            self.current.setdefault(release.name, set()).add(release.version)

    def release(self, name: str, version: Version) -> Release:
        known = self.releases.setdefault(name, {})
        found = known.get(version)
        if found is None:
            found = Release(name, version, None, source="fix")
            known[version] = found
        if found.requires is None and self.index is not None and not found.fetched:
            found.fetched = True
            try:
                requirements = self.index.requirements(name, version)
            except IndexUnavailable as error:
                self.index_failures.append(str(error))
                requirements = None
            if requirements is not None:
                fetched = release_from_requirements(name, version, requirements, "index")
                found.requires, found.extras = fetched.requires, fetched.extras
        return found

    def from_index(self, name: str) -> None:
        if self.index is None or name in self.asked_index:
            return
        self.asked_index.add(name)
        try:
            versions = self.index.versions(name)
        except IndexUnavailable as error:
            self.index_failures.append(str(error))
            return
        for version in versions:
            if version.is_prerelease:
                continue
            self.releases.setdefault(name, {}).setdefault(
                version, Release(name, version, None, source="index")
            )


def _lock_packages(environment: Environment, texts: Mapping[Path, str]) -> list[LockedPackage]:
    packages: list[LockedPackage] = []
    for manifest in environment.manifests:
        text = texts.get(manifest.path)
        if text is None:
            continue
        source = SourceText(manifest.path, text, False)
        if manifest.kind is ManifestKind.POETRY_LOCK:
            from pinaudit.sources.poetry_lock import locked_dependencies as poetry_locked

            packages += poetry_locked(source)
        elif manifest.kind is ManifestKind.UV_LOCK:
            from pinaudit.sources.uv_lock import locked_dependencies as uv_locked

            packages += uv_locked(source)
        elif manifest.kind is ManifestKind.PDM_LOCK:
            from pinaudit.sources.pdm_lock import locked_dependencies as pdm_locked

            packages += pdm_locked(source)
    return packages


def knowledge_of(
    environment: Environment, texts: Mapping[Path, str], index: SimpleIndex | None = None
) -> Knowledge:
    """What the environment's files say about releases and their requirements."""
    knowledge = Knowledge(index=index)
    for package in _lock_packages(environment, texts):
        if package.version is None:
            continue
        origin = f"{package.name} {package.version}"
        knowledge.add(
            Release(
                package.name,
                package.version,
                tuple(_edge_from_declared(item, origin) for item in package.dependencies),
                {
                    extra: tuple(_edge_from_declared(item, origin) for item in items)
                    for extra, items in package.extras.items()
                },
            ),
            current=True,
        )
    for dependency in environment.dependencies:
        if dependency.pinned is not None and dependency.url is None:
            knowledge.add(
                Release(dependency.name, dependency.pinned, None, source="pin"), current=True
            )
    return knowledge


class _Provider(AbstractProvider[Edge, Candidate, str]):
    def __init__(
        self,
        knowledge: Knowledge,
        target: Target,
        constraints: Mapping[str, Sequence[Edge]],
        pinned: Iterable[str],
    ) -> None:
        self.knowledge = knowledge
        self.target = target
        self.constraints = constraints
        self.pinned = set(pinned)
        self.unknown: set[str] = set()

    def identify(self, requirement_or_candidate: Edge | Candidate) -> str:
        item = requirement_or_candidate
        if item.extras:
            return f"{item.name}[{','.join(sorted(item.extras))}]"
        return item.name

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[RequirementInformation[Edge, Candidate]]],
        backtrack_causes: Sequence[RequirementInformation[Edge, Candidate]],
    ) -> Any:
        return (identifier not in self.pinned, identifier)

    def _order(self, name: str, versions: Iterable[Version]) -> list[Version]:
        current = self.knowledge.current.get(name, set())
        top = max(current) if current else None
        ordered = sorted(versions)
        first = [v for v in ordered if v in current]
        above = [v for v in ordered if v not in current and (top is None or v > top)]
        below = [v for v in reversed(ordered) if v not in current and top is not None and v < top]
        return first + above + below

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Edge]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Callable[[], Iterator[Candidate]]:
        """Known releases first (current ones before the rest); the index and the
        floors of requirements are only asked when the resolver goes past them."""
        wanted = list(requirements.get(identifier, ()))
        name = identifier.split("[", 1)[0]
        extras = frozenset(wanted[0].extras) if wanted else frozenset()
        bad = {candidate.version for candidate in incompatibilities.get(identifier, ())}
        limits = [*wanted, *self.constraints.get(name, ())]
        knowledge = self.knowledge

        def usable(version: Version) -> bool:
            return version not in bad and all(edge.admits(version) for edge in limits)

        def matches() -> Iterator[Candidate]:
            offered: set[Version] = set()
            known = list(knowledge.releases.get(name, {}))
            for version in self._order(name, known):
                if usable(version):
                    offered.add(version)
                    yield Candidate(name, version, extras)
            knowledge.from_index(name)
            more = [v for v in knowledge.releases.get(name, {}) if v not in offered]
            for version in self._order(name, more):
                if usable(version):
                    offered.add(version)
                    yield Candidate(name, version, extras)
            if offered:
                return
            for edge in wanted:
                floor = _floor(edge)
                if floor is not None and floor not in offered and usable(floor):
                    knowledge.add(Release(name, floor, None, source="floor"))
                    offered.add(floor)
                    yield Candidate(name, floor, extras)

        return matches

    def is_satisfied_by(self, requirement: Edge, candidate: Candidate) -> bool:
        return requirement.admits(candidate.version)

    def get_dependencies(self, candidate: Candidate) -> list[Edge]:
        release = self.knowledge.release(candidate.name, candidate.version)
        origin = str(candidate)
        edges: list[Edge] = []
        if candidate.extras:
            edges.append(
                Edge(candidate.name, (SpecifierSet(f"=={candidate.version}"),), origin=origin)
            )
        if release.requires is None:
            self.unknown.add(candidate.name)
            return edges
        environment = self.target.environment()
        chosen = [*release.requires]
        for extra in candidate.extras:
            chosen += release.extras.get(extra, ())
        for edge in chosen:
            if edge.marker is not None:
                applies = any(
                    _evaluate(edge.marker, {**environment, "extra": extra})
                    for extra in (*sorted(candidate.extras), "")
                )
                if not applies:
                    continue
            if edge.name not in self.knowledge.releases:
                continue  # nothing known about it: it cannot conflict with what is known
            edges.append(edge)
        return edges


def _evaluate(marker: Marker, environment: Mapping[str, str]) -> bool:
    try:
        return marker.evaluate(dict(environment))
    except Exception:  # an undefined comparison never drops a requirement
        return True


def _floor(edge: Edge) -> Version | None:
    """The smallest version a requirement names as its lower bound, if any."""
    floors: list[Version] = []
    for alternative in edge.alternatives:
        for clause in alternative:
            if clause.operator in (">=", "==", "~=", "===") and not clause.version.endswith(".*"):
                try:
                    floors.append(Version(clause.version))
                except ValueError:
                    continue
    candidates = [v for v in floors if edge.admits(v)]
    return min(candidates) if candidates else None


def _root_edges(
    dependencies: Iterable[Dependency], target: Target, known: Mapping[str, object]
) -> tuple[list[Edge], dict[str, list[Edge]]]:
    """The packages the manifests ask for, as requirements on *any* version.

    The manifests' own specifiers are not hard limits here: they are the
    user's pins, which a fix may move (with its reason), and their current
    versions are tried first anyway.  What is hard is what releases declare
    and the release the fix installs.
    """
    roots: dict[str, Edge] = {}
    for dependency in dependencies:
        if dependency.role in (Role.LOCK, Role.CONSTRAIN) or not holds(dependency.marker, target):
            continue
        if dependency.name not in known:
            continue
        edge = Edge(
            dependency.name,
            (SpecifierSet(),),
            None,
            dependency.extras,
            f"{dependency.path.name}:{dependency.span.line}",
        )
        roots.setdefault(f"{edge.name}{sorted(edge.extras)}", edge)
    return list(roots.values()), {}


def _target_groups(
    environment: Environment, knowledge: Knowledge, targets: Sequence[Target]
) -> list[Target]:
    markers: set[str] = {str(d.marker) for d in environment.dependencies if d.marker is not None}
    for releases in knowledge.releases.values():
        for release in releases.values():
            for edge in release.requires or ():
                if edge.marker is not None:
                    markers.add(str(edge.marker))
    parsed = [Marker(text) for text in sorted(markers)]
    groups: dict[tuple[bool, ...], Target] = {}
    for target in targets:
        signature = tuple(holds(marker, target) for marker in parsed)
        groups.setdefault(signature, target)
    return list(groups.values())


def _resolve(
    knowledge: Knowledge,
    target: Target,
    roots: list[Edge],
    constraints: Mapping[str, Sequence[Edge]],
) -> tuple[Any, _Provider]:
    provider = _Provider(knowledge, target, constraints, (edge.name for edge in roots))
    resolver: Resolver[Edge, Candidate, str] = Resolver(provider, BaseReporter())
    return resolver.resolve(roots, max_rounds=MAX_ROUNDS), provider


def _describe_conflict(error: ResolutionImpossible[Edge, Candidate]) -> str:
    parts: list[str] = []
    for cause in error.causes:
        requirement = cause.requirement
        who = str(cause.parent) if cause.parent is not None else requirement.origin
        text = f"{who} requires {requirement.text}"
        if text not in parts:
            parts.append(text)
    return "; ".join(parts)


def _old_requirement_broken(
    knowledge: Knowledge, name: str, old: Version, mapping: Mapping[str, Candidate]
) -> str:
    """Why the old release had to go: a requirement of it the new set breaks."""
    release = knowledge.releases.get(name, {}).get(old)
    for edge in (release.requires or ()) if release is not None else ():
        chosen = mapping.get(edge.name)
        if chosen is not None and not edge.admits(chosen.version):
            return f"{name} {old} requires {edge.text}"
    return ""


def check_proposal(
    environment: Environment,
    dependencies: Sequence[Dependency],
    moves: Mapping[str, Version],
    targets: Sequence[Target],
    knowledge: Knowledge,
) -> Verdict:
    """Whether ``dependencies`` (the environment's entries after the edit) with
    ``moves`` (package -> the release the fix installs) still resolve."""
    for name, version in moves.items():
        knowledge.release(name, version)
    changes: dict[str, tuple[Version | None, Version]] = {}
    reasons: dict[str, str] = {}
    unknown: set[str] = set()
    unchecked: list[str] = []
    for target in _target_groups(environment, knowledge, targets):
        roots, constraints = _root_edges(dependencies, target, knowledge.releases)
        roots += [
            Edge(name, (SpecifierSet(f"=={version}"),), origin="the fix")
            for name, version in moves.items()
        ]
        try:
            result, provider = _resolve(knowledge, target, roots, constraints)
        except ResolutionImpossible as error:
            baseline_roots, baseline_constraints = _root_edges(
                environment.dependencies, target, knowledge.releases
            )
            try:
                _resolve(knowledge, target, baseline_roots, baseline_constraints)
            except (ResolutionImpossible, ResolutionTooDeep, InconsistentCandidate):
                unchecked.append(f"Python {target.python} on {target.platform}")
                continue
            return Verdict(False, conflict=_describe_conflict(error))
        except (ResolutionTooDeep, InconsistentCandidate) as error:
            return Verdict(False, conflict=f"the resolver gave up ({type(error).__name__})")
        for identifier, candidate in result.mapping.items():
            if "[" in identifier:
                continue
            current = knowledge.current.get(identifier, set())
            if candidate.version in current or identifier in changes:
                continue
            if not current and identifier not in moves:
                continue
            old = max(current) if current else None
            changes[identifier] = (old, candidate.version)
            if identifier in moves:
                continue
            criterion = result.criteria.get(identifier)
            for information in getattr(criterion, "information", ()):
                requirement, parent = information.requirement, information.parent
                if old is not None and not requirement.admits(old):
                    who = str(parent) if parent is not None else requirement.origin
                    reasons[identifier] = f"{who} needs {requirement.text}"
                    break
            if identifier not in reasons and old is not None:
                reason = _old_requirement_broken(knowledge, identifier, old, result.mapping)
                if reason:
                    reasons[identifier] = reason
        unknown |= {name for name in provider.unknown if name in changes}
    return Verdict(
        True,
        changes,
        reasons,
        tuple(sorted(unknown)),
        None,
        checked=not unchecked,
    )
