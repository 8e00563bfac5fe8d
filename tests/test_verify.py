"""``clientsmith verify`` on every spec we have: the project's specs, the corpus of real
public specs and the coverage fixture. Each run generates the client, checks every
operation against openapi-core and the spec's schemas, and runs ``mypy --strict``.

``make test`` draws a few examples per operation and check (CLIENTSMITH_VERIFY_EXAMPLES,
default 2); ``make verify`` draws hundreds. A failure prints verify's own report: each
failing check with its spec pointer and minimal example; rerun
``clientsmith verify SPEC`` to reproduce it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = int(os.environ.get("CLIENTSMITH_VERIFY_EXAMPLES", "2"))

PROJECT_SPECS = sorted(path.name for path in (ROOT / "specs").glob("*.yaml"))

#: Corpus file -> extra options (invalid upstream files need --lenient, see the corpus README).
CORPUS_SPECS: dict[str, list[str]] = {
    "petstore_expanded.yaml": [],
    "bandwidth.yaml": [],
    "box.json": [],
    "codat_lending.yaml": [],
    "huggingface_tgi.json": ["--lenient"],
    "svix.json": ["--lenient"],
    "mistral.yaml": ["--lenient"],
    "airbyte_config_latest.yaml": ["--lenient"],
    "airbyte_public_api_sdk.yaml": ["--lenient"],
    "algolia_search/search/spec.yml": ["--lenient", "--ref-root", str(CORPUS / "algolia_search")],
    # 417 operations whose objects are large and expand into each other: 7 minutes and 520 MB
    # at two examples (generation included), the longest run here; it starts first
    "stripe_spec3.json": [],
}


def verify(spec: Path, *options: str, examples: int = EXAMPLES) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "generator", "verify", str(spec), "--examples", str(examples), "--seed", "1", *options]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, timeout=3600)


#: Every spec verify runs on in this module, largest first: they run two at a time (one per
#: core) from the first test on, and each test waits for its own.
ALL_SPECS: list[tuple[Path, tuple[str, ...]]] = sorted(
    [(ROOT / "specs" / name, ()) for name in PROJECT_SPECS]
    + [(FIXTURES / name, ()) for name in ("coverage.yaml", "features.yaml", "pagination.yaml", "events.yaml", "servers.yaml")]
    # test_corpus.py already runs mypy --strict on every corpus client (minutes on the large ones)
    + [(CORPUS / name, (*options, "--no-mypy")) for name, options in CORPUS_SPECS.items()],
    key=lambda item: -item[0].stat().st_size if item[0].exists() else 0,
)


def _name(spec: Path) -> str:
    return spec.relative_to(CORPUS).as_posix() if CORPUS in spec.parents else spec.name


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[dict[Path, Future[subprocess.CompletedProcess[str]]]]:
    # Only the specs of the tests selected in this session (``-k`` runs one spec, not all).
    wanted = {
        item.callspec.params["name"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and hasattr(item, "callspec") and "name" in item.callspec.params
    }
    with ThreadPoolExecutor(max_workers=int(os.environ.get("CLIENTSMITH_VERIFY_JOBS", "2"))) as pool:
        futures = {spec: pool.submit(verify, spec, *options) for spec, options in ALL_SPECS if spec.exists() and _name(spec) in wanted}
        yield futures
        for future in futures.values():
            future.cancel()


def assert_verified(done: subprocess.CompletedProcess[str], spec: Path) -> None:
    failing = [line for line in done.stdout.splitlines() if line.startswith(("FAIL", "     minimal"))]
    assert done.returncode == 0, (
        f"clientsmith verify {spec} exited {done.returncode}; the generated client disagrees with its spec:\n"
        + "\n".join(failing[:40] or done.stdout.splitlines()[-40:])
        + f"\n{done.stderr[-3000:]}\nreproduce with: .venv/bin/clientsmith verify {spec}"
    )
    assert "0 failing" in done.stdout, done.stdout[-2000:]
    if spec.parent != CORPUS and CORPUS not in spec.parents:
        assert "types (mypy --strict): ok" in done.stdout, done.stdout[-2000:]


@pytest.mark.parametrize("name", PROJECT_SPECS)
def test_project_specs_verify(name: str, runs: dict[Path, Future[subprocess.CompletedProcess[str]]]) -> None:
    spec = ROOT / "specs" / name
    assert_verified(runs[spec].result(), spec)


@pytest.mark.parametrize("name", ["coverage.yaml", "features.yaml", "pagination.yaml", "events.yaml", "servers.yaml"])
def test_fixture_specs_verify(name: str, runs: dict[Path, Future[subprocess.CompletedProcess[str]]]) -> None:
    spec = FIXTURES / name
    assert_verified(runs[spec].result(), spec)


@pytest.mark.parametrize("name", sorted(CORPUS_SPECS))
def test_corpus_specs_verify(name: str, runs: dict[Path, Future[subprocess.CompletedProcess[str]]]) -> None:
    spec = CORPUS / name
    if not spec.exists():
        pytest.fail(f"corpus file {spec} is missing: the corpus is expected next to the repository (../shared/corpus)")
    assert_verified(runs[spec].result(), spec)


def test_json_report_is_deterministic_with_a_seed() -> None:
    spec = CORPUS / "petstore_expanded.yaml"
    first = verify(spec, "--format", "json", "--no-mypy", examples=5)
    second = verify(spec, "--format", "json", "--no-mypy", examples=5)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout == second.stdout
    report = json.loads(first.stdout)
    assert report["passed"] is True
    assert [o["name"] for o in report["operations"]] == [
        "default.find_pets",
        "default.add_pet",
        "default.find_pet_by_id",
        "default.delete_pet",
    ]
    assert all(o["checks"]["request"] == "ok" for o in report["operations"])
    assert report["types"]["result"] == "-"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "xml"], "--format must be text or json"),
        (["--examples", "0"], "--examples"),
    ],
)
def test_usage_errors_exit_2(options: list[str], message: str) -> None:
    command = [sys.executable, "-m", "generator", "verify", str(CORPUS / "petstore_expanded.yaml"), *options]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_spec_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = verify(tmp_path / "nope.yaml")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "nope.yaml" in done.stderr and len(done.stderr.strip().splitlines()) == 1
