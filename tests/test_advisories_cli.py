"""``pinaudit advisories``: fetching over loopback only, and the cache path.

Every server here listens on 127.0.0.1 in a daemon thread with a short timeout
and is shut down by its fixture; nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import ssl
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pinaudit import advisories as package
from pinaudit.advisories import fetch
from pinaudit.advisories.cli import advisories

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osv"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Redirect(_Quiet):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://example.invalid/all.zip")
        self.end_headers()


class _Truncated(_Quiet):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"PK\x03\x04 only the start")
        self.wfile.flush()
        self.close_connection = True


class _Slow(_Quiet):
    def do_GET(self) -> None:
        self.server.server_stall.wait(5)  # type: ignore[attr-defined]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on loopback serving a folder; yields its base URL and folder."""
    folder = tmp_path / "www"
    folder.mkdir()
    with zipfile.ZipFile(folder / "all.zip", "w") as archive:
        for path in sorted((FIXTURES / "good").rglob("*.json")):
            archive.write(path, path.name)
    (folder / "not-a-zip.zip").write_text("<html>maintenance</html>", encoding="utf-8")
    with _serve(functools.partial(_Quiet, directory=str(folder)), folder) as running:
        yield running


@contextlib.contextmanager
def _serve(
    handler: type[http.server.BaseHTTPRequestHandler] | functools.partial[_Quiet],
    folder: Path,
    tls: ssl.SSLContext | None = None,
) -> Iterator[tuple[str, Path]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.block_on_close = False
    server.timeout = 5
    stall = threading.Event()
    server.server_stall = stall  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        stall.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _update(runner: CliRunner, url: str, cache: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(advisories, ["update", "--url", url, "--cache-dir", str(cache), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_update_downloads_indexes_and_then_finds_it_current(
    runner: CliRunner, served: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = served
    cache = tmp_path / "cache"
    code, output = _update(runner, f"{base}/all.zip", cache)
    assert code == 0, output
    export = package.export_path(cache)
    assert export.is_file()
    assert zipfile.is_zipfile(export)
    assert "Saved 4 advisories" in output
    assert "Indexed 2 advisory rules" in output
    assert list((cache / "advisories").glob("index-*.bin")), "update warms the index"
    leftovers = [path.name for path in export.parent.iterdir() if path.name.startswith(".")]
    assert leftovers == []
    code, output = _update(runner, f"{base}/all.zip", cache)
    assert code == 0, output
    assert "up to date" in output
    loaded = package.load_advisory_rules(package.default_advisory_paths(cache), cache_dir=cache)
    assert set(loaded.by_code()) == {"PYSEC-2099-1", "PYSEC-2099-2"}


def test_a_refused_connection_exits_2_with_a_message(runner: CliRunner, tmp_path: Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    port = server.server_address[1]
    server.server_close()
    code, output = _update(runner, f"http://127.0.0.1:{port}/all.zip", tmp_path / "cache")
    assert code == 2
    assert "error: cannot download" in output
    assert "Traceback" not in output
    assert not package.export_path(tmp_path / "cache").exists()


def test_http_errors_exit_2(runner: CliRunner, served: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = served
    code, output = _update(runner, f"{base}/missing.zip", tmp_path / "cache")
    assert code == 2
    assert "HTTP 404" in output


def test_a_download_that_is_not_a_zip_leaves_the_old_export_alone(
    runner: CliRunner, served: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = served
    cache = tmp_path / "cache"
    assert _update(runner, f"{base}/all.zip", cache)[0] == 0
    before = package.export_path(cache).read_bytes()
    code, output = _update(runner, f"{base}/not-a-zip.zip", cache)
    assert code == 2
    assert "not a readable zip archive" in output
    assert package.export_path(cache).read_bytes() == before
    assert sorted(path.name for path in package.export_path(cache).parent.iterdir()) == [
        package.EXPORT_NAME,
        package.EXPORT_NAME + ".json",
    ]


def test_a_stalled_server_times_out(runner: CliRunner, tmp_path: Path) -> None:
    with _serve(_Slow, tmp_path) as (base, _):
        code, output = _update(runner, f"{base}/all.zip", tmp_path / "cache", "--timeout", "1")
        assert code == 2
        assert "timed out" in output


def test_a_connection_cut_short_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    with _serve(_Truncated, tmp_path) as (base, _):
        code, output = _update(runner, f"{base}/all.zip", tmp_path / "cache")
        assert code == 2
        assert "cannot download" in output
        assert not package.export_path(tmp_path / "cache").exists()


def test_a_redirect_off_https_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    with _serve(_Redirect, tmp_path) as (base, _):
        code, output = _update(runner, f"{base}/all.zip", tmp_path / "cache")
        assert code == 2
        assert "refusing plain http" in output


@pytest.mark.parametrize(
    "url",
    ["http://example.org/all.zip", "ftp://127.0.0.1/all.zip", "file:///etc/passwd", "all.zip"],
)
def test_only_https_or_loopback_http_is_accepted(
    runner: CliRunner, tmp_path: Path, url: str
) -> None:
    code, output = _update(runner, url, tmp_path / "cache")
    assert code == 2
    assert "error:" in output


def test_loopback_names_are_recognised() -> None:
    assert fetch.check_url("http://localhost:8000/x.zip").hostname == "localhost"
    assert fetch.check_url("http://[::1]:8000/x.zip").hostname == "::1"
    assert fetch.check_url("https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
    with pytest.raises(fetch.FetchError):
        fetch.check_url("http://127.0.0.1.example.org/x.zip")


def test_the_default_url_is_the_osv_pypi_export() -> None:
    assert fetch.DEFAULT_URL == "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"


@pytest.fixture
def tls_served(served: tuple[str, Path], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The same folder over HTTPS on loopback, with a throwaway self-signed certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    _, folder = served
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    handler = functools.partial(_Quiet, directory=str(folder))
    with _serve(handler, folder, context) as (base, _):
        yield base.replace("http://", "https://"), certificate


def test_tls_is_verified_and_ssl_cert_file_is_honoured(
    runner: CliRunner,
    tls_served: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, certificate = tls_served
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    code, output = _update(runner, f"{base}/all.zip", tmp_path / "cache")
    assert code == 2
    assert "certificate verification failed" in output
    assert "SSL_CERT_FILE" in output, "the message says how to trust a re-signing proxy"
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.setenv(variable, str(certificate))
        code, output = _update(runner, f"{base}/all.zip", tmp_path / variable)
        assert code == 0, output
        assert "Saved 4 advisories" in output


def test_tls_context_verifies_and_honours_ca_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    context = fetch.ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(fetch.FetchError) as raised:
        fetch.ssl_context()
    assert "REQUESTS_CA_BUNDLE" in str(raised.value)
    assert raised.value.network is False
    bundle = tmp_path / "empty.pem"
    bundle.write_text("", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    with pytest.raises(fetch.FetchError) as raised:
        fetch.ssl_context()
    assert "SSL_CERT_FILE" in str(raised.value), "SSL_CERT_FILE is looked at first"


def test_an_unwritable_cache_exits_1(
    runner: CliRunner, served: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = served
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, output = _update(runner, f"{base}/all.zip", blocker / "cache")
    assert code == 1
    assert "error: cannot create" in output


def test_path_prints_the_cache_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(package.CACHE_ENV, str(tmp_path / "env-cache"))
    result = runner.invoke(advisories, ["path"])
    assert result.exit_code == 0
    assert result.output.strip() == str(tmp_path / "env-cache")
    result = runner.invoke(advisories, ["path", "--export", "--cache-dir", str(tmp_path / "c")])
    assert result.output.strip() == str(tmp_path / "c" / "osv" / package.EXPORT_NAME)
