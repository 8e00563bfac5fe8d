"""The generated Airflow client against a real Apache Airflow API server.

The server is the release pinned in tests/airflow/requirements.lock, installed by
the session fixture into a cached virtualenv (tests/venvs.py) and started on
127.0.0.1 with a fresh SQLite database (tests/airflow_server.py). All 8
connection operations run through ``generated/airflow_client``, sync and async,
and assert the values that come back; every error status the server gives
raises its typed error with the parsed body. Where the server differs from
specs/airflow.yaml (which follows the seed), the difference is recorded in
specs/README.md ("The live Airflow server") and pinned here, not smoothed over.

If Airflow cannot be installed or started, the tests fail: a CI run without the
live server must not look green.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.airflow_server import USERS, AirflowServer, pinned_version
from tests.cases import import_client
from tests.flavours import call, collect

ROOT = Path(__file__).resolve().parents[1]
FLAVOURS = ["sync", "async"]


@dataclass
class Live:
    server: AirflowServer
    tokens: dict[str, str]
    module: Any

    @property
    def models(self) -> Any:
        return self.module.models


@pytest.fixture(scope="session")
def airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = AirflowServer(tmp_path_factory.mktemp("airflow-home"))
    try:
        try:
            server.start()
        except Exception as error:  # noqa: BLE001 - any failure to start must fail the tests, loudly
            pytest.fail(f"the live Apache Airflow {pinned_version()} server could not be started: {error}", pytrace=False)
        timings = server.timings
        print(
            f"\nairflow {pinned_version()}: virtualenv {timings.venv_seconds:.1f} s ({'built' if timings.venv_built else 'cached'}),"
            f" db migrate {timings.migrate_seconds:.1f} s, api-server healthy after {timings.start_seconds:.1f} s"
        )
        yield Live(server, {user: server.token(user) for user in USERS}, import_client("airflow_client"))
    finally:
        server.stop()


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@asynccontextmanager
async def client(live: Live, flavour: str, *, user: str | None = "admin", token: str | None = None) -> AsyncIterator[Any]:
    """A Client or AsyncClient on the live server, as ``user`` (None: no token) or with ``token``."""
    access_token = token if token is not None else live.tokens[user] if user is not None else None
    options = {"base_url": live.server.url, "access_token": access_token, "max_retries": 0, "timeout": 60.0}
    if flavour == "sync":
        with live.module.Client(**options) as sync_client:
            yield sync_client
    else:
        async with live.module.AsyncClient(**options) as async_client:
            yield async_client


def fields(model: Any) -> dict[str, Any]:
    return dict(model.model_dump(by_alias=True))


async def create(api: Any, live: Live, **values: Any) -> Any:
    return await call(api.connection.post_connection(live.models.ConnectionBody(**values)))


# --- the 8 operations -------------------------------------------------------------------------


async def test_post_and_get_connection_return_what_was_sent(airflow: Live, flavour: str) -> None:
    sent = {
        "connection_id": f"create.{flavour}",
        "conn_type": "http",
        "description": "made by the live test",
        "host": "api.example.org",
        "login": "robot",
        "schema": "https",
        "port": 8443,
        "password": "s3cret",
        "extra": json.dumps({"timeout": 5}),
    }
    async with client(airflow, flavour) as api:
        created = await create(api, airflow, **sent)
        fetched = await call(api.connection.get_connection(f"create.{flavour}"))
    assert isinstance(created, airflow.models.ConnectionResponse) and isinstance(fetched, airflow.models.ConnectionResponse)
    # The server never returns a password: it answers "***" (specs/README.md, "The live Airflow server").
    assert fields(created) == {**sent, "password": "***"}
    assert fields(fetched) == fields(created)


async def test_get_connections_pages_and_orders(airflow: Live, flavour: str) -> None:
    # `connection_id_pattern` matches anywhere in the id: "page.sync." must not be part of another
    # test's ids ("page.async." is not; "sync-page" would be part of "async-page").
    prefix = f"page.{flavour}."
    conn_types = ["http", "ftp", "sqlite", "aws", "email"]  # ordering by conn_type differs from ordering by id
    async with client(airflow, flavour) as api:
        for number, conn_type in enumerate(conn_types):
            await create(api, airflow, connection_id=f"{prefix}{number}", conn_type=conn_type, port=number)
        ids = [f"{prefix}{number}" for number in range(5)]

        async def page(pattern: str = prefix, **options: Any) -> tuple[list[str], int]:
            result = await call(api.connection.get_connections(connection_id_pattern=pattern, **options))
            assert isinstance(result, airflow.models.ConnectionCollectionResponse)
            assert all(item.password is None for item in result.connections), "no password was set"
            return [item.connection_id for item in result.connections], result.total_entries

        assert await page(limit=2, offset=0, order_by="connection_id") == (ids[0:2], 5)
        assert await page(limit=2, offset=2, order_by="connection_id") == (ids[2:4], 5)
        assert await page(limit=2, offset=4, order_by="connection_id") == (ids[4:], 5)
        assert await page(limit=3, offset=0, order_by="-connection_id") == (ids[::-1][:3], 5)
        by_type = [f"{prefix}{conn_types.index(conn_type)}" for conn_type in sorted(conn_types)]
        assert await page(order_by="conn_type") == (by_type, 5)
        assert await page(limit=0) == ([], 5)
        # Recorded difference: the pattern matches anywhere in the id and ignores case.
        assert await page(f"AGE.{flavour.upper()}.", order_by="connection_id") == (ids, 5)
        assert await page(f"page.{flavour}._", order_by="connection_id") == (ids, 5), "`_` is a one-character wildcard"
        walked = await collect(api.connection.iter_get_connections(limit=2, order_by="-connection_id", connection_id_pattern=prefix))
    assert [item.connection_id for item in walked] == ids[::-1], "iter_get_connections walks every page"
    assert [item.port for item in walked] == [4, 3, 2, 1, 0]


async def test_patch_connection_with_an_update_mask_changes_only_the_masked_fields(airflow: Live, flavour: str) -> None:
    name = f"patch.{flavour}"
    body = airflow.models.ConnectionBody
    async with client(airflow, flavour) as api:
        await create(api, airflow, connection_id=name, conn_type="http", host="old.example.org", port=80, login="keep", description="keep")
        masked = await call(
            api.connection.patch_connection(
                name,
                body(connection_id=name, conn_type="ftp", host="new.example.org", port=21, login="ignored", description="ignored"),
                update_mask=["host", "port"],
            )
        )
        stored = await call(api.connection.get_connection(name))
        # Recorded difference: names in the mask that are not fields are ignored, not refused.
        ignored = await call(api.connection.patch_connection(name, body(connection_id=name, conn_type="ftp", host="x"), update_mask=["no_such_field"]))
        # Without a mask the fields sent replace the stored ones, an explicit null included.
        unmasked = await call(api.connection.patch_connection(name, body(connection_id=name, conn_type="sftp", login=None)))
    expected = {"connection_id": name, "conn_type": "http", "host": "new.example.org", "port": 21, "login": "keep", "description": "keep"}
    assert {key: fields(masked)[key] for key in expected} == expected
    assert fields(stored) == fields(masked)
    assert fields(ignored) == fields(masked)
    assert {key: fields(unmasked)[key] for key in expected} == {**expected, "conn_type": "sftp", "login": None}


async def test_test_connection_runs_the_hook_and_stores_nothing(airflow: Live, flavour: str, tmp_path: Path) -> None:
    body = airflow.models.ConnectionBody
    name = f"tested.{flavour}"
    async with client(airflow, flavour) as api:
        works = await call(api.connection.test_connection(body(connection_id=name, conn_type="fs", extra=json.dumps({"path": str(tmp_path)}))))
        missing = tmp_path / "missing"
        fails = await call(api.connection.test_connection(body(connection_id=name, conn_type="fs", extra=json.dumps({"path": str(missing)}))))
        with pytest.raises(airflow.module.NotFoundError):
            await call(api.connection.get_connection(name))
    assert isinstance(works, airflow.models.ConnectionTestResponse)
    assert (works.status, works.message) == (True, f"Path {tmp_path} is existing.")
    assert (fails.status, fails.message) == (False, f"Path {missing} does not exist.")


async def test_bulk_connections_creates_updates_and_deletes_in_one_request(airflow: Live, flavour: str) -> None:
    models = airflow.models
    prefix = f"bulk.{flavour}."
    async with client(airflow, flavour) as api:
        await create(api, airflow, connection_id=f"{prefix}update", conn_type="http", host="before.example.org")
        await create(api, airflow, connection_id=f"{prefix}delete", conn_type="http")
        request = models.BulkBodyConnectionBody(
            actions=[
                models.BulkCreateActionConnectionBody(
                    action=models.BulkAction.CREATE,
                    entities=[
                        models.ConnectionBody(connection_id=f"{prefix}a", conn_type="http", host="a.example.org", port=1),
                        models.ConnectionBody(connection_id=f"{prefix}b", conn_type="ftp", login="b"),
                    ],
                ),
                models.BulkUpdateActionConnectionBody(
                    action=models.BulkAction.UPDATE,
                    entities=[models.ConnectionBody(connection_id=f"{prefix}update", conn_type="http", host="after.example.org")],
                ),
                models.BulkDeleteActionConnectionBody(action=models.BulkAction.DELETE, entities=[f"{prefix}delete"]),
            ]
        )
        result = await call(api.connection.bulk_connections(request))
        created_a = await call(api.connection.get_connection(f"{prefix}a"))
        created_b = await call(api.connection.get_connection(f"{prefix}b"))
        updated = await call(api.connection.get_connection(f"{prefix}update"))
        with pytest.raises(airflow.module.NotFoundError):
            await call(api.connection.get_connection(f"{prefix}delete"))

        # Per-entity failures come back inside a 200 answer, not as an HTTP error.
        failing = models.BulkBodyConnectionBody(
            actions=[
                models.BulkCreateActionConnectionBody(action=models.BulkAction.CREATE, entities=[models.ConnectionBody(connection_id=f"{prefix}a", conn_type="http")]),
                models.BulkDeleteActionConnectionBody(action=models.BulkAction.DELETE, entities=[f"{prefix}never"]),
            ]
        )
        refused = await call(api.connection.bulk_connections(failing))
        overwrite = models.BulkBodyConnectionBody(
            actions=[
                models.BulkCreateActionConnectionBody(
                    action=models.BulkAction.CREATE,
                    entities=[models.ConnectionBody(connection_id=f"{prefix}a", conn_type="http", host="again.example.org")],
                    action_on_existence=models.BulkActionOnExistence.OVERWRITE,
                ),
                models.BulkDeleteActionConnectionBody(action=models.BulkAction.DELETE, entities=[f"{prefix}never"], action_on_non_existence=models.BulkActionNotOnExistence.SKIP),
            ]
        )
        overwritten = await call(api.connection.bulk_connections(overwrite))
        after_overwrite = await call(api.connection.get_connection(f"{prefix}a"))

        # Recorded difference: a delete does not see what a create of the same request added.
        same_request = models.BulkBodyConnectionBody(
            actions=[
                models.BulkCreateActionConnectionBody(action=models.BulkAction.CREATE, entities=[models.ConnectionBody(connection_id=f"{prefix}fresh", conn_type="http")]),
                models.BulkDeleteActionConnectionBody(action=models.BulkAction.DELETE, entities=[f"{prefix}fresh"]),
            ]
        )
        created_then_deleted = await call(api.connection.bulk_connections(same_request))
        survivor = await call(api.connection.get_connection(f"{prefix}fresh"))

        # Recorded difference: each action class has a constant tag, so a create action tagged
        # `delete` is read as a delete action (whose entities are ids) and refused.
        mismatched = models.BulkBodyConnectionBody(
            actions=[models.BulkCreateActionConnectionBody(action=models.BulkAction.DELETE, entities=[models.ConnectionBody(connection_id=f"{prefix}c", conn_type="http")])]
        )
        with pytest.raises(airflow.module.UnprocessableEntityError) as caught:
            await call(api.connection.bulk_connections(mismatched))

    assert isinstance(result, models.BulkResponse)
    assert (result.create.success, result.create.errors) == ([f"{prefix}a", f"{prefix}b"], [])
    assert (result.update.success, result.update.errors) == ([f"{prefix}update"], [])
    assert (result.delete.success, result.delete.errors) == ([f"{prefix}delete"], [])
    assert (created_a.host, created_a.port, created_a.conn_type) == ("a.example.org", 1, "http")
    assert (created_b.login, created_b.conn_type) == ("b", "ftp")
    assert updated.host == "after.example.org"

    assert refused.update is None
    assert refused.create.success == [] and [error["status_code"] for error in refused.create.errors] == [409]
    assert f"{prefix}a" in refused.create.errors[0]["error"]
    assert refused.delete.success == [] and [error["status_code"] for error in refused.delete.errors] == [404]
    assert f"{prefix}never" in refused.delete.errors[0]["error"]

    assert (overwritten.create.success, overwritten.create.errors) == ([f"{prefix}a"], [])
    assert (overwritten.delete.success, overwritten.delete.errors) == ([], [])
    assert after_overwrite.host == "again.example.org"

    assert created_then_deleted.create.success == [f"{prefix}fresh"]
    assert created_then_deleted.delete.success == [] and [error["status_code"] for error in created_then_deleted.delete.errors] == [404]
    assert survivor.connection_id == f"{prefix}fresh"

    assert isinstance(caught.value.body, models.HttpValidationError) and caught.value.body.detail is not None
    assert [(problem.loc, problem.type) for problem in caught.value.body.detail] == [(["body", "actions", 0, "delete", "entities", 0], "string_type")]


async def test_create_default_connections_adds_airflows_defaults_once(airflow: Live, flavour: str) -> None:
    async with client(airflow, flavour) as api:
        assert await call(api.connection.create_default_connections()) is None
        first = await collect(api.connection.iter_get_connections(limit=100, order_by="connection_id"))
        assert await call(api.connection.create_default_connections()) is None
        again = await collect(api.connection.iter_get_connections(limit=100, order_by="connection_id"))
        airflow_db = await call(api.connection.get_connection("airflow_db"))
    ids = [item.connection_id for item in first]
    assert {"airflow_db", "fs_default", "http_default", "sqlite_default"} <= set(ids)
    assert [item.connection_id for item in again] == ids, "a second call adds nothing"
    assert (airflow_db.conn_type, airflow_db.host, airflow_db.login, airflow_db.schema_) == ("mysql", "mysql", "root", "airflow")


async def test_delete_connection_removes_it(airflow: Live, flavour: str) -> None:
    name = f"delete.{flavour}"
    async with client(airflow, flavour) as api:
        await create(api, airflow, connection_id=name, conn_type="http")
        assert await call(api.connection.delete_connection(name)) is None
        with pytest.raises(airflow.module.NotFoundError) as caught:
            await call(api.connection.get_connection(name))
        assert caught.value.body.detail == f"The Connection with connection_id: `{name}` was not found"
        with pytest.raises(airflow.module.NotFoundError):
            await call(api.connection.delete_connection(name))


# --- errors ---------------------------------------------------------------------------------------


async def test_no_token_is_401(airflow: Live, flavour: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CLIENT_ACCESS_TOKEN", raising=False)
    async with client(airflow, flavour, user=None) as api:
        with pytest.raises(airflow.module.UnauthorizedError) as caught:
            await call(api.connection.get_connections())
    error = caught.value
    assert error.status_code == 401
    assert isinstance(error.body, airflow.models.HttpExceptionResponse) and error.body.detail == "Not authenticated"


async def test_read_only_user_writing_is_403(airflow: Live, flavour: str) -> None:
    name = f"viewer-write.{flavour}"
    async with client(airflow, flavour, user="viewer") as api:
        with pytest.raises(airflow.module.ForbiddenError) as caught:
            await create(api, airflow, connection_id=name, conn_type="http")
        # The simple auth manager wants the Op role for connections, reading included.
        with pytest.raises(airflow.module.ForbiddenError) as reading:
            await call(api.connection.get_connections())
    assert isinstance(caught.value.body, airflow.models.HttpExceptionResponse) and caught.value.body.detail == "Forbidden"
    assert reading.value.body.detail == "Forbidden"
    async with client(airflow, flavour) as admin:
        with pytest.raises(airflow.module.NotFoundError):
            await call(admin.connection.get_connection(name))


async def test_bad_token_is_403(airflow: Live, flavour: str) -> None:
    async with client(airflow, flavour, token="not-a-jwt") as api:
        with pytest.raises(airflow.module.ForbiddenError) as caught:
            await call(api.connection.get_connection("anything"))
    assert caught.value.status_code == 403
    assert isinstance(caught.value.body, airflow.models.HttpExceptionResponse) and caught.value.body.detail == "Invalid JWT token"


async def test_unknown_connection_is_404(airflow: Live, flavour: str) -> None:
    async with client(airflow, flavour) as api:
        with pytest.raises(airflow.module.NotFoundError) as caught:
            await call(api.connection.patch_connection("nowhere", airflow.models.ConnectionBody(connection_id="nowhere", conn_type="http")))
    assert isinstance(caught.value.body, airflow.models.HttpExceptionResponse)
    assert caught.value.body.detail == "The Connection with connection_id: `nowhere` was not found"


async def test_duplicate_create_is_409(airflow: Live, flavour: str) -> None:
    name = f"twice.{flavour}"
    async with client(airflow, flavour) as api:
        await create(api, airflow, connection_id=name, conn_type="http", host="first")
        with pytest.raises(airflow.module.ConflictError) as caught:
            await create(api, airflow, connection_id=name, conn_type="http", host="second")
        kept = await call(api.connection.get_connection(name))
    body = caught.value.body
    assert isinstance(body, airflow.models.HttpExceptionResponse) and isinstance(body.detail, dict)
    assert body.detail["reason"] == "Unique constraint violation"
    assert "UNIQUE constraint failed: connection.conn_id" in body.detail["orig_error"]
    assert kept.host == "first"


async def test_bad_parameter_is_422(airflow: Live, flavour: str) -> None:
    async with client(airflow, flavour) as api:
        with pytest.raises(airflow.module.UnprocessableEntityError) as caught:
            await call(api.connection.get_connections(limit=-1))
    body = caught.value.body
    assert isinstance(body, airflow.models.HttpValidationError) and body.detail is not None
    [problem] = body.detail
    assert isinstance(problem, airflow.models.ValidationError)
    assert (problem.loc, problem.type, problem.msg) == (["query", "limit"], "greater_than_equal", "Input should be greater than or equal to 0")


async def test_unknown_order_by_is_an_undeclared_400(airflow: Live, flavour: str) -> None:
    """Recorded difference: the spec (and the server's own document) declare no 400 here."""
    async with client(airflow, flavour) as api:
        with pytest.raises(airflow.module.BadRequestError) as caught:
            await call(api.connection.get_connections(order_by="no_such_field"))
    assert caught.value.body == {"detail": "Ordering with 'no_such_field' is disallowed or the attribute does not exist on the model"}


# --- the server's own OpenAPI document -----------------------------------------------------------

METHODS = ("get", "put", "post", "delete", "patch")

# Where the document the live server publishes differs from specs/airflow.yaml for the 8
# operations and their schemas (descriptions and titles aside). specs/README.md lists the same.
RECORDED_DOCUMENT_DIFFERENCES = [
    "schemas.BulkAction: spec has it, server does not",
    'schemas.BulkCreateAction_ConnectionBody_.properties.action: spec "ref:BulkAction", server "const:create"',
    'schemas.BulkDeleteAction_ConnectionBody_.properties.action: spec "ref:BulkAction", server "const:delete"',
    'schemas.BulkUpdateAction_ConnectionBody_.properties.action: spec "ref:BulkAction", server "const:update"',
    (
        'schemas.ConnectionResponse.required: spec ["conn_type", "connection_id"],'
        ' server ["conn_type", "connection_id", "description", "extra", "host", "login", "password", "port", "schema"]'
    ),
]


def type_of(schema: Any) -> str:
    """A schema's type as one string: ``string|null``, ``ref:ConnectionBody``, ``array[string]``, ``const:create``.

    OpenAPI 3.1 type lists and ``anyOf`` with null read the same.
    """
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return "ref:" + str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return f"const:{schema['const']}"
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return "|".join(sorted(type_of(option) for option in options))
    kind = schema.get("type")
    parts = [f"array[{type_of(schema.get('items'))}]" if k == "array" else str(k) for k in (kind if isinstance(kind, list) else [kind] if kind else [])]
    if schema.get("enum"):
        parts.append("enum:" + ",".join(map(str, schema["enum"])))
    return "|".join(sorted(parts)) or "any"


def document_shape(document: dict[str, Any], operation_ids: set[str], schema_names: list[str]) -> dict[str, Any]:
    """What a client of the operations depends on: paths, parameters, bodies, statuses, security, schemas."""
    operations: dict[str, Any] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if not operation or operation.get("operationId") not in operation_ids:
                continue
            parameters = {}
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                default = f" default={json.dumps(schema['default'])}" if "default" in schema else ""
                parameters[f"{parameter['in']}:{parameter['name']}"] = f"{type_of(schema)}{' required' if parameter.get('required') else ''}{default}"
            body = operation.get("requestBody")
            operations[f"{method.upper()} {path}"] = {
                "operationId": operation["operationId"],
                "parameters": parameters,
                "body": type_of(body["content"]["application/json"]["schema"]) if body else None,
                "responses": {
                    str(status): type_of(response["content"]["application/json"].get("schema")) if response.get("content") else "empty"
                    for status, response in operation["responses"].items()
                },
                "security": sorted(name for alternative in operation.get("security", document.get("security", [])) for name in alternative),
            }
    schemas: dict[str, Any] = {}
    components = document.get("components", {}).get("schemas", {})
    for name in schema_names:
        schema = components.get(name)
        if schema is None:
            continue
        schemas[name] = {
            "type": type_of({key: value for key, value in schema.items() if key in ("type", "enum")}),
            "properties": {
                prop: type_of(value) + (f" default={json.dumps(value['default'])}" if "default" in value else "") for prop, value in (schema.get("properties") or {}).items()
            },
            "required": sorted(schema.get("required", [])),
            "additionalProperties": schema.get("additionalProperties"),
        }
    return {"operations": operations, "schemas": schemas}


def differences(ours: Any, theirs: Any, where: str = "") -> list[str]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(ours) | set(theirs)):
            if key not in theirs:
                found.append(f"{where}{key}: spec has it, server does not")
            elif key not in ours:
                found.append(f"{where}{key}: server has it, spec does not")
            else:
                found.extend(differences(ours[key], theirs[key], f"{where}{key}."))
        return found
    return [] if ours == theirs else [f"{where.rstrip('.')}: spec {json.dumps(ours)}, server {json.dumps(theirs)}"]


def test_the_servers_document_differs_from_the_spec_only_where_recorded(airflow: Live) -> None:
    with httpx.Client(base_url=airflow.server.url, timeout=60.0, trust_env=False) as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200, response.text[:500]
    served = response.json()
    spec = yaml.safe_load((ROOT / "specs" / "airflow.yaml").read_text("utf-8"))
    operation_ids = {operation["operationId"] for item in spec["paths"].values() for method, operation in item.items() if method in METHODS}
    names = list(spec["components"]["schemas"])
    found = differences(document_shape(spec, operation_ids, names), document_shape(served, operation_ids, names))
    assert found == RECORDED_DOCUMENT_DIFFERENCES, (
        "the live server's /openapi.json differs from specs/airflow.yaml in ways not recorded"
        " (update specs/README.md and RECORDED_DOCUMENT_DIFFERENCES; do not bend the spec):\n" + "\n".join(found)
    )
