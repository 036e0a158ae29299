"""How what a dependency allows relates to a rule's bad range.

The interval arithmetic is packaging's (``SpecifierSet.to_range()`` and
:class:`packaging.ranges.VersionRange`); this module only decides which versions
each side stands for, keeps the two operands under one pre-release policy, and
turns subset/disjoint into the three-valued :class:`Relation` the engine needs.
The semantics, with the PEP 440 clauses behind them, are in ``docs/ranges.md``.

In short:

* a rule's bad range is every version its specifier matches, pre-releases
  included (``prereleases=True``);
* what a dependency allows excludes pre-releases unless the specifiers name one,
  the installer was told ``--pre`` (``pre=True``), or nothing but pre-releases
  could satisfy them (``prereleases=False`` otherwise);
* a lock holds exactly the version strings it lists.

Every range is memoised on what it was built from, and :func:`relation` on the
pair of ranges: the engine asks the same questions for every target, and a
pre-commit run over a large repository repeats the same specifiers many times.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from typing import cast

from packaging.ranges import VersionRange
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

__all__ = [
    "Relation",
    "allowed_range",
    "bad_range",
    "exact_range",
    "is_unsatisfiable",
    "relation",
    "single_set_range",
]

#: Ranges built under each configured pre-release policy, used to read a range's
#: policy: packaging refuses (``ValueError``) to relate ranges whose policies differ,
#: and offers no public accessor for it.
_PROBES: tuple[tuple[bool | None, VersionRange], ...] = tuple(
    (policy, VersionRange.empty(prereleases=policy)) for policy in (True, False, None)
)


class Relation(enum.Enum):
    """Whether every, some or none of the allowed versions fall in a bad range."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NEVER = "never"


def _clauses(specifiers: Iterable[SpecifierSet]) -> tuple[Specifier, ...]:
    """The distinct clauses of several sets, in a stable order, as a cache key.

    Keyed on :class:`Specifier` objects rather than re-parsed strings: a ``===``
    literal may hold a comma, which a specifier-set string cannot carry, and
    combining the sets with ``&`` would raise on conflicting ``prereleases``
    overrides that this module ignores anyway.  Specifier equality is PEP 440
    equality (``==1.0`` and ``==1.0.0`` are one clause; ``===`` stays verbatim).
    """
    distinct = {clause for specifier in specifiers for clause in specifier}
    return tuple(sorted(distinct, key=str))


def bad_range(specifier: SpecifierSet) -> VersionRange:
    """A rule's bad range: every version the specifier matches, pre-releases too.

    A pre-release is bad when it sorts inside the range: ``>=1.0,<1.2`` holds
    ``1.1rc1``.  PEP 440 ordering still applies, so ``>=1.1.0`` does not hold
    ``1.1.0rc1`` (it sorts before ``1.1.0``) and ``<1.1`` does not hold
    ``1.1rc1`` (an exclusive ``<`` never admits pre-releases of its own
    version); rule authors who know the candidates are broken too write
    ``>=1.1.0rc1`` or ``>=1.1.0.dev0``.  The range is configured
    ``prereleases=True``; :func:`relation` re-expresses it when an allowed range
    carries another policy.
    """
    return _bad_range(_clauses((specifier,)))


@functools.lru_cache(maxsize=1024)
def _bad_range(clauses: tuple[Specifier, ...]) -> VersionRange:
    return SpecifierSet(clauses, prereleases=True).to_range()


def allowed_range(specifiers: Iterable[SpecifierSet], *, pre: bool = False) -> VersionRange:
    """What a set of specifiers lets an installer pick, all applying at once.

    Pre-releases are left out unless (PEP 440, "Handling of pre-releases"):

    * some specifier names one (``==1.0rc1``, ``>=2.0b1``, ``===1.0rc1``;
      ``!=`` and ``==X.*`` never do), which is packaging's
      ``SpecifierSet.prereleases`` and what pip feeds its finder;
    * ``pre`` is true: pip's ``--pre`` (a requirements-file global option that
      applies to the whole install), uv's ``--prerelease allow``, PDM's
      ``allow_prereleases``, Poetry's per-dependency ``allow-prereleases``;
    * only pre-releases satisfy the specifiers at all, since PEP 440 then
      accepts them.

    The result is configured ``prereleases=True`` in those cases and
    ``prereleases=False`` otherwise, so a rule whose bad range holds only
    pre-releases never matches ``>=1.0``, while ``==1.0rc1`` is exactly that
    pre-release.  PEP 440's per-operator rules still hold under ``pre``: ``<2.0``
    never admits ``2.0rc1``.

    No specifier at all allows every PEP 440 version, but not the non-version
    strings ``SpecifierSet("")`` matches: only a ``===`` clause names those.
    Each set's range is memoised on the set object and the sets' ranges are
    intersected: parsers share one SpecifierSet per text, and in a monorepo the
    same few thousand sets meet in ever new combinations (a service's pin, the
    shared base's range, a constraint), where re-reading the combined clauses
    cost four times the intersection.
    """
    given = tuple(specifiers)
    # An empty set may still opt in (Poetry's allow-prereleases on a bare name).
    named = pre or any(specifier.prereleases is True for specifier in given)
    sets = tuple(specifier for specifier in given if len(specifier))
    if not sets:
        # ``SpecifierSet("")`` also admits strings that are no version at all; no
        # installer picks one (pip dropped legacy versions in 24.1) and a bad range
        # never holds one, so keeping them would make a bare name look only
        # SOMETIMES inside ``>=0.dev0``.  ``===`` literals still name them.
        return _FULL[named]
    if not named:
        finals = _intersection(sets, False)
        if not finals.is_empty:
            return finals
    # Named pre-releases, or no final release at all: then only pre-releases
    # satisfy the specifiers and PEP 440 lets an installer take them.
    return _intersection(sets, True)


_FULL = {
    policy: VersionRange.full(admit_arbitrary=False, prereleases=policy) for policy in (True, False)
}

#: Each set's range under each policy, keyed by the set's identity; the set is
#: kept in the value so that its id cannot be reused while it is cached.
_SET_RANGES: dict[tuple[int, bool], tuple[SpecifierSet, VersionRange]] = {}
_SET_RANGES_LIMIT = 65536


def _set_range(specifier: SpecifierSet, policy: bool) -> VersionRange:
    key = (id(specifier), policy)
    found = _SET_RANGES.get(key)
    if found is None:
        if len(_SET_RANGES) >= _SET_RANGES_LIMIT:
            _SET_RANGES.clear()
        # Rebuilt from the clauses: a set's own ``prereleases`` override must not
        # decide the policy, and packaging refuses to mix policies.
        built = SpecifierSet(list(specifier), prereleases=policy).to_range()
        found = _SET_RANGES[key] = (specifier, built)
    return found[1]


def single_set_range(specifier: SpecifierSet) -> VersionRange:
    """Every version one set admits, pre-releases included (memoised on the set).

    A superset of what :func:`allowed_range` gives for any combination that
    includes this set, which is what makes it a sound screen for NEVER.
    """
    return _set_range(specifier, True)


def _intersection(sets: tuple[SpecifierSet, ...], policy: bool) -> VersionRange:
    result = _set_range(sets[0], policy)
    for specifier in sets[1:]:
        result = result & _set_range(specifier, policy)
    return result


def is_unsatisfiable(specifiers: Iterable[SpecifierSet]) -> bool:
    """True when no version at all, pre-releases included, meets every specifier.

    The engine reports this apart from :attr:`Relation.NEVER`: ``>=2,<1`` avoids
    every bad range only because nothing can be installed.  A set that only
    pre-releases satisfy (``>=1.0a1,<1.0a2``) is satisfiable, as PEP 440 says.
    """
    sets = tuple(specifier for specifier in specifiers if len(specifier))
    return bool(sets) and _intersection(sets, True).is_empty


def exact_range(versions: Iterable[Version]) -> VersionRange:
    """The versions a lockfile holds: exactly these version strings, nothing near.

    Each version is an arbitrary-equality (``===``) literal of its normalised
    string, so membership in any bad range is PEP 440 matching of that very
    string: ``1.0+cu118`` is inside ``==1.0`` (local labels are ignored there)
    but not inside ``>1.0``, and a locked ``1.0`` is not ``1.0+cu118``, unlike
    ``==1.0`` which admits every local build.  A pre-release in a lock is
    simply installed, so the range is configured ``prereleases=True``.

    Because membership is by string, ``exact_range([Version("1.0")])`` does not
    contain ``Version("1.0.0")``; only :func:`relation` is meant to read it.
    """
    return _exact_range(frozenset(str(version) for version in versions))


@functools.lru_cache(maxsize=4096)
def _exact_range(literals: frozenset[str]) -> VersionRange:
    result = VersionRange.empty(prereleases=True)
    for literal in sorted(literals):
        one = SpecifierSet([Specifier(f"==={literal}")], prereleases=True).to_range()
        result = result | one
    return result


def relation(allowed: VersionRange, bad: VersionRange) -> Relation:
    """Whether every (``ALWAYS``), some or no allowed version is in the bad range.

    The bad range is re-expressed under the allowed range's pre-release policy
    first, so the question is asked about the versions the dependency can
    actually get: under ``prereleases=False`` a bad range's pre-releases are not
    installable and do not count.  An empty allowed range is ``NEVER`` (use
    :func:`is_unsatisfiable` to tell it apart).  Ranges from other code are
    accepted too: an allowed range with no configured policy (plain
    ``SpecifierSet.to_range()``) is read as :func:`allowed_range` would read its
    specifiers.  Memoised on the pair.
    """
    return _relation(allowed, bad)


@functools.lru_cache(maxsize=65536)
def _relation(allowed: VersionRange, bad: VersionRange) -> Relation:
    policy = _policy(allowed)
    if policy is None:
        allowed = _normalise_allowed(allowed)
        policy = _policy(allowed)
    converted = _with_policy(bad, policy)
    if converted is None:
        # No way to put ``bad`` under the allowed policy: judge every version,
        # pre-releases included.  Coarser (a pre-release-only overlap says
        # SOMETIMES), but an answer; see docs/ranges.md.
        everything = _with_policy(allowed, True)
        converted = _with_policy(bad, True)
        if everything is None or converted is None:  # pragma: no cover - see _respell
            raise TypeError(f"cannot relate {allowed!r} to {bad!r}: {_NO_SPELLING}")
        allowed = everything
    if allowed.is_empty or allowed.is_disjoint(converted):
        return Relation.NEVER
    if allowed.is_subset(converted):
        return Relation.ALWAYS
    return Relation.SOMETIMES


_NO_SPELLING = (
    "a range built by set algebra has no PEP 440 spelling, and this packaging has no "
    "VersionRange._with_policy; build ranges with bad_range(), allowed_range() or "
    "exact_range()"
)


def _policy(version_range: VersionRange) -> bool | None:
    """The configured pre-release policy of a range (packaging keeps it private).

    Subtracting an empty range checks the policies and then returns at once,
    which makes it the cheapest public probe.
    """
    for policy, probe in _PROBES:
        try:
            version_range.difference(probe)
        except ValueError:
            continue
        return policy
    raise AssertionError(f"no pre-release policy fits {version_range!r}")  # pragma: no cover


def _normalise_allowed(allowed: VersionRange) -> VersionRange:
    """Give an allowed range without a configured policy the one this module uses."""
    spelled = allowed.to_specifier_set()
    if spelled is not None:
        return allowed_range([spelled])
    # Built by set algebra with no PEP 440 spelling: take it set-theoretically,
    # which is also how packaging's algebra treats an unconfigured range.
    everything = _with_policy(allowed, True)
    if everything is None:  # pragma: no cover - see _respell
        raise TypeError(f"cannot read {allowed!r}: {_NO_SPELLING}")
    return everything


@functools.lru_cache(maxsize=1024)
def _with_policy(version_range: VersionRange, policy: bool | None) -> VersionRange | None:
    """The same versions under ``policy``, so packaging's algebra accepts the pair.

    The public route is a round trip through ``to_specifier_set()``, which
    packaging guarantees for every range built from a specifier set (up to its
    128-exclusion spelling cap).  A range built by set algebra may have no
    spelling (the advisory rules' multi-interval ranges, for one); those go
    through :func:`_respell`.  None when neither works.
    """
    if _policy(version_range) is policy:
        return version_range
    spelled = version_range.to_specifier_set()
    if spelled is not None:
        return SpecifierSet(list(spelled), prereleases=policy).to_range()
    return _respell(version_range, policy)


def _respell(version_range: VersionRange, policy: bool | None) -> VersionRange | None:
    """Packaging's private ``VersionRange._with_policy``, if this packaging has it.

    VersionRange offers no public way to change a range's pre-release policy;
    this is the one place pinaudit reaches inside packaging.  The tests pin both
    this hook and the coarser answer :func:`relation` gives without it.
    """
    private = getattr(version_range, "_with_policy", None)
    if private is None:
        return None
    return cast(VersionRange, private(pre_region=(), configured=policy))
