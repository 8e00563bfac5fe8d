"""Broken and malicious input is refused safely by the real CLI.

For every case: the documented exit code, one `error:` line naming the file
and (where there is one) the JSON pointer, no traceback, a bounded time and
memory, and an output folder left exactly as it was.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VALID = """openapi: 3.0.3
info: {title: T, version: '1'}
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
components:
  schemas:
    Pet: {type: object, properties: {name: {type: string}}}
"""


@dataclass(frozen=True)
class Hostile:
    name: str
    text: str | bytes
    exit_code: int
    message: str  # a fragment the error line must contain
    pointer: str = ""  # the JSON pointer the error line must name, if any
    suffix: str = ".yaml"


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
    for i in range(9)
)

CASES = [
    Hostile("malformed-yaml", "openapi: 3.0.3\ninfo: {title: [unclosed\n", 2, "invalid YAML"),
    Hostile("malformed-json", '{"openapi": "3.0.3", "info": ', 2, "invalid JSON", suffix=".json"),
    Hostile("empty-file", "", 2, "file is empty"),
    Hostile("non-utf8", "openapi: 3.0.3\ninfo: {title: caf\xe9}\n".encode("latin-1"), 2, "not UTF-8"),
    Hostile("non-mapping-root", "- just\n- a list\n", 1, "not a mapping"),
    Hostile("missing-version", VALID.replace("openapi: 3.0.3\n", ""), 1, "missing or non-string `openapi` version", "/openapi"),
    Hostile("unsupported-version", VALID.replace("3.0.3", "4.0.0"), 1, "unsupported OpenAPI version", "/openapi"),
    Hostile("swagger-2", VALID.replace("openapi: 3.0.3", "swagger: '2.0'"), 1, "Swagger 2.0 documents are not supported", "/swagger"),
    Hostile(
        "dangling-ref",
        VALID.replace("#/components/schemas/Pet'", "#/components/schemas/Nope'"),
        1,
        "points at nothing",
        "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref",
    ),
    Hostile(
        "ref-cycle",
        VALID.replace("Pet: {type: object, properties: {name: {type: string}}}", "Pet: {$ref: '#/components/schemas/Dog'}\n    Dog: {$ref: '#/components/schemas/Pet'}"),
        1,
        "cycle",
        "/components/schemas/Pet/$ref",
    ),
    Hostile("yaml-alias-bomb", BOMB, 2, "alias bomb"),
    Hostile("deep-nesting", '{"openapi": "3.0.3", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", 2, "nests deeper", suffix=".json"),
    Hostile(
        "remote-ref",
        VALID.replace("'#/components/schemas/Pet'", "'https://example.invalid/pet.yaml#/Pet'"),
        1,
        "remote reference",
        "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref",
    ),
    Hostile(
        "ref-leaving-folder",
        VALID.replace("'#/components/schemas/Pet'", "'../outside/secret.yaml#/Pet'"),
        1,
        "leaves the spec's folder",
        "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref",
    ),
    Hostile(
        "duplicate-operation-ids",
        "",  # built by _duplicate_ids_spec()
        1,
        "is not unique",
        "/paths/~1pets/get/operationId",  # the second use, in document order
    ),
    Hostile(
        "undeclared-path-parameter",
        VALID.replace("/pets:", "/pets/{petId}:"),
        1,
        "Path parameter 'petId'",
        "/paths/~1pets~1{petId}/get/parameters",
    ),
]


def _duplicate_ids_spec() -> str:
    return VALID.replace("paths:\n", "paths:\n  /dogs:\n    get: {operationId: listPets, responses: {'200': {description: ok}}}\n")


#: Runs the command given as arguments and writes its peak RSS (KiB) to the file named by the
#: first: a process's peak RSS survives fork and exec on Linux, so a child of the (large) test
#: process would report the test process's size; a grandchild forked from this small runner
#: reports its own.
_MEASURE = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_measured(command: list[str], scratch: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``command`` and return its result with its own peak RSS in KiB."""
    peak = scratch / "peak-rss.txt"
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(peak), *command], capture_output=True, text=True, timeout=60, check=False)
    return result, int(peak.read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_hostile_input_is_refused_cleanly(case: Hostile, tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("Pet: {type: object, description: SECRET-CONTENT}\n")
    spec = folder / f"spec{case.suffix}"
    text = _duplicate_ids_spec() if case.name == "duplicate-operation-ids" else case.text
    spec.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    output = tmp_path / "out"
    (output / "client").mkdir(parents=True)
    (output / "client" / "keep.py").write_text("# a file from an earlier generation\n")
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}

    started = time.monotonic()
    result, peak_kb = _run_measured(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(output), "--package-name", "client"],
        tmp_path,
    )
    elapsed = time.monotonic() - started

    where = f"{case.name}: stderr was:\n{result.stderr}"
    assert result.returncode == case.exit_code, f"{where}\nexpected exit code {case.exit_code}, got {result.returncode}"
    assert "Traceback" not in result.stderr, f"{where}\nno traceback without --debug"
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines, f"{where}\nexpected an `error:` line"
    first = next((line for line in lines if case.message in line and f"#{case.pointer}:" in line), None) if case.pointer else None
    first = first or next((line for line in lines if case.message in line), None)
    assert first is not None, f"{where}\nexpected an error mentioning {case.message!r}"
    assert str(spec) in first or spec.name in first, f"{where}\nthe error must name the file"
    if case.pointer:
        assert f"#{case.pointer}:" in first, f"{where}\nthe error must name the JSON pointer {case.pointer}"
    assert "SECRET-CONTENT" not in result.stderr + result.stdout, f"{where}\na file outside the spec's folder was read"
    assert elapsed < 10, f"{case.name}: took {elapsed:.1f} s (bound: 10 s)"
    assert peak_kb < 1024 * 1024, f"{case.name}: peak RSS {peak_kb / 1024:.0f} MB (bound: 1 GB)"
    after = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert after == before, f"{case.name}: the output folder must be left exactly as it was"
    assert not list(tmp_path.glob(".out.staging-*")), f"{case.name}: a staging folder was left behind"


def test_lenient_mode_generates_a_slightly_invalid_spec_with_warnings(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(VALID.replace("name: {type: string}", "name: {type: string, default: null}"))
    strict = subprocess.run([sys.executable, "-m", "generator", "validate", str(spec)], capture_output=True, text=True, check=False)
    assert strict.returncode == 1 and "#/components/schemas/Pet/properties/name/default:" in strict.stderr, strict.stderr
    output = tmp_path / "out"
    lenient = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(output), "--package-name", "client", "--lenient"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lenient.returncode == 0, lenient.stderr
    assert "warning:" in lenient.stderr and "#/components/schemas/Pet/properties/name/default" in lenient.stderr
    assert (output / "client" / "models.py").is_file()


def test_lenient_mode_still_refuses_structural_problems(tmp_path: Path) -> None:
    # A dangling *schema* reference degrades to an untyped value in lenient mode (with a
    # warning, see test_loader_lenient_refs.py); a dangling parameter reference cannot.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        VALID.replace("      operationId: listPets\n", "      operationId: listPets\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n")
    )
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(tmp_path / "o"), "--package-name", "c", "--lenient"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "points at nothing" in result.stderr
    assert not (tmp_path / "o").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"openapi": "3.0.3"})[:-3])
    result = subprocess.run([sys.executable, "-m", "generator", "--debug", "validate", str(spec)], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "Traceback" in result.stderr
