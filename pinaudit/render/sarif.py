"""SARIF 2.1.0, the format GitHub code scanning and most review tools import.

Paths are URIs relative to ``%SRCROOT%`` (the working folder), so the report
stays valid after the checkout moves, as upload-sarif expects.  Columns count
code points (``columnKind``), which is what pinaudit's spans count, with an
exclusive end column as SARIF defines it.  ``fix`` output carries its planned
edits as SARIF fixes, so a viewer can offer them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pinaudit import __version__
from pinaudit.findings import Finding
from pinaudit.model import Dependency, Problem, Span
from pinaudit.render.paths import display
from pinaudit.report import Report, fingerprint, kind_label
from pinaudit.rulebook import Rule, Severity

if TYPE_CHECKING:  # the fix planner is imported only by `fix`
    from pinaudit.fix import FixPlan, TextEdit

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"


def _artifact(path: Path) -> dict[str, str]:
    shown = display(path)
    if Path(shown).is_absolute():
        return {"uri": Path(shown).as_uri()}
    return {"uri": quote(shown), "uriBaseId": SRCROOT}


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _location(dependency: Dependency) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(dependency.path),
            "region": _region(dependency.location),
        }
    }


def _descriptor(rule: Rule) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description or rule.summary},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "severity": str(rule.severity),
            "kind": kind_label(rule),
            "packages": [f"{condition.name}{condition.specifier}" for condition in rule.packages],
            "references": [reference.url for reference in rule.references],
            "tags": ["dependencies", kind_label(rule)],
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0].url
    return descriptor


def _fixes(plan: FixPlan | None) -> list[dict[str, Any]]:
    if plan is None or plan.blocked is not None or not plan.edits:
        return []
    by_path: dict[Path, list[TextEdit]] = defaultdict(list)
    for edit in plan.edits:
        by_path[edit.path].append(edit)
    return [
        {
            "description": {"text": plan.summary},
            "artifactChanges": [
                {
                    "artifactLocation": _artifact(path),
                    "replacements": [
                        {
                            "deletedRegion": {
                                **_region(edit.span),
                                "charOffset": edit.span.start,
                                "charLength": edit.span.end - edit.span.start,
                            },
                            "insertedContent": {"text": edit.replacement},
                        }
                        for edit in edits
                    ],
                }
                for path, edits in by_path.items()
            ],
        }
    ]


def _result(finding: Finding, rule_index: int, plan: FixPlan | None) -> dict[str, Any]:
    rule = finding.rule
    others = [
        (item.name, dependency)
        for item in finding.involved
        for dependency in item.dependencies
        if dependency is not finding.primary
    ]
    related = [
        {**_location(dependency), "id": position, "message": {"text": dependency.text or name}}
        for position, (name, dependency) in enumerate(others, start=1)
    ]
    result: dict[str, Any] = {
        "ruleId": rule.code,
        "ruleIndex": rule_index,
        "level": LEVELS[rule.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding.primary)],
        "partialFingerprints": {"pinaudit/v1": fingerprint(finding, display(finding.primary.path))},
        "properties": {
            "match": str(finding.match),
            "environment": display(Path(finding.environment)),
        },
    }
    if finding.where:
        result["properties"]["where"] = finding.where
    if related:
        result["relatedLocations"] = related
    fixes = _fixes(plan)
    if fixes:
        result["fixes"] = fixes
    return result


def _notification(problem: Problem) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": problem.message},
        "descriptor": {"id": problem.code},
    }
    location: dict[str, Any] = {"artifactLocation": _artifact(problem.path)}
    if problem.line is not None:
        location["region"] = {"startLine": problem.line}
        if problem.column is not None:
            location["region"]["startColumn"] = problem.column
    notification["locations"] = [{"physicalLocation": location}]
    return notification


def render_sarif(report: Report, *, exit_code: int | None = None) -> str:
    rules: dict[str, tuple[int, Rule]] = {}
    for finding in report.findings:
        rules.setdefault(finding.rule.code, (len(rules), finding.rule))
    code = int(report.exit_code()) if exit_code is None else exit_code
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "pinaudit",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(rule) for _, rule in rules.values()],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(finding, rules[finding.rule.code][0], report.plan_for(finding))
            for finding in report.findings
        ],
        "invocations": [
            {
                "executionSuccessful": not report.problems,
                "exitCode": code,
                "toolExecutionNotifications": [_notification(p) for p in report.problems],
            }
        ],
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"
