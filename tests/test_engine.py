"""Engine semantics on small requirement sets: presence, markers, locks, match strength."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinaudit.check import check_paths
from pinaudit.findings import Finding
from pinaudit.rulebook import Match, RuleSet, builtin_rules_path, load_rule_text, load_rules
from pinaudit.targets import make_targets

RULES = load_rules([builtin_rules_path()])
SEED = RULES.by_code()["PA1001"]


def findings(
    tmp_path: Path, text: str, rules: RuleSet = RULES, files: dict[str, str] | None = None
) -> list[Finding]:
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    for name, body in (files or {}).items():
        (tmp_path / name.replace("_", ".")).write_text(body, encoding="utf-8")
    result = check_paths([tmp_path / "requirements.txt"], rules.index(), make_targets())
    assert result.problems == ()
    return [f for f in result.findings if f.rule.code in {r.code for r in rules.rules}]


def seed_only(tmp_path: Path, text: str, **files: str) -> list[Finding]:
    return [f for f in findings(tmp_path, text, files=files) if f.rule is SEED]


def test_definite_on_pins(tmp_path: Path) -> None:
    (finding,) = seed_only(tmp_path, "uvicorn==0.13.4\nwsproto==1.0.0\n")
    assert finding.match is Match.DEFINITE
    assert [item.versions for item in finding.involved] == ["0.13.4", "1.0.0"]
    assert finding.where == ""


def test_possible_on_ranges_that_permit_it(tmp_path: Path) -> None:
    (finding,) = seed_only(tmp_path, "uvicorn>=0.11\nwsproto>=1.0\n")
    assert finding.match is Match.POSSIBLE
    assert finding.message.startswith("ranges permit: uvicorn >=0.11 with wsproto >=1.0")


def test_a_package_that_is_only_constrained_is_not_present(tmp_path: Path) -> None:
    text = "-c constraints.txt\nuvicorn==0.13.4\n"
    assert seed_only(tmp_path, text, constraints_txt="wsproto==1.0.0\n") == []


def test_a_constraint_narrows_a_requirement_to_a_definite_match(tmp_path: Path) -> None:
    text = "-c constraints.txt\nuvicorn>=0.11\nwsproto\n"
    (finding,) = seed_only(tmp_path, text, constraints_txt="uvicorn==0.13.4\nwsproto==1.0.0\n")
    assert finding.match is Match.DEFINITE
    assert finding.primary.path.name == "constraints.txt"


def test_requirement_markers_decide_where_a_finding_holds(tmp_path: Path) -> None:
    text = 'uvicorn==0.13.4\nwsproto==1.0.0; sys_platform == "win32"\n'
    (finding,) = seed_only(tmp_path, text)
    assert finding.match is Match.DEFINITE
    assert finding.where == "Python 3.11, 3.12, 3.13, 3.14, 3.15 on win32"


def test_a_marker_that_never_holds_silences_the_entry(tmp_path: Path) -> None:
    text = 'uvicorn==0.13.4\nwsproto==1.0.0; python_version < "3.8"\n'
    assert seed_only(tmp_path, text) == []


def test_url_entries_carry_no_version_and_never_fire(tmp_path: Path) -> None:
    text = "uvicorn @ https://example.org/uvicorn-0.13.4.tar.gz\nwsproto==1.0.0\n"
    assert seed_only(tmp_path, text) == []


def test_unsatisfiable_ranges_do_not_fire(tmp_path: Path) -> None:
    assert seed_only(tmp_path, "uvicorn>=0.14,<0.13\nwsproto==1.0.0\n") == []


def test_pre_option_widens_ranges_to_prereleases(tmp_path: Path) -> None:
    pack = load_rule_text(
        """
[[rule]]
code = "XX2001"
slug = "alpha-2-rc-broken"
kind = "bad-release"
severity = "error"
summary = "alpha 2.0rc1 is broken"
[[rule.packages]]
name = "alpha"
bad = "==2.0rc1"
[[rule.remedies]]
package = "alpha"
version = "2.0rc2"
[[rule.references]]
url = "https://example.org/alpha/1"
kind = "issue"
[[rule.examples]]
expect = "definite"
requirements = ["alpha==2.0rc1"]
[[rule.examples]]
expect = "silent"
requirements = ["alpha==2.0rc2"]
""",
        Path("pack.toml"),
    )
    assert pack.problems == ()
    assert findings(tmp_path, "alpha>=1.0,!=2.0rc2,<2.1\n", rules=pack) == []
    (finding,) = findings(tmp_path, "--pre\nalpha>=1.0,!=2.0rc2,<2.1\n", rules=pack)
    assert finding.match is Match.POSSIBLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("requests==2.32.0\n", ["definite"]),
        ("requests>=2.31\n", []),  # the range admits 2.32.2, which installers pick
        ("requests>=2.31,<2.32.2\n", ["possible"]),
        ("requests==2.32.2\n", []),
    ],
)
def test_bad_release_ranges_that_admit_the_replacement_are_silent(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    rule = RULES.by_code()["PA2001"]
    assert rule.names == ("requests",)
    got = [f.match.value for f in findings(tmp_path, text) if f.rule is rule]
    assert got == expected


def test_stale_cap_reports_only_definite(tmp_path: Path) -> None:
    rule = RULES.by_code()["PA3001"]
    got = [f for f in findings(tmp_path, "uvicorn==0.14.0\nwsproto==0.15.*\n") if f.rule is rule]
    assert [f.match for f in got] == [Match.DEFINITE]
    assert [f for f in findings(tmp_path, "uvicorn>=0.11\nwsproto>=0.13\n") if f.rule is rule] == []


def test_a_shared_file_is_reported_once(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8")
    (tmp_path / "requirements-a.txt").write_text("-r base.txt\nflask\n", encoding="utf-8")
    (tmp_path / "requirements-b.txt").write_text("-r base.txt\nclick\n", encoding="utf-8")
    result = check_paths([tmp_path], RULES.index(), make_targets())
    assert [f.rule.code for f in result.findings if f.rule is SEED] == ["PA1001"]
    assert len(result.environments) == 2


@pytest.mark.parametrize(
    "marker",
    [
        'python_version < "3.13"',
        'sys_platform == "win32" or python_version >= "3.14"',
        'platform_machine == "x86_64"',
        'extra == "docs"',
    ],
)
def test_marker_masks_agree_with_each_target(marker: str) -> None:
    from packaging.markers import Marker

    from pinaudit.targets import holds, holds_mask

    targets = make_targets()
    parsed = Marker(marker)
    mask = holds_mask(parsed, targets)
    assert [bool(mask >> n & 1) for n in range(len(targets))] == [
        holds(parsed, target) for target in targets
    ]
    assert holds_mask(None, targets) == (1 << len(targets)) - 1


def test_entries_under_different_markers_split_the_targets(tmp_path: Path) -> None:
    """Old Pythons get the bad pair, new ones the fixed uvicorn: one finding, on the old."""
    text = (
        'uvicorn==0.13.4 ; python_version < "3.13"\n'
        'uvicorn==0.14.0 ; python_version >= "3.13"\n'
        "wsproto==1.0.0\n"
    )
    (finding,) = seed_only(tmp_path, text)
    assert finding.match is Match.DEFINITE
    assert "3.11" in finding.where and "3.12" in finding.where
    assert "3.13" not in finding.where


def test_environments_sharing_a_rules_entries_decide_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule whose entries all come from a shared file is evaluated in one environment only,
    and the run's findings are exactly those of evaluating every environment alone."""
    from pinaudit import engine
    from pinaudit.check import recheck

    (tmp_path / "base.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8")
    services = {
        "a": "flask\n",
        "b": "click\n",
        "c": "uvicorn==0.14.0\n",  # its own uvicorn entry: decided on its own
        "d": 'wsproto==0.15.0 ; python_version < "3.12"\n',
    }
    for name, body in services.items():
        (tmp_path / f"requirements-{name}.txt").write_text(f"-r base.txt\n{body}", "utf-8")
    index, targets = RULES.index(), make_targets()
    result = check_paths([tmp_path], index, targets)

    alone: dict[tuple[str, tuple[tuple[str, str, int], ...]], Finding] = {}
    for environment in result.environments:
        for finding in engine.evaluate(environment, index, targets):
            alone.setdefault(finding.key(), finding)
    assert sorted(alone) == sorted(f.key() for f in result.findings)
    assert [f.environment for f in result.findings] == [
        alone[f.key()].environment for f in result.findings
    ]

    seen: list[str] = []
    real = engine.evaluate_rule

    def counting(rule: object, view: object, environment: str) -> Finding | None:
        if rule is SEED:
            seen.append(Path(environment).name)
        return real(rule, view, environment)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "evaluate_rule", counting)
    recheck(result, index, targets)
    # a and b hold nothing but base.txt's entries for both packages: b is skipped.
    assert seen == ["requirements-a.txt", "requirements-c.txt", "requirements-d.txt"]


def test_decided_keys_targets_by_value() -> None:
    """Targets built per environment (old Pythons) may reuse a freed object's id."""
    from pinaudit.engine import Decided
    from pinaudit.targets import Target

    decided = Decided()
    old = decided.setting(False, (Target("3.8", "linux"),))
    assert decided.setting(False, (Target("3.8", "linux"),)) == old
    assert decided.setting(False, (Target("3.7", "linux"),)) != old
    assert decided.setting(True, (Target("3.8", "linux"),)) != old
