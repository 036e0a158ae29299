"""Where OSV records come from: folders of JSON files, zip exports, single files.

Scanning only lists and stats (it runs on every warm start, so it must stay
cheap); reading opens and decodes (only when the cache must be rebuilt).  The
osv.dev export (``PyPI/all.zip``) is a flat zip of ``<ID>.json`` members;
folders such as a checkout of the PyPA advisory database are searched
recursively for ``*.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pinaudit.advisories import osv
from pinaudit.model import Problem

MAX_RECORD_BYTES = 8 * 1024 * 1024
"""An OSV record is a few kilobytes; a larger member is refused, not read."""


@dataclass(frozen=True, slots=True)
class Scan:
    """The sources as found now, and a digest of their names, sizes and times.

    File names stay strings: this runs on every warm start, and building and
    sorting thousands of ``Path`` objects cost more than the stat calls.
    """

    roots: tuple[str, ...]
    files: tuple[tuple[str, int, int], ...]
    reports: tuple[osv.Report, ...]
    fingerprint: str

    @property
    def identity(self) -> str:
        """Names the cache file: one per set of sources, whatever their state."""
        text = "\n".join(sorted(self.roots))
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _walk(directory: str) -> Iterator[tuple[str, int, int]]:
    stack = [directory]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as items:
                for item in items:
                    if item.is_dir(follow_symlinks=False):
                        stack.append(item.path)
                    elif item.name.endswith(".json") and item.is_file():
                        status = item.stat()
                        yield item.path, status.st_size, status.st_mtime_ns
        except OSError:
            continue


def scan(paths: Sequence[Path], salt: str) -> Scan:
    """List the record files of ``paths``; ``salt`` ties the digest to a format."""
    roots: list[str] = []
    files: list[tuple[str, int, int]] = []
    reports: list[osv.Report] = []
    for given in paths:
        path = Path(given).expanduser()
        try:
            resolved = path.resolve()
            status = resolved.stat()
        except OSError as error:
            reason = error.strerror or str(error)
            problem = Problem(
                path, f"advisory source cannot be read: {reason}", code=osv.READ_PROBLEM
            )
            reports.append(osv.Report(problem))
            continue
        root = str(resolved)
        roots.append(root)
        if stat.S_ISDIR(status.st_mode):
            files.extend(sorted(_walk(root)))
        else:
            files.append((root, status.st_size, status.st_mtime_ns))
    digest = hashlib.sha256(salt.encode())
    for name, size, mtime in files:
        digest.update(f"{name}\0{size}\0{mtime}\n".encode("utf-8", "surrogatepass"))
    return Scan(tuple(roots), tuple(files), tuple(reports), digest.hexdigest())


def _decode(data: bytes, label: Path) -> osv.Parsed:
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        problem = Problem(label, f"not UTF-8 text: {error.reason}", code=osv.READ_PROBLEM)
        return osv.Parsed(None, (osv.Report(problem),))
    except json.JSONDecodeError as error:
        problem = Problem(
            label, f"invalid JSON: {error.msg}", error.lineno, error.colno, osv.READ_PROBLEM
        )
        return osv.Parsed(None, (osv.Report(problem),))
    return osv.parse_record(document, label)


def _zip_records(path: Path) -> Iterator[osv.Parsed]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        problem = Problem(path, f"not a readable zip archive: {error}", code=osv.READ_PROBLEM)
        yield osv.Parsed(None, (osv.Report(problem),))
        return
    with archive:
        members = sorted(
            (info for info in archive.infolist() if info.filename.endswith(".json")),
            key=lambda info: info.filename,
        )
        for info in members:
            label = path / info.filename
            if info.is_dir():
                continue
            if info.file_size > MAX_RECORD_BYTES:
                problem = Problem(
                    label,
                    f"member is {info.file_size} bytes, more than any OSV record; skipped",
                    code=osv.READ_PROBLEM,
                )
                yield osv.Parsed(None, (osv.Report(problem),))
                continue
            try:
                with archive.open(info) as stream:
                    data = stream.read(MAX_RECORD_BYTES + 1)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as error:
                problem = Problem(label, f"cannot read zip member: {error}", code=osv.READ_PROBLEM)
                yield osv.Parsed(None, (osv.Report(problem),))
                continue
            yield _decode(data, label)


def read_records(found: Scan) -> Iterator[osv.Parsed]:
    """Parse every record of a scan, in a stable order."""
    for name, _, _ in found.files:
        path = Path(name)
        if path.suffix.lower() == ".zip" or (path.suffix.lower() != ".json" and _is_zip(path)):
            yield from _zip_records(path)
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)
            problem = Problem(path, f"cannot read advisory file: {reason}", code=osv.READ_PROBLEM)
            yield osv.Parsed(None, (osv.Report(problem),))
            continue
        yield _decode(data, path)


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False
