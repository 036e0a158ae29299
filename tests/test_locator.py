"""The locator against tomli: every value tomli reads is found where it is written."""

from __future__ import annotations

import datetime
import json
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from pinaudit.locator import (
    Located,
    SpanMaker,
    TomlMap,
    ValueKind,
    locate_json,
    split_requirement,
    string_map,
    toml_comments,
)
from pinaudit.model import LineIndex


def leaves(
    data: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from leaves(value, (*path, index))
    else:
        yield path, data


def assert_located(text: str) -> TomlMap:
    """Every leaf tomli reads is located, and its text reads back as the same value."""
    data = tomli.loads(text)
    located = TomlMap(text)
    for path, value in leaves(data):
        node = located.get(*path)
        assert node is not None, path
        if isinstance(value, str):
            assert node.is_string, path
            assert located.string_map(node)[0] == value, path
        else:
            again = tomli.loads("v = " + text[node.start : node.end])["v"]
            assert again == value or (again != again and value != value), path  # nan
    return located


def slice_of(text: str, located: TomlMap, *path: str | int) -> str:
    node = located.get(*path)
    assert node is not None, path
    start, end = node.inner(text)
    return text[start:end]


TRICKY = r"""# a comment with "quotes" and [brackets]
title = "TOML \"quoted\" \u00e9"   # trailing comment
'literal key' = 'C:\path\no-escape'
"quoted.key" = 1
dotted . key.inner = true
bare-key_1 = 1979-05-27T07:32:00Z
local-date-time = 1979-05-27 07:32:00
numbers = [ 1, 2_000, -3.5e2, inf, nan, 0x1F ]

[project]
name = "seed"
dependencies = [
    "uvicorn>=0.13,<0.14",  # why: the server
    # a comment line inside the array, with a ] bracket
    'wsproto',
    "click ; python_version < \"3.12\"",
]
multi = QQQ
first line
  ] not a bracket "" that counts
QQQ
literal-multi = SSS
raw \n text ]SSS
nested = [[1, 2], ["a", "b]"], { x = 1, y = [ "z" ] }]

[tool.poetry.dependencies]
uvicorn = {version = "^0.13.4", extras = ["standard"]}
"quoted name" = { version = "*" }

[[package]]
name = "a"
version = "1.0"

[package.dependencies]
b = ">=1"

[[package]]
name = "b"
version = "2.0"
files = [
    {file = "b-2.0.tar.gz", hash = "sha256:00"},
]

[[package.wheels]]
name = "b-2.0-py3-none-any.whl"

[package.wheels.hashes]
sha256 = "ff"

[[package.wheels]]
name = "b-2.0-py2-none-any.whl"

[package.sdist]
name = "b-2.0.tar.gz"
""".replace("QQQ", '"' * 3).replace("SSS", "'" * 3)


def test_tricky_document_is_fully_located() -> None:
    assert_located(TRICKY)


def test_paths_mirror_tomli_indexing() -> None:
    located = TomlMap(TRICKY)
    text = TRICKY
    assert slice_of(text, located, "project", "dependencies", 0) == "uvicorn>=0.13,<0.14"
    assert slice_of(text, located, "project", "dependencies", 1) == "wsproto"
    assert (
        slice_of(text, located, "tool", "poetry", "dependencies", "uvicorn", "version") == "^0.13.4"
    )
    assert (
        slice_of(text, located, "tool", "poetry", "dependencies", "quoted name", "version") == "*"
    )
    assert slice_of(text, located, "package", 0, "version") == "1.0"
    assert slice_of(text, located, "package", 1, "version") == "2.0"
    assert slice_of(text, located, "package", 0, "dependencies", "b") == ">=1"
    assert slice_of(text, located, "package", 1, "wheels", 0, "hashes", "sha256") == "ff"
    assert slice_of(text, located, "package", 1, "wheels", 1, "name") == "b-2.0-py2-none-any.whl"
    assert slice_of(text, located, "package", 1, "sdist", "name") == "b-2.0.tar.gz"
    assert slice_of(text, located, "dotted", "key", "inner") == "true"
    assert located.length("project", "dependencies") == 3
    assert located.length("package") == 2
    assert located.length("package", 1, "wheels") == 2
    assert located.get("project", "missing") is None
    assert located.get("nope", 3, "x") is None


def test_key_start_covers_the_whole_entry() -> None:
    located = TomlMap(TRICKY)
    node = located.get("tool", "poetry", "dependencies", "uvicorn")
    assert node is not None and node.kind is ValueKind.INLINE_TABLE
    assert (
        TRICKY[node.key_start : node.end]
        == 'uvicorn = {version = "^0.13.4", extras = ["standard"]}'
    )
    element = located.get("project", "dependencies", 2)
    assert element is not None and element.key_start == element.start


@pytest.mark.parametrize(
    ("text", "path", "written"),
    [
        (
            '[tool.poetry.dependencies]\npython = "^3.11"\nuvicorn.version = "0.13.4"\n'
            'uvicorn.optional = false\nwsproto = "1.0"\n',
            ("tool", "poetry", "dependencies", "uvicorn"),
            'uvicorn.version = "0.13.4"\nuvicorn.optional = false',
        ),
        (
            'tool.poetry.dependencies.uvicorn = "0.13.4"\n',
            ("tool", "poetry", "dependencies"),
            'tool.poetry.dependencies.uvicorn = "0.13.4"',
        ),
        (
            '[packages]\nrequests = {extras.socks = true, version = "*"}\n',
            ("packages", "requests", "extras"),
            "extras.socks = true",
        ),
    ],
)
def test_a_table_made_by_dotted_keys_is_located(
    text: str, path: tuple[str, ...], written: str
) -> None:
    """Dotted keys make a table with no statement of its own; it was 'cannot
    locate' (found by fuzzing), so its dependency went unchecked."""
    assert tomli.loads(text)  # valid TOML
    node = TomlMap(text).get(*path)
    assert node is not None and node.kind is ValueKind.TABLE
    assert text[node.key_start : node.end] == written
    assert TomlMap(text).get(*path, "nothing") is None


def test_array_element_extent_includes_its_sub_tables() -> None:
    located = TomlMap(TRICKY)
    first = located.get("package", 0)
    second = located.get("package", 1)
    assert first is not None and second is not None
    assert TRICKY[first.start : first.end] == (
        '[[package]]\nname = "a"\nversion = "1.0"\n\n[package.dependencies]\nb = ">=1"'
    )
    assert TRICKY[second.start :].startswith('[[package]]\nname = "b"')
    assert TRICKY[second.end - len('name = "b-2.0.tar.gz"') : second.end] == 'name = "b-2.0.tar.gz"'


def test_escapes_map_back_to_the_characters_written() -> None:
    text = 'a = "x\\"y\\u00e9z"\n'
    located = TomlMap(text)
    node = located.get("a")
    assert node is not None
    value, offsets, _ = located.string_map(node)
    assert value == 'x"yéz'
    assert offsets is not None
    assert text[offsets[value.index("z")]] == "z"
    assert text[offsets[value.index("é")] : offsets[value.index("z")]] == "\\u00e9"


def test_crlf_documents() -> None:
    text = TRICKY.replace("\n", "\r\n")
    located = assert_located(text)
    assert slice_of(text, located, "package", 1, "version") == "2.0"
    node = located.get("package", 0)
    assert node is not None
    assert text[node.start : node.end].endswith('b = ">=1"')


def test_comments_are_found_outside_strings_only() -> None:
    text = "a = \"# not a comment\" # yes\n# line\nb = '#no'\n"
    assert [comment for _, comment in toml_comments(text)] == ["# yes", "# line"]


def test_watched_values_match_lookups() -> None:
    text = TRICKY
    plain = TomlMap(text)
    watched = TomlMap(text, {"package": "version"})
    expected = [plain.string_offsets("package", index, "version") for index in range(2)]
    assert watched.element_strings("package", "version", 2) == expected
    assert watched.elements("package", 2) == [
        (node.start, node.end)
        for node in (plain.get("package", 0), plain.get("package", 1))
        if node
    ]


def test_array_of_inline_tables_counts_as_elements() -> None:
    text = 'package = [\n  { name = "a", version = "1" },\n  { name = "b", version = "2" },\n]\n'
    located = TomlMap(text, {"package": "version"})
    offsets = located.element_strings("package", "version", 2)
    assert [text[a:b] for a, b in (item for item in offsets if item)] == ["1", "2"]
    elements = located.elements("package", 2)
    assert [text[a:b] for a, b in (item for item in elements if item)] == [
        '{ name = "a", version = "1" }',
        '{ name = "b", version = "2" }',
    ]


def test_version_after_a_complex_value_is_still_found() -> None:
    text = '[[package]]\nname = "a"\nfiles = [\n  "x",\n]\nversion = "3"\n'
    located = TomlMap(text, {"package": "version"})
    (offsets,) = located.element_strings("package", "version", 1)
    assert offsets is not None and text[offsets[0] : offsets[1]] == "3"


def test_quoted_sub_table_headers_inside_elements() -> None:
    text = (
        '[[package]]\nname = "a"\n[package."quoted sub"]\nx = 1\n[package.plain]\n'
        'y = [\n  1,\n]\n[[package]]\nname = "b"\n[package.plain]\ny = 2\n[metadata]\nz = 3\n'
    )
    located = assert_located(text)
    first = located.get("package", 0)
    assert first is not None and text[first.start : first.end].endswith("y = [\n  1,\n]")
    second = located.get("package", 1)
    assert second is not None and text[second.start : second.end].endswith("y = 2")


def test_pathological_nesting_stays_linear() -> None:
    # Deep nesting and many short statements: must finish quickly either way.
    deep = "a = " + "[" * 200 + "]" * 200 + "\n"
    assert_located(deep)
    many = "".join(f'k{i} = "v{i}"\n' for i in range(20000))
    started = time.perf_counter()
    TomlMap(many).get("k19999")
    assert time.perf_counter() - started < 2.0


def test_span_maker_equals_line_index() -> None:
    text = TRICKY.replace("\n", "\r\n") + "tail"
    index = LineIndex(text)
    spans = SpanMaker(text)
    rng = random.Random(4)
    offsets = sorted(rng.sample(range(len(text) + 1), 300)) + rng.sample(range(len(text) + 1), 50)
    for offset in offsets:
        assert spans.position(offset) == index.position(offset)
    points = sorted(rng.sample(range(len(text) + 1), 400))
    fresh = SpanMaker(text)
    for i in range(0, 400, 4):
        a, b, c, d = points[i : i + 4]
        assert fresh.nested(a, d, b, c) == (index.span(a, d), index.span(b, c))


def test_json_locator() -> None:
    text = json.dumps(
        {"_meta": {"x": [1, 2]}, "default": {"uvicorn": {"version": "==0.13.4", "hashes": ["a"]}}},
        indent=4,
    )
    found = locate_json(text, depth=3)
    node = found[("default", "uvicorn", "version")]
    start, end = node.inner(text)
    assert text[start:end] == "==0.13.4"
    entry = found[("default", "uvicorn")]
    assert text[entry.key_start : entry.end].startswith('"uvicorn": {')
    assert text[entry.key_start : entry.end].endswith("}")


def test_json_escapes_map_back() -> None:
    text = '{"a": "x\\u0041\\"b"}'
    node = locate_json(text, depth=1)[("a",)]
    value, offsets, _ = string_map(text, node)
    assert value == 'xA"b'
    assert offsets is not None and text[offsets[3]] == "b"


@pytest.mark.parametrize(
    ("requirement", "name", "spec", "marker"),
    [
        ("uvicorn>=0.13,<0.14", "uvicorn", ">=0.13,<0.14", None),
        (
            "uvicorn [standard] >= 0.13 ; python_version < '3.8'",
            "uvicorn",
            ">= 0.13",
            "python_version < '3.8'",
        ),
        ("h11 (>=0.8)", "h11", ">=0.8", None),
        ("wsproto", "wsproto", "", None),
        ("wsproto[a,b];sys_platform=='linux'", "wsproto", "", "sys_platform=='linux'"),
    ],
)
def test_split_requirement(requirement: str, name: str, spec: str, marker: str | None) -> None:
    parts = split_requirement(requirement)
    assert parts is not None
    assert requirement[slice(*parts.name)] == name
    assert parts.spec is not None
    assert requirement[slice(*parts.spec)] == spec
    assert (requirement[slice(*parts.marker)] if parts.marker else None) == marker


def test_split_requirement_insertion_point_follows_extras() -> None:
    parts = split_requirement("uvicorn[standard] ; os_name == 'nt'")
    assert parts is not None and parts.spec == (17, 17)


def test_split_requirement_url() -> None:
    text = "pkg @ https://example.org/p.tar.gz ; python_version < '3.9'"
    parts = split_requirement(text)
    assert parts is not None and parts.spec is None and parts.url is not None
    assert text[slice(*parts.url)] == "https://example.org/p.tar.gz"


# -- generated documents -------------------------------------------------------

_KEY_CHARS = "abcxyz-_019"


@st.composite
def keys(draw: st.DrawFn) -> tuple[str, str]:
    """(name, how it is written): bare, basic-quoted (with escapes) or literal."""
    name = draw(st.text(_KEY_CHARS + '. é"', min_size=1, max_size=6))
    bare = all(char in _KEY_CHARS for char in name)
    style = draw(st.sampled_from(["bare", "basic", "literal"] if bare else ["basic", "literal"]))
    if style == "bare":
        return name, name
    if style == "literal" and "'" not in name:
        return name, f"'{name}'"
    return name, json.dumps(name)


def _string(draw: st.DrawFn) -> tuple[str, str]:
    value = draw(st.text("ab #[]{}=,\"'\\\né\t", max_size=8))
    style = draw(st.sampled_from(["basic", "literal", "ml-basic", "ml-literal"]))
    if style == "literal" and not set(value) & {"'", "\n"}:
        return value, f"'{value}'"
    if style == "ml-literal" and "'''" not in value and not value.endswith("'"):
        return value, f"'''\n{value}'''"
    if style == "ml-basic":
        escaped = json.dumps(value)[1:-1].replace("\\n", "\n")
        if not escaped.endswith('"'):
            return value, f'"""{escaped}"""'
    return value, json.dumps(value, ensure_ascii=draw(st.booleans()))


def scalar(draw: st.DrawFn) -> tuple[Any, str]:
    kind = draw(st.sampled_from(["str", "int", "bool", "float", "date"]))
    if kind == "str":
        return _string(draw)
    if kind == "int":
        number = draw(st.integers(-(10**6), 10**6))
        return number, str(number)
    if kind == "bool":
        flag = draw(st.booleans())
        return flag, "true" if flag else "false"
    if kind == "float":
        real = draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
        return real, repr(real)
    return datetime.date(2024, 1, 2), "2024-01-02"


def value(draw: st.DrawFn, depth: int) -> tuple[Any, str]:
    choice = draw(
        st.sampled_from(["scalar", "scalar", "array", "inline"] if depth < 3 else ["scalar"])
    )
    if choice == "scalar":
        return scalar(draw)
    if choice == "array":
        items = [value(draw, depth + 1) for _ in range(draw(st.integers(0, 4)))]
        if draw(st.booleans()):
            comments = [draw(st.sampled_from(["", " # c ] ,"])) for _ in items]
            trailing = draw(st.booleans())
            body = "".join(
                f"\n  {text}" + ("," if n < len(items) - 1 or trailing else "") + comment
                for n, ((_, text), comment) in enumerate(zip(items, comments, strict=True))
            )
            indent = draw(st.sampled_from(["", "  ", "\t"]))
            return [v for v, _ in items], f"[{body}\n{indent}]"
        return [v for v, _ in items], "[" + ", ".join(text for _, text in items) + "]"
    members: dict[str, Any] = {}
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        name, written = draw(keys())
        if name in members:
            continue
        member, text = value(draw, depth + 1)
        members[name] = member
        parts.append(f"{written} = {text}")
    return members, "{ " + ", ".join(parts) + " }" if parts else "{}"


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines: list[str] = []
    used: set[str] = set()

    def statements(prefix: str) -> None:
        for _ in range(draw(st.integers(0, 4))):
            name, written = draw(keys())
            if prefix + name in used or any(u.startswith(prefix + name + "\0") for u in used):
                continue
            used.add(prefix + name)
            _, text = value(draw, 0)
            comment = draw(st.sampled_from(["", "  # note", " #"]))
            lines.append(f"{written} = {text}{comment}")
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "# comment [x]", "   "])))

    statements("")
    for index in range(draw(st.integers(0, 3))):
        table = f"t{index}"
        if draw(st.booleans()):
            for _ in range(draw(st.integers(1, 3))):
                lines.append(f"[[{table}]]")
                used.clear()
                statements(f"{table}\0")
                if draw(st.booleans()):
                    lines.append(f"[ {table} . sub ]")
                    statements(f"{table}.sub\0")
        else:
            lines.append(f"[{table}]")
            statements(f"{table}\0")
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + newline


@settings(max_examples=300, deadline=None)
@given(documents())
def test_generated_documents_are_fully_located(text: str) -> None:
    try:
        tomli.loads(text)
    except tomli.TOMLDecodeError:
        return  # the generator produced something TOML refuses; nothing to locate
    assert_located(text)


@settings(max_examples=100, deadline=None)
@given(documents())
def test_watching_does_not_change_what_is_found(text: str) -> None:
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError:
        return
    plain = TomlMap(text)
    watched = TomlMap(text, {"t0": "a"})
    for path, _ in leaves(data):
        assert plain.get(*path) == watched.get(*path)


def test_located_inner_of_multiline_string() -> None:
    text = 'a = """\nxy"""\n'
    node = TomlMap(text).get("a")
    assert isinstance(node, Located) and node.kind is ValueKind.ML_BASIC
    start, end = node.inner(text)
    assert text[start:end] == "xy"
