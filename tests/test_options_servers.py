"""Per-request options, ``with_options`` and server selection, sync and async, against a real
server on 127.0.0.1 (uvicorn, tests/fault_server.py).

The client is generated here from tests/fixtures/servers.yaml: three absolute document servers
(two with a ``{version}`` enum variable, all with a ``{port}`` variable the tests point at the
fault server), a relative one, an operation-level and a path-level server, and bodies of every
kind (JSON object, JSON array, text, form, binary, none).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from generator import pipeline
from tests.fault_server import FaultServer, Reply
from tests.flavours import call

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "servers.yaml"
FLAVOURS = ("sync", "async")
THING = {"id": "t1", "name": "one"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("servers") / "servers_client"
    pipeline.generate(FIXTURE, "servers_client", out)
    return out


@pytest.fixture(scope="module")
def sc(generated: Path) -> Any:
    sys.path.insert(0, str(generated))
    return importlib.import_module("servers_client")


#: HTTP backends of the transport-level tests (timeouts, deadlines, the shared pool): the
#: default httpx transports, and urllib3 (sync) / aiohttp (async).
BACKENDS = ["httpx", "urllib3-aiohttp"]


def _run(flavour: str, module: Any, scenario: Callable[[Any], Awaitable[None]], backend: str = "httpx", **options: Any) -> None:
    """Build the flavour's client on ``backend`` with ``options``, run ``scenario`` with it, close it."""
    cls = module.Client if flavour == "sync" else module.AsyncClient
    if backend != "httpx":
        options["transport"] = module.Urllib3Transport() if flavour == "sync" else module.AiohttpTransport()

    async def main() -> None:
        client = cls(**options)
        try:
            await scenario(client)
        finally:
            await call(client.close())

    asyncio.run(main())


def _fast(module: Any, retries: int = 0, **more: Any) -> Any:
    return module.RetryConfig(max_retries=retries, initial_delay=0.01, max_delay=more.pop("max_delay", 0.05), **more)


# -- per-request options ---------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_extra_query_and_headers_reach_the_wire(sc: Any, server: FaultServer, flavour: str) -> None:
    server.script(Reply(200, THING))

    async def scenario(client: Any) -> None:
        thing = await call(
            client.things.get_thing(
                "t1",
                limit=3,
                extra_query={"limit": 5, "beta": "true", "tags": ["a", "b"], "gone": None},
                extra_headers={"X-Trace": "abc", "Accept": "application/x-test"},
            )
        )
        assert thing.id == "t1"

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0)
    [received] = server.received
    assert received.path == "/v1/things/t1", f"the default server is the first: {received.path}"
    assert parse_qs(received.query) == {"limit": ["5"], "beta": ["true"], "tags": ["a", "b"]}, (
        f"extra_query must replace limit, add beta and repeat tags, and leave None out: {received.query}"
    )
    assert received.headers["x-trace"] == "abc" and received.headers["accept"] == "application/x-test", received.headers


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_extra_body_merges_into_json_objects_and_forms(sc: Any, server: FaultServer, flavour: str) -> None:
    server.script(Reply(201, THING), Reply(204), Reply(204))

    async def scenario(client: Any) -> None:
        await call(client.things.create_thing(sc.models.Thing(id="t1", name="one"), extra_body={"name": "two", "extra": [1, None]}))
        await call(client.things.send_form({"name": "n"}, extra_body={"more": "x", "name": "m"}))
        await call(client.things.trigger(extra_body={"dry_run": True}))

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0)
    created, form, trigger = server.received
    assert json.loads(created.body) == {"id": "t1", "name": "two", "extra": [1, None]}, created.body
    assert created.headers["content-type"] == "application/json"
    assert parse_qs(form.body.decode()) == {"name": ["m"], "more": ["x"]}, f"form fields merged: {form.body!r}"
    assert json.loads(trigger.body) == {"dry_run": True} and trigger.headers["content-type"] == "application/json", (
        f"an operation without a body sends extra_body as a JSON object: {trigger.body!r}"
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_extra_body_refuses_bodies_that_are_not_objects(sc: Any, server: FaultServer, flavour: str) -> None:
    server.script()

    async def scenario(client: Any) -> None:
        with pytest.raises(TypeError, match=r"JSON list, not an object"):
            await call(client.things.set_tags(["a"], extra_body={"x": 1}))
        with pytest.raises(TypeError, match=r"text body of POST /notes"):
            await call(client.things.add_note("hi", extra_body={"x": 1}))
        with pytest.raises(TypeError, match=r"bytes body of POST /upload"):
            await call(client.files.upload(b"data", extra_body={"x": 1}))

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0)
    assert server.received == [], "nothing may be sent when extra_body cannot be merged"


# -- timeouts and the deadline ---------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_structured_timeout_applies_its_read_phase(sc: Any, server: FaultServer, flavour: str, backend: str) -> None:
    server.script(Reply(200, THING, delay=0.6), Reply(200, THING, delay=1.5))

    async def scenario(client: Any) -> None:
        # A short default but a long read: the delayed answer arrives.
        assert (await call(client.things.get_thing("t1", timeout=sc.Timeout(0.3, read=3.0)))).id == "t1"
        started = time.monotonic()
        with pytest.raises(sc.ApiTimeoutError, match=r"read 0.3 s"):
            await call(client.things.get_thing("t1", timeout=sc.Timeout(5.0, read=0.3)))
        assert time.monotonic() - started < 1.2, "the read phase (0.3 s) must bound the wait, not the 5 s default"

    _run(flavour, sc, scenario, backend, port=str(server.port), max_retries=0)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_deadline_bounds_the_call_across_retries(sc: Any, server: FaultServer, flavour: str, backend: str) -> None:
    server.script(*[Reply(200, THING, delay=3.0)] * 6)
    elapsed: list[float] = []

    async def scenario(client: Any) -> None:
        started = time.monotonic()
        with pytest.raises(sc.ApiTimeoutError, match=r"deadline of 1 s exceeded after \d attempt") as caught:
            await call(client.things.get_thing("t1"))
        elapsed.append(time.monotonic() - started)
        assert isinstance(caught.value.__cause__, sc.ApiTimeoutError), "the attempt's own timeout is the cause"

    _run(flavour, sc, scenario, backend, port=str(server.port), retries=_fast(sc, 5), timeout=sc.Timeout(0.4, deadline=1.0))
    assert 0.9 <= elapsed[0] < 1.6, f"the deadline (1 s) must end the call, not the 6 attempts of 0.4 s: {elapsed[0]:.2f} s"
    assert 2 <= len(server.received) <= 3, f"0.4 s attempts fit 2 or 3 times in 1 s: {len(server.received)}"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_no_retry_starts_past_the_deadline(sc: Any, server: FaultServer, flavour: str, backend: str) -> None:
    server.script(Reply(503, {"detail": "busy"}, headers={"retry-after": "3"}), Reply(200, THING))

    async def scenario(client: Any) -> None:
        started = time.monotonic()
        with pytest.raises(sc.ServiceUnavailableError):
            await call(client.things.get_thing("t1", timeout=sc.Timeout(5, deadline=1.0)))
        assert time.monotonic() - started < 0.8, "a retry 3 s away cannot start before a 1 s deadline: raise at once"

    _run(flavour, sc, scenario, backend, port=str(server.port), retries=_fast(sc, 2, max_delay=10.0))
    assert len(server.received) == 1


# -- with_options ----------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_with_options_shares_the_pool_and_leaves_the_original(sc: Any, server: FaultServer, flavour: str, backend: str) -> None:
    server.script()
    server.fallback = lambda request: Reply(200, THING)

    async def scenario(client: Any) -> None:
        copy = client.with_options(timeout=sc.Timeout(2, deadline=9), max_retries=5, headers={"X-Copy": "1"}, version="v2")
        assert copy._transport is client._transport, "the copy must send through the original's transport"
        await call(client.things.get_thing("a"))
        await call(copy.things.get_thing("b"))
        await call(copy.close())  # the copy does not own the pool
        await call(client.things.get_thing("c"))
        assert copy.things is not client.things and copy.things._client is copy, "resources are bound to their own client"
        assert client.timeout == sc.Timeout(60.0) and client.retries.max_retries == 0, "the original keeps its options"
        assert copy.timeout == sc.Timeout(2, deadline=9) and copy.retries.max_retries == 5
        assert copy.retries.initial_delay == client.retries.initial_delay, "max_retries changes only that field"

    _run(flavour, sc, scenario, backend, port=str(server.port), retries=_fast(sc, 0))
    first, second, third = server.received
    assert (first.path, second.path, third.path) == ("/v1/things/a", "/v2/things/b", "/v1/things/c"), "version=v2 only for the copy"
    assert "x-copy" not in first.headers and second.headers["x-copy"] == "1" and "x-copy" not in third.headers
    assert first.client_port == second.client_port == third.client_port != 0, (
        "the original, the copy and the original after closing the copy must reuse one pooled connection: "
        f"client ports {first.client_port}, {second.client_port}, {third.client_port}"
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_with_options_base_url_and_server(sc: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = lambda request: Reply(200, THING)

    async def scenario(client: Any) -> None:
        eu = client.with_options(server="eu_region")
        direct = eu.with_options(base_url=f"{server.url}/direct")
        back = direct.with_options(server=0)
        for each in (client, eu, direct, back):
            await call(each.things.get_thing("x"))
        assert client.base_url == f"{server.url}/v1" and eu.base_url == f"{server.url}/eu/v1"

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0)
    assert [r.path for r in server.received] == ["/v1/things/x", "/eu/v1/things/x", "/direct/things/x", "/v1/things/x"]


# -- servers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("selection", "prefix"),
    [({}, "/v1"), ({"server": "eu_region"}, "/eu/v1"), ({"server": 1, "version": "v2"}, "/eu/v2"), ({"server": "alternative"}, "/alt"), ({"server": 2}, "/alt")],
    ids=["default", "by-name", "by-index-with-variable", "x-clientsmith-name", "by-index"],
)
def test_server_selection(sc: Any, server: FaultServer, flavour: str, selection: dict[str, Any], prefix: str) -> None:
    server.script(Reply(200, THING))

    async def scenario(client: Any) -> None:
        await call(client.things.get_thing("t1"))

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0, **selection)
    assert [r.path for r in server.received] == [f"{prefix}/things/t1"], f"{selection} must send to {prefix}"


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"version": "v9"}, r"'v9' is not a valid value of server variable 'version': expected one of 'v1', 'v2'"),
        ({"server": "mars"}, r"server='mars' is not a server of this API \(names: 'primary_region', 'eu_region', 'alternative'"),
        ({"server": 3}, r"server=3 is out of range: the spec declares 3 server\(s\), indexed 0 to 2"),
        ({"server": 1, "base_url": "https://x.test"}, r"pass base_url or server, not both"),
        ({"base_url": "x.test/v1"}, r"base_url 'x.test/v1' is not an absolute URL"),
    ],
    ids=["variable-outside-enum", "unknown-name", "index-out-of-range", "server-and-base-url", "relative-base-url"],
)
def test_invalid_server_choices_fail_at_construction(sc: Any, flavour: str, options: dict[str, Any], error: str) -> None:
    cls = sc.Client if flavour == "sync" else sc.AsyncClient
    with pytest.raises(ValueError, match=error):
        cls(**options)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_operation_and_path_servers_unless_base_url_is_given(sc: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = lambda request: Reply(204)

    async def scenario(client: Any) -> None:
        await call(client.files.upload(b"data"))
        await call(client.files.ping())
        await call(client.things.trigger())

    _run(flavour, sc, scenario, port=str(server.port), max_retries=0, server="eu_region")
    assert [r.path for r in server.received] == ["/uploads/upload", "/pinger/ping", "/eu/v1/trigger"], (
        "the operation's server, then the path's, then the selected document server"
    )
    server.received.clear()
    _run(flavour, sc, scenario, base_url=f"{server.url}/mine", max_retries=0)
    assert [r.path for r in server.received] == ["/mine/upload", "/mine/ping", "/mine/trigger"], "base_url wins over every server"


def test_spec_without_absolute_servers_requires_base_url(tmp_path: Path) -> None:
    spec = tmp_path / "relative.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: Relative, version: '1'}\nservers: [{url: /api/v2}]\n"
        "paths:\n  /ping:\n    get:\n      operationId: ping\n      responses: {'204': {description: ok}}\n"
        "  /own:\n    servers: [{url: 'https://own.example.test'}]\n    get:\n      operationId: own\n"
        "      responses: {'204': {description: ok}}\n",
        encoding="utf-8",
    )
    pipeline.generate(spec, "relative_client", tmp_path / "relative_client")
    sys.path.insert(0, str(tmp_path / "relative_client"))
    module = importlib.import_module("relative_client")
    for cls in (module.Client, module.AsyncClient):
        with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'base_url'"):
            cls()
        with pytest.raises(ValueError, match=r"base_url is required: the API's spec declares no absolute server URL"):
            cls(base_url=None)
        assert cls(base_url="https://mine.test/api/v2").base_url == "https://mine.test/api/v2"
    readme = (tmp_path / "relative_client" / "README.md").read_text(encoding="utf-8")
    assert "so `base_url` is required" in readme and "(relative: not usable alone, pass `base_url`)" in readme


def test_spec_whose_operations_all_have_servers_needs_no_base_url(tmp_path: Path) -> None:
    spec = tmp_path / "perpath.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: Per path, version: '1'}\n"
        "paths:\n  /own:\n    servers: [{url: 'https://own.example.test/v1'}]\n    get:\n      operationId: own\n"
        "      responses: {'204': {description: ok}}\n",
        encoding="utf-8",
    )
    pipeline.generate(spec, "perpath_client", tmp_path / "perpath_client")
    sys.path.insert(0, str(tmp_path / "perpath_client"))
    module = importlib.import_module("perpath_client")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    with module.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler))) as client:
        assert client.base_url == "", "no document server: nothing to default to"
        client.default.own()
    assert seen == ["https://own.example.test/v1/own"], seen


def test_unsupported_server_forms_warn_with_their_pointer(tmp_path: Path) -> None:
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: Odd, version: '1'}\n"
        "servers:\n  - url: 'https://{undeclared}.example.test'\n  - url: 'https://{region}.example.test'\n"
        "    variables: {region: {default: mars, enum: [eu, us]}}\n"
        "paths:\n  /ping:\n    get:\n      operationId: ping\n      servers: [{url: /relative}]\n"
        "      responses: {'204': {description: ok}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", str(spec), "--output", str(tmp_path / "odd_client")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    expected = [
        "#/servers/0/url: server variable {undeclared} has no declaration with a default value",
        "#/servers/1/variables/region/default: default 'mars' of server variable 'region' is not in its enum",
        "#/paths/~1ping/get/servers/0/url: relative server URL '/relative' of an operation is not supported",
    ]
    for fragment in expected:
        assert any(fragment in line for line in lines), f"missing warning {fragment!r} in:\n" + "\n".join(lines)


# -- types ----------------------------------------------------------------------------------------

USAGE = '''
from servers_client import AsyncClient, Client, Timeout

client = Client(server="eu_region", version="v2", port="8080", timeout=Timeout(5, connect=1, deadline=30))
copy: Client = client.with_options(server=2, timeout=3.0, headers={"X": "1"})
client.things.get_thing("t", extra_query={"a": 1}, extra_body={"b": [1]}, extra_headers={"c": "d"}, timeout=Timeout(1))
aclient: AsyncClient = AsyncClient(server=0).with_options(version="v1")
Client(server="mars")  # type: ignore[arg-type]
Client(version="v9")  # type: ignore[arg-type]
client.things.get_thing("t", extra_query=["a"])  # type: ignore[arg-type]
client.with_options(bogus=1)  # type: ignore[call-arg]
'''


def test_options_and_servers_are_typed_precisely(generated: Path, tmp_path: Path) -> None:
    """mypy --strict accepts the right calls and refuses the wrong ones (``warn_unused_ignores``
    makes an ignore on a line mypy accepts an error)."""
    usage = tmp_path / "usage.py"
    usage.write_text(USAGE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(usage), str(generated / "servers_client")],
        capture_output=True,
        text=True,
        check=False,
        env={"MYPYPATH": str(generated), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
