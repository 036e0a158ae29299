"""pip requirements files, read the way pip reads them, with exact locations.

pip (and pip-requirements-parser, which copies pip's code) throws positions away
early: it joins ``\\`` continuations, deletes comments and expands ``${VARS}``
before it looks at a requirement.  A fixer that must replace exactly the
characters of one version specifier cannot work from that.  So this module
repeats pip's steps in pip's order (join lines, strip comments, expand
variables, split arguments from options, optparse, the requirement
constructors) and keeps, for every text it derives, a map back to offsets in
the original file.

Speed matters because this runs in pre-commit hooks over whole repositories:
the common line (``name==1.2.3``, maybe with extras, a marker, hashes or a
comment) takes a path that avoids the general PEP 508 parser, a plain ``-r`` or
``-c`` line one that avoids shlex and optparse, and anything else takes the
general path (``packaging.requirements.Requirement``, pip's option parsing);
tests hold the fast paths to exactly the general path's results.  Entries whose specifier or
marker text is the same share one SpecifierSet or Marker object, since the
same pins recur across a repository's files: treat them as immutable.
"""

from __future__ import annotations

import bisect
import re
import urllib.parse
from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePosixPath
from typing import NamedTuple

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinaudit.compiled import read_compile_header
from pinaudit.model import (
    Comment,
    Dependency,
    GlobalOption,
    Include,
    IncludeKind,
    Manifest,
    ManifestKind,
    Problem,
    Role,
    Span,
    make_dependency,
    make_span,
)
from pinaudit.textfile import SourceText

__all__ = ["parse_requirements"]

# pip's COMMENT_RE is ``(^|\s+)#.*$``; the first "#" at the start or after
# whitespace begins the comment, so a "#" inside a URL fragment does not.
_COMMENT_RE = re.compile(r"(?:^|\s)#")
# pip's ENV_VAR_RE: only ${NAME} with uppercase letters, digits and "_".
_ENV_VAR_RE = re.compile(r"\$\{([A-Z0-9_]+)\}")
# shlex (posix, whitespace_split) separates words on exactly these characters.
_PLAIN_TOKEN_RE = re.compile(r"[^ \t\r\n]+")
_SHLEX_SPACE = " \t\r\n"

# The common requirement: a PEP 508 name, optional extras and specifiers, no
# marker and no URL.  Text this matches skips packaging's general parser; the
# specifier is still validated by SpecifierSet, exactly as Requirement does.
# Possessive quantifiers: a name or version character can never begin what
# follows it, so giving characters back cannot help a match, and refusing to
# keeps a failed match linear instead of exponential.
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*+(?<=[A-Za-z0-9])"
_ONE_SPEC = r"(?:===?|~=|!=|<=?|>=?)[ \t]*+[A-Za-z0-9][A-Za-z0-9.+!_*-]*+"
_SIMPLE_REQUIREMENT = (
    rf"(?P<name>{_NAME})"
    rf"(?:[ \t]*\[[ \t]*(?P<extras>{_NAME}(?:[ \t]*,[ \t]*{_NAME})*)?[ \t]*\])?"
    rf"(?:[ \t]*(?P<spec>{_ONE_SPEC}(?:[ \t]*,[ \t]*{_ONE_SPEC})*))?"
)
_FAST_REQUIREMENT_RE = re.compile(_SIMPLE_REQUIREMENT + r"\Z")
# pip-compile's per-line options: only --hash=algo:digest words, no quotes,
# escapes or ${VARS}, so shlex and optparse would find just these words.
_HASH_WORD = r"--hash=(?:sha256|sha384|sha512):[^\s'\"\\$#]+"
_HASHES_ONLY_RE = re.compile(rf"{_HASH_WORD}(?:[ \t]+{_HASH_WORD})*[ \t]*")
_HASH_VALUE_RE = re.compile(r"--hash=([^ \t]+)")
# Marker text the general path would hand to Marker unchanged: words with no
# "#" (a comment may start there), "$" (a ${VAR}), backslash, ";" or unicode
# blank, none starting with "-" (pip splits options off at the first " -").
_MARKER_WORD = r"[^\s#$;\\-][^\s#$;\\]*+"
# A whole logical line holding only such a requirement, maybe a marker, maybe
# such hashes, and maybe a comment.
_FAST_LINE_RE = re.compile(
    rf"[ \t]*(?P<requirement>{_SIMPLE_REQUIREMENT}"
    rf"(?:[ \t]*;(?:[ \t]*(?P<marker>{_MARKER_WORD}(?:[ \t]+{_MARKER_WORD})*+))?)?)"
    rf"(?:[ \t]* (?P<hashes>{_HASH_WORD}(?:[ \t]+{_HASH_WORD})*))?"
    r"[ \t]*(?:(?<=[ \t])(?P<comment>#.*))?\Z"
)
# A line that is one plain -r/-c include, spelled as pip's optparse reads it
# (``-r file``, ``-rfile``, ``--requirement file``, ``--requirement=file``).
# The path has no quotes, escapes, ${VARS}, "#" or ":" (URLs, drive letters)
# and does not start with "-" or "=": shlex and optparse would return it as
# written.  Anything else, such as an abbreviated option, takes the general path.
_FAST_INCLUDE_RE = re.compile(
    r"[ \t]*(?P<option>-(?P<short>[rc])[ \t]*|--(?P<long>requirement|constraint)(?:=|[ \t]+))"
    r"(?P<path>[^\s'\"\\$#:=-][^\s'\"\\$#:]*+)[ \t]*\Z"
)
_LEADING_NAME_RE = re.compile(r"[ \t]*[A-Za-z0-9][A-Za-z0-9._-]*")
_EXTRAS_SPLIT_RE = re.compile(r"[ \t]*,[ \t]*")
_PATH_EXTRAS_RE = re.compile(r"^(.+)(\[[^\]]+\])$")
_WINDOWS_PATH_RE = re.compile(r"[A-Za-z]:\\")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_EGG_RE = re.compile(r"[#&]egg=([^&]*)")
# pip's models/wheel.py wheel_file_re (names only; tags are not needed here).
_WHEEL_RE = re.compile(
    r"^(?P<name>[^\s-]+?)-(?P<ver>[^\s-]*?)"
    r"(?:(?:-\d[^-]*?)?-[^\s-]+?-[^\s-]+?-[^\s-]+?\.whl|\.dist-info)$"
)

_VCS_NAMES = ("git", "hg", "svn", "bzr")
# pip's vcs backends: the schemes an editable or a bare URL line may use.
_VCS_SCHEMES = frozenset(
    f"{vcs}+{transport}"
    for vcs, transports in (
        ("git", ("http", "https", "ssh", "git", "file")),
        ("hg", ("file", "http", "https", "ssh", "static-http")),
        ("svn", ("ssh", "http", "https", "svn", "file")),
        ("bzr", ("http", "https", "ssh", "sftp", "ftp", "lp", "file")),
    )
    for transport in transports
)
_URL_SCHEMES = _VCS_SCHEMES | {"http", "https", "file", "ftp"}
# pip's utils/filetypes.py ARCHIVE_EXTENSIONS: zip, bz2, tar and xz families.
_ARCHIVE_EXTENSIONS = (
    *(".zip", ".whl"),
    *(".tar.bz2", ".tbz"),
    *(".tar.gz", ".tgz", ".tar"),
    *(".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma"),
)
_STRONG_HASHES = ("sha256", "sha384", "sha512")
_NO_EXTRAS: frozenset[str] = frozenset()


class _OptionSpec(NamedTuple):
    name: str  # canonical long spelling, used in GlobalOption.name
    takes_value: bool
    scope: str  # "global", "requirement" (per-line), "include" or "editable"


# pip's req_file SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ, all spellings.
_OPTIONS: dict[str, _OptionSpec] = {
    "-i": _OptionSpec("--index-url", True, "global"),
    "--index-url": _OptionSpec("--index-url", True, "global"),
    "--pypi-url": _OptionSpec("--index-url", True, "global"),
    "--extra-index-url": _OptionSpec("--extra-index-url", True, "global"),
    "--no-index": _OptionSpec("--no-index", False, "global"),
    "-c": _OptionSpec("--constraint", True, "include"),
    "--constraint": _OptionSpec("--constraint", True, "include"),
    "-r": _OptionSpec("--requirement", True, "include"),
    "--requirement": _OptionSpec("--requirement", True, "include"),
    "-e": _OptionSpec("--editable", True, "editable"),
    "--editable": _OptionSpec("--editable", True, "editable"),
    "-f": _OptionSpec("--find-links", True, "global"),
    "--find-links": _OptionSpec("--find-links", True, "global"),
    "--no-binary": _OptionSpec("--no-binary", True, "global"),
    "--only-binary": _OptionSpec("--only-binary", True, "global"),
    "--prefer-binary": _OptionSpec("--prefer-binary", False, "global"),
    "--require-hashes": _OptionSpec("--require-hashes", False, "global"),
    "--pre": _OptionSpec("--pre", False, "global"),
    "--trusted-host": _OptionSpec("--trusted-host", True, "global"),
    "--use-feature": _OptionSpec("--use-feature", True, "global"),
    "--global-option": _OptionSpec("--global-option", True, "requirement"),
    "--hash": _OptionSpec("--hash", True, "requirement"),
    "-C": _OptionSpec("--config-settings", True, "requirement"),
    "--config-settings": _OptionSpec("--config-settings", True, "requirement"),
}
_LONG_OPTIONS = tuple(sorted(name for name in _OPTIONS if name.startswith("--")))


@lru_cache(maxsize=16384)
def _canonical(name: str) -> str:
    return canonicalize_name(name)


@lru_cache(maxsize=16384)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@lru_cache(maxsize=65536)
def _specifier_set(text: str) -> SpecifierSet:
    """Shared per text: the same pins and ranges recur across a repository's files.

    Sized for a large tree: a 60,000-line monorepo holds some 20,000 distinct
    specifier texts, and every object shared here is one whose ranges the
    engine computes once (its memos are keyed by identity).
    """
    return SpecifierSet(text)


@lru_cache(maxsize=4096)
def _marker(text: str) -> Marker:
    return Marker(text)


def _pinned_text(spec_text: str) -> Version | None:
    """``_pinned`` for specifier text that SpecifierSet accepted, without building one."""
    if "," in spec_text or not spec_text.startswith("=="):
        return None
    if spec_text.startswith("==="):
        return _version(spec_text[3:].strip())
    version = spec_text[2:].strip()
    return None if version.endswith(".*") else _version(version)


def _simple_parts(
    name: str, extras_text: str | None, spec_text: str | None
) -> tuple[SpecifierSet, frozenset[str], Version | None] | None:
    """Specifier, extras and pin of a fast-path match; None to leave it to the general path.

    A line that ends like an archive (``dist.zip``, ``name===1.0.zip``) is a
    local file to pip, and a specifier SpecifierSet rejects gets packaging's own
    error message there.
    """
    extras = frozenset(_EXTRAS_SPLIT_RE.split(extras_text)) if extras_text else _NO_EXTRAS
    if not spec_text:
        return None if _is_archive(name) else (_specifier_set(""), extras, None)
    if _is_archive(spec_text):
        return None
    found = _pinned_specifier(spec_text)
    if found is None:
        return None
    return found[0], extras, found[1]


@lru_cache(maxsize=65536)
def _pinned_specifier(text: str) -> tuple[SpecifierSet, Version | None] | None:
    """The shared SpecifierSet of a specifier text and its pin; None if it is invalid.

    One cache look-up per requirement line where there would be two or three.
    """
    try:
        specifier = _specifier_set(text)
    except InvalidSpecifier:
        return None
    return specifier, _pinned_text(text)


def _pinned(specifier: SpecifierSet) -> Version | None:
    """The one version a specifier admits, when it is a single exact pin."""
    if len(specifier) != 1:
        return None
    for spec in specifier:
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
            return _version(spec.version)
    return None


class _Token(NamedTuple):
    text: str  # the word as shlex.split returns it (quotes removed)
    start: int  # where the word starts and ends in the options text
    end: int


class _Option(NamedTuple):
    spec: _OptionSpec
    value: str | None
    start: int  # the option as written, value included
    end: int
    value_start: int  # the value as written
    value_end: int


class _OptionError(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _split_words(text: str) -> list[_Token]:
    """``shlex.split(text)`` with the position of every word.

    pip splits a line's options with shlex; the positions are what lets an
    option's span point at the option.  Raises _OptionError where shlex
    raises ValueError.
    """
    if '"' not in text and "'" not in text and "\\" not in text:
        return [_Token(m.group(), m.start(), m.end()) for m in _PLAIN_TOKEN_RE.finditer(text)]
    words: list[_Token] = []
    length = len(text)
    i = 0
    while i < length:
        if text[i] in _SHLEX_SPACE:
            i += 1
            continue
        start = i
        parts: list[str] = []
        while i < length and text[i] not in _SHLEX_SPACE:
            char = text[i]
            if char == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    raise _OptionError("No closing quotation", i)
                parts.append(text[i + 1 : close])
                i = close + 1
            elif char == '"':
                quote = i
                i += 1
                while True:
                    if i >= length:
                        raise _OptionError("No closing quotation", quote)
                    char = text[i]
                    if char == '"':
                        i += 1
                        break
                    if char == "\\":
                        if i + 1 >= length:
                            raise _OptionError("No escaped character", i)
                        following = text[i + 1]
                        parts.append(following if following in '"\\' else char + following)
                        i += 2
                    else:
                        parts.append(char)
                        i += 1
            elif char == "\\":
                if i + 1 >= length:
                    raise _OptionError("No escaped character", i)
                parts.append(text[i + 1])
                i += 2
            else:
                parts.append(char)
                i += 1
        words.append(_Token("".join(parts), start, i))
    return words


def _long_option(typed: str, position: int) -> _OptionSpec:
    """optparse's lookup: an exact name, or an unambiguous prefix of one."""
    spec = _OPTIONS.get(typed)
    if spec is not None:
        return spec
    matches = [name for name in _LONG_OPTIONS if name.startswith(typed)]
    if len(matches) == 1:
        return _OPTIONS[matches[0]]
    if matches:
        raise _OptionError(f"ambiguous option {typed} (could be {', '.join(matches)})", position)
    raise _OptionError(f"unknown pip option {typed}", position)


def _parse_options(text: str, base: int) -> list[_Option]:
    """pip's optparse pass over a line's options, keeping where each one is.

    Positions are offsets in ``text`` plus ``base`` (where ``text`` starts in
    the logical line).
    """
    try:
        words = _split_words(text)
    except _OptionError as error:
        raise _OptionError(error.message, base + error.position) from None
    options: list[_Option] = []
    count = len(words)
    i = 0
    while i < count:
        word = words[i]
        i += 1
        typed = word.text
        start = base + word.start
        if typed == "--":
            break  # optparse: everything after "--" is a positional argument
        if typed.startswith("--"):
            typed, equals, attached = typed.partition("=")
            spec = _long_option(typed, start)
            prefix = typed + "="
        elif typed.startswith("-") and typed != "-":
            typed, attached = typed[:2], typed[2:]
            equals = attached
            short = _OPTIONS.get(typed)
            if short is None:
                raise _OptionError(f"unknown pip option {typed}", start)
            spec = short
            prefix = typed
        else:
            continue  # pip ignores stray words on an option line
        end = base + word.end
        if not spec.takes_value:
            if equals:
                raise _OptionError(f"option {typed} does not take a value", start)
            options.append(_Option(spec, None, start, end, end, end))
            continue
        if equals:
            value = attached
            written = text[word.start : word.end]
            value_start = start + len(prefix) if written.startswith(prefix) else start
            value_end = end
        elif i < count:
            value_word = words[i]
            i += 1
            value = value_word.text
            value_start, value_end = base + value_word.start, base + value_word.end
            end = value_end
        else:
            raise _OptionError(f"option {typed} needs a value", start)
        _check_value(spec, typed, value, start)
        options.append(_Option(spec, value, start, end, value_start, value_end))
    return options


def _check_value(spec: _OptionSpec, typed: str, value: str, position: int) -> None:
    """The checks pip's optparse callbacks make; a failure rejects the line."""
    if spec.name == "--hash":
        algorithm, colon, _digest = value.partition(":")
        if not colon:
            raise _OptionError(
                f"{typed} must be a hash name followed by a value, like --hash=sha256:abcde...",
                position,
            )
        if algorithm not in _STRONG_HASHES:
            raise _OptionError(
                f"allowed hash algorithms for {typed} are {', '.join(_STRONG_HASHES)}", position
            )
    elif spec.name == "--config-settings" and "=" not in value:
        raise _OptionError(f"{typed} values must have the form KEY=VAL", position)


def _looks_like_path(text: str) -> bool:
    """pip's _looks_like_path on POSIX, plus Windows drive and UNC paths."""
    return "/" in text or text.startswith((".", "\\\\")) or _WINDOWS_PATH_RE.match(text) is not None


def _why_not_a_directory(text: str) -> str | None:
    """Why pip could not find ``text`` as a local directory either; None if it might.

    pip reads a path-like line that is not a requirement as a local project
    directory and fails when there is none.  This module does not look at the
    disk, so it only rejects what no directory is named like.
    """
    if "://" in text:
        scheme = text.split("://", 1)[0]
        return (
            f"pip does not install from {scheme}:// URLs "
            "(it reads http, https, file, ftp and git+, hg+, svn+, bzr+ URLs)"
        )
    if "#" in text:
        return "a # fragment such as #egg= is read only in a URL, not in a local path"
    if ":" in text[2:] or (":" in text[:2] and not text[:1].isalpha()):
        return "a ':' belongs in a URL, and this is not a URL pip reads"
    return None


def _url_scheme(text: str) -> str:
    """The scheme as urllib.parse.urlsplit finds it ("" for none), lowercased."""
    match = _SCHEME_RE.match(text)
    return match.group(1).lower() if match else ""


def _is_archive(text: str) -> bool:
    return text.lower().endswith(_ARCHIVE_EXTENSIONS)


def _strip_path_extras(text: str) -> str:
    """pip's _strip_extras: ``./project[dev]`` is the path ``./project``."""
    match = _PATH_EXTRAS_RE.match(text) if text.endswith("]") else None
    return match.group(1) if match else text


def _wheel_pin(filename: str) -> str | None:
    """``name==version`` for a wheel file name, as pip derives it; None if not a wheel."""
    match = _WHEEL_RE.match(filename)
    if match is None:
        return None
    return f"{match.group('name').replace('_', '-')}=={match.group('ver').replace('_', '-')}"


def _url_filename(url: str) -> str:
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    return PurePosixPath(path.rstrip("/")).name if path.rstrip("/") else ""


def _specifier_bounds(text: str) -> tuple[int, int] | None:
    """Where the version specifier sits in requirement text packaging accepted.

    The grammar is ``name [extras] (specifier | "(" specifier ")") [; marker]``
    with only spaces and tabs between parts, so after the name and extras the
    specifier runs to ``)`` or to ``;``/the end.
    """
    match = _LEADING_NAME_RE.match(text)
    if match is None:
        return None
    position = _skip_blanks(text, match.end())
    if text.startswith("[", position):
        close = text.find("]", position)
        if close < 0:
            return None
        position = _skip_blanks(text, close + 1)
    if position >= len(text):
        return None
    if text[position] == "(":
        close = text.find(")", position)
        if close < 0:
            return None
        start = _skip_blanks(text, position + 1)
        end = len(text[:close].rstrip(" \t"))
        return (start, end) if end > start else None
    if text[position] in "<>=!~":
        semicolon = text.find(";", position)
        end = len(text) if semicolon < 0 else semicolon
        return position, len(text[:end].rstrip(" \t"))
    return None


def _skip_blanks(text: str, position: int) -> int:
    length = len(text)
    while position < length and text[position] in " \t":
        position += 1
    return position


def _syntax_error(error: Exception, text: str) -> tuple[str, int]:
    """packaging's one-line reason for rejecting ``text`` and the offset it blamed."""
    cause = error.__cause__
    span = getattr(cause, "span", None)
    reason = getattr(cause, "message", None) or str(error).split("\n", 1)[0]
    position = span[0] if isinstance(span, tuple) and span else 0
    return reason, min(position, len(text))


def _requirement_error(error: Exception, text: str) -> tuple[str, int]:
    """A message for a rejected requirement, with pip's hints, and where to point."""
    reason, position = _syntax_error(error, text)
    hint = ""
    if "=" in text and not any(op in text for op in ("==", "!=", "<=", ">=", "~=")):
        hint = " (= is not a valid operator; did you mean ==?)"
    elif text.endswith("\\"):
        hint = " (a backslash continues a line only as the line's last character)"
    return f"invalid requirement {text!r}: {reason}{hint}", position


class _Parsed(NamedTuple):
    name: str
    extras: frozenset[str]
    specifier: SpecifierSet
    marker: Marker | None
    url: str | None


_Piece = tuple[int, int, int, int]  # joined offset, file offset, line, that line's start


class _LineMap:
    """Original offsets of a logical line that is one physical line, unexpanded."""

    __slots__ = ("base", "column_base", "line")
    precise = True

    def __init__(self, base: int, line: int, column_base: int) -> None:
        self.base = base
        self.line = line
        self.column_base = column_base

    def start(self, position: int) -> int:
        return self.base + position

    def end(self, position: int) -> int:
        return self.base + position

    def point(self, position: int) -> tuple[int, int]:
        """1-based (line, column) of a position."""
        return self.line, self.base + position - self.column_base + 1

    def span(self, start: int, end: int) -> Span:
        first = self.base + start
        last = self.base + end
        return Span(
            first,
            last,
            self.line,
            first - self.column_base + 1,
            self.line,
            last - self.column_base + 1,
        )


class _JoinedMap:
    """Original offsets of a logical line built from pieces and ${VAR} values.

    ``pieces`` are (offset in the joined text, offset in the file, line, offset
    where that line starts) for each run of characters copied from one physical
    line; ``substitutions`` are (start, end in the expanded text, start, end in
    the unexpanded text) for each expanded variable.  A position inside a
    variable's value maps to the variable as written: a start to its ``$``, an
    end past its ``}``.  ``precise`` is False when one substitution stands for
    the whole line (see _Reader._expand): such a map can say where the line
    is, not where its version is.
    """

    __slots__ = ("joined_starts", "pieces", "precise", "shift", "substitutions")

    def __init__(
        self,
        pieces: list[_Piece],
        shift: int,
        substitutions: list[tuple[int, int, int, int]],
        precise: bool = True,
    ) -> None:
        self.pieces = pieces
        self.joined_starts = [piece[0] for piece in pieces]
        self.shift = shift  # where the stripped content begins in the joined text
        self.substitutions = substitutions
        self.precise = precise

    def _unexpanded(self, position: int, is_end: bool) -> int:
        delta = 0
        for start, end, raw_start, raw_end in self.substitutions:
            if position < start or (is_end and position == start):
                break
            if position < end or (is_end and position == end):
                return raw_end if is_end else raw_start
            delta = raw_end - end
        return position + delta

    def _locate(self, position: int, is_end: bool) -> tuple[int, _Piece]:
        """The file offset of a position and the piece (so the line) it falls in.

        An end that falls on a piece boundary belongs to the piece before it,
        so a span never reaches over the backslash and newline that join them.
        """
        joined = self._unexpanded(position, is_end) + self.shift
        if is_end:
            index = bisect.bisect_left(self.joined_starts, joined) - 1
        else:
            index = bisect.bisect_right(self.joined_starts, joined) - 1
        piece = self.pieces[max(index, 0)]
        return piece[1] + joined - piece[0], piece

    def start(self, position: int) -> int:
        return self._locate(position, False)[0]

    def end(self, position: int) -> int:
        return self._locate(position, True)[0]

    def point(self, position: int) -> tuple[int, int]:
        offset, piece = self._locate(position, False)
        return piece[2], offset - piece[3] + 1

    def span(self, start: int, end: int) -> Span:
        first, head = self._locate(start, False)
        last, tail = self._locate(end, True)
        if last < first:
            last, tail = first, head
        return Span(first, last, head[2], first - head[3] + 1, tail[2], last - tail[3] + 1)


_Map = _LineMap | _JoinedMap


class _Reader:
    """State for reading one file; a fresh one per call keeps the API pure."""

    def __init__(self, source: SourceText, environ: Mapping[str, str], role: Role) -> None:
        self.path = source.path
        self.text = source.text
        self.folder = source.path.parent
        self.environ = environ
        self.role = role
        self.dependencies: list[Dependency] = []
        self.includes: list[Include] = []
        self.options: list[GlobalOption] = []
        self.problems: list[Problem] = []
        self.comments: list[Comment] = []

    def read(self) -> None:
        """pip's join_lines over str.splitlines(), remembering where each piece was.

        pip splits lines with str.splitlines(); lines and columns count only
        "\n" (as LineIndex does), so both are tracked here, which spares
        building a LineIndex.  This loop runs once per physical line of every
        file checked, hence the local names.
        """
        text = self.text
        fast_line = _FAST_LINE_RE.match
        simple_line = self._simple_line
        simple_include = self._simple_include
        logical = self._logical
        add_comment = self.comments.append
        offset = 0
        line = 1
        line_start = 0
        pending = False  # inside a backslash continuation
        joined: list[str] = []
        pieces: list[_Piece] = []
        size = 0
        for body, full in zip(text.splitlines(), text.splitlines(True), strict=True):
            start = offset
            offset += len(full)
            here, here_start = line, line_start
            if full[-1] == "\n":
                line += 1
                line_start = offset
            comment = "#" in body and body.lstrip()[:1] == "#"
            if not pending and not body.endswith("\\"):
                if comment:  # a whole-line comment, as pip-compile writes many
                    add_comment(Comment(here, body.strip()))
                elif body:
                    fast = fast_line(body)
                    if fast is not None:
                        done = simple_line(fast, start, here, here_start)
                    else:
                        done = simple_include(body, start, here, here_start)
                    if not done:
                        logical(body, None, start, here, here_start)
                continue
            if comment or not body.endswith("\\"):
                if not pending:  # a comment ending in a backslash continues nothing
                    add_comment(Comment(here, body.strip()))
                    continue
                if comment:
                    # pip puts a space before a comment line that ends a
                    # continuation so that it still reads as a comment.
                    pieces.append((size, start, here, here_start))
                    joined.append(" ")
                    size += 1
                pieces.append((size, start, here, here_start))
                joined.append(body)
                self._joined("".join(joined), pieces)
                pending, joined, pieces, size = False, [], [], 0
                continue
            pending = True
            piece = body.rstrip("\\")
            lead = 0
            if piece.startswith("\\"):  # pip strips backslashes from both ends
                lead = len(piece) - len(piece.lstrip("\\"))
                piece = piece[lead:]
            pieces.append((size, start + lead, here, here_start))
            joined.append(piece)
            size += len(piece)
        if pending:
            self._joined("".join(joined), pieces)

    def _joined(self, joined: str, pieces: list[_Piece]) -> None:
        """A logical line made of several physical ones (pip's join_lines)."""
        first_length = pieces[1][0] if len(pieces) > 1 else len(joined)
        fast = _FAST_LINE_RE.match(joined)
        if (
            fast is not None
            and fast.end("requirement") <= first_length
            and self._simple_line(fast, pieces[0][1], pieces[0][2], pieces[0][3], pieces)
        ):
            return
        self._logical(joined, pieces, 0, 0, 0)

    def _simple_line(
        self,
        fast: re.Match[str],
        start: int,
        line: int,
        line_start: int,
        pieces: list[_Piece] | None = None,
    ) -> bool:
        """The hot path: one plain requirement, maybe a marker, hashes and a comment.

        The requirement lies on one physical line, at ``start`` in the file, so
        its spans are computed directly (as LineIndex would); ``pieces`` locates
        a comment that a continuation put on a later line.  False leaves the
        line to the general path, which also reports every Problem, so nothing
        is recorded before the last check.
        """
        name, extras_text, spec_text, marker_text, hashes_text, comment, text = fast.group(
            "name", "extras", "spec", "marker", "hashes", "comment", "requirement"
        )
        parts = _simple_parts(name, extras_text, spec_text)
        if parts is None:
            return False
        specifier, extras, pinned = parts
        if extras and self.role is Role.CONSTRAIN:
            return False
        marker = None
        if marker_text is not None:
            try:
                marker = _marker(marker_text)
            except (InvalidMarker, RecursionError):
                return False
        if comment is not None:
            if pieces is not None:
                line_of_comment = _JoinedMap(pieces, 0, []).point(fast.start("comment"))[0]
            else:
                line_of_comment = line
            self.comments.append(Comment(line_of_comment, comment.rstrip()))
        column = start - line_start + 1  # 1-based column of ``start``
        first, last = fast.span("requirement")
        span = make_span(start + first, start + last, line, column + first, line, column + last)
        version_span = None
        if spec_text:
            first, last = fast.span("spec")
            version_span = make_span(
                start + first, start + last, line, column + first, line, column + last
            )
        hashes = tuple(_HASH_VALUE_RE.findall(hashes_text)) if hashes_text else ()
        dependency = make_dependency(
            _canonical(name),
            name,
            specifier,
            self.path,
            span,
            version_span,
            extras,
            marker,
            None,  # url
            False,  # editable
            pinned,
            hashes,
            self.role,
            None,  # group
            text,
        )
        self.dependencies.append(dependency)
        return True

    def _simple_include(self, body: str, start: int, line: int, line_start: int) -> bool:
        """A physical line that is one plain include, as _option_line reads it.

        Worth a path of its own because monorepos chain their files with
        ``-r``/``-c`` lines; False leaves any other line to the general path.
        """
        found = _FAST_INCLUDE_RE.match(body)
        if found is None:
            return False
        value = found.group("path")
        constraint = found.group("short") == "c" or found.group("long") == "constraint"
        kind = IncludeKind.CONSTRAINT if constraint else IncludeKind.REQUIREMENT
        column = start - line_start + 1
        first, last = found.start("option"), found.end("path")
        span = Span(start + first, start + last, line, column + first, line, column + last)
        self.includes.append(Include(kind, self.folder / value, value, self.path, span))
        return True

    def _logical(
        self,
        joined: str,
        pieces: list[_Piece] | None,
        start: int,
        line: int,
        line_start: int,
    ) -> None:
        """One logical line: pip's ignore_comments and expand_env_variables, then parse.

        ``pieces`` is None for a line that is one physical line starting at
        ``start`` on ``line``; otherwise it maps the joined text to the file.
        """
        cut = len(joined)
        if "#" in joined:
            found = _COMMENT_RE.search(joined)
            if found is not None:
                cut = found.end() - 1
                comment_line = line
                if pieces is not None:
                    comment_line = _JoinedMap(pieces, 0, []).point(cut)[0]
                self.comments.append(Comment(comment_line, joined[cut:].rstrip()))
        uncommented = joined[:cut]
        content = uncommented.strip()
        if not content:
            return
        shift = len(uncommented) - len(uncommented.lstrip())
        substitutions: list[tuple[int, int, int, int]] = []
        precise = True
        if "${" in content:
            content, substitutions, precise = self._expand(content)
        mapper: _Map
        if pieces is None and not substitutions:
            mapper = _LineMap(start + shift, line, line_start)
        else:
            pieces = pieces or [(0, start, line, line_start)]
            mapper = _JoinedMap(pieces, shift, substitutions, precise)
        # pip's break_args_options: the words before the first one starting
        # with "-" are the requirement, the rest are options.
        if content.startswith("-"):
            self._option_line(content, mapper)
            return
        dash = content.find(" -")
        if dash < 0:
            self._requirement(content, "", 0, mapper)
        else:
            self._requirement(content[:dash], content[dash + 1 :], dash + 1, mapper)

    def _expand(self, content: str) -> tuple[str, list[tuple[int, int, int, int]], bool]:
        """pip's expand_env_variables, a map from the result back to the text, and
        whether that map is precise."""
        environ = self.environ
        parts: list[str] = []
        substitutions: list[tuple[int, int, int, int]] = []
        copied = 0
        size = 0
        for match in _ENV_VAR_RE.finditer(content):
            value = environ.get(match.group(1))
            if not value:
                continue  # pip leaves unset and empty variables as written
            parts.append(content[copied : match.start()])
            size += match.start() - copied
            parts.append(value)
            substitutions.append((size, size + len(value), match.start(), match.end()))
            size += len(value)
            copied = match.end()
        parts.append(content[copied:])
        expanded = "".join(parts)
        # pip replaces each variable everywhere in turn, so a value that itself
        # holds ${NAME} may be expanded again.  Keep pip's text; the map can
        # then only point at the whole line.
        reference = content
        for name in _ENV_VAR_RE.findall(content):
            value = environ.get(name)
            if value:
                reference = reference.replace("${" + name + "}", value)
        if reference != expanded:
            return reference, [(0, len(reference), 0, len(content))], False
        return expanded, substitutions, True

    def _problem(self, message: str, where: tuple[int, int], code: str = "parse-error") -> None:
        """Report a Problem at a 1-based (line, column)."""
        self.problems.append(Problem(self.path, message, *where, code))

    def _options(self, text: str, base: int, mapper: _Map) -> list[_Option] | None:
        try:
            return _parse_options(text, base)
        except _OptionError as error:
            self._problem(error.message, mapper.point(error.position))
            return None

    def _option_line(self, content: str, mapper: _Map) -> None:
        """A line of options only: an editable, an include, or file-wide options."""
        options = self._options(content, 0, mapper)
        if options is None:
            return
        for option in options:
            if option.spec.name == "--editable":
                self._editable(option, content, mapper)
                return
        includes = [option for option in options if option.spec.scope == "include"]
        if includes:
            # pip follows only the first -r (else the first -c) of a line and
            # ignores everything else on it.
            wanted = [option for option in includes if option.spec.name == "--requirement"]
            self._include((wanted or includes)[0], mapper)
            return
        for option in options:
            if option.spec.scope == "global":
                span = mapper.span(option.start, option.end)
                self.options.append(GlobalOption(option.spec.name, option.value, self.path, span))

    def _include(self, option: _Option, mapper: _Map) -> None:
        value = option.value or ""
        raw = self.text[mapper.start(option.value_start) : mapper.end(option.value_end)]
        span = mapper.span(option.start, option.end)
        if not value.strip():
            self._problem(f"{option.spec.name} needs a file path", (span.line, span.column))
            return
        if _url_scheme(value) in ("http", "https", "file"):
            self._problem(
                f"{option.spec.name} {raw}: includes from a URL are not followed",
                (span.line, span.column),
                "unsupported",
            )
            return
        kind = IncludeKind.REQUIREMENT
        if option.spec.name == "--constraint":
            kind = IncludeKind.CONSTRAINT
        self.includes.append(Include(kind, self.folder / value, raw, self.path, span))

    def _editable(self, option: _Option, content: str, mapper: _Map) -> None:
        """pip's parse_editable, except that a local directory is not looked for."""
        value = option.value or ""
        start, end = option.value_start, option.value_end
        exact = content[start:end] == value  # not quoted, so offsets line up
        if not exact:
            start, end = option.start, option.end
        url = _strip_path_extras(value)
        if not url.lower().startswith("file:"):
            url = value
            for vcs in _VCS_NAMES:
                if url.lower().startswith(vcs + ":"):
                    url = f"{vcs}+{url}"
                    break
            scheme = _url_scheme(url)
            if scheme not in _VCS_SCHEMES:
                if len(scheme) > 1:
                    self._problem(
                        f"{value} is not a valid editable requirement: it should be a path "
                        "to a local project or a VCS URL (git+, hg+, svn+ or bzr+)",
                        mapper.point(start),
                    )
                elif (reason := _why_not_a_directory(url)) is not None:
                    self._problem(
                        f"{value} is not a valid editable requirement: {reason}",
                        mapper.point(start),
                    )
                else:
                    self._unnamed(value, mapper.point(start))  # presumably a local directory
                return
        egg = _EGG_RE.search(value)
        if egg is None or not egg.group(1):
            if url.lower().startswith("file:"):
                self._unnamed(value, mapper.point(start))
            else:
                self._problem(
                    f"cannot tell the project name of editable {value!r}: add #egg=NAME",
                    mapper.point(start),
                )
            return
        self._named_link(value, egg, start if exact else -1, start, end, (), None, mapper, True)

    def _unnamed(self, value: str, where: tuple[int, int]) -> None:
        """A local path or URL with no name: nothing to audit, but -c files reject it."""
        if self.role is Role.CONSTRAIN:
            self._problem(f"unnamed requirements are not allowed as constraints: {value}", where)

    def _requirement(self, args: str, option_text: str, option_base: int, mapper: _Map) -> None:
        """A requirement line; ``option_text`` holds its per-line options."""
        hashes: tuple[str, ...] = ()
        if option_text and _HASHES_ONLY_RE.fullmatch(option_text):
            hashes = tuple(_HASH_VALUE_RE.findall(option_text))
        elif option_text:
            options = self._options(option_text, option_base, mapper)
            if options is None:
                return
            hashes = tuple(
                option.value
                for option in options
                if option.spec.name == "--hash" and option.value is not None
            )
        text = args.strip()
        base = len(args) - len(args.lstrip())
        end = base + len(text)
        if not text:
            self._problem("invalid requirement: nothing before the options", mapper.point(0))
            return
        if ":" in text and _url_scheme(text) in _URL_SCHEMES:
            self._url_requirement(text, base, hashes, mapper)
            return
        # pip splits a non-URL line at its first ";" and reads the two halves
        # apart, so an empty marker or a URL ending in ";" is fine with it.
        head, _semicolon, tail = text.partition(";")
        valid, marker = self._line_marker(tail, base + len(head) + 1, mapper)
        if not valid:
            return
        head = head.rstrip()
        local = _strip_path_extras(head)
        if _is_archive(local):
            before_at = head.split("@", 1)
            if len(before_at) < 2 or _looks_like_path(before_at[0]):
                self._local_archive(local, marker, base, end, hashes, mapper)
                return
        fast = _FAST_REQUIREMENT_RE.match(head)
        parts = _simple_parts(*fast.group("name", "extras", "spec")) if fast else None
        if fast is not None and parts is not None:
            specifier, extras, pinned = parts
            parsed = _Parsed(fast.group("name"), extras, specifier, marker, None)
            bounds = (fast.start("spec"), fast.end("spec")) if fast.group("spec") else None
        else:
            try:
                req = Requirement(head)
            except (InvalidRequirement, RecursionError) as error:
                self._not_a_requirement(head, error, base, mapper)
                return
            parsed = _Parsed(req.name, frozenset(req.extras), req.specifier, marker, req.url)
            pinned = _pinned(req.specifier) if req.specifier else None
            bounds = None if req.url else _specifier_bounds(head)
        if bounds is not None:
            bounds = (base + bounds[0], base + bounds[1])
        self._add(parsed, base, end, bounds, hashes, mapper, False, pinned)

    def _line_marker(self, text: str, start: int, mapper: _Map) -> tuple[bool, Marker | None]:
        """Whether the marker after a requirement's ";" is valid (reported if not), and it.

        ``start`` is where ``text`` begins in the line; a blank marker is None.
        """
        marker_text = text.strip()
        if not marker_text:
            return True, None
        try:
            return True, _marker(marker_text)
        except (InvalidMarker, RecursionError) as error:
            reason, position = _syntax_error(error, marker_text)
            where = start + len(text) - len(text.lstrip()) + position
            self._problem(f"invalid marker {marker_text!r}: {reason}", mapper.point(where))
            return False, None

    def _not_a_requirement(self, head: str, error: Exception, base: int, mapper: _Map) -> None:
        """Report text packaging rejected, unless pip would take it for a local directory."""
        if not _looks_like_path(head):
            message, position = _requirement_error(error, head)
            self._problem(message, mapper.point(base + position))
            return
        reason = _why_not_a_directory(head)
        if reason is None:
            self._unnamed(head, mapper.point(base))  # presumably a local directory
        else:
            self._problem(f"{head!r} is not a requirement: {reason}", mapper.point(base))

    def _url_requirement(self, text: str, base: int, hashes: tuple[str, ...], mapper: _Map) -> None:
        """A bare URL line: pip names it from a wheel file name or from ``#egg=``."""
        url, separator, tail = text.partition("; ")
        valid, marker = self._line_marker(tail, base + len(url) + len(separator), mapper)
        if not valid:
            return
        url = url.strip()
        end = base + len(text)
        filename = _url_filename(url)
        if filename.lower().endswith(".whl"):
            self._wheel(filename, url, marker, base, end, hashes, mapper)
            return
        egg = _EGG_RE.search(url)
        if _url_scheme(url) == "file" and "../" in url:
            egg = None  # pip rebuilds a relative file URL from its path, losing the fragment
        if egg is None or not egg.group(1):
            self._unnamed(url, mapper.point(base))
            return
        self._named_link(url, egg, base, base, end, hashes, marker, mapper, False)

    def _local_archive(
        self,
        path_text: str,
        marker: Marker | None,
        start: int,
        end: int,
        hashes: tuple[str, ...],
        mapper: _Map,
    ) -> None:
        """A local sdist or wheel file: only a wheel's file name tells the project."""
        filename = PurePosixPath(path_text.replace("\\", "/")).name
        if filename.lower().endswith(".whl"):
            self._wheel(filename, path_text, marker, start, end, hashes, mapper)
        else:
            self._unnamed(path_text, mapper.point(start))

    def _wheel(
        self,
        filename: str,
        url: str,
        marker: Marker | None,
        start: int,
        end: int,
        hashes: tuple[str, ...],
        mapper: _Map,
    ) -> None:
        """A wheel named by URL or path: pip pins it to the version in the file name."""
        pin = _wheel_pin(filename)
        try:
            req = Requirement(pin) if pin is not None else None
        except InvalidRequirement:
            req = None
        if req is None:
            self._problem(f"{filename} is not a valid wheel file name", mapper.point(start))
            return
        parsed = _Parsed(req.name, frozenset(req.extras), req.specifier, marker, url)
        self._add(parsed, start, end, None, hashes, mapper, False, _pinned(req.specifier))

    def _named_link(
        self,
        url: str,
        egg: re.Match[str],
        url_start: int,
        start: int,
        end: int,
        hashes: tuple[str, ...],
        marker: Marker | None,
        mapper: _Map,
        editable: bool,
    ) -> None:
        """A VCS or file URL whose ``#egg=`` fragment names (and may pin) the project.

        ``url_start`` is where ``url`` begins in the line, or -1 when quoting
        makes the written text differ from it (then no version span is given).
        """
        fragment = egg.group(1)
        try:
            req = Requirement(fragment)
        except InvalidRequirement as error:
            message, _position = _requirement_error(error, fragment)
            self._problem(f"{message} (the #egg= name of {url})", mapper.point(start))
            return
        bounds = None
        found = _specifier_bounds(fragment) if req.url is None else None
        if found is not None and url_start >= 0:
            offset = url_start + egg.start(1)
            bounds = (offset + found[0], offset + found[1])
        parsed = _Parsed(req.name, frozenset(req.extras), req.specifier, marker, url)
        pinned = _pinned(req.specifier) if req.specifier else None
        self._add(parsed, start, end, bounds, hashes, mapper, editable, pinned)

    def _add(
        self,
        parsed: _Parsed,
        start: int,
        end: int,
        bounds: tuple[int, int] | None,
        hashes: tuple[str, ...],
        mapper: _Map,
        editable: bool,
        pinned: Version | None,
    ) -> None:
        """Add a Dependency located through ``mapper``; ``bounds`` is its version part."""
        span = mapper.span(start, end)
        version_span = None
        if bounds is not None and mapper.precise:
            version_span = mapper.span(*bounds)
        self._record(parsed, span, version_span, hashes, editable, pinned, None)

    def _record(
        self,
        parsed: _Parsed,
        span: Span,
        version_span: Span | None,
        hashes: tuple[str, ...],
        editable: bool,
        pinned: Version | None,
        text: str | None,
    ) -> None:
        """Add one Dependency; ``text`` is its written text when the caller has it."""
        if text is None:
            text = self.text[span.start : span.end]
        if self.role is Role.CONSTRAIN:
            # pip's resolver rejects these forms in a constraints file.
            if editable:
                reason = "editable requirements are not allowed as constraints"
            elif parsed.extras:
                reason = "constraints cannot have extras"
            else:
                reason = ""
            if reason:
                self._problem(f"{reason}: {text}", (span.line, span.column))
                return
        self.dependencies.append(
            Dependency(
                name=_canonical(parsed.name),
                raw_name=parsed.name,
                specifier=parsed.specifier,
                path=self.path,
                span=span,
                version_span=version_span,
                extras=parsed.extras,
                marker=parsed.marker,
                url=parsed.url,
                editable=editable,
                pinned=pinned,
                hashes=() if editable else hashes,  # pip ignores --hash on an editable
                role=self.role,
                text=text,
            )
        )


def parse_requirements(
    source: SourceText,
    *,
    environ: Mapping[str, str] | None = None,
    kind: Role = Role.REQUIRE,
) -> Manifest:
    """Read a pip requirements file; never raises, reports bad lines as Problems.

    ``environ`` supplies ``${VAR}`` values (pip reads os.environ; this function
    stays pure and reads only what it is given).  ``kind`` is Role.CONSTRAIN
    when the file is read as a ``-c`` target.  Includes are recorded, not
    followed.  ``generated_by`` is "pip-compile" or "uv" when the header says
    so, with ``source`` the input the header names (for pip-compile, else the
    ``.in`` of the same stem beside the file; existence is not checked),
    ``compile_command`` the command line and, for a pyproject.toml input,
    ``locked_groups`` the extras and groups it was compiled with.
    Requirements without a name (a local directory, an sdist path, a URL
    without ``#egg=``) are not Dependencies: there is nothing to audit.
    """
    reader = _Reader(source, environ if environ is not None else {}, kind)
    reader.read()
    header = read_compile_header(source.text, source.path)
    return Manifest(
        path=source.path,
        kind=ManifestKind.REQUIREMENTS,
        dependencies=tuple(reader.dependencies),
        includes=tuple(reader.includes),
        options=tuple(reader.options),
        problems=tuple(reader.problems),
        comments=tuple(reader.comments),
        generated_by=header.tool,
        source=header.source,
        locked_groups=header.groups,
        compile_command=header.command,
    )
