"""Per-call benchmark of the client variants against the fixed-JSON server (server.py).

Run by ``run.py`` in the runtime venv (benchmarks/.work/rt-venv):

    python runtime_bench.py --list --path DIR...        # the variants available
    python runtime_bench.py --group sync|async --port N --calls N --path DIR...
    python runtime_bench.py --group throughput --port N --calls N --path DIR...

All variants of a group live in one process and take turns in blocks of 50 consecutive
iterations (shuffled order per turn), each iteration a *get* (``GET /pets/1``, one pet)
then a *list* (``GET /pets?limit=10``, ten pets), each variant with its own keep-alive
connection, after a warm-up. Background load on the machine thus hits every variant alike. It prints one
JSON object: per variant the median microseconds per call of each operation. Every call
returns parsed, validated models (pydantic for the floors and clientsmith, attrs classes
for openapi-python-client, pydantic for OpenAPI Generator).

The throughput group measures the async variants differently: requests per second of
*get* calls with 1, 16 and 128 of them in flight on one event loop (see
``measure_throughput_group``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import os
import random
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
AsyncPair = tuple[
    Callable[[], Awaitable[Any]],
    Callable[[], Awaitable[Any]],
    Callable[[], Awaitable[None]],
]


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


async def floor_aiohttp(base: str) -> AsyncPair:
    import aiohttp

    pet, pets = _floor_models()
    session = aiohttp.ClientSession()
    get_url, list_url = f"{base}/pets/1", f"{base}/pets?limit={LIST_LIMIT}"

    async def get() -> Any:
        async with session.get(get_url) as response:
            if response.status != 200:
                raise RuntimeError(response.status)
            return pet.model_validate_json(await response.read())

    async def list_() -> Any:
        async with session.get(list_url) as response:
            if response.status != 200:
                raise RuntimeError(response.status)
            return pets.validate_json(await response.read())

    return get, list_, session.close


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
    raise RuntimeError(
        "the generated petstore client has no group with find_pets/find_pet_by_id"
    )


def _cs_transports() -> tuple[list[str], list[str]]:
    """Names of the concrete sync and async transport classes in the generated runtime."""
    runtime = importlib.import_module(f"{CS_PACKAGE}._runtime")
    sync, async_ = [], []
    for name, value in vars(runtime).items():
        if not (
            inspect.isclass(value)
            and name.endswith("Transport")
            and value.__module__ == runtime.__name__
        ):
            continue
        if getattr(value, "_is_protocol", False):
            continue
        send = getattr(value, "send", None)
        if send is None:
            continue
        (async_ if inspect.iscoroutinefunction(send) else sync).append(name)
    return sorted(sync), sorted(async_)


_UNSET = object()


def _default_async_transport() -> str:
    """The name of the transport ``AsyncClient()`` picks, without a trace in this process.

    Its async httpx transport records a missing sniffio in ``sys.modules`` (httpcore would
    otherwise search for it several times per request), which speeds up every httpx client
    of the process; variants other than clientsmith's must be measured without it.
    """
    before = sys.modules.get("sniffio", _UNSET)
    try:
        client = importlib.import_module(CS_PACKAGE).AsyncClient(
            base_url="http://127.0.0.1:9"
        )
        return _transport_of(client)
    finally:
        if before is _UNSET:
            sys.modules.pop("sniffio", None)
        else:
            sys.modules["sniffio"] = before


def _transport_of(client: Any) -> str:
    for value in vars(client).values():
        if type(value).__name__.endswith("Transport"):
            return type(value).__name__
    return "?"


def clientsmith_sync(base: str, transport: str | None = None) -> SyncPair:
    package = importlib.import_module(CS_PACKAGE)
    options: dict[str, Any] = {"base_url": base}
    if transport is not None:
        options["transport"] = getattr(
            importlib.import_module(f"{CS_PACKAGE}._runtime"), transport
        )()
    client = package.Client(**options)
    group = _cs_group(client)
    return (
        (lambda: group.find_pet_by_id(1)),
        (lambda: group.find_pets(limit=LIST_LIMIT)),
        client.close,
    )


async def clientsmith_async(base: str, transport: str | None = None) -> AsyncPair:
    package = importlib.import_module(CS_PACKAGE)
    options: dict[str, Any] = {"base_url": base}
    if transport is not None:
        options["transport"] = getattr(
            importlib.import_module(f"{CS_PACKAGE}._runtime"), transport
        )()
    client = package.AsyncClient(**options)
    group = _cs_group(client)
    return (
        (lambda: group.find_pet_by_id(1)),
        (lambda: group.find_pets(limit=LIST_LIMIT)),
        client.close,
    )


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
            body = (
                pets
                if "/pets?" in request.url or request.url.endswith("/pets")
                else pet
            )
            return runtime.RawResponse(200, headers, body)

        def close(self) -> None:
            pass

    client = package.Client(base_url=base, transport=MemoryTransport())
    group = _cs_group(client)
    return (
        (lambda: group.find_pet_by_id(1)),
        (lambda: group.find_pets(limit=LIST_LIMIT)),
        client.close,
    )


def clientsmith_httpx_mock(base: str) -> SyncPair:
    """The sync client over its HttpxTransport around an httpx.MockTransport client.

    Against ``httpx_mock_floor`` this is what clientsmith adds on top of httpx's own
    request/response machinery (its transport adapter included), without sockets.
    """
    import httpx

    package = importlib.import_module(CS_PACKAGE)
    runtime = importlib.import_module(f"{CS_PACKAGE}._runtime")
    pet, pets = _fixed_bodies()

    def handler(request: httpx.Request) -> httpx.Response:
        body = pets if request.url.path.endswith("/pets") else pet
        return httpx.Response(
            200, headers={"content-type": "application/json"}, content=body
        )

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = package.Client(base_url=base, transport=runtime.HttpxTransport(http))
    group = _cs_group(client)
    return (
        (lambda: group.find_pet_by_id(1)),
        (lambda: group.find_pets(limit=LIST_LIMIT)),
        http.close,
    )


def httpx_mock_floor(base: str) -> SyncPair:
    """httpx.Client over httpx.MockTransport + pydantic: httpx's machinery without sockets."""
    import httpx

    pet_model, pets_model = _floor_models()
    pet, pets = _fixed_bodies()

    def handler(request: httpx.Request) -> httpx.Response:
        body = pets if request.url.path.endswith("/pets") else pet
        return httpx.Response(
            200, headers={"content-type": "application/json"}, content=body
        )

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
    return (
        (lambda: pet_model.model_validate_json(pet)),
        (lambda: pets_model.validate_json(pets)),
        lambda: None,
    )


def _fixed_bodies() -> tuple[bytes, bytes]:
    sys.path.insert(0, _HERE)
    import server

    return json.dumps(server.PETS[0]).encode(), json.dumps(server.PETS).encode()


# -- peers ----------------------------------------------------------------------------


def opc_sync(base: str) -> SyncPair:
    package = importlib.import_module(OPC_PACKAGE)
    find_pet_by_id = importlib.import_module(
        f"{OPC_PACKAGE}.api.default.find_pet_by_id"
    )
    find_pets = importlib.import_module(f"{OPC_PACKAGE}.api.default.find_pets")
    client = package.Client(base_url=base)
    return (
        (lambda: find_pet_by_id.sync(id=1, client=client)),
        (lambda: find_pets.sync(client=client, limit=LIST_LIMIT)),
        lambda: client.get_httpx_client().close(),
    )


async def opc_async(base: str) -> AsyncPair:
    package = importlib.import_module(OPC_PACKAGE)
    find_pet_by_id = importlib.import_module(
        f"{OPC_PACKAGE}.api.default.find_pet_by_id"
    )
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
    return (
        (lambda: api.find_pet_by_id(1)),
        (lambda: api.find_pets(limit=LIST_LIMIT)),
        lambda: None,
    )


# -- registry -------------------------------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))


def variants() -> dict[str, tuple[str, bool, Callable[..., Any], dict[str, Any]]]:
    """name -> (kind, is_async, factory, factory kwargs)."""
    table: dict[str, tuple[str, bool, Callable[..., Any], dict[str, Any]]] = {
        "floor: urllib3 + pydantic": ("floor", False, floor_urllib3, {}),
        "floor: httpx + pydantic": ("floor", False, floor_httpx, {}),
        "floor: async httpx + pydantic": ("floor", True, floor_httpx_async, {}),
    }
    if _importable("aiohttp"):
        table["floor: aiohttp + pydantic"] = ("floor", True, floor_aiohttp, {})
    if _importable(CS_PACKAGE):
        table["clientsmith sync"] = ("clientsmith", False, clientsmith_sync, {})
        table["clientsmith async"] = ("clientsmith", True, clientsmith_async, {})
        sync, async_ = _cs_transports()
        default_sync = _transport_of(
            importlib.import_module(CS_PACKAGE).Client(base_url="http://127.0.0.1:9")
        )
        for name in sync:
            if name != default_sync:
                table[f"clientsmith sync [{name}]"] = (
                    "clientsmith",
                    False,
                    clientsmith_sync,
                    {"transport": name},
                )
        default_async = _default_async_transport()
        for name in async_:
            if name != default_async:
                table[f"clientsmith async [{name}]"] = (
                    "clientsmith",
                    True,
                    clientsmith_async,
                    {"transport": name},
                )
        table["breakdown: clientsmith sync, in-memory transport"] = (
            "breakdown",
            False,
            clientsmith_in_memory,
            {},
        )
    if _importable(CS_PACKAGE) and hasattr(
        importlib.import_module(f"{CS_PACKAGE}._runtime"), "HttpxTransport"
    ):
        table[
            "breakdown: clientsmith sync, HttpxTransport over httpx MockTransport"
        ] = (
            "breakdown",
            False,
            clientsmith_httpx_mock,
            {},
        )
    table["breakdown: httpx.Client + MockTransport + pydantic"] = (
        "breakdown",
        False,
        httpx_mock_floor,
        {},
    )
    table["breakdown: pydantic model_validate_json only"] = (
        "breakdown",
        False,
        pydantic_only,
        {},
    )
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
        client = (package.AsyncClient if is_async else package.Client)(
            base_url="http://127.0.0.1:9"
        )
        info["transport"] = _transport_of(client)
    elif "transport" in kwargs:
        info["transport"] = kwargs["transport"]
    return info


def _check(get_result: Any, list_result: Any) -> None:
    if getattr(get_result, "id", None) != 1:
        raise RuntimeError(f"get returned {get_result!r}, expected the pet with id 1")
    if not isinstance(list_result, list) or len(list_result) != LIST_LIMIT:
        raise RuntimeError(
            f"list returned {type(list_result).__name__}, expected {LIST_LIMIT} pets"
        )


def _summary(get_ns: list[int], list_ns: list[int], calls: int) -> dict[str, Any]:
    return {
        "get_us": statistics.median(get_ns) / 1000,
        "list_us": statistics.median(list_ns) / 1000,
        "calls": calls,
    }


BLOCK = 50


def _blocks(calls: int) -> list[int]:
    """``calls`` split into blocks of ``BLOCK`` consecutive calls (the last may be short)."""
    return [min(BLOCK, calls - start) for start in range(0, calls, BLOCK)]


def measure_sync_group(
    names: list[str], base: str, calls: int, warmup: int
) -> dict[str, dict[str, Any]]:
    """Every sync variant in this process, their calls interleaved.

    The variants take turns in blocks of ``BLOCK`` consecutive calls (get, then list),
    in a shuffled order per turn: within a block a variant runs warm, as in a hot loop,
    and load from elsewhere on the machine hits all variants alike, so the ratios
    between them hold even when absolute figures move.
    """
    table = variants()
    results: dict[str, dict[str, Any]] = {}
    pairs: dict[str, SyncPair] = {}
    for name in names:
        _, _, factory, kwargs = table[name]
        try:
            pair = factory(base, **kwargs)
            _check(pair[0](), pair[1]())
            for _ in range(warmup):
                pair[0]()
                pair[1]()
        except Exception as exc:  # noqa: BLE001 - reported per variant
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        pairs[name] = pair
    samples: dict[str, tuple[list[int], list[int]]] = {n: ([], []) for n in pairs}
    order = list(pairs)
    shuffle = random.Random(6).shuffle
    clock = time.perf_counter_ns
    for block in _blocks(calls):
        shuffle(order)
        for name in order:
            get, list_, _ = pairs[name]
            get_ns, list_ns = samples[name]
            for _ in range(block):
                started = clock()
                get()
                middle = clock()
                list_()
                ended = clock()
                get_ns.append(middle - started)
                list_ns.append(ended - middle)
    for name, (get_ns, list_ns) in samples.items():
        pairs[name][2]()
        results[name] = _summary(get_ns, list_ns, calls)
    return results


async def _open_async(
    names: list[str], base: str, warm_up: Callable[[AsyncPair], Awaitable[None]]
) -> tuple[dict[str, dict[str, Any]], dict[str, AsyncPair]]:
    """Each async variant opened, checked and warmed up: (errors by name, pairs by name)."""
    table = variants()
    errors: dict[str, dict[str, Any]] = {}
    pairs: dict[str, AsyncPair] = {}
    for name in names:
        _, _, factory, kwargs = table[name]
        try:
            pair = await factory(base, **kwargs)
            _check(await pair[0](), await pair[1]())
            await warm_up(pair)
        except Exception as exc:  # noqa: BLE001 - reported per variant
            errors[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        pairs[name] = pair
    return errors, pairs


async def measure_async_group(
    names: list[str], base: str, calls: int, warmup: int
) -> dict[str, dict[str, Any]]:
    """Every async variant on one event loop, their calls interleaved (one at a time)."""

    async def warm_up(pair: AsyncPair) -> None:
        for _ in range(warmup):
            await pair[0]()
            await pair[1]()

    results, pairs = await _open_async(names, base, warm_up)
    samples: dict[str, tuple[list[int], list[int]]] = {n: ([], []) for n in pairs}
    order = list(pairs)
    shuffle = random.Random(6).shuffle
    clock = time.perf_counter_ns
    for block in _blocks(calls):
        shuffle(order)
        for name in order:
            get, list_, _ = pairs[name]
            get_ns, list_ns = samples[name]
            for _ in range(block):
                started = clock()
                await get()
                middle = clock()
                await list_()
                ended = clock()
                get_ns.append(middle - started)
                list_ns.append(ended - middle)
    for name, (get_ns, list_ns) in samples.items():
        await pairs[name][2]()
        results[name] = _summary(get_ns, list_ns, calls)
    return results


CONCURRENCY = (1, 16, 128)


async def _throughput(pair: AsyncPair, concurrency: int, calls: int) -> float:
    """Requests per second of ``get`` calls with ``concurrency`` workers on this loop."""
    get = pair[0]
    per_worker = max(1, calls // concurrency)

    async def worker() -> None:
        for _ in range(per_worker):
            await get()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return per_worker * concurrency / (time.perf_counter() - started)


async def measure_throughput_group(
    names: list[str], base: str, calls: int, warmup: int
) -> dict[str, dict[str, Any]]:
    """Requests per second of every async variant with 1, 16 and 128 calls in flight.

    ``calls`` get calls per measurement, spread over that many workers on one event
    loop (each variant with its own connection pool, opened by a warm-up of
    ``warmup`` calls at the highest concurrency); the variants take turns in a
    shuffled order for each concurrency, so background load hits them alike.
    """

    async def warm_up(pair: AsyncPair) -> None:
        await _throughput(pair, CONCURRENCY[-1], warmup)

    results, pairs = await _open_async(names, base, warm_up)
    figures: dict[str, dict[str, float]] = {name: {} for name in pairs}
    order = list(pairs)
    shuffle = random.Random(6).shuffle
    for concurrency in CONCURRENCY:
        shuffle(order)
        for name in order:
            rps = await _throughput(pairs[name], concurrency, calls)
            figures[name][str(concurrency)] = round(rps)
    for name, per in figures.items():
        await pairs[name][2]()
        results[name] = {"rps": per, "calls": calls}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--group", choices=["sync", "async", "throughput"])
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--path", action="append", default=[])
    args = parser.parse_args()
    sys.path[:0] = args.path
    if args.list:
        print(json.dumps({name: describe(name) for name in variants()}))
        return
    table = variants()
    base = f"http://127.0.0.1:{args.port}"
    names = args.variant or list(table)
    if args.group:
        names = [n for n in names if table[n][1] == (args.group != "sync")]
    if args.group == "throughput":
        names = [n for n in names if table[n][0] != "breakdown"]
        print(
            json.dumps(
                asyncio.run(
                    measure_throughput_group(names, base, args.calls, args.warmup)
                )
            )
        )
        return
    sync_names = [n for n in names if not table[n][1]]
    async_names = [n for n in names if table[n][1]]
    results: dict[str, dict[str, Any]] = {}
    if sync_names:
        results.update(measure_sync_group(sync_names, base, args.calls, args.warmup))
    if async_names:
        results.update(
            asyncio.run(measure_async_group(async_names, base, args.calls, args.warmup))
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
