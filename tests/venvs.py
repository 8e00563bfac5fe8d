"""Virtualenvs the tests fill from hashed lock files, cached under ``.cache/venvs`` (git-ignored).

A cached virtualenv is named after what it was built from (lock file contents and
interpreter), so a changed lock builds a new one and the older ones of the same
name are removed. It counts as built only once the stamp file written last
exists: an interrupted build is thrown away and redone. uv (locked in
requirements/dev.lock) installs the packages: a cold Airflow environment takes
seconds instead of the minute pip needs. Every failure raises with uv's output,
so the caller can fail the test loudly; nothing is skipped.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "venvs"
STAMP = ".clientsmith-venv-complete"


class VenvError(RuntimeError):
    """A test virtualenv could not be built."""


def uv() -> str:
    path = Path(sys.executable).parent / "uv"
    if not path.is_file():
        raise VenvError(f"uv is not installed next to {sys.executable}: run `make setup` (requirements/dev.lock installs it)")
    return str(path)


def base_python() -> str:
    """The interpreter the test run's virtualenv was made from."""
    return str(getattr(sys, "_base_executable", sys.executable))


def python_in(venv: Path) -> Path:
    return venv / "bin" / "python"


def uv_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_PYTHON_DOWNLOADS"] = "never"  # only the interpreter we name, never a download
    env["UV_NO_PROGRESS"] = "1"
    return env


def run(command: list[str], *, what: str, timeout: float = 900, env: dict[str, str] | None = None) -> str:
    started = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL, env=env or uv_env())
    except subprocess.TimeoutExpired as error:
        raise VenvError(f"{what}: no result within {timeout:.0f} s: {' '.join(command)}") from error
    if result.returncode != 0:
        raise VenvError(f"{what} failed (exit {result.returncode} after {time.monotonic() - started:.0f} s): {' '.join(command)}\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    return result.stdout + result.stderr


@contextmanager
def _locked(name: str) -> Iterator[None]:
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached_venv(name: str, lock: Path, *, python: str | None = None, compile_bytecode: bool = False) -> tuple[Path, bool]:
    """The virtualenv holding exactly ``lock``'s packages, built if missing; (path, built now)."""
    python = python or base_python()
    digest = hashlib.sha256()
    digest.update(lock.read_bytes())
    digest.update(f"\0{python}\0{platform.python_version()}\0{compile_bytecode}".encode())
    target = CACHE / f"{name}-{digest.hexdigest()[:16]}"
    with _locked(name):
        if (target / STAMP).is_file():
            return target, False
        for stale in CACHE.glob(f"{name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        tool = uv()
        run([tool, "venv", "--quiet", "--python", python, str(target)], what=f"creating the {name} virtualenv")
        install = [tool, "pip", "install", "--quiet", "--python", str(python_in(target)), "--require-hashes", "--no-deps", "-r", str(lock)]
        if compile_bytecode:
            install.append("--compile-bytecode")
        run(install, what=f"installing {lock.relative_to(ROOT)} into the {name} virtualenv")
        (target / STAMP).write_text(f"{lock.relative_to(ROOT)}\n")
    return target, True
