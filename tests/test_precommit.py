"""The pre-commit hooks: the manifest file itself, and a real ``pre-commit try-repo`` run.

The end-to-end test builds the hook's virtualenv with pip from the configured
index, as a user's first commit would (about half a minute per run), so it is
marked ``slow``: deselect it with ``-m "not slow"``.  It is skipped when git,
pre-commit or the package index is not available.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pinaudit.discover import kind_for
from tests.test_cli import SEED

REPO = Path(__file__).parents[1]
HOOKS = REPO / ".pre-commit-hooks.yaml"
GIT_IDENTITY = ["-c", "user.name=pinaudit tests", "-c", "user.email=tests@pinaudit.invalid"]

MANIFEST_NAMES = [
    "requirements.txt",
    "requirements-dev.txt",
    "requirements_test.in",
    "dev-requirements.txt",
    "REQUIREMENTS.TXT",
    "requirements/base.txt",
    "reqs/lint.in",
    "Constraints/prod.txt",
    "constraints.txt",
    "constraints-py311.in",
    "services/api/pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "pylock.toml",
    "pylock.dev.toml",
    "Pipfile",
    "Pipfile.lock",
    "pdm.lock",
]
OTHER_NAMES = [
    "setup.py",
    "README.md",
    "pyproject.toml.orig",
    "mypyproject.toml",
    "requirements.py",
    "docs/requirements-notes.md",
    "Pipfile.lock.bak",
    "src/pylock.py",
]


def hooks() -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml")
    loaded = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(loaded, list)
    return loaded


def test_hooks_run_check_and_fix_on_passed_files() -> None:
    check, fix = hooks()
    assert (check["id"], check["entry"]) == ("pinaudit", "pinaudit check")
    assert (fix["id"], fix["entry"]) == ("pinaudit-fix", "pinaudit fix --write")
    for hook in (check, fix):
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is True
        assert hook["require_serial"] is True
    assert check["files"] == fix["files"]


@pytest.mark.parametrize("name", MANIFEST_NAMES)
def test_the_files_pattern_passes_every_manifest(name: str) -> None:
    pattern = re.compile(hooks()[0]["files"])
    assert kind_for(Path(name)) is not None
    assert pattern.search(name)


@pytest.mark.parametrize("name", OTHER_NAMES)
def test_the_files_pattern_leaves_other_files_alone(name: str) -> None:
    assert not re.compile(hooks()[0]["files"]).search(name)
    assert kind_for(Path(name)) is None


def test_a_pip_compile_source_matches_as_any_in_file() -> None:
    # kind_for knows a bare .in only when its .txt is beside it; the hook passes every
    # .in and pinaudit skips the ones that are not manifests.
    assert re.compile(hooks()[0]["files"]).search("deps/web.in")


# -- the real thing -----------------------------------------------------------------


def _git(*args: str, cwd: Path) -> str:
    completed = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return completed.stdout


def _snapshot(target: Path) -> Path:
    """The checkout as committed plus its uncommitted work, as a one-commit repository.

    try-repo installs a hook from a commit; a clean CI clone is one already, and
    a working tree with new files is one after this copy.
    """
    try:
        listing = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"{REPO} is not a git checkout")
    for name in filter(None, listing.split("\0")):
        source = REPO / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    _git("init", "-q", cwd=target)
    _git("add", "-A", cwd=target)
    _git("commit", "-q", "-m", "snapshot", cwd=target)
    return target


def _index_reachable(folder: Path) -> bool:
    """Whether pip can fetch the build backend the hook's install needs."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-q",
            "-d",
            str(folder),
            "hatchling",
        ],
        capture_output=True,
        check=False,
        timeout=300,
    )
    return completed.returncode == 0


def _try_repo(
    hook_repo: Path, hook: str | None, cwd: Path, home: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PINAUDIT_", "PRE_COMMIT", "GIT_"))
        and key not in ("NO_COLOR", "FORCE_COLOR")
    }
    env["PRE_COMMIT_HOME"] = str(home)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo)]
    return subprocess.run(
        [*command, *([hook] if hook else []), "--all-files", "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


@pytest.mark.slow
def test_try_repo_fails_on_the_seed_and_passes_after_the_fix_hook(tmp_path: Path) -> None:
    pytest.importorskip("pre_commit")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not _index_reachable(tmp_path / "probe"):
        pytest.skip("the package index is unreachable, so pre-commit cannot build the hook")
    hook_repo = _snapshot(tmp_path / "hook-repo")
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(SEED, encoding="utf-8")
    (project / "README.md").write_text("not a manifest\n", encoding="utf-8")
    _git("init", "-q", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "seed", cwd=project)
    home = tmp_path / "pre-commit-home"

    # Both hooks, in id order: the check fails on the seed, then the fix edits it.
    both = _try_repo(hook_repo, None, project, home)
    output = both.stdout + both.stderr
    assert both.returncode == 1, output
    assert re.search(r"^pinaudit\.+Failed$", output, re.MULTILINE), output
    assert "requirements.txt:1:1: PA1001 [warning] uvicorn-wsproto-1-upgrade-status" in output
    assert re.search(r"^pinaudit \(fix\)\.+Failed$", output, re.MULTILINE), output
    assert "files were modified by this hook" in output
    assert (project / "requirements.txt").read_text(
        encoding="utf-8"
    ) == "uvicorn==0.14.0\nwsproto==1.0.0\n"

    _git("add", "-A", cwd=project)
    check = _try_repo(hook_repo, "pinaudit", project, home)
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r"^pinaudit\.+Passed$", check.stdout, re.MULTILINE), check.stdout
