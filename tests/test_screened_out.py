"""The engine's cheap proofs (``screened_out``) must agree with its full answer (``decide``).

``evaluate_rule`` first tries to prove, without combining any range, that a
rule cannot match: a package only ``-c`` names, an entry outside the bad
range (pins, ranges, and markers that hold on every target), two pins that
disagree, a bad release whose replacement every entry admits.  Each proof is
a shortcut to the answer the full range algebra gives, so over generated
environments the two must be equal, finding for finding.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from pinaudit.engine import _View, decide, evaluate_rule, screened_out
from pinaudit.model import Dependency, Role, Span
from pinaudit.ranges import bad_range
from pinaudit.rulebook import PackageCondition, Reference, Remedy, Rule, RuleKind, Severity
from pinaudit.targets import make_targets
from tests.test_ranges import PROPERTY, specifier_sets, versions

_SPAN = Span(0, 1, 1, 1, 1, 2)
TARGETS = make_targets(["3.11", "3.12", "3.13"])
#: None, a marker that holds on every target, one that holds on some, one on none.
MARKERS = (
    None,
    Marker('python_version >= "3.11"'),
    Marker('python_version < "3.12"'),
    Marker('python_version < "3.8"'),
)


def dependency(
    name: str,
    specifier: SpecifierSet,
    role: Role = Role.REQUIRE,
    marker: Marker | None = None,
    url: str | None = None,
    line: int = 1,
) -> Dependency:
    clauses = list(specifier)
    pinned = None
    if len(clauses) == 1 and clauses[0].operator in ("==", "===") and "*" not in clauses[0].version:
        try:
            pinned = Version(clauses[0].version)
        except InvalidVersion:
            pinned = None
    span = Span(line, 1, line, 1, 1, 2)
    return Dependency(
        name, name, specifier, Path("r.txt"), span, marker=marker, url=url, pinned=pinned, role=role
    )


def rule(kind: RuleKind, bads: list[SpecifierSet], remedies: list[str]) -> Rule:
    names = ("alpha", "beta")[: len(bads)]
    return Rule(
        code="PA9999",
        slug="generated",
        kind=kind,
        severity=Severity.WARNING,
        summary="generated",
        packages=tuple(
            PackageCondition(name, bad, bad_range(bad))
            for name, bad in zip(names, bads, strict=True)
        ),
        remedies=tuple(Remedy(names[0], Version(version)) for version in remedies),
        references=(Reference("https://example.org/issue/1", "issue"),),
    )


@st.composite
def entries(draw: st.DrawFn, name: str) -> list[Dependency]:
    found: list[Dependency] = []
    for line in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["pin", "range", "range", "constrain", "lock", "url"]))
        marker = draw(st.sampled_from(MARKERS))
        if shape == "pin":
            specifier = SpecifierSet(f"=={draw(versions(local=False))}")
            found.append(dependency(name, specifier, marker=marker, line=line + 1))
        elif shape == "range":
            found.append(dependency(name, draw(specifier_sets(2)), marker=marker, line=line + 1))
        elif shape == "constrain":
            specifier = draw(specifier_sets(2))
            found.append(dependency(name, specifier, Role.CONSTRAIN, marker, line=line + 1))
        elif shape == "lock":
            locked = SpecifierSet(f"=={draw(versions(local=False))}")
            found.append(dependency(name, locked, Role.LOCK, line=line + 1))
        else:
            url = "https://example.org/pkg.whl"
            found.append(dependency(name, SpecifierSet(), url=url, line=line + 1))
    return found


@PROPERTY
@given(
    kind=st.sampled_from(list(RuleKind)[:3]),
    bads=st.lists(specifier_sets(2), min_size=1, max_size=2),
    remedies=st.lists(versions(), max_size=2),
    alpha=entries("alpha"),
    beta=entries("beta"),
    pre=st.booleans(),
)
def test_the_screen_agrees_with_the_full_answer(
    kind: RuleKind,
    bads: list[SpecifierSet],
    remedies: list[str],
    alpha: list[Dependency],
    beta: list[Dependency],
    pre: bool,
) -> None:
    if kind is RuleKind.BAD_RELEASE:
        bads = bads[:1]
    elif len(bads) < 2:
        bads = [*bads, SpecifierSet()]
    generated = rule(kind, bads, remedies)
    view = _View({"alpha": alpha, "beta": beta}, pre, TARGETS)
    full = decide(generated, view, "r.txt")
    context = (
        f"kind={kind} bads={[str(b) for b in bads]} remedies={remedies} pre={pre}\n"
        f"alpha={[(str(d.specifier), d.role, str(d.marker), d.url) for d in alpha]}\n"
        f"beta={[(str(d.specifier), d.role, str(d.marker), d.url) for d in beta]}"
    )
    assert evaluate_rule(generated, view, "r.txt") == full, context
    screened = screened_out(generated, view)
    if screened:
        assert full is None, context
    event("screened out" if screened else "no finding" if full is None else str(full.match))


def seed_view(*lines: tuple[str, str, Role, Marker | None]) -> _View:
    grouped: dict[str, list[Dependency]] = {}
    for number, (name, text, role, marker) in enumerate(lines, start=1):
        grouped.setdefault(name, []).append(
            dependency(name, SpecifierSet(text), role, marker, line=number)
        )
    return _View(grouped, False, TARGETS)


COMBINATION = rule(RuleKind.COMBINATION, [SpecifierSet("<0.14"), SpecifierSet(">=1.0")], [])


def test_a_package_only_constrained_is_screened_out() -> None:
    view = seed_view(
        ("alpha", "==0.13.4", Role.REQUIRE, None), ("beta", "==1.0", Role.CONSTRAIN, None)
    )
    assert screened_out(COMBINATION, view)
    assert decide(COMBINATION, view, "r.txt") is None
    required = seed_view(
        ("alpha", "==0.13.4", Role.REQUIRE, None), ("beta", "==1.0", Role.REQUIRE, None)
    )
    assert not screened_out(COMBINATION, required)
    assert decide(COMBINATION, required, "r.txt") is not None


def test_a_marker_that_holds_on_every_target_screens_like_none() -> None:
    everywhere, somewhere = MARKERS[1], MARKERS[2]
    fixed = seed_view(
        ("alpha", "==0.14.0", Role.REQUIRE, everywhere), ("beta", "==1.0", Role.REQUIRE, None)
    )
    assert screened_out(COMBINATION, fixed)
    partly = seed_view(
        ("alpha", "==0.14.0", Role.REQUIRE, somewhere),
        ("alpha", "==0.13.4", Role.REQUIRE, None),
        ("beta", "==1.0", Role.REQUIRE, None),
    )
    assert not screened_out(COMBINATION, partly)


def test_two_pins_that_disagree_leave_nothing_to_install() -> None:
    view = seed_view(
        ("alpha", "==0.13.4", Role.REQUIRE, None),
        ("alpha", "==0.13.0", Role.REQUIRE, None),
        ("beta", "==1.0", Role.REQUIRE, None),
    )
    assert screened_out(COMBINATION, view)
    assert decide(COMBINATION, view, "r.txt") is None


def test_a_bad_release_every_entry_steps_over_is_screened_out() -> None:
    bad = rule(RuleKind.BAD_RELEASE, [SpecifierSet("==2.32.0")], ["2.32.2"])
    open_range = seed_view(("alpha", ">=2.30", Role.REQUIRE, None))
    assert screened_out(bad, open_range)
    assert decide(bad, open_range, "r.txt") is None
    capped = seed_view(("alpha", ">=2.30,<2.32.1", Role.REQUIRE, None))
    assert not screened_out(bad, capped)
    assert decide(bad, capped, "r.txt") is not None
    locked = seed_view(
        ("alpha", ">=2.30", Role.REQUIRE, None), ("alpha", "==2.32.0", Role.LOCK, None)
    )
    assert not screened_out(bad, locked)
    assert decide(bad, locked, "r.txt") is not None
