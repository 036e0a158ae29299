"""The TLS context for every download: verified, with the CA settings pip and uv honour.

Corporate proxies re-sign TLS, and their users already point ``SSL_CERT_FILE``
or ``REQUESTS_CA_BUNDLE`` at the proxy's certificates for pip and uv; a tool
that ignored them would fail only for those users.  Without either variable
the system store is used, with certifi's bundle added when it is installed and
the system store looks empty.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Mapping
from pathlib import Path

CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


class CASettingsError(Exception):
    """A CA variable is set to something that cannot be loaded; the message names it."""


def ssl_context(environ: Mapping[str, str] | None = None) -> ssl.SSLContext:
    """A verifying context; the first CA variable set wins, as in requests."""
    environ = os.environ if environ is None else environ
    for variable in CA_VARIABLES:
        configured = environ.get(variable, "").strip()
        if not configured:
            continue
        location = Path(configured).expanduser()
        try:
            if location.is_dir():
                return ssl.create_default_context(capath=str(location))
            return ssl.create_default_context(cafile=str(location))
        except (OSError, ssl.SSLError) as error:
            raise CASettingsError(
                f"{variable} is set to {configured}, which cannot be loaded as CA "
                f"certificates: {error}"
            ) from error
    context = ssl.create_default_context()
    if context.cert_store_stats().get("x509_ca", 0) == 0:
        try:
            import certifi  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            return context
        with contextlib.suppress(OSError, ssl.SSLError):
            context.load_verify_locations(cafile=certifi.where())
    return context
