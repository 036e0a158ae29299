"""Which parser reads which file, and the conventions all parsers share.

Kinds by file name
------------------
``pyproject.toml``, ``poetry.lock``, ``uv.lock``, ``pylock.toml`` and
``pylock.<name>.toml`` (PEP 751), ``Pipfile``, ``Pipfile.lock``, ``pdm.lock``, and
requirements files: ``requirements*.txt``, any ``*.txt`` in a ``requirements/``
folder, ``*.in`` (pip-compile sources) and ``constraints*.txt``.

Groups (``Dependency.group``)
-----------------------------
One spelling per concept, whatever tool wrote it, so that the engine and the
renderers can compare entries from different files:

``None``
    the main/runtime dependencies: PEP 621 ``dependencies``, Poetry's main
    dependencies, Pipfile ``[packages]``, and lock entries of the main/default
    group.
``"optional:<extra>"``
    an extra: PEP 621 ``optional-dependencies``, or a Poetry ``optional = true``
    dependency named in ``[tool.poetry.extras]`` (``"optional"`` alone when no
    extra names it).
``"group:<name>"``
    a named dependency group: PEP 735 ``[dependency-groups]``, Poetry
    ``[tool.poetry.group.<name>]``, PDM ``dev-dependencies.<name>``; and the tools'
    single development lists under the group name the tools themselves give
    them, ``"group:dev"``: Poetry ``dev-dependencies``, uv ``dev-dependencies``,
    Pipfile ``[dev-packages]`` / Pipfile.lock ``develop``.  Other Pipfile
    categories are ``"group:<category>"``.  Lock entries that only belong to
    non-main groups carry the first of them.
``"build-system"``
    ``[build-system] requires``.
``"override"``
    uv ``override-dependencies`` and PDM ``[tool.pdm.resolution.overrides]``
    (``Role.REQUIRE``: an override replaces what packages ask for).
``"constraint"`` / ``"build-constraint"``
    uv ``constraint-dependencies`` / ``build-constraint-dependencies``
    (``Role.CONSTRAIN``).

Group and extra names are normalized as PEP 685 / PEP 735 compare them.

Spans
-----
``span`` covers the whole entry: a requirement string's characters (inside the
quotes), a ``name = ...`` pair in a Poetry or Pipfile table, or a lockfile
entry's whole table (header to its last line, sub-tables included).
``version_span`` covers exactly the characters of the version: a PEP 508
string's specifier, a Poetry constraint, a lock's version string; for a
requirement written without a version it is the empty span where one would go.
``text`` is the entry as a person would quote it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit.discover import kind_for as _discover_kind_for
from pinaudit.locator import SpanMaker, TomlMap, load_toml
from pinaudit.model import (
    Comment,
    Dependency,
    Manifest,
    ManifestKind,
    Problem,
    Role,
    Span,
    make_dependency,
)
from pinaudit.textfile import SourceText

# One definition of which names are manifests: discovery's.
kind_for = _discover_kind_for


#: The module and function under ``pinaudit.sources`` that read each kind.
_PARSERS: dict[ManifestKind, tuple[str, str]] = {
    ManifestKind.REQUIREMENTS: ("requirements", "parse_requirements"),
    ManifestKind.PYPROJECT: ("pyproject", "parse_pyproject"),
    ManifestKind.POETRY_LOCK: ("poetry_lock", "parse_poetry_lock"),
    ManifestKind.UV_LOCK: ("uv_lock", "parse_uv_lock"),
    ManifestKind.PYLOCK: ("pylock", "parse_pylock"),
    ManifestKind.PIPFILE: ("pipfile", "parse_pipfile"),
    ManifestKind.PIPFILE_LOCK: ("pipfile", "parse_pipfile_lock"),
    ManifestKind.PDM_LOCK: ("pdm_lock", "parse_pdm_lock"),
}


def parse(source: SourceText, kind: ManifestKind) -> Manifest:
    """Read ``source`` with the parser of ``kind``; parsers are imported on demand
    so that a pre-commit run over one lockfile loads one parser."""
    module, function = _PARSERS[kind]
    parser: Callable[[SourceText], Manifest] = getattr(
        importlib.import_module(f"pinaudit.sources.{module}"), function
    )
    return parser(source)


# ---------------------------------------------------------------------------
# What a lockfile says each locked package itself depends on, for the fix
# engine's resolver check (resolvelib needs "what does X==v require").


@dataclass(frozen=True, slots=True)
class DeclaredRequirement:
    """One dependency a locked package declares.

    ``constraint`` is the version text as the lock wrote it (a Poetry
    constraint in poetry.lock, a PEP 440 specifier elsewhere, empty when the
    lock records only the edge, as uv.lock does for registry packages).
    ``alternatives`` is the exact set of versions it allows, as a union of
    specifier sets (Poetry's ``||``); ``specifier`` is one set that allows at
    least those (exact when there is one alternative).
    """

    name: str
    constraint: str
    specifier: SpecifierSet
    alternatives: tuple[SpecifierSet, ...]
    marker: Marker | None = None
    extras: frozenset[str] = frozenset()
    url: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class LockedPackage:
    """One locked package and what it declares, keyed for the resolver.

    ``dependencies`` are the requirements that always apply (markers aside);
    ``extras`` and ``groups`` are those behind an extra / a development group
    of this package (uv.lock ``optional-dependencies`` / ``dev-dependencies``,
    poetry.lock ``[package.extras]``).  Compared by identity: the mappings make
    it unhashable by value, and two entries of one lock are never the same.
    """

    name: str
    version: Version | None
    marker: Marker | None = None
    dependencies: tuple[DeclaredRequirement, ...] = ()
    extras: Mapping[str, tuple[DeclaredRequirement, ...]] = field(default_factory=dict)
    groups: Mapping[str, tuple[DeclaredRequirement, ...]] = field(default_factory=dict)
    source_url: str | None = None


# ---------------------------------------------------------------------------
# Helpers every parser here uses, so that the conventions above hold by
# construction rather than by each module remembering them.


def normalize(name: str) -> str:
    """PEP 503 / PEP 685 / PEP 735 normal form of a package, extra or group name."""
    lowered = name.lower()
    if "_" in lowered or "." in lowered or "--" in lowered:
        return _NORMALIZE.sub("-", lowered)
    return lowered


_NORMALIZE = re.compile(r"[-_.]+")


def pinned_of(specifier: SpecifierSet) -> Version | None:
    """The one version a specifier admits (``==1.2.3``, ``===1.2.3``), if any."""
    if len(specifier) != 1:
        return None
    (clause,) = specifier
    if clause.operator not in ("==", "===") or clause.version.endswith(".*"):
        return None
    try:
        return Version(clause.version)
    except InvalidVersion:
        return None


class FileContext:
    """What one parse needs about its file: spans, problems, cached markers.

    Problems are collected, never raised: every parser returns a Manifest.
    """

    __slots__ = ("_markers", "path", "problems", "spans", "text")

    def __init__(self, source: SourceText) -> None:
        self.path = source.path
        self.text = source.text
        self.spans = SpanMaker(source.text)
        self.problems: list[Problem] = []
        self._markers: dict[str, Marker | None] = {}

    def span(self, start: int, end: int) -> Span:
        return self.spans.span(start, end)

    def entry_spans(
        self, start: int, end: int, inner: tuple[int, int] | None
    ) -> tuple[Span, Span | None]:
        """An entry's span and its version's, computed in text order (cheapest)."""
        if inner is None:
            return self.spans.span(start, end), None
        return self.spans.nested(start, end, inner[0], inner[1])

    def problem(self, message: str, offset: int | None = None, code: str = "parse-error") -> None:
        if offset is None:
            self.problems.append(Problem(self.path, message, code=code))
            return
        line, column = self.spans.position(offset)
        self.problems.append(Problem(self.path, message, line, column, code))

    def marker(self, text: str, offset: int | None) -> Marker | None:
        """A parsed marker (cached: lockfiles repeat the same few hundred), or None
        with a Problem when it does not parse."""
        if text in self._markers:
            return self._markers[text]
        try:
            marker: Marker | None = Marker(text)
        except (InvalidMarker, RecursionError) as error:
            self.problem(f"invalid marker {text!r}: {error}", offset, "invalid-marker")
            marker = None
        self._markers[text] = marker
        return marker

    def manifest(
        self,
        source: SourceText,
        kind: ManifestKind,
        dependencies: list[Dependency],
        *,
        generated_by: str | None = None,
        comments: tuple[Comment, ...] = (),
        requires_python: object = None,
        locked_groups: frozenset[str] | None = None,
        compile_command: str | None = None,
    ) -> Manifest:
        return Manifest(
            path=self.path,
            kind=kind,
            dependencies=tuple(dependencies),
            problems=tuple(self.problems),
            comments=comments,
            generated_by=generated_by,
            requires_python=python_specifier(requires_python),
            locked_groups=locked_groups,
            compile_command=compile_command,
        )


def failed(
    source: SourceText, kind: ManifestKind, problem: Problem, generated_by: str | None = None
) -> Manifest:
    """The Manifest of a file that could not be read at all."""
    return Manifest(source.path, kind, problems=(problem,), generated_by=generated_by)


def open_toml(
    source: SourceText,
    kind: ManifestKind,
    generated_by: str | None = None,
    watch: dict[str, str] | None = None,
) -> tuple[FileContext, dict[str, Any], TomlMap] | Manifest:
    """A TOML manifest's values, positions and problem context, or the Manifest of a
    file that is not TOML at all (``watch`` as :func:`~pinaudit.locator.load_toml`)."""
    loaded = load_toml(source, watch)
    if not isinstance(loaded, tuple):
        return failed(source, kind, loaded, generated_by)
    data, located = loaded
    return FileContext(source), data, located


def and_markers(*parts: str | None) -> str | None:
    """Marker texts joined with ``and``, each parenthesized; None if all are empty."""
    present = [part.strip() for part in parts if part and part.strip()]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return " and ".join(f"({part})" for part in present)


def lock_version_problem(
    context: FileContext,
    found: str,
    known: tuple[int, ...],
    offset: int | None,
    tool: str,
) -> bool:
    """Check a lockfile's format version; True when its entries can be read.

    A newer major version means the format may have changed: reported, and the
    entries are not read (guessing would be worse than saying nothing).  A newer
    minor version or revision of a known major is read silently: lockers bump
    those for additive changes, and failing every CI run on a routine re-lock
    would punish users for keeping their tools current.
    """
    try:
        parts = tuple(int(part) for part in found.split("."))
    except ValueError:
        context.problem(
            f"{tool} lock format version {found!r} is not a version",
            offset,
            "unsupported-lock-version",
        )
        return False
    if parts[:1] > known[:1]:
        context.problem(
            f"{tool} lock format {found} is newer than pinaudit understands "
            f"(up to {'.'.join(map(str, known))}); upgrade pinaudit",
            offset,
            "unsupported-lock-version",
        )
        return False
    return True


def python_specifier(value: object) -> SpecifierSet | None:
    """A manifest's Python requirement as PEP 440, or None when absent or unreadable.

    Used only to narrow the Python versions rules are evaluated for, so an
    unreadable value is ignored (the format's own checks report it) rather
    than guessed at.  Poetry's ``^3.8`` and Pipfile's bare ``3.9`` are read
    in their tools' meaning.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)*", text):
        text = f"=={text}.*" if text.count(".") == 1 else f"=={text}"
    try:
        return SpecifierSet(text)
    except ValueError:
        pass
    from pinaudit.poetry_constraints import to_specifier

    try:
        return to_specifier(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One ``[[package]]`` table of a lockfile that has a name, with its offsets.

    ``entry`` is the table's (start, end) character offsets; ``version`` those of
    its ``version`` string, when it has one.
    """

    index: int
    table: dict[str, Any]
    entry: tuple[int, int]
    raw_name: str
    version: tuple[int, int] | None

    @property
    def start(self) -> int:
        return self.entry[0]

    def dependency(
        self,
        context: FileContext,
        version: Version | None,
        *,
        url: str | None = None,
        editable: bool = False,
        hashes: tuple[str, ...] = (),
        marker: Marker | None = None,
        extras: frozenset[str] = frozenset(),
        group: str | None = None,
    ) -> Dependency:
        """The locked entry as a Dependency: what every lock format records alike.

        ``version`` is what :meth:`locked_version` read (None for an entry that
        may have none, such as a workspace member); the span of the version text
        is kept only with it.
        """
        version_text = self.table.get("version")
        span, version_span = context.entry_spans(
            self.entry[0], self.entry[1], self.version if version is not None else None
        )
        return make_dependency(
            normalize(self.raw_name),  # name
            self.raw_name,
            SpecifierSet(f"=={version_text}") if version is not None else SpecifierSet(),
            context.path,
            span,
            version_span,
            extras,
            marker,
            url,
            editable,
            version,  # pinned
            hashes,
            Role.LOCK,
            group,
            f"{self.raw_name}=={version_text}" if url is None else f"{self.raw_name} @ {url}",
        )

    def locked_version(
        self, context: FileContext, *, required: bool
    ) -> tuple[bool, Version | None]:
        """(readable, version): a missing or invalid version is a located Problem.

        ``required`` is False for entries that may have no version (a uv
        workspace member, a pylock directory): those read as (True, None).
        """
        text = self.table.get("version")
        if not isinstance(text, str):
            if required:
                context.problem(
                    f"locked package {self.raw_name!r} has no version",
                    self.start,
                    "missing-version",
                )
                return False, None
            return True, None
        try:
            return True, Version(text)
        except InvalidVersion:
            context.problem(
                f"locked package {self.raw_name!r} has an invalid version {text!r}",
                self.version[0] if self.version is not None else self.start,
                "invalid-version",
            )
            return False, None


def lock_entries(
    context: FileContext, data: Mapping[str, Any], located: TomlMap, key: str
) -> Iterator[LockEntry]:
    """The named package tables under ``data[key]``, in order; anything else is a Problem.

    Every lock format shares this walk: a ``key`` that is not an array, tables
    that are not tables and packages without a name are reported where they
    stand, and the rest of the lock is still read.
    """
    packages = data.get(key, [])
    if not isinstance(packages, list):
        context.problem(f"'{key}' should be an array of tables", None)
        return
    count = len(packages)
    entries = located.elements(key, count)
    versions = located.element_strings(key, "version", count)
    for index, package in enumerate(packages):
        entry = entries[index]
        entry_start = entry[0] if entry is not None else None
        if type(package) is not dict or entry is None:
            context.problem(f"package entry {index + 1} is not a table", entry_start)
            continue
        raw_name = package.get("name")
        if not isinstance(raw_name, str):
            context.problem("locked package without a name", entry_start, "missing-name")
            continue
        yield LockEntry(index, package, entry, raw_name, versions[index])


def file_hashes(files: object) -> tuple[str, ...] | None:
    """The ``hash`` of each table in a lock's ``files`` array; None when it is no array.

    poetry.lock and pdm.lock record artifacts this way; each falls back to an
    older place in its format when ``files`` is absent.  A ``hash`` that is not
    a string is skipped: the entry must stay hashable, and no tool wrote it.
    """
    if not isinstance(files, list):
        return None
    return tuple(
        [entry["hash"] for entry in files if type(entry) is dict and type(entry.get("hash")) is str]
    )


def read_lock(
    source: SourceText,
    kind: ManifestKind,
    tool: str,
    version_key: str,
    known: tuple[int, ...],
) -> tuple[FileContext, dict[str, Any], TomlMap] | Manifest:
    """Load a TOML lock whose format version sits in ``[metadata]``.

    Returns the parse state, or the finished Manifest of a file that is not
    TOML at all or whose format version this module cannot read (empty, with
    the problem).
    """
    opened = open_toml(source, kind, tool, {"package": "version"})
    if isinstance(opened, Manifest):
        return opened
    context, data, located = opened
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and version_key in metadata:
        node = located.get("metadata", version_key)
        if not lock_version_problem(
            context,
            str(metadata[version_key]),
            known,
            node.start if node is not None else None,
            f"{tool}.lock",
        ):
            return context.manifest(source, kind, [], generated_by=tool)
    return context, data, located


def optional_marker(text: object) -> Marker | None:
    """A lock's dependency marker, or None when absent or unreadable.

    Used for the resolver's view of a lock, where a marker that does not parse
    is left out rather than reported: the lock entry itself is reported by the
    parser that reads it.
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        return Marker(text)
    except (InvalidMarker, RecursionError):
        return None


def declared_from_pep508(text: str) -> DeclaredRequirement | None:
    """A PEP 508 string a lock records for a package, as the resolver reads it."""
    try:
        requirement = Requirement(text)
    except (InvalidRequirement, RecursionError):
        return None
    return DeclaredRequirement(
        name=normalize(requirement.name),
        constraint=str(requirement.specifier),
        specifier=requirement.specifier,
        alternatives=(requirement.specifier,),
        marker=requirement.marker,
        extras=frozenset(normalize(extra) for extra in requirement.extras),
        url=requirement.url,
    )


def resolver_packages(
    read: tuple[FileContext, dict[str, Any], TomlMap] | Manifest,
) -> Iterator[tuple[dict[str, Any], Version | None]]:
    """The named ``[[package]]`` tables of a lock read by :func:`read_lock`, with versions.

    The resolver's view of a lock is best effort: a lock that cannot be read,
    an entry without a name, or a version packaging cannot parse is skipped or
    left versionless here; the lock's parser reports each of them.
    """
    if isinstance(read, Manifest):
        return
    _, data, _ = read
    packages = data.get("package", [])
    if not isinstance(packages, list):
        return
    for package in packages:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        try:
            version: Version | None = Version(str(package.get("version")))
        except InvalidVersion:
            version = None
        yield package, version


def declared_requirement(
    name: str,
    constraint: str,
    specifier: SpecifierSet,
    marker: object,
    extras: object,
    url: str | None,
) -> DeclaredRequirement:
    """A requirement a lock records for a package, with extras normalised."""
    return DeclaredRequirement(
        name=normalize(name),
        constraint=constraint,
        specifier=specifier,
        alternatives=(specifier,),
        marker=optional_marker(marker),
        extras=frozenset(normalize(str(e)) for e in extras)
        if isinstance(extras, list)
        else frozenset(),
        url=url,
    )
