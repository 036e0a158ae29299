"""The engine's shortcut for NEVER must never hide a match the range algebra finds."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit.engine import _package_relation, _View
from pinaudit.model import Dependency, Role, Span
from pinaudit.ranges import Relation, allowed_range, bad_range, relation
from pinaudit.rulebook import PackageCondition, builtin_rules_path, load_rules
from pinaudit.screen import admits, any_excludes, excludes
from pinaudit.targets import make_targets
from tests.test_ranges import (
    PROPERTY,
    brute_allowed,
    brute_bad,
    specifier_sets,
    universe,
    versions,
)

SEED = load_rules([builtin_rules_path()]).by_code()["PA1001"]


def condition(bad: str) -> PackageCondition:
    specifier = SpecifierSet(bad)
    return PackageCondition("demo", specifier, bad_range(specifier))


@PROPERTY
@given(
    entry=specifier_sets(),
    others=st.lists(specifier_sets(), max_size=2),
    bad=specifier_sets(max_size=2),
    pre=st.booleans(),
)
def test_an_excluding_entry_leaves_nothing_bad_in_any_combination(
    entry: SpecifierSet, others: list[SpecifierSet], bad: SpecifierSet, pre: bool
) -> None:
    target = PackageCondition("demo", bad, bad_range(bad))
    if not excludes(entry, target):
        return
    combined = [entry, *others]
    candidates = universe([*combined, bad])
    context = f"entry={str(entry)!r} others={[str(s) for s in others]} bad={str(bad)!r}"
    assert not brute_allowed([entry], True, candidates) & brute_bad(bad, candidates), context
    assert not brute_allowed(combined, pre, candidates) & brute_bad(bad, candidates), context
    assert relation(allowed_range(combined, pre=pre), bad_range(bad)) is Relation.NEVER, context


def test_a_pin_outside_the_bad_range_excludes_it() -> None:
    assert excludes(SpecifierSet("==0.14.0"), condition("<0.14.0"))
    assert not excludes(SpecifierSet("==0.13.4"), condition("<0.14.0"))


def test_a_parsed_pin_gives_the_same_answer() -> None:
    bad = condition(">=1.0,<1.2")
    assert excludes(SpecifierSet("==1.2"), bad, Version("1.2"))
    assert not excludes(SpecifierSet("==1.1"), bad, Version("1.1"))


def test_a_range_disjoint_from_the_bad_range_excludes_it() -> None:
    assert excludes(SpecifierSet(">=2.0,<3"), condition("<1.5"))
    assert not excludes(SpecifierSet(">=1.0"), condition("<1.5"))


def test_local_builds_of_a_pin_are_not_screened_away() -> None:
    # ``==1.0`` admits ``1.0+cpu``, which is inside ``===1.0+cpu`` and ``==1.0+cpu``.
    assert not excludes(SpecifierSet("==1.0"), condition("==1.0+cpu"))
    assert not excludes(SpecifierSet("==1.0"), condition("===1.0+cpu"))


def test_wildcards_and_bare_names_prove_nothing_by_pin() -> None:
    assert not excludes(SpecifierSet(""), condition("<1.0"))
    assert not excludes(SpecifierSet("==1.*"), condition("<1.5"))
    assert excludes(SpecifierSet("==2.*"), condition("<1.5"))


# ---------------------------------------------------------------------------
# A plain pin settles a package with membership tests (engine and screen).

_SPAN = Span(0, 1, 1, 1, 1, 2)


def entry(specifier: SpecifierSet, role: Role = Role.REQUIRE) -> Dependency:
    pins = list(specifier)
    pinned = None
    if len(pins) == 1 and pins[0].operator in ("==", "===") and not pins[0].version.endswith("*"):
        try:
            pinned = Version(pins[0].version)
        except InvalidVersion:
            pinned = None
    return Dependency("demo", "demo", specifier, Path("r.txt"), _SPAN, pinned=pinned, role=role)


@PROPERTY
@given(pin=versions(), specifier=specifier_sets())
def test_admits_speaks_for_the_pin_and_its_local_builds(pin: str, specifier: SpecifierSet) -> None:
    version = Version(pin)
    answer = admits(specifier, version)
    if answer is None:
        return
    public = version.public
    builds = [c for c in universe([specifier], [pin, public]) if c.split("+")[0] == public]
    pinned = SpecifierSet(f"=={pin}")
    context = f"pin={pin!r} specifier={str(specifier)!r}"
    for candidate in builds:
        if pinned.contains(candidate, prereleases=True):
            assert specifier.contains(candidate, prereleases=True) is answer, (context, candidate)


@PROPERTY
@given(
    pin=versions(),
    others=st.lists(specifier_sets(max_size=2), max_size=3),
    bad=specifier_sets(max_size=2),
    pre=st.booleans(),
    constrained=st.booleans(),
)
def test_a_pinned_package_gets_the_range_algebras_answer(
    pin: str, others: list[SpecifierSet], bad: SpecifierSet, pre: bool, constrained: bool
) -> None:
    pinned = SpecifierSet(f"=={pin}")
    entries: tuple[Dependency, ...] = (
        entry(pinned, Role.CONSTRAIN if constrained else Role.REQUIRE),
    )
    entries += tuple(entry(specifier) for specifier in others)
    if constrained:
        entries += (entry(SpecifierSet()),)
    target = PackageCondition("demo", bad, bad_range(bad))
    sets = [dep.specifier for dep in entries]
    expected = relation(allowed_range(sets, pre=pre), target.range)
    view = _View({"demo": list(entries)}, pre, make_targets())
    found, _ = _package_relation(view.allowed(entries), SEED, target)
    context = f"pin={pin!r} others={[str(s) for s in others]} bad={str(bad)!r} pre={pre}"
    assert found is expected, context
    screen = view.screen("demo", False)
    if screen is None or any_excludes((target,), (screen,)):
        assert expected is Relation.NEVER, context
