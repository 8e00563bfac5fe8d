"""Regenerating after a change (generator/pipeline/cache.py and pipeline/__init__.py).

The promise: with the cache, a run writes the same bytes as a cold run (``cache=None``, which is
the pipeline without any of this) from the same output folder, for every kind of edit, while
reusing every unit whose input did not change; an unchanged client is skipped before anything
heavy is loaded; a damaged, stale or unwritable cache never changes what is generated.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from generator.errors import Problem, SpecError
from generator.pipeline import cache as caching
from generator.pipeline import loader, render, template_files, write

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
LARGE = CORPUS / "airbyte_config_latest.yaml"  # 415 paths, 761 schemas; needs --lenient (13 warnings)
PACKAGE = "airbyte"

OVERLAY = {
    "overlay": "1.0.0",
    "info": {"title": "notes", "version": "1"},
    "actions": [{"target": "$.info", "update": {"description": "Airbyte configuration API (overlaid)."}}],
}


def _edit_field(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["WorkspaceRead"]
    schema["properties"]["regenNote"] = {"type": "string", "description": "A field added by the test."}


def _edit_operation(document: dict[str, Any]) -> None:
    document["paths"]["/v1/workspaces/regen_probe"] = {
        "post": {
            "tags": ["workspace"],
            "summary": "An operation added by the test",
            "operationId": "regenProbeWorkspace",
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkspaceCreate"}}}, "required": True},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkspaceRead"}}}}},
        }
    }


def _edit_description(document: dict[str, Any]) -> None:
    document["paths"]["/v1/workspaces/create"]["post"]["summary"] = "Creates a workspace (summary edited by the test)"


class _Large:
    """The large spec as JSON in a folder of its own, its base client generated with a cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.document = loader.load(LARGE).document
        self.overlay = root / "notes.overlay.json"
        self.overlay.write_text(json.dumps(OVERLAY))
        self.spec = self.write_spec(root / "base", self.document)
        self.cache = caching.Cache(root / "cache")
        self.base = root / "base-out"
        pipeline.generate(self.spec, PACKAGE, self.base, lenient=True, overlays=[self.overlay], cache=self.cache)

    @staticmethod
    def write_spec(folder: Path, document: dict[str, Any]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "airbyte.json"
        path.write_text(json.dumps(document, indent=1))
        return path

    def edited(self, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
        """The spec with ``edit`` applied, as ``airbyte.json`` in a folder of its own."""
        document = copy.deepcopy(self.document)
        edit(document)
        return self.write_spec(self.root / name, document)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> _Large:
    if not LARGE.is_file():
        pytest.fail(f"{LARGE} is missing: the corpus (../shared/corpus) is part of the test inputs")
    return _Large(tmp_path_factory.mktemp("regen"))


def _cold_and_incremental(large: _Large, name: str, spec: Path, overlay: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> caching.Stats:
    """Generate ``spec`` over a copy of the base output twice, cold and with the warm cache, and
    require the same files byte for byte (and the same warnings); returns the cache's counts."""
    cold_out, warm_out = large.root / f"{name}-cold", large.root / f"{name}-warm"
    for folder in (cold_out, warm_out):
        shutil.copytree(large.base, folder)
    cold_warnings: list[Problem] = []
    warm_warnings: list[Problem] = []
    cold = pipeline.generate(spec, PACKAGE, cold_out, lenient=True, overlays=[overlay], warn=cold_warnings.append)
    large.cache.stats = caching.Stats()
    warm = pipeline.generate(spec, PACKAGE, warm_out, lenient=True, overlays=[overlay], warn=warm_warnings.append, cache=large.cache)
    assert not warm.skipped, f"{name}: an edited input must not be skipped"
    assert warm.files == cold.files, f"{name}: in-memory files differ: {sorted(p for p in cold.files if cold.files[p] != warm.files.get(p))}"
    on_disk_cold, on_disk_warm = write.read_tree(cold_out), write.read_tree(warm_out)
    differing = sorted(p for p in set(on_disk_cold) | set(on_disk_warm) if on_disk_cold.get(p) != on_disk_warm.get(p))
    assert not differing, f"{name}: files differ between the cold and the cached run: {differing}"
    assert warm_warnings == cold_warnings, f"{name}: the cached run reported other warnings"
    assert cold.written is not None and warm.written == cold.written, f"{name}: the runs wrote different files"
    return large.cache.stats


def test_field_added_is_the_same_as_cold(large: _Large) -> None:
    stats = _cold_and_incremental(large, "field", large.edited("field", _edit_field), large.overlay)
    # models.py must be made again (datamodel-code-generator runs over the whole model document),
    # and so must validation; every resource module is reused.
    assert stats.hits > 50 and stats.misses >= 2, stats


def test_operation_added_is_the_same_as_cold(large: _Large) -> None:
    stats = _cold_and_incremental(large, "operation", large.edited("operation", _edit_operation), large.overlay)
    assert stats.hits > 50, stats


def test_description_changed_is_the_same_as_cold(large: _Large) -> None:
    stats = _cold_and_incremental(large, "description", large.edited("description", _edit_description), large.overlay)
    assert stats.hits > 50, stats


def test_overlay_changed_is_the_same_as_cold(large: _Large) -> None:
    changed = large.root / "overlay-changed" / "notes.overlay.json"
    changed.parent.mkdir()
    overlay = copy.deepcopy(OVERLAY)
    overlay["actions"].append({"target": "$.components.schemas.WorkspaceRead", "update": {"description": "Overlaid description."}})
    changed.write_text(json.dumps(overlay))
    stats = _cold_and_incremental(large, "overlay", large.spec, changed)
    assert stats.hits > 50, stats


def test_template_changed_is_the_same_as_cold(large: _Large, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(template_files.TEMPLATES, templates)
    groups = sorted(templates.rglob("group.py.jinja"))
    assert groups, "no group.py.jinja (the resource module template) under templates/: update this test"
    group = groups[0]
    group.write_text(group.read_text() + "\n# regenerated with an edited template\n")
    monkeypatch.setattr(template_files, "TEMPLATES", templates)
    monkeypatch.setattr(render, "TEMPLATES", templates)
    render.environment.cache_clear()
    try:
        stats = _cold_and_incremental(large, "template", large.spec, large.overlay)
    finally:
        render.environment.cache_clear()
    assert stats.hits >= 2, stats  # validation and models.py are reused; every resource module changed


def test_generator_version_changed_is_the_same_as_cold(large: _Large, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "__version__", "0.1.0.post999")
    _cold_and_incremental(large, "version", large.spec, large.overlay)


def test_unchanged_client_is_skipped_and_warnings_are_replayed(large: _Large) -> None:
    out = large.root / "unchanged"
    shutil.copytree(large.base, out)
    before = {path: (out / path).stat().st_mtime_ns for path in write.read_tree(out)}
    warnings: list[Problem] = []
    result = pipeline.generate(large.spec, PACKAGE, out, lenient=True, overlays=[large.overlay], warn=warnings.append, cache=large.cache)
    assert result.skipped and result.written is not None and not result.written.written
    assert len(warnings) == 13, f"the base run's 13 validation warnings are reported again, got {len(warnings)}"
    assert {path: (out / path).stat().st_mtime_ns for path in write.read_tree(out)} == before, "a skipped client touches nothing"
    assert result.files == pipeline.build(large.spec, PACKAGE, lenient=True, previous=out, overlays=[large.overlay]).files


def test_what_defeats_the_skip(large: _Large) -> None:
    out = large.root / "defeat"
    shutil.copytree(large.base, out)

    def run(**options: Any) -> pipeline.Generated:
        arguments: dict[str, Any] = {"lenient": True, "overlays": [large.overlay], "cache": large.cache, **options}
        return pipeline.generate(large.spec, PACKAGE, out, **arguments)

    edited = out / PACKAGE / "_client.py"
    original = edited.read_bytes()
    edited.write_bytes(original + b"# edited by hand\n")
    result = run()
    assert not result.skipped and result.written is not None and result.written.written == (f"{PACKAGE}/_client.py",)
    assert edited.read_bytes() == original, "a file edited by hand is restored, as a cold run would"
    assert run().skipped

    with pytest.raises(SpecError):  # strict after lenient: validation runs again, and fails
        run(lenient=False)

    (out / write.MANIFEST).write_text("{not json")
    assert not run().skipped, "a damaged manifest means a full (cached) run"
    assert run().skipped

    other = caching.Cache(large.root / "empty-cache")
    assert not run(cache=other).skipped, "without the run record (another cache) nothing is skipped"


def test_stale_generator_code_reuses_nothing(large: _Large, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caching, "code_digest", lambda: "0" * 64)
    out = large.root / "stale"
    shutil.copytree(large.base, out)
    large.cache.stats = caching.Stats()
    result = pipeline.generate(large.spec, PACKAGE, out, lenient=True, overlays=[large.overlay], cache=large.cache)
    assert not result.skipped and large.cache.stats.hits == 0, large.cache.stats


def test_damaged_entries_are_misses_and_are_written_again(large: _Large) -> None:
    entries = [path for path in (large.cache.folder).rglob("*") if path.is_file()]
    assert entries, "the base run stored entries"
    damaged = large.root / "damaged-cache"
    shutil.copytree(large.cache.root, damaged)
    for path in damaged.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]) if data else b"x")  # one bit off
    store = caching.Cache(damaged)
    out = large.root / "damaged"
    shutil.copytree(large.base, out)
    result = pipeline.generate(large.spec, PACKAGE, out, lenient=True, overlays=[large.overlay], cache=store)
    assert not result.skipped and store.stats.hits == 0 and result.written is not None and not result.written.written
    assert pipeline.generate(large.spec, PACKAGE, out, lenient=True, overlays=[large.overlay], cache=store).skipped, "entries were rewritten"


# -- small specs: file references, the command line, the cache folder -------------------------

SPEC = """openapi: 3.0.3
info: {title: Pets, version: '1.0.0'}
paths:
  /pets/{id}:
    get:
      operationId: getPet
      tags: [pets]
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'schemas.yaml#/components/schemas/Pet'}
"""
SCHEMAS = """components:
  schemas:
    Pet:
      type: object
      properties:
        id: {type: integer}
"""


def test_a_changed_referenced_file_is_noticed(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    spec = tmp_path / "spec" / "pets.yaml"
    spec.write_text(SPEC)
    (tmp_path / "spec" / "schemas.yaml").write_text(SCHEMAS)
    store = caching.Cache(tmp_path / "cache")
    out = tmp_path / "out"
    pipeline.generate(spec, "pets", out, cache=store)
    manifest = json.loads((out / write.MANIFEST).read_text())
    assert [entry["file"] for entry in manifest["ref_files"]] == ["schemas.yaml"], manifest.get("ref_files")
    assert pipeline.generate(spec, "pets", out, cache=store).skipped

    (tmp_path / "spec" / "schemas.yaml").write_text(SCHEMAS + "        name: {type: string}\n")
    cold_out = tmp_path / "cold"
    shutil.copytree(out, cold_out)
    warm = pipeline.generate(spec, "pets", out, cache=store)
    assert not warm.skipped, "an edited $ref'd file must regenerate"
    cold = pipeline.generate(spec, "pets", cold_out)
    assert warm.files == cold.files and "name: str | None" in warm.files["pets/models.py"]


def test_the_skip_imports_no_stage(tmp_path: Path) -> None:
    """`clientsmith generate` of an unchanged client loads neither the spec nor any stage."""
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC.replace("{$ref: 'schemas.yaml#/components/schemas/Pet'}", "{type: object}"))
    env = dict(os.environ, CLIENTSMITH_CACHE_DIR=str(tmp_path / "cache"))
    command = ["generate", str(spec), "--output", str(tmp_path / "out"), "--package-name", "pets"]
    first = subprocess.run([sys.executable, "-m", "generator", *command], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert first.returncode == 0, first.stderr
    probe = (
        "import sys\n"
        "from generator import cli\n"
        "try:\n"
        "    cli.app(sys.argv[1:])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        # generator.pipeline.loader may load: the configuration reads clients.yaml with its YAML reader.
        "heavy = [m for m in ('generator.pipeline.parse', 'generator.pipeline.validate', 'generator.pipeline.models',\n"
        "    'generator.pipeline.format', 'generator.pipeline.render', 'generator.workflow.overlay', 'generator.workflow.history',\n"
        "    'datamodel_code_generator',\n"
        "    'black', 'jinja2', 'openapi_spec_validator', 'jsonpath') if m in sys.modules]\n"
        "print('loaded:', heavy)\n"
    )
    second = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stderr, second.stderr
    assert "loaded: []" in second.stdout, f"the skip imported stage modules: {second.stdout}"


def test_no_cache_stores_nothing_and_check_uses_the_record(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC.replace("{$ref: 'schemas.yaml#/components/schemas/Pet'}", "{type: object}"))
    cache_dir = tmp_path / "cache"
    env = dict(os.environ, CLIENTSMITH_CACHE_DIR=str(cache_dir))

    def clientsmith(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "generator", *arguments], capture_output=True, text=True, cwd=tmp_path, env=env, check=False)

    generate = ["generate", str(spec), "--output", "out", "--package-name", "pets"]
    assert clientsmith(*generate, "--no-cache").returncode == 0
    assert not cache_dir.exists(), "--no-cache neither reads nor writes the cache"
    second = clientsmith(*generate, "--no-cache")
    assert second.returncode == 0 and "up to date" not in second.stderr and "(0 written," in second.stderr, second.stderr
    third = clientsmith(*generate)
    assert "up to date" not in third.stderr, "no run record yet: the pipeline runs (and records it)"
    fourth = clientsmith(*generate, "--format", "json")
    assert json.loads(fourth.stdout)["clients"][0]["skipped"] is True, fourth.stdout

    (tmp_path / "clients.yaml").write_text(f"clients:\n  - spec: {spec}\n    package: pets\n    output: out\n")
    check = clientsmith("check")
    assert check.returncode == 0 and "(up to date)" in check.stderr, check.stderr
    (tmp_path / "out" / "pets" / "extra.py").write_text("x = 1\n")
    check = clientsmith("check")
    assert check.returncode == 1 and "extra file: pets/extra.py" in check.stderr, "check reports a file the manifest does not list"
    (tmp_path / "out" / "pets" / "extra.py").unlink()
    (tmp_path / "out" / "pets" / "_client.py").write_text("# edited\n")
    check = clientsmith("check")
    assert check.returncode == 1 and "changed: pets/_client.py" in check.stderr, check.stderr


def test_an_unusable_cache_folder_only_means_misses(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC.replace("{$ref: 'schemas.yaml#/components/schemas/Pet'}", "{type: object}"))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    store = caching.Cache(blocked)
    first = pipeline.generate(spec, "pets", tmp_path / "out", cache=store)
    second = pipeline.generate(spec, "pets", tmp_path / "out", cache=store)
    assert not second.skipped and store.stats.hits == 0 and second.files == first.files


def test_prune_keeps_the_newest_entries_under_the_limit(tmp_path: Path) -> None:
    store = caching.Cache(tmp_path, max_bytes=2500)
    for index in range(10):
        entry = caching.key("test", str(index))
        store.put("test", entry, "x" * 1000)
        path = store.folder / "test" / entry[:2] / entry
        os.utime(path, (1_000_000 + index, 1_000_000 + index))
    assert store.prune() == 8
    assert store.get("test", caching.key("test", "9")) == "x" * 1000 and store.get("test", caching.key("test", "8")) == "x" * 1000
    assert store.get("test", caching.key("test", "0")) is None


def test_keys_separate_their_parts() -> None:
    assert caching.key("k", "ab", "c") != caching.key("k", "a", "bc")
    assert caching.key("k", "a") != caching.key("other", "a")
    assert caching.canonical({"a": 1, "b": 2}) != caching.canonical({"b": 2, "a": 1}), "key order reaches the stages"
