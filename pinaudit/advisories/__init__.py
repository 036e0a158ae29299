"""Security advisories (OSV) as pinaudit rules.

An OSV advisory is a one-package rule of kind ``advisory``: the versions it
affects are the rule's bad range, its fixed releases the remedies.  This
package only turns advisories into :class:`~pinaudit.rulebook.Rule` values;
the engine, the fix planner and the renderers treat them like any other rule.

Reading thousands of records on every pre-commit run would be slow, so the
first run builds an index in the user cache directory and later runs read
from it only the packages the repository uses (see :mod:`.store`).  Nothing
here touches the network; fetching the osv.dev export is the explicit
``pinaudit advisories update`` command (:mod:`.cli`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import packaging
from packaging.utils import canonicalize_name

from pinaudit.cachedir import CACHE_ENV, cache_directory, cache_disabled
from pinaudit.model import Problem
from pinaudit.rulebook import RuleSet

CACHE_PROBLEM = "advisory-cache"
EXPORT_NAME = "PyPI-all.zip"

__all__ = [
    "CACHE_ENV",
    "cache_directory",
    "default_advisory_paths",
    "export_path",
    "load_advisory_rules",
]


def export_path(cache_dir: Path | None = None) -> Path:
    """Where ``pinaudit advisories update`` keeps the osv.dev PyPI export."""
    return cache_directory(cache_dir) / "osv" / EXPORT_NAME


def default_advisory_paths(cache_dir: Path | None = None) -> list[Path]:
    """The downloaded export if there is one: offline, and opted into by ``update``."""
    path = export_path(cache_dir)
    return [path] if path.is_file() else []


def load_advisory_rules(
    paths: Sequence[Path],
    *,
    packages: Collection[str] | None = None,
    cache_dir: Path | None = None,
) -> RuleSet:
    """Rules for the advisories under ``paths`` that concern ``packages``.

    ``paths`` are folders of OSV JSON files (searched recursively), zip exports
    or single files.  ``packages`` are distribution names (canonicalised here);
    ``None`` loads every package.  Problems come back in the rule set, never
    raised: a malformed record, an unreadable source, an unwritable cache.
    With ``$PINAUDIT_NO_CACHE`` set the index is neither read nor written.
    Problems about a package outside ``packages`` are left out with its rules.
    """
    from pinaudit.advisories import build, sources, store

    if not paths:
        return RuleSet((), ())
    wanted = None if packages is None else {canonicalize_name(name) for name in packages}
    salt = f"{store.FORMAT_VERSION}:{packaging.__version__}"
    found = sources.scan(paths, salt)
    problems: list[Problem] = [report.problem for report in found.reports]
    if not found.files:
        return RuleSet((), tuple(problems))
    directory = cache_directory(cache_dir) / "advisories"
    index_file = directory / f"index-{found.identity}.bin"
    uncached = cache_disabled()
    cached = None if uncached else store.read(index_file, found.fingerprint, wanted)
    if cached is not None:
        entries, reports = cached
        selected = build.select(build.Index({}, tuple(reports)), wanted)[1]
        rules = tuple(build.entry_rule(entry) for entry in entries)
        return RuleSet(rules, (*problems, *selected))
    advisories = []
    reports = []
    for parsed in sources.read_records(found):
        reports.extend(parsed.reports)
        if parsed.advisory is not None:
            advisories.append(parsed.advisory)
    index = build.build_index(advisories, reports)
    if not uncached:
        try:
            store.write(index_file, index, found.fingerprint)
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(
                Problem(
                    index_file,
                    f"cannot write the advisory cache ({reason}); advisories were read without "
                    f"it, set {CACHE_ENV} to a writable folder to speed this up",
                    code=CACHE_PROBLEM,
                )
            )
    entries, selected = build.select(index, wanted)
    rules = tuple(build.entry_rule(entry) for entry in entries)
    return RuleSet(rules, (*problems, *selected))
