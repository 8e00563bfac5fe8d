"""The verify oracle's workarounds for openapi-core 0.23 (generator/verify/oracle.py), one by one.

Each test hands the oracle a request built by hand (not by a generated client) and
checks what openapi-core reads back, so a workaround that stops working (or an
openapi-core upgrade that changes behaviour) fails here with the workaround's name,
not somewhere inside a corpus run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from generator.verify.oracle import BASE_URL, Oracle

BASE = BASE_URL


def _spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None, version: str = "3.0.3") -> dict[str, Any]:
    return {
        "openapi": version,
        "info": {"title": "Oracle", "version": "1"},
        "servers": [{"url": BASE}],
        "paths": paths,
        "components": {"schemas": schemas or {}},
    }


def _get(parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"parameters": parameters, "responses": {"204": {"description": "done"}}}}


@pytest.mark.parametrize("value", ["?", ";", "#", "a/b", "%", "a b", "tab\there", "ü"])
def test_path_values_with_url_delimiters_read_back_as_sent(value: str) -> None:
    """A percent-encoded "?", ";", "#" or "/" in a segment must not end the path for openapi-core
    (which reads it with urlparse): they stay encoded while routing and are decoded afterwards."""
    oracle = Oracle(_spec({"/things/{id}": _get([{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}])}))
    reading = oracle.read("/things/{id}", "GET", f"{BASE}/things/{quote(value, safe='')}", [], None)
    assert reading.errors == [], reading.errors
    assert reading.path == {"id": value}, f"{value!r} read back as {reading.path}"


def test_a_nullable_type_list_parameter_is_read_as_its_type() -> None:
    """openapi-core 0.23 cannot deserialise ``type: [integer, "null"]`` parameters: narrowed."""
    schema = {"type": ["integer", "null"]}
    oracle = Oracle(_spec({"/things": _get([{"name": "n", "in": "query", "schema": schema}])}, version="3.1.0"))
    reading = oracle.read("/things", "GET", f"{BASE}/things?n=3", [], None)
    assert reading.errors == [], reading.errors
    assert reading.query == {"n": 3}


def test_an_unknown_format_does_not_refuse_a_parameter() -> None:
    oracle = Oracle(_spec({"/things": _get([{"name": "t", "in": "query", "schema": {"type": "string", "format": "token"}}])}))
    reading = oracle.read("/things", "GET", f"{BASE}/things?t=abc", [], None)
    assert reading.errors == [], reading.errors
    assert reading.query == {"t": "abc"}


def test_a_path_key_with_a_fragment_routes_as_its_own_operation() -> None:
    """Two operations on one URL told apart by ``#fragment`` keys (mistral, box)."""
    paths = {
        "/chat": {"post": {"responses": {"204": {"description": "done"}}}},
        "/chat#stream": {"post": {"parameters": [{"name": "s", "in": "query", "required": True, "schema": {"type": "string"}}], "responses": {"204": {"description": "done"}}}},
    }
    oracle = Oracle(_spec(paths))
    reading = oracle.read("/chat#stream", "POST", f"{BASE}/chat?s=yes", [], None)
    assert reading.errors == [], reading.errors
    assert reading.query == {"s": "yes"}
    missing = oracle.read("/chat#stream", "POST", f"{BASE}/chat", [], None)
    assert missing.errors, "the fragment operation's required parameter must still be checked"


def test_plus_json_bodies_are_read_as_json() -> None:
    paths = {
        "/things": {
            "post": {
                "requestBody": {"required": True, "content": {"application/merge-patch+json": {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}},
                "responses": {"204": {"description": "done"}},
            }
        }
    }
    oracle = Oracle(_spec(paths))
    reading = oracle.read("/things", "POST", f"{BASE}/things", [("content-type", "application/merge-patch+json")], b'{"a": 1}')
    assert reading.errors == [], reading.errors
    assert reading.body == {"a": 1}


def test_a_refused_request_names_the_schema_error() -> None:
    oracle = Oracle(_spec({"/things": _get([{"name": "n", "in": "query", "required": True, "schema": {"type": "integer"}}])}))
    reading = oracle.read("/things", "GET", f"{BASE}/things?n=x", [], None)
    assert reading.errors and "n" in reading.errors[0], reading.errors


def test_verify_expects_exactly_the_defaults_openapi_core_fills() -> None:
    """The request check compares what was passed, plus the defaults openapi-core fills in, with
    what it reads: only non-null defaults of typed properties are filled."""
    from generator.verify.shapes import Shapes, with_defaults

    props = {
        "enabled": {"oneOf": [{"type": "boolean"}, {"type": "null"}], "default": None},
        "userData": {"default": {}, "description": "any value"},
        "typed": {"type": "object", "default": {}},
        "s": {"type": "string", "default": "x"},
        "nb": {"type": "boolean", "nullable": True, "default": None},
    }
    schema = {"type": "object", "properties": props}
    spec = _spec({"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}, "responses": {"204": {"description": "ok"}}}}})
    reading = Oracle(spec).read("/x", "POST", f"{BASE}/x", [("content-type", "application/json")], b"{}")
    assert reading.errors == [], reading.errors
    assert with_defaults(Shapes(spec), {}, schema) == reading.body == {"typed": {}, "s": "x"}


def test_an_all_of_whose_parts_forbid_each_other_is_named() -> None:
    """``allOf: [{additionalProperties: false, properties: {a}}, {properties: {b}}]`` refuses
    every value with ``b`` (algolia's rule params): verify names the place instead of
    failing the client."""
    from generator.verify.shapes import Shapes

    schemas = {
        "Closed": {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}},
        "Params": {"allOf": [{"$ref": "#/components/schemas/Closed"}, {"type": "object", "properties": {"b": {"type": "string"}}}]},
        "Fine": {"allOf": [{"$ref": "#/components/schemas/Closed"}]},
    }
    spec = _spec({}, schemas)
    shapes = Shapes(spec)
    body = {"type": "object", "properties": {"params": {"$ref": "#/components/schemas/Params"}}}
    assert shapes.closed_all_of(body, "requestBody") == "/components/schemas/Params/allOf/0"
    assert shapes.closed_all_of({"$ref": "#/components/schemas/Fine"}) is None
    assert shapes.closed_all_of({"type": "array", "items": {"$ref": "#/components/schemas/Closed"}}) is None


def test_properties_named_like_keywords_are_kept() -> None:
    """A property *named* ``default`` or ``format`` (airbyte's resourceAllocation.default) is a
    property, not a keyword the oracle's clean-up may drop."""
    closed = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"default": {"$ref": "#/components/schemas/Limits"}, "format": {"type": "string"}},
    }
    schemas = {"Limits": {"type": "object", "properties": {"cpu": {"type": "string"}}}}
    paths = {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": closed}}}, "responses": {"204": {"description": "ok"}}}}}
    reading = Oracle(_spec(paths, schemas)).read("/x", "POST", f"{BASE}/x", [("content-type", "application/json")], b'{"default": {"cpu": "1"}, "format": "f"}')
    assert reading.errors == [], reading.errors
    assert reading.body == {"default": {"cpu": "1"}, "format": "f"}


def test_drawn_values_of_deeply_recursive_schemas_stay_valid() -> None:
    """Where recursion is cut, no value is drawn (airbyte's row filters nest ``Not`` operations
    whose ``conditions`` need one item): the union keeps the option that ends; before, the cut
    drew any value, ``null`` included, and the client was blamed for refusing it."""
    from hypothesis import HealthCheck, given, settings
    from jsonschema import Draft202012Validator

    from generator.verify.schemas import Converter, strategy

    schemas = {
        "Op": {"oneOf": [{"$ref": "#/components/schemas/Not"}, {"$ref": "#/components/schemas/Equal"}]},
        "Equal": {"type": "object", "required": ["field"], "properties": {"field": {"type": "string"}}},
        "Not": {
            "type": "object",
            "required": ["conditions"],
            "properties": {"conditions": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Op"}}},
        },
    }
    deep: dict[str, Any] = {"$ref": "#/components/schemas/Op"}
    for _ in range(8):  # the operations sit deep in the response, as they do in airbyte's
        deep = {"type": "object", "required": ["inner"], "properties": {"inner": deep}}
    spec = _spec({}, schemas)
    converted = Converter(spec, "response").convert(deep)
    validator = Draft202012Validator({**deep, "components": {"schemas": schemas}})

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy(converted))
    def check(value: Any) -> None:
        errors = [error.message for error in validator.iter_errors(value)]
        assert not errors, f"drawn {value!r}: {errors[:2]}"

    check()
