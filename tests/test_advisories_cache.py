"""The advisory index: hits, misses, invalidation, corruption, zip input, locations."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pinaudit import advisories
from pinaudit.advisories import load_advisory_rules, sources, store
from pinaudit.rulebook import RuleSet

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osv"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A private copy of the good fixtures, free to touch and edit."""
    target = tmp_path / "osv"
    shutil.copytree(FIXTURES / "good", target)
    return target


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(advisories.CACHE_ENV, raising=False)
    return tmp_path / "cache"


class ReadCounter:
    """Counts how often the sources are parsed: a cache hit parses nothing."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = sources.read_records

        def counted(found: sources.Scan) -> Iterator[object]:
            self.calls += 1
            return original(found)

        monkeypatch.setattr(sources, "read_records", counted)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> ReadCounter:
    return ReadCounter(monkeypatch)


def _index_files(cache: Path) -> list[Path]:
    return sorted((cache / "advisories").glob("index-*.bin"))


def _same(first: RuleSet, second: RuleSet) -> None:
    assert first.rules == second.rules
    assert first.problems == second.problems


def test_first_load_builds_the_index_and_the_second_reads_it(
    source: Path, cache: Path, reads: ReadCounter
) -> None:
    cold = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 1
    assert len(_index_files(cache)) == 1
    warm = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 1, "a hit must not parse the sources again"
    _same(cold, warm)
    assert [path.name for path in (cache / "advisories").iterdir()] == [
        _index_files(cache)[0].name
    ], "no temporary file left behind"
    assert stat.S_IMODE(_index_files(cache)[0].stat().st_mode) == 0o600, "the user's own cache"


def test_a_warm_load_reads_only_the_packages_asked_for(
    source: Path, cache: Path, reads: ReadCounter
) -> None:
    load_advisory_rules([source], cache_dir=cache)
    warm = load_advisory_rules([source], packages=["OTHER_pkg"], cache_dir=cache)
    assert reads.calls == 1
    assert [rule.code for rule in warm.rules] == ["PYSEC-2099-2"]
    assert load_advisory_rules([source], packages=["not-there"], cache_dir=cache).rules == ()


def test_a_changed_file_invalidates_the_index(
    source: Path, cache: Path, reads: ReadCounter
) -> None:
    before = load_advisory_rules([source], cache_dir=cache)
    record = source / "PYSEC-2099-2.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    data["affected"][0]["package"]["name"] = "renamed-pkg"
    record.write_text(json.dumps(data), encoding="utf-8")
    after = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 2
    assert {rule.names[0] for rule in after.rules} == {"example-lib", "renamed-pkg"}
    assert before.rules != after.rules
    assert len(_index_files(cache)) == 1, "the same sources reuse one index file"


def test_a_touched_file_with_the_same_size_invalidates_the_index(
    source: Path, cache: Path, reads: ReadCounter
) -> None:
    load_advisory_rules([source], cache_dir=cache)
    record = source / "PYSEC-2099-2.json"
    status = record.stat()
    os.utime(record, ns=(status.st_atime_ns, status.st_mtime_ns + 5_000_000_000))
    load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 2


def test_added_and_removed_files_invalidate_the_index(
    source: Path, cache: Path, reads: ReadCounter
) -> None:
    load_advisory_rules([source], cache_dir=cache)
    shutil.copy(FIXTURES / "broken" / "short-git-hash.json", source / "extra.json")
    added = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 2
    assert "PYSEC-2098-7" in added.by_code()
    (source / "extra.json").unlink()
    removed = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 3
    assert "PYSEC-2098-7" not in removed.by_code()


def _corrupt_blob(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))


def _other_version(path: Path) -> None:
    magic, header, body = path.read_bytes().split(b"\n", 2)
    parsed = json.loads(header)
    parsed["format"] = store.FORMAT_VERSION + 1
    path.write_bytes(magic + b"\n" + json.dumps(parsed).encode() + b"\n" + body)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
        pytest.param(lambda path: path.write_bytes(b"\x00\xff garbage"), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:200]), id="truncated"),
        pytest.param(_corrupt_blob, id="flipped-bit"),
        pytest.param(_other_version, id="other-format-version"),
        pytest.param(
            lambda path: path.write_bytes(store.MAGIC + b'{"format": 1}\n'), id="header-only"
        ),
        pytest.param(
            lambda path: path.write_bytes(store.MAGIC + b"[1, 2]\n"), id="header-not-object"
        ),
    ],
)
def test_a_bad_index_is_rebuilt_never_a_crash(
    source: Path, cache: Path, reads: ReadCounter, damage: object
) -> None:
    good = load_advisory_rules([source], cache_dir=cache)
    index = _index_files(cache)[0]
    assert callable(damage)
    damage(index)
    rebuilt = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 2
    _same(good, rebuilt)
    again = load_advisory_rules([source], cache_dir=cache)
    assert reads.calls == 2, "the rebuilt index is good again"
    _same(good, again)


def test_an_index_that_is_a_folder_is_rebuilt_elsewhere_or_reported(
    source: Path, cache: Path
) -> None:
    load_advisory_rules([source], cache_dir=cache)
    index = _index_files(cache)[0]
    index.unlink()
    index.mkdir()
    loaded = load_advisory_rules([source], cache_dir=cache)
    assert len(loaded.rules) == 2
    assert [problem.code for problem in loaded.problems] == [advisories.CACHE_PROBLEM]


def test_an_unwritable_cache_is_reported_and_the_rules_still_load(
    source: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    loaded = load_advisory_rules([source], cache_dir=blocker)
    assert len(loaded.rules) == 2
    assert [problem.code for problem in loaded.problems] == [advisories.CACHE_PROBLEM]
    assert "PINAUDIT_CACHE_DIR" in loaded.problems[0].message


def test_no_cache_neither_reads_nor_writes_the_index(
    source: Path, cache: Path, reads: ReadCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled = load_advisory_rules([source], cache_dir=cache)
    (index,) = _index_files(cache)
    monkeypatch.setenv("PINAUDIT_NO_CACHE", "1")
    reads.calls = 0
    _same(load_advisory_rules([source], cache_dir=cache), filled)
    assert reads.calls == 1, "the sources were read although an index exists"
    index.unlink()
    _same(load_advisory_rules([source], cache_dir=cache), filled)
    assert _index_files(cache) == [], "nothing was written"


def test_the_environment_variable_chooses_the_cache(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "from-env"
    monkeypatch.setenv(advisories.CACHE_ENV, str(chosen))
    load_advisory_rules([source])
    assert _index_files(chosen)
    assert advisories.cache_directory() == chosen
    explicit = tmp_path / "explicit"
    assert advisories.cache_directory(explicit) == explicit, "the argument beats the variable"


def test_the_default_cache_is_the_platform_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv(advisories.CACHE_ENV, raising=False)
    assert advisories.cache_directory() == Path(platformdirs.user_cache_dir("pinaudit"))
    assert advisories.export_path().parent.parent == advisories.cache_directory()


def _zip_of(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.json")):
            archive.write(path, path.name)
    return target


def test_a_zip_export_loads_like_the_folder(source: Path, cache: Path, tmp_path: Path) -> None:
    export = _zip_of(source, tmp_path / "all.zip")
    from_zip = load_advisory_rules([export], cache_dir=cache)
    from_folder = load_advisory_rules([source], cache_dir=cache)
    assert [rule.code for rule in from_zip.rules] == [rule.code for rule in from_folder.rules]
    for zipped, unzipped in zip(from_zip.rules, from_folder.rules, strict=True):
        assert zipped.packages == unzipped.packages
        assert zipped.aliases == unzipped.aliases
    merged = from_zip.by_code()["PYSEC-2099-1"]
    assert merged.path == export / "PYSEC-2099-1.json", "a member is named inside its archive"


def test_a_zip_is_cached_by_its_own_size_and_time(
    source: Path, cache: Path, tmp_path: Path, reads: ReadCounter
) -> None:
    export = _zip_of(source, tmp_path / "all.zip")
    load_advisory_rules([export], cache_dir=cache)
    load_advisory_rules([export], cache_dir=cache)
    assert reads.calls == 1
    shutil.copy(FIXTURES / "broken" / "short-git-hash.json", source / "extra.json")
    _zip_of(source, export)
    updated = load_advisory_rules([export], cache_dir=cache)
    assert reads.calls == 2
    assert "PYSEC-2098-7" in updated.by_code()


def test_a_broken_zip_is_a_problem(cache: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.zip"
    export.write_bytes(b"PK\x03\x04 not really a zip")
    loaded = load_advisory_rules([export], cache_dir=cache)
    assert loaded.rules == ()
    assert "not a readable zip archive" in loaded.problems[0].message


def test_an_oversized_zip_member_is_refused(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "MAX_RECORD_BYTES", 100)
    export = _zip_of(FIXTURES / "good", tmp_path / "all.zip")
    loaded = load_advisory_rules([export], cache_dir=cache)
    assert loaded.rules == ()
    assert all("more than any OSV record" in problem.message for problem in loaded.problems)


def test_no_sources_means_no_rules_and_no_cache(cache: Path) -> None:
    assert load_advisory_rules([], cache_dir=cache) == RuleSet((), ())
    assert not cache.exists()


def test_default_paths_offer_the_downloaded_export_only_when_present(cache: Path) -> None:
    assert advisories.default_advisory_paths(cache) == []
    export = advisories.export_path(cache)
    export.parent.mkdir(parents=True)
    _zip_of(FIXTURES / "good", export)
    assert advisories.default_advisory_paths(cache) == [export]
