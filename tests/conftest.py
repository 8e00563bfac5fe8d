"""Shared test setup: make the repository root importable (``generator``, ``tests``), keep the
regeneration cache out of the user's folder, and the ``server`` fixture: a scriptable HTTP server
(:class:`tests.fault_server.FaultServer`) on 127.0.0.1, one per test module, stopped after it."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.fault_server import FaultServer

# The regeneration cache (generator/pipeline/cache.py) of every `clientsmith` the tests run, in
# process or as a subprocess: one folder per test session, never the user's ~/.cache.
if "CLIENTSMITH_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="clientsmith-test-cache-")
    os.environ["CLIENTSMITH_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    fault = FaultServer()
    fault.start()
    try:
        yield fault
    finally:
        fault.stop()
