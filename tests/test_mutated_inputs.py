"""Damaged real inputs: whatever a file holds, check and fix report it, never raise.

Each case copies one project (its manifests and locks, side by side as they
were found), damages a few lines the way hand edits and bad merges do (a
string turned into a list or a number, a line dropped or doubled, a character
lost, a requirement line where it does not belong) and runs ``check`` and a
dry-run ``fix`` over it.  Some TOML files are instead damaged in their
structure: parsed, a value swapped for one of another type (or dropped, or
wrapped in a list), and written back as valid TOML in inline form, which is
what reaches the parsers' deeper code.  Nothing may raise, and every problem and finding
must point at a line of a file that exists.  The damage is seeded, so a
failure names a case that can be re-run.  Mutating the real corpus this way
found a crash: a ``hash`` that was a list made a lock entry unhashable.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import tomli

from pinaudit.check import check_paths
from pinaudit.fixrun import run_fix
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.targets import make_targets
from tests.conftest import REPO
from tests.test_cli import invoke

INDEX = load_rules([builtin_rules_path()]).index()
TARGETS = make_targets()
CORPUS = REPO.parent / "shared" / "corpus" / "real"

_VALUES = (
    "3",
    "[]",
    "{}",
    "true",
    '"x"',
    '""',
    '"*"',
    '">=1,<"',
    '"===x"',
    '"1.0.0.dev-x"',
    '"Ünï"',
    '[1, "a"]',
    "{version = 3}",
    '"-e ."',
    '"a @ file:///x"',
    "1.5",
    '"python_version <<< 3"',
    '"; os_name"',
    "[{}]",
)
_LINES = (
    "uvicorn==0.13.4",
    "wsproto>=1.0",
    "-r missing.txt",
    "x[",
    "pkg ; python_version < '3",
    "--hash=sha256:zz",
    "uvicorn===0.13.4",
    "uvicorn~=0",
    "uvicorn==0.13.*.post1",
    "name @ ",
    "-e",
    "--index-url",
    "uvicorn!=",
    "uvicorn (==1.0)",
)
_STRING = re.compile(r'"[^"\n]*"')
_NUMBER = re.compile(r"\b\d+(\.\d+)*\b")


def _damage(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        index = rng.randrange(len(lines))
        line = lines[index]
        choice = rng.random()
        if choice < 0.45 and (strings := list(_STRING.finditer(line))):
            found = rng.choice(strings)
            line = line[: found.start()] + rng.choice(_VALUES) + line[found.end() :]
        elif choice < 0.6 and (numbers := list(_NUMBER.finditer(line))):
            found = rng.choice(numbers)
            replacement = rng.choice(['"1"', "0", "-1", "99999999999999999999", "1e9", "x"])
            line = line[: found.start()] + replacement + line[found.end() :]
        elif choice < 0.7:
            del lines[index]
            continue
        elif choice < 0.8:
            lines.insert(index, line)
            continue
        elif choice < 0.9:
            line = rng.choice(_LINES)
        elif line:
            cut = rng.randrange(len(line))
            line = line[:cut] + line[cut + 1 :]
        lines[index] = line
    return "\n".join(lines)


_ODD: tuple[Any, ...] = (
    "",
    "*",
    "1.0.0.dev-x",
    "===x",
    ">=1,<",
    "^1.2",
    "Ünï",
    3,
    -1,
    2**70,
    1.5,
    True,
    [],
    {},
    [1, "a"],
    {"version": 3},
    [{}],
    datetime.date(2020, 1, 1),
)
_TOML_NAMES = frozenset({"poetry.lock", "uv.lock", "pdm.lock", "Pipfile"})
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _reshape(data: dict[str, Any], rng: random.Random) -> None:
    """Swap, drop or wrap a few values anywhere in a parsed TOML document."""
    for _ in range(rng.randint(1, 3)):
        parent: Any = data
        slot: Any = None
        while isinstance(parent, (dict, list)) and parent:
            slot = (
                rng.choice(list(parent)) if isinstance(parent, dict) else rng.randrange(len(parent))
            )
            child = parent[slot]
            if not isinstance(child, (dict, list)) or not child or rng.random() < 0.3:
                break
            parent = child
        if slot is None:
            return
        choice = rng.random()
        if choice < 0.7:
            parent[slot] = copy.deepcopy(rng.choice(_ODD))
        elif choice < 0.85 and isinstance(parent, dict):
            del parent[slot]
        else:
            parent[slot] = [parent[slot]]


def _inline(value: Any) -> str:
    """``value`` as an inline TOML value (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _reshaped(text: str, rng: random.Random) -> str | None:
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError:
        return None
    _reshape(data, rng)
    return "".join(f"{_key(key)} = {_inline(value)}\n" for key, value in data.items())


def _projects(root: Path) -> list[Path]:
    """Folders that hold files directly (a project as it was found)."""
    return sorted(
        {path.parent for path in root.rglob("*") if path.is_file() and path.name != "SOURCES.tsv"}
    )


OWN = _projects(REPO / "tests" / "fixtures" / "formats") + _projects(REPO / "examples")


def _check_damaged(project: Path, seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    copy = tmp_path / "project"
    copy.mkdir()
    lines: dict[Path, int] = {}
    for source in sorted(project.iterdir()):
        if not source.is_file() or source.name in ("README.md", "SOURCES.tsv"):
            continue
        text = source.read_text(encoding="utf-8", errors="replace")
        is_toml = source.suffix == ".toml" or source.name in _TOML_NAMES
        if is_toml and rng.random() < 0.3:
            text = _reshaped(text, rng) or text
        elif rng.random() < 0.6:
            text = _damage(text, rng)
        target = copy / source.name
        target.write_text(text, encoding="utf-8")
        lines[target] = text.count("\n") + 1
    result = check_paths([copy], INDEX, TARGETS, environ={})
    outcome = run_fix([copy], INDEX, TARGETS, environ={}, write=False, root=copy)
    for problem in (*result.problems, *outcome.problems):
        assert problem.path in lines or not problem.path.exists(), problem
        if problem.line is not None and problem.path in lines:
            assert 1 <= problem.line <= lines[problem.path], problem
    for finding in result.findings:
        for item in finding.involved:
            for dependency in item.dependencies:
                assert dependency.path in lines, finding
                assert 1 <= dependency.span.line <= lines[dependency.path], finding
    assert not outcome.written, "a dry run writes nothing"


@pytest.mark.parametrize("seed", range(60))
def test_damaged_fixtures_are_reported_not_raised(seed: int, tmp_path: Path) -> None:
    _check_damaged(OWN[seed % len(OWN)], seed, tmp_path)


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared corpus (../shared) is not beside this clone"
)
@pytest.mark.parametrize("seed", range(150))
def test_damaged_real_projects_are_reported_not_raised(seed: int, tmp_path: Path) -> None:
    projects = _projects(CORPUS)
    _check_damaged(projects[(seed * 7919) % len(projects)], seed, tmp_path)


def test_damage_changes_the_text() -> None:
    """The mutator really damages: most seeds change a typical lock line."""
    text = '[[package]]\nname = "uvicorn"\nversion = "0.13.4"\nfiles = []\n'
    changed = sum(_damage(text, random.Random(seed)) != text for seed in range(50))
    assert changed >= 40


def test_reshaping_keeps_valid_toml_and_changes_it() -> None:
    text = (
        '[project]\nname = "app"\ndependencies = ["uvicorn==0.13.4"]\n'
        '[tool.poetry.dependencies]\n"odd key" = {version = "^1", markers = "os_name == \'nt\'"}\n'
    )
    changed = 0
    for seed in range(50):
        reshaped = _reshaped(text, random.Random(seed))
        assert reshaped is not None
        tomli.loads(reshaped)  # still TOML
        changed += tomli.loads(reshaped) != tomli.loads(text)
    assert changed >= 40


_BYTES = (b"\xff\xfe", b"\x00", b"\xed\xa0\x80", b"\xc3", b"\xe9", b"\r", b"\xef\xbb\xbf", b"\\")
_FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab", "junit")


@pytest.mark.parametrize("seed", range(21))
def test_damaged_bytes_through_every_output_format(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broken encodings, NUL bytes, stray BOMs and CRs, through the CLI: an exit
    code of 0, 1 or 2, never an exception; the JSON formats stay JSON."""
    rng = random.Random(seed)
    project = OWN[seed % len(OWN)]
    for source in sorted(project.iterdir()):
        if not source.is_file():
            continue
        data = source.read_bytes()
        for _ in range(rng.randint(1, 3) if data else 0):
            cut = rng.randrange(len(data))
            data = data[:cut] + rng.choice(_BYTES) + data[cut:]
        (tmp_path / source.name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    output_format = _FORMATS[seed % len(_FORMATS)]
    checked = invoke("check", "--isolated", "--output-format", output_format, ".")
    assert checked.exit_code in (0, 1, 2), checked.output
    if output_format in ("json", "sarif", "gitlab"):
        json.loads(checked.output)
    fixed = invoke("fix", "--isolated", ".")
    assert fixed.exit_code in (0, 1, 2), fixed.output
