"""Cheap proofs that an entry keeps a package out of a rule's bad range.

Most rules the engine tries in an environment do not match, and most of those
fail on one entry alone: ``requests==2.31.0`` is outside ``requests<2.20`` in
every environment that holds it.  Every entry that applies must hold at once,
so whatever an environment lets an installer pick is inside what each of its
unconditional, declared entries allows; when one such entry is disjoint from
the bad range, the relation is NEVER without computing the combination.

Only NEVER is proved here; every other answer is left to the engine's full
range algebra, so a screen that says nothing is always safe.

A plain pin (``==1.2.3``) settles more: whatever an environment allows of the
package is that version (and its local builds) or nothing, so the other
entries need one membership test each instead of a range (:func:`admits`).
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.model import Dependency
from pinaudit.ranges import bad_range, single_set_range
from pinaudit.rulebook import PackageCondition

#: A package's unconditional, declared entries in an environment: its pins
#: (tested with one membership test each) and its other ranges.
Screen = tuple[tuple[Dependency, ...], tuple[Dependency, ...]]

#: Answers keyed by the identities of the specifier set and the condition's bad
#: range, which rules with the same bad specifier share (``bad_range`` memoises
#: it); both objects are kept in the value so that their ids cannot be reused.
_ANSWERS: dict[tuple[int, int], tuple[SpecifierSet, VersionRange, bool]] = {}
#: Per specifier set, whether it is a plain ``==V`` pin (see :func:`plain_pin`).
_PLAIN: dict[int, tuple[SpecifierSet, bool]] = {}
#: :func:`admits` answers by the identities of the set and the version.
_ADMITS: dict[tuple[int, int], tuple[SpecifierSet, Version, bool | None]] = {}
#: Per condition, whether its range is spelled so that a pin test decides.
_PIN_DECIDES: dict[int, tuple[PackageCondition, bool]] = {}
_LIMIT = 65536


def any_excludes(conditions: Sequence[PackageCondition], screens: Sequence[Screen]) -> bool:
    """True when some package's entry is disjoint from its condition's bad range.

    ``screens[i]`` holds the entries of ``conditions[i]``'s package.  Cheap
    proofs come first, for every package: a pin outside the bad range (one
    membership test) and range answers already known.  In a monorepo the
    shared base file's answers are known after the first service, and often
    prove the rule away before the service's own ranges cost anything.  Only
    then are ranges built.  This runs for every rule in every environment,
    hence the local names.
    """
    answers = _ANSWERS
    for condition, (pins, ranges) in zip(conditions, screens, strict=True):
        for dep in pins:
            if excludes(dep.specifier, condition, dep.pinned):
                return True
        range_id = id(condition.range)
        for dep in ranges:
            known = answers.get((id(dep.specifier), range_id))
            if known is not None and known[2]:
                return True
    # Nothing cheap proves it: build ranges, after what a pin says of them.
    for condition, (pins, ranges) in zip(conditions, screens, strict=True):
        pin = first_plain_pin(pins)
        if pin is not None:
            for dep in pins:
                if admits(dep.specifier, pin) is False:
                    return True  # two pins that disagree: nothing can be installed
        for dep in ranges:
            if pin is not None:
                # Nothing but the pin can be installed: a range that refuses it
                # leaves nothing at all, one that admits it proves nothing more.
                admitted = admits(dep.specifier, pin)
                if admitted is not None:
                    if not admitted:
                        return True
                    continue
            if excludes(dep.specifier, condition, dep.pinned):
                return True
    return False


def plain_pin(dep: Dependency) -> Version | None:
    """The version of a ``==V`` entry: not a wildcard, not ``===``; None otherwise.

    Such an entry admits ``V`` and its local builds ``V+label``, nothing else.
    """
    pinned = dep.pinned
    if pinned is None:
        return None
    known = _PLAIN.get(id(dep.specifier))
    if known is None:
        if len(_PLAIN) >= _LIMIT:
            _PLAIN.clear()
        plain = all(clause.operator == "==" for clause in dep.specifier)
        known = _PLAIN[id(dep.specifier)] = (dep.specifier, plain)
    return pinned if known[1] else None


def first_plain_pin(entries: Sequence[Dependency]) -> Version | None:
    """The version of the first plain ``==V`` entry (:func:`plain_pin`), if any."""
    for dep in entries:
        pin = plain_pin(dep)
        if pin is not None:
            return pin
    return None


def admits(specifier: SpecifierSet, version: Version) -> bool | None:
    """Whether ``specifier`` admits ``version``, for a pin's sake; None when undecided.

    Decided only for sets without ``===`` and without local labels: then a
    local build ``V+label`` is admitted exactly when ``V`` is (PEP 440 ignores
    the label for every other operator, and ``>V`` refuses ``V``'s local
    builds), so one membership test speaks for everything ``==V`` allows.
    Pre-releases count: a pinned pre-release is what the pin installs.
    """
    key = (id(specifier), id(version))
    known = _ADMITS.get(key)
    if known is None:
        if len(_ADMITS) >= _LIMIT:
            _ADMITS.clear()
        decidable = all(
            clause.operator != "===" and "+" not in clause.version for clause in specifier
        )
        answer = specifier.contains(version, prereleases=True) if decidable else None
        known = _ADMITS[key] = (specifier, version, answer)
    return known[2]


def excludes(
    specifier: SpecifierSet, condition: PackageCondition, pinned: Version | None = None
) -> bool:
    """True when no version ``specifier`` admits, pre-releases included, is bad.

    ``pinned`` is the version of a ``==V`` specifier when the caller has it
    parsed already (a Dependency does), which spares parsing it again.
    """
    bad = condition.range
    key = (id(specifier), id(bad))
    known = _ANSWERS.get(key)
    if known is None:
        if len(_ANSWERS) >= _LIMIT:
            _ANSWERS.clear()
        known = _ANSWERS[key] = (specifier, bad, _excludes(specifier, condition, pinned))
    return known[2]


def _excludes(specifier: SpecifierSet, condition: PackageCondition, pinned: Version | None) -> bool:
    clauses = list(specifier)
    if not clauses:
        return False
    if len(clauses) == 1 and pin_decides(condition):
        only = clauses[0]
        if only.operator == "==" and not only.version.endswith(".*"):
            return not condition.range.contains(only.version if pinned is None else pinned)
    try:
        return single_set_range(specifier).is_disjoint(condition.range)
    except ValueError:  # a range under another pre-release policy: no proof
        return False


def pin_decides(condition: PackageCondition) -> bool:
    """Whether testing ``V`` alone decides ``==V`` against this condition's range.

    ``==V`` allows ``V`` and every local build ``V+label``.  A range spelled by
    specifiers without local labels and without ``===`` holds ``V+label``
    exactly when it holds ``V`` (PEP 440 ignores the label there), so one
    membership test replaces building the pin's range.  Ranges built otherwise
    (advisories' version lists) take the range path.
    """
    known = _PIN_DECIDES.get(id(condition))
    if known is None:
        if len(_PIN_DECIDES) >= _LIMIT:
            _PIN_DECIDES.clear()
        text = str(condition.specifier)
        fits = (
            bool(text)
            and "===" not in text
            and "+" not in text
            and condition.range == bad_range(condition.specifier)
        )
        known = _PIN_DECIDES[id(condition)] = (condition, fits)
    return known[1]
