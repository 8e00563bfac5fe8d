"""Uploads stream from files: a path or a seekable binary file in a multipart body, or as a
binary body, stays in its file until the request is sent, goes out in chunks with a
``Content-Length`` (never chunked transfer encoding), and is read again from the same place
for a retry. Checked on a real server (uvicorn on 127.0.0.1) with every HTTP backend, sync
and async, and against a file object that records how it is read.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import importlib
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from generator import pipeline
from tests.fault_server import FaultServer, Received, Reply
from tests.flavours import call

SPEC = """
openapi: 3.0.3
info: {title: Depot, version: '1'}
servers: [{url: 'http://127.0.0.1'}]
paths:
  /files:
    post:
      operationId: uploadFile
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                extra: {type: string, format: binary}
                note: {type: string}
      responses:
        '200': {description: stored, content: {application/json: {schema: {type: object}}}}
  /blobs:
    put:
      operationId: putBlob
      requestBody:
        required: true
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        '204': {description: stored}
"""

#: (sync transport, async transport) classes of each HTTP backend, as in test_runtime.py.
BACKENDS = {"httpx": ("HttpxTransport", "AsyncHttpxTransport"), "urllib3-aiohttp": ("Urllib3Transport", "AiohttpTransport")}
SIZE = 3 * 1024 * 1024 + 17  # larger than any one chunk, not a multiple of one


@pytest.fixture(scope="module")
def depot(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("uploads")
    spec = out / "depot.yaml"
    spec.write_text(SPEC)
    pipeline.generate(spec, "depot_client", out / "depot_client")
    sys.path.insert(0, str(out / "depot_client"))
    try:
        return importlib.import_module("depot_client")
    finally:
        sys.path.remove(str(out / "depot_client"))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def _client(depot: Any, server: FaultServer, backend: str, is_async: bool) -> Any:
    transport = getattr(depot._runtime, BACKENDS[backend][is_async])()
    retries = depot.RetryConfig(max_retries=1, retry_non_idempotent=True, initial_delay=0.01, max_delay=0.05)
    factory = depot.AsyncClient if is_async else depot.Client
    return factory(base_url=server.url, transport=transport, retries=retries)


def _run(depot: Any, server: FaultServer, backend: str, is_async: bool, send: Any) -> None:
    """``send(client)`` on a client of ``backend``, sync or async, closed afterwards."""

    async def main() -> None:
        client = _client(depot, server, backend, is_async)
        try:
            await call(send(client))
        finally:
            await call(client.close())

    asyncio.run(main())


def _parts(received: Received) -> list[tuple[str, str | None, bytes]]:
    head = f"Content-Type: {received.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + received.body)
    assert message.is_multipart(), received.body[:200]
    return [
        (part.get("content-disposition").params["name"], part.get("content-disposition").params.get("filename"), part.get_payload(decode=True))
        for part in message.iter_parts()
    ]


def _framed_by_length(received: Received) -> None:
    assert received.headers.get("content-length") == str(len(received.body)), (
        f"an upload is sent with its Content-Length; got headers {received.headers}"
    )
    assert "transfer-encoding" not in received.headers, "an upload of known size must not use chunked transfer encoding"


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_multipart_files_from_paths_and_file_objects_reach_the_server_whole(
    depot: Any, server: FaultServer, big: Path, backend: str, is_async: bool
) -> None:
    server.script(Reply(200, {}))
    with open(big, "rb") as opened:
        opened.seek(100)  # a file object is sent from where it is
        _run(depot, server, backend, is_async, lambda c: c.default.upload_file({"file": big, "extra": opened, "note": "n"}))
    (received,) = server.received
    _framed_by_length(received)
    data = big.read_bytes()
    assert _parts(received) == [("file", "big.bin", data), ("extra", "big.bin", data[100:]), ("note", None, b"n")]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_retried_upload_sends_the_files_again(depot: Any, server: FaultServer, big: Path, backend: str, is_async: bool) -> None:
    server.script(Reply(503), Reply(200, {}))
    with open(big, "rb") as opened:
        _run(depot, server, backend, is_async, lambda c: c.default.upload_file({"file": opened, "extra": big}))
    first, second = server.received
    assert first.body == second.body, "the retry must send the same body, files read again from the start"
    assert _parts(second)[0][2] == big.read_bytes()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_binary_body_streams_from_a_path_or_a_file(depot: Any, server: FaultServer, big: Path, backend: str, is_async: bool) -> None:
    server.script(Reply(204), Reply(204))
    _run(depot, server, backend, is_async, lambda c: c.default.put_blob(big))
    with open(big, "rb") as opened:
        _run(depot, server, backend, is_async, lambda c: c.default.put_blob(opened))
    for received in server.received:
        _framed_by_length(received)
        assert received.body == big.read_bytes()
        assert received.headers["content-type"] == "application/octet-stream"


class RecordingFile(io.BytesIO):
    """A binary file that records the size of every read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int | None] = []
        self.name = "recorded.bin"

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads.append(size)
        return super().read(size)


class Recorder:
    """A transport of one's own: keeps each request as it arrives, reads nothing."""

    def __init__(self, depot: Any) -> None:
        self.requests: list[Any] = []
        self.response = depot._runtime.RawResponse(204, {}, b"")

    def send(self, request: Any, timeout: Any) -> Any:
        self.requests.append(request)
        return self.response

    def close(self) -> None:
        return None


@pytest.mark.parametrize("operation", ["put_blob", "upload_file"])
def test_a_file_is_read_in_chunks_as_the_request_is_sent_not_when_it_is_built(depot: Any, operation: str) -> None:
    recorded = RecordingFile(b"x" * SIZE)
    transport = Recorder(depot)
    with depot.Client(base_url="http://127.0.0.1:9", transport=transport) as client:
        getattr(client.default, operation)(recorded if operation == "put_blob" else {"file": recorded})
    (request,) = transport.requests
    assert isinstance(request.content, depot.Upload), f"a file body must reach the transport as an Upload, got {type(request.content)}"
    assert [size for size in recorded.reads if size] == [], f"building the request read the file: {recorded.reads}"
    chunks = list(request.content)
    assert len(request.content) == len(b"".join(chunks)) == int(dict(request.headers)["content-length"])
    assert b"x" * SIZE in b"".join(chunks)
    assert max(len(chunk) for chunk in chunks) <= depot.Upload.CHUNK
    assert all(size is not None and 0 <= size <= depot.Upload.CHUNK for size in recorded.reads), (
        f"a file must be read in chunks of at most {depot.Upload.CHUNK} bytes, never whole: {recorded.reads}"
    )
    assert list(request.content) == chunks, "iterating again (a retry) must give the same body"


class Unseekable(io.RawIOBase):
    """A pipe-like binary file: readable once, cannot seek back."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_file_that_cannot_seek_is_read_when_built_and_still_retried(depot: Any, server: FaultServer, backend: str) -> None:
    server.script(Reply(503), Reply(200, {}))
    _run(depot, server, backend, False, lambda c: c.default.upload_file({"file": ("pipe.bin", Unseekable(b"streamed once"))}))
    first, second = server.received
    assert _parts(first) == _parts(second) == [("file", "pipe.bin", b"streamed once")]


def test_a_text_mode_file_or_an_unknown_object_is_refused(depot: Any, tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text("words")
    transport = Recorder(depot)
    with depot.Client(base_url="http://127.0.0.1:9", transport=transport) as client, open(text) as opened:
        with pytest.raises(TypeError, match="binary mode"):
            client.default.upload_file({"file": opened})
        with pytest.raises(TypeError, match="binary mode"):
            client.default.put_blob(opened)
        with pytest.raises(TypeError, match="not int"):
            client.default.put_blob(5)
    assert transport.requests == [], "nothing may be sent for a body that cannot be read"


def test_a_file_that_shrinks_before_it_is_sent_is_an_error_not_a_short_body(depot: Any, tmp_path: Path) -> None:
    path = tmp_path / "shrinks.bin"
    path.write_bytes(b"y" * 1000)
    transport = Recorder(depot)
    with depot.Client(base_url="http://127.0.0.1:9", transport=transport) as client:
        client.default.put_blob(path)
    path.write_bytes(b"y" * 10)
    with pytest.raises(ValueError, match="990 bytes shorter"):
        transport.requests[0].content.read()


def test_binary_bodies_and_file_parts_take_files_for_mypy(depot: Any, tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            from depot_client import Client

            with Client() as client, open("a.bin", "rb") as opened:
                client.default.put_blob(Path("a.bin"))
                client.default.put_blob(opened)
                client.default.put_blob(b"raw")
                client.default.upload_file({"file": opened, "extra": ("b.bin", Path("b.bin"), "image/png")})
                client.default.put_blob(5)  # refused
            """
        ),
        "utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(usage)],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(Path(depot.__file__).parent.parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "usage.py:11:" in errors[0] and '"int"' in errors[0], (
        f"mypy --strict must take bytes, binary files and paths as a binary body and refuse an int (line 11) only:\n{result.stdout}{result.stderr}"
    )
