"""The TOML and JSON manifest parsers on small files written for the purpose.

Every format holds the seed case (uvicorn 0.13.4 with wsproto 1.0.0); the
tests check what is read, where it is located, and that bad input becomes a
located Problem rather than an exception.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pinaudit.check import check_paths
from pinaudit.fixrun import run_fix
from pinaudit.model import Dependency, Manifest, ManifestKind, Role
from pinaudit.poetry_constraints import to_specifier
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.sources import pdm_lock, poetry_lock, uv_lock
from pinaudit.sources.pipfile import parse_pipfile, parse_pipfile_lock
from pinaudit.sources.pylock import parse_pylock
from pinaudit.sources.pyproject import parse_pyproject, resolve_dependency_groups
from pinaudit.sources.registry import kind_for, parse
from pinaudit.targets import make_targets
from pinaudit.textfile import SourceText, decode

FORMATS = Path(__file__).parent / "fixtures" / "formats"


def source_of(text: str, name: str = "pyproject.toml") -> SourceText:
    return SourceText(Path(name), text, False)


def fixture(relative: str) -> tuple[str, Manifest]:
    path = FORMATS / relative
    source = decode(path, path.read_bytes())
    kind = kind_for(path)
    assert kind is not None
    return source.text, parse(source, kind)


def by_name(manifest: Manifest) -> dict[str, list[Dependency]]:
    found: dict[str, list[Dependency]] = {}
    for dependency in manifest.dependencies:
        found.setdefault(dependency.name, []).append(dependency)
    return found


def version_text(text: str, dependency: Dependency) -> str:
    assert dependency.version_span is not None, dependency.name
    return text[dependency.version_span.start : dependency.version_span.end]


def span_text(text: str, dependency: Dependency) -> str:
    return text[dependency.span.start : dependency.span.end]


LOCKS = [
    "poetry/poetry.lock",
    "poetry-1.1/poetry.lock",
    "uv/uv.lock",
    "pylock/pylock.toml",
    "pipenv/Pipfile.lock",
    "pdm/pdm.lock",
]
DECLARATIONS = [
    "pep621/pyproject.toml",
    "poetry/pyproject.toml",
    "uv/pyproject.toml",
    "pdm/pyproject.toml",
    "pipenv/Pipfile",
]
GENERATORS = {
    "poetry/poetry.lock": "poetry",
    "poetry-1.1/poetry.lock": "poetry",
    "uv/uv.lock": "uv",
    "pylock/pylock.toml": "pylock",
    "pipenv/Pipfile.lock": "pipenv",
    "pdm/pdm.lock": "pdm",
}


@pytest.mark.parametrize("relative", LOCKS)
def test_seed_case_in_every_lock(relative: str) -> None:
    text, manifest = fixture(relative)
    assert manifest.problems == ()
    assert manifest.generated_by == GENERATORS[relative]
    found = by_name(manifest)
    assert found["uvicorn"][0].pinned == Version("0.13.4")
    assert [dep.pinned for dep in found["wsproto"]] == [Version("1.0.0")]
    for dependency in manifest.dependencies:
        assert dependency.role is Role.LOCK
        if dependency.pinned is not None:
            assert version_text(text, dependency) == str(dependency.pinned)
            assert dependency.specifier == SpecifierSet(f"=={dependency.pinned}")


@pytest.mark.parametrize("relative", DECLARATIONS)
def test_seed_case_in_every_declaration(relative: str) -> None:
    text, manifest = fixture(relative)
    assert manifest.problems == ()
    found = by_name(manifest)
    assert "uvicorn" in found and "wsproto" in found
    for dependency in manifest.dependencies:
        if dependency.version_span is None:
            assert (
                dependency.url is not None or dependency.editable or not str(dependency.specifier)
            )
            continue
        written = version_text(text, dependency)
        if relative == "poetry/pyproject.toml":
            assert to_specifier(written) == dependency.specifier
        elif written and written[0].isdigit():
            assert (
                SpecifierSet(f"=={written}") == dependency.specifier
            )  # pipenv / PDM: bare = exact
        else:
            assert SpecifierSet("" if written == "*" else written) == dependency.specifier


def test_pep621_pyproject() -> None:
    text, manifest = fixture("pep621/pyproject.toml")
    found = by_name(manifest)
    uvicorn = found["uvicorn"][0]
    assert (uvicorn.role, uvicorn.group) == (Role.REQUIRE, None)
    assert span_text(text, uvicorn) == "uvicorn>=0.13,<0.14"
    assert version_text(text, uvicorn) == ">=0.13,<0.14"
    assert uvicorn.span.line == 10 and uvicorn.span.column == 6
    wsproto = next(dep for dep in found["wsproto"] if dep.role is Role.REQUIRE)
    assert (
        wsproto.version_span is not None and wsproto.version_span.start == wsproto.version_span.end
    )
    assert wsproto.version_span.start == wsproto.span.start + len("wsproto")
    assert version_text(text, found["h11"][0]) == ">=0.8"
    click = found["click"][0]
    assert (
        str(click.marker) == 'python_version < "3.12"' and version_text(text, click) == ">=7.0,<8.0"
    )
    # escaped quotes in the string: the span still maps to the characters written
    assert span_text(text, click) == 'click>=7.0,<8.0 ; python_version < \\"3.12\\"'
    assert found["starlette"][0].url == "https://example.org/starlette-0.14.2.tar.gz"
    assert {dep.group for dep in found["setuptools"]} == {"build-system", "build-constraint"}
    assert [dep.group for dep in found["websockets"]] == ["optional:standard"]
    assert "seed-app" not in found  # "seed-app[standard]" names the project's own extra
    assert [dep.group for dep in found["pytest"]] == ["group:test"]
    assert [dep.group for dep in found["ruff"]] == ["group:dev"]
    constraint = next(dep for dep in found["wsproto"] if dep.role is Role.CONSTRAIN)
    assert (constraint.group, str(constraint.specifier)) == ("constraint", "<1.0")
    override = next(dep for dep in found["h11"] if dep.group == "override")
    assert override.role is Role.REQUIRE and override.pinned == Version("0.12.0")
    assert found["mypy"][0].group == "group:dev"
    assert found["httpx"][0].url == "git+https://github.com/encode/httpx@0.18.0"
    assert found["starlette"][0].editable
    assert any("the server" in comment.text for comment in manifest.comments)


def test_dependency_group_membership_follows_includes() -> None:
    path = FORMATS / "pep621" / "pyproject.toml"
    groups = resolve_dependency_groups(decode(path, path.read_bytes()))
    assert [dep.name for dep in groups["dev"]] == ["pytest", "httpx", "ruff"]
    assert [dep.group for dep in groups["dev"]] == ["group:test", "group:test", "group:dev"]


def test_dependency_group_cycle_is_a_problem() -> None:
    text = (
        '[dependency-groups]\na = ["x", {include-group = "b"}]\n'
        'b = [{include-group = "a"}]\nc = [{include-group = "missing"}]\n'
    )
    manifest = parse_pyproject(source_of(text))
    codes = sorted(problem.code for problem in manifest.problems)
    assert codes == ["dependency-group-cycle", "dependency-groups"]
    cycle = next(p for p in manifest.problems if p.code == "dependency-group-cycle")
    assert cycle.line in (2, 3)
    missing = next(p for p in manifest.problems if p.code == "dependency-groups")
    assert missing.line == 4 and "missing" in missing.message
    assert [dep.name for dep in manifest.dependencies] == ["x"]
    assert resolve_dependency_groups(source_of(text)) == {}


def test_poetry_pyproject() -> None:
    text, manifest = fixture("poetry/pyproject.toml")
    found = by_name(manifest)
    assert "python" not in found
    uvicorn = found["uvicorn"][0]
    assert span_text(text, uvicorn) == 'uvicorn = "^0.13.4"'
    assert version_text(text, uvicorn) == "^0.13.4"
    assert uvicorn.specifier == SpecifierSet(">=0.13.4,<0.14.0")
    wsproto = found["wsproto"][0]
    assert (
        version_text(text, wsproto) == "^1.0.0" and str(wsproto.marker) == 'sys_platform != "win32"'
    )
    click = found["click"][0]
    assert str(click.marker) == 'python_full_version < "3.12"'
    h11 = found["h11"]
    assert [version_text(text, dep) for dep in h11] == ["^0.11", "^0.12"]
    assert [str(dep.marker) for dep in h11] == [
        'python_full_version < "3.9"',
        'python_full_version >= "3.9"',
    ]
    assert found["websockets"][0].group == "optional:standard"
    assert found["pyyaml"][0].group == "optional" and found["pyyaml"][0].raw_name == "PyYAML"
    assert found["httptools"][0].url == "git+https://github.com/MagicStack/httptools.git@v0.1.1"
    assert found["local-lib"][0].editable and found["local-lib"][0].url == "../local-lib"
    assert found["pytest"][0].group == "group:dev"
    assert [dep.group for dep in found["mkdocs"]] == ["group:docs"]
    assert found["mkdocs-material"][0].specifier == SpecifierSet(">=7.0,<8.0")
    ruff = found["ruff"][0]  # written as its own [tool.poetry.group.lint.dependencies.ruff] table
    assert ruff.group == "group:lint" and version_text(text, ruff) == "0.4.4"
    assert span_text(text, ruff).startswith("[tool.poetry.group.lint.dependencies.ruff]")


def test_poetry_lock() -> None:
    text, manifest = fixture("poetry/poetry.lock")
    found = by_name(manifest)
    uvicorn = found["uvicorn"][0]
    assert span_text(text, uvicorn).startswith('[[package]]\nname = "uvicorn"')
    assert span_text(text, uvicorn).endswith('uvloop (>=0.14.0)"]')  # its sub-tables included
    assert uvicorn.hashes[0].startswith("sha256:7587")
    assert found["pytest"][0].group == "group:dev"
    assert str(found["wsproto"][0].marker) == 'sys_platform != "win32"'
    assert str(found["websockets"][0].marker) == 'extra == "standard"'  # lock 2.1 per-group markers
    assert found["httptools"][0].url is not None and found["httptools"][0].url.startswith("git+")


def test_poetry_lock_1_1_hashes_and_categories() -> None:
    _, manifest = fixture("poetry-1.1/poetry.lock")
    found = by_name(manifest)
    assert found["wsproto"][0].group == "group:dev"
    assert len(found["uvicorn"][0].hashes) == 2


@pytest.mark.parametrize(
    ("name", "kind"),
    [("poetry.lock", ManifestKind.POETRY_LOCK), ("pdm.lock", ManifestKind.PDM_LOCK)],
)
def test_a_file_hash_that_is_no_string_is_skipped(name: str, kind: ManifestKind) -> None:
    """Found by mutating real locks: a list in ``hash`` made the entry unhashable,
    and planning a fix (which keys entries in a dict) crashed."""
    text = (
        '[[package]]\nname = "pillow"\nversion = "10.4.0"\nfiles = [\n'
        '    {file = "a.whl", hash = [{}]},\n'
        '    {file = "b.whl", hash = "sha256:abc"},\n'
        '    {file = "c.whl", hash = 3},\n]\n'
    )
    manifest = parse(source_of(text, name), kind)
    (pillow,) = manifest.dependencies
    assert pillow.hashes == ("sha256:abc",)
    hash(pillow)  # a list in the tuple raised TypeError


@pytest.mark.parametrize("groups", ["[{}]", '["main", []]', "[1]"])
def test_a_poetry_group_that_is_no_name_leaves_the_marker_unknown(groups: str) -> None:
    """Lock 2.1 keys markers by group; a group that is a table once raised
    TypeError (unhashable) while looking its marker up (found by fuzzing)."""
    text = (
        '[metadata]\nlock-version = "2.1"\n\n[[package]]\nname = "pillow"\n'
        f'version = "10.4.0"\ngroups = {groups}\nmarkers = {{main = "os_name == \'nt\'"}}\n'
    )
    manifest = parse(source_of(text, "poetry.lock"), ManifestKind.POETRY_LOCK)
    (pillow,) = manifest.dependencies
    assert pillow.marker is None


def test_a_poetry_dependency_written_with_dotted_keys_is_read_and_fixed(tmp_path: Path) -> None:
    text = (
        '[tool.poetry]\nname = "x"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n'
        'uvicorn.version = "0.13.4"\nuvicorn.optional = false\nwsproto.version = "1.0.0"\n'
    )
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    rules = load_rules([builtin_rules_path()])
    result = check_paths([tmp_path], rules.index(), make_targets())
    assert result.problems == ()
    (finding,) = result.findings
    assert (finding.rule.code, finding.primary.location.line) == ("PA1001", 6)
    outcome = run_fix(
        [tmp_path], rules.index(), make_targets(), environ={}, write=True, root=tmp_path
    )
    assert outcome.remaining == ()
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8") == text.replace(
        '"0.13.4"', '"0.14.0"'
    )


def test_poetry_locked_dependencies() -> None:
    path = FORMATS / "poetry" / "poetry.lock"
    packages = {p.name: p for p in poetry_lock.locked_dependencies(decode(path, path.read_bytes()))}
    uvicorn = packages["uvicorn"]
    assert {req.name: str(req.specifier) for req in uvicorn.dependencies} == {
        "click": "<8.0,>=7.0",
        "h11": ">=0.8",
    }  # websockets is optional: it comes with the extra
    assert [req.name for req in uvicorn.extras["standard"]] == ["websockets", "httptools", "uvloop"]
    wsproto = packages["wsproto"]
    assert wsproto.version == Version("1.0.0")
    assert wsproto.dependencies[0].specifier == SpecifierSet(">=0.9.0,<1")


def test_uv_lock() -> None:
    text, manifest = fixture("uv/uv.lock")
    found = by_name(manifest)
    h11 = found["h11"]
    assert [str(dep.pinned) for dep in h11] == ["0.11.0", "0.12.0"]
    assert [str(dep.marker) for dep in h11] == [
        'python_full_version < "3.9"',
        'python_full_version >= "3.9"',
    ]
    app = found["seed-app"][0]
    assert app.url == "." and not app.editable  # virtual workspace root
    lib = found["seed-lib"][0]
    assert (
        lib.editable
        and lib.url == "libs/seed-lib"
        and lib.pinned is None
        and lib.version_span is None
    )
    assert found["websockets"][0].url is not None and found["websockets"][0].url.startswith("git+")
    assert len(found["uvicorn"][0].hashes) == 2
    assert span_text(text, found["wsproto"][0]).endswith("]")


def test_uv_locked_dependencies() -> None:
    path = FORMATS / "uv" / "uv.lock"
    packages = uv_lock.locked_dependencies(decode(path, path.read_bytes()))
    uvicorn = next(p for p in packages if p.name == "uvicorn")
    assert [(req.name, req.constraint) for req in uvicorn.dependencies] == [
        ("click", ""),
        ("h11", "==0.11.0"),
        ("h11", "==0.12.0"),
    ]
    assert [req.name for req in uvicorn.extras["standard"]] == ["websockets"]
    app = next(p for p in packages if p.name == "seed-app")
    assert {req.name: req.constraint for req in app.dependencies}["uvicorn"] == ">=0.13,<0.14"


def test_pylock() -> None:
    text, manifest = fixture("pylock/pylock.toml")
    found = by_name(manifest)
    assert str(found["uvicorn"][0].marker) == 'python_version >= "3.8"'
    assert found["wsproto"][0].hashes == (
        "sha256:868776f8456997ad0d9720f7322b746bbe9193751b5b290b7f924659377c8c38",
    )
    seed_lib = found["seed-lib"][0]
    assert seed_lib.editable and seed_lib.pinned is None
    assert found["httptools"][0].url == (
        "git+https://github.com/MagicStack/httptools.git@7b2c2e4a0d1e3b54d0b8f1e8b8c4a3b6b3d7a6f1"
    )
    assert span_text(text, found["wsproto"][0]).endswith(
        'sha256 = "868776f8456997ad0d9720f7322b746bbe9193751b5b290b7f924659377c8c38"'
    )


def test_pylock_validation_problem_is_located_at_its_package() -> None:
    text = (
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "a"\nversion = "1.0"\n'
        'wheels = [{name = "a-1.0-py3-none-any.whl", url = "https://x/a.whl",'
        ' hashes = {sha256 = "00"}}]\n\n'
        '[[packages]]\nname = "b"\nversion = "2.0"\n'
        'wheels = [{name = "c-2.0-py3-none-any.whl", url = "https://x/c.whl",'
        ' hashes = {sha256 = "00"}}]\n'
    )
    manifest = parse_pylock(source_of(text, "pylock.toml"))
    assert [dep.name for dep in manifest.dependencies] == ["a", "b"]
    (problem,) = manifest.problems
    assert problem.code == "invalid-pylock" and problem.line == 9
    assert parse_pylock(source_of(text, "pylock.toml"), validate=False).problems == ()


def test_pipfile() -> None:
    text, manifest = fixture("pipenv/Pipfile")
    found = by_name(manifest)
    assert version_text(text, found["uvicorn"][0]) == "==0.13.4"
    assert found["uvicorn"][0].pinned == Version("0.13.4")
    assert (
        found["wsproto"][0].specifier == SpecifierSet()
        and version_text(text, found["wsproto"][0]) == "*"
    )
    assert str(found["h11"][0].marker) == 'sys_platform != "win32"'
    assert found["websockets"][0].specifier == SpecifierSet("==8.1")
    assert found["httptools"][0].editable
    assert found["pytest"][0].group == "group:dev" and found["mkdocs"][0].group == "group:docs"
    assert "python-version" not in found and "serve" not in found


def test_pipfile_lock() -> None:
    text, manifest = fixture("pipenv/Pipfile.lock")
    found = by_name(manifest)
    uvicorn = found["uvicorn"][0]
    assert version_text(text, uvicorn) == "0.13.4"
    assert span_text(text, uvicorn).startswith('"uvicorn": {') and span_text(
        text, uvicorn
    ).endswith("}")
    assert len(uvicorn.hashes) == 2
    assert found["httptools"][0].pinned is None and found["httptools"][0].editable
    assert found["pytest"][0].group == "group:dev" and found["mkdocs"][0].group == "group:docs"


def test_pdm() -> None:
    text, manifest = fixture("pdm/pdm.lock")
    found = by_name(manifest)
    assert len(found["uvicorn"]) == 2 and found["uvicorn"][1].extras == frozenset({"standard"})
    assert found["pytest"][0].group == "group:test"
    assert found["seed-lib"][0].editable and found["seed-lib"][0].url == "./libs/seed-lib"
    path = FORMATS / "pdm" / "pdm.lock"
    packages = pdm_lock.locked_dependencies(decode(path, path.read_bytes()))
    assert [str(req.specifier) for req in packages[4].dependencies] == ["<1,>=0.9.0"]
    declared = by_name(fixture("pdm/pyproject.toml")[1])
    assert declared["seed-lib"][0].editable
    assert declared["h11"][0].group == "override" and declared["h11"][0].pinned == Version("0.12.0")
    del text


def test_bom_and_crlf_keep_offsets_on_the_decoded_text() -> None:
    raw = (FORMATS / "poetry" / "poetry.lock").read_bytes().replace(b"\n", b"\r\n")
    source = decode(Path("poetry.lock"), b"\xef\xbb\xbf" + raw)
    manifest = parse(source, ManifestKind.POETRY_LOCK)
    assert manifest.problems == ()
    for dependency in manifest.dependencies:
        assert version_text(source.text, dependency) == str(dependency.pinned)
    uvicorn = by_name(manifest)["uvicorn"][0]
    assert uvicorn.version_span is not None and uvicorn.version_span.line == 69
    assert source.text.splitlines()[68][uvicorn.version_span.column - 1 :].startswith("0.13.4")


# -- problems, never exceptions ---------------------------------------------------


def test_malformed_toml_is_a_located_problem() -> None:
    manifest = parse(
        source_of('[[package]]\nname = "a"\nversion = \n', "poetry.lock"), ManifestKind.POETRY_LOCK
    )
    (problem,) = manifest.problems
    assert (problem.code, problem.line, problem.column) == ("invalid-toml", 3, 11)
    assert manifest.dependencies == ()


def test_malformed_json_is_a_located_problem() -> None:
    manifest = parse(
        source_of('{\n  "default": {\n    "a": ,\n', "Pipfile.lock"), ManifestKind.PIPFILE_LOCK
    )
    (problem,) = manifest.problems
    assert (problem.code, problem.line) == ("invalid-json", 3)


@pytest.mark.parametrize(
    ("kind", "text", "code", "read"),
    [
        (
            ManifestKind.POETRY_LOCK,
            '[[package]]\nname = "a"\nversion = "1"\n[metadata]\nlock-version = "3.0"\n',
            "unsupported-lock-version",
            0,
        ),
        (
            ManifestKind.POETRY_LOCK,
            '[[package]]\nname = "a"\nversion = "1"\n[metadata]\nlock-version = "2.2"\n',
            None,
            1,
        ),
        (
            ManifestKind.UV_LOCK,
            'version = 2\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "x" }\n',
            "unsupported-lock-version",
            0,
        ),
        (
            ManifestKind.UV_LOCK,
            'version = 1\nrevision = 9\n[[package]]\nname = "a"\nversion = "1"\n'
            'source = { registry = "x" }\n',
            None,
            1,
        ),
        (
            ManifestKind.PDM_LOCK,
            '[metadata]\nlock_version = "5.0"\n[[package]]\nname = "a"\nversion = "1"\n',
            "unsupported-lock-version",
            0,
        ),
        (
            ManifestKind.PYLOCK,
            'lock-version = "2.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nversion = "1"\n',
            "unsupported-lock-version",
            0,
        ),
        (
            ManifestKind.PIPFILE_LOCK,
            '{"_meta": {"pipfile-spec": 7}, "default": {"a": {"version": "==1"}}}',
            "unsupported-lock-version",
            0,
        ),
    ],
)
def test_lock_format_versions(kind: ManifestKind, text: str, code: str | None, read: int) -> None:
    manifest = parse(source_of(text, "lock"), kind)
    assert [problem.code for problem in manifest.problems] == ([code] if code else [])
    assert all(problem.line is not None for problem in manifest.problems)
    assert len(manifest.dependencies) == read


@pytest.mark.parametrize(
    ("kind", "text", "line"),
    [
        (
            ManifestKind.POETRY_LOCK,
            '[[package]]\nname = "a"\n\n[[package]]\nname = "b"\nversion = "2"\n',
            1,
        ),
        (
            ManifestKind.UV_LOCK,
            'version = 1\n[[package]]\nname = "a"\nsource = { registry = "x" }\n\n'
            '[[package]]\nname = "b"\nversion = "2"\nsource = { registry = "x" }\n',
            2,
        ),
        (
            ManifestKind.PDM_LOCK,
            '[[package]]\nname = "a"\n[[package]]\nname = "b"\nversion = "2"\n',
            1,
        ),
        (
            ManifestKind.PYLOCK,
            'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "a"\nindex = "x"\n'
            '[[packages]]\nname = "b"\nversion = "2"\nindex = "x"\n',
            3,
        ),
        (
            ManifestKind.PIPFILE_LOCK,
            '{\n"default": {\n"a": {"hashes": []},\n"b": {"version": "==2"}}}',
            3,
        ),
    ],
)
def test_entry_without_version_is_a_problem_and_the_rest_is_read(
    kind: ManifestKind, text: str, line: int
) -> None:
    manifest = parse(source_of(text, "lock"), kind)
    missing = [problem for problem in manifest.problems if problem.code == "missing-version"]
    assert [problem.line for problem in missing] == [line]
    assert [dep.name for dep in manifest.dependencies] == ["b"]


def test_invalid_requirement_and_constraint_are_problems() -> None:
    text = (
        '[project]\nname = "x"\ndependencies = ["ok>=1", "not a requirement!!"]\n'
        '[tool.poetry.dependencies]\nbad = "^^1"\ngood = "^1"\n'
    )
    manifest = parse_pyproject(source_of(text))
    assert sorted((p.code, p.line) for p in manifest.problems) == [
        ("invalid-constraint", 5),
        ("invalid-requirement", 3),
    ]
    assert [dep.name for dep in manifest.dependencies] == ["ok", "good"]


def test_invalid_marker_is_reported_and_the_entry_kept() -> None:
    text = '[[package]]\nname = "a"\nversion = "1"\nmarkers = "python_version <<< 3"\n'
    manifest = parse(source_of(text, "poetry.lock"), ManifestKind.POETRY_LOCK)
    assert [p.code for p in manifest.problems] == ["invalid-marker"]
    assert manifest.dependencies[0].marker is None


_GARBAGE = st.one_of(
    st.text(max_size=300),
    st.text("[]{}=\"',.\n#abc123 ", max_size=300),
    st.sampled_from(
        [
            "[[package]]\nname = 1\nversion = []\n",
            "package = 3\n",
            "[[package]]\nname = 'x'\nversion = '1'\nsource = 'x'\n",
            'version = 1\npackage = [1, "a"]\n',
            '{"default": []}',
            '{"default": {"a": 3}}',
            "[project]\ndependencies = 3\noptional-dependencies = [1]\n",
            "[dependency-groups]\na = 'x'\nb = [{include-group = 3}]\n",
            "[tool.poetry.dependencies]\nx = 3\ny = [1, {version = 2}]\n",
            "[packages]\nx = 3\n[dev-packages]\ny = {version = []}\n",
            'lock-version = "1.0"\ncreated-by = 3\npackages = [{}]\n',
        ]
    ),
)


@settings(max_examples=200, deadline=None)
@given(_GARBAGE, st.sampled_from(list(ManifestKind)[1:]))
def test_parsers_never_raise(text: str, kind: ManifestKind) -> None:
    manifest = parse(source_of(text, "file"), kind)
    assert isinstance(manifest, Manifest)


# -- file kinds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pyproject.toml", ManifestKind.PYPROJECT),
        ("poetry.lock", ManifestKind.POETRY_LOCK),
        ("uv.lock", ManifestKind.UV_LOCK),
        ("pylock.toml", ManifestKind.PYLOCK),
        ("pylock.dev.toml", ManifestKind.PYLOCK),
        ("Pipfile", ManifestKind.PIPFILE),
        ("Pipfile.lock", ManifestKind.PIPFILE_LOCK),
        ("pdm.lock", ManifestKind.PDM_LOCK),
        ("requirements.txt", ManifestKind.REQUIREMENTS),
        ("requirements-dev.txt", ManifestKind.REQUIREMENTS),
        ("requirements/base.txt", ManifestKind.REQUIREMENTS),
        ("requirements/deploy.in", ManifestKind.REQUIREMENTS),
        ("MANIFEST.in", None),
        ("constraints.txt", ManifestKind.REQUIREMENTS),
        ("Constraints-CI.IN", ManifestKind.REQUIREMENTS),
        ("dev-requirements.txt", ManifestKind.REQUIREMENTS),
        ("test_requirements.in", ManifestKind.REQUIREMENTS),
        ("requirements.txt.orig", None),
        ("requirements.md", None),
        ("my-constraints.txt", None),
        ("pylock.a.b.toml", None),
        ("setup.py", None),
        ("notes.txt", None),
        ("pyproject.toml.bak", None),
    ],
)
def test_kind_for(name: str, kind: ManifestKind | None) -> None:
    assert kind_for(Path("project") / name) == kind


def test_json_and_toml_values_agree_with_the_fixture_data() -> None:
    """The fixtures themselves are valid TOML/JSON (guards the hand-written files)."""
    for path in FORMATS.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.name == "Pipfile.lock":
                json.loads(text)
            else:
                tomli.loads(text)


def test_pipfile_and_lock_parse_directly() -> None:
    path = FORMATS / "pipenv" / "Pipfile"
    assert parse_pipfile(decode(path, path.read_bytes())).kind is ManifestKind.PIPFILE
    path = FORMATS / "pipenv" / "Pipfile.lock"
    assert parse_pipfile_lock(decode(path, path.read_bytes())).kind is ManifestKind.PIPFILE_LOCK


@pytest.mark.parametrize(
    ("name", "kind", "text", "key"),
    [
        (
            "poetry.lock",
            ManifestKind.POETRY_LOCK,
            'package = "x"\n[metadata]\nlock-version = "2.0"\n',
            "package",
        ),
        (
            "pdm.lock",
            ManifestKind.PDM_LOCK,
            'package = 1\n[metadata]\nlock_version = "4.4"\n',
            "package",
        ),
        ("uv.lock", ManifestKind.UV_LOCK, 'version = 1\npackage = "x"\n', "package"),
        (
            "pylock.toml",
            ManifestKind.PYLOCK,
            'lock-version = "1.0"\ncreated-by = "t"\npackages = "x"\n',
            "packages",
        ),
    ],
)
def test_a_package_key_that_is_no_array_is_reported(
    name: str, kind: ManifestKind, text: str, key: str
) -> None:
    manifest = parse(source_of(text, name), kind)
    assert manifest.dependencies == ()
    assert f"'{key}' should be an array of tables" in [p.message for p in manifest.problems]


def test_every_manifest_kind_has_a_parser() -> None:
    """``parse`` finds a reader for each kind discovery can announce."""
    for kind in ManifestKind:
        manifest = parse(source_of("", f"empty.{kind.value}"), kind)
        assert manifest.kind is kind
