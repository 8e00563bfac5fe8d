"""Profile clientsmith's generation of one spec with cProfile (not part of ``make bench``).

    .venv/bin/python benchmarks/profile_gen.py SPEC [--lenient] [--top 40] [--out FILE.prof]

Builds the package in memory (``pipeline.build``, nothing written), prints the seconds
spent in each pipeline stage and the functions with the most cumulative and internal
time, and saves the raw profile (open it with ``python -m pstats`` or snakeviz).
cProfile roughly doubles the cost of pure-Python code, so compare stages with each other,
not with the wall times of ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Which third-party package each stage's time lands in, for the summary.
BUCKETS = {
    "black": "black (format)",
    "blib2to3": "black (format)",
    "datamodel_code_generator": "datamodel-code-generator",
    "openapi_spec_validator": "openapi-spec-validator",
    "jsonschema": "jsonschema (validation)",
    "jsonschema_path": "jsonschema-path (validation)",
    "referencing": "referencing (validation)",
    "yaml": "PyYAML",
    "jinja2": "Jinja2",
    "pydantic": "pydantic",
    "isort": "isort",
    "copy": "copy.deepcopy",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path)
    parser.add_argument("--lenient", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import cs_stages

    for module_name, attribute, stage in cs_stages.STAGES:
        module = __import__(module_name, fromlist=[attribute])
        function = getattr(module, attribute, None)
        if callable(function):
            setattr(module, attribute, cs_stages._timed(stage, function))
    from generator import pipeline

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    generated = pipeline.build(
        args.spec, "profiled_client", lenient=args.lenient, warn=lambda problem: None
    )
    profiler.disable()
    wall = time.perf_counter() - started
    size = sum(
        len(text) for path, text in generated.files.items() if path.endswith(".py")
    )
    print(
        f"{args.spec}: {len(generated.files)} files, {size / 1024:.0f} KB of Python, {wall:.1f} s under cProfile"
    )
    print(
        "stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in cs_stages.totals.items())
    )

    stats = pstats.Stats(profiler)
    # Internal time per third-party package (where the CPU actually goes).
    buckets: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        bucket = "other"
        for part, name in BUCKETS.items():
            if f"/{part}/" in filename or filename.endswith(f"/{part}.py"):
                bucket = name
                break
        else:
            if "/generator/" in filename:
                bucket = "clientsmith generator/"
        buckets[bucket] = buckets.get(bucket, 0.0) + tottime
    total = sum(buckets.values()) or 1.0
    print(
        "internal time by package: "
        + ", ".join(
            f"{k} {v:.1f} s ({v / total:.0%})"
            for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])
        )
    )
    for key in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(key).print_stats(args.top)
        print(f"\n--- top {args.top} by {key} ---")
        print("\n".join(buffer.getvalue().splitlines()[6:]))
    if args.out:
        profiler.dump_stats(str(args.out))
        print(f"profile saved to {args.out}")


if __name__ == "__main__":
    main()
