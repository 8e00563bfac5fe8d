"""The ``clientsmith`` command line (also ``python -m generator``).

Exit codes: 0 ok, 1 drift or invalid spec, 2 usage or unreadable input.
Errors are one line each on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from generator import __version__, config, pipeline
from generator.errors import ClientsmithError, Problem, SpecError, UsageError
from generator.pipeline import cache, write
from generator.progress import ProgressLine, delay_from_environment

# The stages (loader, validator, overlays ...) are imported by the commands that run them:
# `generate` of an unchanged client finishes before any of them would be needed.

_NO_CACHE_HELP = (
    "Neither reuse nor store regeneration results (the output is the same bytes either way; "
    "see README, Regenerating). Also: CLIENTSMITH_NO_CACHE=1."
)
_REMOTE_HELP = "Fetch $refs to http(s) URLs (timeout 10 s, at most 20 MB each) instead of refusing them."

#: ``--ref-root DIR``, shared by every command that loads a spec: declare a parameter as
#: ``ref_root: RefRootOption = None`` and pass it on as ``loader.load(..., ref_root=ref_root)``.
RefRootOption = Annotated[
    Path | None,
    typer.Option(
        "--ref-root",
        metavar="DIR",
        help="Folder that file $refs may reach (default: the spec's own folder), e.g. the root of a multi-file spec "
        "whose files reference ../common/...; the spec must be inside it.",
    ),
]

app = typer.Typer(
    name="clientsmith",
    help="Generate typed, vendorable Python clients from OpenAPI documents.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class _State:
    quiet = False
    debug = False
    line: ProgressLine | None = None  # the progress line, while ``generate`` or ``check`` draws one


def _stderr(message: str) -> None:
    """Print a line on stderr (above the progress line, if one is drawn)."""
    if _State.line is not None:
        _State.line.print(message)
    else:
        print(message, file=sys.stderr, flush=True)


def _say(message: str) -> None:
    if not _State.quiet:
        _stderr(message)


@contextlib.contextmanager
def _progress_line() -> Iterator[ProgressLine | None]:
    """A progress line on stderr when it is a terminal and ``--quiet`` is off, else None."""
    if _State.quiet or not sys.stderr.isatty():
        yield None
        return
    with ProgressLine(sys.stderr, pipeline.STAGES, delay=delay_from_environment()) as line:
        _State.line = line
        try:
            yield line
        finally:
            _State.line = None


def _fail(exc: BaseException) -> NoReturn:
    if _State.debug:
        traceback.print_exc()
    if isinstance(exc, SpecError):
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        raise typer.Exit(1)
    if isinstance(exc, ClientsmithError):
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code)
    print(f"error: internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)", file=sys.stderr)
    raise typer.Exit(1)


def _guard(action: Callable[[], int]) -> None:
    try:
        code = action()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line
        _fail(exc)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"clientsmith {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    _State.quiet = quiet
    _State.debug = debug


@app.command()
def generate(
    spec: Annotated[Path | None, typer.Argument(help="One spec to generate; omit to generate every configured client.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder of the generated package (with SPEC).")] = None,
    package_name: Annotated[str | None, typer.Option("--package-name", help="Import name of the package (with SPEC).")] = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="pyproject.toml or clients.yaml to read.")] = None,
    lenient: Annotated[bool, typer.Option("--lenient", help="Report validation errors as warnings and generate anyway.")] = False,
    overlays: Annotated[list[Path] | None, typer.Option("--overlay", help="An OpenAPI Overlay to apply to SPEC first (repeatable, in order).")] = None,
    allow_remote_refs: Annotated[bool, typer.Option("--allow-remote-refs", help=_REMOTE_HELP)] = False,
    ref_root: RefRootOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text (a line per client on stderr) or json (a summary on stdout, for build tools).")
    ] = "text",
    no_cache: Annotated[bool, typer.Option("--no-cache", "--force", help=_NO_CACHE_HELP)] = False,
) -> None:
    """Generate one client (SPEC --output DIR) or every client of the project."""

    def run() -> int:
        if output_format not in GENERATE_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(GENERATE_FORMATS)}, not {output_format!r}")
        if spec is not None:
            if output is None:
                raise UsageError("generate SPEC needs --output DIR")
            package = config.check_package_name(package_name or config.default_package_name(spec), "--package-name")
            clients = [config.ClientConfig(spec=spec, package=package, output=output, overlays=tuple(overlays or ()), ref_root=ref_root)]
        elif output is not None or package_name is not None or overlays or ref_root is not None:
            raise UsageError(
                "--output, --package-name, --overlay and --ref-root need a SPEC argument (configured clients list their overlays and ref_root)"
            )
        else:
            clients = _clients(config_file)
        started = time.perf_counter()
        summaries = []
        store = _cache(no_cache)
        with _progress_line() as line:
            for index, client in enumerate(clients, 1):
                progress = line.client(_label(client, index, len(clients))) if line else None
                summaries.append(
                    _generate_one(
                        client,
                        lenient=lenient or client.lenient,
                        allow_remote_refs=allow_remote_refs or client.allow_remote_refs,
                        progress=progress,
                        store=store,
                    )
                )
                if line:
                    line.done()
                if output_format == "text":
                    _say(_summary_line(summaries[-1]))
        if output_format == "json":
            summary = {"clients": summaries, "seconds": round(time.perf_counter() - started, 3)}
            print(json.dumps(summary, indent=2))
        return 0

    _guard(run)


def _label(client: config.ClientConfig, index: int, count: int) -> str:
    """How the progress line names a client: ``stripe_client``, or ``codat (2/5)`` in a run over several."""
    return client.package if count == 1 else f"{client.package} ({index}/{count})"


#: ``generate --format``: ``text`` prints a line per client on stderr, ``json`` one document on stdout.
GENERATE_FORMATS = ("text", "json")


def _warn(problem: Problem) -> None:
    if not _State.quiet:
        _stderr(f"warning: {problem}")


def _cache(no_cache: bool) -> cache.Cache | None:
    """The regeneration cache, unless ``--no-cache`` or ``CLIENTSMITH_NO_CACHE`` turns it off."""
    return None if no_cache or cache.disabled_by_environment() else cache.Cache.default()


def _generate_one(
    client: config.ClientConfig,
    *,
    lenient: bool,
    allow_remote_refs: bool,
    progress: pipeline.Progress | None,
    store: cache.Cache | None = None,
) -> dict[str, Any]:
    """Generate one client; returns its entry of the ``--format json`` summary."""
    started = time.perf_counter()
    warnings: list[Problem] = []
    hits, misses = (store.stats.hits, store.stats.misses) if store is not None else (0, 0)

    def warn(problem: Problem) -> None:
        warnings.append(problem)
        _warn(problem)

    generated = pipeline.generate(
        client.spec,
        client.package,
        client.output,
        lenient=lenient,
        warn=warn,
        overlays=client.overlays,
        allow_remote_refs=allow_remote_refs,
        ref_root=client.ref_root,
        progress=progress,
        cache=store,
    )
    written = generated.written
    assert written is not None  # pipeline.generate always writes
    return {
        "package": client.package,
        "spec": str(client.spec),
        "output": str(client.output),
        "version": json.loads(generated.files[write.MANIFEST])["version"],
        "written": list(written.written),
        "unchanged": list(written.unchanged),
        "deleted": list(written.deleted),
        "seconds": round(time.perf_counter() - started, 3),
        "warnings": len(warnings),
        "skipped": generated.skipped,
        # units reused from / not found in the regeneration cache (None with --no-cache)
        "cache": {"hits": store.stats.hits - hits, "misses": store.stats.misses - misses} if store is not None else None,
    }


def _summary_line(summary: dict[str, Any]) -> str:
    counts = f"{len(summary['written'])} written, {len(summary['unchanged'])} unchanged, {len(summary['deleted'])} deleted"
    if summary["skipped"]:
        counts += "; up to date: inputs unchanged, nothing regenerated"
    spec, output = _near(summary["spec"]), _near(summary["output"])
    return f"generated {summary['package']} from {spec} into {output} ({counts}; {summary['seconds']:.1f} s)"


def _near(path: str) -> str:
    """``path`` relative to the working folder when it is inside it (configured paths are absolute)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _clients(config_file: Path | None) -> list[config.ClientConfig]:
    path = config_file if config_file is not None else config.find_config(Path.cwd())
    return config.load_config(path)


@app.command()
def check(
    config_file: Annotated[Path | None, typer.Option("--config", help="pyproject.toml or clients.yaml to read.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", "--force", help=_NO_CACHE_HELP)] = False,
) -> None:
    """Regenerate every client in memory and compare with what is on disk (exit 1 on drift)."""

    def run() -> int:
        drifted = 0
        clients = _clients(config_file)
        store = _cache(no_cache)
        with _progress_line() as line:
            for index, client in enumerate(clients, 1):
                progress = line.client(_label(client, index, len(clients))) if line else None
                if store is not None and _up_to_date(client, store):
                    if line:
                        line.done()
                    _say(f"ok: {client.output} (up to date)")
                    continue
                expected = pipeline.build(
                    client.spec,
                    client.package,
                    lenient=client.lenient,
                    previous=client.output,
                    overlays=client.overlays,
                    allow_remote_refs=client.allow_remote_refs,
                    ref_root=client.ref_root,
                    progress=progress,
                    cache=store,
                ).files
                if line:
                    line.done()
                drifted += _report_drift(client, expected)
        if drifted:
            print(f"error: {drifted} client(s) out of date; run `make generate` (or `clientsmith generate`) and commit", file=sys.stderr)
            return 1
        return 0

    _guard(run)


def _up_to_date(client: config.ClientConfig, store: cache.Cache) -> bool:
    """Whether ``client``'s output is recognised as what its inputs generate without generating:
    :func:`pipeline.unchanged`, and no file besides those (``check`` reports extra files; a
    generation leaves them alone)."""
    options = pipeline.RunOptions(client.spec, client.package, client.lenient, tuple(client.overlays), client.allow_remote_refs, client.ref_root)
    found = pipeline.unchanged(client.output, options, cache=store)
    return found is not None and set(write.read_tree(client.output)) == set(found.files)


def _report_drift(client: config.ClientConfig, expected: dict[str, str]) -> int:
    """Print how ``client``'s folder differs from ``expected`` (or ``ok:``); 1 if it drifted, else 0."""
    problems = drift(expected, write.read_tree(client.output))
    if not problems:
        _say(f"ok: {client.output}")
        return 0
    _stderr(f"drift: {client.output} differs from what {client.spec} generates:")
    fresh = json.loads(expected[write.MANIFEST])
    inputs = write.input_changes(write.read_manifest(client.output), fresh)
    if inputs:
        _stderr(f"  inputs changed since the last generation: {'; '.join(inputs)}")
    else:
        _stderr(
            "  inputs unchanged since the last generation: files were edited, added or removed by hand, "
            "or the generator's code changed without a version bump"
        )
    for line in problems:
        _stderr(line)
    return 1


def drift(expected: dict[str, str], actual: dict[str, bytes], *, context_lines: int = 12) -> list[str]:
    """Human-readable differences between generated files and files on disk."""
    lines: list[str] = []
    for path in sorted(set(expected) | set(actual)):
        want = expected.get(path)
        have = actual.get(path)
        if want is None:
            lines.append(f"  extra file: {path}")
        elif have is None:
            lines.append(f"  missing file: {path}")
        elif want.encode("utf-8") != have:
            lines.append(f"  changed: {path}")
            diff = difflib.unified_diff(
                have.decode("utf-8", errors="replace").splitlines(),
                want.splitlines(),
                f"on disk/{path}",
                f"generated/{path}",
                lineterm="",
                n=1,
            )
            shown = list(diff)
            lines.extend(f"    {line}" for line in shown[:context_lines])
            if len(shown) > context_lines:
                lines.append(f"    ... {len(shown) - context_lines} more diff lines")
    return lines


@app.command("validate")
def validate_command(
    spec: Annotated[Path, typer.Argument(help="The spec to validate.")],
    lenient: Annotated[bool, typer.Option("--lenient", help="Report validation errors as warnings (exit 0 if usable).")] = False,
    overlays: Annotated[list[Path] | None, typer.Option("--overlay", help="An OpenAPI Overlay to apply first (repeatable, in order).")] = None,
    allow_remote_refs: Annotated[bool, typer.Option("--allow-remote-refs", help=_REMOTE_HELP)] = False,
    ref_root: RefRootOption = None,
) -> None:
    """Validate a spec (openapi-spec-validator plus reference and security checks)."""

    from generator.pipeline import loader, validate
    from generator.workflow import overlay

    def run() -> int:
        loaded = loader.load(spec, allow_remote=allow_remote_refs, ref_root=ref_root)
        warnings: list[Problem] = []
        document, _ = overlay.apply_overlays(loaded.document, overlays or [], warn=_warn)
        validate.validate_or_raise(document, str(spec), lenient=lenient, warn=warnings.append)
        for problem in warnings:
            _warn(problem)
        if warnings:
            _say(f"ok (lenient): {spec} is usable despite {len(warnings)} validation error(s)")
            return 0
        _say(f"ok: {spec} is a valid OpenAPI {loaded.document.get('openapi')} document")
        return 0

    _guard(run)


@app.command("diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The spec before the change.")],
    new: Annotated[Path, typer.Argument(help="The spec after the change.")],
    output_format: Annotated[str, typer.Option("--format", help="text, json or markdown.")] = "text",
    package_name: Annotated[str | None, typer.Option("--package-name", help="Import name used to build both IRs.")] = None,
    lenient: Annotated[bool, typer.Option("--lenient", help="Accept specs with validation errors.")] = False,
    allow_remote_refs: Annotated[bool, typer.Option("--allow-remote-refs", help=_REMOTE_HELP)] = False,
    ref_root: RefRootOption = None,
) -> None:
    """Compare two specs as users of the generated client see them (exit 1 if anything is breaking)."""
    from generator.workflow import diff as spec_diff

    def run() -> int:
        if output_format not in spec_diff.FORMATS:
            raise UsageError(f"--format: unknown format {output_format!r} (use one of: {', '.join(spec_diff.FORMATS)})")
        package = config.check_package_name(package_name or config.default_package_name(new), "--package-name")
        report = spec_diff.diff_specs(old, new, package, lenient=lenient, allow_remote_refs=allow_remote_refs, ref_root=ref_root)
        sys.stdout.write(spec_diff.render(report, output_format))
        return 1 if report.has_breaking else 0

    _guard(run)


@app.command("vendor")
def vendor_command(
    package_dir: Annotated[Path, typer.Argument(help="A generated package: the folder `generate` wrote, or the import package in it.")],
    into: Annotated[Path, typer.Option("--into", help="Folder to copy the import package into, e.g. src/myapp/_vendor.")],
) -> None:
    """Copy a generated client's import package under another package (its imports are relative)."""
    from generator.workflow import vendor

    def run() -> int:
        result = vendor.vendor(package_dir, into)
        for path in result.edited:
            _warn_line(f"{package_dir}: {path} differs from its manifest hash (edited by hand?); copied as it is")
        written = result.written
        where = f"import it as {result.dotted_path}" if result.dotted_path else f"put {into} on sys.path, or add __init__.py files above it"
        _say(
            f"vendored {result.package} into {result.destination} ({len(written.written)} written, "
            f"{len(written.unchanged)} unchanged, {len(written.deleted)} deleted); {where}"
        )
        return 0

    _guard(run)


@app.command("verify")
def verify_command(
    spec: Annotated[Path, typer.Argument(help="The spec whose client to verify.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Verify this generated package folder instead of generating one.")] = None,
    examples: Annotated[int, typer.Option("--examples", min=1, help="Examples drawn per operation and check.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the example generator: the same seed draws the same examples.")] = 0,
    lenient: Annotated[bool, typer.Option("--lenient", help="Report validation errors as warnings and verify anyway.")] = False,
    mypy: Annotated[bool, typer.Option("--mypy/--no-mypy", help="Run mypy --strict on the package.")] = True,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    only: Annotated[str | None, typer.Option("--only", metavar="GLOB", help="Check only the operations whose group.method matches, e.g. 'files.*'.")] = None,
    overlays: Annotated[list[Path] | None, typer.Option("--overlay", help="An OpenAPI Overlay to apply first (repeatable, in order).")] = None,
    allow_remote_refs: Annotated[bool, typer.Option("--allow-remote-refs", help=_REMOTE_HELP)] = False,
    ref_root: RefRootOption = None,
) -> None:
    """Check every operation of SPEC's client against openapi-core, the spec's schemas and mypy --strict."""
    from generator import (
        verify as verifying,  # deferred: openapi-core and hypothesis load in ~1 s
    )

    def run() -> int:
        if output_format not in ("text", "json"):
            raise UsageError(f"--format must be text or json, not {output_format!r}")
        progress = _progress if sys.stderr.isatty() and not _State.quiet else None
        report = verifying.verify(
            spec,
            output=output,
            examples=examples,
            seed=seed,
            lenient=lenient,
            mypy=mypy,
            overlays=tuple(overlays or ()),
            allow_remote_refs=allow_remote_refs,
            ref_root=ref_root,
            warn=_warn,
            progress=progress,
            only=only,
        )
        if progress is not None:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
        print(verifying.json_report(report) if output_format == "json" else verifying.text_report(report))
        return 0 if report.passed else 1

    _guard(run)


def _progress(message: str) -> None:
    print(f"\r\x1b[Kverify: {message}", end="", file=sys.stderr, flush=True)


def _warn_line(message: str) -> None:
    if not _State.quiet:
        print(f"warning: {message}", file=sys.stderr)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as exc:
        # click reports usage errors with exit code 2 already; keep codes as they are.
        raise SystemExit(exc.code) from None


__all__ = ["RefRootOption", "app", "drift", "main"]
