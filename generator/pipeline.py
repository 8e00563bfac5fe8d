"""The whole flow for one client: load -> validate -> IR -> models -> render -> format -> write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import (
    __version__,
    format,
    loader,
    models,
    parse,
    render,
    validate,
    write,
)
from generator.errors import Problem


@dataclass(frozen=True)
class Generated:
    package: str
    files: dict[str, str]  # relative path -> text, manifest included


def build(
    spec_path: Path, package: str, *, lenient: bool = False, warn: Callable[[Problem], None] | None = None
) -> Generated:
    """Generate every file of a client package in memory (nothing is written).

    ``lenient`` turns schema-validation findings into calls of ``warn`` and
    generates anyway; structural problems still stop it.
    """
    loaded = loader.load(spec_path)
    file = str(spec_path)
    validate.validate_or_raise(loaded.document, file, lenient=lenient, warn=warn)
    api = parse.build_ir(loaded.document, file, package)
    models_source = models.generate_models(api.model_document, [m.class_name for m in api.models], file, api.polymorphic)
    package_version = api.version if _is_pep440ish(api.version) else "0.0.0"
    files = format.format_files(render.render(api, models_source, package_version, __version__))
    files[write.MANIFEST] = write.manifest_text(
        files,
        generator_version=__version__,
        spec_name=spec_path.name,
        spec_sha256=write.sha256(loaded.raw),
        package=package,
    )
    return Generated(package=package, files=files)


def generate(
    spec_path: Path, package: str, output: Path, *, lenient: bool = False, warn: Callable[[Problem], None] | None = None
) -> Generated:
    """Generate a client and swap it into ``output`` atomically."""
    generated = build(spec_path, package, lenient=lenient, warn=warn)
    write.write_package(output, generated.files)
    return generated


def _is_pep440ish(version: str) -> bool:
    import re

    return bool(re.fullmatch(r"\d+(\.\d+)*", version))
