"""The command line, run as users run it: ``python -m generator ...`` in a subprocess.

Contract (generator/cli.py): exit 0 ok, 1 drift or invalid spec, 2 usage or
unreadable input; errors are one line each on stderr starting with
``error:``; tracebacks only with ``--debug``; ``generate`` never leaves a
half-written package behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator import __version__

REPO_ROOT = Path(__file__).resolve().parents[1]

PETSTORE = """
openapi: 3.0.3
info:
  title: Petstore
  version: "1.0.0"
servers:
  - url: https://petstore.example.com/v1
components:
  securitySchemes:
    ApiKeyAuth: {type: apiKey, in: header, name: X-API-Key}
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        tag: {type: string}
security:
  - ApiKeyAuth: []
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: A list of pets.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
    post:
      operationId: createPet
      tags: [pets]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "201": {description: Created.}
  /pets/{petId}:
    get:
      operationId: showPetById
      tags: [pets]
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: The pet.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        "404": {description: Not found.}
"""

# Two problems: two dangling $refs.
INVALID = """
openapi: 3.0.3
info: {title: Broken, version: "1"}
paths:
  /a:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Nope"}
  /b:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Gone"}
"""


def clientsmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"\n$ clientsmith {' '.join(result.args[3:])}\nexit {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"


def assert_exit(result: subprocess.CompletedProcess[str], code: int, why: str) -> None:
    assert result.returncode == code, f"expected exit {code} ({why}), got {result.returncode}:{explain(result)}"
    if code != 0:
        assert "Traceback" not in result.stderr, f"errors must be one line each, no traceback without --debug:{explain(result)}"


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "petstore.yaml").write_text(PETSTORE.lstrip(), "utf-8")
    (tmp_path / "invalid.yaml").write_text(INVALID.lstrip(), "utf-8")
    return tmp_path


def test_version(work: Path) -> None:
    result = clientsmith("--version", cwd=work)
    assert_exit(result, 0, "--version")
    assert result.stdout.strip() == f"clientsmith {__version__}", f"--version must print 'clientsmith <version>':{explain(result)}"


def test_no_arguments_shows_help(work: Path) -> None:
    result = clientsmith(cwd=work)
    assert "generate" in result.stdout + result.stderr and "validate" in result.stdout + result.stderr, explain(result)


def test_validate_ok(work: Path) -> None:
    result = clientsmith("validate", "petstore.yaml", cwd=work)
    assert_exit(result, 0, "a valid spec")
    assert "ok:" in result.stderr and "3.0.3" in result.stderr, f"validate should confirm success:{explain(result)}"


def test_validate_invalid_spec_lists_every_problem(work: Path) -> None:
    result = clientsmith("validate", "invalid.yaml", cwd=work)
    assert_exit(result, 1, "an invalid spec")
    lines = sorted(result.stderr.strip().splitlines())
    assert lines == [
        (
            "error: invalid.yaml#/paths/~1a/get/responses/200/content/application~1json/schema/$ref: "
            "reference '#/components/schemas/Nope' points at nothing (define the target or fix the pointer)"
        ),
        (
            "error: invalid.yaml#/paths/~1b/get/responses/200/content/application~1json/schema/$ref: "
            "reference '#/components/schemas/Gone' points at nothing (define the target or fix the pointer)"
        ),
    ], f"each problem must be one line 'error: <file>#<pointer>: <message> (<hint>)':{explain(result)}"
    assert result.stdout == "", f"errors go to stderr only:{explain(result)}"


def test_validate_missing_file(work: Path) -> None:
    result = clientsmith("validate", "nope.yaml", cwd=work)
    assert_exit(result, 2, "unreadable input")
    assert result.stderr.strip() == "error: nope.yaml: file not found (check the path)", explain(result)


def test_validate_malformed_yaml(work: Path) -> None:
    (work / "malformed.yaml").write_text("openapi: 3.0.3\ninfo: [\n", "utf-8")
    result = clientsmith("validate", "malformed.yaml", cwd=work)
    assert_exit(result, 2, "unparsable YAML")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "malformed.yaml:3:1: invalid YAML" in lines[0], (
        f"malformed YAML must be one error line with file:line:col:{explain(result)}"
    )


def test_debug_shows_traceback(work: Path) -> None:
    result = clientsmith("--debug", "validate", "invalid.yaml", cwd=work)
    assert result.returncode == 1, f"--debug must not change the exit code:{explain(result)}"
    assert "Traceback (most recent call last)" in result.stderr, f"--debug must print the traceback:{explain(result)}"
    assert "error: invalid.yaml#/" in result.stderr, f"--debug still prints the error lines:{explain(result)}"


def test_generate_writes_a_complete_package(work: Path) -> None:
    result = clientsmith("generate", "petstore.yaml", "--output", "out", "--package-name", "petstore", cwd=work)
    assert_exit(result, 0, "generating a valid spec")
    out = work / "out"
    for relative in ("pyproject.toml", "README.md", "clientsmith.json", "petstore/__init__.py", "petstore/py.typed"):
        assert (out / relative).is_file(), f"generate must write {relative}; got {sorted(snapshot(out))}:{explain(result)}"
    manifest = json.loads((out / "clientsmith.json").read_text("utf-8"))
    assert manifest["package"] == "petstore" and manifest["spec"] == "petstore.yaml", f"manifest header wrong: {manifest}"
    on_disk = set(snapshot(out)) - {"clientsmith.json"}
    assert set(manifest["files"]) == on_disk, (
        f"the manifest must list exactly the files written: only in manifest {set(manifest['files']) - on_disk}, "
        f"only on disk {on_disk - set(manifest['files'])}"
    )
    for relative in on_disk:
        if relative.endswith(".py"):
            compile((out / relative).read_text("utf-8"), relative, "exec")
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".out.staging-")]
    assert not leftovers, f"generate left staging folders behind: {leftovers}"


@pytest.mark.parametrize("name", ["Bad-Name", "1abc", "generator"])
def test_generate_rejects_invalid_package_names(work: Path, name: str) -> None:
    result = clientsmith("generate", "petstore.yaml", "--output", "out", "--package-name", name, cwd=work)
    assert_exit(result, 2, f"invalid package name {name!r}")
    assert result.stderr.startswith("error: --package-name: invalid package name"), explain(result)
    assert not (work / "out").exists(), "nothing may be written for a usage error"


def test_generate_usage_errors(work: Path) -> None:
    result = clientsmith("generate", "petstore.yaml", cwd=work)
    assert_exit(result, 2, "generate SPEC without --output")
    assert result.stderr.strip() == "error: generate SPEC needs --output DIR", explain(result)
    result = clientsmith("generate", "--output", "out", cwd=work)
    assert_exit(result, 2, "--output without SPEC")
    result = clientsmith("frobnicate", cwd=work)
    assert result.returncode == 2, f"an unknown command is a usage error (exit 2):{explain(result)}"


def test_failed_generate_leaves_existing_output_untouched(work: Path) -> None:
    first = clientsmith("-q", "generate", "petstore.yaml", "--output", "out", "--package-name", "petstore", cwd=work)
    assert_exit(first, 0, "first generation")
    assert first.stderr == "" and first.stdout == "", f"--quiet must print errors only:{explain(first)}"
    (work / "out" / "local-notes.txt").write_text("the user's own file\n", "utf-8")
    before = snapshot(work / "out")

    result = clientsmith("generate", "invalid.yaml", "--output", "out", "--package-name", "petstore", cwd=work)
    assert_exit(result, 1, "an invalid spec")
    assert all(line.startswith("error: invalid.yaml#/") for line in result.stderr.strip().splitlines()), explain(result)
    after = snapshot(work / "out")
    assert after == before, (
        f"a failed generate changed the existing output: added {sorted(set(after) - set(before))}, "
        f"removed {sorted(set(before) - set(after))}, changed {sorted(k for k in before if k in after and before[k] != after[k])}"
    )
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".out.staging-")]
    assert not leftovers, f"a failed generate left staging folders behind: {leftovers}"


def _project(work: Path) -> None:
    (work / "clients.yaml").write_text(
        textwrap.dedent(
            """
            clients:
              - spec: petstore.yaml
                package: petstore
                output: generated/petstore
            """
        ),
        "utf-8",
    )


def test_check_detects_drift(work: Path) -> None:
    _project(work)
    result = clientsmith("generate", cwd=work)
    assert_exit(result, 0, "generate every configured client (clients.yaml found from the working folder)")
    package = work / "generated" / "petstore"
    assert (package / "petstore" / "__init__.py").is_file(), f"generate must follow clients.yaml:{explain(result)}"

    result = clientsmith("check", cwd=work)
    assert_exit(result, 0, "freshly generated output is in sync")
    assert "ok:" in result.stderr, explain(result)

    client = package / "petstore" / "_client.py"
    original = client.read_bytes()
    client.write_bytes(original.replace(b"Petstore", b"Petshop", 1))
    result = clientsmith("check", "--config", "clients.yaml", cwd=work)
    assert_exit(result, 1, "a generated file was edited")
    assert "changed: petstore/_client.py" in result.stderr, f"check must name the edited file:{explain(result)}"
    diff_lines = [line.strip() for line in result.stderr.splitlines() if line.startswith("    ")]
    assert any(line.startswith("-") and "Petshop" in line for line in diff_lines), f"check must show a diff line:{explain(result)}"
    assert any(line.startswith("+") and "Petstore" in line for line in diff_lines), f"check must show a diff line:{explain(result)}"
    assert result.stderr.strip().splitlines()[-1].startswith("error: 1 client(s) out of date"), explain(result)
    client.write_bytes(original)

    (package / "petstore" / "extra.py").write_text("x = 1\n", "utf-8")
    result = clientsmith("check", cwd=work)
    assert_exit(result, 1, "a file was added to the generated output")
    assert "extra file: petstore/extra.py" in result.stderr, f"check must report the added file:{explain(result)}"
    (package / "petstore" / "extra.py").unlink()

    (package / "README.md").unlink()
    result = clientsmith("check", cwd=work)
    assert_exit(result, 1, "a generated file was deleted")
    assert "missing file: README.md" in result.stderr, f"check must report the deleted file:{explain(result)}"


def test_check_without_configuration(work: Path) -> None:
    result = clientsmith("check", "--config", "nope.yaml", cwd=work)
    assert_exit(result, 2, "an unreadable configuration")
    assert result.stderr.startswith("error: nope.yaml: cannot read configuration"), explain(result)
