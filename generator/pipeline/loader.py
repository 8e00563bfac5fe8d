"""Stage 1: read a spec (YAML or JSON) and bundle its ``$ref``s into one document.

YAML is read with YAML 1.2 core-schema scalars (see :class:`_Yaml12Loader`).

Local references (``#/...``) stay as they are. References to other files are
allowed only inside the reference root (the spec's own folder unless the caller
passes ``ref_root``). Schemas they point at (``components/schemas/<Name>`` in
another file, or a whole file where a schema goes) are copied into
``components/schemas`` (named after the last pointer token or the file stem)
and the reference is rewritten, so later stages see one self-contained
document. Anything else a file reference points at is inlined, except a schema
that contains itself (directly or through other files): it is hoisted like the
others. References inside specification extensions (``x-...`` keys) are opaque
and left untouched.

References to ``http://`` and ``https://`` URLs are refused unless the caller
allows them (``--allow-remote-refs``). Then each URL is fetched once per load
with the standard library (timeout :data:`FETCH_TIMEOUT`, at most
:data:`MAX_FETCH_BYTES`), parsed like a local file and bundled the same way.
Relative references inside a remote document resolve against its URL, so they
are remote too; a remote document may never reach a local file. Every URL
fetched is recorded with the sha256 of its bytes (:attr:`LoadedSpec.remote_refs`).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import http.client
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar, TypeAlias

import yaml

from generator import __version__
from generator.errors import (
    MISSING,
    InputError,
    Problem,
    SpecError,
    UsageError,
    escape_pointer_token,
    follow_pointer,
    pointer,
    unescape_pointer_token,
)
from generator.pipeline import naming

try:  # libyaml is ~6x faster than the pure-Python loader on large specs.
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - wheels ship libyaml
    _BaseLoader = yaml.SafeLoader

# YAML 1.2 core schema (what JSON-minded spec authors and other OpenAPI tools expect)
# instead of PyYAML's YAML 1.1 rules: only true/false (three spellings each) are booleans,
# so the country code `NO`, `on`, `off`, `yes`, `y` stay strings; integers are decimal,
# 0o octal or 0x hex (`017` is 17, `0b1`, `1_000` and sexagesimal `1:20` are strings);
# floats may have an exponent without a dot (`1e5`); `=` and dates such as
# `2024-01-31T10:00:00Z` are strings, kept as written. Null and `<<` merge keys behave as before.
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_12 = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:value", "tag:yaml.org,2002:timestamp"}


class _Yaml12Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """libyaml's safe loader with YAML 1.2 core-schema scalars (see above)."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = str(self.construct_scalar(node))
        try:
            if value.startswith(("0o", "0x")):
                return int(value, 0)
            return int(value, 10)  # also for `!!int 017`: 1.2 has no leading-zero octal
        except ValueError:  # only reachable with an explicit `!!int` tag
            raise yaml.constructor.ConstructorError(None, None, f"{value!r} is not an integer", node.start_mark) from None

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        value = str(self.construct_scalar(node))
        if value.lower() not in ("true", "false"):  # only reachable with an explicit `!!bool` tag
            raise yaml.constructor.ConstructorError(None, None, f"{value!r} is not a boolean (use true or false)", node.start_mark)
        return value.lower() == "true"

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> datetime.date:
        try:  # only reachable with an explicit `!!timestamp` tag
            return super().construct_yaml_timestamp(node)  # type: ignore[no-any-return]
        except (ValueError, TypeError):
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a date", node.start_mark) from None

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        try:
            return float(super().construct_yaml_float(node))
        except ValueError:  # only reachable with an explicit `!!float` tag
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} is not a number", node.start_mark) from None


_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_12, list("tTfF"))
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT_12, list("-+0123456789"))
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+.0123456789"))
_Yaml12Loader.add_constructor("tag:yaml.org,2002:bool", _Yaml12Loader.construct_yaml_bool)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _Yaml12Loader.construct_yaml_int)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _Yaml12Loader.construct_yaml_float)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _Yaml12Loader.construct_yaml_timestamp)
_YamlLoader: type[yaml.SafeLoader] = _Yaml12Loader


def load_yaml(text: str) -> Any:
    """Parse YAML ``text`` the way specs are read (YAML 1.2 core schema); raises :class:`yaml.YAMLError`."""
    return yaml.load(text, Loader=_YamlLoader)  # a safe loader (CSafeLoader)

#: Seconds a remote reference may take to connect, and to download in total.
FETCH_TIMEOUT = 10.0
#: The largest remote document fetched (bytes); larger ones are refused.
MAX_FETCH_BYTES = 20 * 1024 * 1024
REMOTE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class RemoteRef:
    """One URL fetched while bundling, with the sha256 of the bytes it returned."""

    url: str
    sha256: str


@dataclass(frozen=True)
class LocalRef:
    """One file other than the spec read while bundling, with the sha256 of its bytes."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class LoadedSpec:
    """A bundled document plus where it came from."""

    path: Path
    document: dict[str, Any]
    raw: bytes
    remote_refs: tuple[RemoteRef, ...] = ()  # sorted by URL; empty unless remote refs were allowed and used
    local_refs: tuple[LocalRef, ...] = ()  # sorted by path; every file a $ref reached, besides the spec


def read_document(path: Path) -> tuple[Any, bytes]:
    """Parse one YAML or JSON file; unreadable input is an :class:`InputError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found (check the path)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror}") from None
    return parse_document(raw, str(path), is_json=path.suffix.lower() == ".json"), raw


def parse_document(raw: bytes, name: str, *, is_json: bool) -> Any:
    """Parse YAML or JSON ``raw`` read from ``name`` (a path or URL, used in messages).

    The result is JSON-like (see :func:`_normalize`); unreadable input is an
    :class:`InputError`, a lone surrogate escape a :class:`SpecError`.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{name}: the file is empty (expected an OpenAPI document)")
    try:
        if is_json:
            data = json.loads(text)
        else:
            data = load_yaml(text)
    except RecursionError:
        raise InputError(f"{name}: the document nests deeper than {sys.getrecursionlimit()} levels; flatten it") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{name}{position}: invalid YAML: {problem}") from None
    try:
        data = _normalize(data, _Budget(name))
    except RecursionError:
        raise InputError(f"{name}: the document nests deeper than {sys.getrecursionlimit()} levels; flatten it") from None
    where = _find_surrogate(data, ())
    if where is not None:
        raise SpecError(
            [Problem(name, pointer(*where), "text contains a lone UTF-16 surrogate escape", "remove the invalid \\uD800-\\uDFFF escape")]
        )
    return data


def _find_surrogate(node: Any, where: tuple[object, ...]) -> tuple[object, ...] | None:
    """The location of the first string (key or value) holding a lone surrogate."""
    if isinstance(node, str):
        return where if any(0xD800 <= ord(ch) <= 0xDFFF for ch in node) else None
    if isinstance(node, dict):
        for key, value in node.items():
            found = _find_surrogate(key, (*where, key)) if isinstance(key, str) else None
            found = found or _find_surrogate(value, (*where, key))
            if found is not None:
                return found
    if isinstance(node, list):
        for index, item in enumerate(node):
            found = _find_surrogate(item, (*where, index))
            if found is not None:
                return found
    return None


# The largest document we expand. Stripe's 4 MB spec has well under a million
# values; a YAML "billion laughs" alias bomb reaches this bound in about a
# second and is refused.
MAX_NODES = 5_000_000


class _Budget:
    def __init__(self, name: str) -> None:
        self.name = name
        self.left = MAX_NODES

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise InputError(
                f"{self.name}: the document expands to more than {MAX_NODES:,} values "
                "(a YAML alias bomb?); refusing to process it"
            )


def _normalize(node: Any, budget: _Budget) -> Any:
    """Make YAML look like JSON: string keys (``200:`` is an int in YAML), ISO dates.

    Every value is copied, so YAML aliases are expanded here, under ``budget``.
    """
    if isinstance(node, dict):
        budget.spend(len(node) + 1)
        return {str(key): _normalize(value, budget) for key, value in node.items()}
    if isinstance(node, list):
        budget.spend(len(node) + 1)
        return [_normalize(item, budget) for item in node]
    if isinstance(node, (datetime.date, datetime.datetime)):
        return node.isoformat()
    return node


def load(path: Path, *, allow_remote: bool = False, ref_root: Path | None = None) -> LoadedSpec:
    """Read ``path`` and bundle every file reference it makes.

    ``allow_remote`` lets references to http(s) URLs be fetched and bundled;
    without it they are refused. ``ref_root`` is the folder file references may
    reach (default: the spec's own folder); the spec must be inside it.
    """
    path = path.resolve() if path.exists() else path
    root_dir = _reference_root(path, ref_root)
    document, raw = read_document(path)
    if not isinstance(document, dict):
        raise SpecError([Problem(str(path), "", "the document is not a mapping", "an OpenAPI document starts with `openapi:`")])
    bundler = _Bundler(path, document, allow_remote=allow_remote, root_dir=root_dir)
    bundled = bundler.bundle()
    return LoadedSpec(path=path, document=bundled, raw=raw, remote_refs=bundler.remote_refs(), local_refs=bundler.local_refs())


def _reference_root(spec: Path, ref_root: Path | None) -> Path:
    """The folder file references must stay in: ``ref_root`` (checked), else the spec's folder."""
    if ref_root is None:
        return spec.parent
    if not ref_root.is_dir():
        raise UsageError(f"{ref_root}: the reference root (--ref-root / ref_root) is not a folder")
    root = ref_root.resolve()
    if spec.exists() and not spec.is_relative_to(root):
        raise UsageError(f"{spec}: the spec is not inside its reference root {root} (--ref-root / ref_root)")
    return root


# -- where a node sits in an OpenAPI document --------------------------------------
#: Keys whose value maps names chosen by the spec's author to objects (an ``x-`` key there
#: is a name, e.g. the header ``x-request-id``, not an extension). Every map directly
#: under ``components`` is one too.
_NAMED_MAPS = frozenset(
    {
        "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "schemas", "headers",
        "content", "encoding", "examples", "links", "callbacks", "requestBodies", "securitySchemes",
        "pathItems", "variables", "mapping", "scopes", "webhooks",
    }
)  # fmt: skip
_SCHEMA_VALUES = frozenset(
    {
        "schema", "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames",
        "additionalItems", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    }
)  # fmt: skip
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})


def holds_named_map(key: object, parent_key: object) -> bool:
    """Whether the value under ``key`` (in an object under ``parent_key``) is a map of names."""
    return key in _NAMED_MAPS or (parent_key == "components" and not (isinstance(key, str) and key.startswith("x-")))


def is_extension(key: object, in_named_map: bool) -> bool:
    """Whether ``key`` is a specification extension (``x-...`` in an object, not a name in a map).

    Extensions are opaque: their content is never bundled, validated or followed.
    """
    return not in_named_map and isinstance(key, str) and key.startswith("x-")


def iter_references(document: Any) -> Iterator[tuple[tuple[object, ...], dict[str, Any]]]:
    """Every Reference Object (a mapping with a string ``$ref``) and its location, outside extensions."""
    stack: list[tuple[Any, tuple[object, ...], bool]] = [(document, (), False)]
    while stack:
        node, where, named = stack.pop()
        if isinstance(node, dict):
            if not named and isinstance(node.get("$ref"), str):
                yield where, node
            parent = where[-1] if where else None
            for key, value in reversed(list(node.items())):
                if isinstance(value, (dict, list)) and not is_extension(key, named):
                    stack.append((value, (*where, key), not named and holds_named_map(key, parent)))
        elif isinstance(node, list):
            stack.extend((value, (*where, index), False) for index, value in reversed(list(enumerate(node))) if isinstance(value, (dict, list)))


def is_schema_position(where: Sequence[object]) -> bool:
    """Whether a node at ``where`` (JSON pointer tokens) is a Schema Object by its place in the document."""
    if not where:
        return False
    last, parent = where[-1], where[-2] if len(where) >= 2 else None
    if isinstance(last, int):
        return parent in _SCHEMA_LISTS
    if parent in _SCHEMA_MAPS or (parent == "schemas" and len(where) >= 3 and where[-3] == "components"):
        return True
    return last in _SCHEMA_VALUES


#: Where a document came from: a local file, or the URL (without fragment) it was fetched from.
_Location: TypeAlias = Path | str


class _Recursive(Exception):
    """Raised when an inlined schema turns out to contain itself: the frame inlining it hoists it instead."""

    def __init__(self, key: tuple[_Location, str]) -> None:
        super().__init__(key)
        self.key = key


class _Bundler:
    def __init__(self, root_path: Path, document: dict[str, Any], *, allow_remote: bool = False, root_dir: Path | None = None) -> None:
        self.root_path = root_path
        self.root_dir = root_dir or root_path.parent
        self.custom_root = root_dir is not None and root_dir != root_path.parent
        self.allow_remote = allow_remote
        self.document = copy.deepcopy(document)  # hoisted schemas are added to this copy
        self.files: dict[_Location, Any] = {root_path: document}
        self.failed: dict[_Location, str | None] = {}  # why a document could not be read (None: problems in unreadable)
        self.unreadable: dict[_Location, list[Problem]] = {}  # problems inside documents that could not be parsed
        self.fetched: dict[str, str] = {}  # URL -> sha256 of its bytes
        self.read: dict[Path, str] = {}  # local file (not the spec) -> sha256 of its bytes
        self.hoisted: dict[tuple[_Location, str], str] = {}
        self.hoisted_schemas: dict[str, Any] = {}
        # targets being inlined (cycle guard), with whether each sits where a schema goes
        self.inlining: list[tuple[tuple[_Location, str], bool]] = []
        self.problems: list[Problem] = []

    def bundle(self) -> dict[str, Any]:
        if not _has_file_refs(self.document):
            return self.document
        result = self._resolve(copy.deepcopy(self.document), self.root_path, [], False)
        problems = [*self.problems, *(problem for found in self.unreadable.values() for problem in found)]
        if problems:
            raise SpecError(problems)
        assert isinstance(result, dict)
        if self.hoisted_schemas:
            components = result.setdefault("components", {})
            components["schemas"] = {**(components.get("schemas") or {}), **self.hoisted_schemas}
        return result

    def remote_refs(self) -> tuple[RemoteRef, ...]:
        return tuple(RemoteRef(url, digest) for url, digest in sorted(self.fetched.items()))

    def local_refs(self) -> tuple[LocalRef, ...]:
        return tuple(LocalRef(path, digest) for path, digest in sorted(self.read.items()))

    def _resolve(self, node: Any, current: _Location, where: list[object], named: bool) -> Any:
        if isinstance(node, list):
            return [self._resolve(item, current, [*where, index], False) for index, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and not named:
            return self._resolve_ref(node, ref, current, where)
        parent = where[-1] if where else None
        return {
            key: value
            if is_extension(key, named)  # opaque: its $refs are never followed
            else self._resolve(value, current, [*where, key], not named and holds_named_map(key, parent))
            for key, value in node.items()
        }

    def _problem(self, current: _Location, where: list[object], message: str, hint: str = "") -> None:
        self.problems.append(Problem(str(current), pointer(*where, "$ref"), message, hint))

    def _resolve_ref(self, node: dict[str, Any], ref: str, current: _Location, where: list[object]) -> Any:
        file_part, _, fragment = ref.partition("#")
        if not file_part and current == self.root_path:
            return node
        target_file = self._target(ref, file_part, current, where)
        if target_file is None:
            return node
        target_doc = self._document(target_file, current, where)
        if target_doc is None:
            return node
        target = follow_pointer(target_doc, fragment)
        if target is MISSING:
            self._problem(current, where, f"reference {ref!r} points at nothing", "fix the pointer after '#'")
            return node
        if target_file == self.root_path and fragment.strip("/"):
            return {"$ref": "#" + fragment}  # into the spec itself, which the bundle keeps as it is
        key = (target_file, fragment)
        tokens = [token for token in fragment.split("/") if token]
        in_schema_place = is_schema_position(where)
        if key in self.hoisted or len(tokens) >= 3 and tokens[-3:-1] == ["components", "schemas"] or not tokens and in_schema_place:
            return self._hoist(key, target, tokens)
        for inlined, schema_place in self.inlining:
            if inlined == key:
                if schema_place and in_schema_place:
                    raise _Recursive(key)  # caught where ``key`` started to be inlined: hoisted there
                self._problem(current, where, f"reference {ref!r} leads back to itself", "a reference that is inlined cannot contain itself")
                return node
        self.inlining.append((key, in_schema_place))
        reported, hoisted = len(self.problems), len(self.hoisted)
        try:
            return self._resolve(copy.deepcopy(target), target_file, where, False)
        except _Recursive as recursive:
            if recursive.key != key:
                raise
            # Undo what the attempt did (it is redone below, with the same problems) and hoist ``key``.
            del self.problems[reported:]
            for undone in list(self.hoisted)[hoisted:]:
                del self.hoisted_schemas[self.hoisted.pop(undone)]
        finally:
            self.inlining.pop()
        return self._hoist(key, target, tokens)

    def _hoist(self, key: tuple[_Location, str], target: Any, tokens: list[str]) -> dict[str, Any]:
        """Copy a schema into ``components/schemas`` (once) and refer to the copy."""
        if key not in self.hoisted:
            stem = unescape_pointer_token(tokens[-1]) if tokens else _stem(key[0])
            taken = [*((self.document.get("components") or {}).get("schemas") or {}), *self.hoisted_schemas]
            name = naming.dedupe([*taken, stem])[-1]
            self.hoisted[key] = name
            self.hoisted_schemas[name] = {}  # reserves the name while its refs resolve
            self.hoisted_schemas[name] = self._resolve(copy.deepcopy(target), key[0], ["components", "schemas", name], False)
        return {"$ref": f"#/components/schemas/{escape_pointer_token(self.hoisted[key])}"}

    def _target(self, ref: str, file_part: str, current: _Location, where: list[object]) -> _Location | None:
        """The document ``ref`` (made in ``current``) points into, or None (a problem is recorded)."""
        if not file_part:
            return current
        if isinstance(current, str):  # inside a remote document: everything is relative to its URL
            try:
                url = urllib.parse.urljoin(current, file_part)
            except ValueError:
                self._problem(current, where, f"reference {ref!r} is not a valid URL")
                return None
            scheme = urllib.parse.urlsplit(url).scheme.lower()
            if scheme not in REMOTE_SCHEMES:
                what = "points at a local file" if scheme in ("", "file") else f"uses the scheme {scheme!r}"
                self._problem(current, where, f"reference {ref!r} in a remote document {what}", "a remote document may only reference http:// or https:// URLs")
                return None
            return self._checked_url(url, ref, current, where)
        if "://" in file_part:
            scheme = file_part.partition("://")[0].lower()
            if scheme not in REMOTE_SCHEMES:
                self._problem(
                    current,
                    where,
                    f"reference {ref!r} uses the scheme {scheme!r}; only http:// and https:// references can be fetched",
                    "reference local files by a relative path inside the spec's folder",
                )
                return None
            if not self.allow_remote:
                self._problem(
                    current,
                    where,
                    f"remote reference {ref!r} is not fetched",
                    "download it next to the spec and reference the local file, or pass --allow-remote-refs",
                )
                return None
            return self._checked_url(file_part, ref, current, where)
        target_file = (current.parent / file_part).resolve()
        if not target_file.is_relative_to(self.root_dir):
            if self.custom_root:
                self._problem(
                    current, where, f"reference {ref!r} leaves the reference root {self.root_dir}", "pass a wider --ref-root (or ref_root in the configuration)"
                )
            else:
                self._problem(
                    current,
                    where,
                    f"reference {ref!r} leaves the spec's folder",
                    "only files inside the spec's folder may be referenced; pass --ref-root DIR (or set ref_root in the configuration) to allow a wider folder",
                )
            return None
        return target_file

    def _checked_url(self, url: str, ref: str, current: _Location, where: list[object]) -> str | None:
        """``url`` if it names a host and holds no credentials (URLs are recorded in the manifest)."""
        try:
            parts = urllib.parse.urlsplit(url)
            host, user, password = parts.hostname, parts.username, parts.password
            _ = parts.port  # raises ValueError for a port out of range
        except ValueError as exc:
            self._problem(current, where, f"reference {ref!r} is not a valid URL: {exc}".splitlines()[0])
            return None
        if not host:
            self._problem(current, where, f"reference {ref!r} names no host", "write it as http(s)://host/path")
            return None
        if user is not None or password is not None:
            self._problem(
                current, where, f"reference {ref!r} contains credentials", "URLs are recorded in the manifest; serve the document without a password in the URL"
            )
            return None
        return url

    def _document(self, location: _Location, current: _Location, where: list[object]) -> Any:
        """The parsed document at ``location`` (read or fetched once), or None (a problem is recorded)."""
        if location in self.files:
            return self.files[location]
        if location not in self.failed:
            try:
                self.files[location] = self._fetch(location) if isinstance(location, str) else self._read(location)
                return self.files[location]
            except InputError as exc:
                self.failed[location] = str(exc)
            except SpecError as exc:  # located inside that document: reported once, at the end
                self.unreadable[location] = exc.problems
                self.failed[location] = None
        message = self.failed[location]
        if message is not None:
            self._problem(current, where, message)
        return None

    def _read(self, path: Path) -> Any:
        document, raw = read_document(path)
        self.read[path] = hashlib.sha256(raw).hexdigest()
        return document

    def _fetch(self, url: str) -> Any:
        raw = fetch(url)
        self.fetched[url] = hashlib.sha256(raw).hexdigest()
        is_json = PurePosixPath(urllib.parse.urlsplit(url).path).suffix.lower() == ".json"
        return parse_document(raw, url, is_json=is_json)


def _stem(location: _Location) -> str:
    if isinstance(location, Path):
        return location.stem
    return PurePosixPath(urllib.parse.urlsplit(location).path).stem or "remote"


class _HttpRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) URLs only (urllib's own handler also allows ftp)."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: http.client.HTTPMessage, newurl: str
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in REMOTE_SCHEMES:
            raise urllib.error.HTTPError(newurl, code, f"redirect to {newurl!r} refused (not http or https)", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """An opener that speaks http and https only (no file:, ftp: or data: handlers)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetch(url: str) -> bytes:
    """GET an http(s) ``url`` within :data:`FETCH_TIMEOUT` seconds and :data:`MAX_FETCH_BYTES`.

    Every failure is a one-line :class:`InputError` starting with the URL.
    """
    if urllib.parse.urlsplit(url).scheme.lower() not in REMOTE_SCHEMES:
        raise InputError(f"{url}: only http:// and https:// URLs are fetched")
    limit = MAX_FETCH_BYTES
    timeout = FETCH_TIMEOUT
    too_large = f"{url}: larger than {limit:,} bytes; refusing to fetch it (download it next to the spec)"
    timed_out = f"{url}: cannot fetch: no complete answer within {timeout:g} s"
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": f"clientsmith/{__version__}", "Accept": "application/json, application/yaml, */*"})
    chunks: list[bytes] = []
    size = 0
    try:
        with _opener().open(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise InputError(too_large)
            while chunk := response.read(min(1 << 16, limit + 1 - size)):
                size += len(chunk)
                if size > limit:
                    raise InputError(too_large)
                if time.monotonic() > deadline:
                    raise InputError(timed_out)
                chunks.append(chunk)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise InputError(f"{url}: cannot fetch: HTTP {exc.code} {exc.reason}".splitlines()[0]) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise InputError(timed_out) from None
        reason = getattr(exc.reason, "strerror", None) or str(exc.reason)
        raise InputError(f"{url}: cannot fetch: {reason}".splitlines()[0]) from None
    except TimeoutError:
        raise InputError(timed_out) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InputError(f"{url}: cannot fetch: {exc or type(exc).__name__}".splitlines()[0]) from None
    return b"".join(chunks)


def _has_file_refs(node: Any) -> bool:
    return any(not ref["$ref"].startswith("#") for _, ref in iter_references(node))
