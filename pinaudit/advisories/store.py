"""The advisory index on disk: built once, then read a package at a time.

Layout: a magic line, one JSON header line, then a body of JSON blobs, one per
package and one for the problems.  The header holds the format version, the
fingerprint of the sources it was built from and, for every package, the
offset, length and CRC-32 of its blob, so that a pre-commit run decodes only
the packages its repository uses, not the whole database.  The format is plain
data (no pickle: rules never execute code, and neither does their cache).

Any surprise (another version, another fingerprint, a truncated file, a blob
whose checksum does not match) makes :func:`read` return ``None`` and the
caller rebuilds; nothing here raises for a bad cache.  Writes go to a temporary
file in the same folder, then ``os.replace``, so readers (another hook running
in parallel) see either the old index or the new one, never half of one.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pinaudit.advisories import osv
from pinaudit.advisories.build import Entry, Index
from pinaudit.model import Problem
from pinaudit.rulebook import Severity
from pinaudit.write import atomic_write

MAGIC = b"pinaudit-advisory-index\n"
FORMAT_VERSION = 1
"""Bump whenever parsing, merging or this layout changes meaning."""


def _entry_data(entry: Entry) -> list[Any]:
    return [
        entry.code,
        entry.slug,
        list(entry.aliases),
        entry.severity.value,
        entry.summary,
        entry.description,
        entry.package,
        list(entry.spelling),
        [[list(event) for event in events] for events in entry.ranges],
        list(entry.versions),
        list(entry.remedies),
        [list(reference) for reference in entry.references],
        entry.path,
    ]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return tuple(_text(item) for item in value)


def _entry(data: object) -> Entry:
    if not isinstance(data, list) or len(data) != 13:
        raise TypeError("bad entry")
    ranges_data = data[8]
    if not isinstance(ranges_data, list):
        raise TypeError("bad ranges")
    ranges: list[tuple[osv.Event, ...]] = []
    for events in ranges_data:
        if not isinstance(events, list):
            raise TypeError("bad events")
        parsed: list[osv.Event] = []
        for event in events:
            kind, text = _texts(event)
            parsed.append((kind, text))
        ranges.append(tuple(parsed))
    references_data = data[11]
    if not isinstance(references_data, list):
        raise TypeError("bad references")
    references: list[tuple[str, str, str]] = []
    for reference in references_data:
        url, kind, title = _texts(reference)
        references.append((url, kind, title))
    return Entry(
        code=_text(data[0]),
        slug=_text(data[1]),
        aliases=_texts(data[2]),
        severity=Severity(_text(data[3])),
        summary=_text(data[4]),
        description=_text(data[5]),
        package=_text(data[6]),
        spelling=_texts(data[7]),
        ranges=tuple(ranges),
        versions=_texts(data[9]),
        remedies=_texts(data[10]),
        references=tuple(references),
        path=_text(data[12]),
    )


def _report_data(report: osv.Report) -> list[Any]:
    problem = report.problem
    return [
        str(problem.path),
        problem.message,
        problem.line,
        problem.column,
        problem.code,
        list(report.packages),
    ]


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


def _report(data: object) -> osv.Report:
    if not isinstance(data, list) or len(data) != 6:
        raise TypeError("bad report")
    problem = Problem(
        Path(_text(data[0])),
        _text(data[1]),
        _optional_int(data[2]),
        _optional_int(data[3]),
        _text(data[4]),
    )
    return osv.Report(problem, _texts(data[5]))


def _blob(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write(path: Path, index: Index, fingerprint: str) -> None:
    """Store ``index`` atomically; raises ``OSError`` when the folder is unusable."""
    body: list[bytes] = []
    offset = 0
    slots: dict[str, list[int]] = {}

    def add(data: bytes) -> list[int]:
        nonlocal offset
        slot = [offset, len(data), zlib.crc32(data)]
        body.append(data)
        offset += len(data)
        return slot

    for name, entries in index.entries.items():
        slots[name] = add(_blob([_entry_data(entry) for entry in entries]))
    reports = add(_blob([_report_data(report) for report in index.reports]))
    header = {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "reports": reports,
        "packages": slots,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, b"".join([MAGIC, _blob(header) + b"\n", *body]), new_mode=0o600)


def _slot(value: object) -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise TypeError("bad slot")
    offset, length, checksum = (_optional_int(item) for item in value)
    if offset is None or length is None or checksum is None or offset < 0 or length < 0:
        raise TypeError("bad slot")
    return offset, length, checksum


def read(
    path: Path, fingerprint: str, packages: Collection[str] | None
) -> tuple[list[Entry], list[osv.Report]] | None:
    """Entries for ``packages`` (``None``: all) and every stored report, or ``None``.

    ``None`` means: no usable index for this fingerprint; build one.
    """
    try:
        with path.open("rb") as stream:
            if stream.readline() != MAGIC:
                return None
            header = json.loads(stream.readline())
            if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
                return None
            if header.get("fingerprint") != fingerprint:
                return None
            slots = header.get("packages")
            if not isinstance(slots, Mapping):
                return None
            start = stream.tell()

            def load(slot: object) -> Any:
                offset, length, checksum = _slot(slot)
                stream.seek(start + offset)
                data = stream.read(length)
                if len(data) != length or zlib.crc32(data) != checksum:
                    raise ValueError("checksum mismatch")
                return json.loads(data)

            names = sorted(slots) if packages is None else sorted(set(packages) & set(slots))
            entries: list[Entry] = []
            for name in names:
                blob = load(slots[name])
                if not isinstance(blob, list):
                    return None
                entries.extend(_entry(item) for item in blob)
            stored = load(header.get("reports"))
            if not isinstance(stored, list):
                return None
            reports = [_report(item) for item in stored]
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None
    return entries, reports
