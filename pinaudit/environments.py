"""Group parsed manifests into the environments they describe.

A rule about a combination only makes sense inside one installation, so this is
where the repository's files are tied together: a requirements file with what
it ``-r`` includes and ``-c`` constrains; a pip-compile or ``uv pip compile``
output with the input that drives it (a ``.in`` or a pyproject.toml); a
pyproject.toml or Pipfile with the lockfile beside it.  A file
that another checked file includes is not an environment of its own, which keeps
one finding from being reported once per file that mentions it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pinaudit.model import (
    Dependency,
    Environment,
    IncludeKind,
    Manifest,
    ManifestKind,
    Problem,
    Role,
)
from pinaudit.textfile import SourceText, UnreadableFile, file_exists

Reader = Callable[[Path], SourceText]


def parse_source(
    source: SourceText, kind: ManifestKind, *, role: Role, environ: Mapping[str, str]
) -> Manifest:
    """Dispatch to the parser of a format; imports lazily to keep start-up fast."""
    if kind is ManifestKind.REQUIREMENTS:
        from pinaudit.sources.requirements import parse_requirements

        return parse_requirements(source, environ=environ, kind=role)
    from pinaudit.sources.registry import parse

    return parse(source, kind)


@dataclass
class ManifestLoader:
    """Reads and parses each (file, role) once, however many environments use it.

    Keyed by the resolved path: every service of a monorepo names the shared base
    through its own ``../../shared/base.txt``, and each spelling is the same file.
    The first spelling seen (discovery's, when the file is in the tree) is the
    one findings show.
    """

    reader: Reader
    environ: Mapping[str, str] = field(default_factory=dict)
    cache: dict[tuple[Path, Role], Manifest] = field(default_factory=dict)
    real: dict[Path, Path] = field(default_factory=dict)
    folders: dict[str, str] = field(default_factory=dict)
    interned: dict[str, Path] = field(default_factory=dict)
    files: dict[Path, bool] = field(default_factory=dict)

    def is_file(self, path: Path) -> bool:
        """``path.is_file()``, asked once per resolved path: every service includes the base."""
        real = self.resolve(path)
        found = self.files.get(real)
        if found is None:
            found = self.files[real] = file_exists(path)
        return found

    def resolve(self, path: Path) -> Path:
        """``path.resolve()``, once per path: a monorepo names its shared files often."""
        found = self.real.get(path)
        if found is None:
            text = os.fspath(path)
            if not path.is_absolute():
                text = os.path.join(os.getcwd(), text)  # noqa: PTH109, PTH118 - see _real_text
            real = self._real_text(text)
            found = self.interned.get(real)
            if found is None:
                found = self.interned[real] = Path(real)
            self.real[path] = found
        return found

    def _real_text(self, text: str) -> str:
        """``os.path.realpath`` built from memoised prefixes, one ``lstat`` per new prefix.

        ``realpath`` checks every component of every path; the services of a
        monorepo share all but the last few, and ``..`` after a resolved prefix
        needs no system call at all.  Plain strings, because building a Path
        per prefix cost more than the system calls saved.
        """
        found = self.folders.get(text)
        if found is not None:
            return found
        folder, name = os.path.split(text)
        if folder == text:  # the root
            found = text
        elif not name:  # a trailing separator
            found = self._real_text(folder)
        else:
            real_folder = self._real_text(folder)
            if name == "..":
                found = os.path.dirname(real_folder)  # noqa: PTH120
            elif name == ".":
                found = real_folder
            else:
                joined = os.path.join(real_folder, name)  # noqa: PTH118
                # ``joined`` is the same place spelled from a real folder: every
                # service's ``../../shared`` lands on one such spelling.
                found = self.folders.get(joined)
                if found is None:
                    symlink = os.path.islink(joined)  # noqa: PTH114
                    found = os.path.realpath(joined) if symlink else joined
                    self.folders[joined] = found
        self.folders[text] = found
        return found

    def load(self, path: Path, kind: ManifestKind, role: Role = Role.REQUIRE) -> Manifest:
        key = (self.resolve(path), role)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            source = self.reader(path)
        except UnreadableFile as error:
            manifest = Manifest(path, kind, problems=(error.problem,))
        else:
            manifest = parse_source(source, kind, role=role, environ=self.environ)
        self.cache[key] = manifest
        return manifest


def _requirements_closure(
    loader: ManifestLoader, root: Manifest
) -> tuple[list[Manifest], list[Problem]]:
    """The root and everything it includes, cycles and missing files reported."""
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    seen: set[tuple[Path, Role]] = set()

    def visit(manifest: Manifest, role: Role, chain: tuple[Path, ...]) -> None:
        key = (loader.resolve(manifest.path), role)
        if key in seen:
            return
        seen.add(key)
        manifests.append(manifest)
        for include in manifest.includes:
            target = include.target
            resolved = loader.resolve(target)
            if any(resolved == step for step in chain):
                cycle = " -> ".join(str(step) for step in (*chain, resolved))
                problems.append(
                    Problem(
                        include.path,
                        f"include cycle, not followed: {cycle}",
                        include.span.line,
                        include.span.column,
                        "include-cycle",
                    )
                )
                continue
            if not loader.is_file(target):
                problems.append(
                    Problem(
                        include.path,
                        f"included file not found: {include.raw}",
                        include.span.line,
                        include.span.column,
                        "missing-include",
                    )
                )
                continue
            # As in pip, a -r inside a -c file still adds requirements.
            child_role = Role.CONSTRAIN if include.kind is IncludeKind.CONSTRAINT else Role.REQUIRE
            child = loader.load(target, ManifestKind.REQUIREMENTS, child_role)
            visit(child, child_role, (*chain, resolved))

    visit(root, Role.REQUIRE, (loader.resolve(root.path),))
    return manifests, problems


def _flatten(manifests: Iterable[Manifest]) -> tuple[Dependency, ...]:
    return tuple(dep for manifest in manifests for dep in manifest.dependencies)


def _collect_problems(manifests: Iterable[Manifest]) -> list[Problem]:
    return [problem for manifest in manifests for problem in manifest.problems]


def _compile_driver(manifest: Manifest) -> tuple[Path, ManifestKind] | None:
    """The input that drives a pip-compile / ``uv pip compile`` output, and how to read it.

    A requirements file (``.in`` or ``.txt``) or a pyproject.toml; setup.py and
    setup.cfg are code or free-form configuration, not read, so their output
    stands alone.
    """
    source = manifest.compiled_from
    # The parser resolves the header's input path as the compiler saw it.
    if source is None or not file_exists(source):
        return None
    if source.name == "pyproject.toml":
        return source, ManifestKind.PYPROJECT
    if source.name in ("setup.py", "setup.cfg"):
        return None
    return source, ManifestKind.REQUIREMENTS


def _compiled_pins_as_locks(
    dependencies: tuple[Dependency, ...], compiled: Manifest
) -> tuple[Dependency, ...]:
    """A compiled output is a lockfile: its pins are what gets installed.

    Read as locks, they decide the relation even when the ``.in`` was already
    moved and the output not yet re-compiled, exactly like a stale uv.lock.
    """
    return tuple(
        replace(dep, role=Role.LOCK)
        if dep.path == compiled.path and dep.pinned is not None and dep.role is Role.REQUIRE
        else dep
        for dep in dependencies
    )


def build_environments(
    files: Sequence[tuple[Path, ManifestKind]], loader: ManifestLoader
) -> list[Environment]:
    """Environments for the discovered files; each carries its own problems."""
    requirement_files = [path for path, kind in files if kind is ManifestKind.REQUIREMENTS]
    parsed = {path: loader.load(path, ManifestKind.REQUIREMENTS) for path in requirement_files}
    resolved = {loader.resolve(path): path for path in requirement_files}

    covered: set[Path] = set()
    for manifest in parsed.values():
        for include in manifest.includes:
            if loader.resolve(include.target) in resolved:
                covered.add(loader.resolve(include.target))
        driver = _compile_driver(manifest)
        if driver is not None:
            covered.add(loader.resolve(driver[0]))

    environments: list[Environment] = []
    for path, manifest in parsed.items():
        if loader.resolve(path) in covered:
            continue
        manifests, problems = _requirements_closure(loader, manifest)
        drivers: list[Manifest] = []
        driver = _compile_driver(manifest)
        if driver is not None:
            driver_manifest = loader.load(*driver)
            driver_manifests, driver_problems = _requirements_closure(loader, driver_manifest)
            drivers = driver_manifests
            problems.extend(driver_problems)
        all_manifests = [*manifests, *(m for m in drivers if m not in manifests)]
        dependencies = _flatten(all_manifests)
        if drivers:
            dependencies = _compiled_pins_as_locks(dependencies, manifest)
        environments.append(
            Environment(
                name=str(path),
                root=path,
                manifests=tuple(all_manifests),
                dependencies=dependencies,
                problems=tuple(_collect_problems(all_manifests) + problems),
                drivers=tuple(drivers),
            )
        )

    from pinaudit.lockenv import build_lock_environments

    lock_environments = build_lock_environments(
        [(path, kind) for path, kind in files if kind is not ManifestKind.REQUIREMENTS], loader
    )
    # A pyproject.toml compiled to a requirements file is checked with that
    # output; on its own (no lock of its own beside it) it would repeat it.
    environments.extend(
        environment
        for environment in lock_environments
        if len(environment.manifests) > 1
        or loader.resolve(environment.manifests[0].path) not in covered
    )
    return environments


def replace_dependencies(
    environment: Environment, replacements: Mapping[Dependency, Dependency]
) -> Environment:
    """The same environment with some entries swapped, for checking a fix before writing it."""
    return replace(
        environment,
        dependencies=tuple(replacements.get(dep, dep) for dep in environment.dependencies),
    )
