"""``clientsmith diff``: one test per rule, the output formats, exit codes and a real spec pair.

Rule tests start from ``tests/fixtures/diff/base.yaml``, edit a copy (the old
and/or the new spec, in a few lines of Python shown next to the expectation)
and assert the exact set of (kind, code, location) the diff reports: the rule
fires, and nothing else does.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline.pytypes import (
    ANY,
    BYTES,
    FLOAT,
    INT,
    NONE,
    STR,
    DictOf,
    ListOf,
    LiteralOf,
    Model,
    TypeNode,
    compare,
    nullable,
    render,
    union,
)
from generator.workflow import diff
from generator.workflow.diff import BREAKING as B
from generator.workflow.diff import NON_BREAKING as N

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "diff"
BASE: dict[str, Any] = yaml.safe_load((FIXTURES / "base.yaml").read_text(encoding="utf-8"))
CODAT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "codat"

Spec = dict[str, Any]


# -- editing helpers ------------------------------------------------------------------
def op(spec: Spec, path: str, method: str) -> dict[str, Any]:
    result: dict[str, Any] = spec["paths"][path][method]
    return result


def param(spec: Spec, path: str, method: str, name: str) -> dict[str, Any]:
    return next(p for p in op(spec, path, method).get("parameters", []) if p["name"] == name)


def schema(spec: Spec, name: str) -> dict[str, Any]:
    result: dict[str, Any] = spec["components"]["schemas"][name]
    return result


def prop(spec: Spec, model: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = schema(spec, model)["properties"][name]
    return result


def add_param(spec: Spec, path: str, method: str, **fields: Any) -> None:
    op(spec, path, method).setdefault("parameters", []).append(fields)


def remove_param(spec: Spec, path: str, method: str, name: str) -> None:
    operation = op(spec, path, method)
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != name]


def set_response(spec: Spec, path: str, method: str, status: str, body_schema: dict[str, Any]) -> None:
    op(spec, path, method)["responses"][status]["content"]["application/json"]["schema"] = body_schema


def set_body(spec: Spec, path: str, method: str, body_schema: dict[str, Any], name: str | None = None) -> None:
    body: dict[str, Any] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    if name is not None:
        body["x-clientsmith-body-name"] = name
    op(spec, path, method)["requestBody"] = body


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _noop(spec: Spec) -> None:
    pass


def _chain(*edits: Callable[[Spec], None]) -> Callable[[Spec], None]:
    def run(spec: Spec) -> None:
        for edit in edits:
            edit(spec)

    return run


def write(folder: Path, name: str, spec: Spec) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def report_for(tmp_path: Path, old_edit: Callable[[Spec], None], new_edit: Callable[[Spec], None]) -> diff.Report:
    old, new = copy.deepcopy(BASE), copy.deepcopy(BASE)
    old_edit(old)
    new_edit(new)
    return diff.diff_specs(write(tmp_path, "old.yaml", old), write(tmp_path, "new.yaml", new), "pets")


# -- one case per rule ------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    new: Callable[[Spec], None]
    expected: frozenset[tuple[str, str, str]]  # (kind, code, location)
    old: Callable[[Spec], None] = _noop


def case(name: str, new: Callable[[Spec], None], *expected: tuple[str, str, str], old: Callable[[Spec], None] = _noop) -> Case:
    return Case(name, new, frozenset(expected), old)


def _pets_get(spec: Spec) -> dict[str, Any]:
    return op(spec, "/pets", "get")


def _drop_delete(spec: Spec) -> None:
    del spec["paths"]["/pets/{petId}"]["delete"]


def _move_get_pet(spec: Spec) -> None:
    spec["paths"]["/animals/{animalId}"] = {"get": spec["paths"]["/pets/{petId}"].pop("get")}
    op(spec, "/animals/{animalId}", "get")["parameters"][0]["name"] = "animalId"
    op(spec, "/animals/{animalId}", "get")["parameters"][0]["x-clientsmith-name"] = "pet_id"


def _query(name: str, required: bool = False, **schema_: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema_ or {"type": "string"}}


def _required_queries(*names: str) -> Callable[[Spec], None]:
    def edit(spec: Spec) -> None:
        for name in names:
            add_param(spec, "/pets/{petId}", "get", **_query(name, required=True))

    return edit


def _bearer(spec: Spec) -> None:
    spec["components"]["securitySchemes"]["Bearer"] = {"type": "http", "scheme": "bearer"}


def _add_owner(spec: Spec) -> None:
    owner = {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}
    schema(spec, "Pet")["properties"]["owner"] = owner


def _add_tree(spec: Spec) -> None:
    child = {"type": "array", "items": {"$ref": "#/components/schemas/Tree/properties/node"}}
    node = {"type": "object", "properties": {"label": {"type": "string"}, "children": child}}
    spec["components"]["schemas"]["Tree"] = {"type": "object", "properties": {"node": node}}


def _set(getter: Callable[[Spec], dict[str, Any]], **values: Any) -> Callable[[Spec], None]:
    return lambda spec: getter(spec).update(values)


def _pop(getter: Callable[[Spec], dict[str, Any]], key: str) -> Callable[[Spec], None]:
    return lambda spec: getter(spec).pop(key)


CASES = [
    # operations and groups
    case("operation-removed", _drop_delete, (B, "operation-removed", "pets.delete_pet")),
    case("operation-added", _noop, (N, "operation-added", "pets.delete_pet"), old=_drop_delete),
    case(
        "operation-renamed-method",
        _set(lambda s: op(s, "/pets/{petId}", "get"), operationId="fetchPet"),
        (B, "operation-renamed", "pets.get_pet"),
    ),
    case(
        "operation-renamed-group",
        _set(lambda s: op(s, "/pets/{petId}", "get"), tags=["animals"]),
        (B, "operation-renamed", "pets.get_pet"),
        (N, "resource-group-added", "animals"),
    ),
    case(
        "operation-matched-by-path-despite-variable-rename",
        _chain(
            lambda s: s["paths"].__setitem__("/pets/{id}", s["paths"].pop("/pets/{petId}")),
            _set(lambda s: param(s, "/pets/{id}", "get", "petId"), name="id", **{"x-clientsmith-name": "pet_id"}),
            _set(lambda s: param(s, "/pets/{id}", "delete", "petId"), name="id", **{"x-clientsmith-name": "pet_id"}),
        ),
    ),
    case("operation-endpoint-changed", _move_get_pet, (B, "operation-endpoint-changed", "pets.get_pet")),
    case(
        "operation-deprecated",
        _set(lambda s: op(s, "/pets/{petId}", "delete"), deprecated=True),
        (N, "operation-deprecated", "pets.delete_pet"),
    ),
    case(
        "resource-group-removed",
        lambda s: s["paths"].pop("/stores"),
        (B, "resource-group-removed", "stores"),
        (B, "operation-removed", "stores.list_stores"),
    ),
    case(
        "pagination-removed",
        _set(_pets_get, **{"x-clientsmith-pagination": False}),
        (B, "pagination-removed", "pets.iter_list_pets"),
    ),
    case(
        "pagination-added",
        _noop,
        (N, "pagination-added", "pets.iter_list_pets"),
        old=_set(_pets_get, **{"x-clientsmith-pagination": False}),
    ),
    # parameters
    case(
        "parameter-removed",
        lambda s: remove_param(s, "/pets", "get", "X-Trace"),
        (B, "parameter-removed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-renamed",
        _set(lambda s: param(s, "/pets", "get", "X-Trace"), **{"x-clientsmith-name": "trace_id"}),
        (B, "parameter-renamed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-renamed-on-the-wire-and-in-python",
        _set(lambda s: param(s, "/pets", "get", "X-Trace"), name="X-Request-Id"),
        (B, "parameter-renamed", "pets.list_pets(x_trace)"),
        (B, "parameter-wire-name-changed", "pets.list_pets(x_request_id)"),
    ),
    case(
        "parameter-wire-name-changed",
        _set(lambda s: param(s, "/pets", "get", "X-Trace"), name="X_Trace"),
        (B, "parameter-wire-name-changed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-location-changed",
        _set(lambda s: param(s, "/pets", "get", "X-Trace"), **{"in": "query"}),
        (B, "parameter-location-changed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-became-required",
        _set(lambda s: param(s, "/pets", "get", "offset"), required=True),
        (B, "parameter-became-required", "pets.list_pets(offset)"),
    ),
    case(
        "parameter-became-optional",
        _noop,
        (N, "parameter-became-optional", "pets.list_pets(offset)"),
        old=_set(lambda s: param(s, "/pets", "get", "offset"), required=True),
    ),
    case(
        "required-parameter-added",
        lambda s: add_param(s, "/pets", "get", **_query("owner", required=True)),
        (B, "required-parameter-added", "pets.list_pets(owner)"),
    ),
    case(
        "optional-parameter-added",
        lambda s: add_param(s, "/pets", "get", **_query("owner")),
        (N, "optional-parameter-added", "pets.list_pets(owner)"),
    ),
    case(
        "parameter-type-narrowed",
        _pop(lambda s: param(s, "/pets", "get", "X-Trace")["schema"], "nullable"),
        (B, "parameter-type-narrowed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-type-widened",
        _noop,
        (N, "parameter-type-widened", "pets.list_pets(x_trace)"),
        old=_pop(lambda s: param(s, "/pets", "get", "X-Trace")["schema"], "nullable"),
    ),
    case(
        "parameter-type-widened-int-to-float",
        _set(lambda s: param(s, "/pets", "get", "offset")["schema"], type="number"),
        (N, "parameter-type-widened", "pets.list_pets(offset)"),
    ),
    case(
        "parameter-type-changed",
        _set(lambda s: param(s, "/pets", "get", "X-Trace")["schema"], type="integer"),
        (B, "parameter-type-changed", "pets.list_pets(x_trace)"),
    ),
    case(
        "parameter-default-changed",
        _set(lambda s: param(s, "/pets", "get", "limit")["schema"], default=50),
        (B, "parameter-default-changed", "pets.list_pets(limit)"),
    ),
    case(
        "parameter-order-changed",
        _required_queries("b", "a"),
        (B, "parameter-order-changed", "pets.get_pet"),
        old=_required_queries("a", "b"),
    ),
    case(
        "parameter-enum-value-removed",
        _set(lambda s: param(s, "/pets", "get", "sort")["schema"], enum=["name"]),
        (B, "enum-value-removed", "pets.list_pets(sort)"),
    ),
    case(
        "parameter-enum-value-added",
        _set(lambda s: param(s, "/pets", "get", "sort")["schema"], enum=["name", "age", "id"]),
        (N, "enum-value-added", "pets.list_pets(sort)"),
    ),
    case(
        "parameter-enum-reordered-is-no-change",
        _set(lambda s: param(s, "/pets", "get", "sort")["schema"], enum=["age", "name"]),
    ),
    case(
        "parameter-enum-in-list-value-removed",
        _set(lambda s: param(s, "/pets", "get", "sort"), schema={"type": "array", "items": {"type": "string", "enum": ["name"]}}),
        (B, "enum-value-removed", "pets.list_pets(sort)"),
        old=_set(lambda s: param(s, "/pets", "get", "sort"), schema={"type": "array", "items": {"type": "string", "enum": ["name", "age"]}}),
    ),
    # request bodies
    case(
        "request-body-added-required",
        _noop,
        (B, "request-body-added-required", "pets.create_pet(new_pet)"),
        old=_pop(lambda s: op(s, "/pets", "post"), "requestBody"),
    ),
    case(
        "request-body-added",
        _set(lambda s: op(s, "/pets", "post")["requestBody"], required=False),
        (N, "request-body-added", "pets.create_pet(new_pet)"),
        old=_pop(lambda s: op(s, "/pets", "post"), "requestBody"),
    ),
    case(
        "request-body-removed",
        _pop(lambda s: op(s, "/pets", "post"), "requestBody"),
        (B, "request-body-removed", "pets.create_pet(new_pet)"),
    ),
    case(
        "request-body-became-required",
        _noop,
        (B, "request-body-became-required", "pets.create_pet(new_pet)"),
        old=_set(lambda s: op(s, "/pets", "post")["requestBody"], required=False),
    ),
    case(
        "request-body-became-optional",
        _set(lambda s: op(s, "/pets", "post")["requestBody"], required=False),
        (N, "request-body-became-optional", "pets.create_pet(new_pet)"),
    ),
    case(
        "request-body-renamed",
        _set(lambda s: op(s, "/pets", "post")["requestBody"], **{"x-clientsmith-body-name": "pet_in"}),
        (B, "request-body-renamed", "pets.create_pet(new_pet)"),
    ),
    case(
        "request-body-type-changed",
        lambda s: set_body(s, "/pets", "post", ref("Pet"), name="body"),
        (B, "request-body-type-changed", "pets.create_pet(body)"),
        old=lambda s: set_body(s, "/pets", "post", ref("NewPet"), name="body"),
    ),
    case(
        "request-body-type-narrowed",
        lambda s: set_body(s, "/pets", "post", {"type": "string"}),
        (B, "request-body-type-narrowed", "pets.create_pet(body)"),
        old=lambda s: set_body(s, "/pets", "post", {"type": "string", "nullable": True}),
    ),
    case(
        "request-body-type-widened",
        lambda s: set_body(s, "/pets", "post", {"type": "string", "nullable": True}),
        (N, "request-body-type-widened", "pets.create_pet(body)"),
        old=lambda s: set_body(s, "/pets", "post", {"type": "string"}),
    ),
    # return values
    case(
        "return-type-changed",
        lambda s: set_response(s, "/pets/{petId}", "get", "200", ref("PetList")),
        (B, "return-type-changed", "pets.get_pet()"),
    ),
    case(
        "return-type-widened-is-breaking",
        lambda s: set_response(s, "/pets/{petId}", "get", "200", {"allOf": [ref("Pet")], "nullable": True}),
        (B, "return-type-changed", "pets.get_pet()"),
    ),
    case(
        "return-type-narrowed",
        _noop,
        (N, "return-type-narrowed", "pets.get_pet()"),
        old=lambda s: set_response(s, "/pets/{petId}", "get", "200", {"allOf": [ref("Pet")], "nullable": True}),
    ),
    # models
    case("model-removed", lambda s: s["components"]["schemas"].pop("Kind"), (B, "model-removed", "models.Kind")),
    case("model-added", _noop, (N, "model-added", "models.Kind"), old=lambda s: s["components"]["schemas"].pop("Kind")),
    case(
        "model-type-changed",
        lambda s: s["components"]["schemas"].__setitem__("Kind", {"type": "integer"}),
        (B, "model-type-changed", "models.Kind"),
    ),
    case(
        "model-enum-value-removed",
        _set(lambda s: schema(s, "Kind"), enum=["cat"]),
        (B, "enum-value-removed", "models.Kind"),
    ),
    case(
        "model-enum-value-added",
        _set(lambda s: schema(s, "Kind"), enum=["cat", "dog", "bird"]),
        (N, "enum-value-added", "models.Kind"),
    ),
    case(
        "model-field-enum-value-removed",
        _set(lambda s: prop(s, "Pet", "status"), enum=["available", "sold"]),
        (B, "enum-value-removed", "models.PetStatus"),
        old=_set(lambda s: prop(s, "Pet", "status"), enum=["available", "pending", "sold"]),
    ),
    # Enums read from responses are open classes: a new value parses (non-breaking), a removed
    # member breaks code that names it.
    case(
        "response-model-field-enum-value-added",
        _set(lambda s: prop(s, "Pet", "status"), enum=["available", "sold", "pending"]),
        (N, "enum-value-added", "models.PetStatus"),
    ),
    case(
        "inline-response-enum-value-added",
        lambda s: set_response(s, "/stores", "get", "200", {"type": "string", "enum": ["open", "closed", "moved"]}),
        (N, "enum-value-added", "models.ListStores200Response"),
        old=lambda s: set_response(s, "/stores", "get", "200", {"type": "string", "enum": ["open", "closed"]}),
    ),
    case(
        "inline-response-enum-value-removed",
        lambda s: set_response(s, "/stores", "get", "200", {"type": "string", "enum": ["open", "closed"]}),
        (B, "enum-value-removed", "models.ListStores200Response"),
        old=lambda s: set_response(s, "/stores", "get", "200", {"type": "string", "enum": ["open", "closed", "moved"]}),
    ),
    case(  # a union of single-value enums is a closed Literal: a new value fails older clients
        "response-model-field-closed-literal-value-added",
        lambda s: schema(s, "Pet")["properties"].update(status={"oneOf": [{"type": "string", "enum": [v]} for v in ("available", "sold", "gone")]}),
        (B, "closed-enum-value-added", "models.Pet.status"),
        old=lambda s: schema(s, "Pet")["properties"].update(status={"oneOf": [{"type": "string", "enum": [v]} for v in ("available", "sold")]}),
    ),
    case(
        "inline-response-enum-array-value-removed",
        lambda s: set_response(s, "/stores", "get", "200", {"type": "array", "items": {"type": "string", "enum": ["open", "moved"]}}),
        (B, "enum-value-removed", "models.ListStores200ResponseItem"),
        (N, "enum-value-added", "models.ListStores200ResponseItem"),
        old=lambda s: set_response(s, "/stores", "get", "200", {"type": "array", "items": {"type": "string", "enum": ["open", "closed"]}}),
    ),
    case(
        "model-field-removed",
        lambda s: schema(s, "Pet")["properties"].pop("tag"),
        (B, "model-field-removed", "models.Pet.tag"),
    ),
    case(
        "model-field-added",
        lambda s: schema(s, "Pet")["properties"].__setitem__("color", {"type": "string"}),
        (N, "model-field-added", "models.Pet.color"),
    ),
    case(
        "model-required-field-added-to-response-model",
        _chain(
            lambda s: schema(s, "Pet")["properties"].__setitem__("color", {"type": "string"}),
            lambda s: schema(s, "Pet")["required"].append("color"),
        ),
        (N, "model-field-added", "models.Pet.color"),
    ),
    case(
        "model-required-field-added-to-request-model",
        _chain(
            lambda s: schema(s, "NewPet")["properties"].__setitem__("age", {"type": "integer"}),
            lambda s: schema(s, "NewPet")["required"].append("age"),
        ),
        (B, "model-required-field-added", "models.NewPet.age"),
    ),
    case(
        "model-field-type-changed",
        _set(lambda s: prop(s, "Pet", "id"), type="string"),
        (B, "model-field-type-changed", "models.Pet.id"),
    ),
    case(
        "model-field-of-response-became-optional",
        _set(lambda s: schema(s, "Pet"), required=["id"]),
        (B, "model-field-type-changed", "models.Pet.name"),
    ),
    case(
        "model-field-of-response-became-required",
        _set(lambda s: schema(s, "Pet"), required=["id", "name", "tag"]),
        (N, "model-field-type-narrowed", "models.Pet.tag"),
    ),
    case(
        "model-field-of-request-became-required",
        _set(lambda s: schema(s, "NewPet"), required=["name", "tag"]),
        (B, "model-field-type-changed", "models.NewPet.tag"),
    ),
    case(
        "model-field-of-request-became-optional",
        _pop(lambda s: schema(s, "NewPet"), "required"),
        (N, "model-field-type-widened", "models.NewPet.name"),
    ),
    case(
        "model-field-default-changed",
        _set(lambda s: prop(s, "Pet", "status"), default="sold"),
        (B, "model-field-default-changed", "models.Pet.status"),
        old=_set(lambda s: prop(s, "Pet", "status"), default="available"),
    ),
    case(
        "inline-object-field-removed",
        _chain(_add_owner, lambda s: prop(s, "Pet", "owner")["properties"].pop("email")),
        (B, "model-field-removed", "models.PetOwner.email"),
        old=_add_owner,
    ),
    case(
        "cyclic-deep-reference-is-compared-once",
        _chain(_add_tree, lambda s: prop(s, "Tree", "node")["properties"].__setitem__("size", {"type": "integer"})),
        (N, "model-field-added", "models.TreeNode.size"),
        old=_add_tree,
    ),
    # authentication
    case(
        "auth-scheme-removed",
        _chain(lambda s: s["components"].pop("securitySchemes"), lambda s: s.pop("security")),
        (B, "auth-scheme-removed", "Client(api_key)"),
        (N, "auth-requirement-relaxed", "client"),
    ),
    case(
        "auth-scheme-added-required",
        _chain(_bearer, lambda s: s.__setitem__("security", [{"ApiKey": [], "Bearer": []}])),
        (B, "auth-scheme-added-required", "Client(access_token)"),
        (B, "auth-requirement-changed", "client"),
    ),
    case(
        "auth-scheme-added",
        _chain(_bearer, lambda s: s.__setitem__("security", [{"ApiKey": []}, {"Bearer": []}])),
        (N, "auth-scheme-added", "Client(access_token)"),
        (N, "auth-requirement-relaxed", "client"),
    ),
    case(
        "auth-scheme-changed",
        _set(lambda s: s["components"]["securitySchemes"]["ApiKey"], **{"in": "query", "name": "api_key"}),
        (B, "auth-scheme-changed", "Client(api_key)"),
    ),
    case(
        "auth-credential-renamed",
        _set(lambda s: s["components"]["securitySchemes"]["ApiKey"], **{"x-clientsmith-name": "token"}),
        (B, "auth-credential-renamed", "Client(api_key)"),
    ),
    case(
        "auth-scheme-key-renamed-same-wire",
        _chain(
            lambda s: s["components"]["securitySchemes"].__setitem__("Key", s["components"]["securitySchemes"].pop("ApiKey")),
            lambda s: s.__setitem__("security", [{"Key": []}]),
        ),
        (B, "auth-credential-renamed", "Client(api_key)"),
    ),
    case(
        "auth-requirement-changed-on-operation",
        _noop,
        (B, "auth-requirement-changed", "pets.get_pet"),
        old=_set(lambda s: op(s, "/pets/{petId}", "get"), security=[]),
    ),
    # the rest
    case(
        "base-url-became-required",
        lambda s: s.__setitem__("servers", [{"url": "/v2"}]),
        (N, "base-url-changed", "Client(base_url)"),
        (B, "base-url-became-required", "Client(base_url)"),
    ),
    case(
        "base-url-changed",
        lambda s: s.__setitem__("servers", [{"url": "https://api.pets.example.com/v2"}]),
        (N, "base-url-changed", "Client(base_url)"),
    ),
    case(
        "description-changed",
        _chain(
            _set(_pets_get, summary="List every pet"),
            _set(lambda s: param(s, "/pets", "get", "limit"), description="Page size."),
            _set(lambda s: prop(s, "Pet", "name"), description="What the pet answers to."),
        ),
        (N, "description-changed", "pets.list_pets"),
        (N, "description-changed", "pets.list_pets(limit)"),
        (N, "description-changed", "models.Pet.name"),
    ),
    case("identical", _noop),
]


@pytest.mark.parametrize("rule", CASES, ids=[c.name for c in CASES])
def test_rule(rule: Case, tmp_path: Path) -> None:
    report = report_for(tmp_path, rule.old, rule.new)
    found = {(c.kind, c.code, c.location) for c in report.changes}
    assert found == rule.expected, "\n" + diff.render_text(report)
    assert report.has_breaking == any(kind == B for kind, _, _ in rule.expected)


def test_every_code_has_a_rule_test() -> None:
    tested = {code for rule in CASES for _, code, _ in rule.expected}
    assert tested == set(diff.CODES)


# -- type comparison -------------------------------------------------------------------
_A, _B, _AB = LiteralOf(("a",)), LiteralOf(("b",)), LiteralOf(("a", "b"))


@pytest.mark.parametrize(
    ("old", "new", "verdict"),
    [
        (STR, STR, "same"),
        (nullable(STR), union([NONE, STR]), "same"),
        (nullable(STR), STR, "narrowed"),
        (STR, nullable(STR), "widened"),
        (INT, STR, "changed"),
        (INT, FLOAT, "widened"),
        (ANY, Model("Pet"), "narrowed"),
        (_AB, _A, "enum"),
        (nullable(_AB), nullable(LiteralOf(("b", "a"))), "same"),
        (ListOf(_A), ListOf(_AB), "enum"),
        (_A, STR, "widened"),
        (LiteralOf(("a | b", "c")), LiteralOf(("a | b",)), "enum"),
        (DictOf(nullable(INT)), DictOf(INT), "changed"),
        (LiteralOf((1,)), FLOAT, "widened"),
        (LiteralOf((True,)), INT, "changed"),
    ],
    ids=lambda value: render(value) if not isinstance(value, str) else value,
)
def test_compare_types(old: TypeNode, new: TypeNode, verdict: str) -> None:
    assert compare(old, new) == verdict, f"{render(old)} -> {render(new)}: expected {verdict}"


def test_describe_uses_the_signature_mapping() -> None:
    """diff reads model fields with the mapping signatures use: uuid is text, binary is bytes,
    a plain alias is its primitive, an unknown reference is Any."""
    schemas = {"Id": {"type": "string", "format": "uuid"}, "Pet": {"type": "object", "properties": {"id": {"type": "string"}}}}
    assert diff.describe({"type": "string", "format": "uuid"}, schemas) == STR
    assert diff.describe({"type": "string", "format": "binary"}, schemas) == BYTES
    assert diff.describe({"$ref": "#/components/schemas/Id"}, schemas) == STR
    assert diff.describe({"$ref": "#/components/schemas/Pet", "nullable": True}, schemas) == nullable(Model("Pet"))
    assert diff.describe({"oneOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "properties": {}}]}, schemas) == union(
        [Model("Pet"), DictOf(ANY)]
    )


# -- output formats ---------------------------------------------------------------------
def _mixed_report(tmp_path: Path) -> diff.Report:
    return report_for(
        tmp_path,
        _noop,
        _chain(
            _drop_delete,
            lambda s: add_param(s, "/pets", "get", **_query("owner")),
            _pop(lambda s: param(s, "/pets", "get", "X-Trace")["schema"], "nullable"),
        ),
    )


def test_text_groups_breaking_first(tmp_path: Path) -> None:
    text = diff.render(_mixed_report(tmp_path), "text")
    lines = text.splitlines()
    assert lines[0] == "breaking changes (2):"
    assert "operation-removed" in lines[1] and "pets.delete_pet: removed (DELETE /pets/{petId})" in lines[1]
    assert "parameter-type-narrowed" in lines[2] and "type str | None -> str" in lines[2]
    assert lines[4] == "non-breaking changes (1):"
    assert "optional-parameter-added" in lines[5]
    assert lines[-1].startswith("2 breaking, 1 non-breaking (")


def test_text_without_changes(tmp_path: Path) -> None:
    assert diff.render(report_for(tmp_path, _noop, _noop), "text").startswith("no changes between ")


def test_json_lists_changes_and_counts(tmp_path: Path) -> None:
    document = json.loads(diff.render(_mixed_report(tmp_path), "json"))
    assert document["summary"] == {"breaking": 2, "non-breaking": 1, "total": 3}
    assert [c["kind"] for c in document["changes"]] == ["breaking", "breaking", "non-breaking"]
    assert document["changes"][0] == {
        "kind": "breaking",
        "code": "operation-removed",
        "location": "pets.delete_pet",
        "message": "removed (DELETE /pets/{petId})",
    }
    assert document["old"].endswith("old.yaml") and document["new"].endswith("new.yaml")


def test_markdown_is_a_table_with_escaped_pipes(tmp_path: Path) -> None:
    text = diff.render(_mixed_report(tmp_path), "markdown")
    lines = text.splitlines()
    assert lines[0].startswith("### API changes: ")
    assert "**2 breaking**, 1 non-breaking." in lines
    table = [line for line in lines if line.startswith("|")]
    assert table[0] == "| kind | code | location | change |"
    assert len(table) == 2 + 3
    narrowed = next(line for line in table if "parameter-type-narrowed" in line)
    assert "`type str \\| None -> str`" in narrowed
    assert all(len(re.split(r"(?<!\\)\|", line)) == 6 for line in table)  # 4 cells, no stray pipes


# -- the command line -------------------------------------------------------------------
def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "diff", *map(str, args)],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_exit_1_on_breaking() -> None:
    result = run_cli(FIXTURES / "breaking" / "old.yaml", FIXTURES / "breaking" / "new.yaml")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("breaking changes (")
    assert "parameter-became-required" in result.stdout
    assert result.stderr == ""


def test_cli_exit_0_on_compatible_changes() -> None:
    result = run_cli(FIXTURES / "compatible" / "old.yaml", FIXTURES / "compatible" / "new.yaml", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["breaking"] == 0
    assert {c["code"] for c in document["changes"]} == {"operation-added", "optional-parameter-added", "enum-value-added", "model-field-added"}


def test_cli_exit_0_on_identical_specs() -> None:
    result = run_cli(FIXTURES / "base.yaml", FIXTURES / "base.yaml", "--format", "markdown")
    assert result.returncode == 0
    assert "**0 breaking**, 0 non-breaking." in result.stdout


def test_cli_exit_2_on_unreadable_input(tmp_path: Path) -> None:
    result = run_cli(FIXTURES / "base.yaml", tmp_path / "missing.yaml")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "file not found" in result.stderr
    (tmp_path / "broken.yaml").write_text("openapi: [unclosed\n", encoding="utf-8")
    assert run_cli(tmp_path / "broken.yaml", FIXTURES / "base.yaml").returncode == 2


def test_cli_exit_1_on_invalid_spec_with_one_line_errors() -> None:
    result = run_cli(FIXTURES / "base.yaml", FIXTURES / "invalid.yaml")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    assert "invalid.yaml#/paths/~1pets/get/responses/200/content/application~1json/schema/$ref" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_rejects_unknown_format() -> None:
    result = run_cli(FIXTURES / "base.yaml", FIXTURES / "base.yaml", "--format", "xml")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --format: unknown format 'xml'")


def test_cli_package_name_is_checked() -> None:
    result = run_cli(FIXTURES / "base.yaml", FIXTURES / "base.yaml", "--package-name", "Not A Name")
    assert result.returncode == 2
    assert "invalid package name" in result.stderr


# -- a real pair ------------------------------------------------------------------------
def test_codat_connections_2022_to_latest_is_breaking() -> None:
    assert (CODAT / "connections_latest.yaml").exists(), f"reference specs missing at {CODAT} (expected next to the repository)"
    result = run_cli(CODAT / "connections.yaml", CODAT / "connections_latest.yaml", "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["breaking"] > 0
    found = {(c["code"], c["location"]) for c in document["changes"]}
    assert ("operation-renamed", "connections.list_company_connections") in found
    assert ("operation-renamed", "connections.patch_company_connection") in found
    assert ("auth-credential-renamed", "Client(api_key)") in found
    assert ("parameter-type-narrowed", "connections.list_connections(page_size)") in found
    assert ("parameter-became-optional", "connections.list_connections(page)") in found
    assert ("return-type-changed", "connections.unlink_connection()") in found
    assert ("model-removed", "models.ListCompanyConnections200Response") in found
    # sourceType was an inline enum (a class of its own, ConnectionSourceType) and became a
    # reference to an enum defined under a parameter: the field's type changes for users.
    assert ("model-field-type-changed", "models.Connection.sourceType") in found


@pytest.mark.parametrize(
    ("place", "direction", "code"),
    [
        ("return", "output", "closed-enum-value-added"),
        ("model-field", "output", "closed-enum-value-added"),
        ("model-field", "both", "closed-enum-value-added"),
        ("model-field", "input", "enum-value-added"),
        ("parameter", "input", "enum-value-added"),
        ("model", "both", "enum-value-added"),  # the values of an enum class: open
    ],
)
def test_a_value_added_to_a_literal_read_from_responses_is_breaking(place: str, direction: str, code: str) -> None:
    changes = list(diff._type_changes("x", place, LiteralOf(("a",)), LiteralOf(("a", "b")), direction))
    assert [(c.code, c.kind) for c in changes] == [(code, diff.CODES[code][0])]
