"""The command line: check, fix, baseline, config, rules, rule (and advisories).

I/O lives here and in ``write``; everything the commands compute comes from
pure functions, so the CLI is a thin layer a test can drive with click's runner.
The hook runs on every commit, so start-up matters: settings files, renderers,
suppressions and baselines are imported only by the commands that use them,
validated rules come from a cache (``rulecache``) and are built only for the
packages a run meets, and the garbage collector stays out of a command's way.
Exit codes: 0 nothing fails the run, 1 findings fail it (or ``fix --diff`` has
edits), 2 an input, rule file, settings file or baseline could not be read.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

import click
from click.core import ParameterSource

from pinaudit import __version__
from pinaudit.model import Problem
from pinaudit.render import OUTPUT_FORMATS
from pinaudit.report import ExitCode, Policy, Report, kind_label
from pinaudit.rulebook import Rule, RuleSet, Severity, builtin_rules_path, load_rules
from pinaudit.rulecache import Pending, RuleIndex, load_cached_records, pending
from pinaudit.targets import DEFAULT_PYTHONS, Target, make_targets
from pinaudit.textfile import missing_reason

if TYPE_CHECKING:
    from pinaudit.baseline import Entry
    from pinaudit.check import CheckResult
    from pinaudit.config import Config, Overrides
    from pinaudit.findings import Finding
    from pinaudit.relock import RelockOutcome

_F = TypeVar("_F", bound=Callable[..., Any])

EXIT_CODES_HELP = """
\b
Exit codes:
  0  nothing that fails the run was found (or --exit-zero was given)
  1  findings that fail the run (definite matches of warning or error
     severity by default; see --fail-on and --fail-on-possible), or
     `fix --diff` has edits
  2  an input file, a rule file, a settings file or a baseline could not
     be read (input files: everything readable is still checked and
     reported; settings and baselines: nothing is checked)
"""

COMPLETION_HELP = """
\b
Shell completion (bash; use zsh_source or fish_source for those shells):
  eval "$(_PINAUDIT_COMPLETE=bash_source pinaudit)"
"""

#: Every Python a rule marker may name, so `rules test` exercises rules about old interpreters too.
EXAMPLE_PYTHONS = tuple(f"3.{minor}" for minor in range(6, 16))


def _fail(message: str) -> NoReturn:
    click.echo(f"pinaudit: error: {message}", err=True)
    sys.exit(int(ExitCode.BAD_INPUT))


def _today(context: click.Context) -> dt.date:
    """Today, or the clock a test injected with ``main(obj=lambda: date(...))``."""
    clock = context.obj
    return clock() if callable(clock) else dt.date.today()


# ---------------------------------------------------------------------------
# Options.


def _settings_options(function: _F) -> _F:
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Settings file to use instead of the pinaudit.toml / pyproject.toml found "
            "by walking up from the first PATH.",
        ),
        click.option("--isolated", is_flag=True, help="Ignore every settings file."),
        click.option(
            "--select",
            multiple=True,
            metavar="CODES",
            help="Only these rule codes or prefixes (comma-separated, repeatable); "
            "replaces the settings' `select`.",
        ),
        click.option(
            "--extend-select",
            multiple=True,
            metavar="CODES",
            help="Add these codes or prefixes to `select`.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="CODES",
            help="Skip these rule codes or prefixes (added to the settings' `ignore`).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="GLOB",
            help="Skip files and folders matching GLOB (replaces the settings' `exclude`).",
        ),
        click.option("--extend-exclude", multiple=True, metavar="GLOB", help="Skip these too."),
        click.option(
            "--rules",
            "rule_paths",
            multiple=True,
            type=click.Path(path_type=Path),
            help="Extra rule file or folder to load (repeatable).",
        ),
        click.option("--no-builtin-rules", is_flag=True, help="Do not load the shipped rules."),
        click.option(
            "--advisories",
            "advisory_paths",
            multiple=True,
            type=click.Path(path_type=Path),
            help="OSV advisories (a folder of JSON files or a zip export) to check as rules "
            "(repeatable).",
        ),
        click.option(
            "--target-python",
            "pythons",
            multiple=True,
            metavar="X.Y",
            help="Python versions to evaluate markers for (default: supported CPython releases).",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["error", "warning", "info"]),
            default=None,
            help="Lowest severity of a definite match that fails the run [default: warning].",
        ),
        click.option(
            "--fail-on-possible/--no-fail-on-possible",
            default=None,
            help="Fail the run on possible matches too, not only definite ones.",
        ),
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
    ]
    for option in reversed(options):
        function = option(function)
    return function


_format_option = click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    envvar="PINAUDIT_OUTPUT_FORMAT",
    help="How to print the report [default: text; env: PINAUDIT_OUTPUT_FORMAT].",
)


def _output_options(function: _F) -> _F:
    options = [
        _format_option,
        click.option(
            "--output-file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write the report to this file (atomically) instead of standard output.",
        ),
        click.option(
            "--baseline",
            "baseline_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Report only findings not recorded in this baseline "
            "(see `pinaudit baseline write`).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


# ---------------------------------------------------------------------------
# Settings: the file, the command line, the rules.


def _overrides(context: click.Context, options: Mapping[str, Any]) -> Overrides:
    from pinaudit.config import COMMAND_LINE, OUTPUT_FORMAT_ENV, Origin, Overrides, split_codes

    pythons = tuple(options.get("pythons") or ())
    for python in pythons:
        if not _valid_python(python):
            raise click.BadParameter(
                f"{python!r} is not a Python version like 3.12", param_hint="--target-python"
            )
    fail_on = options.get("fail_on")
    format_origin = COMMAND_LINE
    if context.get_parameter_source("output_format") is ParameterSource.ENVIRONMENT:
        format_origin = Origin("environment", detail=OUTPUT_FORMAT_ENV)
    return Overrides(
        select=split_codes(options.get("select") or ()),
        extend_select=split_codes(options.get("extend_select") or ()),
        ignore=split_codes(options.get("ignore") or ()),
        exclude=tuple(options.get("exclude") or ()),
        extend_exclude=tuple(options.get("extend_exclude") or ()),
        rule_paths=tuple(options.get("rule_paths") or ()),
        advisory_paths=tuple(options.get("advisory_paths") or ()),
        target_python=pythons,
        fail_on=None if fail_on is None else Severity(fail_on),
        fail_on_possible=options.get("fail_on_possible"),
        output_format=options.get("output_format"),
        output_format_origin=format_origin,
    )


def _valid_python(text: str) -> bool:
    from pinaudit.config import PYTHON_VERSION

    return PYTHON_VERSION.match(text) is not None


def _resolve_config(
    context: click.Context, paths: Sequence[Path], options: Mapping[str, Any]
) -> Config:
    from pinaudit.config import ConfigError, resolve

    config_file: Path | None = options.get("config_file")
    isolated = bool(options.get("isolated"))
    if config_file is not None and isolated:
        raise click.UsageError("--config and --isolated cannot be used together")
    start = paths[0] if paths else Path.cwd()
    try:
        return resolve(
            start, _overrides(context, options), config_file=config_file, isolated=isolated
        )
    except ConfigError as error:
        for problem in error.problems:
            click.echo(f"{problem.describe()} [{problem.code}]", err=True)
        sys.exit(int(ExitCode.BAD_INPUT))


@dataclass(frozen=True, slots=True)
class Run:
    """Everything a command needs, settled before any manifest is read.

    ``index`` holds the selected rules keyed by package, each built when a
    checked file first names one of its packages (see ``rulecache.RuleIndex``).
    """

    config: Config
    paths: tuple[Path, ...]
    index: Mapping[str, Sequence[Rule]]
    rule_problems: tuple[Problem, ...]
    loaded_codes: frozenset[str]
    targets: tuple[Target, ...]
    policy: Policy
    today: dt.date
    baseline: frozenset[Entry] | None
    baseline_base: Path
    parsed: CheckResult | None = None  # the files as read before the rules were known
    jobs: int | None = None  # processes evaluating rules; None: pinaudit.parallel chooses

    def selects(self, code: str) -> bool:
        return self.config.selects(code, self.today)


def _internal_rules() -> tuple[Rule, ...]:
    from pinaudit.drift import LOCK_DRIFT
    from pinaudit.suppress import INTERNAL_RULES

    return (*INTERNAL_RULES, LOCK_DRIFT)


def _parse_only(paths: Sequence[Path], config: Config, targets: Sequence[Target]) -> CheckResult:
    """The checked files read and grouped, with no rule evaluated.

    ``--advisories`` needs the packages the files name before it loads any
    advisory (only theirs are worth loading); the check then evaluates its
    rules on this same result (``check.recheck``) instead of reading again.
    """
    from pinaudit.check import check_paths

    return check_paths(
        paths, {}, targets, exclude=config.excludes, environ=dict(os.environ), internal=()
    )


def _warn_about_advisory_data(problems: Sequence[Problem]) -> None:
    """Say, without failing the run, that some advisory records were partly skipped.

    Advisory databases are other people's data: the PyPA database always holds a
    few records with malformed ranges or versions.  Exiting 2 for them would fail
    every CI run that uses advisories, so they are a warning on standard error;
    the loader already kept every part of those records that could be read.
    """
    if not problems:
        return
    unreadable = [p for p in problems if p.code in ("advisory-read", "advisory-cache")]
    for problem in unreadable:
        click.echo(f"warning: {problem.describe()} [{problem.code}]", err=True)
    rest = len(problems) - len(unreadable)
    if rest:
        first = next(p for p in problems if p not in unreadable)
        click.echo(
            f"warning: {rest} problem(s) in the advisory data were skipped; their records "
            f"load without the broken parts (first: {first.describe()})",
            err=True,
        )


def _prepare(context: click.Context, paths: Sequence[Path], options: Mapping[str, Any]) -> Run:
    config = _resolve_config(context, paths, options)
    today = _today(context)
    checked = tuple(paths) or (Path(),)
    targets = make_targets(config.target_python or DEFAULT_PYTHONS)
    rule_paths = ([] if options.get("no_builtin_rules") else [builtin_rules_path()]) + list(
        config.rule_paths
    )
    records, problems = load_cached_records(rule_paths)
    known = {record["code"] for _, record in records}
    rules: list[Rule | Pending] = [
        rule for rule in pending(records) if config.selects(rule.record["code"], today)
    ]
    parsed: CheckResult | None = None
    if config.advisory_paths:
        from pinaudit.advisories import load_advisory_rules

        parsed = _parse_only(checked, config, targets)
        names = {dep.name for env in parsed.environments for dep in env.dependencies if dep.name}
        found = load_advisory_rules(list(config.advisory_paths), packages=names)
        known.update(rule.code for rule in found.rules)
        rules.extend(rule for rule in found.rules if config.selects(rule.code, today))
        _warn_about_advisory_data(found.problems)
    baseline: frozenset[Entry] | None = None
    baseline_file: Path | None = options.get("baseline_file")
    if baseline_file is not None:
        from pinaudit.baseline import BaselineError, read_baseline

        try:
            baseline = read_baseline(baseline_file)
        except BaselineError as error:
            _fail(f"baseline {error}")
    return Run(
        config,
        checked,
        RuleIndex(rules),
        tuple(problems),
        frozenset(known),
        targets,
        Policy(config.fail_on_possible, config.fail_on),
        today,
        baseline,
        baseline_file.parent if baseline_file is not None else Path(),
        parsed,
        options.get("jobs"),
    )


# ---------------------------------------------------------------------------
# Screening: suppressions, per-file-ignores, expired ignores, the baseline.


def _read_text(path: Path) -> str | None:
    from pinaudit.textfile import UnreadableFile, read_source

    try:
        return read_source(path).text
    except UnreadableFile:
        return None


def _screen(
    run: Run, result: CheckResult, overlay: Mapping[Path, str] | None = None
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(findings to report, findings suppressed).

    Drops what the repository chose to silence and adds what it must hear about
    its silencing.  ``overlay`` holds texts not yet written (``fix`` re-checks).
    """
    from pinaudit.config import SUPPRESSION_MARKER

    config = run.config
    manifests_seen = [m for environment in result.environments for m in environment.manifests]
    expiring = any(entry.until is not None for entry in config.ignore)
    if not (
        config.per_file_ignores
        or expiring
        or any(SUPPRESSION_MARKER in c.text for m in manifests_seen for c in m.comments)
    ):
        return result.findings, ()  # the common case, without importing suppress
    from pinaudit.suppress import (
        Screen,
        Suppression,
        locate,
        manifests_with_suppressions,
        screen_findings,
    )

    suppressions: list[Suppression] = []
    manifests = manifests_with_suppressions(manifests_seen)
    for manifest in manifests.values():
        text = overlay[manifest.path] if overlay and manifest.path in overlay else None
        text = text if text is not None else _read_text(manifest.path)
        if text is not None:
            suppressions.extend(locate(manifest, text))
    config_texts: dict[Path, str] = {}
    if config.path is not None and any(entry.expired(run.today) for entry in config.ignore):
        config_texts[config.path] = _read_text(config.path) or ""
    screen = Screen(
        today=run.today,
        suppressions=tuple(suppressions),
        per_file_ignores=config.per_file_ignores,
        root=config.root,
        config_ignores=config.ignore,
        config_texts=config_texts,
        enabled=run.selects,
        known_codes=run.loaded_codes | {rule.code for rule in _internal_rules()},
    )
    screened = screen_findings(result.findings, screen)
    return screened.findings, screened.suppressed


def _split_baseline(
    run: Run, findings: Sequence[Finding]
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    if run.baseline is None:
        return tuple(findings), ()
    from pinaudit.baseline import split

    return split(findings, run.baseline, run.baseline_base)


def _with_findings(result: CheckResult, findings: Sequence[Finding]) -> CheckResult:
    from pinaudit.check import CheckResult

    return CheckResult(result.files, result.environments, tuple(findings), result.problems)


def _checked(run: Run) -> CheckResult:
    """The run's files checked against its rules; read once, even with ``--advisories``."""
    from pinaudit.check import DEFAULT_INTERNAL, check_paths, recheck

    internal = {code for code in DEFAULT_INTERNAL if run.selects(code)}
    if run.parsed is not None:
        return recheck(run.parsed, run.index, run.targets, internal=internal, jobs=run.jobs)
    return check_paths(
        run.paths,
        run.index,
        run.targets,
        exclude=run.config.excludes,
        environ=os.environ,
        internal=internal,
        jobs=run.jobs,
    )


def _check(run: Run) -> Report:
    result = _checked(run)
    kept, suppressed = _screen(run, result)
    findings, baselined = _split_baseline(run, kept)
    return Report(
        _with_findings(result, findings),
        extra_problems=run.rule_problems,
        policy=run.policy,
        suppressed=suppressed,
        baselined=baselined,
    )


# ---------------------------------------------------------------------------
# Output.


def _use_color(output_file: Path | None) -> bool:
    """Colour on a terminal; NO_COLOR turns it off, FORCE_COLOR on; NO_COLOR wins, as in CPython."""
    if output_file is not None or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _render(report: Report, output_format: str, *, color: bool, exit_code: int) -> str:
    if output_format == "json":
        from pinaudit.render.json import render_json

        return render_json(report, exit_code=exit_code)
    if output_format == "sarif":
        from pinaudit.render.sarif import render_sarif

        return render_sarif(report, exit_code=exit_code)
    if output_format == "concise":
        from pinaudit.render.concise import render_concise

        return render_concise(report)
    if output_format == "github":
        from pinaudit.render.github import render_github

        return render_github(report)
    if output_format == "gitlab":
        from pinaudit.render.gitlab import render_gitlab

        return render_gitlab(report)
    if output_format == "junit":
        from pinaudit.render.junit import render_junit

        return render_junit(report)
    from pinaudit.render.text import render_text

    return render_text(report, color=color)


def write_atomically(path: Path, text: str) -> None:
    """Write a report or baseline whole or not at all: a CI step never reads half a file."""
    from pinaudit.write import atomic_write

    atomic_write(path, text.encode("utf-8"))


def _deliver(text: str, output_file: Path | None, *, color: bool) -> None:
    if output_file is None:
        click.echo(text, nl=False, color=color)
        return
    try:
        write_atomically(output_file, text)
    except OSError as error:
        _fail(f"cannot write {output_file}: {error.strerror or error}")


# ---------------------------------------------------------------------------
# Commands.


class _Commands(click.Group):
    """Registers ``advisories`` without importing it until it is asked for.

    The hook starts pinaudit on every commit; a command group nobody runs
    there should cost nothing.
    """

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "advisories": ("pinaudit.advisories.cli", "advisories")
    }

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run a command with the cyclic garbage collector paused.

        A command is one short process that keeps its whole model until it
        reports, so the collector's passes over thousands of live objects find
        nothing to free; they cost the hook about a millisecond and a monorepo
        check far more.  Reference counting still frees everything acyclic, and
        the collector is restored afterwards for callers in a longer-lived
        process (tests, click's runner).
        """
        import gc

        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return super().main(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run as the program, then leave the interpreter's last collection nothing to do.

        ``main()`` without arguments is the program itself (the console script,
        ``python -m pinaudit``: click reads ``sys.argv``).  Python ends with a
        full cyclic collection over every object still alive, which cost the
        hook more than the check of a small repository; frozen objects are
        skipped by it, and the process is about to give all its memory back.
        Exit codes, output flushing and exit handlers are unchanged.  Callers
        that pass arguments (or use click's runner) keep a normal collector.
        """
        if args or kwargs:
            return super().__call__(*args, **kwargs)
        import gc

        try:
            return super().__call__()
        finally:
            gc.freeze()

    def list_commands(self, context: click.Context) -> list[str]:
        return sorted({*super().list_commands(context), *self.lazy})

    def get_command(self, context: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            import importlib

            module, attribute = self.lazy[name]
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            self.add_command(command, name)
        return super().get_command(context, name)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=EXIT_CODES_HELP + COMPLETION_HELP,
)
@click.version_option(__version__, prog_name="pinaudit")
def main() -> None:
    """Find known-bad dependency combinations in requirements files and lockfiles.

    \b
    Examples:
      pinaudit check                          # the current folder
      pinaudit fix --write                    # apply the proposed edits
      pinaudit check --output-format sarif --output-file pinaudit.sarif
      pinaudit config                         # the effective settings and their origin
    """


@main.command(epilog=EXIT_CODES_HELP)
@_settings_options
@_output_options
@click.option(
    "--statistics",
    is_flag=True,
    help="Print the number of findings per rule instead of the findings.",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when findings fail the run (unreadable input still exits 2).",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Processes that evaluate the rules [default: one per CPU, up to 4, "
    "128+ environments each].",
)
@click.pass_context
def check(
    context: click.Context,
    /,
    paths: tuple[Path, ...],
    statistics: bool,
    exit_zero: bool,
    **options: Any,
) -> None:
    """Check PATHS (default: the current folder) for known-bad combinations.

    Settings come from [tool.pinaudit] in pyproject.toml or from pinaudit.toml
    (see `pinaudit config`); flags override them.

    \b
    Examples:
      pinaudit check
      pinaudit check requirements.txt requirements-dev.txt
      pinaudit check --output-format json --select PA1 services/
      pinaudit check --output-format github            # annotations in GitHub Actions
      pinaudit check --baseline .pinaudit-baseline.json
      pinaudit check --statistics
    """
    run = _prepare(context, paths, options)
    report = _check(run)
    code = report.exit_code()
    if exit_zero and code is ExitCode.FINDINGS:
        code = ExitCode.OK
    output_file: Path | None = options.get("output_file")
    color = _use_color(output_file)
    output_format = run.config.output_format
    if statistics:
        if output_format == "json":
            from pinaudit.render.json import render_statistics_json

            text = render_statistics_json(report)
        else:
            from pinaudit.render.text import render_statistics

            text = render_statistics(report)
    else:
        text = _render(report, output_format, color=color, exit_code=int(code))
    _deliver(text, output_file, color=color)
    sys.exit(int(code))


def _unified_diff(path: Path, before: str, after: str) -> str:
    import difflib

    from pinaudit.render.paths import display

    name = display(path)
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


class _FixResult:
    """What ``fix`` reports.  A plain class: a dataclass costs every ``check`` ~0.5 ms to define."""

    __slots__ = ("changes", "relocks", "remaining", "report", "restored", "written")

    def __init__(
        self,
        report: Report,
        changes: Mapping[Path, tuple[str, str]],
        written: tuple[Path, ...],
        remaining: tuple[Finding, ...],
        relocks: tuple[RelockOutcome, ...] = (),
        restored: tuple[Path, ...] = (),
    ) -> None:
        self.report = report
        self.changes = changes
        self.written = written
        self.remaining = remaining
        self.relocks = relocks
        self.restored = restored


def _fix(run: Run, write: bool, fix_options: Mapping[str, Any]) -> _FixResult:
    """``fixrun.run_fix``, with what the repository silenced left out of the plans.

    A suppressed or baselined finding is an accepted one: editing it away would
    overrule the reviewer who accepted it.  Verification still starts from every
    finding, so a silenced one that survives an edit is not taken for new.
    """
    from pinaudit.check import DEFAULT_INTERNAL
    from pinaudit.fix import FixSettingsError
    from pinaudit.fixrun import run_fix
    from pinaudit.suppress import Note

    environ = dict(os.environ)
    screened: dict[str, tuple[tuple[Finding, ...], tuple[Finding, ...], tuple[Finding, ...]]] = {}

    def wanted(result: CheckResult) -> list[Finding]:
        kept, suppressed = _screen(run, result)
        findings, baselined = _split_baseline(run, kept)
        screened["check"] = (findings, suppressed, baselined)
        return [finding for finding in findings if not isinstance(finding, Note)]

    try:
        outcome = run_fix(
            run.paths,
            run.index,
            run.targets,
            environ=environ,
            write=write,
            root=Path.cwd(),
            strategy=fix_options["upgrade_strategy"],
            max_bump=fix_options["max_bump"],
            relock=fix_options["relock"],
            index_url=fix_options["index_url"],
            select=wanted,
            exclude=run.config.excludes,
            internal={code for code in DEFAULT_INTERNAL if run.selects(code)},
        )
    except FixSettingsError as error:
        _fail(str(error))
    findings, suppressed, baselined = screened["check"]
    new_texts = {path: after for path, (_, after) in outcome.changes.items()}
    after_result = _with_findings(outcome.result, outcome.remaining)
    remaining, _ = _split_baseline(run, _screen(run, after_result, new_texts)[0])
    report = Report(
        _with_findings(outcome.result, findings),
        outcome.plans,
        (*run.rule_problems, *outcome.problems),
        run.policy,
        suppressed,
        baselined,
    )
    return _FixResult(
        report, outcome.changes, outcome.written, remaining, outcome.relocks, outcome.restored
    )


@main.command(epilog=EXIT_CODES_HELP)
@_settings_options
@_output_options
@click.option("--write", is_flag=True, help="Apply the edits (atomically) instead of showing them.")
@click.option(
    "--diff", "diff_only", is_flag=True, help="Show the edits and exit 1 if there are any."
)
@click.option(
    "--relock",
    is_flag=True,
    help="With --write: run the locker (uv, poetry, pdm, pip-compile) for every edited lock.",
)
@click.option(
    "--upgrade-strategy",
    type=click.Choice(["minimal", "latest"]),
    default="minimal",
    show_default=True,
    help="minimal: the smallest release that fixes it (offline); "
    "latest: the newest (needs --index-url).",
)
@click.option(
    "--max-bump",
    type=click.Choice(["patch", "minor", "major"]),
    default=None,
    help="Refuse fixes that move a package further than this.",
)
@click.option(
    "--index-url",
    metavar="URL",
    default=None,
    help="A PEP 503/691 package index to ask for releases and hashes (opt-in network).",
)
@click.pass_context
def fix(
    context: click.Context,
    /,
    paths: tuple[Path, ...],
    write: bool,
    diff_only: bool,
    relock: bool,
    upgrade_strategy: str,
    max_bump: str | None,
    index_url: str | None,
    **options: Any,
) -> None:
    """Propose (or, with --write, apply) the smallest edits that remove findings.

    Every edit is checked before it is shown: the edited files are parsed and
    checked again, and an edit that leaves its finding or adds another is
    refused.  Lockfiles are never edited by hand: the manifest that drives the
    lock is, and the re-lock command is printed.  Suppressed and baselined
    findings are left alone.

    \b
    Examples:
      pinaudit fix                 # show the diff, write nothing
      pinaudit fix --diff          # for CI: exit 1 when there are edits
      pinaudit fix --write         # apply the edits
      pinaudit fix --output-format sarif --output-file fixes.sarif
    """
    run = _prepare(context, paths, options)
    fix_options = {
        "relock": relock,
        "upgrade_strategy": upgrade_strategy,
        "max_bump": max_bump,
        "index_url": index_url,
    }
    fixed = _fix(run, write, fix_options)
    report = fixed.report
    if report.problems:
        code = ExitCode.BAD_INPUT
    elif (diff_only and fixed.changes) or (
        write and any(run.policy.fails(f) for f in fixed.remaining)
    ):
        code = ExitCode.FINDINGS
    else:
        code = ExitCode.OK
    output_file: Path | None = options.get("output_file")
    color = _use_color(output_file)
    if run.config.output_format == "text":
        text = _fix_text(report, fixed, write)
        for problem in report.problems:
            click.echo(f"{problem.describe()} [{problem.code}]", err=True)
    else:
        text = _render(report, run.config.output_format, color=color, exit_code=int(code))
    _deliver(text, output_file, color=color)
    sys.exit(int(code))


def _fix_text(report: Report, fixed: _FixResult, write: bool) -> str:
    from pinaudit.render.paths import display

    lines: list[str] = []
    for path, (before, after) in sorted(fixed.changes.items(), key=lambda item: str(item[0])):
        lines.append(_unified_diff(path, before, after))
    for plan in report.plans:
        finding = plan.finding
        primary = finding.primary
        where = f"{display(primary.path)}:{primary.location.line}:{primary.location.column}"
        head = f"{where}: {finding.rule.code} {finding.rule.slug}"
        if plan.blocked is not None:
            lines.append(f"{head}: no automatic fix: {plan.blocked}\n")
            continue
        lines.append(f"{head}: {plan.summary}\n")
        if plan.relock:
            lines.append(f"  then re-lock: {plan.relock}\n")
    if write:
        lines.extend(f"wrote {display(path)}\n" for path in fixed.written)
    for relocked in fixed.relocks:
        lines.append(f"{relocked.message}\n")
        if not relocked.ok and relocked.stderr_tail:
            lines.extend(f"  {line}\n" for line in relocked.stderr_tail.splitlines())
    lines.extend(f"restored {display(path)} (the re-lock failed)\n" for path in fixed.restored)
    if not report.plans:
        lines.append("Nothing to fix.\n")
    elif not write and any(plan.edits for plan in report.plans):
        lines.append("Dry run: nothing written. Apply with: pinaudit fix --write\n")
    return "".join(lines)


@main.group("baseline")
def baseline_group() -> None:
    """Record today's findings so that `check --baseline` reports only new ones.

    \b
    Examples:
      pinaudit baseline write .pinaudit-baseline.json
      pinaudit check --baseline .pinaudit-baseline.json
    """


@baseline_group.command("write", epilog=EXIT_CODES_HELP)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_settings_options
@click.pass_context
def baseline_write(
    context: click.Context, /, file: Path, paths: tuple[Path, ...], **options: Any
) -> None:
    """Write the findings in PATHS (default: the current folder) to the baseline FILE.

    Entries are keyed by rule, file, packages and the text of their entries, not
    by line, so edits elsewhere in a file keep them valid.  Suppressed findings
    are not recorded.

    \b
    Examples:
      pinaudit baseline write .pinaudit-baseline.json
      pinaudit baseline write baseline.json services/ --select PA1
    """
    from pinaudit.baseline import render_baseline

    run = _prepare(context, paths, options)
    report = _check(run)
    try:
        write_atomically(file, render_baseline(report.findings, file.parent))
    except OSError as error:
        _fail(f"cannot write {file}: {error.strerror or error}")
    for problem in report.problems:
        click.echo(f"{problem.describe()} [{problem.code}]", err=True)
    count = len(report.findings)
    click.echo(f"Recorded {count} finding{'s' if count != 1 else ''} in {file}.")
    sys.exit(int(ExitCode.BAD_INPUT if report.problems else ExitCode.OK))


def _toml_value(value: Any) -> str:
    from pinaudit.config import IgnoreEntry

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, IgnoreEntry):
        if not value.reason and value.until is None:
            return _toml_value(value.code)
        parts = [f"code = {_toml_value(value.code)}"]
        if value.reason:
            parts.append(f"reason = {_toml_value(value.reason)}")
        if value.until is not None:
            parts.append(f"until = {value.until.isoformat()}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, Path):
        return _toml_value(str(value))
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if (
        isinstance(value, tuple)
        and value
        and all(isinstance(item, tuple) and len(item) == 2 for item in value)
    ):
        return (
            "{"
            + ", ".join(f"{_toml_value(key)} = {_toml_value(codes)}" for key, codes in value)
            + "}"
        )
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return _toml_value(str(value))


@main.command("config")
@_settings_options
@_format_option
@click.pass_context
def show_config(context: click.Context, /, paths: tuple[Path, ...], **options: Any) -> None:
    """Show the effective settings for PATH and where each one comes from.

    Settings are read from `pinaudit.toml` (top-level keys) or `[tool.pinaudit]`
    in `pyproject.toml`, whichever is nearest walking up from PATH (default: the
    current folder); in one folder pinaudit.toml wins.  Flags override the file;
    --ignore, --extend-select, --extend-exclude, --rules and --advisories add to it.

    \b
    Examples:
      pinaudit config
      pinaudit config services/api
      pinaudit config --select PA1 --output-format sarif
    """
    from pinaudit.config import KEYS
    from pinaudit.render.paths import display

    config = _resolve_config(context, paths, options)
    where = display(config.path) if config.path is not None else "none found (defaults apply)"
    click.echo(f"# settings file: {where}")
    shown = {key: getattr(config, key.replace("-", "_")) for key in KEYS} | {
        "target-python": config.target_python or DEFAULT_PYTHONS
    }
    rows = [
        (
            f"{key} = {'{}' if value == () and key == 'per-file-ignores' else _toml_value(value)}",
            key,
        )
        for key, value in shown.items()
    ]
    width = max(len(row) for row, _ in rows)
    for row, key in rows:
        origins = ", ".join(origin.describe(display) for origin in config.origin(key))
        click.echo(f"{row:<{width}}  # {origins}")


def _load_for_listing(
    context: click.Context, rule_paths: Sequence[Path], no_builtin: bool, isolated: bool
) -> RuleSet:
    """Shipped rules, the settings' rule packs, extra ones: what `check` would load."""
    from pinaudit.config import ConfigError, find_config, load_config

    configured: tuple[Path, ...] = ()
    if not isolated:
        found = find_config(Path.cwd())
        if found is not None:
            try:
                configured = load_config(found).rule_paths
            except ConfigError as error:
                for problem in error.problems:
                    click.echo(f"{problem.describe()} [{problem.code}]", err=True)
                sys.exit(int(ExitCode.BAD_INPUT))
    paths = ([] if no_builtin else [builtin_rules_path()]) + [*configured, *rule_paths]
    loaded = load_rules(paths)
    return RuleSet((*loaded.rules, *_internal_rules()), loaded.problems)


def _rule_pack_options(function: _F) -> _F:
    """``--rules``, ``--no-builtin-rules`` and ``--isolated``, shared by rule commands."""
    function = click.option("--isolated", is_flag=True, help="Ignore the settings' rule-paths.")(
        function
    )
    function = click.option(
        "--no-builtin-rules", is_flag=True, help="Do not load the shipped rules."
    )(function)
    return click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(path_type=Path),
        help="Extra rule file or folder.",
    )(function)


@main.group("rules", invoke_without_command=True)
@_rule_pack_options
@click.pass_context
def rules_group(
    context: click.Context, rule_paths: tuple[Path, ...], no_builtin_rules: bool, isolated: bool
) -> None:
    """List the rules (code, severity, slug), or validate, test and document rule packs.

    \b
    Examples:
      pinaudit rules
      pinaudit rules --rules our-rules/
      pinaudit rules validate our-rules/
      pinaudit rules test our-rules/
      pinaudit rules docs --check
    """
    if context.invoked_subcommand is not None:
        return
    rules = _load_for_listing(context, rule_paths, no_builtin_rules, isolated)
    for rule in sorted(rules.rules, key=lambda r: r.code):
        click.echo(f"{rule.code:8} {rule.severity:8} {rule.slug}")
    _report_rule_problems(rules.problems)


def _report_rule_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        click.echo(f"{problem.describe()} [{problem.code}]", err=True)
    if problems:
        sys.exit(int(ExitCode.BAD_INPUT))


@rules_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def rules_validate(paths: tuple[Path, ...]) -> None:
    """Load rule files or folders and report every problem with file:line.

    Exit 0 and print the number of rules when the packs are valid, 2 otherwise.

    \b
    Examples:
      pinaudit rules validate rules/
      pinaudit rules validate our-rules/http.toml our-rules/data.toml
    """
    missing = {path: reason for path in paths if (reason := missing_reason(path)) is not None}
    loaded = load_rules([path for path in paths if path not in missing])
    problems = [Problem(path, reason, code="missing-path") for path, reason in missing.items()]
    _report_rule_problems([*problems, *loaded.problems])
    count = len(loaded.rules)
    click.echo(f"{count} rule{'s' if count != 1 else ''} valid.")


def run_examples(rule: Rule, folder: Path) -> list[str]:
    """Failures of a rule's own examples, each example checked alone in ``folder``.

    Exactly what tests/test_rule_examples.py does, so a pack author sees the
    same verdict as the project's test suite.
    """
    from pinaudit.check import check_paths

    failures: list[str] = []
    targets = make_targets(EXAMPLE_PYTHONS)
    index = dict.fromkeys(rule.names, (rule,))
    for position, example in enumerate(rule.examples, start=1):
        path = folder / f"example-{position}" / "requirements.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(example.requirements) + "\n", encoding="utf-8")
        result = check_paths([path], index, targets)
        matches = [finding.match.value for finding in result.findings if finding.rule is rule]
        expected = [] if example.expect == "silent" else [example.expect]
        where = f"{rule.path}:{rule.line}: {rule.code} example {position} ({example.expect})"
        if result.problems:
            failures.append(f"{where}: {result.problems[0].describe()}")
        elif matches != expected:
            got = matches[0] if matches else "silent"
            failures.append(f"{where}: got {got} for {list(example.requirements)}")
    return failures


@rules_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def rules_test(paths: tuple[Path, ...]) -> None:
    """Run every rule's examples through the engine (default: the shipped rules).

    Exit 0 when each example behaves as declared (definite, possible or
    silent), 1 when one does not, 2 when a rule file cannot be loaded.

    \b
    Examples:
      pinaudit rules test
      pinaudit rules test our-rules/
    """
    import tempfile

    loaded = load_rules(list(paths) or [builtin_rules_path()])
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pinaudit-rules-") as folder:
        for position, rule in enumerate(loaded.rules):
            failures.extend(run_examples(rule, Path(folder) / str(position)))
    for failure in failures:
        click.echo(failure)
    examples = sum(len(rule.examples) for rule in loaded.rules)
    _report_rule_problems(loaded.problems)
    if failures:
        click.echo(f"{len(failures)} of {examples} examples failed.")
        sys.exit(int(ExitCode.FINDINGS))
    click.echo(f"{examples} examples of {len(loaded.rules)} rules passed.")


@rules_group.command("docs")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs/rules"),
    show_default=True,
    help="Folder for the rule pages and their index (README.md).",
)
@click.option(
    "--readme",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("README.md"),
    show_default=True,
    help="README whose rules table (between <!-- rules-table:start --> and "
    "<!-- rules-table:end -->) is kept current; left alone when the file does not exist.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 listing out-of-date files.")
def rules_docs(paths: tuple[Path, ...], output: Path, readme: Path, check: bool) -> None:
    """Write a Markdown page per rule, the index of the pages and the README's rules table.

    PATHS are rule files or folders (default: the shipped rules and pinaudit's
    own checks). Pages of rules that no longer exist are removed. With --check,
    nothing is written: exit 1 and list the files a run would change, for CI.

    \b
    Examples:
      pinaudit rules docs
      pinaudit rules docs --check
      pinaudit rules docs our-rules/ --output docs/our-rules --readme docs/our-rules.md
    """
    from pinaudit import ruledocs

    loaded = load_rules(list(paths) or [builtin_rules_path()])
    # A rule with a problem is left out of the set; its page would be deleted.
    _report_rule_problems(loaded.problems)
    rules = loaded.rules if paths else (*loaded.rules, *_internal_rules())
    wanted = {output / name: text for name, text in ruledocs.render_pages(rules).items()}
    stale = sorted(
        path
        for path in (output.iterdir() if output.is_dir() else ())
        if path.is_file() and ruledocs.is_page(path.name) and path not in wanted
    )
    context = click.get_current_context()
    if (
        not readme.is_file()
        and context.get_parameter_source("readme") is ParameterSource.COMMANDLINE
    ):
        _fail(f"no such README: {readme}")
    if readme.is_file():
        prefix = Path(os.path.relpath(output, readme.parent)).as_posix()
        table = ruledocs.render_table(rules, "" if prefix == "." else f"{prefix}/")
        try:
            current = readme.read_bytes().decode("utf-8")
            wanted[readme] = ruledocs.with_table(current, table)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            _fail(f"cannot update the rules table in {readme}: {error}")
    changed = [path for path, text in wanted.items() if not _same_text(path, text)]
    if check:
        for path in changed:
            click.echo(f"{path}: {'out of date' if path.exists() else 'missing'}")
        for path in stale:
            click.echo(f"{path}: names no rule; would be removed")
        if changed or stale:
            count = len(changed) + len(stale)
            click.echo(
                f"{count} file{'s' if count != 1 else ''} out of date: run `pinaudit rules docs`."
            )
            sys.exit(int(ExitCode.FINDINGS))
        click.echo(f"Rule docs up to date ({len(rules)} rules).")
        return
    try:
        output.mkdir(parents=True, exist_ok=True)
        for path in changed:
            write_atomically(path, wanted[path])
            click.echo(f"wrote {path}")
        for path in stale:
            path.unlink()
            click.echo(f"removed {path}")
    except OSError as error:
        _fail(f"cannot write the rule docs: {error.strerror or error}")
    click.echo(f"Rule docs up to date ({len(rules)} rules).")


def _same_text(path: Path, text: str) -> bool:
    """Whether ``path`` holds ``text``, line endings aside (a Windows checkout has CRLF)."""
    try:
        current = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return current.replace("\r\n", "\n") == text.replace("\r\n", "\n")


def _describe_rule(rule: Rule) -> Iterable[str]:
    yield f"{rule.code} {rule.slug} [{rule.severity}, {kind_label(rule)}]"
    yield f"\n{rule.summary}"
    if rule.description:
        yield f"\n{rule.description}"
    if rule.packages:
        yield "\nAffected:"
        for condition in rule.packages:
            yield f"  {condition.name} {condition.specifier}"
    if rule.marker is not None:
        yield f"  when: {rule.marker}"
    if rule.signature:
        yield f"\nSignature: {rule.signature}"
    if rule.fixed:
        yield f"Fixed in: {rule.fixed}"
    if rule.remedies:
        yield "\nRemedies, in order:"
        for remedy in rule.remedies:
            note = f" ({remedy.note})" if remedy.note else ""
            yield f"  {remedy.package} -> {remedy.version}{note}"
    if rule.references:
        yield "\nSources:"
        for reference in rule.references:
            title = f" - {reference.title}" if reference.title else ""
            yield f"  [{reference.kind}] {reference.url}{title}"


@main.command("rule")
@click.argument("code")
@_rule_pack_options
@click.pass_context
def explain_rule(
    context: click.Context,
    code: str,
    rule_paths: tuple[Path, ...],
    no_builtin_rules: bool,
    isolated: bool,
) -> None:
    """Explain one rule: what breaks, the affected versions, the fix and the sources.

    \b
    Examples:
      pinaudit rule PA1001
      pinaudit rule uvicorn-wsproto-1-upgrade-status
      pinaudit rule PA0001
    """
    rules = _load_for_listing(context, rule_paths, no_builtin_rules, isolated)
    wanted = code.strip().upper()
    rule = next(
        (r for r in rules.rules if r.code == wanted or r.slug == code.strip().lower()), None
    )
    if rule is None:
        _fail(f"no rule {code!r} (see 'pinaudit rules')")
    for line in _describe_rule(rule):
        click.echo(line)
