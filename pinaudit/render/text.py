"""Text for people: one block per finding, the locations first, like a compiler."""

from __future__ import annotations

from collections.abc import Iterator

from pinaudit.findings import Finding
from pinaudit.fix import FixPlan
from pinaudit.render.paths import display
from pinaudit.report import Report
from pinaudit.rulebook import Match


def _location(finding: Finding) -> str:
    primary = finding.primary
    return f"{display(primary.path)}:{primary.span.line}:{primary.span.column}"


def _fix_lines(plan: FixPlan | None) -> Iterator[str]:
    if plan is None:
        return
    if plan.blocked is not None:
        yield f"  no automatic fix: {plan.blocked}"
        return
    if plan.summary:
        yield f"  fix: {plan.summary}"
    if plan.relock:
        yield f"  then re-lock: {plan.relock}"


def render_finding(finding: Finding, plan: FixPlan | None) -> Iterator[str]:
    rule = finding.rule
    yield (
        f"{_location(finding)}: {rule.code} [{rule.severity}] {rule.slug}"
        + ("" if finding.match is Match.DEFINITE else " (possible)")
    )
    yield f"  {finding.message}"
    for item in finding.involved:
        dependency = item.primary
        where = f"{display(dependency.path)}:{dependency.span.line}:{dependency.span.column}"
        yield f"  {where}: {dependency.text or dependency.raw_name}"
    yield from _fix_lines(plan)
    urls = [reference.url for reference in rule.references]
    if urls:
        yield f"  sources: {urls[0]}"
        for url in urls[1:]:
            yield f"           {url}"


def render_text(report: Report) -> str:
    lines: list[str] = []
    for problem in report.problems:
        lines.append(f"{problem.describe()} [{problem.code}]")
    findings = report.result.findings
    for finding in findings:
        if lines:
            lines.append("")
        lines.extend(render_finding(finding, report.plan_for(finding)))
    definite = sum(1 for f in findings if f.match is Match.DEFINITE)
    environments = len(report.result.environments)
    if findings:
        lines.append("")
        noun = "finding" if len(findings) == 1 else "findings"
        lines.append(
            f"Found {len(findings)} {noun} ({definite} definite, {len(findings) - definite} possible)"
            f" in {environments} environment{'s' if environments != 1 else ''}."
        )
    elif not report.problems:
        files = len(report.result.files)
        lines.append(f"All checks passed ({files} file{'s' if files != 1 else ''} checked).")
    return "\n".join(lines) + "\n"
