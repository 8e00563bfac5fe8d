"""``clientsmith vendor``: copy a generated client under another package.

Every import inside a generated package is relative, so its import package
(``generated/airflow_client/airflow_client``) works under any dotted path, e.g.
``myapp/_vendor/airflow_client`` imported as ``myapp._vendor.airflow_client``,
next to (and independent of) an installed copy of the same client.

What is copied: exactly the files the package's manifest lists under the import
package (no caches, no files a user added there), checked against their hashes.
The copy gets a marker, ``.clientsmith-vendor.json`` (version, spec hash and
every file's hash), which makes re-vendoring incremental like ``generate``: only
changed files are rewritten and only files the marker lists are deleted. A
destination folder that exists without a marker is refused rather than mixed
into. ``--into`` gets an empty ``__init__.py`` if it has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator import config
from generator.errors import InputError, OutputError
from generator.pipeline import write

MARKER = ".clientsmith-vendor.json"


@dataclass(frozen=True)
class Vendored:
    package: str
    destination: Path
    dotted_path: str  # "" when the destination is not inside a package
    written: write.WriteResult
    edited: tuple[str, ...]  # files that differ from the manifest (copied as they are)


def locate(package_dir: Path) -> tuple[Path, str]:
    """The generated package's root folder (with the manifest) and its import name."""
    for root in (package_dir, package_dir.parent):
        manifest = write.read_manifest(root)
        if manifest is None:
            continue
        package = manifest.get("package")
        if not isinstance(package, str):
            raise InputError(f"{root / write.MANIFEST}: no `package` recorded")
        config.check_package_name(package, str(root / write.MANIFEST))
        if root == package_dir or package_dir.name == package:
            return root, package
    raise InputError(
        f"{package_dir}: not a generated package (expected the folder `clientsmith generate` wrote, with {write.MANIFEST}, "
        "or the import package inside it)"
    )


def vendor(package_dir: Path, into: Path) -> Vendored:
    root, package = locate(package_dir)
    manifest = write.read_manifest(root) or {}
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise InputError(f"{root / write.MANIFEST}: no `files` listed; regenerate the package")
    files: dict[str, str] = {}
    edited: list[str] = []
    for entry, digest in sorted(listed.items()):
        relative = write.safe_relative(entry)
        if relative is None or not relative.startswith(f"{package}/"):
            continue
        path = root / relative
        try:
            data = path.read_bytes()
        except OSError:
            raise InputError(f"{path}: listed in {write.MANIFEST} but unreadable; run `clientsmith generate` again") from None
        if write.sha256(data) != digest:
            edited.append(relative)
        try:
            files[relative.removeprefix(f"{package}/")] = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; run `clientsmith generate` again") from None
    if "__init__.py" not in files:
        raise InputError(f"{root / write.MANIFEST}: lists no {package}/__init__.py; regenerate the package")
    destination = into / package
    if destination.exists() and not (destination / MARKER).is_file() and (not destination.is_dir() or any(destination.iterdir())):
        raise OutputError(f"{destination}: exists and is not a vendored clientsmith package (remove it, or choose another --into)")
    files[MARKER] = write.manifest_text(
        files,
        package=package,
        version=manifest.get("version"),
        spec=manifest.get("spec"),
        spec_sha256=manifest.get("spec_sha256"),
        generator_version=manifest.get("generator_version"),
    )
    written = write.write_package(destination, files, manifest=MARKER)
    init = into / "__init__.py"
    if not init.exists():
        init.write_text("")
    return Vendored(package, destination, dotted_path(destination), written, tuple(edited))


def dotted_path(folder: Path) -> str:
    """``a.b.c`` for ``.../a/b/c`` while the folders up from ``c`` hold an ``__init__.py``."""
    names = [folder.name]
    parent = folder.resolve().parent
    while (parent / "__init__.py").is_file() and parent.name:
        names.append(parent.name)
        parent = parent.parent
    return ".".join(reversed(names)) if len(names) > 1 else ""
