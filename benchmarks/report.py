"""Targets of issues 6 and 14 (pass/miss) and the Markdown report, from the results dict of run.py.

``python benchmarks/report.py`` rewrites the bench block of README.md from
benchmarks/results/latest.json (``make bench`` does that itself after a full run).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SEED_LIMIT_S = 5.0
STRIPE_LIMIT_S = 10.0
SPEEDUP = 1.5
CALL_RATIO = 1.2
IMPORT_LIMIT_MS = 150.0
RSS_LIMIT_MB = 1024.0

UNCHANGED_LIMIT_S = 1.0
EDIT_SPEEDUP = 5.0

#: The lines of the top-level README.md between which ``make bench`` writes :func:`readme_block`.
README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"

URLLIB3_FLOOR = "floor: urllib3 + pydantic"
HTTPX_FLOOR = "floor: httpx + pydantic"
AIOHTTP_FLOOR = "floor: aiohttp + pydantic"
CS_SYNC = "clientsmith sync"
CS_ASYNC = "clientsmith async"
CS_FAST_SYNC = "clientsmith sync [Urllib3Transport]"
CS_AIOHTTP = "clientsmith async [AiohttpTransport]"
OPC_ASYNC = "openapi-python-client async"
OAG_SYNC = "OpenAPI Generator (urllib3)"

#: Issue 14's per-call and throughput targets.
DEFAULT_SYNC_RATIO = 1.05  # the default sync client against raw httpx + pydantic
FAST_SYNC_RATIO = 1.2  # the urllib3 backend against raw urllib3 + pydantic
AIOHTTP_SHARE = 0.8  # the aiohttp backend's throughput against raw aiohttp


def _cell(results: dict[str, Any], input_name: str, tool: str) -> dict[str, Any]:
    return (
        results.get("generation", {}).get(input_name, {}).get("tools", {}).get(tool, {})
    )


def _short(text: str, limit: int = 140) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _s(value: float) -> str:
    return f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def _why_not(cell: dict[str, Any]) -> str:
    status = cell.get("status", "not run")
    if status == "timeout":
        return f"timeout ({_short(cell.get('error', ''), 60)})"
    if not cell:
        return "not run"
    return f"{status}: {_short(cell.get('error', ''), 100)}"


def _result(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**pass**" if ok else "**MISS**")


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(target: str, figure: str, ok: bool | None, key: str) -> None:
        """One row; ``key`` names the target for :func:`miss_notes` (``generation:INPUT``, ...)."""
        rows.append(
            {
                "key": key,
                "target": target,
                "figure": figure,
                "result": _result(ok).strip("*").lower(),
            }
        )

    # Generation speed against openapi-python-client (issue 14: on every input where it succeeds).
    for input_name in results.get("generation", {}):
        label = input_name
        if input_name == "seeds" or _cell(results, input_name, "openapi-python-client").get("status") != "ok":
            continue
        target = (
            f"generation ≥ {SPEEDUP:g}x faster than openapi-python-client on {label}"
        )
        cs = _cell(results, input_name, "clientsmith")
        opc = _cell(results, input_name, "openapi-python-client")
        if cs.get("status") != "ok":
            add(
                target,
                f"clientsmith {_why_not(cs)}",
                None if cs.get("status") in (None, "skipped") else False,
                f"generation:{input_name}",
            )
        elif opc.get("status") != "ok":
            add(
                target,
                f"clientsmith {_s(cs['wall_s'])}; openapi-python-client {_why_not(opc)}",
                None,
                f"generation:{input_name}",
            )
        else:
            ratio = opc["wall_s"] / cs["wall_s"]
            add(
                target,
                f"clientsmith {_s(cs['wall_s'])} vs {_s(opc['wall_s'])}: {ratio:.2f}x",
                ratio >= SPEEDUP,
                f"generation:{input_name}",
            )

    cs = _cell(results, "seeds", "clientsmith")
    target = f"the five seed specs generate cold in < {SEED_LIMIT_S:.0f} s together"
    if cs.get("status") == "ok":
        add(
            target,
            f"{_s(cs['wall_s'])} ("
            + (
                "one `clientsmith generate` process per spec, as for the peers"
                if results.get("environment", {}).get("per_spec_processes")
                else "one `clientsmith generate` process over the five"
            )
            + ")",
            cs["wall_s"] < SEED_LIMIT_S,
            "seeds",
        )
    else:
        add(
            target,
            _why_not(cs),
            None if cs.get("status") in (None, "skipped") else False,
            "seeds",
        )

    cs = _cell(results, "stripe", "clientsmith")
    target = f"Stripe's spec generates in < {STRIPE_LIMIT_S:.0f} s"
    if cs.get("status") == "ok":
        add(target, _s(cs["wall_s"]), cs["wall_s"] < STRIPE_LIMIT_S, "stripe")
    else:
        add(
            target,
            _why_not(cs),
            None if cs.get("status") in (None, "skipped") else False,
            "stripe",
        )

    # Per call and throughput (issue 14).
    runtime = results.get("runtime", {})
    variants = runtime.get("variants", {})

    def missing(*names: str) -> str:
        for name in names:
            info = variants.get(name, {})
            if info.get("error") or info.get("throughput_error"):
                return f"not measured ({name}: {info.get('error') or info.get('throughput_error')})"
        return f"not measured ({runtime.get('error', 'missing')})"

    def per_call(label: str, client: str, other: str, limit: float, key: str) -> None:
        """``client`` at most ``limit`` times ``other`` per call (``limit`` 1: ahead of it)."""
        mine, base = variants.get(client, {}), variants.get(other, {})
        if "get_us" not in mine or "get_us" not in base:
            add(label, missing(client, other), None, key)
            return
        ratios = [mine[f"{op}_us"] / base[f"{op}_us"] for op in ("get", "list")]
        figure = "; ".join(
            f"{op} {mine[f'{op}_us']:.0f} vs {base[f'{op}_us']:.0f} µs = {ratio:.2f}x"
            for op, ratio in zip(("get", "list"), ratios)
        )
        ok = max(ratios) < 1 if limit == 1 else max(ratios) <= limit
        add(label, figure, ok, key)

    def throughput(label: str, client: str, other: str, share: float, key: str) -> None:
        """``client``'s requests per second at least ``share`` of ``other``'s at each concurrency
        (``share`` 1: more than it)."""
        mine, base = variants.get(client, {}), variants.get(other, {})
        if "rps" not in mine or "rps" not in base:
            add(label, missing(client, other), None, key)
            return
        ratios = {c: mine["rps"][c] / base["rps"][c] for c in base["rps"]}
        figure = "; ".join(
            f"{c} in flight {mine['rps'][c]:,} vs {base['rps'][c]:,} req/s = {r:.2f}x"
            for c, r in ratios.items()
        )
        ok = min(ratios.values()) > 1 if share == 1 else min(ratios.values()) >= share
        add(label, figure, ok, key)

    per_call(
        f"default sync client (httpx) ≤ {DEFAULT_SYNC_RATIO}x raw httpx + pydantic per call",
        CS_SYNC,
        HTTPX_FLOOR,
        DEFAULT_SYNC_RATIO,
        "sync-httpx",
    )
    per_call(
        f"urllib3 backend ≤ {FAST_SYNC_RATIO}x raw urllib3 + pydantic per call",
        CS_FAST_SYNC,
        URLLIB3_FLOOR,
        FAST_SYNC_RATIO,
        "sync-urllib3",
    )
    per_call(
        "urllib3 backend ahead of OpenAPI Generator's client per call",
        CS_FAST_SYNC,
        OAG_SYNC,
        1,
        "sync-urllib3-vs-oag",
    )
    throughput(
        f"aiohttp backend ≥ {AIOHTTP_SHARE}x raw aiohttp + pydantic in requests/s (1, 16, 128 in flight)",
        CS_AIOHTTP,
        AIOHTTP_FLOOR,
        AIOHTTP_SHARE,
        "async-aiohttp",
    )
    throughput(
        "default async client (httpx) ahead of openapi-python-client's async client in requests/s",
        CS_ASYNC,
        OPC_ASYNC,
        1,
        "async-httpx-vs-opc",
    )

    # Import time of the largest generated client.
    rows_ = [
        r
        for r in results.get("imports", {}).get("rows", [])
        if r.get("tool") == "clientsmith"
        and "import_ms" in r
        and r.get("import_ms") is not None
    ]
    target = f"importing the largest generated client ≤ {IMPORT_LIMIT_MS:.0f} ms"
    if rows_:
        largest = max(rows_, key=lambda r: r.get("py_kb", 0))
        add(
            target,
            f"{largest['package']} ({largest['py_kb']} KB of code): {largest['import_ms']:.0f} ms "
            f"({largest.get('own_ms', 0):.0f} ms of it its own, httpx and pydantic aside)"
            + _first_call_models(largest),
            largest["import_ms"] <= IMPORT_LIMIT_MS,
            "import",
        )
    else:
        add(target, "not measured", None, "import")

    # Memory.
    peaks = []
    for input_name, entry in results.get("generation", {}).items():
        cell = entry.get("tools", {}).get("clientsmith", {})
        if cell.get("peak_rss_mb"):
            peaks.append((cell["peak_rss_mb"], input_name, cell.get("status")))
    target = f"peak RSS of generation ≤ {RSS_LIMIT_MB / 1024:.0f} GB on every input"
    if peaks:
        worst = max(peaks)
        inputs = len(results.get("generation", {}))
        figure = (
            f"max {worst[0]:.0f} MB ({worst[1]}); measured on {len(peaks)} of {inputs} inputs: "
            + ", ".join(
                f"{name} {mb:.0f} MB" + ("" if status == "ok" else f" ({status})")
                for mb, name, status in sorted(peaks, key=lambda p: p[1])
            )
        )
        add(target, figure, worst[0] <= RSS_LIMIT_MB, "memory")
    else:
        add(target, "not measured", None, "memory")
    if results.get("regeneration"):
        rows.extend(regeneration_targets(results["regeneration"]))
    return rows


def _overhead_lines(variants: dict[str, Any]) -> list[str]:
    """Where the clientsmith sync client's time goes, against raw httpx and urllib3."""

    def pair(a: str, b: str | None = None) -> tuple[float, float] | None:
        first = variants.get(a, {})
        second = variants.get(b, {}) if b else {"get_us": 0.0, "list_us": 0.0}
        if "get_us" not in first or "get_us" not in second:
            return None
        return first["get_us"] - second["get_us"], first["list_us"] - second["list_us"]

    lines = []
    pieces = [
        (
            "clientsmith sync minus raw httpx + pydantic (over the socket)",
            pair(CS_SYNC, "floor: httpx + pydantic"),
        ),
        (
            "clientsmith's own code per call (in-memory transport minus pydantic alone)",
            pair(
                "breakdown: clientsmith sync, in-memory transport",
                "breakdown: pydantic model_validate_json only",
            ),
        ),
        (
            (
                "what clientsmith adds to an httpx.Client you give it, without sockets"
                " (its client over HttpxTransport around a MockTransport client, minus"
                " that client + pydantic; a client you give goes through its"
                " build_request, the transport's own does not)"
            ),
            pair(
                "breakdown: clientsmith sync, HttpxTransport over httpx MockTransport",
                "breakdown: httpx.Client + MockTransport + pydantic",
            ),
        ),
        (
            "httpx's machinery per call (MockTransport client minus pydantic alone)",
            pair(
                "breakdown: httpx.Client + MockTransport + pydantic",
                "breakdown: pydantic model_validate_json only",
            ),
        ),
        (
            "raw httpx minus raw urllib3 (over the socket)",
            pair("floor: httpx + pydantic", URLLIB3_FLOOR),
        ),
    ]
    for label, figures in pieces:
        if figures is not None:
            lines.append(
                f"- {label}: get {figures[0]:+.0f} µs, list {figures[1]:+.0f} µs"
            )
    return [*lines, ""] if lines else []


#: The next step when a stage holds most of a run that misses, by stage.
_STAGE_NEXT = {
    "models": (
        "give datamodel-code-generator only what each part needs (the schemas the part owns,"
        " stubs for those it reaches: each part carries its whole $ref closure today, so parts"
        " repeat each other's work), and take its hot spots upstream"
    ),
    "validate": (
        "split openapi-spec-validator's per-schema meta-schema checks between two processes,"
        " sharing only the digests that pass, so the findings stay the validator's own"
    ),
    "format": "hand black fewer, larger statements per process and skip those the cache knows",
    "parse": "build the IR of operations in parallel with the models",
}


#: The next step when a stage holds most of an edit run that misses, by stage.
_EDIT_NEXT = {
    "models": (
        "cut the model document into finer parts for edits (a part per strongly connected"
        " group of schemas, joined as today), so a field edit re-runs only its group and the"
        " groups that reach it"
    ),
    "validate": (
        "validate only what an edit changed: the findings of the unchanged operations and"
        " schemas are known"
    ),
}

#: The per-call and throughput targets :func:`_call_note` explains, by key.
_CALL_TARGETS = ("sync-httpx", "sync-urllib3", "sync-urllib3-vs-oag", "async-aiohttp", "async-httpx-vs-opc")


def _largest_stage(stages: dict[str, float] | None) -> tuple[str, float]:
    """(name, seconds) of the stage a run spent most in; ("", 0) without stage timings."""
    return max(((k, v) for k, v in (stages or {}).items() if k != "total"), key=lambda kv: kv[1], default=("", 0.0))


def _stage_text(stages: dict[str, float], wall: float) -> str:
    """The stages of a run, largest first, with what no stage accounts for (start-up, the rest)."""
    named = {k: v for k, v in stages.items() if k != "total" and v >= 0.005}
    rest = wall - sum(named.values())
    parts = [f"{name} {seconds:.2f} s" for name, seconds in sorted(named.items(), key=lambda kv: -kv[1])]
    return ", ".join(parts) + (f", start-up and the rest {rest:.2f} s" if rest > 0.005 else "")


def _generation_note(results: dict[str, Any], input_name: str) -> str:
    cs = _cell(results, input_name, "clientsmith")
    opc = _cell(results, input_name, "openapi-python-client")
    if cs.get("status") != "ok" or opc.get("status") != "ok":
        return f"{input_name}: not measured on both sides ({_why_not(cs) if cs.get('status') != 'ok' else _why_not(opc)}). Next: rerun."
    stages = cs.get("stages_s", {})
    target = opc["wall_s"] / SPEEDUP
    cores = results.get("environment", {}).get("cores") or 2
    cpu = cs.get("cpu_s", 0.0)
    text = (
        f"{input_name}: clientsmith {_s(cs['wall_s'])} wall, {cpu:.1f} s CPU;"
        f" openapi-python-client {_s(opc['wall_s'])} wall, {opc.get('cpu_s', 0):.1f} s CPU, so 1.5x"
        f" means {target:.1f} s. Where clientsmith's wall time goes (median run, the seconds the"
        f" main process spends in each stage): {_stage_text(stages, cs['wall_s'])}."
    )
    if cpu / cores > target:
        text += (
            f" Even with its {cores} cores busy throughout, {cpu:.1f} s of CPU cannot take less"
            f" than {cpu / cores:.1f} s: the work itself has to shrink, not only spread."
        )
    largest = _largest_stage(stages)
    if largest[0] == "models":
        text += f" datamodel-code-generator (models) is {largest[1] / cs['wall_s']:.0%} of the wall time."
    return text + " Next: " + _STAGE_NEXT.get(
        largest[0], "profile the largest stage (benchmarks/profile_gen.py) and split it between processes"
    ) + "."


def _regeneration_note(results: dict[str, Any], input_name: str, kind: str) -> str:
    entry = results.get("regeneration", {}).get("inputs", {}).get(input_name, {})
    edit, cold = entry.get(kind, {}), entry.get("cold", {})
    if "wall_s" not in edit or "wall_s" not in cold:
        return f"{input_name}, {kind.replace('_', '-')} edit: not measured"
    label = kind.replace("_", "-")
    runs = edit.get("runs", [])
    cache = runs[0].get("cache") if runs else None
    reused = f"{cache['hits']} of {cache['hits'] + cache['misses']} cached units reused; " if cache else ""
    profiled = edit.get("profiled_run", {})
    stages = profiled.get("stages_s")
    where = (
        f"where an edit run's {_s(profiled['wall_s'])} go: {_stage_text(stages, profiled['wall_s'])}; "
        if stages
        else ""
    )
    always = (
        "load, validation (openapi-spec-validator walks the whole edited document), the IR and"
        " render always run"
        + (
            ", and a changed model document sends every part that holds or reaches the edited"
            " schema back to datamodel-code-generator"
            if kind == "one_field"
            else ""
        )
    )
    next_step = _EDIT_NEXT.get(
        _largest_stage(stages)[0],
        "cache the IR of each operation and schema by its input, so an edit rebuilds only its"
        " own share",
    )
    return (
        f"{input_name}, {label} edit: {_s(edit['wall_s'])} against {_s(cold['wall_s'])} cold"
        f" ({cold['wall_s'] / edit['wall_s']:.1f}x; 5x means {cold['wall_s'] / EDIT_SPEEDUP:.1f} s);"
        f" {reused}{where}{always}. Next: {next_step}."
    )


def _call_note(results: dict[str, Any], key: str) -> str:
    variants = results.get("runtime", {}).get("variants", {})

    def us(name: str, op: str = "get") -> float | None:
        return variants.get(name, {}).get(f"{op}_us")

    own = us("breakdown: clientsmith sync, in-memory transport")
    pydantic = us("breakdown: pydantic model_validate_json only")
    hot = own - pydantic if own is not None and pydantic is not None else None
    next_step = (
        " Next: generate each operation's request building (URL and query written out in its"
        " method, no per-call style lookups) to cut the own code."
    )
    if key == "sync-httpx":
        mine, floor = us(CS_SYNC), us(HTTPX_FLOOR)
        if mine is None or floor is None or hot is None:
            return "default sync client: not measured" + next_step
        return (
            f"default sync client: {mine:.0f} vs {floor:.0f} µs a get over the socket, +{mine - floor:.0f} µs"
            f" (1.05x allows +{floor * (DEFAULT_SYNC_RATIO - 1):.0f}). Its transport builds requests"
            " directly on its own httpx.Client (no build_request merging), which costs no more"
            " than raw httpx's `client.get`; what remains is clientsmith's own code (request"
            f" building, retry and hook bookkeeping, decoding): {hot:.0f} µs a get in a hot loop"
            " without sockets, more between real calls, when the HTTP library and the kernel have"
            f" run in between and the CPU caches are cold.{next_step}"
        )
    if key == "async-aiohttp":
        rps = variants.get(CS_AIOHTTP, {}).get("rps", {})
        floor_rps = variants.get(AIOHTTP_FLOOR, {}).get("rps", {})
        per = "; ".join(
            f"{c} in flight {1e6 / rps[c]:.0f} vs {1e6 / floor_rps[c]:.0f} µs"
            for c in floor_rps
            if c in rps
        )
        budgets = ", ".join(
            f"{1e6 / floor_rps[c] * (1 / AIOHTTP_SHARE - 1):.0f} µs at {c}"
            for c in floor_rps
        )
        return (
            f"aiohttp backend, client time per request (1 / requests per second): {per}. With the"
            " server on the other core, the client's CPU per request bounds the requests per"
            f" second; 0.8x of raw aiohttp leaves clientsmith {budgets} in flight, for its"
            f" transport adapter and its own code ({hot:.0f} µs a get in a hot loop in the sync"
            f" measurement).{next_step}"
            if hot is not None
            else f"aiohttp backend: {per}.{next_step}"
        )
    pairs = {
        "sync-urllib3": (CS_FAST_SYNC, URLLIB3_FLOOR, "urllib3 backend against raw urllib3"),
        "sync-urllib3-vs-oag": (CS_FAST_SYNC, OAG_SYNC, "urllib3 backend against OpenAPI Generator"),
    }
    if key in pairs:
        client, other, label = pairs[key]
        mine, theirs = us(client), us(other)
        if mine is None or theirs is None:
            return f"{label}: not measured.{next_step}"
        return (
            f"{label}: {mine:.0f} vs {theirs:.0f} µs a get; the adapter adds a dict of headers"
            f" per request and response, the rest is clientsmith's own code"
            + (f" ({hot:.0f} µs a get in a hot loop)" if hot is not None else "")
            + f".{next_step}"
        )
    if key == "async-httpx-vs-opc":
        rps = variants.get(CS_ASYNC, {}).get("rps", {})
        theirs = variants.get(OPC_ASYNC, {}).get("rps", {})
        per = "; ".join(f"{c} in flight {rps[c]:,} vs {theirs[c]:,} req/s" for c in theirs if c in rps)
        return (
            f"default async client against openapi-python-client's: {per}. Both run on httpx's"
            " async stack, whose connection pool costs most of each request; clientsmith's"
            " transport builds requests directly and spares httpcore's search for a missing"
            f" sniffio, which its own code per call must not outweigh.{next_step}"
        )
    raise ValueError(f"no note for the call target {key!r}: add one to _call_note")


def miss_notes(results: dict[str, Any]) -> list[str]:
    """For each missed target, where the time goes (the run's own profile figures) and the next step."""
    notes: list[str] = []
    for row in results.get("targets", []):
        if row.get("result") != "miss":
            continue
        key = row.get("key", "")
        if key.startswith("generation:"):
            notes.append(_generation_note(results, key.split(":", 1)[1]))
        elif key.startswith("regen:") and key.count(":") == 2:
            _, input_name, kind = key.split(":")
            notes.append(_regeneration_note(results, input_name, kind))
        elif key == "seeds":
            cs = _cell(results, "seeds", "clientsmith")
            stages = cs.get("stages_s", {})
            notes.append(
                f"seeds: {_s(cs.get('wall_s', 0))} for five processes, about"
                f" {cs.get('wall_s', 0) / 5:.1f} s each; over the five: {_stage_text(stages, cs.get('wall_s', 0))}."
                " Each process pays its start-up and imports (datamodel-code-generator's, 0.25 s,"
                " in a child forked before the spec loads), and its render stage is almost all"
                " Jinja2 compiling the templates (a cProfile of codat.yaml). Next: keep the"
                " templates compiled between runs, as Python keeps bytecode."
            )
        elif key == "stripe":
            cs = _cell(results, "stripe", "clientsmith")
            stages = cs.get("stages_s", {})
            notes.append(
                f"stripe: {_s(cs.get('wall_s', 0))}: {_stage_text(stages, cs.get('wall_s', 0))}. 81 of its schemas"
                " form one $ref cycle that almost every other schema reaches, so the model document stays"
                " one part and datamodel-code-generator runs on one core. Next: cut inside that cycle"
                " (each part defines its share, forward references resolved by model_rebuild after the"
                " join), and run the models post-passes per part."
            )
        elif key == "import":
            rows_ = [r for r in results.get("imports", {}).get("rows", []) if r.get("tool") == "clientsmith" and r.get("import_ms") is not None]
            if rows_:
                largest = max(rows_, key=lambda r: r.get("py_kb", 0))
                notes.append(
                    f"import: {largest['package']} {largest['import_ms']:.0f} ms, of which its own code"
                    f" {largest.get('own_ms', 0):.0f} ms; httpx and pydantic take the other"
                    f" {largest['import_ms'] - largest.get('own_ms', 0):.0f} ms before any of it runs."
                    " Next: import httpx in the transport, on the first request, and pydantic with the"
                    " models, so `import pkg` costs only the package's own share."
                )
        elif key in _CALL_TARGETS:
            notes.append(_call_note(results, key))
        else:
            notes.append(f"{row['target']}: missed; no analysis written for it yet.")
    return notes


def throughput_lines(variants: dict[str, Any], calls: Any) -> list[str]:
    """The async throughput table: requests per second with 1, 16 and 128 calls in flight."""
    rows = [
        (name, info)
        for name, info in variants.items()
        if "rps" in info or "throughput_error" in info
    ]
    if not rows:
        return []
    levels = next((list(info["rps"]) for _, info in rows if "rps" in info), [])
    out = [
        f"## Async throughput over loopback (petstore_expanded get, requests per second, {calls} calls per figure, best round)",
        "",
        "| client | transport | " + " | ".join(f"{c} in flight" for c in levels) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in levels) + " |",
    ]
    for name, info in rows:
        if "rps" not in info:
            out.append(
                f"| {name} | {info.get('transport', '')} | failed: {_short(info['throughput_error'], 80)} |"
                + " |" * (len(levels) - 1)
            )
            continue
        out.append(
            f"| {name} | {info.get('transport', '')} | "
            + " | ".join(f"{info['rps'][c]:,}" for c in levels)
            + " |"
        )
    out.append("")
    return out


def targets_table(results: dict[str, Any]) -> list[str]:
    """The targets with their figures and pass/MISS, as Markdown table lines."""
    out = ["| target | measured | result |", "| --- | --- | --- |"]
    for row in results.get("targets", []):
        result = {"pass": "**pass**", "miss": "**MISS**"}.get(
            row["result"], row["result"]
        )
        out.append(f"| {row['target']} | {_short(row['figure'], 400)} | {result} |")
    return out


def readme_block(results: dict[str, Any]) -> str:
    """What the top-level README.md shows between its bench markers: where the figures
    come from, and the targets table."""
    env = results.get("environment", {})
    load = env.get("load_average_at_start") or ["?"]
    return "\n".join(
        [
            (
                f"{env.get('mode', '?').capitalize()} run of {env.get('date', '?')} (git {env.get('git', '?')}, "
                f"{env.get('cores', '?')} cores, load average {load[0]} at the start), from "
                "[benchmarks/results/latest.json](benchmarks/results/latest.json); every table in "
                "[benchmarks/results/latest.md](benchmarks/results/latest.md):"
            ),
            "",
            *targets_table(results),
            *(["", "Each miss, where the time goes and the next step:", ""] if miss_notes(results) else []),
            *(f"- {note}" for note in miss_notes(results)),
        ]
    )


def update_readme(text: str, results: dict[str, Any]) -> str:
    """``text`` (README.md) with the block between its bench markers rewritten from ``results``."""
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(
            f"README.md must hold {README_START} and {README_END} once each, in that order"
        )
    head, rest = text.split(README_START, 1)
    old, tail = rest.split(README_END, 1)
    if not old.startswith("\n"):
        raise ValueError(f"{README_START} must end its line")
    return f"{head}{README_START}\n\n{readme_block(results)}\n\n{README_END}{tail}"


def _first_call_models(row: dict[str, Any]) -> str:
    """What the first call that loads the models adds (issue 14: the import target reports it;
    the models module is imported on first use, not by ``import pkg``)."""
    if row.get("models_ms") is None:
        return ""
    return f"; the first call that loads the models adds {row['models_ms']:.0f} ms (not part of the target)"


def generation_figure(cell: dict[str, Any], env: dict[str, Any]) -> str:
    """Wall time, CPU time (user + system, child processes included: more than the wall when
    a tool uses several cores) and peak RSS of a run, with the flags that differ from the
    tool's defaults beside them (issue 14: comparable flags say so beside the figure; results
    of older runs, without ``per_spec_processes``, keep their old form)."""
    if not env.get("per_spec_processes"):
        return f"{_s(cell['wall_s'])} · {cell['peak_rss_mb']:.0f} MB"
    text = _s(cell["wall_s"])
    if cell.get("cpu_s"):
        text += f" (CPU {_s(cell['cpu_s'])})"
    text += f" · {cell['peak_rss_mb']:.0f} MB"
    if any(str(note).startswith("--lenient") for note in cell.get("notes", [])):
        text += " · `--lenient`"
    return text


REGEN_START = "<!-- regen:start -->"
REGEN_END = "<!-- regen:end -->"
_REGEN_KINDS = (
    ("cold", "cold (`--no-cache`)"),
    ("cold_filling_cache", "cold, filling the cache"),
    ("unchanged", "unchanged"),
    ("one_field", "one field added"),
    ("one_operation", "one operation added"),
)


def regeneration_targets(section: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 14's regeneration targets: an unchanged client skipped in under a second, and a
    one-field and a one-operation edit at least 5x faster than a cold run, per input."""
    rows: list[dict[str, Any]] = []
    for name, entry in section.get("inputs", {}).items():
        if entry.get("error"):
            rows.append({"key": f"regen:{name}", "target": f"regeneration on {name}", "figure": _short(entry["error"], 200), "result": "n/a"})
            continue
        cold = entry["cold"]["wall_s"]
        unchanged = entry["unchanged"]["wall_s"]
        rows.append(
            {
                "key": f"regen:{name}:unchanged",
                "target": f"unchanged {name} skipped in < {UNCHANGED_LIMIT_S:.0f} s",
                "figure": f"{unchanged:.2f} s (cold {_s(cold)})",
                "result": "pass" if unchanged < UNCHANGED_LIMIT_S else "miss",
            }
        )
        for kind, label in (("one_field", "one-field"), ("one_operation", "one-operation")):
            wall = entry[kind]["wall_s"]
            same = entry.get("identical_to_cold", {}).get(kind)
            rows.append(
                {
                    "key": f"regen:{name}:{kind}",
                    "target": f"{label} edit of {name} ≥ {EDIT_SPEEDUP:.0f}x faster than cold, same bytes",
                    "figure": f"{_s(wall)} vs {_s(cold)}: {cold / wall:.1f}x; "
                    + ("bytes identical to a cold run" if same else "BYTES DIFFER from a cold run"),
                    "result": "pass" if cold / wall >= EDIT_SPEEDUP and same else "miss",
                }
            )
    return rows


def regeneration_lines(section: dict[str, Any]) -> list[str]:
    """The regeneration table (median wall seconds of a `clientsmith generate` process) and its targets."""
    out = [
        f"### Regeneration (issue 14): wall time of `clientsmith generate`, median of {section.get('repeats', '?')}",
        "",
        "| input | " + " | ".join(label for _, label in _REGEN_KINDS) + " | units reused (field / operation) |",
        "| --- | " + " | ".join("---:" for _ in _REGEN_KINDS) + " | --- |",
    ]
    for name, entry in section.get("inputs", {}).items():
        if entry.get("error"):
            out.append(f"| {name} | " + " | ".join("" for _ in _REGEN_KINDS) + f" | {_short(entry['error'], 120)} |")
            continue
        cold = entry["cold"]["wall_s"]
        cells = []
        for kind, _ in _REGEN_KINDS:
            wall = entry[kind]["wall_s"]
            cells.append(_s(wall) if kind == "cold" else f"{wall:.2f} s ({cold / wall:.1f}x)" if wall < 1 else f"{_s(wall)} ({cold / wall:.1f}x)")
        reused = []
        for kind in ("one_field", "one_operation"):
            cache = entry[kind]["runs"][0].get("cache") or {}
            reused.append(f"{cache.get('hits', '?')} of {cache.get('hits', 0) + cache.get('misses', 0)}")
        lenient = " (`--lenient`)" if entry.get("lenient") else ""
        out.append(f"| {name}{lenient} | " + " | ".join(cells) + f" | {' / '.join(reused)} |")
    out.append("")
    out.extend(["| target | measured | result |", "| --- | --- | --- |"])
    for row in regeneration_targets(section):
        result = {"pass": "**pass**", "miss": "**MISS**"}.get(row["result"], row["result"])
        out.append(f"| {row['target']} | {row['figure']} | {result} |")
    return out


def regeneration_block(section: dict[str, Any]) -> str:
    """What README.md shows between its regeneration markers."""
    env = section.get("environment", {})
    load = env.get("load_average_at_end") or ["?"]
    return "\n".join(
        [
            (
                f"Measured {env.get('date', '?')} (git {env.get('git', '?')}, {env.get('cores', '?')} cores, load average "
                f"{load[0]} at the end), from [benchmarks/results/regeneration.json](benchmarks/results/regeneration.json) "
                "(`benchmarks/regen.py`; `make bench` runs it too):"
            ),
            "",
            *regeneration_lines(section)[2:],
        ]
    )


def update_regeneration_readme(text: str, section: dict[str, Any]) -> str:
    """``text`` (README.md) with the block between its regeneration markers rewritten from ``section``."""
    if text.count(REGEN_START) != 1 or text.count(REGEN_END) != 1:
        raise ValueError(f"README.md must hold {REGEN_START} and {REGEN_END} once each, in that order")
    head, rest = text.split(REGEN_START, 1)
    _, tail = rest.split(REGEN_END, 1)
    return f"{head}{REGEN_START}\n\n{regeneration_block(section)}\n\n{REGEN_END}{tail}"


def markdown(results: dict[str, Any]) -> str:
    env = results.get("environment", {})
    labels = results.get("labels", {})
    out: list[str] = []
    out.append("# clientsmith benchmarks (`make bench`)")
    out.append("")
    out.append(
        f"{env.get('mode', '?').capitalize()} run of {env.get('date', '?')} on {env.get('cores', '?')} cores ({env.get('machine', '?')}), "
        f"Python {env.get('python', '?')}, {env.get('java', '?')}; clientsmith {env.get('clientsmith', '?')} "
        f"(git {env.get('git', '?')}; black {env.get('black', '?')}, ruff {env.get('ruff', '?')}, datamodel-code-generator {env.get('datamodel-code-generator', '?')}), "
        f"openapi-python-client {env.get('openapi-python-client', '?')}, OpenAPI Generator {env.get('openapi-generator-cli', '?')} "
        f"(PyPI `openapi-generator-cli`, bundled jar). The whole run took {env.get('bench_wall_s', '?')} s; "
        f"load average {env.get('load_average_at_start', '?')} at the start, {env.get('load_average_at_end', '?')} at the end "
        "(other work on the machine makes every figure noisier)."
    )
    out.append("")

    out.append("## Targets (issues 6 and 14)")
    out.append("")
    out.extend(targets_table(results))
    out.append("")
    notes = miss_notes(results)
    if notes:
        out.append("### Each miss: where the time goes, and the next step")
        out.append("")
        out.extend(f"- {note}" for note in notes)
        out.append("")

    generation = results.get("generation", {})
    if generation:
        tools = ["clientsmith", "openapi-python-client", "openapi-generator"]
        out.append(
            f"## Generation: wall time (median of {env.get('repeats', '?')}) · peak RSS"
        )
        out.append("")
        out.append(
            "| input | size | " + " | ".join(labels.get(t, t) for t in tools) + " |"
        )
        out.append("| --- | ---: | " + " | ".join("---" for _ in tools) + " |")
        notes: list[str] = []
        for input_name, entry in generation.items():
            cells = []
            for tool in tools:
                cell = entry.get("tools", {}).get(tool)
                if cell is None:
                    cells.append("not run")
                    continue
                if cell.get("status") == "ok":
                    text = generation_figure(cell, env)
                    check = cell.get("import_check", {})
                    if check.get("status") == "fails":
                        text += " (output does not import)"
                        notes.append(
                            f"{labels.get(tool, tool)} on {input_name}: exits 0 but the package fails to import: {_short(check.get('error', ''), 200)}"
                        )
                    if cell.get("notes"):
                        notes.append(
                            f"{labels.get(tool, tool)} on {input_name}: {'; '.join(cell['notes'])}"
                        )
                elif cell.get("status") == "timeout":
                    text = f"timeout (> {env.get('timeout_s', 300):.0f} s)"
                    if cell.get("error"):
                        notes.append(
                            f"{labels.get(tool, tool)} on {input_name}: {_short(cell['error'], 300)}"
                        )
                elif cell.get("status") == "skipped":
                    text = f"skipped ({cell.get('error', '')})"
                else:
                    text = f"{cell.get('status', '?')}: {_short(cell.get('error', ''), 90)}"
                    if cell.get("wall_s"):
                        text += f" (after {_s(cell['wall_s'])}, {cell.get('peak_rss_mb', 0):.0f} MB)"
                cells.append(text)
            out.append(
                f"| {entry.get('label', input_name)} | {entry.get('size_kb', '?')} KB | "
                + " | ".join(cells)
                + " |"
            )
        out.append("")
        if notes:
            out.extend(f"- {note}" for note in notes)
            out.append("")

        stage_rows = []
        order = [
            "import",
            "load",
            "validate",
            "parse",
            "models",
            "render",
            "format",
            "write",
        ]
        for input_name, entry in generation.items():
            cell = entry.get("tools", {}).get("clientsmith", {})
            stages = cell.get("stages_s")
            if cell.get("status") == "ok" and stages:
                wall = cell["wall_s"]
                # The median run's stages; "startup" is the wall time no timer saw (interpreter start, exit).
                median_run = sorted(cell["runs"], key=lambda r: r["wall_s"])[
                    (len(cell["runs"]) - 1) // 2
                ]
                other = median_run["wall_s"] - sum(stages.get(k, 0) for k in order)
                stage_rows.append(
                    f"| {input_name} | {_s(wall)} | "
                    + " | ".join(f"{stages.get(k, 0):.2f}" for k in order)
                    + f" | {max(other, 0):.2f} |"
                )
        if stage_rows:
            out.append(
                "### Where clientsmith's generation time goes (seconds, median run)"
            )
            out.append("")
            out.append(
                "| input | wall | imports | load | validate | parse | models (datamodel-code-generator) | render | format | write | startup and rest |"
            )
            out.append(
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            )
            out.extend(stage_rows)
            out.append("")

    if results.get("regeneration"):
        out.extend(regeneration_lines(results["regeneration"]))
        out.append("")

    runtime = results.get("runtime", {})
    if runtime:
        out.append(
            f"## Per call over loopback (petstore_expanded get/list, median µs of {runtime.get('calls', '?')} calls, best of {runtime.get('rounds', '?')} rounds)"
        )
        out.append("")
        if runtime.get("error"):
            out.append(f"Not measured: {runtime['error']}")
            out.append("")
        variants = runtime.get("variants", {})
        floors = {
            op: [
                v[f"{op}_us"]
                for v in variants.values()
                if v.get("kind") == "floor" and f"{op}_us" in v
            ]
            for op in ("get", "list")
        }
        fastest = {op: min(values) if values else None for op, values in floors.items()}
        out.append(
            "| client | transport | get µs | list µs | get × fastest floor | list × fastest floor |"
        )
        out.append("| --- | --- | ---: | ---: | ---: | ---: |")
        for name, info in variants.items():
            if info.get("kind") == "breakdown":
                continue
            if "get_us" not in info:
                out.append(
                    f"| {name} | {info.get('transport', '')} | failed: {_short(info.get('error', '?'), 80)} | | | |"
                )
                continue
            ratios = [
                f"{info[f'{op}_us'] / fastest[op]:.2f}x" if fastest[op] else ""
                for op in ("get", "list")
            ]
            out.append(
                f"| {name} | {info.get('transport', '')} | {info['get_us']:.0f} | {info['list_us']:.0f} | {ratios[0]} | {ratios[1]} |"
            )
        out.append("")
        breakdown = [
            (n, i)
            for n, i in variants.items()
            if i.get("kind") == "breakdown" and "get_us" in i
        ]
        if breakdown:
            out.append("Without sockets (what the libraries themselves cost per call):")
            out.append("")
            out.append("| measurement | get µs | list µs |")
            out.append("| --- | ---: | ---: |")
            for name, info in breakdown:
                out.append(
                    f"| {name.removeprefix('breakdown: ')} | {info['get_us']:.1f} | {info['list_us']:.1f} |"
                )
            out.append("")
            out.extend(_overhead_lines(variants))
        out.extend(throughput_lines(variants, runtime.get("calls", "?")))
        for tool, problem in runtime.get("problems", {}).items():
            out.append(f"- {tool}: not measured: {_short(problem, 200)}")
        if runtime.get("problems"):
            out.append("")

    imports = results.get("imports", {})
    if imports:
        out.append(
            f"## Import time (`python -X importtime`, cumulative ms of the package, median of {imports.get('repeats', '?')})"
        )
        out.append("")
        if imports.get("error"):
            out.append(f"Not measured: {imports['error']}")
            out.append("")
        out.append(
            "| package | from | generated by | code | `import pkg` ms | own ms (httpx, pydantic already imported) | `import pkg.models` on top, ms |"
        )
        out.append("| --- | --- | --- | ---: | ---: | ---: | ---: |")
        for row in imports.get("rows", []):
            if row.get("error"):
                what = (
                    row["error"]
                    if row["error"].startswith("skipped")
                    else f"failed: {_short(row['error'], 100)}"
                )
                out.append(
                    f"| {row['package']} | {row.get('source', '')} | {row.get('tool', '')} | {row.get('py_kb', '?')} KB | {what} | | |"
                )
                continue

            def ms(value: Any, error_key: str = "", row: dict[str, Any] = row) -> str:
                if error_key and row.get(error_key):
                    return f"fails: {_short(row[error_key], 80)}"
                return "" if value is None else f"{value:.0f}"

            out.append(
                f"| {row['package']} | {row.get('source', '')} | {labels.get(row.get('tool', ''), row.get('tool', ''))} | {row.get('py_kb', '?')} KB | "
                f"{ms(row.get('import_ms'))} | {ms(row.get('own_ms'), 'own_error')} | {ms(row.get('models_ms'), 'models_error')} |"
            )
        out.append("")
    return "\n".join(out)


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    results = json.loads((root / "benchmarks" / "results" / "latest.json").read_text("utf-8"))
    readme = root / "README.md"
    readme.write_text(update_readme(readme.read_text("utf-8"), results), "utf-8")
    print(f"rewrote the bench block of {readme} from benchmarks/results/latest.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
