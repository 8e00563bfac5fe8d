"""Regeneration without redoing what did not change: a content-addressed cache of stage results.

Two things make ``clientsmith generate`` after a small change cheap (see README, "Regenerating"):

1. **An unchanged client is skipped** before anything heavy is imported or loaded:
   :func:`generator.pipeline.unchanged` hashes the inputs the manifest records (the spec,
   every file its ``$ref``s reached, overlays, configuration, templates, generator version)
   and the files on disk, and finds a *run record* here saying that these exact inputs,
   options and generator code produced exactly these files.
2. **Otherwise every stage unit whose input did not change is reused**: the validation
   findings of a document, ``models.py`` of a model document (the input
   datamodel-code-generator is given), the formatted text of each rendered file. Each
   entry's key is the sha256 of the exact input of that unit plus :func:`code_digest`
   (the generator's own source and the versions of the tools it drives), so an entry can
   only ever be found by the input that produced it: a stale entry is never wrong, only
   unused.

Where it lives: :func:`default_dir`, the user cache folder (``$CLIENTSMITH_CACHE_DIR``,
else ``$XDG_CACHE_HOME/clientsmith``, else ``~/.cache/clientsmith``). Not the output folder:
that folder is committed, vendored and built into wheels, and a cache there would travel
with it; not the project either (nothing to git-ignore). Entries are keyed by content, not
by project, so one folder serves every project and checkout safely (two checkouts of the
same spec share entries).

Safety: each entry stores the sha256 of its payload and is written to a temporary file and
renamed into place, so a reader never sees half an entry; an entry that does not match its
hash (a crash, a disk error, an edit) is deleted and counts as a miss. A cache folder that
cannot be read or written makes every lookup a miss: generation never fails because of the
cache. :meth:`Cache.prune` keeps the folder under :data:`MAX_BYTES` (least recently used
entries go first; a hit refreshes an entry's time).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Bumped when the layout of entries changes: an older layout is simply never read.
LAYOUT = "v1"
_MAGIC = b"clientsmith-cache v1 "

#: Environment variables: where the cache is, how large it may grow, and (any non-empty
#: value but ``0``) not to use it at all (like ``--no-cache``).
CACHE_DIR_ENV = "CLIENTSMITH_CACHE_DIR"
MAX_MB_ENV = "CLIENTSMITH_CACHE_MAX_MB"
NO_CACHE_ENV = "CLIENTSMITH_NO_CACHE"
MAX_BYTES = 512 * 1024 * 1024

#: Tools whose output ends up in a package (their versions are part of every key).
_TOOLS = ("datamodel-code-generator", "black", "ruff", "pydantic", "openapi-spec-validator", "jinja2", "pyyaml")


def default_dir() -> Path:
    """The cache folder: ``$CLIENTSMITH_CACHE_DIR``, ``$XDG_CACHE_HOME/clientsmith`` or ``~/.cache/clientsmith``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "clientsmith"


def disabled_by_environment() -> bool:
    """Whether ``$CLIENTSMITH_NO_CACHE`` turns the cache off."""
    return os.environ.get(NO_CACHE_ENV, "") not in ("", "0")


@functools.cache
def code_digest() -> str:
    """Hash of what turns inputs into output besides the inputs the manifest records: every
    Python file of the ``generator`` package (a change without a version bump still counts)
    and the versions of the tools it drives."""
    from importlib import metadata

    import generator

    root = Path(generator.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for tool in _TOOLS:
        try:
            version = metadata.version(tool)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{tool}=={version}\n".encode())
    return digest.hexdigest()


def key(kind: str, *parts: str | bytes) -> str:
    """The key of one unit of work: ``kind``, :func:`code_digest` and the unit's exact input."""
    digest = hashlib.sha256(f"{LAYOUT}\0{kind}\0{code_digest()}\0".encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))  # lengths keep ("ab", "c") apart from ("a", "bc")
        digest.update(data)
    return digest.hexdigest()


def canonical(value: Any) -> str:
    """A JSON value as text in its own key order (the order every stage sees); a value JSON has
    no type for is written tagged with its type, never equal to a string."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_tagged)


def _tagged(value: object) -> str:
    return f"\0{type(value).__qualname__}:{value!r}"


@dataclass
class Stats:
    """What one run asked of the cache (tests and ``--format json`` read it): the lookups of
    the generating process and of its format child. Those of the validation child (the schema
    contents known to pass, :func:`generator.pipeline.validate.start_validation`) and of
    black's worker processes (:func:`generator.pipeline.format._run_black_jobs`, on large
    files only) are not counted."""

    hits: int = 0
    misses: int = 0

    def add(self, other: Stats) -> None:
        """Count ``other``'s lookups too (those of a second handle, see :meth:`Cache.handle`)."""
        self.hits += other.hits
        self.misses += other.misses


class Cache:
    """Entries under ``root``: ``<layout>/<kind>/<key[:2]>/<key>``, each holding one text."""

    def __init__(self, root: Path, *, max_bytes: int | None = None) -> None:
        self.root = root
        self.folder = root / LAYOUT
        self.max_bytes = max_bytes if max_bytes is not None else _max_bytes_from_environment()
        self.stats = Stats()

    def handle(self) -> Cache:
        """The same entries with counts of their own: for a forked process, whose counts come
        back with its result (see :meth:`Stats.add`)."""
        return Cache(self.root, max_bytes=self.max_bytes)

    @classmethod
    def default(cls) -> Cache:
        return cls(default_dir())

    def _path(self, kind: str, entry: str) -> Path:
        return self.folder / kind / entry[:2] / entry

    def get(self, kind: str, entry: str) -> str | None:
        """The text stored under ``entry``, or None (absent, damaged or unreadable)."""
        path = self._path(kind, entry)
        try:
            data = path.read_bytes()
        except OSError:
            self.stats.misses += 1
            return None
        header, newline, payload = data.partition(b"\n")
        if not newline or header != _MAGIC + hashlib.sha256(payload).hexdigest().encode():
            self.stats.misses += 1
            with contextlib.suppress(OSError):
                path.unlink()  # damaged: it will be written again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        self.stats.hits += 1
        return payload.decode("utf-8")

    def put(self, kind: str, entry: str, text: str) -> None:
        """Store ``text`` under ``entry`` (atomically; a failure to write is not an error)."""
        payload = text.encode("utf-8")
        path = self._path(kind, entry)
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(_MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise

    def prune(self) -> int:
        """Delete least recently used entries until the cache holds at most ``max_bytes``;
        returns how many went. Leftover temporary files older than an hour go too."""
        entries: list[tuple[float, int, Path]] = []
        try:
            for kind in os.scandir(self.folder):
                if not kind.is_dir(follow_symlinks=False):
                    continue
                for shard in os.scandir(kind.path):
                    if not shard.is_dir(follow_symlinks=False):
                        continue
                    for item in os.scandir(shard.path):
                        stat = item.stat(follow_symlinks=False)
                        entries.append((stat.st_mtime, stat.st_size, Path(item.path)))
        except OSError:
            return 0
        removed = 0
        total = sum(size for _, size, _ in entries)
        entries.sort()
        newest = entries[-1][0] if entries else 0.0
        for mtime, size, path in entries:
            stale_temporary = path.name.startswith(".tmp-") and mtime < newest - 3600
            if total <= self.max_bytes and not stale_temporary:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                removed += 1
        return removed


def _max_bytes_from_environment() -> int:
    value = os.environ.get(MAX_MB_ENV, "")
    try:
        return int(float(value) * 1024 * 1024) if value else MAX_BYTES
    except ValueError:
        return MAX_BYTES
