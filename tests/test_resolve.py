"""The resolver check of a fix, offline: lock tables, pins, floors, markers."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.check import check_paths
from pinaudit.findings import Finding
from pinaudit.fix import FixOptions, plan_fix
from pinaudit.fixrun import _sources
from pinaudit.model import Environment
from pinaudit.resolve import Edge, Release, bump_allowed, bump_kind, check_proposal, knowledge_of
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets

RULES = load_rules([builtin_rules_path()])
INDEX = RULES.index()
TARGETS = make_targets()
CAPPED = Path(__file__).parent / "fixtures" / "fix" / "capped"


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("0.13.4", "0.14.0", "minor"),
        ("0.13.4", "0.13.5", "patch"),
        ("1.0.0", "0.15.0", "major"),
        ("6.7", "7.0", "major"),
        ("2.31", "2.31.0.post1", "patch"),
        ("1!1.0", "1.0", "major"),
    ],
)
def test_bump_kind(old: str, new: str, kind: str) -> None:
    assert bump_kind(Version(old), Version(new)) == kind
    assert bump_allowed(Version(old), Version(new), kind)
    assert bump_allowed(Version(old), Version(new), None)


def _environment(path: Path) -> tuple[Environment, dict[Path, str], Finding]:
    result = check_paths([path], INDEX, TARGETS)
    texts = {p: s.text for p, s in _sources(result).items()}
    finding = next(f for f in result.findings if f.rule.code == "PA1001")
    environment = next(e for e in result.environments if e.name == finding.environment)
    return environment, texts, finding


def test_a_locked_dependent_capping_the_remedy_is_a_conflict() -> None:
    environment, texts, _ = _environment(CAPPED)
    verdict = check_proposal(
        environment,
        environment.dependencies,
        {"uvicorn": Version("0.14.0")},
        TARGETS,
        knowledge_of(environment, texts),
    )
    assert not verdict.ok
    assert "seed-lib 1.0 requires uvicorn<0.14" in (verdict.conflict or "")
    assert "the fix requires uvicorn==0.14.0" in (verdict.conflict or "")


def test_the_conflict_refuses_the_remedy_with_its_reason_and_the_next_is_taken(
    tmp_path: Path,
) -> None:
    environment, texts, finding = _environment(CAPPED)
    only_uvicorn = replace(finding, rule=replace(finding.rule, remedies=finding.rule.remedies[:1]))
    plan = plan_fix(only_uvicorn, environment, INDEX, TARGETS, texts)
    assert plan.blocked is not None
    assert plan.blocked.startswith(
        "uvicorn 0.14.0: uvicorn 0.14.0 does not resolve with the rest of the environment: "
    )
    assert "seed-lib 1.0 requires uvicorn<0.14" in plan.blocked
    assert "known offline" in plan.blocked
    plan = plan_fix(finding, environment, INDEX, TARGETS, texts)
    assert plan.remedy is not None and plan.remedy.package == "wsproto"
    assert [(e.original, e.replacement) for e in plan.edits] == [("^1.0.0", "^0.15.0")]
    assert plan.relock == "poetry update wsproto"


def test_a_cap_under_a_marker_that_no_target_meets_does_not_block(tmp_path: Path) -> None:
    project = tmp_path / "capped"
    shutil.copytree(CAPPED, project)
    lock = project / "poetry.lock"
    lock.write_text(
        lock.read_text(encoding="utf-8").replace(
            'uvicorn = "<0.14"',
            'uvicorn = {version = "<0.14", markers = "python_version < \\"3.9\\""}',
        ),
        encoding="utf-8",
    )
    environment, texts, finding = _environment(project)
    plan = plan_fix(finding, environment, INDEX, TARGETS, texts)
    assert plan.remedy is not None and plan.remedy.package == "uvicorn", plan.blocked


def test_a_requirement_of_the_remedy_moves_a_pin_to_its_floor(tmp_path: Path) -> None:
    """When the data shows uvicorn 0.14.0 needs click>=7.0, the click pin moves."""
    (tmp_path / "requirements.txt").write_text(
        "uvicorn==0.13.4\nwsproto==1.0.0\nclick==6.7  # old cli\n", encoding="utf-8"
    )
    environment, texts, finding = _environment(tmp_path)
    knowledge = knowledge_of(environment, texts)
    knowledge.add(
        Release(
            "uvicorn",
            Version("0.14.0"),
            (Edge("click", (SpecifierSet(">=7.0"),), origin="uvicorn 0.14.0"),),
        )
    )
    plan = plan_fix(finding, environment, INDEX, TARGETS, texts, knowledge=knowledge)
    assert plan.blocked is None, plan.blocked
    assert "uvicorn 0.14.0 needs click>=7.0, so click 6.7 -> 7.0" in plan.summary
    assert "the requirements of click 7.0 are unknown offline" in plan.summary
    assert sorted((e.original, e.replacement) for e in plan.edits) == [
        ("==0.13.4", "==0.14.0"),
        ("==6.7", "==7.0"),
    ]
    narrow = plan_fix(
        finding,
        environment,
        INDEX,
        TARGETS,
        texts,
        knowledge=knowledge,
        options=FixOptions(max_bump="minor"),
    )
    assert narrow.blocked is not None
    assert "so click 6.7 -> 7.0, a major bump beyond the allowed minor bump" in narrow.blocked


def test_unknown_requirements_of_the_remedy_are_said(tmp_path: Path) -> None:
    environment, texts, finding = _environment(
        Path(__file__).parent / "fixtures" / "fix" / "pep621-range" / "input"
    )
    plan = plan_fix(finding, environment, INDEX, TARGETS, texts)
    assert (
        "the requirements of uvicorn 0.14.0 are not in the lock and unknown offline; "
        "the re-lock resolves them" in plan.summary
    )


@pytest.mark.parametrize(
    ("old", "new", "inside", "outside"),
    [
        ("2.6.0+cu126", "2.7.0+cu128", "2.6.0+cu126", "2.7.0+cu128"),
        ("2.7.0+cu128", "2.6.0+cu126", "2.7.0+cu128", "2.6.0+cu126"),
        (None, "2.7.0+cu128", "2.6.0", "2.7.0+cu128"),
    ],
)
def test_a_move_to_a_local_build_leaves_the_old_one_behind(
    old: str | None, new: str, inside: str, outside: str
) -> None:
    """A resolver move between local builds (torch from a CUDA index) once
    raised InvalidSpecifier: ``<2.7.0+cu128`` is not a specifier."""
    from pinaudit.fix import _bad_for_move

    bad = _bad_for_move(None if old is None else Version(old), Version(new))
    assert bad.contains(inside, prereleases=True)
    assert not bad.contains(outside, prereleases=True)
