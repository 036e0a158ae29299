"""Settings from ``[tool.pinaudit]`` / ``pinaudit.toml``, the environment and the command line.

A team writes its policy once, in the repository, and every way of running
pinaudit (a developer's shell, the pre-commit hook, CI) then agrees on it.  So
the file is found the way ruff finds its own: walking up from the first checked
path, the nearest folder that has settings wins, and a ``pinaudit.toml`` wins
over a ``pyproject.toml`` beside it.

Every value remembers where it came from (:class:`Origin`), because "why is
this rule off?" is the first question a reviewer asks, and ``pinaudit config``
answers it.  A bad file is never half-applied: every problem is reported with
file and line and the command stops (exit code 2) before checking anything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pinaudit.model import Problem
from pinaudit.render import OUTPUT_FORMATS
from pinaudit.rulebook import Severity
from pinaudit.textfile import folder_exists

CONFIG_NAME = "pinaudit.toml"
PYPROJECT = "pyproject.toml"
OUTPUT_FORMAT_ENV = "PINAUDIT_OUTPUT_FORMAT"
PROBLEM_CODE = "bad-config"
#: What a comment must contain to be an inline setting (a suppression, see ``suppress``);
#: here so that a run without any can tell without importing that module.
SUPPRESSION_MARKER = "pinaudit:"

#: A code or a code prefix: ``PA``, ``PA1``, ``PA1001``.
CODE_PREFIX = re.compile(r"^[A-Z][A-Z0-9]*$")
PYTHON_VERSION = re.compile(r"^3\.[0-9]{1,2}$")

KEYS = (
    "select",
    "extend-select",
    "ignore",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "rule-paths",
    "advisory-paths",
    "target-python",
    "fail-on",
    "fail-on-possible",
    "output-format",
)
IGNORE_KEYS = frozenset({"code", "reason", "until"})
FAIL_ON = tuple(severity.value for severity in Severity)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one value came from, for ``pinaudit config`` and for messages."""

    kind: str  # "default", "file", "command line" or "environment"
    path: Path | None = None
    line: int | None = None
    detail: str = ""

    def describe(self, display: Callable[[Path], str] = str) -> str:
        if self.kind == "file" and self.path is not None:
            return f"{display(self.path)}:{self.line}" if self.line else display(self.path)
        if self.detail:
            return f"{self.kind} ({self.detail})"
        return self.kind


DEFAULT = Origin("default")
COMMAND_LINE = Origin("command line")


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    """A rule switched off for the whole repository, with the why and until when.

    The reason and the expiry are what turn a silenced rule from a forgotten
    decision into a reviewed one: an expired entry stops ignoring and is
    reported (``PA0002``).
    """

    code: str
    reason: str = ""
    until: dt.date | None = None
    origin: Origin = DEFAULT

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and self.until < today


@dataclass(frozen=True, slots=True)
class Config:
    """The effective settings of one run; ``origins`` says where each key came from."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[IgnoreEntry, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    rule_paths: tuple[Path, ...] = ()
    advisory_paths: tuple[Path, ...] = ()
    target_python: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    fail_on_possible: bool = False
    output_format: str = "text"
    path: Path | None = None
    origins: Mapping[str, tuple[Origin, ...]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The folder per-file-ignores globs are relative to: the config file's, else cwd."""
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def excludes(self) -> tuple[str, ...]:
        """Discovery's patterns; ``legacy/`` means the folder, as in .gitignore."""
        return tuple(
            pattern.rstrip("/") or pattern for pattern in (*self.exclude, *self.extend_exclude)
        )

    def origin(self, key: str) -> tuple[Origin, ...]:
        return self.origins.get(key, (DEFAULT,))

    def active_ignores(self, today: dt.date) -> tuple[str, ...]:
        return tuple(entry.code for entry in self.ignore if not entry.expired(today))

    def selects(self, code: str, today: dt.date) -> bool:
        """Whether a rule code is on: selected by a prefix and not ignored by one.

        With no ``select`` every rule is on, so ``extend-select`` only matters
        next to a ``select`` that narrows the set.
        """
        if self.select and not code.startswith((*self.select, *self.extend_select)):
            return False
        return not code.startswith(self.active_ignores(today))


class ConfigError(Exception):
    """Settings that cannot be used; carries every problem found, each with file:line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(problem.describe() for problem in problems))
        self.problems = tuple(problems)


# ---------------------------------------------------------------------------
# Finding the file.


def _mentions_pinaudit(text: str) -> bool:
    return "pinaudit" in text


def _pyproject_section(path: Path) -> bool:
    """Whether a pyproject.toml has a ``[tool.pinaudit]`` table; bad TOML counts, to be reported."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if not _mentions_pinaudit(text):
        return False
    import tomli  # most runs find no settings file and never read TOML

    try:
        document = tomli.loads(text)
    except tomli.TOMLDecodeError:
        return True
    tool = document.get("tool")
    return isinstance(tool, dict) and "pinaudit" in tool


def find_config(start: Path) -> Path | None:
    """The settings file that governs ``start``: the nearest folder upwards with one."""
    folder = start if folder_exists(start) else start.parent
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / CONFIG_NAME
        if own.is_file():
            return own
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _pyproject_section(pyproject):
            return pyproject
    return None


# ---------------------------------------------------------------------------
# Reading and validating the file.

_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_KEY_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _KEY_PART.findall(dotted))


def key_lines(text: str, prefix: tuple[str, ...]) -> dict[tuple[str, ...], int]:
    """The line where each key below ``prefix`` is written.

    tomli forgets positions; messages need them.  A line scanner is enough for
    settings files: it understands headers, dotted keys and quoted keys, which
    is every layout a person writes settings in.
    """
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    depth = len(prefix)
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header is not None and not line.lstrip().startswith("[["):
            table = _key_parts(header.group(1))
            if table[:depth] == prefix and len(table) > depth:
                found.setdefault(table[depth:], number)
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        parts = (*table, *_key_parts(key.group(1)))
        if parts[:depth] == prefix and len(parts) > depth:
            found.setdefault(parts[depth:], number)
    return found


class _Reader:
    """Validates one settings table and locates each problem.

    A plain class, not a dataclass: defining a dataclass costs every run ~0.5 ms,
    and this one is never compared or copied.
    """

    __slots__ = ("lines", "path", "problems", "section_line", "text")

    def __init__(
        self, path: Path, text: str, lines: Mapping[tuple[str, ...], int], section_line: int
    ) -> None:
        self.path = path
        self.text = text
        self.lines = lines
        self.section_line = section_line
        self.problems: list[Problem] = []

    def line(self, *key: str) -> int:
        for end in range(len(key), 0, -1):
            found = self.lines.get(key[:end])
            if found is not None:
                return found
        return self.section_line

    def origin(self, *key: str) -> Origin:
        return Origin("file", self.path, self.line(*key))

    def fail(self, key: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(self.path, message, self.line(*key), None, PROBLEM_CODE))

    def strings(self, value: Any, key: str, what: str) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail((key,), f"'{key}' must be a list of {what} (strings)")
            return None
        return tuple(value)

    def codes(self, value: Any, key: str, *where: str) -> tuple[str, ...] | None:
        name = ".".join((key, *where))
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail((key, *where), f"'{name}' must be a list of rule codes (strings)")
            return None
        result = tuple(item.strip().upper() for item in value)
        for raw, code in zip(value, result, strict=True):
            if not CODE_PREFIX.match(code):
                self.fail(
                    (key, *where),
                    f"'{name}': {raw!r} is not a rule code or prefix (like PA1001 or PA1)",
                )
        return result

    def line_of_text(self, needle: str, after: int) -> int:
        """The first line at or after ``after`` that contains ``needle``."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if number >= after and needle in line:
                return number
        return after


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _ignores(reader: _Reader, value: Any) -> tuple[IgnoreEntry, ...] | None:
    if not isinstance(value, list):
        reader.fail(
            ("ignore",), "'ignore' must be a list of rule codes or {code, reason, until} tables"
        )
        return None
    entries: list[IgnoreEntry] = []
    start = reader.line("ignore")
    for position, item in enumerate(value, start=1):
        where = f"'ignore'[{position}]"
        if isinstance(item, str):
            code = item.strip().upper()
            if not CODE_PREFIX.match(code):
                reader.fail(
                    ("ignore",),
                    f"'ignore': {item!r} is not a rule code or prefix (like PA1001 or PA1)",
                )
                continue
            entries.append(IgnoreEntry(code, origin=reader.origin("ignore")))
            continue
        if not isinstance(item, dict):
            reader.fail(
                ("ignore",), f"{where} must be a rule code or a {{code, reason, until}} table"
            )
            continue
        code_value = item.get("code")
        if not isinstance(code_value, str) or not CODE_PREFIX.match(code_value.strip().upper()):
            reader.fail(("ignore",), f"{where}: 'code' must be a rule code like PA1001")
            continue
        code = code_value.strip().upper()
        line = start = reader.line_of_text(code_value, start)
        problems = [
            f"{where}: unknown key '{unknown}' (known keys: code, reason, until)"
            for unknown in sorted(set(item) - IGNORE_KEYS)
        ]
        reason = item.get("reason", "")
        if not isinstance(reason, str):
            problems.append(f"{where} ({code}): 'reason' must be a string")
        until = _date(item["until"]) if "until" in item else None
        if "until" in item and until is None:
            problems.append(
                f"{where} ({code}): 'until' must be a date like 2026-12-31, not {item['until']!r}"
            )
        for message in problems:
            reader.problems.append(Problem(reader.path, message, line, None, PROBLEM_CODE))
        if not problems:
            origin = Origin("file", reader.path, line)
            entries.append(IgnoreEntry(code, str(reason).strip(), until, origin))
    return tuple(entries)


def _paths(reader: _Reader, value: Any, key: str) -> tuple[Path, ...] | None:
    items = reader.strings(value, key, "paths")
    if items is None:
        return None
    base = reader.path.parent
    return tuple(
        (base / item).resolve() if not Path(item).is_absolute() else Path(item) for item in items
    )


def _choice(reader: _Reader, value: Any, key: str, choices: Sequence[str]) -> str | None:
    if not isinstance(value, str) or value not in choices:
        reader.fail((key,), f"'{key}' is {value!r}; expected one of: {', '.join(choices)}")
        return None
    return value


def _per_file_ignores(
    reader: _Reader, value: Any
) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if not isinstance(value, dict):
        reader.fail(("per-file-ignores",), "'per-file-ignores' must be a table of glob = [codes]")
        return None
    result: list[tuple[str, tuple[str, ...]]] = []
    for glob, codes in value.items():
        parsed = reader.codes(codes, "per-file-ignores", glob)
        if parsed is not None:
            result.append((glob, parsed))
    return tuple(result)


def _pythons(reader: _Reader, value: Any) -> tuple[str, ...] | None:
    items = reader.strings(value, "target-python", "Python versions")
    if items is None:
        return None
    for item in items:
        if not PYTHON_VERSION.match(item):
            reader.fail(
                ("target-python",),
                f"'target-python': {item!r} is not a Python version like \"3.12\"",
            )
    return items


def _unknown_key(reader: _Reader, key: str, section: str) -> None:
    import difflib  # only a settings file with a typo pays for it

    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(KEYS)})"
    reader.fail((key,), f"unknown key '{key}' in {section}{hint}")


def parse_config(text: str, path: Path) -> tuple[dict[str, Any], dict[str, Origin]]:
    """The settings a file states, as Config field values, and where each is written.

    Raises :class:`ConfigError` with every problem; nothing is half-applied.
    """
    import tomli

    try:
        document = tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        message = getattr(error, "msg", str(error))
        raise ConfigError(
            [Problem(path, f"invalid TOML: {message}", line, column, PROBLEM_CODE)]
        ) from None
    if path.name == PYPROJECT:
        prefix: tuple[str, ...] = ("tool", "pinaudit")
        section = "[tool.pinaudit]"
        tool = document.get("tool", {})
        table = tool.get("pinaudit", {}) if isinstance(tool, dict) else {}
    else:
        prefix, section, table = (), path.name, document
    lines = key_lines(text, prefix)
    section_line = key_lines(text, prefix[:-1]).get(prefix[-1:], 1) if prefix else 1
    reader = _Reader(path, text, lines, section_line)
    if not isinstance(table, dict):
        reader.fail((), f"{section} must be a table")
        raise ConfigError(reader.problems)

    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for key, value in table.items():
        parsed: Any
        if key in ("select", "extend-select"):
            parsed = reader.codes(value, key)
        elif key == "ignore":
            parsed = _ignores(reader, value)
        elif key == "per-file-ignores":
            parsed = _per_file_ignores(reader, value)
        elif key in ("exclude", "extend-exclude"):
            parsed = reader.strings(value, key, "globs")
        elif key in ("rule-paths", "advisory-paths"):
            parsed = _paths(reader, value, key)
        elif key == "target-python":
            parsed = _pythons(reader, value)
        elif key == "fail-on":
            choice = _choice(reader, value, key, FAIL_ON)
            parsed = None if choice is None else Severity(choice)
        elif key == "fail-on-possible":
            if not isinstance(value, bool):
                reader.fail((key,), f"'{key}' must be true or false")
            parsed = value if isinstance(value, bool) else None
        elif key == "output-format":
            parsed = _choice(reader, value, key, OUTPUT_FORMATS)
        else:
            _unknown_key(reader, key, section)
            continue
        if parsed is not None:
            values[key.replace("-", "_")] = parsed
            origins[key] = reader.origin(key)
    if reader.problems:
        raise ConfigError(reader.problems)
    return values, origins


def load_config(path: Path) -> Config:
    """The settings of one file, over the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(
            [Problem(path, f"cannot read settings: {reason}", code=PROBLEM_CODE)]
        ) from None
    values, origins = parse_config(text, path)
    return Config(**values, path=path, origins={key: (origin,) for key, origin in origins.items()})


# ---------------------------------------------------------------------------
# The command line and the environment on top.


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line (or the environment) says; None or empty is "not given".

    ``ignore``, ``extend_select``, ``extend_exclude``, ``rule_paths`` and
    ``advisory_paths`` add to the file's values; every other key replaces it.
    """

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    rule_paths: tuple[Path, ...] = ()
    advisory_paths: tuple[Path, ...] = ()
    target_python: tuple[str, ...] = ()
    fail_on: Severity | None = None
    fail_on_possible: bool | None = None
    output_format: str | None = None
    output_format_origin: Origin = COMMAND_LINE


def split_codes(values: Iterable[str]) -> tuple[str, ...]:
    """``--select PA1,PA2 --select PA3`` -> (PA1, PA2, PA3)."""
    return tuple(
        code.strip().upper() for value in values for code in value.split(",") if code.strip()
    )


def apply_overrides(config: Config, overrides: Overrides) -> Config:
    origins = dict(config.origins)
    changes: dict[str, Any] = {}

    def replace_with(key: str, value: Any) -> None:
        changes[key.replace("-", "_")] = value
        origins[key] = (COMMAND_LINE,)

    def extend(key: str, extra: tuple[Any, ...]) -> None:
        attribute = key.replace("-", "_")
        changes[attribute] = (*getattr(config, attribute), *extra)
        known = tuple(origin for origin in origins.get(key, ()) if origin.kind != "default")
        origins[key] = (*known, COMMAND_LINE)

    if overrides.select:
        replace_with("select", overrides.select)
    if overrides.extend_select:
        extend("extend-select", overrides.extend_select)
    if overrides.ignore:
        extend("ignore", tuple(IgnoreEntry(code, origin=COMMAND_LINE) for code in overrides.ignore))
    if overrides.exclude:
        replace_with("exclude", overrides.exclude)
    if overrides.extend_exclude:
        extend("extend-exclude", overrides.extend_exclude)
    if overrides.rule_paths:
        extend("rule-paths", overrides.rule_paths)
    if overrides.advisory_paths:
        extend("advisory-paths", overrides.advisory_paths)
    if overrides.target_python:
        replace_with("target-python", overrides.target_python)
    if overrides.fail_on is not None:
        replace_with("fail-on", overrides.fail_on)
    if overrides.fail_on_possible is not None:
        replace_with("fail-on-possible", overrides.fail_on_possible)
    if overrides.output_format is not None:
        replace_with("output-format", overrides.output_format)
        origins["output-format"] = (overrides.output_format_origin,)
    return replace(config, **changes, origins=origins)


def resolve(
    start: Path,
    overrides: Overrides,
    *,
    config_file: Path | None = None,
    isolated: bool = False,
) -> Config:
    """The effective settings: defaults, then the file, then the command line."""
    if isolated:
        base = Config()
    else:
        path = config_file if config_file is not None else find_config(start)
        base = Config() if path is None else load_config(path)
    return apply_overrides(base, overrides)


# ---------------------------------------------------------------------------
# Globs for per-file-ignores, relative to the settings file.


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """``**`` crosses folders, ``*`` and ``?`` stay inside one, ``[...]`` is a class."""
    out: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if pattern.startswith("**/", position):
            out.append("(?:.*/)?")
            position += 3
            continue
        if pattern.startswith("**", position):
            out.append(".*")
            position += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", position + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[position + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                position = end
        else:
            out.append(re.escape(char))
        position += 1
    return re.compile("".join(out) + r"\Z")


def glob_matches(pattern: str, relative: str) -> bool:
    """Whether a posix path relative to the settings folder matches a glob.

    A pattern without a ``/`` matches a file name anywhere, as in .gitignore
    and ruff; one with a ``/`` is anchored at the settings folder.
    """
    pattern = pattern.removeprefix("./")
    regex = _glob_regex(pattern)
    if "/" not in pattern:
        return regex.match(relative.rsplit("/", 1)[-1]) is not None
    return regex.match(relative) is not None
