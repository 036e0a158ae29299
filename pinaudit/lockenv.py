"""Environments of project manifests and their lockfiles.

A pyproject.toml and the lockfile beside it describe one installation: the
lock's versions are what gets installed (so they are what rules check), the
pyproject entries are where a fix goes.  Pre-commit passes only the files that
changed, so a manifest's partner is looked up on disk, not only among the
files given.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import tomli

from pinaudit.environments import ManifestLoader
from pinaudit.model import Environment, Manifest, ManifestKind

_DRIVER_NAMES = {"pyproject.toml": ManifestKind.PYPROJECT, "Pipfile": ManifestKind.PIPFILE}
_LOCKS_FOR: dict[ManifestKind, tuple[tuple[str, ManifestKind], ...]] = {
    ManifestKind.PYPROJECT: (
        ("uv.lock", ManifestKind.UV_LOCK),
        ("poetry.lock", ManifestKind.POETRY_LOCK),
        ("pdm.lock", ManifestKind.PDM_LOCK),
        ("pylock.toml", ManifestKind.PYLOCK),
    ),
    ManifestKind.PIPFILE: (("Pipfile.lock", ManifestKind.PIPFILE_LOCK),),
}
_DRIVER_OF_LOCK = {
    lock_kind: driver_kind for driver_kind, locks in _LOCKS_FOR.items() for _, lock_kind in locks
}
_DRIVER_FILE = {kind: name for name, kind in _DRIVER_NAMES.items()}
_WORKSPACE_DEPTH = 8


def _uv_workspace(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``[tool.uv.workspace]`` members and exclude globs of the pyproject in ``root``."""
    try:
        document = tomli.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError):
        return (), ()  # the pyproject's own parse reports what is wrong with it
    tool = document.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    workspace = uv.get("workspace") if isinstance(uv, dict) else None
    if not isinstance(workspace, dict):
        return (), ()
    members = workspace.get("members", [])
    exclude = workspace.get("exclude", [])
    return (
        tuple(m for m in members if isinstance(m, str)) if isinstance(members, list) else (),
        tuple(e for e in exclude if isinstance(e, str)) if isinstance(exclude, list) else (),
    )


def _in_workspace(member: Path, root: Path) -> bool:
    members, exclude = _uv_workspace(root)
    relative = member.relative_to(root).as_posix()
    return any(fnmatch.fnmatchcase(relative, glob.rstrip("/")) for glob in members) and not any(
        fnmatch.fnmatchcase(relative, glob.rstrip("/")) for glob in exclude
    )


@lru_cache(maxsize=256)
def _workspace_root(folder: Path) -> Path:
    """The uv workspace a project folder belongs to, or the folder itself.

    uv keeps one uv.lock at the workspace root for every member, so a member's
    pyproject.toml belongs to the root's environment, not to one of its own.
    """
    if (folder / "uv.lock").is_file():
        return folder
    for parent in list(folder.parents)[:_WORKSPACE_DEPTH]:
        if (parent / "uv.lock").is_file() and (parent / "pyproject.toml").is_file():
            if _in_workspace(folder, parent):
                return parent
            break
    return folder


def _workspace_members(root: Path) -> list[Path]:
    members, exclude = _uv_workspace(root)
    found: list[Path] = []
    for glob in members:
        try:
            candidates = sorted(root.glob(glob.rstrip("/")))
        except (ValueError, NotImplementedError, IndexError, OSError):
            # Empty or absolute (the pyproject's parse reports those), "." (the
            # root, a member anyway) or a name the OS refuses.
            continue
        for candidate in candidates:
            pyproject = candidate / "pyproject.toml"
            if pyproject.is_file() and candidate.absolute() != root.absolute():
                relative = candidate.relative_to(root).as_posix()
                if not any(fnmatch.fnmatchcase(relative, e.rstrip("/")) for e in exclude):
                    found.append(pyproject)
    return found


def _group_key(path: Path, kind: ManifestKind) -> tuple[Path, ManifestKind] | None:
    """The (folder, driver kind) an environment is anchored at, for any member file."""
    if kind is ManifestKind.PYPROJECT:
        return _workspace_root(path.parent), kind
    if kind in _LOCKS_FOR:
        return path.parent, kind
    driver = _DRIVER_OF_LOCK.get(kind)
    if driver is None:
        return None
    return path.parent, driver


def _members(
    folder: Path, driver_kind: ManifestKind, given: Sequence[tuple[Path, ManifestKind]]
) -> list[tuple[Path, ManifestKind]]:
    members: list[tuple[Path, ManifestKind]] = []
    driver_path = folder / _DRIVER_FILE[driver_kind]
    if driver_path.is_file():
        members.append((driver_path, driver_kind))
    for name, lock_kind in _LOCKS_FOR[driver_kind]:
        lock_path = folder / name
        if lock_path.is_file():
            members.append((lock_path, lock_kind))
    if driver_kind is ManifestKind.PYPROJECT:
        for extra in sorted(folder.glob("pylock.*.toml")):
            members.append((extra, ManifestKind.PYLOCK))
        if (folder / "uv.lock").is_file():
            members.extend(
                (member, ManifestKind.PYPROJECT) for member in _workspace_members(folder)
            )
    for path, kind in given:
        if (
            path.parent == folder
            and (path, kind) not in members
            and _group_key(path, kind) == (folder, driver_kind)
        ):
            members.append((path, kind))
    return members


def build_lock_environments(
    files: Sequence[tuple[Path, ManifestKind]], loader: ManifestLoader
) -> list[Environment]:
    # Absolute paths, so a workspace root reached from a member and named directly
    # is one folder, not two.
    relative = any(not path.is_absolute() for path, _ in files)
    files = [(path.absolute(), kind) for path, kind in files]
    groups: dict[tuple[Path, ManifestKind], None] = {}
    for path, kind in files:
        key = _group_key(path, kind)
        if key is not None:
            groups.setdefault(key, None)
    environments: list[Environment] = []
    for folder, driver_kind in groups:
        members = _members(folder, driver_kind, files)
        manifests: list[Manifest] = [
            loader.load(_as_given(path, relative), kind) for path, kind in members
        ]
        if not manifests:
            continue
        drivers = tuple(m for m in manifests if not m.kind.is_lock)
        has_lock = any(m.kind.is_lock for m in manifests)
        root = manifests[0].path
        environments.append(
            Environment(
                name=str(root),
                root=root,
                manifests=tuple(manifests),
                dependencies=tuple(dep for m in manifests for dep in m.dependencies),
                problems=tuple(p for m in manifests for p in m.problems),
                drivers=drivers if has_lock else (),
            )
        )
    return environments


def _as_given(path: Path, relative: bool) -> Path:
    """Back to a path relative to the working folder when the user gave relative ones,
    so messages name files the way the user typed them."""
    if not relative:
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path
