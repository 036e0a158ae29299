"""The foundation's promise, end to end through the real CLI on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

SEED = "uvicorn==0.13.4\nwsproto==1.0.0\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pinaudit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text(SEED, encoding="utf-8")
    return tmp_path


def test_check_reports_the_seed_case_with_locations_and_sources(seed: Path) -> None:
    completed = run("check", ".", cwd=seed)
    assert completed.returncode == 1, completed.stderr
    out = completed.stdout
    assert out.startswith(
        "requirements.txt:1:1: PA1001 [warning] uvicorn-wsproto-1-upgrade-status\n"
    )
    assert "requirements.txt:1:1: uvicorn==0.13.4" in out
    assert "requirements.txt:2:1: wsproto==1.0.0" in out
    assert "https://github.com/encode/uvicorn/issues/868" in out
    assert "https://github.com/encode/uvicorn/pull/892" in out
    assert "Found 1 finding (1 definite, 0 possible)" in out
    assert completed.stderr == ""


def test_fix_dry_run_shows_the_minimal_diff_and_writes_nothing(seed: Path) -> None:
    completed = run("fix", ".", cwd=seed)
    assert completed.returncode == 0, completed.stderr
    assert "-uvicorn==0.13.4\n+uvicorn==0.14.0\n" in completed.stdout
    assert (seed / "requirements.txt").read_text(encoding="utf-8") == SEED
    assert run("fix", "--diff", ".", cwd=seed).returncode == 1


def test_fix_write_applies_once_and_check_then_passes(seed: Path) -> None:
    first = run("fix", "--write", ".", cwd=seed)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (seed / "requirements.txt").read_text(encoding="utf-8") == (
        "uvicorn==0.14.0\nwsproto==1.0.0\n"
    )
    second = run("fix", "--write", ".", cwd=seed)
    assert second.returncode == 0
    assert "Nothing to fix." in second.stdout
    assert (seed / "requirements.txt").read_text(encoding="utf-8") == (
        "uvicorn==0.14.0\nwsproto==1.0.0\n"
    )
    assert run("check", ".", cwd=seed).returncode == 0


@pytest.mark.parametrize(
    "lines",
    [["uvicorn==0.14.0", "wsproto==1.0.0"], ["uvicorn==0.13.4", "wsproto==0.15.0"]],
)
def test_seed_rule_is_silent_on_the_fixed_and_the_old_pair(
    tmp_path: Path, lines: list[str]
) -> None:
    (tmp_path / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    completed = run("check", "--select", "PA1001", ".", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout
    assert "All checks passed" in completed.stdout


def test_fix_keeps_every_byte_outside_the_edit(tmp_path: Path) -> None:
    original = (
        b"\xef\xbb\xbf# service pins\r\n"
        b"uvicorn[standard] == 0.13.4 ; python_version >= '3.8'  # web server\r\n"
        b"\twsproto==1.0.0\r\n"
        b"click==8.0.1"
    )
    path = tmp_path / "requirements.txt"
    path.write_bytes(original)
    path.chmod(0o604)
    completed = run("fix", "--write", ".", cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert path.read_bytes() == original.replace(b"== 0.13.4", b"== 0.14.0")
    assert path.stat().st_mode & 0o777 == 0o604


def test_hashed_requirements_are_not_written_half_done(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "hashed" / "requirements.txt", tmp_path / "requirements.txt")
    before = (tmp_path / "requirements.txt").read_bytes()
    completed = run("fix", "--write", ".", cwd=tmp_path)
    assert "new hashes are needed" in completed.stdout
    assert "pip-compile --generate-hashes --upgrade-package uvicorn" in completed.stdout
    assert completed.returncode == 1
    assert (tmp_path / "requirements.txt").read_bytes() == before


def test_pip_compile_output_gets_its_edit_in_the_in_file(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "pip-compile", tmp_path / "project")
    project = tmp_path / "project"
    compiled = (project / "requirements.txt").read_bytes()
    completed = run("fix", "--write", ".", cwd=project)
    assert (project / "requirements.in").read_text(encoding="utf-8") == (
        "uvicorn>=0.14,<0.15\nwsproto>=1.0\n"
    )
    assert (project / "requirements.txt").read_bytes() == compiled
    assert "then re-lock: pip-compile --upgrade-package uvicorn requirements.in" in completed.stdout
    # The compiled pin still fails until the user re-compiles; the edit is not repeated.
    assert completed.returncode == 1
    again = run("fix", "--write", ".", cwd=project)
    assert (project / "requirements.in").read_text(encoding="utf-8") == (
        "uvicorn>=0.14,<0.15\nwsproto>=1.0\n"
    )
    assert "wrote" not in again.stdout


def test_constraint_file_pin_is_the_entry_that_moves(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "layered", tmp_path / "layered")
    folder = tmp_path / "layered" / "requirements"
    check = run("check", "--select", "PA1001", ".", cwd=folder)
    assert check.returncode == 1
    assert check.stdout.startswith("constraints.txt:1:1: PA1001")
    assert "dev.txt:2:1: wsproto>=1.0" in check.stdout
    run("fix", "--write", "--select", "PA1001", ".", cwd=folder)
    assert (folder / "constraints.txt").read_text(encoding="utf-8") == "uvicorn==0.14.0\n"
    assert "uvicorn>=0.11" in (folder / "base.txt").read_text(encoding="utf-8")


def test_stale_cap_is_reported_as_info_and_does_not_fail(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "stale-cap" / "requirements.txt", tmp_path / "requirements.txt")
    completed = run("check", ".", cwd=tmp_path)
    assert "PA3001 [info] uvicorn-stale-wsproto-cap" in completed.stdout
    assert completed.returncode == 0
    fixed = run("fix", "--write", ".", cwd=tmp_path)
    assert fixed.returncode == 0
    assert "wsproto==1.0.*  # held back" in (tmp_path / "requirements.txt").read_text(
        encoding="utf-8"
    )


def test_json_output_carries_locations_and_fix_edits(seed: Path) -> None:
    completed = run("fix", "--output-format", "json", ".", cwd=seed)
    data = json.loads(completed.stdout)
    assert data["version"] == 1
    (finding,) = data["findings"]
    assert finding["rule"] == "PA1001"
    assert finding["name"] == "uvicorn-wsproto-1-upgrade-status"
    assert (finding["severity"], finding["match"]) == ("warning", "definite")
    assert (finding["path"], finding["line"], finding["column"]) == ("requirements.txt", 1, 1)
    assert (finding["end_line"], finding["end_column"]) == (1, 16)
    assert [p["name"] for p in finding["packages"]] == ["uvicorn", "wsproto"]
    (edit,) = finding["fix"]["edits"]
    assert (edit["line"], edit["column"], edit["end_column"]) == (1, 8, 16)
    assert (edit["original"], edit["replacement"]) == ("==0.13.4", "==0.14.0")
    text = (seed / "requirements.txt").read_text(encoding="utf-8")
    assert text[: edit["start"]] + edit["replacement"] + text[edit["end"] :] == (
        "uvicorn==0.14.0\nwsproto==1.0.0\n"
    )


def test_bad_input_is_exit_2_with_file_and_line_and_the_rest_is_checked(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "uvicorn==0.13.4\nthis is not a requirement!!\nwsproto==1.0.0\n", encoding="utf-8"
    )
    completed = run("check", ".", cwd=tmp_path)
    assert completed.returncode == 2
    assert "requirements.txt:2:" in completed.stdout
    assert "PA1001" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_include_cycle_is_reported_not_followed(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r other.txt\nuvicorn==0.13.4\n", encoding="utf-8")
    (tmp_path / "other.txt").write_text("-r requirements.txt\nwsproto==1.0.0\n", encoding="utf-8")
    completed = run("check", "requirements.txt", cwd=tmp_path)
    assert completed.returncode == 2
    assert "other.txt:1:1: include cycle, not followed" in completed.stdout
    assert "PA1001" in completed.stdout


def test_missing_include_is_reported(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-r nowhere.txt\n", encoding="utf-8")
    completed = run("check", ".", cwd=tmp_path)
    assert completed.returncode == 2
    assert "requirements.txt:1:1: included file not found: nowhere.txt" in completed.stdout


def test_discovery_skips_gitignored_and_virtualenv_files(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    for folder in ("ignored", ".venv/lib", "app"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "requirements.txt").write_text(SEED, encoding="utf-8")
    completed = run("check", ".", cwd=tmp_path)
    assert completed.stdout.count("PA1001") == 1
    assert "app/requirements.txt:1:1" in completed.stdout


def test_version_and_module_entry_point() -> None:
    completed = run("--version", cwd=EXAMPLES)
    assert completed.returncode == 0
    assert completed.stdout.startswith("pinaudit, version ")


def test_rule_explains_itself_with_sources() -> None:
    completed = run("rule", "PA1001", cwd=EXAMPLES)
    assert completed.returncode == 0
    assert "uvicorn <0.14.0" in completed.stdout
    assert "wsproto >=1.0.0" in completed.stdout
    assert "[issue] https://github.com/encode/uvicorn/issues/868" in completed.stdout
    assert run("rule", "PA9999", cwd=EXAMPLES).returncode == 2


def test_max_bump_refuses_a_fix_that_moves_too_far(seed: Path) -> None:
    completed = run("fix", "--write", "--max-bump", "patch", ".", cwd=seed)
    assert "uvicorn 0.13.4 -> 0.14.0 is a minor bump, beyond the allowed patch bump" in (
        completed.stdout
    )
    assert (seed / "requirements.txt").read_text(encoding="utf-8") == SEED
    assert completed.returncode == 1


def test_latest_strategy_offline_is_a_clear_settings_error(seed: Path) -> None:
    completed = run("fix", "--upgrade-strategy", "latest", ".", cwd=seed)
    assert completed.returncode == 2
    assert "needs a package index" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_fix_in_a_uv_project_edits_the_pyproject_and_names_the_relock(tmp_path: Path) -> None:
    project = tmp_path / "uv"
    shutil.copytree(Path(__file__).parent / "fixtures" / "formats" / "uv", project)
    lock = (project / "uv.lock").read_bytes()
    completed = run("fix", "--write", ".", cwd=project)
    assert '"uvicorn>=0.14,<0.15", "wsproto"' in (project / "pyproject.toml").read_text(
        encoding="utf-8"
    )
    assert (project / "uv.lock").read_bytes() == lock
    assert "then re-lock: uv lock --upgrade-package uvicorn" in completed.stdout


def test_broken_advisory_records_warn_without_failing_the_run(tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures" / "osv"
    advisories = tmp_path / "advisories"
    shutil.copytree(fixtures / "good", advisories / "good")
    shutil.copy(fixtures / "broken" / "bad-version.json", advisories / "bad-version.json")
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(
        "example-lib==1.2.0\nbroken-f==1.0\n", encoding="utf-8"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pinaudit", "check", "--isolated", "--advisories", str(advisories)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PINAUDIT_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "PYSEC-2099-1" in completed.stdout
    assert completed.stderr.startswith("warning: 2 problem(s) in the advisory data were skipped")
    assert "bad-version.json" in completed.stderr
