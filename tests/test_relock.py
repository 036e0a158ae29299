"""Re-locking with the real uv, poetry, pdm and pipenv, and all else that needs an index.

One package index is built per module (:mod:`tests.package_index`: tiny
wheels written by hand, a PEP 503 simple index with PEP 658 metadata files),
served by ``http.server`` on 127.0.0.1 in a thread.  The lockers are pointed at it
with their caches and configuration in the test's folder, so nothing leaves
the machine.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from pinaudit.fix import FixPlan
from pinaudit.fixrun import FixOutcome, run_fix
from pinaudit.relock import RelockOutcome, command_for
from pinaudit.rulebook import builtin_rules_path, load_rules
from pinaudit.simpleindex import SimpleIndex
from pinaudit.targets import make_targets
from tests.package_index import Quiet, build_index, serve

RULES = load_rules([builtin_rules_path()])
INDEX = RULES.index()
TARGETS = make_targets()
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("index")
    digests = build_index(root)
    with serve(partial(Quiet, directory=str(root))) as base:
        yield f"{base}/simple/", digests


def _environ(tmp_path: Path, url: str) -> dict[str, str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "POETRY_", "PIP_", "PDM_", "PIPENV_", "VIRTUAL_ENV"))
    }
    return {
        **base,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "UV_INDEX_URL": url,
        "UV_DEFAULT_INDEX": url,
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_OFFLINE": "0",
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
        "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
        "POETRY_DATA_DIR": str(tmp_path / "poetry-data"),
        "POETRY_VIRTUALENVS_CREATE": "false",
        "POETRY_NO_INTERACTION": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PDM_CACHE_DIR": str(tmp_path / "pdm-cache"),
        "PDM_HOME": str(tmp_path / "pdm-home"),
        "PDM_CHECK_UPDATE": "false",
        "PDM_NON_INTERACTIVE": "1",
        "PDM_IGNORE_SAVED_PYTHON": "1",
        "PDM_PYTHON": sys.executable,
        "PIPENV_CACHE_DIR": str(tmp_path / "pipenv-cache"),
        "PIPENV_VENV_IN_PROJECT": "1",
        "PIPENV_IGNORE_VIRTUALENVS": "1",
        "PIPENV_NOSPIN": "1",
        "PIPENV_YES": "1",
        "PIPENV_PYTHON": sys.executable,
        "PIP_INDEX_URL": url,
        "PIP_CONFIG_FILE": os.devnull,
        "NO_COLOR": "1",
    }


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip(f"{name} is not installed (pip install {name} into the test environment)")
    return found


def _lock_with(
    argv: list[str], project: Path, environ: dict[str, str], timeout: float = 120
) -> None:
    """Run a locker or compiler the way a user would; it must succeed."""
    done = subprocess.run(
        argv, cwd=project, env=environ, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _locked(lock: Path, name: str, table: str = "package") -> list[str]:
    """The versions of ``name`` in a TOML lock (``packages`` in a pylock.toml)."""
    import tomllib

    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return [pkg["version"] for pkg in data.get(table, []) if pkg["name"] == name]


def _fix_and_relock(
    project: Path, environ: dict[str, str], tmp_path: Path
) -> tuple[FixOutcome, FixPlan, RelockOutcome]:
    """``fix --write --relock`` on the seed case: its PA1001 plan and the one relock it ran."""
    outcome = run_fix(
        [project], INDEX, TARGETS, environ=environ, write=True, root=tmp_path, relock=True
    )
    (plan,) = [plan for plan in outcome.plans if plan.finding.rule.code == "PA1001"]
    (relocked,) = outcome.relocks
    assert relocked.ok, relocked.message + "\n" + relocked.stderr_tail
    return outcome, plan, relocked


def test_uv_relock_moves_the_lock_to_the_fix(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    uv = _tool("uv")
    url, _ = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "seed-app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "uvicorn>=0.13,<0.14",  # the server\n    "wsproto",\n]\n',
        encoding="utf-8",
    )
    _lock_with([uv, "lock"], project, environ)
    assert _locked(project / "uv.lock", "uvicorn") == ["0.13.4"]
    assert _locked(project / "uv.lock", "wsproto") == ["1.0.0"]
    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert outcome.plans == (plan,)
    assert plan.relock == "uv lock --upgrade-package uvicorn"
    assert relocked.command.cwd == project
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == (
        '[project]\nname = "seed-app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "uvicorn>=0.14,<0.15",  # the server\n    "wsproto",\n]\n'
    )
    assert _locked(project / "uv.lock", "uvicorn") == ["0.14.0"]
    assert _locked(project / "uv.lock", "click") == ["7.0"]
    lock_text = (project / "uv.lock").read_text(encoding="utf-8")
    assert f'registry = "{url.rstrip("/")}' in lock_text
    assert _only_loopback_urls(lock_text)
    assert not [f for f in outcome.remaining if f.rule.code == "PA1001"]
    again = run_fix([project], INDEX, TARGETS, environ=environ, write=True, root=tmp_path)
    assert again.changes == {} and again.remaining == ()


def test_poetry_relock_moves_the_lock_to_the_fix(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    poetry = _tool("poetry")
    url, _ = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    manifest = (
        '[tool.poetry]\nname = "seed-app"\nversion = "0.1.0"\ndescription = ""\n'
        'authors = ["Someone <someone@example.org>"]\npackage-mode = false\n\n'
        "[tool.poetry.dependencies]\n"
        'python = "^3.11"\n'
        'uvicorn = { version = "^0.13.4", optional = false }\n'
        'wsproto = "*"\n\n'
        "[[tool.poetry.source]]\n"
        'name = "loopback"\n'
        f'url = "{url}"\n'
        'priority = "primary"\n'
    )
    (project / "pyproject.toml").write_text(manifest, encoding="utf-8")
    _lock_with([poetry, "lock", "--no-interaction"], project, environ)
    assert _locked(project / "poetry.lock", "uvicorn") == ["0.13.4"]
    assert _locked(project / "poetry.lock", "wsproto") == ["1.0.0"]
    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert plan.relock == "poetry update uvicorn"
    assert relocked.command.argv[:3] == ("poetry", "update", "--lock")
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == manifest.replace(
        '"^0.13.4"', '"^0.14.0"'
    )
    assert _locked(project / "poetry.lock", "uvicorn") == ["0.14.0"]
    lock_text = (project / "poetry.lock").read_text(encoding="utf-8")
    assert 'reference = "loopback"' in lock_text
    assert _only_loopback_urls(lock_text)
    assert not [f for f in outcome.remaining if f.rule.code == "PA1001"]


def test_pdm_relock_moves_the_lock_to_the_fix(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    pdm = _tool("pdm")
    url, digests = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    manifest = (
        '[project]\nname = "seed-app"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "uvicorn>=0.13,<0.14",\n    "wsproto",\n]\n\n'
        "[tool.pdm]\ndistribution = false\n\n"
        f'[[tool.pdm.source]]\nname = "pypi"\nurl = "{url}"\n'
    )
    (project / "pyproject.toml").write_text(manifest, encoding="utf-8")
    _lock_with([pdm, "lock"], project, environ)
    assert _locked(project / "pdm.lock", "uvicorn") == ["0.13.4"]
    assert _locked(project / "pdm.lock", "wsproto") == ["1.0.0"]
    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert plan.relock == "pdm update uvicorn"
    assert relocked.command.argv == ("pdm", "update", "--no-sync", "uvicorn")
    assert (project / "pyproject.toml").read_text(encoding="utf-8") == manifest.replace(
        "uvicorn>=0.13,<0.14", "uvicorn>=0.14,<0.15"
    )
    assert _locked(project / "pdm.lock", "uvicorn") == ["0.14.0"]
    assert _locked(project / "pdm.lock", "click") == ["7.0"]
    # pdm records file hashes, not URLs: these are the test index's own wheels.
    lock_text = (project / "pdm.lock").read_text(encoding="utf-8")
    assert digests["uvicorn-0.14.0-py3-none-any.whl"] in lock_text
    assert not [f for f in outcome.remaining if f.rule.code == "PA1001"]


def test_pipenv_relock_keeps_the_pipfile_as_the_fix_wrote_it(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    pipenv = _tool("pipenv")
    url, digests = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    pipfile = (
        f'[[source]]\nurl = "{url}"\nverify_ssl = false\nname = "loopback"\n\n'
        '[packages]\nuvicorn = "==0.13.4"  # the server\nwsproto = "*"\n\n'
        '[requires]\npython_version = "3.11"\n'
    )
    (project / "Pipfile").write_text(pipfile, encoding="utf-8")

    def pipenv_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pipenv, *args], cwd=project, env=environ, capture_output=True, text=True, timeout=300
        )

    locked = pipenv_run("lock")
    assert locked.returncode == 0, locked.stdout + locked.stderr
    assert _pipfile_locked(project, "uvicorn") == "==0.13.4"
    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert plan.relock == "pipenv lock"
    assert relocked.command.argv == ("pipenv", "lock")
    # pipenv re-locked from the Pipfile exactly as the fix wrote it.
    assert (project / "Pipfile").read_text(encoding="utf-8") == pipfile.replace(
        '"==0.13.4"', '"==0.14.0"'
    )
    assert _pipfile_locked(project, "uvicorn") == "==0.14.0"
    assert _pipfile_locked(project, "click") == "==7.0"
    lock_text = (project / "Pipfile.lock").read_text(encoding="utf-8")
    assert "sha256:" + digests["uvicorn-0.14.0-py3-none-any.whl"] in lock_text
    assert pipenv_run("verify").returncode == 0  # the lock's hash matches the Pipfile
    assert not [f for f in outcome.remaining if f.rule.code == "PA1001"]


_SEED_IN = "uvicorn>=0.13,<0.14  # the server\nwsproto\n"
_SEED_PYPROJECT = (
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
    '[project]\nname = "seed-app"\nversion = "0.1.0"\n'
    'dependencies = ["uvicorn>=0.13,<0.14", "wsproto"]\n'
)
_COMPILERS = {
    # pip-compile builds a pyproject.toml's metadata with its backend; the
    # test index has no setuptools, so the venv's own is used.
    "pip-compile": ("pip-compile", "--no-build-isolation"),
    "uv": ("uv", "pip", "compile", "-o", "requirements.txt"),
}


@pytest.mark.parametrize("compiler", ["pip-compile", "uv"])
@pytest.mark.parametrize("source", ["requirements.in", "pyproject.toml"])
def test_a_compiled_output_is_fixed_in_its_input_and_recompiled(
    index: tuple[str, dict[str, str]], tmp_path: Path, compiler: str, source: str
) -> None:
    """A compiled requirements file is a lock of its input: the input gets the
    edit, and the header's own command, with ``--upgrade-package``, re-makes
    the output (real pip-compile and uv against the loopback index)."""
    executable = _tool(compiler)
    url, _ = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    text = _SEED_IN if source == "requirements.in" else _SEED_PYPROJECT
    (project / source).write_text(text, encoding="utf-8")
    _lock_with([executable, *_COMPILERS[compiler][1:], source], project, environ)
    output = project / "requirements.txt"
    assert "uvicorn==0.13.4" in output.read_text(encoding="utf-8").splitlines()
    header = shlex.join([*_COMPILERS[compiler], source])
    assert f"#    {header}" in output.read_text(encoding="utf-8")

    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert outcome.plans == (plan,)
    upgrade = ["--upgrade-package", "uvicorn"]
    words = shlex.split(header)
    at = 3 if compiler == "uv" else 1
    assert plan.relock == shlex.join([*words[:at], *upgrade, *words[at:]])
    assert relocked.command.cwd == project
    assert (project / source).read_text(encoding="utf-8") == text.replace(
        "uvicorn>=0.13,<0.14", "uvicorn>=0.14,<0.15"
    )
    lines = output.read_text(encoding="utf-8").splitlines()
    assert "uvicorn==0.14.0" in lines and "click==7.0" in lines
    assert f"#    {header}" in lines, "re-made by the same command, not an upgrading one"
    assert not [f for f in outcome.remaining if f.rule.code in ("PA1001", "PA0101")]
    again = run_fix([project], INDEX, TARGETS, environ=environ, write=True, root=tmp_path)
    assert again.changes == {} and again.remaining == ()


@pytest.mark.parametrize("compiler", ["pip-compile", "uv"])
def test_a_compile_run_from_the_project_root_is_rerun_there(
    index: tuple[str, dict[str, str]], tmp_path: Path, compiler: str
) -> None:
    """The common layout: ``pip-compile --output-file=requirements/base.txt
    requirements/base.in`` run from the root (by a Makefile); the re-lock runs
    where the paths in the header make sense."""
    executable = _tool(compiler)
    url, _ = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    (project / "requirements").mkdir(parents=True)
    (project / "requirements" / "base.in").write_text(_SEED_IN, encoding="utf-8")
    if compiler == "uv":
        arguments = ["pip", "compile", "requirements/base.in", "-o", "requirements/base.txt"]
    else:
        arguments = ["--output-file=requirements/base.txt", "requirements/base.in"]
    _lock_with([executable, *arguments], project, environ)
    output = project / "requirements" / "base.txt"
    header = output.read_text(encoding="utf-8")
    assert "uvicorn==0.13.4" in header.splitlines()
    outcome, _, relocked = _fix_and_relock(project, environ, tmp_path)
    assert relocked.command.cwd == project
    assert "uvicorn==0.14.0" in output.read_text(encoding="utf-8").splitlines()
    assert not (project / "requirements" / "requirements").exists()
    assert not [f for f in outcome.remaining if f.rule.code in ("PA1001", "PA0101")]


def test_a_pylock_written_by_uv_pip_compile_is_recompiled(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """uv writes PEP 751 locks too (``uv pip compile -o pylock.toml``); its
    header's command, with ``--upgrade-package``, re-makes the lock."""
    uv = _tool("uv")
    url, _ = index
    environ = _environ(tmp_path, url)
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(_SEED_PYPROJECT, encoding="utf-8")
    _lock_with([uv, "pip", "compile", "pyproject.toml", "-o", "pylock.toml"], project, environ)
    lock = project / "pylock.toml"
    assert _locked(lock, "uvicorn", "packages") == ["0.13.4"]
    outcome, plan, relocked = _fix_and_relock(project, environ, tmp_path)
    assert plan.relock == "uv pip compile --upgrade-package uvicorn pyproject.toml -o pylock.toml"
    assert relocked.command.cwd == project
    assert _locked(lock, "uvicorn", "packages") == ["0.14.0"]
    assert "uv pip compile pyproject.toml -o pylock.toml" in lock.read_text(encoding="utf-8")
    assert not [f for f in outcome.remaining if f.rule.code in ("PA1001", "PA0101")]


@pytest.mark.parametrize(
    ("lock", "header", "cwd"),
    [
        ("/r/requirements/base.txt", "pip-compile requirements/base.in", "/r"),
        ("/r/requirements/base.txt", "pip-compile --output-file=requirements/base.txt x.in", "/r"),
        ("/r/requirements/base.txt", "pip-compile -o base.txt base.in", "/r/requirements"),
        ("/r/requirements/base.txt", "pip-compile base.in", "/r/requirements"),
        (
            "/r/requirements/base.txt",
            "pip-compile -o /elsewhere/base.txt base.in",
            "/r/requirements",
        ),
        ("requirements/base.txt", "pip-compile requirements/base.in", "."),
        ("/r/a/req.txt", "uv pip compile a/req.in -o a/req.txt", "/r"),
        ("/r/a/req.txt", "uv pip compile req.in -o req.txt", "/r/a"),
    ],
)
def test_a_compile_reruns_in_the_folder_its_header_ran_in(lock: str, header: str, cwd: str) -> None:
    command = command_for(None, Path(lock), ["uvicorn"], header)
    assert command.cwd == Path(cwd)
    assert command.merged(command).cwd == Path(cwd)


def test_a_uv_header_without_output_file_writes_the_file_back() -> None:
    command = command_for(None, Path("/r/req.txt"), ["uvicorn"], "uv pip compile req.in")
    assert command.argv == (
        "uv",
        "pip",
        "compile",
        "--upgrade-package",
        "uvicorn",
        "req.in",
        "-o",
        "req.txt",
    )


def _pipfile_locked(project: Path, name: str) -> str:
    data = json.loads((project / "Pipfile.lock").read_text(encoding="utf-8"))
    return str(data["default"][name]["version"])


def test_hashes_come_from_the_index_the_file_names(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, digests = index
    old = "1" * 64
    text = (
        f"--index-url {url}\n"
        "# pinned with hashes\n"
        f"uvicorn==0.13.4 \\\n    --hash=sha256:{old}\n"
        f"wsproto==1.0.0 \\\n    --hash=sha256:{'2' * 64}\n"
    )
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    outcome = run_fix([tmp_path], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    (plan,) = outcome.plans
    assert plan.blocked is None, plan.blocked
    new = digests["uvicorn-0.14.0-py3-none-any.whl"]
    assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == text.replace(
        "uvicorn==0.13.4", "uvicorn==0.14.0"
    ).replace(old, new)
    assert f"new --hash values for uvicorn 0.14.0 from {url}" in plan.summary


def test_hashes_without_an_index_are_never_written_half_done(tmp_path: Path) -> None:
    text = f"uvicorn==0.13.4 --hash=sha256:{'1' * 64}\nwsproto==1.0.0 --hash=sha256:{'2' * 64}\n"
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    outcome = run_fix([tmp_path], INDEX, TARGETS, environ={}, write=True, root=tmp_path)
    (plan,) = outcome.plans
    assert plan.blocked is not None
    assert "names no --index-url" in plan.blocked
    assert "pip-compile --generate-hashes --upgrade-package uvicorn" in plan.blocked
    assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == text


def test_the_index_shows_the_remedy_needs_a_second_move(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = index
    (tmp_path / "requirements.txt").write_text(
        "uvicorn==0.13.4\nwsproto==1.0.0\nclick==6.7\n", encoding="utf-8"
    )
    offline = run_fix([tmp_path], INDEX, TARGETS, environ={}, write=False, root=tmp_path)
    assert "uvicorn 0.14.0 are unknown offline" in offline.plans[0].summary
    outcome = run_fix(
        [tmp_path], INDEX, TARGETS, environ={}, write=True, root=tmp_path, index_url=url
    )
    (plan,) = outcome.plans
    assert plan.blocked is None, plan.blocked
    assert "uvicorn 0.14.0 needs click>=7.0, so click 6.7 -> 7.0" in plan.summary
    assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == (
        "uvicorn==0.14.0\nwsproto==1.0.0\nclick==7.0\n"
    )
    refused = tmp_path / "refused"
    refused.mkdir()
    (refused / "requirements.txt").write_text(
        "uvicorn==0.13.4\nwsproto==1.0.0\nclick==6.7\n", encoding="utf-8"
    )
    narrow = run_fix(
        [refused],
        INDEX,
        TARGETS,
        environ={},
        write=False,
        root=tmp_path,
        index_url=url,
        max_bump="minor",
    )
    blocked = narrow.plans[0].blocked or ""
    assert "so click 6.7 -> 7.0, a major bump beyond the allowed minor bump" in blocked


def test_a_locked_dependent_that_caps_the_fix_is_moved_too(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """seed-lib 1.0 requires uvicorn<0.14: offline that refuses the uvicorn
    remedy (the next remedy is taken); with the index, seed-lib 1.1 allows it."""
    project = tmp_path / "app"
    shutil.copytree(Path(__file__).parent / "fixtures" / "fix" / "capped", project)
    offline = run_fix([project], INDEX, TARGETS, environ={}, write=False, root=tmp_path)
    (plan,) = [p for p in offline.plans if p.finding.rule.code == "PA1001"]
    assert plan.remedy is not None and plan.remedy.package == "wsproto"
    online = run_fix(
        [project], INDEX, TARGETS, environ={}, write=False, root=tmp_path, index_url=url_of(index)
    )
    (plan,) = [p for p in online.plans if p.finding.rule.code == "PA1001"]
    assert plan.remedy is not None and plan.remedy.package == "uvicorn", plan.blocked
    assert "seed-lib 1.0 requires uvicorn<0.14, so seed-lib 1.0 -> 1.1" in plan.summary
    assert plan.relock == "poetry update uvicorn seed-lib"


def url_of(index: tuple[str, dict[str, str]]) -> str:
    return index[0]


def test_latest_strategy_takes_the_newest_release_outside_the_bad_range(
    index: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = index
    (tmp_path / "requirements.txt").write_text(
        "uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8"
    )
    outcome = run_fix(
        [tmp_path],
        INDEX,
        TARGETS,
        environ={},
        write=True,
        root=tmp_path,
        strategy="latest",
        index_url=url,
    )
    assert outcome.plans[0].summary.startswith("uvicorn 0.13.4 -> 0.15.0")
    assert (tmp_path / "requirements.txt").read_text(encoding="utf-8") == (
        "uvicorn==0.15.0\nwsproto==1.0.0\n"
    )


def test_simple_index_lists_files_and_reads_metadata(index: tuple[str, dict[str, str]]) -> None:
    from packaging.version import Version

    url, digests = index
    client = SimpleIndex(url)
    assert [str(v) for v in client.versions("uvicorn")] == ["0.13.4", "0.14.0", "0.15.0"]
    (wheel,) = client.release_files("uvicorn", Version("0.14.0"))
    assert wheel.hashes["sha256"] == digests[wheel.filename]
    assert wheel.metadata
    requires = client.requirements("uvicorn", Version("0.14.0"))
    assert requires is not None and [str(r) for r in requires] == ["click>=7.0"]


def _only_loopback_urls(text: str) -> bool:
    """Every URL a lock records points at the test's own index: nothing left the machine."""
    urls = re.findall(r"https?://[^\s\"']+", text)
    return bool(urls) and all(re.match(r"https?://127\.0\.0\.1[:/]", url) for url in urls)
