"""A private package index: credentials in the URL or a .netrc, sent to that index only.

The happy and unhappy paths run against a real pypiserver on loopback that
asks for a password before it lists or serves anything (HTTP Basic against an
htpasswd file, as a private index does).  Where credentials must *not* go (a
second host serving the files, a redirect away from the index), two recording
``http.server`` servers stand in, since the point is what each one was sent.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from packaging.version import Version

from pinaudit.cli import main
from pinaudit.fixrun import index_from
from pinaudit.indexauth import (
    Credentials,
    NetrcError,
    netrc_credentials,
    netrc_files,
    origin,
    redact,
    split_credentials,
)
from pinaudit.simpleindex import IndexUnavailable, SimpleIndex
from tests.package_index import RELEASES, Quiet, build_index, serve, write_wheel

USER = "alice"
PASSWORD = "s3cr:t@pw"  # ":" and "@" must survive the URL (percent-encoded there)
QUOTED = "s3cr%3At%40pw"
BASIC = Credentials(USER, PASSWORD).authorization()


# -- the pure parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "clean", "credentials"),
    [
        (
            "https://alice:pw@pkgs.example/simple/",
            "https://pkgs.example/simple/",
            Credentials("alice", "pw"),
        ),
        (
            f"https://tok%40en:{QUOTED}@pkgs.example:8443/simple",
            "https://pkgs.example:8443/simple",
            Credentials("tok@en", PASSWORD),
        ),
        (
            "https://__token__@pkgs.example/simple",
            "https://pkgs.example/simple",
            Credentials("__token__", ""),
        ),
        ("https://pkgs.example/simple/", "https://pkgs.example/simple/", None),
        ("https://@pkgs.example/simple/", "https://pkgs.example/simple/", None),
    ],
)
def test_credentials_are_split_off_and_percent_decoded(
    url: str, clean: str, credentials: Credentials | None
) -> None:
    assert split_credentials(url) == (clean, credentials)


def test_basic_authorization_encodes_user_and_password() -> None:
    assert Credentials("alice", "pw").authorization() == "Basic YWxpY2U6cHc="


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://alice:pw@pkgs.example/simple/", "https://alice:****@pkgs.example/simple/"),
        ("https://ghp_secret@pkgs.example/simple/", "https://****@pkgs.example/simple/"),
        ("https://pkgs.example:8443/simple/", "https://pkgs.example:8443/simple/"),
    ],
)
def test_redact_hides_passwords_and_lone_tokens(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_origin_fills_in_default_ports_and_ignores_case() -> None:
    assert origin("https://PKGS.example/simple/") == origin("https://pkgs.example:443/x")
    assert origin("http://pkgs.example/") == ("http", "pkgs.example", 80)
    assert origin("https://pkgs.example/") != origin("http://pkgs.example/")
    assert origin("https://pkgs.example/") != origin("https://pkgs.example:8443/")


def test_netrc_is_found_by_netrc_variable_then_home(tmp_path: Path) -> None:
    explicit = tmp_path / "elsewhere"
    explicit.write_text("machine pkgs.example login bob password one\n", encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(
        "machine pkgs.example login carol password two\ndefault login dave password three\n",
        encoding="utf-8",
    )
    both = {"NETRC": str(explicit), "HOME": str(home)}
    assert netrc_files(both) == [explicit]
    assert netrc_credentials("pkgs.example", both) == Credentials("bob", "one")
    assert netrc_credentials("other.example", both) is None
    only_home = {"HOME": str(home)}
    assert netrc_credentials("pkgs.example", only_home) == Credentials("carol", "two")
    assert netrc_credentials("other.example", only_home) == Credentials("dave", "three")
    assert netrc_credentials("pkgs.example", {"HOME": str(tmp_path / "nobody")}) is None


def test_a_netrc_that_does_not_parse_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "netrc"
    bad.write_text(
        "machine pkgs.example login bob password one\nmachine x bogus y\n"
        "machine z login a password b\n",
        encoding="utf-8",
    )
    with pytest.raises(NetrcError) as raised:
        netrc_credentials("pkgs.example", {"NETRC": str(bad)})
    assert str(raised.value) == f"{bad}:2: bad follower token 'bogus'"


# -- a real private index ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"pypiserver exited with {process.returncode}: {output}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers (401): it is up
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"pypiserver did not answer at {url} within {seconds} s")


@pytest.fixture(scope="module")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A pypiserver that lists and serves nothing without alice's password.

    Yields its address (``http://127.0.0.1:PORT``, no credentials) and the
    folder of wheels it serves.
    """
    with warnings.catch_warnings():
        # passlib looks for the deprecated crypt module; the htpasswd hash used
        # here (apr_md5_crypt) does not need it.
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile

    root = tmp_path_factory.mktemp("private")
    packages = root / "packages"
    packages.mkdir()
    for name, versions in RELEASES.items():
        for version, requires in versions.items():
            write_wheel(packages, name, version, requires)
    passwords = HtpasswdFile(str(root / "htpasswd"), new=True)
    passwords.set_password(USER, PASSWORD)
    passwords.save()
    port = _free_port()
    server = Path(sys.executable).parent / "pypi-server"
    process = subprocess.Popen(
        [
            str(server),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--authenticate",
            "download,list",
            "--passwords",
            str(root / "htpasswd"),
            "--disable-fallback",
            "--hash-algo",
            "sha256",
            str(packages),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{base}/simple/", process, 60)
        yield base, packages
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_credentials_in_the_url_open_a_private_index(private_index: tuple[str, Path]) -> None:
    base, packages = private_index
    client = SimpleIndex(f"http://{USER}:{QUOTED}@{base[7:]}/simple/", environ={})
    assert client.url == f"{base}/simple/", "the client keeps no credentials in its URL"
    assert [str(v) for v in client.versions("uvicorn")] == ["0.13.4", "0.14.0", "0.15.0"]
    (wheel,) = client.release_files("uvicorn", Version("0.14.0"))
    assert wheel.hashes["sha256"] == _sha256(packages / wheel.filename)
    # pypiserver serves no PEP 658 metadata: the requirements come from the wheel,
    # which is behind the same password.
    requires = client.requirements("uvicorn", Version("0.14.0"))
    assert requires is not None and [str(r) for r in requires] == ["click>=7.0"]


def test_a_netrc_entry_opens_a_private_index(
    private_index: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = private_index
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text(
        f"machine 127.0.0.1\n  login {USER}\n  password {PASSWORD}\n", encoding="utf-8"
    )
    client = SimpleIndex(f"{base}/simple/", environ={"HOME": str(home)})
    assert [str(v) for v in client.versions("wsproto")] == ["0.15.0", "1.0.0"]


def test_without_credentials_the_message_says_where_they_go(
    private_index: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = private_index
    with pytest.raises(IndexUnavailable) as raised:
        SimpleIndex(f"{base}/simple/", environ={"HOME": str(tmp_path)}).versions("uvicorn")
    message = str(raised.value)
    assert message.startswith(f"{base}/simple/uvicorn/: HTTP 401 (127.0.0.1 asks for credentials")
    assert "in the index URL" in message and "a .netrc entry for 127.0.0.1" in message
    broken = tmp_path / ".netrc"
    broken.write_text("machine 127.0.0.1 bogus y\n", encoding="utf-8")
    with pytest.raises(IndexUnavailable) as raised:
        SimpleIndex(f"{base}/simple/", environ={"HOME": str(tmp_path)}).versions("uvicorn")
    assert f"the .netrc could not be read: {broken}:1: " in str(raised.value)


def test_refused_credentials_are_reported_and_never_shown(
    private_index: tuple[str, Path],
) -> None:
    base, _ = private_index
    with pytest.raises(IndexUnavailable) as raised:
        SimpleIndex(f"http://{USER}:wrong-{QUOTED}@{base[7:]}/simple/", environ={}).versions(
            "uvicorn"
        )
    message = str(raised.value)
    assert "the credentials given for 127.0.0.1 were refused" in message
    assert "wrong" not in message and QUOTED not in message and PASSWORD not in message


def test_fix_takes_new_hashes_from_a_private_index_named_with_variables(
    private_index: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The common private-index set-up: the requirements file names the index
    with ``${VARS}``; CI supplies them; the fix's output never shows the token."""
    base, packages = private_index
    old = "1" * 64
    text = (
        f"--index-url http://${{INDEX_USER}}:${{INDEX_TOKEN}}@{base[7:]}/simple/\n"
        f"uvicorn==0.13.4 \\\n    --hash=sha256:{old}\n"
        f"wsproto==1.0.0 \\\n    --hash=sha256:{'2' * 64}\n"
    )
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(text, encoding="utf-8")
    environment = {
        "INDEX_USER": USER,
        "INDEX_TOKEN": QUOTED,
        "HOME": str(tmp_path),
        "NETRC": "",
    }
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["fix", "--write", "--isolated", "."], env=environment)
    assert result.exit_code == 0, result.output
    new = _sha256(packages / "uvicorn-0.14.0-py3-none-any.whl")
    assert (project / "requirements.txt").read_text(encoding="utf-8") == text.replace(
        "uvicorn==0.13.4", "uvicorn==0.14.0"
    ).replace(old, new)
    assert f"from http://{USER}:****@{base[7:]}/simple/" in result.output
    assert QUOTED not in result.output and PASSWORD not in result.output


def test_latest_strategy_reads_a_private_index_from_pip_index_url(
    private_index: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = private_index
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("uvicorn==0.13.4\nwsproto==1.0.0\n", encoding="utf-8")
    environment = {
        "PIP_INDEX_URL": f"http://{USER}:{QUOTED}@{base[7:]}/simple/",
        "UV_INDEX_URL": None,
        "UV_DEFAULT_INDEX": None,
        "HOME": str(tmp_path),
        "NETRC": "",
    }
    monkeypatch.chdir(project)
    result = CliRunner().invoke(
        main,
        ["fix", "--write", "--isolated", "--upgrade-strategy", "latest", "."],
        env=environment,
    )
    assert result.exit_code == 0, result.output
    assert (project / "requirements.txt").read_text(encoding="utf-8") == (
        "uvicorn==0.15.0\nwsproto==1.0.0\n"
    )
    assert QUOTED not in result.output and PASSWORD not in result.output


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {
                "UV_DEFAULT_INDEX": "https://uv.example/simple",
                "UV_INDEX_URL": "https://old-uv.example/simple",
                "PIP_INDEX_URL": "https://pip.example/simple",
            },
            "https://uv.example/simple/",
        ),
        (
            {
                "UV_INDEX_URL": "https://old-uv.example/simple",
                "PIP_INDEX_URL": "https://pip.example/simple",
            },
            "https://old-uv.example/simple/",
        ),
        (
            {"UV_DEFAULT_INDEX": "", "PIP_INDEX_URL": "https://t:pw@pip.example/simple"},
            "https://pip.example/simple/",
        ),
    ],
)
def test_latest_takes_the_index_uv_or_pip_would_use(environ: dict[str, str], expected: str) -> None:
    chosen = index_from("latest", None, environ)
    assert chosen is not None and chosen.url == expected
    assert index_from("minimal", None, environ) is None, "minimal stays offline"
    explicit = index_from("latest", "https://cli.example/simple", environ)
    assert explicit is not None and explicit.url == "https://cli.example/simple/"


# -- where credentials must not go -------------------------------------------------------------


class _Recording(Quiet):
    """Serves files, records each request's Authorization header, and can require
    one (401 otherwise) and redirect some paths."""

    def __init__(
        self,
        seen: list[tuple[str, str | None]],
        required: str | None,
        redirects: dict[str, str],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.seen = seen
        self.required = required
        self.redirects = redirects
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        self.seen.append((self.path, authorization))
        if self.required is not None and authorization != self.required:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="index"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = self.redirects.get(self.path)
        if target is not None:
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


def test_credentials_stay_on_the_index_origin(tmp_path: Path) -> None:
    """The pages are behind a password; the files are on another host (a CDN),
    which gets no credentials, nor does a host a redirect leads to; a redirect
    within the index keeps them."""
    index_seen: list[tuple[str, str | None]] = []
    other_seen: list[tuple[str, str | None]] = []
    redirects: dict[str, str] = {}
    root = tmp_path / "root"
    with serve(partial(_Recording, other_seen, None, {}, directory=str(root))) as other:
        gate = partial(_Recording, index_seen, BASIC, redirects, directory=str(root))
        with serve(gate) as index:
            build_index(root, files_at=other)
            redirects["/simple/wsproto/"] = f"{other}/simple/wsproto/"
            redirects["/simple/click/"] = "/simple/click/index.html"
            client = SimpleIndex(f"http://{USER}:{QUOTED}@{index[7:]}/simple/", environ={})
            requires = client.requirements("uvicorn", Version("0.14.0"))
            assert requires is not None and [str(r) for r in requires] == ["click>=7.0"]
            assert [str(v) for v in client.versions("wsproto")] == ["0.15.0", "1.0.0"]
            assert [str(v) for v in client.versions("click")] == ["6.7", "7.0"]
    assert ("/simple/click/index.html", BASIC) in index_seen, "a same-origin redirect keeps them"
    assert all(authorization == BASIC for _, authorization in index_seen)
    assert ("/packages/uvicorn-0.14.0-py3-none-any.whl.metadata", None) in other_seen
    assert ("/simple/wsproto/", None) in other_seen
    assert all(authorization is None for _, authorization in other_seen)


def test_one_index_client_serves_every_hashed_file_of_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Services pinned with hashes against the same index: the index is asked
    for uvicorn's file list once per run, not once per file, and each file
    still gets the new hashes."""
    seen: list[tuple[str, str | None]] = []
    root = tmp_path / "root"
    with serve(partial(_Recording, seen, BASIC, {}, directory=str(root))) as index:
        digests = build_index(root)
        text = (
            f"--index-url http://{USER}:{QUOTED}@{index[7:]}/simple/\n"
            f"uvicorn==0.13.4 --hash=sha256:{'1' * 64}\n"
            f"wsproto==1.0.0 --hash=sha256:{'2' * 64}\n"
        )
        services = [tmp_path / "tree" / f"service-{n}" for n in range(3)]
        for service in services:
            service.mkdir(parents=True)
            (service / "requirements.txt").write_text(text, encoding="utf-8")
        monkeypatch.chdir(tmp_path / "tree")
        result = CliRunner().invoke(
            main, ["fix", "--write", "--isolated", "."], env={"HOME": str(tmp_path), "NETRC": ""}
        )
    assert result.exit_code == 0, result.output
    new = digests["uvicorn-0.14.0-py3-none-any.whl"]
    for service in services:
        written = (service / "requirements.txt").read_text(encoding="utf-8")
        assert f"uvicorn==0.14.0 --hash=sha256:{new}\n" in written
    assert [path for path, _ in seen].count("/simple/uvicorn/") == 1


def test_no_traceback_and_no_secret_when_a_ca_setting_is_broken(
    private_index: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = private_index
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(IndexUnavailable) as raised:
        SimpleIndex(f"http://{USER}:{QUOTED}@{base[7:]}/simple/", environ={}).versions("uvicorn")
    assert "REQUESTS_CA_BUNDLE is set to" in str(raised.value)
    assert QUOTED not in str(raised.value)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback must not go through a proxy the machine may have configured."""
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
