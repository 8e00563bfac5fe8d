"""Reading specs (generator/pipeline/loader.py) and validating them (generator/pipeline/validate.py).

The loader turns YAML/JSON into one JSON-like document, bundling file
``$ref``s inside the spec's folder; the validator reports every problem as a
Problem(file, pointer, message, hint). Users only ever see those problems, so
each must name the file and the exact JSON pointer of the offending node.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from generator.errors import InputError, Problem, SpecError
from generator.pipeline import loader, validate

OK_RESPONSES = {"200": {"description": "ok"}}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path


def minimal(**extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "paths": {"/a": {"get": {"operationId": "getA", "responses": OK_RESPONSES}}},
        **extra,
    }


def problems_of(document: dict[str, Any], file: str = "spec.yaml") -> list[Problem]:
    return validate.validate(document, file)


def load_problems(path: Path) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        loader.load(path)
    return info.value.problems


def describe(problems: list[Problem]) -> str:
    return "\n".join(f"  {problem}" for problem in problems) or "  (none)"


# -- reading ---------------------------------------------------------------------
def test_yaml_int_keys_and_dates_are_normalised_to_json_types(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: T, version: 2024-01-31}
        paths:
          /a:
            get:
              responses:
                200: {description: ok}
                404: {description: missing}
        """,
    )
    document = loader.load(spec).document
    responses = document["paths"]["/a"]["get"]["responses"]
    assert list(responses) == ["200", "404"], (
        f"YAML int keys must become strings (JSON has only string keys), got {list(responses)!r}; fix loader._normalize"
    )
    assert document["info"]["version"] == "2024-01-31", "an unquoted YAML date must become its ISO string"
    assert problems_of(document) == [], f"a normalised document must validate:\n{describe(problems_of(document))}"


def test_json_input(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(minimal()), "utf-8")
    loaded = loader.load(spec)
    assert loaded.document == minimal(), "a JSON spec must load as is"
    assert loaded.raw == spec.read_bytes(), "LoadedSpec.raw must hold the file's bytes (the manifest hashes them)"
    assert problems_of(loaded.document) == []


def test_json_extension_is_parsed_as_json_even_if_yaml_would_accept_it(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {},}', "utf-8")
    with pytest.raises(InputError) as info:
        loader.load(spec)
    assert f"{spec}:1:" in str(info.value) and "invalid JSON" in str(info.value), (
        f"a broken .json file must be reported as invalid JSON with line:column, got {info.value}"
    )


def test_malformed_yaml_reports_line_and_column(tmp_path: Path) -> None:
    spec = write(tmp_path / "bad.yaml", "openapi: 3.0.3\ninfo: [\n")
    with pytest.raises(InputError) as info:
        loader.load(spec)
    assert str(info.value).startswith(f"{spec}:3:1: invalid YAML"), (
        f"malformed YAML must be reported as '<file>:<line>:<col>: invalid YAML: ...', got {info.value}"
    )
    assert "\n" not in str(info.value), "input errors must be one line"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        loader.load(tmp_path / "nope.yaml")


def test_non_utf8_file_is_an_input_error(tmp_path: Path) -> None:
    spec = tmp_path / "latin1.yaml"
    spec.write_bytes("openapi: 3.0.3\ninfo: {title: Caf\xe9}\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        loader.load(spec)


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("  \n", "utf-8")
    with pytest.raises(InputError, match="file is empty"):
        loader.load(spec)


@pytest.mark.parametrize("content", ["- a\n- b\n", "just a string\n", "42\n"], ids=["list", "string", "number"])
def test_document_that_is_not_a_mapping(tmp_path: Path, content: str) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(content, "utf-8")
    problems = load_problems(spec)
    assert len(problems) == 1 and "not a mapping" in problems[0].message, (
        f"a document that is not a mapping must give one 'not a mapping' problem, got:\n{describe(problems)}"
    )
    assert problems[0].file == str(spec.resolve()), "the problem must name the spec file"


# -- bundling file references ----------------------------------------------------
def _pets_spec(tmp_path: Path, schema_ref: str, error_ref: str | None = None) -> Path:
    error = (
        f"""
                404:
                  description: missing
                  content:
                    application/json:
                      schema: {{$ref: "{error_ref}"}}"""
        if error_ref
        else ""
    )
    return write(
        tmp_path / "api" / "spec.yaml",
        f"""
        openapi: 3.0.3
        info: {{title: Pets, version: "1"}}
        paths:
          /pets:
            get:
              operationId: listPets
              responses:
                200:
                  description: ok
                  content:
                    application/json:
                      schema: {{$ref: "{schema_ref}"}}{error}
        """,
    )


def _schema_ref(document: dict[str, Any], status: str) -> str:
    return document["paths"]["/pets"]["get"]["responses"][status]["content"]["application/json"]["schema"]["$ref"]


def test_ref_to_sibling_file_is_hoisted_into_components(tmp_path: Path) -> None:
    spec = _pets_spec(tmp_path, "./pet.yaml")
    write(tmp_path / "api" / "pet.yaml", "type: object\nproperties:\n  name: {type: string}\n")
    document = loader.load(spec).document
    assert _schema_ref(document, "200") == "#/components/schemas/pet", (
        "a whole-file schema reference must be rewritten to #/components/schemas/<file stem>"
    )
    schemas = (document.get("components") or {}).get("schemas") or {}
    assert schemas.get("pet") == {"type": "object", "properties": {"name": {"type": "string"}}}, (
        f"the referenced schema must be copied into components/schemas/pet, but components is "
        f"{document.get('components')!r}: loader._Bundler hoists into self.document (the un-copied input) while "
        "bundle() returns the deep copy, so hoisted schemas are lost and the rewritten $ref dangles"
    )
    assert problems_of(document) == [], f"the bundled document must validate:\n{describe(problems_of(document))}"


def test_ref_into_nested_folder_with_local_refs_there(tmp_path: Path) -> None:
    spec = _pets_spec(tmp_path, "pet.yaml", "common/errors.yaml#/components/schemas/Error")
    write(tmp_path / "api" / "pet.yaml", "type: object\nproperties:\n  owner: {$ref: 'common/errors.yaml#/components/schemas/Owner'}\n")
    write(
        tmp_path / "api" / "common" / "errors.yaml",
        """
        components:
          schemas:
            Error:
              type: object
              properties:
                message: {type: string}
                owner: {$ref: "#/components/schemas/Owner"}
            Owner: {type: object, properties: {id: {type: integer}}}
        """,
    )
    document = loader.load(spec).document
    assert _schema_ref(document, "200") == "#/components/schemas/pet"
    assert _schema_ref(document, "404") == "#/components/schemas/Error", (
        "a reference to components/schemas/<Name> in another file must become #/components/schemas/<Name>"
    )
    schemas = (document.get("components") or {}).get("schemas") or {}
    assert set(schemas) >= {"pet", "Error", "Owner"}, (
        f"pet, Error and the Owner they refer to must all be hoisted, got {sorted(schemas)}; see loader._Bundler"
    )
    assert schemas["Error"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}, (
        "a local ref inside the other file must point at the hoisted copy"
    )
    assert schemas["pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/Owner"}, (
        "refs to the same target from different files must share one hoisted schema"
    )
    assert problems_of(document) == [], f"the bundled document must validate:\n{describe(problems_of(document))}"


def test_file_ref_to_non_schema_is_inlined(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: T, version: "1"}
        paths:
          /a:
            get:
              parameters:
                - $ref: "params.yaml#/Limit"
              responses:
                "200": {description: ok}
        """,
    )
    write(tmp_path / "params.yaml", "Limit: {name: limit, in: query, schema: {type: integer}}\n")
    document = loader.load(spec).document
    assert document["paths"]["/a"]["get"]["parameters"] == [{"name": "limit", "in": "query", "schema": {"type": "integer"}}], (
        "a file reference to something other than a schema must be inlined"
    )
    assert problems_of(document) == []


def test_ref_leaving_the_spec_folder_is_refused(tmp_path: Path) -> None:
    spec = _pets_spec(tmp_path, "../outside.yaml")
    write(tmp_path / "outside.yaml", "type: string\n")
    problems = load_problems(spec)
    assert [(p.file, p.pointer) for p in problems] == [
        (str(spec.resolve()), "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref")
    ], f"a ref outside the spec folder must give one problem naming the file and the $ref's pointer, got:\n{describe(problems)}"
    assert "leaves the spec's folder" in problems[0].message and "../outside.yaml" in problems[0].message


def test_ref_to_missing_file(tmp_path: Path) -> None:
    spec = _pets_spec(tmp_path, "missing.yaml#/components/schemas/Pet")
    problems = load_problems(spec)
    assert len(problems) == 1, f"expected one problem, got:\n{describe(problems)}"
    problem = problems[0]
    assert problem.file == str(spec.resolve()) and problem.pointer.endswith("/schema/$ref"), (
        f"a missing referenced file must be reported at the referencing $ref, got {problem}"
    )
    assert "missing.yaml" in problem.message and "not found" in problem.message, f"unhelpful message: {problem}"


def test_ref_to_missing_pointer_in_other_file(tmp_path: Path) -> None:
    spec = _pets_spec(tmp_path, "pet.yaml#/components/schemas/Nope")
    write(tmp_path / "api" / "pet.yaml", "components: {schemas: {Pet: {type: object}}}\n")
    problems = load_problems(spec)
    assert len(problems) == 1 and "points at nothing" in problems[0].message, describe(problems)
    assert problems[0].pointer == "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref"


def test_document_without_file_refs_is_returned_unchanged(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(minimal(components={"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}})))
    assert loader.load(spec).document == json.loads(spec.read_text()), "local refs must be left as they are"


# -- validation ------------------------------------------------------------------
def test_valid_document_has_no_problems() -> None:
    assert problems_of(minimal()) == [], f"a minimal valid spec must pass:\n{describe(problems_of(minimal()))}"


def test_broken_local_ref_is_located() -> None:
    document = minimal()
    document["paths"]["/a"]["get"]["responses"] = {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}
    }
    problems = problems_of(document)
    assert [(p.file, p.pointer) for p in problems] == [
        ("spec.yaml", "/paths/~1a/get/responses/200/content/application~1json/schema/$ref")
    ], f"a dangling local $ref must give exactly one problem at the $ref's pointer, got:\n{describe(problems)}"
    assert "#/components/schemas/Nope" in problems[0].message and problems[0].hint, "name the reference and give a hint"
    assert str(problems[0]).startswith("spec.yaml#/paths/~1a/get/responses/200/"), "str(Problem) must be '<file>#<pointer>: ...'"


def test_undefined_security_schemes_are_located() -> None:
    document = minimal(security=[{"ghost": []}])
    document["paths"]["/a"]["get"]["security"] = [{}, {"phantom": ["read"]}]
    pointers = sorted(p.pointer for p in problems_of(document))
    assert pointers == ["/paths/~1a/get/security/1/phantom", "/security/0/ghost"], (
        f"undefined security schemes must be reported where they are required, got:\n{describe(problems_of(document))}"
    )


def test_defined_security_scheme_is_fine() -> None:
    document = minimal(security=[{"key": []}], components={"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X"}}})
    assert problems_of(document) == []


def test_missing_info_is_reported() -> None:
    document = minimal()
    del document["info"]
    problems = problems_of(document)
    # jsonschema quotes the name 'info', jsonschema-rs (the faster backend) "info".
    assert any(re.search(r"""["']info["'] is a required property""", p.message) and p.pointer == "" for p in problems), (
        f"a missing `info` must be reported at the document root, got:\n{describe(problems)}"
    )
    assert all(str(p).startswith("spec.yaml#/") for p in problems), "the root pointer must print as '<file>#/'"


def test_nested_schema_errors_carry_pointers() -> None:
    document = minimal()
    document["info"] = {"version": "1"}
    document["paths"]["/a"]["post"] = {"operationId": "postA"}
    pointers = {p.pointer: p.message for p in problems_of(document)}
    assert "/info" in pointers and "title" in pointers["/info"], f"missing info.title must be at /info: {pointers}"
    assert "/paths/~1a/post" in pointers and "responses" in pointers["/paths/~1a/post"], (
        f"an operation without responses must be reported at its own pointer: {pointers}"
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.0", "unsupported OpenAPI version '2.0'"),
        ("4.0.0", "unsupported OpenAPI version '4.0.0'"),
        ("4.0", "unsupported OpenAPI version '4.0'"),
        (3.0, "missing or non-string `openapi` version"),  # unquoted in YAML: a float
        (None, "missing or non-string `openapi` version"),
    ],
)
def test_unsupported_versions(version: object, expected: str) -> None:
    document = minimal()
    if version is None:
        del document["openapi"]
    else:
        document["openapi"] = version
    problems = problems_of(document)
    assert [(p.pointer, p.message) for p in problems] == [("/openapi", expected)], (
        f"openapi {version!r} must give one problem at /openapi: {expected!r}, got:\n{describe(problems)}"
    )
    assert problems[0].hint, "version problems must say which versions are supported"


def test_swagger_2_documents_are_refused_with_a_conversion_hint() -> None:
    document = minimal()
    del document["openapi"]
    document["swagger"] = "2.0"
    problems = problems_of(document)
    assert [(p.pointer, p.message) for p in problems] == [("/swagger", "Swagger 2.0 documents are not supported")]
    assert "convert it to OpenAPI 3" in problems[0].hint


def test_openapi_31_is_accepted() -> None:
    document = minimal()
    document["openapi"] = "3.1.0"
    assert problems_of(document) == []


def test_validate_or_raise() -> None:
    validate.validate_or_raise(minimal(), "spec.yaml")
    document = minimal()
    document["openapi"] = "2.0"
    with pytest.raises(SpecError) as info:
        validate.validate_or_raise(document, "spec.yaml")
    assert info.value.problems and info.value.exit_code == 1, "an invalid spec must exit 1"


def test_problem_formatting() -> None:
    assert str(Problem("a.yaml", "/paths/~1x", "bad", "fix it")) == "a.yaml#/paths/~1x: bad (fix it)"
    assert str(Problem("a.yaml", "", "bad")) == "a.yaml#/: bad"
