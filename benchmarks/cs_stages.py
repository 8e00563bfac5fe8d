"""Run the clientsmith command line with per-stage timers (used by ``make bench``).

``python benchmarks/cs_stages.py generate ...`` is ``clientsmith generate ...`` (the same
``generator.cli:main`` the console script calls) with one addition: the pipeline's
stage functions are wrapped with timers, and when ``BENCH_STAGES_OUT`` names a file the
seconds spent in each stage (summed over all clients of the run) are written there as
JSON, with ``startup`` (interpreter start to ``main``) and ``total``; a file that is already
there (an earlier process of the same bench run) is added to. A stage function
that does not exist (the pipeline changed) is simply not timed. Work done in a child process
beside a stage (validation while parse and models run) counts only where the parent waits for it.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import os
import sys
import time

_STARTED = time.perf_counter()
_PROCESS_STARTED = time.time()

# (module, function, stage name) in pipeline order.
STAGES = [
    ("generator.pipeline.loader", "load", "load"),
    ("generator.pipeline.validate", "validate_or_raise", "validate"),
    # validation started (the checks before openapi-spec-validator, which runs in a child
    # beside parse and models) and finished (waiting for the child): its time not overlapped
    ("generator.pipeline.validate", "start_validation", "validate"),
    ("generator.pipeline.validate", "finish_validation", "validate"),
    ("generator.pipeline.parse", "build_ir", "parse"),
    ("generator.pipeline.models", "generate_models", "models"),
    ("generator.pipeline.render", "render", "render"),
    ("generator.pipeline.render", "render_without_models", "render"),
    ("generator.pipeline.render", "render_models", "render"),
    ("generator.pipeline.format", "format_files", "format"),
    ("generator.pipeline.write", "write_package", "write"),
]

totals: dict[str, float] = {}
_depth = [0]


def _timed(name: str, function):  # type: ignore[no-untyped-def]
    @functools.wraps(function)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if _depth[0]:
            return function(*args, **kwargs)
        _depth[0] += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started
            _depth[0] -= 1

    return wrapper


def _write() -> None:
    target = os.environ.get("BENCH_STAGES_OUT")
    if not target:
        return
    data = dict(totals)
    data["total"] = time.perf_counter() - _STARTED
    data = _add_earlier(target, data)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


def _add_earlier(target: str, data: dict[str, float]) -> dict[str, float]:
    """``data`` plus what earlier processes of the same run wrote to ``target`` (the bench
    runs one process per spec for an input of several specs, and deletes the file first)."""
    try:
        with open(target, encoding="utf-8") as handle:
            earlier = json.load(handle)
    except (OSError, ValueError):
        return data
    return {key: data.get(key, 0.0) + earlier.get(key, 0.0) for key in {*data, *earlier}}


def main() -> None:
    imports_started = time.perf_counter()
    for module_name, attribute, stage in STAGES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function = getattr(module, attribute, None)
        if callable(function):
            setattr(module, attribute, _timed(stage, function))
    from generator import cli

    totals["import"] = time.perf_counter() - imports_started
    atexit.register(_write)
    sys.argv[0] = "clientsmith"
    cli.main()


if __name__ == "__main__":
    main()
