"""Tests for ``pinaudit.ranges``: table cases, then properties against brute force.

The property tests never trust the range algebra: they compute, for a universe of
candidate versions around every version the specifiers mention, which candidates
a dependency allows and which are bad, using only ``SpecifierSet.contains`` and the
pre-release policy written out in ``docs/ranges.md``, and check ``relation``
against that.  Hypothesis runs derandomized with a modest budget so the suite is
reproducible and fast; set ``PINAUDIT_HYPOTHESIS_EXAMPLES`` (a number) and
``PINAUDIT_HYPOTHESIS_RANDOM=1`` to explore further.
"""

from __future__ import annotations

import os
import timeit
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit import ranges
from pinaudit.ranges import (
    Relation,
    allowed_range,
    bad_range,
    exact_range,
    is_unsatisfiable,
    relation,
)

ALWAYS, SOMETIMES, NEVER = Relation.ALWAYS, Relation.SOMETIMES, Relation.NEVER


def specs(*texts: str) -> list[SpecifierSet]:
    return [SpecifierSet(text) for text in texts]


def rel(allowed: str | Sequence[str], bad: str, *, pre: bool = False) -> Relation:
    texts = [allowed] if isinstance(allowed, str) else list(allowed)
    return relation(allowed_range(specs(*texts), pre=pre), bad_range(SpecifierSet(bad)))


# --- table tests -------------------------------------------------------------------

TABLE = [
    # The cases the brief fixes.
    (">=1.0", "<1.1", SOMETIMES),
    ("==1.0.*", "<1.1", ALWAYS),
    (">=1.0,<1.1", "<1.1", ALWAYS),
    # 1.1.0rc1 sorts before 1.1.0, so it is outside >=1.1.0 (PEP 440 ordering).
    ("==1.1.0rc1", ">=1.1.0", NEVER),
    # An exclusive < never admits pre-releases of its own version (PEP 440).
    ("==1.1.0rc1", "<1.1", NEVER),
    ("==1.1.0rc1", ">=1.1.0rc1", ALWAYS),
    ("==1.1.0rc1", ">=1.1.0.dev0", ALWAYS),
    ("==1.1.0rc1", "<=1.1", ALWAYS),
    # Pre-releases in a bad range only count when the dependency may get them.
    (">=1.0", "==2.0rc1", NEVER),
    (">=1.0rc1", "==2.0rc1", SOMETIMES),
    (">=1.0,<2.0rc1", "==2.0b1", SOMETIMES),
    (">=1.0,!=2.0rc1", "==2.0rc1", NEVER),
    (">=1.0,<=2.0", ">=2.0rc1,<=2.0,!=2.0", NEVER),
    # Wildcards, compatible release, exclusions.
    ("==1.0.*", "==1.0.5", SOMETIMES),
    ("!=1.0.*", "==1.0.*", NEVER),
    ("!=1.0.*,>=0.9,<1.1", "==1.0.*", NEVER),
    ("~=1.4.5", "<1.5", ALWAYS),
    ("~=1.4", "<1.5", SOMETIMES),
    ("~=1.4", ">=2", NEVER),
    ("!=1.5", ">=1.5,<1.6", SOMETIMES),
    (">=1.5,<1.6,!=1.5", "==1.5", NEVER),
    ("==1.5", "!=1.5", NEVER),
    # Local versions: ignored by ==V, != and ordered comparisons; refused by >V.
    ("==1.0+cpu", "==1.0", ALWAYS),
    ("==1.0", "==1.0+cpu", SOMETIMES),
    ("==1.0+cpu", "!=1.0", NEVER),
    ("==1.0+cpu", ">1.0", NEVER),
    ("==1.0+cpu", "<=1.0", ALWAYS),
    # Post and dev releases.
    ("==1.0.post1", ">1.0", NEVER),
    ("==1.0.post1", ">=1.0", ALWAYS),
    ("==1.0.post2", ">1.0.post1", ALWAYS),
    ("==1.0.dev3", "<1.0", NEVER),
    ("==1.0.dev3", "<1.0.dev5", ALWAYS),
    (">=1.0.dev0,<1.0.post0", "<1.0", NEVER),
    (">=1.0.dev0,<1.0.post0", "<1.0rc1", SOMETIMES),
    (">=1.0.dev0,<1.0.post0", "<=1.0", ALWAYS),
    # Epochs sort before everything else.
    (">=1!1.0", "<2", NEVER),
    ("<2", ">=1!0", NEVER),
    ("==1!1.0", ">=1!0.5", ALWAYS),
    # Arbitrary equality matches one string.
    ("===1.0", "<2", ALWAYS),
    ("===1.0", "==1.0", ALWAYS),
    ("===1.0", "===1.0", ALWAYS),
    ("===1.0", "===1.0.0", NEVER),
    ("===foo", "<2", NEVER),
    ("===foo", "", ALWAYS),
    ("==1.0", "===1.0", SOMETIMES),
    # The empty specifier allows everything; an empty bad range is everything.
    ("", "<2", SOMETIMES),
    ("", "", ALWAYS),
    (">=1.0", "", ALWAYS),
    ("", ">=0.dev0", ALWAYS),
    ("", ">=0", ALWAYS),
    ("", "!=0.dev0+local", ALWAYS),
    # Unsatisfiable: nothing allowed, nothing bad.
    (">=2,<1", "<3", NEVER),
    ("==1.0,!=1.0", "", NEVER),
    # Several sets apply at once (requirement and constraint).
    ((">=1.0", "<1.1"), "<1.1", ALWAYS),
    ((">=1.0", "<2.0rc1"), "==2.0b1", SOMETIMES),
    ((">=1.0", "==1.4"), ">=1.3,<1.5", ALWAYS),
]


@pytest.mark.parametrize(("allowed", "bad", "expected"), TABLE)
def test_relation_table(allowed: str | tuple[str, ...], bad: str, expected: Relation) -> None:
    assert rel(allowed, bad) is expected


PRE_TABLE = [
    (">=1.0", "==2.0rc1", SOMETIMES),
    # --pre does not make <2.0 admit 2.0's own pre-releases (PEP 440).
    (">=1.0,<2.0", ">=2.0a1", NEVER),
    (">=1.0,<2.0", "<2.0", ALWAYS),
    (">=1.0,<2.0", ">=1.5a1,<1.5rc1", SOMETIMES),
    (">=1.0,<2.0", ">=1.5.dev0,<=1.5,!=1.5", SOMETIMES),
    (">=1.0,<=2.0", "<2.0", SOMETIMES),
    (">=1.0,<1.1", "<1.1", ALWAYS),
    ("==1.0", "==1.0rc1", NEVER),
    ("", ">=0", SOMETIMES),  # 0a1 sorts below 0 and --pre allows it
]


@pytest.mark.parametrize(("allowed", "bad", "expected"), PRE_TABLE)
def test_pre_widens_what_is_allowed(allowed: str, bad: str, expected: Relation) -> None:
    assert rel(allowed, bad, pre=True) is expected


def test_pre_flag_changes_only_prerelease_answers() -> None:
    assert rel(">=1.0,<=2.0", "<2.0") is SOMETIMES
    assert rel(">=1.0,<=2.0", ">=2.0a1,<2.0.post0,!=2.0") is NEVER
    assert rel(">=1.0,<=2.0", ">=2.0a1,<2.0.post0,!=2.0", pre=True) is SOMETIMES
    assert rel(">=1.0,<2.0", ">=1.5.dev0,<=1.5,!=1.5") is NEVER


def test_allowed_range_policy() -> None:
    assert not allowed_range(specs(">=1.0")).contains("1.5rc1")
    assert allowed_range(specs(">=1.0"), pre=True).contains("1.5rc1")
    assert allowed_range(specs(">=1.0rc1")).contains("1.5rc1")
    assert allowed_range(specs("==1.0rc1")).contains("1.0rc1")
    assert allowed_range(specs(">=1.0", "==1.2b1")).contains("1.2b1")
    # != and ==X.* never name a pre-release (PEP 440; packaging's ``prereleases``).
    assert not allowed_range(specs(">=1.0,!=1.5rc1")).contains("1.6rc1")
    assert not allowed_range(specs("==1.*")).contains("1.5rc1")
    assert allowed_range(specs("")).contains("3.0")
    assert not allowed_range(specs("")).contains("3.0rc1")


def test_prerelease_only_specifier_keeps_its_prereleases() -> None:
    # Names no pre-release, yet only 1.0's pre-releases satisfy it: PEP 440 lets an
    # installer take them ("the only available version ... is a pre-release").
    only = specs("==1.0.*,<=1.0,!=1.0")
    assert not is_unsatisfiable(only)
    assert allowed_range(only).contains("1.0rc1")
    assert relation(allowed_range(only), bad_range(SpecifierSet("<=1.0"))) is ALWAYS
    assert relation(allowed_range(only), bad_range(SpecifierSet("<1.0rc1"))) is SOMETIMES
    assert relation(allowed_range(only), bad_range(SpecifierSet(">=1.0"))) is NEVER
    # An explicit ``prereleases=False`` declines the opt-in, but PEP 440 still lets
    # an installer take pre-releases when nothing else satisfies the specifier.
    declined = [SpecifierSet(">=1.0a1,<1.0a5", prereleases=False)]
    assert allowed_range(declined).contains("1.0a2")
    assert relation(allowed_range(declined), bad_range(SpecifierSet("<1.0"))) is NEVER
    assert relation(allowed_range(declined), bad_range(SpecifierSet("<1.0a3"))) is SOMETIMES


def test_is_unsatisfiable() -> None:
    assert is_unsatisfiable(specs(">=2", "<1"))
    assert is_unsatisfiable(specs("==1.0,!=1.0"))
    assert is_unsatisfiable(specs("===1.0,===2.0"))
    assert is_unsatisfiable(specs("===foo,>=1"))
    assert is_unsatisfiable(specs(">=1.0rc1,<1.0"))  # <1.0 refuses 1.0's pre-releases
    assert not is_unsatisfiable(specs(">=1.0a1,<1.0a2"))
    assert not is_unsatisfiable(specs(""))
    assert not is_unsatisfiable([])
    assert not is_unsatisfiable(specs("===foo"))
    assert allowed_range(specs(">=2", "<1")).is_empty


def test_bad_range_counts_prereleases_inside() -> None:
    bad = bad_range(SpecifierSet(">=1.0,<1.2"))
    assert bad.contains("1.1rc1")
    assert bad.contains("1.1.dev0")
    assert not bad.contains("1.2rc1")
    assert not bad.contains("1.0rc1")
    assert bad_range(SpecifierSet(">=1.0,<1.2")) is bad  # memoised


def test_exact_range_is_the_locked_strings() -> None:
    locked = exact_range([Version("1.0"), Version("1.0+cu118")])
    assert relation(locked, bad_range(SpecifierSet("==1.0"))) is ALWAYS
    assert relation(locked, bad_range(SpecifierSet("==1.0+cu118"))) is SOMETIMES
    assert relation(locked, bad_range(SpecifierSet(">1.0"))) is NEVER
    assert relation(exact_range([Version("2.0rc1")]), bad_range(SpecifierSet(">=2.0a1"))) is ALWAYS
    assert relation(exact_range([Version("1.0")]), bad_range(SpecifierSet("===1.0"))) is ALWAYS
    assert relation(exact_range([]), bad_range(SpecifierSet(""))) is NEVER
    assert exact_range(iter([Version("1.0")])) is exact_range([Version("1.0")])


def test_foreign_ranges_are_normalised() -> None:
    """No pair of ranges makes packaging's mixed-policy ValueError reach a caller."""
    bad = bad_range(SpecifierSet("<1.1"))
    unconfigured = SpecifierSet(">=1.0").to_range()
    assert relation(unconfigured, bad) is SOMETIMES
    assert relation(SpecifierSet(">=1.0rc1").to_range(), bad_range(SpecifierSet("==2.0b1"))) is (
        SOMETIMES
    )
    assert relation(SpecifierSet(">=1.0").to_range(), bad_range(SpecifierSet("==2.0b1"))) is NEVER
    false_bad = SpecifierSet("<1.1", prereleases=False).to_range()
    none_bad = SpecifierSet("<1.1").to_range()
    for allowed in (
        allowed_range(specs(">=1.0")),
        allowed_range(specs(">=1.0"), pre=True),
        exact_range([Version("1.0")]),
        unconfigured,
    ):
        for other in (bad, false_bad, none_bad):
            assert relation(allowed, other) in (SOMETIMES, ALWAYS)


def test_unspellable_ranges_are_normalised() -> None:
    # Unions built by set algebra have no PEP 440 spelling.
    gappy = bad_range(SpecifierSet("<1.0")) | bad_range(SpecifierSet(">=2.0"))
    assert gappy.to_specifier_set() is None
    assert relation(allowed_range(specs(">=1.0,<2.0")), gappy) is NEVER
    assert relation(allowed_range(specs(">=1.5")), gappy) is SOMETIMES
    assert relation(allowed_range(specs("==2.5.*")), gappy) is ALWAYS
    unconfigured = SpecifierSet("<1.0").to_range() | SpecifierSet(">=2.0").to_range()
    assert relation(unconfigured, bad_range(SpecifierSet(""))) is ALWAYS
    assert relation(unconfigured, bad_range(SpecifierSet("<3"))) is SOMETIMES
    assert relation(unconfigured, bad_range(SpecifierSet(">=1.0,<2.0"))) is NEVER


def test_without_packagings_private_hook_the_answer_is_coarser() -> None:
    """If a packaging release drops ``VersionRange._with_policy``, nothing crashes.

    Unspellable ranges (advisory rules build them) are then judged with
    pre-releases included: still sound when the overlap has final releases,
    coarser when it has only pre-releases.
    """
    gappy = bad_range(SpecifierSet("<1.0")) | bad_range(SpecifierSet("==3.0rc1"))
    assert gappy.to_specifier_set() is None
    later = allowed_range(specs(">=2.5"))
    assert relation(later, gappy) is NEVER  # 2.5+ does not opt into 3.0rc1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranges, "_respell", lambda version_range, policy: None)
        ranges._with_policy.cache_clear()
        ranges._relation.cache_clear()
        assert relation(allowed_range(specs(">=1.0,<2.0")), gappy) is NEVER
        assert relation(allowed_range(specs("==0.5.*")), gappy) is ALWAYS
        assert relation(later, gappy) is SOMETIMES
    ranges._with_policy.cache_clear()
    ranges._relation.cache_clear()
    assert relation(later, gappy) is NEVER


def test_relation_is_fast() -> None:
    """The engine asks ~60 rules x 1,000 dependencies; each answer must be cheap.

    Generous bound (a miss costs ~15-40 us on a laptop): only catches a regression
    such as losing the memoisation or re-parsing per call.
    """
    bad = bad_range(SpecifierSet(">=1.4,<1.6"))
    allowed = allowed_range(specs(">=1.0,!=1.5.*,<3"))
    per_call = timeit.timeit(lambda: relation(allowed, bad), number=2000) / 2000
    assert per_call < 50e-6


# --- property tests against brute force --------------------------------------------

EXAMPLES = int(os.environ.get("PINAUDIT_HYPOTHESIS_EXAMPLES", "150"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("PINAUDIT_HYPOTHESIS_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ANCHORS = ("0", "0.dev0", "0a1", "0.post1", "999", "999rc1", "1!0", "1!0.dev0", "1!999", "2!5")


@st.composite
def versions(draw: st.DrawFn, *, local: bool = True, min_release: int = 1) -> str:
    epoch = draw(st.sampled_from(["", "", "", "", "1!"]))
    release = draw(st.lists(st.integers(0, 3), min_size=min_release, max_size=3))
    text = epoch + ".".join(map(str, release))
    if draw(st.integers(0, 3)) == 0:
        text += draw(st.sampled_from(["a", "b", "rc"])) + str(draw(st.integers(0, 2)))
    if draw(st.integers(0, 3)) == 0:
        text += f".post{draw(st.integers(0, 2))}"
    if draw(st.integers(0, 3)) == 0:
        text += f".dev{draw(st.integers(0, 1))}"
    if local and draw(st.integers(0, 4)) == 0:
        text += "+" + draw(st.sampled_from(["local", "cpu", "1"]))
    return text


@st.composite
def prefixes(draw: st.DrawFn) -> str:
    epoch = draw(st.sampled_from(["", "", "", "1!"]))
    release = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    return epoch + ".".join(map(str, release))


@st.composite
def clauses(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*", "==="]))
    if kind in ("==*", "!=*"):
        return f"{kind[:2]}{draw(prefixes())}.*"
    if kind in ("==", "!="):
        return kind + draw(versions())
    if kind == "~=":
        return kind + draw(versions(local=False, min_release=2))
    if kind == "===":
        return kind + draw(st.one_of(versions(), st.sampled_from(["foo", "1.0.0", "1.0"])))
    return kind + draw(versions(local=False))


@st.composite
def specifier_sets(draw: st.DrawFn, max_size: int = 3) -> SpecifierSet:
    parts = draw(st.lists(clauses(), min_size=0, max_size=max_size))
    return SpecifierSet(",".join(parts))


def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _release_text(epoch: int, release: Sequence[int]) -> str:
    prefix = f"{epoch}!" if epoch else ""
    return prefix + ".".join(map(str, release))


def neighbours(text: str) -> set[str]:
    """A version's string and the versions PEP 440 ordering puts right around it."""
    found = {text}
    version = _parse(text.removesuffix(".*"))
    if version is None:
        return found
    found |= {str(version), version.public, f"{version}+zz" if not version.local else text}
    for pre in ("a0", "rc1", ".dev0", ".post0", ".post1", ".post1.dev0", "+local"):
        if version.local is None:
            found.add(f"{version}{pre}")
    # Step every segment the version has: >1.0.post1 admits 1.0.post2, which
    # >1.0 refuses, and only a neighbour at that depth shows it.
    steps: list[Version] = [version.__replace__(local=None)]
    if version.pre is not None:
        kind, number = version.pre
        steps += [version.__replace__(pre=(kind, number + 1), local=None)]
        steps += [version.__replace__(pre=(kind, number - 1))] if number else []
    if version.post is not None:
        steps += [version.__replace__(post=version.post + 1, local=None)]
        steps += [version.__replace__(post=version.post - 1)] if version.post else []
    if version.dev is not None:
        steps += [version.__replace__(dev=version.dev + 1, local=None)]
        steps += [version.__replace__(dev=version.dev - 1)] if version.dev else []
    for step in steps:
        found |= {str(step), f"{step}+local"}
        if step.dev is None:
            found |= {f"{step}.dev0", f"{step}.dev1"}
        if step.post is None and step.dev is None:
            found |= {f"{step}.post0", f"{step}.post1"}
    epoch, release = version.epoch, version.release
    bases = {release, (*release, 0, 1), (*release, 1)}
    for length in range(1, len(release) + 1):
        head = release[:length]
        bases.add((*head[:-1], head[-1] + 1))
        if head[-1] > 0:
            bases.add((*head[:-1], head[-1] - 1))
            bases.add((*head[:-1], head[-1] - 1, 9))
    for base in bases:
        stem = _release_text(epoch, base)
        found |= {stem + suffix for suffix in ("", ".dev0", "a1", "rc1", ".post1", "+local")}
    return found


def universe(sets: Iterable[SpecifierSet], extra: Iterable[str] = ()) -> list[str]:
    found: set[str] = set(ANCHORS) | set(extra)
    for specifier in sets:
        for clause in specifier:
            found |= neighbours(clause.version)
    return sorted(found)


def _is_prerelease(text: str) -> bool:
    version = _parse(text)
    return version is not None and version.is_prerelease


def _combined(sets: Sequence[SpecifierSet], prereleases: bool) -> SpecifierSet:
    return SpecifierSet(
        [clause for specifier in sets for clause in specifier], prereleases=prereleases
    )


def opts_in(sets: Sequence[SpecifierSet], pre: bool) -> bool:
    """The documented policy, spelled out with packaging's own predicates."""
    if pre or any(specifier.prereleases is True for specifier in sets):
        return True
    return (
        _combined(sets, False).is_unsatisfiable() and not _combined(sets, True).is_unsatisfiable()
    )


def brute_allowed(sets: Sequence[SpecifierSet], pre: bool, candidates: Iterable[str]) -> set[str]:
    with_pre = opts_in(sets, pre)
    # A non-version string is only ever named by ``===``; "" admits none of them.
    named = any(len(specifier) for specifier in sets)
    return {
        candidate
        for candidate in candidates
        if all(specifier.contains(candidate, prereleases=True) for specifier in sets)
        and (with_pre or not _is_prerelease(candidate))
        and (named or _parse(candidate) is not None)
    }


def brute_bad(bad: SpecifierSet, candidates: Iterable[str]) -> set[str]:
    return {candidate for candidate in candidates if bad.contains(candidate, prereleases=True)}


@PROPERTY
@given(
    allowed=st.lists(specifier_sets(), min_size=1, max_size=2),
    bad=specifier_sets(max_size=2),
    pre=st.booleans(),
)
def test_relation_agrees_with_brute_force(
    allowed: list[SpecifierSet], bad: SpecifierSet, pre: bool
) -> None:
    candidates = universe([*allowed, bad])
    allowed_set = brute_allowed(allowed, pre, candidates)
    bad_set = brute_bad(bad, candidates)
    found = relation(allowed_range(allowed, pre=pre), bad_range(bad))
    both = allowed_set & bad_set
    context = f"allowed={[str(s) for s in allowed]} pre={pre} bad={str(bad)!r}"
    if found is NEVER:
        assert not both, f"{context}: NEVER but {sorted(both)} are allowed and bad"
    elif found is ALWAYS:
        outside = allowed_set - bad_set
        assert not outside, f"{context}: ALWAYS but {sorted(outside)} are allowed, not bad"
    else:
        assert both, f"{context}: SOMETIMES but no candidate is allowed and bad"
        assert allowed_set - bad_set, f"{context}: SOMETIMES but every allowed candidate is bad"


@PROPERTY
@given(allowed=st.lists(specifier_sets(), min_size=1, max_size=2), pre=st.booleans())
def test_allowed_range_membership_matches_policy(allowed: list[SpecifierSet], pre: bool) -> None:
    candidates = universe(allowed)
    expected = brute_allowed(allowed, pre, candidates)
    computed = allowed_range(allowed, pre=pre)
    assert {c for c in candidates if computed.contains(c)} == expected
    assert is_unsatisfiable(allowed) == _combined(allowed, True).is_unsatisfiable()


@PROPERTY
@given(bad=specifier_sets())
def test_bad_range_membership_matches_contains(bad: SpecifierSet) -> None:
    candidates = universe([bad])
    computed = bad_range(bad)
    assert {c for c in candidates if computed.contains(c)} == brute_bad(bad, candidates)


@PROPERTY
@given(bad=specifier_sets(), data=st.data())
def test_exact_range_agrees_with_contains(bad: SpecifierSet, data: st.DataObject) -> None:
    pool = [c for c in universe([bad]) if _parse(c) is not None]
    picked = data.draw(st.lists(st.sampled_from(pool), max_size=3, unique=True))
    locked = [Version(text) for text in picked]
    inside = [bad.contains(str(version), prereleases=True) for version in locked]
    expected = NEVER if not any(inside) else ALWAYS if all(inside) else SOMETIMES
    assert relation(exact_range(locked), bad_range(bad)) is expected


@PROPERTY
@given(allowed=specifier_sets(), bad=specifier_sets(max_size=2))
def test_unconfigured_allowed_reads_like_allowed_range(
    allowed: SpecifierSet, bad: SpecifierSet
) -> None:
    """A plain ``to_range()`` is read as pip would read the specifier it came from."""
    expected = relation(allowed_range([allowed]), bad_range(bad))
    assert relation(allowed.to_range(), bad_range(bad)) is expected


def test_version_range_policy_error_is_real() -> None:
    """Guards the reason for the normalisation: packaging refuses mixed policies."""
    with pytest.raises(ValueError, match="pre-release policies"):
        VersionRange.empty(prereleases=False).is_subset(VersionRange.full(prereleases=True))


def test_a_bare_name_that_opts_in_admits_prereleases() -> None:
    """Poetry's allow-prereleases on a dependency with no constraint still opts in."""
    opted = SpecifierSet("", prereleases=True)
    assert allowed_range([opted]).contains("2.0rc1")
    assert allowed_range([opted, SpecifierSet(">=1.0")]).contains("2.0rc1")
    assert not allowed_range([SpecifierSet("")]).contains("2.0rc1")
