"""A scriptable HTTP server for runtime tests: a tiny ASGI app served by uvicorn on 127.0.0.1.

Tests queue the responses it should give (status, headers, JSON body, delay)
and read back the requests it received. It runs in a background thread of the
test process and is stopped by the fixture that started it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from tests.servers import free_port

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a hung server: a long delay)
    # A streamed body: sent as these chunks, in order. Before each chunk after the
    # first, the server waits (up to ``gate_timeout`` seconds) for ``release()``,
    # so a test can prove the client saw earlier chunks before later ones existed.
    chunks: list[bytes] | None = None
    gated: bool = False
    gate_timeout: float = 10.0


@dataclass
class Received:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    client_port: int = 0  # the client's TCP port: requests over one kept-alive connection share it
    raw_path: str = ""  # the path as sent, percent-encoding intact
    raw_headers: list[tuple[str, str]] = field(default_factory=list)  # in order, repeats kept, names as sent


class FaultServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.replies: deque[Reply] = deque()
        self.fallback: Callable[[Received], Reply] | None = None
        self.received: list[Received] = []
        self._gate = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off", interface="asgi3"))
        self._thread = threading.Thread(target=self._server.run, name="fault-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        self.replies.clear()
        self.replies.extend(replies)
        self.received.clear()
        self.fallback = None

    def release(self) -> None:
        """Let a gated streamed reply send its next chunk."""
        assert self._loop is not None, "the server has not served a request yet"
        self._loop.call_soon_threadsafe(self._gate.set)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fault server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self._loop = asyncio.get_running_loop()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = Received(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode(),
            headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body=body,
            client_port=(scope.get("client") or ("", 0))[1],
            raw_path=(scope.get("raw_path") or b"").decode(),
            raw_headers=[(k.decode(), v.decode()) for k, v in scope["headers"]],
        )
        self.received.append(request)
        if self.replies:
            reply = self.replies.popleft()
        elif self.fallback is not None:
            reply = self.fallback(request)
        else:
            reply = Reply(599, {"detail": "no reply scripted"})
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.chunks is not None:
            await self._stream(reply, send)
            return
        payload = reply.body if isinstance(reply.body, bytes) else (b"" if reply.body is None else json.dumps(reply.body).encode())
        headers = [(b"content-type", b"application/json")] if payload and not isinstance(reply.body, bytes) else []
        headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _stream(self, reply: Reply, send: Send) -> None:
        headers = [(b"content-type", b"application/octet-stream")]
        headers += [(k.encode(), v.encode()) for k, v in reply.headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        chunks = reply.chunks or []
        for index, chunk in enumerate(chunks):
            if index and reply.gated:
                try:
                    await asyncio.wait_for(self._gate.wait(), reply.gate_timeout)
                except TimeoutError:
                    chunk = b"<not released>"
                self._gate.clear()
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1})
