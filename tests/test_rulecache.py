"""The compiled-rules cache: used when it may be, ignored when it must be, never a failure."""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinaudit import cachedir, rulebook, rulecache
from pinaudit.cli import main
from pinaudit.model import Problem
from pinaudit.rulebook import RuleSet, builtin_rules_path, load_rules, rule_from_record
from pinaudit.rulecache import RuleCache, RuleIndex, load_cached_records, pending

ONE_RULE = """\
[[rule]]
code = "ZZ1001"
slug = "alpha-beta-break"
kind = "combination"
severity = "warning"
summary = "alpha 1 with beta 2 breaks"
marker = 'python_version >= "3.8"'

[[rule.packages]]
name = "Alpha"
bad = ">=1.0,<1.5"

[[rule.packages]]
name = "beta"
bad = ">=2.0"

[[rule.remedies]]
package = "alpha"
version = "1.5"
note = "the fixed release"

[[rule.references]]
url = "https://example.org/alpha/issues/1"
kind = "issue"
title = "the report"

[[rule.examples]]
expect = "definite"
requirements = ["alpha==1.2", "beta==2.1"]

[[rule.examples]]
expect = "possible"
requirements = ["alpha>=1.0", "beta==2.1"]

[[rule.examples]]
expect = "silent"
requirements = ["alpha==1.5", "beta==2.1"]
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cachedir.CACHE_ENV, str(folder))
    monkeypatch.delenv(cachedir.NO_CACHE_ENV, raising=False)
    return folder


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "one.toml").write_text(ONE_RULE, encoding="utf-8")
    return folder


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every rule file that is parsed from TOML from now on."""
    parsed: list[Path] = []
    real = rulebook.parse_rule_records

    def spy(text: str, path: Path) -> tuple[list[rulebook.RuleRecord], list[Problem]]:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(rulebook, "parse_rule_records", spy)
    return parsed


def _loaded(paths: list[Path]) -> RuleSet:
    records, problems = load_cached_records(paths)
    return RuleSet(
        tuple(rule_from_record(record, path) for path, record in records), tuple(problems)
    )


def _cache_files(folder: Path) -> list[Path]:
    return sorted((folder / "rules").glob("rules-*.bin"))


def test_the_second_load_reads_no_toml_and_gives_the_same_rules(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = [builtin_rules_path()]
    first = _loaded(shipped)
    assert len(_cache_files(cache)) == 1
    parsed = _parses(monkeypatch)
    second = _loaded(shipped)
    assert parsed == [], "every shipped rule file came from the cache"
    uncached = load_rules(shipped)
    assert second == first == uncached
    assert [rule.path for rule in second.rules] == [rule.path for rule in uncached.rules]


def test_a_rule_with_every_field_survives_the_cache(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_rules([pack])
    _loaded([pack])
    parsed = _parses(monkeypatch)
    (rule,) = _loaded([pack]).rules
    assert parsed == []
    assert (rule,) == fresh.rules
    assert str(rule.marker) == 'python_version >= "3.8"'
    assert [str(condition.specifier) for condition in rule.packages] == ["<1.5,>=1.0", ">=2.0"]
    assert rule.remedies[0].note == "the fixed release"


def test_an_edited_rule_file_is_read_again(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _loaded([pack])
    parsed = _parses(monkeypatch)
    file = pack / "one.toml"
    edited = ONE_RULE.replace("alpha 1 with beta 2 breaks", "alpha 1 with beta 2 fails!")
    assert len(edited) == len(ONE_RULE)
    stat = file.stat()
    file.write_text(edited, encoding="utf-8")
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
    (rule,) = _loaded([pack]).rules
    assert parsed == [file]
    assert rule.summary == "alpha 1 with beta 2 fails!"


def test_a_file_with_problems_is_never_cached_and_reports_them_every_time(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = pack / "two.toml"
    broken.write_text(
        ONE_RULE.replace("ZZ1001", "ZZ1002")
        .replace("alpha-beta-break", "alpha-beta-other")
        .replace('bad = ">=2.0"', 'bad = "=>2.0"'),
        encoding="utf-8",
    )
    expected = [problem.describe() for problem in load_rules([pack]).problems]
    assert expected and all(text.startswith(f"{broken}:") for text in expected)
    first = _loaded([pack])
    parsed = _parses(monkeypatch)
    second = _loaded([pack])
    assert parsed == [broken], "the good file came from the cache, the broken one did not"
    assert [problem.describe() for problem in first.problems] == expected
    assert [problem.describe() for problem in second.problems] == expected
    assert [rule.code for rule in second.rules] == ["ZZ1001"]


def test_duplicates_across_cached_files_are_still_reported(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(pack / "one.toml", pack / "two.toml")
    expected = [problem.describe() for problem in load_rules([pack]).problems]
    assert len(expected) == 1 and "repeats the code or slug" in expected[0]
    _loaded([pack])
    parsed = _parses(monkeypatch)
    second = _loaded([pack])
    assert parsed == []
    assert [problem.describe() for problem in second.problems] == expected


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda blob: blob[: len(blob) // 2], id="truncated"),
        pytest.param(lambda blob: blob[:-10] + b"\x00" * 10, id="flipped-bytes"),
        pytest.param(lambda blob: b"not a cache at all", id="foreign"),
        pytest.param(lambda blob: b"", id="empty"),
    ],
)
def test_a_damaged_cache_falls_back_to_the_toml_and_is_rewritten(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch, damage: Callable[[bytes], bytes]
) -> None:
    expected = _loaded([pack])
    (file,) = _cache_files(cache)
    file.write_bytes(damage(file.read_bytes()))
    parsed = _parses(monkeypatch)
    assert _loaded([pack]) == expected
    assert parsed == [pack / "one.toml"]
    parsed.clear()
    assert _loaded([pack]) == expected
    assert parsed == [], "the fallback wrote a good cache again"


def _rewrite(file: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Change a cache file's document and give it a valid checksum, as another program could."""
    payload = file.read_bytes()[len(rulecache.MAGIC) + rulecache._DIGEST_SIZE :]
    document = marshal.loads(payload)
    change(document)
    payload = marshal.dumps(document)
    file.write_bytes(
        rulecache.MAGIC + zlib.crc32(payload).to_bytes(rulecache._DIGEST_SIZE, "big") + payload
    )


def _break_records(document: dict[str, object]) -> None:
    files = document["files"]
    assert isinstance(files, dict)
    for key, (digest, records) in files.items():
        files[key] = (digest, [{**records[0], "packages": [("alpha", 1)]}])


def _other_pinaudit(document: dict[str, object]) -> None:
    document["salt"] = b"pinaudit 0.0.0"


def _other_format(document: dict[str, object]) -> None:
    document["format"] = rulecache.FORMAT_VERSION + 1


@pytest.mark.parametrize("change", [_break_records, _other_pinaudit, _other_format])
def test_a_cache_of_another_shape_or_version_is_not_used(
    cache: Path,
    pack: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict[str, object]], None],
) -> None:
    expected = _loaded([pack])
    (file,) = _cache_files(cache)
    _rewrite(file, change)
    parsed = _parses(monkeypatch)
    assert _loaded([pack]) == expected
    assert parsed == [pack / "one.toml"]


def test_the_cache_holds_plain_data_only(cache: Path, pack: Path) -> None:
    _loaded([pack])
    (file,) = _cache_files(cache)
    document = marshal.loads(file.read_bytes()[len(rulecache.MAGIC) + rulecache._DIGEST_SIZE :])
    plain = (str, bytes, int, list, tuple, dict)

    def walk(value: object) -> None:
        assert type(value) in plain, type(value)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(document)


def test_an_unusable_cache_folder_does_not_fail_the_run(
    tmp_path: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    monkeypatch.setenv(cachedir.CACHE_ENV, str(blocker))
    assert _loaded([pack]) == load_rules([pack])
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def test_a_cache_folder_that_refuses_writes_does_not_fail_the_run(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("pinaudit.write.atomic_write", refuse)
    assert _loaded([pack]) == load_rules([pack])
    assert _cache_files(cache) == []


def test_no_cache_reads_and_writes_nothing(
    cache: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _loaded([pack])
    monkeypatch.setenv(cachedir.NO_CACHE_ENV, "1")
    parsed = _parses(monkeypatch)
    (file,) = _cache_files(cache)
    before = file.read_bytes()
    (pack / "new.toml").write_text(
        ONE_RULE.replace("ZZ1001", "ZZ1003").replace("alpha-beta-break", "alpha-beta-new"),
        encoding="utf-8",
    )
    assert [rule.code for rule in _loaded([pack]).rules] == ["ZZ1003", "ZZ1001"]
    assert parsed == [pack / "new.toml", pack / "one.toml"]
    assert file.read_bytes() == before


@pytest.mark.parametrize(
    ("value", "disabled"), [("1", True), ("yes", True), ("0", False), ("", False)]
)
def test_what_disables_the_cache(value: str, disabled: bool) -> None:
    assert cachedir.cache_disabled({cachedir.NO_CACHE_ENV: value}) is disabled


def test_the_rule_index_builds_only_the_rules_it_is_asked_for() -> None:
    records, _ = load_cached_records([builtin_rules_path()])
    waiting = pending(records)
    index = RuleIndex(waiting)
    expected = load_rules([builtin_rules_path()]).index()
    assert sorted(index) == sorted(expected) and len(index) == len(expected)
    assert all(item.rule is None for item in waiting)
    uvicorn = index.get("uvicorn", ())
    assert uvicorn == expected["uvicorn"]
    built = {item.record["code"] for item in waiting if item.rule is not None}
    assert built == {rule.code for rule in uvicorn}
    assert index.get("not-a-package-any-rule-names") is None
    assert index.get("not-a-package-any-rule-names", ()) == ()
    assert index.get("uvicorn") is uvicorn  # built once, then looked up
    assert {name: index[name] for name in index} == expected
    for name in index:
        for rule in index[name]:
            assert all(rule is other or rule.code != other.code for other in index[name])
    shared = [rule for rule in index["uvicorn"] if "wsproto" in rule.names]
    assert shared and all(rule in index["wsproto"] for rule in shared)
    assert all(any(rule is other for other in index["wsproto"]) for rule in shared), (
        "a rule naming two packages is built once"
    )


def test_check_gives_the_same_report_with_and_without_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(
        "uvicorn==0.13.4\nwsproto==1.0.0\nrequests==2.32.0\nurllib3==2.0.0\n", encoding="utf-8"
    )
    monkeypatch.chdir(project)
    runner = CliRunner()
    arguments = ["check", "--output-format", "json"]
    uncached = runner.invoke(main, arguments, env={cachedir.NO_CACHE_ENV: "1"})
    assert _cache_files(cache) == []
    filling = runner.invoke(main, arguments)
    assert len(_cache_files(cache)) == 1
    parsed = _parses(monkeypatch)
    cached = runner.invoke(main, arguments)
    assert parsed == []
    assert uncached.exit_code == filling.exit_code == cached.exit_code == 1
    assert uncached.stdout == filling.stdout == cached.stdout
    assert '"PA1001"' in cached.stdout


def test_two_installs_keep_a_cache_file_each(cache: Path, pack: Path) -> None:
    _loaded([pack])
    (ours,) = _cache_files(cache)
    theirs = RuleCache(cache / "rules", salt=b"pinaudit 9.9 with another packaging")
    assert theirs.file != ours
    theirs.put(pack / "one.toml", b"their bytes", [])
    theirs.save()
    assert _cache_files(cache) == sorted([ours, theirs.file])
    again = RuleCache(cache / "rules")
    again.load()
    data = (pack / "one.toml").read_bytes()
    assert again.get(pack / "one.toml", data) is not None, "ours was left alone"


@pytest.mark.parametrize(
    "environ",
    [
        {"HOME": "/home/someone"},
        {"HOME": "/home/someone/"},
        {"HOME": "/"},
        {"HOME": "/home/someone", "XDG_CACHE_HOME": "/var/cache/someone"},
        {"HOME": "/home/someone", "XDG_CACHE_HOME": "relative/is/ignored"},
        {"HOME": "/home/someone", "XDG_CACHE_HOME": ""},
    ],
)
def test_the_cache_folder_is_the_one_platformdirs_names(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    for name in (cachedir.CACHE_ENV, "XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cachedir.cache_directory() == Path(platformdirs.user_cache_dir("pinaudit"))


def test_a_check_with_a_warm_cache_imports_no_writer_and_no_platformdirs(tmp_path: Path) -> None:
    """What the hook is spared on every commit once the rules are cached."""
    (tmp_path / "requirements.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", "utf-8")
    probe = (
        "import sys\n"
        "from pinaudit.cli import main\n"
        "try:\n    main(['check', '.'])\nexcept SystemExit:\n    pass\n"
        "spared = {'platformdirs', 'tempfile', 'difflib', 'pinaudit.write'}\n"
        "print(sorted(set(sys.modules) & spared))"
    )
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PINAUDIT_")}
    environ |= {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": ""}
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tmp_path,
            env=environ,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[-1]
        for _ in range(2)
    ]
    assert runs[0] == "['pinaudit.write', 'tempfile']", "the first run writes the cache"
    assert runs[1] == "[]"
    assert _cache_files(tmp_path / "home" / ".cache" / "pinaudit")
