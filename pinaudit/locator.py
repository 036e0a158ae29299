"""Where each value of a TOML (or JSON) document sits in its text.

tomli turns text into values and forgets where they came from, but a finding has
to point at the right character and a fix has to replace exactly the characters of
a version.  The locator is the missing half: a scanner that maps the *same paths*
one would use to index tomli's result (``("package", 5, "version")``,
``("project", "dependencies", 3)``, ``("tool", "poetry", "dependencies", "uvicorn",
"version")``) to character offsets in the text.

Design, and why:

* It runs only after tomli has accepted the text, so it may assume valid TOML: it
  never diagnoses syntax, it only finds boundaries.  That keeps it small enough
  to check, and the tests check it against tomli on generated documents (every
  value tomli reads must be found, and read back the same).
* It must cost a fraction of tomli's own time on 600-package lockfiles (the
  pre-commit hot path).  Python cannot afford to look at every statement, so
  the first pass is a loop of regex matches that each swallow a whole run of
  simple ``key = value`` statements; Python only sees what stops a run: a table
  header, a value that spans lines, the end.  Inside an element of an array of
  tables the run also swallows the element's own sub-table headers
  (``[package.dependencies]`` after ``[[package]]``), so a lockfile package
  costs two steps of Python.  A multi-line array is closed by the first
  ``]`` that starts a line when no other bracket and no triple quote lies
  between (which proves it, and takes a few ``str.find`` calls); otherwise a
  regex, and a bracket counter as the last resort.  Everything is linear.
* What the first pass reads past is indexed the first time a path inside it is
  asked for, each part once: a table's own statements (resumably, so asking
  for the second key of 600 tables reads two statements of each), an element's
  swallowed sub-tables, an array's or inline table's members.  A caller that
  will ask for the same key in every element (``version`` of every lock
  package) says so up front (``watch``) and gets them from the first pass.
* Header tables are resolved exactly as TOML does: a key that names an array
  of tables refers to its last element, so ``[package.dependencies]`` after
  the sixth ``[[package]]`` is ``("package", 5, "dependencies")``.  A table's
  extent runs from its header to the end of its last statement, sub-tables
  included: what "the whole lock entry" means to a person reading the file.

Offsets are character offsets into the decoded text (after the BOM), end
exclusive, the same convention as :class:`pinaudit.model.Span`.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import tomli

from pinaudit.model import LineIndex, Problem, Span, make_span
from pinaudit.textfile import SourceText

PathKey = tuple[str | int, ...]


class ValueKind(enum.IntEnum):
    """What sort of token a located value is; decides how to find its content."""

    BASIC = 1  # "..."
    LITERAL = 2  # '...'
    ML_BASIC = 3  # """..."""
    ML_LITERAL = 4  # '''...'''
    SCALAR = 5  # number, boolean, date-time
    ARRAY = 6  # [...]
    INLINE_TABLE = 7  # {...}
    TABLE = 8  # a [header] table or one [[header]] element
    JSON_STRING = 9  # a JSON string value


_STRING_KINDS = frozenset(
    {
        ValueKind.BASIC,
        ValueKind.LITERAL,
        ValueKind.ML_BASIC,
        ValueKind.ML_LITERAL,
        ValueKind.JSON_STRING,
    }
)


@dataclass(frozen=True, slots=True)
class Located:
    """One value's place in the text.

    ``start``/``end`` cover the value token itself (quotes and brackets included;
    a table from its header to its last statement).  ``key_start`` is where the
    key of a ``key = value`` pair (or the header of a table) begins, so
    ``key_start:end`` is the whole entry; for array elements it equals ``start``.
    """

    key_start: int
    start: int
    end: int
    kind: ValueKind

    @property
    def is_string(self) -> bool:
        return self.kind in _STRING_KINDS

    def inner(self, text: str) -> tuple[int, int]:
        """Offsets of a string's content, without quotes (and without the newline
        that TOML drops right after an opening triple quote)."""
        kind = self.kind
        if kind in (ValueKind.BASIC, ValueKind.LITERAL, ValueKind.JSON_STRING):
            return self.start + 1, self.end - 1
        if kind in (ValueKind.ML_BASIC, ValueKind.ML_LITERAL):
            start = self.start + 3
            if text.startswith("\r\n", start):
                start += 2
            elif text.startswith("\n", start):
                start += 1
            return start, self.end - 3
        return self.start, self.end


# ---------------------------------------------------------------------------
# Regular expressions.  Possessive quantifiers (Python 3.11+) keep every match
# linear: nothing here ever backtracks into a string or a run of plain characters.
# Strings are written "unrolled" (a run of plain characters, then escape + run)
# because sre walks that several times faster than one alternation per character.

_BASIC = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_LITERAL = r"'[^'\n]*+'"
# Inside a value a one-line string must not be the start of a triple quote: the
# patterns below do not understand multi-line strings, so they refuse them.
_STR = r'"(?!"")[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_LIT = r"'(?!'')[^'\n]*+'"
_TRIPLE = "\"\"\"|'''"
_BARE_KEY = r"[A-Za-z0-9_-]++"
_KEY_PART = rf"(?:{_BARE_KEY}|{_BASIC}|{_LITERAL})"
_KEY = rf"{_KEY_PART}(?:[ \t]*+\.[ \t]*+{_KEY_PART})*+"
_TRIVIA = r"(?:[ \t\r\n]++|#[^\n]*+)*+"
# A date-time may hold one space between date and time ("1979-05-27 07:32:00").
_SCALAR = r"[^\s#,\[\]{}\"']++(?: [0-9]{2}:[^\s#,\]}]*+)?"
# One-line containers: strings, scalars and inline tables nested at most twice.
_PLAIN = r"[^\[\]{}\"'#\n]*+"
_INLINE_1 = rf"\{{{_PLAIN}(?:(?:{_STR}|{_LIT}){_PLAIN})*+\}}"
_ARRAY_1 = rf"\[{_PLAIN}(?:(?:{_STR}|{_LIT}|{_INLINE_1}){_PLAIN})*+\]"
_INLINE_2 = rf"\{{{_PLAIN}(?:(?:{_STR}|{_LIT}|{_INLINE_1}|{_ARRAY_1}){_PLAIN})*+\}}"
_ARRAY_2 = rf"\[{_PLAIN}(?:(?:{_STR}|{_LIT}|{_INLINE_2}|{_ARRAY_1}){_PLAIN})*+\]"
# A value that ends on its own line and needs no Python to find its end.
_SIMPLE_VALUE = rf"(?:{_STR}|{_LIT}|{_SCALAR}|{_ARRAY_2}|{_INLINE_2})"

# The first pass: a run of simple ``key = value`` statements in one match (the
# empty group 1 remembers where the last of them ended; it takes part in every
# repetition, which 3.11's sre needs to report it right), then what stops the
# run: the key of a 2 ``[[header]]`` or 3 ``[header]``, 4/5 the key and opening
# of a value that needs more work (a multi-line array or inline table, a
# multi-line string), 6 the end.
_RUN = re.compile(
    rf"(?:{_TRIVIA}{_KEY}[ \t]*+=[ \t]*+{_SIMPLE_VALUE}())*+{_TRIVIA}"
    rf"(?:\[\[[ \t]*+({_KEY})[ \t]*+\]\]|\[[ \t]*+({_KEY})[ \t]*+\]"
    rf"|({_KEY})[ \t]*+=[ \t]*+([\[{{]|{_TRIPLE})|(\Z))"
)
_RUN_AOT, _RUN_TABLE, _RUN_KEY, _RUN_OPEN, _RUN_END = 2, 3, 4, 5, 6
# The detail pass over one table's statements: 1 a header (stop), 2 the key,
# 3 the value when it is simple, 4 the opening of one that is not, 5 the end.
_STATEMENT = re.compile(
    rf"{_TRIVIA}(?:(\[)|({_KEY})[ \t]*+=[ \t]*+(?:({_SIMPLE_VALUE})|([\[{{]|{_TRIPLE}))|(\Z))"
)
_HEADER = re.compile(rf"\[\[[ \t]*+(?P<a>{_KEY})[ \t]*+\]\]|\[[ \t]*+(?P<t>{_KEY})[ \t]*+\]")
_KEY_EQUALS = re.compile(rf"({_KEY})[ \t]*+=[ \t]*+")
_WATCH_CACHE: dict[str, re.Pattern[str]] = {}


def _watch_regex(key: str) -> re.Pattern[str]:
    """Simple statements up to ``key = "..."`` at the top of a table; group 1 is
    the string's content.  A statement that is not simple stops it (no match)."""
    pattern = _WATCH_CACHE.get(key)
    if pattern is None:
        pattern = re.compile(
            rf"(?:{_TRIVIA}(?!{re.escape(key)}[ \t]*+=){_KEY}[ \t]*+=[ \t]*+{_SIMPLE_VALUE})*+"
            rf"{_TRIVIA}{re.escape(key)}[ \t]*+=[ \t]*+\"([^\"\\\n]*+)\""
        )
        _WATCH_CACHE[key] = pattern
    return pattern


_KEY_PARTS = re.compile(_KEY_PART)
_TRIVIA_COMMAS = re.compile(r"(?:[ \t\r\n,]++|#[^\n]*+)*+")
_BASIC_RE = re.compile(_BASIC)
_LITERAL_RE = re.compile(_LITERAL)
_SCALAR_RE = re.compile(_SCALAR)
_ML_BASIC = r'"""[^"\\]*+(?:(?:\\[\s\S]|"(?!""))[^"\\]*+)*+"{3,5}'
_ML_LITERAL = r"'''[^']*+(?:'(?!'')[^']*+)*+'{3,5}"
_ML_BASIC_RE = re.compile(_ML_BASIC)
_ML_LITERAL_RE = re.compile(_ML_LITERAL)
_FAST_CONTAINER = re.compile(
    rf"\[(?:[^\[\]{{}}\"'#]++|{_STR}|{_LIT}|#[^\n]*+|{_INLINE_2}|{_ARRAY_1})*+\]|{_INLINE_2}"
)
# General fallback: everything that is not a bracket, strings of all four kinds
# and comments consumed whole; the caller counts brackets.
_NOT_BRACKET = re.compile(
    rf"(?:[^\[\]{{}}\"'#]++|{_ML_BASIC}|{_ML_LITERAL}|{_BASIC}|{_LITERAL}|#[^\n]*+)*+"
)

_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    '"': '"',
    "\\": "\\",
}
_HEX_LENGTH = {"x": 2, "u": 4, "U": 8}


class LocatorError(Exception):
    """The text is not what tomli accepted; only a bug in the locator raises it."""


def _line_array_end(text: str, pos: int, triple_free: bool) -> int:
    """End offset of the array opening at ``pos`` if it has the lockers' shape, else -1.

    The shape every locker (and most people) write: "[" at a line end, one
    element per line, "]" first on its line.  A "]" with only blanks before it
    on its line cannot sit in a comment or a one-line string; if no other
    bracket (and no multi-line string) lies between, it closes this array.
    C-speed scans, no regex.
    """
    newline = pos + 1
    while text[newline] in " \t\r":
        newline += 1
    close = text.find("]", newline) if text[newline] == "\n" else -1
    if close == -1:
        return -1
    before = close - 1
    while text[before] in " \t":
        before -= 1
    if (
        text[before] == "\n"
        and text.find("[", newline, close) == -1
        and (
            triple_free
            or (text.find('"""', newline, close) == -1 and text.find("'''", newline, close) == -1)
        )
    ):
        return close + 1
    return -1


def _container_end(text: str, pos: int, triple_free: bool) -> int:
    """End offset of the array or inline table that opens at ``pos``.

    ``triple_free`` says the document holds no triple quote at all, which spares
    the checks for multi-line strings.
    """
    if text[pos] == "[":
        end = _line_array_end(text, pos, triple_free)
        if end != -1:
            return end
    fast = _FAST_CONTAINER.match(text, pos)
    if fast is not None:
        end = fast.end()
        if triple_free or (text.find('"""', pos, end) == -1 and text.find("'''", pos, end) == -1):
            return end
    depth = 0
    skip = _NOT_BRACKET.match
    length = len(text)
    while pos < length:
        pos = skip(text, pos).end()  # type: ignore[union-attr]  # matches the empty string
        if pos >= length:
            break
        if text[pos] in "[{":
            depth += 1
        else:
            depth -= 1
        pos += 1
        if depth == 0:
            return pos
    raise LocatorError("unterminated array or inline table")


def _value_end(text: str, pos: int, triple_free: bool) -> tuple[int, int]:
    """End offset and kind of the value that starts at ``pos``."""
    char = text[pos]
    match: re.Match[str] | None
    if char == '"':
        if text.startswith('"""', pos):
            match, kind = _ML_BASIC_RE.match(text, pos), ValueKind.ML_BASIC
        else:
            match, kind = _BASIC_RE.match(text, pos), ValueKind.BASIC
    elif char == "'":
        if text.startswith("'''", pos):
            match, kind = _ML_LITERAL_RE.match(text, pos), ValueKind.ML_LITERAL
        else:
            match, kind = _LITERAL_RE.match(text, pos), ValueKind.LITERAL
    elif char == "[":
        return _container_end(text, pos, triple_free), ValueKind.ARRAY
    elif char == "{":
        return _container_end(text, pos, triple_free), ValueKind.INLINE_TABLE
    else:
        match, kind = _SCALAR_RE.match(text, pos), ValueKind.SCALAR
    if match is None:
        raise LocatorError(f"no value at offset {pos}")
    return match.end(), kind


def _simple_kind(text: str, pos: int) -> int:
    """Kind of a value the regex already delimited, from its first character."""
    char = text[pos]
    if char == '"':
        return ValueKind.BASIC
    if char == "'":
        return ValueKind.LITERAL
    if char == "[":
        return ValueKind.ARRAY
    if char == "{":
        return ValueKind.INLINE_TABLE
    return ValueKind.SCALAR


def unescape_basic(raw: str) -> str:
    """The value of a basic string's content (key names are rarely escaped)."""
    if "\\" not in raw:
        return raw
    return decode_basic(raw, 0, multiline=False)[0]


def decode_basic(raw: str, base: int, *, multiline: bool) -> tuple[str, list[int]]:
    """Decode a basic string's content and say where each character came from.

    ``offsets[i]`` is the text offset of decoded character ``i``; one extra entry
    marks the end, so a decoded slice ``[a:b]`` maps to ``offsets[a]:offsets[b]``.
    """
    out: list[str] = []
    offsets: list[int] = []
    index = 0
    length = len(raw)
    while index < length:
        char = raw[index]
        if char == "\r" and multiline and raw.startswith("\r\n", index):
            out.append("\n")
            offsets.append(base + index)
            index += 2
            continue
        if char != "\\" or index + 1 >= length:
            out.append(char)
            offsets.append(base + index)
            index += 1
            continue
        code = raw[index + 1]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            offsets.append(base + index)
            index += 2
        elif code in _HEX_LENGTH:
            digits = raw[index + 2 : index + 2 + _HEX_LENGTH[code]]
            out.append(chr(int(digits, 16)))
            offsets.append(base + index)
            index += 2 + len(digits)
        elif multiline and code in " \t\r\n":
            # A line-ending backslash swallows the newline and following blanks.
            index += 1
            while index < length and raw[index] in " \t\r\n":
                index += 1
        else:
            out.append(char)
            offsets.append(base + index)
            index += 1
    offsets.append(base + length)
    return "".join(out), offsets


_KEY_CACHE: dict[str, tuple[str, ...]] = {}


def key_parts(key: str) -> tuple[str, ...]:
    """The parts of a (possibly dotted, possibly quoted) key, as tomli names them."""
    cached = _KEY_CACHE.get(key)
    if cached is not None:
        return cached
    if '"' not in key and "'" not in key:
        parts = tuple(part.strip(" \t") for part in key.split("."))
    else:
        names: list[str] = []
        for match in _KEY_PARTS.finditer(key):
            token = match.group()
            if token[0] == '"':
                names.append(unescape_basic(token[1:-1]))
            elif token[0] == "'":
                names.append(token[1:-1])
            else:
                names.append(token)
        parts = tuple(names)
    if len(_KEY_CACHE) < 4096:
        _KEY_CACHE[key] = parts
    return parts


_RUN_TAIL = (
    rf"{_TRIVIA}(?:\[\[[ \t]*+({_KEY})[ \t]*+\]\]|\[[ \t]*+({_KEY})[ \t]*+\]"
    rf"|({_KEY})[ \t]*+=[ \t]*+([\[{{]|{_TRIPLE})|(\Z))"
)
_ELEMENT_RUNS: dict[tuple[str, ...], re.Pattern[str] | None] = {}
_BARE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _element_run(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The run inside an element of the array of tables ``names``.

    Like ``_RUN``, but it also swallows the element's own sub-table headers
    (``[package.dependencies]`` inside a ``[[package]]``), which lockfiles
    repeat for every package: group 1 keeps the last one's key (after the
    prefix), group 2 where the last item ended; the tail groups are ``_RUN``'s
    plus one.  The repetition is greedy over an atomic group rather than
    possessive because group 1 does not take part in every repetition, which
    3.11's sre mis-reports under a possessive repeat.  Backing off a repetition
    can only make the tail read a swallowed header or one-line value the
    general way, which is still right.
    """
    if names in _ELEMENT_RUNS:
        return _ELEMENT_RUNS[names]
    pattern = None
    if all(_BARE_NAME.fullmatch(name) for name in names):
        prefix = r"[ \t]*+\.[ \t]*+".join(re.escape(name) for name in names)
        pattern = re.compile(
            rf"(?>{_TRIVIA}(?:{_KEY}[ \t]*+=[ \t]*+{_SIMPLE_VALUE}"
            rf"|\[[ \t]*+{prefix}[ \t]*+\.[ \t]*+({_KEY})[ \t]*+\])())*" + _RUN_TAIL
        )
    if len(_ELEMENT_RUNS) < 256:
        _ELEMENT_RUNS[names] = pattern
    return pattern


def _has_triple_quote(text: str) -> bool:
    """Whether any triple quote occurs (sre's literal search beats ``in`` here)."""
    return _TRIPLE_DOUBLE.search(text) is not None or _TRIPLE_SINGLE.search(text) is not None


_TRIPLE_DOUBLE = re.compile('"""')
_TRIPLE_SINGLE = re.compile("'''")


class TomlMap:
    """Paths of a TOML document mapped to where their values are written.

    Built in one linear pass that records the table headers, the elements of
    arrays of tables and every value that needs more than a regex to delimit.
    Everything else is indexed the first time a path inside it is asked for:
    a table's statements, the sub-tables of an array element (which the first
    pass reads past in bulk), the elements of an array or inline table.  Each
    part of the text is indexed at most once more.
    """

    __slots__ = (
        "_aot",
        "_dotted",
        "_element_at",
        "_expanded",
        "_extent",
        "_lengths",
        "_nodes",
        "_pending",
        "_regions",
        "_triple_free",
        "_watch",
        "_watched",
        "text",
    )

    def __init__(self, text: str, watch: dict[str, str] | None = None) -> None:
        """``watch`` maps the name of an array of tables to a key whose string
        value the caller will ask for in every element (a lockfile's
        ``package`` -> ``version``): read during the first pass, it costs one
        regex match per element instead of a lookup each."""
        self.text = text
        self._triple_free = not _has_triple_quote(text)
        self._watch: dict[PathKey, str] = {(name,): key for name, key in (watch or {}).items()}
        self._watched: dict[PathKey, tuple[int, int]] = {}
        # path -> (key_start, start, end, kind); tuples keep the hot loop cheap.
        self._nodes: dict[PathKey, tuple[int, int, int, int]] = {}
        self._aot: dict[PathKey, int] = {}
        self._extent: dict[PathKey, int] = {}
        self._lengths: dict[PathKey, int] = {}
        self._expanded: set[PathKey] = set()
        # Tables whose own statements are not indexed yet: path -> where to go on.
        self._pending: dict[PathKey, int] = {}
        # Array elements whose sub-tables the first pass read past in bulk:
        # element path -> (end of its header, the array's key names).
        self._regions: dict[PathKey, tuple[int, tuple[str, ...]]] = {}
        self._element_at: dict[int, PathKey] = {}
        # Tables that only dotted keys make (``requests.version = "^2"`` makes
        # ``requests``): they have no statement of their own to find.
        self._dotted: set[PathKey] = set()
        self._scan()

    # -- building -----------------------------------------------------------

    def _scan(self) -> None:
        """Headers, array elements, extents and complex values of the document."""
        # The hot loop of every parse: plain ints and local names on purpose.
        text = self.text
        triple_free = self._triple_free
        nodes = self._nodes
        aot = self._aot
        extent = self._extent
        pending = self._pending
        regions = self._regions
        watch = self._watch
        watched = self._watched
        parts_cache = _KEY_CACHE
        general = _RUN.match
        run = general
        shift = 0  # element runs number their groups one higher
        element: PathKey = ()
        element_names: tuple[str, ...] = ()
        table: PathKey = ()
        pending[table] = 0
        open_tables: list[PathKey] = []
        # Open array elements: (path, key names, their run or None).
        open_elements: list[tuple[PathKey, tuple[str, ...], Any]] = []
        last_end = 0  # end of the last statement or header seen
        pos = 0
        while True:
            match = run(text, pos)
            if match is None:
                raise LocatorError(f"cannot read a statement at offset {pos}")
            marker = match.start(1 + shift)
            if marker != -1:
                last_end = marker
            if shift:
                swallowed = match.group(1)
                if swallowed is not None:
                    table = element + (parts_cache.get(swallowed) or key_parts(swallowed))
                    if element not in regions:
                        regions[element] = (nodes[element][2], element_names)
            group = match.lastindex - shift  # type: ignore[operator]
            if group == _RUN_OPEN:  # a value that needs more than one regex
                key = match.group(_RUN_KEY + shift)
                parts = parts_cache.get(key) or key_parts(key)
                value_start = match.start(_RUN_OPEN + shift)
                end = -1
                if triple_free and text[value_start] == "[":
                    # The common lockfile array, without _value_end's dispatch.
                    end = _line_array_end(text, value_start, True)
                    kind: int = ValueKind.ARRAY
                if end == -1:
                    end, kind = _value_end(text, value_start, triple_free)
                nodes[table + parts] = (match.start(_RUN_KEY + shift), value_start, end, kind)
                if len(parts) > 1:
                    self._note_dotted(table, parts)
                pos = last_end = end
                continue
            if group == _RUN_END:
                break
            # A table header: resolve it as TOML does, the last element of every
            # array of tables on the way.
            key = match.group(group + shift)
            names = parts_cache.get(key) or key_parts(key)
            if len(names) == 1:
                resolved: PathKey = names
            else:
                resolved = ()
                for name in names[:-1]:
                    resolved += (name,)
                    count = aot.get(resolved)
                    if count is not None:
                        resolved += (count - 1,)
                resolved += names[-1:]
            bracket = text.rfind("[", 0, match.start(group + shift))
            pos = match.end()
            if group == _RUN_AOT:
                header_start = bracket - 1
                index = aot.get(resolved, 0)
                aot[resolved] = index + 1
                table = (*resolved, index)
                self._element_at[header_start] = table
                if watch:
                    watched_key = watch.get(resolved)
                    if watched_key is not None:
                        found = _watch_regex(watched_key).match(text, pos)
                        if found is not None:
                            watched[table] = found.span(1)
            else:
                header_start = bracket
                table = resolved
            while open_tables and table[: len(open_tables[-1])] != open_tables[-1]:
                closed = open_tables.pop()
                extent[closed] = last_end
                if open_elements and open_elements[-1][0] == closed:
                    open_elements.pop()
            open_tables.append(table)
            if group == _RUN_AOT:
                open_elements.append((table, names, _element_run(names)))
            last_end = pos
            nodes[table] = (header_start, header_start, pos, ValueKind.TABLE)
            pending[table] = pos
            if open_elements and open_elements[-1][2] is not None:
                element, element_names, pattern = open_elements[-1]
                run = pattern.match
                shift = 1
            else:
                run = general
                shift = 0
        for path in open_tables:
            extent[path] = last_end

    def _scan_region(self, element: PathKey) -> None:
        """Register the sub-tables of an array element that the first pass read
        past in bulk (their statements stay pending like any table's)."""
        start, names = self._regions.pop(element)
        end = self._extent.get(element, start)
        text = self.text
        nodes = self._nodes
        extent = self._extent
        statement = _STATEMENT.match
        width = len(names)
        table = element
        open_tables: list[PathKey] = []
        last_end = start
        pos = start
        while pos < end:
            match = statement(text, pos)
            if match is None:
                raise LocatorError(f"cannot read a statement at offset {pos}")
            group = match.lastindex
            if group == 5 or match.start(group) >= end:  # type: ignore[arg-type]
                break
            if group != 1:
                key = match.group(2)
                if group == 3:
                    pos = match.end()
                else:  # recorded by the first pass
                    pos = nodes[table + (_KEY_CACHE.get(key) or key_parts(key))][2]
                last_end = pos
                continue
            header = _HEADER.match(text, match.start(1))
            if header is None:
                raise LocatorError(f"cannot read a table header at offset {match.start(1)}")
            if header.group("a") is not None:  # a nested array element: already known
                nested = self._element_at[header.start()]
                pos = last_end = extent[nested]
                continue
            header_names = key_parts(header.group("t"))
            if header_names[:width] != names:
                raise LocatorError(f"unexpected table header at offset {header.start()}")
            table = element + header_names[width:]
            while open_tables and table[: len(open_tables[-1])] != open_tables[-1]:
                extent[open_tables.pop()] = last_end
            open_tables.append(table)
            pos = last_end = header.end()
            if table not in nodes:
                nodes[table] = (header.start(), header.start(), pos, ValueKind.TABLE)
                self._pending[table] = pos
        for path in open_tables:
            extent[path] = last_end

    def _scan_table(self, table: PathKey, want: PathKey) -> bool:
        """Index one table's statements until one holds ``want`` (True) or the
        table ends (False).  The position is kept, so a table is read once however
        its keys are asked for; lockfiles put ``version`` second, so asking for it
        reads two statements of each package."""
        pos = self._pending[table]
        text = self.text
        nodes = self._nodes
        statement = _STATEMENT.match
        while True:
            match = statement(text, pos)
            if match is None:
                raise LocatorError(f"cannot read a statement at offset {pos}")
            group = match.lastindex
            if group == 1 or group == 5:
                del self._pending[table]
                return False
            key = match.group(2)
            parts = _KEY_CACHE.get(key) or key_parts(key)
            path = table + parts
            if len(parts) > 1:
                self._note_dotted(table, parts)
            if group == 3:
                value_start = match.start(3)
                pos = match.end()
                nodes[path] = (match.start(2), value_start, pos, _simple_kind(text, value_start))
            else:  # recorded by the first pass
                pos = nodes[path][2]
            if want[: len(path)] == path:
                self._pending[table] = pos
                return True

    def _expand(self, path: PathKey, node: tuple[int, int, int, int]) -> None:
        """Index the direct children of an array or inline table."""
        self._expanded.add(path)
        text = self.text
        triple_free = self._triple_free
        nodes = self._nodes
        _, start, _end, kind = node
        skip = _TRIVIA_COMMAS.match
        pos = start + 1
        if kind == ValueKind.ARRAY:
            index = 0
            while True:
                pos = skip(text, pos).end()  # type: ignore[union-attr]
                if text[pos] == "]":
                    break
                value_end, value_kind = _value_end(text, pos, triple_free)
                nodes[(*path, index)] = (pos, pos, value_end, value_kind)
                index += 1
                pos = value_end
            self._lengths[path] = index
            return
        while True:
            pos = skip(text, pos).end()  # type: ignore[union-attr]
            if text[pos] == "}":
                break
            pair = _KEY_EQUALS.match(text, pos)
            if pair is None:
                raise LocatorError(f"cannot read an inline-table key at offset {pos}")
            value_start = pair.end()
            value_end, value_kind = _value_end(text, value_start, triple_free)
            parts = key_parts(pair.group(1))
            nodes[path + parts] = (pos, value_start, value_end, value_kind)
            if len(parts) > 1:
                self._note_dotted(path, parts)
            pos = value_end

    def _note_dotted(self, table: PathKey, parts: tuple[str, ...]) -> None:
        for cut in range(1, len(parts)):
            self._dotted.add(table + parts[:cut])

    def _implicit_table(self, path: PathKey) -> tuple[int, int, int, int] | None:
        """The table dotted keys make, from its first key to the end of its last
        value (indexed by then: asking for it read its whole enclosing table)."""
        if path not in self._dotted:
            return None
        width = len(path)
        inside = [node for key, node in self._nodes.items() if key[:width] == path]
        if not inside:
            return None
        start = min(node[0] for node in inside)
        node = (start, start, max(node[2] for node in inside), ValueKind.TABLE)
        self._nodes[path] = node
        return node

    # -- asking -------------------------------------------------------------

    def _raw(self, path: PathKey) -> tuple[int, int, int, int] | None:
        node = self._nodes.get(path)
        if node is not None:
            return node
        # Index whatever encloses the path (its table, its container) and retry;
        # every retry indexes something new, so this ends.
        for cut in range(len(path) - 1, -1, -1):
            prefix = path[:cut]
            if prefix in self._pending:
                self._scan_table(prefix, path)
                return self._raw(path)
            if prefix in self._regions:
                self._scan_region(prefix)
                return self._raw(path)
            parent = self._nodes.get(prefix)
            if (
                parent is not None
                and parent[3] in (ValueKind.ARRAY, ValueKind.INLINE_TABLE)
                and prefix not in self._expanded
            ):
                self._expand(prefix, parent)
                return self._raw(path)
        return self._implicit_table(path)

    def get(self, *path: str | int) -> Located | None:
        """Where the value at ``path`` is written, or None if the text has none there."""
        node = self._raw(path)
        if node is None:
            return None
        key_start, start, end, kind = node
        if kind == ValueKind.TABLE:
            end = self._extent.get(path, end)
        return Located(key_start, start, end, ValueKind(kind))

    def find(self, path: PathKey) -> Located | None:
        """:meth:`get` for a path held as a tuple."""
        return self.get(*path)

    def length(self, *path: str | int) -> int:
        """Elements of the array (or ``[[array]]`` of tables) at ``path``; 0 if none."""
        count = self._aot.get(path)
        if count is not None:
            return count
        node = self._raw(path)
        if node is None or node[3] != ValueKind.ARRAY:
            return 0
        if path not in self._expanded:
            self._expand(path, node)
        return self._lengths.get(path, 0)

    def elements(self, name: str, count: int) -> list[tuple[int, int] | None]:
        """(start, end) of each of the ``count`` elements of the top-level array
        ``name`` (``[[name]]`` tables, or an array of inline tables)."""
        nodes = self._nodes
        extent = self._extent
        if self._aot.get((name,)) == count:
            result: list[tuple[int, int] | None] = []
            for index in range(count):
                node = nodes[(name, index)]
                result.append((node[0], extent.get((name, index), node[2])))
            return result
        found = [self.get(name, index) for index in range(count)]
        return [(item.start, item.end) if item is not None else None for item in found]

    def element_strings(self, name: str, key: str, count: int) -> list[tuple[int, int] | None]:
        """Content offsets of the string ``key`` in each element of ``name``: the
        values the first pass watched for, others looked up."""
        watched = self._watched
        result: list[tuple[int, int] | None] = []
        for index in range(count):
            offsets = watched.get((name, index))
            if offsets is None:
                offsets = self.string_offsets(name, index, key)
            result.append(offsets)
        return result

    def string_offsets(self, *path: str | int) -> tuple[int, int] | None:
        """Content offsets of the string at ``path``: the hot path of every lock parser."""
        node = self._nodes.get(path) or self._raw(path)
        if node is None:
            return None
        kind = node[3]
        if kind == ValueKind.BASIC or kind == ValueKind.LITERAL:
            return node[1] + 1, node[2] - 1
        if kind == ValueKind.ML_BASIC or kind == ValueKind.ML_LITERAL:
            return Located(node[0], node[1], node[2], ValueKind(kind)).inner(self.text)
        return None

    def string_map(self, located: Located) -> tuple[str, list[int] | None, int]:
        """:func:`string_map` for this document."""
        return string_map(self.text, located)


def string_map(text: str, located: Located) -> tuple[str, list[int] | None, int]:
    """A string's value, and how its characters map back to the text.

    Returns ``(value, offsets, base)``: ``offsets`` is None when the value is
    character-for-character the text from ``base`` (no escapes), the common
    case; otherwise ``offsets[i]`` is the text offset of value character ``i``
    and one extra entry marks the end.
    """
    start, end = located.inner(text)
    raw = text[start:end]
    kind = located.kind
    if kind == ValueKind.JSON_STRING:
        if "\\" not in raw:
            return raw, None, start
        return json.loads(text[located.start : located.end]), _json_offsets(raw, start), start
    multiline = kind in (ValueKind.ML_BASIC, ValueKind.ML_LITERAL)
    if kind in (ValueKind.BASIC, ValueKind.ML_BASIC) and "\\" in raw:
        value, offsets = decode_basic(raw, start, multiline=multiline)
        return value, offsets, start
    if multiline and "\r\n" in raw:
        # tomli reads a CRLF inside a multi-line string as one newline.
        return raw.replace("\r\n", "\n"), _crlf_offsets(raw, start), start
    return raw, None, start


def _crlf_offsets(raw: str, base: int) -> list[int]:
    offsets: list[int] = []
    index = 0
    while index < len(raw):
        offsets.append(base + index)
        index += 2 if raw.startswith("\r\n", index) else 1
    offsets.append(base + len(raw))
    return offsets


def _json_offsets(raw: str, base: int) -> list[int]:
    offsets: list[int] = []
    index = 0
    while index < len(raw):
        offsets.append(base + index)
        if raw[index] == "\\":
            index += 6 if raw[index + 1] == "u" else 2
        else:
            index += 1
    offsets.append(base + len(raw))
    return offsets


# ---------------------------------------------------------------------------
# JSON: the same idea for Pipfile.lock.  json.loads gives values (and errors with
# line and column); this walk gives positions, reading keys and strings with the
# C-accelerated scanner json itself uses and skipping deep values whole.

_JSON_WS = re.compile(r"[ \t\r\n]*")
_JSON_DECODER = json.JSONDecoder()


def locate_json(text: str, depth: int) -> dict[PathKey, Located]:
    """Positions of every value down to ``depth`` object/array levels."""
    found: dict[PathKey, Located] = {}
    scanstring: Any = json.decoder.scanstring  # type: ignore[attr-defined]
    ws = _JSON_WS.match

    def walk(pos: int, path: PathKey, key_start: int) -> int:
        pos = ws(text, pos).end()  # type: ignore[union-attr]
        char = text[pos]
        if len(path) >= depth or char not in "{[":
            if char == '"':
                end = scanstring(text, pos + 1)[1]
                found[path] = Located(key_start, pos, end, ValueKind.JSON_STRING)
                return int(end)
            end = _JSON_DECODER.raw_decode(text, pos)[1]
            kind = ValueKind.SCALAR
            if char == "[":
                kind = ValueKind.ARRAY
            elif char == "{":
                kind = ValueKind.INLINE_TABLE
            found[path] = Located(key_start, pos, end, kind)
            return int(end)
        start = pos
        pos += 1
        if char == "{":
            while True:
                pos = ws(text, pos).end()  # type: ignore[union-attr]
                if text[pos] == "}":
                    pos += 1
                    break
                if text[pos] == ",":
                    pos += 1
                    continue
                member_start = pos
                key, pos = scanstring(text, pos + 1)
                pos = ws(text, pos).end()  # type: ignore[union-attr]
                pos = walk(pos + 1, (*path, key), member_start)  # skip ':'
            found[path] = Located(key_start, start, pos, ValueKind.INLINE_TABLE)
            return pos
        index = 0
        while True:
            pos = ws(text, pos).end()  # type: ignore[union-attr]
            if text[pos] == "]":
                pos += 1
                break
            if text[pos] == ",":
                pos += 1
                continue
            element_start = ws(text, pos).end()  # type: ignore[union-attr]
            pos = walk(pos, (*path, index), element_start)
            index += 1
        found[path] = Located(key_start, start, pos, ValueKind.ARRAY)
        return pos

    start = ws(text, 0).end()  # type: ignore[union-attr]
    walk(start, (), start)
    return found


# ---------------------------------------------------------------------------
# Loading with problems instead of exceptions.


def load_toml(
    source: SourceText, watch: dict[str, str] | None = None
) -> tuple[dict[str, Any], TomlMap] | Problem:
    """tomli's values and the locator's positions, or the Problem that stops both."""
    try:
        data = tomli.loads(source.text)
    except tomli.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        message = getattr(error, "msg", str(error))
        return Problem(source.path, f"invalid TOML: {message}", line, column, "invalid-toml")
    except RecursionError:
        return Problem(source.path, "invalid TOML: nested too deeply", code="invalid-toml")
    try:
        located = TomlMap(source.text, watch)
    except (LocatorError, IndexError, RecursionError) as error:  # a locator bug, not user error
        return Problem(
            source.path,
            f"cannot locate values in this TOML ({error}); please report it",
            code="locator-error",
        )
    return data, located


def load_json(source: SourceText, depth: int) -> tuple[Any, dict[PathKey, Located]] | Problem:
    """json's values and positions down to ``depth``, or the Problem that stops both."""
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as error:
        return Problem(
            source.path, f"invalid JSON: {error.msg}", error.lineno, error.colno, "invalid-json"
        )
    except RecursionError:
        return Problem(source.path, "invalid JSON: nested too deeply", code="invalid-json")
    try:
        return data, locate_json(source.text, depth)
    except (ValueError, IndexError, RecursionError) as error:
        return Problem(
            source.path,
            f"cannot locate values in this JSON ({error}); please report it",
            code="locator-error",
        )


# ---------------------------------------------------------------------------
# PEP 508 requirement strings: where the name, extras, specifier, URL and marker
# are, inside the string's value.

_REQ_HEAD = re.compile(
    r"[ \t]*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)[ \t]*"
    r"(?:\[(?P<extras>[^\]]*)\][ \t]*)?"
)
_REQ_SPEC_PAREN = re.compile(r"\((?P<spec>[^)]*)\)")


@dataclass(frozen=True, slots=True)
class RequirementParts:
    """Offsets (into the requirement string's value) of its parts.

    ``spec`` is always set: for a requirement without a version part it is the
    empty range right after the name and extras, where a version would go.
    ``spec`` is None only for a direct reference (``name @ url``).
    """

    name: tuple[int, int]
    spec: tuple[int, int] | None
    url: tuple[int, int] | None
    marker: tuple[int, int] | None


def split_requirement(value: str) -> RequirementParts | None:
    """Find the parts of a PEP 508 string; None if it does not start with a name."""
    head = _REQ_HEAD.match(value)
    if head is None:
        return None
    name = head.span("name")
    pos = head.end()
    insertion = head.end("extras") + 1 if head.group("extras") is not None else name[1]
    semicolon = value.find(";", pos)
    if value.startswith("@", pos):
        url_end = len(value)
        marker: tuple[int, int] | None = None
        # In a URL requirement the marker must follow whitespace: "url ; marker".
        found = re.search(r"\s;", value[pos:])
        if found is not None:
            url_end = pos + found.start()
            marker = _strip(value, url_end + 2, len(value))
        url = _strip(value, pos + 1, url_end)
        return RequirementParts(name, None, url, marker)
    if value.startswith("(", pos):
        paren = _REQ_SPEC_PAREN.match(value, pos)
        if paren is not None:
            spec = _strip(value, paren.start("spec"), paren.end("spec"))
            if spec[0] == spec[1]:
                spec = (paren.start("spec"), paren.start("spec"))
            semicolon = value.find(";", paren.end())
            marker = _strip(value, semicolon + 1, len(value)) if semicolon != -1 else None
            return RequirementParts(name, spec, None, marker)
    end = semicolon if semicolon != -1 else len(value)
    spec = _strip(value, pos, end)
    if spec[0] == spec[1]:
        spec = (insertion, insertion)
    marker = _strip(value, semicolon + 1, len(value)) if semicolon != -1 else None
    return RequirementParts(name, spec, None, marker)


def _strip(value: str, start: int, end: int) -> tuple[int, int]:
    while start < end and value[start] in " \t\r\n":
        start += 1
    while end > start and value[end - 1] in " \t\r\n":
        end -= 1
    return start, end


# ---------------------------------------------------------------------------
# Comments, for suppressions in hand-written files.

_COMMENT_SCAN = re.compile(rf"{_ML_BASIC}|{_ML_LITERAL}|{_BASIC}|{_LITERAL}|(?P<c>#[^\r\n]*+)")


def toml_comments(text: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of every comment, strings skipped so '#' inside them is not one."""
    for match in _COMMENT_SCAN.finditer(text):
        if match.lastgroup == "c":
            yield match.start(), match.group()


class SpanMaker:
    """Line/column spans for a text, equal to :meth:`LineIndex.span`.

    ``LineIndex`` walks every line of the text in Python when it is built, which
    on a 1 MB lockfile costs a tenth of what parsing the TOML does.  Parsers ask
    for offsets in (almost always) increasing order, so counting newlines since
    the previous offset with ``str.count`` (C speed, each character once) is
    enough; an offset asked for out of order falls back to a real ``LineIndex``,
    built once, so the cost stays linear whatever the order.
    """

    __slots__ = ("_index", "_line", "_offset", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._index: LineIndex | None = None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        text = self._text
        if offset >= self._offset:
            line = self._line + text.count("\n", self._offset, offset)
            self._offset, self._line = offset, line
        else:
            if self._index is None:
                self._index = LineIndex(text)
            return self._index.position(offset)
        return line, offset - text.rfind("\n", 0, offset)

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(end)
        return make_span(start, end, line, column, end_line, end_column)

    def nested(self, start: int, end: int, inner_start: int, inner_end: int) -> tuple[Span, Span]:
        """Spans of an entry and of a part inside it (a lock entry and its
        version): the per-package cost of every lock parser, so done inline."""
        if start < self._offset:
            return self.span(start, end), self.span(inner_start, inner_end)
        text = self._text
        count = text.count
        rfind = text.rfind
        line = self._line + count("\n", self._offset, start)
        column = start - rfind("\n", 0, start)
        inner_line = line + count("\n", start, inner_start)
        inner_column = inner_start - rfind("\n", 0, inner_start)
        if text.find("\n", inner_start, inner_end) == -1:
            inner_end_line = inner_line
            inner_end_column = inner_column + inner_end - inner_start
        else:
            inner_end_line = inner_line + count("\n", inner_start, inner_end)
            inner_end_column = inner_end - rfind("\n", 0, inner_end)
        end_line = inner_end_line + count("\n", inner_end, end)
        end_column = end - rfind("\n", 0, end)
        self._offset = end
        self._line = end_line
        return (
            make_span(start, end, line, column, end_line, end_column),
            make_span(
                inner_start, inner_end, inner_line, inner_column, inner_end_line, inner_end_column
            ),
        )
