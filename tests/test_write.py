"""Writes are atomic, keep the file's bytes and mode, and refuse unsafe targets."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pinaudit.textfile import decode, digest_of, read_source
from pinaudit.write import WriteRefused, atomic_write, prepare


def test_prepare_keeps_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    original = b"\xef\xbb\xbfuvicorn==0.13.4\r\nwsproto==1.0.0\r\n"
    path.write_bytes(original)
    source = read_source(path)
    assert source.bom and source.text.startswith("uvicorn")
    new_text = source.text.replace("0.13.4", "0.14.0")
    _, data = prepare(path, source.digest, new_text, tmp_path)
    assert data == original.replace(b"0.13.4", b"0.14.0")


def test_prepare_refuses_a_file_changed_since_read(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("uvicorn==0.13.4\n", encoding="utf-8")
    digest = read_source(path).digest
    path.write_text("uvicorn==0.13.3\n", encoding="utf-8")
    with pytest.raises(WriteRefused, match="changed since it was read"):
        prepare(path, digest, "uvicorn==0.14.0\n", tmp_path)


def test_prepare_refuses_a_symlink_leaving_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("uvicorn==0.13.4\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    link = project / "requirements.txt"
    link.symlink_to(outside)
    with pytest.raises(WriteRefused, match="outside the project root"):
        prepare(link, digest_of(outside.read_bytes()), "x\n", project)


def test_atomic_write_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("a\n", encoding="utf-8")
    path.chmod(0o640)
    atomic_write(path, b"b\n")
    assert path.read_bytes() == b"b\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.txt"]


def test_atomic_write_through_a_symlink_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("a\n", encoding="utf-8")
    link = tmp_path / "requirements.txt"
    link.symlink_to(target)
    atomic_write(link, b"b\n")
    assert link.is_symlink()
    assert target.read_bytes() == b"b\n"


def test_a_kill_between_temp_write_and_rename_leaves_the_original(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"uvicorn==0.13.4\n")
    program = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from pinaudit.write import atomic_write\n"
        "def die(temporary):\n"
        "    assert temporary.read_bytes() == b'uvicorn==0.14.0\\n'\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "atomic_write(Path(sys.argv[1]), b'uvicorn==0.14.0\\n', before_rename=die)\n"
    )
    completed = subprocess.run([sys.executable, "-c", program, str(path)], check=False)
    assert completed.returncode == -9
    assert path.read_bytes() == b"uvicorn==0.13.4\n"


def test_decode_reports_binary_and_bad_utf8(tmp_path: Path) -> None:
    from pinaudit.textfile import UnreadableFile

    with pytest.raises(UnreadableFile, match="binary"):
        decode(tmp_path / "x", b"abc\x00def")
    with pytest.raises(UnreadableFile) as caught:
        decode(tmp_path / "x", b"ok\nbad \xff here\n")
    assert (caught.value.problem.line, caught.value.problem.column) == (2, 5)


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    from pinaudit.textfile import UnreadableFile

    path = tmp_path / "requirements.txt"
    path.write_bytes(b"a" * 100)
    with pytest.raises(UnreadableFile, match="over the 10-byte limit"):
        read_source(path, limit=10)
    assert path.stat().st_size == 100


def test_a_new_file_gets_the_mode_asked_for(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    atomic_write(report, b"{}")
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    private = tmp_path / "cache.bin"
    atomic_write(private, b"data", new_mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    private.chmod(0o640)
    atomic_write(private, b"again", new_mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o640, "an existing file keeps its mode"
