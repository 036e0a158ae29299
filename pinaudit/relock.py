"""Re-lock after a fix: the command each locker needs, and running it.

Lockfiles are never edited by hand (their hashes and dependency tables are
the locker's business): the fix edits the manifest that drives the lock and
then the locker is asked to move only the packages the fix is about:

============  ===================================================================
uv.lock       ``uv lock --upgrade-package NAME``
poetry.lock   ``poetry update NAME`` (run as ``poetry update --lock --no-interaction
              NAME``: the lock only, nothing installed; unchanged in Poetry 2)
pdm.lock      ``pdm update NAME`` (run as ``pdm update --no-sync NAME``)
Pipfile.lock  ``pipenv lock``: the whole lock, from the Pipfile as edited
pip-compile   the command in the output's header, with ``--upgrade-package NAME``
uv pip        the ``uv pip compile`` command in the output's header, likewise
pylock.toml   the ``uv pip compile`` command in its header, likewise; else
              no command: the tool that wrote it must be re-run
============  ===================================================================

Running happens only when asked (``run_fix(..., relock=True)`` with ``write``),
in the lock's folder, with a timeout and captured output, and only when the
tool is on ``PATH``; the outcome (exit code, the last lines of stderr) is
reported, never hidden.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pinaudit.compiled import UV_COMPILE, output_of, ran_in, recompile_line
from pinaudit.model import Environment, Manifest, ManifestKind

DEFAULT_TIMEOUT = 300.0
_TAIL_LINES = 12


@dataclass(frozen=True, slots=True)
class RelockCommand:
    """How to re-lock one lockfile for some packages."""

    kind: ManifestKind | None
    lock: Path
    packages: tuple[str, ...]
    argv: tuple[str, ...]
    display: str
    hint: str = ""
    #: Where a compile command ran, when its header's output path tells
    #: (``pip-compile -o requirements/base.txt requirements/base.in`` from the root).
    folder: Path | None = None

    @property
    def tool(self) -> str:
        return self.argv[0] if self.argv else ""

    @property
    def cwd(self) -> Path:
        return self.lock.parent if self.folder is None else self.folder

    def merged(self, other: RelockCommand) -> RelockCommand:
        """One command for the packages of both (same lock)."""
        packages = tuple(dict.fromkeys((*self.packages, *other.packages)))
        return command_for(self.kind, self.lock, packages, self.compile_command)

    @property
    def compile_command(self) -> str | None:
        """The command that wrote a compiled output (``kind`` None: requirements;
        or a pylock.toml that ``uv pip compile`` wrote)."""
        return self.hint if self.kind in (None, ManifestKind.PYLOCK) else None


@dataclass(frozen=True, slots=True)
class RelockOutcome:
    command: RelockCommand
    ran: bool
    returncode: int | None
    stderr_tail: str
    message: str

    @property
    def ok(self) -> bool:
        return self.ran and self.returncode == 0


def _flags(option: str, packages: Sequence[str]) -> list[str]:
    return [item for name in packages for item in (option, name)]


def command_for(
    kind: ManifestKind | None,
    lock: Path,
    packages: Sequence[str],
    compile_command: str | None = None,
) -> RelockCommand:
    """The re-lock command of ``lock``.

    ``kind`` None: a compiled requirements file, re-made by ``compile_command``
    (the pip-compile or ``uv pip compile`` line of its header) with
    ``--upgrade-package`` for each package; a pylock.toml whose header is a
    ``uv pip compile`` line is re-made the same way.
    """
    names = tuple(packages)
    if kind is ManifestKind.UV_LOCK:
        argv = ("uv", "lock", *_flags("--upgrade-package", names))
        return RelockCommand(kind, lock, names, argv, shlex.join(argv))
    if kind is ManifestKind.POETRY_LOCK:
        argv = ("poetry", "update", "--lock", "--no-interaction", *names)
        return RelockCommand(kind, lock, names, argv, shlex.join(("poetry", "update", *names)))
    if kind is ManifestKind.PDM_LOCK:
        argv = ("pdm", "update", "--no-sync", *names)
        return RelockCommand(kind, lock, names, argv, shlex.join(("pdm", "update", *names)))
    if kind is ManifestKind.PIPFILE_LOCK:
        # ``pipenv upgrade NAME`` would move only NAME, but it rewrites the
        # Pipfile entry to "*" and takes the newest release, undoing the fix;
        # given ``NAME==X`` it rewrites the entry as a table of its own.  After
        # an edit to the Pipfile, pipenv's own workflow is ``pipenv lock``.
        argv = ("pipenv", "lock")
        return RelockCommand(kind, lock, names, argv, shlex.join(argv))
    header = compile_command or ""
    try:
        words = shlex.split(header) if header else []
    except ValueError:
        words = []
    upgrade = _flags("--upgrade-package", names)
    if tuple(words[:3]) == UV_COMPILE and len(words) > 3:
        output = output_of(words[3:])
        # Without -o, uv prints the result; the file was redirected into.
        rest = words[3:] if output is not None else [*words[3:], "-o", lock.name]
        argv = (*UV_COMPILE, *upgrade, *rest)
        folder = ran_in(lock, output)
        return RelockCommand(kind, lock, names, argv, shlex.join(argv), header, folder)
    if kind is ManifestKind.PYLOCK:
        return RelockCommand(
            kind,
            lock,
            names,
            (),
            f"re-run the tool that wrote {lock.name} (e.g. uv export or pip lock)",
        )
    if words[:1] != ["pip-compile"]:
        words = ["pip-compile"]
    if len(words) == 1:
        # Without a header there is no telling the options it was compiled with.
        source = lock.with_suffix(".in").name
        argv = ("pip-compile", *upgrade, source)
        return RelockCommand(None, lock, names, argv, shlex.join(argv), header)
    output = output_of(words[1:])
    if output is None:
        sources = [word for word in words[1:] if not word.startswith("-")]
        output = _default_output(sources[0]) if len(sources) == 1 else None
    argv = (words[0], *upgrade, *_without_default_output(words[1:]))
    folder = ran_in(lock, output)
    return RelockCommand(None, lock, names, argv, shlex.join(argv), header, folder)


def _without_default_output(words: list[str]) -> list[str]:
    """The arguments without an ``--output-file`` that names pip-compile's default."""
    sources = [word for word in words if not word.startswith("-")]
    kept: list[str] = []
    skip = False
    for position, word in enumerate(words):
        if skip:
            skip = False
            continue
        output = None
        if word.startswith("--output-file="):
            output = word.split("=", 1)[1]
        elif word in ("--output-file", "-o") and position + 1 < len(words):
            output = words[position + 1]
        if output is not None:
            if word in ("--output-file", "-o"):
                sources = [s for s in sources if s != output]
            if len(sources) == 1 and output == _default_output(sources[0]):
                skip = word in ("--output-file", "-o")
                continue
        kept.append(word)
    return kept


def _default_output(source: str) -> str:
    path = Path(source)
    if path.suffix == ".in":
        return str(path.with_suffix(".txt"))
    return str(path.parent / "requirements.txt") if str(path.parent) != "." else "requirements.txt"


def relock_command(environment: Environment, packages: Sequence[str]) -> RelockCommand | None:
    """The command that re-locks ``environment`` for ``packages``, if it has a lock."""
    for manifest in environment.manifests:
        if manifest.kind.is_lock:
            return command_for(manifest.kind, manifest.path, packages, manifest.compile_command)
        if manifest.compiled_from is not None:
            return _recompile_command(manifest, packages)
    return None


def _recompile_command(manifest: Manifest, packages: Sequence[str]) -> RelockCommand:
    source = manifest.compiled_from
    assert source is not None
    return command_for(None, manifest.path, packages, recompile_line(manifest, source))


def _tail(text: str, lines: int = _TAIL_LINES) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def run_relock(
    command: RelockCommand,
    *,
    environ: Mapping[str, str],
    timeout: float = DEFAULT_TIMEOUT,
) -> RelockOutcome:
    """Run ``command`` in the lock's folder; never raises for the tool's failures."""
    if not command.argv:
        return RelockOutcome(command, False, None, "", f"not run: {command.display}")
    executable = shutil.which(command.tool, path=environ.get("PATH"))
    if executable is None:
        return RelockOutcome(
            command,
            False,
            None,
            "",
            f"not run: {command.tool} is not installed (not on PATH); run it yourself: "
            f"{command.display}",
        )
    try:
        completed = subprocess.run(
            [executable, *command.argv[1:]],
            cwd=command.cwd,
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        stderr = error.stderr.decode("utf-8", "replace") if isinstance(error.stderr, bytes) else ""
        return RelockOutcome(
            command, True, None, _tail(stderr), f"{command.display}: timed out after {timeout:g}s"
        )
    except OSError as error:
        return RelockOutcome(command, False, None, "", f"{command.display}: {error}")
    tail = _tail(completed.stderr) or _tail(completed.stdout)
    if completed.returncode == 0:
        message = f"{command.display}: done"
    else:
        message = f"{command.display}: failed with exit code {completed.returncode}"
    return RelockOutcome(command, True, completed.returncode, tail, message)


def constraint_hint(environment: Environment, name: str, floor: str) -> str:
    """Where a user adds a constraint for a package only the lock holds."""
    kinds = {manifest.kind for manifest in environment.manifests}
    wanted = f"{name}{floor}"
    if ManifestKind.UV_LOCK in kinds:
        return f'add "{wanted}" to [tool.uv] constraint-dependencies'
    if ManifestKind.POETRY_LOCK in kinds:
        return f'add {name} = "{floor}" to [tool.poetry.dependencies]'
    if ManifestKind.PDM_LOCK in kinds:
        return f'add {name} = "{floor}" to [tool.pdm.resolution.overrides]'
    if ManifestKind.PIPFILE_LOCK in kinds:
        return f'add {name} = "{floor}" to [packages] of the Pipfile'
    for manifest in environment.manifests:
        source = manifest.compiled_from
        if source is not None and source.name == "pyproject.toml":
            return (
                f'add "{wanted}" to [project] dependencies in {source.name} '
                "(or compile with a -c constraints file)"
            )
        if source is not None:
            return f"add {wanted} to {source.name} (or a -c constraints file)"
    return f"add {wanted} to the file that drives the lock"
