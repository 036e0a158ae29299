"""From parsed OSV records to rules: alias merging, ranges, remedies.

Everything here is pure: records in, :class:`Entry` values out, and an entry
turns into a :class:`~pinaudit.rulebook.Rule` without touching the disk.  An
entry is the unit the cache stores.  packaging offers no serialisation of a
:class:`~packaging.ranges.VersionRange`, so an entry stores specifiers that
spell the range (or each stretch of it) when they exist, and the OSV events
themselves when they do not; both rebuild the range exactly.

Alias merging.  Records that share any identifier (their ``id`` or one of their
``aliases``), directly or through a chain, describe one vulnerability, as
osv-scanner groups them too: one rule per affected package, not one per
database.  Within a group, each affected package gets one rule, made from the
group's records that cover that package.  Its code is the id of one of those
records, chosen by :func:`primary_key`: a ``PYSEC`` id first (the PyPI
ecosystem's own database), then ``GHSA``, then any other prefix; within a
prefix the lowest id in natural order (``PYSEC-2021-9`` before
``PYSEC-2021-10``).  Every other id of those records, record ids and their
aliases alike, goes to ``Rule.aliases`` in natural order (so CVE ids come
first).  The affected range is the union over those records (a version any of
them calls affected is reported); severity is the highest any of them states;
summary and details come from the first of them, primary first, that has them;
references are merged in the same order.  A record id that occurs twice (the
same advisory from two sources) keeps its latest ``modified`` copy.  When one
record is the primary for several packages (a GHSA naming ``tensorflow`` and
``tensorflow-gpu``), the rules share its code and their slugs add the package.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.advisories import osv
from pinaudit.advisories import severity as severities
from pinaudit.model import Problem
from pinaudit.rulebook import PackageCondition, Reference, Remedy, Rule, RuleKind, Severity

_PREFIX_RANK = {"PYSEC": 0, "GHSA": 1}
_NUMBER = re.compile(r"(\d+)")

_REFERENCE_KINDS: Mapping[str, str] = {
    "ADVISORY": "advisory",
    "WEB": "advisory",
    "FIX": "commit",
    "INTRODUCED": "commit",
    "GIT": "code",
    "REPORT": "issue",
    "DISCUSSION": "issue",
    "PACKAGE": "release",
    "ARTICLE": "docs",
    "EVIDENCE": "docs",
    "DETECTION": "code",
}


def natural_key(identifier: str) -> tuple[tuple[int, int | str], ...]:
    """``PYSEC-2021-9`` before ``PYSEC-2021-10``: numbers compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _NUMBER.split(identifier)
        if part
    )


def primary_key(identifier: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """Sort key choosing a group's rule code; see the module docstring."""
    prefix = identifier.split("-", 1)[0].upper()
    return (_PREFIX_RANK.get(prefix, 2), natural_key(identifier))


def slug_of(identifier: str) -> str:
    """``PYSEC-2021-76`` -> ``pysec-2021-76``: lowercase words joined by ``-``."""
    return "-".join(re.findall(r"[a-z0-9]+", identifier.lower())) or "advisory"


def reference_kind(osv_type: str, url: str) -> str:
    """The closest :data:`~pinaudit.rulebook.REFERENCE_KINDS` entry for an OSV link.

    A ``FIX`` or ``REPORT`` link that points at a pull request is a ``pull``, the
    one distinction the URL makes reliably; otherwise the OSV type decides.
    """
    if osv_type in ("FIX", "REPORT") and re.search(r"/(pull|merge_requests)/\d+", url):
        return "pull"
    return _REFERENCE_KINDS.get(osv_type, "advisory")


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule in storable form: an advisory group's view of one package.

    ``spelling`` holds specifiers whose union is exactly the affected range:
    one when a single specifier spells it (it is then the rule's specifier),
    several when each stretch of it can be spelled but the whole cannot.
    Rebuilding from those is several times faster than re-running the OSV
    events, which matters on every warm start.  When even a stretch has no
    spelling (``last_affected`` excludes local builds of its version, explicit
    versions exclude theirs), ``spelling`` is empty and ``ranges`` (the ECOSYSTEM
    ranges of every record in the group) plus ``versions`` (only the explicit
    versions those ranges do not already hold) rebuild it.
    """

    code: str
    slug: str
    aliases: tuple[str, ...]
    severity: Severity
    summary: str
    description: str
    package: str
    spelling: tuple[str, ...]
    ranges: tuple[tuple[osv.Event, ...], ...]
    versions: tuple[str, ...]
    remedies: tuple[str, ...]
    references: tuple[tuple[str, str, str], ...]
    path: str


def _dedupe(advisories: Iterable[osv.Advisory]) -> list[osv.Advisory]:
    latest: dict[str, osv.Advisory] = {}
    for advisory in advisories:
        kept = latest.get(advisory.id)
        if kept is None or advisory.modified > kept.modified:
            latest[advisory.id] = advisory
    return list(latest.values())


def group_aliases(advisories: Sequence[osv.Advisory]) -> list[list[osv.Advisory]]:
    """Records that share an identifier, transitively; each group primary-first."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        root = item
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(first: str, second: str) -> None:
        a, b = find(first), find(second)
        if a != b:
            parent[max(a, b)] = min(a, b)

    for advisory in advisories:
        find(advisory.id)
        for alias in advisory.aliases:
            union(advisory.id, alias)
    groups: dict[str, list[osv.Advisory]] = {}
    for advisory in advisories:
        groups.setdefault(find(advisory.id), []).append(advisory)
    ordered = [sorted(group, key=lambda item: primary_key(item.id)) for group in groups.values()]
    return sorted(ordered, key=lambda group: primary_key(group[0].id))


def _summary(group: Sequence[osv.Advisory]) -> str:
    for advisory in group:
        if advisory.summary:
            return " ".join(advisory.summary.split())
    for advisory in group:
        for line in advisory.details.splitlines():
            text = line.strip().lstrip("#").strip()
            if text:
                return text
    return f"{group[0].id}: security advisory"


def _remedies(affected: VersionRange, fixes: Sequence[Version]) -> tuple[Version, ...]:
    """The smallest ``fixed`` version above each stretch of affected versions.

    No affected stretch contains an unaffected fix, so each lies between two
    consecutive unaffected fixes; the upper one of each pair that has affected
    versions between them is that stretch's first fix.
    """
    result: list[Version] = []
    lower: Version | None = None
    for fix in fixes:
        if affected.contains(fix):
            continue
        below = affected - osv.at_least(fix)
        if lower is not None:
            below = below & osv.at_least(lower)
        if not below.is_empty:
            result.append(fix)
        lower = fix
    return tuple(result)


def _references(group: Sequence[osv.Advisory]) -> tuple[tuple[str, str, str], ...]:
    seen: set[str] = set()
    result: list[tuple[str, str, str]] = []
    primary = group[0].id
    for url, kind, title in [
        (f"https://osv.dev/vulnerability/{primary}", "advisory", f"OSV record {primary}")
    ] + [
        (reference.url, reference_kind(reference.type, reference.url), "")
        for advisory in group
        for reference in advisory.references
    ]:
        if url not in seen:
            seen.add(url)
            result.append((url, kind, title))
    return tuple(result)


def _aliases(group: Sequence[osv.Advisory]) -> tuple[str, ...]:
    primary = group[0].id
    names = {advisory.id for advisory in group} | {
        alias for advisory in group for alias in advisory.aliases
    }
    names.discard(primary)
    return tuple(sorted(names, key=natural_key))


def _description(
    details: str,
    package: str,
    spelled: bool,
    ranges: Sequence[Sequence[osv.Event]],
    extra: Sequence[str],
) -> str:
    if spelled:
        return details
    lines = [f"Affected {package} versions (OSV events, PEP 440 order):"]
    lines.extend(f"- {osv.describe_events(events)}" for events in ranges)
    if extra:
        exact = sorted({Version(text) for text in extra})
        lines.append("- and exactly: " + ", ".join(str(version) for version in exact))
    text = "\n".join(lines)
    return f"{details}\n\n{text}" if details else text


def _spelling(
    whole: SpecifierSet | None, pieces: Sequence[VersionRange], extra: Sequence[str]
) -> tuple[str, ...]:
    if whole is not None:
        return (str(whole),)
    if extra:
        return ()
    spelled = [piece.to_specifier_set() for piece in pieces]
    if any(item is None for item in spelled):
        return ()
    return tuple(str(item) for item in spelled)


def entries_for_group(group: Sequence[osv.Advisory]) -> list[Entry]:
    """One entry per PyPI package the group's records affect (none if nothing is).

    Each package's rule is named and described by the records that cover that
    package: the same CVE filed once for ``tensorflow`` and once for
    ``tensorflow-gpu`` gives two rules, each under its own record's id.
    """
    by_package: dict[str, list[tuple[osv.Advisory, osv.AffectedPackage]]] = {}
    for advisory in group:
        for package in advisory.packages:
            by_package.setdefault(package.name, []).append((advisory, package))
    primaries = {name: pairs[0][0].id for name, pairs in by_package.items()}
    shared = {code for code in primaries.values() if list(primaries.values()).count(code) > 1}
    result: list[Entry] = []
    for name in sorted(by_package):
        pairs = by_package[name]
        records = [advisory for advisory, _ in pairs]
        primary = records[0]
        ranges = tuple(events for _, package in pairs for events in package.ranges)
        versions = tuple(dict.fromkeys(text for _, package in pairs for text in package.versions))
        pieces = [piece for events in ranges for piece in osv.events_pieces(events)]
        from_ranges = osv.union_all(pieces)
        extra = osv.outside(from_ranges, versions)
        affected = osv.affected_range([], extra) | from_ranges if extra else from_ranges
        if affected.is_empty:
            continue
        whole = affected.to_specifier_set()
        spelling = _spelling(whole, pieces, extra)
        level = severities.highest(
            level
            for advisory, package in pairs
            for level in (package.severity, advisory.severity)
            if level is not None
        )
        remedies = _remedies(affected, osv.fixed_versions(ranges))
        details = next((advisory.details for advisory in records if advisory.details), "")
        result.append(
            Entry(
                code=primary.id,
                slug=slug_of(primary.id) + (f"-{name}" if primary.id in shared else ""),
                aliases=_aliases(records),
                severity=level or severities.DEFAULT_SEVERITY,
                summary=_summary(records),
                description=_description(details, name, whole is not None, ranges, extra),
                package=name,
                spelling=spelling,
                ranges=() if spelling else ranges,
                versions=() if spelling else extra,
                remedies=tuple(str(version) for version in remedies),
                references=_references(records),
                path=str(primary.path),
            )
        )
    return result


def entry_range(entry: Entry) -> VersionRange:
    """The affected range an entry stands for, rebuilt exactly."""
    if entry.spelling:
        return osv.union_all(
            [SpecifierSet(text, prereleases=True).to_range() for text in entry.spelling]
        )
    return osv.affected_range(entry.ranges, entry.versions)


def entry_rule(entry: Entry) -> Rule:
    """The rule the engine evaluates.

    Built from the entry alone, on a fresh build as on a cache hit, so that both
    paths give equal rules by construction.
    """
    versions = entry_range(entry)
    exact = len(entry.spelling) == 1
    specifier = SpecifierSet(entry.spelling[0], prereleases=True) if exact else SpecifierSet()
    remedies = tuple(
        Remedy(
            entry.package, Version(text), f"fixes {entry.code} for the affected versions below it"
        )
        for text in entry.remedies
    )
    fixed = f"{entry.package} {', '.join(entry.remedies)}" if entry.remedies else ""
    return Rule(
        code=entry.code,
        slug=entry.slug,
        kind=RuleKind.ADVISORY,
        severity=entry.severity,
        summary=entry.summary,
        packages=(PackageCondition(entry.package, specifier, versions),),
        remedies=remedies,
        references=tuple(Reference(url, kind, title) for url, kind, title in entry.references),
        description=entry.description,
        fixed=fixed,
        aliases=entry.aliases,
        path=Path(entry.path),
    )


@dataclass(frozen=True, slots=True)
class Index:
    """Everything one set of advisory sources yields, by package."""

    entries: Mapping[str, tuple[Entry, ...]]
    reports: tuple[osv.Report, ...]


def build_index(advisories: Iterable[osv.Advisory], reports: Iterable[osv.Report]) -> Index:
    """Merge aliases and make entries; withdrawn records take no part."""
    live = _dedupe(advisory for advisory in advisories if not advisory.withdrawn)
    by_package: dict[str, list[Entry]] = {}
    for group in group_aliases(live):
        for entry in entries_for_group(group):
            by_package.setdefault(entry.package, []).append(entry)
    entries = {
        name: tuple(sorted(items, key=lambda entry: primary_key(entry.code)))
        for name, items in sorted(by_package.items())
    }
    return Index(entries, tuple(reports))


def select(index: Index, packages: Iterable[str] | None) -> tuple[list[Entry], list[Problem]]:
    """The entries and problems that concern ``packages`` (``None``: all of them)."""
    if packages is None:
        wanted = None
        entries = [entry for name in index.entries for entry in index.entries[name]]
    else:
        wanted = set(packages)
        entries = [entry for name in sorted(wanted) for entry in index.entries.get(name, ())]
    problems = [
        report.problem
        for report in index.reports
        if wanted is None or not report.packages or wanted.intersection(report.packages)
    ]
    return entries, problems
