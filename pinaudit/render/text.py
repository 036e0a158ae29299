"""Text for people: one block per finding, the locations first, like a compiler.

Findings come in file order, each block grouping the entries involved, the fix
and the sources under a ``path:line:col:`` headline that terminals and editors
can follow.

Colour is decided by the caller (a terminal, NO_COLOR, FORCE_COLOR); this
module only knows which parts deserve it, so the same words come out either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import click

from pinaudit.findings import Finding
from pinaudit.render.paths import display
from pinaudit.report import Report
from pinaudit.rulebook import Match, Severity

if TYPE_CHECKING:  # the fix planner is imported only by `fix`
    from pinaudit.fix import FixPlan

Style = Callable[..., str]

_SEVERITY_COLOUR = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _plain(text: str, **_: object) -> str:
    return text


def _fix_lines(plan: FixPlan | None, style: Style) -> Iterator[str]:
    if plan is None:
        return
    if plan.blocked is not None:
        yield f"  {style('no automatic fix:', fg='magenta')} {plan.blocked}"
        return
    if plan.summary:
        yield f"  {style('fix:', fg='green', bold=True)} {plan.summary}"
    if plan.relock:
        yield f"  {style('then re-lock:', fg='green')} {plan.relock}"


def render_finding(finding: Finding, plan: FixPlan | None, style: Style = _plain) -> Iterator[str]:
    """One finding: where, rule, message, the entries involved, the fix and the sources."""
    rule = finding.rule
    primary = finding.primary
    where = f"{display(primary.path)}:{primary.location.line}:{primary.location.column}"
    possible = "" if finding.match is Match.DEFINITE else " " + style("(possible)", dim=True)
    code = style(rule.code, fg=_SEVERITY_COLOUR[rule.severity], bold=True)
    yield f"{style(where, bold=True)}: {code} [{rule.severity}] {rule.slug}{possible}"
    yield f"  {finding.message}"
    for item in finding.involved:
        dependency = item.primary
        entry = (
            f"{display(dependency.path)}:{dependency.location.line}:{dependency.location.column}"
        )
        yield f"  {style(entry, dim=True)}: {dependency.text or dependency.raw_name}"
    yield from _fix_lines(plan, style)
    urls = [reference.url for reference in rule.references]
    if urls:
        yield f"  sources: {urls[0]}"
        for url in urls[1:]:
            yield f"           {url}"


def _summary(report: Report) -> str:
    findings = report.findings
    definite = sum(1 for f in findings if f.match is Match.DEFINITE)
    environments = len(report.result.environments)
    hidden = []
    if report.suppressed:
        hidden.append(f"{len(report.suppressed)} suppressed")
    if report.baselined:
        hidden.append(f"{len(report.baselined)} in the baseline")
    extra = f"; {', '.join(hidden)}" if hidden else ""
    if findings:
        noun = "finding" if len(findings) == 1 else "findings"
        possible = len(findings) - definite
        return (
            f"Found {len(findings)} {noun} ({definite} definite, {possible} possible)"
            f" in {environments} environment{'s' if environments != 1 else ''}{extra}."
        )
    files = len(report.result.files)
    return f"All checks passed ({files} file{'s' if files != 1 else ''} checked{extra})."


def render_text(report: Report, *, color: bool = False) -> str:
    style: Style = click.style if color else _plain
    lines: list[str] = []
    for problem in report.problems:
        lines.append(f"{style(problem.describe(), fg='red')} [{problem.code}]")
    for finding in report.findings:
        if lines:
            lines.append("")
        lines.extend(render_finding(finding, report.plan_for(finding), style))
    if report.findings or not report.problems:
        if lines:
            lines.append("")
        lines.append(style(_summary(report), bold=True))
    return "\n".join(lines) + "\n"


def render_statistics(report: Report) -> str:
    """``--statistics``: how many findings of each rule, most frequent first."""
    rows = report.statistics()
    if not rows:
        return "No findings.\n"
    width = max(len(str(row.count)) for row in rows)
    lines = [
        f"{row.count:>{width}}  {row.rule.code:8} [{row.rule.severity}] {row.rule.slug}"
        for row in rows
    ]
    return "\n".join(lines) + "\n"
