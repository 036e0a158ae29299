"""Rule files: the shipped ones load clean; broken ones are reported with file:line."""

from __future__ import annotations

from pathlib import Path

from pinaudit.rulebook import RuleKind, Severity, builtin_rules_path, load_rule_text, load_rules

GOOD = """
[[rule]]
code = "XX1001"
slug = "alpha-beta"
kind = "combination"
severity = "error"
summary = "alpha before 2 breaks with beta 3"

[[rule.packages]]
name = "Alpha"
bad = "<2"

[[rule.packages]]
name = "beta"
bad = ">=3"

[[rule.remedies]]
package = "alpha"
version = "2.0"

[[rule.references]]
url = "https://example.org/issues/1"
kind = "issue"

[[rule.examples]]
expect = "definite"
requirements = ["alpha==1.0", "beta==3.0"]

[[rule.examples]]
expect = "possible"
requirements = ["alpha", "beta"]

[[rule.examples]]
expect = "silent"
requirements = ["alpha==2.0", "beta==3.0"]
"""


def test_shipped_rules_load_without_problems() -> None:
    rules = load_rules([builtin_rules_path()])
    assert rules.problems == ()
    assert "PA1001" in rules.by_code()


def test_a_good_rule_loads_with_canonical_names() -> None:
    loaded = load_rule_text(GOOD, Path("pack.toml"))
    assert loaded.problems == ()
    (rule,) = loaded.rules
    assert rule.kind is RuleKind.COMBINATION
    assert rule.severity is Severity.ERROR
    assert rule.names == ("alpha", "beta")
    assert rule.line == 2
    assert loaded.index()["beta"] == (rule,)


def _problems(text: str) -> list[str]:
    return [problem.describe() for problem in load_rule_text(text, Path("pack.toml")).problems]


def test_bad_specifier_points_at_its_line() -> None:
    text = GOOD.replace('bad = ">=3"', 'bad = ">=3x"')
    line = text.splitlines().index('bad = ">=3x"') + 1
    assert _problems(text) == [
        f"pack.toml:{line}: rule XX1001: packages[2] (beta): bad specifier '>=3x': "
        "Invalid specifier: '>=3x'"
    ]


def test_unknown_key_and_bad_reference_are_both_reported() -> None:
    text = GOOD.replace('kind = "issue"', 'kind = "issue"\nfoo = 1').replace(
        "https://example.org/issues/1", "see the tracker"
    )
    problems = _problems(text)
    assert any("unknown key 'foo' in references[1]" in p for p in problems)
    assert any("'see the tracker' is not an http(s) URL" in p for p in problems)
    lines = text.splitlines()
    assert any(p.startswith(f"pack.toml:{lines.index('foo = 1') + 1}:") for p in problems)


def test_remedy_inside_the_bad_range_is_rejected() -> None:
    text = GOOD.replace('version = "2.0"', 'version = "1.9"')
    assert any("alpha 1.9 is inside the bad range '<2'" in p for p in _problems(text))


def test_missing_examples_are_a_problem() -> None:
    text = GOOD.split("[[rule.examples]]")[0]
    assert any("missing: definite, possible, silent" in p for p in _problems(text))


def test_invalid_toml_reports_line_and_column() -> None:
    (problem,) = load_rule_text('[[rule]]\ncode = "X\n', Path("pack.toml")).problems
    assert problem.line == 2
    assert problem.message.startswith("invalid TOML")


def test_duplicate_codes_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        GOOD.replace("alpha-beta", "alpha-beta-again"), encoding="utf-8"
    )
    loaded = load_rules([tmp_path])
    assert len(loaded.rules) == 1
    (problem,) = loaded.problems
    assert "repeats the code or slug" in problem.message
    assert problem.path == tmp_path / "b.toml"


def test_select_and_ignore_by_prefix() -> None:
    rules = load_rules([builtin_rules_path()])
    assert {r.code for r in rules.select(["PA1"]).rules} <= {
        r.code for r in rules.rules if r.code.startswith("PA1")
    }
    assert all(not r.code.startswith("PA3") for r in rules.select((), ["PA3"]).rules)
