"""The manifest records every input of a package; ``clientsmith check`` says which changed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from generator import __version__, pipeline
from generator.pipeline import render, write
from tests.test_incremental import SPEC

ROOT = Path(__file__).resolve().parents[1]


def clientsmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def _project(tmp_path: Path, package: str = "pets") -> None:
    (tmp_path / "pets.yaml").write_text(SPEC)
    (tmp_path / "clients.yaml").write_text(f"clients:\n  - spec: pets.yaml\n    package: {package}\n    output: out\n")


def test_manifest_records_every_input(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    manifest = json.loads(pipeline.build(spec, "pets").files[write.MANIFEST])
    assert manifest["spec"] == "pets.yaml" and manifest["package"] == "pets"
    assert manifest["spec_sha256"] == hashlib.sha256(SPEC.encode()).hexdigest()
    assert manifest["config_sha256"] == pipeline.config_sha256("pets") != pipeline.config_sha256("other")
    assert manifest["templates_sha256"] == pipeline.templates_sha256()
    assert manifest["generator_version"] == __version__


def test_template_hash_covers_names_and_contents_but_not_editor_files(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, templates)
    original = pipeline.templates_sha256(templates)
    assert original == pipeline.templates_sha256(), "the hash depends on the files only, not on where they are"
    (templates / ".README.md.jinja.swp").write_text("editor junk")
    (templates / "package" / "README.md.jinja~").write_text("backup")
    (templates / "module" / "__pycache__").mkdir(exist_ok=True)
    (templates / "module" / "__pycache__" / "_runtime.cpython-311.pyc").write_bytes(b"bytecode")
    assert pipeline.templates_sha256(templates) == original
    runtime = templates / "module" / "_runtime.py"  # copied into every package: an input too
    source = runtime.read_bytes()
    runtime.write_bytes(source + b"\n")
    assert pipeline.templates_sha256(templates) != original, "an edited runtime changes the hash"
    runtime.write_bytes(source)
    target = templates / "package" / "README.md.jinja"
    target.write_text(target.read_text() + "\n")
    edited = pipeline.templates_sha256(templates)
    assert edited != original
    target.rename(templates / "package" / "README2.md.jinja")
    assert pipeline.templates_sha256(templates) not in (original, edited), "a renamed template changes the hash"


def test_input_changes_names_each_changed_input() -> None:
    old = {"spec_sha256": "a" * 64, "config_sha256": "c" * 64, "templates_sha256": "t" * 64, "generator_version": "0.1.0", "overlays": []}
    assert write.input_changes(old, dict(old)) == []
    new = {**old, "spec_sha256": "b" * 64, "generator_version": "0.2.0"}
    assert write.input_changes(old, new) == ["spec (aaaaaaaaaaaa -> bbbbbbbbbbbb)", "generator version (0.1.0 -> 0.2.0)"]
    assert write.input_changes({k: v for k, v in old.items() if k != "overlays"}, old) == ["overlays (not recorded -> [])"]
    assert "no readable clientsmith.json" in write.input_changes(None, old)[0]


def test_check_reports_which_inputs_changed(tmp_path: Path) -> None:
    _project(tmp_path)
    assert clientsmith("generate", cwd=tmp_path).returncode == 0
    assert clientsmith("check", cwd=tmp_path).returncode == 0

    (tmp_path / "pets.yaml").write_text(SPEC.replace("title: Pets", "title: Pet shop"))
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1
    reported = [line for line in result.stderr.splitlines() if "inputs changed" in line]
    assert len(reported) == 1 and "spec (" in reported[0], result.stderr
    assert "templates" not in reported[0] and "config" not in reported[0] and "generator version" not in reported[0]
    (tmp_path / "pets.yaml").write_text(SPEC)

    manifest_path = tmp_path / "out" / write.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "templates_sha256": "0" * 64, "generator_version": "0.0.1"}))
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1
    assert f"templates (000000000000 -> {pipeline.templates_sha256()[:12]}); generator version (0.0.1 -> {__version__})" in result.stderr
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    assert clientsmith("check", cwd=tmp_path).returncode == 0

    (tmp_path / "clients.yaml").write_text("clients:\n  - spec: pets.yaml\n    package: pet_shop\n    output: out\n")
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1 and "inputs changed since the last generation: config (" in result.stderr, result.stderr
    _project(tmp_path)

    client = tmp_path / "out" / "pets" / "_client.py"
    client.write_text(client.read_text() + "# edited\n")
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1 and "inputs unchanged since the last generation" in result.stderr, result.stderr
    assert "changed: pets/_client.py" in result.stderr
