"""YAML is read with YAML 1.2 core-schema scalars (generator/pipeline/loader.py), not PyYAML's YAML 1.1.

Under YAML 1.1, `no`, `on`, `off`, `yes`, `y`, `n` (any case) are booleans, `017` is octal and
`1:20` is a base-60 number: the country code `NO` in an enum, or a property called `on`, silently
became `False`/`True` (and keys became the strings "False"/"True"). Specs are written for JSON
and YAML 1.2 tools, so only `true`/`false` are booleans here.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import config
from generator.errors import InputError, UsageError
from generator.pipeline import loader, validate

ROOT = Path(__file__).resolve().parents[1]


def parse(text: str) -> Any:
    return loader.parse_document(textwrap.dedent(text).lstrip().encode("utf-8"), "spec.yaml", is_json=False)


@pytest.mark.parametrize("word", ["on", "off", "yes", "no", "y", "n", "On", "OFF", "Yes", "NO", "Y", "N"])
def test_yaml_11_booleans_are_strings(word: str) -> None:
    data = parse(f"value: {word}\nlist: [{word}]\n{word}: key\n")
    assert data == {"value": word, "list": [word], word: "key"}, (
        f"`{word}` is a boolean only in YAML 1.1; under YAML 1.2 (what specs are written for) it is the string {word!r}, got {data!r}"
    )


@pytest.mark.parametrize(("text", "expected"), [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)])
def test_yaml_12_booleans(text: str, expected: bool) -> None:
    assert parse(f"a: {text}\n") == {"a": expected}


def test_mixed_case_booleans_and_nulls_are_strings() -> None:
    assert parse("a: [tRue, fALSE, nULL]\n") == {"a": ["tRue", "fALSE", "nULL"]}


@pytest.mark.parametrize("text", ["~", "null", "Null", "NULL", ""])
def test_yaml_12_nulls(text: str) -> None:
    assert parse(f"a: {text}\n") == {"a": None}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0o17", 15),  # YAML 1.2 octal
        ("017", 17),  # a leading zero is decimal in 1.2 (octal 15 in 1.1)
        ("0x1F", 31),
        ("-12", -12),
        ("+12", 12),
        ("0", 0),
        ("1:20", "1:20"),  # sexagesimal (80) in 1.1 only
        ("1_000", "1_000"),  # digit separators are 1.1 only
        ("0b101", "0b101"),  # binary is 1.1 only
        ("1e5", 100000.0),  # 1.2 floats need no dot
        ("1.5", 1.5),
        (".5", 0.5),
        ("-.inf", -math.inf),
        ("2024-01-31T10:00:00Z", "2024-01-31T10:00:00Z"),  # no timestamps in 1.2: kept as written
        ("=", "="),  # PyYAML's 1.1 "value" tag
    ],
)
def test_yaml_12_numbers_and_strings(text: str, expected: object) -> None:
    value = parse(f"a: {text}\n")["a"]
    assert value == expected and type(value) is type(expected), f"`{text}` must load as {expected!r} under YAML 1.2, got {value!r}"


def test_nan_is_a_float() -> None:
    value = parse("a: .NaN\n")["a"]
    assert isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(("text", "fragment"), [("!!int 0b11", "is not an integer"), ("!!bool maybe", "is not a boolean"), ("!!float abc", "is not a number")])
def test_bad_explicit_tags_are_input_errors_with_a_position(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse(f"openapi: 3.0.3\na: {text}\n")
    message = str(info.value)
    assert message.startswith("spec.yaml:2:4: invalid YAML:") and fragment in message, f"got {message!r}"


def test_merge_keys_still_work() -> None:
    assert parse("base: &base {type: string}\nother: {<<: *base, format: uuid}\n")["other"] == {"type": "string", "format": "uuid"}


def test_the_loader_is_still_libyaml() -> None:
    """The 1.2 rules must not cost libyaml's speed (the pure-Python loader is ~6x slower)."""
    assert yaml.__with_libyaml__, "test setup: PyYAML without libyaml"
    assert issubclass(loader._YamlLoader, yaml.CSafeLoader), f"specs must be parsed by a CSafeLoader subclass, not {loader._YamlLoader.__mro__}"


SPEC = """
openapi: 3.0.3
info: {title: Countries, version: "1"}
paths:
  /countries:
    get:
      operationId: listCountries
      parameters:
        - {name: code, in: query, schema: {type: string, enum: [SE, NO, DK, FI]}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Switch"}
components:
  schemas:
    Switch:
      type: object
      properties:
        on: {type: boolean}
        off: {type: boolean}
        y: {type: integer}
        mode: {type: string, enum: [on, off, yes, no, auto]}
"""


def test_a_spec_with_country_codes_and_switch_words_loads_and_validates(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, "utf-8")
    document = loader.load(spec).document
    assert document["paths"]["/countries"]["get"]["parameters"][0]["schema"]["enum"] == ["SE", "NO", "DK", "FI"]
    switch = document["components"]["schemas"]["Switch"]
    assert list(switch["properties"]) == ["on", "off", "y", "mode"], f"property names must stay as written, got {list(switch['properties'])}"
    assert switch["properties"]["mode"]["enum"] == ["on", "off", "yes", "no", "auto"]
    assert validate.validate(document, str(spec)) == [], "a string enum of country codes is valid"


def test_cli_validate_accepts_the_country_code_no(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, "utf-8")
    result = subprocess.run([sys.executable, "-m", "generator", "validate", str(spec)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, f"YAML 1.1 would turn NO into false, which a string enum refuses:\n{result.stderr}"


def test_overlays_are_read_as_yaml_12(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, update: {x-country: NO}}\n", "utf-8")
    data, _ = loader.read_document(overlay)
    assert data["actions"][0]["update"] == {"x-country": "NO"}


def test_clients_yaml_is_read_as_yaml_12(tmp_path: Path) -> None:
    (tmp_path / "clients.yaml").write_text("clients:\n  - {spec: no.yaml, package: no_client, lenient: yes}\n", "utf-8")
    with pytest.raises(UsageError, match="`lenient` must be true or false"):
        config.load_config(tmp_path / "clients.yaml")
    (tmp_path / "clients.yaml").write_text("clients:\n  - {spec: no.yaml, output: on}\n", "utf-8")
    [client] = config.load_config(tmp_path / "clients.yaml")
    assert client.output == tmp_path / "on" and client.package == "no", f"`on`/`no` must stay strings, got {client}"
