"""Building the IR from small inline specs: parameters, bodies, responses, types, security."""

from __future__ import annotations

from typing import Any

import pytest

from generator.pipeline import ir
from generator.pipeline.parse import build_ir
from generator.pipeline.prepare import example_text


def _spec(paths: dict[str, Any], *, version: str = "3.0.3", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "T", "version": "1"}, "paths": paths, **extra}


def _only(api: ir.Api) -> ir.Operation:
    assert len(api.operations) == 1, f"expected one operation, got {[op.py_name for op in api.operations]}"
    return api.operations[0]


def test_path_level_parameters_merge_and_operation_level_wins() -> None:
    spec = _spec(
        {
            "/items/{itemId}": {
                "parameters": [
                    {"name": "itemId", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                ],
                "get": {
                    "operationId": "getItem",
                    "parameters": [{"name": "verbose", "in": "query", "schema": {"type": "string"}, "description": "own"}],
                    "responses": {"204": {"description": "none"}},
                },
            }
        }
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert [(p.py_name, p.location, p.annotation) for p in op.parameters] == [
        ("item_id", "path", "int"),
        ("verbose", "query", "str"),
    ], "path-level parameters must be merged, and the operation's own definition must override them"
    assert op.return_annotation == "None"


def test_referenced_parameters_bodies_and_responses_are_resolved() -> None:
    spec = _spec(
        {
            "/pets": {
                "post": {
                    "operationId": "addPet",
                    "parameters": [{"$ref": "#/components/parameters/Trace"}],
                    "requestBody": {"$ref": "#/components/requestBodies/PetBody"},
                    "responses": {"201": {"$ref": "#/components/responses/PetResponse"}, "404": {"description": "missing"}},
                }
            }
        },
        components={
            "parameters": {"Trace": {"name": "X-Trace-Id", "in": "header", "schema": {"type": "string"}}},
            "requestBodies": {"PetBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}}}},
            "responses": {"PetResponse": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}},
            "schemas": {
                "NewPet": {"type": "object", "properties": {"name": {"type": "string"}}},
                "Pet": {"type": "object", "properties": {"id": {"type": "integer"}}},
            },
        },
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert [(p.py_name, p.location, p.wire_name) for p in op.parameters] == [("x_trace_id", "header", "X-Trace-Id")]
    assert op.body is not None and (op.body.py_name, op.body.annotation, op.body.required) == ("new_pet", "NewPet", True)
    assert op.return_annotation == "Pet"
    assert [r.status for r in op.errors] == ["404"]


def test_inline_response_object_is_hoisted_under_a_deterministic_name() -> None:
    spec = _spec(
        {
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "object", "properties": {"count": {"type": "integer"}}}}},
                        }
                    },
                }
            }
        }
    )
    api = build_ir(spec, "t.yaml", "t")
    assert _only(api).return_annotation == "ListThings200Response"
    assert "ListThings200Response" in api.model_document["components"]["schemas"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("version", "schema", "expected"),
    [
        ("3.0.3", {"type": "string", "nullable": True}, "str | None"),
        ("3.1.0", {"type": ["string", "null"]}, "str | None"),
        ("3.1.0", {"anyOf": [{"type": "integer"}, {"type": "null"}]}, "int | None"),
        ("3.0.3", {"type": "array", "items": {"type": "string", "format": "date-time"}}, "list[datetime.datetime]"),
        ("3.0.3", {"type": "string", "enum": ["a", "b"]}, "Literal['a', 'b']"),
        ("3.0.3", {"type": "object", "additionalProperties": {"type": "integer"}}, "dict[str, int]"),
        ("3.0.3", {"type": "object"}, "dict[str, Any]"),
        ("3.0.3", {"type": "string", "format": "binary"}, "bytes"),
    ],
)
def test_parameter_annotations(version: str, schema: dict[str, Any], expected: str) -> None:
    spec = _spec(
        {"/x": {"get": {"operationId": "x", "parameters": [{"name": "p", "in": "query", "schema": schema}], "responses": {"204": {"description": "ok"}}}}},
        version=version,
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert op.parameters[0].annotation == expected, f"{schema} in OpenAPI {version}"


def test_defaults_become_python_literals_and_required_parameters_come_first() -> None:
    spec = _spec(
        {
            "/x/{id}": {
                "get": {
                    "operationId": "x",
                    "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 50}},
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "order_by", "in": "query", "schema": {"type": "string", "default": "id"}},
                    ],
                    "responses": {"204": {"description": "ok"}},
                }
            }
        }
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert [(p.py_name, p.required, p.default_repr) for p in op.parameters] == [
        ("id", True, None),
        ("limit", False, "50"),
        ("order_by", False, "'id'"),
    ]


def test_security_is_inherited_overridden_and_disabled() -> None:
    spec = _spec(
        {
            "/a": {"get": {"operationId": "a", "responses": {"204": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "b", "security": [{"Bearer": []}], "responses": {"204": {"description": "ok"}}}},
            "/c": {"get": {"operationId": "c", "security": [], "responses": {"204": {"description": "ok"}}}},
        },
        security=[{"Key": []}],
        components={
            "securitySchemes": {
                "Key": {"type": "apiKey", "in": "query", "name": "key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            }
        },
    )
    api = build_ir(spec, "t.yaml", "t")
    assert {op.py_name: op.security for op in api.operations} == {"a": [["Key"]], "b": [["Bearer"]], "c": []}
    assert {s.key: (s.kind, s.arg_name, s.location) for s in api.security_schemes} == {
        "Key": ("api_key", "key", "query"),
        "Bearer": ("bearer", "access_token", "header"),
    }


def test_colliding_operation_names_in_one_group_are_deduplicated() -> None:
    spec = _spec(
        {
            "/a": {"get": {"operationId": "fooBar", "tags": ["t"], "responses": {"204": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "foo_bar", "tags": ["t"], "responses": {"204": {"description": "ok"}}}},
        }
    )
    api = build_ir(spec, "t.yaml", "t")
    assert [op.py_name for op in api.operations] == ["foo_bar", "foo_bar_2"]


def test_content_type_preference_and_text_bodies() -> None:
    spec = _spec(
        {
            "/x": {
                "post": {
                    "operationId": "x",
                    "requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "string"}}}},
                    "responses": {"200": {"description": "ok", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
                }
            }
        }
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert op.body is not None and (op.body.content_type, op.body.encoding) == ("application/json", "json")
    assert op.return_annotation == "bytes"


def test_flattened_body_properties_become_arguments() -> None:
    spec = _spec(
        {
            "/x": {
                "patch": {
                    "operationId": "x",
                    "requestBody": {
                        "required": True,
                        "x-clientsmith-flatten": True,
                        "content": {"application/json": {"schema": {"type": "object", "required": ["ops"], "properties": {"ops": {"type": "array", "items": {"type": "string"}}, "dryRun": {"type": "boolean"}}}}},
                    },
                    "responses": {"204": {"description": "ok"}},
                }
            }
        }
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert [(p.py_name, p.wire_name, p.required, p.annotation) for p in op.parameters_in("body")] == [
        ("ops", "ops", True, "list[str]"),
        ("dry_run", "dryRun", False, "bool"),
    ]


def test_polymorphic_base_is_detected_and_its_discriminator_left_to_dispatch() -> None:
    spec = _spec(
        {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}}},
        components={
            "schemas": {
                "Pet": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {"kind": {"type": "string"}},
                    "discriminator": {"propertyName": "kind", "mapping": {"cat": "#/components/schemas/Cat"}},
                },
                "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {"meows": {"type": "boolean"}}}]},
            }
        },
    )
    api = build_ir(spec, "t.yaml", "t")
    assert api.polymorphic == [ir.Polymorphic("Pet", "kind", (("cat", "Cat"),))]
    assert "discriminator" not in api.model_document["components"]["schemas"]["Pet"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"example": "abc"}, "'abc'"),
        ({"example": 3, "examples": [4]}, "3"),  # `example` wins
        ({"examples": [True, False]}, "True"),  # 3.1 schema: a list, the first one shown
        ({"examples": {"one": {"value": {"a": [1, None]}}}}, "{'a': [1, None]}"),  # parameter / media type: a map
        ({"examples": {"one": {"$ref": "#/components/examples/One"}}}, ""),  # referenced: skipped
        ({"example": None}, ""),  # null says nothing
        ({"example": "x" * 200}, ""),  # too long for a docstring
        ({}, ""),
    ],
)
def test_example_text(node: dict[str, Any], expected: str) -> None:
    assert example_text(node) == expected, f"example_text({node!r})"


def test_flattened_body_leaves_read_only_properties_out() -> None:
    spec = _spec(
        {
            "/p": {
                "post": {
                    "operationId": "makeP",
                    "requestBody": {
                        "required": True,
                        "x-clientsmith-flatten": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["id", "name"],
                                    "properties": {"id": {"type": "integer", "readOnly": True}, "name": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {"204": {"description": "ok"}},
                }
            }
        }
    )
    op = _only(build_ir(spec, "t.yaml", "t"))
    assert [p.py_name for p in op.parameters] == ["name"], "a readOnly property is set by the server: no argument for it"
