"""Real-world proof: every TOML/JSON manifest and lockfile in the shared corpus.

The corpus (``/work/shared/corpus``, outside the project, never copied in)
holds files from public repositories (``real/``) and the test data of peer
tools (``peer/poetry``, ``peer/uv``, ``peer/pdm``).  Each file of a format this
package reads must parse without a Problem, except the few that are malformed
on purpose (listed with the reason in ``EXPECTED_PROBLEMS``); every lockfile
must yield one Dependency per package entry, counted independently with
tomli/json; and every location must hold the characters it claims.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pinaudit.model import Dependency, Manifest, ManifestKind, Role
from pinaudit.poetry_constraints import PoetryConstraintError, to_specifier
from pinaudit.sources.registry import parse
from pinaudit.textfile import read_source

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"

FORMATS = {
    "pyproject": ManifestKind.PYPROJECT,
    "poetry-lock": ManifestKind.POETRY_LOCK,
    "uv-lock": ManifestKind.UV_LOCK,
    "pylock": ManifestKind.PYLOCK,
    "pdm-lock": ManifestKind.PDM_LOCK,
    "pipfile": ManifestKind.PIPFILE,
    "pipfile-lock": ManifestKind.PIPFILE_LOCK,
}
PEER_FOLDERS = ("poetry/", "uv/", "pdm/")

#: Files that are malformed on purpose, and the one Problem each must give.
EXPECTED_PROBLEMS = {
    # Poetry's own test of a lockfile that is not TOML ("[[package]" never closes).
    "peer/poetry/tests/fixtures/invalid_lock/poetry.lock": "invalid-toml",
    # Poetry's own test of a lock from a future Poetry: lock-version = "999.0".
    "peer/poetry/tests/fixtures/incompatible_lock/poetry.lock": "unsupported-lock-version",
}


def corpus_files() -> Iterator[tuple[str, ManifestKind]]:
    for root in ("real", "peer"):
        listing = CORPUS / root / "SOURCES.tsv"
        if not listing.is_file():
            continue
        for line in listing.read_text(encoding="utf-8").splitlines()[1:]:
            columns = line.split("\t")
            if len(columns) < 5 or columns[4] not in FORMATS:
                continue
            if root == "peer" and not columns[0].startswith(PEER_FOLDERS):
                continue
            yield f"{root}/{columns[0]}", FORMATS[columns[4]]


CASES = sorted(corpus_files()) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(
    not CASES,
    reason=f"the shared corpus is not available at {CORPUS} (it lives outside the project)",
)


def parsed(relative: str, kind: ManifestKind) -> tuple[str, Manifest]:
    source = read_source(CORPUS / relative)
    return source.text, parse(source, kind)


def lock_entries(text: str, kind: ManifestKind) -> list[dict[str, Any]]:
    """The package entries of a lockfile, read independently of the parsers."""
    if kind is ManifestKind.PIPFILE_LOCK:
        data = json.loads(text)
        return [
            entry
            for section, entries in data.items()
            if section != "_meta"
            for entry in entries.values()
        ]
    data = tomli.loads(text)
    return list(data.get("packages" if kind is ManifestKind.PYLOCK else "package", []))


def test_the_corpus_has_every_format() -> None:
    assert {kind for _, kind in CASES} == set(FORMATS.values())


@pytest.mark.parametrize(("relative", "kind"), CASES, ids=[case[0] for case in CASES])
def test_corpus_file_parses_cleanly(relative: str, kind: ManifestKind) -> None:
    text, manifest = parsed(relative, kind)
    expected = EXPECTED_PROBLEMS.get(relative)
    if expected is not None:
        assert [problem.code for problem in manifest.problems] == [expected]
        assert manifest.problems[0].line is not None
        return
    assert [problem.describe() for problem in manifest.problems] == []
    if kind.is_lock:
        entries = lock_entries(text, kind)
        assert len(manifest.dependencies) == len(entries)
        check_lock_locations(text, kind, manifest.dependencies, entries)
    else:
        check_declared_locations(text, manifest.dependencies)


def check_lock_locations(
    text: str,
    kind: ManifestKind,
    dependencies: tuple[Dependency, ...],
    entries: list[dict[str, Any]],
) -> None:
    for dependency, entry in zip(dependencies, entries, strict=True):
        assert dependency.role is Role.LOCK
        assert dependency.raw_name == entry.get("name", dependency.raw_name)
        written = entry.get("version")
        if written is None:
            assert dependency.version_span is None and dependency.pinned is None
            continue
        if kind is ManifestKind.PIPFILE_LOCK:
            written = written.lstrip("=")
        assert dependency.version_span is not None
        assert text[dependency.version_span.start : dependency.version_span.end] == written
        assert dependency.span.start <= dependency.version_span.start
        assert dependency.version_span.end <= dependency.span.end


def check_declared_locations(text: str, dependencies: tuple[Dependency, ...]) -> None:
    for dependency in dependencies:
        assert dependency.role in (Role.REQUIRE, Role.CONSTRAIN)
        written_entry = text[dependency.span.start : dependency.span.end]
        if not written_entry.startswith("{"):  # one of a Poetry list of constraints: no name
            assert dependency.raw_name in written_entry, (dependency.raw_name, written_entry)
        if dependency.version_span is None:
            continue
        written = text[dependency.version_span.start : dependency.version_span.end]
        assert specifier_of(written) == dependency.specifier, (dependency.raw_name, written)


def specifier_of(written: str) -> SpecifierSet:
    """The specifier a version text means, in whichever syntax it is written."""
    stripped = written.strip()
    if stripped in ("", "*"):
        return SpecifierSet()
    try:
        return SpecifierSet(stripped)
    except InvalidSpecifier:
        pass
    try:
        return to_specifier(stripped)  # Poetry
    except PoetryConstraintError:
        return SpecifierSet(f"=={stripped}")  # pipenv / PDM: a bare version is exact
