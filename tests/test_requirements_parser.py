"""The requirements parser reads pip's grammar and locates every part exactly.

A fixer replaces ``text[version_span.start:version_span.end]``, so most tests
check slices of the decoded text rather than numbers.
"""

from __future__ import annotations

import os
import shlex
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.model import (
    Dependency,
    IncludeKind,
    LineIndex,
    Manifest,
    ManifestKind,
    Problem,
    Role,
    Span,
)
from pinaudit.sources.requirements import (
    _is_archive,
    _OptionError,
    _split_words,
    _strip_path_extras,
    parse_requirements,
)
from pinaudit.textfile import SourceText, decode, digest_of, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "requirements"
PATH = Path("/project/requirements.txt")


def parse(
    text: str,
    *,
    path: Path = PATH,
    environ: dict[str, str] | None = None,
    kind: Role = Role.REQUIRE,
    crlf: bool = False,
    bom: bool = False,
) -> tuple[Manifest, str]:
    """The manifest and the decoded text its spans index into."""
    if crlf:
        text = text.replace("\n", "\r\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    source = decode(path, data)
    return parse_requirements(source, environ=environ, kind=kind), source.text


def one(
    text: str, *, environ: dict[str, str] | None = None, crlf: bool = False
) -> tuple[Dependency, str]:
    """The only dependency of a file that must read without problems."""
    manifest, decoded = parse(text, environ=environ, crlf=crlf)
    assert not manifest.problems, [problem.describe() for problem in manifest.problems]
    assert len(manifest.dependencies) == 1, manifest.dependencies
    return manifest.dependencies[0], decoded


def cut(text: str, span: Span | None) -> str | None:
    return None if span is None else text[span.start : span.end]


def problem_at(manifest: Manifest) -> list[tuple[int | None, int | None]]:
    return [(problem.line, problem.column) for problem in manifest.problems]


def assert_located(text: str, span: Span) -> None:
    """A span's line/column pairs agree with its offsets, as LineIndex computes them."""
    assert LineIndex(text).span(span.start, span.end) == span


# --------------------------------------------------------------------------- shapes


SHAPES = [
    # (line, requirement text, version text)
    (
        'uvicorn[standard] >= 0.13 , <0.14 ; python_version<"3.9"',
        'uvicorn[standard] >= 0.13 , <0.14 ; python_version<"3.9"',
        ">= 0.13 , <0.14",
    ),
    ("Django==4.2.1", "Django==4.2.1", "==4.2.1"),
    ("name (>=1.0)", "name (>=1.0)", ">=1.0"),
    ("name ( >=1.0 , <2 )  ", "name ( >=1.0 , <2 )", ">=1.0 , <2"),
    ("name[a,b] ( ==1.0 )", "name[a,b] ( ==1.0 )", "==1.0"),
    ("name", "name", None),
    ("name ()", "name ()", None),
    ("name[extra]", "name[extra]", None),
    ("name [ a , b ]>=1", "name [ a , b ]>=1", ">=1"),
    ("Name_With.Dots==1.0.post1", "Name_With.Dots==1.0.post1", "==1.0.post1"),
    ("pkg~=1.4.2", "pkg~=1.4.2", "~=1.4.2"),
    ("pkg===weird-version", "pkg===weird-version", "===weird-version"),
    ("pkg==1.0.*", "pkg==1.0.*", "==1.0.*"),
    ("pkg!=1.5,>=1.0", "pkg!=1.5,>=1.0", "!=1.5,>=1.0"),
    ("pkg>=1.0,", "pkg>=1.0,", ">=1.0,"),
    ("pkg\t==\t1.0", "pkg\t==\t1.0", "==\t1.0"),
    ("pkg == 1.0+local.7", "pkg == 1.0+local.7", "== 1.0+local.7"),
    ("pkg>=1.0,<2 ; sys_platform == 'win32'", "pkg>=1.0,<2 ; sys_platform == 'win32'", ">=1.0,<2"),
    ("pkg>=1.0;python_version<'3.8'", "pkg>=1.0;python_version<'3.8'", ">=1.0"),
    ("pkg ; python_version < '3.8'", "pkg ; python_version < '3.8'", None),
    ("pkg;", "pkg;", None),
    ("pkg==1.0 ;", "pkg==1.0 ;", "==1.0"),
    ("   indented==1.0   # comment", "indented==1.0", "==1.0"),
    ("pkg==1.0\t# tab before the comment", "pkg==1.0", "==1.0"),
    ("pkg>=1.0 --hash=sha256:abcd", "pkg>=1.0", ">=1.0"),
    ("pkg>=1.0  --hash=sha256:abcd  # c", "pkg>=1.0", ">=1.0"),
    (
        "pkg @ https://example.com/pkg-1.0.tar.gz ; python_version >= '3.8'",
        "pkg @ https://example.com/pkg-1.0.tar.gz ; python_version >= '3.8'",
        None,
    ),
    ("pkg@ file:///tmp/pkg", "pkg@ file:///tmp/pkg", None),
    (
        "git+https://github.com/x/y.git#egg=y==1.0",
        "git+https://github.com/x/y.git#egg=y==1.0",
        "==1.0",
    ),
]


@pytest.mark.parametrize(("line", "written", "version"), SHAPES)
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_spans_cover_exactly_the_requirement_and_its_version(
    line: str, written: str, version: str | None, crlf: bool
) -> None:
    dep, text = one("# a comment first\n\n" + line + "\n", crlf=crlf)
    assert cut(text, dep.span) == written
    assert dep.text == written
    assert cut(text, dep.version_span) == version
    assert dep.span.line == 3
    assert dep.span.column == 1 + len(line) - len(line.lstrip())
    assert_located(text, dep.span)
    if dep.version_span is not None:
        assert_located(text, dep.version_span)


def test_every_line_of_a_file_keeps_its_own_spans() -> None:
    lines = [line for line, _, _ in SHAPES]
    manifest, text = parse("\n".join(lines) + "\n")
    assert not manifest.problems
    assert [cut(text, dep.span) for dep in manifest.dependencies] == [w for _, w, _ in SHAPES]
    assert [cut(text, dep.version_span) for dep in manifest.dependencies] == [
        v for _, _, v in SHAPES
    ]
    assert [dep.span.line for dep in manifest.dependencies] == list(range(1, len(SHAPES) + 1))


def test_a_pin_has_canonical_name_specifier_and_version() -> None:
    dep, _ = one("Django_Rest.Framework==3.14.0\n")
    assert dep.name == "django-rest-framework"
    assert dep.raw_name == "Django_Rest.Framework"
    assert dep.specifier == SpecifierSet("==3.14.0")
    assert dep.pinned == Version("3.14.0")
    assert dep.role is Role.REQUIRE
    assert dep.path == PATH
    assert (dep.extras, dep.marker, dep.url, dep.editable, dep.hashes) == (
        frozenset(),
        None,
        None,
        False,
        (),
    )
    assert dep.span == Span(0, 29, 1, 1, 1, 30)
    assert dep.version_span == Span(21, 29, 1, 22, 1, 30)


@pytest.mark.parametrize(
    ("line", "pinned"),
    [
        ("a==1.0", Version("1.0")),
        ("a == 1.0", Version("1.0")),
        ("a===1.0", Version("1.0")),
        ("a===not-a-version", None),
        ("a==1.0.*", None),
        ("a>=1.0", None),
        ("a==1.0,<2", None),
        ("a", None),
        ("a==1.0 ; python_version < '3'", Version("1.0")),
        ("a (==2.0)", Version("2.0")),
    ],
)
def test_pinned_only_for_a_single_exact_version(line: str, pinned: Version | None) -> None:
    dep, _ = one(line)
    assert dep.pinned == pinned


def test_extras_and_markers() -> None:
    dep, _ = one('uvicorn[standard, watch] >= 0.13 ; python_version<"3.9"')
    assert dep.extras == frozenset({"standard", "watch"})
    assert dep.marker == Marker('python_version < "3.9"')
    assert dep.specifier == SpecifierSet(">=0.13")


def test_the_fast_path_agrees_with_packaging_on_the_requirement() -> None:
    for line, _, _ in SHAPES:
        head = line.split(";")[0].split(" --")[0].split("#")[0].strip()
        if "@" in head or "://" in head:
            continue
        dep, _ = one(line)
        req = Requirement(head)
        assert (dep.raw_name, dep.extras, dep.specifier) == (
            req.name,
            frozenset(req.extras),
            req.specifier,
        )


# --------------------------------------------------------------------------- comments and blanks


def test_comments_are_collected_with_their_lines() -> None:
    manifest, _ = parse(
        "# header\n"
        "\n"
        'pkg==1.0  # pinaudit: ignore[PA1001] reason="known"\n'
        "   # indented comment\n"
        "other>=2\t#tabbed\n"
    )
    assert [(comment.line, comment.text) for comment in manifest.comments] == [
        (1, "# header"),
        (3, '# pinaudit: ignore[PA1001] reason="known"'),
        (4, "# indented comment"),
        (5, "#tabbed"),
    ]
    assert [dep.name for dep in manifest.dependencies] == ["pkg", "other"]


def test_a_hash_sign_without_whitespace_before_it_is_not_a_comment() -> None:
    manifest, _ = parse("git+https://github.com/x/y.git#egg=yname\nfoo#bar\n")
    assert [dep.name for dep in manifest.dependencies] == ["yname"]
    assert manifest.comments == ()
    assert problem_at(manifest) == [(2, 4)]


def test_blank_and_whitespace_only_lines_are_nothing() -> None:
    manifest, _ = parse("\n   \n\t\n\n")
    assert manifest == Manifest(PATH, ManifestKind.REQUIREMENTS)


def test_empty_file() -> None:
    manifest, _ = parse("")
    assert (manifest.dependencies, manifest.problems, manifest.comments) == ((), (), ())


# --------------------------------------------------------------------------- continuations


def test_a_continued_specifier_spans_lines_in_the_original_text() -> None:
    manifest, text = parse("first==1\nh11>=0.8,\\\n    <0.13\nnext==2\n")
    h11 = manifest.dependencies[1]
    assert cut(text, h11.span) == "h11>=0.8,\\\n    <0.13"
    assert cut(text, h11.version_span) == ">=0.8,\\\n    <0.13"
    assert (h11.span.line, h11.span.column, h11.span.end_line, h11.span.end_column) == (2, 1, 3, 10)
    assert h11.specifier == SpecifierSet(">=0.8,<0.13")
    assert_located(text, h11.span)
    assert [dep.span.line for dep in manifest.dependencies] == [1, 2, 4]


def test_hashes_on_continuation_lines_belong_to_the_requirement() -> None:
    text = (
        "anyio==4.2.0 \\\n"
        "    --hash=sha256:aaaa \\\n"
        "    --hash=sha512:bbbb\n"
        "    # via -r requirements.in\n"
    )
    for crlf in (False, True):
        manifest, decoded = parse(text, crlf=crlf)
        (dep,) = manifest.dependencies
        assert dep.hashes == ("sha256:aaaa", "sha512:bbbb")
        assert cut(decoded, dep.span) == "anyio==4.2.0"
        assert cut(decoded, dep.version_span) == "==4.2.0"
        assert dep.span.end_line == 1
        assert [(c.line, c.text) for c in manifest.comments] == [(4, "# via -r requirements.in")]


def test_a_comment_line_ends_a_continuation() -> None:
    manifest, text = parse("requests==2.25.0 \\\n# comment\nnext==1\n")
    assert [dep.name for dep in manifest.dependencies] == ["requests", "next"]
    assert cut(text, manifest.dependencies[0].span) == "requests==2.25.0"
    assert [(c.line, c.text) for c in manifest.comments] == [(2, "# comment")]


def test_an_inline_comment_before_a_backslash_swallows_the_next_line_as_pip_does() -> None:
    manifest, _ = parse("foo  # note \\\nbar==1\nbaz==2\n")
    assert [dep.name for dep in manifest.dependencies] == ["foo", "baz"]
    assert [(c.line, c.text) for c in manifest.comments] == [(1, "# note bar==1")]


def test_a_backslash_at_the_end_of_the_file() -> None:
    manifest, text = parse("foo>=1,\\\n  <2 \\")
    (dep,) = manifest.dependencies
    assert cut(text, dep.version_span) == ">=1,\\\n  <2"


def test_a_backslash_followed_by_a_space_does_not_continue() -> None:
    manifest, _ = parse("foo==1.0 \\ \n    --hash=sha256:aa\n")
    assert manifest.dependencies == ()
    assert "backslash" in manifest.problems[0].message
    assert problem_at(manifest) == [(1, 4)]  # packaging blames the specifier it cannot end


def test_continuation_with_option_on_the_first_line() -> None:
    manifest, text = parse("-r \\\n  other.txt\nnext==1\n")
    (include,) = manifest.includes
    assert include.target == PATH.parent / "other.txt"
    assert include.raw == "other.txt"
    assert cut(text, include.span) == "-r \\\n  other.txt"
    assert manifest.dependencies[0].span.line == 3


# --------------------------------------------------------------------------- includes


@pytest.mark.parametrize(
    ("line", "kind", "raw"),
    [
        ("-r other.txt", IncludeKind.REQUIREMENT, "other.txt"),
        ("-rother.txt", IncludeKind.REQUIREMENT, "other.txt"),
        ("--requirement other.txt", IncludeKind.REQUIREMENT, "other.txt"),
        ("--requirement=other.txt", IncludeKind.REQUIREMENT, "other.txt"),
        ("--requirement   other.txt   # why", IncludeKind.REQUIREMENT, "other.txt"),
        ("-c other.txt", IncludeKind.CONSTRAINT, "other.txt"),
        ("--constraint=other.txt", IncludeKind.CONSTRAINT, "other.txt"),
        ("--constr other.txt", IncludeKind.CONSTRAINT, "other.txt"),
    ],
)
def test_includes_resolve_against_the_including_folder(
    line: str, kind: IncludeKind, raw: str
) -> None:
    manifest, text = parse(line + "\n", path=Path("/repo/requirements/dev.txt"))
    (include,) = manifest.includes
    assert include.kind is kind
    assert include.target == Path("/repo/requirements/other.txt")
    assert include.raw == raw
    assert include.path == Path("/repo/requirements/dev.txt")
    assert cut(text, include.span) == line.split("#")[0].strip()
    assert manifest.dependencies == ()


def test_include_paths_keep_subfolders_quotes_and_variables() -> None:
    manifest, _ = parse(
        '-r more/extra.txt\n-r "my reqs.txt"\n-c ${CONSTRAINTS}/pins.txt\n',
        environ={"CONSTRAINTS": "ci"},
    )
    assert [(i.target, i.raw) for i in manifest.includes] == [
        (PATH.parent / "more/extra.txt", "more/extra.txt"),
        (PATH.parent / "my reqs.txt", '"my reqs.txt"'),
        (PATH.parent / "ci/pins.txt", "${CONSTRAINTS}/pins.txt"),
    ]


def test_pip_follows_only_the_first_include_of_a_line() -> None:
    manifest, _ = parse("-c first.txt -r second.txt -r third.txt --pre\n")
    assert [(i.kind, i.raw) for i in manifest.includes] == [(IncludeKind.REQUIREMENT, "second.txt")]
    assert manifest.options == ()


def test_include_without_a_path_is_a_located_problem() -> None:
    manifest, _ = parse("ok==1\n  -r\n--requirement=\nstill-ok==2\n")
    assert problem_at(manifest) == [(2, 3), (3, 1)]
    assert "-r" in manifest.problems[0].message
    assert [dep.name for dep in manifest.dependencies] == ["ok", "still-ok"]


def test_an_include_from_a_url_is_reported_not_followed() -> None:
    manifest, _ = parse("-r https://example.com/requirements.txt\n")
    assert manifest.includes == ()
    (problem,) = manifest.problems
    assert problem.code == "unsupported"
    assert (problem.line, problem.column) == (1, 1)


def test_fixture_with_includes() -> None:
    source = read_source(FIXTURES / "includes" / "requirements.txt")
    manifest = parse_requirements(source)
    folder = FIXTURES / "includes"
    assert [(i.kind, i.target) for i in manifest.includes] == [
        (IncludeKind.REQUIREMENT, folder / "base.txt"),
        (IncludeKind.REQUIREMENT, folder / "more" / "extra.txt"),
        (IncludeKind.CONSTRAINT, folder / "constraints.txt"),
    ]
    assert all(include.target.is_file() for include in manifest.includes)
    assert [dep.name for dep in manifest.dependencies] == ["app"]


# --------------------------------------------------------------------------- editables and URLs


def test_editable_vcs_requirement() -> None:
    line = "-e git+https://github.com/encode/starlette.git@0.14.2#egg=starlette"
    dep, text = one(line)
    assert dep.name == "starlette"
    assert dep.editable
    assert dep.url == "git+https://github.com/encode/starlette.git@0.14.2#egg=starlette"
    assert cut(text, dep.span) == line[3:]
    assert dep.specifier == SpecifierSet()
    assert dep.version_span is None


@pytest.mark.parametrize(
    ("line", "name", "extras"),
    [
        ("--editable=git+ssh://git@github.com/x/y.git#egg=why", "why", frozenset()),
        ("--editable git+https://x.org/y#egg=why[a,b]", "why", frozenset({"a", "b"})),
        ("-e git://github.com/x/y.git#egg=why", "why", frozenset()),
        ("-e hg+https://hg.example.com/y#egg=why", "why", frozenset()),
        ("-e svn+https://svn.example.com/y#egg=why", "why", frozenset()),
        ("-e bzr+lp:why#egg=why", "why", frozenset()),
        ("-e file:///srv/src/why#egg=why", "why", frozenset()),
        ("-egit+https://x.org/y#egg=why", "why", frozenset()),
    ],
)
def test_editable_forms(line: str, name: str, extras: frozenset[str]) -> None:
    dep, _ = one(line)
    assert (dep.name, dep.extras, dep.editable) == (name, extras, True)


@pytest.mark.parametrize(
    "line", ["-e .", "-e ./src/project", "-e ./project[dev]", "-e file:///srv/x"]
)
def test_unnamed_editables_are_not_dependencies(line: str) -> None:
    manifest, _ = parse(line)
    assert (manifest.dependencies, manifest.problems) == ((), ())


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("-e git+https://github.com/x/y.git", "#egg="),
        ("-e https://example.com/y.tar.gz", "VCS URL"),
        ("-e ../dependency#egg=dependency", "fragment"),
    ],
)
def test_editables_pip_rejects(line: str, fragment: str) -> None:
    manifest, _ = parse("ok==1\n" + line + "\n")
    assert [dep.name for dep in manifest.dependencies] == ["ok"]
    (problem,) = manifest.problems
    assert fragment in problem.message
    assert (problem.line, problem.column) == (2, 4)


def test_hashes_on_an_editable_are_ignored_as_pip_ignores_them() -> None:
    dep, _ = one("-e git+https://x.org/y#egg=why --hash=sha256:aa")
    assert dep.hashes == ()


@pytest.mark.parametrize(
    ("line", "name", "url", "pinned"),
    [
        (
            "git+https://github.com/encode/httpx.git@0.18.0#egg=httpx",
            "httpx",
            "git+https://github.com/encode/httpx.git@0.18.0#egg=httpx",
            None,
        ),
        (
            "https://files.example.com/Some_Pkg-2.0-py3-none-any.whl",
            "some-pkg",
            "https://files.example.com/Some_Pkg-2.0-py3-none-any.whl",
            Version("2.0"),
        ),
        (
            "./dist/Foo_Bar-2.0-1-cp311-cp311-linux_x86_64.whl",
            "foo-bar",
            "./dist/Foo_Bar-2.0-1-cp311-cp311-linux_x86_64.whl",
            Version("2.0"),
        ),
        (
            "https://x.org/y.tar.gz#egg=why&subdirectory=sub",
            "why",
            "https://x.org/y.tar.gz#egg=why&subdirectory=sub",
            None,
        ),
    ],
)
def test_bare_url_and_file_lines_are_named_as_pip_names_them(
    line: str, name: str, url: str, pinned: Version | None
) -> None:
    dep, text = one(line + " --hash=sha256:ab")
    assert (dep.name, dep.url, dep.pinned, dep.editable) == (name, url, pinned, False)
    assert cut(text, dep.span) == line
    assert dep.hashes == ("sha256:ab",)


def test_a_bare_url_keeps_its_marker() -> None:
    dep, text = one("https://x.org/a/Pkg-1.0-py3-none-any.whl ; python_version < '3.9'")
    assert dep.marker == Marker("python_version < '3.9'")
    assert (
        cut(text, dep.span) == "https://x.org/a/Pkg-1.0-py3-none-any.whl ; python_version < '3.9'"
    )


def test_egg_fragment_version_is_located_inside_the_url() -> None:
    dep, text = one("git+https://github.com/x/y.git#egg=y[extra]>=1.0,<2")
    assert dep.extras == frozenset({"extra"})
    assert cut(text, dep.version_span) == ">=1.0,<2"


@pytest.mark.parametrize(
    "line",
    [
        "https://x.org/pkg-1.0.tar.gz",
        "svn+http://example.com#egg",
        "file://../../lib/project#egg=MyProject",
        "./local/dir",
        "../sibling",
        "dist/pkg-1.0.tar.gz",
        "C:\\src\\project",
    ],
)
def test_unnamed_requirements_are_skipped_quietly(line: str) -> None:
    manifest, _ = parse(line)
    assert (manifest.dependencies, manifest.problems) == ((), ())


@pytest.mark.parametrize(
    "line",
    [
        "git://git.example.org/MyProject.git@master#egg=MyProject",
        "novcs+http://example.com#egg=a",
        "path/to/SomeProject#egg=SomeOtherProject",
        "git+git@host:user/repo.git#egg=myname",
    ],
)
def test_path_like_lines_no_directory_could_match_are_problems(line: str) -> None:
    manifest, _ = parse(line)
    assert manifest.dependencies == ()
    assert problem_at(manifest) == [(1, 1)]


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("line", "name", "value"),
    [
        ("--index-url https://pypi.example/simple", "--index-url", "https://pypi.example/simple"),
        ("-i https://pypi.example/simple", "--index-url", "https://pypi.example/simple"),
        ("--pypi-url=https://pypi.example/simple", "--index-url", "https://pypi.example/simple"),
        ("--extra-index-url=https://x/simple", "--extra-index-url", "https://x/simple"),
        ("--extra-index https://x/simple", "--extra-index-url", "https://x/simple"),
        ("--find-links ./wheels", "--find-links", "./wheels"),
        ("-f ./wheels", "--find-links", "./wheels"),
        ("--no-index", "--no-index", None),
        ("--pre", "--pre", None),
        ("--only-binary :all:", "--only-binary", ":all:"),
        ("--no-binary=psycopg2", "--no-binary", "psycopg2"),
        ("--prefer-binary", "--prefer-binary", None),
        ("--require-hashes", "--require-hashes", None),
        ("--trusted-host internal.example", "--trusted-host", "internal.example"),
        ("--use-feature=fast-deps", "--use-feature", "fast-deps"),
    ],
)
def test_global_options(line: str, name: str, value: str | None) -> None:
    manifest, text = parse("ok==1\n" + line + "  # why\n")
    (option,) = manifest.options
    assert (option.name, option.value, option.path) == (name, value, PATH)
    assert cut(text, option.span) == line
    assert option.span.line == 2
    assert not manifest.problems


def test_several_global_options_on_one_line() -> None:
    manifest, text = parse("--extra-index-url https://x/simple --trusted-host x\n")
    assert [(o.name, o.value, cut(text, o.span)) for o in manifest.options] == [
        ("--extra-index-url", "https://x/simple", "--extra-index-url https://x/simple"),
        ("--trusted-host", "x", "--trusted-host x"),
    ]


def test_global_options_on_a_requirement_line_are_ignored_as_pip_ignores_them() -> None:
    manifest, _ = parse("psycopg2>=2.7 --no-binary psycopg2\n")
    assert [dep.name for dep in manifest.dependencies] == ["psycopg2"]
    assert (manifest.options, manifest.problems) == ((), ())


def test_per_requirement_options_are_accepted() -> None:
    manifest, _ = parse(
        "a==1 --global-option=--no-user-cfg\n"
        "b==1 --config-settings=editable_mode=compat\n"
        "c==1 -C key=value --hash sha256:cc --hash=sha384:dd\n"
    )
    assert not manifest.problems
    assert [(dep.name, dep.hashes) for dep in manifest.dependencies] == [
        ("a", ()),
        ("b", ()),
        ("c", ("sha256:cc", "sha384:dd")),
    ]


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("--not-an-option", 1, "unknown"),
        ("pkg==1 --install-option=--prefix=/x", 8, "--install-option"),
        ("--pr", 1, "ambiguous"),
        ("--pre=yes", 1, "does not take a value"),
        ("-x", 1, "-x"),
        ("--index-url", 1, "needs a value"),
        ("pkg==1 --hash=md5:0123", 8, "sha256"),
        ("pkg==1 --hash=0123", 8, "hash name"),
        ("pkg==1 -C novalue", 8, "KEY=VAL"),
        ("pkg==1 --hash='sha256:x", 15, "closing quotation"),
    ],
)
def test_option_errors_are_located_and_the_line_is_dropped(
    line: str, column: int, fragment: str
) -> None:
    manifest, _ = parse("before==1\n" + line + "\nafter==2\n")
    assert [dep.name for dep in manifest.dependencies] == ["before", "after"]
    (problem,) = manifest.problems
    assert (problem.path, problem.line, problem.column) == (PATH, 2, column)
    assert fragment in problem.message


def test_a_hash_on_a_line_of_its_own_is_ignored() -> None:
    manifest, _ = parse("--hash=sha256:abcd\n")
    assert (manifest.dependencies, manifest.options, manifest.problems) == ((), (), ())


# --------------------------------------------------------------------------- problems


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("bad line here", 5, "Expected semicolon"),
        ("foo = 1.0", 5, "did you mean =="),
        ("foo==1.0 extra-word", 4, "Expected"),
        ("foo>=1.0.*", 4, ".*"),
        ("foo; python_version <", 22, "invalid marker"),
        ("foo; bogus == '1'", 6, "invalid marker"),
        ("[extra]", 1, "package name"),
    ],
)
def test_invalid_requirements_are_located_problems(line: str, column: int, fragment: str) -> None:
    manifest, _ = parse(line)
    (problem,) = manifest.problems
    assert (problem.line, problem.column, problem.code) == (1, column, "parse-error")
    assert fragment in problem.message
    assert manifest.dependencies == ()


def test_the_rest_of_a_broken_file_is_still_read() -> None:
    source = read_source(FIXTURES / "broken.txt")
    manifest = parse_requirements(source)
    assert [dep.name for dep in manifest.dependencies] == ["good-one", "also-good", "last-good"]
    assert problem_at(manifest) == [(2, 5), (3, 1), (5, 5), (6, 1), (7, 10)]
    assert all(isinstance(problem, Problem) for problem in manifest.problems)
    assert all(problem.path == source.path for problem in manifest.problems)


def test_a_problem_inside_a_continuation_points_at_its_physical_line() -> None:
    manifest, _ = parse("ok==1\nfoo==1.0 \\\n    --hash=md5:00\n")
    assert problem_at(manifest) == [(3, 5)]


# --------------------------------------------------------------------------- environment variables


def test_variables_expand_from_the_given_mapping_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINAUDIT_TEST_VERSION", "9.9")
    manifest, _ = parse("foo==${PINAUDIT_TEST_VERSION}\n")
    assert manifest.dependencies == ()  # os.environ is not read
    assert problem_at(manifest) == [(1, 4)]
    dep, text = one("foo==${PINAUDIT_TEST_VERSION}\n", environ=dict(os.environ))
    assert dep.specifier == SpecifierSet("==9.9")
    assert dep.pinned == Version("9.9")
    assert cut(text, dep.version_span) == "==${PINAUDIT_TEST_VERSION}"


def test_spans_after_a_variable_point_into_the_original_text() -> None:
    dep, text = one("foo[${EXTRA}] >= 1.0 ; python_version < '3.9'", environ={"EXTRA": "speedups"})
    assert dep.extras == frozenset({"speedups"})
    assert cut(text, dep.version_span) == ">= 1.0"
    assert cut(text, dep.span) == "foo[${EXTRA}] >= 1.0 ; python_version < '3.9'"


def test_a_variable_in_a_url() -> None:
    line = "https://${USERNAME}:${PASSWORD}@codeload.github.com/x/zip/v1#egg=tablib"
    dep, text = one(line, environ={"USERNAME": "me", "PASSWORD": "s3cret word"})
    assert dep.name == "tablib"
    assert dep.url == "https://me:s3cret word@codeload.github.com/x/zip/v1#egg=tablib"
    assert cut(text, dep.span) == line


@pytest.mark.parametrize(
    ("line", "environ"),
    [
        ("foo==${version}", {"version": "1.0"}),  # lowercase is not a variable to pip
        ("foo==$VERSION", {"VERSION": "1.0"}),  # only the braced form
        ("foo==${VERSION}", {"VERSION": ""}),  # empty values are left alone
        ("foo==${VERSION}", {}),
    ],
)
def test_only_braced_uppercase_set_variables_expand(line: str, environ: dict[str, str]) -> None:
    manifest, _ = parse(line, environ=environ)
    assert manifest.dependencies == ()
    assert manifest.problems


def test_a_value_holding_a_variable_expands_as_pip_expands_it() -> None:
    # pip replaces ${A} everywhere, then ${B} everywhere, so the ${B} that
    # ${A} brought in is replaced too.
    dep, text = one("${A}${B}==1", environ={"A": "pkg${B}", "B": "x"})
    assert dep.name == "pkgxx"
    assert cut(text, dep.span) == "${A}${B}==1"


def test_a_variable_can_supply_options() -> None:
    dep, _ = one("foo==1 ${HASH}", environ={"HASH": "--hash=sha256:aa"})
    assert dep.hashes == ("sha256:aa",)


# --------------------------------------------------------------------------- line endings, BOM


def test_crlf_bom_and_lf_read_the_same() -> None:
    text = "# c\nh11>=0.8,\\\n    <0.13 # pin\n-r base.txt\n--pre\nfoo[x]==1 ; os_name == 'nt'\n"
    plain, _ = parse(text)
    crlf, crlf_text = parse(text, crlf=True, bom=True)
    assert crlf_text.startswith("# c\r\n")  # the BOM is not part of the text
    assert [(d.name, d.specifier, d.extras, d.marker) for d in crlf.dependencies] == [
        (d.name, d.specifier, d.extras, d.marker) for d in plain.dependencies
    ]
    assert [cut(crlf_text, d.version_span) for d in crlf.dependencies] == [
        ">=0.8,\\\r\n    <0.13",
        "==1",
    ]
    assert [(d.span.line, d.span.column) for d in crlf.dependencies] == [(2, 1), (6, 1)]
    assert [c.text for c in crlf.comments] == ["# c", "# pin"]
    assert [cut(crlf_text, i.span) for i in crlf.includes] == ["-r base.txt"]
    assert [cut(crlf_text, o.span) for o in crlf.options] == ["--pre"]
    for dep in crlf.dependencies:
        assert_located(crlf_text, dep.span)


def test_lines_split_as_str_splitlines_does_while_lines_count_newlines() -> None:
    manifest, text = parse("a==1\x0cb==2\rc==3\nd==4\n")
    assert [
        (d.name, cut(text, d.span), d.span.line, d.span.column) for d in manifest.dependencies
    ] == [
        ("a", "a==1", 1, 1),
        ("b", "b==2", 1, 6),
        ("c", "c==3", 1, 11),
        ("d", "d==4", 2, 1),
    ]


@pytest.mark.parametrize(
    "data", [b"\xef\xbb\xbffoo==1\r\n", b"foo==1\n", b"caf\xc3\xa9==1 # \xe2\x80\xa8\r", b""]
)
def test_the_digest_is_of_the_bytes_read(data: bytes) -> None:
    """Computed on demand from the decoded text, which must rebuild the bytes exactly."""
    assert decode(PATH, data).digest == digest_of(data)


# --------------------------------------------------------------------------- generated files


def test_pip_compile_output_names_its_in_file_through_the_output_path() -> None:
    source = read_source(FIXTURES / "compiled" / "requirements" / "dev.txt")
    manifest = parse_requirements(source)
    assert manifest.generated_by == "pip-compile"
    assert manifest.source == FIXTURES / "compiled" / "requirements" / "dev.in"
    assert manifest.source.is_file()
    assert [(d.name, str(d.pinned), len(d.hashes)) for d in manifest.dependencies] == [
        ("anyio", "4.2.0", 2),
        ("idna", "3.6", 2),
        ("sniffio", "1.3.0", 2),
    ]
    assert [c.line for c in manifest.comments][-3:] == [10, 14, 18]


@pytest.mark.parametrize(
    ("header", "path", "source"),
    [
        (
            "#\n# This file is autogenerated by pip-compile with Python 3.11\n"
            "# by the following command:\n#\n#    pip-compile requirements.in\n#\n",
            "/r/requirements.txt",
            "/r/requirements.in",
        ),
        (
            "#\n# This file is autogenerated by pip-compile\n# To update, run:\n#\n"
            "#    pip-compile --output-file=requirements/base.txt requirements/base.in\n#\n",
            "/r/requirements/base.txt",
            "/r/requirements/base.in",
        ),
        (
            "# This file is autogenerated by pip-compile with Python 3.12\n"
            "#    pip-compile -o out/locked.txt -c constraints.in src/app.in\n",
            "/r/out/locked.txt",
            "/r/src/app.in",
        ),
        (
            "# This file is autogenerated by pip-compile with Python 3.12\n"
            "# by the following command:\n#\n#    make upgrade\n#\n",
            "/r/requirements/dev.txt",
            "/r/requirements/dev.in",
        ),
        (
            "# This file is autogenerated by pip-compile with Python 3.12\n"
            "#    python -m piptools compile --output-file elsewhere/x.txt deps/x.in\n",
            "/r/requirements/x.txt",
            "/r/requirements/x.in",
        ),
    ],
)
def test_pip_compile_header_source(header: str, path: str, source: str) -> None:
    manifest, _ = parse(header + "foo==1\n", path=Path(path))
    assert manifest.generated_by == "pip-compile"
    assert manifest.source == Path(source)


@pytest.mark.parametrize(
    ("command", "groups"),
    [
        ("pip-compile pyproject.toml", {"default"}),
        (
            "pip-compile --extra Test --extra=docs,Dev_Tools pyproject.toml",
            {"default", "optional:test", "optional:docs", "optional:dev-tools"},
        ),
        ("pip-compile --all-extras -o req.txt pyproject.toml", {"default", "optional:*"}),
        (
            "uv pip compile pyproject.toml --extra s3 --group pyproject.toml:lint -o req.txt",
            {"default", "optional:s3", "group:lint"},
        ),
        (
            "uv pip compile --python-version 3.11 --group dev pyproject.toml -o req.txt",
            {"default", "group:dev"},
        ),
    ],
)
def test_a_compiled_pyproject_records_the_groups_and_command(
    command: str, groups: set[str]
) -> None:
    """The extras a pyproject.toml was compiled with are what its output must
    hold; the ``--extra`` values are option values, never mistaken for inputs."""
    tool = "uv" if command.startswith("uv") else "pip-compile"
    banner = "was autogenerated by uv via" if tool == "uv" else "is autogenerated by pip-compile"
    manifest, _ = parse(f"# This file {banner}\n#    {command}\nfoo==1\n", path=Path("/r/req.txt"))
    assert (manifest.generated_by, manifest.source) == (tool, Path("/r/pyproject.toml"))
    assert manifest.compiled_from == Path("/r/pyproject.toml")
    assert manifest.locked_groups == frozenset(groups)
    assert manifest.compile_command == command


def test_a_compiled_requirements_input_has_no_group_list() -> None:
    manifest, _ = parse(
        "# This file is autogenerated by pip-compile\n#    pip-compile --extra x base.in\nfoo==1\n",
        path=Path("/r/base.txt"),
    )
    assert manifest.source == Path("/r/base.in")
    assert manifest.locked_groups is None


def test_uv_output_is_recognised_without_a_guessed_source() -> None:
    manifest = parse_requirements(read_source(FIXTURES / "uv" / "requirements.txt"))
    assert manifest.generated_by == "uv"
    assert manifest.source == FIXTURES / "uv" / "pyproject.toml"
    manifest, _ = parse(
        "# This file was autogenerated by uv via the following command:\n#    uv x\n"
    )
    assert (manifest.generated_by, manifest.source) == ("uv", None)


def test_a_hand_written_file_has_no_generator() -> None:
    manifest, _ = parse("# requirements, autogenerated by hand\nfoo==1\n")
    assert (manifest.generated_by, manifest.source) == (None, None)


# --------------------------------------------------------------------------- constraints files


def test_constraint_files_give_constraints() -> None:
    manifest, _ = parse("foo==1\nbar>=2 ; python_version < '3.9'\n", kind=Role.CONSTRAIN)
    assert [dep.role for dep in manifest.dependencies] == [Role.CONSTRAIN, Role.CONSTRAIN]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("-e git+https://x.org/y#egg=why", "editable"),
        ("foo[extra]==1", "extras"),
        ("./local/project", "unnamed"),
        ("https://x.org/pkg-1.0.tar.gz", "unnamed"),
    ],
)
def test_constraint_forms_pip_rejects(line: str, fragment: str) -> None:
    manifest, _ = parse(line, kind=Role.CONSTRAIN)
    assert manifest.dependencies == ()
    (problem,) = manifest.problems
    assert fragment in problem.message


# --------------------------------------------------------------------------- whole fixture


def test_shapes_fixture() -> None:
    source = read_source(FIXTURES / "shapes.txt")
    manifest = parse_requirements(source)
    text = source.text
    assert manifest.kind is ManifestKind.REQUIREMENTS
    assert manifest.path == source.path
    assert not manifest.problems
    assert [(d.name, cut(text, d.version_span)) for d in manifest.dependencies] == [
        ("uvicorn", ">= 0.13 , <0.14"),
        ("django", "==4.2.1"),
        ("requests", ">=2.25, <3"),
        ("wsproto", "==0.15.*"),
        ("click", "~=7.1"),
        ("typing-extensions", None),
        ("indented", ">=1.0"),
        ("pkg", None),
        ("starlette", None),
        ("httpx", None),
        ("some-pkg", None),
        ("h11", ">=0.8,\\\n    <0.13"),
    ]
    assert [dep.editable for dep in manifest.dependencies].count(True) == 1
    assert manifest.comments[1].text.startswith("# pinaudit: ignore[PA1001]")
    for dep in manifest.dependencies:
        assert dep.text == cut(text, dep.span)
        assert_located(text, dep.span)


# --------------------------------------------------------------------------- properties

_NAMES = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,8}[A-Za-z0-9])?", fullmatch=True).filter(
    lambda name: not _is_archive(name)
)
_VERSIONS = st.from_regex(
    r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}(\.\*|rc[0-9]|\.post[0-9]|\.dev0)?", fullmatch=True
)
_OPERATORS = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~=", "==="])
_BLANKS = st.sampled_from(["", " ", "  ", "\t"])
_MARKERS = st.sampled_from(
    ['python_version < "3.9"', "sys_platform == 'win32'", 'extra == "dev"', "os_name=='nt'"]
)


@st.composite
def requirement_lines(draw: st.DrawFn) -> tuple[str, str, str | None]:
    """A valid requirement line, the requirement text in it and its version text."""
    name = draw(_NAMES)
    blank = draw(_BLANKS)
    extras = ""
    if draw(st.booleans()):
        extras = (
            blank
            + "["
            + (blank + "," + blank).join(draw(st.lists(_NAMES, min_size=1, max_size=3)))
            + "]"
        )
    clauses = []
    for _ in range(draw(st.integers(0, 3))):
        operator = draw(_OPERATORS)
        version = draw(_VERSIONS)
        if version.endswith(".*") and operator not in ("==", "!="):
            version = version[:-2]
        if operator == "~=" and "." not in version.rstrip(".*"):
            version += ".0"
        if operator == "~=" and version.endswith(".*"):
            version = version[:-2] + ".0"
        clauses.append(operator + draw(_BLANKS) + version)
    spec = (draw(_BLANKS) + "," + draw(_BLANKS)).join(clauses)
    parens = bool(spec) and draw(st.booleans())
    version_text = spec or None
    written_spec = f"{blank}({blank}{spec}{blank})" if parens else (blank + spec if spec else "")
    requirement = name + extras + written_spec
    if draw(st.booleans()):
        requirement += draw(_BLANKS) + ";" + draw(_BLANKS) + draw(_MARKERS)
    try:
        Requirement(requirement)
    except InvalidRequirement:
        version_text = None  # dropped below
        requirement = name + extras
    line = draw(_BLANKS) + requirement + draw(_BLANKS)
    if draw(st.booleans()):
        line += " --hash=sha256:" + "ab" * 4
    if draw(st.booleans()):
        comment = draw(st.text(string.ascii_letters + string.digits + " #;=[]-", max_size=10))
        line += draw(st.sampled_from([" ", "\t"])) + "# " + comment
    return line, requirement, version_text


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requirement_lines(), min_size=1, max_size=6), st.booleans(), st.booleans())
def test_property_spans_round_trip(
    lines: list[tuple[str, str, str | None]], crlf: bool, continued: bool
) -> None:
    physical = [line for line, _, _ in lines]
    if continued:  # break each line after its requirement, before the options
        physical = [p.replace(" --hash", " \\\n    --hash", 1) for p in physical]
    manifest, text = parse("\n".join(physical) + "\n", crlf=crlf)
    assert not manifest.problems, [p.describe() for p in manifest.problems]
    assert [cut(text, dep.span) for dep in manifest.dependencies] == [r for _, r, _ in lines]
    assert [cut(text, dep.version_span) for dep in manifest.dependencies] == [
        v for _, _, v in lines
    ]
    for dep, (_, requirement, _) in zip(manifest.dependencies, lines, strict=True):
        req = Requirement(requirement)
        assert (dep.raw_name, dep.extras, dep.specifier, dep.marker) == (
            req.name,
            frozenset(req.extras),
            req.specifier,
            req.marker,
        )
        assert_located(text, dep.span)


_SIMPLE_ALPHABET = st.sampled_from([*"aZ09._-[],=<>!~*() \t", "==", ">=", "~=", "==="])


@settings(max_examples=800)
@given(st.lists(_SIMPLE_ALPHABET, max_size=14).map("".join))
def test_property_a_line_is_a_dependency_exactly_when_packaging_accepts_it(text: str) -> None:
    """The fast paths and the general path together accept what Requirement accepts."""
    text = text.strip()
    assume(text and " -" not in text and not text.startswith("-"))
    manifest, decoded = parse(text + "\n")
    try:
        req = Requirement(text)
    except InvalidRequirement:
        assert manifest.dependencies == ()
        return
    if _is_archive(_strip_path_extras(text)):  # pip reads it as a local file
        assert manifest.dependencies == ()
        return
    (dep,) = manifest.dependencies
    assert (dep.raw_name, dep.extras, dep.specifier) == (
        req.name,
        frozenset(req.extras),
        req.specifier,
    )
    assert cut(decoded, dep.span) == text


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list("ab -='\"\\\t")), max_size=20))
def test_property_words_split_as_shlex_splits(text: str) -> None:
    try:
        expected: list[str] | None = shlex.split(text)
    except ValueError:
        expected = None
    try:
        words = _split_words(text)
    except _OptionError:
        assert expected is None
        return
    assert [word.text for word in words] == expected
    for word in words:  # each word's position covers what shlex read for it
        assert shlex.split(text[word.start : word.end]) == [word.text]


_FUZZ_PIECES = st.sampled_from(
    [
        "-r",
        "-c",
        "-e",
        "--hash=sha256:aa",
        "--index-url",
        "--pre",
        "-C",
        " ",
        "\t",
        "\\",
        "\n",
        "\r\n",
        "\r",
        "\x0c",
        "#",
        ";",
        "@",
        "${A}",
        "${B}",
        "$",
        "'",
        '"',
        "[",
        "]",
        "(",
        ")",
        "==",
        ">=",
        ",",
        "1.0",
        "foo",
        "git+https://x/y",
        "#egg=",
        "file:",
        ".whl",
        ".tar.gz",
        "./",
        "python_version",
        "<",
        "'3'",
    ]
)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.text(max_size=200), st.lists(_FUZZ_PIECES, max_size=40).map("".join)),
    st.sampled_from([Role.REQUIRE, Role.CONSTRAIN]),
)
def test_property_never_raises_and_every_location_is_in_the_text(text: str, kind: Role) -> None:
    manifest = parse_requirements(
        SourceText(PATH, text, False), environ={"A": "x -r y", "B": "${A}"}, kind=kind
    )
    index = LineIndex(text)
    spans = [include.span for include in manifest.includes]
    spans += [option.span for option in manifest.options]
    for dep in manifest.dependencies:
        assert dep.text == text[dep.span.start : dep.span.end]
        spans.append(dep.span)
        if dep.version_span is not None:
            assert dep.span.start <= dep.version_span.start <= dep.version_span.end <= dep.span.end
            spans.append(dep.version_span)
    for span in spans:
        assert 0 <= span.start <= span.end <= len(text)
        assert span == index.span(span.start, span.end)
    for problem in manifest.problems:
        assert problem.line is not None and 1 <= problem.line <= text.count("\n") + 1
        assert problem.column is not None and problem.column >= 1
