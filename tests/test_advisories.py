"""OSV advisories as rules: event semantics, merging, validation, the PyPA corpus.

The reference evaluator below is OSV's ``IsVulnerable`` pseudocode written out
with plain ``Version`` comparisons and no range algebra, so that the loader's
set arithmetic is checked against the specification rather than against
itself.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.ranges import VersionRange
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from pinaudit.advisories import build, load_advisory_rules, osv, severity
from pinaudit.rulebook import REFERENCE_KINDS, RuleKind, RuleSet, Severity

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osv"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus" / "osv" / "pypa-advisory-database"
SCHEMA = SHARED / "schemas" / "osv-schema.json"

Events = list[tuple[str, str]]


# --- the specification, literally ---------------------------------------------------------------


def _reference_key(event: tuple[str, str]) -> tuple[int, Version]:
    kind, text = event
    if kind == "introduced" and text == "0":
        return (-1, Version("0"))
    if kind == "limit" and "*" in text:
        return (1, Version("0"))
    return (0, Version(text))


class Reference:
    """OSV schema, "Evaluation": ``IncludedInVersions || IncludedInRanges``.

    Versions are parsed once up front; the loop is the pseudocode's.
    """

    def __init__(self, ranges: Sequence[Events], versions: Sequence[str]) -> None:
        self.versions = {Version(text) for text in versions}
        self.ranges = [
            (
                [
                    (kind, None if text == "0" and kind == "introduced" else Version(text))
                    for kind, text in sorted(events, key=_reference_key)
                    if kind != "limit"
                ],
                [
                    None if "*" in text else Version(text)
                    for kind, text in events
                    if kind == "limit"
                ],
            )
            for events in ranges
        ]

    def affected(self, version: Version) -> bool:
        if any(version == listed for listed in self.versions):
            return True
        for events, limits in self.ranges:
            if limits and not any(limit is None or version < limit for limit in limits):
                continue
            vulnerable = False
            for kind, bound in events:
                if kind == "introduced" and (bound is None or version >= bound):
                    vulnerable = True
                elif kind == "fixed" and bound is not None and version >= bound:  # noqa: SIM114
                    vulnerable = False
                elif kind == "last_affected" and bound is not None and version > bound:
                    vulnerable = False
            if vulnerable:
                return True
        return False


def reference_affected(version: Version, ranges: Sequence[Events], versions: Sequence[str]) -> bool:
    return Reference(ranges, versions).affected(version)


def probes(texts: Sequence[str]) -> Iterator[Version]:
    """Versions at and around every boundary: where set arithmetic goes wrong."""
    yield Version("0.dev0")
    yield Version("0")
    yield Version("999")
    for text in texts:
        try:
            base = Version(text)
        except InvalidVersion:
            continue
        yield base
        public = base.public
        release = base.base_version
        for variant in (
            f"{public}+local.1",
            f"{public}.post1",
            f"{public}.dev0",
            f"{release}rc1",
            f"{release}a1.dev1",
            f"{release}.1",
        ):
            try:
                yield Version(variant)
            except InvalidVersion:
                continue


# --- event semantics -----------------------------------------------------------------------------


def _range(events: Events) -> VersionRange:
    return osv.events_range(events)


def test_introduced_zero_covers_every_version_including_the_smallest() -> None:
    affected = _range([("introduced", "0")])
    for text in ("0.dev0", "0", "0a1", "1!0.1", "2024.1+local", "9999.post3"):
        assert affected.contains(Version(text)), text


def test_fixed_is_exclusive_and_its_prereleases_are_affected() -> None:
    affected = _range([("introduced", "1.0"), ("fixed", "1.2")])
    assert affected.contains(Version("1.0"))
    assert affected.contains(Version("1.1.9"))
    assert affected.contains(Version("1.2rc1")), "1.2rc1 < 1.2, so OSV calls it affected"
    assert affected.contains(Version("1.2.dev0"))
    assert not affected.contains(Version("1.2"))
    assert not affected.contains(Version("1.2+local"))
    assert not affected.contains(Version("0.9"))
    assert not affected.contains(Version("1.0rc1")), "1.0rc1 < introduced 1.0"


def test_last_affected_is_inclusive_and_plainly_ordered() -> None:
    affected = _range([("introduced", "1.0"), ("last_affected", "1.1")])
    assert affected.contains(Version("1.1"))
    assert affected.contains(Version("1.0.5"))
    assert not affected.contains(Version("1.1.post1")), "1.1.post1 > 1.1"
    assert not affected.contains(Version("1.1+local")), "1.1+local > 1.1 in PEP 440 order"
    assert not affected.contains(Version("1.1.1"))


def test_limit_cuts_the_range_and_star_means_none() -> None:
    limited = _range([("introduced", "1.0"), ("limit", "2.0")])
    assert limited.contains(Version("1.5"))
    assert limited.contains(Version("2.0rc1"))
    assert not limited.contains(Version("2.0"))
    unlimited = _range([("introduced", "1.0"), ("limit", "*")])
    assert unlimited.contains(Version("7.0"))
    two_limits = _range([("introduced", "1.0"), ("limit", "1.5"), ("limit", "3.0")])
    assert two_limits.contains(Version("2.5")), "BeforeLimits: below any one limit"


def test_multiple_intervals_and_unsorted_events() -> None:
    events = [("fixed", "2.0.3"), ("introduced", "2.0"), ("fixed", "1.2.5"), ("introduced", "0")]
    affected = _range(events)
    assert affected == _range(sorted(events, key=_reference_key))
    assert affected.contains(Version("1.2.4"))
    assert not affected.contains(Version("1.2.5"))
    assert not affected.contains(Version("1.9"))
    assert affected.contains(Version("2.0.2"))
    assert not affected.contains(Version("2.0.3"))
    assert affected.to_specifier_set() is None, "two intervals have no single spelling"


def test_explicit_versions_are_unioned_in_exactly() -> None:
    affected = osv.affected_range([[("introduced", "1.0"), ("fixed", "1.1")]], ["3.0"])
    assert affected.contains(Version("3.0"))
    assert not affected.contains(Version("3.0+local")), "versions mean equality, not =="
    assert not affected.contains(Version("3.0.1"))
    only_versions = osv.affected_range([], ["1.0", "1.0.0"])
    assert only_versions.contains(Version("1.0"))


def test_ranges_use_the_engines_prerelease_policy() -> None:
    """The engine combines ranges with ``prereleases=True`` ones; mixing policies raises."""
    affected = _range([("introduced", "0"), ("fixed", "1.0")])
    allowed = SpecifierSet(">=0.5", prereleases=True).to_range()
    assert not (affected & allowed).is_empty


release = st.builds(
    lambda major, minor, suffix: f"{major}.{minor}{suffix}",
    st.integers(0, 3),
    st.integers(0, 2),
    st.sampled_from(["", "a1", "rc1", ".post1", ".dev0", ".1"]),
)
event = st.one_of(
    st.tuples(st.just("introduced"), st.one_of(st.just("0"), release)),
    st.tuples(st.sampled_from(["fixed", "last_affected"]), release),
    st.tuples(st.just("limit"), st.one_of(st.just("*"), release)),
)
candidate = st.one_of(
    release.map(Version),
    release.map(lambda text: Version(f"{text}+local")),
)


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(event, min_size=1, max_size=8),
    extra=st.lists(release, max_size=3),
    versions=st.lists(candidate, min_size=1, max_size=12),
)
def test_range_algebra_matches_the_osv_pseudocode(
    events: Events, extra: list[str], versions: list[Version]
) -> None:
    affected = osv.affected_range([events], extra)
    texts = [text for kind, text in events if text not in ("0", "*")] + extra
    for version in [*versions, *probes(texts)]:
        assert affected.contains(version) == reference_affected(version, [events], extra), (
            version,
            events,
            extra,
        )


@settings(max_examples=150, deadline=None)
@given(events=st.lists(event, min_size=1, max_size=8))
def test_stored_spellings_rebuild_the_same_range(events: Events) -> None:
    """What the cache stores (one or several specifiers) must give back the range."""
    pieces = osv.events_pieces(events)
    assert osv.union_all(pieces) == osv.events_range(events)
    kinds = {kind for kind, _ in events}
    assume("introduced" in kinds and not {"fixed", "last_affected"} <= kinds)
    entry = _entry_for({"affected": [_pypi("pkg", [events])]})
    if entry is not None:
        assert build.entry_range(entry) == osv.events_range(events)


# --- records to rules ----------------------------------------------------------------------------


def _pypi(name: str, ranges: Sequence[Events], versions: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "package": {"ecosystem": "PyPI", "name": name},
        "ranges": [
            {"type": "ECOSYSTEM", "events": [{kind: text} for kind, text in events]}
            for events in ranges
        ],
        "versions": list(versions),
    }


def _record(identifier: str = "PYSEC-2099-100", **fields: Any) -> dict[str, Any]:
    return {"id": identifier, "modified": "2024-01-01T00:00:00Z", **fields}


def _parse(data: object, name: str = "record.json") -> osv.Parsed:
    return osv.parse_record(data, Path(name))


def _entry_for(fields: Mapping[str, Any]) -> build.Entry | None:
    parsed = _parse(_record(**fields))
    assert parsed.advisory is not None
    entries = build.entries_for_group([parsed.advisory])
    return entries[0] if entries else None


def _rules(*records: Mapping[str, Any]) -> RuleSet:
    advisories: list[osv.Advisory] = []
    reports: list[osv.Report] = []
    for position, record in enumerate(records):
        parsed = _parse(record, f"r{position}.json")
        reports.extend(parsed.reports)
        if parsed.advisory is not None:
            advisories.append(parsed.advisory)
    entries, problems = build.select(build.build_index(advisories, reports), None)
    return RuleSet(tuple(build.entry_rule(entry) for entry in entries), tuple(problems))


def test_a_record_becomes_a_one_package_advisory_rule() -> None:
    rules = _rules(
        _record(
            "PYSEC-2099-100",
            aliases=["CVE-2099-100"],
            details="First line says what.\nMore detail.",
            affected=[_pypi("Foo.Bar", [[("introduced", "0"), ("fixed", "1.4")]])],
            references=[{"type": "FIX", "url": "https://github.com/o/foo/commit/abc"}],
        )
    ).rules
    assert len(rules) == 1
    rule = rules[0]
    assert rule.code == "PYSEC-2099-100"
    assert rule.slug == "pysec-2099-100"
    assert rule.kind is RuleKind.ADVISORY
    assert rule.severity is Severity.WARNING, "no severity in the record: documented default"
    assert rule.summary == "First line says what."
    assert rule.names == ("foo-bar",)
    condition = rule.packages[0]
    assert condition.range == _range([("introduced", "0"), ("fixed", "1.4")])
    assert SpecifierSet(str(condition.specifier), prereleases=True).to_range() == condition.range
    assert [str(remedy.version) for remedy in rule.remedies] == ["1.4"]
    assert rule.fixed == "foo-bar 1.4"
    assert rule.aliases == ("CVE-2099-100",)
    assert rule.references[0].url == "https://osv.dev/vulnerability/PYSEC-2099-100"
    assert {reference.kind for reference in rule.references} <= REFERENCE_KINDS
    assert rule.references[1].kind == "commit"


def test_remedies_are_the_first_fix_above_each_interval_ascending() -> None:
    rule = _rules(
        _record(
            affected=[
                _pypi(
                    "pkg",
                    [
                        [("introduced", "3.0"), ("fixed", "3.0.4")],
                        [("introduced", "0"), ("fixed", "2.2.28")],
                        [("introduced", "2.2.28.post1"), ("fixed", "2.2.29")],
                    ],
                )
            ]
        )
    ).rules[0]
    assert [str(remedy.version) for remedy in rule.remedies] == ["2.2.28", "2.2.29", "3.0.4"]
    for remedy in rule.remedies:
        assert not rule.packages[0].range.contains(remedy.version)
    assert rule.packages[0].specifier == SpecifierSet(), "three intervals: no single specifier"
    assert "introduced 3.0, fixed 3.0.4" in rule.description


def test_a_fix_inside_another_affected_range_is_no_remedy() -> None:
    rule = _rules(
        _record(
            affected=[
                _pypi("pkg", [[("introduced", "0"), ("fixed", "1.5")], [("introduced", "1.0")]])
            ]
        )
    ).rules[0]
    assert rule.remedies == ()
    assert rule.fixed == ""


def test_unfixed_and_last_affected_ranges_have_no_remedy() -> None:
    rule = _rules(
        _record(affected=[_pypi("pkg", [[("introduced", "0"), ("last_affected", "2.0")]])])
    ).rules[0]
    assert rule.remedies == ()
    assert rule.packages[0].range.contains(Version("2.0"))


def test_aliases_merge_into_one_rule_with_a_deterministic_code() -> None:
    pysec = _record(
        "PYSEC-2099-7",
        aliases=["CVE-2099-7", "GHSA-xxxx-yyyy-zzzz"],
        affected=[_pypi("pkg", [[("introduced", "0"), ("fixed", "1.0")]])],
    )
    ghsa = _record(
        "GHSA-xxxx-yyyy-zzzz",
        aliases=["CVE-2099-7"],
        summary="GitHub's summary",
        affected=[_pypi("pkg", [[("introduced", "0"), ("fixed", "1.0.1")]])],
        database_specific={"severity": "HIGH"},
    )
    for order in ((pysec, ghsa), (ghsa, pysec)):
        rules = _rules(*order).rules
        assert len(rules) == 1
        rule = rules[0]
        assert rule.code == "PYSEC-2099-7"
        assert set(rule.aliases) == {"CVE-2099-7", "GHSA-xxxx-yyyy-zzzz"}
        assert rule.summary == "GitHub's summary", "the first record that has a summary"
        assert rule.severity is Severity.ERROR, "the highest severity any record states"
        assert rule.packages[0].range.contains(Version("1.0")), "union of the records' ranges"
        assert [str(remedy.version) for remedy in rule.remedies] == ["1.0.1"]


def test_records_sharing_only_a_cve_are_merged_transitively() -> None:
    first = _record(
        "GHSA-aaaa-aaaa-aaaa",
        aliases=["CVE-2099-8"],
        affected=[_pypi("a", [[("introduced", "0")]])],
    )
    second = _record(
        "OSV-2099-8", aliases=["CVE-2099-8"], affected=[_pypi("a", [[("introduced", "0")]])]
    )
    rules = _rules(first, second).rules
    assert [rule.code for rule in rules] == ["GHSA-aaaa-aaaa-aaaa"]
    assert rules[0].aliases == ("CVE-2099-8", "OSV-2099-8")


def test_one_cve_filed_per_package_gives_each_package_its_own_record_id() -> None:
    """PyPA files ``tensorflow`` and ``tensorflow-gpu`` separately under one CVE."""
    main = _record(
        "PYSEC-2099-20",
        aliases=["CVE-2099-20"],
        affected=[_pypi("tensorflow", [[("introduced", "0"), ("fixed", "2.5.3")]])],
    )
    gpu = _record(
        "PYSEC-2099-21",
        aliases=["CVE-2099-20"],
        affected=[_pypi("tensorflow-gpu", [[("introduced", "0"), ("fixed", "2.5.3")]])],
    )
    ghsa = _record(
        "GHSA-tttt-tttt-tttt",
        aliases=["CVE-2099-20"],
        affected=[
            _pypi("tensorflow", [[("introduced", "0"), ("fixed", "2.5.3")]]),
            _pypi("tensorflow-gpu", [[("introduced", "0"), ("fixed", "2.5.3")]]),
        ],
    )
    rules = _rules(main, gpu, ghsa).rules
    assert [(rule.code, rule.slug, rule.names[0], rule.aliases) for rule in rules] == [
        ("PYSEC-2099-20", "pysec-2099-20", "tensorflow", ("CVE-2099-20", "GHSA-tttt-tttt-tttt")),
        (
            "PYSEC-2099-21",
            "pysec-2099-21",
            "tensorflow-gpu",
            ("CVE-2099-20", "GHSA-tttt-tttt-tttt"),
        ),
    ]


def test_primary_id_order_is_pysec_ghsa_then_others_in_natural_order() -> None:
    ids = ["OSV-2020-1", "GHSA-b", "PYSEC-2021-10", "PYSEC-2021-9", "CVE-2021-1"]
    assert sorted(ids, key=build.primary_key) == [
        "PYSEC-2021-9",
        "PYSEC-2021-10",
        "GHSA-b",
        "CVE-2021-1",
        "OSV-2020-1",
    ]


def test_a_record_naming_two_packages_gives_one_rule_per_package() -> None:
    rules = _rules(
        _record(
            "GHSA-2222-3333-4444",
            affected=[
                _pypi("alpha", [[("introduced", "0"), ("fixed", "1.0")]]),
                _pypi("beta", [[("introduced", "0"), ("fixed", "2.0")]]),
            ],
        )
    ).rules
    assert [(rule.code, rule.slug, rule.names) for rule in rules] == [
        ("GHSA-2222-3333-4444", "ghsa-2222-3333-4444-alpha", ("alpha",)),
        ("GHSA-2222-3333-4444", "ghsa-2222-3333-4444-beta", ("beta",)),
    ]


def test_withdrawn_records_are_ignored_and_do_not_bridge_aliases() -> None:
    withdrawn = _record(
        "PYSEC-2099-9",
        withdrawn="2024-05-01T00:00:00Z",
        aliases=["GHSA-1111-1111-1111"],
        affected=[_pypi("pkg", [[("introduced", "0")]])],
    )
    live = _record("GHSA-1111-1111-1111", affected=[_pypi("pkg", [[("introduced", "5.0")]])])
    rules = _rules(withdrawn, live)
    assert [rule.code for rule in rules.rules] == ["GHSA-1111-1111-1111"]
    assert rules.problems == ()
    assert _rules(withdrawn).rules == ()


def test_duplicate_ids_keep_the_latest_modified_copy() -> None:
    old = _record(affected=[_pypi("pkg", [[("introduced", "0"), ("fixed", "1.0")]])])
    new = dict(old, modified="2025-01-01T00:00:00Z")
    new["affected"] = [_pypi("pkg", [[("introduced", "0"), ("fixed", "1.1")]])]
    rule = _rules(old, new).rules[0]
    assert [str(remedy.version) for remedy in rule.remedies] == ["1.1"]


def test_a_package_with_only_git_ranges_is_a_note() -> None:
    entry = {
        "package": {"ecosystem": "PyPI", "name": "pkg"},
        "ranges": [
            {
                "type": "GIT",
                "repo": "https://github.com/o/pkg",
                "events": [{"introduced": "0"}, {"fixed": "a" * 40}],
            }
        ],
    }
    loaded = _rules(_record(affected=[entry]))
    assert loaded.rules == ()
    assert [problem.code for problem in loaded.problems] == [osv.NOTE_PROBLEM]
    assert "no ECOSYSTEM range and no versions list" in loaded.problems[0].message


def test_other_ecosystems_and_semver_ranges_are_skipped() -> None:
    rules = _rules(
        _record(
            affected=[
                {
                    "package": {"ecosystem": "npm", "name": "pkg"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                },
                {
                    "package": {"ecosystem": "PyPI", "name": "pkg"},
                    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                },
            ]
        )
    )
    assert rules.rules == ()
    assert [problem.code for problem in rules.problems] == [osv.NOTE_PROBLEM]
    assert "SEMVER range skipped" in rules.problems[0].message


@pytest.mark.parametrize(
    ("label", "score", "expected"),
    [
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Severity.ERROR),
        ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", Severity.WARNING),
        ("CVSS_V3", "CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", Severity.INFO),
        ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", Severity.ERROR),
        ("CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N", Severity.WARNING),
        ("Ubuntu", "negligible", Severity.INFO),
        ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", None),
    ],
)
def test_severity_scores(label: str, score: str, expected: Severity | None) -> None:
    assert severity.from_osv_entry(label, score) is expected


def test_cvss_base_scores_match_the_specification_examples() -> None:
    assert severity.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert severity.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N") == 6.1
    assert severity.cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N") == 6.8
    assert severity.cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0.0
    assert severity.cvss2_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5
    assert severity.cvss2_base_score("AV:N/AC:M/Au:N/C:N/I:P/A:N") == 4.3
    assert severity.cvss3_base_score("CVSS:3.1/AV:X") is None


def test_database_label_wins_over_cvss_and_labels_map_as_documented() -> None:
    rule = _rules(
        _record(
            affected=[_pypi("pkg", [[("introduced", "0")]])],
            severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            database_specific={"severity": "LOW"},
        )
    ).rules[0]
    assert rule.severity is Severity.INFO
    for label, expected in (
        ("CRITICAL", Severity.ERROR),
        ("HIGH", Severity.ERROR),
        ("MODERATE", Severity.WARNING),
        ("MEDIUM", Severity.WARNING),
        ("LOW", Severity.INFO),
    ):
        assert severity.from_label(label) is expected


def test_per_package_severity_applies_to_that_package() -> None:
    entry = _pypi("pkg", [[("introduced", "0")]])
    entry["severity"] = [{"type": "Ubuntu", "score": "high"}]
    assert _rules(_record(affected=[entry])).rules[0].severity is Severity.ERROR


# --- malformed records ---------------------------------------------------------------------------


def test_unparsable_event_skips_its_range_not_the_record() -> None:
    rules = load_advisory_rules([FIXTURES / "broken" / "bad-version.json"], cache_dir=None)
    assert len(rules.rules) == 1
    rule = rules.rules[0]
    affected = rule.packages[0].range
    assert affected.contains(Version("5.0.1")), "the sound range still counts"
    assert affected.contains(Version("0.1.0")), "the readable explicit versions still count"
    assert not affected.contains(Version("0.1.5")), "the broken range is not guessed at"
    messages = [problem.message for problem in rules.problems]
    assert any("'0.2.0-n653' is not a PEP 440 version" in text for text in messages)
    assert any("'0.1.0-final'" in text and "versions" in text for text in messages)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINAUDIT_CACHE_DIR", str(tmp_path / "cache"))


BROKEN_EXPECTATIONS = {
    "not-json.json": "invalid JSON",
    "no-id.json": "'id' must be a non-empty string",
    "two-kinds-in-event.json": "exactly one of introduced, fixed",
    "no-introduced.json": "must contain an 'introduced' event",
    "fixed-and-last-affected.json": "mixes 'fixed' and 'last_affected'",
    "package-without-name.json": "package.name must be a string",
    "event-not-string.json": "introduced must be a string",
    "not-an-object.json": "must be a JSON object",
    "bad-range-type.json": "is not GIT, SEMVER or ECOSYSTEM",
    "short-git-hash.json": "'cb35df940a' is not a full-length commit hash",
}


def test_each_broken_fixture_is_one_clear_problem_and_the_rest_load() -> None:
    loaded = load_advisory_rules([FIXTURES / "broken", FIXTURES / "good"])
    by_file: dict[str, list[str]] = {}
    for problem in loaded.problems:
        by_file.setdefault(problem.path.name, []).append(problem.message)
    for name, expected in BROKEN_EXPECTATIONS.items():
        assert len(by_file.get(name, [])) == 1, (name, by_file.get(name))
        assert expected in by_file[name][0], (name, by_file[name])
    codes = sorted(rule.code for rule in loaded.rules)
    assert codes == ["PYSEC-2098-7", "PYSEC-2098-8", "PYSEC-2099-1", "PYSEC-2099-2"]
    git_only = next(rule for rule in loaded.rules if rule.code == "PYSEC-2098-7")
    assert [str(remedy.version) for remedy in git_only.remedies] == ["4.0"]
    bad_json = next(p for p in loaded.problems if p.path.name == "not-json.json")
    assert bad_json.line is not None, "JSON syntax errors point at their line"


def test_fixture_folder_gives_the_expected_rules() -> None:
    loaded = load_advisory_rules([FIXTURES / "good"])
    assert loaded.problems == ()
    rules = loaded.by_code()
    assert set(rules) == {"PYSEC-2099-1", "PYSEC-2099-2"}, "the GHSA merges, the withdrawn goes"
    merged = rules["PYSEC-2099-1"]
    assert merged.names == ("example-lib",)
    assert merged.aliases == ("CVE-2099-0001", "GHSA-aaaa-bbbb-cccc")
    assert merged.severity is Severity.ERROR, "CVSS 9.8 outranks GitHub's MODERATE"
    assert [str(remedy.version) for remedy in merged.remedies] == ["1.2.5", "2.0.4"]
    urls = [reference.url for reference in merged.references]
    assert urls.count("https://github.com/example/example-lib/pull/42") == 1
    kinds = {reference.url: reference.kind for reference in merged.references}
    assert kinds["https://github.com/example/example-lib/pull/42"] == "pull"
    assert kinds["https://index.example.org/project/example-lib/"] == "release"
    assert merged.path is not None and merged.path.name == "PYSEC-2099-1.json"
    inclusive = rules["PYSEC-2099-2"]
    assert inclusive.packages[0].range.contains(Version("3.1"))
    assert not inclusive.packages[0].range.contains(Version("3.1.post1"))
    assert inclusive.references[1].kind == "issue"


def test_packages_filter_selects_rules_and_their_problems() -> None:
    paths = [FIXTURES / "good", FIXTURES / "broken"]
    only = load_advisory_rules(paths, packages=["Example_Lib"])
    assert [rule.code for rule in only.rules] == ["PYSEC-2099-1"]
    names = {problem.path.name for problem in only.problems}
    assert "short-git-hash.json" not in names, "a problem about an unused package stays quiet"
    assert "not-json.json" in names, "a problem tied to no package is always reported"
    assert load_advisory_rules(paths, packages=[]).rules == ()


def test_missing_source_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    loaded = load_advisory_rules([tmp_path / "nowhere"])
    assert loaded.rules == ()
    assert "cannot be read" in loaded.problems[0].message


@functools.cache
def _schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"shared OSV schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def _schema_errors(document: object) -> list[str]:
    return [error.message for error in _schema_validator().iter_errors(document)]


def test_broken_fixtures_break_the_schema_too() -> None:
    for name in BROKEN_EXPECTATIONS:
        if name == "not-json.json":
            continue
        document = json.loads((FIXTURES / "broken" / name).read_text(encoding="utf-8"))
        assert _schema_errors(document), name
    for path in sorted((FIXTURES / "good").rglob("*.json")):
        assert not _schema_errors(json.loads(path.read_text(encoding="utf-8"))), path.name
    bad_version = json.loads((FIXTURES / "broken" / "bad-version.json").read_text())
    assert not _schema_errors(bad_version), "valid schema, unreadable PEP 440 versions"


# --- the PyPA corpus -----------------------------------------------------------------------------


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"shared PyPA advisory corpus not found at {CORPUS}")
    return sorted(CORPUS.rglob("*.json"))


def _readable(text: str) -> bool:
    try:
        return Version(text).local is None
    except InvalidVersion:
        return False


def _event_readable(kind: str, text: str) -> bool:
    return (
        (kind == "introduced" and text == "0")
        or (kind == "limit" and "*" in text)
        or (_readable(text))
    )


class _Expected:
    """What the corpus should yield, computed without the loader's code."""

    def __init__(self, files: Sequence[Path]) -> None:
        self.schema_invalid: set[str] = set()
        self.version_problems = 0
        self.notes = 0
        records: list[dict[str, Any]] = []
        for path in files:
            document = json.loads(path.read_text(encoding="utf-8"))
            if not _schema_validator().is_valid(document):
                self.schema_invalid.add(path.name)
            if document.get("withdrawn"):
                continue
            document["_path"] = path
            records.append(document)
            for affected in document.get("affected") or []:
                if affected["package"]["ecosystem"] != "PyPI":
                    continue
                for table in affected.get("ranges", []):
                    events = [next(iter(event.items())) for event in table["events"]]
                    if table["type"] == "ECOSYSTEM" and not all(
                        _event_readable(kind, text) for kind, text in events
                    ):
                        self.version_problems += 1
                if not all(_readable(text) for text in affected.get("versions", [])):
                    self.version_problems += 1
                if not affected.get("versions") and not any(
                    table["type"] == "ECOSYSTEM" for table in affected.get("ranges", [])
                ):
                    self.notes += 1
        self.groups = self._groups(records)

    @staticmethod
    def _groups(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        names: dict[str, set[int]] = {}
        for position, record in enumerate(records):
            for name in [record["id"], *(record.get("aliases") or [])]:
                names.setdefault(name, set()).add(position)
        seen: set[int] = set()
        groups = []
        for start in range(len(records)):
            if start in seen:
                continue
            component, todo = set(), [start]
            while todo:
                position = todo.pop()
                if position in component:
                    continue
                component.add(position)
                record = records[position]
                for name in [record["id"], *(record.get("aliases") or [])]:
                    todo.extend(names[name] - component)
            seen |= component
            groups.append([records[position] for position in sorted(component)])
        return groups

    @staticmethod
    def package_data(
        group: Sequence[Mapping[str, Any]],
    ) -> dict[str, tuple[list[Events], list[str], list[str]]]:
        """Per package: readable ranges, readable versions, ids of the records naming it."""
        data: dict[str, tuple[list[Events], list[str], list[str]]] = {}
        for record in group:
            for affected in record.get("affected") or []:
                if affected["package"]["ecosystem"] != "PyPI":
                    continue
                name = canonicalize_name(affected["package"]["name"])
                ranges, versions, ids = data.setdefault(name, ([], [], []))
                ids.append(record["id"])
                for table in affected.get("ranges", []):
                    events = [next(iter(event.items())) for event in table["events"]]
                    if table["type"] == "ECOSYSTEM" and all(
                        _event_readable(kind, text) for kind, text in events
                    ):
                        ranges.append(events)
                versions.extend(text for text in affected.get("versions", []) if _readable(text))
        return data

    @staticmethod
    def witnesses(ranges: Sequence[Events], versions: Sequence[str]) -> list[Version]:
        """Where a non-empty range must show: each ``introduced`` (events fire on
        upward-closed sets, so an affected ``v`` implies its introducer is affected)."""
        points = [Version("0.dev0")] + [Version(text) for text in versions]
        points += [
            Version(text)
            for events in ranges
            for kind, text in events
            if kind == "introduced" and text != "0"
        ]
        return points


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[RuleSet, _Expected]:
    files = _corpus_files()
    cache = tmp_path_factory.mktemp("advisory-cache")
    return load_advisory_rules([CORPUS], cache_dir=cache), _Expected(files)


def test_the_whole_pypa_corpus_loads_with_independently_counted_rules(
    corpus: tuple[RuleSet, _Expected],
) -> None:
    loaded, expected = corpus
    expected_rules = 0
    for group in expected.groups:
        for ranges, versions, _ in expected.package_data(group).values():
            if any(
                reference_affected(point, ranges, versions)
                for point in expected.witnesses(ranges, versions)
            ):
                expected_rules += 1
    assert len(loaded.rules) == expected_rules
    assert len(loaded.problems) == (
        len(expected.schema_invalid) + expected.version_problems + expected.notes
    )


def test_the_seven_malformed_git_ranges_are_reported_and_their_advisories_kept(
    corpus: tuple[RuleSet, _Expected],
) -> None:
    loaded, expected = corpus
    schema_problems = [p for p in loaded.problems if p.code == osv.SCHEMA_PROBLEM]
    assert {problem.path.name for problem in schema_problems} == expected.schema_invalid
    assert len(schema_problems) == len(expected.schema_invalid) == 7
    codes = set(loaded.by_code())
    for problem in schema_problems:
        assert "GIT range is ignored" in problem.message
        assert "is not a full-length commit hash" in problem.message
        record_id = problem.path.stem
        if record_id != "PYSEC-2021-371":  # its ECOSYSTEM range is unreadable as well
            assert record_id in codes


def test_every_corpus_rule_agrees_with_the_pseudocode_around_its_boundaries(
    corpus: tuple[RuleSet, _Expected],
) -> None:
    loaded, expected = corpus
    rules: dict[tuple[str, str], Any] = {(rule.code, rule.names[0]): rule for rule in loaded.rules}
    checked = 0
    for group in expected.groups:
        for name, (ranges, versions, ids) in expected.package_data(group).items():
            code = sorted(ids, key=build.primary_key)[0]
            rule = rules.get((code, name))
            if rule is None:
                continue
            reference = Reference(ranges, versions)
            affected = rule.packages[0].range
            boundaries = [text for events in ranges for _, text in events]
            listed = [Version(text) for text in versions]
            local = [Version(f"{version.public}+local.1") for version in listed[::7]]
            for version in [*probes(boundaries), *listed[::3], *local]:
                assert affected.contains(version) == reference.affected(version), (
                    code,
                    name,
                    version,
                )
            for remedy in rule.remedies:
                assert not reference.affected(remedy.version)
            checked += 1
    assert checked == len(loaded.rules)
    assert len(rules) == len(loaded.rules), "code and package name one rule"


def test_corpus_hand_validation_agrees_with_the_json_schema(
    corpus: tuple[RuleSet, _Expected],
) -> None:
    loaded, expected = corpus
    flagged = {p.path.name for p in loaded.problems if p.code == osv.SCHEMA_PROBLEM}
    assert flagged == expected.schema_invalid
