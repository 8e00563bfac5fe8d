"""Stage 1: read a spec (YAML or JSON) and bundle its ``$ref``s into one document.

Local references (``#/...``) stay as they are. References to other files are
allowed only inside the spec's own folder; schemas they point at are copied
into ``components/schemas`` (named after the last pointer token or the file
stem) and the reference is rewritten, so later stages see one self-contained
document. Anything else a file reference points at is inlined.
"""

from __future__ import annotations

import copy
import datetime
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator import naming
from generator.errors import (
    MISSING,
    InputError,
    Problem,
    SpecError,
    follow_pointer,
    pointer,
)

try:  # libyaml is ~6x faster than the pure-Python loader on large specs.
    _YamlLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - wheels ship libyaml
    _YamlLoader = yaml.SafeLoader


@dataclass(frozen=True)
class LoadedSpec:
    """A bundled document plus where it came from."""

    path: Path
    document: dict[str, Any]
    raw: bytes


def read_document(path: Path) -> tuple[Any, bytes]:
    """Parse one YAML or JSON file; unreadable input is an :class:`InputError`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found (check the path)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: the file is empty (expected an OpenAPI document)")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_YamlLoader)  # a safe loader (CSafeLoader)
    except RecursionError:
        raise InputError(f"{path}: the document nests deeper than {sys.getrecursionlimit()} levels; flatten it") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{position}: invalid YAML: {problem}") from None
    try:
        data = _normalize(data, _Budget(path))
    except RecursionError:
        raise InputError(f"{path}: the document nests deeper than {sys.getrecursionlimit()} levels; flatten it") from None
    where = _find_surrogate(data, ())
    if where is not None:
        raise SpecError(
            [Problem(str(path), pointer(*where), "text contains a lone UTF-16 surrogate escape", "remove the invalid \\uD800-\\uDFFF escape")]
        )
    return data, raw


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
    def __init__(self, path: Path) -> None:
        self.path = path
        self.left = MAX_NODES

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise InputError(
                f"{self.path}: the document expands to more than {MAX_NODES:,} values "
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


def load(path: Path) -> LoadedSpec:
    """Read ``path`` and bundle every file reference it makes."""
    path = path.resolve() if path.exists() else path
    document, raw = read_document(path)
    if not isinstance(document, dict):
        raise SpecError([Problem(str(path), "", "the document is not a mapping", "an OpenAPI document starts with `openapi:`")])
    bundler = _Bundler(path, document)
    bundled = bundler.bundle()
    return LoadedSpec(path=path, document=bundled, raw=raw)


class _Bundler:
    def __init__(self, root_path: Path, document: dict[str, Any]) -> None:
        self.root_path = root_path
        self.root_dir = root_path.parent
        self.document = copy.deepcopy(document)  # hoisted schemas are added to this copy
        self.files: dict[Path, Any] = {root_path: document}
        self.hoisted: dict[tuple[Path, str], str] = {}
        self.hoisted_schemas: dict[str, Any] = {}
        self.problems: list[Problem] = []

    def bundle(self) -> dict[str, Any]:
        if not _has_file_refs(self.document):
            return self.document
        result = self._resolve(copy.deepcopy(self.document), self.root_path, [])
        if self.problems:
            raise SpecError(self.problems)
        assert isinstance(result, dict)
        if self.hoisted_schemas:
            components = result.setdefault("components", {})
            components["schemas"] = {**(components.get("schemas") or {}), **self.hoisted_schemas}
        return result

    def _resolve(self, node: Any, current: Path, where: list[object]) -> Any:
        if isinstance(node, list):
            return [self._resolve(item, current, [*where, index]) for index, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self._resolve_ref(node, ref, current, where)
        return {key: self._resolve(value, current, [*where, key]) for key, value in node.items()}

    def _resolve_ref(self, node: dict[str, Any], ref: str, current: Path, where: list[object]) -> Any:
        if "://" in ref.partition("#")[0]:
            self.problems.append(
                Problem(str(current), pointer(*where, "$ref"), f"remote reference {ref!r} is not fetched", "download it next to the spec and reference the local file")
            )
            return node
        file_part, _, fragment = ref.partition("#")
        if not file_part and current == self.root_path:
            return node
        target_file = (current.parent / file_part).resolve() if file_part else current
        if file_part and not target_file.is_relative_to(self.root_dir):
            self.problems.append(
                Problem(str(current), pointer(*where, "$ref"), f"reference {ref!r} leaves the spec's folder", "only files inside the spec's folder may be referenced")
            )
            return node
        target_doc = self._file(target_file, current, where)
        if target_doc is None:
            return node
        target = follow_pointer(target_doc, fragment)
        if target is MISSING:
            self.problems.append(Problem(str(current), pointer(*where, "$ref"), f"reference {ref!r} points at nothing", "fix the pointer after '#'"))
            return node
        key = (target_file, fragment)
        tokens = [token for token in fragment.split("/") if token]
        is_schema = len(tokens) >= 3 and tokens[-3:-1] == ["components", "schemas"] or not tokens
        if is_schema:
            if key not in self.hoisted:
                stem = tokens[-1] if tokens else target_file.stem
                taken = [*((self.document.get("components") or {}).get("schemas") or {}), *self.hoisted_schemas]
                name = naming.dedupe([*taken, stem])[-1]
                self.hoisted[key] = name
                self.hoisted_schemas[name] = {}  # reserves the name while its refs resolve
                self.hoisted_schemas[name] = self._resolve(copy.deepcopy(target), target_file, ["components", "schemas", name])
            return {"$ref": f"#/components/schemas/{self.hoisted[key]}"}
        return self._resolve(copy.deepcopy(target), target_file, where)

    def _file(self, path: Path, current: Path, where: list[object]) -> Any:
        if path not in self.files:
            try:
                self.files[path], _ = read_document(path)
            except InputError as exc:
                self.problems.append(Problem(str(current), pointer(*where, "$ref"), str(exc)))
                return None
        return self.files[path]


def _has_file_refs(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
