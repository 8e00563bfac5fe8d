"""OpenAPI schemas as JSON Schema for hypothesis-jsonschema, one direction at a time.

hypothesis-jsonschema draws values from JSON Schema (drafts 4-7). OpenAPI schemas
differ: 3.0's ``nullable`` and boolean ``exclusiveMinimum``, ``readOnly`` properties
that requests must leave out (``writeOnly`` ones that responses leave out), and
``$ref``s into ``components`` that may recurse. :func:`json_schema` rewrites one
schema into a self-contained JSON Schema that draws only values the spec allows
in the given direction; recursion is cut after a few levels by keeping only what
the schema requires there.

Drawing is deliberately close to the spec, not to our generator: nothing here
reads the IR, so a value drawn here is a value a real caller or server may use.
"""

from __future__ import annotations

import base64
import datetime
import re
from typing import Any, Literal

from hypothesis import strategies as st

from generator.errors import MISSING, follow_pointer

Direction = Literal["request", "response"]

#: How many times one ``$ref`` may be expanded inside itself before only required
#: properties (and empty arrays) are drawn below it.
RECURSION_LIMIT = 2
#: After this many ``$ref`` expansions in one schema (Stripe's objects reference each other
#: everywhere), the rest is drawn minimal too, so drawing stays fast.
EXPANSION_LIMIT = 150
_DEPTH_LIMIT = 24

#: Keywords that do not constrain values (annotations, and OpenAPI's own, handled apart): a
#: description or title left in would only make the schema hypothesis-jsonschema
#: canonicalises larger (Stripe's: 250 kB per response, 10-15 s each).
_DROPPED = frozenset(
    {"description", "title", "discriminator", "xml", "externalDocs", "example", "examples", "deprecated", "readOnly", "writeOnly", "nullable",
     "$schema", "$id", "$comment", "contentMediaType", "contentEncoding", "unevaluatedProperties", "unevaluatedItems", "$anchor"}
)

#: Formats drawn by our own strategies (renamed, because hypothesis-jsonschema does not let
#: known formats be replaced): real servers send relative URIs, offsets other than Z, ...
_FORMAT_NAMES = {
    "date-time": "x-verify-date-time",
    "date": "x-verify-date",
    "uri": "x-verify-uri",
    "uri-reference": "x-verify-uri",
    "url": "x-verify-uri",
    "uuid": "x-verify-uuid",
    "byte": "x-verify-byte",
}

#: Marks a property of a form or multipart body whose value goes on the wire as form pairs
#: (``a[b][0]=v``), where nothing says "empty": see :meth:`Converter.convert`.
_FORM_WIRE = "x-verify-form-wire"

_OFFSETS = [datetime.UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30)), datetime.timezone(datetime.timedelta(hours=-8))]


def _datetime_text(moment: datetime.datetime, zulu: bool) -> str:
    text = moment.isoformat()
    return text.replace("+00:00", "Z") if zulu else text


CUSTOM_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "x-verify-date-time": st.builds(
        _datetime_text,
        st.datetimes(
            min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2200, 1, 1), timezones=st.sampled_from(_OFFSETS)
        ),
        st.booleans(),
    ),
    "x-verify-date": st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2200, 1, 1)).map(datetime.date.isoformat),
    "x-verify-uri": st.one_of(
        st.from_regex(r"\Ahttps://[a-z]{1,12}\.example/[a-z0-9/]{0,20}(\?[a-z]{1,5}=[a-z0-9]{1,5})?\Z"),
        st.from_regex(r"\A/[a-z0-9_/]{0,24}(\?cursor=[A-Za-z0-9]{1,8})?\Z"),
    ),
    "x-verify-uuid": st.uuids().map(str),
    "x-verify-byte": st.binary(max_size=24).map(lambda data: base64.b64encode(data).decode("ascii")),
}


class Converter:
    """Turns schemas of one OpenAPI document into JSON Schema for one direction."""

    def __init__(self, document: dict[str, Any], direction: Direction) -> None:
        self.document = document
        self.direction = direction
        self.is_31 = str(document.get("openapi", "")).startswith("3.1")

    def convert(
        self, schema: Any, *, safe_strings: str | None = None, min_length: int = 0, form_wire: bool | frozenset[str] = False
    ) -> dict[str, Any] | bool:
        """The JSON Schema of ``schema``; ``safe_strings`` (a regex) limits strings without a
        pattern, format or enum to what a header, cookie or delimited parameter can carry.

        ``form_wire``: the value (True), or those properties of it (a set of names), is sent as
        form pairs: a ``deepObject`` query parameter, a form body field, a multipart
        ``deepObject`` field. Its objects and arrays, at every depth, are drawn non-empty
        (``minProperties``/``minItems`` 1): the form wire format has no way to express an
        empty one (``a[b]`` with no members, ``a[]`` with no items send no pair at all), so a
        required ``business_profile: {}`` would be a value no client can send and no server
        can read. An optional one drawn empty would only repeat "left out"."""
        self._safe = safe_strings
        self._min_length = min_length
        self._expanded = 0
        if isinstance(form_wire, frozenset):
            schema = self._marked(schema, form_wire)
        converted: dict[str, Any] | bool = self._convert(schema, (), 0, minimal=False, in_all_of=False, wire=form_wire is True)
        return converted

    def _marked(self, schema: Any, names: frozenset[str]) -> Any:
        """``schema`` (an object, maybe behind ``$ref``s) with its properties ``names`` marked as
        sent as form pairs."""
        for _ in range(16):
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                break
            schema = self._resolve(schema["$ref"])
        if not names or not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            return schema
        properties = {name: {_FORM_WIRE: prop} if name in names else prop for name, prop in schema["properties"].items()}
        return {**schema, "properties": properties}

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        found = follow_pointer(self.document, ref[1:])
        return {} if found is MISSING else found

    def _convert(self, schema: Any, stack: tuple[str, ...], depth: int, *, minimal: bool, in_all_of: bool, wire: bool = False) -> Any:
        if isinstance(schema, dict) and _FORM_WIRE in schema:
            return self._convert(schema[_FORM_WIRE], stack, depth, minimal=minimal, in_all_of=in_all_of, wire=True)
        if isinstance(schema, bool):
            return schema
        if depth > _DEPTH_LIMIT:
            # Nothing is drawn this deep (``{}`` would draw any value, null included, where the
            # schema wants an object): a union keeps its options that end sooner, and a schema
            # with none is reported as one verify cannot draw from.
            return False
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._resolve(ref)
            seen = stack.count(ref)
            self._expanded += 1
            cut = seen >= RECURSION_LIMIT or self._expanded > EXPANSION_LIMIT
            converted = self._convert(target, (*stack, ref), depth + 1, minimal=minimal or cut, in_all_of=in_all_of, wire=wire)
            if self.is_31:
                siblings = {k: v for k, v in schema.items() if k != "$ref"}
                if siblings:
                    rest = self._convert(siblings, stack, depth + 1, minimal=minimal, in_all_of=True, wire=wire)
                    return {"allOf": [converted, rest]}
            return converted  # 3.0: keywords beside $ref (nullable too) are ignored

        def sub(node: Any, *, all_of: bool = False) -> Any:
            return self._convert(node, stack, depth + 1, minimal=minimal, in_all_of=all_of, wire=wire)

        if minimal:
            schema = self._pruned(schema, wire)
        result: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _DROPPED or key.startswith("x-"):
                continue
            if key == "properties" and isinstance(value, dict):
                result[key] = {name: sub(prop) for name, prop in value.items() if not self._one_way(prop)}
            elif key in ("patternProperties", "dependentSchemas", "definitions", "$defs") and isinstance(value, dict):
                result[key] = {name: sub(prop) for name, prop in value.items()}
            elif key == "allOf" and isinstance(value, list):
                result[key] = [sub(part, all_of=True) for part in value]
            elif key in ("anyOf", "oneOf") and isinstance(value, list):
                # branches of an allOf part, or beside properties, meet other properties: no closing them
                result[key] = [sub(part, all_of=in_all_of or "properties" in schema) for part in value]
                tag = (schema.get("discriminator") or {}).get("propertyName") if isinstance(schema.get("discriminator"), dict) else None
                if isinstance(tag, str):
                    # the tag picks the option: overlapping options are no error (no oneOf exclusivity)
                    result["anyOf"] = result.pop(key)
                    key = "anyOf"
                    # a discriminated union's options carry the tag (openapi-core insists)
                    result[key] = [
                        {"allOf": [branch, {"required": [tag]}]} if isinstance(branch, dict) and tag in (branch.get("properties") or {}) else branch
                        for branch in result[key]
                    ]
            elif key == "prefixItems" and isinstance(value, list):
                result[key] = [sub(part) for part in value]
            elif key in ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"):
                result[key] = sub(value) if isinstance(value, (dict, bool)) else value
            elif key == "pattern" and isinstance(value, str):
                # ECMA-262 semantics, as JSON Schema says: \w, \d and \s are ASCII classes
                # (Python's re would draw "²" for \w, which the spec does not allow).
                result[key] = value if value.startswith("(?a)") else "(?a)" + value
            elif key == "format" and isinstance(value, str):
                result[key] = _FORMAT_NAMES.get(value, value)
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                bound = "minimum" if key == "exclusiveMinimum" else "maximum"
                if value and bound in schema:
                    result[key] = schema[bound]
            elif key == "required" and isinstance(value, list):
                result[key] = [name for name in value if not self._one_way((schema.get("properties") or {}).get(name))]
            else:
                result[key] = value
        bits = {"int32": 31, "int64": 63}.get(str(schema.get("format")))
        if bits and self._is_kind(result, "integer"):
            # hypothesis-jsonschema does not know integer formats; openapi-core checks their range.
            result["minimum"] = max(result.get("minimum", -(2**bits)), -(2**bits))
            result["maximum"] = min(result.get("maximum", 2**bits - 1), 2**bits - 1)
        for key in ("minimum", "maximum"):
            exclusive = "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
            if schema.get(exclusive) is True:
                result.pop(key, None)
        if not result.get("required"):
            result.pop("required", None)
        free_text = self._is_string(result) and not any(k in result for k in ("pattern", "enum", "const"))
        if free_text and self._safe and "format" not in result:
            result["pattern"] = "(?a)" + self._safe
        # also beside a format hypothesis-jsonschema does not know (airbyte's ``format: UUID``),
        # which it draws as any text, the empty one included
        if free_text and self._min_length and not result.get("minLength"):
            result["minLength"] = self._min_length
        if wire:
            self._non_empty(result)
        if minimal:
            self._minimise(result, wire)
        elif (
            not in_all_of
            and isinstance(result.get("properties"), dict)
            and "additionalProperties" not in result
            and not any(k in result for k in ("allOf", "anyOf", "oneOf", "patternProperties"))
        ):
            # Draw the declared shape; unknown fields are a mutation of their own.
            result["additionalProperties"] = False
        if schema.get("nullable") is True and not self.is_31:
            if isinstance(result.get("enum"), list) and None not in result["enum"]:
                return result  # OpenAPI 3.0.3: an enum without null stays non-null (as openapi-core reads it)
            if "type" not in schema:
                return result  # 3.0.3: nullable without a type (beside allOf/oneOf) adds nothing
            return {"anyOf": [result, {"type": "null"}]}
        return result

    def _one_way(self, prop: Any) -> bool:
        if isinstance(prop, dict) and _FORM_WIRE in prop:
            prop = prop[_FORM_WIRE]
        if isinstance(prop, dict) and isinstance(prop.get("$ref"), str) and len(prop) == 1:
            prop = self._resolve(prop["$ref"])
        if not isinstance(prop, dict):
            return False
        flag = "readOnly" if self.direction == "request" else "writeOnly"
        return prop.get(flag) is True

    @staticmethod
    def _is_kind(schema: dict[str, Any], wanted: str) -> bool:
        kind = schema.get("type")
        return kind == wanted or (isinstance(kind, list) and wanted in kind)

    def _is_string(self, schema: dict[str, Any]) -> bool:
        return self._is_kind(schema, "string")

    def _pruned(self, schema: dict[str, Any], wire: bool = False) -> dict[str, Any]:
        """What :meth:`_minimise` keeps of ``schema``, cut before its subschemas are converted
        (converting all of them first, and then dropping most, took minutes on Stripe's objects,
        which reference each other everywhere): required properties only, no items in an array
        that may be empty, and the first option of a union that leads somewhere. On the form
        wire (``wire``), where nothing may be empty, an object without required properties
        keeps one (the first that is not a reference, which would expand further)."""
        pruned = dict(schema)
        if isinstance(schema.get("properties"), dict):
            required = set(schema.get("required") or [])
            pruned["properties"] = {k: v for k, v in schema["properties"].items() if k in required}
            if wire and not pruned["properties"] and schema["properties"]:
                members = list(schema["properties"].items())
                name, prop = next(((k, v) for k, v in members if not (isinstance(v, dict) and "$ref" in v)), members[0])
                pruned["properties"] = {name: prop}
        if isinstance(schema.get("items"), dict) and not schema.get("minItems") and not wire:
            pruned["items"] = {}
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and len(options) > 1:
                # an option that is not a reference ends here (a reference expands further)
                pruned[key] = [next((o for o in options if not (isinstance(o, dict) and "$ref" in o)), options[0])]
        return pruned

    @staticmethod
    def _non_empty(schema: dict[str, Any]) -> None:
        """An object or array on the form wire: not empty (see :meth:`convert`). A union or
        ``allOf`` gets it from its parts."""
        if any(key in schema for key in ("anyOf", "oneOf", "allOf")):
            return
        if "items" in schema or Converter._is_kind(schema, "array"):
            schema["minItems"] = max(int(schema.get("minItems", 0)), 1)
        if "properties" in schema or isinstance(schema.get("additionalProperties"), dict) or Converter._is_kind(schema, "object"):
            schema["minProperties"] = max(int(schema.get("minProperties", 0)), 1)

    @staticmethod
    def _minimise(schema: dict[str, Any], wire: bool = False) -> None:
        """Below the recursion limit: only required properties (or the one :meth:`_pruned` kept
        on the form wire), arrays as short as allowed."""
        if isinstance(schema.get("properties"), dict):
            required = set(schema.get("required") or [])
            if not (wire and not required):
                schema["properties"] = {k: v for k, v in schema["properties"].items() if k in required}
            schema["additionalProperties"] = False
        if "items" in schema or schema.get("type") == "array":
            schema["maxItems"] = max(int(schema.get("minItems", 0)), 0)
        for key in ("anyOf", "oneOf"):
            if isinstance(schema.get(key), list) and len(schema[key]) > 1:
                schema[key] = schema[key][:1]


#: Arrays drawn by our own composition stay short: a few items exercise the same code as many.
_MAX_ITEMS = 4
_LEAF_CACHE: dict[str, st.SearchStrategy[Any]] = {}


def strategy(json_schema: Any) -> st.SearchStrategy[Any]:
    """Values that ``json_schema`` (from :meth:`Converter.convert`) accepts.

    Objects with plain properties, arrays, maps and ``anyOf``/``oneOf`` are composed
    here from hypothesis' own collection strategies; hypothesis-jsonschema draws the
    rest (scalars with patterns and formats, ``allOf``, constrained objects). Drawing
    whole nested objects through hypothesis-jsonschema re-canonicalises every
    subschema on every draw: ~10x slower on real specs.
    """
    if json_schema is True or json_schema == {}:
        return _leaf({})
    if json_schema is False:
        return st.nothing()
    if not isinstance(json_schema, dict):
        return _leaf({})
    merged = _merged_all_of(json_schema)
    if merged is not None:
        return strategy(merged)
    keys = set(json_schema)
    if keys == {"anyOf"} or keys == {"oneOf"}:
        options = [strategy(option) for option in json_schema.get("anyOf") or json_schema.get("oneOf") or []]
        if not options:
            return st.nothing()
        drawn = st.one_of(*options)
        if "oneOf" in keys and len(options) > 1:
            validators = [_validator(option) for option in json_schema["oneOf"]]
            return drawn.filter(lambda value: sum(1 for v in validators if v(value)) == 1)
        return drawn
    if _plain_object(json_schema):
        properties = json_schema.get("properties") or {}
        required = set(json_schema.get("required") or [])
        fixed = {name: strategy(sub) for name, sub in properties.items() if name in required}
        optional = {name: strategy(sub) for name, sub in properties.items() if name not in required}
        missing = int(json_schema.get("minProperties", 0)) - len(fixed)
        if missing <= 0:
            return st.fixed_dictionaries(fixed, optional=optional)
        if missing > len(optional):
            return st.nothing()
        if missing == 1:
            # one optional property made present in turn: no draw is thrown away
            return st.one_of(
                *(
                    st.fixed_dictionaries({**fixed, name: value}, optional={k: v for k, v in optional.items() if k != name})
                    for name, value in optional.items()
                )
            )
        return st.fixed_dictionaries(fixed, optional=optional).filter(lambda value: len(value) >= len(fixed) + missing)
    if _plain_map(json_schema):
        values = json_schema.get("additionalProperties")
        low = int(json_schema.get("minProperties", 0))
        names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
        return st.dictionaries(names, strategy(values if isinstance(values, dict) else {}), min_size=low, max_size=max(3, low))
    if _plain_array(json_schema):
        low = int(json_schema.get("minItems", 0))
        high = int(json_schema.get("maxItems", max(low, _MAX_ITEMS)))
        items = strategy(json_schema.get("items", {}))
        if items.is_empty:
            # no item can be drawn (the recursion or depth cut reached them): only the empty
            # list, if allowed; hypothesis refuses lists of nothing with a non-zero max_size,
            # and only where one is drawn (then it shrank that error for minutes on Stripe)
            return st.just([]) if low == 0 else st.nothing()
        return st.lists(items, min_size=low, max_size=min(high, max(low, _MAX_ITEMS)))
    return _leaf(json_schema)


def _merged_all_of(schema: dict[str, Any]) -> dict[str, Any] | None:
    """``allOf`` of plain objects (the usual inheritance) as one plain object, or None."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or not parts or set(schema) - {"allOf", "type", "title", "description", "default", "minProperties"}:
        return None
    flat: list[dict[str, Any]] = []
    for part in parts:
        inner = _merged_all_of(part) if isinstance(part, dict) and "allOf" in part else part
        if not isinstance(inner, dict) or set(inner) - _OBJECT_KEYS or inner.get("type", "object") != "object":
            return None
        if isinstance(inner.get("additionalProperties"), dict):
            return None
        flat.append(inner)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in flat:
        for name, sub in (part.get("properties") or {}).items():
            properties[name] = {"allOf": [properties[name], sub]} if name in properties else sub
        required += [name for name in part.get("required") or [] if name not in required]
    if any(name not in properties for name in required):
        return None
    merged: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        merged["required"] = required
    least = max(int(part.get("minProperties", 0)) for part in [schema, *flat])
    if least:
        merged["minProperties"] = least
    return merged


def _kind_is(schema: dict[str, Any], wanted: str) -> bool:
    kind = schema.get("type")
    return kind == wanted


_OBJECT_KEYS = frozenset({"type", "properties", "required", "additionalProperties", "minProperties", "title", "description", "default"})
_ARRAY_KEYS = frozenset({"type", "items", "minItems", "maxItems", "title", "description", "default"})


def _plain_object(schema: dict[str, Any]) -> bool:
    return (
        isinstance(schema.get("properties"), dict)
        and schema.get("additionalProperties") is False
        and set(schema) <= _OBJECT_KEYS
        and schema.get("type", "object") == "object"
        and all(name in schema["properties"] for name in schema.get("required") or [])
    )


def _plain_map(schema: dict[str, Any]) -> bool:
    return (
        isinstance(schema.get("additionalProperties"), dict)
        and not schema.get("properties")
        and not schema.get("required")
        and set(schema) <= _OBJECT_KEYS
        and schema.get("type", "object") == "object"
    )


def _plain_array(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("items"), (dict, bool)) and set(schema) <= _ARRAY_KEYS and schema.get("type", "array") == "array"


def _leaf(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    import json

    from hypothesis_jsonschema import from_schema

    key = json.dumps(schema, sort_keys=True)
    found = _LEAF_CACHE.get(key)
    if found is None:
        found = from_schema(schema, custom_formats=CUSTOM_FORMATS)
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("(?a)"):
            # Matching under both semantics: ECMA-262's (the spec's) and Python's Unicode one,
            # which openapi-core and pydantic's validators use for \b and \w.
            unicode = re.compile(pattern[len("(?a)") :])
            found = found.filter(lambda value: not isinstance(value, str) or unicode.search(value) is not None)
        _LEAF_CACHE[key] = found
    return found


def _validator(schema: Any) -> Any:
    import jsonschema  # type: ignore[import-untyped]  # no stubs; openapi-core depends on it

    checker = jsonschema.Draft7Validator(schema, format_checker=None)
    return checker.is_valid
