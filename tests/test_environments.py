"""Environments across formats: locks with their manifests, workspaces, drift, Python range."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pinaudit.check import check_paths
from pinaudit.environments import ManifestLoader
from pinaudit.findings import Finding
from pinaudit.fixrun import run_fix
from pinaudit.rulebook import Match, builtin_rules_path, load_rules
from pinaudit.targets import make_targets
from pinaudit.textfile import SourceText, read_source

FORMATS = Path(__file__).parent / "fixtures" / "formats"
RULES = load_rules([builtin_rules_path()])


def check(*paths: Path) -> list[Finding]:
    return list(check_paths(list(paths), RULES.index(), make_targets()).findings)


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.rule.code for f in findings)


@pytest.mark.parametrize(
    ("folder", "lock"),
    [
        ("poetry", "poetry.lock"),
        ("poetry-1.1", "poetry.lock"),
        ("uv", "uv.lock"),
        ("pdm", "pdm.lock"),
        ("pylock", "pylock.toml"),
        ("pipenv", "Pipfile.lock"),
    ],
)
def test_seed_case_in_every_lock_points_at_the_locked_version(folder: str, lock: str) -> None:
    (finding,) = [f for f in check(FORMATS / folder) if f.rule.code == "PA1001"]
    assert finding.match is Match.DEFINITE
    primary = finding.primary
    assert primary.path.name == lock
    text = primary.path.read_text(encoding="utf-8")
    line = text.splitlines()[primary.location.line - 1]
    assert re.search(r"version\"?\s*[=:]\s*\"(==)?0\.13\.4\"", line), line
    assert text[primary.location.start : primary.location.end] in ("0.13.4", "==0.13.4")


def test_a_manifest_given_alone_is_checked_with_the_lock_beside_it() -> None:
    found = check(FORMATS / "uv" / "pyproject.toml")
    assert [f.primary.path.name for f in found if f.rule.code == "PA1001"] == ["uv.lock"]


def _uv_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FORMATS / "uv", project)
    return project


def test_lock_drift_is_found_in_both_files(tmp_path: Path) -> None:
    project = _uv_project(tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(
            '"uvicorn>=0.13,<0.14", "wsproto"', '"uvicorn>=0.14", "wsproto", "httpx"'
        ),
        encoding="utf-8",
    )
    drift = [f for f in check(project) if f.rule.code == "PA0101"]
    assert [f.message for f in drift] == [
        "uvicorn>=0.14 is declared in pyproject.toml, but the lock holds 0.13.4; run `uv lock`",
        "httpx is declared in pyproject.toml but not in the lock; run `uv lock`",
    ]
    assert [d.path.name for item in drift[0].involved for d in item.dependencies] == [
        "pyproject.toml",
        "uv.lock",
    ]


def test_no_drift_when_the_lock_matches(tmp_path: Path) -> None:
    assert [f for f in check(_uv_project(tmp_path)) if f.rule.code == "PA0101"] == []


def _uv_workspace(tmp_path: Path) -> tuple[Path, Path]:
    """The uv project with one workspace member, ``libs/seed-lib``, that wants wsproto>=2."""
    project = _uv_project(tmp_path)
    member = project / "libs" / "seed-lib"
    member.mkdir(parents=True)
    (member / "pyproject.toml").write_text(
        '[project]\nname = "seed-lib"\nversion = "0.1"\ndependencies = ["wsproto>=2"]\n',
        encoding="utf-8",
    )
    return project, member


def test_uv_workspace_members_join_the_root_environment(tmp_path: Path) -> None:
    _, member = _uv_workspace(tmp_path)
    result = check_paths([member / "pyproject.toml"], RULES.index(), make_targets())
    (environment,) = result.environments
    assert {m.path.name for m in environment.manifests} == {"pyproject.toml", "uv.lock"}
    assert len(environment.manifests) == 3
    drift = [f for f in result.findings if f.rule.code == "PA0101"]
    assert [f.message for f in drift] == [
        "wsproto>=2 is declared in pyproject.toml, but the lock holds 1.0.0; run `uv lock`"
    ]


def test_unusable_workspace_globs_are_reported_and_the_rest_still_read(tmp_path: Path) -> None:
    """An empty or absolute member pattern once made pathlib raise out of check."""
    project, member = _uv_workspace(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    before, members, _ = text.partition('members = ["libs/*"]\n')
    assert members, "the fixture names its members on one line"
    pyproject.write_text(
        before + 'members = [\n  "",\n  "/srv/*",\n  "libs/*",\n]\n', encoding="utf-8"
    )
    line = before.count("\n") + 2  # the line of ""
    result = check_paths([project], RULES.index(), make_targets())
    assert sorted((p.line, p.message) for p in result.problems) == [
        (line, "tool.uv.workspace.members.0: '' is not a relative folder pattern"),
        (line + 1, "tool.uv.workspace.members.1: '/srv/*' is not a relative folder pattern"),
    ]
    (environment,) = result.environments
    assert member / "pyproject.toml" in {m.path for m in environment.manifests}


@pytest.mark.parametrize("pattern", [".", "./", "x" * 300, "libs/" + "y" * 300 + "/*"])
def test_member_patterns_pathlib_cannot_expand_are_passed_over(
    tmp_path: Path, pattern: str
) -> None:
    """``.`` (the root, a member anyway) made pathlib raise IndexError, and a
    name longer than the OS allows raised OSError; found by damaging the corpus."""
    project, member = _uv_workspace(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace('members = ["libs/*"]', f'members = ["{pattern}", "libs/*"]'),
        encoding="utf-8",
    )
    result = check_paths([project], RULES.index(), make_targets())
    (environment,) = result.environments
    assert member / "pyproject.toml" in {m.path for m in environment.manifests}


def test_a_tool_key_that_is_no_table_does_not_stop_the_workspace_lookup(tmp_path: Path) -> None:
    project = _uv_project(tmp_path)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text("tool = 3\n" + text.split("[tool.", 1)[0], encoding="utf-8")
    result = check_paths([project], RULES.index(), make_targets())
    assert [f.rule.code for f in result.findings if f.rule.code == "PA1001"] == ["PA1001"]


def _project_with_numpy(tmp_path: Path, requires: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "app"\nversion = "1"\nrequires-python = "{requires}"\n'
        'dependencies = ["numpy==1.23.5"]\n',
        encoding="utf-8",
    )
    return tmp_path


def test_rules_are_evaluated_on_the_pythons_a_project_admits(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    old = _project_with_numpy(tmp_path / "old", "<3.10")
    assert [f for f in check(old) if f.rule.code == "PA2009"] == []
    new = tmp_path / "new"
    new.mkdir()
    _project_with_numpy(new, ">=3.9")
    (finding,) = [f for f in check(new) if f.rule.code == "PA2009"]
    assert finding.where == "Python 3.12, 3.13, 3.14, 3.15"


def test_a_lock_holding_an_old_release_is_not_a_stale_cap(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("uvicorn\nwsproto\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text(
        "# This file is autogenerated by pip-compile with Python 3.11\n"
        "#    pip-compile requirements.in\n"
        "uvicorn==0.14.0\nwsproto==0.15.0\n",
        encoding="utf-8",
    )
    assert [f for f in check(tmp_path) if f.rule.code == "PA3001"] == []
    (tmp_path / "requirements.in").write_text("uvicorn\nwsproto<1\n", encoding="utf-8")
    assert codes([f for f in check(tmp_path) if f.rule.code == "PA3001"]) == ["PA3001"]


def test_pip_compile_drift_between_in_and_txt(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("uvicorn>=0.14\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text(
        "# This file is autogenerated by pip-compile with Python 3.11\n"
        "#    pip-compile requirements.in\nuvicorn==0.13.4\n",
        encoding="utf-8",
    )
    (finding,) = [f for f in check(tmp_path) if f.rule.code == "PA0101"]
    assert finding.message == (
        "uvicorn>=0.14 is declared in requirements.in, but the lock holds 0.13.4; "
        "run `pip-compile requirements.in`"
    )


_APP = (
    '[project]\nname = "app"\nversion = "1"\n'
    'dependencies = ["uvicorn>=0.13", "wsproto>=1.0"]\n\n'
    '[project.optional-dependencies]\ntest = ["pytest>=7"]\ndocs = ["sphinx"]\n'
)
_COMPILED = "click==7.1.2\nh11==0.12.0\nuvicorn==0.13.4\nwsproto==1.0.0\n"


def _compiled_project(folder: Path, command: str, tool: str = "pip-compile") -> Path:
    """A pyproject.toml and the requirements.txt ``command`` compiled from it."""
    (folder / "pyproject.toml").write_text(_APP, encoding="utf-8")
    header = (
        "# This file is autogenerated by pip-compile with Python 3.11\n"
        if tool == "pip-compile"
        else "# This file was autogenerated by uv via the following command:\n"
    )
    (folder / "requirements.txt").write_text(
        f"{header}#    {command}\n{_COMPILED}", encoding="utf-8"
    )
    return folder


def test_a_pyproject_compiled_to_requirements_drives_it(tmp_path: Path) -> None:
    """pip-compile reads pyproject.toml as a project, never as a requirements file;
    the pair is one environment whose pins are the lock."""
    _compiled_project(tmp_path, "pip-compile pyproject.toml")
    result = check_paths([tmp_path], RULES.index(), make_targets())
    assert result.problems == ()
    (environment,) = result.environments
    assert [(m.path.name, m.kind.value) for m in environment.drivers] == [
        ("pyproject.toml", "pyproject")
    ]
    (finding,) = [f for f in result.findings if f.rule.code == "PA1001"]
    assert finding.match is Match.DEFINITE
    assert finding.primary.path.name == "requirements.txt"
    # Extras it was not compiled with are not expected in the output.
    assert [f for f in result.findings if f.rule.code == "PA0101"] == []


@pytest.mark.parametrize(
    ("command", "tool", "missing"),
    [
        ("pip-compile --extra test pyproject.toml", "pip-compile", ["pytest"]),
        ("pip-compile --extra=test,docs pyproject.toml", "pip-compile", ["pytest", "sphinx"]),
        ("pip-compile --all-extras pyproject.toml", "pip-compile", ["pytest", "sphinx"]),
        ("uv pip compile pyproject.toml --extra docs -o requirements.txt", "uv", ["sphinx"]),
    ],
)
def test_a_compiled_extra_missing_from_the_output_is_drift(
    tmp_path: Path, command: str, tool: str, missing: list[str]
) -> None:
    """The header says which extras were compiled; those are expected in the
    output, and the hint re-runs the header's own command, options and all."""
    _compiled_project(tmp_path, command, tool)
    drift = [f for f in check(tmp_path) if f.rule.code == "PA0101"]
    assert sorted(f.primary.name for f in drift) == missing
    assert {f.message.rsplit("; ", 1)[1] for f in drift} == {f"run `{command}`"}


def test_uv_pip_compile_output_is_read_as_the_lock_of_its_input(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("uvicorn>=0.14\nwsproto\n", encoding="utf-8")
    (tmp_path / "requirements.txt").write_text(
        "# This file was autogenerated by uv via the following command:\n"
        "#    uv pip compile requirements.in -o requirements.txt\n" + _COMPILED,
        encoding="utf-8",
    )
    result = check_paths([tmp_path], RULES.index(), make_targets())
    (environment,) = result.environments
    assert [m.path.name for m in environment.drivers] == ["requirements.in"]
    (finding,) = [f for f in result.findings if f.rule.code == "PA0101"]
    assert finding.message == (
        "uvicorn>=0.14 is declared in requirements.in, but the lock holds 0.13.4; "
        "run `uv pip compile requirements.in -o requirements.txt`"
    )


def test_an_output_compiled_from_setup_py_stands_alone(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text(
        "from setuptools import setup\nsetup(install_requires=['uvicorn'])\n", encoding="utf-8"
    )
    (tmp_path / "requirements.txt").write_text(
        "# This file is autogenerated by pip-compile with Python 3.11\n"
        "#    pip-compile setup.py\n" + _COMPILED,
        encoding="utf-8",
    )
    result = check_paths([tmp_path], RULES.index(), make_targets())
    assert result.problems == ()
    (environment,) = result.environments
    assert environment.drivers == ()
    assert [f.rule.code for f in result.findings] == ["PA1001"]
    # Its pins are edited, with a warning that the next compile undoes that.
    outcome = run_fix(
        [tmp_path], RULES.index(), make_targets(), environ={}, write=False, root=tmp_path
    )
    (plan,) = outcome.plans
    assert [edit.replacement for edit in plan.edits] == ["==0.14.0"]
    assert (
        "requirements.txt is compiled from setup.py, which pinaudit does not read: make the "
        "same change there, or the next compile (`pip-compile setup.py`) undoes this edit"
    ) in plan.summary


def test_unrelated_manifests_never_mix(tmp_path: Path) -> None:
    for name, line in (("a", "uvicorn==0.13.4"), ("b", "wsproto==1.0.0")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(line + "\n", encoding="utf-8")
    assert [f for f in check(tmp_path) if f.rule.code == "PA1001"] == []


def test_a_shared_base_is_one_file_however_services_spell_it(tmp_path: Path) -> None:
    """Each service names the base through its own ``../..``; it is read once, reported once."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "base.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8")
    for number in range(3):
        service = tmp_path / "services" / f"svc{number}"
        service.mkdir(parents=True)
        (service / "requirements.txt").write_text(
            "-r ../../shared/base.txt\nrequests\n", encoding="utf-8"
        )
    reads: list[Path] = []

    def reader(path: Path) -> SourceText:
        reads.append(path)
        return read_source(path)

    result = check_paths([tmp_path], RULES.index(), make_targets(), reader=reader)
    assert sorted(p.name for p in reads) == ["base.txt"] + ["requirements.txt"] * 3
    (finding,) = [f for f in result.findings if f.rule.code == "PA1001"]
    # Shown as the first service spelled it: the tree holds no spelling of its own.
    assert finding.primary.path.resolve() == (shared / "base.txt").resolve()
    assert len(result.environments) == 3


def test_the_loader_resolves_paths_as_pathlib_does(tmp_path: Path) -> None:
    real = tmp_path / "real" / "deep"
    real.mkdir(parents=True)
    (real / "base.txt").write_text("requests\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    (real / "alias.txt").symlink_to(real / "base.txt")
    loader = ManifestLoader(read_source)
    spellings = [
        tmp_path / "link" / "base.txt",
        tmp_path / "link" / ".." / "deep" / "base.txt",  # ".." after a symlink: physical parent
        tmp_path / "real" / "deep" / "." / "alias.txt",
        tmp_path / "real" / "x" / ".." / "deep" / "base.txt",  # a missing folder, lexically
        tmp_path / "link" / "missing.txt",
        Path("relative") / ".." / "here.txt",
        # Two more spellings of the symlink alias.txt, met after the first one.
        tmp_path / "link" / "alias.txt",
        tmp_path / "real" / "deep" / ".." / "deep" / "alias.txt",
    ]
    for path in spellings:
        assert loader.resolve(path) == path.resolve(), path
    # One Path object per real file, however it was spelled.
    assert loader.resolve(spellings[0]) is loader.resolve(spellings[-1])


def test_discovery_outside_git_walks_what_pip_users_expect(tmp_path: Path) -> None:
    """Without git: skipped folders and virtual environments are left out, a symlink to a
    file is read, a symlinked folder is not walked, a dangling link is no file."""
    from pinaudit.discover import discover

    for folder in ("app", "app/deep", ".venv", "node_modules", "env", "env/lib"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "requirements.txt").write_text("requests\n", encoding="utf-8")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
    (tmp_path / "app" / "notes.txt").write_text("not a manifest\n", encoding="utf-8")
    (tmp_path / "linked").symlink_to(tmp_path / "app", target_is_directory=True)
    (tmp_path / "requirements-link.txt").symlink_to(tmp_path / "app" / "requirements.txt")
    (tmp_path / "requirements-dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    found = [path.relative_to(tmp_path).as_posix() for path, _ in discover([tmp_path])]
    assert found == [
        "app/deep/requirements.txt",
        "app/requirements.txt",
        "requirements-link.txt",
    ]
