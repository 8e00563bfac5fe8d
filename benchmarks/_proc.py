"""Run one command and measure it: wall time, CPU time, peak RSS of the process tree, exit code.

Peak RSS comes from ``os.wait4``: the kernel's ``ru_maxrss`` of the child and of every
descendant it waited for, i.e. the resident set of the largest single process in the run
(the same figure ``/usr/bin/time -f %M`` prints). Each run gets its own session, so a
timeout kills exactly that run's process group (by its id) and nothing else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    status: str  # "ok", "failed" or "timeout"
    wall_s: float
    peak_rss_mb: float
    returncode: int | None
    output: str  # stdout and stderr, interleaved
    cpu_s: float = 0.0  # user + system CPU of the process and every descendant it waited for

    def first_error_line(self) -> str:
        return first_error_line(self.output) or f"exit code {self.returncode}"


_ERROR_WORDS = (
    "error",
    "exception",
    "failed",
    "fail",
    "invalid",
    "refus",
    "cannot",
    "traceback",
)


def first_error_line(output: str) -> str:
    """The first line of output that looks like an error (else the last non-empty line)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        lowered = line.lower()
        if lowered.startswith("traceback"):
            continue
        if any(word in lowered for word in _ERROR_WORDS):
            return line[:300]
    return lines[-1][:300] if lines else ""


def run(
    command: list[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Run:
    """Run ``command`` to completion (or until ``timeout`` seconds) and measure it."""
    output_file = open(log, "w+b") if log is not None else _tempfile()  # noqa: SIM115 - closed by the with below
    with output_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        result: dict[str, object] = {}

        def reap() -> None:
            _, status, usage = os.wait4(process.pid, 0)
            result["ended"] = time.perf_counter()
            result["status"] = status
            result["usage"] = usage

        reaper = threading.Thread(target=reap, daemon=True)
        reaper.start()
        reaper.join(timeout)
        timed_out = reaper.is_alive()
        if timed_out:
            _kill_group(process.pid)
            reaper.join(30)
        # The process was reaped by os.wait4; tell Popen so it does not try again.
        process.returncode = -1
        ended = float(result.get("ended", time.perf_counter()))  # type: ignore[arg-type]
        usage = result.get("usage")
        peak_kb = getattr(usage, "ru_maxrss", 0) if usage is not None else 0
        status = result.get("status")
        returncode = (
            os.waitstatus_to_exitcode(status) if isinstance(status, int) else None
        )
        # Anything the run left behind in its session (daemons, forks) goes too.
        _kill_group(process.pid)
        output_file.seek(0)
        text = output_file.read().decode("utf-8", "replace")
    if timed_out:
        state = "timeout"
    elif returncode == 0:
        state = "ok"
    else:
        state = "failed"
    cpu = (usage.ru_utime + usage.ru_stime) if usage is not None else 0.0  # type: ignore[attr-defined]
    return Run(state, ended - started, peak_kb / 1024, returncode, text, cpu)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tempfile():  # type: ignore[no-untyped-def]
    import tempfile

    return tempfile.TemporaryFile()
