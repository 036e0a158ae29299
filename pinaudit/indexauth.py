"""Credentials for a private package index, taken where pip and uv take them.

A private index is reached as ``https://user:token@host/simple/`` (in a
requirements file often written with ``${VARS}``) or through a ``.netrc`` entry
for its host.  urllib understands neither: handed such a URL it looks up a
host named ``user:token@host``.  So credentials are split off the URL here,
sent as HTTP Basic authentication, and kept out of every message (a message
shows a URL only through :func:`redact`, as pip prints it).  Which requests
get them is the caller's concern; :class:`pinaudit.simpleindex.SimpleIndex`
sends them to the index's own scheme, host and port only.
"""

from __future__ import annotations

import base64
import netrc
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pinaudit.textfile import file_exists

#: What a message shows in place of a secret.
MASK = "****"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user name and password for HTTP Basic authentication."""

    username: str
    password: str

    def authorization(self) -> str:
        """The value of an ``Authorization`` header."""
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """``url`` without its user info, and the credentials the user info held.

    Both parts are percent-decoded, as pip does, so a token with ``@`` or ``:``
    in it can be written ``%40`` / ``%3A``.  A URL without user info comes back
    unchanged, with None.
    """
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, None
    clean = urllib.parse.urlunsplit(parts._replace(netloc=host))
    if not userinfo:
        return clean, None
    username, _, password = userinfo.partition(":")
    return clean, Credentials(urllib.parse.unquote(username), urllib.parse.unquote(password))


def redact(url: str) -> str:
    """``url`` fit to print: a password becomes ``****``; so does a lone user
    name, which is often a token (pip's rule)."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url
    username, colon, _ = userinfo.partition(":")
    shown = f"{username}:{MASK}" if colon else MASK
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{shown}@{host}"))


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what must match for credentials to be sent."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def netrc_files(environ: Mapping[str, str]) -> list[Path]:
    """Where a ``.netrc`` may be: ``$NETRC`` if set, else ``~/.netrc`` and
    ``~/_netrc`` (the places requests, and so pip, and uv look)."""
    explicit = environ.get("NETRC")
    if explicit:
        return [Path(explicit).expanduser()]
    home = environ.get("HOME") or environ.get("USERPROFILE")
    folder = Path(home) if home else Path.home()
    return [folder / ".netrc", folder / "_netrc"]


class NetrcError(Exception):
    """A ``.netrc`` exists but cannot be read; the message names file and line."""


def netrc_credentials(host: str, environ: Mapping[str, str]) -> Credentials | None:
    """The first ``.netrc`` file's entry for ``host`` (or its ``default`` entry).

    Raises :class:`NetrcError` for a file that exists but does not parse: the
    caller decides whether that matters (it does only if the index then asks
    for credentials).
    """
    for path in netrc_files(environ):
        if not file_exists(path):
            continue
        try:
            entry = netrc.netrc(str(path)).authenticators(host)
        except netrc.NetrcParseError as error:
            raise NetrcError(f"{path}:{error.lineno}: {error.msg}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise NetrcError(f"{path}: {error}") from None
        if entry is None:
            return None
        login, _, password = entry
        return Credentials(login, password or "")
    return None
