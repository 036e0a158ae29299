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
    below = SpecifierSet(f"<{target}", prereleases=True).to_range()
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
    guard = _guard(bad_specifier, target, upgrade)
    if guard is None:
        return None
    separator = ", " if ", " in text else ","
    extended = f"{rewritten.rstrip()}{separator}{guard}" if rewritten.strip() else guard
    return extended if _admits(extended, target, bad) else None
