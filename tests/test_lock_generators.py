"""The benchmark's generated locks are what Poetry, uv and pylock writers produce."""

from __future__ import annotations

from pathlib import Path

import tomli

from benchmarks.bench_locks import poetry_lock_text, pylock_text, uv_lock_text
from pinaudit.sources.poetry_lock import parse_poetry_lock
from pinaudit.sources.pylock import parse_pylock
from pinaudit.sources.uv_lock import parse_uv_lock
from pinaudit.textfile import SourceText


def test_generated_locks_are_what_their_tools_write() -> None:
    assert len(tomli.loads(poetry_lock_text(20))["package"]) == 20
    assert len(tomli.loads(uv_lock_text(20))["package"]) == 20
    assert len(tomli.loads(pylock_text(20))["packages"]) == 20


def test_generated_locks_parse_cleanly_with_every_package() -> None:
    for text, parser, name in (
        (poetry_lock_text(50), parse_poetry_lock, "poetry.lock"),
        (uv_lock_text(50), parse_uv_lock, "uv.lock"),
        (pylock_text(50), parse_pylock, "pylock.toml"),
    ):
        manifest = parser(SourceText(Path(name), text, False))
        assert manifest.problems == ()
        assert len(manifest.dependencies) >= 50
