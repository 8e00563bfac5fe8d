"""Generated models: polymorphic dispatch, aliases and lossless round trips."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

from generator import config

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = {c.package: c for c in config.load_config(ROOT / "pyproject.toml")}


def _models(package: str) -> Any:
    output = str(CLIENTS[package].output)
    if output not in sys.path:
        sys.path.insert(0, output)
    return importlib.import_module(f"{package}.models")


def test_polymorphic_base_validates_into_the_subtype_its_discriminator_names() -> None:
    models = _models("opendatasoft_automation")
    data = {"type": "amazon_s3", "uid": "co_1", "url": "s3://bucket", "auth": {"type": "aws_signature_v4", "access_key_id": "a", "secret_access_key": "b", "region": "eu-west-1"}}
    parsed = models.Connection.model_validate(data)
    assert type(parsed) is models.AmazonS3Connection, (
        f"Connection.model_validate must dispatch on `type` to AmazonS3Connection, got {type(parsed).__name__}"
    )
    assert parsed.url == "s3://bucket"


def test_polymorphic_dispatch_applies_to_nested_lists() -> None:
    models = _models("opendatasoft_automation")
    page = models.ListConnections200Response.model_validate_json(
        '{"total_count": 2, "results": [{"type": "ftp", "uid": "a", "url": "ftp://x"}, {"type": "http", "uid": "b", "url": "https://x"}]}'
    )
    kinds = [type(item).__name__ for item in page.results]
    assert kinds == ["FtpConnection", "HttpConnection"], f"list items must parse into their subtypes, got {kinds}"


def test_unknown_discriminator_value_keeps_the_base_and_all_fields() -> None:
    models = _models("opendatasoft_automation")
    data = {"type": "brand_new_kind", "uid": "co_9", "some_new_field": 1}
    parsed = models.Connection.model_validate(data)
    assert type(parsed) is models.Connection
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == data, "unknown fields must survive a round trip"


def test_keyword_field_names_get_an_alias_and_round_trip() -> None:
    models = _models("airflow_client")
    wire = {"connection_id": "c", "conn_type": "postgres", "schema": "public"}
    parsed = models.ConnectionBody.model_validate(wire)
    assert parsed.schema_ == "public", "a field named like a BaseModel attribute must get a safe Python name"
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == wire
    built = models.ConnectionBody(connection_id="c", conn_type="postgres", schema_="public")
    assert built.model_dump(by_alias=True, exclude_unset=True) == wire, "models must accept the Python field name too"


_JSON_SCHEMA_31 = """
openapi: 3.1.0
info: {title: Consts, version: '1'}
paths: {}
components:
  schemas:
    Event:
      type: object
      required: [kind, version]
      properties:
        kind: {const: created}
        version: {type: integer, const: 2}
        note: {type: [string, 'null']}
        gone: {oneOf: [{type: string}, {type: 'null'}]}
"""


def test_const_and_null_types_of_openapi_31(tmp_path: Path) -> None:
    import pydantic

    from generator import pipeline

    spec = tmp_path / "consts.yaml"
    spec.write_text(_JSON_SCHEMA_31)
    pipeline.generate(spec, "consts_client", tmp_path / "out")
    sys.path.insert(0, str(tmp_path / "out"))
    models = importlib.import_module("consts_client.models")
    event = models.Event.model_validate({"kind": "created", "version": 2, "note": None, "gone": None})
    assert (event.kind, event.version, event.note, event.gone) == ("created", 2, None, None)
    for wrong in ({"kind": "deleted", "version": 2}, {"kind": "created", "version": 3}):
        try:
            models.Event.model_validate(wrong)
        except pydantic.ValidationError:
            continue
        raise AssertionError(f"`const` must reject {wrong}: the model accepted it")


def test_models_build_on_first_use_not_at_import() -> None:
    import subprocess

    script = (
        "import pydantic, sys\n"
        f"sys.path.insert(0, {str(CLIENTS['opendatasoft_automation'].output)!r})\n"
        "import opendatasoft_automation.models as m\n"
        "classes = [c for c in vars(m).values() if isinstance(c, type) and issubclass(c, pydantic.BaseModel) and c.__module__ == m.__name__]\n"
        "built = [c.__name__ for c in classes if c.__pydantic_complete__]\n"
        "m.Connection.model_validate({'type': 'ftp', 'uid': 'x', 'url': 'ftp://h'})\n"
        "print(len(classes), built, m.Connection.__pydantic_complete__)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr
    count, built, after = run.stdout.split(" ", 1)[0], run.stdout.split(" ", 1)[1].rsplit(" ", 1)[0], run.stdout.split()[-1]
    assert int(count) > 20 and built == "[]", f"no model may be built at import (defer_build), built: {built}"
    assert after == "True", "a model is built on its first validation"


def test_defer_builds_keeps_line_breaks_in_docstrings_and_drops_rebuilds() -> None:
    from generator.pipeline.models import defer_builds

    source = (
        "from __future__ import annotations\n"
        "from pydantic import BaseModel, RootModel\n"
        "class A(BaseModel):\n"
        '    """one\rtwo"""\n'
        "    b: B | None = None\n"
        "class B(RootModel[list[int | str]]):\n"
        '    """Doc."""\n'
        "    root: list[int | str]\n"
        "class C(A):\n"
        "    x: int = 0\n"
        "A.model_rebuild()\n"
    )
    result = defer_builds(source)
    assert '    """one\rtwo"""\n    model_config = ConfigDict(defer_build=True)\n    b:' in result, result
    assert '    """Doc."""\n    model_config = ConfigDict(defer_build=True)\n    root:' in result, result
    assert "class C(A):\n    x: int = 0\n" in result, "subclasses inherit the setting"
    assert "model_rebuild" not in result and "from pydantic import ConfigDict\n" in result, result
    module = types.ModuleType("deferred_models")
    sys.modules[module.__name__] = module  # a deferred build resolves names in the model's module
    try:
        exec(compile(result, "deferred_models.py", "exec"), module.__dict__)  # noqa: S102 - our own test source
        assert module.A.model_validate({"b": [1, "x"]}).b.root == [1, "x"], "forward references resolve on first use"
    finally:
        del sys.modules[module.__name__]


_INLINE_SPEC = """
openapi: 3.0.3
info: {title: Inline, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id, state]
                properties:
                  id: {type: string, readOnly: true}
                  state: {type: string, enum: [open, closed]}
                  since: {type: string, format: date-time, default: now}
                  note: {type: string, default: null, example: hello}
                  sync: {allOf: [{type: string, enum: [synced, not_synced], nullable: false}], description: wrapped}
                  items:
                    type: array
                    items:
                      type: object
                      properties:
                        state: {type: string, enum: [a, b]}
components:
  schemas:
    Thing:
      type: object
      properties:
        kind: {type: string, enum: [x, y]}
"""


def _model_classes(document: dict[str, Any]) -> tuple[Any, set[str]]:
    import re

    from generator.pipeline import parse
    from generator.pipeline.models import generate_models

    api = parse.build_ir(document, "inline.yaml", "inline_client")
    source = generate_models(api.model_document, [m.class_name for m in api.models], "inline.yaml")
    return api, set(re.findall(r"^class (\w+)\(", source, re.MULTILINE))


def test_inline_schemas_of_operations_are_named_by_naming_and_stable() -> None:
    import yaml

    document = yaml.safe_load(_INLINE_SPEC)
    api, classes = _model_classes(document)
    assert classes == {m.class_name for m in api.models}, f"datamodel-code-generator named classes itself: {classes ^ {m.class_name for m in api.models}}"
    assert {"ListThings200ResponseState", "ListThings200ResponseItemsItemState", "ListThings200ResponseSync"} <= classes, classes
    # Unrelated schemas taking the short names an inline enum would get must not rename anything.
    document["components"]["schemas"].update({"State": {"type": "string", "enum": ["s"]}, "Sync": {"type": "object", "properties": {"a": {"type": "string"}}}})
    _, more = _model_classes(document)
    assert more - classes == {"State", "Sync"} and classes <= more, f"names changed: {sorted(classes ^ more)}"


def test_inline_schemas_of_operations_get_the_preparation_components_get() -> None:
    import yaml

    from generator.pipeline import parse

    api = parse.build_ir(yaml.safe_load(_INLINE_SPEC), "inline.yaml", "inline_client")
    hoisted = api.model_document["components"]["schemas"]["ListThings200Response"]
    assert hoisted["required"] == ["state"], "a readOnly property is never required (one model for both directions)"
    since = hoisted["properties"]["since"]
    assert "default" not in since and "Default: \"now\"" in since["description"], "a default the type cannot hold is dropped"
    note = hoisted["properties"]["note"]
    assert note.get("nullable") is True and "Example: ``'hello'``" in note["description"], note
    assert hoisted["properties"]["state"] == {"$ref": "#/components/schemas/ListThings200ResponseState"}


_MYPY_TRAPS = """
openapi: 3.0.3
info: {title: Traps, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
      tags: [things]
      parameters:
        - {name: limit, in: query, schema: {type: string, default: 3}}
        - {name: ids, in: query, schema: {type: array}}
        - {name: filters, in: query, schema: {$ref: '#/components/schemas/Filters', default: {a: true}}}
        - {name: kind, in: query, schema: {$ref: '#/components/schemas/ToolTypes', default: function}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/ApiResponse'}}}}
        '409': {description: conflict, content: {application/json: {schema: {$ref: '#/components/schemas/ConflictError'}}}}
  /other:
    get:
      operationId: getOther
      tags: [things]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/ThingsResource'}}}}
        '201': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Message'}}}}
        '202': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Client'}}}}
        '203': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Operation'}}}}
        '204': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/NotGiven'}}}}
components:
  schemas:
    ApiResponse:
      type: object
      properties:
        next: {type: string, format: uri, default: ''}
        flag: {$ref: '#/components/schemas/Flag'}
        tool: {$ref: '#/components/schemas/ToolTypes', default: function}
        count: {type: string, default: 3}
        anything: {type: array}
    Client: {type: object, properties: {a: {type: string}}}
    Operation: {type: object, properties: {a: {type: string}}}
    NotGiven: {type: object, properties: {a: {type: string}}}
    ThingsResource: {type: object, properties: {a: {type: string}}}
    Flag: {type: boolean, default: true}
    ToolTypes: {type: string, enum: [function]}
    Filters: {type: object, properties: {a: {type: boolean}}}
    ClientError:
      type: object
      properties:
        context_info: {type: object, additionalProperties: {}, nullable: true}
    ConflictError:
      allOf:
        - $ref: '#/components/schemas/ClientError'
        - properties:
            context_info: {type: object, properties: {conflicts: {type: array, items: {type: string}}}}
    Channel: {type: string, enum: [SMS, MMS]}
    MessageBase:
      type: object
      required: [channel]
      properties:
        channel: {$ref: '#/components/schemas/Channel'}
    Sms:
      allOf: [{$ref: '#/components/schemas/MessageBase'}, {properties: {text: {type: string}}}]
    Mms:
      allOf: [{$ref: '#/components/schemas/MessageBase'}, {properties: {media: {type: string}}}]
    Message:
      oneOf: [{$ref: '#/components/schemas/Sms'}, {$ref: '#/components/schemas/Mms'}]
      discriminator: {propertyName: channel, mapping: {SMS: '#/components/schemas/Sms', MMS: '#/components/schemas/Mms'}}
"""


def test_mypy_strict_accepts_the_names_defaults_and_overrides_real_specs_have(tmp_path: Path) -> None:
    """Schemas named like runtime classes (``ApiResponse``, ``Client``, ``Operation``, ``NotGiven``)
    or like a resource class, defaults that do not fit their type (``AnyUrl = ""``, a bool on a
    RootModel, ``str = 3``, a dict for a model argument), an allOf child narrowing an inherited
    field (to a model, to a discriminator tag), bare arrays: the client still passes mypy --strict."""
    import subprocess

    from generator import pipeline

    spec = tmp_path / "traps.yaml"
    spec.write_text(_MYPY_TRAPS)
    pipeline.generate(spec, "traps_client", tmp_path / "out", lenient=True, warn=lambda problem: None)
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", "traps_client"],
        cwd=tmp_path / "out", capture_output=True, text=True, check=False, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    sys.path.insert(0, str(tmp_path / "out"))
    models = importlib.import_module("traps_client.models")
    assert models.ApiResponseModel.model_validate({"next": "/page/2"}).next == "/page/2"
    conflict = models.ConflictError.model_validate({"context_info": {"conflicts": ["a"]}})
    assert conflict.context_info is not None and conflict.context_info.conflicts == ["a"]
    assert type(models.Message.model_validate({"channel": "SMS", "text": "hi"}).root) is models.Sms


_NULLABLE_ITEMS = """
openapi: 3.0.3
info: {title: Items, version: '1'}
paths: {}
components:
  schemas:
    Page:
      type: object
      properties:
        results: {type: array, items: {type: object, nullable: true, description: a record or null}}
        by_id: {type: object, additionalProperties: {type: object, nullable: true}}
"""


def test_nullable_free_form_items_and_values_accept_null(tmp_path: Path) -> None:
    """datamodel-code-generator drops ``nullable`` on free-form object items (algolia's getObjects
    returns ``null`` for a missing record): the model stage keeps it."""
    from generator import pipeline

    spec = tmp_path / "items.yaml"
    spec.write_text(_NULLABLE_ITEMS)
    pipeline.generate(spec, "items_client", tmp_path / "out")
    sys.path.insert(0, str(tmp_path / "out"))
    models = importlib.import_module("items_client.models")
    page = models.Page.model_validate({"results": [None, {"a": 1}], "by_id": {"x": None, "y": {"b": 2}}})
    assert page.results == [None, {"a": 1}] and page.by_id == {"x": None, "y": {"b": 2}}
