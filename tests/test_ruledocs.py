"""Rule pages: the checked-in docs match the rules, and the Markdown shows what the rule says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pinaudit.cli import main
from pinaudit.rulebook import Rule, builtin_rules_path, load_rule_text, load_rules
from pinaudit.ruledocs import (
    GENERATED,
    TABLE_END,
    TABLE_START,
    cell,
    code,
    fenced,
    page_name,
    prose,
    render_page,
    render_pages,
    render_table,
    text,
    with_table,
)
from tests.conftest import REPO

MARKED = '''
[[rule]]
code = "ACME2001"
slug = "numpy-before-1-26-python-3-12"
kind = "bad-release"
severity = "error"
summary = "NumPy before 1.26 | has no wheels for Python 3.12"
description = """
Builds from source need distutils,
- which Python 3.12 removed.
"""
signature = """
```
ModuleNotFoundError: No module named `distutils`
"""
fixed = "numpy 1.26.0"
marker = 'python_version >= "3.12"'

[[rule.packages]]
name = "numpy"
bad = "<1.26.0"

[[rule.remedies]]
package = "numpy"
version = "1.26.0"
note = "first release with __array__ wheels for 3.12"

[[rule.references]]
url = "https://github.com/numpy/numpy/issues/23808"
kind = "issue"
title = "[BUG] no module named distutils (Python 3.12)"

[[rule.examples]]
expect = "definite"
requirements = ["numpy==1.25.2"]

[[rule.examples]]
expect = "silent"
requirements = ["numpy==1.26.0"]
'''


def marked_rule() -> Rule:
    loaded = load_rule_text(MARKED, Path("acme.toml"))
    assert loaded.problems == ()
    (rule,) = loaded.rules
    return rule


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def test_checked_in_rule_docs_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's guard: a rule edited without `pinaudit rules docs` fails here."""
    monkeypatch.chdir(REPO)
    result = invoke("rules", "docs", "--check")
    assert result.exit_code == 0, (
        "docs/rules or the README rules table is stale; run `pinaudit rules docs`:\n"
        + result.output
    )


def test_every_shipped_rule_has_a_page_sorted_by_code() -> None:
    rules = load_rules([builtin_rules_path()]).rules
    pages = render_pages(rules)
    assert set(pages) == {page_name(rule) for rule in rules} | {"README.md"}
    codes = re.findall(r"^\| ([A-Z0-9]+) \|", pages["README.md"], re.MULTILINE)
    assert codes == sorted(rule.code for rule in rules)
    assert render_pages(reversed(rules)) == pages  # deterministic whatever the load order


def test_page_of_a_rule_with_a_marker_and_no_possible_example() -> None:
    page = render_page(marked_rule())
    assert page.startswith(GENERATED + "\n\n# ACME2001: numpy-before-1-26-python-3-12\n")
    assert page.endswith("[All rules](README.md)\n")
    assert 'Only where this environment marker holds: `python_version >= "3.12"`' in page
    assert "| `numpy` | `<1.26.0` |" in page
    assert "### Reported as a definite match\n\n```text\nnumpy==1.25.2\n```" in page
    assert "### Not reported\n\n```text\nnumpy==1.26.0\n```" in page
    assert "possible match" not in page
    assert "1. `numpy` 1.26.0: first release with \\_\\_array\\_\\_ wheels for 3.12" in page
    assert (
        "- [\\[BUG\\] no module named distutils (Python 3.12)]"
        "(https://github.com/numpy/numpy/issues/23808) (issue)"
    ) in page


def test_backticks_in_a_signature_cannot_close_its_code_block() -> None:
    page = render_page(marked_rule())
    expected = "````text\n```\nModuleNotFoundError: No module named `distutils`\n````"
    assert expected in page
    assert fenced("plain") == "```text\nplain\n```"
    assert code("a `b` c") == "``a `b` c``"
    assert code("`edge`") == "`` `edge` ``"


def test_pipes_are_escaped_in_table_cells() -> None:
    table = render_table([marked_rule()], "docs/rules/")
    (row,) = table.splitlines()[2:]
    assert row == (
        "| ACME2001 | [numpy-before-1-26-python-3-12]"
        "(docs/rules/ACME2001-numpy-before-1-26-python-3-12.md) | error "
        "| NumPy before 1.26 \\| has no wheels for Python 3.12 |"
    )
    assert cell(code("a|b")) == "`a\\|b`"


def test_plain_text_shows_as_written() -> None:
    assert text("Image.__array__ and url_quote") == "Image.\\_\\_array\\_\\_ and url_quote"
    assert text("wsproto==0.15.* -> 1.0.*") == "wsproto==0.15.\\* -> 1.0.\\*"
    assert text("returns <Response [200]>") == "returns \\<Response \\[200\\]>"
    assert text("a  wrapped\n line") == "a wrapped line"


def test_description_keeps_markdown_but_no_accidental_blocks() -> None:
    description = "Uses `<tag>` and *emphasis*,\n- not a list,\n# not a heading\n\nreturns <b>"
    assert prose(description) == (
        "Uses `<tag>` and *emphasis*,\n\\- not a list,\n\\# not a heading\n\nreturns \\<b>"
    )
    assert "\n\\- which Python 3.12 removed." in render_page(marked_rule())


def test_readme_table_replaces_only_the_text_between_the_markers() -> None:
    readme = f"# Project\n\nIntro.\n\n{TABLE_START}\nold table\n{TABLE_END}\n\n## After\n"
    updated = with_table(readme, "| new |\n")
    table = f"{TABLE_START}\n\n| new |\n\n{TABLE_END}"
    assert updated == f"# Project\n\nIntro.\n\n{table}\n\n## After\n"
    assert with_table(updated, "| new |\n") == updated


def test_readme_without_markers_gets_a_rules_section_at_the_end() -> None:
    updated = with_table("# Project\n\nIntro.\n", "| t |\n")
    assert updated == f"# Project\n\nIntro.\n\n## Rules\n\n{TABLE_START}\n\n| t |\n\n{TABLE_END}\n"


@pytest.mark.parametrize("readme", [f"{TABLE_END}\n{TABLE_START}\n", f"{TABLE_START}\nno end\n"])
def test_broken_markers_are_refused(readme: str) -> None:
    with pytest.raises(ValueError, match="rules-table"):
        with_table(readme, "| t |\n")


def test_docs_command_writes_checks_and_removes_stale_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme.toml").write_text(MARKED, encoding="utf-8")
    (tmp_path / "README.md").write_text("# Acme\n", encoding="utf-8")
    out = tmp_path / "docs" / "rules"
    out.mkdir(parents=True)
    (out / "ACME1999-withdrawn-rule.md").write_text("old\n", encoding="utf-8")
    (out / "notes.md").write_text("hand-written\n", encoding="utf-8")

    check = invoke("rules", "docs", "acme.toml", "--check")
    assert check.exit_code == 1
    assert "ACME2001-numpy-before-1-26-python-3-12.md: missing" in check.output
    assert "ACME1999-withdrawn-rule.md: names no rule; would be removed" in check.output
    assert not (out / "README.md").exists()

    assert invoke("rules", "docs", "acme.toml").exit_code == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "ACME2001-numpy-before-1-26-python-3-12.md",
        "README.md",
        "notes.md",
    ]
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Acme\n\n## Rules\n\n")
    assert "(docs/rules/ACME2001-numpy-before-1-26-python-3-12.md)" in readme

    again = invoke("rules", "docs", "acme.toml", "--check")
    assert again.exit_code == 0, again.output
    assert invoke("rules", "docs", "acme.toml").output.count("wrote") == 0


def test_docs_command_refuses_rule_packs_with_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.toml").write_text(MARKED.replace('"bad-release"', '"oops"'), "utf-8")
    result = invoke("rules", "docs", "bad.toml")
    assert result.exit_code == 2
    assert not (tmp_path / "docs").exists()
