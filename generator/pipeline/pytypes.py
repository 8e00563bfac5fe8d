"""The Python type of a value a schema describes: a structured node, decided once.

:class:`SchemaTypes` is the one mapping from an OpenAPI schema to a Python type.
Method signatures and return types (:mod:`generator.pipeline.parse`), the model stage's
choice of which string formats stay ``str`` (:data:`FORMAT_TYPES`), the docs
and ``clientsmith diff`` all read the nodes it builds; :func:`render` turns a
node into annotation text only at the end, and :func:`compare` decides how two
types relate without reading text back.

Nodes are frozen dataclasses, so they compare and hash by value:

- :class:`Name`: a named type with no parameters (``str``, ``int``, ``bytes``,
  ``Any``, ``None``, ``datetime.datetime``);
- :class:`Model`: a class of the generated ``models`` module;
- :class:`ListOf`, :class:`DictOf`, :class:`MappingOf`: containers;
- :class:`LiteralOf`: ``Literal[...]`` of one or more values;
- :class:`UnionOf`: two or more members, flat, without repeats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

#: string ``format`` -> (the Python type of the value, the module it needs). Every other format
#: is ``str``, in signatures and models alike (the model stage drops it, see
#: :func:`keeps_format`): pydantic's stricter types reject what real servers send (relative URIs
#: in pagination links, upper-case or prefixed ids, hostnames with a trailing dot, Go-style
#: durations such as ``1h30m``) or change the text on its way back (``UUID`` lowercases,
#: ``AnyUrl`` adds a trailing slash), or need an extra package (``EmailStr``); ``byte`` stays the
#: base64 text (``Base64Str`` fails on anything but UTF-8). ``password`` is a ``SecretStr`` so
#: that reprs and logs mask it; requests send the real value.
FORMAT_TYPES: dict[str, tuple[str, str]] = {
    "binary": ("bytes", ""),
    "date-time": ("datetime.datetime", "datetime"),
    "date": ("datetime.date", "datetime"),
    "time": ("datetime.time", "datetime"),
    "password": ("pydantic.SecretStr", "pydantic"),
}


@dataclass(frozen=True)
class Name:
    """A type without parameters: a builtin, ``Any``, ``None``, or ``module.Class``."""

    name: str
    module: str = ""  # the module to import for it ("datetime"), "" for builtins
    typing: bool = False  # imported from ``typing`` (``Any``)


@dataclass(frozen=True)
class Model:
    """A class of the generated ``models`` module."""

    class_name: str


@dataclass(frozen=True)
class ListOf:
    item: TypeNode


@dataclass(frozen=True)
class DictOf:
    value: TypeNode


@dataclass(frozen=True)
class MappingOf:
    """``Mapping[str, value]``: what a form or multipart body also accepts (file tuples)."""

    value: TypeNode


@dataclass(frozen=True)
class LiteralOf:
    values: tuple[str | int | bool | float | None, ...]


@dataclass(frozen=True)
class UnionOf:
    members: tuple[TypeNode, ...]


TypeNode: TypeAlias = Name | Model | ListOf | DictOf | MappingOf | LiteralOf | UnionOf

ANY = Name("Any", typing=True)
NONE = Name("None")
STR = Name("str")
INT = Name("int")
FLOAT = Name("float")
BOOL = Name("bool")
BYTES = Name("bytes")
FILE_SOURCE = Name("FileSource")  # the runtime's: bytes, a file opened in binary mode, or a path
SECRET = Name("pydantic.SecretStr", "pydantic")
OBJECT = Name("object")  # diff's view of an inline object: its fields are compared one by one
FREE_FORM = DictOf(ANY)
_SCALARS = {"string": STR, "integer": INT, "number": FLOAT, "boolean": BOOL, "null": NONE}


def keeps_format(schema: dict[str, Any]) -> bool:
    """Whether the model stage keeps ``schema``'s ``format`` for datamodel-code-generator: string
    formats of :data:`FORMAT_TYPES`, and number formats but ``decimal`` (``Decimal`` goes out as
    a JSON *string*, which servers refuse: such numbers stay floats)."""
    fmt = schema.get("format")
    if not isinstance(fmt, str):
        return True
    declared = schema.get("type")
    kinds: list[Any] = declared if isinstance(declared, list) else [declared]
    if "string" not in kinds and any(kind in ("number", "integer") for kind in kinds):
        return fmt.lower() != "decimal"
    return fmt in FORMAT_TYPES


def string_type(fmt: Any) -> Name:
    """The type of a ``type: string`` value with ``format`` ``fmt``."""
    found = FORMAT_TYPES.get(fmt) if isinstance(fmt, str) else None
    return Name(found[0], found[1]) if found else STR


# -- building ----------------------------------------------------------------------
def union(members: Iterable[TypeNode]) -> TypeNode:
    """The union of ``members``: nested unions flattened, repeats dropped, ``Any`` absorbing.

    One member is returned as is; ``None`` stays where it was added (at the end when
    added by :func:`nullable`), so annotations read ``X | None``.
    """
    flat: list[TypeNode] = []
    for member in members:
        for part in member.members if isinstance(member, UnionOf) else (member,):
            if part not in flat:
                flat.append(part)
    if ANY in flat:
        return ANY
    if not flat:
        return NONE
    return flat[0] if len(flat) == 1 else UnionOf(tuple(flat))


def nullable(node: TypeNode, flag: bool = True) -> TypeNode:
    """``node | None`` when ``flag`` (``Any`` and ``None`` already admit null)."""
    if not flag or node in (ANY, NONE):
        return node
    return union([node, NONE])


def without_none(node: TypeNode) -> TypeNode:
    """``node`` with a top-level ``None`` member removed."""
    if isinstance(node, UnionOf):
        return union(m for m in node.members if m != NONE)
    return node


def admits_none(node: TypeNode) -> bool:
    return node in (ANY, NONE) or (isinstance(node, UnionOf) and NONE in node.members)


def literal(value: Any) -> str:
    """A value as written inside ``Literal[...]``."""
    return repr(value) if isinstance(value, (bool, int, float, str)) or value is None else repr(json.loads(json.dumps(value)))


# -- text --------------------------------------------------------------------------
def render(node: TypeNode) -> str:
    """The annotation text of ``node``, as generated code spells it."""
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Model):
        return node.class_name
    if isinstance(node, ListOf):
        return f"list[{render(node.item)}]"
    if isinstance(node, DictOf):
        return f"dict[str, {render(node.value)}]"
    if isinstance(node, MappingOf):
        return f"Mapping[str, {render(node.value)}]"
    if isinstance(node, LiteralOf):
        return "Literal[" + ", ".join(literal(v) for v in node.values) + "]"
    return " | ".join(render(member) for member in node.members)


def walk(node: TypeNode) -> Iterator[TypeNode]:
    """``node`` and every node inside it, outside in."""
    yield node
    if isinstance(node, ListOf):
        yield from walk(node.item)
    elif isinstance(node, (DictOf, MappingOf)):
        yield from walk(node.value)
    elif isinstance(node, UnionOf):
        for member in node.members:
            yield from walk(member)


@dataclass
class Imports:
    """What annotations need imported in the module that uses them."""

    models: set[str]
    typing: set[str]
    modules: set[str]
    abc: set[str]  # from collections.abc

    @classmethod
    def of(cls, nodes: Iterable[TypeNode | None]) -> Imports:
        found = cls(set(), set(), set(), set())
        for node in nodes:
            for part in walk(node) if node is not None else ():
                if isinstance(part, MappingOf):
                    found.abc.add("Mapping")
                elif isinstance(part, Model):
                    found.models.add(part.class_name)
                elif isinstance(part, LiteralOf):
                    found.typing.add("Literal")
                elif isinstance(part, Name) and part.typing:
                    found.typing.add(part.name)
                elif isinstance(part, Name) and part.module:
                    found.modules.add(part.module)
        return found


# -- comparing ---------------------------------------------------------------------
Verdict = Literal["same", "enum", "widened", "narrowed", "changed"]


def members(node: TypeNode) -> list[TypeNode]:
    """The union members of ``node``, a ``Literal`` of several values split into one per value."""
    found: list[TypeNode] = []
    for member in node.members if isinstance(node, UnionOf) else (node,):
        if isinstance(member, LiteralOf):
            found.extend(LiteralOf((value,)) for value in member.values)
        else:
            found.append(member)
    return found


_BLANK = LiteralOf(())


def enum_shape(node: TypeNode) -> tuple[frozenset[TypeNode], frozenset[str | int | bool | float | None]]:
    """``node``'s union members with every ``Literal`` (at any depth) blanked, and the literal values."""
    values: set[str | int | bool | float | None] = set()

    def blank(part: TypeNode) -> TypeNode:
        if isinstance(part, LiteralOf):
            values.update(part.values)
            return _BLANK
        if isinstance(part, ListOf):
            return ListOf(blank(part.item))
        if isinstance(part, DictOf):
            return DictOf(blank(part.value))
        if isinstance(part, MappingOf):
            return MappingOf(blank(part.value))
        return part

    shapes = frozenset(blank(member) for member in (node.members if isinstance(node, UnionOf) else (node,)))
    return shapes, frozenset(values)


def _covered(member: TypeNode, others: list[TypeNode]) -> bool:
    """Whether every value of type ``member`` is a value of the union ``others``."""
    if member in others or ANY in others:
        return True
    if member == INT and FLOAT in others:
        return True
    if isinstance(member, LiteralOf) and len(member.values) == 1:
        value = member.values[0]
        if isinstance(value, bool):
            return BOOL in others
        if isinstance(value, str):
            return STR in others
        if isinstance(value, int):
            return INT in others or FLOAT in others
        if isinstance(value, float):
            return FLOAT in others
    return False


def compare(old: TypeNode, new: TypeNode) -> Verdict:
    """How ``new`` relates to ``old``: ``same``, ``enum`` (only literal values differ),
    ``widened`` (accepts every old value), ``narrowed``, or ``changed``."""
    if old == new:
        return "same"
    old_members, new_members = members(old), members(new)
    if set(old_members) == set(new_members):
        return "same"
    old_shape, old_values = enum_shape(old)
    new_shape, new_values = enum_shape(new)
    if old_shape == new_shape:
        return "enum" if old_values != new_values else "same"
    wider = all(_covered(m, new_members) for m in old_members)
    narrower = all(_covered(m, old_members) for m in new_members)
    if wider and narrower:
        return "same"
    if wider:
        return "widened"
    if narrower:
        return "narrowed"
    return "changed"


# -- the mapping -------------------------------------------------------------------
Why = Literal["object", "union", "enum"]


@dataclass
class SchemaTypes:
    """The one schema -> type mapping, with what differs between callers passed in.

    - ``target(ref)``: the class name and schema a ``$ref`` names, or None (an unknown
      reference is ``Any``);
    - ``inline(ref)``: the schema to use in place of a reference that is not a class of its
      own (a reference deep into a component), or None;
    - ``named(schema, where, why)``: the type of a schema that needs a class: an inline
      object, a union of non-scalar options, an enum of several values read from a server
      (``open_enums``). The IR builder hoists it into a model; diff describes it.
    """

    target: Callable[[str], tuple[str, dict[str, Any]] | None]
    inline: Callable[[str], dict[str, Any] | None]
    named: Callable[[dict[str, Any], str, Why], TypeNode]
    _inlining: set[str] = field(default_factory=set)  # list aliases being read (they may recurse)

    def of(self, schema: Any, where: str, open_enums: bool = False) -> TypeNode:
        """The type of a value described by ``schema``; ``where`` names hoisted classes.

        ``open_enums`` (responses): an inline enum of several values becomes a class of its
        own (open: values the spec does not list still parse) instead of a closed
        ``Literal``; arguments keep ``Literal``, which only guides type checkers.
        """
        if not isinstance(schema, dict) or not schema:
            return ANY
        null = bool(schema.get("nullable"))
        ref = schema.get("$ref")
        if isinstance(ref, str):
            inline = self.inline(ref)
            if inline is not None:
                merged = {**inline, **{k: v for k, v in schema.items() if k != "$ref"}}
                return nullable(self.of(merged, where, open_enums), null)
            target = self.target(ref)
            if target is None:
                return ANY
            name, resolved = target
            if is_plain_alias(resolved) or ((is_list_alias(resolved) or is_union_alias(resolved)) and ref not in self._inlining):
                # a list or union alias that contains itself (``Tree: [Tree]``) stays a class inside
                self._inlining.add(ref)
                try:
                    # the discriminator of a union alias is dropped where it is used (see is_union_alias)
                    return nullable(self.of({k: v for k, v in resolved.items() if k != "discriminator"}, where), null)
                finally:
                    self._inlining.discard(ref)
            return nullable(Model(name), null)

        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                non_null = [o for o in options if not is_null_schema(o)]
                null = null or len(non_null) != len(options)
                if len(non_null) == 1 and not schema.get("discriminator"):
                    return nullable(self.of(non_null[0], where, open_enums), null)
                if all(is_simple(o) for o in non_null) and not schema.get("discriminator"):
                    return nullable(union(self.of(o, where, open_enums) for o in non_null), null)
                cleaned = {k: v for k, v in schema.items() if k != key}
                cleaned[key] = non_null
                return nullable(self.named(cleaned, where, "union"), null)

        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and not schema.get("properties"):
            return nullable(self.of(all_of[0], where, open_enums), null)

        types = schema.get("type")
        if isinstance(types, list):
            non_null_types = [t for t in types if t != "null"]
            null = null or "null" in types
            if not non_null_types:
                return NONE
            return nullable(union(self.of({**schema, "type": t}, where, open_enums) for t in non_null_types), null)

        if "const" in schema:
            return nullable(LiteralOf((schema["const"],)), null)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [v for v in enum if v is not None]
            null = null or None in enum
            if open_enums and len(values) > 1 and needs_class(schema):
                closed = {k: v for k, v in schema.items() if k not in ("nullable", "default")}
                closed["enum"] = values
                if isinstance(closed.get("type"), list):
                    kinds = [k for k in closed["type"] if k != "null"]
                    closed["type"] = kinds[0] if len(kinds) == 1 else kinds
                return nullable(self.named(closed, where, "enum"), null)
            if values and all(isinstance(v, (str, int, bool)) for v in values):
                return nullable(LiteralOf(tuple(values)), null)

        if types == "string":
            return nullable(string_type(schema.get("format")), null)
        if isinstance(types, str) and types in _SCALARS:
            return nullable(_SCALARS[types], null)
        if types == "array" or (types is None and "items" in schema):
            return nullable(ListOf(self.of(schema.get("items") or {}, f"{where}_item", open_enums)), null)
        if types in ("object", None) and (schema.get("properties") or schema.get("allOf") or schema.get("patternProperties")):
            return nullable(self.named(schema, where, "object"), null)
        if types in ("object", None):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return nullable(DictOf(self.of(extra, f"{where}_value", open_enums)), null)
            return nullable(FREE_FORM, null)
        return ANY


# -- schema shapes the mapping asks about ---------------------------------------------
def is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("enum") == [None])


def is_simple(schema: Any) -> bool:
    """A union option that needs no class of its own: a reference or a scalar or array schema."""
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    return schema.get("type") in ("string", "integer", "number", "boolean", "array") and "properties" not in schema


def is_plain_alias(schema: dict[str, Any]) -> bool:
    """A named schema that is only a primitive (``Id: {type: string}``): used as that primitive."""
    return (
        schema.get("type") in ("string", "integer", "number", "boolean")
        and "enum" not in schema
        and "oneOf" not in schema
        and "anyOf" not in schema
        and "allOf" not in schema
    )


def is_list_alias(schema: dict[str, Any]) -> bool:
    """A named schema that is only an array of references or primitives (``Tags: {type: array,
    items: {type: string}}``): used as ``list[...]``, not as a wrapper class."""
    items = schema.get("items")
    return (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and (set(items) == {"$ref"} or is_plain_alias(items))
        and not any(key in schema for key in ("oneOf", "anyOf", "allOf", "enum", "prefixItems"))
    )


def is_union_alias(schema: dict[str, Any]) -> bool:
    """A named schema that is only a ``oneOf``/``anyOf`` of references and scalar or array
    schemas (``Id: {oneOf: [{type: string}, {type: integer}]}``): used as the union ``str |
    int``, not as a wrapper class. Where such a union is used its discriminator is dropped: the
    options' ``Literal`` tags (:func:`generator.prepare.finish` drops discriminators without
    them) tell them apart as well, and a discriminator inside a list would make
    datamodel-code-generator name a class of its own."""
    if any(key in schema for key in ("properties", "allOf", "enum", "items")):
        return False
    unions = [schema[key] for key in ("oneOf", "anyOf") if key in schema]
    if len(unions) != 1 or not isinstance(unions[0], list):
        return False
    options = [option for option in unions[0] if not is_null_schema(option)]
    return bool(options) and all(is_simple(option) for option in options)


def needs_class(schema: Any) -> bool:
    """Inline schemas that become a class of their own: enums of several values (a single
    value stays a ``Literal``, as tagged unions need), objects with properties and ``allOf``
    compositions (left inline, datamodel-code-generator would name them itself)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    values = [v for v in schema.get("enum") or [] if v is not None]
    if len(values) > 1:
        return True
    if any(key in schema for key in ("oneOf", "anyOf")):
        return False
    all_of = schema.get("allOf")
    return bool(schema.get("properties")) or (isinstance(all_of, list) and len(all_of) > 1)
