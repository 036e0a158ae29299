"""Show paths the way the user typed them: relative to the working folder when inside it."""

from __future__ import annotations

import os
from pathlib import Path


def display(path: Path) -> str:
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return os.fspath(path)
