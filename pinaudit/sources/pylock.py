"""pylock.toml and pylock.<name>.toml (PEP 751), the standard lock format.

Read: ``lock-version`` (1.0 known; a newer minor is read and reported, a newer
major is reported and not read) and every ``[[packages]]``: ``name``,
``version``, ``marker``, ``requires-python``, ``index`` and the artifact
tables: ``wheels``/``sdist`` (index releases), ``vcs``, ``directory``,
``archive`` (direct references, whose ``url`` the Dependency carries;
``directory.editable`` sets ``editable``).  A direct reference may have no
version (PEP 751 forbids one when it cannot be guaranteed); an index release
without one is a Problem.  Hashes of every artifact are kept as
``algorithm:value``.  The package's ``marker`` (which also carries PEP 751's
``extras`` / ``dependency_groups`` conditions) becomes the Dependency's marker.

Validation: after reading, the whole document goes through
``packaging.pylock.Pylock.from_dict``, which checks the format as PEP 751
states it (required keys, types, one kind of source, wheel and sdist names
consistent with the package); its first error becomes a Problem located at the
package it names.  It stops at the first error, so the entries are read by
this module regardless, and a format error never hides the versions.  It
costs about as much again as reading (on 600 generated packages: tomli 34 ms,
reading 52 ms, reading and validating 91 ms; ``tests/test_sources_speed.py``),
two fifths of it parsing wheel file names; ``validate=False`` skips it.  Files
of a newer minor ``lock-version`` are not validated: packaging only knows 1.0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

from pinaudit.compiled import read_compile_header
from pinaudit.locator import TomlMap
from pinaudit.model import Dependency, Manifest, ManifestKind
from pinaudit.sources.registry import (
    FileContext,
    lock_entries,
    lock_version_problem,
    open_toml,
)
from pinaudit.textfile import SourceText

#: The newest lock format this module (and packaging) knows.
KNOWN_LOCK_VERSION = (1, 0)
_CONTEXT_PACKAGE = re.compile(r"^packages\[(\d+)\]")


def _hashes_of(artifact: object) -> list[str]:
    if not isinstance(artifact, dict) or not isinstance(artifact.get("hashes"), dict):
        return []
    return [f"{algorithm}:{value}" for algorithm, value in artifact["hashes"].items()]


def _direct(package: Mapping[str, Any]) -> tuple[str | None, bool, bool]:
    """(url, editable, is_direct) of a package's source."""
    vcs = package.get("vcs")
    if isinstance(vcs, dict):
        where = vcs.get("url") or vcs.get("path")
        url = f"{vcs.get('type', 'git')}+{where}"
        commit = vcs.get("commit-id") or vcs.get("requested-revision")
        if isinstance(commit, str):
            url += f"@{commit}"
        if isinstance(vcs.get("subdirectory"), str):
            url += f"#subdirectory={vcs['subdirectory']}"
        return url, False, True
    directory = package.get("directory")
    if isinstance(directory, dict):
        return str(directory.get("path")), directory.get("editable") is True, True
    archive = package.get("archive")
    if isinstance(archive, dict):
        return str(archive.get("url") or archive.get("path")), False, True
    return None, False, False


def _validate(context: FileContext, data: dict[str, Any], located: TomlMap) -> None:
    try:
        Pylock.from_dict(data)
    except PylockUnsupportedVersionError:
        return  # reported by the version check
    except PylockValidationError as error:
        offset = None
        if error.context:
            found = _CONTEXT_PACKAGE.match(error.context)
            node = located.get("packages", int(found.group(1))) if found else None
            if node is None:
                node = located.get(error.context.split(".")[0].split("[")[0])
            offset = node.start if node is not None else None
        context.problem(f"not a valid PEP 751 lock: {error}", offset, "invalid-pylock")
    except (TypeError, ValueError, AttributeError, KeyError, RecursionError) as error:
        # packaging's checks assume the types they check first; be safe.
        context.problem(f"not a valid PEP 751 lock: {error}", None, "invalid-pylock")


def parse_pylock(source: SourceText, *, validate: bool = True) -> Manifest:
    """Every locked package of a PEP 751 lock, located; never raises."""
    opened = open_toml(source, ManifestKind.PYLOCK, "pylock", {"packages": "version"})
    if isinstance(opened, Manifest):
        return opened
    context, data, located = opened
    lock_version = data.get("lock-version")
    node = located.get("lock-version")
    if not isinstance(lock_version, str):
        context.problem("pylock has no 'lock-version'", None, "unsupported-lock-version")
        return context.manifest(source, ManifestKind.PYLOCK, [], generated_by="pylock")
    if not lock_version_problem(
        context,
        lock_version,
        KNOWN_LOCK_VERSION,
        node.start if node is not None else None,
        "pylock",
    ):
        return context.manifest(source, ManifestKind.PYLOCK, [], generated_by="pylock")
    dependencies: list[Dependency] = []
    for item in lock_entries(context, data, located, "packages"):
        package = item.table
        url, editable, direct = _direct(package)
        readable, version = item.locked_version(context, required=not direct)
        if not readable:
            continue
        hashes = _hashes_of(package.get("sdist")) + _hashes_of(package.get("archive"))
        wheels = package.get("wheels")
        if isinstance(wheels, list):
            for wheel in wheels:
                hashes += _hashes_of(wheel)
        marker_text = package.get("marker")
        dependencies.append(
            item.dependency(
                context,
                version,
                url=url,
                editable=editable,
                hashes=tuple(hashes),
                marker=context.marker(marker_text, item.start)
                if isinstance(marker_text, str) and marker_text
                else None,
            )
        )
    if validate and lock_version.strip() in ("1", "1.0"):
        _validate(context, data, located)
    header = read_compile_header(source.text, source.path)
    compiled = header.command if header.tool == "uv" else None
    return context.manifest(
        source,
        ManifestKind.PYLOCK,
        dependencies,
        generated_by="pylock",
        requires_python=data.get("requires-python"),
        compile_command=compiled,
    )
