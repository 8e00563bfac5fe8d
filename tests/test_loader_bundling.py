"""Bundling multi-file specs (generator/pipeline/loader.py): extensions are opaque, schemas may recurse
across files, and the folder file references may reach (the reference root) can be widened.

The corpus spec algolia_search/search/spec.yml (114 files, 615 relative $refs into ../common,
recursive and mutually recursive schemas across files) is read in place, never copied.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from generator import cli, config
from generator.errors import Problem, SpecError, UsageError
from generator.pipeline import loader, validate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
ALGOLIA = CORPUS / "algolia_search"
ALGOLIA_SPEC = ALGOLIA / "search" / "spec.yml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), "utf-8")
    return path


def load_problems(path: Path, **options: Any) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        loader.load(path, **options)
    return info.value.problems


def describe(problems: list[Problem]) -> str:
    return "\n".join(f"  {problem}" for problem in problems) or "  (none)"


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)


def assert_one_clean_error(result: subprocess.CompletedProcess[str], code: int, *fragments: str) -> str:
    assert result.returncode == code, f"expected exit {code}, got {result.returncode}:\n{result.stderr}"
    assert "Traceback" not in result.stderr, f"no traceback without --debug:\n{result.stderr}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, f"expected one error line:\n{result.stderr}"
    for fragment in fragments:
        assert fragment in errors[0], f"the error must mention {fragment!r}: {errors[0]}"
    return errors[0]


# -- 2. $refs inside x- extensions are opaque -------------------------------------------
EXTENSIONS_SPEC = """
openapi: 3.0.3
info:
  title: T
  version: "1"
  x-logo: {$ref: "../outside/logo.yaml"}
x-tagGroups:
  - name: all
    x-nested: [{deeper: {$ref: "missing.yaml#/Nope"}}]
paths:
  /pets:
    get:
      operationId: listPets
      x-codeSamples: {$ref: "samples.yaml"}
      x-broken-local: {$ref: "#/does/not/exist"}
      responses:
        "200":
          description: ok
          headers:
            x-rate-limit: {$ref: "headers.yaml#/RateLimit"}
          content:
            application/json:
              schema: {$ref: "pet.yaml"}
"""


def _extensions_spec(tmp_path: Path) -> Path:
    spec = write(tmp_path / "api" / "spec.yaml", EXTENSIONS_SPEC)
    write(tmp_path / "api" / "samples.yaml", "lang: python\nsource: print(1)\n")
    write(tmp_path / "api" / "headers.yaml", "RateLimit: {description: calls left, schema: {type: integer}}\n")
    write(
        tmp_path / "api" / "pet.yaml",
        """
        type: object
        x-go-type: {$ref: "../../elsewhere.yaml#/GoPet"}
        properties:
          name: {type: string}
          x-owner: {$ref: "owner.yaml"}
        """,
    )
    write(tmp_path / "api" / "owner.yaml", "type: object\nproperties: {id: {type: integer}}\n")
    return spec


def test_refs_inside_extensions_are_left_untouched(tmp_path: Path) -> None:
    spec = _extensions_spec(tmp_path)
    document = loader.load(spec).document  # none of the extension refs is refused
    assert document["info"]["x-logo"] == {"$ref": "../outside/logo.yaml"}, "a $ref in an extension leaving the folder must be kept, not refused"
    assert document["x-tagGroups"] == [{"name": "all", "x-nested": [{"deeper": {"$ref": "missing.yaml#/Nope"}}]}], "nested extension refs are kept"
    operation = document["paths"]["/pets"]["get"]
    assert operation["x-codeSamples"] == {"$ref": "samples.yaml"}, "an extension's $ref to an existing file must not be followed (inlined)"
    assert operation["x-broken-local"] == {"$ref": "#/does/not/exist"}
    schemas = document["components"]["schemas"]
    assert schemas["pet"]["x-go-type"] == {"$ref": "../../elsewhere.yaml#/GoPet"}, "extensions inside a bundled file are opaque too"
    assert "samples" not in schemas, f"nothing may be hoisted from an extension's $ref, got {sorted(schemas)}"


def test_x_prefixed_names_are_not_extensions(tmp_path: Path) -> None:
    """A header or property *named* x-... is not an extension: its $ref is bundled as usual."""
    document = loader.load(_extensions_spec(tmp_path)).document
    response = document["paths"]["/pets"]["get"]["responses"]["200"]
    assert response["headers"]["x-rate-limit"] == {"description": "calls left", "schema": {"type": "integer"}}, (
        "the header named x-rate-limit must be inlined from headers.yaml"
    )
    schemas = document["components"]["schemas"]
    assert schemas["pet"]["properties"]["x-owner"] == {"$ref": "#/components/schemas/owner"}, "the property named x-owner is a schema"
    assert schemas["owner"] == {"type": "object", "properties": {"id": {"type": "integer"}}}


def test_validation_ignores_refs_inside_extensions(tmp_path: Path) -> None:
    document = loader.load(_extensions_spec(tmp_path)).document
    problems = validate.validate(document, "spec.yaml")
    assert problems == [], f"extension refs are opaque, also to validation:\n{describe(problems)}"
    result = run_cli("validate", _extensions_spec(tmp_path / "cli"))
    assert result.returncode == 0, result.stderr


def test_a_spec_whose_only_file_refs_are_in_extensions_is_unchanged(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: T, version: "1", x-logo: {$ref: "../secret.yaml"}}
        paths: {}
        """,
    )
    document = loader.load(spec).document
    assert document["info"]["x-logo"] == {"$ref": "../secret.yaml"}


# -- 3. schemas recursing across files are hoisted ----------------------------------------
def _tree_spec(tmp_path: Path) -> Path:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: Trees, version: "1"}
        paths:
          /trees:
            get:
              operationId: getTree
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: "schemas/tree.yaml#/Tree"}
        """,
    )
    write(
        tmp_path / "schemas" / "tree.yaml",
        """
        Tree:
          type: object
          properties:
            name: {type: string}
            parent: {$ref: "#/Tree"}
            branches:
              type: array
              items: {$ref: "branch.yaml#/Branch"}
        """,
    )
    write(
        tmp_path / "schemas" / "branch.yaml",
        """
        Branch:
          type: object
          properties:
            length: {type: number}
            subtree: {$ref: "tree.yaml#/Tree"}
        """,
    )
    return spec


def test_schemas_recursing_across_files_are_hoisted(tmp_path: Path) -> None:
    document = loader.load(_tree_spec(tmp_path)).document
    response = document["paths"]["/trees"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert response == {"$ref": "#/components/schemas/Tree"}, f"the recursive schema must be hoisted and referenced, got {response}"
    schemas = document["components"]["schemas"]
    assert sorted(schemas) == ["Tree"], f"only the recursive schema is hoisted (Branch is inlined in it), got {sorted(schemas)}"
    tree = schemas["Tree"]
    assert tree["properties"]["parent"] == {"$ref": "#/components/schemas/Tree"}, "self-recursion within a file"
    branch = tree["properties"]["branches"]["items"]
    assert branch["properties"]["subtree"] == {"$ref": "#/components/schemas/Tree"}, "recursion through another file"
    assert branch["properties"]["length"] == {"type": "number"}
    assert validate.validate(document, "spec.yaml") == []


def test_recursion_back_into_the_spec_file_refers_to_its_own_component(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: Pets, version: "1"}
        paths:
          /pets:
            get:
              operationId: listPets
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Pet"}
        components:
          schemas:
            Pet:
              type: object
              properties:
                owner: {$ref: "owner.yaml#/Owner"}
        """,
    )
    write(tmp_path / "owner.yaml", "Owner:\n  type: object\n  properties:\n    pets: {type: array, items: {$ref: 'spec.yaml#/components/schemas/Pet'}}\n")
    document = loader.load(spec).document
    schemas = document["components"]["schemas"]
    assert sorted(schemas) == ["Pet"], f"the spec's own Pet must not be copied (Pet_2), got {sorted(schemas)}"
    owner = schemas["Pet"]["properties"]["owner"]
    assert owner["properties"]["pets"]["items"] == {"$ref": "#/components/schemas/Pet"}
    assert validate.validate(document, "spec.yaml") == []


def test_a_recursive_schema_generates_a_client(tmp_path: Path) -> None:
    from generator import pipeline

    files = pipeline.build(_tree_spec(tmp_path), "trees").files
    models = files["trees/models.py"]
    assert "class Tree(" in models and "parent: Tree | None" in models, f"the recursive model must reference itself:\n{models[:3000]}"


def test_whole_file_path_item_refs_are_inlined_not_hoisted_as_schemas(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: T, version: "1"}
        paths:
          /a: {$ref: "paths/a.yaml"}
        """,
    )
    write(tmp_path / "paths" / "a.yaml", "get:\n  operationId: getA\n  responses: {'200': {description: ok}}\n")
    document = loader.load(spec).document
    assert document["paths"]["/a"] == {"get": {"operationId": "getA", "responses": {"200": {"description": "ok"}}}}, (
        f"a whole-file path item must be inlined; got {document['paths']['/a']} (components: {document.get('components')})"
    )
    assert validate.validate(document, "spec.yaml") == []


def test_a_non_schema_that_contains_itself_is_still_refused(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: T, version: "1"}
        paths:
          /a:
            get:
              responses:
                "200": {$ref: "responses.yaml#/Ok"}
        """,
    )
    write(tmp_path / "responses.yaml", "Ok:\n  description: ok\n  links:\n    again: {$ref: '#/Ok'}\n")
    problems = load_problems(spec)
    assert len(problems) == 1 and "leads back to itself" in problems[0].message, describe(problems)


# -- 4. the reference root ---------------------------------------------------------------
def _split_layout(tmp_path: Path) -> Path:
    """search/spec.yaml referencing ../common/..., like the algolia spec."""
    spec = write(
        tmp_path / "search" / "spec.yaml",
        """
        openapi: 3.0.3
        info: {title: Search, version: "1"}
        paths:
          /hits:
            get:
              operationId: listHits
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {$ref: "../common/schemas/Hit.yaml#/Hit"}
        """,
    )
    write(tmp_path / "common" / "schemas" / "Hit.yaml", "Hit:\n  type: object\n  properties:\n    id: {type: string}\n")
    return spec


HIT_POINTER = "/paths/~1hits/get/responses/200/content/application~1json/schema/$ref"


def test_leaving_the_spec_folder_names_the_ref_root_option(tmp_path: Path) -> None:
    spec = _split_layout(tmp_path)
    problems = load_problems(spec)
    assert [(p.file, p.pointer) for p in problems] == [(str(spec.resolve()), HIT_POINTER)], describe(problems)
    assert "leaves the spec's folder" in problems[0].message
    assert "--ref-root" in problems[0].hint and "ref_root" in problems[0].hint.replace("--ref-root", ""), (
        f"the error must name the option that allows it, got {problems[0]}"
    )


def test_ref_root_allows_references_inside_it(tmp_path: Path) -> None:
    spec = _split_layout(tmp_path)
    document = loader.load(spec, ref_root=tmp_path).document
    schema = document["paths"]["/hits"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "object", "properties": {"id": {"type": "string"}}}
    assert validate.validate(document, str(spec)) == []


def test_ref_root_still_guards_its_own_boundary(tmp_path: Path) -> None:
    spec = _split_layout(tmp_path / "project")
    write(tmp_path / "project" / "common" / "schemas" / "Hit.yaml", "Hit: {$ref: '../../../secret.yaml#/Secret'}\n")
    write(tmp_path / "secret.yaml", "Secret: {type: string, description: SECRET}\n")
    problems = load_problems(spec, ref_root=tmp_path / "project")
    assert len(problems) == 1, describe(problems)
    assert "leaves the reference root" in problems[0].message and "--ref-root" in problems[0].hint, str(problems[0])


def test_ref_root_must_contain_the_spec(tmp_path: Path) -> None:
    spec = _split_layout(tmp_path / "a")
    (tmp_path / "b").mkdir()
    with pytest.raises(UsageError, match="is not inside its reference root"):
        loader.load(spec, ref_root=tmp_path / "b")
    with pytest.raises(UsageError, match="is not a folder"):
        loader.load(spec, ref_root=tmp_path / "missing")


def test_cli_ref_root_on_validate_generate_and_diff(tmp_path: Path) -> None:
    spec = _split_layout(tmp_path)
    error = assert_one_clean_error(run_cli("validate", spec), 1, str(spec.resolve()), f"#{HIT_POINTER}:", "--ref-root")
    assert "leaves the spec's folder" in error
    assert run_cli("validate", spec, "--ref-root", tmp_path).returncode == 0
    assert run_cli("diff", spec, spec, "--ref-root", tmp_path).returncode == 0
    output = tmp_path / "out"
    generated = run_cli("generate", spec, "--output", output, "--package-name", "search", "--ref-root", tmp_path)
    assert generated.returncode == 0, generated.stderr
    assert (output / "search" / "models.py").is_file()
    usage = run_cli("generate", "--ref-root", tmp_path)
    assert_one_clean_error(usage, 2, "--ref-root", "need a SPEC argument")


def test_ref_root_option_is_shared() -> None:
    """verify (and any other command that loads a spec) declares ``ref_root: cli.RefRootOption = None``."""
    import typing

    from typer.testing import CliRunner

    for function, command in (("generate", "generate"), ("validate_command", "validate"), ("diff_command", "diff")):
        hints = typing.get_type_hints(getattr(cli, function), include_extras=True)
        assert hints["ref_root"] == cli.RefRootOption, f"{command} must declare ref_root: cli.RefRootOption"
        shown = CliRunner().invoke(cli.app, [command, "--help"], terminal_width=200)
        assert shown.exit_code == 0 and "--ref-root" in shown.output, f"{command} --help must list --ref-root:\n{shown.output}"


def test_configuration_ref_root_is_relative_to_the_configuration(tmp_path: Path) -> None:
    _split_layout(tmp_path / "specs")
    clients = write(
        tmp_path / "clients.yaml",
        """
        clients:
          - {spec: specs/search/spec.yaml, package: search, ref_root: specs}
          - {spec: specs/search/spec.yaml, package: search_two, output: out/two}
        """,
    )
    first, second = config.load_config(clients)
    assert first.ref_root == tmp_path / "specs" and second.ref_root is None
    write(clients, "clients:\n  - {spec: specs/search/spec.yaml, ref_root: 3}\n")
    with pytest.raises(UsageError, match="`ref_root` must be a folder path"):
        config.load_config(clients)


def test_configured_ref_root_is_used_by_generate_and_check(tmp_path: Path) -> None:
    _split_layout(tmp_path / "specs")
    clients = write(tmp_path / "clients.yaml", "clients:\n  - {spec: specs/search/spec.yaml, package: search, ref_root: specs}\n")
    generated = run_cli("generate", "--config", clients)
    assert generated.returncode == 0, generated.stderr
    assert (tmp_path / "generated" / "search" / "search" / "models.py").is_file()
    checked = run_cli("check", "--config", clients)
    assert checked.returncode == 0, checked.stderr


# -- the corpus: algolia's search spec ---------------------------------------------------
@pytest.fixture(scope="module")
def algolia() -> dict[str, Any]:
    if not ALGOLIA_SPEC.is_file():
        pytest.fail(f"corpus spec {ALGOLIA_SPEC} is missing: it is expected next to the repository (../shared/corpus)")
    return loader.load(ALGOLIA_SPEC, ref_root=ALGOLIA).document


def test_algolia_is_refused_without_a_ref_root() -> None:
    problems = load_problems(ALGOLIA_SPEC)
    assert problems and all("leaves the spec's folder" in p.message and "--ref-root" in p.hint for p in problems), describe(problems[:3])


def test_algolia_bundles_with_its_recursive_schemas(algolia: dict[str, Any]) -> None:
    schemas = algolia["components"]["schemas"]
    recursive = {"facetFilters", "optionalFilters", "numericFilters", "tagFilters", "reRankingApplyFilter"}
    recursive |= {"highlightResult", "highlightResultMap", "snippetResult", "snippetResultMap"}
    assert recursive <= set(schemas), f"the recursive schemas must be hoisted, got {sorted(schemas)}"
    assert schemas["highlightResultMap"]["additionalProperties"] == {"$ref": "#/components/schemas/highlightResult"}, (
        "highlightResultMap and highlightResult recurse into each other"
    )
    assert not loader._has_file_refs(algolia), "every file reference must be bundled"
    assert "/1/indexes/{indexName}/query" in algolia["paths"] and "post" in algolia["paths"]["/1/indexes/{indexName}/query"], (
        "whole-file path items are inlined"
    )


def test_algolia_keeps_norwegian_as_a_language_code(algolia: dict[str, Any]) -> None:
    languages = _find_enum_with(algolia, "nb")  # common/schemas/IndexSettings.yml#/supportedLanguage, inlined
    assert "no" in languages and False not in languages, f"YAML 1.1 would read the language code `no` as false: {languages}"


def _find_enum_with(node: Any, value: str) -> list[Any]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("enum"), list) and value in item["enum"]:
                return list(item["enum"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise AssertionError(f"no enum containing {value!r}")


def test_algolia_validates_leniently(algolia: dict[str, Any]) -> None:
    warnings: list[Problem] = []
    validate.validate_or_raise(copy.deepcopy(algolia), str(ALGOLIA_SPEC), lenient=True, warn=warnings.append)
    assert all(w.lenient_ok for w in warnings), describe([w for w in warnings if not w.lenient_ok])
    result = run_cli("validate", ALGOLIA_SPEC, "--ref-root", ALGOLIA, "--lenient")
    assert result.returncode == 0 and "ok (lenient)" in result.stderr, result.stderr[-2000:]
