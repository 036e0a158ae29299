"""GitLab Code Quality (a Code Climate subset): the merge request widget's format.

The fingerprint is what GitLab compares between the base and the head of a
merge request, so it hashes the rule, the file and the packages, never a line:
an edit above an entry must not look like one issue fixed and another opened.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pinaudit.findings import Finding
from pinaudit.model import Problem
from pinaudit.render.paths import display
from pinaudit.report import Report, fingerprint
from pinaudit.rulebook import Match, Severity

#: (severity, definite?) -> Code Quality severity.  A possible match is one step
#: milder: the ranges permit the combination, nothing installs it yet.
SEVERITIES = {
    (Severity.ERROR, True): "critical",
    (Severity.ERROR, False): "major",
    (Severity.WARNING, True): "major",
    (Severity.WARNING, False): "minor",
    (Severity.INFO, True): "info",
    (Severity.INFO, False): "info",
}


def _finding(finding: Finding) -> dict[str, Any]:
    path = display(finding.primary.path)
    span = finding.primary.location
    return {
        "type": "issue",
        "description": f"{finding.rule.code} {finding.message}",
        "check_name": f"{finding.rule.code} {finding.rule.slug}",
        "fingerprint": fingerprint(finding, path),
        "severity": SEVERITIES[finding.rule.severity, finding.match is Match.DEFINITE],
        "categories": ["Bug Risk"],
        "location": {"path": path, "lines": {"begin": span.line, "end": span.end_line}},
    }


def _problem(problem: Problem) -> dict[str, Any]:
    path = display(problem.path)
    digest = hashlib.sha256(f"{problem.code}\0{path}\0{problem.message}".encode()).hexdigest()
    return {
        "type": "issue",
        "description": f"pinaudit could not read this file: {problem.message}",
        "check_name": f"pinaudit {problem.code}",
        "fingerprint": digest,
        "severity": "blocker",
        "categories": ["Bug Risk"],
        "location": {"path": path, "lines": {"begin": problem.line or 1}},
    }


def render_gitlab(report: Report) -> str:
    issues = [_problem(problem) for problem in report.problems]
    issues.extend(_finding(finding) for finding in report.findings)
    return json.dumps(issues, indent=2) + "\n"
