"""Shared test helpers: the repository root and the optional shared corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"


def shared_path(*parts: str) -> Path:
    """A path in ../shared, or skip: a user's clone has no shared corpus."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus is only beside the project's own clone)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the suite's caches (compiled rules, advisory index) out of the user's cache folder.

    Every ``check`` reads and may write the rule cache; subprocesses inherit
    the variable too.  Tests about the cache folder itself set their own.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PINAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("pinaudit-cache")))
        patch.delenv("PINAUDIT_NO_CACHE", raising=False)
        yield
