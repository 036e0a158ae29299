"""Settings: where they are found, how they are validated, what overrides what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pinaudit.config import (
    COMMAND_LINE,
    ConfigError,
    Overrides,
    apply_overrides,
    find_config,
    glob_matches,
    key_lines,
    load_config,
    parse_config,
    resolve,
)
from pinaudit.rulebook import Severity
from tests.test_cli import GOOD_RULE, SEED, invoke

TODAY = dt.date(2026, 6, 1)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(text: str, name: str = "pinaudit.toml") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path(name))
    return [problem.describe() for problem in caught.value.problems]


# -- finding the file ---------------------------------------------------------


def test_the_nearest_folder_with_settings_wins(tmp_path: Path) -> None:
    top = write(tmp_path / "pinaudit.toml", "")
    inner = write(tmp_path / "a" / "pyproject.toml", "[tool.pinaudit]\nselect = ['PA1']\n")
    assert find_config(tmp_path / "a" / "b" / "requirements.txt") == inner.resolve()
    assert find_config(tmp_path / "c") == top.resolve()


def test_pinaudit_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.pinaudit]\nselect = ['PA1']\n")
    own = write(tmp_path / "pinaudit.toml", "select = ['PA3']\n")
    assert find_config(tmp_path) == own.resolve()


def test_a_pyproject_without_pinaudit_settings_is_passed_over(tmp_path: Path) -> None:
    top = write(tmp_path / "pyproject.toml", "[tool.pinaudit]\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'pkg' # pinaudit fan\n")
    assert find_config(tmp_path / "pkg") == top.resolve()


def test_settings_are_found_from_the_first_checked_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = tmp_path / "service"
    write(service / "requirements.txt", SEED)
    write(service / "pinaudit.toml", 'fail-on = "error"\n')
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "service").exit_code == 0  # PA1001 is a warning
    assert invoke("check", "service/requirements.txt").exit_code == 0
    assert invoke("check", "--isolated", "service").exit_code == 1
    monkeypatch.chdir(service)
    assert invoke("check").exit_code == 0


# -- validation ---------------------------------------------------------------


def test_unknown_keys_are_located_and_near_misses_named() -> None:
    assert problems('select = ["PA1"]\nfail_on = "error"\nwhatever = 1\n') == [
        "pinaudit.toml:2: unknown key 'fail_on' in pinaudit.toml; did you mean 'fail-on'?",
        "pinaudit.toml:3: unknown key 'whatever' in pinaudit.toml (known keys: select, "
        "extend-select, ignore, per-file-ignores, exclude, extend-exclude, rule-paths, "
        "advisory-paths, target-python, fail-on, fail-on-possible, output-format)",
    ]


def test_bad_values_are_all_reported_with_their_lines() -> None:
    text = (
        'select = "PA1"\n'
        "ignore = [\n"
        '  {code = "PA1001", reason = "x", until = "someday"},\n'
        '  {code = "PA2001", why = "y"},\n'
        "  42,\n"
        "]\n"
        'fail-on = "fatal"\n'
        "fail-on-possible = 1\n"
        'target-python = ["3.12", "py3"]\n'
        'output-format = "html"\n'
        "[per-file-ignores]\n"
        '"legacy/*" = ["not a code"]\n'
    )
    assert problems(text) == [
        "pinaudit.toml:1: 'select' must be a list of rule codes (strings)",
        "pinaudit.toml:3: 'ignore'[1] (PA1001): 'until' must be a date like 2026-12-31, "
        "not 'someday'",
        "pinaudit.toml:4: 'ignore'[2]: unknown key 'why' (known keys: code, reason, until)",
        "pinaudit.toml:2: 'ignore'[3] must be a rule code or a {code, reason, until} table",
        "pinaudit.toml:7: 'fail-on' is 'fatal'; expected one of: error, warning, info",
        "pinaudit.toml:8: 'fail-on-possible' must be true or false",
        "pinaudit.toml:9: 'target-python': 'py3' is not a Python version like \"3.12\"",
        "pinaudit.toml:10: 'output-format' is 'html'; expected one of: text, concise, json, "
        "sarif, github, gitlab, junit",
        "pinaudit.toml:12: 'per-file-ignores.legacy/*': 'not a code' is not a rule code or "
        "prefix (like PA1001 or PA1)",
    ]


def test_invalid_toml_is_located() -> None:
    assert problems("select = [\n") == ["pinaudit.toml:2:1: invalid TOML: Invalid value"]


def test_pyproject_keys_are_located_inside_tool_pinaudit() -> None:
    text = (
        "[project]\n"
        'name = "x"\n'
        "select = 1\n"
        "\n"
        "[tool.pinaudit]\n"
        'fail-on = "error"\n'
        "select = 2\n"
        "\n"
        "[tool.pinaudit.per-file-ignores]\n"
        '"a.txt" = "PA1"\n'
    )
    assert problems(text, "pyproject.toml") == [
        "pyproject.toml:7: 'select' must be a list of rule codes (strings)",
        "pyproject.toml:10: 'per-file-ignores.a.txt' must be a list of rule codes (strings)",
    ]


def test_key_lines_understand_dotted_and_quoted_keys() -> None:
    text = 'tool.pinaudit.select = []\n[tool]\n"pinaudit".fail-on = "info"\n'
    assert key_lines(text, ("tool", "pinaudit")) == {("select",): 1, ("fail-on",): 3}


def test_a_bad_settings_file_stops_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "requirements.txt", SEED)
    write(tmp_path / "pinaudit.toml", 'select = ["PA1"]\nfail-on = "never"\n')
    monkeypatch.chdir(tmp_path)
    result = invoke("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "pinaudit.toml:2: 'fail-on' is 'never'" in result.stderr
    assert "[bad-config]" in result.stderr


def test_ignore_entries_keep_reason_expiry_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pinaudit.toml",
        'ignore = [\n  "PA3",\n  {code = "pa1001", reason = "vendored", until = 2026-12-31},\n]\n',
    )
    config = load_config(path)
    plain, table = config.ignore
    assert (plain.code, plain.reason, plain.until) == ("PA3", "", None)
    assert (table.code, table.reason, table.until) == ("PA1001", "vendored", dt.date(2026, 12, 31))
    assert (table.origin.path, table.origin.line) == (path, 3)
    assert config.selects("PA1001", TODAY) is False
    assert config.selects("PA1001", dt.date(2027, 1, 1)) is True


# -- precedence -----------------------------------------------------------------


def test_flags_replace_or_extend_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pinaudit.toml",
        'select = ["PA1"]\nignore = ["PA2"]\nfail-on-possible = true\nrule-paths = ["rules"]\n',
    )
    config = apply_overrides(
        load_config(path),
        Overrides(
            select=("PA3",),
            ignore=("PA4",),
            fail_on=Severity.ERROR,
            fail_on_possible=False,
            rule_paths=(Path("more"),),
        ),
    )
    assert config.select == ("PA3",)
    assert [entry.code for entry in config.ignore] == ["PA2", "PA4"]
    assert (config.fail_on, config.fail_on_possible) == (Severity.ERROR, False)
    assert config.rule_paths == ((tmp_path / "rules").resolve(), Path("more"))
    assert config.origin("select") == (COMMAND_LINE,)
    assert [origin.kind for origin in config.origin("ignore")] == ["file", "command line"]


def test_extend_select_only_widens_a_narrowed_selection() -> None:
    config = resolve(Path(), Overrides(select=("PA1",), extend_select=("PA3",)), isolated=True)
    assert [config.selects(code, TODAY) for code in ("PA1001", "PA2001", "PA3001")] == [
        True,
        False,
        True,
    ]
    everything = resolve(Path(), Overrides(extend_select=("PA3",)), isolated=True)
    assert everything.selects("PA2001", TODAY)


def test_config_command_shows_every_value_and_its_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.pinaudit]\nselect = ["PA1"]\n'
    )
    monkeypatch.chdir(tmp_path)
    result = invoke("config", "--ignore", "PA1002", env={"PINAUDIT_OUTPUT_FORMAT": "sarif"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "# settings file: pyproject.toml"
    rows = {line.split(" = ")[0]: line for line in lines[1:]}
    assert rows["select"].startswith('select = ["PA1"]')
    assert rows["select"].endswith("# pyproject.toml:5")
    assert rows["ignore"].endswith("# command line")
    assert rows["output-format"].startswith('output-format = "sarif"')
    assert rows["output-format"].endswith("# environment (PINAUDIT_OUTPUT_FORMAT)")
    assert rows["fail-on"].endswith("# default")
    assert rows["target-python"].startswith('target-python = ["3.11"')


def test_explicit_config_file_is_used_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "repo" / "requirements.txt", SEED)
    settings = write(tmp_path / "ci" / "strict.toml", 'fail-on = "error"\n')
    monkeypatch.chdir(tmp_path / "repo")
    assert invoke("check").exit_code == 1
    assert invoke("check", "--config", settings).exit_code == 0
    missing = invoke("check", "--config", tmp_path / "nope.toml")
    assert missing.exit_code == 2
    assert "cannot read settings" in missing.stderr


# -- what the keys do -----------------------------------------------------------


def test_fail_on_sets_the_lowest_failing_severity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path / "requirements.txt", "uvicorn[standard]==0.14.0\nwsproto==0.15.*\n"
    )  # PA3001 info
    monkeypatch.chdir(tmp_path)
    assert invoke("check").exit_code == 0
    assert invoke("check", "--fail-on", "info").exit_code == 1
    write(tmp_path / "pinaudit.toml", 'fail-on = "info"\n')
    assert invoke("check").exit_code == 1
    assert invoke("check", "--fail-on", "warning").exit_code == 0


def test_fail_on_possible_from_the_file_and_its_negation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "requirements.txt", "uvicorn<0.14\nwsproto>=0.15\n")  # a possible match
    monkeypatch.chdir(tmp_path)
    assert invoke("check").exit_code == 0
    write(tmp_path / "pinaudit.toml", "fail-on-possible = true\n")
    assert invoke("check").exit_code == 1
    assert invoke("check", "--no-fail-on-possible").exit_code == 0


def test_rule_paths_are_relative_to_the_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "policy" / "ours.toml", GOOD_RULE)
    write(tmp_path / "pinaudit.toml", 'rule-paths = ["policy"]\nselect = ["XX"]\n')
    write(tmp_path / "svc" / "requirements.txt", "alpha==1.0\nbeta==3.1\n")
    monkeypatch.chdir(tmp_path / "svc")
    result = invoke("check", "--output-format", "concise")
    assert result.stdout.startswith("requirements.txt:1:1: XX1001 alpha 1.0 with beta 3.1")
    assert "XX1001" in invoke("rules").stdout


def test_exclude_and_extend_exclude_reach_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "legacy" / "requirements.txt", SEED)
    write(tmp_path / "vendor" / "requirements.txt", SEED)
    write(tmp_path / "app" / "requirements.txt", "flask\n")
    monkeypatch.chdir(tmp_path)
    assert invoke("check").exit_code == 1
    write(tmp_path / "pinaudit.toml", 'exclude = ["legacy/"]\n')
    assert invoke("check", "--extend-exclude", "vendor").exit_code == 0
    assert invoke("check", "--exclude", "app").exit_code == 1


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("requirements.txt", "services/api/requirements.txt", True),
        ("*.txt", "a/b/c.txt", True),
        ("legacy/*.txt", "legacy/requirements.txt", True),
        ("legacy/*.txt", "legacy/old/requirements.txt", False),
        ("legacy/**/*.txt", "legacy/old/requirements.txt", True),
        ("legacy/**/*.txt", "legacy/requirements.txt", True),
        ("**/dev.txt", "requirements/dev.txt", True),
        ("./svc/requirements-?.txt", "svc/requirements-a.txt", True),
        ("svc/requirements-[!a].txt", "svc/requirements-a.txt", False),
        ("svc/*", "other/svc/x.txt", False),
    ],
)
def test_per_file_ignore_globs(pattern: str, path: str, expected: bool) -> None:
    assert glob_matches(pattern, path) is expected
