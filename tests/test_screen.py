"""The engine's shortcut for NEVER must never hide a match the range algebra finds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.ranges import Relation, allowed_range, bad_range, relation
from pinaudit.rulebook import PackageCondition
from pinaudit.screen import excludes
from tests.test_ranges import PROPERTY, brute_allowed, brute_bad, specifier_sets, universe


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
