"""pdm.lock: the versions PDM resolved.

Read: ``[metadata] lock_version`` (2, 3.x and 4.x known; a newer minor is read
and reported, a newer major is reported and not read) and every
``[[package]]``: name, version, ``marker``, ``groups`` (4.x) or ``sections``
(older), ``extras``, the local and VCS fields (``editable``, ``path``, ``git``
with ``revision``/``ref``, ``url``), and the hashes of ``files`` or, before 4.0,
of ``[metadata.files]``.

PDM writes a package locked with extras twice: once plain and once with
``extras = [...]``, both at the same version; each entry is its own
Dependency (``extras`` set on the second), so the count of Dependencies equals
the count of ``[[package]]`` entries.

:func:`locked_dependencies` gives each locked package's ``dependencies`` (PEP
508 strings in 4.x, a name -> specifier table before) for the resolver check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pinaudit.locator import TomlMap
from pinaudit.model import Dependency, Manifest, ManifestKind
from pinaudit.sources.registry import (
    DeclaredRequirement,
    FileContext,
    LockedPackage,
    declared_from_pep508,
    file_hashes,
    lock_entries,
    normalize,
    optional_marker,
    read_lock,
    resolver_packages,
)
from pinaudit.textfile import SourceText

#: The newest lock format this module knows.
KNOWN_LOCK_VERSION = (4, 5, 1)
_DEFAULT = "default"


def _source(package: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(url, editable) of a package that does not come from an index."""
    editable = package.get("editable") is True
    git = package.get("git")
    if isinstance(git, str):
        reference = package.get("revision") or package.get("ref")
        url = f"git+{git}" + (f"@{reference}" if isinstance(reference, str) else "")
        subdirectory = package.get("subdirectory")
        if isinstance(subdirectory, str):
            url += f"#subdirectory={subdirectory}"
        return url, editable
    for key in ("path", "url"):
        value = package.get(key)
        if isinstance(value, str):
            return value, editable
    return None, editable


def _group(package: Mapping[str, Any]) -> str | None:
    groups = package.get("groups", package.get("sections"))
    if isinstance(groups, list) and groups and _DEFAULT not in groups:
        return f"group:{normalize(str(groups[0]))}"
    return None


def _read(source: SourceText) -> tuple[FileContext, dict[str, Any], TomlMap] | Manifest:
    return read_lock(source, ManifestKind.PDM_LOCK, "pdm", "lock_version", KNOWN_LOCK_VERSION)


def parse_pdm_lock(source: SourceText) -> Manifest:
    """Every locked package of a pdm.lock, located; never raises."""
    read = _read(source)
    if isinstance(read, Manifest):
        return read
    context, data, located = read
    metadata = data.get("metadata")
    old_files = metadata.get("files") if isinstance(metadata, dict) else None
    if not isinstance(old_files, dict):
        old_files = {}
    dependencies: list[Dependency] = []
    marker_of = context.marker
    for item in lock_entries(context, data, located, "package"):
        package, entry_start, raw_name = item.table, item.start, item.raw_name
        readable, version = item.locked_version(context, required=True)
        if not readable or version is None:
            continue
        version_text = package["version"]
        marker_text = package.get("marker")
        marker = (
            marker_of(marker_text, entry_start)
            if isinstance(marker_text, str) and marker_text
            else None
        )
        url, editable = _source(package)
        hashes = file_hashes(package.get("files"))
        if hashes is None:
            hashes = file_hashes(old_files.get(f"{raw_name} {version_text}")) or ()
        extras = package.get("extras")
        dependencies.append(
            item.dependency(
                context,
                version,
                url=url,
                editable=editable,
                hashes=hashes,
                marker=marker,
                extras=frozenset(normalize(str(e)) for e in extras)
                if isinstance(extras, list)
                else frozenset(),
                group=_group(package),
            )
        )
    metadata = data.get("metadata")
    groups = metadata.get("groups") if isinstance(metadata, dict) else None
    locked_groups = (
        frozenset(normalize(str(group)) for group in groups) if isinstance(groups, list) else None
    )
    return context.manifest(
        source,
        ManifestKind.PDM_LOCK,
        dependencies,
        generated_by="pdm",
        requires_python=metadata.get("requires_python") if isinstance(metadata, dict) else None,
        locked_groups=locked_groups,
    )


def _from_table(name: str, spec: object) -> DeclaredRequirement | None:
    """Lock formats before 4.0: ``name = "specifier"`` or ``{version, marker}``."""
    constraint = ""
    marker = None
    if isinstance(spec, str):
        constraint = spec
    elif isinstance(spec, dict):
        constraint = str(spec.get("version", ""))
        marker = optional_marker(spec.get("marker"))
    constraint = "" if constraint == "*" else constraint
    try:
        specifier = SpecifierSet(constraint)
    except InvalidSpecifier:
        return None
    return DeclaredRequirement(
        name=normalize(name),
        constraint=constraint,
        specifier=specifier,
        alternatives=(specifier,),
        marker=marker,
    )


def locked_dependencies(source: SourceText) -> tuple[LockedPackage, ...]:
    """Per locked package, the requirements it declares."""
    result: list[LockedPackage] = []
    for package, version in resolver_packages(_read(source)):
        declared = package.get("dependencies")
        requires: list[DeclaredRequirement | None] = []
        if isinstance(declared, list):
            requires = [declared_from_pep508(str(item)) for item in declared]
        elif isinstance(declared, dict):
            requires = [_from_table(name, spec) for name, spec in declared.items()]
        result.append(
            LockedPackage(
                name=normalize(package["name"]),
                version=version,
                marker=optional_marker(package.get("marker")),
                dependencies=tuple(item for item in requires if item is not None),
                source_url=_source(package)[0],
            )
        )
    return tuple(result)
