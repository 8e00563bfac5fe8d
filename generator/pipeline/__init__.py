"""The whole flow for one client: load -> validate -> IR -> models -> render -> format -> write.

Every input that shapes a package is hashed into its manifest (``clientsmith.json``),
so ``clientsmith check`` can say which one changed when a package drifted:

* ``spec_sha256``: the spec file's bytes (files it ``$ref``s are not included);
* ``remote_refs``: with ``allow_remote_refs``, each URL fetched for a ``$ref`` and the
  sha256 of what it returned, sorted by URL (recorded only when there is one);
* ``overlays``: each overlay file's name and sha256, in the order they apply;
* ``config_sha256``: the client's configuration entry, i.e. the settings that shape the
  output (package name and the overlay list); where the package goes is not included;
* ``templates_sha256``: every file under ``templates/`` (names and bytes);
* ``generator_version``: clientsmith's version;
* ``version``: the package version these make (see :mod:`generator.workflow.history`).

Progress: :func:`build` and :func:`generate` take an optional ``progress`` callback, called
with the name of each stage of :data:`STAGES` as that stage starts (``write`` only from
:func:`generate`). Stages never print: the command line draws what it is told on a terminal
(:mod:`generator.progress`), and nothing of it reaches the generated files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator import __version__
from generator.errors import Problem
from generator.pipeline import (
    format,
    ir,
    loader,
    models,
    parse,
    render,
    template_files,
    validate,
    write,
)
from generator.pipeline.forked import Forked
from generator.workflow import history, overlay

#: The stages of one client, in the order ``progress`` is told about them. ``load`` includes
#: applying overlays; ``format`` includes the CHANGELOG section and the manifest.
STAGES = ("load", "validate", "IR", "models", "render", "format", "write")

#: Called with a stage name (one of :data:`STAGES`) as that stage starts.
Progress = Callable[[str], None]


def _no_progress(stage: str) -> None:
    """``progress`` when there is none: tells no one."""


@dataclass(frozen=True)
class Generated:
    package: str
    files: dict[str, str]  # relative path -> text, manifest included
    written: write.WriteResult | None = None  # set by :func:`generate`


def build(
    spec_path: Path,
    package: str,
    *,
    lenient: bool = False,
    warn: Callable[[Problem], None] | None = None,
    previous: Path | None = None,
    overlays: Sequence[Path] = (),
    allow_remote_refs: bool = False,
    ref_root: Path | None = None,
    progress: Progress | None = None,
) -> Generated:
    """Generate every file of a client package in memory (nothing is written).

    ``lenient`` turns schema-validation findings into calls of ``warn`` and
    generates anyway; structural problems still stop it. ``previous`` is the
    folder of an earlier generation (usually the output folder): its spec
    snapshot and CHANGELOG.md are the base of the new CHANGELOG.md (see
    :mod:`generator.workflow.history`). The result depends only on the inputs and that
    folder's state, never on the clock or the machine. ``overlays`` (OpenAPI
    Overlay files) are applied in order to the spec before validation.
    ``allow_remote_refs`` lets ``$ref``s to http(s) URLs be fetched, ``ref_root`` is the folder
    file ``$ref``s may reach (default: the spec's folder; see :mod:`generator.pipeline.loader`).
    ``progress`` is called with each stage's name as it starts (see :data:`STAGES`).
    """
    progress = progress or _no_progress
    progress("load")
    loaded = loader.load(spec_path, allow_remote=allow_remote_refs, ref_root=ref_root)
    file = str(spec_path)
    document, overlay_records = overlay.apply_overlays(loaded.document, overlays, warn=warn)
    inputs: dict[str, Any] = {
        "generator_version": __version__,
        "package": package,
        "spec": spec_path.name,
        "spec_sha256": write.sha256(loaded.raw),
        "overlays": overlay_records,
        "config_sha256": config_sha256(package, [path.name for path in overlays]),
        "templates_sha256": templates_sha256(),
    }
    if loaded.remote_refs:  # absent otherwise, so manifests without remote refs stay as they were
        inputs["remote_refs"] = [{"url": ref.url, "sha256": ref.sha256} for ref in loaded.remote_refs]
    progress("validate")
    validation = validate.start_validation(document, file, lenient=lenient)
    snapshot = history.snapshot_text(document)
    build_digest = write.sha256(json.dumps({**inputs, "snapshot": write.sha256(snapshot.encode("utf-8"))}, sort_keys=True).encode())
    api, package_version, files = _stages_beside_each_other(validation, document, file, package, build_digest, warn, progress)
    files[history.SNAPSHOT] = snapshot
    files[history.CHANGELOG] = history.changelog(
        history.read_previous(previous), api=api, snapshot=snapshot, version=package_version, spec_name=spec_path.name
    )
    files[write.MANIFEST] = write.manifest_text(files, version=package_version, **inputs)
    return Generated(package=package, files=files)


def _stages_beside_each_other(
    validation: validate.Validation,
    document: dict[str, Any],
    file: str,
    package: str,
    build_digest: str,
    warn: Callable[[Problem], None] | None,
    progress: Progress,
) -> tuple[ir.Api, str, dict[str, str]]:
    """Stages 3-6 (IR, models, render, format: the API, its package version and the formatted
    files), using a second core where there is one (see :mod:`generator.pipeline.forked`):
    openapi-spec-validator runs in a child from :func:`validate.start_validation` on, and every
    file but ``models.py`` is rendered before the models stage and formatted in another child
    while it runs. What comes out is what a serial run gives: the validation's warnings before
    those of these stages, and an invalid spec's :class:`SpecError` rather than whatever these
    stages raised on it."""
    held: list[Problem] = []
    others: Forked[dict[str, str]] | None = None
    try:
        progress("IR")
        api = parse.build_ir(document, file, package, warn=held.append if warn is not None else None)
        package_version = history.package_version(api.version, build_digest)
        context = render.render_context(api, package_version, __version__)
        rendered = render.render_without_models(api, context)
        verbatim = render.verbatim(api.package_name)
        others = Forked(lambda: format.format_files(rendered, verbatim=verbatim))
        progress("models")
        models_source = models.generate_models(api.model_document, [m.class_name for m in api.models], file, api.polymorphic)
        progress("render")
        models_file = render.render_models(api, context, models_source)
        progress("format")
        formatted = {**format.format_files(models_file), **others.result()}
    except Exception:
        if others is not None:
            others.cancel()
        validate.finish_validation(validation, warn)  # raises SpecError if the spec is invalid
        raise
    except BaseException:  # KeyboardInterrupt: nothing is wanted any more
        if others is not None:
            others.cancel()
        validation.problems.cancel()
        raise
    validate.finish_validation(validation, warn)
    if warn is not None:
        for problem in held:
            warn(problem)
    return api, package_version, {path: formatted[path] for path in sorted(formatted)}


def generate(
    spec_path: Path,
    package: str,
    output: Path,
    *,
    lenient: bool = False,
    warn: Callable[[Problem], None] | None = None,
    overlays: Sequence[Path] = (),
    allow_remote_refs: bool = False,
    ref_root: Path | None = None,
    progress: Progress | None = None,
) -> Generated:
    """Generate a client and write what changed into ``output`` (see :mod:`generator.pipeline.write`)."""
    progress = progress or _no_progress
    generated = build(
        spec_path,
        package,
        lenient=lenient,
        warn=warn,
        previous=output,
        overlays=overlays,
        allow_remote_refs=allow_remote_refs,
        ref_root=ref_root,
        progress=progress,
    )
    progress("write")
    result = write.write_package(output, generated.files)
    return replace(generated, written=result)


def config_sha256(package: str, overlays: Sequence[str] = ()) -> str:
    """Hash of the configuration settings that shape a package's files (overlays by file name)."""
    settings = {"package": package, "overlays": list(overlays)}
    return write.sha256(json.dumps(settings, sort_keys=True).encode("utf-8"))


def templates_sha256(root: Path | None = None) -> str:
    """Hash of every template file: relative names and contents (editor and cache files aside)."""
    root = root or template_files.TEMPLATES
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") or part == "__pycache__" or part.endswith("~") for part in relative.parts):
            continue
        digest.update(f"{relative.as_posix()}\0{write.sha256(path.read_bytes())}\n".encode())
    return digest.hexdigest()
