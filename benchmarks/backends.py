"""The HTTP backends side by side: a quick measurement, not part of ``make bench``'s tables.

    .venv/bin/python benchmarks/backends.py [--calls 2000] [--rounds 3]

Generates the petstore client (../shared/corpus/petstore_expanded.yaml) into a temporary
folder, starts the fixed-JSON loopback server (server.py, 127.0.0.1) and measures, in
this venv (which holds httpx, urllib3 and aiohttp):

* sync, per call: runtime_bench.py's sync group (every variant interleaved in blocks, the
  median microseconds of a ``get`` and of a ``list`` call), which lists the clientsmith
  sync client on each transport of its runtime beside the raw urllib3 and httpx floors;
* async, throughput: requests per second of ``get`` calls with 1, 16 and 128 in flight
  (that many workers on one event loop, ``--calls`` calls in all), for raw httpx and raw
  aiohttp (+ pydantic) and the clientsmith async client on httpx and on aiohttp; the
  median of ``--rounds`` rounds, variants in a shuffled order each round.

Prints one JSON object. Figures move with the machine's load: compare variants of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SPEC = ROOT.parent / "shared" / "corpus" / "petstore_expanded.yaml"
CONCURRENCY = (1, 16, 128)
SYNC_VARIANTS = ("floor: urllib3 + pydantic", "floor: httpx + pydantic", "clientsmith sync", "clientsmith sync [Urllib3Transport]")
SYNC_ARGS = [arg for name in SYNC_VARIANTS for arg in ("--variant", name)]

sys.path.insert(0, str(BENCH))

import runtime_bench


async def _async_variants(base: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """name -> factory of (get, close), built on the running loop."""
    cs = importlib.import_module(f"{runtime_bench.CS_PACKAGE}._runtime")
    return {
        "floor: async httpx + pydantic": lambda: runtime_bench.floor_httpx_async(base),
        "floor: aiohttp + pydantic": lambda: runtime_bench.floor_aiohttp(base),
        "clientsmith async [AsyncHttpxTransport]": lambda: runtime_bench.clientsmith_async(base),
        "clientsmith async [AiohttpTransport]": lambda: runtime_bench.clientsmith_async(base, cs.AiohttpTransport.__name__),
    }


async def _throughput(factory: Callable[[], Awaitable[Any]], concurrency: int, calls: int) -> float:
    get, _list, close = await factory()
    for _ in range(50):  # warm-up: connections open, models built
        await get()
    per_worker = calls // concurrency

    async def worker() -> None:
        for _ in range(per_worker):
            await get()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    await close()
    return per_worker * concurrency / elapsed


async def measure_async(base: str, calls: int, rounds: int) -> dict[str, dict[str, float]]:
    variants = await _async_variants(base)
    figures: dict[str, dict[int, list[float]]] = {name: {c: [] for c in CONCURRENCY} for name in variants}
    for _ in range(rounds):
        for concurrency in CONCURRENCY:
            order = list(variants)
            random.shuffle(order)
            for name in order:
                figures[name][concurrency].append(await _throughput(variants[name], concurrency, calls))
    return {name: {f"{c} in flight (req/s)": round(statistics.median(v)) for c, v in per.items()} for name, per in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", type=Path, help="also write the JSON there (e.g. benchmarks/results/backends.json)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        package = Path(folder) / runtime_bench.CS_PACKAGE
        subprocess.run(
            [sys.executable, "-m", "generator", "generate", str(SPEC), "--output", str(package), "--package-name", runtime_bench.CS_PACKAGE],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        server = subprocess.Popen([sys.executable, str(BENCH / "server.py"), "--max-seconds", "900"], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            port = server.stdout.readline().split()[1]
            sync = subprocess.run(
                [sys.executable, str(BENCH / "runtime_bench.py"), "--group", "sync", "--port", port, "--calls", str(args.calls), "--path", str(package), *SYNC_ARGS],
                check=True,
                capture_output=True,
                text=True,
                cwd=folder,
            )
            sys.path.insert(0, str(package))
            result = {
                "environment": {
                    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "cpus": os.cpu_count(),
                    "load average (1 min), after the sync part": round(os.getloadavg()[0], 2),
                    "calls": args.calls,
                    "rounds": args.rounds,
                    "server": "benchmarks/server.py on 127.0.0.1",
                },
                "sync per call (median µs)": json.loads(sync.stdout.strip().splitlines()[-1]),
                "async throughput": asyncio.run(measure_async(f"http://127.0.0.1:{port}", args.calls, args.rounds)),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text + "\n", "utf-8")
    print(text)


if __name__ == "__main__":
    main()
