"""Property-based: specs built from arbitrary strings never become code.

Hypothesis fills every place a spec author controls (title, descriptions,
summaries, tag names, operationIds, parameter names and descriptions, enum
values, property names, defaults, examples, server URL) with hostile text,
runs the whole pipeline, and checks that every generated file parses, that the
package imports, and that no injected statement ran (the payloads try to
create a marker file). ``make test`` runs CLIENTSMITH_FUZZ_EXAMPLES (default
1,000) examples; ``make fuzz`` runs 10,000. A final test runs mypy --strict
over packages built from fixed hostile strings.

Only a deliberate refusal counts as safe: a :class:`SpecError` from a stage whose
job is to judge the input (validation, building the IR). A SpecError from model
generation wraps a crash of datamodel-code-generator or a failed self-check, and
"generated code does not parse" (:class:`FormatError`) is a generator bug: those,
and every other exception, fail the test with the spec that caused them.
Refusals are reported as Hypothesis events (``--hypothesis-show-statistics``)
and must stay below :data:`MAX_REFUSED_SHARE` of the examples, so the property
keeps testing generated code rather than refusals.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.errors import SpecError
from generator.pipeline import format as fmt
from generator.pipeline import models, parse, render, validate, write

EXAMPLES = int(os.environ.get("CLIENTSMITH_FUZZ_EXAMPLES", "1000"))
MARKER = Path(os.environ.get("TMPDIR", "/tmp")) / f"clientsmith-injected-{os.getpid()}"

PAYLOADS = [
    f'"""; open({str(MARKER)!r}, "w") #',
    f"'''; open({str(MARKER)!r}, 'w') #",
    f'"; open({str(MARKER)!r}, "w") #',
    f'\\"; open({str(MARKER)!r}, "w") #',
    f'\n"""\nopen({str(MARKER)!r}, "w")\n"""\n',
    f"{{{{ open({str(MARKER)!r}, 'w') }}}}",
    f"x\\\n__import__('os').system('touch {MARKER}')",
    f"\x00\u2028\r\nopen({str(MARKER)!r}, 'w')",
]
_PIECES = st.sampled_from(["\"", "'", "\\", "\n", "\r", "\t", "\x00", "\x7f", "\u2028", '"""', "'''", "{{", "}}", "{%", "#", " ", "é", "🐍"])
TEXT = st.one_of(
    st.sampled_from(PAYLOADS),
    st.lists(_PIECES | st.characters(exclude_categories=["Cs"]), max_size=30).map("".join),
)
NAME = st.one_of(TEXT.filter(lambda s: s.strip() != ""), st.sampled_from(["class", "model_config", "json", "schema", "Client", "1st", "type", "self", "timeout"]))


def _spec(title: str, text: str, name: str, enum_value: str, prop: str, tag: str, default: str) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0", "description": text},
        "servers": [{"url": "https://api.example.com/v1", "description": text}],
        "tags": [{"name": tag, "description": text}],
        "paths": {
            "/things/{thingId}": {
                "get": {
                    "operationId": name,
                    "summary": text,
                    "description": text,
                    "tags": [tag],
                    "parameters": [
                        {"name": "thingId", "in": "path", "required": True, "description": text, "schema": {"type": "string"}},
                        {"name": name, "in": "query", "description": text, "schema": {"type": "string", "default": default, "enum": [default, enum_value]}},
                        {"name": prop, "in": "header", "schema": {"type": "string"}, "example": text},
                    ],
                    "responses": {
                        "200": {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                        "default": {"description": text},
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "description": text,
                    "properties": {
                        prop: {"type": "string", "description": text, "default": default, "example": text},
                        "kind": {"type": "string", "enum": [enum_value, "other", ""]},
                    },
                }
            }
        },
    }


#: The largest share of examples that may be refused (see the module docstring).
MAX_REFUSED_SHARE = 0.02


class Refused(Exception):
    """A deliberate refusal: the stage that judges the input rejected the spec."""

    def __init__(self, stage: str, error: SpecError) -> None:
        super().__init__(f"{stage}: {error}")
        self.stage = stage
        self.error = error


def _generate(document: dict[str, Any], package: str) -> dict[str, str]:
    """The pipeline minus loading from disk (the document is already in memory).

    A :class:`SpecError` from validation or from building the IR becomes :class:`Refused`;
    anything raised later (model generation, rendering, formatting) propagates unchanged.
    """
    try:
        validate.validate_or_raise(document, "fuzz.yaml", lenient=True)
    except SpecError as exc:
        raise Refused("validate", exc) from exc
    try:
        api = parse.build_ir(document, "fuzz.yaml", package)
    except SpecError as exc:
        raise Refused("parse", exc) from exc
    source = models.generate_models(api.model_document, [m.class_name for m in api.models], "fuzz.yaml", api.polymorphic)
    return fmt.format_files(render.render(api, source, "1.0.0", "fuzz"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    sys.path.insert(0, str(folder))
    return folder


class Outcomes:
    """What each example came to: "generated", or the refusal (with its spec strings)."""

    def __init__(self) -> None:
        self.generated = 0
        self.refused: list[str] = []

    def __repr__(self) -> str:  # Hypothesis prints the fixture with a failing example
        return f"Outcomes(generated={self.generated}, refused={len(self.refused)})"


@pytest.fixture
def outcomes() -> Iterator[Outcomes]:
    """Collects the examples' outcomes; afterwards checks that refusals stayed rare.

    Function-scoped, so with ``@given`` it spans every example of the test: this
    teardown is the final check over the whole run.
    """
    seen = Outcomes()
    yield seen
    total = seen.generated + len(seen.refused)
    share = len(seen.refused) / max(total, 1)
    assert share <= MAX_REFUSED_SHARE, (
        f"{len(seen.refused)} of {total} examples ({share:.1%}) were refused (bound: {MAX_REFUSED_SHARE:.0%}): "
        "the property mostly tests refusals; fix the generator or the strategies. First refusals:\n" + "\n".join(seen.refused[:5])
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=TEXT, text=TEXT, name=NAME, enum_value=TEXT, prop=NAME, tag=NAME, default=TEXT)
def test_no_spec_text_becomes_code(
    workdir: Path, outcomes: Outcomes, title: str, text: str, name: str, enum_value: str, prop: str, tag: str, default: str
) -> None:
    strings = [title, text, name, enum_value, prop, tag, default]
    document = _spec(title, text, name, enum_value, prop, tag, default)
    package = f"fuzz_{uuid.uuid4().hex[:12]}"
    try:
        files = _generate(document, package)
    except Refused as refused:
        event(f"refused by {refused.stage}")  # see --hypothesis-show-statistics
        outcomes.refused.append(f"{refused} <- spec strings {strings!r}")
        return
    except Exception as exc:  # a crash, a model-generation failure or unparsable code: a bug
        spec = json.dumps(document, ensure_ascii=True)
        raise AssertionError(f"the generator failed with {type(exc).__name__}: {exc}\nspec strings: {strings!r}\nspec: {spec}") from exc
    event("generated")
    outcomes.generated += 1
    for path, source in files.items():
        if path.endswith(".py"):
            ast.parse(source, filename=path)  # every file parses
    write.write_tree(workdir / package, files)
    sys.path.insert(0, str(workdir / package))
    try:
        module = importlib.import_module(package)
        importlib.import_module(f"{package}.models")
        for group in module.Client.__dict__:
            if not group.startswith("_"):
                getattr(module.Client(base_url="https://x.test"), group, None)
    finally:
        sys.path.remove(str(workdir / package))
    assert not MARKER.exists(), f"an injected statement ran: spec strings {strings!r}"


def test_hostile_packages_pass_mypy_strict(tmp_path: Path) -> None:
    packages = []
    for index, payload in enumerate(PAYLOADS):
        package = f"hostile_{index}"
        files = _generate(_spec(payload, payload, f"op {payload}", payload + "x", f"p {payload}", f"t {payload}", payload + "d"), package)
        write.write_tree(tmp_path / package, files)
        packages.append(package)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, *packages],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
    )
    assert result.returncode == 0, f"mypy --strict fails on clients generated from hostile strings:\n{result.stdout[-3000:]}"
    assert not MARKER.exists()
