"""How what a dependency allows relates to a rule's bad range.

The interval arithmetic itself is packaging's (``SpecifierSet.to_range()``);
this module only decides the three-valued relation the engine needs and keeps
the pre-release policy consistent between the two operands.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version


class Relation(enum.Enum):
    """Whether every, some or none of the allowed versions fall in a bad range."""

    ALWAYS = "always"
    SOMETIMES = "sometimes"
    NEVER = "never"


def bad_range(specifier: SpecifierSet) -> VersionRange:
    """A rule's bad range; pre-releases inside it count as bad too."""
    return SpecifierSet(str(specifier), prereleases=True).to_range()


def allowed_range(specifiers: Iterable[SpecifierSet]) -> VersionRange:
    """What a set of specifiers lets an installer pick, all applying at once."""
    combined = SpecifierSet("", prereleases=True)
    for specifier in specifiers:
        combined &= SpecifierSet(str(specifier), prereleases=True)
    return combined.to_range()


def exact_range(versions: Iterable[Version]) -> VersionRange:
    """The versions a lockfile holds, as a range."""
    result = VersionRange.empty(prereleases=True)
    for version in versions:
        result = result | SpecifierSet(f"=={version}", prereleases=True).to_range()
    return result


def relation(allowed: VersionRange, bad: VersionRange) -> Relation:
    if allowed.is_empty or allowed.is_disjoint(bad):
        return Relation.NEVER
    if allowed.is_subset(bad):
        return Relation.ALWAYS
    return Relation.SOMETIMES
