"""One line per finding, ``path:line:col: CODE message``, for editors, grep and quickfix lists."""

from __future__ import annotations

from pinaudit.model import Problem
from pinaudit.render.paths import display
from pinaudit.report import Report


def problem_location(problem: Problem) -> str:
    where = display(problem.path)
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    return where


def render_concise(report: Report) -> str:
    lines = [
        f"{problem_location(problem)}: {problem.code} {problem.message}"
        for problem in report.problems
    ]
    for finding in report.findings:
        primary = finding.primary
        lines.append(
            f"{display(primary.path)}:{primary.location.line}:{primary.location.column}: "
            f"{finding.rule.code} {finding.message}"
        )
    return "".join(line + "\n" for line in lines)
