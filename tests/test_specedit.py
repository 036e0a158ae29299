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
