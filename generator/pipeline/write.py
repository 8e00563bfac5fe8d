"""Stage 7: write a package incrementally and safely, with a manifest.

``write_package`` compares the rendered files with the output folder and

* writes only the files whose bytes changed (unchanged files keep their
  mtime, so build tools and editors see no change),
* deletes only the files that the previous manifest (``clientsmith.json``)
  lists and the new output lacks: a file a user added is never touched,
* stages every new or changed file in a temporary folder next to the output
  and moves them in (one ``os.replace`` per file, the manifest last) only
  after everything is staged. Rendering happens before any of this, so a
  failing spec or template never changes the output folder.

The manifest records what produced the package (see :func:`manifest_text`)
and every file it wrote with its sha256.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import OutputError

MANIFEST = "clientsmith.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, str], **fields: Any) -> str:
    """The manifest: ``fields`` (generator version, input hashes, ...) plus every file's sha256."""
    manifest = {
        "generator": "clientsmith",
        **fields,
        "files": {path: sha256(text.encode("utf-8")) for path, text in sorted(files.items())},
    }
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_manifest(output: Path, name: str = MANIFEST) -> dict[str, Any] | None:
    """The manifest in ``output``, or None when there is none or it is unreadable."""
    try:
        data = json.loads((output / name).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


#: Manifest fields naming what produced a package, with how ``check`` calls them.
INPUTS = (
    ("spec_sha256", "spec"),
    ("overlays", "overlays"),
    ("remote_refs", "remote references"),
    ("ref_files", "referenced files"),
    ("config_sha256", "config"),
    ("templates_sha256", "templates"),
    ("generator_version", "generator version"),
)


def input_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Which recorded inputs differ between the manifest on disk (``old``) and a fresh one."""
    if old is None:
        return [f"no readable {MANIFEST} on disk (never generated here, or it was removed)"]
    changes = []
    for key, label in INPUTS:
        before, after = old.get(key), new.get(key)
        if before != after:
            changes.append(f"{label} ({_brief(before)} -> {_brief(after)})")
    return changes


def _brief(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, str):
        return value[:12] if len(value) == 64 else value
    if isinstance(value, list):
        return "[" + ", ".join(_brief(item) for item in value) + "]"
    if isinstance(value, dict) and "file" in value:
        return f"{value['file']}@{_brief(value.get('sha256'))}"
    if isinstance(value, dict) and "url" in value:
        return f"{value['url']}@{_brief(value.get('sha256'))}"
    return json.dumps(value, sort_keys=True)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` under ``root`` (which must not exist yet)."""
    for relative, text in sorted(files.items()):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_package` did, as relative paths."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]


def write_package(output: Path, files: dict[str, str], *, manifest: str = MANIFEST) -> WriteResult:
    """Make ``output`` hold ``files``, touching only what changed (see the module docstring).

    ``manifest`` names the file (among ``files``) that lists what a run wrote: the
    previous one decides what may be deleted, and it is moved in last.
    """
    output = Path(os.path.abspath(output))
    if output.exists() and not output.is_dir():
        raise OutputError(f"{output}: not a folder (remove it or choose another --output)")
    encoded = {relative: text.encode("utf-8") for relative, text in files.items()}
    changed = {relative: data for relative, data in encoded.items() if not _same_file(output / relative, data)}
    unchanged = tuple(sorted(set(encoded) - set(changed)))
    obsolete = _obsolete(output, set(encoded), manifest)
    for relative in sorted(changed):
        _check_writable(output, relative)
    if not changed:
        for relative in obsolete:
            _delete(output, relative)
        return WriteResult((), unchanged, tuple(obsolete))
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.staging-", dir=output.parent))
    try:
        write_tree(staging / "pkg", {relative: encoded[relative].decode("utf-8") for relative in changed})
        if not output.exists():
            os.replace(staging / "pkg", output)  # a new package appears whole
        else:
            # The manifest goes last: until then the old one still lists the old files.
            for relative in sorted(changed, key=lambda path: (path == manifest, path)):
                target = output / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / "pkg" / relative, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for relative in obsolete:
        _delete(output, relative)
    return WriteResult(tuple(sorted(changed)), unchanged, tuple(obsolete))


def _same_file(path: Path, data: bytes) -> bool:
    try:
        return not path.is_symlink() and path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def safe_relative(relative: object) -> str | None:
    """``relative`` if it is a plain relative POSIX path without ``..``, else None."""
    if not isinstance(relative, str) or not relative or "\\" in relative or "\x00" in relative:
        return None
    path = PurePosixPath(relative)
    if path.is_absolute() or any(part in ("", ".", "..") for part in relative.split("/")):
        return None
    return path.as_posix()


def _inside(output: Path, path: Path) -> bool:
    """Whether ``path``'s folder really is inside ``output`` (no symlinked folder leading out)."""
    try:
        return path.parent.resolve().is_relative_to(output.resolve())
    except OSError:
        return False


def _obsolete(output: Path, new_files: set[str], manifest_name: str) -> list[str]:
    """Files the previous manifest lists that the new output lacks (and that still exist)."""
    manifest = read_manifest(output, manifest_name)
    listed = manifest.get("files") if manifest else None
    if not isinstance(listed, dict):
        return []
    found = []
    for entry in listed:
        relative = safe_relative(entry)
        if relative is None or relative in new_files or relative == manifest_name:
            continue
        path = output / relative
        if (path.is_symlink() or path.is_file()) and _inside(output, path):
            found.append(relative)
    return sorted(found)


def _check_writable(output: Path, relative: str) -> None:
    """Refuse before moving anything if a folder sits where a file goes, or a file where a folder goes."""
    target = output / relative
    if target.is_dir() and not target.is_symlink():
        raise OutputError(f"{target}: a folder is in the way of a generated file (move it away and generate again)")
    for parent in PurePosixPath(relative).parents:
        if str(parent) == ".":
            continue
        folder = output / parent
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{folder}: a file is in the way of a generated folder (move it away and generate again)")
        if folder.is_symlink() and not _inside(output, folder / "x"):
            raise OutputError(f"{folder}: a symlink leading out of {output} is in the way of a generated folder")


def _delete(output: Path, relative: str) -> None:
    """Delete one obsolete file, then the folders it leaves empty (never ``output`` itself)."""
    path = output / relative
    try:
        path.unlink()
    except FileNotFoundError:
        return
    folder = path.parent
    while folder != output and folder.is_relative_to(output):
        try:
            folder.rmdir()
        except OSError:
            break  # not empty (a user's file, a cache): keep it
        folder = folder.parent


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
