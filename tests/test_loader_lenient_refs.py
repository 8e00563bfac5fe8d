"""--lenient degrades a broken schema reference locally (generator/pipeline/validate.py).

A local `$ref` where a schema goes that points at nothing (corpus: mistral.yaml's JSON Schema
`#/$defs/...` refs inside the inline schemas of one operation) becomes an untyped schema with a
`warning:` at the `$ref`'s pointer; everything else is generated. Strict mode still refuses it,
and lenient mode still refuses dangling references that are not schemas.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.errors import Problem, SpecError
from generator.pipeline import loader, parse, validate

ROOT = Path(__file__).resolve().parents[1]
MISTRAL = ROOT.parent / "shared" / "corpus" / "mistral.yaml"

SCHEMA = "/paths/~1pets/get/responses/200/content/application~1json/schema"


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "kind": {"$ref": "#/$defs/Kind", "description": "what it is"},
                                            "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}},
                                            "pet": {"$ref": "#/components/schemas/Pet"},
                                        },
                                        "$defs": {"Kind": {"type": "string"}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/owners": {"get": {"operationId": "listOwners", "responses": {"200": {"$ref": "#/components/responses/Owners"}}}},
        },
        "components": {
            "schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "responses": {"Owners": {"description": "ok"}},
        },
    }


def test_strict_mode_refuses_a_dangling_schema_ref() -> None:
    with pytest.raises(SpecError) as info:
        validate.validate_or_raise(spec(), "pets.yaml")
    assert sorted(p.pointer for p in info.value.problems) == [f"{SCHEMA}/properties/kind/$ref", f"{SCHEMA}/properties/tags/items/$ref"], (
        info.value.problems
    )
    assert all("points at nothing" in p.message for p in info.value.problems)


def test_lenient_mode_turns_a_dangling_schema_ref_into_an_untyped_schema() -> None:
    document = spec()
    warnings: list[Problem] = []
    validate.validate_or_raise(document, "pets.yaml", lenient=True, warn=warnings.append)
    located = sorted((w.file, w.pointer) for w in warnings)
    assert located == [("pets.yaml", f"{SCHEMA}/properties/kind/$ref"), ("pets.yaml", f"{SCHEMA}/properties/tags/items/$ref")], (
        f"one warning per broken reference, at its $ref:\n{warnings}"
    )
    assert all("'#/$defs/" in w.message and "points at nothing" in w.message and w.lenient_ok for w in warnings), warnings
    properties = document["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert properties["kind"] == {"description": "what it is"}, "the $ref is dropped, its sibling keywords kept"
    assert properties["tags"] == {"type": "array", "items": {}}
    assert properties["pet"] == {"$ref": "#/components/schemas/Pet"}, "working references are left alone"
    api = parse.build_ir(document, "pets.yaml", "pets")  # the rest of the spec is generated
    assert {op.operation_id for group in api.groups for op in group.operations} >= {"listPets", "listOwners"}


@pytest.mark.parametrize(
    ("where", "ref"),
    [
        (("paths", "/owners", "get", "responses", "200"), "#/components/responses/Nope"),
        (("paths", "/pets", "get", "parameters"), "#/components/parameters/Nope"),
        (("paths", "/pets", "get", "responses", "200", "content", "application/json", "schema"), "#/components/responses/Owners/x"),
    ],
    ids=["response", "parameter", "schema-place-pointing-at-a-response-section"],
)
def test_lenient_mode_still_refuses_dangling_refs_that_are_not_schemas(where: tuple[str, ...], ref: str) -> None:
    document = spec()
    node: Any = document
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = [{"$ref": ref}] if where[-1] == "parameters" else {"$ref": ref}
    with pytest.raises(SpecError) as info:
        validate.validate_or_raise(document, "pets.yaml", lenient=True, warn=lambda problem: None)
    assert any(ref in p.message and "points at nothing" in p.message for p in info.value.problems), info.value.problems


def test_cli_generates_leniently_with_a_warning_and_refuses_strictly(tmp_path: Path) -> None:
    path = tmp_path / "pets.json"
    path.write_text(json.dumps(spec()), "utf-8")
    strict = subprocess.run([sys.executable, "-m", "generator", "validate", str(path)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert strict.returncode == 1 and "Traceback" not in strict.stderr, strict.stderr
    assert f"error: {path}#{SCHEMA}/properties/kind/$ref: reference '#/$defs/Kind' points at nothing" in strict.stderr, strict.stderr
    output = tmp_path / "out"
    lenient = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(path), "--output", str(output), "--package-name", "pets", "--lenient"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert lenient.returncode == 0, lenient.stderr
    assert f"warning: {path}#{SCHEMA}/properties/kind/$ref: reference '#/$defs/Kind' points at nothing" in lenient.stderr, lenient.stderr
    assert (output / "pets" / "models.py").is_file()


@pytest.fixture(scope="module")
def mistral() -> dict[str, Any]:
    if not MISTRAL.is_file():
        pytest.fail(f"corpus spec {MISTRAL} is missing: it is expected next to the repository (../shared/corpus)")
    return loader.load(MISTRAL).document


def test_mistral_is_refused_strictly_and_degraded_leniently(mistral: dict[str, Any]) -> None:
    with pytest.raises(SpecError) as info:
        validate.validate_or_raise(copy.deepcopy(mistral), str(MISTRAL))
    strict = info.value.problems
    assert strict and all("'#/$defs/" in p.message for p in strict), strict[:3]
    document = copy.deepcopy(mistral)
    warnings: list[Problem] = []
    validate.validate_or_raise(document, str(MISTRAL), lenient=True, warn=warnings.append)
    degraded = [w for w in warnings if "'#/$defs/" in w.message]
    assert sorted(w.pointer for w in degraded) == sorted(p.pointer for p in strict), "each refusal becomes one warning at the same $ref"
    assert all(w.pointer.startswith("/paths/~1v1~1audio~1speech/post/") for w in degraded), "only the one operation is affected"
    api = parse.build_ir(document, str(MISTRAL), "mistral")
    assert sum(len(group.operations) for group in api.groups) >= 280, "every other operation is generated"
