"""Write edited manifests safely: all or nothing, byte-exact, inside the project.

A user's manifest is never half-written and never overwritten when it changed
after pinaudit read it: the new bytes go to a temporary file in the same folder
(so the rename is atomic on the same file system), take the old file's mode,
and replace it with ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from pinaudit.textfile import decode, digest_of


class WriteRefused(Exception):
    """A file pinaudit will not write; the message says why."""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def prepare(path: Path, expected_digest: str, new_text: str, root: Path) -> tuple[bytes, bytes]:
    """The current and the new bytes of ``path``, after every safety check."""
    if not _inside(path, root):
        raise WriteRefused(f"{path}: resolves outside the project root {root}; not written")
    try:
        current = path.read_bytes()
    except OSError as error:
        raise WriteRefused(f"{path}: cannot read it back: {error.strerror or error}") from None
    if digest_of(current) != expected_digest:
        raise WriteRefused(f"{path}: changed since it was read; not written (run the fix again)")
    source = decode(path, current)
    return current, source.encode(new_text)


def atomic_write(
    path: Path,
    data: bytes,
    *,
    new_mode: int = 0o644,
    before_rename: Callable[[Path], None] | None = None,
) -> None:
    """Replace (or create) ``path`` with ``data`` atomically, keeping an existing file's mode.

    Manifests keep their mode and owner; a new file gets ``new_mode`` (0o644
    for a report or a baseline, 0o600 for the user's own caches).
    ``before_rename`` exists for the crash test: it runs after the temporary
    file is complete and before it replaces the original.
    """
    target = path.resolve()
    try:
        info: os.stat_result | None = target.stat()
    except FileNotFoundError:
        info = None
    handle, temporary_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".pinaudit", dir=target.parent
    )
    temporary = Path(temporary_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(stat.S_IMODE(info.st_mode) if info is not None else new_mode)
        if info is not None:
            with contextlib.suppress(PermissionError, AttributeError):
                os.chown(temporary, info.st_uid, info.st_gid)
        if before_rename is not None:
            before_rename(temporary)
        temporary.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
