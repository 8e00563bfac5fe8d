"""clientsmith benchmarks side by side with the peers (issue 6): ``make bench``.

Sections, all in one run on the same machine:

1. generation: wall time (median of 3) and peak RSS of clientsmith, openapi-python-client
   and OpenAPI Generator (python) on the five seed specs together, the Airflow REST API v2
   full spec, Stripe's spec and airbyte_config_latest;
2. per call over loopback: floors (urllib3/httpx + pydantic, async httpx) against the
   clientsmith sync and async clients and the peers' clients of the same petstore spec;
3. import time of every generated package and of the largest corpus client.

Writes benchmarks/results/latest.json and latest.md, rewrites the bench block of README.md
(both only for a full run; quick and partial runs write partial.json and partial.md) and
prints the tables. Everything it
needs (peer tools, the runtime venv, the Airflow spec) is installed into
benchmarks/.work/ on first use. ``BENCH_QUICK=1`` is a smoke run: one repetition, small
inputs, fewer calls. See benchmarks/README.md.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _proc
import regen
import report

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
CORPUS = Path(os.environ.get("BENCH_CORPUS") or ROOT.parent / "shared" / "corpus")

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "300"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "1" if QUICK else "3"))
CALLS = int(os.environ.get("BENCH_CALLS", "300" if QUICK else "2000"))
WARMUP = 50 if QUICK else 200
ROUNDS = 1 if QUICK else 3
IMPORT_REPEATS = 1 if QUICK else 3
# Comma-separated filters for development runs (default: everything).
ONLY_INPUTS = {s for s in os.environ.get("BENCH_INPUTS", "").split(",") if s}
ONLY_TOOLS = {s for s in os.environ.get("BENCH_TOOLS", "").split(",") if s}
ONLY_SECTIONS = {s for s in os.environ.get("BENCH_SECTIONS", "").split(",") if s}

# Pinned peers and inputs.
OPC_PIN = "openapi-python-client==0.29.1"
OAG_PIN = "openapi-generator-cli==7.26.0"
AIRFLOW_PIN = "apache-airflow-core==3.3.2"
AIRFLOW_MEMBER = re.compile(r"(^|/)openapi/v2-rest-api-generated\.yaml$")
# GitHub's REST API description (1,200+ operations), from npm (issue 14: a 1,000+ operation input).
GITHUB_PIN = "@octokit/openapi@23.0.2"
GITHUB_MEMBER = "package/generated/api.github.com.json"
RUNTIME_EXTRA_PINS = [
    "urllib3==2.8.0",  # the OpenAPI Generator client and the urllib3 floor
    "attrs==26.1.0",  # openapi-python-client models
    "python-dateutil==2.9.0.post0",  # OpenAPI Generator client
    "typing-extensions==4.16.0",
]

MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
TOOLS = ["clientsmith", "openapi-python-client", "openapi-generator"]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wanted(kind: str, name: str) -> bool:
    only = {"input": ONLY_INPUTS, "tool": ONLY_TOOLS, "section": ONLY_SECTIONS}[kind]
    return not only or name in only


# -- setup ----------------------------------------------------------------------------


def pip_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PYTHONDONTWRITEBYTECODE": "0",
        }
    )
    env.pop("PYTHONPATH", None)
    return env


def ensure_venv(name: str, requirements: list[str]) -> tuple[Path | None, str]:
    """A venv under .work with exactly ``requirements``; (python, "") or (None, error)."""
    folder = WORK / name
    stamp = folder / ".bench-requirements"
    wanted_text = "\n".join(requirements)
    python = folder / "bin" / "python"
    if stamp.is_file() and stamp.read_text() == wanted_text and python.exists():
        return python, ""
    log(f"setting up {name}: {' '.join(requirements)}")
    shutil.rmtree(folder, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    for command in (
        [base, "-m", "venv", str(folder)],
        [str(python), "-m", "pip", "install", "--quiet", *requirements],
    ):
        run = _proc.run(
            command, timeout=900, env=pip_env(), log=WORK / f"{name}.setup.log"
        )
        if run.status != "ok":
            return (
                None,
                f"cannot install {' '.join(requirements)}: {run.first_error_line()}",
            )
    stamp.write_text(wanted_text)
    return python, ""


def java_version() -> tuple[str | None, str]:
    java = shutil.which("java")
    if java is None:
        return None, "Java not found (OpenAPI Generator needs Java 11+)"
    run = _proc.run([java, "-version"], timeout=60)
    if run.status != "ok":
        return None, f"java -version failed: {run.first_error_line()}"
    first = run.output.strip().splitlines()[0] if run.output.strip() else "java"
    return first, ""


def airflow_spec() -> tuple[Path | None, str]:
    """The Airflow REST API v2 full spec from the apache-airflow-core wheel (cached)."""
    target = WORK / "inputs" / "airflow_v2_full.yaml"
    stamp = target.with_suffix(".source")
    if target.is_file() and stamp.is_file() and stamp.read_text() == AIRFLOW_PIN:
        return target, ""
    download = WORK / "download"
    shutil.rmtree(download, ignore_errors=True)
    log(f"downloading {AIRFLOW_PIN} (for its OpenAPI spec)")
    run = _proc.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(download),
            AIRFLOW_PIN,
        ],
        timeout=900,
        env=pip_env(),
    )
    if run.status != "ok":
        return None, f"pip download {AIRFLOW_PIN} failed: {run.first_error_line()}"
    wheels = sorted(download.glob("*.whl"))
    if not wheels:
        return None, f"pip download {AIRFLOW_PIN} gave no wheel"
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = [name for name in wheel.namelist() if AIRFLOW_MEMBER.search(name)]
        if not members:
            return None, f"no openapi/v2-rest-api-generated.yaml in {wheels[0].name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel.read(min(members, key=len)))
    stamp.write_text(AIRFLOW_PIN)
    shutil.rmtree(download, ignore_errors=True)
    return target, ""


def seed_specs() -> list[tuple[Path, str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    clients = data.get("tool", {}).get("clientsmith", {}).get("clients", [])
    return [
        (ROOT / c["spec"], c.get("package") or Path(c["spec"]).stem) for c in clients
    ]


def clientsmith_has_lenient() -> bool:
    run = _proc.run(
        [str(MAIN_PYTHON), "-m", "generator", "generate", "--help"],
        timeout=120,
        cwd=ROOT,
    )
    return "--lenient" in run.output


# -- generation -----------------------------------------------------------------------


class Tool:
    """How to run one generator on one spec; ``unavailable`` says why it cannot run."""

    def __init__(self, name: str, label: str, unavailable: str = "") -> None:
        self.name = name
        self.label = label
        self.unavailable = unavailable

    def commands(
        self, spec_list: list[tuple[Path, str]], out: Path, lenient: bool
    ) -> list[tuple[list[str], dict[str, str], str]]:
        raise NotImplementedError

    def package_dirs(self, out: Path) -> list[Path]:
        """Folders to put on sys.path to import what was generated into ``out``."""
        raise NotImplementedError


class Clientsmith(Tool):
    def commands(self, spec_list, out, lenient):  # type: ignore[no-untyped-def]
        env = dict(os.environ, BENCH_STAGES_OUT=str(WORK / "stages.json"))
        base = [str(MAIN_PYTHON), str(BENCH / "cs_stages.py"), "generate"]
        # One process per spec, as the peers run (issue 14, "the bench itself"): an input of
        # several specs costs each process's start-up, for every tool alike.
        return [clientsmith_command(base, spec, out / package, package, lenient, env) for spec, package in spec_list]

    def package_dirs(self, out):  # type: ignore[no-untyped-def]
        return sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []


def clientsmith_command(
    base: list[str], spec: Path, output: Path, package: str, lenient: bool, env: dict[str, str]
) -> tuple[list[str], dict[str, str], str]:
    """``clientsmith generate`` of one spec (``--lenient`` where the input needs it), cold:
    ``--no-cache``, since the repetitions would otherwise reuse what the first one cached (the
    regeneration section measures the cache)."""
    command = [*base, str(spec), "--output", str(output), "--package-name", package, "--no-cache"]
    if lenient:
        command.append("--lenient")
    return (command, env, spec.name)


class OpenapiPythonClient(Tool):
    def __init__(self, venv: Path | None, unavailable: str) -> None:
        super().__init__(
            "openapi-python-client",
            f"openapi-python-client {OPC_PIN.split('==')[1]}",
            unavailable,
        )
        self.venv = venv

    def commands(self, spec_list, out, lenient):  # type: ignore[no-untyped-def]
        assert self.venv is not None
        binary = self.venv.parent / "openapi-python-client"
        # Its post-generation hooks run `ruff` from PATH: give it the venv's.
        env = dict(
            os.environ,
            PATH=f"{self.venv.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        return [
            (
                [
                    str(binary),
                    "generate",
                    "--path",
                    str(spec),
                    "--output-path",
                    str(out / package),
                    "--overwrite",
                ],
                env,
                spec.name,
            )
            for spec, package in spec_list
        ]

    def package_dirs(self, out):  # type: ignore[no-untyped-def]
        return sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []


class OpenapiGenerator(Tool):
    def __init__(self, venv: Path | None, unavailable: str) -> None:
        super().__init__(
            "openapi-generator",
            f"OpenAPI Generator {OAG_PIN.split('==')[1]} (python)",
            unavailable,
        )
        self.venv = venv

    def commands(self, spec_list, out, lenient):  # type: ignore[no-untyped-def]
        assert self.venv is not None
        binary = self.venv.parent / "openapi-generator-cli"
        return [
            (
                [
                    str(binary),
                    "generate",
                    "-g",
                    "python",
                    "-i",
                    str(spec),
                    "-o",
                    str(out / package),
                    f"--additional-properties=packageName={package}",
                ],
                dict(os.environ),
                spec.name,
            )
            for spec, package in spec_list
        ]

    def package_dirs(self, out):  # type: ignore[no-untyped-def]
        return sorted(p for p in out.iterdir() if p.is_dir()) if out.is_dir() else []


def github_spec() -> tuple[Path | None, str]:
    """GitHub's REST API description from the npm package ``@octokit/openapi`` (cached):
    ``npm pack`` fetches the tarball (no install, no scripts), one JSON file is kept."""
    target = WORK / "inputs" / "api.github.com.json"
    stamp = target.with_suffix(".source")
    if target.is_file() and stamp.is_file() and stamp.read_text() == GITHUB_PIN:
        return target, ""
    npm = shutil.which("npm")
    if npm is None:
        return None, f"npm not found (needed to fetch {GITHUB_PIN})"
    download = WORK / "download-npm"
    shutil.rmtree(download, ignore_errors=True)
    download.mkdir(parents=True)
    log(f"fetching {GITHUB_PIN} with npm pack (for GitHub's OpenAPI description)")
    run = _proc.run([npm, "pack", "--silent", "--ignore-scripts", GITHUB_PIN], timeout=900, cwd=download)
    tarballs = sorted(download.glob("*.tgz"))
    if run.status != "ok" or not tarballs:
        return None, f"npm pack {GITHUB_PIN} failed: {run.first_error_line()}"
    import tarfile

    with tarfile.open(tarballs[0]) as archive:
        member = archive.extractfile(GITHUB_MEMBER)
        if member is None:
            return None, f"no {GITHUB_MEMBER} in {tarballs[0].name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(member.read())
    stamp.write_text(GITHUB_PIN)
    shutil.rmtree(download, ignore_errors=True)
    return target, ""


def github_input() -> dict[str, Any]:
    """The GitHub input of the generation section (fetched only when selected)."""
    spec, error = github_spec() if wanted("input", "github") else (None, "not selected")
    item: dict[str, Any] = {
        "name": "github",
        "label": f"GitHub REST API ({GITHUB_PIN.lstrip('@')}, api.github.com.json)",
        "specs": [(spec, "github_client")] if spec else [],
        "quick": False,
    }
    if spec is None:
        item["missing"] = error
    item["size_kb"] = round(spec.stat().st_size / 1024) if spec else 0
    return item


def generation_inputs(airflow: Path | None, airflow_error: str) -> list[dict[str, Any]]:
    seeds = seed_specs()
    inputs: list[dict[str, Any]] = [
        {
            "name": "seeds",
            "label": f"the {len(seeds)} seed specs together",
            "specs": seeds,
            "quick": True,
        },
        {
            "name": "airflow_v2_full",
            "label": f"Airflow REST API v2 full ({AIRFLOW_PIN.replace('==', ' ')})",
            "specs": [(airflow, "airflow_v2")] if airflow else [],
            "missing": airflow_error,
            "quick": True,
        },
        {
            "name": "stripe",
            "label": "stripe_spec3.json",
            "specs": [(CORPUS / "stripe_spec3.json", "stripe_client")],
            "quick": False,
        },
        {
            "name": "airbyte_config_latest",
            "label": "airbyte_config_latest.yaml",
            "specs": [(CORPUS / "airbyte_config_latest.yaml", "airbyte_config_latest")],
            "quick": False,
            "lenient": True,
        },
    ]
    for item in inputs:
        for spec, _ in item["specs"]:
            if not spec.is_file():
                item["missing"] = f"input not found: {spec}"
        size = sum(spec.stat().st_size for spec, _ in item["specs"] if spec.is_file())
        item["size_kb"] = round(size / 1024)
    return inputs


def run_generation(
    tool: Tool, item: dict[str, Any], lenient: bool, out: Path
) -> dict[str, Any]:
    """One repetition: every command of the tool for this input, in sequence."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    stages_file = WORK / "stages.json"
    stages_file.unlink(missing_ok=True)
    wall = 0.0
    cpu = 0.0
    peak = 0.0
    status = "ok"
    errors: list[str] = []
    notes: list[str] = []
    for command, env, what in tool.commands(item["specs"], out, lenient):
        run = _proc.run(
            command, timeout=TIMEOUT, env=env, cwd=ROOT, log=WORK / "last-run.log"
        )
        wall += run.wall_s
        cpu += run.cpu_s
        peak = max(peak, run.peak_rss_mb)
        skipped = run.output.count("Endpoint will not be generated")
        if skipped:
            notes.append(f"{what}: skipped {skipped} endpoint(s)")
        elif (
            tool.name == "openapi-python-client"
            and "Warning(s) encountered" in run.output
        ):
            notes.append(f"{what}: warnings")
        if lenient and tool.name == "clientsmith" and run.status == "ok":
            warnings = sum(
                1
                for line in run.output.splitlines()
                if line.lower().startswith("warning")
            )
            notes.append(f"--lenient, {warnings} validation warning(s)")
        if run.status != "ok":
            status = (
                "timeout"
                if run.status == "timeout"
                else (status if status == "timeout" else "failed")
            )
            detail = (
                f"timed out after {TIMEOUT:.0f} s"
                if run.status == "timeout"
                else peer_error(run.output) or run.first_error_line()
            )
            errors.append(f"{what}: {detail}" if len(item["specs"]) > 1 else detail)
    result: dict[str, Any] = {
        "status": status,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(peak, 1),
    }
    if errors:
        result["error"] = "; ".join(errors)
    if notes:
        result["notes"] = notes
    if tool.name == "clientsmith" and stages_file.is_file():
        try:
            result["stages_s"] = {
                k: round(v, 3) for k, v in json.loads(stages_file.read_text()).items()
            }
        except (OSError, ValueError):
            pass
    return result


def peer_error(output: str) -> str:
    """A more telling first error line for the peers' known failure shapes."""
    lines = output.splitlines()
    if (
        "SpecValidationException" in output
    ):  # OpenAPI Generator's validator: name the first finding
        findings = [line.strip() for line in lines if line.strip().startswith("-")]
        return "spec validation failed" + (
            f": {findings[0].lstrip('-')}" if findings else ""
        )
    if "ruff failed" in output:  # openapi-python-client wrote code that does not parse
        errors = [line.strip() for line in lines if line.strip().startswith("error:")]
        return "generated code does not parse" + (
            f": {errors[0].removeprefix('error: ')}" if errors else ""
        )
    for line in lines:
        match = re.search(
            r"Exception in thread \"main\" ([\w.$]+(?:Exception|Error)\S*:?.*)", line
        )
        if match:
            return match.group(1)[:300]
    if (
        "Traceback (most recent call last)" in output
    ):  # a Python crash (rich wraps the message)
        starts = [
            i
            for i, line in enumerate(lines)
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception)\b", line)
        ]
        if starts:
            message = []
            for line in lines[starts[-1] :]:
                if not line.strip():
                    break
                message.append(line.strip())
            return " ".join(message)[:300]
    return ""


def import_check(python: Path | None, dirs: list[Path]) -> dict[str, Any]:
    """Import every module of each generated package (is what was generated usable?)."""
    if python is None or not dirs:
        return {"status": "not checked"}
    code = (
        "import importlib, pkgutil, sys\n"
        "for folder in sys.argv[1:]:\n"
        "    sys.path.insert(0, folder)\n"
        "    for entry in sorted(__import__('os').listdir(folder)):\n"
        "        if entry not in ('test', 'tests') and entry.isidentifier() and __import__('os').path.isfile(f'{folder}/{entry}/__init__.py'):\n"
        "            package = importlib.import_module(entry)\n"
        "            for info in pkgutil.walk_packages(package.__path__, entry + '.'):\n"
        "                if '.test' not in info.name:\n"
        "                    importlib.import_module(info.name)\n"
    )
    run = _proc.run(
        [str(python), "-c", code, *map(str, dirs)], timeout=TIMEOUT, cwd=WORK
    )
    if run.status == "ok":
        return {"status": "ok", "wall_s": round(run.wall_s, 2)}
    detail = "timed out" if run.status == "timeout" else _last_error_line(run.output)
    return {"status": "fails", "error": detail}


def _last_error_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception)\b", line):
            return line[:300]
    return lines[-1][:300] if lines else "no output"


def generation_section(
    tools: list[Tool],
    inputs: list[dict[str, Any]],
    runtime_python: Path | None,
    lenient_ok: bool,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for item in inputs:
        name = item["name"]
        if not wanted("input", name):
            continue
        entry: dict[str, Any] = {
            "label": item["label"],
            "size_kb": item.get("size_kb"),
            "tools": {},
        }
        results[name] = entry
        for tool in tools:
            cell: dict[str, Any]
            if not wanted("tool", tool.name):
                continue
            if QUICK and not item["quick"]:
                cell = {"status": "skipped", "error": "quick mode"}
            elif item.get("missing"):
                cell = {"status": "failed", "error": item["missing"]}
            elif tool.unavailable:
                cell = {"status": "cannot run", "error": tool.unavailable}
            else:
                cell = {"runs": []}
            entry["tools"][tool.name] = cell
        pending = [t for t in tools if "runs" in entry["tools"].get(t.name, {})]
        # Repetitions interleave the tools, so a slow phase of the machine hits all of them.
        for repetition in range(REPEATS):
            for tool in pending:
                cell = entry["tools"][tool.name]
                if cell["runs"] and cell["runs"][-1]["status"] != "ok":
                    continue  # failures and timeouts are deterministic enough: do not repeat
                lenient = (
                    bool(item.get("lenient"))
                    and tool.name == "clientsmith"
                    and lenient_ok
                )
                log(f"generate {name} with {tool.name} ({repetition + 1}/{REPEATS})")
                run = run_generation(
                    tool, item, lenient, WORK / "out" / tool.name / name
                )
                log(
                    f"  -> {run['status']} {run['wall_s']:.1f} s, {run['peak_rss_mb']:.0f} MB {run.get('error', '')}"
                )
                cell["runs"].append(run)
        for tool in pending:
            cell = entry["tools"][tool.name]
            summarize_runs(cell)
            if cell["status"] == "ok" and not QUICK:
                log(f"import check of {tool.name}'s {name} output")
                cell["import_check"] = import_check(
                    runtime_python, tool.package_dirs(WORK / "out" / tool.name / name)
                )
    return results


def summarize_runs(cell: dict[str, Any]) -> None:
    runs = cell["runs"]
    last = runs[-1]
    cell["status"] = last["status"]
    if last["status"] != "ok":
        cell["error"] = last.get("error", "")
        cell["wall_s"] = last["wall_s"]
        cell["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        return
    walls = [r["wall_s"] for r in runs]
    cell["wall_s"] = round(statistics.median(walls), 3)
    cell["wall_all_s"] = walls
    cell["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    median_run = sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]
    if "cpu_s" in median_run:
        cell["cpu_s"] = median_run["cpu_s"]  # user + system, children included, of the median run
    if "stages_s" in median_run:
        cell["stages_s"] = median_run["stages_s"]
    if last.get("notes"):
        cell["notes"] = last["notes"]


# -- per call -------------------------------------------------------------------------


def runtime_section(
    runtime_python: Path | None, opc: Tool, oag: Tool, runtime_error: str
) -> dict[str, Any]:
    if runtime_python is None:
        return {"error": runtime_error}
    spec = CORPUS / "petstore_expanded.yaml"
    if not spec.is_file():
        return {"error": f"input not found: {spec}"}
    folder = WORK / "rt"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paths: list[Path] = []
    problems: dict[str, str] = {}
    log("generating the petstore clients for the per-call benchmark")
    run = _proc.run(
        [
            str(MAIN_PYTHON),
            "-m",
            "generator",
            "generate",
            str(spec),
            "--output",
            str(folder / "petstore_cs"),
            "--package-name",
            "petstore_cs",
        ],
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    if run.status == "ok":
        paths.append(folder / "petstore_cs")
    else:
        problems["clientsmith"] = run.first_error_line()
    if not opc.unavailable and wanted("tool", opc.name):
        config = folder / "opc-config.yaml"
        config.write_text(
            "package_name_override: petstore_opc\nproject_name_override: petstore-opc\n"
        )
        command, env, _ = opc.commands([(spec, "opc")], folder, False)[0]
        run = _proc.run(
            [*command, "--config", str(config)], timeout=TIMEOUT, env=env, cwd=folder
        )
        if run.status == "ok":
            paths.append(folder / "opc")
        else:
            problems["openapi-python-client"] = run.first_error_line()
    elif opc.unavailable:
        problems["openapi-python-client"] = opc.unavailable
    if not oag.unavailable and wanted("tool", oag.name):
        command, env, _ = oag.commands([(spec, "petstore_oag")], folder, False)[0]
        run = _proc.run(command, timeout=TIMEOUT, env=env, cwd=folder)
        if run.status == "ok":
            paths.append(folder / "petstore_oag")
        else:
            problems["openapi-generator"] = run.first_error_line()
    elif oag.unavailable:
        problems["openapi-generator"] = oag.unavailable
    path_args = [arg for p in paths for arg in ("--path", str(p))]
    bench = [str(runtime_python), str(BENCH / "runtime_bench.py")]
    listing = _proc.run([*bench, "--list", *path_args], timeout=120, cwd=folder)
    if listing.status != "ok":
        return {
            "error": f"runtime_bench --list failed: {listing.first_error_line()}",
            "problems": problems,
        }
    variants: dict[str, dict[str, Any]] = json.loads(
        listing.output.strip().splitlines()[-1]
    )
    server = subprocess.Popen(
        [str(runtime_python), str(BENCH / "server.py"), "--max-seconds", "1800"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = server.stdout.readline() if server.stdout else ""
        if not line.startswith("PORT "):
            return {
                "error": f"the loopback server did not start: {line!r}",
                "problems": problems,
            }
        port = line.split()[1]

        def batches(group: str) -> list[list[str]]:
            """The processes a group runs in, each interleaving its variants.

            Every sync variant in one. The async variants in two: clientsmith's apart from
            the floors and peers, because its async httpx transport records a missing sniffio
            in ``sys.modules`` (httpcore otherwise searches for it several times per request),
            which would speed up every httpx client in the same process: each must be
            measured as its users run it, alone.
            """
            names = [
                n
                for n, i in variants.items()
                if i["async"] == (group != "sync")
                and not (group == "throughput" and i["kind"] == "breakdown")
            ]
            if group == "sync":
                return [names]
            ours = [n for n in names if variants[n]["kind"] == "clientsmith"]
            others = [n for n in names if variants[n]["kind"] != "clientsmith"]
            return [batch for batch in (ours, others) if batch]

        def run_batch(group: str, names: list[str], round_index: int) -> None:
            what = (
                "requests per second with 1, 16 and 128 calls in flight"
                if group == "throughput"
                else "per call"
            )
            log(
                f"{what}: {group} variants {', '.join(names)} interleaved "
                f"(round {round_index + 1}/{ROUNDS}, {CALLS} calls each)"
            )
            command = [
                *bench,
                "--group",
                group,
                "--port",
                port,
                "--calls",
                str(CALLS),
                "--warmup",
                str(WARMUP),
                *[arg for name in names for arg in ("--variant", name)],
                *path_args,
            ]
            error_key = "throughput_error" if group == "throughput" else "error"
            rounds_key = "throughput_rounds" if group == "throughput" else "rounds"
            run = _proc.run(command, timeout=TIMEOUT * 2, cwd=folder)
            if run.status != "ok":
                error = run.first_error_line() if run.status == "failed" else "timed out"
                for name in names:
                    variants[name][error_key] = error
                return
            figures = json.loads(run.output.strip().splitlines()[-1])
            for name in names:
                result = figures.get(name, {"error": "no result"})
                if "error" in result:
                    variants[name][error_key] = result["error"]
                else:
                    variants[name].setdefault(rounds_key, []).append(
                        result["rps"] if group == "throughput" else result
                    )

        groups = ["sync", "async", "throughput"]
        for round_index in range(ROUNDS):
            # Each round in another order, so that no variant always runs first or last.
            for group in groups if round_index % 2 == 0 else groups[::-1]:
                for names in batches(group)[:: 1 if round_index % 2 == 0 else -1]:
                    run_batch(group, names, round_index)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    for info in variants.values():
        rounds = info.get("rounds", [])
        if rounds:
            # The best round's median: background noise only ever adds time.
            info["get_us"] = round(min(r["get_us"] for r in rounds), 1)
            info["list_us"] = round(min(r["list_us"] for r in rounds), 1)
        throughput = info.get("throughput_rounds", [])
        if throughput:
            # The best round, for the same reason: noise only ever slows a round down.
            info["rps"] = {c: max(r[c] for r in throughput) for c in throughput[0]}
    return {
        "calls": CALLS,
        "rounds": ROUNDS,
        "variants": variants,
        "problems": problems,
    }


# -- import time ----------------------------------------------------------------------


def import_time(
    python: Path, folder: Path, statement: str, module: str
) -> float | None:
    """Cumulative µs of ``module`` in ``python -X importtime -c statement``."""
    run = _proc.run(
        [str(python), "-X", "importtime", "-c", statement],
        timeout=TIMEOUT,
        cwd=folder,
        env=_clean_env(folder),
    )
    if run.status != "ok":
        raise RuntimeError(_last_error_line(run.output))
    found = None
    for line in run.output.splitlines():
        match = re.match(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)\s*$", line)
        if match and match.group(4) == module:
            found = int(match.group(2))
    return found


def _clean_env(folder: Path) -> dict[str, str]:
    # No PYTHONDONTWRITEBYTECODE & co: imports are measured with bytecode caches, as in production.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(folder)
    return env


def measure_imports(
    python: Path, source: Path, package: str, models: str | None
) -> dict[str, Any]:
    """Import times of ``source/package``, measured warm (bytecode cached) on a copy in .work."""
    folder = (
        WORK / "imports" / re.sub(r"\W+", "_", str(source.resolve()).strip("/"))[-100:]
    )
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(
        source / package, folder / package, ignore=shutil.ignore_patterns("__pycache__")
    )
    # Warm-up: writes the bytecode caches, as an installed or once-imported package has them.
    _proc.run(
        [
            str(python),
            "-c",
            f"import {package}" + (f"; import {package}.{models}" if models else ""),
        ],
        timeout=TIMEOUT,
        cwd=folder,
        env=_clean_env(folder),
    )

    def median_of(statement: str, module: str) -> float | None:
        values = [
            import_time(python, folder, statement, module)
            for _ in range(IMPORT_REPEATS)
        ]
        present = [v for v in values if v is not None]
        return round(statistics.median(present) / 1000, 1) if present else None

    result: dict[str, Any] = {}
    statements = [
        ("import_ms", f"import {package}", package),
        ("own_ms", f"import httpx, pydantic; import {package}", package),
    ]
    if models:
        statements.append(
            (
                "models_ms",
                f"import {package}; import {package}.{models}",
                f"{package}.{models}",
            )
        )
    for key, statement, module in statements:
        try:
            result[key] = median_of(statement, module)
        except RuntimeError as exc:
            if key == "import_ms":
                result["error"] = str(exc)
                break
            result[key.replace("_ms", "_error")] = str(exc)
    result["py_kb"] = round(
        sum(p.stat().st_size for p in (folder / package).rglob("*.py")) / 1024
    )
    return result


def imports_section(
    runtime_python: Path | None, generation: dict[str, Any], runtime_error: str
) -> dict[str, Any]:
    if runtime_python is None:
        return {"error": runtime_error}
    rows: list[dict[str, Any]] = []
    for project in sorted((ROOT / "generated").iterdir()):
        package = project / project.name
        if (package / "__init__.py").is_file():
            log(f"import time of generated/{project.name}")
            rows.append(
                {
                    "package": project.name,
                    "source": "generated/",
                    "tool": "clientsmith",
                    **measure_imports(runtime_python, project, project.name, "models"),
                }
            )
    # The largest corpus client: Stripe's when clientsmith generated it, else codat_lending.
    stripe = generation.get("stripe", {}).get("tools", {}).get("clientsmith", {})
    stripe_dir = WORK / "out" / "clientsmith" / "stripe" / "stripe_client"
    if (
        stripe.get("status") == "ok"
        and (stripe_dir / "stripe_client" / "__init__.py").is_file()
    ):
        log("import time of the Stripe client")
        rows.append(
            {
                "package": "stripe_client",
                "source": "corpus: stripe_spec3.json",
                "tool": "clientsmith",
                **measure_imports(
                    runtime_python, stripe_dir, "stripe_client", "models"
                ),
            }
        )
    elif QUICK:
        rows.append(
            {
                "package": "stripe_client",
                "source": "corpus",
                "tool": "clientsmith",
                "error": "skipped in quick mode",
            }
        )
    else:
        spec = CORPUS / "codat_lending.yaml"
        out = WORK / "out" / "clientsmith" / "codat_lending"
        log("generating codat_lending (Stripe did not generate) for its import time")
        shutil.rmtree(out, ignore_errors=True)
        run = _proc.run(
            [
                str(MAIN_PYTHON),
                "-m",
                "generator",
                "generate",
                str(spec),
                "--output",
                str(out),
                "--package-name",
                "codat_lending",
            ],
            timeout=TIMEOUT,
            cwd=ROOT,
        )
        if run.status == "ok":
            rows.append(
                {
                    "package": "codat_lending",
                    "source": "corpus: codat_lending.yaml",
                    "tool": "clientsmith",
                    **measure_imports(runtime_python, out, "codat_lending", "models"),
                }
            )
        else:
            rows.append(
                {
                    "package": "codat_lending",
                    "source": "corpus: codat_lending.yaml",
                    "tool": "clientsmith",
                    "error": run.first_error_line(),
                }
            )
    # The peers' Airflow clients, for comparison.
    airflow = generation.get("airflow_v2_full", {}).get("tools", {})
    for tool, models in (
        ("openapi-python-client", "models"),
        ("openapi-generator", None),
    ):
        if airflow.get(tool, {}).get("status") != "ok":
            continue
        out = WORK / "out" / tool / "airflow_v2_full" / "airflow_v2"
        packages = (
            [
                p
                for p in sorted(out.iterdir())
                if p.name not in ("test", "tests") and (p / "__init__.py").is_file()
            ]
            if out.is_dir()
            else []
        )
        if packages:
            log(f"import time of {tool}'s Airflow client")
            package = packages[0].name
            rows.append(
                {
                    "package": package,
                    "source": "Airflow v2 full",
                    "tool": tool,
                    **measure_imports(runtime_python, out, package, models),
                }
            )
    cs_airflow = WORK / "out" / "clientsmith" / "airflow_v2_full" / "airflow_v2"
    if (
        airflow.get("clientsmith", {}).get("status") == "ok"
        and (cs_airflow / "airflow_v2" / "__init__.py").is_file()
    ):
        log("import time of clientsmith's Airflow v2 full client")
        rows.append(
            {
                "package": "airflow_v2",
                "source": "Airflow v2 full",
                "tool": "clientsmith",
                **measure_imports(runtime_python, cs_airflow, "airflow_v2", "models"),
            }
        )
    return {"repeats": IMPORT_REPEATS, "rows": rows}


# -- main -----------------------------------------------------------------------------


def environment(java: str | None) -> dict[str, Any]:
    def version(python: Path, module: str) -> str:
        run = _proc.run(
            [
                str(python),
                "-c",
                f"import importlib.metadata as m; print(m.version({module!r}))",
            ],
            timeout=60,
        )
        return run.output.strip() if run.status == "ok" else "?"

    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "mode": "quick" if QUICK else "full",
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "java": java or "not found",
        "clientsmith": version(MAIN_PYTHON, "clientsmith"),
        "black": version(MAIN_PYTHON, "black"),
        "ruff": version(MAIN_PYTHON, "ruff"),
        "datamodel-code-generator": version(MAIN_PYTHON, "datamodel-code-generator"),
        "openapi-python-client": OPC_PIN.split("==")[1],
        "openapi-generator-cli": OAG_PIN.split("==")[1],
        "repeats": REPEATS,
        "timeout_s": TIMEOUT,
        "git": _git_head(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _git_head() -> str:
    run = _proc.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], timeout=30
    )
    return run.output.strip() if run.status == "ok" else "?"


def main() -> int:
    started = time.perf_counter()
    if not MAIN_PYTHON.exists():
        print(
            f"bench: {MAIN_PYTHON} not found; run `make setup` first", file=sys.stderr
        )
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log(
        f"{'quick' if QUICK else 'full'} run: {REPEATS} repetition(s), {CALLS} calls per operation, timeout {TIMEOUT:.0f} s"
    )

    java, java_error = java_version()
    opc_python, opc_error = (None, "not selected")
    oag_python, oag_error = (None, "not selected")
    if wanted("tool", "openapi-python-client"):
        opc_python, opc_error = ensure_venv("opc-venv", [OPC_PIN])
    if wanted("tool", "openapi-generator"):
        if java is None:
            oag_error = java_error
        else:
            oag_python, oag_error = ensure_venv("oag-venv", [OAG_PIN])
    runtime_pins = _runtime_pins()
    runtime_python, runtime_error = ensure_venv("rt-venv", runtime_pins)
    airflow, airflow_error = (
        airflow_spec() if wanted("input", "airflow_v2_full") else (None, "not selected")
    )
    lenient_ok = clientsmith_has_lenient()

    tools: list[Tool] = [
        Clientsmith("clientsmith", "clientsmith"),
        OpenapiPythonClient(opc_python, "" if opc_python else opc_error),
        OpenapiGenerator(oag_python, "" if oag_python else oag_error),
    ]
    results: dict[str, Any] = {"environment": environment(java)}
    results["environment"]["clientsmith_lenient"] = lenient_ok
    # every tool runs one process per spec (report.py words the seeds figure and cells by it)
    results["environment"]["per_spec_processes"] = True
    inputs = [*generation_inputs(airflow, airflow_error), github_input()]
    results["generation"] = (
        generation_section(tools, inputs, runtime_python, lenient_ok)
        if wanted("section", "generation")
        else {}
    )
    results["regeneration"] = (
        regeneration_section(airflow)
        if wanted("section", "regeneration")
        else {}
    )
    results["runtime"] = (
        runtime_section(runtime_python, tools[1], tools[2], runtime_error)
        if wanted("section", "runtime")
        else {}
    )
    results["imports"] = (
        imports_section(runtime_python, results["generation"], runtime_error)
        if wanted("section", "imports")
        else {}
    )
    results["labels"] = {tool.name: tool.label for tool in tools}
    results["targets"] = report.targets(results)
    results["environment"]["bench_wall_s"] = round(time.perf_counter() - started, 1)
    results["environment"]["load_average_at_end"] = [
        round(x, 2) for x in os.getloadavg()
    ]

    json_text = json.dumps(results, indent=2) + "\n"
    markdown = report.markdown(results)
    name = results_name()
    _replace(RESULTS / f"{name}.json", json_text)
    _replace(RESULTS / f"{name}.md", markdown)
    print(markdown)
    wrote = f"{RESULTS / f'{name}.json'} and {RESULTS / f'{name}.md'}"
    if name == "latest":
        readme = ROOT / "README.md"
        text = report.update_readme(readme.read_text("utf-8"), results)
        if results["regeneration"]:
            _replace(RESULTS / "regeneration.json", json.dumps(results["regeneration"], indent=2) + "\n")
            text = report.update_regeneration_readme(text, results["regeneration"])
            wrote += ", results/regeneration.json"
        _replace(readme, text)
        wrote += f", and the bench and regeneration blocks of {readme}"
    else:
        wrote += " (a quick or partial run: latest.* and README.md keep the last full run)"
    log(f"done in {time.perf_counter() - started:.0f} s; wrote {wrote}")
    return 0


def regeneration_section(airflow: Path | None) -> dict[str, Any]:
    """Cold vs unchanged vs a one-field and a one-operation edit (``regen.py``); quick mode:
    Airflow only, one repetition."""
    sources: dict[str, Path | None] = {"airflow_v2_full": airflow}
    if not QUICK:
        sources["airbyte_config_latest"] = CORPUS / "airbyte_config_latest.yaml"
        sources["stripe"] = CORPUS / "stripe_spec3.json"
    sources = {name: path for name, path in sources.items() if wanted("input", name)}
    section = regen.regeneration_section(sources, REPEATS)
    section["environment"] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "git": _git_head(),
        "cores": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    return section


def results_name() -> str:
    """``latest`` for a full run (what README.md shows); ``partial`` for ``BENCH_QUICK=1`` or a
    run limited or changed by ``BENCH_INPUTS``/``BENCH_TOOLS``/``BENCH_SECTIONS``/``BENCH_REPEATS``/
    ``BENCH_CALLS``/``BENCH_CORPUS``."""
    knobs = ("BENCH_INPUTS", "BENCH_TOOLS", "BENCH_SECTIONS", "BENCH_REPEATS", "BENCH_CALLS", "BENCH_CORPUS")
    return "partial" if QUICK or any(os.environ.get(knob) for knob in knobs) else "latest"


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half of it."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, "utf-8")
    temporary.replace(path)


def _runtime_pins() -> list[str]:
    """httpx, pydantic and the opt-in backends' aiohttp exactly as requirements/dev.lock pins
    them, plus the peers' needs (urllib3 serves the urllib3 backend too)."""
    lock = (ROOT / "requirements" / "dev.lock").read_text("utf-8")
    pins = re.findall(r"^((?:httpx|pydantic|aiohttp)==\S+)", lock, re.MULTILINE)
    return sorted(pins) + RUNTIME_EXTRA_PINS


if __name__ == "__main__":
    sys.exit(main())
