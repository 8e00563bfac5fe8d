"""Secrets never leak: one canary value passed as every credential, every path driven.

A client generated from a spec with every credential kind (API key in query, header and
cookie, HTTP basic, bearer) and ``format: password`` fields in JSON, form and multipart
bodies is driven, sync and async, through success, error statuses, retries with backoff,
a timeout, a connection error, redirects to the same and to another origin (also on an
``http_client`` that follows redirects), pagination, raw and streamed responses and hooks,
with the root logger at DEBUG capturing every library's records (httpx, httpcore, the
package's own) and warnings recorded. The canary (and the basic-auth header built from it)
must appear in none of: log output, ``str()``/``repr()`` of any exception, reprs of the
client, resources, configuration and models, warnings, and what the other origin received.

HTTP backends: every backend of the runtime runs the sweep: httpx (sync and async) and
urllib3 (sync) / aiohttp (async); a new backend joins the ``BACKENDS`` list here. With
urllib3 and aiohttp the "http_client following redirects" case is a user-supplied pool
that follows redirects (a ``PoolManager`` with redirecting retries); aiohttp has no
session-wide redirect setting, so its two cases both use the transport's own session.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import io
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Self

import httpx
import pytest

from generator import pipeline
from tests.fault_server import FaultServer, Received, Reply

CANARY = "CANARY-s3cr3t-7Zq"
LEAKS = (CANARY, base64.b64encode(f"user:{CANARY}".encode()).decode())
BACKENDS = ["httpx", "urllib3-aiohttp"]

SPEC = """
openapi: 3.0.3
info: {title: Vault, version: '1'}
servers: [{url: 'http://127.0.0.1'}]
security: [{query_key: [], header_key: [], cookie_key: []}]
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {name: offset, in: query, schema: {type: integer, default: 0}}
        - {name: limit, in: query, schema: {type: integer, default: 2}}
      responses:
        '200': {description: a page, content: {application/json: {schema: {$ref: '#/components/schemas/Page'}}}}
        '404': {description: missing, content: {application/json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /basic:
    get:
      operationId: withBasic
      security: [{basic: []}]
      responses: {'204': {description: done}}
  /bearer:
    get:
      operationId: withBearer
      security: [{bearer: []}]
      responses: {'204': {description: done}}
  /oauth:
    get:
      operationId: withOauth
      security: [{oauth: []}]
      responses: {'204': {description: done}}
  /login:
    post:
      operationId: login
      requestBody: {required: true, content: {application/json: {schema: {$ref: '#/components/schemas/Login'}}}}
      responses: {'204': {description: done}}
  /form:
    post:
      operationId: loginForm
      requestBody: {required: true, content: {application/x-www-form-urlencoded: {schema: {$ref: '#/components/schemas/Login'}}}}
      responses: {'204': {description: done}}
  /upload:
    post:
      operationId: upload
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, password]
              properties:
                file: {type: string, format: binary}
                password: {type: string, format: password}
      responses: {'204': {description: done}}
  /file:
    get:
      operationId: download
      responses: {'200': {description: bytes, content: {application/octet-stream: {schema: {type: string, format: binary}}}}}
components:
  securitySchemes:
    query_key: {type: apiKey, in: query, name: api_key}
    header_key: {type: apiKey, in: header, name: X-Key}
    cookie_key: {type: apiKey, in: cookie, name: session}
    basic: {type: http, scheme: basic}
    bearer: {type: http, scheme: bearer}
    oauth:
      type: oauth2
      x-clientsmith-name: oauth_token
      flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {}}, password: {tokenUrl: /oauth/token, scopes: {}}}
  schemas:
    Login:
      type: object
      required: [user, password]
      properties:
        user: {type: string}
        password: {type: string, format: password}
    Page:
      type: object
      required: [items]
      properties:
        items: {type: array, items: {type: string}}
        total: {type: integer}
    Problem:
      type: object
      properties:
        detail: {type: string}
"""


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("sweep")
    spec = out / "vault.yaml"
    spec.write_text(SPEC)
    pipeline.generate(spec, "vault_client", out / "vault_client")
    sys.path.insert(0, str(out / "vault_client"))
    try:
        return importlib.import_module("vault_client")
    finally:
        sys.path.remove(str(out / "vault_client"))


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FaultServer, FaultServer]]:
    home, other = FaultServer(), FaultServer()
    home.start()
    other.start()
    yield home, other
    home.stop()
    other.stop()


class Capture:
    """Everything a leak could surface in: log text, exception and repr texts, warnings."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[tuple[str, str]] = []

    def __enter__(self) -> Self:
        root = logging.getLogger()
        self.level = root.level
        root.addHandler(self.handler)
        root.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self.level)

    def note(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def leaks(self) -> list[str]:
        found = [f"log: {line}" for line in self.stream.getvalue().splitlines() if any(leak in line for leak in LEAKS)]
        found += [f"{where}: {text[:300]}" for where, text in self.texts if any(leak in text for leak in LEAKS)]
        return found


def _received_leaks(requests: list[Received]) -> list[str]:
    found = []
    for request in requests:
        seen = " ".join([request.path, request.query, *request.headers.values()])
        if any(leak in seen for leak in LEAKS):
            found.append(f"{request.method} {request.path}?{request.query} headers={request.headers}")
    return found


def _paths(vault: Any, home: FaultServer, other: FaultServer) -> list[tuple[str, list[Reply], Callable[[Any], Any]]]:
    """(what, replies the home server gives, the call) for every path through the client."""
    login = vault.models.Login(user="u", password=CANARY)
    return [
        ("success", [Reply(200, {"items": ["a"], "total": 1})], lambda c: c.default.list_things()),
        ("404 typed error", [Reply(404, {"detail": "missing"})], lambda c: c.default.list_things()),
        ("500 retried then raised", [Reply(503, {}), Reply(500, {"detail": "down"})], lambda c: c.default.list_things()),
        ("429 with Retry-After", [Reply(429, {}, headers={"retry-after": "0"}), Reply(200, {"items": []})], lambda c: c.default.list_things()),
        ("timeout", [Reply(200, {"items": []}, delay=1.5), Reply(200, {"items": []}, delay=1.5)], lambda c: c.default.list_things()),
        ("same-origin redirect", [Reply(302, None, headers={"location": f"{home.url}/things"})], lambda c: c.default.list_things()),
        ("other-origin redirect", [Reply(307, None, headers={"location": f"{other.url}/things?next=1"})], lambda c: c.default.list_things()),
        ("basic auth", [Reply(204)], lambda c: c.default.with_basic()),
        ("bearer", [Reply(401, {"detail": "no"})], lambda c: c.default.with_bearer()),
        # OAuth2 password flow: a refused token request; then the token (itself the canary),
        # a 401, the renewal and a second 401.
        ("oauth2 token endpoint error", [Reply(400, {"error": "invalid_grant", "error_description": "bad password"})], lambda c: c.default.with_oauth()),
        (
            "oauth2 token renewed on 401",
            [Reply(200, {"access_token": CANARY, "expires_in": 3600}), Reply(401, {"detail": "no"}), Reply(200, {"access_token": CANARY + "2"}), Reply(401, {"detail": "no"})],
            lambda c: c.default.with_oauth(),
        ),
        ("password in JSON", [Reply(422, {"detail": "bad"})], lambda c: c.default.login(login)),
        ("password in a form", [Reply(400, {"detail": "bad"})], lambda c: c.default.login_form(login)),
        ("password in multipart", [Reply(500, {"detail": "x"})], lambda c: c.default.upload({"file": b"x", "password": CANARY})),
        ("pagination", [Reply(200, {"items": ["a", "b"]}), Reply(500, {})], lambda c: c.default.iter_list_things()),
        ("raw response", [Reply(200, {"items": []})], lambda c: c.default.with_raw_response.list_things()),
        ("streamed download", [Reply(403, b"denied", headers={"content-type": "text/plain"})], lambda c: c.default.stream_download()),
    ]


def _transport(vault: Any, backend: str, asynchronous: bool, follow: bool) -> Any:
    if backend == "httpx":
        http = (httpx.AsyncClient if asynchronous else httpx.Client)(follow_redirects=follow)
        return (vault._runtime.AsyncHttpxTransport if asynchronous else vault._runtime.HttpxTransport)(http)
    if asynchronous:
        # aiohttp follows redirects per request, not per session: a session cannot opt in.
        return vault.AiohttpTransport()
    import urllib3

    pool = urllib3.PoolManager(retries=urllib3.Retry(redirect=5) if follow else False)
    return vault.Urllib3Transport(pool)


def _client(vault: Any, base_url: str, backend: str, asynchronous: bool, follow: bool, hook: Callable[..., Any]) -> Any:
    cls = vault.AsyncClient if asynchronous else vault.Client
    return cls(
        base_url=base_url,
        query_key=CANARY,
        header_key=CANARY,
        cookie_key=CANARY,
        basic_auth=("user", CANARY),
        access_token=CANARY,
        client_id="user",
        client_secret=CANARY,
        username="user",
        password=CANARY,
        timeout=0.5,
        retries=vault.RetryConfig(max_retries=1, initial_delay=0.01, max_delay=0.02),
        transport=_transport(vault, backend, asynchronous, follow),
        hooks=vault.Hooks(before_request=[hook]),
    )


async def _drain(result: Any) -> Any:
    if asyncio.iscoroutine(result):
        result = await result
    if hasattr(result, "__aiter__"):
        return [item async for item in result]
    if hasattr(result, "__aenter__"):
        async with result as body:
            return await body.read()
    return result


def _drain_sync(result: Any) -> Any:
    if hasattr(result, "__iter__") and not isinstance(result, (str, bytes, dict)) and hasattr(result, "__next__"):
        return list(result)
    if hasattr(result, "__enter__"):
        with result as body:
            return body.read()
    return result


def _sweep(vault: Any, home: FaultServer, other: FaultServer, client: Any, capture: Capture, asynchronous: bool) -> list[str]:
    """Drive every path; note every result and error text; return the outcomes."""

    async def run_all() -> list[str]:
        outcomes: list[str] = []
        for what, replies, call in _paths(vault, home, other):
            home.script(*replies)
            other.script(Reply(200, {"items": []}))
            try:
                result = await _drain(call(client)) if asynchronous else _drain_sync(call(client))
                capture.note(f"{what}: result", repr(result))
                outcomes.append(f"{what}: ok")
            except Exception as error:  # noqa: BLE001 - every error's text is checked for the canary
                capture.note(f"{what}: str(error)", str(error))
                capture.note(f"{what}: repr(error)", repr(error))
                outcomes.append(f"{what}: {type(error).__name__}")
            leaked = _received_leaks(other.received)
            assert not leaked, f"{what}: credentials reached another origin: {leaked}"
        return outcomes

    return asyncio.run(run_all())


async def _call_dead(vault: Any, backend: str, asynchronous: bool, follow: bool) -> None:
    dead = _client(vault, "http://127.0.0.1:9", backend, asynchronous, follow, lambda request: None)
    try:
        result = dead.default.list_things()
        if asynchronous:
            await result
    finally:
        if asynchronous:
            await dead.close()
        else:
            dead.close()


@pytest.mark.parametrize("follow", [False, True], ids=["default-http-client", "http-client-following-redirects"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_canary_leaks_nowhere(vault: Any, servers: tuple[FaultServer, FaultServer], backend: str, asynchronous: bool, follow: bool) -> None:
    home, other = servers
    seen_by_hooks: list[str] = []
    with Capture() as capture, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = _client(vault, home.url, backend, asynchronous, follow, lambda request: seen_by_hooks.append(request.url))
        capture.note("repr(client)", repr(client))
        capture.note("repr(resource)", repr(client.default))
        capture.note("repr(retries)", repr(client.retries))
        oauth2 = vault._client.OAuth2Credentials(client_id="user", client_secret=CANARY, username="user", password=CANARY)
        capture.note("repr(oauth2 credentials)", repr(oauth2))
        capture.note("repr(model)", repr(vault.models.Login(user="u", password=CANARY)))
        capture.note("str(model)", str(vault.models.Login(user="u", password=CANARY)))
        outcomes = _sweep(vault, home, other, client, capture, asynchronous)
        with pytest.raises(vault.ApiConnectionError) as refused:
            asyncio.run(_call_dead(vault, backend, asynchronous, follow))
        capture.note("connection error", f"{refused.value!s} {refused.value!r}")
        capture.texts.extend(("warning", str(w.message)) for w in caught)
    # Hooks are the user's code: they see each request as sent, query credentials included.
    assert any(CANARY in url for url in seen_by_hooks), f"the hooks did not see the requests: {seen_by_hooks}"
    expected = {"success: ok", "404 typed error: NotFoundError", "timeout: ApiTimeoutError", "other-origin redirect: ApiError", "oauth2 token renewed on 401: UnauthorizedError", "oauth2 token endpoint error: OAuth2TokenError"}
    assert expected <= set(outcomes), f"the sweep did not take the paths it names: {outcomes}"
    leaks = capture.leaks()
    assert not leaks, f"the canary leaked ({backend}, {'async' if asynchronous else 'sync'}):\n" + "\n".join(leaks)


# -- one regression test per leak the sweep found ----------------------------------------
def test_httpx_request_log_line_masks_query_credentials(vault: Any, servers: tuple[FaultServer, FaultServer], caplog: pytest.LogCaptureFixture) -> None:
    """With ``logging.basicConfig(level=INFO)``, httpx logged ``HTTP Request: GET ...?api_key=<key>``."""
    home, _ = servers
    home.script(Reply(200, {"items": []}))
    keys = {"query_key": CANARY, "header_key": CANARY, "cookie_key": CANARY}
    with caplog.at_level(logging.INFO, logger="httpx"), vault.Client(base_url=home.url, **keys) as client:
        client.default.list_things()
    lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert lines and all("api_key=REDACTED" in line for line in lines), lines
    assert not [line for line in lines if CANARY in line], lines


def test_urllib3_request_log_line_masks_query_credentials(vault: Any, servers: tuple[FaultServer, FaultServer], caplog: pytest.LogCaptureFixture) -> None:
    """urllib3 logged ``http://host:port "GET /things?api_key=<key> HTTP/1.1" 200`` at DEBUG:
    the request target stands apart from the origin, so no absolute URL held the key."""
    home, _ = servers
    home.script(Reply(200, {"items": []}))
    keys = {"query_key": CANARY, "header_key": CANARY, "cookie_key": CANARY}
    with caplog.at_level(logging.DEBUG, logger="urllib3"), vault.Client(base_url=home.url, transport=vault.Urllib3Transport(), **keys) as client:
        client.default.list_things()
    lines = [record.getMessage() for record in caplog.records if record.name == "urllib3.connectionpool" and "/things" in record.getMessage()]
    assert lines and all("api_key=REDACTED" in line for line in lines), lines
    assert not [line for line in lines if CANARY in line], lines


def test_redirects_are_not_followed_even_when_the_http_client_would(vault: Any, servers: tuple[FaultServer, FaultServer]) -> None:
    """httpx drops only Authorization on a cross-origin redirect: X-Key went along."""
    home, other = servers
    home.script(Reply(307, None, headers={"location": f"{other.url}/things"}))
    other.script(Reply(200, {"items": []}))
    keys = {"query_key": CANARY, "header_key": CANARY, "cookie_key": CANARY}
    with (
        vault.Client(base_url=home.url, http_client=httpx.Client(follow_redirects=True), **keys) as client,
        pytest.raises(vault.ApiError) as raised,
    ):
        client.default.list_things()
    assert raised.value.status_code == 307 and raised.value.headers.get("location") == f"{other.url}/things"
    assert other.received == [], f"the other origin was contacted: {other.received}"
