"""Build-time generation (generator/workflow/hatch_hook.py): building a wheel generates the client into it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

from generator import pipeline
from generator.pipeline import write
from generator.workflow import hatch_hook
from tests.test_incremental import SPEC

ROOT = Path(__file__).resolve().parents[1]

PYPROJECT = """
[build-system]
requires = ["hatchling", "clientsmith"]
build-backend = "hatchling.build"

[project]
name = "host-app"
version = "1.0"
dependencies = ["httpx>=0.27,<1", "pydantic>=2.7,<3"]

[tool.hatch.build.targets.wheel]
packages = ["src/host_app"]

[tool.hatch.build.hooks.clientsmith]
vendor-into = "host_app/_vendor"

[[tool.clientsmith.clients]]
spec = "specs/pets.yaml"
package = "pets"
output = "generated/pets"
"""


def test_the_hook_is_registered_with_hatchling() -> None:
    hooks = {ep.name: ep.value for ep in entry_points(group="hatch")}
    assert hooks.get("clientsmith") == "generator.workflow.hatch_hook", (
        "clientsmith's hatch entry point is missing: reinstall clientsmith (`make setup`) after changing pyproject.toml"
    )


def test_building_a_wheel_generates_the_client_into_it(tmp_path: Path) -> None:
    project = tmp_path / "host"
    (project / "specs").mkdir(parents=True)
    (project / "specs" / "pets.yaml").write_text(SPEC)
    (project / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (project / "src" / "host_app" / "_vendor").mkdir(parents=True)
    (project / "src" / "host_app" / "__init__.py").write_text("")
    (project / "src" / "host_app" / "_vendor" / "__init__.py").write_text("")

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PIP_NO_INPUT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index", "-q", "-w", str(tmp_path / "dist"), str(project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"
    [wheel] = list((tmp_path / "dist").glob("host_app-1.0-*.whl"))

    # The same bytes `clientsmith generate` writes.
    reference = tmp_path / "reference"
    pipeline.generate(project / "specs" / "pets.yaml", "pets", reference)
    expected = {f"host_app/_vendor/{path}": data for path, data in write.read_tree(reference).items() if path.startswith("pets/")}
    with zipfile.ZipFile(wheel) as archive:
        inside = {name: archive.read(name) for name in archive.namelist() if name.startswith("host_app/_vendor/pets/")}
        assert "host_app/__init__.py" in archive.namelist()
        archive.extractall(tmp_path / "installed")
    assert inside == expected
    assert write.read_tree(project / "generated" / "pets") == write.read_tree(reference), "the build generated into the configured output"

    check = subprocess.run(
        [sys.executable, "-c", "import host_app._vendor.pets as pets; print(pets.Client.__module__, pets.__version__)"],
        cwd=tmp_path / "installed",
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0 and check.stdout.startswith("host_app._vendor.pets._client 1.0.0+clientsmith."), check.stderr


def test_wheel_files_lists_only_the_manifests_import_package(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    pipeline.generate(spec, "pets", tmp_path / "out")
    (tmp_path / "out" / "pets" / "scratch.py").write_text("x = 1\n")
    files = hatch_hook.wheel_files(tmp_path / "out", "pets")
    assert set(files.values()) == {path for path in write.read_tree(tmp_path / "out") if path.startswith("pets/") and path != "pets/scratch.py"}
    assert all(Path(source).is_file() for source in files)
    assert set(hatch_hook.wheel_files(tmp_path / "out", "pets", "app/_vendor").values()) == {f"app/_vendor/{p}" for p in files.values()}


def test_an_installed_clientsmith_ships_and_finds_its_templates(tmp_path: Path) -> None:
    """pre-commit and build isolation install clientsmith from a wheel: templates/ must be in it."""
    import tomllib

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "generator.templates" in setuptools["packages"] and setuptools["package-dir"]["generator.templates"] == "templates"
    patterns = setuptools["package-data"]["generator.templates"]
    templates = ROOT / "templates"
    shipped = {path for pattern in patterns for path in templates.glob(pattern) if path.is_file()}
    assert shipped == {path for path in templates.rglob("*") if path.is_file() and "__pycache__" not in path.parts}

    # The wheel's layout: generator/ with templates/ inside it.
    installed = tmp_path / "site"
    shutil.copytree(ROOT / "generator", installed / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(templates, installed / "generator" / "templates")
    script = (
        "import json, pathlib, sys\n"
        "from generator import pipeline\nfrom generator.pipeline import render\n"
        "spec = pathlib.Path(sys.argv[1])\n"
        "files = pipeline.build(spec, 'pets').files\n"
        "print(json.dumps({'templates': str(render.TEMPLATES), 'files': files}))\n"
    )
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    env = {**os.environ, "PYTHONPATH": str(installed), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", script, str(spec)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["templates"] == str(installed / "generator" / "templates")
    assert output["files"] == pipeline.build(spec, "pets").files, "an installed clientsmith generates the same bytes as a checkout"
