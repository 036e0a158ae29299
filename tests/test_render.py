"""Every output format: valid for the tool that reads it, and saying the same thing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pinaudit.check import check_paths
from pinaudit.fixrun import run_fix
from pinaudit.render.concise import render_concise
from pinaudit.render.github import escape_data, escape_property, render_github
from pinaudit.render.gitlab import render_gitlab
from pinaudit.render.json import render_json
from pinaudit.render.junit import render_junit
from pinaudit.render.sarif import render_sarif
from pinaudit.render.text import render_text
from pinaudit.report import Policy, Report
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets
from tests.conftest import shared_path
from tests.test_cli import SEED

RULES = load_rules([builtin_rules_path()])
DEFAULT_POLICY = Policy()
STALE_CAP = "uvicorn[standard]==0.14.0\nwsproto==0.15.*\n"  # PA3001, info


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report(
    text: str, *, fix: bool = False, name: str = "requirements.txt", policy: Policy = DEFAULT_POLICY
) -> Report:
    """The report of one requirements file, checked (or fixed, dry run) from the working folder."""
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if fix:
        outcome = run_fix(
            [path], RULES.index(), make_targets(), environ={}, write=False, root=Path.cwd()
        )
        return Report(outcome.result, outcome.plans, policy=policy)
    return Report(check_paths([path], RULES.index(), make_targets()), policy=policy)


# -- SARIF ------------------------------------------------------------------------


def _validate_sarif(document: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads(
        shared_path("schemas", "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.path))
    assert [f"{list(error.path)}: {error.message}" for error in errors] == []


def test_sarif_of_a_check_is_valid_and_complete(here: Path) -> None:
    document = json.loads(render_sarif(report(SEED)))
    _validate_sarif(document)
    (run,) = document["runs"]
    assert document["version"] == "2.1.0"
    assert run["columnKind"] == "unicodeCodePoints"
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["id"] == "PA1001"
    assert rule["name"] == "uvicorn-wsproto-1-upgrade-status"
    assert rule["helpUri"] == "https://github.com/encode/uvicorn/issues/868"
    assert rule["shortDescription"]["text"].startswith("uvicorn before 0.14.0")
    assert rule["properties"]["severity"] == "warning"
    (result,) = run["results"]
    assert (result["ruleId"], result["ruleIndex"], result["level"]) == ("PA1001", 0, "warning")
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 16}
    (related,) = result["relatedLocations"]
    assert related["message"]["text"] == "wsproto==1.0.0"
    assert related["physicalLocation"]["region"]["startLine"] == 2
    assert "fixes" not in result
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_of_a_fix_carries_the_planned_edits(here: Path) -> None:
    document = json.loads(render_sarif(report(SEED, fix=True)))
    _validate_sarif(document)
    (fix,) = document["runs"][0]["results"][0]["fixes"]
    (change,) = fix["artifactChanges"]
    (replacement,) = change["replacements"]
    assert replacement["deletedRegion"] == {
        "startLine": 1,
        "startColumn": 8,
        "endLine": 1,
        "endColumn": 16,
        "charOffset": 7,
        "charLength": 8,
    }
    assert replacement["insertedContent"] == {"text": "==0.14.0"}
    assert fix["description"]["text"].startswith("uvicorn 0.13.4 -> 0.14.0")


def test_sarif_levels_problems_and_an_empty_run_are_valid(here: Path) -> None:
    info = json.loads(render_sarif(report(STALE_CAP)))
    _validate_sarif(info)
    assert info["runs"][0]["results"][0]["level"] == "note"
    Path("requirements.txt").write_bytes(b"uvicorn\x00\n")
    broken = json.loads(
        render_sarif(Report(check_paths([Path("requirements.txt")], {}, make_targets())))
    )
    _validate_sarif(broken)
    invocation = broken["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["descriptor"]["id"] == "unreadable"
    empty = json.loads(render_sarif(report("flask\n")))
    _validate_sarif(empty)
    assert empty["runs"][0]["results"] == []


def test_sarif_uris_are_percent_encoded(here: Path) -> None:
    document = json.loads(render_sarif(report(SEED, name="my app/requirements.txt")))
    _validate_sarif(document)
    location = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "my%20app/requirements.txt"


# -- GitHub -----------------------------------------------------------------------


def test_github_escaping_follows_the_toolkit() -> None:
    assert escape_data("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b"
    assert escape_property("C:\\dir,x%\n") == "C%3A\\dir%2Cx%25%0A"


def test_github_annotations_point_at_the_entry(here: Path) -> None:
    lines = render_github(report(SEED)).splitlines()
    assert len(lines) == 1
    head, message = lines[0].split("::", 2)[1:]
    assert head == (
        "warning file=requirements.txt,line=1,col=1,endLine=1,endColumn=16,"
        "title=PA1001 uvicorn-wsproto-1-upgrade-status"
    )
    assert message.startswith("uvicorn 0.13.4 with wsproto 1.0.0: ")
    assert "%0Arequirements.txt:2: wsproto==1.0.0%0A" in message
    assert "\n" not in message


def test_github_annotations_of_info_and_problems(here: Path) -> None:
    assert render_github(report(STALE_CAP)).startswith("::notice file=requirements.txt,line=1,")
    Path("requirements.txt").write_bytes(b"uvicorn\x00\n")
    text = render_github(Report(check_paths([Path("requirements.txt")], {}, make_targets())))
    assert text.startswith(
        "::error file=requirements.txt,title=pinaudit%3A unreadable::binary file"
    )


# -- GitLab -----------------------------------------------------------------------


def test_gitlab_code_quality_issues(here: Path) -> None:
    (issue,) = json.loads(render_gitlab(report(SEED)))
    assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["check_name"] == "PA1001 uvicorn-wsproto-1-upgrade-status"
    assert issue["severity"] == "major"
    assert issue["location"] == {"path": "requirements.txt", "lines": {"begin": 1, "end": 1}}
    assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
    (info,) = json.loads(render_gitlab(report(STALE_CAP)))
    assert info["severity"] == "info"
    (possible,) = json.loads(render_gitlab(report("uvicorn<0.14\nwsproto>=0.15\n")))
    assert possible["severity"] == "minor"


def test_gitlab_fingerprints_ignore_line_moves_but_not_packages(here: Path) -> None:
    (before,) = json.loads(render_gitlab(report(SEED)))
    (moved,) = json.loads(render_gitlab(report("# web\nflask\n" + SEED)))
    assert moved["location"]["lines"]["begin"] == 3
    assert moved["fingerprint"] == before["fingerprint"]
    (elsewhere,) = json.loads(render_gitlab(report(SEED, name="svc/requirements.txt")))
    assert elsewhere["fingerprint"] != before["fingerprint"]


# -- JUnit ------------------------------------------------------------------------


def test_junit_has_one_suite_and_a_case_per_finding(here: Path) -> None:
    text = render_junit(report(SEED, policy=Policy()))
    root = ET.fromstring(text)
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 1
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "1", "0")
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "warning"
    assert "requirements.txt:2:1: wsproto==1.0.0" in (failure.text or "")


def test_junit_passes_what_does_not_fail_the_run(here: Path) -> None:
    root = ET.fromstring(render_junit(report(STALE_CAP)))
    (case,) = root.iter("testcase")
    assert case.find("failure") is None
    assert "wsproto is held below 1.0" in (case.findtext("system-out") or "")
    assert root.find("testsuite").get("failures") == "0"  # type: ignore[union-attr]


def test_junit_without_findings_has_one_passing_case(here: Path) -> None:
    root = ET.fromstring(render_junit(report("flask\n")))
    (case,) = root.iter("testcase")
    assert case.get("name") == "no findings in 1 file"
    assert root.find("testsuite").get("tests") == "1"  # type: ignore[union-attr]


def test_junit_problems_are_errors_and_control_characters_are_dropped(here: Path) -> None:
    Path("requirements.txt").write_bytes(b"uvicorn\x00\x01\n")
    root = ET.fromstring(
        render_junit(Report(check_paths([Path("requirements.txt")], {}, make_targets())))
    )
    error = next(root.iter("error"))
    assert error.get("type") == "unreadable"
    Path("requirements.txt").write_text(
        "uvicorn==0.13.4 \x1b[31m\nwsproto==1.0.0\n", encoding="utf-8"
    )
    ET.fromstring(render_junit(report(Path("requirements.txt").read_text(encoding="utf-8"))))


def test_junit_reads_with_junitparser(here: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    Path("report.xml").write_text(render_junit(report(SEED)), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile("report.xml")
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    (suite,) = suites
    assert (suite.tests, suite.failures, suite.errors) == (1, 1, 0)
    (case,) = list(suite)
    assert not case.is_passed
    assert case.classname == "requirements.txt"


# -- concise, JSON, text ------------------------------------------------------------


def test_concise_is_one_line_per_finding(here: Path) -> None:
    Path("requirements.txt").write_bytes(b"flask\x00\n")
    unreadable = check_paths([Path("requirements.txt")], {}, make_targets()).problems
    checked = report(SEED, name="a/requirements.txt")
    lines = render_concise(Report(checked.result, extra_problems=unreadable)).splitlines()
    assert lines[0].startswith("requirements.txt: unreadable binary file")
    lines = lines[1:]
    assert len(lines) == 1
    assert all(re.fullmatch(r"[^:]+:\d+:\d+: [A-Z]+\d+ .+", line) for line in lines), lines
    assert lines[0].startswith("a/requirements.txt:1:1: PA1001 uvicorn 0.13.4 with wsproto 1.0.0: ")


def test_json_findings_carry_a_stable_fingerprint(here: Path) -> None:
    data = json.loads(render_json(report(SEED)))
    (finding,) = data["findings"]
    (issue,) = json.loads(render_gitlab(report(SEED)))
    assert finding["fingerprint"] == issue["fingerprint"]
    assert data["summary"]["suppressed"] == 0


def test_text_is_coloured_only_when_asked(here: Path) -> None:
    checked = report(SEED)
    plain = render_text(checked)
    coloured = render_text(checked, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert plain.startswith(
        "requirements.txt:1:1: PA1001 [warning] uvicorn-wsproto-1-upgrade-status\n"
    )


def test_every_format_renders_findings_about_suppressions(here: Path) -> None:
    from tests.test_cli import invoke

    Path("requirements.txt").write_text(
        "uvicorn==0.13.4  # pinaudit: ignore[PA1001,PA2001]\nwsproto==1.0.0\n", encoding="utf-8"
    )
    sarif = json.loads(invoke("check", "--output-format", "sarif").stdout)
    _validate_sarif(sarif)
    rules = {rule["id"]: rule for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {"PA0001", "PA0003"}
    assert rules["PA0001"]["properties"]["kind"] == "suppression check"
    assert "helpUri" not in rules["PA0001"]
    for output_format in ("text", "concise", "json", "github", "gitlab", "junit"):
        result = invoke("check", "--output-format", output_format)
        assert result.exit_code == 1, output_format
        assert "PA0001" in result.stdout, output_format
    ET.fromstring(invoke("check", "--output-format", "junit").stdout)
