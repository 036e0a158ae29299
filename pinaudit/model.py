"""The data model shared by every stage of the pipeline.

Everything here is a frozen dataclass: parsers build these values once, and the
engine, the fix planner and the renderers only read them.  Positions are kept in
two forms on purpose: character offsets (``start``/``end``) so that an edit
replaces exactly the characters it means to, and 1-based line/column pairs so that
people and machine formats (SARIF, GitHub annotations) can point at them.
"""

from __future__ import annotations

import bisect
import enum
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version


@dataclass(frozen=True, slots=True)
class Span:
    """A run of characters in a decoded file (after any BOM).

    ``start``/``end`` are character offsets, end exclusive.  Lines and columns are
    1-based; ``end_column`` points just past the last character, as SARIF and LSP
    expect.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int


class LineIndex:
    """Turns character offsets of one text into line/column spans.

    Built once per file so that locating thousands of requirements stays a
    binary search each, not a rescan of the text.
    """

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        starts = [0]
        find = text.find
        position = find("\n")
        while position != -1:
            starts.append(position + 1)
            position = find("\n", position + 1)
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect.bisect_right(self._starts, offset) - 1
        return line + 1, offset - self._starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return make_span(start, end, line, column, end_line, end_column)

    def line_start(self, line: int) -> int:
        """Character offset where a 1-based line begins."""
        return self._starts[line - 1]


class ManifestKind(enum.StrEnum):
    """What kind of file a manifest was read from; decides parser and fixer."""

    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    POETRY_LOCK = "poetry-lock"
    UV_LOCK = "uv-lock"
    PYLOCK = "pylock"
    PIPFILE = "pipfile"
    PIPFILE_LOCK = "pipfile-lock"
    PDM_LOCK = "pdm-lock"

    @property
    def is_lock(self) -> bool:
        return self in _LOCK_KINDS


_LOCK_KINDS = frozenset(
    {
        ManifestKind.POETRY_LOCK,
        ManifestKind.UV_LOCK,
        ManifestKind.PYLOCK,
        ManifestKind.PIPFILE_LOCK,
        ManifestKind.PDM_LOCK,
    }
)


class Role(enum.StrEnum):
    """How an entry takes part in an installation.

    ``require`` makes a package part of the environment; ``constrain`` only
    narrows a package that something else requires (pip's ``-c``); ``lock`` is a
    resolved version a locker wrote down.
    """

    REQUIRE = "require"
    CONSTRAIN = "constrain"
    LOCK = "lock"


@dataclass(frozen=True, slots=True)
class Dependency:
    """One dependency entry exactly as a file states it.

    ``span`` covers the whole requirement text; ``version_span`` covers only the
    version part (the specifier, or a lockfile's version string) and is where a
    fix edits.  ``pinned`` is set when the entry admits exactly one version
    (``==1.2.3``, ``===1.2.3`` or a locked version).
    """

    name: str
    raw_name: str
    specifier: SpecifierSet
    path: Path
    span: Span
    version_span: Span | None = None
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None
    url: str | None = None
    editable: bool = False
    pinned: Version | None = None
    hashes: tuple[str, ...] = ()
    role: Role = Role.REQUIRE
    group: str | None = None
    text: str = ""

    @property
    def location(self) -> Span:
        """Where a finding points: a lock entry's version line, else the requirement."""
        if self.role is Role.LOCK and self.version_span is not None:
            return self.version_span
        return self.span

    @property
    def version_text(self) -> str:
        """What the entry says about versions, for messages."""
        if self.pinned is not None and self.role is Role.LOCK:
            return str(self.pinned)
        return str(self.specifier) or "(any version)"


# ---------------------------------------------------------------------------
# Building spans and entries on the parsers' hot paths.
#
# A frozen dataclass's __init__ sets each field through object.__setattr__,
# which is what makes it frozen to everyone else.  A 60,000-line tree builds
# three of these objects per line, and on CPython 3.11 that __init__ cost a
# third of the parse.  These two functions fill the slots through the classes'
# own slot descriptors instead, about 2.5x faster; the objects are the same
# frozen dataclasses (equality, hashing and immutability unchanged), and
# tests/test_model.py holds the field lists to the dataclass fields.

_SPAN_SLOTS = ("start", "end", "line", "column", "end_line", "end_column")
(
    _span_start,
    _span_end,
    _span_line,
    _span_column,
    _span_end_line,
    _span_end_column,
) = (Span.__dict__[name].__set__ for name in _SPAN_SLOTS)


def make_span(start: int, end: int, line: int, column: int, end_line: int, end_column: int) -> Span:
    """``Span(start, end, line, column, end_line, end_column)``, for hot paths."""
    span = Span.__new__(Span)
    _span_start(span, start)
    _span_end(span, end)
    _span_line(span, line)
    _span_column(span, column)
    _span_end_line(span, end_line)
    _span_end_column(span, end_column)
    return span


_DEPENDENCY_SLOTS = (
    "name",
    "raw_name",
    "specifier",
    "path",
    "span",
    "version_span",
    "extras",
    "marker",
    "url",
    "editable",
    "pinned",
    "hashes",
    "role",
    "group",
    "text",
)
(
    _dep_name,
    _dep_raw_name,
    _dep_specifier,
    _dep_path,
    _dep_span,
    _dep_version_span,
    _dep_extras,
    _dep_marker,
    _dep_url,
    _dep_editable,
    _dep_pinned,
    _dep_hashes,
    _dep_role,
    _dep_group,
    _dep_text,
) = (Dependency.__dict__[name].__set__ for name in _DEPENDENCY_SLOTS)


def make_dependency(
    name: str,
    raw_name: str,
    specifier: SpecifierSet,
    path: Path,
    span: Span,
    version_span: Span | None,
    extras: frozenset[str],
    marker: Marker | None,
    url: str | None,
    editable: bool,
    pinned: Version | None,
    hashes: tuple[str, ...],
    role: Role,
    group: str | None,
    text: str,
) -> Dependency:
    """``Dependency(...)`` with every field given in order, for hot paths."""
    dependency = Dependency.__new__(Dependency)
    _dep_name(dependency, name)
    _dep_raw_name(dependency, raw_name)
    _dep_specifier(dependency, specifier)
    _dep_path(dependency, path)
    _dep_span(dependency, span)
    _dep_version_span(dependency, version_span)
    _dep_extras(dependency, extras)
    _dep_marker(dependency, marker)
    _dep_url(dependency, url)
    _dep_editable(dependency, editable)
    _dep_pinned(dependency, pinned)
    _dep_hashes(dependency, hashes)
    _dep_role(dependency, role)
    _dep_group(dependency, group)
    _dep_text(dependency, text)
    return dependency


class IncludeKind(enum.StrEnum):
    REQUIREMENT = "requirement"
    CONSTRAINT = "constraint"


@dataclass(frozen=True, slots=True)
class Include:
    """A ``-r``/``-c`` reference, resolved relative to the file that holds it."""

    kind: IncludeKind
    target: Path
    raw: str
    path: Path
    span: Span


@dataclass(frozen=True, slots=True)
class GlobalOption:
    """A file-wide pip option (``--index-url``, ``--pre``, ...), kept for the fixer."""

    name: str
    value: str | None
    path: Path
    span: Span


@dataclass(frozen=True, slots=True)
class Problem:
    """A piece of input that could not be read; reported, never raised."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    code: str = "parse-error"

    def describe(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment and where it sits, so suppressions can be attached to entries."""

    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything read from one file.

    ``generated_by`` / ``source`` / ``compile_command``: the tool that wrote a
    requirements file (``pip-compile`` or ``uv``), the input its header names
    and the command line it records, when it does.  ``locked_groups``: the
    groups a lock covers (PDM's, or those a compiled pyproject.toml input was
    compiled with), None for all.
    """

    path: Path
    kind: ManifestKind
    dependencies: tuple[Dependency, ...] = ()
    includes: tuple[Include, ...] = ()
    options: tuple[GlobalOption, ...] = ()
    problems: tuple[Problem, ...] = ()
    comments: tuple[Comment, ...] = ()
    generated_by: str | None = None
    source: Path | None = None
    requires_python: SpecifierSet | None = None
    locked_groups: frozenset[str] | None = None
    compile_command: str | None = None

    @property
    def compiled_from(self) -> Path | None:
        """The input of a pip-compile or ``uv pip compile`` output, which drives it."""
        if self.kind is ManifestKind.REQUIREMENTS and self.generated_by is not None:
            return self.source
        return None


@dataclass(frozen=True, slots=True)
class Environment:
    """The manifests that together describe one installation.

    Rules about combinations are evaluated inside one environment only, so that
    unrelated files in a monorepo never combine into a false finding.
    ``dependencies`` is the flattened view the engine reads.  ``drivers`` are the
    manifests that drive a lock (a pyproject.toml beside its lockfile, the input
    of a pip-compile or ``uv pip compile`` output): a fix edits them, never the
    lock itself.
    """

    name: str
    root: Path
    manifests: tuple[Manifest, ...]
    dependencies: tuple[Dependency, ...]
    problems: tuple[Problem, ...] = ()
    drivers: tuple[Manifest, ...] = ()

    def entries(self, name: str) -> tuple[Dependency, ...]:
        return tuple(dep for dep in self.dependencies if dep.name == name)
