"""The requirements parser against pip-requirements-parser on real files.

pip-requirements-parser is pip's own req_file code (as of pip 22) made tolerant
of errors, so on real files the two should find the same requirements with the
same names, specifiers, markers, editable flags, hashes and includes.  Where
they legitimately differ, ALLOWED says which line, which side, and why; an
allowance that is no longer needed fails the test, so the list cannot rot.

The files are those the shared corpora's SOURCES.tsv list as requirements
files; a user's clone has no shared corpus, and then these tests skip.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from pinaudit.sources.requirements import parse_requirements
from pinaudit.textfile import read_source
from tests.conftest import SHARED, shared_path

Entry = tuple[int, str, str, str | None, bool, tuple[str, ...]]  # line, name, spec, ...
IncludeEntry = tuple[int, str, str]  # line, kind, path as written

INSTALL_OPTION = (
    "--install-option was removed in pip 23.1, so pip rejects the line; "
    "pip-requirements-parser (pip 22 code) still accepts it"
)
GLOBAL_OPTION_ON_REQUIREMENT = (
    "pip ignores a file-wide option such as --no-binary on a requirement line and keeps "
    "the requirement; pip-requirements-parser rejects the whole line"
)
NOT_A_PIP_URL = (
    "git:// without git+ (and novcs+http://) is not a scheme pip installs from, so pip "
    "reads the line as a local path that does not exist; pip-requirements-parser still "
    "takes the #egg= name"
)
EGG_IN_A_PATH = (
    "#egg= only names a project in a URL; in a local path pip looks for a directory "
    "literally named 'x#egg=x' and fails; pip-requirements-parser takes the #egg= name"
)
SCP_STYLE_GIT = (
    "git+git@host:user/repo.git has no URL scheme, so pip reads it as a local path that "
    "cannot exist; pip-requirements-parser takes the #egg= name"
)
NAME_AT_SCHEMELESS_URL = (
    "pip hands 'git@github.com:org/repo.git==v1.0.0' to packaging, which since 22.0 reads "
    "it as requirement 'git @ github.com:...' without validating the URL; "
    "pip-requirements-parser reads the line as an unnamed local path"
)

_PRP = "peer/pip-requirements-parser/tests"
_PRP_DATA = f"{_PRP}/pip_requirements_parser_tests/data"
_MOJ = "ministryofjustice-elasticsearch-formula-formula-requirements.txt"

#: file (relative to shared/corpus) -> {(side that has the entry, line): reason}
ALLOWED: dict[str, dict[tuple[str, int], str]] = {
    f"{_PRP_DATA}/more-requirements/{_MOJ}": {
        ("ours", line): NAME_AT_SCHEMELESS_URL for line in range(1, 8)
    },
    f"{_PRP_DATA}/requirements/pip-docs-examples3.txt": {
        ("theirs", 55): INSTALL_OPTION,
        ("theirs", 60): INSTALL_OPTION,
    },
    f"{_PRP_DATA}/requirements/requirement-parser-issues.txt": {
        ("ours", 46): GLOBAL_OPTION_ON_REQUIREMENT,
        ("ours", 47): GLOBAL_OPTION_ON_REQUIREMENT,
        ("theirs", 98): EGG_IN_A_PATH,
        ("theirs", 99): EGG_IN_A_PATH,
    },
    f"{_PRP_DATA}/requirements/requirementslib-tests.txt": {
        ("theirs", 39): SCP_STYLE_GIT,
        ("theirs", 45): SCP_STYLE_GIT,
    },
    f"{_PRP_DATA}/sc-requirements/local_paths_and_files-requirements.txt": {
        ("theirs", 3): EGG_IN_A_PATH,
        ("theirs", 4): EGG_IN_A_PATH,
    },
    f"{_PRP_DATA}/sc-requirements/vcs-git-requirements.txt": {
        ("theirs", line): NOT_A_PIP_URL for line in (12, 13, 14)
    },
    f"{_PRP_DATA}/sc-requirements/vcs_eggs-requirements.txt": {("theirs", 1): NOT_A_PIP_URL},
    f"{_PRP}/requirements_parser_reqfiles/fail_2.txt": {("theirs", 1): NOT_A_PIP_URL},
    f"{_PRP}/requirements_parser_reqfiles/file_1.txt": {("theirs", 3): EGG_IN_A_PATH},
    f"{_PRP}/requirements_parser_reqfiles/file_2.txt": {("theirs", 1): EGG_IN_A_PATH},
    f"{_PRP}/requirements_parser_reqfiles/vcs_git.txt": {
        ("theirs", line): NOT_A_PIP_URL for line in (12, 13, 14)
    },
}


def corpus_files() -> list[str]:
    """Requirements files listed in the corpora's SOURCES.tsv, relative to shared/corpus."""
    files: list[str] = []
    for corpus in ("real", "peer"):
        listing = SHARED / "corpus" / corpus / "SOURCES.tsv"
        if not listing.is_file():
            continue
        with listing.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["format"] in ("requirements", "requirements-in"):
                    files.append(f"{corpus}/{row['local_path']}")
    return files


FILES = corpus_files()


def ours(path: Path) -> tuple[list[Entry], list[IncludeEntry]]:
    manifest = parse_requirements(read_source(path))
    entries = [
        (
            dep.span.line,
            dep.name,
            str(dep.specifier),
            str(dep.marker) if dep.marker else None,
            dep.editable,
            dep.hashes,
        )
        for dep in manifest.dependencies
    ]
    includes = [(i.span.line, i.kind.value, i.raw) for i in manifest.includes]
    return entries, includes


def theirs(path: Path) -> tuple[list[Entry], list[IncludeEntry]]:
    prp = pytest.importorskip("pip_requirements_parser")
    parsed = prp.RequirementsFile.from_file(str(path))
    entries: list[Entry] = [
        (
            req.line_number,
            canonicalize_name(req.name),
            str(req.req.specifier) if req.req else "",
            str(req.marker) if req.marker else None,
            bool(req.is_editable),
            tuple(req.hash_options),
        )
        for req in parsed.requirements
        if req.name  # unnamed requirements (local paths, bare URLs) are not audited
    ]
    includes: list[IncludeEntry] = []
    for option in parsed.options:
        for dest, kind in (("requirements", "requirement"), ("constraints", "constraint")):
            if dest in option.options:
                line = option.requirement_line.line_number
                includes.append((line, kind, option.options[dest][0]))
    return entries, includes


@pytest.mark.parametrize("relative", FILES or ["(no shared corpus)"])
def test_same_requirements_as_pip_requirements_parser(relative: str) -> None:
    path = shared_path("corpus", *relative.split("/"))
    our_entries, our_includes = ours(path)
    their_entries, their_includes = theirs(path)
    allowed = dict(ALLOWED.get(relative, {}))
    unexplained: list[str] = []
    for side, extra in (
        ("ours", Counter(our_entries) - Counter(their_entries)),
        ("theirs", Counter(their_entries) - Counter(our_entries)),
    ):
        for entry in extra.elements():
            if allowed.pop((side, entry[0]), None) is None:
                unexplained.append(f"only {side}: {entry}")
    assert not unexplained, "\n".join(unexplained)
    assert not allowed, f"allowances no longer needed: {sorted(allowed)}"
    assert our_includes == their_includes


def test_the_allow_list_names_only_compared_files() -> None:
    shared_path("corpus")
    assert set(ALLOWED) <= set(FILES)
