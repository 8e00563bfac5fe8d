"""Walking a JSON value together with the OpenAPI schema that describes it.

Used for two things: the defaults a server fills in when it reads a request
(openapi-core does, so the expected values get them too), and the forward-compatible
changes real servers make to response bodies (:func:`mutations`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from generator.errors import MISSING, follow_pointer

UNKNOWN_FIELD = "clientsmithVerifyUnknownField"
UNKNOWN_ENUM = "CLIENTSMITH_VERIFY_NEW_VALUE"

#: The forward-compatible changes, in report order.
MUTATIONS = ("unknown enum value", "unknown field", "optional field missing", "null where nullable")


class Shapes:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.is_31 = str(document.get("openapi", "")).startswith("3.1")

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """``schema`` with its ``$ref`` followed and ``allOf`` parts merged (properties, required)."""
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 32:
            ref = schema["$ref"]
            found = follow_pointer(self.document, ref[1:]) if ref.startswith("#") else MISSING
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**found, **siblings} if isinstance(found, dict) else siblings
            depth += 1
        if not isinstance(schema, dict):
            return {}
        parts = schema.get("allOf")
        if isinstance(parts, list) and parts and depth < 32:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            properties: dict[str, Any] = {}
            required: list[str] = []
            for part in parts:
                resolved = self.resolve(part, depth + 1)
                properties.update(resolved.get("properties") or {})
                required += list(resolved.get("required") or [])
                for key, value in resolved.items():
                    if key not in ("properties", "required"):
                        merged.setdefault(key, value)
            properties.update(schema.get("properties") or {})
            required += list(schema.get("required") or [])
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = list(dict.fromkeys(required))
            return merged
        return schema

    def closed_all_of(self, schema: Any, where: str = "", seen: frozenset[str] = frozenset()) -> str | None:
        """Where ``schema`` (or a schema inside it) has an ``allOf`` whose part says
        ``additionalProperties: false`` while its sibling parts add properties: JSON Schema
        refuses every value with those properties (each part is checked alone), so no client can
        send them. The place, or None."""
        if not isinstance(schema, dict):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in seen or not ref.startswith("#"):
                return None
            found = follow_pointer(self.document, ref[1:])
            return self.closed_all_of(found, ref[1:], seen | {ref}) if found is not MISSING else None
        parts = [p for p in schema.get("allOf") or [] if isinstance(p, dict)]
        if len(parts) > 1:
            every = set(self.resolve(schema).get("properties") or {})
            for index, part in enumerate(parts):
                own = self.resolve(part)
                if own.get("additionalProperties") is False and every - set(own.get("properties") or {}):
                    return f"{where}/allOf/{index}"
        children: list[tuple[str, Any]] = [(f"{where}/allOf/{i}", p) for i, p in enumerate(parts)]
        children += [(f"{where}/properties/{name}", sub) for name, sub in (schema.get("properties") or {}).items()]
        children += [(f"{where}/{key}/{i}", sub) for key in ("anyOf", "oneOf") for i, sub in enumerate(schema.get(key) or [])]
        children += [(f"{where}/{key}", schema[key]) for key in ("items", "additionalProperties") if isinstance(schema.get(key), dict)]
        for place, child in children:
            found_place = self.closed_all_of(child, place, seen)
            if found_place is not None:
                return found_place
        return None

    def single_branch(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The one non-null option of an ``anyOf``/``oneOf`` (a nullable wrapper), else None."""
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list):
                real = [o for o in options if not self.is_null(o)]
                return self.resolve(real[0]) if len(real) == 1 else None
        return schema

    def tagged_branch(self, value: Any, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The option of a discriminated ``oneOf``/``anyOf`` that ``value``'s tag names, or None."""
        discriminator = schema.get("discriminator")
        if not isinstance(value, dict):
            return None
        if not isinstance(discriminator, dict):
            return self._const_branch(value, schema)
        tag = value.get(discriminator.get("propertyName"))
        if not isinstance(tag, str):
            return None
        options = [o for key in ("oneOf", "anyOf") for o in schema.get(key) or [] if isinstance(o, dict)]
        mapped = (discriminator.get("mapping") or {}).get(tag)
        for option in options:
            if isinstance(mapped, str) and option.get("$ref") == mapped:
                return self.resolve(option)
        for option in options:
            resolved = self.resolve(option)
            prop = self.resolve((resolved.get("properties") or {}).get(discriminator.get("propertyName")))
            if tag in (prop.get("enum") or []) or prop.get("const") == tag or str(option.get("$ref", "")).endswith("/" + tag):
                return resolved
        return None

    def _const_branch(self, value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
        """The one option whose one-value enum or const properties all match ``value`` (a
        ``oneOf`` told apart by a ``type`` field without a discriminator), or None."""
        found: list[dict[str, Any]] = []
        for option in [o for key in ("oneOf", "anyOf") for o in schema.get(key) or []]:
            resolved = self.resolve(option)
            fixed = {
                name: (prop.get("enum") or [prop.get("const")])[0]
                for name, prop in ((n, self.resolve(p)) for n, p in (resolved.get("properties") or {}).items())
                if len(prop.get("enum") or []) == 1 or "const" in prop
            }
            if fixed and all(value.get(name) == wanted for name, wanted in fixed.items() if name in value) and any(n in value for n in fixed):
                found.append(resolved)
        return found[0] if len(found) == 1 else None

    def is_null(self, schema: Any) -> bool:
        resolved = self.resolve(schema)
        return resolved.get("type") == "null" or resolved.get("enum") == [None]

    def nullable(self, schema: Any) -> bool:
        raw = schema if isinstance(schema, dict) else {}
        resolved = self.resolve(schema)
        if raw.get("nullable") is True or resolved.get("nullable") is True:
            return True
        kinds = resolved.get("type")
        if isinstance(kinds, list) and "null" in kinds:
            return True
        if isinstance(resolved.get("enum"), list) and None in resolved["enum"]:
            return True
        return any(self.is_null(o) for key in ("anyOf", "oneOf") for o in resolved.get(key) or [])

    def objects(
        self, value: Any, schema: Any, depth: int = 0, *, through_unions: bool = True
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Every object in ``value`` whose schema is known without guessing a branch, with that schema
        (``through_unions=False``: not below an ``anyOf``/``oneOf``, even a nullable one)."""
        if depth > 40:
            return
        resolved = self.resolve(schema)
        tagged = self.tagged_branch(value, resolved)
        if tagged is not None:
            # the option the discriminator names: known, not guessed (with the properties beside it)
            common = {k: v for k, v in resolved.items() if k not in ("anyOf", "oneOf", "discriminator")}
            resolved = {
                **common,
                **tagged,
                "properties": {**(common.get("properties") or {}), **(tagged.get("properties") or {})},
                "required": [*(common.get("required") or []), *(tagged.get("required") or [])],
            }
        elif not through_unions and ("anyOf" in resolved or "oneOf" in resolved):
            if not isinstance(resolved.get("properties"), dict):
                return
            # the properties beside the union are known; the options are not looked into
            resolved = {k: v for k, v in resolved.items() if k not in ("anyOf", "oneOf")}
        branch = self.single_branch(resolved)
        if branch is None:
            return
        resolved = branch
        if isinstance(value, dict):
            properties = resolved.get("properties")
            if isinstance(properties, dict):
                yield value, resolved
                for name, sub in properties.items():
                    if name in value:
                        yield from self.objects(value[name], sub, depth + 1, through_unions=through_unions)
            extra = resolved.get("additionalProperties")
            if isinstance(extra, dict):
                for name, item in value.items():
                    if not isinstance(properties, dict) or name not in properties:
                        yield from self.objects(item, extra, depth + 1, through_unions=through_unions)
        elif isinstance(value, list) and isinstance(resolved.get("items"), dict):
            for item in value:
                yield from self.objects(item, resolved["items"], depth + 1, through_unions=through_unions)


def declared_defaults(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Every ``(property name, default as JSON)`` the spec declares: openapi-core also fills in
    defaults inside the ``oneOf`` option it matched, which cannot be known without guessing."""
    import json

    found: set[tuple[str, str]] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                for name, prop in properties.items():
                    if isinstance(prop, dict) and "default" in prop:
                        found.add((str(name), json.dumps(prop["default"], sort_keys=True)))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return found


def with_defaults(shapes: Shapes, value: Any, schema: Any) -> Any:
    """``value`` with the defaults of absent properties filled in, as openapi-core reads a request
    (it does not look for defaults below ``anyOf``/``oneOf``, and fills only defaults that are
    not null of properties with a ``type``: not ``{oneOf: [...], default: null}`` nor an untyped
    ``{default: {}}``)."""
    result = copy.deepcopy(value)
    for node, resolved in list(shapes.objects(result, schema, through_unions=False)):
        for name, sub in (resolved.get("properties") or {}).items():
            target = shapes.resolve(sub)
            if name not in node and "type" in target and target.get("default") is not None and not _one_way(sub, "readOnly"):
                node[name] = copy.deepcopy(target["default"])
    return result


def _one_way(schema: Any, flag: str) -> bool:
    return isinstance(schema, dict) and schema.get(flag) is True


def mutations(shapes: Shapes, body: Any, schema: Any) -> dict[str, Any]:
    """Each forward-compatible change a real server may make to ``body``, where it applies."""
    result: dict[str, Any] = {}
    for kind, change in _CHANGES.items():
        mutated = copy.deepcopy(body)
        changed = False
        for node, resolved in list(shapes.objects(mutated, schema)):
            changed = change(shapes, node, resolved) or changed
        if changed:
            result[kind] = mutated
    return result


def _unknown_enum(shapes: Shapes, node: dict[str, Any], schema: dict[str, Any]) -> bool:
    discriminator = (schema.get("discriminator") or {}).get("propertyName")
    changed = False
    for name, sub in (schema.get("properties") or {}).items():
        if name not in node or name == discriminator or not isinstance(node[name], str):
            continue
        resolved = shapes.single_branch(shapes.resolve(sub)) or {}
        values = [v for v in resolved.get("enum") or [] if v is not None]
        if len(values) > 1 and all(isinstance(v, str) for v in values):
            node[name] = UNKNOWN_ENUM
            changed = True
    return changed


def _unknown_field(shapes: Shapes, node: dict[str, Any], schema: dict[str, Any]) -> bool:
    if schema.get("additionalProperties") is False or UNKNOWN_FIELD in node:
        return False
    if isinstance(schema.get("additionalProperties"), dict):
        return False  # a map: the new key would be one more typed value, not an unknown field
    node[UNKNOWN_FIELD] = "added by a newer server"
    return True


def _optional_missing(shapes: Shapes, node: dict[str, Any], schema: dict[str, Any]) -> bool:
    required = set(schema.get("required") or [])
    optional = [name for name in (schema.get("properties") or {}) if name in node and name not in required]
    for name in optional:
        del node[name]
    return bool(optional)


def _null_where_nullable(shapes: Shapes, node: dict[str, Any], schema: dict[str, Any]) -> bool:
    changed = False
    for name, sub in (schema.get("properties") or {}).items():
        if name in node and node[name] is not None and shapes.nullable(sub):
            node[name] = None
            changed = True
    return changed


_CHANGES: dict[str, Callable[[Shapes, dict[str, Any], dict[str, Any]], bool]] = {
    "unknown enum value": _unknown_enum,
    "unknown field": _unknown_field,
    "optional field missing": _optional_missing,
    "null where nullable": _null_where_nullable,
}
