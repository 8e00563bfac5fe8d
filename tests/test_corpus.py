"""Real-world specs (../shared/corpus): every one generates a client that imports, makes a call,
passes ``mypy --strict``, is black-formatted and has only classes whose names clientsmith decided.

Five corpus files fail openapi-spec-validator for small defects; they are
generated with ``lenient`` (each finding becomes a warning), as a user would.
These tests take a few minutes (Stripe's 4 MB spec alone ~25 s to generate);
they run in CI with everything else.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator import pipeline
from generator.errors import Problem
from generator.pipeline import ir, loader, parse
from tests.samples import resolve, sample

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass(frozen=True)
class CorpusSpec:
    file: str
    package: str
    lenient: bool  # fails strict validation (see ../shared/corpus/README.md)


SPECS = [
    CorpusSpec("petstore_expanded.yaml", "corpus_petstore", False),
    CorpusSpec("codat_lending.yaml", "corpus_codat_lending", False),
    CorpusSpec("stripe_spec3.json", "corpus_stripe", False),
    CorpusSpec("airbyte_config_latest.yaml", "corpus_airbyte_config", True),
    CorpusSpec("airbyte_public_api_sdk.yaml", "corpus_airbyte_public", True),
    CorpusSpec("huggingface_tgi.json", "corpus_tgi", True),
    CorpusSpec("mistral.yaml", "corpus_mistral", True),
    CorpusSpec("box.json", "corpus_box", False),
    CorpusSpec("svix.json", "corpus_svix", True),
    CorpusSpec("bandwidth.yaml", "corpus_bandwidth", False),
]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Problem]]]:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus folder {CORPUS} is missing: it is expected next to the repository (../shared/corpus)")
    out = tmp_path_factory.mktemp("corpus")
    results: dict[str, tuple[Path, list[Problem]]] = {}
    for spec in SPECS:
        warnings: list[Problem] = []
        folder = out / spec.package
        pipeline.generate(CORPUS / spec.file, spec.package, folder, lenient=spec.lenient, warn=warnings.append)
        results[spec.file] = (folder, warnings)
    return results


def test_strict_mode_refuses_exactly_the_known_invalid_files() -> None:
    from generator.errors import SpecError
    from generator.pipeline.validate import validate, validate_or_raise

    for spec in SPECS:
        problems = validate(loader.load(CORPUS / spec.file).document, spec.file)
        assert bool(problems) == spec.lenient, (
            f"{spec.file}: expected {'validation errors' if spec.lenient else 'a valid document'}, got {len(problems)} problem(s)"
        )
        # Lenient mode skips schema-validation findings and degrades dangling schema
        # references (mistral.yaml's #/$defs refs): nothing else may remain.
        try:
            validate_or_raise(loader.load(CORPUS / spec.file).document, spec.file, lenient=True, warn=lambda problem: None)
        except SpecError as exc:
            pytest.fail(f"{spec.file}: lenient mode still refuses it: {exc.problems[:3]}")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.file)
def test_lenient_generation_reports_each_finding_with_a_pointer(spec: CorpusSpec, generated: dict[str, tuple[Path, list[Problem]]]) -> None:
    _, warnings = generated[spec.file]
    # Validation findings (lenient_ok) exactly for the invalid files; any spec may also get
    # warnings about parts the client leaves out (e.g. a second response media type).
    assert any(w.lenient_ok for w in warnings) == spec.lenient, [str(w) for w in warnings][:5]
    assert all(w.pointer.startswith("/") and len(w.pointer) > 1 for w in warnings), [str(w) for w in warnings if len(w.pointer) <= 1]


def _first_callable_operation(api: ir.Api) -> ir.Operation:
    for op in api.operations:
        simple = all(p.annotation in ("str", "int", "float", "bool") for p in op.required_parameters)
        if op.http_method == "GET" and simple and (op.body is None or not op.body.required):
            return op
    raise AssertionError("no GET operation with simple required parameters")


_VALUES = {"str": "abc", "int": 7, "float": 1.5, "bool": True}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.file)
def test_corpus_client_imports_and_makes_a_call(spec: CorpusSpec, generated: dict[str, tuple[Path, list[Problem]]]) -> None:
    folder, _ = generated[spec.file]
    sys.path.insert(0, str(folder))
    try:
        module: Any = importlib.import_module(spec.package)
        document = loader.load(CORPUS / spec.file).document
        api = parse.build_ir(document, spec.file, spec.package)
        op = _first_callable_operation(api)
        raw_operation = document["paths"][op.path][op.http_method.lower()]
        status = op.success[0].status if op.success else "200"
        response = resolve(document, raw_operation["responses"].get(status) or {})
        content = (response.get("content") or {}).get("application/json")
        body = sample(document, content.get("schema")) if content and content.get("schema") else None
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            code = int(status) if status.isdigit() else 200
            return httpx.Response(code, json=body) if body is not None else httpx.Response(code)

        client = module.Client(base_url="https://corpus.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
        resource = getattr(client, op.group)
        arguments = {p.py_name: _VALUES[p.annotation] for p in op.required_parameters}
        getattr(resource, op.py_name)(**arguments)
        assert len(seen) == 1 and seen[0].method == "GET", f"{spec.file}: {op.py_name} did not send its request"
    finally:
        sys.path.remove(str(folder))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.file)
def test_corpus_client_passes_mypy_strict(spec: CorpusSpec, generated: dict[str, tuple[Path, list[Problem]]]) -> None:
    folder, _ = generated[spec.file]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", spec.package],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mypy --strict fails on the {spec.file} client:\n{result.stdout[-3000:]}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.file)
def test_corpus_client_is_black_formatted(spec: CorpusSpec, generated: dict[str, tuple[Path, list[Problem]]]) -> None:
    folder, _ = generated[spec.file]
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--target-version", "py311", str(folder)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"the {spec.file} client is not black-formatted:\n{result.stderr[-2000:]}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.file)
def test_corpus_model_classes_are_all_named_by_clientsmith(spec: CorpusSpec, generated: dict[str, tuple[Path, list[Problem]]]) -> None:
    """datamodel-code-generator names no class itself (``State1``, ``Field3``, ``Message2``...):
    every class in models.py is one the IR decided through generator/pipeline/naming.py."""
    import re

    folder, _ = generated[spec.file]
    api = parse.build_ir(loader.load(CORPUS / spec.file).document, spec.file, spec.package)
    source = (folder / spec.package / "models.py").read_text(encoding="utf-8")
    found = set(re.findall(r"^class (\w+)\(", source, re.MULTILINE))
    invented = sorted(found - {model.class_name for model in api.models})
    assert not invented, f"{spec.file}: classes named by datamodel-code-generator: {invented[:20]}"
