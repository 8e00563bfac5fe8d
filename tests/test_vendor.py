"""``clientsmith vendor``: a generated client copied under another package works there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from generator import pipeline
from generator.workflow.vendor import MARKER
from tests.test_golden import _VENDORED_SCRIPT, CLIENTS
from tests.test_incremental import SPEC

ROOT = Path(__file__).resolve().parents[1]


def clientsmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def _host(tmp_path: Path) -> Path:
    host = tmp_path / "host_app"
    host.mkdir()
    (host / "__init__.py").write_text("")
    return host


def test_vendor_command_copy_works_under_its_new_dotted_path(tmp_path: Path) -> None:
    client = next(c for c in CLIENTS if c.package == "airflow_client")
    host = _host(tmp_path)
    result = clientsmith("vendor", str(client.output), "--into", str(host / "_vendor"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "import it as host_app._vendor.airflow_client" in result.stderr, result.stderr
    assert (host / "_vendor" / "__init__.py").read_text() == "", "--into becomes a package"

    # An "installed" copy of the same client, importable as airflow_client, alongside the vendored one.
    site = tmp_path / "site"
    shutil.copytree(client.output / client.package, site / client.package)
    script = _VENDORED_SCRIPT.format(
        host=str(tmp_path), original=str(site), package=client.package, group="connection", method="get_connection", args="'abc'"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and run.stdout.strip() == "ok 599 vendored.test", f"{run.stdout}{run.stderr}"

    manifest = json.loads((client.output / "clientsmith.json").read_text())
    expected = sorted(path.removeprefix("airflow_client/") for path in manifest["files"] if path.startswith("airflow_client/"))
    copied = sorted(p.relative_to(host / "_vendor" / "airflow_client").as_posix() for p in (host / "_vendor" / "airflow_client").rglob("*") if p.is_file())
    assert copied == sorted([*expected, MARKER]), "exactly the manifest's files of the import package, plus the marker"
    marker = json.loads((host / "_vendor" / "airflow_client" / MARKER).read_text())
    assert marker["version"] == manifest["version"] and marker["spec_sha256"] == manifest["spec_sha256"]


def test_vendor_is_incremental_and_keeps_user_files(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    generated = tmp_path / "gen" / "pets"
    pipeline.generate(spec, "pets", generated)
    (generated / "pets" / "scratch.py").write_text("NOT = 'vendored'\n")  # a user's file in the generated folder
    (generated / "pets" / "__pycache__").mkdir()
    (generated / "pets" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    host = _host(tmp_path)
    into = host / "_vendor"

    first = clientsmith("vendor", str(generated / "pets"), "--into", str(into), cwd=tmp_path)  # the import package works too
    assert first.returncode == 0, first.stderr
    vendored = into / "pets"
    assert not (vendored / "scratch.py").exists() and not (vendored / "__pycache__").exists()
    (vendored / "local_patch.py").write_text("PATCH = 1\n")
    for path in vendored.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))

    again = clientsmith("vendor", str(generated), "--into", str(into), cwd=tmp_path)
    assert again.returncode == 0 and "(0 written," in again.stderr, again.stderr
    assert {int(p.stat().st_mtime) for p in vendored.rglob("*") if p.is_file()} == {1_000_000_000}

    spec.write_text(SPEC.split("  /owners:")[0] + "components:" + SPEC.split("components:")[1])
    pipeline.generate(spec, "pets", generated)
    third = clientsmith("vendor", str(generated), "--into", str(into), cwd=tmp_path)
    assert third.returncode == 0 and "1 deleted" in third.stderr, third.stderr
    assert not (vendored / "resources" / "owners.py").exists()
    assert (vendored / "local_patch.py").is_file(), "a file the user added to the vendored copy stays"
    check = subprocess.run(
        [sys.executable, "-c", "import host_app._vendor.pets as p; print(p.Client.__module__)"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert check.stdout.strip() == "host_app._vendor.pets._client", check.stderr


def test_vendor_refuses_a_foreign_destination_and_a_non_package(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    generated = tmp_path / "gen"
    pipeline.generate(spec, "pets", generated)
    into = _host(tmp_path) / "_vendor"
    (into / "pets").mkdir(parents=True)
    (into / "pets" / "mine.py").write_text("MINE = 1\n")
    result = clientsmith("vendor", str(generated), "--into", str(into), cwd=tmp_path)
    assert result.returncode == 2 and "is not a vendored clientsmith package" in result.stderr, result.stderr
    assert [p.name for p in (into / "pets").iterdir()] == ["mine.py"]

    result = clientsmith("vendor", str(tmp_path), "--into", str(into), cwd=tmp_path)
    assert result.returncode == 2 and "not a generated package" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_vendor_warns_about_edited_files(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(SPEC)
    generated = tmp_path / "gen"
    pipeline.generate(spec, "pets", generated)
    models = generated / "pets" / "models.py"
    models.write_text(models.read_text() + "# local edit\n")
    result = clientsmith("vendor", str(generated), "--into", str(tmp_path / "v"), cwd=tmp_path)
    assert result.returncode == 0 and "warning:" in result.stderr and "pets/models.py differs from its manifest hash" in result.stderr
    assert (tmp_path / "v" / "pets" / "models.py").read_text().endswith("# local edit\n")
