"""Move a version specifier to a new release with the least visible change.

A reviewer accepts an edit that looks like one a maintainer would make: ``==``
stays ``==``, ``>=0.13,<0.14`` becomes ``>=0.14,<0.15``, a wildcard keeps its
depth, spacing stays where it was.  Each clause keeps its operator and
whitespace and gets a new version at the precision it was written with; only
when that cannot leave the bad range is a clause appended.  The result is
always checked with packaging: it must admit the target and avoid the bad range.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from packaging.ranges import VersionRange
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit.ranges import Relation, allowed_range, bad_range, relation

_CLAUSE = re.compile(
    r"(?P<lead>\s*)(?P<op>~=|===|==|!=|<=|>=|<|>)(?P<mid>\s*)(?P<version>[^\s,;]+)(?P<trail>\s*)"
)


def format_like(written: str, target: Version) -> str:
    """``target`` with as many release parts as ``written`` has, when nothing is lost."""
    try:
        original = Version(written)
    except InvalidVersion:
        return str(target)
    simple = not (target.pre or target.post or target.dev or target.local or target.epoch)
    width = len(original.release)
    release = target.release
    if not simple or (len(release) > width and any(release[width:])):
        return str(target)
    parts = [*release[:width], *([0] * (width - len(release)))]
    return ".".join(str(part) for part in parts)


def _prefix(target: Version, width: int) -> list[int]:
    release = list(target.release[:width])
    return release + [0] * (width - len(release))


def _bump(target: Version, written: str) -> str:
    """An upper bound above ``target`` at the precision of the bound it replaces."""
    try:
        width = len(Version(written).release)
    except InvalidVersion:
        width = len(target.release)
    parts = _prefix(target, width)
    parts[-1] += 1
    return ".".join(str(part) for part in parts)


def _rewrite_clause(op: str, version: str, target: Version, upgrade: bool) -> str | None:
    """The new version text for one clause, ``version`` unchanged, or None if impossible."""
    if op == "===":
        return str(target)
    if version.endswith(".*"):
        stem = version[:-2]
        try:
            width = len(Version(stem).release)
        except InvalidVersion:
            return None
        if op == "==":
            return ".".join(str(part) for part in _prefix(target, width)) + ".*"
        # != X.*: keep unless it would exclude the target
        return (
            None
            if SpecifierSet(f"!={version}").contains(target, prereleases=True) is False
            else version
        )
    try:
        bound = Version(version)
    except InvalidVersion:
        return None
    if op == "==":
        return format_like(version, target)
    if op == "~=":
        width = max(len(bound.release), 2)
        return ".".join(str(part) for part in _prefix(target, width))
    if op == "!=":
        return None if bound == target else version
    if op in (">=", ">"):
        if bound < target if upgrade else bound > target:
            return format_like(version, target)
        if op == ">" and bound >= target:
            return format_like(version, target)
        return version
    if op == "<":
        return _bump(target, version) if target >= bound else version
    if op == "<=":
        return format_like(version, target) if target > bound else version
    return version


def _admits(text: str, target: Version, bad: VersionRange) -> bool:
    try:
        specifier = SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return specifier.contains(target, prereleases=True) and (
        relation(allowed_range([specifier]), bad) is Relation.NEVER
    )


def _guard(bad_specifier: SpecifierSet, target: Version, upgrade: bool) -> str | None:
    """The one clause a maintainer would add: a floor at the fix, or a cap below the break."""
    if upgrade:
        return f">={target}"
    floors = [
        (Version(clause.version), clause.operator)
        for clause in bad_specifier
        if clause.operator in (">=", ">", "==", "~=", "===") and not clause.version.endswith(".*")
    ]
    if not floors:
        return None
    version, operator = min(floors)
    return f"<={version}" if operator == ">" else f"<{version}"


def move_specifier(text: str, target: Version, bad_specifier: SpecifierSet) -> str | None:
    """Rewrite ``text`` (a specifier as written) to admit ``target`` and nothing bad.

    Returns None when no edit of this shape can do it; the caller then tries
    the rule's next remedy.
    """
    bad = bad_range(bad_specifier)
    if _admits(text, target, bad) and text.strip():
        return text
    below = SpecifierSet(f"<{target.public}", prereleases=True).to_range()
    upgrade = bad.is_subset(below)
    pieces: list[str] = []
    position = 0
    for match in _CLAUSE.finditer(text):
        if text[position : match.start()].strip(","):
            return None  # something between clauses that is not a comma
        pieces.append(text[position : match.start()])
        op = match.group("op")
        op_text = ">=" if op == ">" and upgrade else op
        new_version = _rewrite_clause(match.group("op"), match.group("version"), target, upgrade)
        if new_version is None:
            return None
        if new_version == match.group("version"):
            op_text = op
        pieces.append(
            match.group("lead") + op_text + match.group("mid") + new_version + match.group("trail")
        )
        position = match.end()
    if text[position:].strip(" \t,"):
        return None
    pieces.append(text[position:])
    rewritten = "".join(pieces)
    if _admits(rewritten, target, bad):
        return rewritten
    return _guarded(rewritten, bad_specifier, target, upgrade, bad, _admits)


def _guarded(
    rewritten: str,
    bad_specifier: SpecifierSet,
    target: Version,
    upgrade: bool,
    bad: VersionRange,
    admits: Callable[[str, Version, VersionRange], bool],
) -> str | None:
    """``rewritten`` with the maintainer's guard clause, if that makes ``admits`` hold."""
    guard = _guard(bad_specifier, target, upgrade)
    if guard is None:
        return None
    extended = _extend(rewritten, guard, target, ",")
    return extended if admits(extended, target, bad) else None


def _extend(rewritten: str, guard: str, target: Version, default_separator: str) -> str:
    """``rewritten`` with the guard clause added where a maintainer would write it.

    A floor goes first and takes the precision of the clauses written
    (``<0.15`` becomes ``>=0.14,<0.15``); a cap goes last.
    """
    if not rewritten.strip():
        return guard
    separator = ", " if ", " in rewritten else default_separator
    if guard.startswith(">="):
        first = _CLAUSE.search(rewritten)
        if first is not None and not first.group("version").endswith(".*"):
            guard = ">=" + format_like(first.group("version"), target)
        lead = rewritten[: len(rewritten) - len(rewritten.lstrip())]
        return f"{lead}{guard}{separator}{rewritten.lstrip()}"
    return f"{rewritten.rstrip()}{separator}{guard}"


# -- other spellings of a version ---------------------------------------------------

_POETRY_ITEM = re.compile(
    r"(?P<op>\^|~=|~|===|==|!=|<>|<=|>=|<|>|=)?(?P<mid>\s*)(?P<version>[^\s,|<>=!~^][^\s,|]*)"
)
_POETRY_OR = re.compile(r"\s*\|\|?\s*")
_POETRY_ANY = re.compile(r"^v?[x*](?:\.[x*])*$", re.IGNORECASE)


def _poetry_admits(text: str, target: Version, bad: VersionRange) -> bool:
    from pinaudit.poetry_constraints import PoetryConstraintError, parse_poetry_constraint

    try:
        alternatives = parse_poetry_constraint(text)
    except (PoetryConstraintError, InvalidSpecifier):
        return False
    return any(alt.contains(target, prereleases=True) for alt in alternatives) and all(
        relation(allowed_range([alt]), bad) is Relation.NEVER for alt in alternatives
    )


def _poetry_item(op: str, version: str, target: Version, upgrade: bool) -> tuple[str, str] | None:
    """(operator, version) of one Poetry constraint moved to ``target``."""
    if _POETRY_ANY.match(version):
        return None
    if op in ("^", "~"):
        return op, format_like(version, target)
    if op == "<>":
        op = "!="
    moved = _rewrite_clause(op if op not in ("", "=") else "==", version, target, upgrade)
    if moved is None:
        return None
    if op == ">" and upgrade and moved != version:
        op = ">="
    return op, moved


def _move_poetry_alternative(text: str, target: Version, upgrade: bool) -> str | None:
    pieces: list[str] = []
    position = 0
    for match in _POETRY_ITEM.finditer(text):
        if text[position : match.start()].strip(", \t"):
            return None
        pieces.append(text[position : match.start()])
        moved = _poetry_item(match.group("op") or "", match.group("version"), target, upgrade)
        if moved is None:
            return None
        op, version = moved
        pieces.append(op + match.group("mid") + version)
        position = match.end()
    if text[position:].strip(", \t"):
        return None
    pieces.append(text[position:])
    return "".join(pieces)


def move_poetry_constraint(text: str, target: Version, bad_specifier: SpecifierSet) -> str | None:
    """Rewrite a Poetry constraint (``^0.13.4``, ``~1.2``, ``>=1 <2``, ``1.2.*``, ``*``).

    The result is Poetry syntax with the user's operators: ``^0.13.4`` becomes
    ``^0.14.0``, ``~0.13`` becomes ``~0.14``, ``*`` becomes ``>=0.14.0``.  It is
    checked with :func:`pinaudit.poetry_constraints.parse_poetry_constraint`:
    it admits ``target`` and no version of the bad range, or None is returned.
    """
    bad = bad_range(bad_specifier)
    if text.strip() and _poetry_admits(text, target, bad):
        return text
    below = SpecifierSet(f"<{target.public}", prereleases=True).to_range()
    upgrade = bad.is_subset(below)
    stripped = text.strip()
    if not stripped or _POETRY_ANY.match(stripped):
        guard = _guard(bad_specifier, target, upgrade)
        if guard is None:
            return None
        lead = text[: len(text) - len(text.lstrip())]
        moved_any = lead + guard + text[len(text.rstrip()) :]
        return moved_any if _poetry_admits(moved_any, target, bad) else None
    separators = [match.group(0) for match in _POETRY_OR.finditer(text)]
    alternatives = _POETRY_OR.split(text)
    moved: list[str] = []
    for alternative in alternatives:
        rewritten = _move_poetry_alternative(alternative, target, upgrade)
        if rewritten is None:
            return None
        if rewritten.strip() not in {item.strip() for item in moved}:
            moved.append(rewritten)
    result = moved[0]
    for separator, alternative in zip(separators, moved[1:], strict=False):
        result += separator + alternative
    if _poetry_admits(result, target, bad):
        return result
    if len(moved) > 1:
        return None
    return _guarded(result, bad_specifier, target, upgrade, bad, _poetry_admits)


def move_bare_version(text: str, target: Version, bad_specifier: SpecifierSet) -> str | None:
    """Rewrite a Pipfile or PDM-override version (``"0.13.4"``, ``"*"``, ``"==0.13.4"``).

    pipenv and PDM read a version that starts with a digit as ``==`` and ``*``
    as any version; the moved text keeps that spelling.
    """
    stripped = text.strip()
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    if stripped in ("", "*"):
        moved = move_specifier("", target, bad_specifier)
        return None if moved is None else lead + moved + trail
    if stripped[0].isdigit():
        moved = move_specifier("==" + stripped, target, bad_specifier)
        if moved is None:
            return None
        if moved.startswith("==") and "," not in moved:
            moved = moved[2:]
        return lead + moved + trail
    return move_specifier(text, target, bad_specifier)
