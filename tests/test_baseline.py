"""Baselines: today's findings recorded, only new ones reported, keys that survive line moves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pinaudit.baseline import BaselineError, Entry, parse_baseline
from tests.test_cli import SEED, invoke


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "requirements.txt").write_text(SEED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_write_records_findings_in_a_versioned_file(repo: Path) -> None:
    result = invoke("baseline", "write", "baseline.json")
    assert (result.exit_code, result.stdout) == (0, "Recorded 1 finding in baseline.json.\n")
    data = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    (entry,) = data["findings"]
    assert entry["rule"] == "PA1001"
    assert entry["path"] == "requirements.txt"
    assert entry["packages"] == [
        {"name": "uvicorn", "text": "uvicorn==0.13.4"},
        {"name": "wsproto", "text": "wsproto==1.0.0"},
    ]
    assert "line" not in json.dumps(data)


def test_check_reports_only_what_the_baseline_does_not_know(repo: Path) -> None:
    invoke("baseline", "write", "baseline.json")
    result = invoke("check", "--baseline", "baseline.json")
    assert result.exit_code == 0
    assert "1 in the baseline" in result.stdout
    (repo / "requirements-b.txt").write_text(SEED, encoding="utf-8")
    fresh = invoke("check", "--baseline", "baseline.json", "--output-format", "concise")
    assert fresh.exit_code == 1
    assert fresh.stdout.startswith("requirements-b.txt:1:1: PA1001 ")
    assert fresh.stdout.count("\n") == 1


def test_unrelated_line_moves_keep_the_entry(repo: Path) -> None:
    invoke("baseline", "write", "baseline.json")
    (repo / "requirements.txt").write_text(
        "# web stack\nflask==2.0.0\n\nwsproto==1.0.0\nuvicorn==0.13.4\n"
    )
    assert invoke("check", "--baseline", "baseline.json").exit_code == 0


def test_changing_the_entry_itself_is_a_new_finding(repo: Path) -> None:
    invoke("baseline", "write", "baseline.json")
    (repo / "requirements.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.1\n")
    assert invoke("check", "--baseline", "baseline.json").exit_code == 1


def test_paths_are_relative_to_the_baseline_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "ci").mkdir()
    invoke("baseline", "write", "ci/baseline.json")
    data = json.loads((repo / "ci" / "baseline.json").read_text(encoding="utf-8"))
    assert data["findings"][0]["path"] == "../requirements.txt"
    monkeypatch.chdir(repo / "ci")
    assert invoke("check", "..", "--baseline", "baseline.json").exit_code == 0


def test_fix_leaves_baselined_findings_alone(repo: Path) -> None:
    invoke("baseline", "write", "baseline.json")
    result = invoke("fix", "--write", "--baseline", "baseline.json")
    assert (result.exit_code, result.stdout) == (0, "Nothing to fix.\n")
    assert (repo / "requirements.txt").read_text(encoding="utf-8") == SEED


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            None,
            "baseline.json: no such file; create it with 'pinaudit baseline write baseline.json'",
        ),
        ("{not json", "baseline.json: line 1: not JSON"),
        ('{"findings": []}', "baseline.json: unsupported version None"),
        ('{"version": 1, "findings": {}}', "baseline.json: 'findings' must be a list"),
        (
            '{"version": 1, "findings": [{"rule": "PA1001"}]}',
            "findings[0] needs string 'rule' and 'path'",
        ),
    ],
)
def test_a_missing_or_malformed_baseline_is_exit_2(
    repo: Path, content: str | None, message: str
) -> None:
    if content is not None:
        (repo / "baseline.json").write_text(content, encoding="utf-8")
    result = invoke("check", "--baseline", "baseline.json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_parse_baseline_reads_what_write_wrote() -> None:
    text = json.dumps(
        {
            "version": 1,
            "findings": [
                {
                    "rule": "PA1001",
                    "path": "a/requirements.txt",
                    "packages": [{"name": "uvicorn", "text": "uvicorn==0.13.4"}],
                    "message": "ignored on read",
                }
            ],
        }
    )
    assert parse_baseline(text) == {
        Entry("PA1001", "a/requirements.txt", (("uvicorn", "uvicorn==0.13.4"),))
    }
    with pytest.raises(BaselineError, match="each package needs"):
        parse_baseline('{"version": 1, "findings": [{"rule": "X", "path": "p", "packages": [1]}]}')
