"""Compiled requirements files: the command that re-makes one.

A pip-compile or ``uv pip compile`` output records in its header the command
that wrote it.  Drift messages and re-locking both need that command; this
module keeps it light enough for the check path (no subprocess machinery).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from pinaudit.model import Manifest

UV_COMPILE = ("uv", "pip", "compile")


def recompile_line(manifest: Manifest, source: Path) -> str:
    """The command that re-makes ``manifest`` from its input ``source``.

    The header's own line when it is spelled as a user runs it (so the options
    it was compiled with are kept), else one that names the input.  A line
    that already upgrades packages is not reused: re-running it would move
    them again.
    """
    recorded = manifest.compile_command
    if (
        recorded
        and recorded.startswith(("pip-compile ", "uv pip compile "))
        and "--upgrade-package" not in recorded
    ):
        return recorded
    try:
        shown = str(source.relative_to(manifest.path.parent))
    except ValueError:
        shown = str(source)
    if manifest.generated_by == "uv":
        return shlex.join((*UV_COMPILE, shown, "-o", manifest.path.name))
    return shlex.join(("pip-compile", shown))
