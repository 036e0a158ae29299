"""Reading a manifest's bytes into text without losing anything a writer needs.

Parsers work on the decoded text; the writer must put back exactly the same
bytes outside an edit.  So the BOM is split off and remembered, newlines are
not translated, and the original bytes can be rebuilt exactly (``encode``),
which is what the writer's digest is taken of when it needs one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pinaudit.model import Problem

UTF8_BOM = b"\xef\xbb\xbf"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


# Paths named inside files (``-r``, a compile header) or on the command line
# can be anything: pathlib's tests raise for a name the OS refuses (too long,
# ENAMETOOLONG) where a missing file is just False.  These say "not there".


def file_exists(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def folder_exists(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def missing_reason(path: Path) -> str | None:
    """Why ``path`` cannot be checked, or None when it exists."""
    try:
        return None if path.exists() else "no such file or directory"
    except OSError as error:
        return (error.strerror or str(error)).lower()


@dataclass(frozen=True, slots=True)
class SourceText:
    """A decoded file, with whether it began with a UTF-8 BOM so a fix writes one back."""

    path: Path
    text: str
    bom: bool

    def encode(self, text: str) -> bytes:
        """The bytes to write for ``text``, with this file's BOM kept."""
        return (UTF8_BOM if self.bom else b"") + text.encode("utf-8")

    @property
    def digest(self) -> str:
        """SHA-256 of the bytes the file held when it was read.

        Strict UTF-8 decoding is lossless, so those bytes are ``encode(text)``;
        only ``fix`` needs the digest (to refuse a file that changed since), so
        a check neither hashes its files nor imports hashlib.
        """
        return digest_of(self.encode(self.text))


class UnreadableFile(Exception):
    """Carries the Problem that explains why a file could not be read."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


def digest_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def decode(path: Path, data: bytes) -> SourceText:
    """Decode a manifest's bytes; binary or non-UTF-8 input is a located Problem."""
    if b"\x00" in data[:8192]:
        raise UnreadableFile(
            Problem(path, "binary file (NUL byte), not a manifest", code="unreadable")
        )
    bom = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM) :] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        before = body[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise UnreadableFile(
            Problem(
                path, f"not UTF-8 text (byte 0x{body[error.start]:02x})", line, column, "unreadable"
            )
        ) from None
    return SourceText(path, text, bom)


def read_source(path: Path, *, limit: int = MAX_MANIFEST_BYTES) -> SourceText:
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnreadableFile(
                Problem(
                    path,
                    f"file is {size} bytes, over the {limit}-byte limit for a manifest",
                    code="unreadable",
                )
            )
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(
            Problem(path, f"cannot read: {error.strerror or error}", code="unreadable")
        ) from None
    return decode(path, data)
