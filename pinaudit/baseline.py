"""Baselines: adopt pinaudit in a large repository without fixing everything first.

``pinaudit baseline write FILE`` records today's findings; ``check --baseline
FILE`` then reports only new ones.  An entry is keyed by what a reviewer would
call "the same finding": the rule, the file, and each package with the exact
text of its entry.  Line numbers are left out so that an unrelated edit above an
entry does not resurface it; the entry's text is kept in so that changing the
entry itself (a new pin that is still bad) is a new decision and is reported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinaudit import __version__
from pinaudit.findings import Finding

VERSION = 1


@dataclass(frozen=True, slots=True, order=True)
class Entry:
    rule: str
    path: str
    packages: tuple[tuple[str, str], ...]


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file and why."""


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.absolute(), base.absolute())).as_posix()


def entry_for(finding: Finding, base: Path) -> Entry:
    """The key of a finding, with paths relative to the baseline file's folder."""
    return Entry(
        finding.rule.code,
        _relative(finding.primary.path, base),
        tuple((item.name, item.primary.text) for item in finding.involved),
    )


def render_baseline(findings: Iterable[Finding], base: Path) -> str:
    entries: dict[Entry, str] = {}
    for finding in findings:
        entries.setdefault(entry_for(finding, base), finding.message)
    data = {
        "version": VERSION,
        "tool": {"name": "pinaudit", "version": __version__},
        "findings": [
            {
                "rule": entry.rule,
                "path": entry.path,
                "packages": [{"name": name, "text": text} for name, text in entry.packages],
                "message": entries[entry],
            }
            for entry in sorted(entries)
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def _entry(item: Any, position: int) -> Entry:
    where = f"findings[{position}]"
    if not isinstance(item, dict):
        raise BaselineError(f"{where} must be an object")
    rule, path, packages = item.get("rule"), item.get("path"), item.get("packages")
    if not isinstance(rule, str) or not isinstance(path, str):
        raise BaselineError(f"{where} needs string 'rule' and 'path'")
    if not isinstance(packages, list):
        raise BaselineError(f"{where}: 'packages' must be a list")
    pairs: list[tuple[str, str]] = []
    for package in packages:
        if (
            not isinstance(package, dict)
            or not isinstance(package.get("name"), str)
            or not isinstance(package.get("text"), str)
        ):
            raise BaselineError(f"{where}: each package needs string 'name' and 'text'")
        pairs.append((package["name"], package["text"]))
    return Entry(rule, path, tuple(pairs))


def parse_baseline(text: str) -> frozenset[Entry]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BaselineError(f"line {error.lineno}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise BaselineError("expected a JSON object with 'version' and 'findings'")
    version = data.get("version")
    if version != VERSION:
        raise BaselineError(
            f"unsupported version {version!r} (this pinaudit reads version {VERSION}); "
            "write it again with 'pinaudit baseline write'"
        )
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise BaselineError("'findings' must be a list")
    return frozenset(_entry(item, position) for position, item in enumerate(findings))


def read_baseline(path: Path) -> frozenset[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such file; create it with 'pinaudit baseline write {path}'"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(
            f"{path}: cannot read it: {getattr(error, 'strerror', None) or error}"
        ) from None
    try:
        return parse_baseline(text)
    except BaselineError as error:
        raise BaselineError(f"{path}: {error}") from None


def split(
    findings: Sequence[Finding], known: frozenset[Entry], base: Path
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(new findings, findings already in the baseline)."""
    new: list[Finding] = []
    old: list[Finding] = []
    for finding in findings:
        (old if entry_for(finding, base) in known else new).append(finding)
    return tuple(new), tuple(old)
