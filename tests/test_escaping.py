"""Spec text can never become code: the ``pystr`` and ``docstring`` filters, and a hostile spec end to end.

Every string a template prints from the spec goes through ``pystr`` (a Python
string literal) or ``docstring`` (text inside a triple-quoted docstring), see
generator/pipeline/render.py. If a test here fails, a spec author can break or inject
code into generated clients: fix the filter (or the template that bypasses
it), never this test.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import pipeline
from generator.errors import ClientsmithError
from generator.pipeline import write
from generator.pipeline.render import docstring, pystr

HOSTILE = [
    "",
    "plain",
    "'",
    '"',
    "'''",
    '"""',
    '""""',
    '"""""',
    'ends with a quote"',
    'ends with a quote" ',
    'ends with a quote"\n',
    'ends with a quote"\t\n  ',
    'ends with a quote"\x00',
    'ends with a quote"\u2028',
    '"starts with a quote',
    "\\",
    "trailing backslash\\",
    'backslash quote \\"',
    'backslash triple \\"""',
    "\\n is not a newline",
    "\\x41\\u0041\\N{BULLET}",
    "line one\nline two",
    "crlf\r\nline",
    "cr only\rline",
    "tab\there",
    "nul\x00byte",
    "bell\x07 vt\x0b ff\x0c esc\x1b del\x7f",
    "\x85 next line, \u2028 line separator, \u2029 paragraph separator",
    "lone surrogates \ud800 \udfff \udc00",
    "{{ 7 * 7 }} {% if true %}x{% endif %} {# comment #} {% raw %}",
    "{{ lipsum.__globals__.os.system('touch pwned') }}",
    '"""; import os; os.system("x") #',
    "'''; import os; os.system('x') #",
    '"; import os; os.system("x") #',
    '\\"; import os; os.system("x") #',
    '\n"""\nimport os\nos.system("x")\n"""\n',
    "émoji 🐍 and 日本語 and RTL \u202e override",
    "   leading and trailing whitespace   ",
]

# Characters that break naive escaping, mixed with arbitrary text (and lone surrogates).
_NASTY = st.sampled_from(list("\"'\\\n\r\t\x00\x0b\x7f\x85\u2028\u2029{}%# ") + ['"""', "'''", "\\\\", "\r\n"])
NASTY_TEXT = st.lists(_NASTY | st.characters() | st.characters(categories=["Cs"]), max_size=40).map("".join)


# -- pystr -----------------------------------------------------------------------
def check_pystr(value: str) -> None:
    literal = pystr(value)
    assert "\n" not in literal and "\r" not in literal, f"pystr({value!r}) spans several lines: {literal!r}"
    tree = ast.parse(literal, mode="eval")
    assert isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str), (
        f"pystr({value!r}) = {literal!r} is not a single string literal: spec text would run as code; fix render.pystr"
    )
    assert eval(literal, {"__builtins__": {}}) == value, (
        f"pystr({value!r}) = {literal!r} evaluates to {eval(literal)!r}, not the original text; fix render.pystr"
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_pystr_round_trips_hostile_strings(value: str) -> None:
    check_pystr(value)


@settings(max_examples=500, deadline=None)
@given(NASTY_TEXT)
def test_pystr_round_trips_any_text(value: str) -> None:
    check_pystr(value)


def test_pystr_of_non_strings() -> None:
    assert pystr(3) == '"3"', "pystr formats non-strings with str()"
    assert eval(pystr(None)) == "None"


# -- docstring -------------------------------------------------------------------
def _visible(text: str) -> list[str]:
    """The words of ``text`` once control characters (which docstring blanks out) are spaces."""
    text = "".join(" " if (ord(ch) < 32 and ch != "\n") or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text.split()


def check_docstring(value: str, indent: int = 4) -> None:
    body = docstring(value, indent)
    source = 'def f():\n    """' + body + '"""\n    return 42\n'
    try:
        code = compile(source, "<generated>", "exec")
    except (SyntaxError, ValueError) as exc:
        pytest.fail(
            f"docstring({value!r}) breaks the generated function ({exc}); source:\n{source}\n"
            "fix render.docstring so no spec text can end or corrupt a docstring"
        )
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef) and len(tree.body) == 1, (
        f"docstring({value!r}) made the module contain more than the function: the docstring ended early:\n{source}"
    )
    assert len(function.body) == 2 and isinstance(function.body[1], ast.Return), (
        f"docstring({value!r}) swallowed or added statements in the function body (docstring ended early):\n{source}"
    )
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - only a docstring and `return 42`
    assert namespace["f"]() == 42
    doc = namespace["f"].__doc__
    assert isinstance(doc, str), f"docstring({value!r}) did not produce a docstring:\n{source}"
    assert doc.split() == _visible(value), (
        f"docstring({value!r}) changed the text beyond whitespace: the docstring reads {doc!r}; "
        "render.docstring must keep every visible character (escaping \\ and \"\"\")"
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_docstring_never_ends_early(value: str) -> None:
    check_docstring(value)


@settings(max_examples=500, deadline=None)
@given(NASTY_TEXT, st.sampled_from([0, 4, 8, 12]))
def test_docstring_never_ends_early_for_any_text(value: str, indent: int) -> None:
    check_docstring(value, indent)


def test_docstring_indents_continuation_lines() -> None:
    assert docstring("first\nsecond\n\nthird", 8) == "first\n        second\n\n        third", (
        "continuation lines must be indented by `indent`, blank lines left empty"
    )


# -- end to end -------------------------------------------------------------------
def _payloads(marker: Path) -> list[str]:
    m = str(marker)
    return [
        f'"""; open({m!r}, "w").close() #',
        f"'''; open({m!r}, 'w').close() #",
        f'"; open({m!r}, "w").close() #',
        f"'; open({m!r}, 'w').close() #",
        f'\\"; open({m!r}, "w").close() #',
        f'\n"""\nopen({m!r}, "w").close()\n"""\n',
        f"{{{{ lipsum.__globals__.os.system('touch {m}') }}}} {{% raw %}} {{# x",
        'ends with a quote"\n',
        'trailing backslash \\',
        "nul\x00 line sep\u2028 cr\r end",
    ]


def _hostile_spec(marker: Path) -> dict[str, Any]:
    p = _payloads(marker)
    text = " | ".join(p)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Evil " + p[0] + p[1] + " {{ 7 * 7 }}", "version": "1.0.0" + p[2], "description": text},
        "servers": [{"url": "https://example.com/api" + p[0].replace(" ", ""), "description": text}],
        "tags": [{"name": "evil" + p[0], "description": text}],
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": 'X-Key"', "description": text, "x-clientsmith-prefix": p[2]},
            },
            "schemas": {
                "Thing": {
                    "type": "object",
                    "description": text,
                    "properties": {
                        "name": {"type": "string", "description": text},
                        "kind": {"type": "string", "description": text, "enum": [p[0], p[1], p[4], "plain"]},
                        'weird"prop': {"type": "string", "description": p[5]},
                    },
                }
            },
        },
        "security": [{"ApiKey": []}],
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing" + p[0],
                    "tags": ["evil" + p[0]],
                    "summary": p[5],
                    "description": p[7],
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "description": p[8], "schema": {"type": "string"}},
                        {
                            "name": 'q"uote\\',
                            "in": "query",
                            "description": text,
                            "schema": {"type": "string", "enum": [p[0], p[3], "safe"], "default": p[0]},
                        },
                        {"name": "X-Evil'", "in": "header", "description": p[1], "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {
                            "description": text,
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                        },
                        "404": {"description": p[0]},
                    },
                },
                "post": {
                    "summary": text,
                    "deprecated": True,
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "requestBody": {
                        "description": p[1],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    },
                    "responses": {"204": {"description": p[6]}},
                },
            }
        },
    }


@pytest.fixture
def import_isolation(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    before = set(sys.modules)
    yield monkeypatch
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_hostile_spec_generates_inert_code(tmp_path: Path, import_isolation: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "PWNED"
    spec_path = tmp_path / "hostile.yaml"
    spec = _hostile_spec(marker)
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    assert yaml.safe_load(spec_path.read_text("utf-8")) == spec, "test setup: the YAML dump must round-trip"

    package = f"hostile_api_{uuid.uuid4().hex[:8]}"
    generated = pipeline.build(spec_path, package)
    assert not marker.exists(), "generating the client executed spec text (Jinja renders a spec value as a template?)"

    python_files = {path: text for path, text in generated.files.items() if path.endswith(".py")}
    assert f"{package}/resources/evil.py" in python_files or any("/resources/" in p for p in python_files)
    for path, text in python_files.items():
        try:
            compile(text, path, "exec")
        except SyntaxError as exc:
            pytest.fail(f"generated {path} does not compile ({exc}): spec text escaped its filter in the templates")

    pyproject = tomllib.loads(generated.files["pyproject.toml"])
    assert pyproject["project"]["description"] == f"Typed Python client for the {spec['info']['title']}", (
        "pyproject.toml must carry the spec title exactly (TOML string escaping)"
    )

    output = tmp_path / "out"
    write.write_package(output, generated.files)
    import_isolation.syspath_prepend(str(output))
    module = importlib.import_module(package)
    for sub in ("_runtime", "_client", "models", "resources"):
        importlib.import_module(f"{package}.{sub}")
    for resource in (output / package / "resources").glob("*.py"):
        importlib.import_module(f"{package}.resources.{resource.stem}")
    assert not marker.exists(), "importing the generated client executed code injected through the spec"

    assert "{{ 7 * 7 }}" in (module.__doc__ or ""), "Jinja syntax in the title must come out literally"

    # The hostile wire names and the enum default must reach the wire exactly.
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"name": "x", "kind": "plain"})

    with module.Client(api_key="k", base_url="https://example.com", http_client=httpx.Client(transport=httpx.MockTransport(answer))) as client:
        group = next(name for name in dir(client) if name.startswith("evil"))
        resource = getattr(client, group)
        method = next(name for name in dir(resource) if name.startswith("get_thing"))
        getattr(resource, method)("42")
    assert len(seen) == 1
    request = seen[0]
    assert request.url.path.endswith("/things/42")
    assert request.url.params.get('q"uote\\') == _payloads(marker)[0], (
        f"query parameter wire name or default did not survive escaping: {dict(request.url.params)}"
    )
    assert request.headers.get('X-Key"', "").endswith("k"), f"API key header name did not survive: {dict(request.headers)}"
    assert not marker.exists(), "calling the generated client executed injected code"


def test_control_characters_in_title_keep_pyproject_valid_toml(tmp_path: Path) -> None:
    """pyproject.toml is rendered with ``pystr``; Python's ``\\xHH`` escapes are not valid TOML 1.0."""
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Ctl\x01 del\x7f nel\x85 tab\t end", "version": "1.0"},
        "paths": {"/a": {"get": {"operationId": "getA", "responses": {"200": {"description": "ok"}}}}},
    }
    spec_path = tmp_path / "ctl.json"
    spec_path.write_text(json.dumps(spec), "utf-8")
    generated = pipeline.build(spec_path, "ctl_api")
    try:
        pyproject = tomllib.loads(generated.files["pyproject.toml"])
    except tomllib.TOMLDecodeError as exc:
        pytest.fail(
            f"generated pyproject.toml is not valid TOML ({exc}): templates/package/pyproject.toml.jinja renders "
            "strings with the Python filter `pystr`, whose \\xHH escapes TOML rejects; use \\uXXXX escapes "
            "(valid in both) or a TOML-specific filter"
        )
    assert pyproject["project"]["description"] == "Typed Python client for the " + spec["info"]["title"]


def test_lone_surrogate_in_json_spec_is_reported_not_a_crash(tmp_path: Path) -> None:
    """JSON may spell a lone surrogate (``"\\ud800"``); it cannot be written as UTF-8."""
    spec_path = tmp_path / "surrogate.json"
    spec_path.write_text(
        '{"openapi": "3.0.3", "info": {"title": "Bad \\ud800 title", "version": "1"},'
        ' "paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}}}}',
        "utf-8",
    )
    try:
        generated = pipeline.build(spec_path, "surrogate_api")
    except ClientsmithError:
        return  # a clean, located error is fine
    except UnicodeError as exc:
        pytest.fail(
            f"a lone surrogate in the spec crashes generation with {type(exc).__name__}: {exc} (the CLI reports an "
            "'internal error'); reject it in loader.read_document with the file and pointer, or replace it"
        )
    for text in generated.files.values():
        text.encode("utf-8")  # every file must be writable
