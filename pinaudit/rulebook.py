"""Rules as data: the model, the loader and its validation.

A rule file is TOML and never code.  Validation collects every problem it can
find (with file and line) instead of stopping at the first, because rule authors
fix a pack in one pass; a rule with a problem is left out, the rest still load.
A valid rule is first a plain record (:data:`RuleRecord`), then a :class:`Rule`
(:func:`rule_from_record`): the rule cache (``rulecache``) keeps the records.
The format is described in ``docs/rules-format.md``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from packaging.markers import InvalidMarker, Marker
from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinaudit.model import Problem
from pinaudit.ranges import bad_range
from pinaudit.textfile import folder_exists

RULE_CODE = re.compile(r"^[A-Z][A-Z0-9]*[0-9]{3,}$")
RULE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
URL = re.compile(r"^https?://[^\s/]+\.[^\s/]+(/\S*)?$")

#: A validated rule as plain data (str, int, list, tuple, dict): what its rule
#: file stated, after validation (the keys are those :func:`_rule_from_table`
#: returns).  Plain so that the rule cache can keep it without pickle.
RuleRecord = dict[str, Any]


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class RuleKind(enum.StrEnum):
    """What sort of knowledge a rule records; decides which matches it reports.

    ``combination``: packages that break together.  ``bad-release``: releases of
    one package that are broken or yanked.  ``stale-cap``: a cap that once worked
    around a break, next to a version that has fixed it; only a definite match is
    worth saying, since a range that merely permits the cap is no cap at all.
    """

    COMBINATION = "combination"
    BAD_RELEASE = "bad-release"
    STALE_CAP = "stale-cap"
    ADVISORY = "advisory"
    INTERNAL = "internal"


class Match(enum.StrEnum):
    DEFINITE = "definite"
    POSSIBLE = "possible"


@dataclass(frozen=True, slots=True)
class PackageCondition:
    """One package of a rule and the versions of it that take part in the break."""

    name: str
    specifier: SpecifierSet
    range: VersionRange


@dataclass(frozen=True, slots=True)
class Remedy:
    """Move ``package`` to ``version``: a real release, named by the evidence."""

    package: str
    version: Version
    note: str = ""


@dataclass(frozen=True, slots=True)
class Reference:
    """A primary source behind a rule: the issue, pull request or changelog that shows it."""

    url: str
    kind: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Example:
    """Requirement lines and what the rule must make of them (or ``silent``)."""

    expect: str
    requirements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A known-bad combination or release, validated from a rule file: data, never code."""

    code: str
    slug: str
    kind: RuleKind
    severity: Severity
    summary: str
    packages: tuple[PackageCondition, ...]
    remedies: tuple[Remedy, ...]
    references: tuple[Reference, ...]
    examples: tuple[Example, ...] = ()
    description: str = ""
    signature: str = ""
    fixed: str = ""
    marker: Marker | None = None
    aliases: tuple[str, ...] = ()
    path: Path | None = None
    line: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(condition.name for condition in self.packages)

    @property
    def reports_possible(self) -> bool:
        return self.kind not in (RuleKind.STALE_CAP, RuleKind.INTERNAL)

    def condition(self, name: str) -> PackageCondition:
        for condition in self.packages:
            if condition.name == name:
                return condition
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules loaded from some files, with the problems found in them."""

    rules: tuple[Rule, ...]
    problems: tuple[Problem, ...]

    def by_code(self) -> dict[str, Rule]:
        return {rule.code: rule for rule in self.rules}

    def index(self) -> dict[str, tuple[Rule, ...]]:
        """Rules keyed by every package they name: the engine's only look-up."""
        index: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for name in set(rule.names):
                index.setdefault(name, []).append(rule)
        return {name: tuple(rules) for name, rules in index.items()}

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> RuleSet:
        """Rules whose code starts with a selected prefix and no ignored one."""
        chosen = tuple(select)
        dropped = tuple(ignore)
        rules = tuple(
            rule
            for rule in self.rules
            if (not chosen or rule.code.startswith(chosen)) and not rule.code.startswith(dropped)
        )
        return RuleSet(rules, self.problems)


TOP_KEYS = frozenset({"rule"})
RULE_KEYS = frozenset(
    {
        "code",
        "slug",
        "kind",
        "severity",
        "summary",
        "description",
        "signature",
        "fixed",
        "marker",
        "packages",
        "remedies",
        "references",
        "examples",
    }
)
REQUIRED_RULE_KEYS = ("code", "slug", "kind", "severity", "summary", "packages", "references")
PACKAGE_KEYS = frozenset({"name", "bad"})
REMEDY_KEYS = frozenset({"package", "version", "note"})
REFERENCE_KEYS = frozenset({"url", "kind", "title"})
REFERENCE_KINDS = frozenset(
    {"issue", "pull", "commit", "changelog", "code", "advisory", "release", "docs"}
)
EXAMPLE_KEYS = frozenset({"expect", "requirements"})
EXPECTATIONS = frozenset({"definite", "possible", "silent"})


class _RuleErrors(Exception):
    """Collects the problems of one rule so the loader can skip it."""


class _Validator:
    """Walks one rule table, turning every problem into a located message."""

    def __init__(
        self, path: Path, lines: Sequence[str], header_line: int, next_header_line: int
    ) -> None:
        # The file's lines, split once by the caller: one split per rule made a
        # pack of n rules in one file cost n times its size to load.
        self.path = path
        self.lines = lines
        self.first = header_line
        self.last = next_header_line
        self.problems: list[Problem] = []
        self.label = "rule"
        self.scope: tuple[str, int] | None = None

    def within(self, table: str | None, position: int = 0) -> None:
        """Point later messages at the ``position``-th ``[[rule.table]]`` (1-based)."""
        self.scope = (table, position) if table else None

    def line_of(self, key: str) -> int:
        """Best line for a key: its ``key =`` line in the current (sub)table."""
        first, last = self.first, min(self.last, len(self.lines) + 1)
        if self.scope is not None:
            table, position = self.scope
            header = re.compile(rf"^\s*\[\[\s*rule\.{re.escape(table)}\s*\]\]")
            starts = [n for n in range(first, last) if header.match(self.lines[n - 1])]
            if len(starts) >= position:
                first = starts[position - 1]
                later = [
                    n for n in range(first + 1, last) if self.lines[n - 1].lstrip().startswith("[")
                ]
                last = later[0] if later else last
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(first, last):
            if pattern.match(self.lines[number - 1]):
                return number
        return first

    def fail(self, key: str, message: str) -> None:
        self.problems.append(
            Problem(
                self.path,
                f"{self.label}: {message}",
                line=self.line_of(key),
                code="bad-rule",
            )
        )

    def unknown_keys(self, table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail(key, f"unknown key '{key}' in {where} (known keys: {known})")

    def text(self, table: Mapping[str, Any], key: str, *, required: bool = False) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.fail(key, f"'{key}' must be a string")
            return ""
        if required and not value.strip():
            self.fail(key, f"'{key}' is required")
        return value

    def tables(self, table: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.fail(key, f"'{key}' must be an array of tables ([[rule.{key}]])")
            return []
        return value


def _header_lines(lines: Sequence[str]) -> list[int]:
    return [
        number
        for number, line in enumerate(lines, start=1)
        if line.strip().replace(" ", "") == "[[rule]]"
    ]


def _rule_from_table(validator: _Validator, table: Mapping[str, Any]) -> RuleRecord | None:
    """The rule's record when the table is valid; its problems land on ``validator``."""
    code = validator.text(table, "code", required=True)
    validator.label = f"rule {code or '?'}"
    validator.unknown_keys(table, RULE_KEYS, "[[rule]]")
    for key in REQUIRED_RULE_KEYS:
        if key not in table:
            validator.fail(key, f"missing required key '{key}'")
    if code and not RULE_CODE.match(code):
        validator.fail("code", f"code '{code}' must look like PA1001 (capitals, then digits)")
    slug = validator.text(table, "slug", required=True)
    if slug and not RULE_SLUG.match(slug):
        validator.fail("slug", f"slug '{slug}' must be lowercase words joined by '-'")
    kind_text = validator.text(table, "kind", required=True)
    severity_text = validator.text(table, "severity", required=True)
    kind = _enum(validator, RuleKind, "kind", kind_text)
    severity = _enum(validator, Severity, "severity", severity_text)
    summary = validator.text(table, "summary", required=True)

    marker_text = validator.text(table, "marker")
    if marker_text.strip():
        try:
            Marker(marker_text)
        except InvalidMarker as error:
            validator.fail("marker", f"invalid marker {marker_text!r}: {error}")

    packages = _packages(validator, table)
    remedies = _remedies(validator, table, packages)
    references = _references(validator, table)
    examples = _examples(validator, table, kind)
    validator.within(None)

    declared = len(table.get("packages", [])) if isinstance(table.get("packages"), list) else 0
    if kind is RuleKind.BAD_RELEASE and declared != 1:
        validator.fail("packages", "a bad-release rule names exactly one package")
    if kind in (RuleKind.COMBINATION, RuleKind.STALE_CAP) and declared < 2:
        validator.fail("packages", f"a {kind} rule names at least two packages")

    if validator.problems or kind is None or severity is None:
        return None
    return {
        "code": code,
        "slug": slug,
        "kind": kind.value,
        "severity": severity.value,
        "summary": summary.strip(),
        "packages": [(condition.name, bad) for condition, bad in packages],
        "remedies": [(remedy.package, str(remedy.version), remedy.note) for remedy in remedies],
        "references": [(ref.url, ref.kind, ref.title) for ref in references],
        "examples": [(example.expect, list(example.requirements)) for example in examples],
        "description": validator.text(table, "description").strip(),
        "signature": validator.text(table, "signature").strip(),
        "fixed": validator.text(table, "fixed").strip(),
        "marker": marker_text if marker_text.strip() else "",
        "line": validator.first,
    }


#: The record's plain-text entries: every rule key but the four tables.
_RECORD_TEXTS = tuple(sorted(RULE_KEYS - {"packages", "remedies", "references", "examples"}))
_RECORD_KEYS = frozenset({*_RECORD_TEXTS, "packages", "remedies", "references", "examples", "line"})
_KINDS = frozenset(kind.value for kind in RuleKind)
_SEVERITIES = frozenset(severity.value for severity in Severity)


def _texts(value: object, size: int = -1) -> bool:
    """A list or tuple of strings (of ``size`` items, unless -1)."""
    if not isinstance(value, list | tuple) or (size != -1 and len(value) != size):
        return False
    return all(type(item) is str for item in value)


_SHAPES = (("packages", 2), ("remedies", 3), ("references", 3), ("examples", 2))


def is_rule_record(value: object) -> bool:
    """Whether ``value`` has exactly the shape :func:`_rule_from_table` gives a record.

    The rule cache is a file other programs could write; a record of another
    shape is refused before it can reach :func:`rule_from_record`.
    """
    if type(value) is not dict or value.keys() != _RECORD_KEYS:
        return False
    for key in _RECORD_TEXTS:
        if type(value[key]) is not str:
            return False
    if type(value["line"]) is not int:
        return False
    if value["kind"] not in _KINDS or value["severity"] not in _SEVERITIES:
        return False
    for key, size in _SHAPES:
        items = value[key]
        if type(items) is not list:
            return False
        for item in items:
            if key == "examples":
                if not (
                    type(item) in (list, tuple)
                    and len(item) == 2
                    and type(item[0]) is str
                    and _texts(item[1])
                ):
                    return False
            elif not _texts(item, size):
                return False
    return True


def rule_from_record(record: RuleRecord, path: Path | None) -> Rule:
    """The rule a validated record describes; the one place a :class:`Rule` is built.

    A record holds only the texts the rule file stated (specifiers, versions,
    the marker), so the rule cache can store it as plain data and a cached and
    a freshly parsed rule are built by the same code and come out equal.
    """
    packages = []
    for name, bad in record["packages"]:
        specifier = SpecifierSet(bad)
        packages.append(PackageCondition(name, specifier, bad_range(specifier)))
    marker_text: str = record["marker"]
    return Rule(
        code=record["code"],
        slug=record["slug"],
        kind=RuleKind(record["kind"]),
        severity=Severity(record["severity"]),
        summary=record["summary"],
        packages=tuple(packages),
        remedies=tuple(
            Remedy(package, Version(version), note) for package, version, note in record["remedies"]
        ),
        references=tuple(Reference(url, kind, title) for url, kind, title in record["references"]),
        examples=tuple(
            Example(expect, tuple(requirements)) for expect, requirements in record["examples"]
        ),
        description=record["description"],
        signature=record["signature"],
        fixed=record["fixed"],
        marker=Marker(marker_text) if marker_text else None,
        path=path,
        line=record["line"],
    )


_E = TypeVar("_E", bound=enum.StrEnum)


def _enum(validator: _Validator, kind: type[_E], key: str, value: str) -> _E | None:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        if value:
            validator.fail(key, f"'{key}' is {value!r}; expected one of: {choices}")
        return None


def _packages(
    validator: _Validator, table: Mapping[str, Any]
) -> list[tuple[PackageCondition, str]]:
    """Each valid package with the ``bad`` text it was read from (what a record keeps)."""
    result: list[tuple[PackageCondition, str]] = []
    seen: set[str] = set()
    for position, package in enumerate(validator.tables(table, "packages"), start=1):
        validator.within("packages", position)
        validator.unknown_keys(package, PACKAGE_KEYS, f"packages[{position}]")
        raw_name = validator.text(package, "name", required=True)
        bad = validator.text(package, "bad", required=True)
        name = canonicalize_name(raw_name)
        if name in seen:
            validator.fail("packages", f"package '{raw_name}' is named twice")
        seen.add(name)
        try:
            specifier = SpecifierSet(bad)
        except InvalidSpecifier as error:
            validator.fail(
                "bad", f"packages[{position}] ({raw_name}): bad specifier {bad!r}: {error}"
            )
            continue
        versions = bad_range(specifier)
        if versions.is_empty:
            validator.fail("bad", f"packages[{position}] ({raw_name}): {bad!r} matches no version")
            continue
        result.append((PackageCondition(name, specifier, versions), bad))
    return result


def _remedies(
    validator: _Validator, table: Mapping[str, Any], packages: list[tuple[PackageCondition, str]]
) -> list[Remedy]:
    by_name = {condition.name: condition for condition, _ in packages}
    result: list[Remedy] = []
    for position, remedy in enumerate(validator.tables(table, "remedies"), start=1):
        validator.within("remedies", position)
        validator.unknown_keys(remedy, REMEDY_KEYS, f"remedies[{position}]")
        name = canonicalize_name(validator.text(remedy, "package", required=True))
        version_text = validator.text(remedy, "version", required=True)
        try:
            version = Version(version_text)
        except InvalidVersion:
            validator.fail("version", f"remedies[{position}]: {version_text!r} is not a version")
            continue
        condition = by_name.get(name)
        if condition is None:
            validator.fail(
                "package", f"remedies[{position}]: '{name}' is not one of the rule's packages"
            )
            continue
        if condition.range.contains(version):
            validator.fail(
                "version",
                f"remedies[{position}]: {name} {version} is inside the bad range "
                f"'{condition.specifier}', so it would not fix anything",
            )
            continue
        result.append(Remedy(name, version, validator.text(remedy, "note").strip()))
    return result


def _references(validator: _Validator, table: Mapping[str, Any]) -> list[Reference]:
    result: list[Reference] = []
    entries = validator.tables(table, "references")
    if "references" in table and not entries:
        validator.fail("references", "at least one primary source is required")
    for position, entry in enumerate(entries, start=1):
        validator.within("references", position)
        validator.unknown_keys(entry, REFERENCE_KEYS, f"references[{position}]")
        url = validator.text(entry, "url", required=True)
        kind = validator.text(entry, "kind", required=True)
        if url and not URL.match(url):
            validator.fail("url", f"references[{position}]: {url!r} is not an http(s) URL")
        if kind and kind not in REFERENCE_KINDS:
            choices = ", ".join(sorted(REFERENCE_KINDS))
            validator.fail(
                "kind", f"references[{position}]: kind {kind!r}; expected one of: {choices}"
            )
        result.append(Reference(url, kind, validator.text(entry, "title").strip()))
    return result


def _examples(
    validator: _Validator, table: Mapping[str, Any], kind: RuleKind | None
) -> list[Example]:
    result: list[Example] = []
    for position, entry in enumerate(validator.tables(table, "examples"), start=1):
        validator.within("examples", position)
        validator.unknown_keys(entry, EXAMPLE_KEYS, f"examples[{position}]")
        expect = validator.text(entry, "expect", required=True)
        if expect and expect not in EXPECTATIONS:
            validator.fail(
                "expect",
                f"examples[{position}]: expect {expect!r}; one of definite, possible, silent",
            )
        lines = entry.get("requirements", [])
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            validator.fail(
                "requirements", f"examples[{position}]: 'requirements' must be a list of strings"
            )
            continue
        result.append(Example(expect, tuple(lines)))
    validator.within(None)
    # A stale cap reports only definite matches; a "before X" bad release has no
    # range that overlaps it without being inside it or admitting X, so for both
    # a possible example is optional.
    wanted = (
        {"definite", "silent"}
        if kind in (RuleKind.STALE_CAP, RuleKind.BAD_RELEASE)
        else set(EXPECTATIONS)
    )
    missing = wanted - {example.expect for example in result}
    if missing:
        validator.fail(
            "examples",
            "every rule needs examples that fire and that stay silent; missing: "
            + ", ".join(sorted(missing)),
        )
    return result


def parse_rule_records(text: str, path: Path) -> tuple[list[RuleRecord], list[Problem]]:
    """The records of one rule file's valid rules, and the problems of the others."""
    import tomli  # a run served from the rules cache never reads TOML

    try:
        document = tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        message = getattr(error, "msg", str(error))
        return [], [Problem(path, f"invalid TOML: {message}", line, column, "bad-rule")]
    problems: list[Problem] = []
    for key in document:
        if key not in TOP_KEYS:
            problems.append(
                Problem(
                    path,
                    f"unknown top-level key '{key}' (expected [[rule]] tables)",
                    1,
                    None,
                    "bad-rule",
                )
            )
    tables = document.get("rule", [])
    if not isinstance(tables, list):
        problems.append(
            Problem(path, "'rule' must be an array of tables ([[rule]])", 1, None, "bad-rule")
        )
        tables = []
    lines = text.splitlines()
    headers = _header_lines(lines)
    records: list[RuleRecord] = []
    for position, table in enumerate(tables):
        first = headers[position] if position < len(headers) else 1
        last = headers[position + 1] if position + 1 < len(headers) else len(lines) + 1
        validator = _Validator(path, lines, first, last)
        record = _rule_from_table(validator, table)
        problems.extend(validator.problems)
        if record is not None:
            records.append(record)
    return records, problems


def load_rule_text(text: str, path: Path) -> RuleSet:
    """Parse one rule file's text; problems come back, they are not raised."""
    records, problems = parse_rule_records(text, path)
    return RuleSet(tuple(rule_from_record(record, path) for record in records), tuple(problems))


def rule_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if folder_exists(path):
            yield from sorted(path.rglob("*.toml"))
        else:
            yield path


class RecordStore(Protocol):
    """Keeps the records of problem-free rule files between runs (see ``rulecache``)."""

    def get(self, path: Path, data: bytes) -> list[RuleRecord] | None:
        """The records stored for exactly these bytes of ``path``, or None."""

    def put(self, path: Path, data: bytes, records: list[RuleRecord]) -> None:
        """Remember the records validated from these bytes of ``path``."""


def _decode(data: bytes) -> str:
    """The text ``Path.read_text`` would give: UTF-8 with universal newlines."""
    text = data.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def load_rule_records(
    paths: Iterable[Path], store: RecordStore | None = None
) -> tuple[list[tuple[Path, RuleRecord]], list[Problem]]:
    """Each valid rule's file and record; duplicate codes and slugs are problems too.

    A file with problems is never handed to ``store``: it is parsed again on
    every run, so its problems are reported every time, with file and line.
    """
    found: list[tuple[Path, RuleRecord]] = []
    problems: list[Problem] = []
    for path in rule_files(paths):
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(Problem(path, f"cannot read rule file: {error}", code="bad-rule"))
            continue
        records = store.get(path, data) if store is not None else None
        if records is None:
            try:
                text = _decode(data)
            except UnicodeDecodeError as error:
                problems.append(Problem(path, f"cannot read rule file: {error}", code="bad-rule"))
                continue
            records, file_problems = parse_rule_records(text, path)
            problems.extend(file_problems)
            if store is not None and not file_problems:
                store.put(path, data, records)
        found.extend((path, record) for record in records)
    seen_codes: dict[str, tuple[Path, RuleRecord]] = {}
    seen_slugs: dict[str, tuple[Path, RuleRecord]] = {}
    unique: list[tuple[Path, RuleRecord]] = []
    for path, record in found:
        code, slug = record["code"], record["slug"]
        earlier = seen_codes.get(code) or seen_slugs.get(slug)
        if earlier is not None:
            problems.append(
                Problem(
                    path,
                    f"rule {code} ({slug}) repeats the code or slug of the rule at "
                    f"{earlier[0]}:{earlier[1]['line']}",
                    record["line"],
                    None,
                    "bad-rule",
                )
            )
            continue
        seen_codes[code] = seen_slugs[slug] = (path, record)
        unique.append((path, record))
    return unique, problems


def load_rules(paths: Iterable[Path]) -> RuleSet:
    """Load rule files and folders; duplicate codes and slugs are problems too."""
    records, problems = load_rule_records(paths)
    return RuleSet(
        tuple(rule_from_record(record, path) for path, record in records), tuple(problems)
    )


def builtin_rules_path() -> Path:
    """The rules shipped in the wheel, or the checkout's ``rules/`` when run from source."""
    packaged = Path(__file__).parent / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"
