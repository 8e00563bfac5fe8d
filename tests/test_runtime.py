"""Runtime behaviour of generated clients against a real server on 127.0.0.1 (uvicorn).

Retries (statuses, Retry-After, idempotency, per-call policy), timeouts and
connection errors, pagination, raw responses, hooks, logging and safety. The
Airflow client is one of the committed seed clients; ``features_client`` is
generated here from tests/fixtures/features.yaml for what the seeds lack
(query API keys, idempotency keys, page-number pagination, deprecation).
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from generator import config, pipeline
from tests.fault_server import FaultServer, Reply
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = next(c for c in config.load_config(ROOT / "pyproject.toml") if c.package == "airflow_client")
FAST = {"initial_delay": 0.01, "max_delay": 0.05}
CONNECTION = {"connection_id": "c1", "conn_type": "http"}


@pytest.fixture(scope="module")
def airflow() -> Any:
    if str(AIRFLOW.output) not in sys.path:
        sys.path.insert(0, str(AIRFLOW.output))
    return importlib.import_module("airflow_client")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("features")
    pipeline.generate(ROOT / "tests" / "fixtures" / "features.yaml", "features_client", out / "features_client")
    sys.path.insert(0, str(out / "features_client"))
    return importlib.import_module("features_client")


#: The HTTP backends every transport test runs on: (sync transport, async transport) classes.
BACKENDS = {"httpx": ("HttpxTransport", "AsyncHttpxTransport"), "urllib3-aiohttp": ("Urllib3Transport", "AiohttpTransport")}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _sync_transport(module: Any, backend: str) -> Any:
    return getattr(module._runtime, BACKENDS[backend][0])()


def _async_transport(module: Any, backend: str) -> Any:
    return getattr(module._runtime, BACKENDS[backend][1])()


def _one_connection(module: Any, backend: str) -> tuple[Any, Any]:
    """A sync transport over a pool of one connection, and what closes that pool."""
    if backend == "httpx":
        http = httpx.Client(limits=httpx.Limits(max_connections=1))
        return module._runtime.HttpxTransport(http), http.close
    import urllib3

    pool = urllib3.PoolManager(maxsize=1, block=True)
    return module.Urllib3Transport(pool), pool.clear


def _client(module: Any, server: FaultServer, backend: str, **options: Any) -> Any:
    retries = options.pop("retries", module.RetryConfig(max_retries=options.pop("max_retries", 2), **FAST))
    if "transport" not in options:
        options["transport"] = _sync_transport(module, backend)
    return module.Client(base_url=server.url, retries=retries, **options)


# -- retries ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_status_is_retried_then_succeeds(backend: str, airflow: Any, server: FaultServer, status: int) -> None:
    server.script(Reply(status, {"detail": "busy"}), Reply(200, CONNECTION))
    with _client(airflow, server, backend) as client:
        result = client.connection.get_connection("c1")
    assert result.connection_id == "c1"
    assert len(server.received) == 2, f"HTTP {status} must be retried once, got {len(server.received)} requests"


def test_non_retryable_status_is_not_retried(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(404, {"detail": "missing"}), Reply(200, CONNECTION))
    with _client(airflow, server, backend) as client, pytest.raises(airflow.NotFoundError) as caught:
        client.connection.get_connection("c1")
    assert len(server.received) == 1 and caught.value.body.detail == "missing"


def test_retries_stop_after_max_retries(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(*[Reply(503, {"detail": "down"})] * 5)
    with _client(airflow, server, backend, max_retries=2) as client, pytest.raises(airflow.ServiceUnavailableError):
        client.connection.get_connection("c1")
    assert len(server.received) == 3, "max_retries=2 means three attempts in all"


def test_post_is_not_retried_unless_the_call_opts_in(backend: str, airflow: Any, server: FaultServer) -> None:
    body = airflow.models.ConnectionBody(connection_id="c1", conn_type="http")
    server.script(Reply(503), Reply(201, CONNECTION))
    with _client(airflow, server, backend) as client, pytest.raises(airflow.ServiceUnavailableError):
        client.connection.post_connection(body)
    assert len(server.received) == 1, "a POST must not be retried by default"
    server.script(Reply(503), Reply(201, CONNECTION))
    with _client(airflow, server, backend) as client:
        opted = airflow.RetryConfig(max_retries=1, retry_non_idempotent=True, **FAST)
        assert client.connection.post_connection(body, retries=opted).connection_id == "c1"
    assert len(server.received) == 2


def test_per_call_retries_override_the_client(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(503), Reply(200, CONNECTION))
    with _client(airflow, server, backend, max_retries=3) as client, pytest.raises(airflow.ServiceUnavailableError):
        client.connection.get_connection("c1", retries=airflow.RetryConfig(max_retries=0))
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("headers", "minimum"),
    [
        ({"retry-after": "0.3"}, 0.25),
        ({"retry-after-ms": "300"}, 0.25),
        ({"retry-after": email.utils.formatdate(time.time() - 5, usegmt=True)}, 0.0),
    ],
    ids=["seconds", "milliseconds", "http-date-in-the-past"],
)
def test_retry_after_is_honoured(backend: str, airflow: Any, server: FaultServer, headers: dict[str, str], minimum: float) -> None:
    server.script(Reply(429, {"detail": "slow down"}, headers), Reply(200, CONNECTION))
    retries = airflow.RetryConfig(max_retries=1, initial_delay=5.0, max_delay=1.0)
    started = time.monotonic()
    with _client(airflow, server, backend, retries=retries) as client:
        client.connection.get_connection("c1")
    waited = time.monotonic() - started
    assert waited >= minimum, f"the client waited {waited:.2f} s, less than the server's Retry-After"
    assert waited < 1.0 + 0.5, "with a Retry-After the backoff (5 s here, capped at 1 s) must not be used"


def test_backoff_is_exponential_capped_and_jittered() -> None:
    sys.path.insert(0, str(AIRFLOW.output))
    runtime = importlib.import_module("airflow_client._runtime")
    config_ = runtime.RetryConfig(max_retries=10, initial_delay=0.5, max_delay=8.0)
    delays = [config_.delay(attempt, None) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(0.5 * 2 ** (attempt - 1), 8.0)
        assert 0.75 * ceiling <= delay <= ceiling, f"attempt {attempt}: delay {delay} outside [{0.75 * ceiling}, {ceiling}]"


def test_idempotency_key_is_generated_once_and_reused_across_retries(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(503), Reply(201, {"id": "o1"}))
    with _client(features, server, backend, query_key="k") as client:
        client.orders.create_order(features.models.Item(id="o1"))
    keys = [request.headers.get("idempotency-key") for request in server.received]
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], f"a retried POST must reuse its idempotency key, got {keys}"
    server.script(Reply(201, {"id": "o2"}))
    with _client(features, server, backend, query_key="k") as client:
        client.orders.create_order(features.models.Item(id="o2"))
    assert server.received[0].headers["idempotency-key"] != keys[0], "each logical call needs a fresh key"


# -- timeouts and connection errors -------------------------------------------------


def test_hung_server_raises_typed_timeout_within_the_bound(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(200, CONNECTION, delay=3.0))
    started = time.monotonic()
    with _client(airflow, server, backend, max_retries=0, timeout=0.3) as client, pytest.raises(airflow.ApiTimeoutError):
        client.connection.get_connection("c1")
    assert time.monotonic() - started < 2.5, "the timeout must bound the call"


def test_per_call_timeout_overrides_the_client(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(200, CONNECTION, delay=3.0))
    with _client(airflow, server, backend, max_retries=0, timeout=60) as client, pytest.raises(airflow.ApiTimeoutError):
        client.connection.get_connection("c1", timeout=0.3)


def test_refused_connection_raises_typed_connection_error_after_retries(backend: str, airflow: Any) -> None:
    port = free_port()  # nothing listens there
    client = airflow.Client(base_url=f"http://127.0.0.1:{port}", transport=_sync_transport(airflow, backend), retries=airflow.RetryConfig(max_retries=2, **FAST))
    with client, pytest.raises(airflow.ApiConnectionError) as caught:
        client.connection.get_connection("c1")
    assert not isinstance(caught.value, airflow.ApiTimeoutError)


def test_async_client_retries_and_times_out(backend: str, airflow: Any, server: FaultServer) -> None:
    async def run() -> None:
        server.script(Reply(503), Reply(200, CONNECTION))
        async with airflow.AsyncClient(base_url=server.url, transport=_async_transport(airflow, backend), retries=airflow.RetryConfig(max_retries=1, **FAST)) as client:
            assert (await client.connection.get_connection("c1")).connection_id == "c1"
        assert len(server.received) == 2
        server.script(Reply(200, CONNECTION, delay=3.0))
        async with airflow.AsyncClient(base_url=server.url, transport=_async_transport(airflow, backend), max_retries=0, timeout=0.3) as client:
            with pytest.raises(airflow.ApiTimeoutError):
                await client.connection.get_connection("c1")

    asyncio.run(run())


# -- pagination ----------------------------------------------------------------------


def _offset_pages(items: list[dict[str, Any]], field: str, total_field: str | None) -> Any:
    def reply(request: Any) -> Reply:
        query = parse_qs(request.query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        body: dict[str, Any] = {field: items[offset : offset + limit]}
        if total_field:
            body[total_field] = len(items)
        return Reply(200, body)

    return reply


def test_offset_pagination_walks_every_page_lazily_and_stops_on_total(backend: str, airflow: Any, server: FaultServer) -> None:
    items = [{"connection_id": f"c{i}", "conn_type": "http"} for i in range(4)]
    server.script()
    server.fallback = _offset_pages(items, "connections", "total_entries")
    with _client(airflow, server, backend) as client:
        iterator = client.connection.iter_get_connections(limit=2)
        assert server.received == [], "nothing may be fetched before iteration starts"
        first = next(iterator)
        assert first.connection_id == "c0" and len(server.received) == 1
        rest = list(iterator)
    assert [c.connection_id for c in [first, *rest]] == [f"c{i}" for i in range(4)]
    offsets = [parse_qs(r.query)["offset"][0] for r in server.received]
    assert offsets == ["0", "2"], f"with 4 items in all, pages at offsets 0 and 2 suffice; got {offsets}"


def test_offset_pagination_stops_on_a_short_page(backend: str, features: Any, server: FaultServer) -> None:
    items = [{"id": f"i{i}"} for i in range(5)]
    server.script()
    server.fallback = _offset_pages(items, "items", None)
    with _client(features, server, backend, query_key="k") as client:
        assert [i.id for i in client.items.iter_list_items(limit=2)] == [f"i{i}" for i in range(5)]
    assert [parse_qs(r.query)["offset"][0] for r in server.received] == ["0", "2", "4"]


def test_offset_pagination_stops_on_an_empty_page(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, {"items": [{"id": "a"}, {"id": "b"}]}), Reply(200, {"items": []}))
    with _client(features, server, backend, query_key="k") as client:
        assert len(list(client.items.iter_list_items(limit=2))) == 2
    assert len(server.received) == 2


def test_page_number_pagination(backend: str, features: Any, server: FaultServer) -> None:
    pages = {1: [{"id": "a"}, {"id": "b"}, {"id": "c"}], 2: [{"id": "d"}, {"id": "e"}, {"id": "f"}], 3: [{"id": "g"}]}
    server.script()
    server.fallback = lambda request: Reply(200, {"results": pages.get(int(parse_qs(request.query)["page"][0]), []), "totalResults": 7})
    with _client(features, server, backend, query_key="k") as client:
        ids = [item.id for item in client.items.iter_list_numbered()]
    assert ids == list("abcdefg")
    assert [parse_qs(r.query)["page"][0] for r in server.received] == ["1", "2", "3"]


def test_async_pagination(airflow: Any, server: FaultServer) -> None:
    items = [{"connection_id": f"c{i}", "conn_type": "http"} for i in range(3)]
    server.script()
    server.fallback = _offset_pages(items, "connections", "total_entries")

    async def run() -> list[str]:
        async with airflow.AsyncClient(base_url=server.url) as client:
            return [c.connection_id async for c in client.connection.iter_get_connections(limit=2)]

    assert asyncio.run(run()) == ["c0", "c1", "c2"]


# -- raw responses, hooks, logging ----------------------------------------------------


def test_raw_response_carries_status_headers_and_parsed_body(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(200, CONNECTION, {"x-request-id": "req-42"}))
    with _client(airflow, server, backend) as client:
        raw = client.connection.with_raw_response.get_connection("c1")
    assert isinstance(raw, airflow.ApiResponse)
    assert (raw.status_code, raw.request_id, raw.parsed.connection_id) == (200, "req-42", "c1")
    assert raw.headers["content-type"] == "application/json" and raw.elapsed >= 0


def test_errors_expose_headers_and_request_id(backend: str, airflow: Any, server: FaultServer) -> None:
    server.script(Reply(404, {"detail": "gone"}, {"x-request-id": "req-7"}))
    with _client(airflow, server, backend) as client, pytest.raises(airflow.NotFoundError) as caught:
        client.connection.get_connection("c1")
    assert caught.value.headers["x-request-id"] == "req-7"


def test_hooks_run_around_every_attempt(backend: str, airflow: Any, server: FaultServer) -> None:
    seen: list[int] = []

    def sign(request: Any) -> Any:
        return type(request)(request.method, request.url, [*request.headers, ("x-signature", "s1")], request.content)

    hooks = airflow.Hooks(before_request=[sign], after_response=[lambda request, response: seen.append(response.status_code)])
    server.script(Reply(503), Reply(200, CONNECTION))
    with _client(airflow, server, backend, hooks=hooks) as client:
        client.connection.get_connection("c1")
    assert seen == [503, 200]
    assert all(r.headers.get("x-signature") == "s1" for r in server.received)


def test_async_hooks_may_be_coroutines(backend: str, airflow: Any, server: FaultServer) -> None:
    seen: list[int] = []

    async def after(request: Any, response: Any) -> None:
        seen.append(response.status_code)

    async def run() -> None:
        server.script(Reply(200, CONNECTION))
        async with airflow.AsyncClient(base_url=server.url, transport=_async_transport(airflow, backend), hooks=airflow.Hooks(after_response=[after])) as client:
            await client.connection.get_connection("c1")

    asyncio.run(run())
    assert seen == [200]


def test_debug_logging_under_the_package_name_redacts_secrets(backend: str, features: Any, server: FaultServer, caplog: pytest.LogCaptureFixture) -> None:
    server.script(Reply(503), Reply(200, {"id": "i1"}))
    with caplog.at_level(logging.DEBUG, logger="features_client"), _client(features, server, backend, query_key="top-secret") as client:
        client.items.get_item("i1")
    text = caplog.text
    assert "GET" in text and "/items/i1" in text and "HTTP 200" in text and "retry 1" in text, text
    assert "top-secret" not in text, "credentials must never be logged"
    assert server.received[-1].query == "api_key=top-secret", "the key itself must still be sent"


# -- safety ---------------------------------------------------------------------------


def test_secrets_stay_out_of_repr_and_error_messages(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(404, {"detail": "nope"}))
    client = _client(features, server, backend, query_key="top-secret")
    assert "top-secret" not in repr(client)
    with client, pytest.raises(features.NotFoundError) as caught:
        client.items.get_item("x")
    error = caught.value
    assert "top-secret" not in str(error) and "top-secret" not in error.url and "REDACTED" in error.url


@pytest.mark.parametrize(("value", "expected"), [("../admin", "/api/v2/connections/..%2Fadmin"), ("a/b?c#d", "/api/v2/connections/a%2Fb%3Fc%23d"), ("..", "/api/v2/connections/%2E%2E")])
def test_path_parameters_stay_one_segment(airflow: Any, value: str, expected: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=CONNECTION)

    with airflow.Client(base_url="https://h.test", http_client=httpx.Client(transport=httpx.MockTransport(handler))) as client:
        client.connection.get_connection(value)
    assert seen[0].url.raw_path.decode() == expected


def test_header_values_with_cr_or_lf_are_refused(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, {"id": "i1"}))
    with _client(features, server, backend, query_key="k") as client:
        with pytest.raises(ValueError, match="CR or LF"):
            client.items.get_item("i1", x_trace="a\r\nInjected: yes")
        with pytest.raises(ValueError, match="CR or LF"):
            client.items.get_item("i1", extra_headers={"X-Extra": "a\nb"})
    assert server.received == [], "a refused request must not be sent"
    with pytest.raises(ValueError, match="CR or LF"):
        features.Client(base_url=server.url, headers={"X-Bad": "a\rb"})


#: Request headers that override two of httpx.Client's defaults by name (in another case) and repeat one.
WIRE_HEADERS = [("accept", "application/json"), ("Accept-Encoding", "identity"), ("USER-AGENT", "wire-test"), ("x-rep", "1"), ("x-rep", "2")]


def _wire(server: FaultServer, flavour: str, transport_class: str, http: Any = None) -> list[list[tuple[str, str]]]:
    """The raw headers the server received for two requests sent through a new transport (over
    ``http`` if given, else its own client), the first answered with a cookie (which the second
    must carry back, as httpx.Client does)."""
    runtime = importlib.import_module("airflow_client._runtime")
    server.script(Reply(200, {}, headers={"set-cookie": "session=s1; Path=/"}), Reply(200, {}))
    request = runtime.RawRequest("GET", f"{server.url}/wire", list(WIRE_HEADERS), None)
    timeout = runtime.Timeout(5)

    async def run() -> None:
        transport = getattr(runtime, transport_class)(http)
        for _ in range(2):
            await transport.send(request, timeout)
        await transport.aclose()
        if http is not None:
            await http.aclose()

    if flavour == "sync":
        transport = getattr(runtime, transport_class)(http)
        for _ in range(2):
            transport.send(request, timeout)
        transport.close()
        if http is not None:
            http.close()
    else:
        asyncio.run(run())
    return [[(name.lower(), value) for name, value in received.raw_headers] for received in server.received]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_httpx_transport_on_its_own_client_sends_what_build_request_would(airflow: Any, server: FaultServer, flavour: str) -> None:
    """The transport's own httpx client builds requests without httpx.Client.build_request while its
    cookie jar is empty; the wire must not tell: same headers in the same order (httpx's defaults
    overridden by name whatever the case, repeats kept), and a cookie the server set sent back."""
    transport_class = "HttpxTransport" if flavour == "sync" else "AsyncHttpxTransport"
    given = httpx.Client() if flavour == "sync" else httpx.AsyncClient()
    expected = _wire(server, flavour, transport_class, given)
    assert ("cookie", "session=s1") in expected[1], f"httpx.Client itself did not send the cookie back: {expected}"
    assert _wire(server, flavour, transport_class) == expected, "the transport's own client sent other headers than httpx.Client.build_request would: fix _HttpxRequests.build"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_repeated_request_header_reaches_the_server_twice_on_every_backend(airflow: Any, server: FaultServer, backend: str, flavour: str) -> None:
    """The transports pass headers on as given: a name sent twice (here in two cases) arrives twice,
    in order (the urllib3 transport sends a plain dict unless a name repeats)."""
    runtime = importlib.import_module("airflow_client._runtime")
    server.script(Reply(200, {}))
    headers = [("x-rep", "1"), ("X-Rep", "2"), ("x-single", "s")]
    request = runtime.RawRequest("GET", f"{server.url}/repeat", headers, None)
    if flavour == "sync":
        transport = _sync_transport(airflow, backend)
        transport.send(request, runtime.Timeout(5))
        transport.close()
    else:

        async def run() -> None:
            transport = _async_transport(airflow, backend)
            await transport.send(request, runtime.Timeout(5))
            await transport.aclose()

        asyncio.run(run())
    received = [(name.lower(), value) for name, value in server.received[0].raw_headers if name.lower().startswith("x-")]
    assert received == [("x-rep", "1"), ("x-rep", "2"), ("x-single", "s")], f"{backend} {flavour} sent {received}"


def test_response_headers_are_lower_cased_and_repeats_joined() -> None:
    """What every backend gives the client: one entry per name, lower case, repeats joined with ", "
    as httpx reads them; the one-pass path (no repeat) and the merging path agree."""
    runtime = importlib.import_module("airflow_client._runtime")
    assert runtime._merged_headers([("Content-Type", "application/json"), ("X-Id", "7")]) == {"content-type": "application/json", "x-id": "7"}
    assert runtime._merged_headers(iter([("Set-Cookie", "a=1"), ("X-Id", "7"), ("set-cookie", "b=2")])) == {"set-cookie": "a=1, b=2", "x-id": "7"}


#: Run in a fresh interpreter: sends three requests through the async httpx transport to a
#: one-line HTTP server and prints how often the import system searched for sniffio after the
#: transport was created, and what ``import sniffio`` then gives.
SNIFFIO_PROBE = """
import asyncio, importlib.abc, json, sys
import airflow_client._runtime as runtime

searched = []

class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "sniffio":
            searched.append(name)
        return None

async def answer(reader, writer):
    while await reader.readuntil(b"\\r\\n\\r\\n"):
        writer.write(b"HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: 2\\r\\n\\r\\n{}")
        await writer.drain()

async def main():
    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = "http://127.0.0.1:%d/" % server.sockets[0].getsockname()[1]
    transport = runtime.AsyncHttpxTransport()
    sys.meta_path.insert(0, Recorder())
    for _ in range(3):
        await transport.send(runtime.RawRequest("GET", url, [], None), runtime.Timeout(5))
    await transport.aclose()
    server.close()

asyncio.run(main())
try:
    import sniffio
    imported = sniffio.__name__
except ImportError:
    imported = None
print(json.dumps({"searched": len(searched), "imported": imported, "entry": repr(sys.modules.get("sniffio", "unset"))}))
"""


@pytest.mark.parametrize("installed", [False, True], ids=["sniffio-absent", "sniffio-installed"])
def test_async_httpx_calls_do_not_search_for_a_missing_sniffio(airflow: Any, tmp_path: Path, installed: bool) -> None:
    """httpcore tries ``import sniffio`` several times per async request; where sniffio is absent
    each failed import searched sys.path again (a quarter of a call on loopback). The transport
    records the absence once; an installed sniffio is left alone and still imports."""
    paths = [str(AIRFLOW.output)]
    if installed:
        (tmp_path / "sniffio.py").write_text("def current_async_library():\n    return 'asyncio'\n")
        paths.append(str(tmp_path))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    absent = subprocess.run([sys.executable, "-c", "import importlib.util; print(importlib.util.find_spec('sniffio') is None)"], env=env, capture_output=True, text=True, check=True)
    assert absent.stdout.strip() == str(not installed), (
        "this test needs a venv without sniffio (anyio >= 4.11 no longer pulls it in); if the lock now "
        f"installs it, test the absent case with a venv that does not: find_spec says {absent.stdout.strip()}"
    )
    result = subprocess.run([sys.executable, "-c", SNIFFIO_PROBE], check=False, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    # Installed, it is found once, by its first import, and then read from sys.modules.
    expected = 1 if installed else 0
    assert probe["searched"] == expected, f"httpcore searched for sniffio {probe['searched']} times in 3 requests, expected {expected}: the transport must record its absence (_remember_missing_sniffio)"
    if installed:
        assert probe["imported"] == "sniffio", f"an installed sniffio must stay importable: {probe}"
    else:
        assert probe["entry"] == "None", f"the absence is recorded as Python does, a None entry in sys.modules: {probe}"


def test_tls_verification_is_on_by_default(airflow: Any) -> None:
    runtime = importlib.import_module("airflow_client._runtime")
    transport = runtime.HttpxTransport()
    pool = transport._client._transport._pool  # httpx's default transport
    assert pool._ssl_context.verify_mode.name == "CERT_REQUIRED", "the default transport must verify TLS certificates"
    transport.close()


def test_deprecated_operation_warns_at_the_callers_line(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(204), Reply(204), Reply(204), Reply(204))
    def sync_calls() -> None:
        with _client(features, server, backend, query_key="k") as client:
            client.orders.legacy_thing()
            client.orders.with_raw_response.legacy_thing()

    async def calls() -> None:
        async with _client_async(features, server, backend) as client:
            await client.orders.legacy_thing()
            await client.orders.with_raw_response.legacy_thing()

    with pytest.warns(DeprecationWarning, match="legacy_thing") as caught:
        sync_calls()
    with pytest.warns(DeprecationWarning, match="legacy_thing") as caught_async:
        asyncio.run(calls())
    where = [Path(warning.filename).name for warning in [*caught, *caught_async]]
    assert where == [Path(__file__).name] * 4, f"sync, raw, async and async raw calls must warn at the caller's line, not inside the package: {where}"


# -- streamed binary responses ---------------------------------------------------------


def test_binary_response_is_streamed_as_it_arrives(backend: str, features: Any, server: FaultServer) -> None:
    # The server sends the second chunk only after the test saw the first one: a
    # client that buffered the body would get the "<not released>" marker instead.
    server.script(Reply(200, chunks=[b"first;", b"second;", b"third"], gated=True, gate_timeout=5.0))
    seen: list[bytes] = []
    with _client(features, server, backend, query_key="k") as client, client.exports.stream_download_export("e1") as response:
        assert response.status_code == 200 and response.content_type == "application/octet-stream"
        for chunk in response.iter_bytes():
            seen.append(chunk)
            server.release()
    body = b"".join(seen)
    assert body == b"first;second;third", f"stream_<method> must yield each chunk as it arrives, got {body!r}"
    assert server.received[0].path == "/exports/e1" and "api_key=k" in server.received[0].query


def test_async_binary_response_is_streamed_as_it_arrives(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, chunks=[b"a", b"b", b"c"], gated=True, gate_timeout=5.0))

    async def scenario() -> bytes:
        seen = b""
        async with _client_async(features, server, backend) as client, await client.exports.stream_download_export("e1") as response:
            async for chunk in response.iter_bytes():
                seen += chunk
                server.release()
        return seen

    body = asyncio.run(scenario())
    assert body == b"abc", f"the async stream_<method> must yield each chunk as it arrives, got {body!r}"


def test_plain_method_reads_the_whole_binary_body(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, chunks=[b"x" * 70_000, b"y" * 70_000]))
    with _client(features, server, backend, query_key="k") as client:
        content = client.exports.download_export("e1")
    assert content == b"x" * 70_000 + b"y" * 70_000, "download_export must return the whole body as bytes"


def test_streamed_body_can_be_written_to_a_file(backend: str, features: Any, server: FaultServer, tmp_path: Path) -> None:
    server.script(Reply(200, chunks=[b"1" * 100_000, b"2" * 100_000]))
    target = tmp_path / "export.bin"
    with _client(features, server, backend, query_key="k") as client, client.exports.stream_download_export("e1") as response:
        written = response.write_to(target)
    assert written == 200_000 and target.read_bytes() == b"1" * 100_000 + b"2" * 100_000, "write_to must save the whole body"


def test_streamed_body_is_read_once(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, chunks=[b"only"]))
    with _client(features, server, backend, query_key="k") as client, client.exports.stream_download_export("e1") as response:
        assert response.read() == b"only"
        with pytest.raises(RuntimeError, match="already read"):
            response.read()


def test_streamed_error_is_raised_typed_and_retries_happen_first(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(503, {"detail": "busy"}), Reply(404, {"detail": "no such export"}))
    with _client(features, server, backend, query_key="k") as client, pytest.raises(features.NotFoundError) as caught:
        client.exports.stream_download_export("e1")
    assert len(server.received) == 2, "a 503 before a streamed body must be retried"
    assert caught.value.body.detail == "no such export", f"the error body must be parsed, got {caught.value.body!r}"


def test_streamed_response_closed_early_releases_the_connection(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, chunks=[b"a", b"b"], gated=True, gate_timeout=0.5), Reply(200, chunks=[b"again"]))
    one_connection, close_pool = _one_connection(features, backend)
    with _client(features, server, backend, query_key="k", transport=one_connection, timeout=2.0, max_retries=0) as client:
        with client.exports.stream_download_export("e1") as response:
            first = next(iter(response.iter_bytes()))
        assert first == b"a"
        # The pool has one connection: the next call gets it only if closing the stream released it.
        assert client.exports.download_export("e2") == b"again", "closing a stream early must release its connection"
    close_pool()


def test_transport_without_stream_falls_back_to_send(features: Any) -> None:
    calls: list[str] = []

    class SendOnly:
        def send(self, request: Any, timeout: float | None) -> Any:
            calls.append(request.url)
            return features.RawResponse(200, {"content-type": "application/octet-stream"}, b"whole body")

        def close(self) -> None:
            return None

    client = features.Client(base_url="http://127.0.0.1:9", transport=SendOnly(), query_key="k")
    with client, client.exports.stream_download_export("e1") as response:
        chunks = list(response.iter_bytes())
    assert chunks == [b"whole body"] and len(calls) == 1, "a transport without stream() must be served through send()"


def _client_async(module: Any, server: FaultServer, backend: str) -> Any:
    return module.AsyncClient(base_url=server.url, retries=module.RetryConfig(max_retries=2, **FAST), query_key="k", transport=_async_transport(module, backend))


def test_stream_is_released_when_a_hook_raises(backend: str, features: Any, server: FaultServer) -> None:
    def boom(request: Any, response: Any) -> None:
        if "/exports/" in request.url and "e1" in request.url:
            raise RuntimeError("hook failed")

    server.script(Reply(200, chunks=[b"a", b"b"]), Reply(200, {"id": "i2"}))
    one_connection, close_pool = _one_connection(features, backend)
    client = _client(features, server, backend, query_key="k", transport=one_connection, timeout=2.0, max_retries=0, hooks=features.Hooks(after_response=[boom]))
    with client, pytest.raises(RuntimeError, match="hook failed"):
        client.exports.stream_download_export("e1")
    with _client(features, server, backend, query_key="k", transport=one_connection, timeout=2.0, max_retries=0) as again:
        assert again.items.get_item("i2").id == "i2", "a stream opened before a hook raised must release its connection"
    close_pool()


# -- every backend: what the transports themselves promise -------------------------------


@pytest.mark.parametrize(("value", "expected"), [("../a b", "/api/v2/connections/..%2Fa%20b"), ("..", "/api/v2/connections/%2E%2E")])
def test_request_goes_out_as_built_and_header_names_come_back_lower_case(backend: str, airflow: Any, server: FaultServer, value: str, expected: str) -> None:
    async def scenario(asynchronous: bool) -> Any:
        server.script(Reply(200, CONNECTION, {"X-Request-Id": "req-1", "X-Mixed-Case": "v"}))
        if asynchronous:
            async with airflow.AsyncClient(base_url=server.url, transport=_async_transport(airflow, backend)) as client:
                return await client.connection.with_raw_response.get_connection(value)
        with _client(airflow, server, backend) as client:
            return client.connection.with_raw_response.get_connection(value)

    for asynchronous in (False, True):
        raw = asyncio.run(scenario(asynchronous))
        flavour = "async" if asynchronous else "sync"
        assert server.received[0].raw_path == expected, f"{flavour}: the path was re-encoded or normalised: {server.received[0].raw_path}"
        assert raw.headers["x-mixed-case"] == "v" and raw.request_id == "req-1", f"{flavour}: header names must be lower case, got {dict(raw.headers)}"


def test_closing_the_client_closes_only_the_pool_the_transport_created(backend: str, airflow: Any, server: FaultServer) -> None:
    runtime = airflow._runtime
    if backend == "httpx":
        mine = httpx.Client()
        with airflow.Client(base_url=server.url, transport=runtime.HttpxTransport(mine)):
            pass
        assert not mine.is_closed, "a user's httpx.Client must stay open"
        mine.close()
        return
    import aiohttp
    import urllib3

    server.script(Reply(200, CONNECTION), Reply(200, CONNECTION))
    pool = urllib3.PoolManager()
    with airflow.Client(base_url=server.url, transport=airflow.Urllib3Transport(pool)) as client:
        client.connection.get_connection("c1")
    assert len(pool.pools) == 1, "a user's PoolManager must keep its connections"
    pool.clear()
    owned = airflow.Urllib3Transport()
    with airflow.Client(base_url=server.url, transport=owned) as client:
        client.connection.get_connection("c1")
    assert len(owned._pool.pools) == 0, "closing the client must close the pool the transport created"

    async def scenario() -> tuple[bool, bool]:
        server.script(Reply(200, CONNECTION), Reply(200, CONNECTION))
        session = aiohttp.ClientSession()
        async with airflow.AsyncClient(base_url=server.url, transport=airflow.AiohttpTransport(session)) as client:
            await client.connection.get_connection("c1")
        mine_open = not session.closed
        await session.close()
        transport = airflow.AiohttpTransport()
        async with airflow.AsyncClient(base_url=server.url, transport=transport) as client:
            await client.connection.get_connection("c1")
            created = transport._session
        return mine_open, created is not None and created.closed

    mine_open, created_closed = asyncio.run(scenario())
    assert mine_open, "a user's aiohttp.ClientSession must stay open"
    assert created_closed, "closing the client must close the session the transport created"


def test_async_streamed_response_closed_early_releases_the_connection(backend: str, features: Any, server: FaultServer) -> None:
    server.script(Reply(200, chunks=[b"a", b"b"], gated=True, gate_timeout=0.5), Reply(200, chunks=[b"again"]))

    async def scenario() -> tuple[bytes, bytes]:
        # One connection in the pool: the second call gets it only if closing the stream released it.
        if backend == "httpx":
            http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
            transport, close_pool = features._runtime.AsyncHttpxTransport(http), http.aclose
        else:
            import aiohttp

            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
            transport, close_pool = features.AiohttpTransport(session), session.close
        client = features.AsyncClient(base_url=server.url, max_retries=0, timeout=2.0, query_key="k", transport=transport)
        async with client:
            async with await client.exports.stream_download_export("e1") as response:
                first = b""
                async for chunk in response.iter_bytes():
                    first = chunk
                    break
            again = await client.exports.download_export("e2")
        await close_pool()
        return first, again

    first, again = asyncio.run(scenario())
    assert first == b"a" and again == b"again", f"an async stream closed early must not break the next call: {first!r}, {again!r}"
