"""The parser's fast paths give exactly what the general path gives.

Plain requirements (with or without a marker) and plain ``-r``/``-c`` lines
skip pip's option parsing and packaging's general requirement parser.  Every
line here is parsed twice, once as usual and once with the fast paths switched
off, and the two manifests must be equal to the last span, message and
comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinaudit.model import Manifest, Role
from pinaudit.sources import requirements
from pinaudit.sources.requirements import parse_requirements
from pinaudit.textfile import SourceText

PATH = Path("/project/svc/requirements.txt")
ENVIRON = {"FILE": "base.txt", "PY": "3.11"}
_NEVER = re.compile(r"(?!)")

# Lines the fast paths take.
FAST = [
    "requests==2.31.0",
    'requests==2.31.0 ; python_version >= "3.11"',
    'requests==2.31.0;python_version>="3.11"',
    "Django>=4.2,<5 ; sys_platform == 'linux' and python_version < \"3.12\"  # why",
    'Django[Argon2] ~= 4.2 ;\tpython_version >= "3.11"',
    'idna ; python_version >= "3.11"',
    "idna ;",
    "idna==3.4 ;  # an empty marker",
    'idna==3.4 ; python_version >= "3.11" --hash=sha256:abcd --hash=sha512:ef01',
    'idna==3.4 ; python_version >= "3.11" \\\n    --hash=sha256:abcd',
    'idna===3.4 ; os_name == "posix"',
    "-r base.txt",
    "-rbase.txt",
    "-r\t../../shared/base.txt",
    "  -c ../shared/constraints.txt  ",
    "-cconstraints.txt",
    "--requirement=base.txt",
    "--requirement  base.txt",
    "--constraint=c.txt",
    "--constraint\tc.txt",
    "-r dir/sub-dir/base=1.txt",
]

# Lines that look alike but must take the general path (some are Problems).
GENERAL = [
    'requests==2.31.0 ; python_version >= "3.11";',
    "requests==2.31.0 ; bogus",
    'requests==2.31.0 ; platform_release == "a#b"',
    'requests==2.31.0 ; python_version >= "${PY}"',
    'requests==2.31.0 ; extra == " -x"',
    'requests==2.31.0 ;\u00a0python_version >= "3.11"',
    'requests==2.31.0 ; python_version >= "3.11"\t--hash=sha256:abcd',
    'name===1.0.zip ; python_version >= "3"',
    'dist.zip ; python_version >= "3"',
    'https://example.invalid/x-1.0-py3-none-any.whl ; python_version >= "3"',
    '-r "quoted file.txt"',
    "-r base.txt # a comment",
    "-r base.txt other.txt",
    "-r base.txt -c c.txt",
    "--req base.txt",
    "-r http://example.invalid/base.txt",
    "-r c:\\base.txt",
    "-r",
    "-r=base.txt",
    "-r -c.txt",
    "-r ${FILE}",
    "--requirement= base.txt",
    "--requirement==base.txt",
    "--requirementbase.txt",
    "-r base.txt\u00a0",
]


@contextmanager
def _general_path_only() -> Iterator[None]:
    with (
        mock.patch.object(requirements, "_FAST_LINE_RE", _NEVER),
        mock.patch.object(requirements, "_FAST_INCLUDE_RE", _NEVER),
    ):
        yield


def _both_ways(text: str, kind: Role) -> tuple[Manifest, Manifest]:
    source = SourceText(PATH, text, False)
    fast = parse_requirements(source, environ=ENVIRON, kind=kind)
    with _general_path_only():
        general = parse_requirements(source, environ=ENVIRON, kind=kind)
    return fast, general


@pytest.mark.parametrize("kind", [Role.REQUIRE, Role.CONSTRAIN])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("line", FAST + GENERAL)
def test_fast_and_general_paths_agree(line: str, newline: str, kind: Role) -> None:
    text = f"# header{newline}{line.replace(chr(10), newline)}{newline}idna==3.4{newline}"
    fast, general = _both_ways(text, kind)
    assert fast == general


@pytest.mark.parametrize("line", FAST)
def test_the_fast_lines_take_the_fast_path(line: str) -> None:
    def general_path(*_args: object) -> None:
        raise AssertionError(f"{line!r} took the general path")

    with mock.patch.object(requirements._Reader, "_logical", general_path):
        manifest = parse_requirements(SourceText(PATH, line + "\n", False))
    assert manifest.dependencies or manifest.includes


@pytest.mark.parametrize("line", ["name===1.0.zip\n", 'name===1.0.zip ; python_version > "3"\n'])
def test_an_arbitrary_equality_ending_like_an_archive_is_a_local_file(line: str) -> None:
    """pip reads a line ending like an archive as a local file: no named requirement."""
    fast, general = _both_ways(line, Role.REQUIRE)
    assert fast == general
    assert fast.dependencies == ()


_PIECES = st.sampled_from(
    [
        "name",
        "Name_2",
        "[x]",
        "[a, b]",
        "==1.0",
        ">=1,<2",
        " ",
        "\t",
        ";",
        "python_version",
        ">=",
        '"3.11"',
        "'3'",
        "and",
        "#",
        " # c",
        " --hash=sha256:ab",
        " -x",
        "$",
        "${PY}",
        "\\",
        "-r",
        "-c",
        "--requirement",
        "--constraint",
        "=",
        "base.txt",
        "../x.txt",
        ":",
        '"',
        "\u00a0",
        "\n",
        "\r\n",
    ]
)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=14).map("".join), st.sampled_from([Role.REQUIRE, Role.CONSTRAIN]))
def test_property_fast_and_general_paths_agree(text: str, kind: Role) -> None:
    fast, general = _both_ways(text, kind)
    assert fast == general
