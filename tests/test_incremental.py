"""Incremental regeneration (generator/pipeline/write.py): only changed files are rewritten,
only files the previous manifest lists are deleted, and nothing is half-written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import pipeline
from generator.errors import OutputError
from generator.pipeline import write

ROOT = Path(__file__).resolve().parents[1]

SPEC = """openapi: 3.0.3
info: {title: Pets, version: '1.0.0'}
servers: [{url: 'https://pets.example.com'}]
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}
  /owners:
    get:
      operationId: listOwners
      tags: [owners]
      responses:
        '200': {description: ok}
components:
  schemas:
    Pet: {type: object, properties: {name: {type: string}}}
"""
OLD = 1_000_000_000  # a fixed mtime in the past (2001), in seconds


def _generate(tmp_path: Path, text: str) -> write.WriteResult:
    spec = tmp_path / "pets.yaml"
    spec.write_text(text, "utf-8")
    result = pipeline.generate(spec, "pets", tmp_path / "out").written
    assert result is not None
    return result


def _age(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))


def _mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): int(p.stat().st_mtime) for p in root.rglob("*") if p.is_file()}


def test_regenerating_the_same_spec_touches_nothing(tmp_path: Path) -> None:
    first = _generate(tmp_path, SPEC)
    assert first.unchanged == () and first.deleted == () and "pets/_client.py" in first.written
    _age(tmp_path / "out")
    before = write.read_tree(tmp_path / "out")
    second = _generate(tmp_path, SPEC)
    assert second.written == () and second.deleted == (), f"nothing changed, yet {second.written} were rewritten"
    assert set(_mtimes(tmp_path / "out").values()) == {OLD}, "unchanged files must keep their mtime"
    assert write.read_tree(tmp_path / "out") == before
    assert not list(tmp_path.glob(".out.staging-*")), "the staging folder must be removed"


def test_a_spec_change_rewrites_only_the_files_it_changes(tmp_path: Path) -> None:
    _generate(tmp_path, SPEC)
    _age(tmp_path / "out")
    before = write.read_tree(tmp_path / "out")
    changed_spec = SPEC.replace("operationId: listOwners", "operationId: listOwners\n      summary: List every owner.")
    result = _generate(tmp_path, changed_spec)
    after = write.read_tree(tmp_path / "out")
    really_changed = {path for path in after if after[path] != before.get(path)}
    assert set(result.written) == really_changed, "written must be exactly the files whose bytes changed"
    assert "pets/resources/owners.py" in really_changed and "pets/models.py" not in really_changed
    mtimes = _mtimes(tmp_path / "out")
    assert {path for path, mtime in mtimes.items() if mtime != OLD} == really_changed, (
        "only files whose content changed may get a new mtime"
    )


def test_only_files_the_previous_manifest_lists_are_deleted(tmp_path: Path) -> None:
    _generate(tmp_path, SPEC)
    out = tmp_path / "out"
    (out / "NOTES.md").write_text("the user's notes\n")
    (out / "pets" / "extras.py").write_text("EXTRA = 1\n")
    (out / "pets" / "resources" / "custom.py").write_text("CUSTOM = 1\n")
    assert (out / "pets" / "resources" / "owners.py").is_file()

    without_owners = SPEC.split("  /owners:")[0] + "components:" + SPEC.split("components:")[1]
    result = _generate(tmp_path, without_owners)
    assert result.deleted == ("pets/resources/owners.py",), result.deleted
    assert not (out / "pets" / "resources" / "owners.py").exists()
    for user_file in ("NOTES.md", "pets/extras.py", "pets/resources/custom.py"):
        assert (out / user_file).is_file(), f"{user_file} was added by the user and must survive regeneration"
    manifest = json.loads((out / write.MANIFEST).read_text())
    assert "pets/resources/owners.py" not in manifest["files"] and "NOTES.md" not in manifest["files"]


def test_emptied_folders_go_but_folders_with_user_files_stay(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(tmp_path, SPEC)
    manifest = json.loads((out / write.MANIFEST).read_text())
    # Pretend an earlier generation also wrote pets/legacy/old.py and pets/kept/old.py.
    for folder in ("legacy", "kept"):
        (out / "pets" / folder).mkdir()
        (out / "pets" / folder / "old.py").write_text("OLD = 1\n")
        manifest["files"][f"pets/{folder}/old.py"] = "0" * 64
    (out / "pets" / "kept" / "mine.py").write_text("MINE = 1\n")
    (out / write.MANIFEST).write_text(json.dumps(manifest))
    result = _generate(tmp_path, SPEC)
    assert result.deleted == ("pets/kept/old.py", "pets/legacy/old.py")
    assert not (out / "pets" / "legacy").exists(), "a folder emptied by the deletion is removed"
    assert (out / "pets" / "kept" / "mine.py").is_file()


def test_a_hostile_previous_manifest_cannot_delete_outside_the_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(tmp_path, SPEC)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.py").write_text("keep me too\n")
    (out / "link").symlink_to(elsewhere, target_is_directory=True)
    manifest = json.loads((out / write.MANIFEST).read_text())
    for entry in ("../victim.txt", str(victim), "link/x.py", "pets/../../victim.txt", ""):
        manifest["files"][entry] = "0" * 64
    (out / write.MANIFEST).write_text(json.dumps(manifest))
    result = _generate(tmp_path, SPEC)
    assert result.deleted == ()
    assert victim.read_text() == "keep me\n" and (elsewhere / "x.py").is_file()


def test_an_unreadable_previous_manifest_deletes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(tmp_path, SPEC)
    (out / write.MANIFEST).write_text("{ not json")
    without_owners = SPEC.split("  /owners:")[0] + "components:" + SPEC.split("components:")[1]
    result = _generate(tmp_path, without_owners)
    assert result.deleted == () and (out / "pets" / "resources" / "owners.py").is_file()
    assert json.loads((out / write.MANIFEST).read_text())["package"] == "pets", "the manifest is rewritten"


def test_something_in_the_way_fails_before_anything_moves(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(tmp_path, SPEC)
    _age(out)
    before = write.read_tree(out)
    (out / "pets" / "resources" / "owners.py").unlink()
    (out / "pets" / "resources" / "owners.py").mkdir()  # a folder where a generated file goes
    (out / "pets" / "resources" / "owners.py" / "f.txt").write_text("x")
    changed = SPEC.replace("title: Pets", "title: Pets and owners")
    with pytest.raises(OutputError, match="in the way"):
        _generate(tmp_path, changed)
    after = write.read_tree(out)
    assert after.pop("pets/resources/owners.py/f.txt") == b"x"
    before.pop("pets/resources/owners.py")
    assert after == before, "a refused write must not change any file"
    assert not list(tmp_path.glob(".out.staging-*"))


def test_a_failing_spec_leaves_contents_and_mtimes_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _generate(tmp_path, SPEC)
    (out / "mine.txt").write_text("user\n")
    _age(out)
    before, mtimes = write.read_tree(out), _mtimes(out)
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC.replace("'#/components/schemas/Pet'", "'#/components/schemas/Nope'"))
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(out), "--package-name", "pets"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1 and "points at nothing" in result.stderr, result.stderr
    assert write.read_tree(out) == before and _mtimes(out) == mtimes
    assert not list(tmp_path.glob(".out.staging-*"))


def test_cli_reports_what_it_wrote(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    command = [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(tmp_path / "out"), "--package-name", "pets"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert first.returncode == 0 and "0 unchanged, 0 deleted" in first.stderr, first.stderr
    second = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert second.returncode == 0 and "(0 written," in second.stderr and "0 deleted" in second.stderr, second.stderr
