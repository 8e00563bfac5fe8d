"""OAuth2 token handling of the generated clients, sync and async, against real servers on 127.0.0.1.

A token server (the clientCredentials flow's absolute ``tokenUrl``) and an API server (which
also answers the password flow's relative ``tokenUrl``) are :class:`FaultServer` instances:
the client fetches a token with its ``client_id``/``client_secret``, caches it, renews it
before ``expires_in`` runs out and once on a 401, shares one fetch between concurrent calls,
and keeps the secrets out of reprs and logs. A ready ``access_token`` wins over all of that.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from generator import pipeline
from tests.fault_server import FaultServer, Received, Reply

SECRET = "oauth2-CANARY-cl13nt-s3cr3t"
USER_PASSWORD = "oauth2-CANARY-us3r-pa55"

SPEC = """
openapi: 3.0.3
info: {title: Tokens, version: '1'}
servers: [{url: 'http://127.0.0.1'}]
security: [{oauth: [things:read]}]
paths:
  /things:
    get:
      operationId: listThings
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {n: {type: integer}}}}}
  /things/new:
    post:
      operationId: writeThing
      security: [{oauth: ['things:write']}]
      responses: {'204': {description: done}}
  /open:
    get:
      operationId: openThing
      security: []
      responses: {'204': {description: done}}
components:
  securitySchemes:
    oauth:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: TOKEN_URL
          scopes: {'things:read': read, 'things:write': write}
        password:
          tokenUrl: /oauth/password
          scopes: {'things:read': read, 'things:write': write}
"""


@dataclass
class Servers:
    token: FaultServer
    api: FaultServer
    issued: list[str]
    lifetime: float | None = 3600.0
    token_delay: float = 0.0

    def reset(self, lifetime: float | None = 3600.0, token_delay: float = 0.0) -> None:
        self.issued.clear()
        self.lifetime = lifetime
        self.token_delay = token_delay
        self.token.script()
        self.api.script()
        self.token.fallback = self.issue
        self.api.fallback = self.serve

    def issue(self, request: Received) -> Reply:
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.lifetime is not None:
            body["expires_in"] = self.lifetime
        return Reply(200, body, delay=self.token_delay)

    def serve(self, request: Received) -> Reply:
        if request.path == "/oauth/password":
            return self.issue(request)
        if request.headers.get("authorization") in {f"Bearer {token}" for token in self.issued} | {"Bearer ready"}:
            return Reply(204) if request.method == "POST" or request.path == "/open" else Reply(200, {"n": 1})
        return Reply(401, {"detail": "bad token"})

    def api_tokens(self) -> list[str]:
        return [request.headers.get("authorization", "") for request in self.api.received if not request.path.startswith("/oauth")]


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    token, api = FaultServer(), FaultServer()
    token.start()
    api.start()
    yield Servers(token, api, [])
    token.stop()
    api.stop()


@pytest.fixture(scope="module")
def tokens(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("oauth2")
    spec = out / "tokens.yaml"
    spec.write_text(SPEC.replace("TOKEN_URL", f"{servers.token.url}/oauth/token"))
    pipeline.generate(spec, "tokens_client", out / "tokens_client")
    sys.path.insert(0, str(out / "tokens_client"))
    try:
        return importlib.import_module("tokens_client")
    finally:
        sys.path.remove(str(out / "tokens_client"))


@pytest.fixture
def fresh(servers: Servers) -> Servers:
    servers.reset()
    return servers


FLAVOURS = ["sync", "async"]


def make(tokens: Any, servers: Servers, flavour: str, **options: Any) -> Any:
    cls = tokens.AsyncClient if flavour == "async" else tokens.Client
    arguments: dict[str, Any] = {"base_url": servers.api.url, "client_id": "app", "client_secret": SECRET, "max_retries": 0}
    arguments.update(options)
    return cls(**arguments)


def run(flavour: str, calls: Callable[[], Any]) -> Any:
    """``calls()`` returns one result or a list of them: coroutines in the async flavour."""

    async def gather() -> Any:
        results = calls()
        if isinstance(results, list):
            return [await result for result in results]
        return await results

    return asyncio.run(gather()) if flavour == "async" else calls()


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_token_is_fetched_once_with_basic_client_auth_and_cached(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour)
    copy = client.with_options(timeout=5)
    run(flavour, lambda: [client.default.list_things(), client.default.write_thing(), copy.default.list_things()])
    assert len(fresh.token.received) == 1, f"expected one token request for three calls, got {len(fresh.token.received)}"
    sent = fresh.token.received[0]
    assert (sent.method, sent.path) == ("POST", "/oauth/token")
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["authorization"] == "Basic " + base64.b64encode(f"app:{SECRET}".encode()).decode()
    form = dict(parse_qsl(sent.body.decode()))
    assert form == {"grant_type": "client_credentials", "scope": "things:read things:write"}, f"token request form: {form}"
    assert fresh.api_tokens() == ["Bearer tok-1"] * 3, f"the API calls did not carry the cached token: {fresh.api_tokens()}"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_token_is_renewed_shortly_before_it_expires(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.reset(lifetime=1.0)
    client = make(tokens, fresh, flavour)
    counts: list[int] = []

    async def acalls() -> None:
        for pause in (0.0, 0.0, 0.95):  # renewal starts a tenth of the lifetime before the end
            await asyncio.sleep(pause)
            await client.default.list_things()
            counts.append(len(fresh.token.received))

    if flavour == "async":
        asyncio.run(acalls())
    else:
        for pause in (0.0, 0.0, 0.95):
            time.sleep(pause)
            client.default.list_things()
            counts.append(len(fresh.token.received))
    assert counts == [1, 1, 2], f"token requests after each call: {counts} (expected a renewal only near expiry)"
    assert fresh.api_tokens() == ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    assert [request.path for request in fresh.api.received] == ["/things"] * 3, "renewal before expiry must not cost a 401"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_401_renews_the_token_once_and_repeats_the_call(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.api.replies.append(Reply(401, {"detail": "revoked"}))
    client = make(tokens, fresh, flavour)
    result = run(flavour, lambda: client.default.list_things())
    assert result.n == 1
    assert fresh.api_tokens() == ["Bearer tok-1", "Bearer tok-2"], f"the call was not repeated with a new token: {fresh.api_tokens()}"
    assert len(fresh.token.received) == 2


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_second_401_is_raised_without_looping(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.api.fallback = lambda request: Reply(401, {"detail": "never"})
    client = make(tokens, fresh, flavour)
    with pytest.raises(tokens.UnauthorizedError) as raised:
        run(flavour, lambda: client.default.list_things())
    assert raised.value.status_code == 401
    assert len(fresh.api.received) == 2, f"expected the call and one repeat, got {len(fresh.api.received)} API requests"
    assert len(fresh.token.received) == 2, f"expected the first token and one renewal, got {len(fresh.token.received)}"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_concurrent_calls_share_one_token_request(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.reset(token_delay=0.3)  # every caller arrives while the first fetch is in flight
    client = make(tokens, fresh, flavour)
    if flavour == "async":

        async def together() -> list[Any]:
            return list(await asyncio.gather(*(client.default.list_things() for _ in range(10))))

        results = asyncio.run(together())
    else:
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(lambda _: client.default.list_things(), range(10)))
    assert [result.n for result in results] == [1] * 10
    assert len(fresh.token.received) == 1, f"10 concurrent calls sent {len(fresh.token.received)} token requests, expected 1"
    assert fresh.api_tokens() == ["Bearer tok-1"] * 10


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_concurrent_401s_share_one_renewal(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour)

    def revoke() -> None:
        fresh.issued.remove("tok-1")  # the API now refuses tok-1
        fresh.token.received.clear()
        fresh.token.replies.append(Reply(200, {"access_token": "tok-2", "expires_in": 3600}, delay=0.3))
        fresh.issued.append("tok-2")

    if flavour == "async":

        async def together() -> list[Any]:
            await client.default.list_things()
            revoke()
            return list(await asyncio.gather(*(client.default.list_things() for _ in range(10))))

        results = asyncio.run(together())
    else:
        client.default.list_things()
        revoke()
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(lambda _: client.default.list_things(), range(10)))
    assert [result.n for result in results] == [1] * 10
    assert len(fresh.token.received) == 1, f"10 calls refused at once sent {len(fresh.token.received)} token requests, expected 1"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_token_endpoint_error_is_a_typed_error(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.token.replies.append(Reply(401, {"error": "invalid_client", "error_description": "unknown client app"}))
    client = make(tokens, fresh, flavour)
    with pytest.raises(tokens.OAuth2TokenError) as raised:
        run(flavour, lambda: client.default.list_things())
    error = raised.value
    assert isinstance(error, tokens.SdkError)
    assert (error.error, error.error_description, error.status_code) == ("invalid_client", "unknown client app", 401)
    assert "invalid_client: unknown client app" in str(error) and f"{fresh.token.url}/oauth/token" in str(error), str(error)
    assert SECRET not in str(error) + repr(error)
    assert fresh.api.received == [], "the API was called without a token"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_token_response_without_access_token_is_a_typed_error(tokens: Any, fresh: Servers, flavour: str) -> None:
    fresh.token.replies.append(Reply(200, {"token_type": "Bearer"}))
    client = make(tokens, fresh, flavour)
    with pytest.raises(tokens.OAuth2TokenError) as raised:
        run(flavour, lambda: client.default.list_things())
    assert raised.value.error == "invalid_response"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_ready_token_takes_precedence(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour, access_token="ready")
    run(flavour, lambda: client.default.list_things())
    assert fresh.token.received == [], "a token was fetched although a ready one was given"
    assert fresh.api_tokens() == ["Bearer ready"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_password_flow_with_a_relative_token_url_and_chosen_scopes(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour, username="ann", password=USER_PASSWORD, scopes=["things:read"])
    run(flavour, lambda: client.default.list_things())
    assert fresh.token.received == [], "the password flow used the client credentials flow's token URL"
    sent = [request for request in fresh.api.received if request.path == "/oauth/password"]
    assert len(sent) == 1, "the relative tokenUrl was not resolved against base_url"
    form = dict(parse_qsl(sent[0].body.decode()))
    assert form == {"grant_type": "password", "username": "ann", "password": USER_PASSWORD, "scope": "things:read"}, form
    assert fresh.api_tokens() == ["Bearer tok-1"]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_operations_without_security_fetch_no_token(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour)
    fresh.api.fallback = lambda request: Reply(204)
    run(flavour, lambda: client.default.open_thing())
    assert fresh.token.received == [], "an operation needing no credentials fetched a token"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_password_flow_of_a_public_client_sends_no_client_authentication(tokens: Any, fresh: Servers, flavour: str) -> None:
    client = make(tokens, fresh, flavour, client_id=None, client_secret=None, username="ann", password=USER_PASSWORD)
    run(flavour, lambda: client.default.list_things())
    sent = [request for request in fresh.api.received if request.path == "/oauth/password"]
    assert len(sent) == 1 and "authorization" not in sent[0].headers, "a client without client_id sent client authentication"
    assert dict(parse_qsl(sent[0].body.decode()))["grant_type"] == "password"
    assert fresh.api_tokens() == ["Bearer tok-1"]


def test_credentials_fall_back_to_environment_variables(tokens: Any, fresh: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENS_CLIENT_CLIENT_ID", "env-app")
    monkeypatch.setenv("TOKENS_CLIENT_CLIENT_SECRET", SECRET)
    client = tokens.Client(base_url=fresh.api.url, max_retries=0)
    client.default.list_things()
    expected = "Basic " + base64.b64encode(f"env-app:{SECRET}".encode()).decode()
    assert fresh.token.received[0].headers["authorization"] == expected


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_secrets_stay_out_of_reprs_and_logs(tokens: Any, fresh: Servers, flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    # The password flow's token comes from the API server: first that, then a 401 to renew on.
    fresh.issued.append("tok-1")
    fresh.api.replies.extend([Reply(200, {"access_token": "tok-1", "expires_in": 3600}), Reply(401, {"detail": "revoked"})])
    client = make(tokens, fresh, flavour, username="ann", password=USER_PASSWORD)
    with caplog.at_level(logging.DEBUG):
        run(flavour, lambda: client.default.list_things())
    assert fresh.api_tokens() == ["Bearer tok-1", "Bearer tok-2"], f"the sweep did not renew on the 401: {fresh.api_tokens()}"
    texts = [caplog.text, repr(client), str(client), repr(client.default), repr(client._credentials)]
    texts.append(repr(tokens._client.OAuth2Credentials(client_id="app", client_secret=SECRET, username="ann", password=USER_PASSWORD)))
    leaks = [text[:200] for text in texts if SECRET in text or USER_PASSWORD in text or "tok-1" in text or "tok-2" in text]
    assert "fetched an OAuth2 access token" in caplog.text, "the token fetch was not logged at all"
    assert not leaks, f"a secret or token leaked: {leaks}"


def test_generated_readme_documents_oauth2(tokens: Any) -> None:
    readme = (Path(tokens.__file__).parent.parent / "README.md").read_text()
    assert "client_id" in readme and "client_secret" in readme and "OAuth2TokenError" in readme, "README lacks the OAuth2 section"
