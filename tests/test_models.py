"""Generated models: polymorphic dispatch, aliases and lossless round trips."""

from __future__ import annotations

import importlib
import sys
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
