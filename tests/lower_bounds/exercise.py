"""Calls a generated client, sync and async, and prints what came back as JSON.

Runs inside a virtualenv that holds nothing but the generated package's declared
dependencies at their minimum versions (tests/lower_bounds/*.lock), against the
fake server of tests/test_lower_bounds.py on 127.0.0.1. Only the standard
library, httpx, pydantic, the generated package and tests/flavours.py may be
imported here.

    python exercise.py PACKAGE_PARENT_DIR PACKAGE BASE_URL
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from importlib import import_module
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for flavours (standard library only)
from flavours import call, collect

TOKEN = "lower-bound-token"


def dump(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [dump(item) for item in value]
    return {"class": type(value).__name__, "data": value.model_dump(mode="json", by_alias=True, exclude_unset=True)}


async def error_of(module: Any, action: Callable[[], Any]) -> dict[str, Any]:
    """The error a call raises (a callable: a sync call raises when it is made)."""
    try:
        await call(action())
    except module.ApiError as error:
        body = error.body
        return {"class": type(error).__name__, "status": error.status_code, "body": dump(body) if hasattr(body, "model_dump") else body}
    return {"class": None}


def open_client(module: Any, flavour: str, base_url: str, **credentials: Any) -> Any:
    options = {"base_url": base_url, "max_retries": 0, "timeout": 30.0, **credentials}
    return module.Client(**options) if flavour == "sync" else module.AsyncClient(**options)


async def enter(client: Any) -> Any:
    return await client.__aenter__() if hasattr(client, "__aenter__") else client.__enter__()


async def leave(client: Any) -> None:
    if hasattr(client, "__aexit__"):
        await client.__aexit__(None, None, None)
    else:
        client.__exit__(None, None, None)


async def airflow(module: Any, flavour: str, base_url: str) -> dict[str, Any]:
    models = import_module(f"{module.__name__}.models")
    api = await enter(open_client(module, flavour, base_url, access_token=TOKEN))
    anonymous = await enter(open_client(module, flavour, base_url))
    f = flavour
    body = models.ConnectionBody
    out: dict[str, Any] = {}
    try:
        connection = api.connection
        sent = body(connection_id=f"{f}.a", conn_type="http", host="h.example.org", port=5432, login="l", schema_="s", password="pw", extra='{"k": 1}', description="d")
        out["post"] = dump(await call(connection.post_connection(sent)))
        out["post_again"] = await error_of(module, lambda: connection.post_connection(sent))
        out["get"] = dump(await call(connection.get_connection(f"{f}.a")))
        out["patch"] = dump(await call(connection.patch_connection(f"{f}.a", body(connection_id=f"{f}.a", conn_type="ftp", host="new", port=21), update_mask=["host", "port"])))
        await call(connection.post_connection(body(connection_id=f"{f}.b", conn_type="ftp")))
        out["page"] = dump(await call(connection.get_connections(limit=1, offset=1, order_by="-connection_id", connection_id_pattern=f"{f}.")))
        out["walk"] = [item.connection_id for item in await collect(connection.iter_get_connections(limit=1, connection_id_pattern=f"{f}."))]
        out["bad_limit"] = await error_of(module, lambda: connection.get_connections(limit=-1))
        out["test"] = dump(await call(connection.test_connection(body(connection_id=f"{f}.t", conn_type="fs"))))
        bulk = models.BulkBodyConnectionBody(
            actions=[
                models.BulkCreateActionConnectionBody(action=models.BulkAction.CREATE, entities=[body(connection_id=f"{f}.c", conn_type="http")]),
                models.BulkUpdateActionConnectionBody(action=models.BulkAction.UPDATE, entities=[body(connection_id=f"{f}.b", conn_type="sftp")]),
                models.BulkDeleteActionConnectionBody(action=models.BulkAction.DELETE, entities=[f"{f}.a"], action_on_non_existence=models.BulkActionNotOnExistence.SKIP),
            ]
        )
        out["bulk"] = dump(await call(connection.bulk_connections(bulk)))
        out["defaults"] = await call(connection.create_default_connections())
        out["delete"] = await call(connection.delete_connection(f"{f}.c"))
        out["get_deleted"] = await error_of(module, lambda: connection.get_connection(f"{f}.c"))
        out["no_token"] = await error_of(module, lambda: anonymous.connection.get_connection(f"{f}.b"))
    finally:
        await leave(api)
        await leave(anonymous)
    return out


async def opendatasoft(module: Any, flavour: str, base_url: str) -> dict[str, Any]:
    models = import_module(f"{module.__name__}.models")
    api = await enter(open_client(module, flavour, base_url, api_key=TOKEN))
    out: dict[str, Any] = {}
    try:
        group = api.datasources_connections
        new = models.HttpConnection(type="http", url=f"https://{flavour}.example.org", is_reusable=True, auth=models.HttpBasicAuth(type="basic_auth", username="u", password="secret"))
        created = await call(group.create_connection(connection=new))
        out["create"] = dump(created)
        out["create_auth_class"] = type(created.auth).__name__
        out["retrieve"] = dump(await call(group.retrieve_connection(created.uid)))
        out["walk"] = [type(item).__name__ for item in await collect(group.iter_list_connections(limit=1))]
        changed = models.FtpConnection(type="ftp", url=f"ftps://{flavour}.example.org", auth=models.FtpBasicAuth(type="basic_auth", username="f", password="secret"))
        out["update"] = dump(await call(group.update_connection(created.uid, connection=changed)))
        out["delete"] = await call(group.delete_connection(created.uid))
        out["retrieve_deleted"] = await error_of(module, lambda: group.retrieve_connection(created.uid))
    finally:
        await leave(api)
    return out


SCENARIOS: dict[str, Callable[[Any, str, str], Awaitable[dict[str, Any]]]] = {
    "airflow_client": airflow,
    "opendatasoft_automation": opendatasoft,
}


def main() -> None:
    parent, package, base_url = sys.argv[1:4]
    sys.path.insert(0, parent)
    import httpx
    import pydantic

    module = import_module(package)
    report: dict[str, Any] = {
        "httpx": httpx.__version__,
        "pydantic": pydantic.VERSION,
        "package_file": module.__file__,
        "modules": sorted(name.split(".")[0] for name in sys.modules if not name.startswith("_")),
    }
    for flavour in ("sync", "async"):
        report[flavour] = asyncio.run(SCENARIOS[package](module, flavour, base_url))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
