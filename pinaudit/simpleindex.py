"""A small client for a package index's simple API (PEP 503 HTML, PEP 691 JSON).

Only ``fix`` uses it, and only when the user configured an index: a
requirements file's ``--index-url`` (for new ``--hash`` lines) or an index
passed explicitly (``--upgrade-strategy latest``, requirements of a release the
lock does not describe).  It lists a project's files with their hashes and
reads a release's ``Requires-Dist`` from PEP 658 metadata, or from the wheel
itself when the index serves no metadata file.  Plain ``urllib``: TLS verified
(:mod:`pinaudit.tls`), a timeout on every request, nothing cached on disk.

A private index works as it does for pip: credentials in the index URL, or a
``.netrc`` entry for the host (:mod:`pinaudit.indexauth`).  They are sent only
to the index's own scheme, host and port, follow a redirect only there, and
never appear in a message.
"""

from __future__ import annotations

import email.parser
import http.client
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import IO

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from pinaudit import tls
from pinaudit.indexauth import (
    Credentials,
    NetrcError,
    netrc_credentials,
    origin,
    split_credentials,
)

_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
MAX_WHEEL_BYTES = 64 * 1024 * 1024


class IndexUnavailable(Exception):
    """The index could not be asked; the message says what failed."""


@dataclass(frozen=True, slots=True)
class DistFile:
    """One file of a project on the index."""

    filename: str
    url: str
    version: Version | None
    hashes: dict[str, str] = field(default_factory=dict)
    yanked: bool = False
    metadata: bool = False

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")


def _version_of(name: str, filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            wheel_name, version, _, _ = parse_wheel_filename(filename)
        else:
            wheel_name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return None
    return version if canonicalize_name(wheel_name) == name else None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self._current: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._current = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.links.append((self._current, "".join(self._text).strip()))
            self._current = None


def _split_hash(url: str) -> tuple[str, dict[str, str]]:
    base, _, fragment = url.partition("#")
    hashes: dict[str, str] = {}
    if "=" in fragment:
        algorithm, _, value = fragment.partition("=")
        hashes[algorithm.lower()] = value.lower()
    return base, hashes


Opener = Callable[[urllib.request.Request, float], tuple[bytes, str, str]]


class _SameOriginAuth(urllib.request.HTTPRedirectHandler):
    """Follow a redirect, keeping the credentials only if it stays on the same origin.

    They are an unredirected header, which urllib drops on every redirect;
    requests (and so pip) keeps them for the same host, so an index that
    redirects ``/simple/name`` to ``/simple/name/`` keeps working.
    """

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        authorization = req.unredirected_hdrs.get("Authorization")
        if new is not None and authorization and origin(newurl) == origin(req.full_url):
            new.add_unredirected_header("Authorization", authorization)
        return new


class _Urllib:
    """The default :data:`Opener`: (body, content type, final URL) of a GET, TLS verified.

    The urllib opener, and with it the TLS context, is built at the first
    request and kept: loading the CA certificates takes some 25 ms, and one
    index answers many requests in a run (a page per project, a metadata file
    per release).
    """

    __slots__ = ("_director",)

    def __init__(self) -> None:
        self._director: urllib.request.OpenerDirector | None = None

    def __call__(self, request: urllib.request.Request, timeout: float) -> tuple[bytes, str, str]:
        if self._director is None:
            try:
                context = tls.ssl_context()
            except tls.CASettingsError as error:
                raise IndexUnavailable(str(error)) from None
            self._director = urllib.request.build_opener(
                urllib.request.HTTPSHandler(context=context), _SameOriginAuth()
            )
        with self._director.open(request, timeout=timeout) as response:
            return response.read(), response.headers.get("Content-Type", ""), response.geturl()


class SimpleIndex:
    """One index (``https://host/simple/``), asked lazily and remembered for one run.

    ``environ`` is where ``NETRC`` and the home folder are looked up (the
    process's environment by default).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 15.0,
        opener: Opener | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        url, self._credentials = split_credentials(url)
        scheme = urllib.parse.urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise IndexUnavailable(f"index URL {url!r} is not http(s)")
        self.url = url if url.endswith("/") else url + "/"
        self.timeout = timeout
        self._opener = opener or _Urllib()
        self._environ = os.environ if environ is None else environ
        self._netrc: dict[str, Credentials | None] = {}
        self._netrc_problem: str | None = None
        self._files: dict[str, tuple[DistFile, ...]] = {}
        self._requires: dict[tuple[str, Version], tuple[Requirement, ...] | None] = {}

    def _credentials_for(self, url: str) -> tuple[str, Credentials | None]:
        """``url`` without user info, and what to authenticate it with.

        Credentials written in the index URL go to the index's origin only;
        any other host (a CDN serving the files) gets its own ``.netrc`` entry,
        if it has one, as pip does.
        """
        url, written = split_credentials(url)
        if written is not None:
            return url, written
        if self._credentials is not None and origin(url) == origin(self.url):
            return url, self._credentials
        host = urllib.parse.urlsplit(url).hostname or ""
        if host not in self._netrc:
            try:
                self._netrc[host] = netrc_credentials(host, self._environ)
            except NetrcError as error:
                self._netrc[host] = None
                self._netrc_problem = str(error)
        return url, self._netrc[host]

    def _refused(self, url: str, credentials: Credentials | None) -> str:
        """Why a 401/403 happened, in terms of what the user can change."""
        host = urllib.parse.urlsplit(url).hostname or url
        if credentials is not None:
            return f"the credentials given for {host} were refused"
        hint = (
            f"{host} asks for credentials: put them in the index URL "
            f"(https://user:token@{host}/...) or in a .netrc entry for {host}"
        )
        if self._netrc_problem is not None:
            hint += f"; the .netrc could not be read: {self._netrc_problem}"
        return hint

    def _get(self, url: str, accept: str = "*/*") -> tuple[bytes, str, str]:
        url, credentials = self._credentials_for(url)
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "pinaudit"})
        if credentials is not None:
            request.add_unredirected_header("Authorization", credentials.authorization())
        try:
            return self._opener(request, self.timeout)
        except urllib.error.HTTPError as error:
            detail = f"HTTP {error.code}"
            if error.code in (401, 403):
                detail += f" ({self._refused(url, credentials)})"
            raise IndexUnavailable(f"{url}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise IndexUnavailable(f"{url}: {reason}") from None

    def files(self, name: str) -> tuple[DistFile, ...]:
        """Every file the index lists for project ``name``."""
        key = canonicalize_name(name)
        if key in self._files:
            return self._files[key]
        body, content_type, final = self._get(urllib.parse.urljoin(self.url, f"{key}/"), _ACCEPT)
        if "json" in content_type:
            found = self._from_json(key, body, final)
        else:
            found = self._from_html(key, body, final)
        self._files[key] = found
        return found

    def _from_json(self, name: str, body: bytes, base: str) -> tuple[DistFile, ...]:
        try:
            data = json.loads(body)
        except ValueError:
            raise IndexUnavailable(f"{base}: not valid JSON") from None
        files: list[DistFile] = []
        for item in data.get("files", []) if isinstance(data, dict) else []:
            if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
                continue
            url, fragment_hashes = _split_hash(urllib.parse.urljoin(base, str(item.get("url", ""))))
            hashes = item.get("hashes")
            metadata = item.get("core-metadata", item.get("dist-info-metadata", False))
            files.append(
                DistFile(
                    item["filename"],
                    url,
                    _version_of(name, item["filename"]),
                    {str(k).lower(): str(v).lower() for k, v in hashes.items()}
                    if isinstance(hashes, dict)
                    else fragment_hashes,
                    bool(item.get("yanked")),
                    bool(metadata),
                )
            )
        return tuple(files)

    def _from_html(self, name: str, body: bytes, base: str) -> tuple[DistFile, ...]:
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        files: list[DistFile] = []
        for attrs, text in parser.links:
            href = attrs.get("href")
            if not href:
                continue
            url, hashes = _split_hash(urllib.parse.urljoin(base, href))
            filename = text or urllib.parse.unquote(url.rsplit("/", 1)[-1])
            metadata = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
            files.append(
                DistFile(
                    filename,
                    url,
                    _version_of(name, filename),
                    hashes,
                    "data-yanked" in attrs,
                    metadata is not None and metadata != "false",
                )
            )
        return tuple(files)

    def versions(self, name: str) -> list[Version]:
        """Releases on the index that are not yanked, oldest first."""
        return sorted(
            {f.version for f in self.files(name) if f.version is not None and not f.yanked}
        )

    def release_files(self, name: str, version: Version) -> list[DistFile]:
        return [f for f in self.files(name) if f.version == version]

    def requirements(self, name: str, version: Version) -> tuple[Requirement, ...] | None:
        """``Requires-Dist`` of one release, or None when the index cannot tell
        (no wheel and no metadata file)."""
        key = (canonicalize_name(name), version)
        if key in self._requires:
            return self._requires[key]
        result: tuple[Requirement, ...] | None = None
        wheels = [f for f in self.release_files(name, version) if f.is_wheel]
        with_metadata = [f for f in wheels if f.metadata]
        if with_metadata:
            body, _, _ = self._get(with_metadata[0].url + ".metadata")
            result = _requires_dist(body)
        elif wheels:
            body, _, _ = self._get(wheels[0].url)
            if len(body) <= MAX_WHEEL_BYTES:
                result = _wheel_requires(body)
        self._requires[key] = result
        return result


def _requires_dist(metadata: bytes) -> tuple[Requirement, ...]:
    message = email.parser.BytesParser().parsebytes(metadata, headersonly=True)
    found: list[Requirement] = []
    for value in message.get_all("Requires-Dist") or []:
        try:
            found.append(Requirement(str(value)))
        except InvalidRequirement:
            continue
    return tuple(found)


def _wheel_requires(data: bytes) -> tuple[Requirement, ...] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                parts = member.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return _requires_dist(archive.read(member))
    except zipfile.BadZipFile:
        return None
    return None
