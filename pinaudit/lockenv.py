"""Environments of project manifests and their lockfiles.

A pyproject.toml and the lockfile beside it describe one installation: the
lock's versions are what gets installed (so they are what rules check), the
pyproject entries are where a fix goes.  Pre-commit passes only the files that
changed, so a manifest's partner is looked up on disk, not only among the
files given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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


def _group_key(path: Path, kind: ManifestKind) -> tuple[Path, ManifestKind] | None:
    """The (folder, driver kind) an environment is anchored at, for any member file."""
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
    groups: dict[tuple[Path, ManifestKind], None] = {}
    for path, kind in files:
        key = _group_key(path, kind)
        if key is not None:
            groups.setdefault(key, None)
    environments: list[Environment] = []
    for folder, driver_kind in groups:
        members = _members(folder, driver_kind, files)
        manifests: list[Manifest] = [loader.load(path, kind) for path, kind in members]
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
