"""The hot-path constructors build exactly the frozen dataclasses their classes do."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit import model
from pinaudit.model import Dependency, Role, Span, make_dependency, make_span


def test_the_slot_lists_follow_the_dataclass_fields() -> None:
    assert tuple(field.name for field in dataclasses.fields(Span)) == model._SPAN_SLOTS
    assert tuple(field.name for field in dataclasses.fields(Dependency)) == model._DEPENDENCY_SLOTS


def test_make_span_equals_the_constructor_and_stays_frozen() -> None:
    built = make_span(3, 9, 2, 1, 2, 7)
    assert built == Span(3, 9, 2, 1, 2, 7)
    assert hash(built) == hash(Span(3, 9, 2, 1, 2, 7))
    assert repr(built) == repr(Span(3, 9, 2, 1, 2, 7))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.start = 0  # type: ignore[misc]


def test_make_dependency_equals_the_constructor_and_stays_frozen() -> None:
    arguments = (
        "uvicorn",
        "Uvicorn",
        SpecifierSet("==0.13.4"),
        Path("requirements.txt"),
        Span(0, 16, 1, 1, 1, 17),
        Span(7, 16, 1, 8, 1, 17),
        frozenset({"standard"}),
        Marker('python_version >= "3.11"'),
        None,
        False,
        Version("0.13.4"),
        ("sha256:00",),
        Role.CONSTRAIN,
        "dev",
        'Uvicorn[standard]==0.13.4 ; python_version >= "3.11"',
    )
    built = make_dependency(*arguments)
    expected = Dependency(*arguments)
    assert built == expected
    assert hash(built) == hash(expected)
    assert [getattr(built, name) for name in model._DEPENDENCY_SLOTS] == list(arguments)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.name = "other"  # type: ignore[misc]
