"""Inline suppressions, config ignores with reasons, and the findings about them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pinaudit.suppress import Directive, parse_directive
from tests.test_cli import SEED, invoke

TODAY = dt.date(2026, 6, 1)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(
    *args: str, today: dt.date = TODAY
) -> tuple[int, list[tuple[str, int, str]], dict[str, Any]]:
    """Exit code, (rule, line, message) per finding, and the JSON summary."""
    result = invoke("check", "--output-format", "json", *args, today=today)
    data = json.loads(result.stdout)
    rows = [(item["rule"], item["line"], item["message"]) for item in data["findings"]]
    return result.exit_code, rows, data["summary"]


def requirements(folder: Path, text: str) -> None:
    (folder / "requirements.txt").write_text(text, encoding="utf-8")


# -- reading the comment --------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        (
            '# pinaudit: ignore[PA1001] reason="tested by hand" until=2026-12-31',
            Directive(("PA1001",), "tested by hand", dt.date(2026, 12, 31), True),
        ),
        (
            "#pinaudit:ignore[pa1001, PA2001]   reason='single quotes'",
            Directive(("PA1001", "PA2001"), "single quotes", None, True),
        ),
        (
            '# held back  # pinaudit: ignore[PA1001] reason="a \\"quoted\\" word"',
            Directive(("PA1001",), 'a "quoted" word', None, True),
        ),
        ("# pinaudit: ignore[PA1001]", Directive(("PA1001",))),
        ('# pinaudit: ignore[PA1001] reason=""', Directive(("PA1001",))),
        (
            "# pinaudit: ignore[PA1001] until=2026-01-01",
            Directive(("PA1001",), until=dt.date(2026, 1, 1)),
        ),
    ],
)
def test_directives_are_read(comment: str, expected: Directive) -> None:
    assert parse_directive(comment) == expected


@pytest.mark.parametrize(
    ("comment", "error"),
    [
        ("# pinaudit: ignore", "name the codes to ignore, as in ignore[PA1001]"),
        ("# pinaudit: ignore[]", "the list of codes is empty"),
        ("# pinaudit: ignore[uvicorn]", "'UVICORN' is not a rule code (like PA1001)"),
        (
            '# pinaudit: ignore[PA1001] until=tomorrow reason="x"',
            "until='tomorrow' is not a date like 2026-12-31",
        ),
        (
            '# pinaudit: ignore[PA1001] because="x"',
            "unknown option 'because' (expected reason= or until=)",
        ),
        (
            '# pinaudit: ignore[PA1001] reason="x" please',
            "cannot read 'please': expected reason=\"...\" or until=YYYY-MM-DD",
        ),
    ],
)
def test_malformed_directives_say_why(comment: str, error: str) -> None:
    directive = parse_directive(comment)
    assert directive is not None
    assert directive.error == error


def test_other_comments_are_not_directives() -> None:
    assert parse_directive("# held back while uvicorn was incompatible") is None
    assert parse_directive("# see pinaudit docs") is None


# -- what a suppression silences --------------------------------------------------


def test_a_suppression_with_a_reason_silences_its_finding(folder: Path) -> None:
    requirements(
        folder,
        'uvicorn==0.13.4  # pinaudit: ignore[PA1001] reason="tested by hand"\nwsproto==1.0.0\n',
    )
    code, rows, summary = findings()
    assert (code, rows, summary["suppressed"]) == (0, [], 1)
    assert "1 suppressed" in invoke("check").stdout


def test_the_line_of_any_involved_entry_counts(folder: Path) -> None:
    requirements(folder, 'uvicorn==0.13.4\nwsproto==1.0.0  # pinaudit: ignore[PA1001] reason="x"\n')
    assert findings()[:2] == (0, [])


def test_a_suppression_alone_on_the_line_above_counts(folder: Path) -> None:
    requirements(folder, '# pinaudit: ignore[PA1001] reason="x"\nuvicorn==0.13.4\nwsproto==1.0.0\n')
    assert findings()[:2] == (0, [])


def test_a_suppression_two_lines_above_does_not_count(folder: Path) -> None:
    requirements(
        folder, '# pinaudit: ignore[PA1001] reason="x"\n\nuvicorn==0.13.4\nwsproto==1.0.0\n'
    )
    code, rows, _ = findings("--fail-on", "info")
    assert code == 1
    assert [(rule, line) for rule, line, _ in rows] == [("PA0003", 1), ("PA1001", 3)]


def test_a_suppression_for_another_code_leaves_the_finding(folder: Path) -> None:
    requirements(folder, 'uvicorn==0.13.4  # pinaudit: ignore[PA3001] reason="x"\nwsproto==1.0.0\n')
    code, rows, _ = findings()
    assert code == 1
    assert [(rule, line) for rule, line, _ in rows] == [("PA1001", 1), ("PA0003", 1)]


def test_a_suppression_without_a_reason_still_applies_but_is_reported(folder: Path) -> None:
    requirements(folder, "uvicorn==0.13.4  # pinaudit: ignore[PA1001]\nwsproto==1.0.0\n")
    code, rows, summary = findings()
    assert code == 1  # PA0001 is a warning
    assert rows == [("PA0001", 1, 'suppression of PA1001 gives no reason; add reason="..."')]
    assert summary["suppressed"] == 1


def test_an_expired_suppression_stops_suppressing(folder: Path) -> None:
    requirements(
        folder,
        'uvicorn==0.13.4  # pinaudit: ignore[PA1001] reason="x" until=2026-05-31\nwsproto==1.0.0\n',
    )
    code, rows, summary = findings()
    assert code == 1
    assert rows[0][0] == "PA1001"  # in file order: the entry, then the comment after it
    assert rows[1] == (
        "PA0002",
        1,
        "suppression of PA1001 expired on 2026-05-31; its findings are reported again",
    )
    assert summary["suppressed"] == 0
    assert findings(today=dt.date(2026, 5, 31))[:2] == (0, [])  # the last day still counts


def test_an_unused_suppression_is_info(folder: Path) -> None:
    requirements(folder, 'flask==2.0.0  # pinaudit: ignore[PA1001,PA9999] reason="old"\n')
    code, rows, _ = findings()
    assert code == 0
    assert rows == [
        ("PA0003", 1, "nothing to suppress: no PA1001 finding involves this line for flask"),
        ("PA0003", 1, "suppression names PA9999, which is no rule pinaudit knows"),
    ]


def test_only_selected_codes_are_called_unused(folder: Path) -> None:
    requirements(folder, 'flask==2.0.0  # pinaudit: ignore[PA1001] reason="old"\n')
    assert findings("--select", "PA2")[1] == []
    assert findings("--ignore", "PA0003")[1] == []


def test_a_malformed_suppression_is_reported_and_not_applied(folder: Path) -> None:
    requirements(
        folder,
        'uvicorn==0.13.4  # pinaudit: ignore[PA1001] reason="x" until=soon\nwsproto==1.0.0\n',
    )
    code, rows, _ = findings()
    assert code == 1
    assert [rule for rule, _, _ in rows] == ["PA1001", "PA0004"]
    text = invoke("check").stdout
    assert "requirements.txt:1:18: PA0004 [warning] malformed-suppression" in text


def test_suppressions_in_toml_comments(folder: Path) -> None:
    (folder / "pyproject.toml").write_text(
        "[project]\n"
        'name = "svc"\n'
        'version = "1"\n'
        "dependencies = [\n"
        '  # pinaudit: ignore[PA1001] reason="our own websocket layer"\n'
        '  "uvicorn==0.13.4",\n'
        '  "wsproto==1.0.0",\n'
        "]\n",
        encoding="utf-8",
    )
    code, rows, summary = findings()
    assert (code, rows, summary["suppressed"]) == (0, [], 1)


def test_fix_leaves_suppressed_findings_alone(folder: Path) -> None:
    requirements(folder, 'uvicorn==0.13.4  # pinaudit: ignore[PA1001] reason="x"\nwsproto==1.0.0\n')
    result = invoke("fix", "--write")
    assert (result.exit_code, result.stdout) == (0, "Nothing to fix.\n")


# -- settings -------------------------------------------------------------------


def test_config_ignore_with_an_expiry(folder: Path) -> None:
    requirements(folder, SEED)
    (folder / "pinaudit.toml").write_text(
        'ignore = [\n  {code = "PA1001", reason = "migration", until = 2026-06-30},\n]\n',
        encoding="utf-8",
    )
    assert findings()[:2] == (0, [])
    code, rows, _ = findings(today=dt.date(2026, 7, 1))
    assert code == 1
    assert rows[0] == (
        "PA0002",
        2,
        "'ignore' of PA1001 expired on 2026-06-30; its findings are reported again",
    )
    assert rows[1][0] == "PA1001"
    concise = invoke("check", "--output-format", "concise", today=dt.date(2026, 7, 1)).stdout
    assert concise.startswith("pinaudit.toml:2:3: PA0002 ")


def test_per_file_ignores(folder: Path) -> None:
    (folder / "legacy").mkdir()
    (folder / "legacy" / "requirements.txt").write_text(SEED, encoding="utf-8")
    requirements(folder, SEED)
    (folder / "pinaudit.toml").write_text(
        '[per-file-ignores]\n"legacy/*.txt" = ["PA1"]\n', encoding="utf-8"
    )
    code, rows, summary = findings()
    assert code == 1
    assert len(rows) == 1
    assert summary["suppressed"] == 1
    assert findings("legacy")[:2] == (0, [])


def test_crlf_files_and_form_feeds_keep_lines_aligned(folder: Path) -> None:
    (folder / "requirements.txt").write_bytes(
        b'\x0c\r\n# pinaudit: ignore[PA1001] reason="crlf"\r\nuvicorn==0.13.4\r\nwsproto==1.0.0\r\n'
    )
    assert findings()[:2] == (0, [])
