"""templates/module/_runtime.py on its own: the module every generated package holds, byte for byte.

It is loaded straight from the template path, no generated package needed: the error class
per status, retry delays, parameter serialisation, open enums and lenient date-times, and
what the generated client passes in (the user agent, whether readOnly fields are left out).
Also the promises that let the pipeline copy it as it is: no template syntax, already
formatted as the format stage would format it, and identical in every generated package.
(``make lint`` runs ruff and ``mypy --strict`` on the file; test_runtime.py and
test_client_behaviour.py exercise it through generated clients.)
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import importlib.util
import inspect
import json
import subprocess
import sys
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Annotated, Any

import black
import pydantic
import pytest

from generator import config
from generator.pipeline import format, render

ROOT = render.TEMPLATES.parent
CLIENTS = config.load_config(ROOT / "pyproject.toml")
USER_AGENT = "pets-client/1.0+clientsmith.0123abcd (clientsmith)"
READ_ONLY = pydantic.Field(json_schema_extra={"readOnly": True})


@pytest.fixture(scope="module")
def rt() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("clientsmith_runtime_under_test", render.RUNTIME)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pydantic look the module up by name
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ inside templates/
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    yield module
    del sys.modules[spec.name]


class Tag(pydantic.BaseModel):
    id: Annotated[int | None, READ_ONLY] = None
    label: str


class Pet(pydantic.BaseModel):
    id: Annotated[int | None, READ_ONLY] = None
    name: str
    owner: Tag | None = None
    tags: list[Tag] = []


# -- the file itself -------------------------------------------------------------------


def test_runtime_is_plain_python() -> None:
    source = render.RUNTIME.read_text("utf-8")
    assert not any(marker in source for marker in ("{%", "{#", "{{")), "the runtime must not be a template"
    assert render.runtime_source() == render.RUNTIME.read_bytes().decode("utf-8")
    compile(source, str(render.RUNTIME), "exec")


def test_format_stage_leaves_the_runtime_unchanged() -> None:
    """The pipeline copies the runtime without formatting it: it must already be what the
    format stage (and black) would make of it."""
    source = render.runtime_source()
    assert format.format_files({"pkg/_runtime.py": source})["pkg/_runtime.py"] == source
    assert black.format_str(source, mode=format.BLACK_MODE) == source


@pytest.mark.parametrize("client", CLIENTS, ids=lambda c: c.package)
def test_every_package_holds_the_runtime_byte_for_byte(client: config.ClientConfig) -> None:
    copied = client.output / client.package / "_runtime.py"
    assert copied.read_bytes() == render.RUNTIME.read_bytes(), f"{copied} differs from templates/module/_runtime.py; run `make generate`"


# -- errors ----------------------------------------------------------------------------


def test_each_status_has_its_error_class(rt: ModuleType) -> None:
    table = render.status_errors()
    assert table == tuple((status, cls.__name__) for status, cls in rt._STATUS_ERRORS.items())
    for status, name in table:
        cls = getattr(rt, name)
        assert rt.error_class(status) is cls and name in rt.__all__
        assert issubclass(cls, rt.ClientError if status < 500 else rt.ServerError)
        assert cls.__doc__.startswith(f"HTTP {status}: ")
    assert rt.error_class(418) is rt.ClientError
    assert rt.error_class(599) is rt.ServerError
    assert rt.error_class(302) is rt.ApiError


# -- what the client passes in ---------------------------------------------------------


class Capture:
    """A transport that answers 204 and keeps every request."""

    def __init__(self, rt: ModuleType) -> None:
        self.response = rt.RawResponse(204, {}, b"")
        self.sent: list[Any] = []

    def send(self, request: Any, timeout: float | None) -> Any:
        self.sent.append(request)
        return self.response

    def close(self) -> None:
        return None


def _client(rt: ModuleType, *, drop_read_only: bool) -> tuple[Any, Capture]:
    transport = Capture(rt)
    client = rt.SyncApiClient(
        transport=transport,
        base_url="https://api.example.test/v1",
        credentials={},
        schemes={},
        timeout=None,
        retries=rt.RetryConfig(max_retries=0),
        headers=None,
        hooks=None,
        user_agent=USER_AGENT,
        drop_read_only=drop_read_only,
    )
    return client, transport


def test_requests_carry_the_user_agent_the_client_passes(rt: ModuleType) -> None:
    client, transport = _client(rt, drop_read_only=False)
    client.request(rt.Operation("GET", "/pets", success={"204": None}))
    assert transport.sent[0].headers[:2] == [("user-agent", USER_AGENT), ("accept", "application/json")]


PET = Pet(id=1, name="Rex", owner=Tag(id=2, label="me"), tags=[Tag(id=3, label="good")])


@pytest.mark.parametrize("drop_read_only", [True, False])
def test_read_only_fields_are_left_out_when_the_client_says_so(rt: ModuleType, drop_read_only: bool) -> None:
    """At any depth, in JSON and form bodies and in parameters; all of them kept otherwise."""
    client, transport = _client(rt, drop_read_only=drop_read_only)
    client.request(rt.Operation("POST", "/pets", success={"204": None}, idempotent=False), body=PET)
    form = rt.Operation("POST", "/pets", success={"204": None}, body_encoding="form", content_type="application/x-www-form-urlencoded")
    client.request(form, body=PET)
    client.request(rt.Operation("GET", "/pets", success={"204": None}), query={"owner": PET.owner})
    sent_json, sent_form, sent_query = transport.sent
    if drop_read_only:
        body = {"name": "Rex", "owner": {"label": "me"}, "tags": [{"label": "good"}]}
        form_body = "name=Rex&label=me&tags=%7B%22label%22%3A%22good%22%7D"  # objects exploded into their members
        query = "label=me"
    else:
        body = {"id": 1, "name": "Rex", "owner": {"id": 2, "label": "me"}, "tags": [{"id": 3, "label": "good"}]}
        form_body = "id=1&name=Rex&id=2&label=me&tags=%7B%22id%22%3A3%2C%22label%22%3A%22good%22%7D"
        query = "id=2&label=me"
    assert json.loads(sent_json.content) == body
    assert sent_form.content == form_body.encode("ascii")
    assert sent_query.url == f"https://api.example.test/v1/pets?{query}"


# -- retries ---------------------------------------------------------------------------


def test_retry_delay_follows_the_server_within_the_bound(rt: ModuleType) -> None:
    config_ = rt.RetryConfig(initial_delay=0.5, max_delay=8.0)
    assert config_.delay(1, {"retry-after": "3"}) == 3.0
    assert config_.delay(1, {"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=5)
    assert 3.0 < config_.delay(1, {"retry-after": email.utils.format_datetime(later)}) <= 5.0
    assert 0.375 <= config_.delay(1, {"retry-after": "60"}) <= 0.5, "beyond max_delay: the backoff applies"
    assert 1.5 <= config_.delay(3, None) <= 2.0
    assert 6.0 <= config_.delay(10, None) <= 8.0


# -- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "style", "explode", "pairs"),
    [
        ([1, 2], "form", True, [("ids", "1"), ("ids", "2")]),
        ([1, 2], "form", False, [("ids", "1,2")]),
        (["a b", "c"], "spaceDelimited", False, [("ids", "a%20b%20c")]),
        (["a|b", "c"], "pipeDelimited", False, [("ids", "a%7Cb|c")]),
        ({"x": 1, "y": None}, "deepObject", True, [("ids[x]", "1")]),
        ({"x": 1, "y": "z"}, "form", False, [("ids", "x,1,y,z")]),
        ([], "form", True, []),
        ({"a": [1]}, "json", True, [("ids", "%7B%22a%22%3A%5B1%5D%7D")]),
    ],
)
def test_query_parameters_follow_style_and_explode(rt: ModuleType, value: Any, style: str, explode: bool, pairs: list[tuple[str, str]]) -> None:
    assert rt._query_pairs("ids", value, True, style, explode) == pairs


@pytest.mark.parametrize(
    "value",
    [
        ["customer", "invoice.lines"],  # Stripe's expand
        {"address": {"city": "Köln", "line1": "a&b=c"}, "tags": ["x", "y"]},
        [{"price": "p1", "quantity": 2}, {"price": "p2", "adjustable": {"enabled": True}}],
        {"gte": 1, "lt": 5},
        7,  # a deepObject parameter whose union allows a scalar (Stripe's ``created``)
    ],
)
def test_deep_objects_nest_as_qs_reads_them(rt: ModuleType, value: Any) -> None:
    """OpenAPI defines deepObject for flat objects only; nested members and lists follow the
    ``qs`` convention (``a[b][c]=v``, ``a[0]=v``) that APIs using them read. qs-codec, a port
    of ``qs``, reads the query back to the value (leaves as text)."""
    import qs_codec

    query = "&".join(f"{name}={text}" for name, text in rt._query_pairs("p", value, True, "deepObject", True))
    assert "%5B" not in query, f"brackets stay literal: {query}"

    def as_text(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: as_text(v) for k, v in node.items()}
        if isinstance(node, list):
            return [as_text(v) for v in node]
        return ("true" if node else "false") if isinstance(node, bool) else str(node)

    assert qs_codec.decode(query)["p"] == as_text(value), query


@pytest.mark.parametrize(
    ("value", "style", "segment"),
    [
        ("../admin", ("simple", False), "..%2Fadmin"),
        ("..", ("simple", False), "%2E%2E"),
        ("a?b#c", ("simple", False), "a%3Fb%23c"),
        ([1, 2], ("label", True), ".1.2"),
        ([1, 2], ("matrix", False), ";id=1,2"),
        ({"x": 1}, ("matrix", True), ";x=1"),
    ],
)
def test_path_segments_cannot_change_the_url_shape(rt: ModuleType, value: Any, style: tuple[str, bool], segment: str) -> None:
    assert rt._path_segment("id", value, True, style) == segment


def test_header_and_cookie_injection_is_refused(rt: ModuleType) -> None:
    with pytest.raises(ValueError, match="header injection"):
        rt._check_header("x-note", "a\r\nset-cookie: x")
    with pytest.raises(ValueError, match="cookie injection"):
        rt._check_cookie("session", "a; admin=1")


# -- reading responses -----------------------------------------------------------------


def test_open_enums_accept_values_the_spec_does_not_list(rt: ModuleType) -> None:
    class Colour(rt.OpenStrEnum):
        RED = "red"

    unknown = Colour("blue")
    assert unknown.is_unknown and unknown.name == "UNKNOWN" and unknown.value == "blue"
    assert not Colour("red").is_unknown and list(Colour) == [Colour.RED]
    with pytest.raises(ValueError):
        Colour(3)


@pytest.mark.parametrize(
    ("text", "offset"),
    [("2024-05-06T07:08:09+00", 0), ("2024-05-06T07:08:09+0200", 7200), ("2024-05-06 07:08:09 UTC", 0), ("2024-05-06T07:08:09", None)],
)
def test_date_times_are_read_as_servers_send_them(rt: ModuleType, text: str, offset: int | None) -> None:
    value = pydantic.TypeAdapter(rt.DateTime).validate_python(text)
    assert value.replace(tzinfo=None) == datetime.datetime(2024, 5, 6, 7, 8, 9)
    assert (value.utcoffset().total_seconds() if value.tzinfo else None) == offset


# -- raw and streamed forms of a method --------------------------------------------------


def _resources(rt: ModuleType) -> tuple[type, type]:
    """A resource with one (deprecated) binary operation, as the resource template writes it."""
    download = rt.Operation("GET", "/files/{id}", success={"200": bytes}, accept="application/octet-stream")

    class Files:
        def __init__(self, client: Any) -> None:
            self._client = client

        def download(self, file_id: str, *, extra_headers: Any = None) -> bytes:
            """Download a file.

            Returns:
                The file.
            """
            rt.deprecated("download is deprecated by the API.")
            return self._client.request(download, path={"id": file_id}, extra_headers=extra_headers)  # type: ignore[no-any-return]

        stream_download = rt.streamed_response(download)

    class FilesWithRawResponse(rt.WithRawResponse):
        download = rt.raw_response(Files.download)

    return Files, FilesWithRawResponse


def _file_client(rt: ModuleType) -> tuple[Any, Capture]:
    client, transport = _client(rt, drop_read_only=False)
    transport.response = rt.RawResponse(200, {"content-type": "application/octet-stream", "x-request-id": "r1"}, b"\x00\x01")
    return client, transport


def test_raw_response_form_is_the_method_itself_returning_the_api_response(rt: ModuleType) -> None:
    files_class, raw_class = _resources(rt)
    client, transport = _file_client(rt)
    assert raw_class.download is files_class.download, "the raw form adds no wrapper: same function, docstring and signature"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parsed = files_class(client).download("f/1")
        raw = raw_class(client).download("f/1", extra_headers={"x-trace": "t"})
    assert parsed == b"\x00\x01"
    assert isinstance(raw, rt.ApiResponse) and (raw.status_code, raw.parsed, raw.request_id) == (200, b"\x00\x01", "r1")
    assert raw.url == "https://api.example.test/v1/files/f%2F1" and ("x-trace", "t") in transport.sent[1].headers
    assert [(w.category, w.filename) for w in caught] == [(DeprecationWarning, __file__)] * 2, "warnings point at the caller, not the runtime"


class AsyncCapture(Capture):
    """:class:`Capture` for an async client."""

    async def send(self, request: Any, timeout: float | None) -> Any:  # type: ignore[override]
        return super().send(request, timeout)

    async def aclose(self) -> None:
        return None


def test_awaitable_form_is_the_method_written_once_and_awaited(rt: ModuleType) -> None:
    files_class, _ = _resources(rt)

    class AsyncFiles:
        def __init__(self, client: Any) -> None:
            self._client = client

        download = rt.awaitable(files_class.download)

    class AsyncFilesWithRawResponse(rt.WithRawResponse):
        download = rt.async_raw_response(AsyncFiles.download)

    transport = AsyncCapture(rt)
    transport.response = rt.RawResponse(200, {"content-type": "application/octet-stream"}, b"\x00\x01")
    client = rt.AsyncApiClient(
        transport=transport, base_url="https://api.example.test/v1", credentials={}, schemes={}, timeout=None,
        retries=rt.RetryConfig(max_retries=0), headers=None, hooks=None, user_agent=USER_AGENT, drop_read_only=False,
    )
    method = AsyncFiles.download
    assert inspect.iscoroutinefunction(method), "an async resource's method must be a coroutine function"
    assert (method.__name__, method.__doc__) == ("download", files_class.download.__doc__), "name and docstring are the method's"
    assert inspect.signature(method) == inspect.signature(files_class.download), "arguments are the method's"

    async def calls() -> tuple[Any, Any]:
        return await AsyncFiles(client).download("f/1"), await AsyncFilesWithRawResponse(client).download("f/2", extra_headers={"x-trace": "t"})

    with pytest.warns(DeprecationWarning):
        parsed, raw = asyncio.run(calls())
    assert parsed == b"\x00\x01" and isinstance(raw, rt.ApiResponse) and raw.parsed == b"\x00\x01"
    assert [request.url for request in transport.sent] == ["https://api.example.test/v1/files/f%2F1", "https://api.example.test/v1/files/f%2F2"]
    assert ("x-trace", "t") in transport.sent[1].headers


def test_streamed_form_returns_the_body_unread_under_its_own_name(rt: ModuleType) -> None:
    files_class, _ = _resources(rt)
    client, _ = _file_client(rt)
    files = files_class(client)
    method = files.stream_download
    assert (method.__name__, method.__qualname__.rsplit(".", 2)[-2:]) == ("stream_download", ["Files", "stream_download"])
    assert method.__doc__.startswith("Like :meth:`download`, but returns as soon as the response headers arrived")
    assert method.__doc__.endswith("Download a file.\n\nReturns:\n    The file."), "the method's own docstring follows the note"
    assert inspect.signature(method).return_annotation is rt.BinaryResponse
    assert list(inspect.signature(method).parameters) == ["file_id", "extra_headers"]
    with pytest.warns(DeprecationWarning) as caught:
        streamed = method("f1")
    assert [warning.filename for warning in caught] == [__file__], "warnings point at the caller, not the runtime"
    with pytest.warns(DeprecationWarning):
        through_the_class = files_class.stream_download(files, "f1")
    for response in (streamed, through_the_class):
        assert isinstance(response, rt.BinaryResponse)
        with response:
            assert response.read() == b"\x00\x01"


def test_the_opt_in_backends_are_imported_only_by_their_transports() -> None:
    """Without urllib3 and aiohttp the package imports and its default client works; the
    opt-in transports then say which extra to install."""
    script = """
import sys
sys.modules.update(urllib3=None, aiohttp=None, yarl=None)  # as if not installed
import airflow_client as package
package.Client(base_url="http://127.0.0.1:9").close()
for name in ("Urllib3Transport", "AiohttpTransport"):
    try:
        getattr(package, name)()
    except ImportError as error:
        print(name, error)
"""
    client = next(c for c in CLIENTS if c.package == "airflow_client")
    result = subprocess.run([sys.executable, "-c", script], cwd=client.output, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"the package must import without the opt-in libraries:\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert len(lines) == 2, f"each opt-in transport must raise ImportError without its library: {lines}"
    assert "Urllib3Transport needs urllib3" in lines[0] and "[urllib3] extra" in lines[0], lines[0]
    assert "AiohttpTransport needs aiohttp" in lines[1] and "[aiohttp] extra" in lines[1], lines[1]
