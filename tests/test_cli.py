"""The command line as CI and pre-commit drive it: exit codes, output files, colour, commands."""

from __future__ import annotations

import datetime as dt
import gc
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from pinaudit.cli import main
from pinaudit.model import Manifest
from pinaudit.textfile import SourceText
from tests.conftest import REPO

SEED = "uvicorn==0.13.4\nwsproto==1.0.0\n"
TODAY = dt.date(2026, 6, 1)
OSV = REPO / "tests" / "fixtures" / "osv" / "good"
ANSI = "\x1b["


def invoke(
    *args: str | Path, env: Mapping[str, str | None] | None = None, today: dt.date = TODAY
) -> Result:
    """Run the CLI in-process, with a fixed clock and no colour or format settings inherited."""
    clean: dict[str, str | None] = {
        "NO_COLOR": None,
        "FORCE_COLOR": None,
        "PINAUDIT_OUTPUT_FORMAT": None,
        **(env or {}),
    }
    return CliRunner().invoke(
        main, [str(arg) for arg in args], obj=lambda: today, env=clean, catch_exceptions=False
    )


@pytest.fixture
def seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "requirements.txt").write_text(SEED, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_findings_fail_the_run_and_exit_zero_forgives_them(seed: Path) -> None:
    assert invoke("check").exit_code == 1
    assert invoke("check", "--exit-zero").exit_code == 0


def test_exit_zero_still_reports_unreadable_input(seed: Path) -> None:
    (seed / "requirements-dev.txt").write_bytes(b"flask\x00\n")
    result = invoke("check", "--exit-zero")
    assert result.exit_code == 2
    assert "requirements-dev.txt" in result.stdout


def test_output_file_is_written_whole_and_stdout_stays_empty(seed: Path) -> None:
    expected = invoke("check", "--output-format", "json").stdout
    result = invoke("check", "--output-format", "json", "--output-file", "report.json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (seed / "report.json").read_text(encoding="utf-8") == expected
    assert sorted(path.name for path in seed.iterdir()) == ["report.json", "requirements.txt"]


def test_output_file_replaces_an_old_report(seed: Path) -> None:
    (seed / "report.txt").write_text("stale\n", encoding="utf-8")
    invoke("check", "--output-format", "concise", "--output-file", "report.txt")
    assert (
        (seed / "report.txt")
        .read_text(encoding="utf-8")
        .startswith("requirements.txt:1:1: PA1001 ")
    )


def test_output_file_in_a_missing_folder_is_a_clear_error(seed: Path) -> None:
    result = invoke("check", "--output-file", seed / "missing" / "report.txt")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_statistics_count_findings_per_rule(seed: Path) -> None:
    (seed / "requirements-b.txt").write_text(SEED, encoding="utf-8")
    result = invoke("check", "--statistics")
    assert result.exit_code == 1
    assert result.stdout == "2  PA1001   [warning] uvicorn-wsproto-1-upgrade-status\n"
    data = json.loads(invoke("check", "--statistics", "--output-format", "json").stdout)
    assert data == [
        {
            "code": "PA1001",
            "name": "uvicorn-wsproto-1-upgrade-status",
            "severity": "warning",
            "count": 2,
        }
    ]


def test_colour_follows_force_color_and_no_color(seed: Path) -> None:
    assert ANSI not in invoke("check").stdout  # not a terminal
    coloured = invoke("check", env={"FORCE_COLOR": "1"}).stdout
    assert ANSI in coloured
    assert "PA1001" in coloured
    assert ANSI not in invoke("check", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    invoke("check", "--output-file", "out.txt", env={"FORCE_COLOR": "1"})
    assert ANSI not in (seed / "out.txt").read_text(encoding="utf-8")


def test_output_format_from_the_environment_and_the_flag_wins(seed: Path) -> None:
    from_env = invoke("check", env={"PINAUDIT_OUTPUT_FORMAT": "concise"})
    assert from_env.stdout.startswith(
        "requirements.txt:1:1: PA1001 uvicorn 0.13.4 with wsproto 1.0.0"
    )
    assert from_env.stdout.count("\n") == 1
    flag = invoke("check", "--output-format", "json", env={"PINAUDIT_OUTPUT_FORMAT": "concise"})
    assert json.loads(flag.stdout)["version"] == 1
    bad = invoke("check", env={"PINAUDIT_OUTPUT_FORMAT": "xml"})
    assert bad.exit_code == 2


def test_json_summary_carries_the_exit_code_the_command_ends_with(seed: Path) -> None:
    data = json.loads(invoke("check", "--output-format", "json", "--exit-zero").stdout)
    assert data["summary"]["exit_code"] == 0
    assert data["summary"]["suppressed"] == 0
    assert data["summary"]["baselined"] == 0


def test_bad_target_python_and_conflicting_flags_are_usage_errors(seed: Path) -> None:
    assert invoke("check", "--target-python", "three").exit_code == 2
    assert invoke("check", "--config", "x.toml", "--isolated").exit_code == 2


def test_the_rules_list_includes_the_suppression_checks() -> None:
    result = invoke("rules", "--isolated")
    assert result.exit_code == 0
    codes = [line.split()[0] for line in result.stdout.splitlines()]
    assert codes[:4] == ["PA0001", "PA0002", "PA0003", "PA0004"]
    assert "PA1001" in codes
    assert codes == sorted(codes)


def test_rule_explains_an_internal_rule_and_rejects_an_unknown_one() -> None:
    result = invoke("rule", "PA0002")
    assert result.exit_code == 0
    assert result.stdout.startswith("PA0002 expired-suppression [warning, suppression check]")
    missing = invoke("rule", "PA9999")
    assert missing.exit_code == 2
    assert "no rule 'PA9999'" in missing.stderr


GOOD_RULE = """
[[rule]]
code = "XX1001"
slug = "alpha-beta"
kind = "combination"
severity = "warning"
summary = "alpha before 2 breaks with beta 3"
references = [{url = "https://example.org/issue/1", kind = "issue"}]
[[rule.packages]]
name = "alpha"
bad = "<2"
[[rule.packages]]
name = "beta"
bad = ">=3"
[[rule.examples]]
expect = "definite"
requirements = ["alpha==1.0", "beta==3.0"]
[[rule.examples]]
expect = "possible"
requirements = ["alpha<3", "beta>=2"]
[[rule.examples]]
expect = "silent"
requirements = ["alpha==2.0", "beta==3.0"]
"""


def test_rules_validate_counts_a_good_pack_and_locates_problems(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(GOOD_RULE, encoding="utf-8")
    result = invoke("rules", "validate", good)
    assert (result.exit_code, result.stdout) == (0, "1 rule valid.\n")
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD_RULE.replace('severity = "warning"', 'severity = "loud"'), encoding="utf-8")
    failed = invoke("rules", "validate", bad, tmp_path / "absent.toml")
    assert failed.exit_code == 2
    assert f"{bad}:6: rule XX1001: 'severity' is 'loud'" in failed.stderr
    assert "absent.toml: no such file or directory" in failed.stderr


def test_rules_test_runs_every_example_and_reports_a_wrong_one(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(GOOD_RULE, encoding="utf-8")
    passed = invoke("rules", "test", good)
    assert (passed.exit_code, passed.stdout) == (0, "3 examples of 1 rules passed.\n")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(GOOD_RULE.replace('"alpha==2.0"', '"alpha==1.5"'), encoding="utf-8")
    failed = invoke("rules", "test", wrong)
    assert failed.exit_code == 1
    assert (
        "XX1001 example 3 (silent): got definite for ['alpha==1.5', 'beta==3.0']" in failed.stdout
    )
    assert "1 of 3 examples failed." in failed.stdout


def test_rules_test_passes_on_the_shipped_rules() -> None:
    result = invoke("rules", "test")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.endswith("rules passed.\n")


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["fix"],
        ["config"],
        ["baseline"],
        ["baseline", "write"],
        ["rules"],
        ["rules", "validate"],
        ["rules", "test"],
        ["rule"],
        [],
    ],
)
def test_every_command_has_examples_in_its_help(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout


def test_main_help_documents_exit_codes_and_completion() -> None:
    text = invoke("--help").stdout
    assert "Exit codes:" in text
    assert "_PINAUDIT_COMPLETE=bash_source pinaudit" in text
    assert "advisories" in text
    assert "Exit codes:" in invoke("check", "--help").stdout


def test_shell_completion_is_clicks_own() -> None:
    runner = CliRunner()
    script = runner.invoke(
        main, [], prog_name="pinaudit", env={"_PINAUDIT_COMPLETE": "bash_source"}
    )
    assert "_pinaudit_completion" in script.output
    words = runner.invoke(
        main,
        [],
        prog_name="pinaudit",
        env={"_PINAUDIT_COMPLETE": "bash_complete", "COMP_WORDS": "pinaudit ch", "COMP_CWORD": "1"},
    )
    assert "plain,check" in words.output


def test_advisories_are_checked_as_rules_when_given(seed: Path, tmp_path: Path) -> None:
    (seed / "requirements.txt").write_text("example-lib==1.2.0\n", encoding="utf-8")
    cache = {"PINAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    assert invoke("check", env=cache).exit_code == 0
    result = invoke("check", "--advisories", OSV, "--output-format", "concise", env=cache)
    assert result.stdout.startswith("requirements.txt:1:1: PYSEC-2099-1 example-lib 1.2.0")
    (seed / "pinaudit.toml").write_text(
        f'advisory-paths = ["{OSV.as_posix()}"]\n', encoding="utf-8"
    )
    configured = invoke("check", "--output-format", "concise", env=cache)
    assert configured.stdout == result.stdout
    assert invoke("check", "--ignore", "PYSEC", env=cache).exit_code == 0


def test_advisories_read_each_file_once(
    seed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass that learns which packages need advisories is the one the rules use."""
    from pinaudit import environments

    (seed / "requirements.txt").write_text("-r base.txt\nexample-lib==1.2.0\n", encoding="utf-8")
    (seed / "base.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8")
    parsed: list[str] = []
    original = environments.parse_source

    def counting(source: SourceText, *args: Any, **kwargs: Any) -> Manifest:
        parsed.append(source.path.name)
        return original(source, *args, **kwargs)

    monkeypatch.setattr(environments, "parse_source", counting)
    cache = {"PINAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    result = invoke("check", "--advisories", OSV, "--output-format", "concise", env=cache)
    assert sorted(parsed) == ["base.txt", "requirements.txt"]
    codes = [line.split(": ")[1].split()[0] for line in result.stdout.splitlines() if ": " in line]
    assert "PYSEC-2099-1" in codes and "PA1001" in codes


def test_advisories_command_is_registered() -> None:
    result = invoke("advisories", "path", "--cache-dir", "/tmp/somewhere")
    assert (result.exit_code, result.stdout) == (0, "/tmp/somewhere\n")


def test_a_plain_check_imports_nothing_it_does_not_use(seed: Path) -> None:
    probe = (
        "import sys; from pinaudit.cli import main\n"
        "try:\n    main(['check', '.'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('pinaudit')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=seed, capture_output=True, text=True, check=False
    )
    loaded = completed.stdout.strip().splitlines()[-1]
    for lazy in (
        "advisories",
        "suppress",
        "baseline",
        "sarif",
        "junit",
        "gitlab",
        "github",
        "fixrun",
    ):
        assert lazy not in loaded, lazy
    assert "pinaudit.config" in loaded


def test_a_command_run_in_process_leaves_the_collector_as_it_was(seed: Path) -> None:
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    assert invoke("check").exit_code == 1
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_as_a_program_output_exit_code_and_exit_handlers_are_kept(seed: Path) -> None:
    probe = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('at exit, frozen:', gc.get_freeze_count() > 0))\n"
        "from pinaudit.cli import main\n"
        "main()\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe, "check", "--output-format", "concise"],
        cwd=seed,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stdout.startswith("requirements.txt:1:1: PA1001 ")
    assert completed.stdout.endswith("at exit, frozen: True\n")


def test_fix_still_shows_the_diff_and_writes_on_request(seed: Path) -> None:
    shown = invoke("fix")
    assert shown.exit_code == 0
    assert "-uvicorn==0.13.4\n+uvicorn==0.14.0\n" in shown.stdout
    assert invoke("fix", "--diff").exit_code == 1
    written = invoke("fix", "--write")
    assert written.exit_code == 0
    assert "wrote requirements.txt" in written.stdout
    assert invoke("check").exit_code == 0


TOO_LONG = "z" * 300  # longer than any file name the OS allows (255 bytes)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((TOO_LONG,), f"{TOO_LONG}: file name too long"),
        (("--rules", TOO_LONG, "."), f"{TOO_LONG}: cannot read rule file"),
        (("--config", TOO_LONG, "."), TOO_LONG),
    ],
)
def test_a_name_the_os_refuses_is_bad_input_not_a_traceback(
    seed: Path, args: tuple[str, ...], message: str
) -> None:
    """pathlib raises OSError (ENAMETOOLONG) where a missing file is just False."""
    result = invoke("check", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("text", "exit_code", "problem"),
    [
        (f"-r {TOO_LONG}.txt\n{SEED}", 2, "missing-include included file not found"),
        (
            f"# This file is autogenerated by pip-compile\n#    pip-compile {TOO_LONG}.in\n{SEED}",
            1,
            None,
        ),
    ],
)
def test_a_file_that_names_an_impossible_path_is_still_checked(
    seed: Path, text: str, exit_code: int, problem: str | None
) -> None:
    """An include or a compile input with a name the OS refuses: not found, and
    the rest of the file is checked (found by damaging the real corpus)."""
    (seed / "requirements.txt").write_text(text, encoding="utf-8")
    result = invoke("check", "--output-format", "concise", ".")
    assert result.exit_code == exit_code, result.output
    assert "PA1001" in result.output
    assert problem is None or problem in result.output
