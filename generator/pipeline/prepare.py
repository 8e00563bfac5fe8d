"""Stage 3b: prepare the model document for datamodel-code-generator.

The IR builder (:mod:`generator.pipeline.parse`) hands every schema that becomes a model here,
components and schemas hoisted from operations alike, and they all go through the same
rules, each a function named for what it does: references renamed to class names,
lone ``allOf`` wrappers and ``anyOf [X, null]`` merged, ``nullable`` kept where
datamodel-code-generator would lose it, formats the signatures do not type dropped
(:func:`pytypes.keeps_format`), inline objects and enums hoisted under names from
:mod:`naming`, defaults that do not fit their Python type moved to the docstring,
readOnly/writeOnly fields made optional, examples documented. :func:`finish` then runs
the passes that need every model at once (allOf children that narrow a parent,
untagged unions, aliases used as plain types).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

from generator.errors import unescape_pointer_token
from generator.pipeline import naming, pytypes

SCHEMA_REF = "#/components/schemas/"


def prepare_schemas(
    schemas: dict[str, Any],
    known: dict[str, Any],
    *,
    class_names: dict[str, str],
    deep_inline: dict[str, Any],
    ref_names: dict[str, str],
    is_31: bool,
) -> dict[str, Any]:
    """``schemas`` (name -> schema) with every per-schema rule applied; ``known`` holds the
    models prepared before (unions are distributed over them)."""
    prepared = {}
    for name, schema in schemas.items():
        schema = _rename_refs(schema, class_names, deep_inline, ref_names)
        schema = _merge_single_all_of(schema)
        schema = _shape_fixes(schema)
        schema = _merge_nullable_option(schema, is_31)
        schema = _nullable_free_form_items(schema)
        schema = _nullable_false_dropped(schema)
        schema = _null_defaults_nullable(schema, is_31)
        schema = _loose_formats(schema)
        prepared[name] = _inner_constraints_dropped(schema)
    known = {**known, **prepared}
    return {name: _text_options_first(_distribute_unions(schema, known), known) for name, schema in prepared.items()}


def document_schema(schema: Any, schemas: dict[str, Any]) -> Any:
    """The rules for a hoisted model: defaults that do not fit dropped, readOnly and writeOnly
    fields made optional (and said so), examples in the docstrings."""
    return _documented_examples(_one_way_fields(_typed_defaults(schema, schemas)))


def finish(schemas: dict[str, Any], dispatching: set[str]) -> dict[str, Any]:
    """The passes over all models at once (``dispatching``: polymorphic bases and subtypes)."""
    flatten_narrowing_children(schemas, dispatching)
    schemas = {name: _untagged_unions(schema, schemas) for name, schema in schemas.items()}
    # An inlined alias may leave ``allOf: [{description}, {type: string}]`` to merge, and brings
    # its constraints into list items, map values and union options.
    return {name: _inner_constraints_dropped(_merge_single_all_of(schema)) for name, schema in _inline_aliases(schemas).items()}


def schema_kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _schema_ref_name(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF) and "/" not in ref[len(SCHEMA_REF) :]:
        return unescape_pointer_token(ref[len(SCHEMA_REF) :])
    return None


def _discriminator_tags(schemas: dict[str, Any]) -> dict[str, dict[str, list[Any]]]:
    """model -> {property: tags}: the ``Literal`` datamodel-code-generator gives the discriminator
    property of each member of a discriminated ``oneOf``/``anyOf`` (its mapping keys, else its name)."""
    tags: dict[str, dict[str, list[Any]]] = {}

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        discriminator = node.get("discriminator")
        options = node.get("oneOf") or node.get("anyOf")
        if not (isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str) and isinstance(options, list)):
            return node
        prop = discriminator["propertyName"]
        mapping: dict[str, Any] = discriminator["mapping"] if isinstance(discriminator.get("mapping"), dict) else {}
        members = [name for name in (_schema_ref_name(o) for o in options) if name is not None]
        for member in members:
            keys = [key for key, target in mapping.items() if _schema_ref_name({"$ref": target}) == member] or ([] if mapping else [member])
            if keys:
                tags.setdefault(member, {}).setdefault(prop, []).extend(k for k in keys if k not in tags[member][prop])
        return node

    for schema in schemas.values():
        _map_schemas(schema, fix)
    return tags


def _field_types(name: str, schemas: dict[str, Any], tags: dict[str, dict[str, list[Any]]], seen: frozenset[str] = frozenset()) -> dict[str, tuple[frozenset[str], list[str]]]:
    """property -> (type members, classes defining it) for every field of model ``name``, its
    inherited ones included, as the generated class types them (``None`` when optional)."""
    schema = schemas.get(name)
    if name in seen or not isinstance(schema, dict):
        return {}
    fields: dict[str, tuple[frozenset[str], list[str]]] = {}
    required: set[str] = set()
    own: dict[str, Any] = {}
    for part in [*(schema.get("allOf") or []), schema]:
        if not isinstance(part, dict):
            continue
        parent = _schema_ref_name(part) if part is not schema else None
        if parent is not None:
            for prop, (kinds, owners) in _field_types(parent, schemas, tags, seen | {name}).items():
                fields[prop] = (kinds, owners)
            continue
        required.update(r for r in part.get("required") or [] if isinstance(r, str))
        own.update(part.get("properties") or {} if isinstance(part.get("properties"), dict) else {})
    for prop, sub in own.items():
        kinds = _type_members(sub, schemas)
        optional = prop not in required and not (prop in fields and "None" not in fields[prop][0])
        fields[prop] = (kinds | {"None"} if optional else kinds, [name])
    for prop, values in tags.get(name, {}).items():
        fields[prop] = (frozenset(f"lit:{value!r}" for value in values), [name])
    return fields


def _type_members(schema: Any, schemas: dict[str, Any], depth: int = 0) -> frozenset[str]:
    """The members of the Python type datamodel-code-generator gives ``schema``, as tokens:
    ``str``, ``int``, ``lit:'a'``, ``class:Pet``, ``enum:str:Kind``, ``list[...]``, ``None``..."""
    if not isinstance(schema, dict) or depth > 8:
        return frozenset({"Any"})
    out: set[str] = set()
    if schema.get("nullable") is True:
        out.add("None")
    name = _schema_ref_name(schema)
    if name is not None:
        target = schemas.get(name)
        values = [v for v in (target.get("enum") or []) if v is not None] if isinstance(target, dict) else []
        if len(values) > 1:
            base = "str" if all(isinstance(v, str) for v in values) else "int" if all(isinstance(v, int) and not isinstance(v, bool) for v in values) else "other"
            out.add(f"enum:{base}:{name}")
        else:
            out.add(f"class:{name}")
        return frozenset(out)
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            for option in schema[key]:
                out |= _type_members(option, schemas, depth + 1)
            return frozenset(out)
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            return frozenset(out | _type_members(all_of[0], schemas, depth + 1))
        return frozenset(out | {"object:" + json.dumps(schema, sort_keys=True, default=str)})
    if "const" in schema:
        return frozenset(out | {f"lit:{schema['const']!r}"})
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        out.update("None" if v is None else f"lit:{v!r}" for v in enum)
        return frozenset(out)
    kinds = schema.get("type")
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
    formats = {"date-time": "datetime", "date": "date", "time": "time", "binary": "bytes", "decimal": "Decimal"}
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if kind == "string" and schema.get("format") in formats:
            out.add(formats[schema["format"]])
        elif kind in simple:
            out.add(simple[kind])
        elif kind == "array" or (kind is None and "items" in schema):
            out.add(f"list[{','.join(sorted(_type_members(schema.get('items'), schemas, depth + 1)))}]")
        elif schema.get("properties"):
            out.add("object:" + json.dumps(schema, sort_keys=True, default=str))
        elif kind in ("object", None) and isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
            out.add(f"dict[{','.join(sorted(_type_members(schema['additionalProperties'], schemas, depth + 1)))}]")
        elif kind == "object":
            out.add("dict[Any]")
        else:
            out.add("Any")
    return frozenset(out)


def _ancestors(name: str, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    schema = schemas.get(name)
    if name in seen or not isinstance(schema, dict):
        return set()
    found: set[str] = set()
    for part in schema.get("allOf") or []:
        parent = _schema_ref_name(part)
        if parent is not None:
            found |= {parent} | _ancestors(parent, schemas, seen | {name})
    return found


def _assignable(child: frozenset[str], parent: frozenset[str], schemas: dict[str, Any]) -> bool:
    """Whether mypy accepts a field typed ``child`` overriding one typed ``parent``."""
    if "Any" in parent or child == parent:
        return True

    def member_fits(member: str) -> bool:
        if member in parent:
            return True
        if member.startswith("lit:"):
            value = member[4:]
            if value[:1] in "'\"":
                return "str" in parent
            if value in ("True", "False"):
                return "bool" in parent or "int" in parent
            return "int" in parent or "float" in parent if "." not in value else "float" in parent
        if member.startswith("enum:str:"):
            return "str" in parent
        if member.startswith("enum:int:"):
            return "int" in parent or "float" in parent
        if member == "int":
            return "float" in parent
        if member.startswith("class:"):
            return any(f"class:{ancestor}" in parent for ancestor in _ancestors(member[6:], schemas))
        return False

    return all(member_fits(member) for member in child)


def flatten_narrowing_children(schemas: dict[str, Any], keep: set[str]) -> None:
    """Give up inheritance where a model would override an inherited field with a type mypy
    does not accept as a subtype (``context_info: dict`` in the parent, an object in the
    child; an enum in the parent, the ``Literal`` tag datamodel-code-generator gives a member
    of a discriminated union in the child). The child then gets the parent's fields copied
    (its ``allOf`` references inlined) instead of a base class: same fields, same validation,
    a class mypy accepts. Models in a dispatching hierarchy (``keep``) stay subclasses.
    """
    tags = _discriminator_tags(schemas)
    for name in list(schemas):
        schema = schemas[name]
        if name in keep or not isinstance(schema, dict):
            continue
        parents = [parent for parent in (_schema_ref_name(part) for part in schema.get("allOf") or []) if parent is not None]
        if not parents:
            continue
        inherited: dict[str, tuple[frozenset[str], list[str]]] = {}
        for parent in parents:
            inherited.update(_field_types(parent, schemas, tags, frozenset({name})))
        own = _field_types(name, schemas, tags)
        if any(
            owners == [name] and prop in inherited and not _assignable(kinds, inherited[prop][0], schemas)
            for prop, (kinds, owners) in own.items()
        ):
            own_parts = [part for part in [*(schema.get("allOf") or []), schema] if isinstance(part, dict) and _schema_ref_name(part) is None]
            redefined = {prop for part in own_parts if isinstance(part.get("properties"), dict) for prop in part["properties"]}
            parts = []
            for part in schema.get("allOf") or []:
                if _schema_ref_name(part) is None:
                    parts.append(part)
                    continue
                for inherited_part in _inlined_parts({"allOf": [part]}, schemas, frozenset({name})):
                    # The child's own definition of a property replaces the parent's (merged,
                    # datamodel-code-generator would make a third class of the two).
                    if isinstance(inherited_part, dict) and isinstance(inherited_part.get("properties"), dict):
                        inherited_part = {**inherited_part, "properties": {k: v for k, v in inherited_part["properties"].items() if k not in redefined}}
                    parts.append(inherited_part)
            schemas[name] = {**{k: v for k, v in schema.items() if k != "allOf"}, "allOf": parts}


_NOT_INHERITED = ("allOf", "description", "title", "discriminator", "example", "examples", "deprecated", "externalDocs")


def _inlined_parts(schema: dict[str, Any], schemas: dict[str, Any], seen: frozenset[str]) -> list[Any]:
    """``schema``'s ``allOf`` parts with every model reference replaced by that model's own parts."""
    parts: list[Any] = []
    for part in schema.get("allOf") or []:
        parent = _schema_ref_name(part)
        target = schemas.get(parent) if parent is not None else None
        if parent is None or not isinstance(target, dict) or parent in seen:
            parts.append(part)
            continue
        parts.extend(_inlined_parts(target, schemas, seen | {parent}))
        own = {key: value for key, value in target.items() if key not in _NOT_INHERITED}
        if own:
            parts.append(copy.deepcopy(own))
    return parts


def _rename_refs(
    node: Any, class_names: dict[str, str], inline: dict[str, Any] | None = None, moved: dict[str, str] | None = None, depth: int = 0
) -> Any:
    """``node`` with references to component schemas pointing at their class names; references
    into a schema (see :func:`materialise_deep_refs`) pointing at the class their target became
    (``moved``) or replaced by a copy of it (``inline``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if inline and depth < 16 and isinstance(ref, str) and ref in inline:
            merged = {**copy.deepcopy(inline[ref]), **{k: v for k, v in node.items() if k != "$ref"}}
            return _rename_refs(merged, class_names, inline, moved, depth + 1)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and moved and isinstance(value, str) and value in moved:
                result[key] = SCHEMA_REF + moved[value]
            elif key == "$ref" and isinstance(value, str) and value.startswith(SCHEMA_REF):
                target = unescape_pointer_token(value[len(SCHEMA_REF) :])
                result[key] = SCHEMA_REF + class_names.get(target, target)
            elif key == "mapping" and isinstance(value, dict):
                result[key] = {
                    k: (SCHEMA_REF + class_names.get(unescape_pointer_token(v[len(SCHEMA_REF) :]), v[len(SCHEMA_REF) :]))
                    if isinstance(v, str) and v.startswith(SCHEMA_REF)
                    else v
                    for k, v in value.items()
                }
            else:
                result[key] = _rename_refs(value, class_names, inline, moved, depth)
        return result
    if isinstance(node, list):
        return [_rename_refs(item, class_names, inline, moved, depth) for item in node]
    return node


def _deep_refs(node: Any) -> Iterator[str]:
    """Every reference in ``node`` that points into a schema rather than at a component schema:
    into a component (``#/components/schemas/A/definitions/b``) or at a schema elsewhere
    (``#/components/parameters/p/schema``)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                tokens = ref[2:].split("/")
                if ref.startswith(SCHEMA_REF) and len(tokens) > 3 or not ref.startswith(SCHEMA_REF) and "schema" in tokens:
                    yield ref
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def materialise_deep_refs(schemas: dict[str, Any], document: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """Resolve references into schemas (``A/definitions/b``, ``A/properties/c``, ``A/allOf/2``,
    ``#/components/parameters/p/schema``), which datamodel-code-generator would otherwise turn
    into classes it names itself (or, outside ``components/schemas``, into ``Any``).

    A target that needs a class (an object, an enum of several values, a composition, or one
    holding such references itself) moves into ``schemas`` under a name from
    :func:`naming.deep_schema_name` (``A`` + ``b``), a reference taking its place; others
    (a string, a list of a model...) are copied where they are used. Deepest targets go first,
    so one inside another moves before its container. ``definitions`` / ``$defs`` containers
    are dropped from the components (they are not part of a type). Returns (reference -> new
    key in ``schemas``, reference -> copied schema); ``schemas`` is changed in place.
    """
    moved: dict[str, str] = {}
    copied: dict[str, Any] = {}
    root = {"components": {**(document.get("components") or {}), "schemas": schemas}, "paths": document.get("paths"), "webhooks": document.get("webhooks")}
    refs = sorted(set(_deep_refs(document)), key=lambda ref: (-ref.count("/"), ref))
    for ref in refs:
        tokens = [unescape_pointer_token(token) for token in ref[2:].split("/")]
        container: Any = root
        for token in tokens[:-1]:
            container = _child(container, token)
        last = tokens[-1]
        target = _child(container, last)
        if not isinstance(target, dict):
            continue
        if "$ref" in target and len(target) == 1 or not (pytypes.needs_class(target) or any(True for _ in _deep_refs(target))):
            copied[ref] = copy.deepcopy(target)
            continue
        if tokens[:2] == ["components", "schemas"]:
            wanted = naming.deep_schema_name(tokens[2], tokens[3:])
        else:
            wanted = naming.deep_schema_name(tokens[-2] if tokens[-1] == "schema" and len(tokens) > 1 else tokens[-1], [])
        name = naming.unique_class_name(wanted, schemas)
        schemas[name] = copy.deepcopy(target) if tokens[:2] != ["components", "schemas"] else target
        if tokens[:2] == ["components", "schemas"]:
            container[int(last) if isinstance(container, list) else last] = {"$ref": SCHEMA_REF + name}
        moved[ref] = name
    for schema in schemas.values():
        if isinstance(schema, dict):
            for container_key in ("definitions", "$defs"):
                schema.pop(container_key, None)
    return moved, copied


def _child(node: Any, token: str) -> Any:
    """``node``'s member at one (unescaped) JSON pointer token, a list's by its index, or None."""
    if isinstance(node, dict):
        return node.get(token)
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return None


_PRIMITIVES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def default_fits(schema: Any, value: Any, schemas: dict[str, Any], depth: int = 0, wrap: bool = False) -> bool:
    """Whether a model field can carry ``value`` as its Python default unchanged (and type-check).

    A reference to a schema that becomes a ``RootModel`` never does (datamodel-code-generator
    writes the raw value, not the model); ``wrap`` (arguments): it does when the value is a
    primitive the argument's default can wrap (``Kind("a")``, see ``_default_repr``), or the
    schema is a plain alias typed as its primitive.
    """
    if value is None or depth > 8 or not isinstance(schema, dict):
        return value is None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = schemas.get(unescape_pointer_token(ref.rsplit("/", 1)[-1]))
        if isinstance(target, dict) and _is_root_model(target):
            if not wrap:
                return False
            if not pytypes.is_plain_alias(target) and not (isinstance(value, (str, int)) and not isinstance(value, bool)):
                return False
        return default_fits(target, value, schemas, depth + 1, wrap)
    if isinstance(schema.get("enum"), list):
        return value in schema["enum"] and not isinstance(value, (list, dict))
    for key in ("allOf", "anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if not pytypes.is_null_schema(o)]
        if options:
            return len(options) == 1 and default_fits(options[0], value, schemas, depth + 1, wrap)
    kinds = schema.get("type")
    kinds = [k for k in kinds if k != "null"] if isinstance(kinds, list) else [kinds]
    if len(kinds) != 1:
        return False
    kind = kinds[0]
    if kind in _PRIMITIVES:
        if isinstance(value, bool) and kind != "boolean":
            return False
        return isinstance(value, _PRIMITIVES[kind]) and (
            kind != "string" or pytypes.string_type(schema.get("format")) in (pytypes.STR, pytypes.SECRET)
        )
    if kind == "array" and isinstance(value, list):
        return all(default_fits(schema.get("items") or {}, item, schemas, depth + 1, wrap) for item in value)
    return False


_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties")


def _map_schemas(schema: Any, fix: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    """Apply ``fix`` to ``schema`` and every subschema (bottom-up), knowing which keys hold schemas
    (a property may be *named* ``default``)."""
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {name: _map_schemas(sub, fix) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            result[key] = [_map_schemas(sub, fix) for sub in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            result[key] = _map_schemas(value, fix)
        else:
            result[key] = value
    return fix(result)


_MOVED_WITH_SCHEMA = ("type", "enum", "format", "properties", "required", "additionalProperties", "patternProperties",
                      "allOf", "oneOf", "anyOf", "discriminator", "items", "title", "minProperties", "maxProperties",
                      "x-enum-varnames", "x-enum-descriptions", "x-enumNames")


def _is_discriminated_union(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and "$ref" not in schema
        and isinstance(schema.get("discriminator"), dict)
        and any(isinstance(schema.get(key), list) for key in ("oneOf", "anyOf"))
    )


#: Validation keywords left out of list items, map values and union options: datamodel-code-generator
#: can only hold them in a class of their own (which it names itself), and they only make the
#: client stricter than the server when it reads a response.
_INNER_CONSTRAINTS = ("pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                      "multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties")


def _inner_constraints_dropped(schema: Any) -> Any:
    """Drop :data:`_INNER_CONSTRAINTS` from the primitive and array schemas of list items, map
    values and ``anyOf`` / ``oneOf`` options (fields keep theirs, in ``Field(...)``)."""

    def loosen(node: Any) -> Any:
        if not isinstance(node, dict) or "$ref" in node or node.get("properties") or "enum" in node:
            return node
        return {key: value for key, value in node.items() if key not in _INNER_CONSTRAINTS}

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                node[key] = loosen(node[key])
        for key in ("anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                node[key] = [loosen(option) for option in node[key]]
        return node

    return _map_schemas(schema, fix)


def hoist_inline_schemas(schemas: dict[str, Any], taken: set[str] | None = None) -> dict[str, Any]:
    """Give every inline enum and object a component of its own, named from where it sits
    (``Circle.shape`` -> ``CircleShape``, array items ``...Item``, map values ``...Value``).

    Left inline, datamodel-code-generator names them itself (``Shape``, ``Type1``...),
    and may take a component's name and rename the component, breaking the classes
    the operations refer to. The reference keeps the property's own keywords
    (description, default, nullable...) beside it.
    """
    result: dict[str, Any] = {}
    taken = set(schemas) | (taken or set())  # class names already in use (``schemas`` and others)

    def claim(wanted: str) -> str:
        name = naming.unique_class_name(naming.class_name(wanted), taken)
        taken.add(name)
        return name

    def place(schema: Any, wanted: str, contained: bool = False) -> Any:
        # In a list or map, a discriminated union needs a class too (datamodel-code-generator
        # would name one itself); a field holds it inline as ``A | B`` with its discriminator.
        if not (pytypes.needs_class(schema) or (contained and _is_discriminated_union(schema))):
            return visit(schema, wanted)
        name = claim(wanted)
        # Validation keywords go too: beside the reference they would make datamodel-code-generator
        # build (and name) yet another class.
        moved = {key: value for key, value in schema.items() if key in _MOVED_WITH_SCHEMA or key in _INNER_CONSTRAINTS}
        if isinstance(moved.get("type"), list):
            kinds = [kind for kind in moved["type"] if kind != "null"]
            moved["type"] = kinds[0] if len(kinds) == 1 else kinds
        if "enum" in moved:
            moved["enum"] = [value for value in moved["enum"] if value is not None]
        kept = {key: value for key, value in schema.items() if key not in moved}
        nullable = None in (schema.get("enum") or []) or (isinstance(schema.get("type"), list) and "null" in schema["type"])
        if nullable:
            kept["nullable"] = True
        result[name] = visit(moved, name)
        return {"$ref": SCHEMA_REF + name, **kept}

    def visit(schema: Any, base: str) -> Any:
        if not isinstance(schema, dict):
            return schema
        out = dict(schema)
        if isinstance(out.get("properties"), dict):
            out["properties"] = {field: place(sub, f"{base}_{field}") for field, sub in out["properties"].items()}
        if isinstance(out.get("items"), dict):
            out["items"] = place(out["items"], f"{base}_item", contained=True)
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = place(out["additionalProperties"], f"{base}_value", contained=True)
        for key in ("allOf", "oneOf", "anyOf"):
            if isinstance(out.get(key), list):
                out[key] = [
                    visit(sub, base) if key == "allOf" else place(sub, f"{base}_option{index + 1}")
                    for index, sub in enumerate(out[key])
                ]
        return out

    for name, schema in schemas.items():
        result[name] = visit(schema, name)
    ordered = {name: result[name] for name in schemas}
    ordered.update((name, result[name]) for name in result if name not in schemas)
    return ordered


#: Examples whose Python literal is longer than this stay out of docstrings (they
#: would drown the description); datamodel-code-generator still puts every model
#: field's example in its ``Field(examples=...)``.
EXAMPLE_LIMIT = 120


def example_text(node: dict[str, Any]) -> str:
    """The Python literal of the first example ``node`` (a schema, parameter or media type)
    gives, for docstrings; "" when it gives none, only ``null``, or one longer than
    :data:`EXAMPLE_LIMIT`. ``example`` wins over ``examples`` (a list in a 3.1 schema, a map
    of Example Objects in a parameter or media type; referenced ones are skipped)."""
    if "example" in node:
        value = node["example"]
    elif isinstance(node.get("examples"), list) and node["examples"]:
        value = node["examples"][0]
    elif isinstance(node.get("examples"), dict) and node["examples"]:
        first = next(iter(node["examples"].values()))
        value = first.get("value") if isinstance(first, dict) else None
    else:
        return ""
    if value is None:
        return ""
    text = pytypes.literal(value)
    return text if len(text) <= EXAMPLE_LIMIT else ""


def _documented_examples(schema: Any) -> Any:
    """Append ``Example: ...`` to the description of every schema that gives an example, so
    model and field docstrings show one."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        text = example_text(node)
        if text:
            note = f"Example: ``{text}``."
            description = node.get("description")
            node["description"] = f"{description}\n\n{note}" if isinstance(description, str) and description.strip() else note
        return node

    return _map_schemas(schema, fix)


_READ_ONLY_NOTE = "Read-only: set by the server; left out of request bodies."
_WRITE_ONLY_NOTE = "Write-only: sent in requests; responses leave it out."


def _one_way_fields(schema: Any) -> Any:
    """``readOnly`` and ``writeOnly`` properties: required in one direction only.

    One model serves requests and responses, so such a property is never required:
    a readOnly one is absent from what a caller builds, a writeOnly one from what the
    server returns. Their docstrings say so; the runtime drops readOnly fields from
    request bodies (``models`` marks them in ``json_schema_extra``).
    """

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        one_way = {
            name
            for part in [node, *(p for p in node.get("allOf") or [] if isinstance(p, dict))]
            if isinstance(part.get("properties"), dict)
            for name, sub in part["properties"].items()
            if isinstance(sub, dict) and (sub.get("readOnly") is True or sub.get("writeOnly") is True)
        }
        if one_way:
            for part in [node, *(p for p in node.get("allOf") or [] if isinstance(p, dict))]:
                if isinstance(part.get("required"), list) and one_way & set(part["required"]):
                    part["required"] = [name for name in part["required"] if name not in one_way]
        for flag, note in (("readOnly", _READ_ONLY_NOTE), ("writeOnly", _WRITE_ONLY_NOTE)):
            if node.get(flag) is True:
                description = node.get("description")
                node["description"] = f"{description}\n\n{note}" if isinstance(description, str) and description.strip() else note
        return node

    return _map_schemas(schema, fix)


def has_read_only(schemas: dict[str, Any]) -> bool:
    found = False

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        nonlocal found
        found = found or node.get("readOnly") is True
        return node

    for schema in schemas.values():
        _map_schemas(schema, fix)
    return found


def _typed_defaults(schema: Any, schemas: dict[str, Any]) -> Any:
    """Drop ``default`` values a Python field of the schema's type cannot hold as they are
    (dates given as strings, objects given as dicts, values that break the schema); the
    API applies them anyway, and the description keeps them for readers."""

    def drop(node: dict[str, Any]) -> dict[str, Any]:
        default = node.pop("default")
        note = f"Default: {json.dumps(default, sort_keys=True, default=str)[:200]}."
        node["description"] = f"{node['description']}\n\n{note}" if isinstance(node.get("description"), str) and node["description"] else note
        return node

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if "default" in node and not default_fits(node, node["default"], schemas):
            return drop(node)
        return node

    result = _map_schemas(schema, fix)
    if isinstance(result, dict) and "default" in result and _is_root_model(result):
        # datamodel-code-generator copies a RootModel's default onto every field referring
        # to it, where the raw value (``"UNVERIFIED"``, ``True``) is not of the field's type.
        return drop(result)
    return result


def _is_root_model(schema: dict[str, Any]) -> bool:
    """Whether a component schema becomes a ``RootModel`` (not a class with fields, not an enum)."""
    if schema.get("properties") or schema.get("allOf") or schema.get("type") == "object" or "additionalProperties" in schema:
        return False
    return len([value for value in schema.get("enum") or [] if value is not None]) <= 1




#: Keywords a schema may give beside a single inline ``allOf`` part without changing its type.
_ANNOTATIONS = frozenset({"description", "title", "example", "examples", "default", "nullable", "readOnly", "writeOnly", "deprecated", "externalDocs"})


def _merge_single_all_of(schema: Any) -> Any:
    """``{allOf: [{type: string, enum: [...]}], description: ...}`` -> one schema.

    A lone inline ``allOf`` part is how some specs attach a description or default to a
    type; left as it is, datamodel-code-generator names the part itself (``SyncState1``)
    and loses the field's optionality (``x: SyncState1 = None``). Merged, the enum or
    object is hoisted like any inline schema. References (``allOf: [{$ref}]``) stay.
    """

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        parts = node.get("allOf")
        if isinstance(parts, list) and len(parts) > 1:
            # Parts that only annotate (``{description: ...}``, ``{}``) join the node's own keywords.
            notes = [part for part in parts if isinstance(part, dict) and all(key in _ANNOTATIONS or key.startswith("x-") for key in part)]
            if notes and len(notes) < len(parts):
                # ``nullable: false`` beside another part adds nothing (box.json's
                # ``allOf: [{type: string, nullable: true}, {nullable: false}]`` accepts null)
                annotations = {key: value for note in notes for key, value in note.items() if not (key == "nullable" and value is False)}
                node = {**annotations, **{k: v for k, v in node.items() if k != "allOf"}, "allOf": [p for p in parts if not any(p is n for n in notes)]}
                parts = node["allOf"]
        if not (isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict) and "$ref" not in parts[0]):
            return node
        siblings = {key: value for key, value in node.items() if key != "allOf" and not (key == "nullable" and value is False)}
        if (set(siblings) - _ANNOTATIONS) & set(parts[0]):
            return node  # both set the same keyword (type, properties...): keep the conjunction
        return {**parts[0], **siblings}

    return _map_schemas(schema, fix)


def _shape_fixes(schema: Any) -> Any:
    """Two shapes datamodel-code-generator would build (and name) extra classes for:

    * ``{type: array, enum: [a, b]}`` (values that are no arrays): an array of those values,
      ``{type: array, items: {enum: [a, b]}}``;
    * ``{properties: P, oneOf: [O1, O2]}`` (no discriminator): each option with the common
      properties, ``{oneOf: [O1 + P, O2 + P]}``, which is what it means.
    """

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        kinds = node.get("type")
        values = node.get("enum")
        if (kinds == "array" or isinstance(kinds, list) and "array" in kinds) and isinstance(values, list) and values and not any(
            isinstance(v, list) for v in values
        ):
            items: dict[str, Any] = node["items"] if isinstance(node.get("items"), dict) else {}
            if "enum" not in items and "$ref" not in items:
                node = {key: value for key, value in node.items() if key != "enum"}
                node["items"] = {**items, "enum": values}
        for key in ("oneOf", "anyOf"):
            options = node.get(key)
            if not (isinstance(options, list) and isinstance(node.get("properties"), dict) and node["properties"]) or "discriminator" in node:
                continue
            common: dict[str, Any] = {k: node[k] for k in ("properties", "required", "additionalProperties") if k in node}
            common["type"] = "object"
            distributed = []
            for option in options:
                if isinstance(option, dict) and "$ref" not in option and not (set(option) & set(common) - {"type", "properties", "required"}) and option.get("type", "object") == "object":
                    distributed.append({**option, "type": "object",
                                        "properties": {**common["properties"], **(option.get("properties") or {})},
                                        "required": list(dict.fromkeys([*(common.get("required") or []), *(option.get("required") or [])]))})
                else:
                    distributed.append({"allOf": [option, common]})
            node = {k: v for k, v in node.items() if k not in ("properties", "required", "additionalProperties", "type")}
            node[key] = distributed
            break
        return node

    return _map_schemas(schema, fix)


def _distribute_unions(schema: Any, schemas: dict[str, Any]) -> Any:
    """``allOf: [{$ref: Union}, {properties: ...}]`` where ``Union`` is a plain ``oneOf`` /
    ``anyOf`` (no discriminator, no properties of its own) -> ``oneOf: [{allOf: [option1,
    {properties: ...}]}, ...]``: the same values, in classes named where they sit (left as it
    is, datamodel-code-generator distributes it itself, naming the classes ``Message1``...)."""

    def union_options(part: Any) -> tuple[str, list[Any]] | None:
        name = _schema_ref_name(part)
        target = schemas.get(name) if name is not None else None
        if not isinstance(target, dict) or "discriminator" in target or target.get("properties") or "allOf" in target:
            return None
        for key in ("oneOf", "anyOf"):
            if isinstance(target.get(key), list) and target[key] and not any(pytypes.is_null_schema(o) for o in target[key]):
                return key, target[key]
        return None

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        parts = node.get("allOf")
        if not isinstance(parts, list) or any(key in node for key in ("oneOf", "anyOf", "properties")):
            return node
        unions = [(index, union_options(part)) for index, part in enumerate(parts)]
        found = [(index, union) for index, union in unions if union is not None]
        if len(found) != 1:
            return node
        index, (key, options) = found[0]
        rest = [part for i, part in enumerate(parts) if i != index]
        if not rest:
            return node  # a lone reference to the union: ``Union`` as it is
        out = {k: v for k, v in node.items() if k != "allOf"}
        out[key] = [{"allOf": [copy.deepcopy(option), *copy.deepcopy(rest)]} for option in options]
        return out

    return _map_schemas(schema, fix)


def _nullable_free_form_items(schema: Any) -> Any:
    """``items: {type: object, nullable: true}`` (a free-form object) -> ``anyOf: [{type: object},
    {type: 'null'}]``: datamodel-code-generator drops ``nullable`` there and types the array
    ``list[dict[str, Any]]``, which refuses the nulls the spec allows (algolia's getObjects)."""

    def free_form(node: Any) -> bool:
        return (
            isinstance(node, dict)
            and node.get("type") == "object"
            and node.get("nullable") is True
            and not any(key in node for key in ("properties", "patternProperties", "allOf", "anyOf", "oneOf", "$ref", "enum"))
        )

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        for key in ("items", "additionalProperties"):
            child = node.get(key)
            if isinstance(child, dict) and free_form(child):
                rest = {k: v for k, v in child.items() if k != "nullable"}
                notes = {k: rest.pop(k) for k in ("description", "title", "example", "examples", "default") if k in rest}
                node[key] = {**notes, "anyOf": [rest, {"type": "null"}]}
        return node

    return _map_schemas(schema, fix)


def _inline_aliases(schemas: dict[str, Any]) -> dict[str, Any]:
    """References to aliases (:func:`pytypes.is_plain_alias`, :func:`pytypes.is_list_alias`,
    :func:`pytypes.is_union_alias`)
    become the aliased schema, so a model field is ``str`` or ``list[Pet]`` as the argument of
    the same schema is, not a ``RootModel`` wrapper that users must build and unwrap
    (iterating it yields ``('root', [...])``). The alias classes stay in ``models`` under
    their names. Primitive aliases go first, so a list alias of them inlines to primitives; a
    list alias is inlined one level (``Tree: [Tree]`` becomes ``list[Tree]``)."""

    def inliner(aliases: dict[str, Any], owner: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def fix(node: dict[str, Any]) -> dict[str, Any]:
            name = _schema_ref_name(node)
            if name is None or name not in aliases or name == owner:
                return node
            # without the alias's title: datamodel-code-generator names a class after a title
            aliased = {k: v for k, v in copy.deepcopy(aliases[name]).items() if k != "title"}
            return {**aliased, **{k: v for k, v in node.items() if k != "$ref"}}

        return fix

    plain = {name: schema for name, schema in schemas.items() if isinstance(schema, dict) and pytypes.is_plain_alias(schema)}
    schemas = {name: _map_schemas(schema, inliner(plain, name)) for name, schema in schemas.items()}
    lists = {name: schema for name, schema in schemas.items() if isinstance(schema, dict) and pytypes.is_list_alias(schema)}
    for name, schema in lists.items():
        if _schema_ref_name(schema["items"]) == name:
            # ``Tree: {items: {$ref: Tree}}``: datamodel-code-generator writes a bare ``list``
            # (mypy --strict refuses it); the items are typed where the alias is used instead.
            schemas[name] = {**schema, "items": {}}
    schemas = {name: _map_schemas(schema, inliner(lists, name)) for name, schema in schemas.items()}
    unions = {name: schema for name, schema in schemas.items() if isinstance(schema, dict) and pytypes.is_union_alias(schema)}
    return {name: _expand_unions(schema, unions, frozenset({name})) for name, schema in schemas.items()}


def _expand_unions(schema: Any, unions: dict[str, Any], inside: frozenset[str]) -> Any:
    """``schema`` with each reference to a union alias (:func:`pytypes.is_union_alias`) replaced
    by the union, so a field is ``Cat | Dog`` as the argument of the same schema is, not a
    ``RootModel`` to unwrap. Unions inside the union are expanded too, except one that is being
    expanded already (``inside``: a union that contains itself stays a class there)."""
    if not isinstance(schema, dict):
        return schema
    name = _schema_ref_name(schema)
    if name is not None and name in unions and name not in inside:
        # without the alias's title: datamodel-code-generator names a class after a title
        aliased = {k: v for k, v in unions[name].items() if k not in ("title", "discriminator")}
        merged = {**aliased, **{k: v for k, v in schema.items() if k != "$ref"}}
        return _expand_unions(copy.deepcopy(merged), unions, inside | {name})
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            result[key] = {sub_name: _expand_unions(sub, unions, inside) for sub_name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            result[key] = [_expand_unions(sub, unions, inside) for sub in value]
        elif key in _SCHEMA_VALUES and isinstance(value, dict):
            result[key] = _expand_unions(value, unions, inside)
        else:
            result[key] = value
    return result


def _text_options_first(schema: Any, schemas: dict[str, Any]) -> Any:
    """In a ``oneOf``/``anyOf`` that mixes text options (strings, string enums) with boolean or
    number options, put the text options first. pydantic's smart unions break a tie between
    lax matches by order, so ``bool | Mode`` read the JSON string ``"true"`` (a ``Mode`` value)
    as ``True``, and an unknown ``"yes"`` too; text first keeps a JSON string a string."""

    def kind(option: Any, depth: int = 0) -> str | None:
        name = _schema_ref_name(option)
        if name is not None:
            target = schemas.get(name)
            return kind(target, depth + 1) if isinstance(target, dict) and depth < 16 else None
        return schema_kind(option) if isinstance(option, dict) else None

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        for key in ("oneOf", "anyOf"):
            options = node.get(key)
            if not isinstance(options, list) or "discriminator" in node:
                continue
            kinds = [kind(option) for option in options]
            if "string" in kinds and any(k in ("boolean", "integer", "number") for k in kinds):
                node[key] = [o for o, k in zip(options, kinds, strict=True) if k == "string"] + [
                    o for o, k in zip(options, kinds, strict=True) if k != "string"
                ]
        return node

    return _map_schemas(schema, fix)


def _merge_nullable_option(schema: Any, is_31: bool) -> Any:
    """``{anyOf: [{type: string, maxLength: 9}, {type: 'null'}], title: ...}`` -> one nullable schema.

    datamodel-code-generator turns such a constrained option into a class it names itself
    (``FileUrl``, ``Language1``) and gives its root the field's ``None`` default. Merged, it is
    a nullable field (an enum or object option is hoisted like any inline schema). A lone
    ``$ref`` option stays: ``Model | None`` is what that gives already.
    """

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        for key in ("anyOf", "oneOf"):
            options = node.get(key)
            if not (isinstance(options, list) and len(options) == 2 and sum(pytypes.is_null_schema(o) for o in options) == 1):
                continue
            option = next(o for o in options if not pytypes.is_null_schema(o))
            if not isinstance(option, dict) or "$ref" in option or "discriminator" in node:
                continue
            siblings = {k: v for k, v in node.items() if k != key}
            if (set(siblings) - _ANNOTATIONS) & set(option):
                continue
            merged = {**option, **siblings}
            kind = merged.get("type")
            if is_31 and isinstance(kind, str):
                merged["type"] = [kind, "null"]
            elif is_31 and isinstance(kind, list):
                merged["type"] = [*kind, *([] if "null" in kind else ["null"])]
            else:
                merged["nullable"] = True
            return merged
        return node

    return _map_schemas(schema, fix)


def _loose_formats(schema: Any) -> Any:
    """Drop every ``format`` the signatures do not type (:func:`pytypes.keeps_format`), so a
    model field has the type an argument of the same schema has."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if not pytypes.keeps_format(node):
            del node["format"]
        return node

    return _map_schemas(schema, fix)


def _composed_of(schema: Any, schemas: dict[str, Any], depth: int = 0) -> Iterator[dict[str, Any]]:
    """``schema`` and, depth first, the ``allOf`` parts it is made of, each ``$ref`` to a
    component followed (up to 16 steps deep)."""
    if not isinstance(schema, dict) or depth > 16:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
        yield from _composed_of(schemas.get(unescape_pointer_token(ref[len(SCHEMA_REF) :])), schemas, depth + 1)
        return
    yield schema
    for part in schema.get("allOf") or []:
        yield from _composed_of(part, schemas, depth + 1)


def _requires(schema: Any, name: str, schemas: dict[str, Any]) -> bool:
    """Whether ``schema`` (its ``$ref`` and ``allOf`` parts followed) lists ``name`` as required."""
    return any(name in (part.get("required") or []) for part in _composed_of(schema, schemas))


def _property(schema: Any, name: str, schemas: dict[str, Any]) -> Any:
    """The schema of property ``name`` in ``schema`` (its ``$ref`` and ``allOf`` parts followed), or None."""
    found = ((part.get("properties") or {}).get(name) for part in _composed_of(schema, schemas))
    return next((schema for schema in found if schema is not None), None)


def _literal_tag(schema: Any) -> bool:
    """A tag pydantic can discriminate on: an inline ``const`` or ``enum`` (a ``Literal`` field)."""
    return isinstance(schema, dict) and "$ref" not in schema and ("const" in schema or isinstance(schema.get("enum"), list))


def _untagged_unions(schema: Any, schemas: dict[str, Any]) -> Any:
    """A ``oneOf``/``anyOf`` whose discriminator property some option does not require (it has a
    default, say), or declares as a reference (a named one-value enum) rather than an inline
    ``enum``/``const``, parses as a plain union: pydantic's tagged union refuses a valid body
    without the tag ("Unable to extract tag using discriminator") and a tag field that is not a
    ``Literal``. The options still tell themselves apart."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        tag = (node.get("discriminator") or {}).get("propertyName") if isinstance(node.get("discriminator"), dict) else None
        options = [o for o in [*(node.get("oneOf") or []), *(node.get("anyOf") or [])] if isinstance(o, dict) and o.get("type") != "null"]
        if isinstance(tag, str) and options and not all(
            _requires(option, tag, schemas) and _literal_tag(_property(option, tag, schemas)) for option in options
        ):
            del node["discriminator"]
        return node

    return _map_schemas(schema, fix)


def _nullable_false_dropped(schema: Any) -> Any:
    """``nullable: false`` is the default anyway; datamodel-code-generator mistypes optional
    fields that say it."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("nullable") is False:
            del node["nullable"]
        return node

    return _map_schemas(schema, fix)


def _null_defaults_nullable(schema: Any, is_31: bool) -> Any:
    """A schema whose ``default`` is null accepts null (real specs often forget to say so)."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if "default" in node and node["default"] is None and isinstance(node.get("type"), (str, list)):
            kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if "null" not in kinds and not node.get("nullable"):
                if is_31:
                    node["type"] = [*kinds, "null"]
                else:
                    node["nullable"] = True
        return node

    return _map_schemas(schema, fix)
