"""Every rule's own examples behave as declared: one parametrized test over all rules.

A rule without a definite, a possible (except stale caps) and a silent example
fails loading, so adding a rule without fixtures fails this suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pinaudit.check import check_paths
from pinaudit.rulebook import Example, Rule, RuleKind, builtin_rules_path, load_rules
from pinaudit.targets import make_targets

RULES = load_rules([builtin_rules_path()])
# Every Python a rule marker may name, so rules about old interpreters are exercised too.
ALL_PYTHONS = tuple(f"3.{minor}" for minor in range(6, 16))
CASES = [
    pytest.param(rule, example, id=f"{rule.code}-{example.expect}-{position}")
    for rule in RULES.rules
    for position, example in enumerate(rule.examples, start=1)
]


def test_rules_load_clean() -> None:
    assert [problem.describe() for problem in RULES.problems] == []


def test_every_rule_has_examples_of_each_kind() -> None:
    for rule in RULES.rules:
        kinds = {example.expect for example in rule.examples}
        assert {"definite", "silent"} <= kinds, rule.code
        if rule.kind is RuleKind.COMBINATION:
            assert "possible" in kinds, rule.code


@pytest.mark.parametrize(("rule", "example"), CASES)
def test_example(rule: Rule, example: Example, tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("\n".join(example.requirements) + "\n", encoding="utf-8")
    index = dict.fromkeys(rule.names, (rule,))
    result = check_paths([path], index, make_targets(ALL_PYTHONS))
    assert result.problems == ()
    matches = [finding.match.value for finding in result.findings if finding.rule is rule]
    if example.expect == "silent":
        assert matches == []
    else:
        assert matches == [example.expect]
