"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

Escaping follows the actions toolkit: ``%``, CR and LF in the message; also
``:`` and ``,`` in a property, where they would end the value.
"""

from __future__ import annotations

from pinaudit.findings import Finding
from pinaudit.model import Problem
from pinaudit.render.paths import display
from pinaudit.report import Report
from pinaudit.rulebook import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, properties: dict[str, str | int], message: str) -> str:
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {fields}::{escape_data(message)}"


def _finding(finding: Finding) -> str:
    rule = finding.rule
    span = finding.primary.location
    properties: dict[str, str | int] = {
        "file": display(finding.primary.path),
        "line": span.line,
        "col": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
        "title": f"{rule.code} {rule.slug}",
    }
    lines = [finding.message]
    lines.extend(
        f"{display(item.primary.path)}:{item.primary.location.line}: "
        f"{item.primary.text or item.name}"
        for item in finding.involved
    )
    if rule.references:
        lines.append(f"See {rule.references[0].url}")
    return _command(COMMANDS[rule.severity], properties, "\n".join(lines))


def _problem(problem: Problem) -> str:
    properties: dict[str, str | int] = {"file": display(problem.path)}
    if problem.line is not None:
        properties["line"] = problem.line
        if problem.column is not None:
            properties["col"] = problem.column
    properties["title"] = f"pinaudit: {problem.code}"
    return _command("error", properties, problem.message)


def render_github(report: Report) -> str:
    lines = [_problem(problem) for problem in report.problems]
    lines.extend(_finding(finding) for finding in report.findings)
    return "".join(line + "\n" for line in lines)
