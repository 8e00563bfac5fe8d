"""Deterministic sample values for OpenAPI schemas, read straight from a spec.

The behaviour tests use these to call generated clients and to answer them,
so expectations come from the spec itself, never from the generator's IR.
"""

from __future__ import annotations

from typing import Any

# Beyond this nesting depth only required properties are filled (recursive schemas end).
MAX_DEPTH = 4

FORMAT_SAMPLES = {
    "date-time": "2024-05-06T07:08:09Z",
    "date": "2024-05-06",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/resource",
    "url": "https://example.com/resource",
    "email": "someone@example.com",
    "byte": "aGVsbG8=",
    "binary": "raw",
}


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        target: Any = document
        for token in ref.lstrip("#").split("/")[1:]:
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def ref_name(schema: Any) -> str | None:
    """The component name a schema refers to, if it is a ``$ref``."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"].rsplit("/", 1)[-1])
    return None


def is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "null"


def sample(document: dict[str, Any], schema: Any, depth: int = 0, *, dispatch: bool = True) -> Any:
    """A value valid against ``schema`` with every property filled (to a depth).

    ``dispatch`` follows a discriminator mapping to its first subtype; it is off
    while sampling the parts of an ``allOf`` (a subtype's own base).
    """
    schema = resolve(document, schema)
    if not isinstance(schema, dict) or not schema:
        return {"any": "value"}
    if "example" in schema and _example_fits(schema):
        return schema["example"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        scalars = []  # an allOf wrapping a string, a list...: that part's value
        for part in schema["allOf"]:
            value = sample(document, part, depth, dispatch=False)
            if isinstance(value, dict):
                merged.update(value)
            elif any(key in (resolve(document, part) or {}) for key in ("type", "enum", "const", "items", "oneOf", "anyOf", "allOf")):
                scalars.append(value)
        if scalars and not merged and not schema.get("properties"):
            return scalars[0]
        own = {k: v for k, v in schema.items() if k != "allOf"}
        if own.get("properties"):
            merged.update(sample(document, {**own, "type": "object"}, depth))
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [o for o in schema[key] if not is_null(resolve(document, o))]
            discriminator = schema.get("discriminator") or {}
            mapping = discriminator.get("mapping") or {}
            if mapping:
                tag, target = next(iter(mapping.items()))
                value = sample(document, {"$ref": target}, depth)
                value[discriminator["propertyName"]] = tag
                return value
            return sample(document, options[0], depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(t for t in kind if t != "null")
    discriminator = schema.get("discriminator") or {}
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or [])
        result = {}
        for name, prop in (schema.get("properties") or {}).items():
            if depth < MAX_DEPTH or name in required:
                result[name] = sample(document, prop, depth + 1)
        if dispatch and discriminator.get("mapping"):
            tag, target = next(iter(discriminator["mapping"].items()))
            result = {**sample(document, {"$ref": target}, depth), discriminator["propertyName"]: tag}
        extra = schema.get("additionalProperties")
        if not result and isinstance(extra, dict) and extra:
            result["key"] = sample(document, extra, depth + 1)
        if not result and not schema.get("properties"):
            result = {"free": "form"}
        return result
    if kind == "array":
        if depth >= MAX_DEPTH and not schema.get("minItems"):
            return []
        return [sample(document, schema.get("items") or {}, depth + 1)]
    if kind == "string":
        text = FORMAT_SAMPLES.get(str(schema.get("format")), "text")
        min_length = int(schema.get("minLength", 0))
        return text.ljust(min_length, "x")
    if kind == "integer":
        return _bounded(schema, 3)
    if kind == "number":
        return float(_bounded(schema, 2.5))
    if kind == "boolean":
        return True
    return "text"


def _bounded(schema: dict[str, Any], preferred: float) -> Any:
    value = preferred
    if "minimum" in schema:
        value = max(value, schema["minimum"])
    if "maximum" in schema:
        value = min(value, schema["maximum"])
    return value


def _example_fits(schema: dict[str, Any]) -> bool:
    example = schema["example"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), None)
    checks = {
        "string": isinstance(example, str),
        "integer": isinstance(example, int) and not isinstance(example, bool),
        "number": isinstance(example, (int, float)) and not isinstance(example, bool),
        "boolean": isinstance(example, bool),
    }
    if "enum" in schema and example not in schema["enum"]:
        return False
    return checks.get(str(kind), False)


def without_read_only(document: dict[str, Any], schema: Any, value: Any) -> Any:
    """``value`` (a sample of ``schema``) as a request sends it: properties the spec marks
    ``readOnly`` left out, at any depth (OpenAPI: they are not sent in requests)."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return value
    if isinstance(value, list):
        return [without_read_only(document, schema.get("items") or {}, item) for item in value]
    if not isinstance(value, dict):
        return value
    properties: dict[str, Any] = {}
    for part in [schema, *(schema.get("allOf") or [])]:
        part = resolve(document, part)
        if isinstance(part, dict):
            properties.update(part.get("properties") or {})
    discriminator = schema.get("discriminator") or {}
    target = (discriminator.get("mapping") or {}).get(value.get(discriminator.get("propertyName", "")))
    if target and resolve(document, {"$ref": target}) is not schema:
        return without_read_only(document, {"$ref": target}, value)
    result = {}
    for name, item in value.items():
        prop = resolve(document, properties.get(name)) if name in properties else None
        if isinstance(prop, dict) and prop.get("readOnly") is True:
            continue
        result[name] = without_read_only(document, prop, item) if prop is not None else item
    return result
