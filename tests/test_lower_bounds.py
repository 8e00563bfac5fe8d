"""Generated clients work with the oldest httpx and pydantic their pyproject.toml accepts.

Each generated package declares ``httpx>=0.27,<1`` and ``pydantic>=2.7,<3`` (``>=2.14``
when a model dispatches on a discriminator, see generator/pipeline/render.py). For each of
the two ranges, tests/lower_bounds/<name>.lock pins the minimums (uv
``--resolution lowest-direct``); a cached virtualenv (tests/venvs.py) holds
exactly that, and tests/lower_bounds/exercise.py runs a generated client there,
sync and async, against a fake of its API served on 127.0.0.1 by the test
process. The fakes check what arrives (path, query, credentials, JSON body) and
answer like the real API would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from generator import config
from tests.fault_server import FaultServer, Received, Reply
from tests.venvs import ROOT, cached_venv, python_in

HERE = ROOT / "tests" / "lower_bounds"
CLIENTS = {client.package: client for client in config.load_config(ROOT / "pyproject.toml")}
TOKEN = "lower-bound-token"
# The generated package exercised at each lower bound (the other packages share its ranges).
EXERCISED = {"plain": "airflow_client", "polymorphic": "opendatasoft_automation"}


def requirements_of(path: Path) -> list[str]:
    return sorted(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip() and not line.lstrip().startswith("#"))


def declared(package: str) -> list[str]:
    pyproject = tomllib.loads((CLIENTS[package].output / "pyproject.toml").read_text("utf-8"))
    return sorted(pyproject["project"]["dependencies"])


def locked(lock: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", lock.read_text("utf-8"), re.MULTILINE)}


def minimum(requirement: str) -> Version:
    [bound] = [spec.version for spec in Requirement(requirement).specifier if spec.operator == ">="]
    return Version(bound)


def test_every_generated_package_declares_a_range_that_has_a_lower_bound_lock() -> None:
    ranges = {name: requirements_of(HERE / f"{name}.in") for name in EXERCISED}
    for package in CLIENTS:
        assert declared(package) in ranges.values(), f"{package} declares {declared(package)}, which no tests/lower_bounds/*.in covers"
    for name, package in EXERCISED.items():
        assert declared(package) == ranges[name], f"{package} no longer declares tests/lower_bounds/{name}.in's ranges"


@pytest.mark.parametrize("name", sorted(EXERCISED))
def test_the_lock_pins_the_declared_minimums(name: str) -> None:
    pins = locked(HERE / f"{name}.lock")
    for requirement in requirements_of(HERE / f"{name}.in"):
        package = Requirement(requirement).name
        assert Version(pins[package]) == minimum(requirement), f"{name}.lock pins {package}=={pins[package]}, not the minimum of {requirement!r}: run `make lock`"


# --- fakes of the two APIs -------------------------------------------------------------------------


def _json(request: Received) -> Any:
    return json.loads(request.body) if request.body else None


class FakeAirflow:
    """The 8 connection operations of Airflow's REST API, in memory, strict about what arrives."""

    fields = ("connection_id", "conn_type", "description", "host", "login", "schema", "port", "password", "extra")

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    def shown(self, stored: dict[str, Any]) -> dict[str, Any]:
        return {**{key: stored.get(key) for key in self.fields}, "password": "***" if stored.get("password") else None}

    def __call__(self, request: Received) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"detail": "Not authenticated"})
        query = parse_qs(request.query, keep_blank_values=True)
        method, path = request.method, request.path
        prefix = "/api/v2/connections"
        if path == prefix and method == "GET":
            limit, offset = int(query["limit"][0]), int(query["offset"][0])
            if limit < 0:
                return Reply(422, {"detail": [{"type": "greater_than_equal", "loc": ["query", "limit"], "msg": "Input should be greater than or equal to 0"}]})
            pattern = query.get("connection_id_pattern", [""])[0]
            order = query["order_by"][0]
            assert order in ("id", "connection_id", "-connection_id"), order
            rows = [row for key, row in self.store.items() if pattern in key]
            if order != "id":
                rows.sort(key=lambda row: row["connection_id"], reverse=order.startswith("-"))
            return Reply(200, {"connections": [self.shown(row) for row in rows[offset : offset + limit]], "total_entries": len(rows)})
        if path == prefix and method == "POST":
            body = _json(request)
            if body["connection_id"] in self.store:
                return Reply(409, {"detail": {"reason": "Unique constraint violation"}})
            self.store[body["connection_id"]] = body
            return Reply(201, self.shown(body))
        if path == prefix and method == "PATCH":
            result: dict[str, Any] = {"create": None, "update": None, "delete": None}
            for action in _json(request)["actions"]:
                done: list[str] = []
                for entity in action["entities"]:
                    if action["action"] == "delete":
                        if self.store.pop(entity, None) is not None:
                            done.append(entity)
                    else:
                        self.store[entity["connection_id"]] = {**self.store.get(entity["connection_id"], {}), **entity}
                        done.append(entity["connection_id"])
                result[action["action"]] = {"success": done, "errors": []}
            return Reply(200, result)
        if path == f"{prefix}/test" and method == "POST":
            return Reply(200, {"status": True, "message": f"tested a {_json(request)['conn_type']} connection"})
        if path == f"{prefix}/defaults" and method == "POST":
            self.store.setdefault("airflow_db", {"connection_id": "airflow_db", "conn_type": "mysql"})
            return Reply(204)
        name = path.removeprefix(f"{prefix}/")
        if name not in self.store:
            return Reply(404, {"detail": f"The Connection with connection_id: `{name}` was not found"})
        if method == "GET":
            return Reply(200, self.shown(self.store[name]))
        if method == "DELETE":
            del self.store[name]
            return Reply(204)
        if method == "PATCH":
            mask = query.get("update_mask")
            body = _json(request)
            self.store[name].update({key: value for key, value in body.items() if mask is None or key in mask})
            return Reply(200, self.shown(self.store[name]))
        return Reply(405, {"detail": "Method Not Allowed"})


class FakeOpendatasoft:
    """Opendatasoft's datasource connections: polymorphic bodies dispatched on ``type``."""

    read_only = ("uid", "can_reuse", "can_manage", "dataset_count", "user_count", "group_count", "created_at", "updated_at")

    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {"co_seeded": {"uid": "co_seeded", "type": "ftp", "url": "ftp://seeded.example.org", "created_at": "2024-05-01"}}

    def shown(self, stored: dict[str, Any]) -> dict[str, Any]:
        auth = stored.get("auth")
        return {**stored, "auth": {**auth, "password": None} if auth else auth, "can_manage": True}

    def __call__(self, request: Received) -> Reply:
        if request.headers.get("authorization") != f"apikey {TOKEN}":
            return Reply(401, {"error_code": "unauthorized", "message": "no key"})
        prefix = "/datasource_connections/"
        if request.path == prefix and request.method == "GET":
            query = parse_qs(request.query)
            limit, offset = int(query["limit"][0]), int(query.get("offset", ["0"])[0])
            rows = list(self.store.values())
            return Reply(200, {"total_count": len(rows), "next": None, "previous": None, "results": [self.shown(row) for row in rows[offset : offset + limit]]})
        if request.path == prefix and request.method == "POST":
            body = _json(request)
            assert not set(body) & set(self.read_only), f"read-only fields sent: {body}"
            uid = f"co_{body['url'].split('//')[1].split('.')[0]}"
            self.store[uid] = {**body, "uid": uid, "created_at": "2025-01-02"}
            return Reply(201, self.shown(self.store[uid]))
        uid = request.path.removeprefix(prefix).rstrip("/")
        if uid not in self.store:
            return Reply(404, {"error_code": "not_found", "message": f"no connection {uid}"})
        if request.method == "GET":
            return Reply(200, self.shown(self.store[uid]))
        if request.method == "PUT":
            body = _json(request)
            assert not set(body) & set(self.read_only), f"read-only fields sent: {body}"
            self.store[uid] = {**body, "uid": uid, "created_at": self.store[uid]["created_at"]}
            return Reply(200, self.shown(self.store[uid]))
        if request.method == "DELETE":
            del self.store[uid]
            return Reply(204)
        return Reply(405, {"error_code": "method", "message": "no"})


FAKES: dict[str, Callable[[], Callable[[Received], Reply]]] = {"airflow_client": FakeAirflow, "opendatasoft_automation": FakeOpendatasoft}


def run_exercise(name: str, server: FaultServer) -> tuple[dict[str, Any], list[Received]]:
    package = EXERCISED[name]
    try:
        venv, _ = cached_venv(f"lower-bounds-{name}", HERE / f"{name}.lock")
    except RuntimeError as error:
        pytest.fail(f"could not build the lower-bound virtualenv {name}: {error}", pytrace=False)
    server.script()
    server.fallback = FAKES[package]()
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONSAFEPATH": "1", "NO_PROXY": "127.0.0.1"}
    result = subprocess.run(
        [str(python_in(venv)), str(HERE / "exercise.py"), str(CLIENTS[package].output), package, server.url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
        cwd=HERE,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"{package} failed at the lower bounds ({venv}):\n{result.stderr[-6000:]}"
    return json.loads(result.stdout), list(server.received)


def test_airflow_client_at_httpx_0_27_and_pydantic_2_7(server: FaultServer) -> None:
    report, received = run_exercise("plain", server)
    assert (report["httpx"], report["pydantic"]) == ("0.27.0", "2.7.0")
    assert report["package_file"] == str(CLIENTS["airflow_client"].output / "airflow_client" / "__init__.py")
    assert set(report["modules"]) <= {"airflow_client", "flavours", "httpx", "httpcore", "h11", "anyio", "sniffio", "idna", "certifi", "pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection"} | set(sys.stdlib_module_names), report["modules"]
    for flavour in ("sync", "async"):
        got = report[flavour]
        a = f"{flavour}.a"
        shown = {"connection_id": a, "conn_type": "http", "description": "d", "host": "h.example.org", "login": "l", "schema": "s", "port": 5432, "password": "***", "extra": '{"k": 1}'}
        assert got["post"] == {"class": "ConnectionResponse", "data": shown}
        assert got["post_again"] == {"class": "ConflictError", "status": 409, "body": {"class": "HttpExceptionResponse", "data": {"detail": {"reason": "Unique constraint violation"}}}}
        assert got["get"] == got["post"]
        assert got["patch"] == {"class": "ConnectionResponse", "data": {**shown, "host": "new", "port": 21}}
        assert got["page"]["class"] == "ConnectionCollectionResponse"
        assert [row["connection_id"] for row in got["page"]["data"]["connections"]] == [a] and got["page"]["data"]["total_entries"] == 2
        assert got["walk"] == [a, f"{flavour}.b"]
        assert got["bad_limit"] == {
            "class": "UnprocessableEntityError",
            "status": 422,
            "body": {"class": "HttpValidationError", "data": {"detail": [{"type": "greater_than_equal", "loc": ["query", "limit"], "msg": "Input should be greater than or equal to 0"}]}},
        }
        assert got["test"] == {"class": "ConnectionTestResponse", "data": {"status": True, "message": "tested a fs connection"}}
        assert got["bulk"] == {
            "class": "BulkResponse",
            "data": {"create": {"success": [f"{flavour}.c"], "errors": []}, "update": {"success": [f"{flavour}.b"], "errors": []}, "delete": {"success": [a], "errors": []}},
        }
        assert got["defaults"] is None and got["delete"] is None
        assert got["get_deleted"] == {"class": "NotFoundError", "status": 404, "body": {"class": "HttpExceptionResponse", "data": {"detail": f"The Connection with connection_id: `{flavour}.c` was not found"}}}
        assert got["no_token"] == {"class": "UnauthorizedError", "status": 401, "body": {"class": "HttpExceptionResponse", "data": {"detail": "Not authenticated"}}}
    posts = [json.loads(request.body) for request in received if request.method == "POST" and request.path == "/api/v2/connections"]
    assert posts[0] == {"connection_id": "sync.a", "conn_type": "http", "host": "h.example.org", "port": 5432, "login": "l", "schema": "s", "password": "pw", "extra": '{"k": 1}', "description": "d"}
    patches = [request.query for request in received if request.method == "PATCH" and request.path == "/api/v2/connections/sync.a"]
    assert patches == ["update_mask=host&update_mask=port"]
    bulk = next(json.loads(request.body) for request in received if request.method == "PATCH" and request.path == "/api/v2/connections")
    assert bulk["actions"][2] == {"action": "delete", "entities": ["sync.a"], "action_on_non_existence": "skip"}


def test_opendatasoft_client_with_dispatching_models_at_httpx_0_27_and_pydantic_2_14(server: FaultServer) -> None:
    report, received = run_exercise("polymorphic", server)
    assert (report["httpx"], report["pydantic"]) == ("0.27.0", "2.14.0")
    for flavour in ("sync", "async"):
        got = report[flavour]
        uid = f"co_{flavour}"
        created = {
            "type": "http",
            "url": f"https://{flavour}.example.org",
            "is_reusable": True,
            "auth": {"type": "basic_auth", "username": "u", "password": None},
            "uid": uid,
            "created_at": "2025-01-02",
            "can_manage": True,
        }
        assert got["create"] == {"class": "HttpConnection", "data": created}
        assert got["create_auth_class"] == "HttpBasicAuth"
        assert got["retrieve"] == got["create"]
        assert got["update"] == {
            "class": "FtpConnection",
            "data": {"type": "ftp", "url": f"ftps://{flavour}.example.org", "auth": {"type": "basic_auth", "username": "f", "password": None}, "uid": uid, "created_at": "2025-01-02", "can_manage": True},
        }
        assert got["walk"] == ["FtpConnection", "HttpConnection"], "each item parsed into the subtype its type names"
        assert got["delete"] is None
        assert got["retrieve_deleted"] == {"class": "NotFoundError", "status": 404, "body": {"class": "RetrieveConnection404Response", "data": {"error_code": "not_found", "message": f"no connection {uid}"}}}
    # The subtype's own fields were sent although the argument is typed as the base class.
    sent = [json.loads(request.body) for request in received if request.method in ("POST", "PUT")]
    assert sent[0] == {"type": "http", "url": "https://sync.example.org", "is_reusable": True, "auth": {"type": "basic_auth", "username": "u", "password": "secret"}}
    assert sent[1] == {"type": "ftp", "url": "ftps://sync.example.org", "auth": {"type": "basic_auth", "username": "f", "password": "secret"}}
