"""Two findings that want to move the same pin: the larger move serves both."""

from __future__ import annotations

from pathlib import Path

from pinaudit.fixrun import run_fix
from pinaudit.rulebook import RuleSet, load_rule_text
from pinaudit.targets import make_targets

RULE = """
[[rule]]
code = "XX20{n}"
slug = "alpha-bad-{n}"
kind = "bad-release"
severity = "error"
summary = "alpha before {fixed} is broken (case {n})"
[[rule.packages]]
name = "alpha"
bad = "<{fixed}"
[[rule.remedies]]
package = "alpha"
version = "{fixed}"
[[rule.references]]
url = "https://example.org/alpha/{n}"
kind = "issue"
[[rule.examples]]
expect = "definite"
requirements = ["alpha==1.0"]
[[rule.examples]]
expect = "silent"
requirements = ["alpha=={fixed}"]
"""


def pack() -> RuleSet:
    text = RULE.format(n="01", fixed="1.1") + RULE.format(n="02", fixed="1.3")
    loaded = load_rule_text(text, Path("pack.toml"))
    assert loaded.problems == ()
    return loaded


def test_the_larger_move_fixes_both_findings(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("alpha==1.0  # pinned\n", encoding="utf-8")
    outcome = run_fix([path], pack().index(), make_targets(), environ={}, write=True, root=tmp_path)
    assert path.read_text(encoding="utf-8") == "alpha==1.3  # pinned\n"
    assert [plan.blocked for plan in outcome.plans] == [None, None]
    assert "(together with XX2002)" in outcome.plans[0].summary
    assert outcome.remaining == ()
