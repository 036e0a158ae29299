"""pyproject.toml: every place a project declares what it needs.

Read, with the group names of :mod:`pinaudit.sources.registry`:

* ``[build-system] requires`` (``"build-system"``);
* PEP 621 ``[project] dependencies`` and ``optional-dependencies``
  (``"optional:<extra>"``); an extra that names the project itself
  (``nbconvert[qtpdf]`` inside nbconvert) includes its own extras and is not a
  dependency, so it is skipped;
* PEP 735 ``[dependency-groups]`` (``"group:<name>"``); every requirement string
  is one Dependency, located where it is written and reported once, under the
  group that writes it.  ``{include-group = ...}`` is checked with packaging's
  ``DependencyGroupResolver`` (unknown groups and cycles are Problems), and
  :func:`resolve_dependency_groups` gives each group's full membership with the
  includes followed;
* Poetry ``[tool.poetry.dependencies]`` (``python`` skipped),
  ``[tool.poetry.group.<g>.dependencies]``, the old ``dev-dependencies``: string
  constraints (``^``, ``~``, ``*``, ``>=``), inline tables (``version``,
  ``markers``, ``python``, ``platform``, ``extras``, ``optional``, ``source``,
  ``git``/``path``/``url``) and lists of them, one Dependency per entry;
  ``python``/``platform`` become marker clauses;
* uv ``[tool.uv]`` ``constraint-dependencies`` (``Role.CONSTRAIN``),
  ``override-dependencies``, ``dev-dependencies``,
  ``build-constraint-dependencies``; ``[tool.uv.sources]`` marks the named
  requirements as coming from git, a path, a URL or the workspace (``url`` /
  ``editable`` set), which is how uv will install them;
* PDM ``[tool.pdm.dev-dependencies]`` and ``[tool.pdm.resolution.overrides]``.

The version text of a Poetry entry is Poetry syntax, not PEP 440: ``specifier``
holds its PEP 440 translation (:mod:`pinaudit.poetry_constraints`), and a fixer
can test :func:`pinaudit.poetry_constraints.is_pep440` on the ``version_span``
text before editing it as PEP 440.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from packaging.dependency_groups import (
    CyclicDependencyGroup,
    DependencyGroupInclude,
    DependencyGroupResolver,
    DuplicateGroupNames,
)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pinaudit.locator import Located, PathKey, TomlMap, load_toml, split_requirement, toml_comments
from pinaudit.model import Comment, Dependency, Manifest, ManifestKind, Role
from pinaudit.poetry_constraints import PoetryConstraintError, parse_poetry_constraint, to_specifier
from pinaudit.sources.registry import (
    FileContext,
    and_markers,
    failed,
    normalize,
    pinned_of,
)
from pinaudit.textfile import SourceText

_POETRY_SKIP = frozenset({"python"})


class _Reader:
    """One pyproject.toml being read."""

    def __init__(self, source: SourceText, data: dict[str, Any], located: TomlMap) -> None:
        self.source = source
        self.data = data
        self.map = located
        self.context = FileContext(source)
        self.dependencies: list[Dependency] = []
        project = data.get("project")
        self.project_name = (
            normalize(project["name"])
            if isinstance(project, dict) and isinstance(project.get("name"), str)
            else None
        )

    # -- PEP 508 strings ------------------------------------------------------

    def requirement(
        self, path: PathKey, role: Role, group: str | None, *, skip_self: bool = False
    ) -> Dependency | None:
        """The Dependency of the requirement string at ``path``."""
        located = self.map.find(path)
        context = self.context
        if located is None or not located.is_string:
            context.problem(f"expected a requirement string at {_dotted(path)}", None)
            return None
        value, offsets, base = self.map.string_map(located)
        inner_start, inner_end = located.inner(self.source.text)
        if value.startswith("-e"):
            return self._editable_line(value, path, located, role, group)
        try:
            requirement = Requirement(value)
        except (InvalidRequirement, RecursionError) as error:
            context.problem(
                f"invalid requirement {value!r} in {_dotted(path)}: {error}",
                inner_start,
                "invalid-requirement",
            )
            return None
        name = normalize(requirement.name)
        if skip_self and name == self.project_name:
            return None
        parts = split_requirement(value)

        def at(index: int) -> int:
            return base + index if offsets is None else offsets[index]

        spec = None
        if parts is not None and parts.spec is not None:
            spec = (at(parts.spec[0]), at(parts.spec[1]))
        span, version_span = context.entry_spans(inner_start, inner_end, spec)
        dependency = Dependency(
            name=name,
            raw_name=requirement.name,
            specifier=requirement.specifier,
            path=self.source.path,
            span=span,
            version_span=version_span,
            extras=frozenset(normalize(extra) for extra in requirement.extras),
            marker=requirement.marker,
            url=requirement.url,
            pinned=pinned_of(requirement.specifier),
            role=role,
            group=group,
            text=value,
        )
        self.dependencies.append(dependency)
        return dependency

    def _editable_line(
        self, value: str, path: PathKey, located: Located, role: Role, group: str | None
    ) -> Dependency | None:
        """PDM's ``"-e <url or path>#egg=name"`` entries: local, editable, no version."""
        target = value[2:].strip()
        egg = re.search(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)", target)
        if egg is None:
            return None  # PDM reads the name from the project; nothing to check here
        inner_start, inner_end = located.inner(self.source.text)
        dependency = Dependency(
            name=normalize(egg.group(1)),
            raw_name=egg.group(1),
            specifier=SpecifierSet(),
            path=self.source.path,
            span=self.context.span(inner_start, inner_end),
            url=target,
            editable=True,
            role=role,
            group=group,
            text=value,
        )
        self.dependencies.append(dependency)
        return dependency

    def requirement_list(
        self,
        path: PathKey,
        value: object,
        role: Role,
        group: str | None,
        *,
        skip_self: bool = False,
    ) -> list[Dependency]:
        if not isinstance(value, list):
            self.context.problem(
                f"{_dotted(path)} should be an array of requirement strings", self._offset(path)
            )
            return []
        found: list[Dependency] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                dependency = self.requirement((*path, index), role, group, skip_self=skip_self)
                if dependency is not None:
                    found.append(dependency)
            elif not (isinstance(item, dict) and path[0] == "dependency-groups"):
                self.context.problem(
                    f"{_dotted(path)}[{index}] is not a requirement string",
                    self._offset((*path, index)),
                )
        return found

    def _offset(self, path: PathKey) -> int | None:
        located = self.map.find(path)
        return None if located is None else located.start

    # -- sections ---------------------------------------------------------------

    def build_system(self) -> None:
        build = self.data.get("build-system")
        if isinstance(build, dict) and "requires" in build:
            self.requirement_list(
                ("build-system", "requires"), build["requires"], Role.REQUIRE, "build-system"
            )

    def project(self) -> list[Dependency]:
        project = self.data.get("project")
        found: list[Dependency] = []
        if not isinstance(project, dict):
            return found
        if "dependencies" in project:
            found += self.requirement_list(
                ("project", "dependencies"), project["dependencies"], Role.REQUIRE, None
            )
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, items in optional.items():
                found += self.requirement_list(
                    ("project", "optional-dependencies", extra),
                    items,
                    Role.REQUIRE,
                    f"optional:{normalize(extra)}",
                    skip_self=True,
                )
        return found

    def dependency_groups(self) -> list[Dependency]:
        groups = self.data.get("dependency-groups")
        found: list[Dependency] = []
        if not isinstance(groups, dict):
            return found
        for name, items in groups.items():
            found += self.requirement_list(
                ("dependency-groups", name),
                items,
                Role.REQUIRE,
                f"group:{normalize(name)}",
                skip_self=True,
            )
        self._check_includes(groups)
        return found

    def _check_includes(self, groups: Mapping[str, Any]) -> None:
        """Unknown include targets and include cycles, located at the include."""
        context = self.context
        try:
            resolver = DependencyGroupResolver(groups)
        except (ExceptionGroup, RecursionError) as errors:
            if not isinstance(errors, ExceptionGroup):
                return
            for error in errors.exceptions:
                if isinstance(error, DuplicateGroupNames):
                    context.problem(
                        str(error), self._offset(("dependency-groups",)), "dependency-groups"
                    )
            return
        reported: set[str] = set()
        for name in groups:
            try:
                resolver.resolve(name)
            except RecursionError:
                context.problem(
                    f"dependency group {name!r} includes groups too deeply to follow",
                    self._offset(("dependency-groups", name)),
                    "dependency-groups",
                )
                return
            except ExceptionGroup as errors:
                for error in _leaves(errors):
                    if isinstance(error, CyclicDependencyGroup):
                        pair = sorted((normalize(error.group), normalize(error.include_group)))
                        key = f"cycle:{pair}"
                        if key in reported:
                            continue
                        reported.add(key)
                        where = self._include_offset(groups, error.include_group, error.group)
                        context.problem(str(error), where, "dependency-group-cycle")
                    elif isinstance(error, LookupError):
                        text = str(error.args[0]) if error.args else str(error)
                        if text in reported:
                            continue
                        reported.add(text)
                        missing = re.search(r"'([^']*)'", text)
                        where = None
                        if missing is not None:
                            where = self._include_offset(groups, missing.group(1))
                        context.problem(f"[dependency-groups]: {text}", where, "dependency-groups")
                    elif not isinstance(error, InvalidRequirement):
                        text = str(error)
                        if text not in reported:
                            reported.add(text)
                            context.problem(
                                f"[dependency-groups]: {text}",
                                self._offset(("dependency-groups", name)),
                                "dependency-groups",
                            )

    def _include_offset(
        self, groups: Mapping[str, Any], include: str, group: str | None = None
    ) -> int | None:
        """Where ``{include-group = include}`` is written (in ``group``, if given)."""
        for name, items in groups.items():
            if (group is not None and normalize(name) != normalize(group)) or not isinstance(
                items, list
            ):
                continue
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    target = normalize(str(item.get("include-group", "")))
                    if target == normalize(include):
                        return self._offset(("dependency-groups", name, index))
        return None

    # -- Poetry -----------------------------------------------------------------

    def poetry(self) -> None:
        tool = self.data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        if not isinstance(poetry, dict):
            return
        optional_extras: dict[str, str] = {}
        extras = poetry.get("extras")
        if isinstance(extras, dict):
            for extra, names in extras.items():
                if isinstance(names, list):
                    for name in names:
                        if isinstance(name, str):
                            optional_extras.setdefault(
                                normalize(name.split("[")[0]), normalize(extra)
                            )
        base: PathKey = ("tool", "poetry")
        if isinstance(poetry.get("dependencies"), dict):
            self.poetry_table(
                (*base, "dependencies"), poetry["dependencies"], None, optional_extras
            )
        if isinstance(poetry.get("dev-dependencies"), dict):
            self.poetry_table(
                (*base, "dev-dependencies"),
                poetry["dev-dependencies"],
                "group:dev",
                optional_extras,
            )
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for name, group in groups.items():
                if isinstance(group, dict) and isinstance(group.get("dependencies"), dict):
                    self.poetry_table(
                        (*base, "group", name, "dependencies"),
                        group["dependencies"],
                        f"group:{normalize(name)}",
                        optional_extras,
                    )

    def poetry_table(
        self,
        path: PathKey,
        table: Mapping[str, Any],
        group: str | None,
        optional_extras: Mapping[str, str],
    ) -> None:
        for raw_name, spec in table.items():
            if normalize(raw_name) in _POETRY_SKIP:
                continue  # the Python the project runs on, not a package
            entry = (*path, raw_name)
            if isinstance(spec, list):
                for index, item in enumerate(spec):
                    self.poetry_entry(raw_name, (*entry, index), item, group, optional_extras)
            else:
                self.poetry_entry(raw_name, entry, spec, group, optional_extras)

    def poetry_entry(
        self,
        raw_name: str,
        path: PathKey,
        spec: object,
        group: str | None,
        optional_extras: Mapping[str, str],
    ) -> None:
        context = self.context
        located = self.map.find(path)
        if located is None:
            context.problem(f"cannot locate {_dotted(path)}", None, "locator-error")
            return
        name = normalize(raw_name)
        version_path: PathKey | None
        marker_text: str | None = None
        extras: frozenset[str] = frozenset()
        url: str | None = None
        editable = False
        if isinstance(spec, str):
            constraint: str | None = spec
            version_path = path
        elif isinstance(spec, dict):
            version = spec.get("version")
            constraint = version if isinstance(version, str) else None
            version_path = (*path, "version") if constraint is not None else None
            marker_text = _poetry_marker(spec, context, located.start)
            raw_extras = spec.get("extras")
            if isinstance(raw_extras, list):
                extras = frozenset(normalize(str(extra)) for extra in raw_extras)
            url, editable = _poetry_source(spec)
            if constraint is None and url is None:
                constraint = "*"
            if spec.get("optional") is True and group is None:
                extra = optional_extras.get(name)
                group = f"optional:{extra}" if extra else "optional"
        else:
            context.problem(f"{_dotted(path)} should be a version string or a table", located.start)
            return
        specifier = SpecifierSet()
        version_offsets = None
        if constraint is not None:
            version_located = self.map.find(version_path) if version_path is not None else None
            try:
                parse_poetry_constraint(constraint)
                specifier = to_specifier(constraint)
            except (PoetryConstraintError, InvalidSpecifier) as error:
                where = version_located.start if version_located is not None else located.start
                context.problem(f"{raw_name}: {error}", where, "invalid-constraint")
                return
            if version_located is not None and version_located.is_string:
                version_offsets = version_located.inner(self.source.text)
        marker = context.marker(marker_text, located.start) if marker_text else None
        start, end = located.key_start, located.end
        span, version_span = context.entry_spans(start, end, version_offsets)
        written = self.source.text[start:end]
        if "\n" in written:
            written = f"{raw_name} = {constraint!r}" if constraint is not None else raw_name
        self.dependencies.append(
            Dependency(
                name=name,
                raw_name=raw_name,
                specifier=specifier,
                path=self.source.path,
                span=span,
                version_span=version_span,
                extras=extras,
                marker=marker,
                url=url,
                editable=editable,
                pinned=pinned_of(specifier),
                role=Role.REQUIRE,
                group=group,
                text=written,
            )
        )

    # -- uv and PDM ---------------------------------------------------------------

    def uv(self, declared: Sequence[Dependency]) -> None:
        tool = self.data.get("tool")
        uv = tool.get("uv") if isinstance(tool, dict) else None
        if not isinstance(uv, dict):
            return
        base: PathKey = ("tool", "uv")
        sections = (
            ("constraint-dependencies", Role.CONSTRAIN, "constraint"),
            ("build-constraint-dependencies", Role.CONSTRAIN, "build-constraint"),
            ("override-dependencies", Role.REQUIRE, "override"),
            ("dev-dependencies", Role.REQUIRE, "group:dev"),
        )
        dev: list[Dependency] = []
        for key, role, group in sections:
            if key in uv:
                found = self.requirement_list(
                    (*base, key), uv[key], role, group, skip_self=key == "dev-dependencies"
                )
                if key == "dev-dependencies":
                    dev = found
        sources = uv.get("sources")
        if isinstance(sources, dict):
            self._apply_uv_sources(sources, [*declared, *dev])
        workspace = uv.get("workspace")
        if isinstance(workspace, dict):
            self._check_workspace_globs(workspace)

    def _check_workspace_globs(self, workspace: Mapping[str, Any]) -> None:
        """Member and exclude patterns must be relative globs: an empty or absolute
        one names no folder (pathlib refuses to expand it), so say where it is."""
        for key in ("members", "exclude"):
            path: PathKey = ("tool", "uv", "workspace", key)
            globs = workspace.get(key)
            if globs is None:
                continue
            if not isinstance(globs, list):
                self.context.problem(
                    f"{_dotted(path)} should be an array of glob strings", self._offset(path)
                )
                continue
            for index, glob in enumerate(globs):
                if not isinstance(glob, str) or not glob.strip("/") or glob.startswith("/"):
                    self.context.problem(
                        f"{_dotted((*path, index))}: {glob!r} is not a relative folder pattern",
                        self._offset((*path, index)),
                    )

    def _apply_uv_sources(self, sources: Mapping[str, Any], declared: Sequence[Dependency]) -> None:
        by_name = {normalize(name): value for name, value in sources.items()}
        changed: dict[int, Dependency] = {}
        for dependency in declared:
            source = by_name.get(dependency.name)
            if source is None:
                continue
            url, editable = _uv_source(source)
            if url is None and not editable:
                continue
            changed[id(dependency)] = replace(
                dependency, url=dependency.url or url, editable=editable
            )
        if changed:
            self.dependencies = [changed.get(id(dep), dep) for dep in self.dependencies]

    def pdm(self) -> None:
        tool = self.data.get("tool")
        pdm = tool.get("pdm") if isinstance(tool, dict) else None
        if not isinstance(pdm, dict):
            return
        dev = pdm.get("dev-dependencies")
        if isinstance(dev, dict):
            for name, items in dev.items():
                self.requirement_list(
                    ("tool", "pdm", "dev-dependencies", name),
                    items,
                    Role.REQUIRE,
                    f"group:{normalize(name)}",
                    skip_self=True,
                )
        resolution = pdm.get("resolution")
        overrides = resolution.get("overrides") if isinstance(resolution, dict) else None
        if isinstance(overrides, dict):
            for raw_name, value in overrides.items():
                self._pdm_override(raw_name, value)

    def _pdm_override(self, raw_name: str, value: object) -> None:
        """``name = "1.2"`` (exact), ``">=1.2"`` (a specifier) or a URL."""
        path: PathKey = ("tool", "pdm", "resolution", "overrides", raw_name)
        located = self.map.find(path)
        if located is None or not isinstance(value, str) or not located.is_string:
            self.context.problem(f"{_dotted(path)} should be a version, a specifier or a URL", None)
            return
        start, end = located.inner(self.source.text)
        url = value if "://" in value or value.startswith("file:") else None
        specifier = SpecifierSet()
        if url is None:
            text = value.strip()
            if text and text[0].isdigit():
                text = f"=={text}"
            try:
                specifier = SpecifierSet(text if text != "*" else "")
            except InvalidSpecifier as error:
                self.context.problem(f"{raw_name}: {error}", start, "invalid-specifier")
                return
        self.dependencies.append(
            Dependency(
                name=normalize(raw_name),
                raw_name=raw_name,
                specifier=specifier,
                path=self.source.path,
                span=self.context.span(located.key_start, located.end),
                version_span=self.context.span(start, end) if url is None else None,
                url=url,
                pinned=pinned_of(specifier),
                role=Role.REQUIRE,
                group="override",
                text=self.source.text[located.key_start : located.end],
            )
        )


def _leaves(group: BaseExceptionGroup[Exception]) -> list[Exception]:
    found: list[Exception] = []
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            found += _leaves(error)
        else:
            found.append(error)
    return found


def _dotted(path: PathKey) -> str:
    return ".".join(str(part) for part in path)


def _poetry_python_marker(constraint: str) -> str | None:
    """A Poetry ``python = "..."`` constraint as a marker on the full Python version."""
    alternatives = parse_poetry_constraint(constraint)
    clauses: list[str] = []
    for alternative in alternatives:
        parts = [f'python_full_version {spec.operator} "{spec.version}"' for spec in alternative]
        if not parts:
            return None  # any Python
        clauses.append(" and ".join(parts))
    if len(clauses) == 1:
        return clauses[0]
    return " or ".join(f"({clause})" for clause in clauses)


def _poetry_marker(spec: Mapping[str, Any], context: FileContext, offset: int) -> str | None:
    markers = spec.get("markers")
    python = spec.get("python")
    platform = spec.get("platform")
    python_marker = None
    if isinstance(python, str):
        try:
            python_marker = _poetry_python_marker(python)
        except (PoetryConstraintError, InvalidSpecifier) as error:
            context.problem(f"python = {python!r}: {error}", offset, "invalid-constraint")
    platform_marker = f'sys_platform == "{platform}"' if isinstance(platform, str) else None
    return and_markers(
        markers if isinstance(markers, str) else None, python_marker, platform_marker
    )


def _git_url(spec: Mapping[str, Any], key: str) -> str:
    url = f"git+{spec[key]}"
    reference = spec.get("rev") or spec.get("tag") or spec.get("branch")
    if isinstance(reference, str):
        url += f"@{reference}"
    subdirectory = spec.get("subdirectory")
    if isinstance(subdirectory, str):
        url += f"#subdirectory={subdirectory}"
    return url


def _poetry_source(spec: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(url, editable) of a Poetry dependency that does not come from an index."""
    if isinstance(spec.get("git"), str):
        return _git_url(spec, "git"), False
    if isinstance(spec.get("path"), str):
        return str(spec["path"]), spec.get("develop") is True
    if isinstance(spec.get("url"), str):
        return str(spec["url"]), False
    if isinstance(spec.get("file"), str):
        return str(spec["file"]), False
    return None, False


def _uv_source(source: object) -> tuple[str | None, bool]:
    """(url, editable) that a ``[tool.uv.sources]`` entry gives a requirement.

    A list of sources split by marker only counts when every alternative is
    off-index; if some still come from an index, the version remains meaningful.
    """
    if isinstance(source, list):
        results = [_uv_source(item) for item in source]
        if results and all(url is not None or editable for url, editable in results):
            return results[0]
        return None, False
    if not isinstance(source, dict):
        return None, False
    if source.get("workspace") is True:
        return None, True
    if isinstance(source.get("git"), str):
        return _git_url(source, "git"), False
    if isinstance(source.get("path"), str):
        return str(source["path"]), source.get("editable") is True
    if isinstance(source.get("url"), str):
        return str(source["url"]), False
    return None, False


def parse_pyproject(source: SourceText) -> Manifest:
    """Every dependency a pyproject.toml declares, located; never raises."""
    loaded = load_toml(source)
    if not isinstance(loaded, tuple):
        return failed(source, ManifestKind.PYPROJECT, loaded)
    data, located = loaded
    reader = _Reader(source, data, located)
    reader.build_system()
    declared = reader.project()
    declared += reader.dependency_groups()
    reader.poetry()
    reader.uv(declared)
    reader.pdm()
    dependencies = sorted(reader.dependencies, key=lambda dep: dep.span.start)
    comments = tuple(
        Comment(reader.context.spans.position(offset)[0], text)
        for offset, text in toml_comments(source.text)
    )
    return reader.context.manifest(
        source,
        ManifestKind.PYPROJECT,
        dependencies,
        comments=comments,
        requires_python=_requires_python(data),
    )


def _requires_python(data: dict[str, Any]) -> object:
    """PEP 621's ``requires-python``, else Poetry's ``python`` dependency."""
    project = data.get("project")
    if isinstance(project, dict) and "requires-python" in project:
        return project["requires-python"]
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    return dependencies.get("python") if isinstance(dependencies, dict) else None


def resolve_dependency_groups(source: SourceText) -> dict[str, tuple[Dependency, ...]]:
    """Each PEP 735 group's full membership, includes followed, in written order.

    The Dependencies are the ones :func:`parse_pyproject` returns (the included
    group's entries keep the group name that writes them), so a finding or an
    edit still points at the one place a requirement is written.  Groups that
    cannot be resolved (a cycle, an unknown include) are left out; the
    Manifest's problems say why.
    """
    loaded = load_toml(source)
    if not isinstance(loaded, tuple):
        return {}
    data, _ = loaded
    groups = data.get("dependency-groups")
    if not isinstance(groups, dict):
        return {}
    manifest = parse_pyproject(source)
    written: dict[str, list[Dependency | None]] = {}
    by_span = {
        dep.span.start: dep
        for dep in manifest.dependencies
        if dep.group and dep.group.startswith("group:")
    }
    located = loaded[1]
    for name, items in groups.items():
        entries: list[Dependency | None] = []
        if isinstance(items, list):
            for index, item in enumerate(items):
                node = located.get("dependency-groups", name, index)
                entries.append(
                    by_span.get(node.inner(source.text)[0])
                    if node is not None and isinstance(item, str)
                    else None
                )
        written[normalize(name)] = entries
    try:
        resolver = DependencyGroupResolver(groups)
    except (ExceptionGroup, RecursionError):
        return {}
    result: dict[str, tuple[Dependency, ...]] = {}

    def expand(group: str) -> list[Dependency]:
        members: list[Dependency] = []
        for item, dependency in zip(resolver.lookup(group), written.get(group, []), strict=False):
            if isinstance(item, DependencyGroupInclude):
                members += expand(normalize(item.include_group))
            elif dependency is not None:
                members.append(dependency)
        return members

    for name in groups:
        key = normalize(name)
        try:
            resolver.resolve(key)  # raises on cycles and unknown includes
            result[key] = tuple(expand(key))
        except (ExceptionGroup, RecursionError):
            continue
    return result
