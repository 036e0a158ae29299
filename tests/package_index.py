"""A tiny package index for tests: hand-written wheels, a PEP 503 page per project.

The releases are the seed story's (uvicorn 0.13.4 / 0.14.0 / 0.15.0, wsproto
0.15.0 / 1.0.0, click 6.7 / 7.0) plus seed-lib 1.0 / 1.1, whose requirements
cap and free uvicorn.  :func:`build_index` lays out files that ``http.server``
serves as a simple index with PEP 658 metadata files; the ``packages/`` folder
alone is what pypiserver serves.
"""

from __future__ import annotations

import base64
import hashlib
import html
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RELEASES: dict[str, dict[str, tuple[str, ...]]] = {
    "uvicorn": {
        "0.13.4": ("click>=6.7",),
        "0.14.0": ("click>=7.0",),
        "0.15.0": ("click>=7.0",),
    },
    "wsproto": {"0.15.0": (), "1.0.0": ()},
    "click": {"6.7": (), "7.0": ()},
    "seed-lib": {"1.0": ("uvicorn<0.14",), "1.1": ("uvicorn>=0.14",)},
}


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(
    folder: Path, name: str, version: str, requires: tuple[str, ...]
) -> tuple[Path, bytes]:
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {item}\n" for item in requires)
    ).encode()
    members = {
        f"{module}/__init__.py": f"__version__ = {version!r}\n".encode(),
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: pinaudit-tests\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{record_hash(data)},{len(data)}\n" for path, data in members.items())
    members[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    path = folder / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(zipfile.ZipInfo(member, (2021, 6, 1, 0, 0, 0)), data)
    return path, metadata


def build_index(root: Path, files_at: str = "../..") -> dict[str, str]:
    """The simple index under ``root``; returns each wheel's sha256.

    ``files_at`` is where the pages say ``packages/`` is: relative by default,
    or another server's URL (files on a CDN, as large indexes serve them).
    """
    packages = root / "packages"
    packages.mkdir(parents=True)
    digests: dict[str, str] = {}
    project_links: list[str] = []
    for name, versions in RELEASES.items():
        links = []
        for version, requires in versions.items():
            wheel, metadata = write_wheel(packages, name, version, requires)
            (packages / (wheel.name + ".metadata")).write_bytes(metadata)
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            meta = hashlib.sha256(metadata).hexdigest()
            digests[wheel.name] = digest
            links.append(
                f'<a href="{files_at}/packages/{wheel.name}#sha256={digest}" '
                f'data-dist-info-metadata="sha256={meta}" data-core-metadata="sha256={meta}">'
                f"{html.escape(wheel.name)}</a><br>"
            )
        page = root / "simple" / name
        page.mkdir(parents=True)
        (page / "index.html").write_text(
            "<!DOCTYPE html><html><body>" + "".join(links) + "</body></html>", encoding="utf-8"
        )
        project_links.append(f'<a href="{name}/">{name}</a>')
    (root / "simple" / "index.html").write_text(
        "<!DOCTYPE html><html><body>" + "".join(project_links) + "</body></html>",
        encoding="utf-8",
    )
    return digests


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(handler: Any) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 in a thread; yields ``http://127.0.0.1:PORT``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
