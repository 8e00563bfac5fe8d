"""``clientsmith verify``: prove that a generated client speaks its spec.

Generates the client (or takes an existing output folder), then checks every
operation against readings that are not ours: openapi-core for the requests it
sends, the spec's own schemas for the responses it must read, and
``mypy --strict`` for its types. See :mod:`generator.verify.runner` for the checks.
"""

from __future__ import annotations

import fnmatch
import importlib
import json
import os
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator import config, pipeline
from generator.errors import Problem, UsageError
from generator.pipeline import loader, parse, validate, write
from generator.verify.runner import (
    CHECKS,
    Budget,
    Failure,
    OperationChecker,
    OperationResult,
)
from generator.workflow import overlay


@dataclass
class Report:
    spec: str
    package: str
    operations: list[OperationResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    types: str = "-"  # "ok" | "FAIL" | "-" (not run)
    types_output: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and self.types != "FAIL"


def verify(
    spec_path: Path,
    *,
    output: Path | None = None,
    examples: int = 10,
    seed: int = 0,
    lenient: bool = False,
    mypy: bool = True,
    overlays: Sequence[Path] = (),
    allow_remote_refs: bool = False,
    ref_root: Path | None = None,
    warn: Callable[[Problem], None] | None = None,
    progress: Callable[[str], None] | None = None,
    only: str | None = None,
) -> Report:
    """Check every operation of ``spec_path``'s client (those matching the ``only`` glob, e.g.
    ``"files.*"``); see the module docstring."""
    if examples < 1:
        raise UsageError("--examples must be at least 1")
    loaded = loader.load(spec_path, allow_remote=allow_remote_refs, ref_root=ref_root)
    document, _ = overlay.apply_overlays(loaded.document, overlays, warn=None)
    # Generation reports the warnings; with an existing output folder, validation does.
    validate.validate_or_raise(document, str(spec_path), lenient=lenient, warn=(warn if output is not None else _ignore))
    with tempfile.TemporaryDirectory(prefix="clientsmith-verify-") as scratch:
        if output is None:
            package = "verify_" + config.default_package_name(spec_path)
            generated = pipeline.build(
                spec_path, package, lenient=lenient, warn=warn, overlays=overlays, allow_remote_refs=allow_remote_refs, ref_root=ref_root
            )
            root = Path(scratch) / "client"
            write.write_tree(root, generated.files)
        else:
            manifest = write.read_manifest(output)
            if manifest is None or not isinstance(manifest.get("package"), str):
                raise UsageError(f"{output}: no clientsmith.json with a package name: pass the folder `clientsmith generate --output` wrote")
            package = manifest["package"]
            root = output
        api = parse.build_ir(document, str(spec_path), package)
        report = Report(spec=str(spec_path), package=package)
        module = _import(root, package)
        checker = OperationChecker(document, api, module, Budget(examples=examples, seed=seed))
        try:
            for group in api.groups:
                for index, op in enumerate(group.operations):
                    if only is not None and not fnmatch.fnmatchcase(f"{group.name}.{op.py_name}", only):
                        continue
                    if progress is not None:
                        progress(f"{group.name}: {index}/{len(group.operations)} operations")
                    report.operations.append(checker.check(op))
                if progress is not None:
                    progress(f"{group.name}: {len(group.operations)}/{len(group.operations)} operations")
        finally:
            checker.close()
            _forget(package)
        report.failures = checker.failures
        report.skipped = checker.skipped
        if mypy:
            report.types, report.types_output = _mypy(root, package, Path(scratch) / "mypy-cache")
    return report


def _ignore(problem: Problem) -> None:
    return None


def _import(root: Path, package: str) -> types.ModuleType:
    _forget(package)
    sys.path.insert(0, str(root))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(root))


def _forget(package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _mypy(root: Path, package: str, cache: Path) -> tuple[str, list[str]]:
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir", str(cache), package]
    env = {**os.environ, "MYPYPATH": ""}
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return ("ok" if done.returncode == 0 else "FAIL"), lines


# -- output ----------------------------------------------------------------------
def text_report(report: Report) -> str:
    """Failure lines, then the operations x checks table and a summary line."""
    lines: list[str] = []
    for failure in report.failures:
        lines.append(f"FAIL {report.spec}{failure.pointer}: {failure.operation}: {failure.check}: {failure.message}")
        lines.append(f"     minimal example: {failure.example}")
    for line in report.types_output if report.types == "FAIL" else []:
        lines.append(f"FAIL {report.spec}: types: mypy --strict: {line}")
    for skipped in report.skipped:
        lines.append(f"skip {report.spec}{skipped}")
    if lines:
        lines.append("")
    width = max([len("operation"), *(len(o.name) for o in report.operations)])
    header = f"{'operation':<{width}}  " + "  ".join(f"{c:<8}" for c in CHECKS)
    lines.append(header)
    lines.append("-" * len(header))
    for result in report.operations:
        lines.append(f"{result.name:<{width}}  " + "  ".join(f"{result.checks.get(c, '-'):<8}" for c in CHECKS))
    counts = {c: sum(1 for o in report.operations if o.checks.get(c) == "FAIL") for c in CHECKS}
    failed = sum(1 for o in report.operations if "FAIL" in o.checks.values())
    lines.append("")
    summary = ", ".join(f"{c} {n}" for c, n in counts.items() if n)
    lines.append(
        f"{report.spec}: {len(report.operations)} operations, {failed} failing{f' ({summary})' if summary else ''}; "
        f"types (mypy --strict): {report.types}; {len(report.skipped)} skipped"
    )
    return "\n".join(lines)


def json_report(report: Report) -> str:
    data = {
        "spec": report.spec,
        "package": report.package,
        "passed": report.passed,
        "operations": [{"name": o.name, "pointer": o.pointer, "checks": o.checks} for o in report.operations],
        "failures": [
            {"pointer": f.pointer, "operation": f.operation, "check": f.check, "message": f.message, "example": f.example}
            for f in report.failures
        ],
        "skipped": report.skipped,
        "types": {"result": report.types, "output": report.types_output},
    }
    return json.dumps(data, indent=2, sort_keys=True)


__all__ = ["Report", "json_report", "text_report", "verify"]
