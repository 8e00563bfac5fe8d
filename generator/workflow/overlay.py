"""OpenAPI Overlays 1.0: patch a spec you do not own before it is validated.

An overlay is a YAML or JSON document::

    overlay: 1.0.0
    info: {title: Names for the Mammoth client, version: 1.0.0}
    actions:
      - target: "$.paths.*[?@.operationId == 'GetConnection']"
        update: {x-clientsmith-name: get}
      - target: "$.paths['/internal']"
        remove: true

Actions run in order, each on the result of the ones before. ``target`` is an
RFC 9535 JSONPath query (evaluated by python-jsonpath in strict mode) and must
select objects or arrays:

* ``update`` on an object is merged into it recursively: a key only in the update
  is added, a primitive (or null) replaces a primitive, arrays are concatenated,
  objects are merged; any other pair of types is an error. ``update`` on an array
  appends the value to it.
* ``remove: true`` removes each selected node from the object or array holding it
  (``update`` is then ignored). The root cannot be removed.
* A target that selects nothing changes nothing and is reported as a warning.

Overlays apply to the bundled document (files the spec ``$ref``s are already
inlined). ``extends`` is accepted and ignored: the configuration says which spec an
overlay applies to. Problems are reported as ``overlay-file#/actions/N/...``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jsonpath
from jsonpath.exceptions import JSONPathError

from generator.errors import Problem, SpecError, pointer
from generator.pipeline import loader

_ENVIRONMENT = jsonpath.JSONPathEnvironment(strict=True)
_TOP_FIELDS = {"overlay", "info", "extends", "actions"}
_ACTION_FIELDS = {"target", "description", "update", "remove"}


def apply_overlays(
    document: dict[str, Any], overlays: Sequence[Path], *, warn: Callable[[Problem], None] | None = None
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """``document`` with every overlay applied in order (the argument is not changed),
    and ``{"file": name, "sha256": hash of its bytes}`` per overlay, for the manifest."""
    if not overlays:
        return document, []
    result = copy.deepcopy(document)
    records = []
    for path in overlays:
        data, raw = loader.read_document(path)
        result = apply_overlay(result, data, str(path), warn=warn)
        records.append({"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()})
    return result, records


def apply_overlay(
    document: dict[str, Any], overlay: Any, file: str, *, warn: Callable[[Problem], None] | None = None
) -> dict[str, Any]:
    """Apply one parsed overlay to ``document`` in place and return it."""
    actions = _check(overlay, file)
    for index, action in enumerate(actions):
        where = ("actions", index)
        try:
            # A query may select the same node twice (``$.a[0,0]``): act on each node once.
            matches = list({tuple(match.parts): match for match in _ENVIRONMENT.finditer(action["target"], document)}.values())
        except JSONPathError as exc:
            raise SpecError([Problem(file, pointer(*where, "target"), f"invalid JSONPath: {_first_line(exc)}", "see RFC 9535")]) from None
        if not matches:
            if warn is not None:
                warn(Problem(file, pointer(*where, "target"), f"target {action['target']!r} selects nothing; the action changes nothing"))
            continue
        if action.get("remove") is True:
            _remove(document, [tuple(match.parts) for match in matches], file, where)
        elif "update" in action:
            for match in matches:
                _update(match.obj, action["update"], file, where, tuple(match.parts))
    return document


def _check(overlay: Any, file: str) -> list[dict[str, Any]]:
    """The overlay's actions, after checking the document's shape."""
    problems: list[Problem] = []
    if not isinstance(overlay, dict):
        raise SpecError([Problem(file, "", "an overlay must be a mapping", "see the OpenAPI Overlay Specification 1.0")])
    version = overlay.get("overlay")
    if not isinstance(version, str) or not version.startswith("1.0."):
        problems.append(Problem(file, "/overlay", f"unsupported or missing overlay version {version!r}", "use `overlay: 1.0.0`"))
    info = overlay.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str) or not isinstance(info.get("version"), str):
        problems.append(Problem(file, "/info", "`info` needs a string `title` and `version`"))
    problems += [Problem(file, pointer(key), f"unknown field {key!r}") for key in overlay if key not in _TOP_FIELDS and not str(key).startswith("x-")]
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        problems.append(Problem(file, "/actions", "`actions` must be a non-empty list"))
        raise SpecError(problems)
    for index, action in enumerate(actions):
        here = ("actions", index)
        if not isinstance(action, dict):
            problems.append(Problem(file, pointer(*here), "an action must be a mapping"))
            continue
        target = action.get("target")
        if not isinstance(target, str) or not target.startswith("$"):
            problems.append(Problem(file, pointer(*here, "target"), "`target` must be a JSONPath query starting with `$`"))
        if "remove" in action and not isinstance(action["remove"], bool):
            problems.append(Problem(file, pointer(*here, "remove"), "`remove` must be true or false"))
        if "update" not in action and action.get("remove") is not True:
            problems.append(Problem(file, pointer(*here), "an action needs `update` or `remove: true`"))
        problems += [
            Problem(file, pointer(*here, key), f"unknown field {key!r}")
            for key in action
            if key not in _ACTION_FIELDS and not str(key).startswith("x-")
        ]
    if problems:
        raise SpecError(problems)
    return actions


def _update(node: Any, update: Any, file: str, where: tuple[object, ...], parts: tuple[object, ...]) -> None:
    if isinstance(node, list):
        node.append(copy.deepcopy(update))
    elif isinstance(node, dict):
        if not isinstance(update, dict):
            raise SpecError([Problem(file, pointer(*where, "update"), f"the target {_jsonpath(parts)} is an object, so `update` must be a mapping")])
        _merge(node, update, file, where, parts)
    else:
        raise SpecError(
            [
                Problem(
                    file,
                    pointer(*where, "target"),
                    f"the target selects {_jsonpath(parts)}, a {type(node).__name__} value; targets must select objects or arrays",
                    "select the object holding the value and update that key",
                )
            ]
        )


def _merge(target: dict[str, Any], update: dict[str, Any], file: str, where: tuple[object, ...], parts: tuple[object, ...]) -> None:
    for key, value in update.items():
        if key not in target:
            target[key] = copy.deepcopy(value)
            continue
        current = target[key]
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value, file, where, (*parts, key))
        elif isinstance(current, list) and isinstance(value, list):
            current.extend(copy.deepcopy(value))
        elif not isinstance(current, dict | list) and not isinstance(value, dict | list):
            target[key] = value
        else:
            raise SpecError(
                [
                    Problem(
                        file,
                        pointer(*where, "update"),
                        f"cannot merge a {_kind(value)} into the {_kind(current)} at {_jsonpath((*parts, key))}",
                        "remove the old value in an earlier action first",
                    )
                ]
            )


def _remove(document: dict[str, Any], selected: list[tuple[object, ...]], file: str, where: tuple[object, ...]) -> None:
    if () in selected:
        raise SpecError([Problem(file, pointer(*where, "target"), "the root of the document cannot be removed")])
    # Deepest and last first, so removing one node never shifts another's array index.
    for parts in sorted(set(selected), key=lambda p: (-len(p), [(-i if isinstance(i, int) else 0, str(i)) for i in p])):
        parent: Any = document
        try:
            for part in parts[:-1]:
                parent = parent[part]
            del parent[parts[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # already gone with a node removed before it


def _kind(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) else "value"


def _jsonpath(parts: tuple[object, ...]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f"[{str(part)!r}]" for part in parts)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
