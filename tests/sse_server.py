"""A scripted text/event-stream server for the event stream tests: uvicorn on 127.0.0.1.

Each request takes the next :class:`Script`: its parts are sent as separate body chunks, and a
``GATE`` part makes the server wait until the test calls :meth:`SseServer.release` (after it saw
the events sent so far), so a test proves events reach the caller before the rest exists. The
server records every request and sets :attr:`SseServer.disconnected` when a client hangs up
before the response ended. Started and stopped by the test fixture, in a thread of the test process.
"""

from __future__ import annotations

import asyncio
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

#: A part of a script: wait for :meth:`SseServer.release` before sending the next one.
GATE = None
#: Sent instead of what follows a gate the test never released.
NOT_RELEASED = b'data: {"index": -1, "delta": "NOT RELEASED"}\n\n'


@dataclass
class Script:
    parts: list[bytes | None]
    status: int = 200
    content_type: str = "text/event-stream"
    # After the parts, keep the response open until the client disconnects (up to 10 s).
    hold: bool = False


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    finished: bool = False  # the whole script was sent


@dataclass
class SseServer:
    port: int = field(default_factory=free_port)
    scripts: deque[Script] = field(default_factory=deque)
    seen: list[Seen] = field(default_factory=list)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._gate: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error", lifespan="off", interface="asgi3")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="sse-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *scripts: Script) -> None:
        self.scripts.clear()
        self.scripts.extend(scripts)
        self.seen.clear()
        self.disconnected.clear()

    def release(self) -> None:
        """Let the server send what follows the next gate."""
        assert self._loop is not None and self._gate is not None, "no request was served yet"
        self._loop.call_soon_threadsafe(self._gate.set)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the event stream server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        self._loop = asyncio.get_running_loop()
        if self._gate is None:
            self._gate = asyncio.Event()
        seen = Seen(scope["method"], scope["path"], {k.decode().lower(): v.decode() for k, v in scope["headers"]})
        while True:
            message = await receive()
            seen.body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append(seen)
        script = self.scripts.popleft() if self.scripts else Script([b'data: "no script"\n\n'], status=599)
        hung_up = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            hung_up.set()

        watcher = asyncio.create_task(watch())
        try:
            headers = [(b"content-type", script.content_type.encode()), (b"cache-control", b"no-cache")]
            await send({"type": "http.response.start", "status": script.status, "headers": headers})
            for part in script.parts:
                if part is GATE:
                    if not await self._wait(self._gate, hung_up, 5.0):
                        if hung_up.is_set():
                            break
                        part = NOT_RELEASED
                    else:
                        self._gate.clear()
                        continue
                await send({"type": "http.response.body", "body": part, "more_body": True})
            else:
                if script.hold:
                    await self._wait(hung_up, hung_up, 10.0)
                else:
                    seen.finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await asyncio.sleep(0.05)  # a hang-up right after the last chunk is still seen
            if hung_up.is_set():
                self.disconnected.set()
            watcher.cancel()

    @staticmethod
    async def _wait(event: asyncio.Event, hung_up: asyncio.Event, timeout: float) -> bool:
        """Wait for ``event`` (or the client hanging up); whether ``event`` was set in time."""
        waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(hung_up.wait())]
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        return event.is_set()
