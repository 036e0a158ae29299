"""What a command reports: the check result, the fix plans, and the exit code.

Renderers read this and nothing else, so every output format shows the same
findings, problems and edits.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pinaudit.check import CheckResult
from pinaudit.findings import Finding
from pinaudit.model import Problem
from pinaudit.rulebook import Match, Rule, Severity

if TYPE_CHECKING:  # the fix planner is imported only by `fix`
    from pinaudit.fix import FixPlan


class ExitCode(enum.IntEnum):
    """Documented in ``--help`` and docs/ci.md; stable for CI."""

    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Policy:
    """Which findings fail the run.

    ``fail_on`` is the lowest severity that fails; a possible match (the ranges
    merely permit the combination) fails only with ``fail_on_possible``, since a
    range is a statement about the future and a pin about the present.
    """

    fail_on_possible: bool = False
    fail_on: Severity = Severity.WARNING

    def fails(self, finding: Finding) -> bool:
        if SEVERITY_RANK[finding.rule.severity] < SEVERITY_RANK[self.fail_on]:
            return False
        return finding.match is Match.DEFINITE or self.fail_on_possible


@dataclass(frozen=True, slots=True)
class Statistic:
    """How often one rule fired, for ``--statistics``."""

    rule: Rule
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    """``suppressed`` and ``baselined``: findings kept out of ``result``, counted in summaries."""

    result: CheckResult
    plans: tuple[FixPlan, ...] = ()
    extra_problems: tuple[Problem, ...] = ()
    policy: Policy = Policy()
    suppressed: tuple[Finding, ...] = ()
    baselined: tuple[Finding, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*self.extra_problems, *self.result.problems)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.result.findings

    def plan_for(self, finding: Finding) -> FixPlan | None:
        for plan in self.plans:
            if plan.finding is finding:
                return plan
        return None

    def exit_code(self) -> ExitCode:
        if self.problems:
            return ExitCode.BAD_INPUT
        if any(self.policy.fails(finding) for finding in self.result.findings):
            return ExitCode.FINDINGS
        return ExitCode.OK

    def statistics(self) -> tuple[Statistic, ...]:
        """Findings per rule code, most frequent first, as ``--statistics`` prints them."""
        counts = Counter(finding.rule.code for finding in self.findings)
        rules = {finding.rule.code: finding.rule for finding in self.findings}
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return tuple(Statistic(rules[code], count) for code, count in ordered)


def kind_label(rule: Rule) -> str:
    """The kind to show for a rule: pinaudit's own suppression checks name no package."""
    return str(rule.kind) if rule.packages else "suppression check"


def fingerprint(finding: Finding, path: str) -> str:
    """A finding's identity for code-review tools: rule, file and packages, never lines.

    GitLab and GitHub track an issue across commits by this value, so an edit
    above the entry must not make the issue look fixed and reopened.
    """
    import hashlib  # only the formats and baselines that fingerprint pay for it

    names = ",".join(sorted(item.name for item in finding.involved))
    return hashlib.sha256(f"{finding.rule.code}\0{path}\0{names}".encode()).hexdigest()
