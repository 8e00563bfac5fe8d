"""generated/ is exactly what the specs and templates produce, and it is sound code.

* golden: regenerating every client in memory reproduces generated/ byte for byte;
* determinism: two runs under different PYTHONHASHSEEDs give identical bytes;
* black: generated/ passes ``black --check``;
* mypy: every package passes ``mypy --strict``;
* self-contained: no import of the generator's own dependencies, only relative
  imports inside a package, and a vendored copy works under a new dotted path.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import config, pipeline
from generator.cli import drift
from generator.pipeline import write

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = config.load_config(ROOT / "pyproject.toml")
EXPECTED_PACKAGES = {
    "opendatasoft_automation",
    "mammoth_analytics",
    "codat_python_sdk",
    "airflow_client",
    "airbyte_config_api_client",
}
FORBIDDEN_IMPORTS = {"generator", "jinja2", "yaml", "black", "datamodel_code_generator", "openapi_spec_validator", "typer"}
ALLOWED_THIRD_PARTY = {"httpx", "pydantic", "typing_extensions"}
#: The package's extras (Urllib3Transport, AiohttpTransport; yarl comes with aiohttp).
OPT_IN_THIRD_PARTY = {"urllib3", "aiohttp", "yarl"}


def test_every_seed_client_is_configured() -> None:
    assert {c.package for c in CLIENTS} == EXPECTED_PACKAGES, "pyproject.toml [tool.clientsmith] must list the five seed clients"


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.package)
def test_generated_matches_golden(client: config.ClientConfig) -> None:
    # The output folder is the previous state: CHANGELOG.md grows from it (generator/workflow/history.py).
    expected = pipeline.build(client.spec, client.package, previous=client.output).files
    actual = write.read_tree(client.output)
    problems = drift(expected, actual, context_lines=40)
    assert not problems, (
        f"{client.output.relative_to(ROOT)} is out of date with {client.spec.relative_to(ROOT)} and templates/:\n"
        + "\n".join(problems)
        + "\nRun `make generate` and commit generated/ (or fix the generator if this change is unintended)."
    )


_DIGEST_SCRIPT = """
import hashlib, json, sys
from pathlib import Path
from generator import config, pipeline
out = {}
for client in config.load_config(Path("pyproject.toml")):
    for path, text in pipeline.build(client.spec, client.package, previous=client.output).files.items():
        out[client.package + "/" + path] = hashlib.sha256(text.encode()).hexdigest()
print(json.dumps(out, sort_keys=True))
"""


def _digests(seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"generation failed under PYTHONHASHSEED={seed}:\n{result.stderr}"
    return dict(json.loads(result.stdout))


def test_output_is_deterministic_across_hash_seeds() -> None:
    first, second = _digests("1"), _digests("4242")
    differing = sorted(path for path in first if first[path] != second.get(path))
    assert first.keys() == second.keys() and not differing, (
        f"generation is not deterministic: {differing} differ between PYTHONHASHSEED=1 and 4242; "
        "look for set or dict iteration feeding the output"
    )


def test_generated_code_is_black_formatted() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "black", "--check", "--target-version", "py311", str(ROOT / "generated")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"generated/ is not black-formatted:\n{result.stderr}\nThe format stage must run black on every .py file."


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.package)
def test_generated_package_passes_mypy_strict(client: config.ClientConfig) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, client.package],
        cwd=client.output,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mypy --strict fails on {client.package}:\n{result.stdout}{result.stderr}"


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(module, level, lazy) for every import in a file; lazy: inside a function or under
    ``if TYPE_CHECKING:``, so not run when the module is imported."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0, lazy) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level, lazy))
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            inner = True
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(ast.parse(path.read_text("utf-8")), False)
    return found


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.package)
def test_generated_package_is_self_contained(client: config.ClientConfig) -> None:
    package_dir = client.output / client.package
    stdlib = set(sys.stdlib_module_names)
    for path in sorted(package_dir.rglob("*.py")):
        for module, level, lazy in _imports(path):
            if level:
                continue
            top = module.split(".")[0]
            where = f"{path.relative_to(ROOT)} imports {module!r}"
            assert top not in FORBIDDEN_IMPORTS, f"{where}: generated code must not depend on the generator's tools"
            assert top != client.package, f"{where}: use a relative import so the package can be vendored"
            if top in OPT_IN_THIRD_PARTY:
                assert lazy and path.name == "_runtime.py", f"{where}: the opt-in backends' libraries are imported only by their transports, lazily"
                continue
            assert top in stdlib or top in ALLOWED_THIRD_PARTY, f"{where}: runtime dependencies are httpx and pydantic only"
    assert (package_dir / "py.typed").is_file(), f"{package_dir} lacks py.typed"


_VENDORED_SCRIPT = """
import sys
sys.path.insert(0, {host!r})
sys.path.insert(0, {original!r})
import httpx
import {package} as installed
from host_app._vendor import {package} as vendored
assert vendored is not installed and vendored.Client is not installed.Client
assert vendored.__name__ == "host_app._vendor.{package}", vendored.__name__
seen = []
def handler(request):
    seen.append(request)
    return httpx.Response(599)
client = vendored.Client(base_url="https://vendored.test", http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=0)
try:
    client.{group}.{method}({args})
except vendored.ApiError as error:
    assert not isinstance(error, installed.ApiError), "the vendored copy must have its own error classes"
    print("ok", error.status_code, seen[0].url.host)
"""


def test_vendored_copy_works_under_a_new_dotted_path(tmp_path: Path) -> None:
    client = next(c for c in CLIENTS if c.package == "airflow_client")
    host = tmp_path / "host_app"
    (host / "_vendor").mkdir(parents=True)
    (host / "__init__.py").write_text("")
    (host / "_vendor" / "__init__.py").write_text("")
    shutil.copytree(client.output / client.package, host / "_vendor" / client.package)
    script = _VENDORED_SCRIPT.format(
        host=str(tmp_path), original=str(client.output), package=client.package, group="connection", method="get_connection", args="'abc'"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok 599 vendored.test", (
        f"the vendored copy failed to import or run:\n{result.stdout}{result.stderr}"
    )


def test_manifest_records_generator_version_and_spec_hash() -> None:
    for client in CLIENTS:
        manifest = json.loads((client.output / write.MANIFEST).read_text("utf-8"))
        spec_hash = hashlib.sha256(client.spec.read_bytes()).hexdigest()
        assert manifest["spec_sha256"] == spec_hash, f"{client.output}/{write.MANIFEST}: spec hash is stale; run `make generate`"
        assert manifest["generator_version"], "manifest lacks the generator version"
        on_disk = write.read_tree(client.output)
        for path, digest in manifest["files"].items():
            assert hashlib.sha256(on_disk[path]).hexdigest() == digest, f"{path}: manifest hash differs from the file"
