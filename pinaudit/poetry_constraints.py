"""Poetry's version constraints, translated to PEP 440 with Poetry's meaning.

Poetry writes ``^1.2.3``, ``~1.2``, ``1.2.*``, ``>=1,<2 || >=3`` where everything
else in pinaudit speaks PEP 440.  The translation follows poetry-core's
``parse_constraint`` / ``parse_single_constraint``
(``src/poetry/core/constraints/version/parser.py``) and the version arithmetic
it relies on (``Version.next_breaking``, ``next_major``, ``next_minor``,
``next_patch`` and ``stable`` in ``constraints/version/version.py`` and
``version/pep440/version.py``, ``Release.next_*`` in ``version/pep440/segments.py``):

========================  ==========================================
``^1.2.3``                ``>=1.2.3,<2.0.0``
``^0.2.3`` / ``^0.0.3``   ``>=0.2.3,<0.3.0`` / ``>=0.0.3,<0.0.4``
``^0`` / ``^0.0``         ``>=0,<1`` / ``>=0.0,<0.1``
``~1.2.3`` / ``~1``       ``>=1.2.3,<1.3.0`` / ``>=1,<2``
``~=1.2`` / ``~=1.2.3``   ``>=1.2,<2.0`` / ``>=1.2.3,<1.3.0`` (Poetry's reading)
``1.2.*`` / ``!=1.2.*``   ``==1.2.*`` / ``!=1.2.*``
``*``, ``x``, ``*.*``     any version
``1.2.3``, ``=1.2.3``     ``==1.2.3``
``a,b`` / ``a b``         both (AND)
``a || b``, ``a | b``     either (OR)
========================  ==========================================

The upper bounds keep the precision of the version written (``^1`` is ``<2``,
``^1.0.0`` is ``<2.0.0``), as poetry-core prints them.  PEP 440 has no ordered
comparison with a local label (``^2.0.1+cu118``, as PyTorch pins are written):
such a bound is widened to the public version (``>=2.0.1,<3.0.0``), or dropped
for an upper bound, so the result still admits everything Poetry would.  Pre-release lower bounds
are kept (``^1.0.0a1`` is ``>=1.0.0a1,<2.0.0``) and the upper bound is computed
from the stable release, as Poetry does.

An OR is a union that one PEP 440 specifier set usually cannot spell, so the
exact meaning is a tuple of specifier sets (:func:`parse_poetry_constraint`).
Where a single set is needed (``Dependency.specifier``), :func:`to_specifier`
returns the union itself when PEP 440 can say it, and otherwise its convex
hull: the lowest lower bound to the highest upper bound, ``!=`` exclusions
dropped.  The hull admits every version the constraint admits and possibly a
few more, so an evaluation against it can only over-report a *possible* match,
never miss a definite one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import VERSION_PATTERN, InvalidVersion, Version

_FLAGS = re.VERBOSE | re.IGNORECASE
_ANY = re.compile(r"^v?[x*](?:\.[x*])*$", re.IGNORECASE)
_TILDE = re.compile(rf"^~(?!=)\s*(?P<version>{VERSION_PATTERN})$", _FLAGS)
_TILDE_PEP440 = re.compile(rf"^~=\s*(?P<version>{VERSION_PATTERN})$", _FLAGS)
_CARET = re.compile(rf"^\^\s*(?P<version>{VERSION_PATTERN})$", _FLAGS)
_WILDCARD = re.compile(r"^(?P<op>!=|==)?\s*v?(?P<version>\d+(?:\.\d+)?(?:\.\d+)?)(?:\.\*)+$")
_BASIC = re.compile(
    rf"^(?P<op><>|!=|>=?|<=?|==?)?\s*(?P<version>{VERSION_PATTERN}|dev)(?P<wildcard>\.\*)?$",
    _FLAGS,
)
_OR = re.compile(r"\s*\|\|?\s*")
# One constraint of an AND list: an optional operator, blanks allowed after it,
# then the version, up to a comma or a blank.
_AND_ITEM = re.compile(r"\s*(?P<item>(?:\^|~=|~|===|==|!=|<>|<=|>=|<|>|=)?\s*[^\s,]+)\s*,?")


class PoetryConstraintError(ValueError):
    """A constraint that Poetry itself would refuse to parse."""


@dataclass(frozen=True, slots=True)
class _Release:
    """Just enough of a version to do Poetry's bound arithmetic."""

    epoch: int
    parts: tuple[int, ...]

    def text(self) -> str:
        body = ".".join(str(part) for part in self.parts)
        return f"{self.epoch}!{body}" if self.epoch else body

    def next_major(self) -> _Release:
        return _Release(self.epoch, (self.parts[0] + 1,) + (0,) * (len(self.parts) - 1))

    def next_minor(self) -> _Release:
        if len(self.parts) == 1:  # poetry-core: a missing minor becomes 1
            return _Release(self.epoch, (self.parts[0], 1))
        return _Release(
            self.epoch, (self.parts[0], self.parts[1] + 1) + (0,) * (len(self.parts) - 2)
        )

    def next_patch(self) -> _Release:
        parts = self.parts + (0,) * max(0, 3 - len(self.parts))
        if len(self.parts) < 3:
            # poetry-core: a missing minor becomes 0 and a missing patch 1.
            return _Release(self.epoch, (parts[0], parts[1], 1))
        return _Release(self.epoch, (parts[0], parts[1], parts[2] + 1) + (0,) * (len(parts) - 3))


def _parse_version(text: str, constraint: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise PoetryConstraintError(f"invalid version in constraint {constraint!r}") from None


def _stable(version: Version) -> tuple[_Release, bool]:
    """The release of ``version``, and whether ``version`` itself is stable.

    poetry-core: ``stable`` drops pre- and dev-release parts, and ``next_major``
    of an unstable version whose release is exactly ``X.0.0`` stays ``X.0.0``.
    """
    return _Release(version.epoch, version.release), not (version.pre or version.dev)


def _next_major(version: Version) -> _Release:
    release, stable = _stable(version)
    if stable or release.parts[1:] != (0,) * (len(release.parts) - 1):
        return release.next_major()
    return release


def _next_minor(version: Version) -> _Release:
    release, stable = _stable(version)
    tail = release.parts[2:]
    if stable or tail != (0,) * len(tail):
        return release.next_minor()
    return release


def _next_patch(version: Version) -> _Release:
    release, stable = _stable(version)
    return release.next_patch() if stable else release


def _lower(version: Version) -> str:
    # PEP 440 allows no local label in a bound; every version at or above
    # V+local is at or above V, so dropping it keeps all the constraint allows.
    return f">={version.public}"


def _single(constraint: str) -> list[str]:
    """PEP 440 clauses for one Poetry constraint (no AND, no OR)."""
    if _ANY.match(constraint):
        return []
    match = _TILDE.match(constraint)
    if match:
        version = _parse_version(match.group("version"), constraint)
        stable = Version(_Release(version.epoch, version.release).text())
        high = _next_major(stable) if len(version.release) == 1 else _next_minor(stable)
        return [_lower(version), f"<{high.text()}"]
    match = _TILDE_PEP440.match(constraint)
    if match:
        version = _parse_version(match.group("version"), constraint)
        stable = Version(_Release(version.epoch, version.release).text())
        high = _next_major(stable) if len(version.release) == 2 else _next_minor(stable)
        return [_lower(version), f"<{high.text()}"]
    match = _CARET.match(constraint)
    if match:
        version = _parse_version(match.group("version"), constraint)
        stable = Version(_Release(version.epoch, version.release).text())
        parts = version.release
        # poetry-core Version.next_breaking
        if parts[0] > 0 or len(parts) == 1:
            high = _next_major(stable)
        elif parts[1] > 0 or len(parts) == 2:
            high = _next_minor(stable)
        else:
            high = _next_patch(stable)
        return [_lower(version), f"<{high.text()}"]
    match = _WILDCARD.match(constraint)
    if match:
        # Newer poetry-core reads "1.2.*" exactly as PEP 440 "==1.2.*" (from
        # 1.2.dev0 to before 1.3.dev0); both spellings agree on releases.
        op = "!=" if match.group("op") == "!=" else "=="
        return [f"{op}{match.group('version')}.*"]
    match = _BASIC.match(constraint)
    if match:
        op = match.group("op")
        text = match.group("version")
        if text.lower() == "dev":
            text = "0.0.dev0"
        version = _parse_version(text, constraint)
        if version.local is not None and op in ("<", "<=", ">", ">="):
            # No PEP 440 form; widen as _lower does (an upper bound is dropped).
            return [f">={version.public}"] if op in (">", ">=") else []
        if op in ("<", "<=", ">", ">=", "!="):
            return [f"{op}{version}"]
        # None, "=", "==" and (as poetry-core's parser falls through) "<>".
        if match.group("wildcard") and op in (None, "=", "=="):
            return [f"=={version}.*"]
        return [f"=={version}"]
    raise PoetryConstraintError(f"cannot parse Poetry constraint {constraint!r}")


def _and_group(text: str) -> SpecifierSet:
    text = text.strip().rstrip(",").rstrip()
    if text == "":
        raise PoetryConstraintError("empty constraint")
    clauses: list[str] = []
    pos = 0
    while pos < len(text):
        match = _AND_ITEM.match(text, pos)
        if match is None or match.end() == pos:
            raise PoetryConstraintError(f"cannot parse Poetry constraint {text!r}")
        item = match.group("item")
        item = re.sub(r"^(\^|~=|~|===|==|!=|<>|<=|>=|<|>|=)\s+", r"\1", item)
        clauses.extend(_single(item))
        pos = match.end()
    try:
        return SpecifierSet(",".join(clauses))
    except InvalidSpecifier as error:
        raise PoetryConstraintError(f"{text!r} has no PEP 440 form: {error}") from None


@functools.lru_cache(maxsize=4096)
def parse_poetry_constraint(text: str) -> tuple[SpecifierSet, ...]:
    """The exact meaning of a Poetry constraint: a union (OR) of specifier sets.

    Raises :class:`PoetryConstraintError` for text Poetry would refuse.
    """
    stripped = text.strip()
    if stripped == "*":
        return (SpecifierSet(),)
    return tuple(_and_group(part) for part in _OR.split(stripped))


@functools.lru_cache(maxsize=4096)
def to_specifier(text: str) -> SpecifierSet:
    """One specifier set allowing at least what the constraint allows.

    Exact whenever PEP 440 can spell the constraint; for a union it cannot, the
    convex hull described in the module docstring.
    """
    alternatives = parse_poetry_constraint(text)
    if len(alternatives) == 1:
        return alternatives[0]
    return union_specifier(alternatives)


def is_exact(text: str) -> bool:
    """Whether :func:`to_specifier` is exactly the constraint (no hull needed)."""
    alternatives = parse_poetry_constraint(text)
    if len(alternatives) == 1:
        return True
    return _exact_union(alternatives) is not None


def _exact_union(alternatives: tuple[SpecifierSet, ...]) -> SpecifierSet | None:
    union = SpecifierSet(str(alternatives[0]), prereleases=True).to_range()
    for alternative in alternatives[1:]:
        union = union | SpecifierSet(str(alternative), prereleases=True).to_range()
    single = union.to_specifier_set()
    if single is None:
        return None
    return SpecifierSet(str(single))


def union_specifier(alternatives: tuple[SpecifierSet, ...]) -> SpecifierSet:
    """The union of specifier sets, or the smallest interval that contains it."""
    exact = _exact_union(alternatives)
    if exact is not None:
        return exact
    lows: list[tuple[Version, bool] | None] = []
    highs: list[tuple[Version, bool] | None] = []
    for alternative in alternatives:
        low, high = _bounds(alternative)
        lows.append(low)
        highs.append(high)
    clauses: list[str] = []
    if all(low is not None for low in lows):
        version, inclusive = min(
            (low for low in lows if low is not None), key=lambda b: (b[0], not b[1])
        )
        clauses.append(f"{'>=' if inclusive else '>'}{version}")
    if all(high is not None for high in highs):
        version, inclusive = max(
            (high for high in highs if high is not None), key=lambda b: (b[0], b[1])
        )
        clauses.append(f"{'<=' if inclusive else '<'}{version}")
    hull = SpecifierSet(",".join(clauses))
    # PEP 440's "<V" also shuts out V's pre-releases, which a union member may
    # allow; drop a bound rather than ever return less than the union.
    hull_range = SpecifierSet(str(hull), prereleases=True).to_range()
    for alternative in alternatives:
        if not SpecifierSet(str(alternative), prereleases=True).to_range().is_subset(hull_range):
            return SpecifierSet(",".join(c for c in clauses if c.startswith(">")))
    return hull


def _bounds(
    specifiers: SpecifierSet,
) -> tuple[tuple[Version, bool] | None, tuple[Version, bool] | None]:
    """(lower, upper) bounds of an AND of specifiers, ``(version, inclusive)``."""
    low: tuple[Version, bool] | None = None
    high: tuple[Version, bool] | None = None

    def raise_low(bound: tuple[Version, bool]) -> None:
        nonlocal low
        if low is None or (bound[0], not bound[1]) > (low[0], not low[1]):
            low = bound

    def cut_high(bound: tuple[Version, bool]) -> None:
        nonlocal high
        if high is None or (bound[0], bound[1]) < (high[0], high[1]):
            high = bound

    for spec in specifiers:
        operator, text = spec.operator, spec.version
        if operator == "===":
            continue
        if text.endswith(".*"):
            if operator != "==":
                continue
            prefix = Version(text[:-2])
            raise_low((Version(f"{prefix}.dev0"), True))
            parts = list(prefix.release)
            parts[-1] += 1
            cut_high((Version(".".join(map(str, parts))), False))
            continue
        version = Version(text)
        if operator == ">=":
            raise_low((version, True))
        elif operator == ">":
            raise_low((version, False))
        elif operator == "<=":
            cut_high((version, True))
        elif operator == "<":
            cut_high((version, False))
        elif operator == "==":
            raise_low((version, True))
            cut_high((version, True))
        elif operator == "~=":
            raise_low((version, True))
            parts = list(version.release[:-1])
            parts[-1] += 1
            cut_high((Version(".".join(map(str, parts))), False))
    return low, high


def is_pep440(text: str) -> bool:
    """Whether a version text is plain PEP 440 (a fixer can edit it as such)."""
    try:
        Specifier(text.split(",")[0].strip()) if text.strip() else None
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True
