"""The seed case fixed in every format: exactly the edit a maintainer would make.

Each folder of ``tests/fixtures/fix`` holds ``input/`` (a project with the
uvicorn 0.13.4 + wsproto 1.0.0 break) and ``expected/`` (the files ``fix
--write`` must produce, byte for byte); every other input file must stay as it
was, and a second run must change nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from pinaudit.fixrun import run_fix
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
CASES = sorted(path.name for path in FIXTURES.iterdir() if (path / "expected").is_dir())
RULES = load_rules([builtin_rules_path()])
INDEX = RULES.index()
TARGETS = make_targets()


def _copy(case: str, tmp_path: Path) -> Path:
    project = tmp_path / case
    shutil.copytree(FIXTURES / case / "input", project)
    return project


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("case", CASES)
def test_fix_write_produces_the_expected_files(case: str, tmp_path: Path) -> None:
    project = _copy(case, tmp_path)
    before = _files(project)
    expected = _files(FIXTURES / case / "expected")
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert not outcome.problems
    (plan,) = [plan for plan in outcome.plans if plan.finding.rule.code == "PA1001"]
    assert plan.blocked is None, plan.blocked
    assert plan.summary.startswith("uvicorn ") and " -> 0.14.0" in plan.summary
    after = _files(project)
    for name, data in after.items():
        assert data == expected.get(name, before[name]), name
    assert set(outcome.written) == {project / name for name in expected}
    # Idempotent: the second run finds nothing left to edit.
    again = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert again.changes == {}
    assert _files(project) == after


@pytest.mark.parametrize("case", ["pep621-range", "poetry-inline", "uv-constraint", "pipfile"])
def test_locked_cases_name_the_relock_and_edit_no_lock(case: str, tmp_path: Path) -> None:
    project = _copy(case, tmp_path)
    locks = {name: data for name, data in _files(project).items() if "lock" in name.lower()}
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    (plan,) = outcome.plans
    assert plan.relock in {
        "uv lock --upgrade-package uvicorn",
        "poetry update uvicorn",
        "pipenv lock",
    }
    assert all(edit.path.name in ("pyproject.toml", "Pipfile") for edit in plan.edits)
    assert {name: (project / name).read_bytes() for name in locks} == locks


@pytest.mark.parametrize("case", ["pep621-range", "poetry-caret", "pipfile"])
def test_toml_writes_keep_mode_bom_and_crlf(case: str, tmp_path: Path) -> None:
    project = _copy(case, tmp_path)
    manifest = next(p for p in project.iterdir() if p.name in ("pyproject.toml", "Pipfile"))
    expected = (FIXTURES / case / "expected" / manifest.name).read_bytes()
    manifest.write_bytes(b"\xef\xbb\xbf" + manifest.read_bytes().replace(b"\n", b"\r\n"))
    manifest.chmod(0o640)
    run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert manifest.read_bytes() == b"\xef\xbb\xbf" + expected.replace(b"\n", b"\r\n")
    assert stat.S_IMODE(manifest.stat().st_mode) == 0o640


def test_toml_symlink_leaving_the_root_is_not_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.copytree(FIXTURES / "poetry-caret" / "input", outside)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").symlink_to(outside / "pyproject.toml")
    shutil.copy(outside / "poetry.lock", project / "poetry.lock")
    before = (outside / "pyproject.toml").read_bytes()
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=project)
    assert [problem.code for problem in outcome.problems] == ["write-refused"]
    assert "outside the project root" in outcome.problems[0].message
    assert (outside / "pyproject.toml").read_bytes() == before
    assert outcome.written == ()


def test_toml_changed_since_read_is_not_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _copy("poetry-caret", tmp_path)
    manifest = project / "pyproject.toml"
    import pinaudit.fixrun as fixrun
    from pinaudit.write import prepare as real_prepare

    def meddle(path: Path, digest: str, text: str, root: Path) -> tuple[bytes, bytes]:
        manifest.write_text(manifest.read_text(encoding="utf-8") + "# edited meanwhile\n")
        return real_prepare(path, digest, text, root)

    monkeypatch.setattr(fixrun, "prepare", meddle)
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert "changed since it was read" in outcome.problems[0].message
    assert manifest.read_text(encoding="utf-8").endswith("# edited meanwhile\n")
    assert '"^0.13.4"' in manifest.read_text(encoding="utf-8")


def test_dry_run_changes_nothing_and_reports_the_diff_texts(tmp_path: Path) -> None:
    project = _copy("poetry-tilde", tmp_path)
    before = _files(project)
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=False, root=tmp_path)
    ((path, (old, new)),) = outcome.changes.items()
    assert path.name == "pyproject.toml"
    assert "uvicorn = '~0.13.4'" in old and "uvicorn = '~0.14.0'" in new
    assert _files(project) == before


def test_poetry_wildcard_and_any_become_a_floor(tmp_path: Path) -> None:
    project = _copy("poetry-caret", tmp_path)
    manifest = project / "pyproject.toml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('uvicorn = "^0.13.4"', 'uvicorn = "*"'),
        encoding="utf-8",
    )
    run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert 'uvicorn = ">=0.14.0"\n' in manifest.read_text(encoding="utf-8")


def test_pipfile_star_becomes_a_floor(tmp_path: Path) -> None:
    project = _copy("pipfile", tmp_path)
    manifest = project / "Pipfile"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace('uvicorn = "==0.13.4"', 'uvicorn = "*"'),
        encoding="utf-8",
    )
    run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    assert 'uvicorn = ">=0.14.0"\n' in manifest.read_text(encoding="utf-8")


def test_lock_only_package_gets_no_invented_edit(tmp_path: Path) -> None:
    """uvicorn comes in through another package: say so, give the command."""
    project = _copy("pep621-range", tmp_path)
    manifest = project / "pyproject.toml"
    text = manifest.read_text(encoding="utf-8").replace(
        '    "uvicorn>=0.13,<0.14",  # the server\n', ""
    )
    manifest.write_text(text, encoding="utf-8")
    lock = project / "uv.lock"
    lock.write_text(
        lock.read_text(encoding="utf-8").replace(
            '    { name = "uvicorn", specifier = ">=0.13,<0.14" },\n', ""
        ),
        encoding="utf-8",
    )
    outcome = run_fix([project], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    (plan,) = [plan for plan in outcome.plans if plan.finding.rule.code == "PA1001"]
    assert plan.edits == ()
    assert plan.relock == "uv lock --upgrade-package uvicorn"
    assert "uvicorn is not declared in pyproject.toml" in plan.summary
    assert 'add "uvicorn>=0.14.0" to [tool.uv] constraint-dependencies' in plan.summary
    assert manifest.read_text(encoding="utf-8") == text
    assert outcome.written == ()


def test_max_bump_refuses_a_move_too_far(tmp_path: Path) -> None:
    project = _copy("requirements", tmp_path)
    outcome = run_fix(
        [project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, max_bump="patch"
    )
    (plan,) = outcome.plans
    assert plan.blocked is not None
    assert "uvicorn 0.13.4 -> 0.14.0 is a minor bump, beyond the allowed patch bump" in plan.blocked
    # wsproto 1.0.0 -> 0.15.0 is a major move: refused too, with its own reason.
    assert "wsproto 1.0.0 -> 0.15.0 is a major bump" in plan.blocked
    allowed = run_fix(
        [project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, max_bump="minor"
    )
    assert allowed.plans[0].blocked is None


def test_latest_strategy_offline_says_it_is_unavailable(tmp_path: Path) -> None:
    from pinaudit.fix import FixSettingsError

    project = _copy("requirements", tmp_path)
    with pytest.raises(FixSettingsError, match="needs a package index"):
        run_fix(
            [project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, strategy="latest"
        )
    with pytest.raises(FixSettingsError, match="unknown upgrade strategy"):
        run_fix([project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, strategy="x")
    with pytest.raises(FixSettingsError, match="unknown max bump"):
        run_fix([project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, max_bump="x")


def test_relock_without_the_tool_is_reported_not_run(tmp_path: Path) -> None:
    project = _copy("pep621-range", tmp_path)
    outcome = run_fix(
        [project],
        INDEX,
        TARGETS,
        environ={"PATH": str(tmp_path / "empty")},
        write=True,
        root=tmp_path,
        relock=True,
    )
    (relocked,) = outcome.relocks
    assert not relocked.ran
    assert "uv is not installed" in relocked.message
    assert "uv lock --upgrade-package uvicorn" in relocked.message
    assert (project / "pyproject.toml").read_bytes() == (
        FIXTURES / "pep621-range" / "expected" / "pyproject.toml"
    ).read_bytes()


def test_failed_relock_puts_the_manifest_back(tmp_path: Path) -> None:
    project = _copy("pep621-range", tmp_path)
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "uv"
    fake.write_text("#!/bin/sh\necho 'error: no solution found' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    before = (project / "pyproject.toml").read_bytes()
    outcome = run_fix(
        [project],
        INDEX,
        TARGETS,
        environ={"PATH": f"{tools}{os.pathsep}/usr/bin:/bin"},
        write=True,
        root=tmp_path,
        relock=True,
    )
    (relocked,) = outcome.relocks
    assert relocked.ran and relocked.returncode == 1
    assert relocked.stderr_tail == "error: no solution found"
    assert outcome.restored == (project / "pyproject.toml",)
    assert (project / "pyproject.toml").read_bytes() == before
