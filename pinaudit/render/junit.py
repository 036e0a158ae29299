"""JUnit XML, for CI systems that show test reports but not lint formats.

One test suite; one test case per finding, failing when the finding fails the
run under the current policy (so the report and the exit code agree), passing
with the message in its output otherwise; a file that could not be read is an
error case.  With nothing to report there is one passing case, because some
CI parsers treat a suite without cases as a broken report.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pinaudit.findings import Finding
from pinaudit.model import Problem
from pinaudit.render.concise import problem_location
from pinaudit.render.paths import display
from pinaudit.report import Report

SUITE = "pinaudit"
#: Characters XML 1.0 cannot carry at all, not even escaped; a manifest may hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _details(finding: Finding) -> str:
    lines = [_clean(finding.message)]
    lines.extend(
        f"{display(item.primary.path)}:"
        f"{item.primary.location.line}:{item.primary.location.column}: "
        f"{item.primary.text or item.name}"
        for item in finding.involved
    )
    lines.extend(f"source: {reference.url}" for reference in finding.rule.references)
    return _clean("\n".join(lines))


def _finding_case(suite: ET.Element, finding: Finding, fails: bool) -> None:
    primary = finding.primary
    location = f"{display(primary.path)}:{primary.location.line}:{primary.location.column}"
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _clean(display(primary.path)),
            "name": _clean(f"{finding.rule.code} {finding.rule.slug} at {location}"),
            "file": _clean(display(primary.path)),
            "line": str(primary.location.line),
            "time": "0",
        },
    )
    if fails:
        failure = ET.SubElement(
            case,
            "failure",
            {"message": _clean(finding.message), "type": str(finding.rule.severity)},
        )
        failure.text = _details(finding)
    else:
        ET.SubElement(case, "system-out").text = _details(finding)


def _problem_case(suite: ET.Element, problem: Problem) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _clean(display(problem.path)),
            "name": _clean(f"read {problem_location(problem)}"),
            "file": _clean(display(problem.path)),
            "time": "0",
        },
    )
    error = ET.SubElement(case, "error", {"message": _clean(problem.message), "type": problem.code})
    error.text = _clean(problem.describe())


def render_junit(report: Report) -> str:
    failing = [report.policy.fails(finding) for finding in report.findings]
    cases = len(report.findings) + len(report.problems)
    suites = ET.Element("testsuites", {"name": SUITE})
    suite = ET.SubElement(
        suites,
        "testsuite",
        {
            "name": SUITE,
            "tests": str(max(cases, 1)),
            "failures": str(sum(failing)),
            "errors": str(len(report.problems)),
            "skipped": "0",
            "time": "0",
        },
    )
    suites.attrib.update({key: suite.attrib[key] for key in ("tests", "failures", "errors")})
    for problem in report.problems:
        _problem_case(suite, problem)
    for finding, fails in zip(report.findings, failing, strict=True):
        _finding_case(suite, finding, fails)
    if not cases:
        files = len(report.result.files)
        ET.SubElement(
            suite,
            "testcase",
            {
                "classname": SUITE,
                "name": f"no findings in {files} file{'s' if files != 1 else ''}",
                "time": "0",
            },
        )
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )
