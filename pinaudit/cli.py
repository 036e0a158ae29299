"""The command line: check, fix, rules, rule.

I/O lives here and in ``write``; everything the commands compute comes from
pure functions, so the CLI is a thin layer a test can drive with click's runner.
Exit codes: 0 nothing fails the run, 1 findings fail it (or ``fix --diff`` has
edits), 2 an input, rule file or setting could not be read.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from pinaudit import __version__
from pinaudit.model import Problem
from pinaudit.report import ExitCode, Policy, Report
from pinaudit.rulebook import Rule, RuleSet, builtin_rules_path, load_rules
from pinaudit.targets import DEFAULT_PYTHONS, Target, make_targets

_F = TypeVar("_F", bound=Callable[..., Any])

EXIT_CODES_HELP = """
\b
Exit codes:
  0  nothing that fails the run was found
  1  findings that fail the run (definite matches of warning or error
     severity by default; see --fail-on-possible), or `fix --diff` has edits
  2  an input file, a rule file or a setting could not be read
     (everything readable is still checked and reported)
"""


@dataclass(frozen=True, slots=True)
class Settings:
    rules: RuleSet
    targets: tuple[Target, ...]
    policy: Policy

    @property
    def index(self) -> dict[str, tuple[Rule, ...]]:
        return self.rules.index()


def _load_settings(
    rule_paths: Sequence[Path],
    no_builtin: bool,
    select: Sequence[str],
    ignore: Sequence[str],
    pythons: Sequence[str],
    fail_on_possible: bool,
) -> Settings:
    paths = ([] if no_builtin else [builtin_rules_path()]) + list(rule_paths)
    rules = load_rules(paths).select(_codes(select), _codes(ignore))
    return Settings(rules, make_targets(pythons or DEFAULT_PYTHONS), Policy(fail_on_possible))


def _codes(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


def _common_options(function: _F) -> _F:
    options = [
        click.option(
            "--select",
            multiple=True,
            metavar="CODES",
            help="Only these rule codes or prefixes (comma-separated, repeatable).",
        ),
        click.option(
            "--ignore", multiple=True, metavar="CODES", help="Skip these rule codes or prefixes."
        ),
        click.option(
            "--rules",
            "rule_paths",
            multiple=True,
            type=click.Path(path_type=Path),
            help="Extra rule file or folder to load (repeatable).",
        ),
        click.option("--no-builtin-rules", is_flag=True, help="Do not load the shipped rules."),
        click.option(
            "--target-python",
            "pythons",
            multiple=True,
            metavar="X.Y",
            help="Python versions to evaluate markers for (default: supported CPython releases).",
        ),
        click.option(
            "--fail-on-possible",
            is_flag=True,
            help="Fail the run on possible matches too, not only definite ones.",
        ),
        click.option(
            "--output-format",
            type=click.Choice(["text", "json"]),
            default="text",
            show_default=True,
            help="How to print the report.",
        ),
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, prog_name="pinaudit")
def main() -> None:
    """Find known-bad dependency combinations in requirements files and lockfiles."""


def _emit(report: Report, output_format: str) -> None:
    if output_format == "json":
        from pinaudit.render.json import render_json

        click.echo(render_json(report), nl=False)
    else:
        from pinaudit.render.text import render_text

        click.echo(render_text(report), nl=False)


def _run_check(paths: Sequence[Path], settings: Settings) -> Report:
    from pinaudit.check import check_paths

    result = check_paths(
        list(paths) or [Path(".")], settings.index, settings.targets, environ=dict(os.environ)
    )
    return Report(result, extra_problems=settings.rules.problems, policy=settings.policy)


@main.command(epilog=EXIT_CODES_HELP)
@_common_options
def check(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    no_builtin_rules: bool,
    pythons: tuple[str, ...],
    fail_on_possible: bool,
    output_format: str,
) -> None:
    """Check PATHS (default: the current folder) for known-bad combinations.

    \b
    Examples:
      pinaudit check
      pinaudit check requirements.txt requirements-dev.txt
      pinaudit check --output-format json --select PA1 services/
    """
    settings = _load_settings(rule_paths, no_builtin_rules, select, ignore, pythons, fail_on_possible)
    report = _run_check(paths, settings)
    _emit(report, output_format)
    sys.exit(int(report.exit_code()))


def _unified_diff(path: Path, before: str, after: str) -> str:
    from pinaudit.render.paths import display

    name = display(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@main.command(epilog=EXIT_CODES_HELP)
@_common_options
@click.option("--write", is_flag=True, help="Apply the edits (atomically) instead of showing them.")
@click.option("--diff", "diff_only", is_flag=True, help="Show the edits and exit 1 if there are any.")
def fix(
    paths: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    rule_paths: tuple[Path, ...],
    no_builtin_rules: bool,
    pythons: tuple[str, ...],
    fail_on_possible: bool,
    output_format: str,
    write: bool,
    diff_only: bool,
) -> None:
    """Propose (or, with --write, apply) the smallest edits that remove findings.

    Every edit is checked before it is shown: the edited files are parsed and
    checked again, and an edit that leaves its finding or adds another is
    refused.  Lockfiles are never edited by hand: the manifest that drives the
    lock is, and the re-lock command is printed.

    \b
    Examples:
      pinaudit fix                 # show the diff, write nothing
      pinaudit fix --diff          # for CI: exit 1 when there are edits
      pinaudit fix --write         # apply the edits
    """
    from pinaudit.fixrun import run_fix

    settings = _load_settings(rule_paths, no_builtin_rules, select, ignore, pythons, fail_on_possible)
    outcome = run_fix(
        list(paths) or [Path(".")],
        settings.index,
        settings.targets,
        environ=dict(os.environ),
        write=write,
        root=Path.cwd(),
    )
    report = Report(
        outcome.result,
        outcome.plans,
        (*settings.rules.problems, *outcome.problems),
        settings.policy,
    )
    if output_format == "json":
        _emit(report, output_format)
    else:
        for path, (before, after) in sorted(outcome.changes.items(), key=lambda item: str(item[0])):
            click.echo(_unified_diff(path, before, after), nl=False)
        _emit_fix_summary(report, outcome.written, write)
    if report.problems:
        sys.exit(int(ExitCode.BAD_INPUT))
    if diff_only and outcome.changes:
        sys.exit(int(ExitCode.FINDINGS))
    if write and any(settings.policy.fails(finding) for finding in outcome.remaining):
        sys.exit(int(ExitCode.FINDINGS))
    sys.exit(int(ExitCode.OK))


def _emit_fix_summary(report: Report, written: Sequence[Path], write: bool) -> None:
    from pinaudit.render.paths import display

    for problem in report.problems:
        click.echo(f"{problem.describe()} [{problem.code}]", err=True)
    for plan in report.plans:
        finding = plan.finding
        primary = finding.primary
        where = f"{display(primary.path)}:{primary.span.line}:{primary.span.column}"
        head = f"{where}: {finding.rule.code} {finding.rule.slug}"
        if plan.blocked is not None:
            click.echo(f"{head}: no automatic fix: {plan.blocked}")
            continue
        click.echo(f"{head}: {plan.summary}")
        if plan.relock:
            click.echo(f"  then re-lock: {plan.relock}")
    if write:
        for path in written:
            click.echo(f"wrote {display(path)}")
    if not report.plans:
        click.echo("Nothing to fix.")
    elif not write and any(plan.edits for plan in report.plans):
        click.echo("Dry run: nothing written. Apply with: pinaudit fix --write")


@main.command("rules")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path))
@click.option("--no-builtin-rules", is_flag=True)
def list_rules(rule_paths: tuple[Path, ...], no_builtin_rules: bool) -> None:
    """List the rules: code, severity, slug and summary."""
    settings = _load_settings(rule_paths, no_builtin_rules, (), (), (), False)
    for rule in sorted(settings.rules.rules, key=lambda r: r.code):
        click.echo(f"{rule.code:8} {rule.severity:8} {rule.slug}")
    _report_rule_problems(settings.rules.problems)


def _report_rule_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        click.echo(f"{problem.describe()} [{problem.code}]", err=True)
    if problems:
        sys.exit(int(ExitCode.BAD_INPUT))


@main.command("rule")
@click.argument("code")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path))
@click.option("--no-builtin-rules", is_flag=True)
def explain_rule(code: str, rule_paths: tuple[Path, ...], no_builtin_rules: bool) -> None:
    """Explain one rule: what breaks, the affected versions, the fix and the sources."""
    settings = _load_settings(rule_paths, no_builtin_rules, (), (), (), False)
    wanted = code.strip().upper()
    rule = next(
        (r for r in settings.rules.rules if r.code == wanted or r.slug == code.strip().lower()), None
    )
    if rule is None:
        click.echo(f"pinaudit: no rule {code!r} (see 'pinaudit rules')", err=True)
        sys.exit(int(ExitCode.BAD_INPUT))
    click.echo(f"{rule.code} {rule.slug} [{rule.severity}, {rule.kind}]")
    click.echo(f"\n{rule.summary}")
    if rule.description:
        click.echo(f"\n{rule.description}")
    click.echo("\nAffected:")
    for condition in rule.packages:
        click.echo(f"  {condition.name} {condition.specifier}")
    if rule.marker is not None:
        click.echo(f"  when: {rule.marker}")
    if rule.signature:
        click.echo(f"\nSignature: {rule.signature}")
    if rule.fixed:
        click.echo(f"Fixed in: {rule.fixed}")
    if rule.remedies:
        click.echo("\nRemedies, in order:")
        for remedy in rule.remedies:
            note = f" ({remedy.note})" if remedy.note else ""
            click.echo(f"  {remedy.package} -> {remedy.version}{note}")
    click.echo("\nSources:")
    for reference in rule.references:
        title = f" - {reference.title}" if reference.title else ""
        click.echo(f"  [{reference.kind}] {reference.url}{title}")
