"""README.md's opening and its performance table stay true.

* The first screen shows the two commands and a generated client in use; that snippet runs,
  against a fake of Airflow's connection API on 127.0.0.1 (the one tests/test_lower_bounds.py
  uses), and prints what the README says it prints.
* The table under "Performance" is the block ``make bench`` writes between
  ``<!-- bench:start -->`` and ``<!-- bench:end -->`` (benchmarks/report.py): it must be what
  the committed benchmarks/results/latest.json gives, as must latest.md, and that file must come
  from a full run (quick and partial runs write partial.*, see benchmarks/run.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fault_server import FaultServer
from tests.test_lower_bounds import TOKEN, FakeAirflow

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results"
FIRST_SCREEN = 45  # lines


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _load("report")


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)


def readme() -> str:
    return README.read_text("utf-8")


def latest() -> dict[str, Any]:
    results: dict[str, Any] = json.loads((RESULTS / "latest.json").read_text("utf-8"))
    return results


# --- the opening ------------------------------------------------------------------------------


def test_the_first_screen_shows_the_two_commands_and_a_client_in_use() -> None:
    screen = "\n".join(readme().splitlines()[:FIRST_SCREEN]) + "\n"
    [commands] = blocks(screen, "sh")
    assert [line.split("#")[0].strip() for line in commands.splitlines()] == ["make generate", "make test"]
    [snippet] = blocks(screen, "python")
    assert "from airflow_client import Client" in snippet and "with Client(" in snippet, snippet
    assert blocks(screen, "text"), "what the snippet prints is shown too"


@pytest.fixture(scope="module")
def fake_airflow() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_snippet_runs_and_prints_what_the_readme_says(fake_airflow: FaultServer) -> None:
    snippet = blocks(readme(), "python")[0]
    printed = blocks(readme(), "text")[0]
    assert snippet.count('base_url="http://localhost:8080"') == 1, "the test points the snippet's base_url at the fake"
    fake_airflow.script()
    fake_airflow.fallback = FakeAirflow()
    result = subprocess.run(
        [sys.executable, "-c", snippet.replace("http://localhost:8080", fake_airflow.url)],
        cwd=ROOT / "generated" / "airflow_client",
        env={**os.environ, "AIRFLOW_CLIENT_ACCESS_TOKEN": TOKEN, "PYTHONDONTWRITEBYTECODE": "1", "NO_PROXY": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed, f"README.md says the snippet prints\n{printed}but it printed\n{result.stdout}"
    calls = [(request.method, request.path) for request in fake_airflow.received]
    assert calls == [
        ("POST", "/api/v2/connections"),
        ("GET", "/api/v2/connections"),
        ("GET", "/api/v2/connections/missing"),
    ], "no retries: 404 is not retried"


# --- the performance block --------------------------------------------------------------------


def test_the_committed_results_are_a_full_run_in_the_format_the_report_reads() -> None:
    results = latest()
    assert results["environment"]["mode"] == "full", "latest.json must come from a full `make bench`, never a quick run"
    assert {"environment", "generation", "runtime", "imports", "labels", "targets"} <= set(results)
    assert results["targets"], "latest.json lists the targets"
    for row in results["targets"]:
        assert set(row) == {"key", "target", "figure", "result"} and row["result"] in ("pass", "miss", "n/a"), row
    assert results["targets"] == report.targets(results), "the targets of latest.json are what report.targets gives from its figures"


def test_readme_block_is_what_latest_json_gives() -> None:
    text = readme()
    assert text.count(report.README_START) == 1 and text.count(report.README_END) == 1
    assert report.update_readme(text, latest()) == text, (
        "README.md's bench block is not what benchmarks/results/latest.json gives: run "
        "`python benchmarks/report.py` (or a full `make bench`), do not edit the block by hand"
    )
    block = text.split(report.README_START, 1)[1].split(report.README_END, 1)[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith(("| target ", "| ---"))]
    assert len(rows) == len(latest()["targets"]), "a row per target"
    assert all(row.endswith(("| **pass** |", "| **MISS** |", "| n/a |")) for row in rows), rows
    assert block.lstrip().startswith(f"Full run of {latest()['environment']['date']} (git {latest()['environment']['git']}, "), block


def test_latest_md_is_what_latest_json_gives() -> None:
    assert (RESULTS / "latest.md").read_text("utf-8") == report.markdown(latest()), (
        "benchmarks/results/latest.md and latest.json come from the same run; regenerate both with `make bench`"
    )


def test_every_missed_target_is_explained_with_the_runs_figures() -> None:
    """Issue 14 is done when each target is met or its miss explained with a profile and the next
    step: every miss of the last full run gets its note, built from that run's own figures."""
    results = latest()
    misses = [row for row in report.targets(results) if row["result"] == "miss"]
    notes = report.miss_notes({**results, "targets": misses})
    assert len(notes) == len(misses), f"one note per missed target: {len(notes)} notes for {len(misses)} misses"
    for row, note in zip(misses, notes):
        assert "no analysis written" not in note, f"the miss of {row['target']!r} has no analysis: add one to report.miss_notes"
        assert "Next:" in note, f"the note on {row['target']!r} names no next step: {note}"
        assert re.search(r"\d", note), f"the note on {row['target']!r} cites no figure of the run: {note}"


def test_update_readme_rewrites_only_the_block() -> None:
    text = f"# title\n\nbefore\n\n{report.README_START}\n\nold table\n\n{report.README_END}\n\nafter\n"
    results = {**latest(), "targets": [{"target": "t", "figure": "1 s", "result": "pass"}]}
    updated = report.update_readme(text, results)
    assert updated.startswith(f"# title\n\nbefore\n\n{report.README_START}\n\n") and updated.endswith(f"\n\n{report.README_END}\n\nafter\n")
    assert "old table" not in updated and "| t | 1 s | **pass** |" in updated
    assert report.update_readme(updated, results) == updated, "rewriting is idempotent"
    for broken in (text.replace(report.README_END, ""), text + report.README_START + "\n"):
        with pytest.raises(ValueError, match="once each"):
            report.update_readme(broken, results)


@pytest.mark.parametrize(
    ("environment", "name"),
    [
        ({}, "latest"),
        ({"BENCH_QUICK": ""}, "latest"),  # what `make bench` passes when BENCH_QUICK is unset
        ({"BENCH_QUICK": "1"}, "partial"),
        ({"BENCH_INPUTS": "seeds"}, "partial"),
        ({"BENCH_SECTIONS": "generation"}, "partial"),
        ({"BENCH_REPEATS": "1"}, "partial"),
    ],
)
def test_only_a_full_run_replaces_the_committed_results(environment: dict[str, str], name: str) -> None:
    knobs = ("BENCH_QUICK", "BENCH_INPUTS", "BENCH_TOOLS", "BENCH_SECTIONS", "BENCH_REPEATS", "BENCH_CALLS", "BENCH_CORPUS")
    env = {key: value for key, value in os.environ.items() if key not in knobs} | environment
    result = subprocess.run(
        [sys.executable, "-c", "import run; print(run.results_name())"],
        cwd=ROOT / "benchmarks",
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == name
