"""What a command reports: the check result, the fix plans, and the exit code.

Renderers read this and nothing else, so every output format shows the same
findings, problems and edits.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pinaudit.check import CheckResult
from pinaudit.findings import Finding
from pinaudit.fix import FixPlan
from pinaudit.model import Problem
from pinaudit.rulebook import Match, Severity


class ExitCode(enum.IntEnum):
    """Documented in the README and ``--help``; stable for CI."""

    OK = 0
    FINDINGS = 1
    BAD_INPUT = 2


@dataclass(frozen=True, slots=True)
class Policy:
    """Which findings fail the run: definite ones of warning or error by default."""

    fail_on_possible: bool = False
    fail_on_info: bool = False

    def fails(self, finding: Finding) -> bool:
        if finding.rule.severity is Severity.INFO and not self.fail_on_info:
            return False
        return finding.match is Match.DEFINITE or self.fail_on_possible


@dataclass(frozen=True, slots=True)
class Report:
    result: CheckResult
    plans: tuple[FixPlan, ...] = ()
    extra_problems: tuple[Problem, ...] = ()
    policy: Policy = Policy()

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*self.extra_problems, *self.result.problems)

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
