"""One OSV record, read and checked: the pure core of the advisory loader.

Validation is by hand and covers only what pinaudit reads.  Full JSON Schema
validation of the PyPA corpus (2,661 records) took 2.2 s with ``jsonschema``,
against 0.13 s to parse the JSON: too slow for the first run of a pre-commit
hook, and the osv.dev PyPI export, which adds GitHub and malicious-package
records, is larger still.  The test suite
checks that this validator and the schema agree on the real corpus and on the
broken fixtures.

What is wrong decides what is dropped:

* a part that decides *which versions are affected* (the id, a PyPI
  ``affected`` entry, the structure of an ``ECOSYSTEM`` range) cannot be
  guessed, so the record is skipped;
* an event version that packaging cannot parse makes *its range* unreadable:
  dropping a ``fixed`` would turn "before X" into "every version", dropping an
  ``introduced`` would hide affected versions, so the range is skipped and the
  record's other ranges and explicit versions still load;
* an unparsable entry of a ``versions`` list is a single version: only it is
  skipped;
* parts that only describe the advisory (severity, references, ``GIT``
  ranges, which pinaudit never evaluates) are dropped when malformed and the
  advisory still loads, since losing a real vulnerability over a truncated
  commit hash would be the worse error.

Every one of these is a :class:`~pinaudit.model.Problem`; nothing raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinaudit.advisories import severity as severities
from pinaudit.model import Problem
from pinaudit.rulebook import Severity

SCHEMA_PROBLEM = "advisory-schema"
VERSION_PROBLEM = "advisory-version"
NOTE_PROBLEM = "advisory-note"
READ_PROBLEM = "advisory-read"

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
RANGE_TYPES = frozenset({"GIT", "SEMVER", "ECOSYSTEM"})
REFERENCE_TYPES = frozenset(
    {
        "ADVISORY",
        "ARTICLE",
        "DETECTION",
        "DISCUSSION",
        "REPORT",
        "FIX",
        "INTRODUCED",
        "GIT",
        "PACKAGE",
        "EVIDENCE",
        "WEB",
    }
)
SEVERITY_TYPES = frozenset({"CVSS_V2", "CVSS_V3", "CVSS_V4", "Ubuntu"})
GIT_COMMIT = re.compile(r"^(0|[a-f0-9]{40}|[a-f0-9]{64})$")
ECOSYSTEM = "PyPI"

Event = tuple[str, str]
"""``(kind, version text)`` of one ECOSYSTEM event, as the record wrote it."""


@dataclass(frozen=True, slots=True)
class OsvReference:
    type: str
    url: str


@dataclass(frozen=True, slots=True)
class AffectedPackage:
    """What one record says about one PyPI package, reduced to PEP 440 data.

    ``ranges`` holds the readable ECOSYSTEM ranges (events in record order, so
    that the evaluation's stable sort sees ties as the record wrote them);
    ``versions`` the readable explicit versions; ``severity`` what this entry
    says (OSV puts severity here instead of on the record when packages differ).
    """

    name: str
    ranges: tuple[tuple[Event, ...], ...]
    versions: tuple[str, ...]
    severity: Severity | None


@dataclass(frozen=True, slots=True)
class Advisory:
    """The parts of one OSV record that become (part of) a rule."""

    id: str
    modified: str
    aliases: tuple[str, ...]
    summary: str
    details: str
    severity: Severity | None
    packages: tuple[AffectedPackage, ...]
    references: tuple[OsvReference, ...]
    path: Path
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class Report:
    """A problem and the packages it concerns (empty: it concerns everyone)."""

    problem: Problem
    packages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    advisory: Advisory | None
    reports: tuple[Report, ...]


class _Broken(Exception):
    """The record cannot be used; carries the first structural fault."""


class _Reader:
    """Collects located problems for one record while walking it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = "record"
        self.reports: list[Report] = []

    def report(self, code: str, message: str, packages: Iterable[str] = ()) -> None:
        self.reports.append(
            Report(Problem(self.path, f"{self.label}: {message}", code=code), tuple(packages))
        )


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _Broken(f"{where} must be a string, not {_describe(value)}")
    return value


def _optional_string(table: Mapping[str, Any], key: str, where: str) -> str:
    if key not in table:
        return ""
    return _string(table[key], f"{where}{key}")


def _string_list(value: object, where: str, *, nullable: bool = False) -> list[str]:
    if value is None and nullable:
        return []
    if not isinstance(value, list):
        raise _Broken(f"{where} must be an array of strings")
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise _Broken(f"{where}[{position}] must be a string, not {_describe(item)}")
    return value


def _table_list(value: object, where: str, *, nullable: bool = False) -> list[Mapping[str, Any]]:
    if value is None and nullable:
        return []
    if not isinstance(value, list):
        raise _Broken(f"{where} must be an array of objects")
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            raise _Broken(f"{where}[{position}] must be an object, not {_describe(item)}")
    return value


def parse_version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _events(value: object, where: str) -> list[Event]:
    """The events of a range, checked as the schema does (one kind per event)."""
    events: list[Event] = []
    for position, event in enumerate(_table_list(value, where)):
        kinds = [kind for kind in EVENT_KINDS if kind in event]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none of them"
            raise _Broken(
                f"{where}[{position}] must hold exactly one of introduced, fixed, "
                f"last_affected, limit (found {found})"
            )
        kind = kinds[0]
        events.append((kind, _string(event[kind], f"{where}[{position}].{kind}")))
    if not events:
        raise _Broken(f"{where} must not be empty")
    if not any(kind == "introduced" for kind, _ in events):
        raise _Broken(f"{where} must contain an 'introduced' event")
    kinds_present = {kind for kind, _ in events}
    if {"fixed", "last_affected"} <= kinds_present:
        raise _Broken(f"{where} mixes 'fixed' and 'last_affected' events, which OSV forbids")
    return events


def _unusable_event(kind: str, text: str) -> str | None:
    """Why an ECOSYSTEM event's version cannot bound a PEP 440 range, if it cannot."""
    if kind == "introduced" and text == "0":
        return None
    if kind == "limit" and "*" in text:
        return None
    version = parse_version(text)
    if version is None:
        return "is not a PEP 440 version"
    if version.local is not None:
        return "has a local version label, which PEP 440 bounds cannot express"
    return None


def _severity_of(
    reader: _Reader, table: Mapping[str, Any], where: str, packages: Sequence[str]
) -> Severity | None:
    """The severity a record (or one affected entry) states; ``None`` if none."""
    opinions: list[Severity] = []
    database = table.get("database_specific")
    if isinstance(database, dict):
        label = database.get("severity")
        if isinstance(label, str):
            rated = severities.from_label(label)
            if rated is not None:
                opinions.append(rated)
    if opinions:
        return opinions[0]
    value = table.get("severity")
    if value is None:
        return None
    try:
        entries = _table_list(value, f"{where}severity")
        for position, entry in enumerate(entries):
            kind = _string(entry.get("type"), f"{where}severity[{position}].type")
            score = _string(entry.get("score"), f"{where}severity[{position}].score")
            if kind not in SEVERITY_TYPES:
                raise _Broken(f"{where}severity[{position}].type {kind!r} is not an OSV type")
            rated = severities.from_osv_entry(kind, score)
            if rated is None and kind != "CVSS_V4":
                raise _Broken(f"{where}severity[{position}]: cannot read {kind} score {score!r}")
            if rated is not None:
                opinions.append(rated)
    except _Broken as error:
        reader.report(SCHEMA_PROBLEM, f"{error}; severity ignored", packages)
        return None
    return severities.highest(opinions)


def _references(reader: _Reader, value: object, packages: Sequence[str]) -> list[OsvReference]:
    result: list[OsvReference] = []
    try:
        entries = _table_list(value, "references", nullable=True)
    except _Broken as error:
        reader.report(SCHEMA_PROBLEM, f"{error}; references ignored", packages)
        return result
    for position, entry in enumerate(entries):
        where = f"references[{position}]"
        kind = entry.get("type")
        url = entry.get("url")
        if not isinstance(kind, str) or kind not in REFERENCE_TYPES:
            reader.report(
                SCHEMA_PROBLEM,
                f"{where}.type {_describe(kind)} is not an OSV type; skipped",
                packages,
            )
            continue
        if not isinstance(url, str) or not url:
            reader.report(SCHEMA_PROBLEM, f"{where}.url must be a string; skipped", packages)
            continue
        result.append(OsvReference(kind, url))
    return result


def _other_range(reader: _Reader, table: Mapping[str, Any], where: str, name: str) -> None:
    """Check a GIT or SEMVER range only far enough to say why it is unusable."""
    kind = table["type"]
    try:
        events = _events(table.get("events"), f"{where}.events")
        if kind == "GIT":
            if not isinstance(table.get("repo"), str):
                raise _Broken(f"{where}: a GIT range needs a 'repo' string")
            for position, (event_kind, text) in enumerate(events):
                if not GIT_COMMIT.match(text):
                    raise _Broken(
                        f"{where}.events[{position}].{event_kind} {text!r} is not a full-length "
                        "commit hash"
                    )
    except _Broken as error:
        reader.report(
            SCHEMA_PROBLEM,
            f"{error}; this {kind} range is ignored (pinaudit reads only ECOSYSTEM ranges), "
            "the rest of the advisory still loads",
            (name,),
        )
        return
    if kind == "SEMVER":
        reader.report(
            NOTE_PROBLEM,
            f"{where}: SEMVER range skipped; PyPI versions follow PEP 440, not SemVer",
            (name,),
        )


def _affected(reader: _Reader, index: int, entry: Mapping[str, Any]) -> AffectedPackage | None:
    where = f"affected[{index}]"
    package = entry.get("package")
    if not isinstance(package, dict):
        raise _Broken(f"{where}.package must be an object")
    ecosystem = _string(package.get("ecosystem"), f"{where}.package.ecosystem")
    raw_name = _string(package.get("name"), f"{where}.package.name")
    if ecosystem != ECOSYSTEM:
        return None
    if not raw_name.strip():
        raise _Broken(f"{where}.package.name is empty")
    name = canonicalize_name(raw_name)
    ranges: list[tuple[Event, ...]] = []
    for position, table in enumerate(_table_list(entry.get("ranges", []), f"{where}.ranges")):
        range_where = f"{where}.ranges[{position}]"
        kind = table.get("type")
        if kind not in RANGE_TYPES:
            raise _Broken(f"{range_where}.type {_describe(kind)} is not GIT, SEMVER or ECOSYSTEM")
        if kind != "ECOSYSTEM":
            _other_range(reader, table, range_where, name)
            continue
        events = _events(table.get("events"), f"{range_where}.events")
        unusable = [
            (event_position, event_kind, text, why)
            for event_position, (event_kind, text) in enumerate(events)
            if (why := _unusable_event(event_kind, text)) is not None
        ]
        if unusable:
            event_position, event_kind, text, why = unusable[0]
            more = f" (and {len(unusable) - 1} more)" if len(unusable) > 1 else ""
            reader.report(
                VERSION_PROBLEM,
                f"{range_where}.events[{event_position}].{event_kind} {text!r} {why}{more}; "
                f"this range of {name} is skipped, since reading it without that event would "
                "change which versions it covers",
                (name,),
            )
            continue
        ranges.append(tuple(events))
    versions: list[str] = []
    unreadable: list[str] = []
    for text in _string_list(entry.get("versions", []), f"{where}.versions"):
        if parse_version(text) is None:
            unreadable.append(text)
        else:
            versions.append(text)
    if unreadable:
        shown = ", ".join(repr(text) for text in unreadable[:5])
        more = f" and {len(unreadable) - 5} more" if len(unreadable) > 5 else ""
        noun = "entry is" if len(unreadable) == 1 else "entries are"
        reader.report(
            VERSION_PROBLEM,
            f"{where}.versions: {len(unreadable)} {noun} not PEP 440 ({shown}{more}); "
            "skipped, the other versions still count",
            (name,),
        )
    declared = entry.get("ranges", [])
    if (
        not versions
        and not unreadable
        and not any(table.get("type") in ("ECOSYSTEM", "SEMVER") for table in declared)
    ):
        reader.report(
            NOTE_PROBLEM,
            f"{where} ({name}) has no ECOSYSTEM range and no versions list, so no PyPI "
            "release can be matched against it",
            (name,),
        )
    package_severity = _severity_of(reader, entry, f"{where}.", (name,))
    return AffectedPackage(name, tuple(ranges), tuple(versions), package_severity)


def parse_record(data: object, path: Path) -> Parsed:
    """Turn one decoded OSV JSON document into an :class:`Advisory` and its problems."""
    reader = _Reader(path)
    if not isinstance(data, dict):
        reader.report(SCHEMA_PROBLEM, "an OSV record must be a JSON object; skipped")
        return Parsed(None, tuple(reader.reports))
    raw_id = data.get("id")
    if isinstance(raw_id, str) and raw_id.strip():
        reader.label = raw_id
    names: list[str] = []
    try:
        if not isinstance(raw_id, str) or not raw_id.strip() or raw_id != raw_id.strip():
            raise _Broken(
                f"'id' must be a non-empty string without spaces, not {_describe(raw_id)}"
            )
        modified = _string(data.get("modified"), "modified") if "modified" in data else None
        if modified is None:
            raise _Broken("'modified' is required")
        withdrawn = _optional_string(data, "withdrawn", "")
        aliases = _string_list(data.get("aliases"), "aliases", nullable=True)
        summary = _optional_string(data, "summary", "")
        details = _optional_string(data, "details", "")
        packages: list[AffectedPackage] = []
        entries = _table_list(data.get("affected"), "affected", nullable=True)
        for entry in entries:
            package = entry.get("package")
            if isinstance(package, dict) and package.get("ecosystem") == ECOSYSTEM:
                name = package.get("name")
                if isinstance(name, str) and name.strip():
                    names.append(canonicalize_name(name))
        if withdrawn:
            return Parsed(
                Advisory(raw_id, modified, (), "", "", None, (), (), path, withdrawn=True),
                tuple(reader.reports),
            )
        for index, entry in enumerate(entries):
            affected = _affected(reader, index, entry)
            if affected is not None:
                packages.append(affected)
    except _Broken as error:
        reader.report(SCHEMA_PROBLEM, f"{error}; advisory skipped", names)
        return Parsed(None, tuple(reader.reports))
    record_severity = _severity_of(reader, data, "", names)
    references = _references(reader, data.get("references"), names)
    advisory = Advisory(
        id=raw_id,
        modified=modified,
        aliases=tuple(alias for alias in aliases if alias and alias != raw_id),
        summary=summary.strip(),
        details=details.strip(),
        severity=record_severity,
        packages=tuple(packages),
        references=tuple(references),
        path=path,
    )
    return Parsed(advisory, tuple(reader.reports))


# --- evaluation -------------------------------------------------------------------------------


def _specifier_range(text: str) -> VersionRange:
    return SpecifierSet(text, prereleases=True).to_range()


def everything() -> VersionRange:
    """Every PEP 440 version, pre-releases included (OSV's ``introduced: "0"``)."""
    return VersionRange.full(admit_arbitrary=False, prereleases=True)


def nothing() -> VersionRange:
    return VersionRange.empty(prereleases=True)


def at_least(version: Version) -> VersionRange:
    """``{v : v >= version}`` in plain PEP 440 order.

    ``>=`` compares public versions, and a local version never sorts below its
    public part, so the specifier is exact here.
    """
    return _specifier_range(f">={version}")


def above(version: Version) -> VersionRange:
    """``{v : v > version}`` in plain PEP 440 order, which ``>V`` is not.

    The ``>`` specifier leaves out post-releases and local builds of ``V``; OSV's
    ``last_affected`` compares plainly, so the set is built as everything not
    ``<=V``, plus ``V``'s local builds (``<=V`` takes them in, ``==V`` names them).
    """
    local_builds = _specifier_range(f"=={version}") - VersionRange.singleton(
        version, prereleases=True
    )
    return (everything() - _specifier_range(f"<={version}")) | local_builds


def exactly(version: Version) -> VersionRange:
    """One version as OSV's ``versions`` list means it: equal, local labels count."""
    return VersionRange.singleton(version, prereleases=True)


def _sort_key(event: Event) -> tuple[int, Version]:
    kind, text = event
    if kind == "introduced" and text == "0":
        return (0, Version("0"))
    if kind == "limit" and "*" in text:
        return (2, Version("0"))
    return (1, Version(text))


def _fires(event: Event) -> VersionRange:
    """Versions at which an event flips the evaluation loop's ``vulnerable`` flag."""
    kind, text = event
    if kind == "introduced" and text == "0":
        return everything()
    version = Version(text)
    if kind == "last_affected":
        return above(version)
    return at_least(version)


def events_pieces(events: Sequence[Event]) -> list[VersionRange]:
    """The versions one ECOSYSTEM range affects, per OSV's ``IncludedInRanges``.

    The pseudocode walks the sorted events and lets every event whose test holds
    overwrite ``vulnerable``; so ``v`` is affected exactly when the last event
    that fires at ``v`` is an ``introduced``.  Each event fires on an upward
    closed set, so that is: the union, over ``introduced`` events, of where they
    fire minus where any later event fires; then cut to ``BeforeLimits``.  The
    terms of that union come back separately, ascending: each is one stretch of
    versions, which a specifier can often spell when the whole cannot.  Events
    must already be readable (see :func:`parse_record`).
    """
    ordered = sorted(events, key=_sort_key)
    pieces: list[VersionRange] = []
    later = nothing()
    for event in reversed(ordered):
        kind, _ = event
        if kind == "limit":
            continue
        fires = _fires(event)
        if kind == "introduced":
            piece = fires - later
            if not piece.is_empty:
                pieces.append(piece)
        later = later | fires
    pieces.reverse()
    limits = [text for kind, text in ordered if kind == "limit"]
    if not limits or any("*" in text for text in limits):
        return pieces
    before = union_all([everything() - at_least(Version(text)) for text in limits])
    return [cut for piece in pieces if not (cut := piece & before).is_empty]


def events_range(events: Sequence[Event]) -> VersionRange:
    """All versions one ECOSYSTEM range affects (see :func:`events_pieces`)."""
    return union_all(events_pieces(events))


def union_all(parts: Sequence[VersionRange]) -> VersionRange:
    """Union of many ranges, pairwise so that long ``versions`` lists stay fast."""
    if not parts:
        return nothing()
    level = list(parts)
    while len(level) > 1:
        paired = [level[i] | level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def affected_range(ranges: Iterable[Sequence[Event]], versions: Iterable[str]) -> VersionRange:
    """Union of ranges and explicit versions, per OSV's ``IsVulnerable``."""
    from_ranges = union_all([events_range(events) for events in ranges])
    extra = [exactly(Version(text)) for text in versions]
    return union_all([from_ranges, *extra]) if extra else from_ranges


def outside(affected: VersionRange, versions: Iterable[str]) -> tuple[str, ...]:
    """The explicit versions a range does not already hold: the only ones that add."""
    return tuple(text for text in versions if not affected.contains(Version(text)))


def fixed_versions(ranges: Iterable[Sequence[Event]]) -> tuple[Version, ...]:
    """Every ``fixed`` version the ranges name, ascending and distinct."""
    found = {Version(text) for events in ranges for kind, text in events if kind == "fixed"}
    return tuple(sorted(found))


def describe_events(events: Sequence[Event]) -> str:
    """A range's events in the record's words, for rules no specifier can spell."""
    return ", ".join(f"{kind} {text}" for kind, text in sorted(events, key=_sort_key))
