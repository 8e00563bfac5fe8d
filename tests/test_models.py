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
    from generator.models import defer_builds

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
