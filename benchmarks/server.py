"""A tiny fixed-JSON HTTP/1.1 server on 127.0.0.1 for the per-call benchmark.

Petstore-like: ``GET /pets`` answers a list of ``LIST_SIZE`` pets, ``GET /pets/<id>``
one pet; anything else 404. Keep-alive, no parsing beyond the request line and
``Content-Length``, precomputed responses: the server's own cost per request is a few
tens of microseconds, so the figures are dominated by the clients. Stdlib only.

Run as ``python server.py``: it binds a free port, prints ``PORT <n>`` and serves until
it is terminated (the benchmark stops it by its PID) or ``--max-seconds`` pass.
"""

from __future__ import annotations

import argparse
import asyncio
import json

LIST_SIZE = 10
PETS = [
    {"id": i, "name": f"pet-{i}", "tag": "dog" if i % 2 else "cat"}
    for i in range(1, LIST_SIZE + 1)
]


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


PET = _response("200 OK", json.dumps(PETS[0]).encode())
LIST = _response("200 OK", json.dumps(PETS).encode())
NOT_FOUND = _response("404 Not Found", b'{"code": 404, "message": "not found"}')


class Handler(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            request_line = head.split(b"\r\n", 1)[0].split(b" ")
            path = request_line[1].split(b"?", 1)[0] if len(request_line) > 1 else b""
            if path.endswith(b"/pets"):
                self.transport.write(LIST)  # type: ignore[attr-defined]
            elif b"/pets/" in path:
                self.transport.write(PET)  # type: ignore[attr-defined]
            else:
                self.transport.write(NOT_FOUND)  # type: ignore[attr-defined]


async def serve(max_seconds: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await asyncio.sleep(max_seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    asyncio.run(serve(parser.parse_args().max_seconds))


if __name__ == "__main__":
    main()
