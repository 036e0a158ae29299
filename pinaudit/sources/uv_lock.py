"""uv.lock: the versions uv resolved for a project or workspace.

Read: ``version = 1`` with its ``revision`` (revisions up to 3 known; a newer
revision is read and reported, a newer version is reported and not read), and
every ``[[package]]``: name, version, ``source``, ``resolution-markers``, the
hashes of ``sdist`` and ``wheels``.

A package locked at several versions for different environments appears once
per version; each is its own Dependency whose ``marker`` is the union of the
package's ``resolution-markers`` (the forks it belongs to), so the engine
checks each version only where it is installed.

Workspace members (``[manifest] members``) and other local packages are the
project's own code, not third-party pins: they are kept, flagged by their
source: ``editable`` = ``editable = True`` with ``url`` = the path; ``virtual``
(never installed) and ``path``/``directory`` = ``url`` = the path; ``git`` and
``url`` sources carry their URL.  Local packages with a dynamic version have
no ``version`` in the lock; they are read without ``pinned`` and without a
Problem.  An index package without a version is a Problem.

:func:`locked_dependencies` gives, per locked package, the edges uv recorded
(``dependencies``, ``optional-dependencies``, ``dev-dependencies``).  uv keeps
version specifiers only for local packages (``[package.metadata]
requires-dist`` / ``requires-dev``), which are used there; for index packages
an edge names its target (and its version when several are locked) but not
the range the package asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.markers import Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit.locator import load_toml
from pinaudit.model import Dependency, Manifest, ManifestKind
from pinaudit.sources.registry import (
    DeclaredRequirement,
    LockedPackage,
    declared_requirement,
    lock_entries,
    lock_version_problem,
    normalize,
    open_toml,
    optional_marker,
)
from pinaudit.textfile import SourceText

#: Newest (version, revision) this module knows.
KNOWN_LOCK_VERSION = (1, 3)
_LOCAL = ("editable", "virtual", "directory", "path")


def _source(source: object) -> tuple[str | None, bool, bool]:
    """(url, editable, local) of a package's ``source`` table."""
    if not isinstance(source, dict):
        return None, False, False
    if "registry" in source:
        return None, False, False
    for key in _LOCAL:
        value = source.get(key)
        if isinstance(value, str):
            return value, key == "editable", True
    git = source.get("git")
    if isinstance(git, str):
        return f"git+{git}", False, False
    url = source.get("url")
    if isinstance(url, str):
        return url, False, False
    return None, False, False


def _hashes(package: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    sdist = package.get("sdist")
    if isinstance(sdist, dict) and isinstance(sdist.get("hash"), str):
        found.append(sdist["hash"])
    wheels = package.get("wheels")
    if isinstance(wheels, list):
        found.extend(
            wheel["hash"]
            for wheel in wheels
            if isinstance(wheel, dict) and isinstance(wheel.get("hash"), str)
        )
    return tuple(found)


def parse_uv_lock(source: SourceText) -> Manifest:
    """Every locked package of a uv.lock, located; never raises."""
    opened = open_toml(source, ManifestKind.UV_LOCK, "uv", {"package": "version"})
    if isinstance(opened, Manifest):
        return opened
    context, data, located = opened
    version_node = located.get("version")
    format_version = data.get("version")
    if not isinstance(format_version, int) or isinstance(format_version, bool):
        context.problem("uv.lock has no integer 'version'", None, "unsupported-lock-version")
        return context.manifest(source, ManifestKind.UV_LOCK, [], generated_by="uv")
    revision = data.get("revision", 0)
    found = f"{format_version}.{revision if isinstance(revision, int) else 0}"
    offset = version_node.start if version_node is not None else None
    if not lock_version_problem(context, found, KNOWN_LOCK_VERSION, offset, "uv.lock"):
        return context.manifest(source, ManifestKind.UV_LOCK, [], generated_by="uv")
    dependencies: list[Dependency] = []
    marker_of = context.marker
    for item in lock_entries(context, data, located, "package"):
        package, entry_start = item.table, item.start
        url, editable, local = _source(package.get("source"))
        readable, version = item.locked_version(context, required=not local)
        if not readable:
            continue
        marker: Marker | None = None
        forks = package.get("resolution-markers")
        if isinstance(forks, list) and forks:
            parsed = [marker_of(text, entry_start) for text in forks if isinstance(text, str)]
            if parsed and all(fork is not None for fork in parsed):
                marker = parsed[0]
                for fork in parsed[1:]:
                    marker = marker | fork  # type: ignore[operator]
        dependencies.append(
            item.dependency(
                context, version, url=url, editable=editable, hashes=_hashes(package), marker=marker
            )
        )
    return context.manifest(
        source,
        ManifestKind.UV_LOCK,
        dependencies,
        generated_by="uv",
        requires_python=data.get("requires-python"),
    )


def _edge(edge: object) -> DeclaredRequirement | None:
    """An edge ``{ name, version?, source?, marker?, extra? }``."""
    if not isinstance(edge, dict) or not isinstance(edge.get("name"), str):
        return None
    version = edge.get("version")
    constraint = f"=={version}" if isinstance(version, str) else ""
    try:
        specifier = SpecifierSet(constraint)
    except InvalidSpecifier:
        specifier = SpecifierSet()
    url, _, _ = _source(edge.get("source"))
    return declared_requirement(
        edge["name"], constraint, specifier, edge.get("marker"), edge.get("extra"), url
    )


def _metadata_requirement(entry: object) -> DeclaredRequirement | None:
    """A ``requires-dist`` entry ``{ name, specifier?, marker?, extras?, ... }``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        return None
    constraint = entry.get("specifier")
    constraint = constraint if isinstance(constraint, str) else ""
    try:
        specifier = SpecifierSet(constraint)
    except InvalidSpecifier:
        return None
    url, _, _ = _source(entry)
    return declared_requirement(
        entry["name"], constraint, specifier, entry.get("marker"), entry.get("extras"), url
    )


def _edges(items: object) -> tuple[DeclaredRequirement, ...]:
    if not isinstance(items, list):
        return ()
    parsed = [_edge(item) for item in items]
    return tuple(item for item in parsed if item is not None)


def _by_key(table: object, reader: Any) -> dict[str, tuple[DeclaredRequirement, ...]]:
    if not isinstance(table, dict):
        return {}
    result: dict[str, tuple[DeclaredRequirement, ...]] = {}
    for key, items in table.items():
        if isinstance(items, list):
            parsed = [reader(item) for item in items]
            result[normalize(key)] = tuple(item for item in parsed if item is not None)
    return result


def locked_dependencies(source: SourceText) -> tuple[LockedPackage, ...]:
    """Per locked package (each version of it), what it depends on."""
    loaded = load_toml(source)
    if not isinstance(loaded, tuple):
        return ()
    data, _ = loaded
    if data.get("version") != 1:
        return ()
    packages = data.get("package", [])
    if not isinstance(packages, list):
        return ()
    result: list[LockedPackage] = []
    for package in packages:
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue
        try:
            version = (
                Version(package["version"]) if isinstance(package.get("version"), str) else None
            )
        except InvalidVersion:
            version = None
        metadata = package.get("metadata")
        requires: tuple[DeclaredRequirement, ...] = _edges(package.get("dependencies"))
        groups = _by_key(package.get("dev-dependencies"), _edge)
        if isinstance(metadata, dict) and isinstance(metadata.get("requires-dist"), list):
            parsed = [_metadata_requirement(item) for item in metadata["requires-dist"]]
            requires = tuple(item for item in parsed if item is not None)
        if isinstance(metadata, dict) and isinstance(metadata.get("requires-dev"), dict):
            groups = _by_key(metadata["requires-dev"], _metadata_requirement)
        forks = package.get("resolution-markers")
        marker = None
        if isinstance(forks, list) and forks:
            markers = [optional_marker(text) for text in forks]
            if all(item is not None for item in markers):
                marker = markers[0]
                for item in markers[1:]:
                    marker = marker | item  # type: ignore[operator]
        url, _, _ = _source(package.get("source"))
        result.append(
            LockedPackage(
                name=normalize(package["name"]),
                version=version,
                marker=marker,
                dependencies=requires,
                extras=_by_key(package.get("optional-dependencies"), _edge),
                groups=groups,
                source_url=url,
            )
        )
    return tuple(result)
