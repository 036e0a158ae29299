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
from dataclasses import dataclass

from packaging.markers import Marker
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.findings import Finding, Involved
from pinaudit.model import Dependency, Environment, Role
from pinaudit.ranges import Relation, allowed_range, exact_range, relation
from pinaudit.rulebook import Match, PackageCondition, Rule, RuleKind
from pinaudit.screen import Screen, admits, any_excludes, first_plain_pin, pin_decides
from pinaudit.targets import Target, describe, holds, holds_mask, supported_by

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


@dataclass(frozen=True, slots=True)
class _Allowed:
    """What one package's applying entries let an installer pick.

    ``versions`` is None when the package is absent there, or present only
    through entries (URL, path, editable) that carry no version, or when
    ``pin`` says it instead: then exactly that version (and its local builds)
    is allowed, and ``sets`` (read under ``pre``) give the range on demand.
    """

    versions: VersionRange | None
    deciding: tuple[Dependency, ...]
    locked: bool
    pin: Version | None = None
    sets: tuple[SpecifierSet, ...] = ()
    pre: bool = False


_ABSENT = _Allowed(None, (), False)


class _Column:
    """Which entries of one package apply on each of the view's targets.

    ``sets`` holds the distinct entry sets and ``on`` the position of each
    target's set in it, so a rule finds the targets that get the same answer
    by comparing small integers instead of re-filtering entries per target.
    """

    __slots__ = ("on", "sets")

    def __init__(self, sets: tuple[tuple[Dependency, ...], ...], on: tuple[int, ...]) -> None:
        self.sets = sets
        self.on = on


class _View:
    """One environment as the engine reads it, with every derived value memoised.

    Rules and targets ask the same questions many times over (what does this
    package allow on this target?); with markers absent, every target has the
    same answer.  So answers are keyed by the entries that apply, not by the
    target or the rule, and computed once per environment.
    """

    def __init__(
        self, grouped: Mapping[str, Sequence[Dependency]], pre: bool, targets: Sequence[Target]
    ) -> None:
        self.grouped = grouped
        self.pre = pre
        self.targets = tuple(targets)
        self._columns: dict[tuple[str, bool], _Column] = {}
        # Keyed by the entries' identities: they live as long as the view, and
        # hashing frozen dataclasses that hold specifier sets is not cheap.
        self._allowed: dict[tuple[int, ...], _Allowed] = {}
        self._screens: dict[tuple[str, bool], Screen | None] = {}
        self._everywhere = (1 << len(self.targets)) - 1
        # Keyed by the markers' identities; the entries keep them alive.
        self._masks: dict[int, int] = {}

    def mask(self, marker: Marker | None) -> int:
        """:func:`holds_mask` on the view's targets, without hashing them each time."""
        if marker is None:
            return self._everywhere
        found = self._masks.get(id(marker))
        if found is None:
            found = self._masks[id(marker)] = holds_mask(marker, self.targets)
        return found

    def column(self, name: str, declared_only: bool) -> _Column:
        """The entries of ``name`` (without locks when ``declared_only``) on each target."""
        key = (name, declared_only)
        found = self._columns.get(key)
        if found is not None:
            return found
        entries = tuple(
            dep for dep in self.grouped[name] if not (declared_only and dep.role is Role.LOCK)
        )
        if all(dep.marker is None for dep in entries):
            found = _Column((entries,), (0,) * len(self.targets))
        else:
            masks = [self.mask(dep.marker) for dep in entries]
            slots: dict[int, int] = {}
            sets: list[tuple[Dependency, ...]] = []
            on: list[int] = []
            for position in range(len(self.targets)):
                # Which entries apply here, as bits: targets with the same bits
                # see the same entries.
                applying = 0
                for number, mask in enumerate(masks):
                    applying |= (mask >> position & 1) << number
                slot = slots.get(applying)
                if slot is None:
                    slot = slots[applying] = len(sets)
                    sets.append(
                        tuple(
                            dep
                            for dep, mask in zip(entries, masks, strict=True)
                            if mask >> position & 1
                        )
                    )
                on.append(slot)
            found = _Column(tuple(sets), tuple(on))
        self._columns[key] = found
        return found

    def screen(self, name: str, declared_only: bool) -> Screen | None:
        """Entries that hold on every target, for ``any_excludes``: pins, then other ranges.

        Pins come apart because a pin is tested with one membership test, a
        range only after building its range.  An entry whose marker holds on
        every target counts as much as one without a marker.  Empty when a
        lock decides the package (unless ``declared_only``): a lock overrides
        what the manifests declare, so their ranges prove nothing about it.
        None when nothing installs the package at all, because every entry
        only constrains it (``-c``): then no rule about it can match.
        """
        key = (name, declared_only)
        screens = self._screens
        if key not in screens:
            pins: list[Dependency] = []
            ranges: list[Dependency] = []
            locked = declared = False
            everywhere = self._everywhere
            for dep in self.grouped[name]:
                role = dep.role
                if role is Role.LOCK:
                    locked = True
                    continue
                if role is not Role.CONSTRAIN:
                    declared = True
                if dep.url is not None or dep.editable:
                    continue
                marker = dep.marker
                if marker is not None and self.mask(marker) != everywhere:
                    continue
                if dep.pinned is not None:
                    pins.append(dep)
                elif len(dep.specifier):
                    ranges.append(dep)
            screen = (tuple(pins), tuple(ranges))
            screens[(name, True)] = screen if declared else None
            if not (declared or locked):
                screens[(name, False)] = None
            else:
                screens[(name, False)] = ((), ()) if locked else screen
        return screens[key]

    def allowed(self, entries: tuple[Dependency, ...]) -> _Allowed:
        key = tuple(map(id, entries))
        found = self._allowed.get(key)
        if found is None:
            found = self._compute(entries)
            self._allowed[key] = found
        return found

    def _compute(self, applying: tuple[Dependency, ...]) -> _Allowed:
        present = any(dep.role is not Role.CONSTRAIN for dep in applying)
        versioned = [dep for dep in applying if dep.url is None and not dep.editable]
        if not present or not versioned:
            return _ABSENT
        locked = [dep for dep in versioned if dep.role is Role.LOCK and dep.pinned is not None]
        if locked:
            versions = exact_range(dep.pinned for dep in locked if dep.pinned is not None)
            return _Allowed(versions, tuple(locked), True)
        # Point at the entry that says the most: a pin, then a range, then a bare name.
        ordered = tuple(
            sorted(
                versioned,
                key=lambda dep: (
                    dep.pinned is None,
                    len(dep.specifier) == 0,
                    dep.role is Role.CONSTRAIN,
                ),
            )
        )
        sets = tuple(dep.specifier for dep in versioned)
        pin = first_plain_pin(ordered)
        if pin is not None:
            admitted = [admits(specifier, pin) for specifier in sets]
            if all(admitted):
                return _Allowed(None, ordered, False, pin, sets, self.pre)
            if False in admitted and None not in admitted:
                return _ABSENT  # the pin and some range exclude each other: nothing to install
        return _Allowed(_allowed_by_identity(sets, self.pre), ordered, False)


#: ``allowed_range`` results keyed by the identities of the specifier sets.
#: Parsers share one SpecifierSet per text, so a monorepo asks about the same
#: few thousand objects again and again; hashing them clause by clause (which
#: re-canonicalises every version) cost more than the range algebra.  The
#: objects are kept in the value, so their ids cannot be reused while cached.
_ALLOWED: dict[tuple[tuple[int, ...], bool], tuple[tuple[SpecifierSet, ...], VersionRange]] = {}
_ALLOWED_LIMIT = 65536


def _allowed_by_identity(specifiers: tuple[SpecifierSet, ...], pre: bool) -> VersionRange:
    key = (tuple(map(id, specifiers)), pre)
    found = _ALLOWED.get(key)
    if found is None:
        if len(_ALLOWED) >= _ALLOWED_LIMIT:
            _ALLOWED.clear()
        found = _ALLOWED[key] = (specifiers, allowed_range(specifiers, pre=pre))
    return found[1]


def _package_relation(
    allowed: _Allowed, rule: Rule, condition: PackageCondition
) -> tuple[Relation, tuple[Dependency, ...]]:
    """Relation of one package to a rule's bad range, and the entries that decided it.

    A range that admits a bad release of a ``bad-release`` rule is no risk when
    it also admits the release that replaced it: installers pick the newest
    allowed release, and never a yanked one for a range (PEP 592).
    """
    versions = allowed.versions
    if versions is None:
        if allowed.pin is None:
            return Relation.NEVER, ()
        if pin_decides(condition):
            inside = condition.range.contains(allowed.pin)
            return (Relation.ALWAYS, allowed.deciding) if inside else (Relation.NEVER, ())
        versions = _allowed_by_identity(allowed.sets, allowed.pre)
    found = relation(versions, condition.range)
    if (
        found is Relation.SOMETIMES
        and not allowed.locked
        and rule.kind is RuleKind.BAD_RELEASE
        and any(versions.contains(remedy.version) for remedy in rule.remedies)
    ):
        return Relation.NEVER, ()
    return found, allowed.deciding


def _admits_a_remedy(rule: Rule, view: _View) -> bool:
    """Whether every entry of some package admits a final remedy release outside the bad range.

    Then on every target the range an installer gets holds that release, so
    a bad release in it is no risk (see :func:`_package_relation`), and the
    rule cannot match; one membership test per entry, no range.  Locks are
    left to the full answer: a locked bad release is what gets installed.
    (The rule validator already refuses a remedy inside the bad range; rules
    built in code are not validated.)
    """
    for condition in rule.packages:
        entries = view.grouped[condition.name]
        if any(dep.role is Role.LOCK for dep in entries):
            continue
        for remedy in rule.remedies:
            version = remedy.version
            if version.is_prerelease or condition.range.contains(version):
                continue
            if all(
                dep.url is not None or dep.editable or admits(dep.specifier, version)
                for dep in entries
            ):
                return True
    return False


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


def evaluate_rule(rule: Rule, view: _View, environment: str) -> Finding | None:
    """The finding of one rule whose packages are all present in the view, if it matches.

    Most rules fail on one entry alone, so cheap proofs that the rule cannot
    match come first (:func:`screened_out`); only then the full answer
    (:func:`decide`), which gives the same result, slower.
    """
    if screened_out(rule, view):
        return None
    return decide(rule, view, environment)


def _capped(rule: Rule) -> int:
    """The position of the package whose declared entries alone count; -1 for none.

    A stale cap's capped package comes last; a lock that merely holds an old
    release is not a cap, only a declared entry is.
    """
    return len(rule.packages) - 1 if rule.kind is RuleKind.STALE_CAP else -1


def screened_out(rule: Rule, view: _View) -> bool:
    """True when the rule cannot match, proved without any range being combined.

    A package nothing installs (only ``-c`` constraints name it), an entry
    outside the bad range (see :mod:`pinaudit.screen`), or, for a bad
    release, entries that all admit its replacement.
    """
    capped = _capped(rule)
    screens: list[Screen] = []
    for position, condition in enumerate(rule.packages):
        found = view.screen(condition.name, position == capped)
        if found is None:
            return True
        screens.append(found)
    if any_excludes(rule.packages, screens):
        return True
    return rule.kind is RuleKind.BAD_RELEASE and _admits_a_remedy(rule, view)


def decide(rule: Rule, view: _View, environment: str) -> Finding | None:
    """The finding of one rule, by the full range algebra on every group of targets."""
    targets = view.targets
    capped = _capped(rule)
    columns = [
        view.column(condition.name, position == capped)
        for position, condition in enumerate(rule.packages)
    ]
    # Targets on which the same entries apply get the same answer: group them.
    groups: dict[tuple[int, ...], list[Target]] = {}
    if rule.marker is None and all(len(column.sets) == 1 for column in columns):
        if targets:
            groups[(0,) * len(columns)] = list(targets)
    else:
        slots = zip(*(column.on for column in columns), strict=True)
        for target, key in zip(targets, slots, strict=True):
            if holds(rule.marker, target):
                groups.setdefault(key, []).append(target)
    best = 0
    matched: list[Target] = []
    involved: tuple[Involved, ...] = ()
    for key, group in groups.items():
        items: list[Involved] = []
        for condition, column, slot in zip(rule.packages, columns, key, strict=True):
            found, deciding = _package_relation(view.allowed(column.sets[slot]), rule, condition)
            if found is Relation.NEVER:
                break
            items.append(Involved(condition.name, found, deciding))
        else:
            strength = min(_STRENGTH[item.relation] for item in items)
            if strength > best:
                best, matched, involved = strength, list(group), tuple(items)
            elif strength == best:
                matched.extend(group)
    if best == 0:
        return None
    match = Match.DEFINITE if best == 2 else Match.POSSIBLE
    if match is Match.POSSIBLE and not (rule.reports_possible and _states_a_version(involved)):
        return None
    chosen = set(matched)
    ordered = [target for target in targets if target in chosen]
    return Finding(rule, match, environment, involved, describe(ordered, targets))


def environment_targets(environment: Environment, targets: Sequence[Target]) -> tuple[Target, ...]:
    """The targets narrowed by what the environment's manifests say of Python."""
    requires = [m.requires_python for m in environment.manifests if m.requires_python is not None]
    return supported_by(requires, targets)


class Decided:
    """What a run of several environments has already decided, to decide it once.

    A rule's answer depends on nothing but the entries of the packages it
    names, the targets and whether pre-releases are on.  Environments that
    share those (services whose only entries for ``urllib3`` come from a
    shared base file) would rebuild an identical finding, which the run
    reports once anyway (:meth:`Finding.key` names the entries' locations).
    So the second time the answer is not computed at all.  Keys hold the
    entries' identities, which is safe because the run keeps every environment
    alive meanwhile; targets may be built per environment, so they are keyed
    by value (:meth:`setting`).
    """

    __slots__ = ("_first", "_index", "_keys", "_settings")

    def __init__(self) -> None:
        self._keys: set[tuple[object, ...]] = set()
        self._settings: dict[tuple[bool, tuple[Target, ...]], int] = {}
        self._first: dict[str, tuple[Rule, ...]] = {}
        self._index: Mapping[str, Sequence[Rule]] | None = None

    def first_named(self, index: Mapping[str, Sequence[Rule]], name: str) -> tuple[Rule, ...]:
        """The rules whose first package is ``name``: a rule needs all its packages,
        so finding it under its first one is enough, and finds it once.

        Asked per name, through ``index.get`` alone, so a lazily built index
        (:class:`pinaudit.rulecache.RuleIndex`) still builds only what is asked.
        """
        if index is not self._index:
            self._index = index
            self._first = {}
        found = self._first.get(name)
        if found is None:
            rules = index.get(name) or ()
            found = self._first[name] = tuple(
                rule for rule in rules if rule.packages[0].name == name
            )
        return found

    def setting(self, pre: bool, targets: tuple[Target, ...]) -> int:
        """A small number for the targets and ``--pre``: equal values, equal numbers."""
        return self._settings.setdefault((pre, targets), len(self._settings))

    def first(self, key: tuple[object, ...]) -> bool:
        """True the first time ``key`` is seen."""
        if key in self._keys:
            return False
        self._keys.add(key)
        return True


def evaluate(
    environment: Environment,
    index: Mapping[str, Sequence[Rule]],
    targets: Sequence[Target],
    decided: Decided | None = None,
) -> list[Finding]:
    """Every finding of the indexed rules in one environment, in rule order.

    With ``decided``, a rule already decided on the same entries in an earlier
    environment of the run is skipped: its finding, if any, was reported there.
    """
    targets = environment_targets(environment, targets)
    grouped = group_by_name(environment.dependencies)
    candidates: dict[str, Rule] = {}
    for name in grouped:
        rules = index.get(name) if decided is None else decided.first_named(index, name)
        if not rules:
            continue
        for rule in rules:
            if rule.code in candidates:
                continue
            for condition in rule.packages:
                if condition.name not in grouped:
                    break
            else:
                candidates[rule.code] = rule
    findings = []
    pre = allows_prereleases(environment)
    view = _View(grouped, pre, targets)
    if decided is not None:
        identities: dict[str, tuple[int, ...]] = {}
        setting = decided.setting(pre, targets)
    for code in sorted(candidates):
        rule = candidates[code]
        if decided is not None:
            key: list[object] = [code, setting]
            for condition in rule.packages:
                entries = identities.get(condition.name)
                if entries is None:
                    entries = identities[condition.name] = tuple(map(id, grouped[condition.name]))
                key.append(entries)
            if not decided.first(tuple(key)):
                continue
        finding = evaluate_rule(rule, view, environment.name)
        if finding is not None:
            findings.append(finding)
    return findings
