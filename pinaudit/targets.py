"""The installations a repository is meant for, as marker environments.

A requirement marker (``; python_version < "3.9"``) or a rule marker decides
whether an entry or a break applies.  A repository is not installed on one
interpreter but on several, so markers are evaluated against every target: the
supported CPython releases on Linux, macOS and Windows by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet

#: CPython releases with upstream support on the release date of this version:
#: 3.10 reached its end of life in October 2026, 3.15 was released that month.
DEFAULT_PYTHONS: tuple[str, ...] = ("3.11", "3.12", "3.13", "3.14", "3.15")

_PLATFORMS: Mapping[str, Mapping[str, str]] = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
}
DEFAULT_PLATFORMS: tuple[str, ...] = tuple(_PLATFORMS)
#: Every CPython a rule marker or a project's requires-python may name.
KNOWN_PYTHONS: tuple[str, ...] = tuple(f"3.{minor}" for minor in range(6, 16))


@dataclass(frozen=True, slots=True)
class Target:
    """One Python release on one platform, the unit markers are evaluated on."""

    python: str
    platform: str

    def environment(self) -> dict[str, str]:
        return {
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "platform_python_implementation": "CPython",
            "platform_machine": "x86_64" if self.platform != "darwin" else "arm64",
            "platform_release": "",
            "platform_version": "",
            "extra": "",
            **_PLATFORMS[self.platform],
        }


def make_targets(
    pythons: Iterable[str] = DEFAULT_PYTHONS, platforms: Iterable[str] = DEFAULT_PLATFORMS
) -> tuple[Target, ...]:
    unknown = [name for name in platforms if name not in _PLATFORMS]
    if unknown:
        raise ValueError(f"unknown platform {unknown[0]!r}; known: {', '.join(_PLATFORMS)}")
    return tuple(Target(python, platform) for python in pythons for platform in platforms)


@lru_cache(maxsize=65536)
def _holds(marker_text: str, target: Target) -> bool:
    try:
        return Marker(marker_text).evaluate(target.environment(), context="requirement")
    except Exception:  # an undefined or malformed comparison never excludes an entry
        return True


#: Per marker object, its text; the object is kept in the value so its id is
#: never reused while the entry lives.  Parsers share one Marker per text, so
#: this stays small, and it saves re-rendering a marker on every target.
_TEXTS: dict[int, tuple[Marker, str]] = {}
_TEXTS_LIMIT = 65536


def holds(marker: Marker | None, target: Target) -> bool:
    """Whether a marker is true on a target; no marker always holds."""
    if marker is None:
        return True
    known = _TEXTS.get(id(marker))
    if known is None:
        if len(_TEXTS) >= _TEXTS_LIMIT:
            _TEXTS.clear()
        known = _TEXTS[id(marker)] = (marker, str(marker))
    return _holds(known[1], target)


#: Per (marker object, targets), the bit mask of the targets it holds on.
_MASKS: dict[tuple[int, tuple[Target, ...]], tuple[Marker, int]] = {}


def holds_mask(marker: Marker | None, targets: tuple[Target, ...]) -> int:
    """Bit ``i`` set when the marker holds on ``targets[i]``; every bit without a marker.

    The engine asks this once per entry and reads targets off the bits, instead
    of asking :func:`holds` once per entry and target in every environment.
    """
    if marker is None:
        return (1 << len(targets)) - 1
    key = (id(marker), targets)
    found = _MASKS.get(key)
    if found is None:
        if len(_MASKS) >= _TEXTS_LIMIT:
            _MASKS.clear()
        mask = 0
        for position, target in enumerate(targets):
            if holds(marker, target):
                mask |= 1 << position
        found = _MASKS[key] = (marker, mask)
    return found[1]


def supported_by(requires: Sequence[SpecifierSet], targets: Sequence[Target]) -> tuple[Target, ...]:
    """The targets a project's own Python requirement admits.

    A project that says ``requires-python = "<3.10"`` is never installed on the
    default targets; evaluating it there would report breaks it cannot have.
    When none of the given targets fit, the project is evaluated on the older
    CPython releases it does admit, on the same platforms.
    """
    if not requires:
        return tuple(targets)

    def admitted(python: str) -> bool:
        candidates = (f"{python}.0", f"{python}.99")
        return all(any(spec.contains(v, prereleases=True) for v in candidates) for spec in requires)

    fitting = tuple(target for target in targets if admitted(target.python))
    if fitting:
        return fitting
    platforms = list(dict.fromkeys(target.platform for target in targets))
    return tuple(
        Target(python, platform)
        for python in KNOWN_PYTHONS
        if admitted(python)
        for platform in platforms
    )


def describe(matched: Sequence[Target], all_targets: Sequence[Target]) -> str:
    """Say briefly where a finding applies; empty when it applies everywhere."""
    if set(matched) == set(all_targets):
        return ""
    pythons = sorted({target.python for target in matched}, key=_version_key)
    platforms = [name for name in _PLATFORMS if any(t.platform == name for t in matched)]
    if len(matched) == len(pythons) * len(platforms):
        where = "Python " + ", ".join(pythons)
        if len(platforms) < len({target.platform for target in all_targets}):
            where += " on " + ", ".join(platforms)
        return where
    return ", ".join(f"Python {t.python} on {t.platform}" for t in matched)


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())
