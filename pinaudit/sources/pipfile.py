"""Pipfile (TOML) and Pipfile.lock (JSON), pipenv's manifest and lock.

Pipfile: ``[packages]`` (group None), ``[dev-packages]`` (``"group:dev"``) and
any other category table pipenv installs with ``--categories``
(``"group:<name>"``).  An entry is ``name = "<version>"`` or a table with
``version``, ``markers``, ``extras``, ``index``, the PEP 508 marker variables
pipenv accepts as keys (``sys_platform = "== 'linux'"``), or a VCS / local
source (``git`` with ``ref``, ``path``, ``file``, ``editable``).  pipenv reads a
version that starts with a digit as ``==``: ``"0.6.2"`` is ``==0.6.2`` and
``"3.*"`` is ``==3.*``; ``"*"`` is any version.  ``version_span`` covers the
version text exactly as written.

Pipfile.lock: every category of the JSON (``default`` -> None, ``develop`` ->
``"group:dev"``, others ``"group:<name>"``), entries with ``"version":
"==1.2.3"`` (``version_span`` covers ``1.2.3``, after the operator),
``markers``, ``extras``, ``hashes``, and ``git``/``ref``, ``path``, ``file``,
``editable`` for entries that are not index releases (those have no version).
``_meta.pipfile-spec`` 6 is known; a newer one is reported and not read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from pinaudit.locator import (
    Located,
    PathKey,
    ValueKind,
    load_json,
    string_map,
    toml_comments,
)
from pinaudit.model import Comment, Dependency, Manifest, ManifestKind, Role
from pinaudit.sources.registry import (
    FileContext,
    and_markers,
    failed,
    lock_version_problem,
    normalize,
    open_toml,
    pinned_of,
)
from pinaudit.textfile import SourceText

_NOT_CATEGORIES = frozenset({"source", "requires", "scripts", "pipenv"})
_MARKER_KEYS = (
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_version",
    "python_full_version",
    "implementation_name",
    "implementation_version",
)
#: The newest Pipfile.lock ``pipfile-spec`` this module knows.
KNOWN_PIPFILE_SPEC = (6,)
_OPERATOR = re.compile(r"\s*(===|==|~=|!=|<=|>=|<|>)\s*")


def _group(category: str) -> str | None:
    if category in ("packages", "default"):
        return None
    if category in ("dev-packages", "develop"):
        return "group:dev"
    return f"group:{normalize(category)}"


def _specifier(text: str) -> SpecifierSet:
    """A Pipfile version as pipenv reads it."""
    text = text.strip()
    if text in ("", "*"):
        return SpecifierSet()
    if text[0].isdigit():
        text = f"=={text}"
    return SpecifierSet(text)


def _url(spec: Mapping[str, Any]) -> tuple[str | None, bool]:
    editable = spec.get("editable") is True
    for vcs in ("git", "hg", "svn", "bzr"):
        if isinstance(spec.get(vcs), str):
            url = f"{vcs}+{spec[vcs]}"
            if isinstance(spec.get("ref"), str):
                url += f"@{spec['ref']}"
            if isinstance(spec.get("subdirectory"), str):
                url += f"#subdirectory={spec['subdirectory']}"
            return url, editable
    for key in ("path", "file"):
        if isinstance(spec.get(key), str):
            return str(spec[key]), editable
    return None, editable


def _markers(spec: Mapping[str, Any]) -> str | None:
    """``markers`` and pipenv's marker-variable keys (``sys_platform = "== 'x'"``)."""
    parts: list[str | None] = [spec["markers"] if isinstance(spec.get("markers"), str) else None]
    for key in _MARKER_KEYS:
        value = spec.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(f"{key} {value.strip()}")
    return and_markers(*parts)


def parse_pipfile(source: SourceText) -> Manifest:
    """Every package a Pipfile declares, located; never raises."""
    opened = open_toml(source, ManifestKind.PIPFILE)
    if isinstance(opened, Manifest):
        return opened
    context, data, located = opened
    text = source.text
    dependencies: list[Dependency] = []
    for category, table in data.items():
        if category in _NOT_CATEGORIES or not isinstance(table, dict):
            continue
        group = _group(category)
        for raw_name, spec in table.items():
            entry = located.get(category, raw_name)
            if entry is None:
                context.problem(f"cannot locate {category}.{raw_name}", None, "locator-error")
                continue
            version_path: PathKey | None = None
            version: str | None = None
            marker_text: str | None = None
            extras: frozenset[str] = frozenset()
            url: str | None = None
            editable = False
            if isinstance(spec, str):
                version, version_path = spec, (category, raw_name)
            elif isinstance(spec, dict):
                if isinstance(spec.get("version"), str):
                    version, version_path = spec["version"], (category, raw_name, "version")
                marker_text = _markers(spec)
                if isinstance(spec.get("extras"), list):
                    extras = frozenset(normalize(str(extra)) for extra in spec["extras"])
                url, editable = _url(spec)
            else:
                context.problem(
                    f"{category}.{raw_name} should be a version or a table", entry.start
                )
                continue
            specifier = SpecifierSet()
            version_offsets = None
            if version is not None and version_path is not None:
                node = located.find(version_path)
                try:
                    specifier = _specifier(version)
                except InvalidSpecifier as error:
                    context.problem(
                        f"{raw_name}: invalid version {version!r}: {error}",
                        node.start if node is not None else entry.start,
                        "invalid-specifier",
                    )
                    continue
                if node is not None and node.is_string:
                    value, offsets, base = string_map(text, node)
                    lead = len(value) - len(value.lstrip())
                    trail = len(value.rstrip())
                    if offsets is None:
                        version_offsets = (base + lead, base + trail)
                    else:
                        version_offsets = (offsets[lead], offsets[trail])
            span, version_span = context.entry_spans(entry.key_start, entry.end, version_offsets)
            written = text[entry.key_start : entry.end]
            if "\n" in written:
                written = f"{raw_name} = {version!r}" if version is not None else raw_name
            dependencies.append(
                Dependency(
                    name=normalize(raw_name),
                    raw_name=raw_name,
                    specifier=specifier,
                    path=source.path,
                    span=span,
                    version_span=version_span,
                    extras=extras,
                    marker=context.marker(marker_text, entry.start) if marker_text else None,
                    url=url,
                    editable=editable,
                    pinned=pinned_of(specifier),
                    role=Role.REQUIRE,
                    group=group,
                    text=written,
                )
            )
    dependencies.sort(key=lambda dep: dep.span.start)
    comments = tuple(
        Comment(context.spans.position(offset)[0], comment)
        for offset, comment in toml_comments(text)
    )
    requires = data.get("requires")
    python = None
    if isinstance(requires, dict):
        python = requires.get("python_full_version") or requires.get("python_version")
    return context.manifest(
        source, ManifestKind.PIPFILE, dependencies, comments=comments, requires_python=python
    )


def _lock_entry(
    context: FileContext,
    source: SourceText,
    category: str,
    raw_name: str,
    spec: Mapping[str, Any],
    where: Mapping[PathKey, Located],
) -> Dependency | None:
    entry = where.get((category, raw_name))
    if entry is None:
        context.problem(f"cannot locate {category}.{raw_name}", None, "locator-error")
        return None
    url, editable = _url(spec)
    version = spec.get("version")
    specifier = SpecifierSet()
    pinned: Version | None = None
    version_offsets = None
    if isinstance(version, str):
        node = where.get((category, raw_name, "version"))
        try:
            specifier = SpecifierSet(version)
        except InvalidSpecifier:
            context.problem(
                f"{raw_name}: invalid version {version!r}",
                node.start if node is not None else entry.start,
                "invalid-version",
            )
            return None
        pinned = pinned_of(specifier)
        if pinned is None and version.strip() not in ("", "*"):
            context.problem(
                f"{raw_name}: locked version {version!r} is not one version",
                node.start if node is not None else entry.start,
                "invalid-version",
            )
        if node is not None and node.kind is ValueKind.JSON_STRING:
            value, offsets, base = string_map(source.text, node)
            operator = _OPERATOR.match(value)
            start = operator.end() if operator is not None else 0
            end = len(value.rstrip())
            if offsets is None:
                version_offsets = (base + start, base + end)
            else:
                version_offsets = (offsets[start], offsets[end])
    elif url is None:
        context.problem(
            f"locked package {raw_name!r} has no version", entry.start, "missing-version"
        )
        return None
    markers = spec.get("markers")
    extras = spec.get("extras")
    hashes = spec.get("hashes")
    span, version_span = context.entry_spans(entry.key_start, entry.end, version_offsets)
    return Dependency(
        name=normalize(raw_name),
        raw_name=raw_name,
        specifier=specifier,
        path=source.path,
        span=span,
        version_span=version_span,
        extras=frozenset(normalize(str(e)) for e in extras)
        if isinstance(extras, list)
        else frozenset(),
        marker=context.marker(markers, entry.start)
        if isinstance(markers, str) and markers
        else None,
        url=url,
        editable=editable,
        pinned=pinned,
        hashes=tuple(str(h) for h in hashes) if isinstance(hashes, list) else (),
        role=Role.LOCK,
        group=_group(category),
        text=f"{raw_name}{version}" if isinstance(version, str) else f"{raw_name} @ {url}",
    )


def parse_pipfile_lock(source: SourceText) -> Manifest:
    """Every locked package of a Pipfile.lock, located; never raises."""
    loaded = load_json(source, depth=3)
    if not isinstance(loaded, tuple):
        return failed(source, ManifestKind.PIPFILE_LOCK, loaded, "pipenv")
    data, where = loaded
    context = FileContext(source)
    if not isinstance(data, dict):
        context.problem("Pipfile.lock should hold a JSON object", 0)
        return context.manifest(source, ManifestKind.PIPFILE_LOCK, [], generated_by="pipenv")
    meta = data.get("_meta")
    spec_version = meta.get("pipfile-spec") if isinstance(meta, dict) else None
    if spec_version is not None:
        node = where.get(("_meta", "pipfile-spec"))
        if not lock_version_problem(
            context,
            str(spec_version),
            KNOWN_PIPFILE_SPEC,
            node.start if node is not None else None,
            "Pipfile.lock pipfile-spec",
        ):
            return context.manifest(source, ManifestKind.PIPFILE_LOCK, [], generated_by="pipenv")
    dependencies: list[Dependency] = []
    for category, entries in data.items():
        if category == "_meta" or not isinstance(entries, dict):
            continue
        for raw_name, spec in entries.items():
            if not isinstance(spec, dict):
                node = where.get((category, raw_name))
                context.problem(
                    f"{category}.{raw_name} should be an object",
                    node.start if node is not None else None,
                )
                continue
            dependency = _lock_entry(context, source, category, raw_name, spec, where)
            if dependency is not None:
                dependencies.append(dependency)
    dependencies.sort(key=lambda dep: dep.span.start)
    return context.manifest(source, ManifestKind.PIPFILE_LOCK, dependencies, generated_by="pipenv")
