"""Evaluate rules inside one environment.

For each package a rule names, the engine asks what the environment lets an
installer pick on each target, and how that relates to the rule's bad range.
A rule matches definitely when, on some target, every package is inside its
bad range; possibly when every package at least overlaps it.  URL, path and
editable entries carry no version the engine can reason about, so they never
make a rule fire: a false alarm costs more trust than a missed one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from pinaudit.findings import Finding, Involved
from pinaudit.model import Dependency, Environment, Role
from pinaudit.ranges import Relation, allowed_range, exact_range, relation
from pinaudit.rulebook import Match, PackageCondition, Rule, RuleKind
from pinaudit.targets import Target, describe, holds, supported_by

_STRENGTH = {Relation.ALWAYS: 2, Relation.SOMETIMES: 1, Relation.NEVER: 0}


def group_by_name(dependencies: Iterable[Dependency]) -> dict[str, list[Dependency]]:
    grouped: dict[str, list[Dependency]] = defaultdict(list)
    for dependency in dependencies:
        if dependency.name:
            grouped[dependency.name].append(dependency)
    return grouped


def allows_prereleases(environment: Environment) -> bool:
    """pip's ``--pre`` in any file of the install widens every range to pre-releases."""
    return any(
        option.name == "--pre" for manifest in environment.manifests for option in manifest.options
    )


def _package_relation(
    entries: Sequence[Dependency],
    rule: Rule,
    condition: PackageCondition,
    target: Target,
    pre: bool,
) -> tuple[Relation, tuple[Dependency, ...]]:
    """Relation of one package on one target, and the entries that decided it.

    A range that admits a bad release of a ``bad-release`` rule is no risk when
    it also admits the release that replaced it: installers pick the newest
    allowed release, and never a yanked one for a range (PEP 592).
    """
    applying = [dep for dep in entries if holds(dep.marker, target)]
    present = any(dep.role is not Role.CONSTRAIN for dep in applying)
    versioned = [dep for dep in applying if dep.url is None and not dep.editable]
    if not present or not versioned:
        return Relation.NEVER, ()
    locked = [dep for dep in versioned if dep.role is Role.LOCK and dep.pinned is not None]
    if locked:
        versions = exact_range(dep.pinned for dep in locked if dep.pinned is not None)
        return relation(versions, condition.range), tuple(locked)
    allowed = allowed_range((dep.specifier for dep in versioned), pre=pre)
    found = relation(allowed, condition.range)
    if (
        found is Relation.SOMETIMES
        and rule.kind is RuleKind.BAD_RELEASE
        and any(allowed.contains(remedy.version) for remedy in rule.remedies)
    ):
        return Relation.NEVER, ()
    # Point at the entry that says the most: a pin before a range, a range before a bare name.
    ordered = sorted(
        versioned,
        key=lambda dep: (
            dep.pinned is None,
            not str(dep.specifier),
            dep.role is Role.CONSTRAIN,
        ),
    )
    return found, tuple(ordered)


def _states_a_version(involved: Sequence[Involved]) -> bool:
    """Whether the files say anything about the versions of the packages involved.

    Two bare names (``pytest``, ``pytest-asyncio``) permit every combination
    there is; reporting each rule about them would drown the findings that
    pins and ranges really cause.  A possible match needs at least one pin,
    bound or lock among the entries involved; ``!=`` exclusions alone bound
    nothing.
    """
    return any(
        dep.role is Role.LOCK or any(clause.operator != "!=" for clause in dep.specifier)
        for item in involved
        for dep in item.dependencies
    )


def evaluate_rule(
    rule: Rule,
    grouped: Mapping[str, Sequence[Dependency]],
    targets: Sequence[Target],
    environment: str,
    pre: bool = False,
) -> Finding | None:
    if any(name not in grouped for name in rule.names):
        return None
    best = 0
    matched: list[Target] = []
    involved: tuple[Involved, ...] = ()
    for target in targets:
        if not holds(rule.marker, target):
            continue
        items: list[Involved] = []
        for position, condition in enumerate(rule.packages):
            entries = grouped[condition.name]
            if rule.kind is RuleKind.STALE_CAP and position == len(rule.packages) - 1:
                # The capped package comes last; a lock that merely holds an old
                # release is not a cap, only a declared entry is.
                entries = [dep for dep in entries if dep.role is not Role.LOCK]
            found, deciding = _package_relation(entries, rule, condition, target, pre)
            if found is Relation.NEVER:
                break
            items.append(Involved(condition.name, found, deciding))
        else:
            strength = min(_STRENGTH[item.relation] for item in items)
            if strength > best:
                best, matched, involved = strength, [target], tuple(items)
            elif strength == best:
                matched.append(target)
    if best == 0:
        return None
    match = Match.DEFINITE if best == 2 else Match.POSSIBLE
    if match is Match.POSSIBLE and not (rule.reports_possible and _states_a_version(involved)):
        return None
    return Finding(rule, match, environment, involved, describe(matched, targets))


def environment_targets(environment: Environment, targets: Sequence[Target]) -> tuple[Target, ...]:
    """The targets narrowed by what the environment's manifests say of Python."""
    requires = [m.requires_python for m in environment.manifests if m.requires_python is not None]
    return supported_by(requires, targets)


def evaluate(
    environment: Environment,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
) -> list[Finding]:
    """Every finding of the indexed rules in one environment, in rule order."""
    targets = environment_targets(environment, targets)
    grouped = group_by_name(environment.dependencies)
    candidates: dict[str, Rule] = {}
    for name in grouped:
        for rule in index.get(name, ()):
            candidates.setdefault(rule.code, rule)
    findings = []
    pre = allows_prereleases(environment)
    for code in sorted(candidates):
        finding = evaluate_rule(candidates[code], grouped, targets, environment.name, pre)
        if finding is not None:
            findings.append(finding)
    return findings
