"""Stages on a second core (generator/pipeline/forked.py) give what one process gives.

Validation runs in a forked child beside the IR and models, every file but models.py is
formatted in another child while datamodel-code-generator runs, and black's blocks are shared
out between processes. These tests hold the output, the warnings (and their order) and the
errors to what ``CLIENTSMITH_PROCESSES=1`` (everything in one process) gives.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from generator.errors import Problem, SpecError
from generator.pipeline import build, forked, validate
from generator.pipeline import format as fmt

ROOT = Path(__file__).resolve().parents[1]


def _spec(pet_type: str = "strnig") -> dict[str, Any]:
    """A 3.1 spec with a schema-validation finding (``pet_type``) and a parse warning (the
    ``Accept`` header parameter, which the client sets itself)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "parameters": [{"name": "Accept", "in": "header", "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Pet": {"type": "object", "properties": {"name": {"type": "string"}, "kind": {"type": pet_type}}},
            }
        },
    }


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    spec = tmp_path / "pets.json"
    spec.write_text(json.dumps(document), "utf-8")
    return spec


def _build(spec: Path, monkeypatch: pytest.MonkeyPatch, processes: str, **options: Any) -> tuple[dict[str, str], list[Problem]]:
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, processes)
    warnings: list[Problem] = []
    generated = build(spec, "pets", warn=warnings.append, **options)
    return generated.files, warnings


def test_forked_runs_in_a_child_and_falls_back_to_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(forked.PROCESSES_VARIABLE, raising=False)
    if forked.processes() < 2:
        pytest.skip("one core: Forked never starts a child here (the serial path is what runs)")
    assert forked.Forked(os.getpid).result() != os.getpid(), "the work did not run in a child process"

    def fails() -> int:
        raise ValueError("the work's own error")

    with pytest.raises(ValueError, match="the work's own error"):  # the child fails: the caller redoes it and raises
        forked.Forked(fails).result()
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, "1")
    assert forked.Forked(os.getpid).result() == os.getpid(), "CLIENTSMITH_PROCESSES=1 still started a child"


def test_cancel_stops_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(forked.PROCESSES_VARIABLE, raising=False)
    if forked.processes() < 2:
        pytest.skip("one core: Forked never starts a child here")
    import time

    child = forked.Forked(lambda: time.sleep(60))
    started = time.monotonic()
    child.cancel()
    assert time.monotonic() - started < 5, "cancel waited for the child's work instead of stopping it"


_PREPARED: list[str] = []


def _prepare() -> None:
    _PREPARED.append("prepared")


def _where(argument: str) -> tuple[int, str, list[str]]:
    return os.getpid(), argument, list(_PREPARED)


def test_prepared_runs_its_work_in_the_child_it_forked_before_the_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(forked.PROCESSES_VARIABLE, raising=False)
    if forked.processes() < 2:
        pytest.skip("one core: Prepared never starts a child here (the serial path is what runs)")
    pid, argument, prepared = forked.Prepared(_prepare, _where).run("the argument")
    assert pid != os.getpid() and argument == "the argument", "the work did not run in the child, on the argument sent"
    assert prepared == ["prepared"] and _PREPARED == [], "prepare() must run in the child, before the work, and only there"

    def fails(argument: str) -> int:
        raise ValueError(f"the work's own error on {argument}")

    with pytest.raises(ValueError, match="the work's own error on x"):  # the child fails: the caller redoes it and raises
        forked.Prepared(_prepare, fails).run("x")
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, "1")
    assert forked.Prepared(_prepare, _where).run("y")[0] == os.getpid(), "CLIENTSMITH_PROCESSES=1 still started a child"


def test_prepared_is_not_held_up_by_children_forked_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Children the caller forks later hold copies of the pipe to the prepared child; the argument
    must still reach it (it goes length first, not up to the pipe's end), and cancel must stop it."""
    monkeypatch.delenv(forked.PROCESSES_VARIABLE, raising=False)
    if forked.processes() < 2:
        pytest.skip("one core: no child to hold anything up")
    import time

    prepared = forked.Prepared(_prepare, _where)
    sleeper = forked.Forked(lambda: time.sleep(60))
    try:
        started = time.monotonic()
        assert prepared.run("z")[1] == "z"
        assert time.monotonic() - started < 10, "run() waited for a later child to end"
    finally:
        sleeper.cancel()
    idle = forked.Prepared(lambda: time.sleep(60), _where)
    started = time.monotonic()
    idle.cancel()
    assert time.monotonic() - started < 5, "cancel waited for the child's preparation instead of stopping it"


def test_a_small_spec_gets_its_models_from_a_prepared_child_with_the_same_bytes(tmp_path: Path) -> None:
    """In a fresh interpreter (datamodel-code-generator not imported yet) a small spec's models are
    built by the child that imported it during load and IR; the package is byte for byte what one
    process writes."""
    import subprocess
    import sys

    spec = ROOT / "specs" / "codat.yaml"
    probe = f"from pathlib import Path; from generator.pipeline import models; print(models.prepare_worker(Path({str(spec)!r}), 'x') is not None)"
    worker = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, forked.PROCESSES_VARIABLE: "2"})
    assert worker.stdout.strip() == "True", f"no prepared child for {spec.name} in a fresh interpreter: {worker.stdout}{worker.stderr}"
    trees = {}
    for processes in ("1", "2"):
        out = tmp_path / processes / "codat_client"
        env = {**os.environ, forked.PROCESSES_VARIABLE: processes, "CLIENTSMITH_NO_CACHE": "1"}
        command = [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(out), "--package-name", "codat_client"]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
        trees[processes] = {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}
    assert trees["1"] == trees["2"], f"files differ between one process and a prepared child: {sorted(k for k in trees['1'] if trees['1'][k] != trees['2'].get(k))}"


def test_lenient_build_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _write(tmp_path, _spec())
    serial_files, serial_warnings = _build(spec, monkeypatch, "1", lenient=True)
    parallel_files, parallel_warnings = _build(spec, monkeypatch, "2", lenient=True)
    assert [str(w) for w in serial_warnings] == [str(w) for w in parallel_warnings], "warnings differ (or come in another order)"
    messages = [w.message for w in parallel_warnings]
    first_parse = next(i for i, m in enumerate(messages) if "header parameter" in m)
    assert first_parse > 0 and all(w.lenient_ok for w in parallel_warnings[:first_parse]), (
        f"validation warnings must come before the IR's: {messages}"
    )
    assert serial_files == parallel_files, "files differ between one process and two"


def test_invalid_spec_raises_the_validation_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _write(tmp_path, _spec())
    errors = []
    for processes in ("1", "2"):
        monkeypatch.setenv(forked.PROCESSES_VARIABLE, processes)
        with pytest.raises(SpecError) as caught:
            build(spec, "pets")
        errors.append([str(p) for p in caught.value.problems])
    assert errors[0] == errors[1], "the error of an invalid spec differs between one process and two"
    assert any("'strnig'" in e for e in errors[1]), f"the error does not name the bad type: {errors[1]}"


def test_validation_error_wins_over_a_later_stage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IR fails too (it is made to): what is raised is the validation's SpecError, as when
    the IR never ran."""
    from generator.pipeline import parse

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the IR failed")

    monkeypatch.setattr(parse, "build_ir", broken)
    spec = _write(tmp_path, _spec())
    for processes in ("1", "2"):
        monkeypatch.setenv(forked.PROCESSES_VARIABLE, processes)
        with pytest.raises(SpecError):
            build(spec, "pets")
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, "2")
    with pytest.raises(RuntimeError, match="the IR failed"):  # a valid spec: the IR's own error
        build(_write(tmp_path, _spec("string")), "pets")


def test_black_shared_out_matches_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A project client's files as rendered (before formatting), black's blocks forced into a
    run per process: the text is what one process gives."""
    from generator.pipeline import loader, models, parse, render

    spec = ROOT / "specs" / "airflow.yaml"
    api = parse.build_ir(loader.load(spec).document, str(spec), "airflow_client")
    source = models.generate_models(api.model_document, [m.class_name for m in api.models], str(spec), api.polymorphic)
    files = render.render(api, source, "1.0.0", "test")
    verbatim = render.verbatim(api.package_name)
    parent_jobs: list[int] = []
    original = fmt._black_jobs

    def counting(jobs: list[Any], black_format: fmt.BlackFormatter) -> list[str | None]:
        parent_jobs.append(len(jobs))  # children count in their own memory: only the parent's run shows
        return original(jobs, black_format)

    monkeypatch.setattr(fmt, "_black_jobs", counting)
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, "1")
    serial = fmt.format_files(dict(files), verbatim=verbatim)
    assert parent_jobs and parent_jobs[0] > 1, "black had too little to do for this test to share anything out"
    total = parent_jobs.pop()
    monkeypatch.setenv(forked.PROCESSES_VARIABLE, "2")
    monkeypatch.setattr(fmt, "PARALLEL_BLACK_CHARS", 1)
    assert fmt.format_files(dict(files), verbatim=verbatim) == serial, "black's blocks shared out gave other text"
    if forked.processes() >= 2:
        assert parent_jobs[-1] < total, "the blocks were not shared out: the parent formatted all of them"


def _bad_31_spec() -> dict[str, Any]:
    """:func:`_spec` with more findings, nested where ``$dynamicRef`` leads the validator."""
    document = _spec()
    schemas = document["components"]["schemas"]
    schemas["Owner"] = {
        "type": "object",
        "properties": {"pets": {"type": "array", "items": {"type": "object", "properties": {"age": {"type": "integer", "minimum": "one"}}}}},
        "required": "pets",
    }
    schemas["Either"] = {"oneOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "object", "additionalProperties": 3}]}
    return document


def _bad_30_spec() -> dict[str, Any]:
    """:func:`_bad_31_spec` as OpenAPI 3.0, the same bad schema twice (the second one is
    checked again, since it fails)."""
    document = _bad_31_spec()
    document["openapi"] = "3.0.3"
    schemas = document["components"]["schemas"]
    schemas["Twin"] = copy.deepcopy(schemas["Owner"])
    schemas["Plain"] = {"type": "string"}
    schemas["PlainAgain"] = {"type": "string"}
    return document


INLINE = {"inline 3.1": _bad_31_spec, "inline 3.0": _bad_30_spec}


@pytest.mark.parametrize("spec", ["specs/airflow.yaml", "specs/mammoth_analytics.yaml", "specs/codat.yaml", *INLINE])
def test_fast_validator_finds_what_the_stock_one_finds(spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The crawled 3.1 registry and the remembered meta-schema checks change no finding."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    from generator.pipeline import loader

    document = INLINE[spec]() if spec in INLINE else loader.load(ROOT / spec).document
    fast = validate.validate(copy.deepcopy(document), spec)
    stock_classes = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}
    monkeypatch.setattr(validate, "_spec_validator", stock_classes.__getitem__)
    stock = validate.validate(copy.deepcopy(document), spec)
    assert fast == stock, f"{spec}: the faster validator changed what validation finds"
    if spec in INLINE:
        assert len(stock) >= 3, f"the inline spec should have a finding in each bad schema: {stock}"


@pytest.mark.parametrize("version", ["3.0", "3.1"])
def test_schemas_that_passed_in_an_earlier_run_are_not_checked_again(version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the regeneration cache, an edited document re-checks against the meta-schema only
    the schema contents no earlier run saw pass; a failing schema is checked (and reported)
    every time; the findings are the stock validator's."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    from generator.pipeline.cache import Cache

    stock_keyword = validate._spec_validator(version).keyword_validators["schema"].__mro__[1]
    original = stock_keyword._validate_schema_meta
    checked: list[Any] = []

    def counting(self: Any, schema: Any, schema_value: Any) -> Any:
        checked.append(schema_value)
        return original(self, schema, schema_value)

    monkeypatch.setattr(stock_keyword, "_validate_schema_meta", counting)
    store = Cache(tmp_path / "cache")

    def findings(document: dict[str, Any]) -> list[Problem]:
        document["openapi"] = f"{version}.0"
        checked.clear()
        validation = validate.start_validation(document, "pets.json", lenient=True, background=False, cache=store)
        found: list[Problem] = []
        validate.finish_validation(validation, found.append)
        return found

    first = findings(_spec("string"))
    assert first == [] and len(checked) >= 3, f"every schema content is checked on a first run: {checked}"
    edited = _spec("string")
    edited["components"]["schemas"]["Pet"]["properties"]["age"] = {"type": "integer"}
    assert findings(edited) == []
    assert checked == [edited["components"]["schemas"]["Pet"]], f"only the edited schema should be checked again, not {checked}"
    bad = _spec("strnig")
    stock = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}[version]
    for extra in ("First", "Second"):  # two documents with the same failing schema
        bad["components"]["schemas"][extra] = {"type": "string", "description": extra}
        reported = findings(copy.deepcopy(bad))
        assert reported and any("strnig" in problem.message for problem in reported), reported
        assert bad["components"]["schemas"]["Pet"] in checked, "a schema that failed must be checked again on every run"
    bad["openapi"] = f"{version}.0"
    monkeypatch.setattr(validate, "_spec_validator", lambda _: stock)
    assert reported == validate._validator_problems(copy.deepcopy(bad), "pets.json"), "the cache changed the findings"
