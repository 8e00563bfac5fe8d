"""The whole flow for one client: load -> validate -> IR -> models -> render -> format -> write.

Every input that shapes a package is hashed into its manifest (``clientsmith.json``),
so ``clientsmith check`` can say which one changed when a package drifted:

* ``spec_sha256``: the spec file's bytes;
* ``ref_files``: each other local file a ``$ref`` reached, relative to the spec's folder, and
  the sha256 of its bytes, sorted (recorded only when there is one);
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

Regeneration: with a :class:`~generator.pipeline.cache.Cache` (the command line passes one
unless ``--no-cache``), :func:`generate` first asks :func:`unchanged` whether the output
already holds what these inputs make, without loading the spec or importing the stages, and
:func:`build` reuses every stage unit whose exact input was seen before (validation
findings, ``models.py``, each formatted file). The files are the same bytes either way; see
:mod:`generator.pipeline.cache`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import __version__
from generator.errors import Problem
from generator.pipeline import cache as caching
from generator.pipeline import template_files, write

if TYPE_CHECKING:
    from generator.pipeline import forked, ir, loader
    from generator.pipeline.validate import Validation

# The stage modules (validator, datamodel-code-generator, black, Jinja2 ...) are imported
# inside build(): an unchanged client is recognised without loading any of them.

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
    skipped: bool = False  # True when :func:`unchanged` found the output up to date


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
    cache: caching.Cache | None = None,
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
    ``cache`` lets stage units whose exact input was seen before be reused (same result).
    """
    progress = progress or _no_progress
    progress("load")  # before the stage imports below: they are part of what a cold run waits for
    from generator.pipeline import loader, models, validate
    from generator.workflow import history, overlay

    file = str(spec_path)
    worker = models.prepare_worker(spec_path, file)
    try:
        loaded = loader.load(spec_path, allow_remote=allow_remote_refs, ref_root=ref_root)
        document, overlay_records = overlay.apply_overlays(loaded.document, overlays, warn=warn)
        progress("validate")
        validation = validate.start_validation(document, file, lenient=lenient, cache=cache)
        snapshot = history.snapshot_text(document)
        inputs = manifest_inputs(spec_path, package, loaded, overlay_records, [path.name for path in overlays])
        build_digest = write.sha256(json.dumps({**inputs, "snapshot": write.sha256(snapshot.encode("utf-8"))}, sort_keys=True).encode())
        api, package_version, files = _stages_beside_each_other(
            validation, document, file, package, build_digest, warn, progress, cache, worker
        )
    finally:
        if worker is not None:
            worker.cancel()  # nothing when it built the models; else they were cached, cut into parts or not needed
    files[history.SNAPSHOT] = snapshot
    files[history.CHANGELOG] = history.changelog(
        history.read_previous(previous), api=api, snapshot=snapshot, version=package_version, spec_name=spec_path.name
    )
    files[write.MANIFEST] = write.manifest_text(files, version=package_version, **inputs)
    return Generated(package=package, files=files)


def manifest_inputs(
    spec_path: Path, package: str, loaded: loader.LoadedSpec, overlay_records: list[dict[str, str]], overlay_names: Sequence[str]
) -> dict[str, Any]:
    """The manifest's record of what produced a package (see the module docstring)."""
    inputs: dict[str, Any] = {
        "generator_version": __version__,
        "package": package,
        "spec": spec_path.name,
        "spec_sha256": write.sha256(loaded.raw),
        "overlays": overlay_records,
        "config_sha256": config_sha256(package, overlay_names),
        "templates_sha256": templates_sha256(),
    }
    if loaded.remote_refs:  # absent otherwise, so manifests without remote refs stay as they were
        inputs["remote_refs"] = [{"url": ref.url, "sha256": ref.sha256} for ref in loaded.remote_refs]
    if loaded.local_refs:  # likewise: only specs that $ref other files record them
        folder = loaded.path.parent
        inputs["ref_files"] = [{"file": _relative(ref.path, folder), "sha256": ref.sha256} for ref in loaded.local_refs]
    return inputs


def _relative(path: Path, folder: Path) -> str:
    """``path`` relative to the spec's ``folder``, with ``/`` (``../common/x.yaml`` with a ref root above it)."""
    return Path(os.path.relpath(path, folder)).as_posix()


def _stages_beside_each_other(
    validation: Validation,
    document: dict[str, Any],
    file: str,
    package: str,
    build_digest: str,
    warn: Callable[[Problem], None] | None,
    progress: Progress,
    cache: caching.Cache | None,
    worker: forked.Prepared[dict[str, Any], str] | None = None,
) -> tuple[ir.Api, str, dict[str, str]]:
    """Stages 3-6 (IR, models, render, format: the API, its package version and the formatted
    files), using a second core where there is one (see :mod:`generator.pipeline.forked`):
    openapi-spec-validator runs in a child from :func:`validate.start_validation` on, and every
    file but ``models.py`` is rendered before the models stage and formatted in another child
    while it runs. What comes out is what a serial run gives: the validation's warnings before
    those of these stages, and an invalid spec's :class:`SpecError` rather than whatever these
    stages raised on it."""
    from generator.pipeline import parse, render, validate
    from generator.pipeline.forked import Forked
    from generator.workflow import history

    held: list[Problem] = []
    others: Forked[tuple[dict[str, str], caching.Stats | None]] | None = None
    try:
        progress("IR")
        api = parse.build_ir(document, file, package, warn=held.append if warn is not None else None)
        package_version = history.package_version(api.version, build_digest)
        context = render.render_context(api, package_version, __version__)
        rendered = render.render_without_models(api, context)
        verbatim = render.verbatim(api.package_name)
        apart = cache.handle() if cache is not None else None
        others = Forked(lambda: (_format(rendered, verbatim, apart), apart.stats if apart is not None else None))
        progress("models")
        models_source = _models(api, file, cache, worker)
        progress("render")
        models_file = render.render_models(api, context, models_source)
        progress("format")
        formatted, counts = others.result()
        formatted.update(_format(models_file, verbatim, cache))
        if cache is not None and counts is not None:
            cache.stats.add(counts)
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


def _models(api: ir.Api, file: str, cache: caching.Cache | None, worker: forked.Prepared[dict[str, Any], str] | None = None) -> str:
    """``models.py`` of the API: datamodel-code-generator over the model document (in ``worker``
    when there is one, see :func:`models.prepare_worker`), or the text it gave for exactly this
    document, these class names and these polymorphic bases before."""
    from generator.pipeline import models

    expected = [m.class_name for m in api.models]
    if cache is None:
        return models.generate_models(api.model_document, expected, file, api.polymorphic, worker=worker)
    unit = {"expected": expected, "polymorphic": [dataclasses.asdict(p) for p in api.polymorphic], "document": api.model_document}
    entry = caching.key("models", caching.canonical(unit))
    source = cache.get("models", entry)
    if source is None:
        source = models.generate_models(api.model_document, expected, file, api.polymorphic, cache, worker)
        cache.put("models", entry, source)
    return source


def _format(rendered: dict[str, str], verbatim: frozenset[str], cache: caching.Cache | None) -> dict[str, str]:
    """``format.format_files`` over the rendered files, each Python file's result reused when that
    file's rendered text was formatted before (formatting is per file: ruff and black see one
    file at a time). In a file that changed, black's result for each statement it is given is
    reused too (see :func:`_cached_black`): one edited operation in a large module re-runs
    black on that operation's statements only."""
    from generator.pipeline.format import format_files

    if cache is None:
        return format_files(rendered, verbatim=verbatim)
    entries = {path: caching.key("format", path, text) for path, text in rendered.items() if path.endswith(".py") and path not in verbatim}
    known: dict[str, str] = {}
    for path, entry in entries.items():
        text = cache.get("format", entry)
        if text is not None:
            known[path] = text
    formatted = format_files(
        {path: text for path, text in rendered.items() if path not in known}, verbatim=verbatim, black_format=_cached_black(cache)
    )
    for path, entry in entries.items():
        if path not in known:
            cache.put("format", entry, formatted[path])
    merged = {**formatted, **known}
    return {path: merged[path] for path in sorted(rendered)}


def _cached_black(cache: caching.Cache) -> Callable[[str, Any], str]:
    """``black.format_str`` memoized by the exact text and black's mode. The format stage gives
    black whole top-level statements (or methods), each formatted on its own, and joins the
    results: a piece's result depends on its text and the mode only."""
    import black

    def black_format(text: str, mode: black.Mode) -> str:
        entry = caching.key("black", mode.get_cache_key(), text)
        formatted = cache.get("black", entry)
        if formatted is None:
            formatted = black.format_str(text, mode=mode)
            cache.put("black", entry, formatted)
        return formatted

    return black_format


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
    cache: caching.Cache | None = None,
) -> Generated:
    """Generate a client and write what changed into ``output`` (see :mod:`generator.pipeline.write`).

    With ``cache``, an output that :func:`unchanged` finds up to date is left alone
    (``skipped``), and otherwise :func:`build` reuses what it can.
    """
    options = RunOptions(spec_path, package, lenient, tuple(overlays), allow_remote_refs, ref_root)
    progress = progress or _no_progress
    if cache is not None:
        progress("load")  # reading the manifest and hashing the inputs
        skipped = unchanged(output, options, cache=cache, warn=warn)
        if skipped is not None:
            return skipped
    warnings: list[Problem] = []

    def record(problem: Problem) -> None:
        warnings.append(problem)
        if warn is not None:
            warn(problem)

    generated = build(
        spec_path,
        package,
        lenient=lenient,
        warn=record,
        previous=output,
        overlays=overlays,
        allow_remote_refs=allow_remote_refs,
        ref_root=ref_root,
        progress=progress,
        cache=cache,
    )
    progress("write")
    result = write.write_package(output, generated.files)
    if cache is not None:
        manifest = generated.files[write.MANIFEST].encode("utf-8")
        cache.put("runs", _run_key(manifest, options), json.dumps({"warnings": [dataclasses.asdict(p) for p in warnings]}))
        cache.prune()
    return replace(generated, written=result)


@dataclass(frozen=True)
class RunOptions:
    """Everything besides the manifest's inputs that decides what a run does and says."""

    spec_path: Path
    package: str
    lenient: bool
    overlays: tuple[Path, ...]
    allow_remote_refs: bool
    ref_root: Path | None


def _run_key(manifest: bytes, options: RunOptions) -> str:
    """Key of the *run record*: these options, over inputs that made exactly this manifest
    (and so these files), gave these warnings. Paths are as given: warnings quote them."""
    described = [
        str(options.spec_path),
        options.package,
        "lenient" if options.lenient else "strict",
        "remote" if options.allow_remote_refs else "local",
        str(options.ref_root) if options.ref_root is not None else "",
        *map(str, options.overlays),
    ]
    return caching.key("runs", manifest, json.dumps(described))


def unchanged(
    output: Path,
    options: RunOptions,
    *,
    cache: caching.Cache,
    warn: Callable[[Problem], None] | None = None,
) -> Generated | None:
    """The package in ``output`` when it is exactly what these inputs generate, else None.

    Cheap (no stage module is imported, the spec is hashed, not parsed): true when

    * every input the manifest records hashes the same now (spec, each file its
      ``$ref``s reached, overlays, configuration, templates, generator version), and no
      remote reference is recorded (what a URL returns now is unknown without fetching it);
    * every file the manifest lists is on disk with the recorded sha256;
    * the cache holds the run record of a generation with the same options and generator
      code that produced this manifest (its warnings are passed to ``warn`` again).

    A generation is a function of its inputs and of the output folder's state, and
    rebuilding over the folder a build wrote gives the same bytes (see
    :mod:`generator.workflow.history`), so the files on disk are what a cold run would write.
    """
    try:
        manifest_bytes = (output / write.MANIFEST).read_bytes()
        manifest = json.loads(manifest_bytes)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or "remote_refs" in manifest or not isinstance(manifest.get("files"), dict):
        return None
    try:
        fresh = _recorded_inputs(options, manifest.get("ref_files"))
    except OSError:
        return None  # an input is missing: the pipeline reports it properly
    recorded = {name: manifest.get(name) for name in fresh or {}}
    if fresh is None or fresh != recorded or "ref_files" in manifest and "ref_files" not in fresh:
        return None
    files: dict[str, str] = {}
    for relative, digest in manifest["files"].items():
        safe = write.safe_relative(relative)
        if safe is None or not isinstance(digest, str):
            return None
        try:
            data = (output / safe).read_bytes()
        except OSError:
            return None
        if write.sha256(data) != digest:
            return None
        files[safe] = data.decode("utf-8")
    stored = cache.get("runs", _run_key(manifest_bytes, options))
    if stored is None:
        return None
    for fields in json.loads(stored)["warnings"]:
        if warn is not None:
            warn(Problem(**fields))
    files[write.MANIFEST] = manifest_bytes.decode("utf-8")
    every = tuple(sorted(files))
    return Generated(options.package, files, write.WriteResult((), every, ()), skipped=True)


def _recorded_inputs(options: RunOptions, ref_files: object) -> dict[str, Any] | None:
    """The manifest's input fields as they would be recorded now, from the files alone (the
    files a ``$ref`` reached are the ones the manifest lists: the same spec bytes and the same
    bytes of those files reach the same files again)."""
    inputs: dict[str, Any] = {
        "generator_version": __version__,
        "package": options.package,
        "spec": options.spec_path.name,
        "spec_sha256": write.sha256(options.spec_path.read_bytes()),
        "overlays": [{"file": path.name, "sha256": write.sha256(path.read_bytes())} for path in options.overlays],
        "config_sha256": config_sha256(options.package, [path.name for path in options.overlays]),
        "templates_sha256": templates_sha256(),
    }
    if isinstance(ref_files, list):
        folder = (options.spec_path.resolve() if options.spec_path.exists() else options.spec_path).parent
        current = []
        for item in ref_files:
            if not isinstance(item, dict) or not isinstance(item.get("file"), str):
                return None  # a damaged manifest: generate
            current.append({"file": item["file"], "sha256": write.sha256((folder / item["file"]).read_bytes())})
        inputs["ref_files"] = current
    return inputs


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
