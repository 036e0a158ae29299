"""Specifier moves keep the user's shape and always leave the bad range."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.specedit import format_like, move_specifier


@pytest.mark.parametrize(
    ("written", "target", "bad", "expected"),
    [
        ("==0.13.4", "0.14.0", "<0.14.0", "==0.14.0"),
        (">=0.13,<0.14", "0.14.0", "<0.14.0", ">=0.14,<0.15"),
        (">= 0.13 , <0.14", "0.14.0", "<0.14.0", ">= 0.14 , <0.15"),
        (">=0.11", "0.14.0", "<0.14.0", ">=0.14"),
        (">0.12", "0.14.0", "<0.14.0", ">=0.14"),
        ("", "0.14.0", "<0.14.0", ">=0.14.0"),
        ("~=0.13.0", "0.14.0", "<0.14.0", "~=0.14.0"),
        ("~=1.2", "1.4.0", "<1.4", "~=1.4"),
        ("==0.13.*", "0.14.0", "<0.14.0", "==0.14.*"),
        ("==0.15.*", "1.0.0", "<1.0.0", "==1.0.*"),
        ("==1.0.0", "0.15.0", ">=1.0.0", "==0.15.0"),
        (">=1.0", "0.15.0", ">=1.0.0", ">=0.15,<1.0.0"),
        ("", "0.15.0", ">=1.0.0", "<1.0.0"),
        ("==2.32.0", "2.32.2", ">=2.32.0,<2.32.2", "==2.32.2"),
        ("===0.13.4", "0.14.0", "<0.14.0", "===0.14.0"),
        (">=0.13,!=0.13.2,<0.14", "0.14.0", "<0.14.0", ">=0.14,!=0.13.2,<0.15"),
    ],
)
def test_moves_keep_shape(written: str, target: str, bad: str, expected: str) -> None:
    moved = move_specifier(written, Version(target), SpecifierSet(bad))
    assert moved == expected
    assert SpecifierSet(moved).contains(target, prereleases=True)


def test_nothing_to_do_returns_the_text_unchanged() -> None:
    assert move_specifier(">=0.14", Version("0.14.0"), SpecifierSet("<0.14.0")) == ">=0.14"


def test_excluding_the_target_cannot_be_moved() -> None:
    assert move_specifier("!=0.14.0", Version("0.14.0"), SpecifierSet("<0.14.0")) is None


def test_garbage_between_clauses_is_refused() -> None:
    assert move_specifier(">=0.13 foo <0.14", Version("0.14.0"), SpecifierSet("<0.14.0")) is None


@pytest.mark.parametrize(
    ("written", "target", "expected"),
    [
        ("0.13", "0.14.0", "0.14"),
        ("0.13.4", "0.14.0", "0.14.0"),
        ("1", "1.2.0", "1.2.0"),
        ("1.0", "2.0rc1", "2.0rc1"),
    ],
)
def test_format_like_keeps_precision_without_losing_information(
    written: str, target: str, expected: str
) -> None:
    assert format_like(written, Version(target)) == expected


# -- Poetry constraints and Pipfile / PDM versions ------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pinaudit.poetry_constraints import parse_poetry_constraint  # noqa: E402
from pinaudit.ranges import Relation, allowed_range, bad_range, relation  # noqa: E402
from pinaudit.specedit import move_bare_version, move_poetry_constraint  # noqa: E402


def _poetry_ok(text: str, target: Version, bad: SpecifierSet) -> bool:
    alternatives = parse_poetry_constraint(text)
    return any(a.contains(target, prereleases=True) for a in alternatives) and all(
        relation(allowed_range([a]), bad_range(bad)) is Relation.NEVER for a in alternatives
    )


@pytest.mark.parametrize(
    ("written", "target", "bad", "expected"),
    [
        ("^0.13.4", "0.14.0", "<0.14.0", "^0.14.0"),
        ("~0.13.4", "0.14.0", "<0.14.0", "~0.14.0"),
        ("^0.13", "0.14.0", "<0.14.0", "^0.14"),
        ("~=0.13.4", "0.14.0", "<0.14.0", "~=0.14.0"),
        ("0.13.4", "0.14.0", "<0.14.0", "0.14.0"),
        ("=0.13.4", "0.14.0", "<0.14.0", "=0.14.0"),
        ("0.13.*", "0.14.0", "<0.14.0", "0.14.*"),
        ("*", "0.14.0", "<0.14.0", ">=0.14.0"),
        (">=0.13,<0.14", "0.14.0", "<0.14.0", ">=0.14,<0.15"),
        (">= 0.13, < 0.14", "0.14.0", "<0.14.0", ">= 0.14, < 0.15"),
        (">=7.0 <8.0", "8.1.0", "<8.1", ">=8.1 <8.2"),
        ("<0.14", "0.14.0", "<0.14.0", ">=0.14,<0.15"),
        ("^1.0.0", "0.15.0", ">=1.0.0", "^0.15.0"),
        (">=1.0", "0.15.0", ">=1.0.0", ">=0.15,<1.0.0"),
        ("^0.12 || ^0.13", "0.14.0", "<0.14.0", "^0.14"),
        ("^1.2.3", "2.0.0", "<2.0.0", "^2.0.0"),
    ],
)
def test_poetry_moves_keep_poetry_syntax(
    written: str, target: str, bad: str, expected: str
) -> None:
    moved = move_poetry_constraint(written, Version(target), SpecifierSet(bad))
    assert moved == expected
    assert _poetry_ok(moved, Version(target), SpecifierSet(bad))


def test_poetry_nothing_to_do_and_impossible() -> None:
    assert move_poetry_constraint("^0.14", Version("0.14.0"), SpecifierSet("<0.14.0")) == "^0.14"
    assert move_poetry_constraint("!=0.14.0", Version("0.14.0"), SpecifierSet("<0.14.0")) is None
    assert move_poetry_constraint("^0.13 foo", Version("0.14.0"), SpecifierSet("<0.14.0")) is None


@given(
    op=st.sampled_from(["^", "~", "", "==", ">=", "~="]),
    written=st.lists(st.integers(0, 12), min_size=1, max_size=3),
    target=st.lists(st.integers(0, 12), min_size=1, max_size=3),
    upgrade=st.booleans(),
)
def test_poetry_moves_always_admit_the_target_and_leave_the_bad_range(
    op: str, written: list[int], target: list[int], upgrade: bool
) -> None:
    version = Version(".".join(map(str, target)))
    text = op + ".".join(map(str, written))
    bad = SpecifierSet(f"<{version}" if upgrade else f">{version}")
    try:
        parse_poetry_constraint(text)
    except ValueError:
        return
    moved = move_poetry_constraint(text, version, bad)
    if moved is not None:
        assert _poetry_ok(moved, version, bad), (text, moved)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("==0.13.4", "==0.14.0"),
        ("0.13.4", "0.14.0"),
        ("0.13.*", "0.14.*"),
        ("*", ">=0.14.0"),
        (">=0.13", ">=0.14"),
        ("~=0.13.0", "~=0.14.0"),
    ],
)
def test_pipfile_versions_keep_their_spelling(written: str, expected: str) -> None:
    assert move_bare_version(written, Version("0.14.0"), SpecifierSet("<0.14.0")) == expected


@pytest.mark.parametrize("target", ["2.7.0+cu128", "2.7.0"])
def test_a_local_target_is_bounded_by_its_public_version(target: str) -> None:
    """``<2.7.0+cu128`` is no specifier; a torch build from a CUDA index is a
    real target.  The edit is made or declined, never raised."""
    moved = move_specifier(">=2.5,<2.7", Version(target), SpecifierSet("<2.7"))
    assert moved is None or SpecifierSet(moved).contains(target)
