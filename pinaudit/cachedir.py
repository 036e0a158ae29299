"""Where pinaudit keeps its caches (the advisory index, the compiled rules), and whether to.

Kept apart from :mod:`pinaudit.advisories` so that a plain check, which reads
the rule cache on every run, imports neither the advisory code nor
platformdirs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

CACHE_ENV = "PINAUDIT_CACHE_DIR"
NO_CACHE_ENV = "PINAUDIT_NO_CACHE"


def cache_directory(cache_dir: Path | None = None) -> Path:
    """Where pinaudit caches: the argument, else ``$PINAUDIT_CACHE_DIR``, else the
    platform's user cache folder."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser()
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return _user_cache_folder()


def _user_cache_folder() -> Path:
    """``platformdirs.user_cache_dir("pinaudit")``, without importing platformdirs on Linux.

    Every check reads the rule cache from here, and importing platformdirs (and
    the tempfile module it pulls in) costs more than reading that cache.  On
    Linux platformdirs answers ``$XDG_CACHE_HOME/pinaudit`` when that is an
    absolute path, else ``~/.cache/pinaudit``; the cases it works harder for (no
    usable HOME, Android) and every other platform still ask it.
    """
    environ = os.environ
    if (
        sys.platform == "linux"
        and not hasattr(sys, "getandroidapilevel")
        and "ANDROID_DATA" not in environ
    ):
        xdg = environ.get("XDG_CACHE_HOME", "")
        if xdg.startswith("/"):
            return Path(xdg, "pinaudit")
        if environ.get("HOME", "").startswith("/"):
            return Path("~/.cache", "pinaudit").expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("pinaudit"))


def cache_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``$PINAUDIT_NO_CACHE`` asks for no cache (any value but empty or ``0``).

    For a run that must not trust, or must not write, anything under the cache
    folder: the rules and advisories are then read from their sources.
    """
    value = (os.environ if environ is None else environ).get(NO_CACHE_ENV, "")
    return value.strip() not in ("", "0")
