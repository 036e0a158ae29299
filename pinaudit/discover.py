"""Find the manifests to check under the paths a user names.

Inside a git work tree, git itself says which files are ignored (so .gitignore,
.git/info/exclude and global excludes all count, exactly as the user sees them);
elsewhere a walk skips version-control folders, virtual environments and build
output.  A file named explicitly is always checked when its name is a known
manifest kind, as pre-commit expects.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pinaudit.model import ManifestKind
from pinaudit.textfile import file_exists, folder_exists

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "__pycache__",
        "node_modules",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        ".eggs",
    }
)

_EXACT_NAMES = {
    "pyproject.toml": ManifestKind.PYPROJECT,
    "poetry.lock": ManifestKind.POETRY_LOCK,
    "uv.lock": ManifestKind.UV_LOCK,
    "pylock.toml": ManifestKind.PYLOCK,
    "Pipfile": ManifestKind.PIPFILE,
    "Pipfile.lock": ManifestKind.PIPFILE_LOCK,
    "pdm.lock": ManifestKind.PDM_LOCK,
}
# The file names pip users give requirements files: requirements*.txt,
# *requirements.txt and constraints*.txt, and the same with .in (pip-compile
# sources), compared in lower case.
_REQUIREMENT_PREFIXES = ("requirements", "constraints")
_REQUIREMENT_SUFFIXES = ("requirements.txt", "requirements.in")
_REQUIREMENT_EXTENSIONS = (".txt", ".in")
_REQUIREMENT_FOLDERS = frozenset({"requirements", "reqs", "constraints"})


def kind_for(path: Path) -> ManifestKind | None:
    """The manifest kind a file name announces, or None for other files."""
    name = path.name
    exact = _EXACT_NAMES.get(name)
    if exact is not None:
        return exact
    if name.startswith("pylock.") and name.endswith(".toml") and name.count(".") == 2:
        return ManifestKind.PYLOCK  # PEP 751: pylock.<name>.toml, the name without dots
    lowered = name.lower()
    if lowered.endswith(_REQUIREMENT_EXTENSIONS) and (
        lowered.startswith(_REQUIREMENT_PREFIXES) or lowered.endswith(_REQUIREMENT_SUFFIXES)
    ):
        return ManifestKind.REQUIREMENTS
    folder = path.absolute().parent.name.lower()
    if lowered.endswith((".txt", ".in")) and folder in _REQUIREMENT_FOLDERS:
        return ManifestKind.REQUIREMENTS
    if lowered.endswith(".in") and file_exists(path.with_suffix(".txt")):
        return ManifestKind.REQUIREMENTS  # a pip-compile source next to its output
    return None


def _git_listing(folder: Path) -> list[Path] | None:
    """Files git does not ignore under ``folder``, or None outside a work tree."""
    try:
        completed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=folder,
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    names = completed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [folder / name for name in names if name]


def _walk(folder: Path) -> Iterator[Path]:
    """Files under ``folder`` outside skipped folders and virtual environments.

    One ``scandir`` per folder and strings until a file's name could be a
    manifest's: a monorepo holds thousands of folders, and a Path or a
    ``stat`` per folder and per file cost more than the walk itself.  The
    directory entries already know what is a file and a folder, except
    through a symbolic link, which is followed for a file (as ``is_file()``)
    and never for a folder (as ``os.walk``).
    """
    top = os.fspath(folder)
    pending = [top]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError:
            continue
        if current != top and any(
            entry.name == "pyvenv.cfg" and entry.is_file() for entry in entries
        ):
            continue  # a virtual environment
        here: Path | None = None
        for entry in sorted(entries, key=lambda entry: entry.name):
            name = entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name not in SKIPPED_DIRS:
                        pending.append(entry.path)
                elif _could_be_manifest(name) and entry.is_file():
                    here = here or Path(current)
                    yield here / name
            except OSError:
                continue


def _could_be_manifest(name: str) -> bool:
    """A cheap superset of the names :func:`kind_for` accepts."""
    return name in _EXACT_NAMES or name.lower().endswith((".txt", ".in", ".toml"))


def _excluded(path: Path, patterns: Sequence[str]) -> bool:
    text = path.as_posix()
    return any(
        fnmatch.fnmatchcase(text, pattern)
        or fnmatch.fnmatchcase(path.name, pattern)
        or any(fnmatch.fnmatchcase(part, pattern) for part in path.parts)
        for pattern in patterns
    )


def discover(paths: Iterable[Path], exclude: Sequence[str] = ()) -> list[tuple[Path, ManifestKind]]:
    """Manifest files under ``paths``, each once, in a stable order."""
    found: dict[Path, ManifestKind] = {}
    for path in paths:
        if file_exists(path):
            kind = kind_for(path)
            if kind is not None and not _excluded(path, exclude):
                found.setdefault(path, kind)
            continue
        if not folder_exists(path):
            continue
        listing = _git_listing(path)
        if listing is not None:
            # git lists tracked files that may be gone and knows no skipped folders.
            candidates: Iterable[Path] = (
                candidate
                for candidate in listing
                if not any(part in SKIPPED_DIRS for part in candidate.relative_to(path).parts[:-1])
                and candidate.is_file()
            )
        else:
            candidates = _walk(path)
        for candidate in candidates:
            kind = kind_for(candidate)
            if kind is None or _excluded(candidate, exclude):
                continue
            found.setdefault(candidate, kind)
    return sorted(found.items(), key=lambda item: str(item[0]))
