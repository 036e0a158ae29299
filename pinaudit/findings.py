"""What the engine reports: a rule, how sure the match is, and the entries involved."""

from __future__ import annotations

from dataclasses import dataclass

from pinaudit.model import Dependency
from pinaudit.ranges import Relation
from pinaudit.rulebook import Match, Rule


@dataclass(frozen=True, slots=True)
class Involved:
    """One package of a rule as the environment states it.

    ``dependencies`` are the entries that decided the relation, the one a
    finding points at first.
    """

    name: str
    relation: Relation
    dependencies: tuple[Dependency, ...]

    @property
    def primary(self) -> Dependency:
        return self.dependencies[0]

    @property
    def versions(self) -> str:
        """What the environment allows of this package, in words for a message."""
        locked = sorted({dep.pinned for dep in self.dependencies if dep.pinned is not None})
        if locked:
            return " or ".join(str(version) for version in locked)
        specifiers = [str(dep.specifier) for dep in self.dependencies if str(dep.specifier)]
        return ",".join(specifiers) if specifiers else "any version"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule matched in one environment; ``involved`` holds the entries that decided it."""

    rule: Rule
    match: Match
    environment: str
    involved: tuple[Involved, ...]
    where: str = ""
    detail: str = ""

    @property
    def primary(self) -> Dependency:
        return self.involved[0].primary

    @property
    def message(self) -> str:
        if self.detail:
            return self.detail + (f" [{self.where}]" if self.where else "")
        parts = " with ".join(f"{item.name} {item.versions}" for item in self.involved)
        prefix = "" if self.match is Match.DEFINITE else "ranges permit: "
        suffix = f" [{self.where}]" if self.where else ""
        return f"{prefix}{parts}: {self.rule.summary}{suffix}"

    def identity(self) -> tuple[str, str, tuple[str, ...]]:
        """Rule, environment and packages: stable under edits that move offsets."""
        return (self.rule.code, self.environment, tuple(item.name for item in self.involved))

    def key(self) -> tuple[str, tuple[tuple[str, str, int], ...]]:
        """Identity across environments, so a file shared by two is reported once."""
        return (
            self.rule.code,
            tuple(
                (item.name, str(item.primary.path), item.primary.span.start)
                for item in self.involved
            ),
        )
