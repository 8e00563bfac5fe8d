"""Per-call benchmark of one client variant against the fixed-JSON server (server.py).

Run by ``run.py`` in the runtime venv (benchmarks/.work/rt-venv), one process per variant
so no variant warms or pollutes another's caches:

    python runtime_bench.py --list --path DIR...                # the variants available
    python runtime_bench.py --variant NAME --port N --calls N --path DIR...

Each variant makes ``calls`` calls of a *get* (``GET /pets/1``, one pet) and ``calls``
of a *list* (``GET /pets?limit=10``, ten pets), alternating, after a warm-up, with one
keep-alive connection, and prints one JSON object with the median microseconds per call
of each. Every call returns parsed, validated models (pydantic for the floors and
clientsmith, attrs classes for openapi-python-client, pydantic for OpenAPI Generator).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

CS_PACKAGE = "petstore_cs"
OPC_PACKAGE = "petstore_opc"
OAG_PACKAGE = "petstore_oag"
LIST_LIMIT = 10

SyncPair = tuple[Callable[[], Any], Callable[[], Any], Callable[[], None]]
AsyncPair = tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]


def _floor_models() -> tuple[Any, Any]:
    import pydantic

    class Pet(pydantic.BaseModel):
        name: str
        tag: str | None = None
        id: int

    return Pet, pydantic.TypeAdapter(list[Pet])


# -- floors ---------------------------------------------------------------------------


def floor_urllib3(base: str) -> SyncPair:
    import urllib3

    pet, pets = _floor_models()
    pool = urllib3.PoolManager()
    get_url, list_url = f"{base}/pets/1", f"{base}/pets?limit={LIST_LIMIT}"

    def get() -> Any:
        response = pool.request("GET", get_url)
        if response.status != 200:
            raise RuntimeError(response.status)
        return pet.model_validate_json(response.data)

    def list_() -> Any:
        response = pool.request("GET", list_url)
        if response.status != 200:
            raise RuntimeError(response.status)
        return pets.validate_json(response.data)

    return get, list_, pool.clear


def floor_httpx(base: str) -> SyncPair:
    import httpx

    pet, pets = _floor_models()
    client = httpx.Client()
    get_url, list_url = f"{base}/pets/1", f"{base}/pets?limit={LIST_LIMIT}"

    def get() -> Any:
        response = client.get(get_url)
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return pet.model_validate_json(response.content)

    def list_() -> Any:
        response = client.get(list_url)
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return pets.validate_json(response.content)

    return get, list_, client.close


async def floor_httpx_async(base: str) -> AsyncPair:
    import httpx

    pet, pets = _floor_models()
    client = httpx.AsyncClient()
    get_url, list_url = f"{base}/pets/1", f"{base}/pets?limit={LIST_LIMIT}"

    async def get() -> Any:
        response = await client.get(get_url)
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return pet.model_validate_json(response.content)

    async def list_() -> Any:
        response = await client.get(list_url)
        if response.status_code != 200:
            raise RuntimeError(response.status_code)
        return pets.validate_json(response.content)

    return get, list_, client.aclose


# -- clientsmith ----------------------------------------------------------------------


def _cs_group(client: Any) -> Any:
    group = getattr(client, "default", None)
    if group is not None and hasattr(group, "find_pets"):
        return group
    for name in dir(type(client)):
        if name.startswith("_"):
            continue
        candidate = getattr(client, name, None)
        if hasattr(candidate, "find_pets") and hasattr(candidate, "find_pet_by_id"):
            return candidate
    raise RuntimeError("the generated petstore client has no group with find_pets/find_pet_by_id")


def _cs_transports() -> tuple[list[str], list[str]]:
    """Names of the concrete sync and async transport classes in the generated runtime."""
    runtime = importlib.import_module(f"{CS_PACKAGE}._runtime")
    sync, async_ = [], []
    for name, value in vars(runtime).items():
        if not (inspect.isclass(value) and name.endswith("Transport") and value.__module__ == runtime.__name__):
            continue
        if getattr(value, "_is_protocol", False):
            continue
        send = getattr(value, "send", None)
        if send is None:
            continue
        (async_ if inspect.iscoroutinefunction(send) else sync).append(name)
    return sorted(sync), sorted(async_)


def _transport_of(client: Any) -> str:
    for value in vars(client).values():
        if type(value).__name__.endswith("Transport"):
            return type(value).__name__
    return "?"


def clientsmith_sync(base: str, transport: str | None = None) -> SyncPair:
    package = importlib.import_module(CS_PACKAGE)
    options: dict[str, Any] = {"base_url": base}
    if transport is not None:
        options["transport"] = getattr(importlib.import_module(f"{CS_PACKAGE}._runtime"), transport)()
    client = package.Client(**options)
    group = _cs_group(client)
    return (lambda: group.find_pet_by_id(1)), (lambda: group.find_pets(limit=LIST_LIMIT)), client.close


async def clientsmith_async(base: str, transport: str | None = None) -> AsyncPair:
    package = importlib.import_module(CS_PACKAGE)
    options: dict[str, Any] = {"base_url": base}
    if transport is not None:
        options["transport"] = getattr(importlib.import_module(f"{CS_PACKAGE}._runtime"), transport)()
    client = package.AsyncClient(**options)
    group = _cs_group(client)
    return (lambda: group.find_pet_by_id(1)), (lambda: group.find_pets(limit=LIST_LIMIT)), client.close


def clientsmith_in_memory(base: str) -> SyncPair:
    """The sync client over a transport that answers from memory: clientsmith's own cost.

    Request building, auth, retries bookkeeping, error mapping and pydantic decoding,
    without any HTTP library or socket.
    """
    package = importlib.import_module(CS_PACKAGE)
    runtime = importlib.import_module(f"{CS_PACKAGE}._runtime")
    pet, pets = _fixed_bodies()
    headers = {"content-type": "application/json", "content-length": "0"}

    class MemoryTransport:
        def send(self, request: Any, timeout: Any) -> Any:
            body = pets if "/pets?" in request.url or request.url.endswith("/pets") else pet
            return runtime.RawResponse(200, headers, body)

        def close(self) -> None:
            pass

    client = package.Client(base_url=base, transport=MemoryTransport())
    group = _cs_group(client)
    return (lambda: group.find_pet_by_id(1)), (lambda: group.find_pets(limit=LIST_LIMIT)), client.close


def httpx_mock_floor(base: str) -> SyncPair:
    """httpx.Client over httpx.MockTransport + pydantic: httpx's machinery without sockets."""
    import httpx

    pet_model, pets_model = _floor_models()
    pet, pets = _fixed_bodies()

    def handler(request: httpx.Request) -> httpx.Response:
        body = pets if request.url.path.endswith("/pets") else pet
        return httpx.Response(200, headers={"content-type": "application/json"}, content=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    get_url, list_url = f"{base}/pets/1", f"{base}/pets?limit={LIST_LIMIT}"
    return (
        (lambda: pet_model.model_validate_json(client.get(get_url).content)),
        (lambda: pets_model.validate_json(client.get(list_url).content)),
        client.close,
    )


def pydantic_only(base: str) -> SyncPair:
    """Only ``model_validate_json`` of the same bodies: the decoding floor."""
    pet_model, pets_model = _floor_models()
    pet, pets = _fixed_bodies()
    return (lambda: pet_model.model_validate_json(pet)), (lambda: pets_model.validate_json(pets)), lambda: None


def _fixed_bodies() -> tuple[bytes, bytes]:
    sys.path.insert(0, _HERE)
    import server

    return json.dumps(server.PETS[0]).encode(), json.dumps(server.PETS).encode()


# -- peers ----------------------------------------------------------------------------


def opc_sync(base: str) -> SyncPair:
    package = importlib.import_module(OPC_PACKAGE)
    find_pet_by_id = importlib.import_module(f"{OPC_PACKAGE}.api.default.find_pet_by_id")
    find_pets = importlib.import_module(f"{OPC_PACKAGE}.api.default.find_pets")
    client = package.Client(base_url=base)
    return (
        (lambda: find_pet_by_id.sync(id=1, client=client)),
        (lambda: find_pets.sync(client=client, limit=LIST_LIMIT)),
        lambda: client.get_httpx_client().close(),
    )


async def opc_async(base: str) -> AsyncPair:
    package = importlib.import_module(OPC_PACKAGE)
    find_pet_by_id = importlib.import_module(f"{OPC_PACKAGE}.api.default.find_pet_by_id")
    find_pets = importlib.import_module(f"{OPC_PACKAGE}.api.default.find_pets")
    client = package.Client(base_url=base)

    async def close() -> None:
        await client.get_async_httpx_client().aclose()

    return (
        (lambda: find_pet_by_id.asyncio(id=1, client=client)),
        (lambda: find_pets.asyncio(client=client, limit=LIST_LIMIT)),
        close,
    )


def oag_sync(base: str) -> SyncPair:
    package = importlib.import_module(OAG_PACKAGE)
    api_client = package.ApiClient(package.Configuration(host=base))
    api = package.DefaultApi(api_client)
    return (lambda: api.find_pet_by_id(1)), (lambda: api.find_pets(limit=LIST_LIMIT)), lambda: None


# -- registry -------------------------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def variants() -> dict[str, tuple[str, bool, Callable[..., Any], dict[str, Any]]]:
    """name -> (kind, is_async, factory, factory kwargs)."""
    table: dict[str, tuple[str, bool, Callable[..., Any], dict[str, Any]]] = {
        "floor: urllib3 + pydantic": ("floor", False, floor_urllib3, {}),
        "floor: httpx + pydantic": ("floor", False, floor_httpx, {}),
        "floor: async httpx + pydantic": ("floor", True, floor_httpx_async, {}),
    }
    if _importable(CS_PACKAGE):
        table["clientsmith sync"] = ("clientsmith", False, clientsmith_sync, {})
        table["clientsmith async"] = ("clientsmith", True, clientsmith_async, {})
        sync, async_ = _cs_transports()
        default_sync = _transport_of(importlib.import_module(CS_PACKAGE).Client(base_url="http://127.0.0.1:9"))
        for name in sync:
            if name != default_sync:
                table[f"clientsmith sync [{name}]"] = ("clientsmith", False, clientsmith_sync, {"transport": name})
        default_async = _transport_of(importlib.import_module(CS_PACKAGE).AsyncClient(base_url="http://127.0.0.1:9"))
        for name in async_:
            if name != default_async:
                table[f"clientsmith async [{name}]"] = ("clientsmith", True, clientsmith_async, {"transport": name})
        table["breakdown: clientsmith sync, in-memory transport"] = ("breakdown", False, clientsmith_in_memory, {})
    table["breakdown: httpx.Client + MockTransport + pydantic"] = ("breakdown", False, httpx_mock_floor, {})
    table["breakdown: pydantic model_validate_json only"] = ("breakdown", False, pydantic_only, {})
    if _importable(OPC_PACKAGE):
        table["openapi-python-client sync"] = ("peer", False, opc_sync, {})
        table["openapi-python-client async"] = ("peer", True, opc_async, {})
    if _importable(OAG_PACKAGE):
        table["OpenAPI Generator (urllib3)"] = ("peer", False, oag_sync, {})
    return table


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken package is reported as missing
        return False
    return True


def describe(name: str) -> dict[str, Any]:
    kind, is_async, _, kwargs = variants()[name]
    info: dict[str, Any] = {"kind": kind, "async": is_async}
    if kind == "clientsmith" and "transport" not in kwargs:
        package = importlib.import_module(CS_PACKAGE)
        client = (package.AsyncClient if is_async else package.Client)(base_url="http://127.0.0.1:9")
        info["transport"] = _transport_of(client)
    elif "transport" in kwargs:
        info["transport"] = kwargs["transport"]
    return info


def _check(get_result: Any, list_result: Any) -> None:
    if getattr(get_result, "id", None) != 1:
        raise RuntimeError(f"get returned {get_result!r}, expected the pet with id 1")
    if not isinstance(list_result, list) or len(list_result) != LIST_LIMIT:
        raise RuntimeError(f"list returned {type(list_result).__name__}, expected {LIST_LIMIT} pets")


def measure_sync(pair: SyncPair, calls: int, warmup: int) -> tuple[list[int], list[int]]:
    get, list_, close = pair
    _check(get(), list_())
    for _ in range(warmup):
        get()
        list_()
    clock = time.perf_counter_ns
    get_ns, list_ns = [], []
    for _ in range(calls):
        started = clock()
        get()
        middle = clock()
        list_()
        ended = clock()
        get_ns.append(middle - started)
        list_ns.append(ended - middle)
    close()
    return get_ns, list_ns


async def measure_async(factory: Callable[..., Awaitable[AsyncPair]], kwargs: dict[str, Any], base: str, calls: int, warmup: int) -> tuple[list[int], list[int]]:
    get, list_, close = await factory(base, **kwargs)
    _check(await get(), await list_())
    for _ in range(warmup):
        await get()
        await list_()
    clock = time.perf_counter_ns
    get_ns, list_ns = [], []
    for _ in range(calls):
        started = clock()
        await get()
        middle = clock()
        await list_()
        ended = clock()
        get_ns.append(middle - started)
        list_ns.append(ended - middle)
    await close()
    return get_ns, list_ns


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--describe", action="store_true")
    parser.add_argument("--variant")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--path", action="append", default=[])
    args = parser.parse_args()
    sys.path[:0] = args.path
    if args.list:
        print(json.dumps({name: describe(name) for name in variants()}))
        return
    kind, is_async, factory, kwargs = variants()[args.variant]
    base = f"http://127.0.0.1:{args.port}"
    if is_async:
        get_ns, list_ns = asyncio.run(measure_async(factory, kwargs, base, args.calls, args.warmup))
    else:
        get_ns, list_ns = measure_sync(factory(base, **kwargs), args.calls, args.warmup)
    print(
        json.dumps(
            {
                "get_us": statistics.median(get_ns) / 1000,
                "list_us": statistics.median(list_ns) / 1000,
                "calls": args.calls,
            }
        )
    )


if __name__ == "__main__":
    main()
