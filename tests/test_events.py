"""Server-sent events: the runtime's text/event-stream reader on its own, and generated
clients (sync and async) reading events from a real server on 127.0.0.1.

The client is generated here from tests/fixtures/events.yaml: an operation whose body's
``stream`` flag chooses JSON or events (``create_chat``), operations that answer with events
only (JSON data, whole-event objects, text), and one that chooses by ``Accept`` alone.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest

from generator import pipeline
from generator.pipeline import render
from tests.sse_server import GATE, Script, SseServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rt() -> Iterator[ModuleType]:
    """templates/module/_runtime.py imported straight from the template (as test_runtime_module does)."""
    spec = importlib.util.spec_from_file_location("clientsmith_runtime_events", render.RUNTIME)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("events")
    pipeline.generate(ROOT / "tests" / "fixtures" / "events.yaml", "events_client", out / "events_client")
    sys.path.insert(0, str(out / "events_client"))
    module = importlib.import_module("events_client")
    importlib.import_module("events_client.models")
    return module


@pytest.fixture(scope="module")
def server() -> Iterator[SseServer]:
    sse = SseServer()
    sse.start()
    try:
        yield sse
    finally:
        sse.stop()


def _decode(rt: ModuleType, chunks: list[bytes]) -> list[Any]:
    decoder = rt.SseDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def _event(rt: ModuleType, data: str, event: str | None = None, id: str | None = None, retry: int | None = None) -> Any:
    return rt.ServerSentEvent(data, event, id, retry)


def _split_every(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


# -- the wire format (WHATWG "Interpreting an event stream") ------------------------------


def test_data_over_several_lines_is_joined_by_newlines(rt: ModuleType) -> None:
    got = _decode(rt, [b"data: first\ndata: second\ndata:third\n\n"])
    assert got == [_event(rt, "first\nsecond\nthird")], f"data lines must join with \\n, got {got}"


def test_event_id_and_retry_fields(rt: ModuleType) -> None:
    decoder = rt.SseDecoder()
    got = decoder.feed(b"event: update\nid: 7\nretry: 1500\ndata: {}\n\ndata: next\n\n")
    assert got == [_event(rt, "{}", "update", "7", 1500), _event(rt, "next")], f"fields read wrongly: {got}"
    assert decoder.last_event_id == "7", "the last event id persists across events (Last-Event-ID)"
    assert decoder.retry == 1500, "retry sets the reconnection time"


def test_comments_keep_alives_and_unknown_fields_are_ignored(rt: ModuleType) -> None:
    got = _decode(rt, [b": keep-alive\n\n:\ndata: x\n: comment inside\nfoo: bar\nDATA: no\n\n"])
    assert got == [_event(rt, "x")], f"comments, keep-alives and unknown (case-sensitive) fields must be ignored, got {got}"


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending(rt: ModuleType, newline: bytes) -> None:
    body = newline.join([b"event: a", b"data: 1", b"data: 2", b"", b"data: 3", b"", b""])
    for size in (1, 2, 3, len(body)):
        got = _decode(rt, _split_every(body, size))
        assert got == [_event(rt, "1\n2", "a"), _event(rt, "3")], f"{newline!r} lines fed {size} bytes at a time: {got}"


def test_crlf_split_between_chunks_is_one_line_end(rt: ModuleType) -> None:
    got = _decode(rt, [b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"])
    assert got == [_event(rt, "a"), _event(rt, "b")], f"a CR at a chunk's end and the LF starting the next are one line end: {got}"


def test_byte_order_mark_is_dropped_once_at_the_start(rt: ModuleType) -> None:
    bom = "\ufeff".encode()
    assert _decode(rt, [bom + b"data: x\n\n"]) == [_event(rt, "x")], "a leading BOM must be skipped"
    assert _decode(rt, [bom[:1], bom[1:] + b"data: y\n\n"]) == [_event(rt, "y")], "a BOM split across chunks must be skipped"
    got = _decode(rt, [b"data: x\n\n", bom + b"data: z\n\n"])
    assert got == [_event(rt, "x")], f"a BOM later in the stream is part of a line (an unknown field), not skipped: {got}"


def test_one_leading_space_is_removed_and_a_bare_field_has_an_empty_value(rt: ModuleType) -> None:
    got = _decode(rt, [b"data:  two spaces\n\ndata\n\ndata:\n\n"])
    assert got == [_event(rt, " two spaces"), _event(rt, ""), _event(rt, "")], f"field values read wrongly: {got}"


def test_blocks_without_data_are_not_dispatched_but_their_id_persists(rt: ModuleType) -> None:
    decoder = rt.SseDecoder()
    got = decoder.feed(b"event: ping\nid: 3\n\ndata: x\n\n")
    assert got == [_event(rt, "x")], f"a block without data dispatches nothing: {got}"
    assert decoder.last_event_id == "3", "an id in a block without data still sets the last event id"


def test_invalid_id_and_retry_values_are_ignored(rt: ModuleType) -> None:
    decoder = rt.SseDecoder()
    got = decoder.feed(b"id: 1\n\ndata: a\nid: bad\x00id\nretry: 10s\nretry: \xd9\xa3\n\n")
    assert got == [_event(rt, "a")], f"an id with NUL and a retry that is not ASCII digits are ignored: {got}"
    assert decoder.last_event_id == "1" and decoder.retry is None


def test_unfinished_event_at_the_end_is_discarded(rt: ModuleType) -> None:
    assert _decode(rt, [b"data: complete\n\ndata: cut off"]) == [_event(rt, "complete")], "an event without its blank line is discarded"


def test_utf8_split_across_chunks_and_invalid_bytes(rt: ModuleType) -> None:
    text = "data: héllo ✓\n\n".encode()
    assert _decode(rt, _split_every(text, 1)) == [_event(rt, "héllo ✓")], "multi-byte characters split across chunks"
    assert _decode(rt, [b"data: \xff\n\n"]) == [_event(rt, "\ufffd")], "invalid UTF-8 becomes U+FFFD"


# -- events read into types ------------------------------------------------------------


class Chunk(pydantic.BaseModel):
    index: int
    delta: str


class Progress(pydantic.BaseModel):
    percent: int


class Envelope(pydantic.BaseModel):
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    data: Progress


SOURCE = {"status_code": 200, "headers": {}, "method": "GET", "url": "http://127.0.0.1/x"}


def _value(rt: ModuleType, events: Any, event: Any) -> Any:
    return rt._event_value(events, event, rt._StreamSource(**SOURCE))


def test_json_data_is_read_into_the_type(rt: ModuleType) -> None:
    got = _value(rt, rt.EventFormat(Chunk), _event(rt, '{"index": 1,\n"delta": "a"}'))
    assert got == Chunk(index=1, delta="a"), f"JSON data over two lines must parse into the model, got {got!r}"


def test_whole_event_objects_get_their_fields(rt: ModuleType) -> None:
    fmt = rt.EventFormat(Envelope, fields=("event", "id", "retry", "data"))
    got = _value(rt, fmt, _event(rt, '{"percent": 50}', "progress", "9", 100))
    assert got == Envelope(event="progress", id="9", retry=100, data=Progress(percent=50)), repr(got)
    bare = _value(rt, fmt, _event(rt, '{"percent": 1}'))
    assert bare.model_fields_set == {"data"}, "fields the event block did not carry stay unset"


def test_text_data_stays_text(rt: ModuleType) -> None:
    assert _value(rt, rt.EventFormat(str, text=True), _event(rt, "12\nline")) == "12\nline"


def test_error_event_raises_a_typed_error_with_the_parsed_data(rt: ModuleType) -> None:
    with pytest.raises(rt.EventStreamError) as caught:
        _value(rt, rt.EventFormat(Chunk), _event(rt, '{"message": "overloaded"}', "error"))
    assert isinstance(caught.value, rt.SdkError)
    assert caught.value.data == {"message": "overloaded"} and caught.value.event.event == "error"
    assert "overloaded" in str(caught.value), f"the message must carry the API's text: {caught.value}"


def test_error_object_the_type_does_not_describe_raises_the_typed_error(rt: ModuleType) -> None:
    with pytest.raises(rt.EventStreamError) as caught:
        _value(rt, rt.EventFormat(Chunk), _event(rt, '{"error": "Incomplete generation", "error_type": "generation"}'))
    assert caught.value.data["error_type"] == "generation"


def test_data_that_does_not_fit_raises_response_validation_error(rt: ModuleType) -> None:
    with pytest.raises(rt.ResponseValidationError) as caught:
        _value(rt, rt.EventFormat(Chunk), _event(rt, '{"index": "x"}'))
    assert caught.value.content == b'{"index": "x"}', "the event's raw data must be kept"


class _Raw:
    """A RawStream stand-in that records whether it was closed."""

    def __init__(self, rt: ModuleType, chunks: list[bytes]) -> None:
        self.closed = 0
        self.stream = rt.RawStream(200, {}, iter(chunks), self._close)

    def _close(self) -> None:
        self.closed += 1


def test_done_sentinel_ends_the_stream_and_closes_it(rt: ModuleType) -> None:
    raw = _Raw(rt, [b'data: {"index": 0, "delta": "a"}\n\n', b"data: [DONE]\n\n", b'data: {"index": 1, "delta": "never"}\n\n'])
    stream = rt.Stream(raw.stream, rt.EventFormat(Chunk), method="POST", url="u")
    assert [chunk.delta for chunk in stream] == ["a"], "nothing after [DONE] may be read"
    assert raw.closed, "the connection must be released once [DONE] arrived"


def test_leaving_the_with_block_closes_an_unfinished_stream(rt: ModuleType) -> None:
    raw = _Raw(rt, [b"data: 1\n\n", b"data: 2\n\n"])
    with rt.Stream(raw.stream, rt.EventFormat(int), method="GET", url="u") as stream:
        assert next(stream) == 1
    assert raw.closed, "leaving the with block must close the connection"
    assert list(stream) == [], "a closed stream yields nothing more"


def test_breaking_out_of_a_loop_closes_the_dropped_stream(rt: ModuleType) -> None:
    raw = _Raw(rt, [b"data: 1\n\n", b"data: 2\n\n"])
    for value in rt.Stream(raw.stream, rt.EventFormat(int), method="GET", url="u"):
        assert value == 1
        break
    assert raw.closed, "a stream dropped after a break must release the connection (no reference cycle may keep it)"


# -- generated clients against a real server ------------------------------------------------


def _sse(*payloads: Any, event: str | None = None) -> bytes:
    lines = []
    for payload in payloads:
        if event:
            lines.append(f"event: {event}")
        lines.append(f"data: {json.dumps(payload)}")
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


def _chunk(index: int, delta: str) -> dict[str, Any]:
    return {"index": index, "delta": delta}


#: HTTP backends the live tests run on: the default httpx transports, urllib3 (sync) / aiohttp (async).
BACKENDS = ["httpx", "urllib3-aiohttp"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(events: Any, server: SseServer, backend: str, cls: str = "Client") -> Any:
    options: dict[str, Any] = {}
    if backend != "httpx":
        options["transport"] = events.Urllib3Transport() if cls == "Client" else events.AiohttpTransport()
    return getattr(events, cls)(base_url=server.url, max_retries=0, **options)


def _wait_for_disconnect(server: SseServer, what: str) -> None:
    deadline = time.monotonic() + 5
    while not server.disconnected.is_set() and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.02)
    assert server.disconnected.is_set(), f"the server never saw the client hang up after {what}"


def test_first_event_arrives_before_the_server_sent_the_last(backend: str, events: Any, server: SseServer) -> None:
    # The server sends the rest only after the test saw the first event: a client that
    # buffered the response would get the NOT RELEASED marker (or hang until the timeout).
    server.script(Script([_sse(_chunk(0, "a")), GATE, _sse(_chunk(1, "b")), b"data: [DONE]\n\n"]))
    seen = []
    with _client(events, server, backend) as client:
        request = events.models.ChatRequest(prompt="hi")
        with client.chat.create_chat(request, stream=True) as stream:
            for chunk in stream:
                seen.append(chunk.delta)
                if len(seen) == 1:
                    server.release()
    assert seen == ["a", "b"], f"events must reach the caller as they arrive, got {seen}"
    sent = server.seen[0]
    assert sent.headers["accept"] == "text/event-stream", f"a streaming call must ask for text/event-stream, sent {sent.headers['accept']!r}"
    assert json.loads(sent.body) == {"prompt": "hi", "stream": True}, f"stream=True must set the body's flag, sent {sent.body!r}"


def test_async_first_event_arrives_before_the_server_sent_the_last(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([_sse(_chunk(0, "a")), GATE, _sse(_chunk(1, "b")), b"data: [DONE]\n\n"]))

    async def scenario() -> list[str]:
        seen = []
        async with _client(events, server, backend, "AsyncClient") as client:
            request = events.models.ChatRequest(prompt="hi")
            async with await client.chat.create_chat(request, stream=True) as stream:
                async for chunk in stream:
                    seen.append(chunk.delta)
                    if len(seen) == 1:
                        server.release()
        return seen

    assert asyncio.run(scenario()) == ["a", "b"], "async events must reach the caller as they arrive"
    assert server.seen[0].headers["accept"] == "text/event-stream"


def test_without_stream_the_same_operation_returns_json(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([json.dumps({"id": "c1", "text": "whole"}).encode()], content_type="application/json"))
    with _client(events, server, backend) as client:
        completion = client.chat.create_chat(events.models.ChatRequest(prompt="hi"))
    assert completion.text == "whole"
    sent = server.seen[0]
    assert sent.headers["accept"] == "application/json", f"without stream=True the call asks for JSON, sent {sent.headers['accept']!r}"
    assert json.loads(sent.body) == {"prompt": "hi"}, "without stream=True the flag is left as the caller set it"


def test_a_body_asking_for_events_without_stream_true_is_refused(backend: str, events: Any, server: SseServer) -> None:
    server.script()
    with _client(events, server, backend) as client, pytest.raises(ValueError, match="stream=True"):
        client.chat.create_chat(events.models.ChatRequest(prompt="hi", stream=True))
    assert server.seen == [], "nothing may be sent"


def test_events_only_operation_returns_a_stream(backend: str, events: Any, server: SseServer) -> None:
    body = b": keep-alive\r\n\r\n" + _sse(_chunk(0, "x"), _chunk(1, "y")).replace(b"\n", b"\r\n")
    server.script(Script([body]), Script([body]))
    with _client(events, server, backend) as client:
        got = [chunk.delta for chunk in client.chat.replay_chat("c1")]

    async def scenario() -> list[str]:
        async with _client(events, server, backend, "AsyncClient") as client:
            return [chunk.delta async for chunk in await client.chat.replay_chat("c1")]

    assert got == ["x", "y"] and asyncio.run(scenario()) == ["x", "y"], "events-only operations yield every event"
    assert all(seen.headers["accept"] == "text/event-stream" for seen in server.seen), "Accept must be text/event-stream"


def test_whole_event_objects_and_text_events(backend: str, events: Any, server: SseServer) -> None:
    server.script(
        Script([b'event: progress\nid: 1\nretry: 500\ndata: {"percent": 10}\n\n', b'event: done\ndata: {"percent": 100}\n\n']),
        Script([b"data: line one\ndata: line two\n\ndata: [DONE]\n\n"]),
    )
    with _client(events, server, backend) as client:
        with client.jobs.watch_job("j1") as stream:
            watched = list(stream)
            assert stream.last_event_id == "1" and stream.retry == 500
        lines = list(client.jobs.tail_log("j1"))
    assert [(e.event, e.id, e.retry, e.data.percent) for e in watched] == [("progress", "1", 500, 10), ("done", None, None, 100)], repr(watched)
    assert lines == ["line one\nline two"], f"text events stay text: {lines}"


def test_accept_alone_chooses_events(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([_sse({"state": "running"}, {"state": "finished"})]), Script([_sse({"state": "queued"})]))

    async def scenario() -> list[Any]:
        async with _client(events, server, backend, "AsyncClient") as client:
            return [status.state async for status in await client.jobs.get_job_status("j1", stream=True)]

    assert asyncio.run(scenario()) == ["running", "finished"]
    with _client(events, server, backend) as client:
        assert [s.state for s in client.jobs.get_job_status("j1", stream=True)] == ["queued"]
    assert [seen.headers["accept"] for seen in server.seen] == ["text/event-stream"] * 2


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_error_event_raises_and_closes(backend: str, events: Any, server: SseServer, flavour: str) -> None:
    server.script(Script([_sse(_chunk(0, "a")), _sse({"message": "model overloaded"}, event="error")], hold=True))
    seen: list[str] = []

    async def scenario() -> None:
        async with _client(events, server, backend, "AsyncClient") as client:
            async for chunk in await client.chat.replay_chat("c1"):
                seen.append(chunk.delta)

    with pytest.raises(events.SdkError) as caught:
        if flavour == "sync":
            with _client(events, server, backend) as client:
                for chunk in client.chat.replay_chat("c1"):
                    seen.append(chunk.delta)
        else:
            asyncio.run(scenario())
    assert type(caught.value).__name__ == "EventStreamError", f"an error event raises EventStreamError, got {caught.value!r}"
    assert caught.value.data == {"message": "model overloaded"} and seen == ["a"]
    _wait_for_disconnect(server, "an error event")


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_done_sentinel_ends_the_stream_and_hangs_up(backend: str, events: Any, server: SseServer, flavour: str) -> None:
    server.script(Script([_sse(_chunk(0, "a")), b"data: [DONE]\n\n", _sse(_chunk(1, "after done"))], hold=True))

    async def scenario() -> list[str]:
        async with _client(events, server, backend, "AsyncClient") as client:
            return [chunk.delta async for chunk in await client.chat.replay_chat("c1")]

    if flavour == "sync":
        with _client(events, server, backend) as client:
            got = [chunk.delta for chunk in client.chat.replay_chat("c1")]
    else:
        got = asyncio.run(scenario())
    assert got == ["a"], f"[DONE] ends the stream: {got}"
    _wait_for_disconnect(server, "[DONE]")


@pytest.mark.parametrize("how", ["with", "close", "break"])
def test_early_close_hangs_up(backend: str, events: Any, server: SseServer, how: str) -> None:
    server.script(Script([_sse(_chunk(0, "a"))], hold=True))
    with _client(events, server, backend) as client:
        if how == "with":
            with client.chat.replay_chat("c1") as stream:
                assert next(stream).delta == "a"
        elif how == "close":
            stream = client.chat.replay_chat("c1")
            assert next(stream).delta == "a"
            stream.close()
        else:
            for chunk in client.chat.replay_chat("c1"):
                assert chunk.delta == "a"
                break
        _wait_for_disconnect(server, f"leaving the stream ({how})")


@pytest.mark.parametrize("how", ["with", "break"])
def test_async_early_close_hangs_up(backend: str, events: Any, server: SseServer, how: str) -> None:
    server.script(Script([_sse(_chunk(0, "a"))], hold=True))

    async def scenario() -> None:
        async with _client(events, server, backend, "AsyncClient") as client:
            if how == "with":
                async with await client.chat.replay_chat("c1") as stream:
                    assert (await stream.__anext__()).delta == "a"
            else:
                async for chunk in await client.chat.replay_chat("c1"):
                    assert chunk.delta == "a"
                    break
                for _ in range(20):  # the loop closes the abandoned stream on a later turn
                    gc.collect()
                    await asyncio.sleep(0.01)
                    if server.disconnected.is_set():
                        break

    asyncio.run(scenario())
    _wait_for_disconnect(server, f"leaving the async stream ({how})")


def test_error_status_raises_before_any_event(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([b'{"detail": "bad prompt"}'], status=422, content_type="application/json"))
    with _client(events, server, backend) as client, pytest.raises(events.UnprocessableEntityError) as caught:
        client.chat.create_chat(events.models.ChatRequest(prompt=""), stream=True)
    assert caught.value.body.detail == "bad prompt", "the error body is parsed into the spec's model"


def test_json_answer_to_a_request_for_events_raises(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([b'{"id": "c1", "text": "whole"}'], content_type="application/json"))
    with _client(events, server, backend) as client, pytest.raises(events.ResponseValidationError, match="text/event-stream") as caught:
        client.chat.create_chat(events.models.ChatRequest(prompt="hi"), stream=True)
    assert caught.value.content == b'{"id": "c1", "text": "whole"}', "the body must be kept"


def test_raw_response_of_a_stream(backend: str, events: Any, server: SseServer) -> None:
    server.script(Script([_sse(_chunk(0, "a"))]))
    with _client(events, server, backend) as client:
        response = client.chat.with_raw_response.create_chat(events.models.ChatRequest(prompt="hi"), stream=True)
        assert response.status_code == 200 and response.headers["content-type"] == "text/event-stream"
        with response.parsed as stream:
            assert [chunk.delta for chunk in stream] == ["a"]


# -- types -----------------------------------------------------------------------------------

USAGE = """
from events_client import ApiResponse, AsyncClient, AsyncStream, Client, Stream
from events_client.models import ChatRequest, Chunk, Completion, JobEvent


def sync(client: Client, flag: bool) -> int:
    request = ChatRequest(prompt="x")
    completion: Completion = client.chat.create_chat(request)
    stream: Stream[Chunk] = client.chat.create_chat(request, stream=True)
    either: Completion | Stream[Chunk] = client.chat.create_chat(request, stream=flag)
    replay: Stream[Chunk] = client.chat.replay_chat("c")
    jobs: Stream[JobEvent] = client.jobs.watch_job("j")
    lines: Stream[str] = client.jobs.tail_log("j")
    raw: ApiResponse[Stream[Chunk]] = client.chat.with_raw_response.create_chat(request, stream=True)
    whole: ApiResponse[Completion] = client.chat.with_raw_response.create_chat(request)
    with stream:
        total = sum(chunk.index for chunk in stream)
    return total + len(completion.text) + len(lines.last_event_id)


async def asynchronous(client: AsyncClient) -> int:
    request = ChatRequest(prompt="x")
    completion: Completion = await client.chat.create_chat(request)
    stream: AsyncStream[Chunk] = await client.chat.create_chat(request, stream=True)
    replay: AsyncStream[Chunk] = await client.chat.replay_chat("c")
    raw: ApiResponse[AsyncStream[Chunk]] = await client.chat.with_raw_response.create_chat(request, stream=True)
    async with stream:
        return sum([chunk.index async for chunk in stream]) + len(completion.text)
"""

MISUSE = """
from events_client import Client, Stream
from events_client.models import ChatRequest, Chunk, Completion


def wrong(client: Client) -> None:
    streamed: Completion = client.chat.create_chat(ChatRequest(prompt="x"), stream=True)
    whole: Stream[Chunk] = client.chat.create_chat(ChatRequest(prompt="x"))
"""


def _mypy(events: Any, tmp_path: Path, source: str) -> Any:
    import os
    import subprocess

    usage = tmp_path / "usage.py"
    usage.write_text(source.lstrip(), "utf-8")
    package = Path(events.__file__).parent
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(usage)],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(package.parent)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_mypy_knows_what_each_call_returns(events: Any, tmp_path: Path) -> None:
    result = _mypy(events, tmp_path, USAGE)
    assert result.returncode == 0, f"mypy --strict rejects typed use of event streams:\n{result.stdout}{result.stderr}"


def test_mypy_rejects_the_wrong_return_type(events: Any, tmp_path: Path) -> None:
    result = _mypy(events, tmp_path, MISUSE)
    lines = sorted(line.split(":")[1] for line in result.stdout.splitlines() if ": error:" in line)
    assert lines == ["6", "7"], f"the overloads must tell stream=True from stream=False:\n{result.stdout}"
