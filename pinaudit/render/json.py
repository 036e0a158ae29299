"""Versioned JSON for machines; the schema is documented in docs/json-output.md.

Lines and columns are 1-based with an exclusive end column, as in SARIF; edits
also carry character offsets so a consumer can apply them without re-parsing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pinaudit import __version__
from pinaudit.findings import Finding
from pinaudit.model import Dependency, Span
from pinaudit.render.paths import display
from pinaudit.report import Report, fingerprint

if TYPE_CHECKING:  # the fix planner is imported only by `fix`
    from pinaudit.fix import FixPlan

SCHEMA_VERSION = 1


def _span(span: Span) -> dict[str, int]:
    return {
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def _dependency(dependency: Dependency) -> dict[str, Any]:
    return {"path": display(dependency.path), **_span(dependency.location), "text": dependency.text}


def _fix(plan: FixPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {
        "summary": plan.summary,
        "blocked": plan.blocked,
        "relock": plan.relock,
        "edits": [
            {
                "path": display(edit.path),
                **_span(edit.span),
                "start": edit.span.start,
                "end": edit.span.end,
                "original": edit.original,
                "replacement": edit.replacement,
            }
            for edit in plan.edits
        ],
    }


def finding_data(finding: Finding, plan: FixPlan | None) -> dict[str, Any]:
    rule = finding.rule
    return {
        "rule": rule.code,
        "name": rule.slug,
        "severity": str(rule.severity),
        "match": str(finding.match),
        "message": finding.message,
        **_dependency(finding.primary),
        "environment": display_name(finding.environment),
        "where": finding.where,
        "packages": [
            {
                "name": item.name,
                "versions": item.versions,
                "relation": item.relation.value,
                **_dependency(item.primary),
            }
            for item in finding.involved
        ],
        "references": [reference.url for reference in rule.references],
        "fingerprint": fingerprint(finding, display(finding.primary.path)),
        "fix": _fix(plan),
    }


def display_name(environment: str) -> str:
    from pathlib import Path

    return display(Path(environment))


def render_json(report: Report, *, exit_code: int | None = None) -> str:
    findings = report.result.findings
    data = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "pinaudit", "version": __version__},
        "findings": [finding_data(f, report.plan_for(f)) for f in findings],
        "problems": [
            {
                "path": display(problem.path),
                "line": problem.line,
                "column": problem.column,
                "code": problem.code,
                "message": problem.message,
            }
            for problem in report.problems
        ],
        "summary": {
            "files": len(report.result.files),
            "environments": len(report.result.environments),
            "findings": len(findings),
            "suppressed": len(report.suppressed),
            "baselined": len(report.baselined),
            "exit_code": int(report.exit_code()) if exit_code is None else exit_code,
        },
    }
    return json.dumps(data, indent=2) + "\n"


def render_statistics_json(report: Report) -> str:
    """``--statistics --output-format json``: one object per rule code."""
    data = [
        {
            "code": row.rule.code,
            "name": row.rule.slug,
            "severity": str(row.rule.severity),
            "count": row.count,
        }
        for row in report.statistics()
    ]
    return json.dumps(data, indent=2) + "\n"
