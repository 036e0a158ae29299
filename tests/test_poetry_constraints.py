"""Poetry constraints mean in PEP 440 what they mean to Poetry.

The cases are poetry-core's own, from ``tests/constraints/version/
test_parse_constraint.py`` (python-poetry/poetry-core, file version at commit
070fb7342b2a2b133ef90931b892e54940f9d40b), with poetry-core's ``VersionRange``
bounds written as the PEP 440 clauses that admit the same versions.  The
parser they test is ``src/poetry/core/constraints/version/parser.py`` (commit
ea1881305ae8ef5b40203b4f214a386ddecd90cb).  Where poetry-core compares
against a ``VersionRange(min, max, include_min)``, the expected value here is
``>=min,<max``; against ``Version``, ``==version``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.poetry_constraints import (
    PoetryConstraintError,
    is_exact,
    is_pep440,
    parse_poetry_constraint,
    to_specifier,
    union_specifier,
)


def as_range(alternatives: tuple[SpecifierSet, ...] | list[str]) -> VersionRange:
    result = VersionRange.empty(prereleases=True)
    for alternative in alternatives:
        result = result | SpecifierSet(str(alternative), prereleases=True).to_range()
    return result


def same_versions(constraint: str, *expected: str) -> None:
    got = parse_poetry_constraint(constraint)
    assert as_range(got) == as_range(list(expected)), (constraint, [str(s) for s in got])


# test_parse_constraint
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("*", ""),
        ("*.*", ""),
        ("v*.*", ""),
        (">1.0.0", ">1.0.0"),
        ("<1.2.3", "<1.2.3"),
        ("<=1.2.3", "<=1.2.3"),
        (">=1.2.3", ">=1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("1.2.3", "==1.2.3"),
        ("1!2.3.4", "==1!2.3.4"),
        ("=1.0", "==1.0"),
        ("1.2.3b5", "==1.2.3b5"),
        ("1.0.0a1.dev0", "==1.0.0a1.dev0"),
        (">dev", ">0.0.dev0"),
    ],
)
def test_parse_constraint(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraint_wildcard
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("v2.*", ">=2.dev0,<3.dev0"),
        ("2.*.*", ">=2.dev0,<3.dev0"),
        ("20.*", ">=20.dev0,<21.dev0"),
        ("20.*.*", ">=20.dev0,<21.dev0"),
        ("2.0.*", ">=2.0.dev0,<2.1.dev0"),
        ("0.*", ">=0.dev0,<1.dev0"),
        ("0.*.*", ">=0.dev0,<1.dev0"),
    ],
)
def test_parse_constraint_wildcard(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraint_tilde
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("~v1", ">=1.0.0,<2.0.0"),
        ("~1.0", ">=1.0.0,<1.1.0"),
        ("~1.0.0", ">=1.0.0,<1.1.0"),
        ("~1.2", ">=1.2.0,<1.3.0"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.0.0a1", ">=1.0.0a1,<1.1.0"),
        ("~1.0.0a1.dev0", ">=1.0.0a1.dev0,<1.1.0"),
        ("~1.2-beta", ">=1.2.0b0,<1.3.0"),
        ("~1.2-b2", ">=1.2.0b2,<1.3.0"),
        ("~0.3", ">=0.3.0,<0.4.0"),
        ("~3.5", ">=3.5.0,<3.6.0"),
        ("~=3.5", ">=3.5.0,<4.0.0"),
        ("~=3.5.3", ">=3.5.3,<3.6.0"),
        ("~=3.5.3rc1", ">=3.5.3rc1,<3.6.0"),
    ],
)
def test_parse_constraint_tilde(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraint_caret
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^v1", ">=1.0.0,<2.0.0"),
        ("^0", ">=0,<1"),
        ("^0.0", ">=0.0.0,<0.1.0"),
        ("^1.2", ">=1.2.0,<2.0.0"),
        ("^1.2.3-beta.2", ">=1.2.3b2,<2.0.0"),
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.2", ">=0.2.0,<0.3.0"),
        ("^0.2.0", ">=0.2.0,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0.3-alpha.21", ">=0.0.3a21,<0.0.4"),
        ("^0.1.3-alpha.21", ">=0.1.3a21,<0.2.0"),
        ("^0.0.0-alpha.21", ">=0.0.0a21,<0.0.1"),
        ("^1.0.0a1", ">=1.0.0a1,<2.0.0"),
        ("^1.0.0a1.dev0", ">=1.0.0a1.dev0,<2.0.0"),
    ],
)
def test_parse_constraint_caret(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraint_multi, _multi_with_epochs, _multi_wildcard
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        (">2.0,<=3.0", ">2.0.0,<=3.0.0"),
        (">1!2,<=2!3", ">1!2.0.0,<=2!3.0.0"),
        (">=1!2,<2!3", ">=1!2.0.0,<2!3.0.0"),
        (">=2.7,!=3.0.*,!=3.1.*", ">=2.7,!=3.0.*,!=3.1.*"),
    ],
)
def test_parse_constraint_multi(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraints_negative_wildcard
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("!=v2.*", "!=2.*"),
        ("!=2.*.*", "!=2.*"),
        ("!=2.0.*", "!=2.0.*"),
        ("!=0.*", "!=0.*"),
        ("!=0.*.*", "!=0.*"),
    ],
)
def test_parse_constraints_negative_wildcard(constraint: str, expected: str) -> None:
    same_versions(constraint, expected)


# test_parse_constraints_with_trailing_comma
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        (">3.7,", [">3.7"]),
        (">3.7 , ", [">3.7"]),
        (">3.7,<3.8,", [">3.7,<3.8"]),
        (">3.7,||<3.6,", [">3.7", "<3.6"]),
        (">3.7 , || <3.6 , ", [">3.7", "<3.6"]),
        (">3.7, <3.8, || <3.6, >3.5", [">3.7,<3.8", ">3.5,<3.6"]),
    ],
)
def test_parse_constraints_with_trailing_comma(constraint: str, expected: list[str]) -> None:
    same_versions(constraint, *expected)


# test_constraints_keep_version_precision (compared as written, clause by clause)
@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("1", "==1"),
        ("1.2", "==1.2"),
        ("1.2.3", "==1.2.3"),
        ("!=1", "!=1"),
        ("!=1.2", "!=1.2"),
        ("!=1.2.3", "!=1.2.3"),
        ("^1", ">=1,<2"),
        ("^1.0", ">=1.0,<2.0"),
        ("^1.0.0", ">=1.0.0,<2.0.0"),
        ("^1.0.0-alpha.1", ">=1.0.0a1,<2.0.0"),
        ("^0", ">=0,<1"),
        ("^0.1", ">=0.1,<0.2"),
        ("^0.0.2", ">=0.0.2,<0.0.3"),
        ("^0.1.2", ">=0.1.2,<0.2.0"),
        ("^0-alpha.1", ">=0a1,<1"),
        ("^0.1-alpha.1", ">=0.1a1,<0.2"),
        ("^0.0.2-alpha.1", ">=0.0.2a1,<0.0.3"),
        ("^0.1.2-alpha.1", ">=0.1.2a1,<0.2.0"),
        ("~1", ">=1,<2"),
        ("~1.0", ">=1.0,<1.1"),
        ("~1.0.0", ">=1.0.0,<1.1.0"),
    ],
)
def test_constraints_keep_version_precision(constraint: str, expected: str) -> None:
    (got,) = parse_poetry_constraint(constraint)
    assert {str(spec) for spec in got} == set(expected.split(","))


# test_parse_constraint_with_white_space_padding
@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (["3.8"], ["==3.8"]),
        (["=", "3.8"], ["==3.8"]),
        (["==", "3.8"], ["==3.8"]),
        ([">", "3.8"], [">3.8"]),
        ([">=", "3.8"], [">=3.8"]),
        (["<", "3.8"], ["<3.8"]),
        (["<=", "3.8"], ["<=3.8"]),
        (["^", "3.8"], [">=3.8,<4.0"]),
        (["~", "3.8"], [">=3.8,<3.9"]),
        (["~=", "3.8"], [">=3.8,<4.0"]),
        (["3.8.*"], ["==3.8.*"]),
        (["==", "3.8.*"], ["==3.8.*"]),
        (["!=", "3.8.*"], ["!=3.8.*"]),
        ([">", "3.8", ",", "<=", "6.5"], [">3.8,<=6.5"]),
        ([">=", "2.7", ",", "!=", "3.0.*", ",", "!=", "3.1.*"], [">=2.7,!=3.0.*,!=3.1.*"]),
        (["~", "2.7", "||", "~", "3.8"], [">=2.7,<2.8", ">=3.8,<3.9"]),
        (
            ["~", "2.7", "||", "~", "3.8", "|", ">=", "3.10", ",", "<", "3.12"],
            [">=2.7,<2.8", ">=3.8,<3.9", ">=3.10,<3.12"],
        ),
    ],
)
@pytest.mark.parametrize("padded", [True, False])
def test_parse_constraint_with_white_space_padding(
    parts: list[str], expected: list[str], padded: bool
) -> None:
    padding = " " * (4 if padded else 0)
    same_versions(padding.join(["", *parts, ""]), *expected)


# Beyond poetry-core's table: what pinaudit needs from the translation.


def test_seed_case() -> None:
    assert to_specifier("^0.13.4") == SpecifierSet(">=0.13.4,<0.14.0")
    assert Version("0.14.0") not in to_specifier("^0.13.4")
    assert Version("0.13.9") in to_specifier("^0.13.4")


def test_space_separated_and() -> None:
    same_versions(">=7.0 <8.0", ">=7.0,<8.0")


def test_local_version_bounds_widen_to_the_public_version() -> None:
    assert to_specifier("^2.0.1+cu118") == SpecifierSet(">=2.0.1,<3.0.0")
    assert Version("2.0.1+cu118") in to_specifier("^2.0.1+cu118")
    assert to_specifier("==2.0.1+cu118") == SpecifierSet("==2.0.1+cu118")


def test_or_is_exact_when_pep440_can_say_it() -> None:
    assert is_exact("^1.2")
    assert is_exact(">=1,<2 || >=1.5,<3")  # overlapping: one interval
    assert to_specifier(">=1,<2 || >=1.5,<3") == SpecifierSet(">=1,<3")
    assert not is_exact("<1.0 || >=1.0")  # "<1.0" also shuts out 1.0's pre-releases
    assert to_specifier("<1.0 || >=1.0") == SpecifierSet()


def test_or_hull_is_conservative() -> None:
    hull = to_specifier("^1.0 || ^3.0")
    assert hull == SpecifierSet(">=1.0,<4.0")
    assert not is_exact("^1.0 || ^3.0")


@pytest.mark.parametrize("bad", ["", "^", "~", ">=abc", "1.2.3 ||", "===="])
def test_invalid_constraints_raise_the_documented_error(bad: str) -> None:
    with pytest.raises(PoetryConstraintError):
        parse_poetry_constraint(bad)


def test_is_pep440() -> None:
    assert is_pep440(">=1.2,<2")
    assert is_pep440("==1.2.*")
    assert not is_pep440("^1.2")
    assert not is_pep440("1.2.3")
    assert not is_pep440("*")


_SIMPLE = st.builds(
    lambda op, major, minor, patch, width: (
        f"{op}{'.'.join(map(str, (major, minor, patch)[:width]))}"
    ),
    st.sampled_from(["^", "~", ">=", "<", "==", "!=", ">", "<=", ""]),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(0, 4),
    st.integers(1, 3),
)
_VERSIONS = st.builds(
    lambda a, b, c, pre: Version(f"{a}.{b}.{c}{pre}"),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.sampled_from(["", "a1", "rc1", ".dev0", ".post1"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_SIMPLE, min_size=1, max_size=2), min_size=1, max_size=3),
    st.lists(_VERSIONS, max_size=20),
)
def test_single_specifier_never_narrower_than_the_constraint(
    groups: list[list[str]], versions: list[Version]
) -> None:
    constraint = " || ".join(",".join(group) for group in groups)
    alternatives = parse_poetry_constraint(constraint)
    single = to_specifier(constraint)
    assert as_range(alternatives).is_subset(as_range([str(single)]))
    for version in versions:
        if any(alternative.contains(version, prereleases=True) for alternative in alternatives):
            assert single.contains(version, prereleases=True)


def test_union_specifier_of_one_set_is_itself() -> None:
    assert union_specifier((SpecifierSet(">=1,<2"),)) == SpecifierSet(">=1,<2")
