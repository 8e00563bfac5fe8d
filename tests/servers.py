"""Real HTTP servers for the tests, always on 127.0.0.1, always stopped by PID.

* :class:`PrismServer` runs Stoplight Prism (installed by ``make test`` from
  tests/prism/package-lock.json) as ``node .../prism-cli/dist/index.js mock``
  in its own process group, so stopping it kills the whole group (going
  through ``npx`` would leave the node server running).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRISM_DIR = ROOT / "tests" / "prism"
PRISM_ENTRY = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before listening:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not listen on 127.0.0.1:{port} within {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it spawned."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def prism_problem() -> str | None:
    """Why Prism cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH: install Node.js 18+ (Prism, the contract-test server, runs on it)"
    if not PRISM_ENTRY.is_file():
        return f"Prism is not installed at {PRISM_ENTRY}: run `make test` (it runs `npm ci --ignore-scripts` in tests/prism)"
    return None


class PrismServer:
    """``prism mock`` of one spec, with request validation on."""

    def __init__(self, spec: Path, log_dir: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.log = log_dir / f"prism-{spec.stem}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        problem = prism_problem()
        if problem:
            raise RuntimeError(problem)
        node = shutil.which("node")
        assert node is not None
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [node, str(PRISM_ENTRY), "mock", "--host", "127.0.0.1", "--port", str(self.port), "--seed", "7", str(self.spec)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,
            )
        wait_for_port(self.port, self.process, timeout, self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)
            self.process = None
