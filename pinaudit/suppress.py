"""Inline suppressions: ``# pinaudit: ignore[PA1001] reason="..." until=2026-12-31``.

A silenced finding is a decision, and a decision needs a why and, often, an
end.  So a suppression without a reason is itself reported, one past its
``until`` date stops suppressing and is reported, and one that silences nothing
is reported too: that is how a workaround that outlived its cause gets noticed.

A suppression sits on the line of an entry, or alone on the line above it (for
TOML arrays and long requirement lines).  It silences a finding when it names
the finding's code and sits on the line of *any* entry the finding involves,
since the combination can be accepted from either side of it.

Everything here is pure: the command line reads the files and passes the texts.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import SpecifierSet

from pinaudit.config import SUPPRESSION_MARKER as MARKER
from pinaudit.config import IgnoreEntry, glob_matches
from pinaudit.findings import Finding, Involved
from pinaudit.model import Dependency, LineIndex, Manifest, Span
from pinaudit.ranges import Relation
from pinaudit.rulebook import Match, Rule, RuleKind, Severity

_DIRECTIVE = re.compile(r"pinaudit:\s*ignore\b")
_CODES = re.compile(r"\s*\[([^\]]*)\]")
_OPTION = re.compile(
    r"""\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']\S*)"""
)
_CODE = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3,}$")


def _internal(code: str, slug: str, severity: Severity, summary: str, description: str) -> Rule:
    # They name no package, so the engine never runs them; suppress.py does.
    return Rule(
        code=code,
        slug=slug,
        kind=RuleKind.INTERNAL,
        severity=severity,
        summary=summary,
        packages=(),
        remedies=(),
        references=(),
        description=description,
    )


WITHOUT_REASON = _internal(
    "PA0001",
    "suppression-without-reason",
    Severity.WARNING,
    "a suppression must say why",
    "A '# pinaudit: ignore[...]' comment silences a known-bad combination; the next reader "
    'needs to know why that was acceptable. Add reason="..." (and, when the exception is '
    "temporary, until=YYYY-MM-DD). The suppression still applies.",
)
EXPIRED = _internal(
    "PA0002",
    "expired-suppression",
    Severity.WARNING,
    "a suppression is past its 'until' date and no longer applies",
    "The date a suppression (inline, or an 'ignore' entry in the settings) was given has "
    "passed, so the findings it silenced are reported again. Fix them, or renew the "
    "suppression with a new reason and date.",
)
UNUSED = _internal(
    "PA0003",
    "unused-suppression",
    Severity.INFO,
    "a suppression silences nothing",
    "No finding of this code involves the line the suppression sits on (or the code names "
    "no rule). The workaround has probably outlived its cause: remove the comment.",
)
MALFORMED = _internal(
    "PA0004",
    "malformed-suppression",
    Severity.WARNING,
    "a suppression comment cannot be read and is not applied",
    'Write it as: # pinaudit: ignore[PA1001,PA2001] reason="why" until=2026-12-31 '
    '(codes required; reason="..." expected; until= optional, an ISO date).',
)
INTERNAL_RULES: tuple[Rule, ...] = (WITHOUT_REASON, EXPIRED, UNUSED, MALFORMED)


@dataclass(frozen=True, slots=True)
class Note(Finding):
    """A finding about a suppression rather than about packages: its message is its own."""

    text: str = ""

    @property
    def message(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Directive:
    """What a suppression comment says; ``error`` is why it could not be read."""

    codes: tuple[str, ...] = ()
    reason: str = ""
    until: dt.date | None = None
    has_reason: bool = False
    error: str = ""


def parse_directive(comment: str) -> Directive | None:
    """The suppression in a comment's text, or None when the comment is not one."""
    found = _DIRECTIVE.search(comment)
    if found is None:
        return None
    rest = comment[found.end() :]
    codes_match = _CODES.match(rest)
    if codes_match is None:
        return Directive(error="name the codes to ignore, as in ignore[PA1001]")
    codes = tuple(code.strip().upper() for code in codes_match.group(1).split(",") if code.strip())
    if not codes:
        return Directive(error="the list of codes is empty")
    bad = [code for code in codes if not _CODE.match(code)]
    if bad:
        return Directive(codes, error=f"{bad[0]!r} is not a rule code (like PA1001)")
    rest = rest[codes_match.end() :]
    reason, until, has_reason = "", None, False
    while rest.strip():
        option = _OPTION.match(rest)
        if option is None:
            return Directive(
                codes,
                error=f'cannot read {rest.strip()!r}: expected reason="..." or until=YYYY-MM-DD',
            )
        key, raw = option.group(1), option.group(2)
        value = raw[1:-1] if raw[:1] in "\"'" else raw
        if raw[:1] == '"':
            value = re.sub(r"\\(.)", r"\1", value)
        if key == "reason":
            reason, has_reason = value.strip(), True
        elif key == "until":
            try:
                until = dt.date.fromisoformat(value)
            except ValueError:
                return Directive(codes, error=f"until={value!r} is not a date like 2026-12-31")
        else:
            return Directive(codes, error=f"unknown option {key!r} (expected reason= or until=)")
        rest = rest[option.end() :]
    return Directive(codes, reason, until, has_reason and bool(reason))


@dataclass(frozen=True, slots=True)
class Suppression:
    """One suppression comment, located: ``lines`` are the lines it covers."""

    directive: Directive
    path: Path
    lines: frozenset[int]
    span: Span
    text: str
    entry: str = ""


def _key(path: Path) -> str:
    """One spelling per file (``a/../b`` is ``b``), without asking the file system."""
    return os.path.normcase(os.path.normpath(path.absolute()))


def _entry_on(manifest: Manifest, lines: Collection[int]) -> str:
    for dependency in manifest.dependencies:
        if any(dependency.span.line <= line <= dependency.span.end_line for line in lines):
            return dependency.name
    return ""


def locate(manifest: Manifest, text: str) -> tuple[Suppression, ...]:
    """The suppressions among a manifest's comments, placed in its text."""
    found: list[Suppression] = []
    index: LineIndex | None = None
    lines = text.split("\n")  # numbered as parsers and LineIndex number them: by "\n" only
    for comment in manifest.comments:
        if MARKER not in comment.text:
            continue
        directive = parse_directive(comment.text)
        if directive is None or not 0 < comment.line <= len(lines):
            continue
        line_text = lines[comment.line - 1].rstrip("\r")
        column = line_text.find(comment.text.strip())
        if column < 0:
            column = max(line_text.find("#"), 0)
        alone = not line_text[:column].strip()
        covered = frozenset({comment.line, comment.line + 1} if alone else {comment.line})
        index = index or LineIndex(text)
        start = index.line_start(comment.line) + column
        end = index.line_start(comment.line) + len(line_text.rstrip())
        span = index.span(start, max(start, end))
        found.append(
            Suppression(
                directive,
                manifest.path,
                covered,
                span,
                line_text[column:].rstrip(),
                _entry_on(manifest, covered),
            )
        )
    return tuple(found)


def manifests_with_suppressions(manifests: Iterable[Manifest]) -> dict[str, Manifest]:
    """One manifest per file (a file read in two roles has the same comments), if it has any."""
    chosen: dict[str, Manifest] = {}
    for manifest in manifests:
        if any(MARKER in comment.text for comment in manifest.comments):
            chosen.setdefault(_key(manifest.path), manifest)
    return chosen


# ---------------------------------------------------------------------------
# Screening findings.


@dataclass(frozen=True, slots=True)
class Screened:
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]


@dataclass(frozen=True, slots=True)
class Screen:
    """Everything that can keep a finding out of the report, besides the baseline."""

    today: dt.date
    suppressions: tuple[Suppression, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: Path = Path()
    config_ignores: tuple[IgnoreEntry, ...] = ()
    config_texts: Mapping[Path, str] = field(default_factory=dict)
    enabled: Callable[[str], bool] = lambda code: True
    known_codes: frozenset[str] = frozenset()


def _relative(path: Path, root: Path) -> str:
    absolute = Path(os.path.normpath(path.absolute()))
    try:
        return absolute.relative_to(os.path.normpath(root.absolute())).as_posix()
    except ValueError:
        return absolute.as_posix()


def _per_file_ignored(finding: Finding, screen: Screen) -> bool:
    code = finding.rule.code
    for item in finding.involved:
        for dependency in item.dependencies:
            relative = _relative(dependency.path, screen.root)
            for pattern, codes in screen.per_file_ignores:
                if code.startswith(codes) and glob_matches(pattern, relative):
                    return True
    return False


def _note(rule: Rule, path: Path, span: Span, text: str, entry: str, message: str) -> Note:
    location = Dependency(entry, entry, SpecifierSet(), path, span, text=text)
    return Note(
        rule,
        Match.DEFINITE,
        str(path),
        (Involved(entry, Relation.ALWAYS, (location,)),),
        text=message,
    )


def _suppression_notes(
    suppressions: Sequence[Suppression], used: set[tuple[int, str]], screen: Screen
) -> list[Note]:
    notes: list[Note] = []
    for position, item in enumerate(suppressions):
        directive = item.directive

        def note(rule: Rule, message: str, item: Suppression = item) -> None:
            notes.append(_note(rule, item.path, item.span, item.text, item.entry, message))

        if directive.error:
            note(MALFORMED, f"suppression not applied: {directive.error}")
            continue
        codes = ", ".join(directive.codes)
        if directive.until is not None and directive.until < screen.today:
            note(
                EXPIRED,
                f"suppression of {codes} expired on {directive.until.isoformat()}; "
                "its findings are reported again",
            )
            continue
        if not directive.has_reason:
            note(WITHOUT_REASON, f'suppression of {codes} gives no reason; add reason="..."')
        for code in directive.codes:
            if (position, code) in used:
                continue
            if code not in screen.known_codes:
                note(UNUSED, f"suppression names {code}, which is no rule pinaudit knows")
            elif screen.enabled(code):
                target = f" for {item.entry}" if item.entry else ""
                note(UNUSED, f"nothing to suppress: no {code} finding involves this line{target}")
    return notes


def _config_notes(screen: Screen) -> list[Note]:
    notes: list[Note] = []
    for entry in screen.config_ignores:
        if not entry.expired(screen.today) or entry.origin.path is None:
            continue
        path, line = entry.origin.path, entry.origin.line or 1
        text = screen.config_texts.get(path, "")
        lines = text.splitlines()
        if 0 < line <= len(lines):
            index = LineIndex(text)
            body = lines[line - 1]
            start = index.line_start(line) + len(body) - len(body.lstrip())
            span = index.span(start, index.line_start(line) + len(body.rstrip()))
            shown = body.strip()
        else:
            span, shown = Span(0, 0, line, 1, line, 1), entry.code
        assert entry.until is not None
        notes.append(
            _note(
                EXPIRED,
                path,
                span,
                shown,
                "",
                f"'ignore' of {entry.code} expired on {entry.until.isoformat()}; "
                "its findings are reported again",
            )
        )
    return notes


def screen_findings(findings: Sequence[Finding], screen: Screen) -> Screened:
    """Drop suppressed findings and add the notes about suppressions themselves."""
    by_file: dict[str, list[tuple[int, Suppression]]] = {}
    for position, item in enumerate(screen.suppressions):
        by_file.setdefault(_key(item.path), []).append((position, item))
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if _per_file_ignored(finding, screen):
            suppressed.append(finding)
            continue
        code = finding.rule.code
        hit = False
        for involved in finding.involved:
            for dependency in involved.dependencies:
                for position, item in by_file.get(_key(dependency.path), ()):
                    directive = item.directive
                    if directive.error or code not in directive.codes:
                        continue
                    if directive.until is not None and directive.until < screen.today:
                        continue
                    span = dependency.span
                    if any(span.line <= line <= span.end_line for line in item.lines):
                        used.add((position, code))
                        hit = True
        (suppressed if hit else kept).append(finding)
    notes = _suppression_notes(screen.suppressions, used, screen) + _config_notes(screen)
    kept.extend(note for note in notes if screen.enabled(note.rule.code))
    kept.sort(key=lambda f: (str(f.primary.path), f.primary.span.start, f.rule.code))
    return Screened(tuple(kept), tuple(suppressed))
