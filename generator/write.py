"""Stage 7: write a package atomically, with a manifest.

The whole package is staged in a temporary folder next to the destination and
swapped in with renames, so a failure never leaves a half-written client.
The manifest (``clientsmith.json``) records the generator version, the spec's
sha256 and every file it wrote with its sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

MANIFEST = "clientsmith.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, str], *, generator_version: str, spec_name: str, spec_sha256: str, package: str) -> str:
    manifest = {
        "generator": "clientsmith",
        "generator_version": generator_version,
        "package": package,
        "spec": spec_name,
        "spec_sha256": spec_sha256,
        "files": {path: sha256(text.encode("utf-8")) for path, text in sorted(files.items())},
    }
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n"


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` under ``root`` (which must not exist yet)."""
    for relative, text in sorted(files.items()):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


def write_package(output: Path, files: dict[str, str]) -> None:
    """Replace ``output`` with exactly ``files``, atomically per package."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.staging-", dir=output.parent))
    try:
        write_tree(staging / "pkg", files)
        if output.exists():
            retired = staging / "old"
            os.replace(output, retired)
            try:
                os.replace(staging / "pkg", output)
            except OSError:
                os.replace(retired, output)
                raise
        else:
            os.replace(staging / "pkg", output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path -> bytes), tool caches excluded."""
    result: dict[str, bytes] = {}
    if not root.is_dir():
        return result
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not any(_is_cache(part) for part in relative.parts):
            result[relative.as_posix()] = path.read_bytes()
    return result


_CACHE_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist"})


def _is_cache(part: str) -> bool:
    """Tool caches and build output are never part of a generated package."""
    return part in _CACHE_DIRS or part.endswith((".egg-info", ".pyc"))
