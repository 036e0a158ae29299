"""Downloading the osv.dev PyPI export: the only network code of this package.

Standard library only (urllib), so the opt-in costs no dependency.  TLS is
always verified, with the CA settings pip and uv users have (:mod:`pinaudit.tls`).
Plain ``http`` is refused except for a loopback host, which only a test or a
local mirror uses; a redirect may not leave ``https`` either.

The archive is streamed to a temporary file beside the target, checked to be a
readable zip, then moved into place, so a failed or interrupted download never
replaces a good export.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import socket
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pinaudit import __version__, tls
from pinaudit.write import atomic_write

DEFAULT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
DEFAULT_TIMEOUT = 60.0
MAX_BYTES = 2 * 1024**3
"""The PyPI export is tens of megabytes; stop well before a disk fills up."""
CHUNK = 1024 * 1024


class FetchError(Exception):
    """A download failed; the message says why in words a user can act on.

    ``network`` separates failures of the network or the server (exit code 2)
    from local ones such as an unwritable cache folder.
    """

    def __init__(self, message: str, *, network: bool = True) -> None:
        super().__init__(message)
        self.network = network


@dataclass(frozen=True, slots=True)
class Fetched:
    path: Path
    size: int
    members: int
    not_modified: bool


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> urllib.parse.SplitResult:
    """Refuse what would download without TLS from another machine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return parts
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return parts
    if parts.scheme == "http":
        raise FetchError(f"refusing plain http for {url}: use https (http is only for loopback)")
    raise FetchError(f"not an https URL: {url!r}")


def ssl_context() -> ssl.SSLContext:
    """The shared verifying context (:mod:`pinaudit.tls`); a bad CA setting is local."""
    try:
        return tls.ssl_context()
    except tls.CASettingsError as error:
        raise FetchError(str(error), network=False) from error


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to URLs :func:`check_url` accepts (no TLS downgrade)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(parts: urllib.parse.SplitResult) -> urllib.request.OpenerDirector:
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.HTTPSHandler(context=ssl_context()),
        _SafeRedirects(),
    ]
    if _is_loopback(parts.hostname):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def _metadata_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _read_metadata(target: Path, url: str) -> dict[str, str]:
    try:
        data = json.loads(_metadata_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("url") != url or not target.is_file():
        return {}
    return {key: value for key, value in data.items() if isinstance(value, str)}


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate verification failed ({reason.verify_message}); if a proxy "
                "re-signs TLS, point SSL_CERT_FILE at its CA bundle"
            )
        if isinstance(reason, socket.gaierror):
            return f"cannot resolve the host ({reason.strerror})"
        if isinstance(reason, BaseException):
            return _reason(reason)
        return str(reason)
    if isinstance(error, TimeoutError | socket.timeout):
        return "the connection timed out"
    if isinstance(error, http.client.IncompleteRead):
        return "the connection closed before the whole file arrived"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _members(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
            if broken is not None:
                raise FetchError(f"the download is damaged: zip member {broken} fails its CRC")
            return sum(1 for name in archive.namelist() if name.endswith(".json"))
    except (zipfile.BadZipFile, OSError) as error:
        raise FetchError(f"the download is not a readable zip archive ({error})") from error


def download(
    url: str, target: Path, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_BYTES
) -> Fetched:
    """Fetch ``url`` into ``target`` unless the server says the copy is current."""
    parts = check_url(url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FetchError(
            f"cannot create {target.parent}: {_reason(error)}", network=False
        ) from error
    known = _read_metadata(target, url)
    request = urllib.request.Request(url, headers={"User-Agent": f"pinaudit/{__version__}"})
    if known.get("etag"):
        request.add_header("If-None-Match", known["etag"])
    if known.get("last_modified"):
        request.add_header("If-Modified-Since", known["last_modified"])
    try:
        temporary = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed on success
            prefix=".download-", suffix=".tmp", dir=target.parent, delete=False
        )
    except OSError as error:
        raise FetchError(
            f"cannot write to {target.parent}: {_reason(error)}", network=False
        ) from error
    temporary_path = Path(temporary.name)
    try:
        with temporary:
            try:
                with _opener(parts).open(request, timeout=timeout) as response:
                    headers = response.headers
                    size = 0
                    while chunk := response.read(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(
                                f"the download from {url} exceeds {max_bytes} bytes; stopped"
                            )
                        temporary.write(chunk)
                    expected = headers.get("Content-Length", "")
                    if expected.isdigit() and int(expected) != size:
                        raise FetchError(
                            f"cannot download {url}: the connection closed after {size} of "
                            f"{expected} bytes"
                        )
            except urllib.error.HTTPError as error:
                if error.code == 304 and target.is_file():
                    return Fetched(target, target.stat().st_size, _members(target), True)
                raise FetchError(f"cannot download {url}: {_reason(error)}") from error
            except FetchError:
                raise
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
                raise FetchError(f"cannot download {url}: {_reason(error)}") from error
        members = _members(temporary_path)
        try:
            temporary_path.replace(target)
        except OSError as error:
            raise FetchError(f"cannot write {target}: {_reason(error)}", network=False) from error
        metadata = {
            "url": url,
            "etag": headers.get("ETag", ""),
            "last_modified": headers.get("Last-Modified", ""),
        }
        with contextlib.suppress(OSError):
            atomic_write(
                _metadata_path(target), json.dumps(metadata).encode("utf-8"), new_mode=0o600
            )
        return Fetched(target, size, members, False)
    finally:
        with contextlib.suppress(OSError):
            temporary_path.unlink()
