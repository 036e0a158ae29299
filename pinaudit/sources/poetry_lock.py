"""poetry.lock: the versions Poetry resolved, and what each of them requires.

Read: every ``[[package]]`` (name, version; ``markers`` as a string or, since
lock 2.1, per group; ``groups`` or the older ``category``; ``[package.source]``
of type git, url, file, directory or legacy; the hashes of ``files`` or, before
lock 2.0, of ``[metadata.files]`` / ``[metadata.hashes]``).  Lock formats:
without ``lock-version`` (Poetry before 1.1), 1.0, 1.1, 2.0 and 2.1; a newer
major version is a Problem and its entries are not read.

Each package becomes a ``Role.LOCK`` Dependency: ``pinned`` is the locked
version, ``specifier`` ``==version``, ``span`` the whole ``[[package]]`` table
(sub-tables included), ``version_span`` the characters of the version string.
Packages from git, a URL, a file or a directory carry ``url`` (and
``editable`` for ``develop = true``): their version is not an index release.
A legacy (private index) source is still an index release, so ``url`` stays
None.

:func:`locked_dependencies` gives, per locked package, what it declares
(``[package.dependencies]`` and ``[package.extras]``), with Poetry constraints
translated to specifier sets, for the fix engine's resolver check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier

from pinaudit.locator import TomlMap
from pinaudit.model import Dependency, Manifest, ManifestKind
from pinaudit.poetry_constraints import (
    PoetryConstraintError,
    parse_poetry_constraint,
    to_specifier,
)
from pinaudit.sources.registry import (
    DeclaredRequirement,
    FileContext,
    LockedPackage,
    and_markers,
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
KNOWN_LOCK_VERSION = (2, 1)
_MAIN = "main"


def _source_url(source: object) -> tuple[str | None, bool]:
    """(url, editable) of a non-index source; (None, False) for an index."""
    if not isinstance(source, dict):
        return None, False
    kind = source.get("type")
    url = source.get("url")
    if not isinstance(url, str):
        return None, False
    if kind == "git":
        reference = source.get("resolved_reference") or source.get("reference")
        text = f"git+{url}"
        if isinstance(reference, str) and reference:
            text += f"@{reference}"
        subdirectory = source.get("subdirectory")
        if isinstance(subdirectory, str) and subdirectory:
            text += f"#subdirectory={subdirectory}"
        return text, False
    if kind in ("url", "file", "directory"):
        return url, False
    return None, False  # "legacy" and other indexes: a normal release


def _group(package: Mapping[str, Any]) -> str | None:
    groups = package.get("groups")
    if isinstance(groups, list) and groups:
        if _MAIN in groups:
            return None
        return f"group:{normalize(str(groups[0]))}"
    category = package.get("category")
    if isinstance(category, str) and category != _MAIN:
        return f"group:{normalize(category)}"
    return None


def _marker_text(package: Mapping[str, Any]) -> str | None:
    """The condition under which the package is installed at all."""
    markers = package.get("markers")
    if isinstance(markers, str):
        return markers
    if isinstance(markers, dict):
        # Lock 2.1: one marker per group.  Unconditional in any group without one.
        groups = package.get("groups")
        names = groups if isinstance(groups, list) and groups else list(markers)
        texts = [markers.get(name) if isinstance(name, str) else None for name in names]
        if not texts or any(not isinstance(text, str) for text in texts):
            return None
        unique = list(dict.fromkeys(texts))
        if len(unique) == 1:
            return str(unique[0])
        return " or ".join(f"({text})" for text in unique)
    return None


def _hashes_by_name(metadata: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Hashes kept in ``[metadata]`` by locks before format 2.0."""
    result: dict[str, tuple[str, ...]] = {}
    files = metadata.get("files")
    if isinstance(files, dict):
        for name, entries in files.items():
            if isinstance(entries, list):
                result[normalize(name)] = tuple(
                    str(entry["hash"])
                    for entry in entries
                    if isinstance(entry, dict) and isinstance(entry.get("hash"), str)
                )
    hashes = metadata.get("hashes")
    if isinstance(hashes, dict):
        for name, entries in hashes.items():
            if isinstance(entries, list):
                result[normalize(name)] = tuple(
                    value if ":" in value else f"sha256:{value}"
                    for value in entries
                    if isinstance(value, str)
                )
    return result


def _read(source: SourceText) -> tuple[FileContext, dict[str, Any], TomlMap] | Manifest:
    return read_lock(source, ManifestKind.POETRY_LOCK, "poetry", "lock-version", KNOWN_LOCK_VERSION)


def parse_poetry_lock(source: SourceText) -> Manifest:
    """Every locked package of a poetry.lock, located; never raises."""
    read = _read(source)
    if isinstance(read, Manifest):
        return read
    context, data, located = read
    dependencies: list[Dependency] = []
    metadata = data.get("metadata")
    legacy_hashes = _hashes_by_name(metadata) if isinstance(metadata, dict) else {}
    marker_of = context.marker
    for item in lock_entries(context, data, located, "package"):
        package, entry_start, raw_name = item.table, item.start, item.raw_name
        readable, version = item.locked_version(context, required=True)
        if not readable or version is None:
            continue
        name = normalize(raw_name)
        marker_text = _marker_text(package)
        marker = marker_of(marker_text, entry_start) if marker_text else None
        url, editable = _source_url(package.get("source"))
        if url is not None and package.get("develop") is True:
            editable = True
        hashes = file_hashes(package.get("files"))
        if hashes is None:
            hashes = legacy_hashes.get(name, ())
        dependencies.append(
            item.dependency(
                context,
                version,
                url=url,
                editable=editable,
                hashes=hashes,
                marker=marker,
                group=_group(package),
            )
        )
    python = metadata.get("python-versions") if isinstance(metadata, dict) else None
    return context.manifest(
        source,
        ManifestKind.POETRY_LOCK,
        dependencies,
        generated_by="poetry",
        requires_python=python,
    )


# ---------------------------------------------------------------------------
# What each locked package requires.


def _declared(name: str, spec: object) -> list[DeclaredRequirement]:
    """One ``[package.dependencies]`` entry (a constraint, a table or a list)."""
    if isinstance(spec, list):
        return [item for part in spec for item in _declared(name, part)]
    constraint = "*"
    marker_text: str | None = None
    extras: frozenset[str] = frozenset()
    url: str | None = None
    if isinstance(spec, str):
        constraint = spec
    elif isinstance(spec, dict):
        if isinstance(spec.get("version"), str):
            constraint = spec["version"]
        python = spec.get("python")
        python_marker = None
        if isinstance(python, str):
            alternatives = parse_poetry_constraint(python)
            clauses = [
                " and ".join(f'python_full_version {s.operator} "{s.version}"' for s in alternative)
                for alternative in alternatives
            ]
            if all(clauses):
                python_marker = " or ".join(f"({clause})" for clause in clauses)
        markers = spec.get("markers")
        marker_text = and_markers(markers if isinstance(markers, str) else None, python_marker)
        if isinstance(spec.get("extras"), list):
            extras = frozenset(normalize(str(extra)) for extra in spec["extras"])
        for key in ("git", "url", "path", "file"):
            if isinstance(spec.get(key), str):
                url = str(spec[key])
    else:
        return []
    return [
        DeclaredRequirement(
            name=normalize(name),
            constraint=constraint,
            specifier=to_specifier(constraint),
            alternatives=parse_poetry_constraint(constraint),
            marker=optional_marker(marker_text),
            extras=extras,
            url=url,
        )
    ]


def locked_dependencies(source: SourceText) -> tuple[LockedPackage, ...]:
    """Per locked package, what it declares: always-required dependencies (the
    non-optional ``[package.dependencies]``) and, per extra, the requirements
    that extra adds.  Constraints Poetry cannot spell in PEP 440 keep their
    text; entries that do not parse are left out (``parse_poetry_lock``
    reports the file's problems)."""
    result: list[LockedPackage] = []
    for package, version in resolver_packages(_read(source)):
        requires: list[DeclaredRequirement] = []
        declared = package.get("dependencies")
        if isinstance(declared, dict):
            for name, spec in declared.items():
                if isinstance(spec, dict) and spec.get("optional") is True:
                    continue
                try:
                    requires += _declared(name, spec)
                except (PoetryConstraintError, InvalidSpecifier):
                    continue
        extras: dict[str, tuple[DeclaredRequirement, ...]] = {}
        raw_extras = package.get("extras")
        if isinstance(raw_extras, dict):
            for extra, items in raw_extras.items():
                if isinstance(items, list):
                    parsed = [declared_from_pep508(str(item)) for item in items]
                    extras[normalize(extra)] = tuple(item for item in parsed if item is not None)
        marker = optional_marker(_marker_text(package))
        result.append(
            LockedPackage(
                name=normalize(package["name"]),
                version=version,
                marker=marker,
                dependencies=tuple(requires),
                extras=extras,
                source_url=_source_url(package.get("source"))[0],
            )
        )
    return tuple(result)
