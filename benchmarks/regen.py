"""Regeneration after a change (issue 14): cold vs unchanged vs a one-field and a one-operation edit.

Run by ``make bench`` (section ``regeneration``) and on its own:

    .venv/bin/python benchmarks/regen.py [--repeats 3] [--inputs airflow_v2_full,stripe,airbyte_config_latest]

Each input's spec is first written as JSON (its loaded document, so an edit changes only
what it edits) into ``.work/regen/INPUT/``. Every figure is the wall time of one
``clientsmith generate SPEC --output OUT --package-name P`` process (the console script,
as a user runs it), median of the repetitions:

* **cold**: ``--no-cache`` into an empty folder (the pipeline with nothing reused);
* **cold, filling the cache**: the same with an empty cache folder (what the first run costs);
* **unchanged**: again, over that output and that cache (the manifest check; nothing loads);
* **one field**: a string property added to one component schema (the first object
  schema with properties that an operation's response uses); the spec's document, hence the
  model document, changes, so validation and datamodel-code-generator run again;
* **one operation**: a GET operation added under an existing tag, answering with that
  same schema through ``$ref`` (the model document does not change).

Each edit run starts from a copy of the output and of the cache the cache-filling run left
(untimed), so repetitions do not reuse each other's entries. One more run of each edit, from
the same start, goes through ``cs_stages.py`` and records where its time goes
(``profiled_run``: the seconds spent in each stage), which the report cites when an edit
misses its target. ``--format json`` gives
the cache hits and misses of each run. Results: ``results/regeneration.json`` and the
block between ``<!-- regen:start -->`` and ``<!-- regen:end -->`` of README.md (see
``report.regeneration_block``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _proc

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work" / "regen"
CLIENTSMITH = ROOT / ".venv" / "bin" / "clientsmith"
MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: name -> (how the report names it, package, needs --lenient)
INPUTS = {
    "airflow_v2_full": ("Airflow REST API v2 full", "airflow_v2", False),
    "airbyte_config_latest": ("airbyte_config_latest.yaml", "airbyte_config_latest", True),
    "stripe": ("stripe_spec3.json", "stripe_client", False),
}
KINDS = ("cold", "cold_filling_cache", "unchanged", "one_field", "one_operation")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _load(spec: Path, target: Path) -> dict[str, Any]:
    """``spec`` as clientsmith loads it (YAML 1.2 rules, ``$ref``s bundled), also written to ``target``."""
    code = (
        "import json, sys; from pathlib import Path; from generator.pipeline import loader; "
        "Path(sys.argv[2]).write_text(json.dumps(loader.load(Path(sys.argv[1])).document, indent=1))"
    )
    run = _proc.run([str(MAIN_PYTHON), "-c", code, str(spec), str(target)], timeout=600, cwd=ROOT)
    if run.status != "ok":
        raise RuntimeError(f"cannot load {spec}: {run.first_error_line()}")
    document = json.loads(target.read_text("utf-8"))
    assert isinstance(document, dict)
    return document


def _used_schema(document: dict[str, Any]) -> tuple[str, str, str] | None:
    """(schema name, path, method) of the first operation whose 200/201 JSON response is a
    ``$ref`` to an object schema with properties."""
    schemas = (document.get("components") or {}).get("schemas") or {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict):
                continue
            for status in ("200", "201"):
                response = (operation.get("responses") or {}).get(status) or {}
                schema = ((response.get("content") or {}).get("application/json") or {}).get("schema") or {}
                ref = schema.get("$ref", "")
                name = ref.removeprefix("#/components/schemas/")
                if ref.startswith("#/components/schemas/") and isinstance(schemas.get(name), dict) and schemas[name].get("properties"):
                    return name, path, method
    return None


def edit_field(document: dict[str, Any]) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    found = _used_schema(edited)
    assert found is not None, "no object schema used by a response"
    edited["components"]["schemas"][found[0]]["properties"]["clientsmith_regen_probe"] = {
        "type": "string",
        "description": "A field added by the regeneration benchmark.",
    }
    return edited


def edit_operation(document: dict[str, Any]) -> dict[str, Any]:
    edited = copy.deepcopy(document)
    found = _used_schema(edited)
    assert found is not None, "no object schema used by a response"
    name, path, method = found
    tags = edited["paths"][path][method].get("tags") or []
    edited["paths"]["/clientsmith-regen-probe/{probe_id}"] = {
        "get": {
            **({"tags": tags[:1]} if tags else {}),
            "operationId": "clientsmithRegenProbe",
            "summary": "An operation added by the regeneration benchmark",
            "parameters": [{"name": "probe_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}},
        }
    }
    return edited


def _generate(spec: Path, out: Path, package: str, lenient: bool, cache: Path | None, stages: Path | None = None) -> dict[str, Any]:
    """One ``clientsmith generate`` process; with ``stages``, run through ``cs_stages.py`` (the
    same command line with per-stage timers, whose seconds it writes there and returns)."""
    program = [str(MAIN_PYTHON), str(BENCH / "cs_stages.py")] if stages else [str(CLIENTSMITH)]
    command = [*program, "generate", str(spec), "--output", str(out), "--package-name", package, "--format", "json"]
    if lenient:
        command.append("--lenient")
    env = dict(os.environ)
    env.pop("CLIENTSMITH_NO_CACHE", None)
    if cache is None:
        command.append("--no-cache")
    else:
        env["CLIENTSMITH_CACHE_DIR"] = str(cache)
    if stages:
        stages.unlink(missing_ok=True)
        env["BENCH_STAGES_OUT"] = str(stages)
    run = _proc.run(command, timeout=900, env=env, cwd=ROOT, log=WORK / "last-run.log")
    if run.status != "ok":
        raise RuntimeError(f"{' '.join(command)}: {run.first_error_line()}")
    summary = json.loads(run.output[run.output.rindex('{\n  "clients"') :])["clients"][0]
    figures = {
        "wall_s": round(run.wall_s, 3),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "skipped": summary.get("skipped", False),
        "written": len(summary["written"]),
        "cache": summary.get("cache"),
    }
    if stages:
        figures["stages_s"] = {name: round(seconds, 3) for name, seconds in json.loads(stages.read_text("utf-8")).items()}
    return figures


def _edit_start(folder: Path, kind: str) -> tuple[Path, Path]:
    """Fresh copies of the output and cache the cache-filling run left, for one edit run."""
    out, cache = folder / f"{kind}-out", folder / f"{kind}-cache"
    for path in (out, cache):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(folder / "out", out)
    shutil.copytree(folder / "cache", cache)
    return out, cache


def _same_tree(left: Path, right: Path) -> bool:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    return files(left) == files(right)


def measure(name: str, source: Path, repeats: int) -> dict[str, Any]:
    label, package, lenient = INPUTS[name]
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    base = folder / "base" / "spec.json"
    base.parent.mkdir()
    document = _load(source, base)
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for repetition in range(repeats):
        log(f"regeneration {name} ({repetition + 1}/{repeats}): cold")
        shutil.rmtree(folder / "cold", ignore_errors=True)
        runs["cold"].append(_generate(base, folder / "cold", package, lenient, None))
        log(f"regeneration {name} ({repetition + 1}/{repeats}): cold, filling the cache")
        for path in (folder / "out", folder / "cache"):
            shutil.rmtree(path, ignore_errors=True)
        runs["cold_filling_cache"].append(_generate(base, folder / "out", package, lenient, folder / "cache"))
        log(f"regeneration {name} ({repetition + 1}/{repeats}): unchanged")
        runs["unchanged"].append(_generate(base, folder / "out", package, lenient, folder / "cache"))
    identical: dict[str, bool] = {}
    profiles: dict[str, dict[str, Any]] = {}
    for kind, edit in (("one_field", edit_field), ("one_operation", edit_operation)):
        spec = folder / kind / "spec.json"
        spec.parent.mkdir()
        spec.write_text(json.dumps(edit(document), indent=1))
        for repetition in range(repeats):
            log(f"regeneration {name} ({repetition + 1}/{repeats}): {kind.replace('_', ' ')} edit")
            out, cache = _edit_start(folder, kind)
            runs[kind].append(_generate(spec, out, package, lenient, cache))
        # Where the edit's time goes: one more run, from the same start, with stage timers (not
        # among the timed runs: cs_stages imports every stage up front).
        log(f"regeneration {name}: {kind.replace('_', ' ')} edit, with stage timers")
        out, cache = _edit_start(folder, kind)
        profiles[kind] = _generate(spec, out, package, lenient, cache, stages=folder / f"{kind}-stages.json")
        # The same edit without the cache, from the same starting folder: the bytes must agree.
        cold_out = folder / f"{kind}-cold-out"
        shutil.rmtree(cold_out, ignore_errors=True)
        shutil.copytree(folder / "out", cold_out)
        _generate(spec, cold_out, package, lenient, None)
        identical[kind] = _same_tree(out, cold_out)
    result: dict[str, Any] = {"label": label, "size_kb": round(source.stat().st_size / 1024), "lenient": lenient, "identical_to_cold": identical}
    for kind in KINDS:
        walls = [run["wall_s"] for run in runs[kind]]
        result[kind] = {"wall_s": round(statistics.median(walls), 3), "runs": runs[kind]}
        if kind in profiles:
            result[kind]["profiled_run"] = profiles[kind]
    return result


def regeneration_section(sources: dict[str, Path | None], repeats: int) -> dict[str, Any]:
    """Every input of ``sources`` measured (an input whose spec is missing gets its error)."""
    section: dict[str, Any] = {"repeats": repeats, "inputs": {}}
    for name, source in sources.items():
        if source is None or not source.is_file():
            section["inputs"][name] = {"label": INPUTS[name][0], "error": f"input not found: {source}"}
            continue
        try:
            section["inputs"][name] = measure(name, source, repeats)
        except RuntimeError as exc:
            section["inputs"][name] = {"label": INPUTS[name][0], "error": str(exc)}
    return section


def main() -> int:
    import report
    import run as bench_run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--inputs", default=",".join(INPUTS))
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "regeneration.json")
    parser.add_argument("--no-readme", action="store_true", help="Do not rewrite README.md's regeneration block.")
    arguments = parser.parse_args()
    wanted = [name for name in arguments.inputs.split(",") if name]
    sources: dict[str, Path | None] = {}
    for name in wanted:
        if name == "airflow_v2_full":
            airflow, error = bench_run.airflow_spec()
            if airflow is None:
                log(error)
            sources[name] = airflow
        else:
            sources[name] = bench_run.CORPUS / INPUTS[name][0]
    started = time.perf_counter()
    section = regeneration_section(sources, arguments.repeats)
    section["environment"] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "git": bench_run._git_head(),
        "cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "wall_s": round(time.perf_counter() - started, 1),
    }
    arguments.output.write_text(json.dumps(section, indent=2) + "\n", "utf-8")
    print("\n".join(report.regeneration_lines(section)))
    if not arguments.no_readme:
        readme = ROOT / "README.md"
        readme.write_text(report.update_regeneration_readme(readme.read_text("utf-8"), section), "utf-8")
    log(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
