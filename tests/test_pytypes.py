"""One schema -> type mapping (generator/pipeline/pytypes.py): signatures, models and diff agree.

The agreement test generates a real package and compares, for each string format
and scalar kind, the type of a method argument with the type of a model field
described by the same schema, both read with ``typing.get_type_hints``: what
users see in their editor, not what our code believes it wrote.
"""

from __future__ import annotations

import importlib
import json
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.pipeline.parse import build_ir
from generator.pipeline.pytypes import (
    ANY,
    INT,
    NONE,
    STR,
    DictOf,
    ListOf,
    LiteralOf,
    MappingOf,
    Model,
    UnionOf,
    nullable,
    render,
    union,
    without_none,
)
from generator.workflow import diff

SCALARS: dict[str, dict[str, Any]] = {
    "plain": {"type": "string"},
    "date_time": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "uuid": {"type": "string", "format": "uuid"},
    "uri": {"type": "string", "format": "uri"},
    "email": {"type": "string", "format": "email"},
    "password": {"type": "string", "format": "password"},
    "byte": {"type": "string", "format": "byte"},
    "duration": {"type": "string", "format": "duration"},
    "ipv4": {"type": "string", "format": "ipv4"},
    "hostname": {"type": "string", "format": "hostname"},
    "unknown_format": {"type": "string", "format": "x-custom"},
    "integer": {"type": "integer"},
    "int64": {"type": "integer", "format": "int64"},
    "number": {"type": "number"},
    "double": {"type": "number", "format": "double"},
    "boolean": {"type": "boolean"},
    "strings": {"type": "array", "items": {"type": "string", "format": "uuid"}},
    "map": {"type": "object", "additionalProperties": {"type": "integer"}},
}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Types", "version": "1"},
    "paths": {
        "/things/{id}": {
            "post": {
                "operationId": "putThing",
                "parameters": [
                    # A path parameter without a schema (lenient specs): it is text.
                    {"name": "id", "in": "path", "required": True},
                    *({"name": name, "in": "query", "required": True, "schema": schema} for name, schema in SCALARS.items()),
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"204": {"description": "done"}},
            }
        }
    },
    "components": {"schemas": {"Thing": {"type": "object", "required": list(SCALARS), "properties": SCALARS}}},
}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("pytypes")
    path = out / "types.json"
    path.write_text(json.dumps(SPEC))
    pipeline.generate(path, "types_client", out / "types_client", lenient=True)
    sys.path.insert(0, str(out / "types_client"))
    try:
        return importlib.import_module("types_client")
    finally:
        sys.path.remove(str(out / "types_client"))


def _hints(package: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    resource = importlib.import_module("types_client.resources.default")
    return typing.get_type_hints(resource.DefaultResource.put_thing), typing.get_type_hints(package.models.Thing)


@pytest.mark.parametrize("name", list(SCALARS))
def test_argument_and_model_field_of_one_schema_have_one_type(package: Any, name: str) -> None:
    arguments, fields = _hints(package)
    assert arguments[name] == fields[name], (
        f"schema {SCALARS[name]}: the method argument is {arguments[name]} but the model field is {fields[name]}; "
        "both must come from generator/pipeline/pytypes.py (FORMAT_TYPES, keeps_format)"
    )


def test_a_parameter_without_a_schema_is_text(package: Any) -> None:
    arguments, _ = _hints(package)
    assert arguments["id"] is str, f"a path parameter without a schema must be str, got {arguments['id']}"


def test_diff_describes_model_fields_with_the_signatures_mapping() -> None:
    """``clientsmith diff`` reads the same mapping: its type of each field's schema is the IR's
    type of the argument with that schema."""
    built = build_ir(SPEC, "types.json", "types_client")
    arguments = {p.wire_name: p.type for p in built.operations[0].parameters}
    for name, schema in SCALARS.items():
        described = diff.describe(schema, {})
        assert described == arguments[name], f"{name}: diff says {render(described)}, the signature {render(arguments[name])}"


# -- the nodes ---------------------------------------------------------------------------
def test_union_flattens_drops_repeats_and_any_absorbs() -> None:
    assert union([STR, union([INT, STR]), NONE]) == UnionOf((STR, INT, NONE))
    assert union([STR]) == STR
    assert union([STR, ANY]) == ANY
    assert union([]) == NONE


def test_nullable_adds_none_once_at_the_end() -> None:
    assert render(nullable(union([STR, INT]))) == "str | int | None"
    assert nullable(nullable(STR)) == nullable(STR)
    assert nullable(ANY) == ANY
    assert nullable(STR, False) == STR
    assert without_none(nullable(Model("Pet"))) == Model("Pet")


def test_render_spells_annotations_as_generated_code_does() -> None:
    node = union([ListOf(Model("Pet")), DictOf(LiteralOf(("a", 1, True))), MappingOf(ANY), NONE])
    assert render(node) == "list[Pet] | dict[str, Literal['a', 1, True]] | Mapping[str, Any] | None"


ALIASES = """
openapi: 3.0.3
info: {title: Aliases, version: '1'}
paths:
  /pets/{id}:
    post:
      operationId: postPet
      parameters: [{name: id, in: path, required: true, schema: {$ref: '#/components/schemas/PetId'}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Tags'}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
components:
  schemas:
    PetId: {type: string, format: uuid}
    Tags: {type: array, items: {type: string}}
    Ids: {type: array, items: {$ref: '#/components/schemas/PetId'}}
    Tree: {type: array, items: {$ref: '#/components/schemas/Tree'}}
    Pets: {type: array, items: {$ref: '#/components/schemas/Pet'}}
    Pet:
      type: object
      required: [id]
      properties:
        id: {$ref: '#/components/schemas/PetId'}
        tags: {$ref: '#/components/schemas/Tags'}
        ids: {$ref: '#/components/schemas/Ids'}
        tree: {$ref: '#/components/schemas/Tree'}
        friends: {$ref: '#/components/schemas/Pets'}
"""


def test_alias_schemas_are_plain_types_in_model_fields_and_arguments(tmp_path: Path) -> None:
    """A primitive or list alias is ``str`` / ``list[...]`` in fields and arguments alike, not a
    RootModel users must wrap (and whose iteration yields ``('root', [...])``)."""
    spec = tmp_path / "aliases.yaml"
    spec.write_text(ALIASES)
    pipeline.generate(spec, "aliases_client", tmp_path / "out")
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        models = importlib.import_module("aliases_client.models")
        resource = importlib.import_module("aliases_client.resources.default")
    finally:
        sys.path.remove(str(tmp_path / "out"))
    fields = typing.get_type_hints(models.Pet)
    assert fields["id"] is str
    assert fields["tags"] == list[str] | None and fields["ids"] == list[str] | None
    assert fields["friends"] == list[models.Pet] | None and fields["tree"] == list[models.Tree] | None
    arguments = typing.get_type_hints(resource.DefaultResource.post_pet)
    assert arguments["id"] is str and list[str] in typing.get_args(arguments["tags"])
    pet = models.Pet.model_validate({"id": "p", "tags": ["a", "b"], "ids": ["x"], "tree": [[]], "friends": [{"id": "q"}]})
    assert list(pet.tags or []) == ["a", "b"], "iterating a list field yields its items"
    assert pet.model_dump(mode="json", exclude_unset=True) == {"id": "p", "tags": ["a", "b"], "ids": ["x"], "tree": [[]], "friends": [{"id": "q"}]}
    assert models.Tags(["a"]).root == ["a"], "the alias classes stay importable under their names"


UNIONS = """
openapi: 3.0.3
info: {title: Unions, version: '1'}
paths:
  /owners:
    post:
      operationId: postOwner
      parameters: [{name: key, in: query, required: true, schema: {$ref: '#/components/schemas/Key'}}]
      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/Animal'}}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Owner'}}}}
components:
  schemas:
    Key: {oneOf: [{type: string}, {type: integer}]}
    Cat: {type: object, required: [meows], properties: {meows: {type: boolean}}}
    Dog: {type: object, required: [barks], properties: {barks: {type: boolean}}}
    Animal: {anyOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]}
    Pack: {anyOf: [{$ref: '#/components/schemas/Animal'}, {type: array, items: {$ref: '#/components/schemas/Pack'}}]}
    Bird: {type: object, required: [kind], properties: {kind: {type: string, enum: [bird]}}}
    Fish: {type: object, required: [kind], properties: {kind: {type: string, enum: [fish]}}}
    Tagged:
      oneOf: [{$ref: '#/components/schemas/Bird'}, {$ref: '#/components/schemas/Fish'}]
      discriminator: {propertyName: kind}
    Owner:
      type: object
      required: [key, pet]
      properties:
        key: {$ref: '#/components/schemas/Key'}
        pet: {$ref: '#/components/schemas/Animal'}
        maybe: {nullable: true, allOf: [{$ref: '#/components/schemas/Animal'}]}
        pets: {type: array, items: {$ref: '#/components/schemas/Animal'}}
        pack: {$ref: '#/components/schemas/Pack'}
        tagged: {type: array, items: {$ref: '#/components/schemas/Tagged'}}
"""


def test_union_schemas_are_plain_unions_in_model_fields_and_arguments(tmp_path: Path) -> None:
    """A named ``oneOf``/``anyOf`` of references and scalars is ``Cat | Dog`` in fields and
    arguments alike, not a RootModel users must wrap and unwrap (``.root``); a union that
    contains itself stays a class inside itself. A discriminated union is the plain union where
    it is used (the options' Literal tags tell them apart); in a list it must not become a class
    that datamodel-code-generator names after the field."""
    spec = tmp_path / "unions.yaml"
    spec.write_text(UNIONS)
    pipeline.generate(spec, "unions_client", tmp_path / "out")
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        models = importlib.import_module("unions_client.models")
        resource = importlib.import_module("unions_client.resources.default")
    finally:
        sys.path.remove(str(tmp_path / "out"))
    fields = typing.get_type_hints(models.Owner)
    assert set(typing.get_args(fields["key"])) == {str, int}, fields["key"]
    assert set(typing.get_args(fields["pet"])) == {models.Cat, models.Dog}, fields["pet"]
    assert set(typing.get_args(fields["maybe"])) == {models.Cat, models.Dog, type(None)}, fields["maybe"]
    assert fields["pets"] == list[models.Cat | models.Dog] | None, fields["pets"]
    assert set(typing.get_args(fields["pack"])) == {models.Cat, models.Dog, list[models.Pack], type(None)}, fields["pack"]
    assert fields["tagged"] == list[models.Bird | models.Fish] | None, fields["tagged"]
    assert sorted(name for name in vars(models) if name.isidentifier() and isinstance(getattr(models, name), type) and name[0].isupper() and getattr(models, name).__module__ == models.__name__) == [
        "Animal", "Bird", "Cat", "Dog", "Fish", "Key", "Owner", "Pack", "Tagged",
    ], "no class named after a field"
    arguments = typing.get_type_hints(resource.DefaultResource.post_owner)
    assert set(typing.get_args(arguments["key"])) == {str, int}, arguments["key"]
    assert {option for option in typing.get_args(arguments["animal"]) if option.__name__ != "NotGiven"} == {models.Cat, models.Dog}, arguments["animal"]
    wire = {"key": 3, "pet": {"barks": True}, "pets": [{"meows": False}], "pack": [{"meows": True}, []], "tagged": [{"kind": "fish"}, {"kind": "bird"}]}
    owner = models.Owner.model_validate(wire)
    assert isinstance(owner.pet, models.Dog) and owner.key == 3
    assert [type(item) for item in owner.tagged or []] == [models.Fish, models.Bird]
    assert owner.model_dump(mode="json", exclude_unset=True) == wire
    assert models.Animal.model_validate({"meows": True}).root == models.Cat(meows=True), "the union classes stay importable"
