"""A cache of validated rules, so the pre-commit hook does not re-read the rule TOML.

Parsing and validating the shipped rule files cost more than checking a small
repository does, on every commit.  So the records of a problem-free rule file
(:data:`~pinaudit.rulebook.RuleRecord`: the texts the file stated, after
validation) are kept in the user cache folder, next to the advisory index, and
a later run that finds the same bytes in the same file skips TOML and
validation.  A file with problems is never cached, so its problems are reported
on every run with file and line, exactly as without the cache.

The cache is plain data written with :mod:`marshal`, never pickle: rules never
execute code, and neither can their cache.  Everything read back is checked
(a checksum over the payload, then the shape of every record) before it is
used, and any surprise (a corrupt or foreign file, another pinaudit, an
unreadable or read-only folder) quietly falls back to reading the TOML.
``PINAUDIT_NO_CACHE=1`` bypasses it.
"""

from __future__ import annotations

import marshal
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import packaging

from pinaudit import __version__
from pinaudit.cachedir import cache_directory, cache_disabled
from pinaudit.model import Problem
from pinaudit.rulebook import Rule, RuleRecord, is_rule_record, load_rule_records, rule_from_record

MAGIC = b"pinaudit-rules\n"
FORMAT_VERSION = 1
"""Bump whenever the layout of the cache file changes meaning."""
MAX_FILES = 256
"""Rule files remembered at most; past it, a write keeps only this run's files."""

_DIGEST_SIZE = 4


def _crc(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(_DIGEST_SIZE, "big")


def content_key(data: bytes) -> str:
    """A rule file's identity: its size and CRC-32.

    Not SHA-256: importing hashlib (OpenSSL) cost the hook more than reading
    every rule file.  This is a cache key, not a security check (whoever can
    write a rule file decides the rules anyway); an edit that keeps both the
    size and the CRC-32 is a one-in-four-billion accident.
    """
    return f"{len(data)}:{zlib.crc32(data):08x}"


def _salt() -> bytes:
    """What validation depends on besides the rule file's bytes.

    A record is only as good as the code that validated it, so the versions of
    pinaudit and packaging are part of the key, and so are the size and mtime of
    the modules that validate: in a checkout the version does not change when
    they are edited, and a stale cache must not hide what an edit now rejects.
    """
    here = Path(__file__).parent
    sources = []
    for name in ("rulebook.py", "ranges.py", "rulecache.py"):
        try:
            info = (here / name).stat()
        except OSError:
            continue
        sources.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    parts = [
        f"format {FORMAT_VERSION}",
        f"pinaudit {__version__}",
        f"packaging {packaging.__version__}",
        f"python {sys.version_info[0]}.{sys.version_info[1]} marshal {marshal.version}",
        *sources,
    ]
    return "\n".join(parts).encode()


class RuleCache:
    """The records of problem-free rule files, keyed by path and :func:`content_key`.

    Implements :class:`~pinaudit.rulebook.RecordStore`.  The file's name and its
    header hold the salt (:func:`_salt`), so two installs of pinaudit (the
    project's virtualenv and pre-commit's) keep one file each instead of
    rewriting one another's on every run.
    """

    __slots__ = ("_dirty", "_entries", "_salt", "_used", "file")

    def __init__(self, directory: Path, salt: bytes | None = None) -> None:
        self._salt = _salt() if salt is None else salt
        self.file = directory / f"rules-{zlib.crc32(self._salt):08x}.bin"
        self._entries: dict[str, tuple[str, list[RuleRecord]]] = {}
        self._used: set[str] = set()
        self._dirty = False

    def load(self) -> None:
        """Read the cache file; nothing read (or nothing usable) leaves the cache empty."""
        try:
            blob = self.file.read_bytes()
        except OSError:
            return
        entries = self._decode(blob)
        if entries is not None:
            self._entries = entries

    def _decode(self, blob: bytes) -> dict[str, tuple[str, list[RuleRecord]]] | None:
        header = len(MAGIC) + _DIGEST_SIZE
        if not blob.startswith(MAGIC) or len(blob) < header:
            return None
        payload = blob[header:]
        if _crc(payload) != blob[len(MAGIC) : header]:
            return None
        try:
            document = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        if (
            not isinstance(document, dict)
            or document.get("format") != FORMAT_VERSION
            or document.get("salt") != self._salt
            or not isinstance(document.get("files"), dict)
        ):
            return None
        entries: dict[str, tuple[str, list[RuleRecord]]] = {}
        for key, entry in document["files"].items():
            # Records are checked when used (``get``): most runs use a few files.
            if (
                isinstance(key, str)
                and isinstance(entry, tuple)
                and len(entry) == 2
                and isinstance(entry[0], str)
                and isinstance(entry[1], list)
            ):
                entries[key] = entry
        return entries

    @staticmethod
    def _key(path: Path) -> str:
        # absolute, not resolve: no system calls; a symlinked path merely gets its own entry.
        return str(path.absolute())

    def get(self, path: Path, data: bytes) -> list[RuleRecord] | None:
        key = self._key(path)
        entry = self._entries.get(key)
        if entry is None:
            return None
        digest, records = entry
        if digest != content_key(data) or not all(is_rule_record(record) for record in records):
            return None
        self._used.add(key)
        return records

    def put(self, path: Path, data: bytes, records: list[RuleRecord]) -> None:
        key = self._key(path)
        self._entries[key] = (content_key(data), records)
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if this run added to it; a folder that refuses is no error."""
        if not self._dirty:
            return
        entries = self._entries
        if len(entries) > MAX_FILES:
            entries = {key: entries[key] for key in self._used}
        payload = marshal.dumps({"format": FORMAT_VERSION, "salt": self._salt, "files": entries})
        from pinaudit.write import atomic_write

        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.file, MAGIC + _crc(payload) + payload)
        except OSError:
            return
        self._dirty = False


def _cache_folder() -> Path | None:
    try:
        return cache_directory() / "rules"
    except Exception:  # a home folder platformdirs cannot find: run without the cache
        return None


def load_cached_records(
    paths: Iterable[Path],
) -> tuple[list[tuple[Path, RuleRecord]], list[Problem]]:
    """:func:`~pinaudit.rulebook.load_rule_records`, through the cache unless it is disabled."""
    folder = None if cache_disabled() else _cache_folder()
    if folder is None:
        return load_rule_records(paths)
    cache = RuleCache(folder)
    cache.load()
    loaded = load_rule_records(paths, cache)
    cache.save()
    return loaded


class Pending:
    """A rule not built yet: building is most of what loading rules still costs."""

    __slots__ = ("path", "record", "rule")

    def __init__(self, path: Path, record: RuleRecord) -> None:
        self.path = path
        self.record = record
        self.rule: Rule | None = None

    def build(self) -> Rule:
        if self.rule is None:
            self.rule = rule_from_record(self.record, self.path)
        return self.rule


class RuleIndex(Mapping[str, tuple[Rule, ...]]):
    """Rules keyed by every package they name, built only when a package is looked up.

    The same mapping as :meth:`~pinaudit.rulebook.RuleSet.index` (the engine
    only calls ``get``), but a rule is built the first time one of its packages
    is asked for, so a repository that uses a handful of packages pays for a
    handful of rules.  A rule naming two packages is built once and shared.
    """

    __slots__ = ("_built", "_sources")

    def __init__(self, rules: Iterable[Rule | Pending]) -> None:
        self._sources: dict[str, list[Rule | Pending]] = {}
        self._built: dict[str, tuple[Rule, ...]] = {}
        for rule in rules:
            names = rule.names if isinstance(rule, Rule) else _record_names(rule.record)
            for name in dict.fromkeys(names):
                self._sources.setdefault(name, []).append(rule)

    def __getitem__(self, name: str) -> tuple[Rule, ...]:
        built = self._built.get(name)
        if built is None:
            sources = self._sources[name]
            built = tuple(rule if isinstance(rule, Rule) else rule.build() for rule in sources)
            self._built[name] = built
        return built

    def get(  # type: ignore[override]
        self, name: str, default: tuple[Rule, ...] | None = None
    ) -> tuple[Rule, ...] | None:
        """``Mapping.get`` without its KeyError: most names a tree holds have no rules.

        The engine asks once per package and environment; raising and catching
        for every package without rules cost a monorepo check tens of ms.
        """
        built = self._built.get(name)
        if built is not None:
            return built
        if name not in self._sources:
            return default
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


def _record_names(record: RuleRecord) -> tuple[str, ...]:
    return tuple(name for name, _ in record["packages"])


def pending(records: Sequence[tuple[Path, RuleRecord]]) -> list[Pending]:
    """Rules to put in a :class:`RuleIndex`, each built on first use."""
    return [Pending(path, record) for path, record in records]
