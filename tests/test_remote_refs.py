"""``$ref``s to http(s) URLs: refused by default, fetched and bundled with ``--allow-remote-refs``.

Remote documents are served from a temporary folder by a real
``http.server.ThreadingHTTPServer`` on 127.0.0.1 (a free port), in a background
thread that the fixture shuts down. The handler records every path requested,
so the tests can tell what was fetched and how often.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator import config, pipeline
from generator.errors import Problem, SpecError, UsageError
from generator.pipeline import loader, write
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_REF = "/paths/~1pets/get/responses/200/content/application~1json/schema/$ref"

SPEC = """\
openapi: 3.0.3
info: {{title: Pets, version: '1.0.0'}}
servers: [{{url: 'https://pets.example.com'}}]
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
              schema: {{$ref: '{ref}'}}
"""

# Served documents. schemas.yaml refers to a sibling folder by a relative path and
# back into itself with a local pointer; common/owner.yaml refers back to schemas.yaml.
SCHEMAS = """\
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        nickname: {type: string}
        tag: {$ref: '#/components/schemas/Tag'}
        owner: {$ref: 'common/owner.yaml'}
    Tag:
      type: object
      properties:
        label: {type: string}
"""
OWNER = """\
type: object
properties:
  id: {type: integer}
  favourite: {$ref: '../schemas.yaml#/components/schemas/Tag'}
"""
FLAT_PET = "type: object\nproperties:\n  name: {type: string}\n  remote_only_field: {type: integer}\n"


@dataclass
class Served:
    """A folder served over HTTP, and the paths requested so far."""

    folder: Path
    url: str
    requests: list[str] = field(default_factory=list)

    def put(self, relative: str, text: str) -> str:
        path = self.folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return f"{self.url}/{relative}"

    def count(self, path: str) -> int:
        return sum(1 for requested in self.requests if requested == path)


class _Handler(SimpleHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        self.served.requests.append(self.path)
        if self.path.startswith("/redirect?to="):
            self.send_response(302)
            self.send_header("Location", self.path.removeprefix("/redirect?to="))
            self.end_headers()
            return
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        if self.path.startswith("/no-length/"):  # streamed without Content-Length, ended by closing
            data = (self.served.folder / self.path.removeprefix("/no-length/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/yaml")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # 127.0.0.1 must be reached directly
    folder = tmp_path / "www"
    folder.mkdir()
    port = free_port()
    state = Served(folder, f"http://127.0.0.1:{port}")
    handler = type("Handler", (_Handler,), {"served": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="remote-refs-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test HTTP server did not stop"


def spec_file(tmp_path: Path, ref: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / "api" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEC.format(ref=ref), "utf-8")
    return path


def load_problems(path: Path, *, allow_remote: bool = True) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        loader.load(path, allow_remote=allow_remote)
    return info.value.problems


def describe(problems: list[Problem]) -> str:
    return "\n".join(f"  {problem}" for problem in problems) or "  (none)"


def clientsmith(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.lower().endswith("_proxy")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"\n$ clientsmith {' '.join(result.args[3:])}\nexit {result.returncode}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"


def one_problem(problems: list[Problem], fragment: str, what: str) -> Problem:
    assert len(problems) == 1, f"{what}: expected exactly one problem, got:\n{describe(problems)}"
    problem = problems[0]
    assert fragment in problem.message, f"{what}: expected {fragment!r} in the message, got: {problem}"
    assert "\n" not in str(problem), f"{what}: the problem must be one line, got: {problem!r}"
    return problem


# -- refused by default ------------------------------------------------------------
def test_remote_refs_are_refused_by_default(tmp_path: Path, served: Served) -> None:
    url = served.put("pet.yaml", FLAT_PET)
    spec = spec_file(tmp_path, url)
    for command in (("validate", str(spec)), ("generate", str(spec), "--output", str(tmp_path / "out"), "--package-name", "pets")):
        result = clientsmith(*command, cwd=tmp_path)
        assert result.returncode == 1, f"a refused remote ref exits 1 like every other reference problem:{explain(result)}"
        assert "Traceback" not in result.stderr, f"no traceback without --debug:{explain(result)}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), f"expected one error line:{explain(result)}"
        assert f"{spec}#{SCHEMA_REF}:" in lines[0], f"the error must name the spec file and the $ref's JSON pointer:{explain(result)}"
        assert "remote reference" in lines[0] and url in lines[0], f"the error must say a remote reference was refused:{explain(result)}"
        assert "--allow-remote-refs" in lines[0], f"the error must name the flag that allows it:{explain(result)}"
    assert served.requests == [], f"nothing may be fetched without --allow-remote-refs, but {served.requests} were requested"
    assert not (tmp_path / "out").exists(), "a refused generate must not write anything"


def test_non_http_schemes_are_refused_even_with_the_flag(tmp_path: Path, served: Served) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("Pet: {type: object, description: SECRET-CONTENT}\n", "utf-8")
    for ref in (f"file://{secret}#/Pet", f"ftp://127.0.0.1:{served.url.rpartition(':')[2]}/pet.yaml", "gopher://127.0.0.1/pet.yaml"):
        problem = one_problem(load_problems(spec_file(tmp_path, ref)), "only http:// and https://", f"{ref} with --allow-remote-refs")
        assert problem.pointer == SCHEMA_REF, f"{ref}: the problem must be at the $ref, got {problem}"
        assert "SECRET-CONTENT" not in str(problem), f"{ref}: a local file was read through a file:// reference"


# -- fetched and bundled -------------------------------------------------------------
def test_remote_schema_generates_a_client_that_imports(tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    url = served.put("pet.yaml", FLAT_PET)
    spec = spec_file(tmp_path, url)
    package = f"remote_pets_{uuid.uuid4().hex[:8]}"
    generated = pipeline.build(spec, package, allow_remote_refs=True)
    output = tmp_path / "out"
    write.write_package(output, generated.files)

    before = set(sys.modules)
    monkeypatch.syspath_prepend(str(output))
    try:
        models = importlib.import_module(f"{package}.models")
        importlib.import_module(package)
        fields = set(models.Pet.model_fields)
    finally:
        for name in set(sys.modules) - before:
            del sys.modules[name]
    assert {"name", "remote_only_field"} <= fields, (
        f"the model of the remote schema must have the remote document's fields, got {sorted(fields)}"
    )
    manifest = json.loads(generated.files[write.MANIFEST])
    assert manifest["remote_refs"] == [{"url": url, "sha256": hashlib.sha256(FLAT_PET.encode()).hexdigest()}], (
        f"the manifest must record the fetched URL with the sha256 of its bytes, got {manifest.get('remote_refs')!r}"
    )


def test_nested_relative_remote_refs_are_bundled_and_fetched_once(tmp_path: Path, served: Served) -> None:
    url = served.put("schemas.yaml", SCHEMAS)
    served.put("common/owner.yaml", OWNER)
    spec = spec_file(tmp_path, f"{url}#/components/schemas/Pet")
    loaded = loader.load(spec, allow_remote=True)
    schemas = loaded.document["components"]["schemas"]
    assert sorted(schemas) == ["Pet", "Tag", "owner"], (
        f"Pet, the Tag it points at inside its own document and the owner file next to it must be hoisted, got {sorted(schemas)}"
    )
    assert loaded.document["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }, "the remote $ref must be rewritten to the hoisted schema"
    assert schemas["Pet"]["properties"]["tag"] == {"$ref": "#/components/schemas/Tag"}, "a '#/' ref inside a remote document points into it"
    assert schemas["Pet"]["properties"]["owner"] == {"$ref": "#/components/schemas/owner"}, "a relative ref resolves against the URL"
    assert schemas["owner"]["properties"]["favourite"] == {"$ref": "#/components/schemas/Tag"}, (
        "'../schemas.yaml' from common/owner.yaml is the same remote document: its Tag must be shared, not copied twice"
    )
    assert served.count("/schemas.yaml") == 1 and served.count("/common/owner.yaml") == 1, (
        f"each URL must be fetched once per load, requests were {served.requests}"
    )
    assert [ref.url for ref in loaded.remote_refs] == [f"{served.url}/common/owner.yaml", url], (
        f"remote_refs must list every fetched URL, sorted, got {loaded.remote_refs}"
    )


def test_remote_non_schema_targets_are_inlined(tmp_path: Path, served: Served) -> None:
    url = served.put("responses.json", json.dumps({"Ok": {"description": "from afar"}}))
    spec = tmp_path / "api" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(
        textwrap.dedent(
            f"""\
            openapi: 3.0.3
            info: {{title: T, version: '1'}}
            paths:
              /a:
                get:
                  responses:
                    '200': {{$ref: '{url}#/Ok'}}
            """
        )
    )
    document = loader.load(spec, allow_remote=True).document
    assert document["paths"]["/a"]["get"]["responses"]["200"] == {"description": "from afar"}, (
        "a remote response (JSON, not a schema) must be inlined like one from a local file"
    )


# -- failures ------------------------------------------------------------------------
def test_missing_remote_document_is_a_clear_error(tmp_path: Path, served: Served) -> None:
    spec = spec_file(tmp_path, f"{served.url}/nope.yaml#/components/schemas/Pet")
    problem = one_problem(load_problems(spec), "HTTP 404", "a 404")
    assert (problem.file, problem.pointer) == (str(spec), SCHEMA_REF), f"a failed fetch must be located at the $ref, got {problem}"
    assert f"{served.url}/nope.yaml" in problem.message, f"the error must name the URL, got {problem}"

    result = clientsmith("validate", str(spec), "--allow-remote-refs", cwd=tmp_path)
    assert result.returncode == 1, f"a failed fetch exits 1 like a missing local file:{explain(result)}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{spec}#{SCHEMA_REF}:" in lines[0] and "HTTP 404" in lines[0], f"one located error line:{explain(result)}"


def test_unreachable_host_is_a_clear_error(tmp_path: Path, served: Served) -> None:
    dead = f"http://127.0.0.1:{free_port()}/pet.yaml"  # nothing listens there
    problem = one_problem(load_problems(spec_file(tmp_path, dead)), "cannot fetch", "connection refused")
    assert dead in problem.message and problem.pointer == SCHEMA_REF, f"name the URL and the $ref, got {problem}"


def test_timeout_is_a_clear_error(tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "FETCH_TIMEOUT", 0.3)
    served.put("slow.yaml", FLAT_PET)
    started = time.monotonic()
    problems = load_problems(spec_file(tmp_path, f"{served.url}/slow.yaml"))
    elapsed = time.monotonic() - started
    one_problem(problems, "no complete answer within 0.3 s", "a server slower than the timeout")
    assert elapsed < 1.4, f"the fetch must give up after the timeout, took {elapsed:.1f} s"


def test_bad_yaml_and_dangling_pointer_in_a_remote_document(tmp_path: Path, served: Served) -> None:
    bad = served.put("bad.yaml", "type: object\nproperties: [\n")
    problem = one_problem(load_problems(spec_file(tmp_path, bad)), "invalid YAML", "unparsable remote YAML")
    assert problem.message.startswith(f"{bad}:3:1: invalid YAML"), f"name the URL with line:column, got {problem}"

    url = served.put("schemas.yaml", SCHEMAS)
    problem = one_problem(load_problems(spec_file(tmp_path, f"{url}#/components/schemas/Nope")), "points at nothing", "a dangling pointer")
    assert problem.pointer == SCHEMA_REF, f"the dangling pointer is reported at the $ref, got {problem}"

    served.put("dangling.yaml", "type: object\nproperties:\n  x: {$ref: '#/components/schemas/Gone'}\n")
    problem = one_problem(load_problems(spec_file(tmp_path, f"{served.url}/dangling.yaml")), "points at nothing", "a dangling '#/' ref inside")
    assert (problem.file, problem.pointer) == (f"{served.url}/dangling.yaml", "/components/schemas/dangling/properties/x/$ref"), (
        f"a problem inside a remote document must name its URL and the pointer of the $ref there, got {problem}"
    )


def test_remote_document_may_not_reference_a_local_file(tmp_path: Path, served: Served) -> None:
    secret = tmp_path / "api" / "secret.yaml"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_text("type: object\ndescription: SECRET-CONTENT\n", "utf-8")
    url = served.put("pet.yaml", f"type: object\nproperties:\n  leak: {{$ref: 'file://{secret}'}}\n")
    problem = one_problem(load_problems(spec_file(tmp_path, url)), "points at a local file", "file:// inside a remote document")
    assert problem.file == url, f"the problem must name the remote document that makes the reference, got {problem}"
    assert "SECRET-CONTENT" not in str(problem), "a remote document made us read a local file"

    relative = served.put("rel.yaml", "type: object\nproperties:\n  x: {$ref: 'secret.yaml'}\n")
    one_problem(load_problems(spec_file(tmp_path, relative)), "HTTP 404", "a relative ref inside a remote document")
    assert "/secret.yaml" in served.requests, "a relative ref inside a remote document must be fetched from its server, never read locally"


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/pet.yaml"])
def test_redirect_to_another_scheme_is_refused(tmp_path: Path, served: Served, target: str) -> None:
    problems = load_problems(spec_file(tmp_path, f"{served.url}/redirect?to={target}"))
    problem = one_problem(problems, "HTTP 302", f"a redirect to {target}")
    assert target in problem.message and ("refused" in problem.message or "not allowed" in problem.message), (
        f"the error must say the redirect to {target} was refused, got {problem}"
    )
    assert "root:" not in problem.message, f"a redirect made us read a local file: {problem}"


def test_credentials_in_urls_are_refused(tmp_path: Path, served: Served) -> None:
    ref = served.url.replace("http://", "http://user:secret@") + "/pet.yaml"
    one_problem(load_problems(spec_file(tmp_path, ref)), "contains credentials", "a URL with a password (it would land in the manifest)")
    assert served.requests == [], "a URL with credentials must not be fetched"


@pytest.mark.parametrize("path", ["big.yaml", "no-length/big.yaml"], ids=["content-length", "streamed"])
def test_oversize_remote_document_is_refused(tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    monkeypatch.setattr(loader, "MAX_FETCH_BYTES", 100)
    served.put("big.yaml", FLAT_PET + "description: " + "x" * 500 + "\n")
    problem = one_problem(load_problems(spec_file(tmp_path, f"{served.url}/{path}")), "larger than 100 bytes", f"an oversize document ({path})")
    assert problem.pointer == SCHEMA_REF, f"the refusal must be located at the $ref, got {problem}"
    served.put("small.yaml", "type: string\n")
    assert loader.load(spec_file(tmp_path, f"{served.url}/no-length/small.yaml"), allow_remote=True).remote_refs, (
        "a document under the cap must still be fetched when streamed without Content-Length"
    )


# -- configuration, check and the manifest -------------------------------------------
def test_config_key_is_read_and_must_be_a_bool(tmp_path: Path) -> None:
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - spec: a.yaml\n    allow_remote_refs: true\n  - spec: b.yaml\n", "utf-8")
    loaded = config.load_config(clients)
    assert [client.allow_remote_refs for client in loaded] == [True, False], "allow_remote_refs must be read per client (default false)"
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[[tool.clientsmith.clients]]\nspec = "a.yaml"\nallow_remote_refs = true\n', "utf-8")
    assert config.load_config(pyproject)[0].allow_remote_refs, "allow_remote_refs must be read from [tool.clientsmith] too"
    clients.write_text("clients:\n  - spec: a.yaml\n    allow_remote_refs: 'yes'\n", "utf-8")
    with pytest.raises(UsageError, match="`allow_remote_refs` must be true or false"):
        config.load_config(clients)


def test_manifest_records_remote_refs_only_when_there_are_some(tmp_path: Path, served: Served) -> None:
    first = served.put("b.yaml", "type: object\nproperties:\n  tag: {$ref: 'a.yaml'}\n")
    second = served.put("a.yaml", "type: string\n")
    manifest = json.loads(pipeline.build(spec_file(tmp_path, first), "pets", allow_remote_refs=True).files[write.MANIFEST])
    assert manifest["remote_refs"] == [
        {"url": second, "sha256": hashlib.sha256(b"type: string\n").hexdigest()},
        {"url": first, "sha256": hashlib.sha256((served.folder / "b.yaml").read_bytes()).hexdigest()},
    ], f"remote_refs must list every URL fetched with its sha256, sorted by URL, got {manifest.get('remote_refs')!r}"

    local = tmp_path / "local"
    spec = spec_file(local, "pet.yaml")
    (spec.parent / "pet.yaml").write_text(FLAT_PET)
    manifest = json.loads(pipeline.build(spec, "pets", allow_remote_refs=True).files[write.MANIFEST])
    assert "remote_refs" not in manifest, "without remote refs the manifest must not gain a remote_refs key (existing manifests stay identical)"


def test_cli_config_check_and_diff_use_remote_refs(tmp_path: Path, served: Served) -> None:
    url = served.put("pet.yaml", FLAT_PET)
    spec = spec_file(tmp_path, url)
    (tmp_path / "clients.yaml").write_text("clients:\n  - spec: api/spec.yaml\n    package: pets\n    output: out\n    allow_remote_refs: true\n")
    result = clientsmith("generate", cwd=tmp_path)
    assert result.returncode == 0, f"allow_remote_refs = true in the configuration must let generate fetch:{explain(result)}"
    assert "remote_only_field" in (tmp_path / "out" / "pets" / "models.py").read_text(), "the remote schema's fields must be generated"
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 0 and "ok:" in result.stderr, f"check must use the configuration's allow_remote_refs:{explain(result)}"

    served.put("pet.yaml", FLAT_PET + "description: changed upstream\n")
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1, f"a changed remote document is drift:{explain(result)}"
    assert "inputs changed since the last generation: remote references (" in result.stderr and url in result.stderr, (
        f"check must say the remote references changed, naming the URL:{explain(result)}"
    )

    result = clientsmith("validate", str(spec), "--allow-remote-refs", cwd=tmp_path)
    assert result.returncode == 0, f"validate --allow-remote-refs:{explain(result)}"
    result = clientsmith("diff", str(spec), str(spec), "--allow-remote-refs", cwd=tmp_path)
    assert result.returncode == 0, f"diff --allow-remote-refs of a spec with itself:{explain(result)}"
    result = clientsmith("generate", str(spec), "--output", "one", "--package-name", "one", "--allow-remote-refs", cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "one" / "one" / "models.py").is_file(), f"generate SPEC --allow-remote-refs:{explain(result)}"
