"""clientsmith as a user gets it: sdist and wheel built, the wheel installed outside the repository.

The source tree (what git tracks, plus new files it does not ignore) is copied to
a temporary folder and built with ``python -m build`` (sdist, then the wheel from
that sdist, with the locked setuptools): no warnings, the license as an SPDX
expression with its file, every template in the wheel. The wheel goes into a
fresh virtualenv in the temporary folder with the runtime lock's dependencies;
that installed ``clientsmith`` generates a client from a spec outside the
repository (the same bytes a checkout generates), and the client is imported and
called, sync and async, through ``httpx.MockTransport``.
"""

from __future__ import annotations

import email
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

from generator import pipeline
from tests.venvs import ROOT, base_python, uv, uv_env

SPEC = """\
openapi: 3.1.0
info: {title: Shelter, version: '2.0.0'}
servers: [{url: 'https://shelter.example.com/v2'}]
security: [{ApiKey: []}]
paths:
  /pets/{pet_id}:
    get:
      operationId: getPet
      tags: [pets]
      parameters:
        - {name: pet_id, in: path, required: true, schema: {type: integer}}
        - {name: fields, in: query, schema: {type: array, items: {type: string}}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
        '404': {description: missing, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /pets:
    post:
      operationId: createPet
      tags: [pets]
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
      responses:
        '201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
components:
  securitySchemes:
    ApiKey: {type: apiKey, in: header, name: X-Api-Key}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        kind: {type: string, enum: [cat, dog]}
    Problem: {type: object, required: [message], properties: {message: {type: string}}}
"""

CALLS = """\
import asyncio, json, sys
import httpx
import shelter
from shelter import models

sent = []

def handler(request):
    sent.append({"method": request.method, "url": str(request.url), "key": request.headers.get("x-api-key"), "body": request.content.decode()})
    if request.method == "POST":
        return httpx.Response(201, json={**json.loads(request.content), "id": 7})
    if request.url.path.endswith("/404"):
        return httpx.Response(404, json={"message": "no pet 404"})
    return httpx.Response(200, json={"id": 3, "name": "Tom", "kind": "cat"})

def run_sync():
    with shelter.Client(api_key="k-1", http_client=httpx.Client(transport=httpx.MockTransport(handler))) as client:
        pet = client.pets.get_pet(3, fields=["name", "kind"])
        made = client.pets.create_pet(models.Pet(name="Rex", kind="dog"))
        try:
            client.pets.get_pet(404)
        except shelter.NotFoundError as error:
            missing = [type(error.body).__name__, error.body.message]
    return [pet.model_dump(mode="json"), made.model_dump(mode="json"), missing]

async def run_async():
    async with shelter.AsyncClient(api_key="k-1", http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler))) as client:
        pet = await client.pets.get_pet(3, fields=["name", "kind"])
        made = await client.pets.create_pet(models.Pet(name="Rex", kind="dog"))
        try:
            await client.pets.get_pet(404)
        except shelter.NotFoundError as error:
            missing = [type(error.body).__name__, error.body.message]
    return [pet.model_dump(mode="json"), made.model_dump(mode="json"), missing]

print(json.dumps({"sync": run_sync(), "async": asyncio.run(run_async()), "sent": sent, "module": shelter.__file__}))
"""

WARNING = re.compile(r"warn|deprecat|!!", re.IGNORECASE)


def _run(command: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed with exit {result.returncode}:\n{output[-6000:]}"
    return output


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing back into the repository or its .venv."""
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE", "PYTHONSAFEPATH")
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(part for part in os.environ.get("PATH", "").split(os.pathsep) if part != venv_bin)
    return {**{key: value for key, value in os.environ.items() if key not in drop}, "PATH": path, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _source_tree(into: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not part of it
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def test_the_wheel_installs_outside_the_repository_and_generates_a_working_client(tmp_path: Path) -> None:
    assert not tmp_path.resolve().is_relative_to(ROOT), "the test must build and install outside the repository"
    env = _clean_env()

    # Build: sdist, then the wheel from the sdist, no warnings.
    source, dist = tmp_path / "source", tmp_path / "dist"
    _source_tree(source)
    build_log = _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, source], cwd=tmp_path, env=env)
    assert not [line for line in build_log.splitlines() if WARNING.search(line)], f"the build warned:\n{build_log}"
    [sdist] = dist.glob("clientsmith-*.tar.gz")
    [wheel] = dist.glob("clientsmith-*-py3-none-any.whl")

    templates = sorted(path.relative_to(ROOT / "templates").as_posix() for path in (ROOT / "templates").rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    assert templates, "templates/ is empty"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [metadata_name] = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        dist_info = metadata_name.rsplit("/", 1)[0]
        assert archive.read(f"{dist_info}/licenses/LICENSE") == (ROOT / "LICENSE").read_bytes()
    missing = [name for name in templates if f"generator/templates/{name}" not in names]
    assert not missing, f"templates missing from the wheel: {missing}"
    assert metadata["License-Expression"] == "Apache-2.0" and metadata["License-File"] == "LICENSE"
    assert "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0, January 2004" in (ROOT / "LICENSE").read_text()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    requires = [Requirement(value) for value in metadata.get_all("Requires-Dist") or [] if "extra ==" not in value]
    assert sorted(map(str, requires)) == sorted(str(Requirement(value)) for value in declared), "the wheel must declare pyproject.toml's ranges"
    with tarfile.open(sdist) as archive:
        members = {member.name.split("/", 1)[1] for member in archive.getmembers() if "/" in member.name}
    assert {"LICENSE", "pyproject.toml", *(f"templates/{name}" for name in templates)} <= members

    # Install: a fresh virtualenv in the temporary folder, runtime lock, then the wheel with pip.
    venv = tmp_path / "venv"
    _run([base_python(), "-m", "venv", venv], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    _run([uv(), "pip", "install", "--quiet", "--python", python, "--require-hashes", "--no-deps", "-r", ROOT / "requirements" / "runtime.lock"], cwd=tmp_path, env=uv_env())
    install_log = _run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel], cwd=tmp_path, env=env)
    assert not [line for line in install_log.splitlines() if WARNING.search(line)], f"pip install warned:\n{install_log}"
    _run([python, "-m", "pip", "check"], cwd=tmp_path, env=env)  # the wheel's ranges accept the runtime lock
    where = json.loads(_run([python, "-c", "import json, generator, generator.pipeline.render as r; print(json.dumps([generator.__file__, str(r.TEMPLATES)]))"], cwd=tmp_path, env=env))
    site = str(venv / "lib")
    assert where[0].startswith(site) and where[1].startswith(site), f"clientsmith was not imported from the installed wheel: {where}"

    # Generate with the installed tool, in a folder outside the repository.
    work = tmp_path / "work"
    work.mkdir()
    (work / "shelter.yaml").write_text(SPEC)
    assert _run([venv / "bin" / "clientsmith", "--version"], cwd=work, env=env).strip().endswith("0.1.0")
    _run([venv / "bin" / "clientsmith", "generate", "shelter.yaml", "--output", "out", "--package-name", "shelter"], cwd=work, env=env)
    generated = {path.relative_to(work / "out").as_posix(): path.read_text("utf-8") for path in (work / "out").rglob("*") if path.is_file()}
    assert generated == pipeline.build(work / "shelter.yaml", "shelter").files, "the installed clientsmith generates the bytes a checkout generates"

    # Import and call the client (sync and async) with httpx and pydantic from the test run.
    (work / "calls.py").write_text(textwrap.dedent(CALLS))
    result = json.loads(_run([sys.executable, "calls.py"], cwd=work, env={**env, "PYTHONPATH": str(work / "out")}))
    expected = [{"id": 3, "name": "Tom", "kind": "cat"}, {"id": 7, "name": "Rex", "kind": "dog"}, ["Problem", "no pet 404"]]
    assert result["sync"] == expected and result["async"] == expected
    assert result["module"] == str(work / "out" / "shelter" / "__init__.py")
    first = result["sent"][:3]
    assert [(call["method"], call["url"], call["key"]) for call in first] == [
        ("GET", "https://shelter.example.com/v2/pets/3?fields=name&fields=kind", "k-1"),
        ("POST", "https://shelter.example.com/v2/pets", "k-1"),
        ("GET", "https://shelter.example.com/v2/pets/404", "k-1"),
    ]
    assert json.loads(first[1]["body"]) == {"name": "Rex", "kind": "dog"}
