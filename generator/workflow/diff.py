"""``clientsmith diff``: what changes for users of a generated client between two specs.

Both specs go through the usual stages (load, validate, :func:`build_ir`) and
the two IRs are compared: resource groups, operations, their parameters,
bodies and return types, pagination helpers, credentials and security
requirements, and the component schemas behind ``models.py``. Every change
gets a stable code whose kind (breaking or not) is fixed in :data:`CODES`.

Operations are matched by HTTP method + path first (path parameter names do
not matter on the wire), then by ``operationId``. Parameters are matched by
location and wire name (path parameters by position in the path), then by
Python name. Type changes compare the IR's type nodes (:mod:`generator.pipeline.pytypes`,
the same mapping the signatures and models use): an input (argument) may
widen, an output (return value) may narrow; anything else is breaking. Models used only in requests or only in responses get the same
treatment for their fields; a model used in both (or in neither) does not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import follow_pointer, unescape_pointer_token
from generator.pipeline import ir, loader, naming, pytypes, validate
from generator.pipeline.parse import build_ir

BREAKING = "breaking"
NON_BREAKING = "non-breaking"
FORMATS = ("text", "json", "markdown")

#: Every code ``diff`` reports, with its fixed kind and what it means.
CODES: dict[str, tuple[str, str]] = {
    # operations and resource groups
    "operation-removed": (BREAKING, "a client method disappeared"),
    "operation-renamed": (BREAKING, "same endpoint, different group or method name"),
    "operation-endpoint-changed": (BREAKING, "same operationId, different HTTP method or path"),
    "resource-group-removed": (BREAKING, "a client.<group> attribute disappeared"),
    "operation-added": (NON_BREAKING, "a new client method"),
    "operation-deprecated": (NON_BREAKING, "the operation is now deprecated"),
    "resource-group-added": (NON_BREAKING, "a new client.<group> attribute"),
    "pagination-removed": (BREAKING, "the iter_<method> helper disappeared"),
    "pagination-added": (NON_BREAKING, "a new iter_<method> helper"),
    # parameters
    "parameter-removed": (BREAKING, "an argument disappeared"),
    "parameter-renamed": (BREAKING, "an argument has a new Python name"),
    "parameter-location-changed": (BREAKING, "an argument is sent elsewhere (query, header, ...)"),
    "parameter-wire-name-changed": (BREAKING, "an argument is sent under another name"),
    "parameter-became-required": (BREAKING, "an optional argument is now required"),
    "required-parameter-added": (BREAKING, "a new required argument"),
    "parameter-type-narrowed": (BREAKING, "an argument accepts fewer types"),
    "parameter-type-changed": (BREAKING, "an argument has an incompatible type"),
    "parameter-default-changed": (BREAKING, "an optional argument's default changed"),
    "parameter-order-changed": (BREAKING, "positional arguments are in another order"),
    "optional-parameter-added": (NON_BREAKING, "a new optional argument"),
    "parameter-became-optional": (NON_BREAKING, "a required argument is now optional"),
    "parameter-type-widened": (NON_BREAKING, "an argument accepts more types"),
    # request bodies
    "request-body-added-required": (BREAKING, "a new required body argument"),
    "request-body-removed": (BREAKING, "the body argument disappeared"),
    "request-body-renamed": (BREAKING, "the body argument has a new name"),
    "request-body-became-required": (BREAKING, "the body is now required"),
    "request-body-type-narrowed": (BREAKING, "the body accepts fewer types"),
    "request-body-type-changed": (BREAKING, "the body has an incompatible type"),
    "request-body-added": (NON_BREAKING, "a new optional body argument"),
    "request-body-became-optional": (NON_BREAKING, "the body is now optional"),
    "request-body-type-widened": (NON_BREAKING, "the body accepts more types"),
    # return values
    "return-type-changed": (BREAKING, "a method returns an incompatible or wider type"),
    "return-type-narrowed": (NON_BREAKING, "a method returns a narrower type"),
    # enums (arguments, bodies, return values, models)
    "enum-value-removed": (BREAKING, "an enum (Literal) value disappeared"),
    "closed-enum-value-added": (BREAKING, "a new value of a Literal read from responses: clients generated before reject it"),
    "enum-value-added": (NON_BREAKING, "a new enum value (enum classes are open: older clients read it as UNKNOWN)"),
    # models
    "model-removed": (BREAKING, "a class disappeared from models.py"),
    "model-type-changed": (BREAKING, "a model is a different kind of type (or has other bases)"),
    "model-field-removed": (BREAKING, "a model field disappeared"),
    "model-required-field-added": (BREAKING, "a new required field on a model used in requests"),
    "model-field-type-changed": (BREAKING, "a model field's type changed incompatibly (optionality included)"),
    "model-field-default-changed": (BREAKING, "a model field's default changed"),
    "model-added": (NON_BREAKING, "a new class in models.py"),
    "model-field-added": (NON_BREAKING, "a new field (optional, or on a response-only model)"),
    "model-field-type-widened": (NON_BREAKING, "a field of a request-only model accepts more"),
    "model-field-type-narrowed": (NON_BREAKING, "a field of a response-only model returns less"),
    # authentication
    "auth-scheme-removed": (BREAKING, "a security scheme disappeared"),
    "auth-scheme-added-required": (BREAKING, "a new security scheme some operation requires"),
    "auth-scheme-changed": (BREAKING, "a scheme is sent differently (type, location, name, prefix)"),
    "auth-credential-renamed": (BREAKING, "a Client(...) credential argument has a new name"),
    "auth-requirement-changed": (BREAKING, "credentials that worked before may not be accepted"),
    "auth-scheme-added": (NON_BREAKING, "a new, optional security scheme"),
    "auth-requirement-relaxed": (NON_BREAKING, "more credential combinations are accepted"),
    # the rest
    "base-url-became-required": (BREAKING, "no absolute server URL any more: Client(base_url=...) is required"),
    "base-url-changed": (NON_BREAKING, "the Client's default base URL changed"),
    "description-changed": (NON_BREAKING, "a summary or description changed"),
}


@dataclass(frozen=True)
class Change:
    """One difference between the two clients."""

    kind: str  # BREAKING | NON_BREAKING
    code: str  # a key of CODES
    location: str  # e.g. ``connection.get_connection(limit)`` or ``models.Connection.name``
    message: str  # one line, ``old -> new``

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "code": self.code, "location": self.location, "message": self.message}


@dataclass(frozen=True)
class Report:
    """Every change found, in discovery order."""

    old: str
    new: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.kind == BREAKING]

    @property
    def non_breaking(self) -> list[Change]:
        return [c for c in self.changes if c.kind == NON_BREAKING]

    @property
    def has_breaking(self) -> bool:
        return any(c.kind == BREAKING for c in self.changes)

    def summary(self) -> dict[str, int]:
        return {BREAKING: len(self.breaking), NON_BREAKING: len(self.non_breaking), "total": len(self.changes)}


def change(code: str, location: str, message: str) -> Change:
    """A :class:`Change` whose kind comes from :data:`CODES`."""
    return Change(CODES[code][0], code, location, message)


# -- entry points ------------------------------------------------------------------
def load_api(path: Path, package_name: str, *, lenient: bool = False, allow_remote_refs: bool = False, ref_root: Path | None = None) -> ir.Api:
    """Load, validate (raising :class:`~generator.errors.SpecError`) and build the IR of one spec."""
    loaded = loader.load(path, allow_remote=allow_remote_refs, ref_root=ref_root)
    validate.validate_or_raise(loaded.document, str(path), lenient=lenient)
    return build_ir(loaded.document, str(path), package_name)


def diff_specs(
    old: Path, new: Path, package_name: str, *, lenient: bool = False, allow_remote_refs: bool = False, ref_root: Path | None = None
) -> Report:
    """Compare two spec files as the clients generated from them see them (``ref_root`` applies to both)."""
    return diff_apis(
        load_api(old, package_name, lenient=lenient, allow_remote_refs=allow_remote_refs, ref_root=ref_root),
        load_api(new, package_name, lenient=lenient, allow_remote_refs=allow_remote_refs, ref_root=ref_root),
        str(old),
        str(new),
    )


def diff_apis(old: ir.Api, new: ir.Api, old_label: str = "old", new_label: str = "new") -> Report:
    """Compare two IRs."""
    changes = [
        *_api_changes(old, new),
        *_auth_changes(old, new),
        *_group_changes(old, new),
        *_operation_changes(old, new),
        *_model_changes(old, new),
    ]
    return Report(old_label, new_label, tuple(changes))


# -- API level ---------------------------------------------------------------------
def _api_changes(old: ir.Api, new: ir.Api) -> Iterator[Change]:
    if old.default_base_url != new.default_base_url:
        yield change("base-url-changed", "Client(base_url)", f"{old.default_base_url or '(none)'} -> {new.default_base_url or '(none)'}")
    if new.base_url_required and not old.base_url_required:
        yield change("base-url-became-required", "Client(base_url)", "optional -> required")
    yield from _described("client", "description", old.description, new.description)


def _described(location: str, what: str, old: str, new: str) -> Iterator[Change]:
    if _squash(old) != _squash(new):
        yield change("description-changed", location, f"{what}: {_short(old)} -> {_short(new)}")


def _squash(text: str) -> str:
    return " ".join(text.split())


def _short(text: str, limit: int = 60) -> str:
    text = _squash(text)
    if not text:
        return "(none)"
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


# -- authentication ----------------------------------------------------------------
def _match_schemes(old: ir.Api, new: ir.Api) -> dict[str, str]:
    """Old scheme key -> new scheme key: same key, else the one scheme sent the same way."""
    new_keys = {s.key for s in new.security_schemes}
    matched = {s.key: s.key for s in old.security_schemes if s.key in new_keys}
    taken = set(matched.values())

    def how(scheme: ir.SecurityScheme) -> tuple[str, str, str]:
        return (scheme.kind, scheme.location, scheme.wire_name.lower())

    for scheme in old.security_schemes:
        if scheme.key in matched:
            continue
        candidates = [s.key for s in new.security_schemes if s.key not in taken and how(s) == how(scheme)]
        if len(candidates) == 1:
            matched[scheme.key] = candidates[0]
            taken.add(candidates[0])
    return matched


def _auth_changes(old: ir.Api, new: ir.Api) -> Iterator[Change]:
    mapping = _match_schemes(old, new)
    new_by_key = {s.key: s for s in new.security_schemes}
    for scheme in old.security_schemes:
        location = f"Client({scheme.arg_name})"
        if scheme.key not in mapping:
            yield change("auth-scheme-removed", location, f"scheme {scheme.key!r} ({_how(scheme)}) removed")
            continue
        other = new_by_key[mapping[scheme.key]]
        if scheme.arg_name != other.arg_name:
            yield change("auth-credential-renamed", location, f"Client({scheme.arg_name}=...) -> Client({other.arg_name}=...)")
        if _how(scheme) != _how(other):
            yield change("auth-scheme-changed", location, f"{_how(scheme)} -> {_how(other)}")
        yield from _described(f"Client({other.arg_name})", "description", scheme.description, other.description)
    matched_new = set(mapping.values())
    for scheme in new.security_schemes:
        if scheme.key in matched_new:
            continue
        required = any(op.security and all(scheme.key in alt for alt in op.security) for op in new.operations)
        code = "auth-scheme-added-required" if required else "auth-scheme-added"
        yield change(code, f"Client({scheme.arg_name})", f"scheme {scheme.key!r} ({_how(scheme)}) added" + (", required" if required else ""))

    yield from _requirement_change("client", old.default_security, new.default_security, mapping)
    pairs, _, _ = match_operations(old, new)
    for before, after in pairs:
        if before.op.security == old.default_security and after.op.security == new.default_security:
            continue  # follows the default, reported above
        yield from _requirement_change(after.name, before.op.security, after.op.security, mapping)


def _how(scheme: ir.SecurityScheme) -> str:
    text = f"{scheme.spec_type} {scheme.kind} in {scheme.location} {scheme.wire_name!r}"
    if scheme.prefix:
        text += f" prefix {scheme.prefix!r}"
    if scheme.token_url:
        text += f" token {scheme.token_url}"
    return text


def _requirement_change(location: str, old: list[list[str]], new: list[list[str]], mapping: dict[str, str]) -> Iterator[Change]:
    before = {frozenset(mapping.get(key, f"(removed) {key}") for key in alt) for alt in old} or {frozenset()}
    after = {frozenset(alt) for alt in new} or {frozenset()}
    if before == after:
        return
    # A caller who satisfied an old alternative still can if some new alternative needs no more.
    still_ok = all(any(b <= a for b in after) for a in before)
    code = "auth-requirement-relaxed" if still_ok else "auth-requirement-changed"
    yield change(code, location, f"security {_alternatives(before)} -> {_alternatives(after)}")


def _alternatives(alternatives: set[frozenset[str]]) -> str:
    shown = sorted(" + ".join(sorted(alt)) or "(anonymous)" for alt in alternatives)
    return " or ".join(shown)


# -- resource groups ---------------------------------------------------------------
def _group_changes(old: ir.Api, new: ir.Api) -> Iterator[Change]:
    old_groups = {g.name: g for g in old.groups}
    new_groups = {g.name: g for g in new.groups}
    for name, group in old_groups.items():
        if name not in new_groups:
            yield change("resource-group-removed", name, f"client.{name} removed ({len(group.operations)} operation(s))")
        else:
            yield from _described(name, "description", group.description, new_groups[name].description)
    for name, group in new_groups.items():
        if name not in old_groups:
            yield change("resource-group-added", name, f"client.{name} added ({len(group.operations)} operation(s))")


# -- operations --------------------------------------------------------------------
_PATH_VARIABLE = re.compile(r"\{[^}]*\}")


def _endpoint(op: ir.Operation) -> tuple[str, str]:
    """HTTP method + path with the variable names blanked: what goes on the wire."""
    return op.http_method, _PATH_VARIABLE.sub("{}", op.path)


@dataclass(frozen=True)
class Located:
    """An operation with the resource group that holds it (the IR leaves ``Operation.group`` empty)."""

    group: str
    op: ir.Operation

    @property
    def name(self) -> str:
        """``group.method``, as users call it on the client."""
        return f"{self.group}.{self.op.py_name}"


def operations(api: ir.Api) -> list[Located]:
    """Every operation of ``api`` with its group, in spec order."""
    return [Located(group.name, op) for group in api.groups for op in group.operations]


def match_operations(old: ir.Api, new: ir.Api) -> tuple[list[tuple[Located, Located]], list[Located], list[Located]]:
    """(matched pairs, removed, added): by method + path first, then by operationId."""
    new_ops = operations(new)
    by_endpoint = {_endpoint(item.op): index for index, item in enumerate(new_ops)}
    pairs: list[tuple[Located, Located]] = []
    used: set[int] = set()
    unmatched: list[Located] = []
    for item in operations(old):
        index = by_endpoint.get(_endpoint(item.op))
        if index is not None and index not in used:
            pairs.append((item, new_ops[index]))
            used.add(index)
        else:
            unmatched.append(item)
    by_id = {item.op.operation_id: index for index, item in enumerate(new_ops) if item.op.operation_id and index not in used}
    removed = []
    for item in unmatched:
        index = by_id.get(item.op.operation_id) if item.op.operation_id else None
        if index is not None and index not in used:
            pairs.append((item, new_ops[index]))
            used.add(index)
        else:
            removed.append(item)
    added = [item for index, item in enumerate(new_ops) if index not in used]
    return pairs, removed, added


def _operation_changes(old: ir.Api, new: ir.Api) -> Iterator[Change]:
    pairs, removed, added = match_operations(old, new)
    old_order = {id(item.op): index for index, item in enumerate(operations(old))}
    for item in removed:
        yield change("operation-removed", item.name, f"removed ({item.op.http_method} {item.op.path})")
    for before, after in sorted(pairs, key=lambda pair: old_order[id(pair[0].op)]):
        yield from _compare_operation(before, after)
    for item in added:
        yield change("operation-added", item.name, f"added ({item.op.http_method} {item.op.path})")


def _compare_operation(before: Located, after: Located) -> Iterator[Change]:
    op, other, here = before.op, after.op, after.name
    if before.name != here:
        yield change("operation-renamed", before.name, f"{before.name} -> {here} ({other.http_method} {other.path})")
    if _endpoint(op) != _endpoint(other):
        yield change("operation-endpoint-changed", here, f"{op.http_method} {op.path} -> {other.http_method} {other.path}")
    if other.deprecated and not op.deprecated:
        yield change("operation-deprecated", here, "not deprecated -> deprecated")
    yield from _described(here, "summary", op.summary, other.summary)
    yield from _described(here, "description", op.description, other.description)
    renamed: dict[str, str] = {}
    yield from _parameter_changes(op, other, here, renamed)
    yield from _order_changes(op, other, here, renamed)
    yield from _body_changes(op, other, here)
    yield from _type_changes(f"{here}()", "return", op.return_type, other.return_type, "output")
    if op.pagination is not None and other.pagination is None:
        yield change("pagination-removed", f"{before.group}.{naming.iterator_name(op.py_name)}", "pager helper removed")
    elif op.pagination is None and other.pagination is not None:
        yield change("pagination-added", f"{after.group}.{naming.iterator_name(other.py_name)}", f"{other.pagination.style}-style pager helper added")


# -- parameters --------------------------------------------------------------------
def _parameter_key(op: ir.Operation, param: ir.Parameter) -> tuple[str, str]:
    if param.location == "path":
        names = [m.group(0)[1:-1] for m in _PATH_VARIABLE.finditer(op.path)]
        if param.wire_name in names:
            return "path", str(names.index(param.wire_name))
    return param.location, param.wire_name


def match_parameters(op: ir.Operation, other: ir.Operation) -> tuple[list[tuple[ir.Parameter, ir.Parameter]], list[ir.Parameter], list[ir.Parameter]]:
    """(matched pairs, removed, added): by location + wire name, then Python name, then
    the one remaining parameter of the same location on each side (a rename)."""
    new_by_key = {_parameter_key(other, p): p for p in other.parameters}
    pairs: list[tuple[ir.Parameter, ir.Parameter]] = []
    left: list[ir.Parameter] = []
    for param in op.parameters:
        match = new_by_key.pop(_parameter_key(op, param), None)
        if match is None:
            left.append(param)
        else:
            pairs.append((param, match))
    right = list(new_by_key.values())
    for param in list(left):
        match = next((p for p in right if p.py_name == param.py_name), None)
        if match is not None:
            pairs.append((param, match))
            left.remove(param)
            right.remove(match)
    for location in dict.fromkeys(p.location for p in left):
        olds = [p for p in left if p.location == location]
        news = [p for p in right if p.location == location]
        if len(olds) == 1 and len(news) == 1:
            pairs.append((olds[0], news[0]))
            left.remove(olds[0])
            right.remove(news[0])
    return pairs, left, right


def _parameter_changes(op: ir.Operation, other: ir.Operation, here: str, renamed: dict[str, str]) -> Iterator[Change]:
    pairs, removed, added = match_parameters(op, other)
    order = {id(p): i for i, p in enumerate(op.parameters)}
    for param in removed:
        yield change("parameter-removed", f"{here}({param.py_name})", f"{param.py_name}: {param.annotation} removed")
    for param, new in sorted(pairs, key=lambda pair: order[id(pair[0])]):
        renamed[param.py_name] = new.py_name
        at = f"{here}({new.py_name})"
        if param.py_name != new.py_name:
            yield change("parameter-renamed", f"{here}({param.py_name})", f"{param.py_name} -> {new.py_name}")
        if param.location != new.location:
            yield change("parameter-location-changed", at, f"{param.location} {param.wire_name!r} -> {new.location} {new.wire_name!r}")
        elif param.location != "path" and param.wire_name != new.wire_name:
            yield change("parameter-wire-name-changed", at, f"sent as {param.wire_name!r} -> {new.wire_name!r}")
        if param.required != new.required:
            code = "parameter-became-required" if new.required else "parameter-became-optional"
            yield change(code, at, f"{_required(param.required)} -> {_required(new.required)}")
        elif not new.required and param.default_repr != new.default_repr:
            yield change("parameter-default-changed", at, f"default {param.default_repr or '(none)'} -> {new.default_repr or '(none)'}")
        yield from _type_changes(at, "parameter", param.type, new.type, "input")
        yield from _described(at, "description", param.description, new.description)
    for new in added:
        code = "required-parameter-added" if new.required else "optional-parameter-added"
        yield change(code, f"{here}({new.py_name})", f"{_required(new.required)} {new.py_name}: {new.annotation} added")


def _required(required: bool) -> str:
    return "required" if required else "optional"


def _positional(op: ir.Operation) -> list[str]:
    names = [p.py_name for p in op.required_parameters]
    if op.body is not None and not op.body.fields and op.body.required:
        names.append(op.body.py_name)
    return names


def _order_changes(op: ir.Operation, other: ir.Operation, here: str, renamed: dict[str, str]) -> Iterator[Change]:
    before = [renamed.get(name, name) for name in _positional(op)]
    after = _positional(other)
    common = set(before) & set(after)
    kept_before = [name for name in before if name in common]
    kept_after = [name for name in after if name in common]
    if kept_before != kept_after:
        yield change("parameter-order-changed", here, f"positional ({', '.join(before)}) -> ({', '.join(after)})")


# -- bodies ------------------------------------------------------------------------
def _body_argument(op: ir.Operation) -> ir.Body | None:
    """The body as one argument; a flattened body's fields are parameters instead."""
    return op.body if op.body is not None and not op.body.fields else None


def _body_changes(op: ir.Operation, other: ir.Operation, here: str) -> Iterator[Change]:
    body, new = _body_argument(op), _body_argument(other)
    if body is None and new is None:
        return
    if body is None:
        assert new is not None
        code = "request-body-added-required" if new.required else "request-body-added"
        yield change(code, f"{here}({new.py_name})", f"{_required(new.required)} body argument {new.py_name}: {new.annotation} added")
        return
    if new is None:
        yield change("request-body-removed", f"{here}({body.py_name})", f"body argument {body.py_name}: {body.annotation} removed")
        return
    at = f"{here}({new.py_name})"
    if body.py_name != new.py_name:
        yield change("request-body-renamed", f"{here}({body.py_name})", f"{body.py_name} -> {new.py_name}")
    if body.required != new.required:
        code = "request-body-became-required" if new.required else "request-body-became-optional"
        yield change(code, at, f"{_required(body.required)} -> {_required(new.required)}")
    yield from _type_changes(at, "request-body", _body_type(body), _body_type(new), "input")
    yield from _described(at, "description", body.description, new.description)


# -- types -------------------------------------------------------------------------
_FLATTENED = pytypes.Name("(fields)")  # a body flattened into arguments: its fields are compared as parameters


def _body_type(body: ir.Body) -> pytypes.TypeNode:
    return body.type if body.type is not None else _FLATTENED


# direction -> comparison -> code suffix or full code, per kind of place
_TYPE_CODES: dict[str, dict[str, dict[str, str]]] = {
    "parameter": {"input": {"widened": "parameter-type-widened", "narrowed": "parameter-type-narrowed", "changed": "parameter-type-changed"}},
    "request-body": {
        "input": {"widened": "request-body-type-widened", "narrowed": "request-body-type-narrowed", "changed": "request-body-type-changed"}
    },
    "return": {"output": {"widened": "return-type-changed", "narrowed": "return-type-narrowed", "changed": "return-type-changed"}},
    "model-field": {
        "input": {"widened": "model-field-type-widened", "narrowed": "model-field-type-changed", "changed": "model-field-type-changed"},
        "output": {"widened": "model-field-type-changed", "narrowed": "model-field-type-narrowed", "changed": "model-field-type-changed"},
        "both": {"widened": "model-field-type-changed", "narrowed": "model-field-type-changed", "changed": "model-field-type-changed"},
    },
    "model": {
        "both": {"widened": "model-type-changed", "narrowed": "model-type-changed", "changed": "model-type-changed"},
    },
}


def _type_changes(
    location: str, place: str, old: pytypes.TypeNode, new: pytypes.TypeNode, direction: str, note: str = ""
) -> Iterator[Change]:
    verdict = pytypes.compare(old, new)
    if verdict == "same":
        return
    before, after = pytypes.render(old), pytypes.render(new)
    if verdict == "enum":
        old_values = {pytypes.literal(v) for v in pytypes.enum_shape(old)[1]}
        new_values = {pytypes.literal(v) for v in pytypes.enum_shape(new)[1]}
        for value in sorted(old_values - new_values):
            yield change("enum-value-removed", location, f"value {value} removed: {before} -> {after}")
        # Enum classes are open (a value the client does not know parses), and arguments may
        # always accept more; a Literal read from responses (a tag) is closed.
        closed = place == "return" or (place == "model-field" and direction != "input")
        for value in sorted(new_values - old_values):
            yield change("closed-enum-value-added" if closed else "enum-value-added", location, f"value {value} added: {before} -> {after}")
        return
    code = _TYPE_CODES[place][direction][verdict]
    yield change(code, location, f"type {before} -> {after}{note}")


# -- models ------------------------------------------------------------------------
_SCHEMA_REF = "#/components/schemas/"
_MAX_DEPTH = 16  # deep references followed when describing a type (they may be cyclic)


def _schemas(api: ir.Api) -> dict[str, Any]:
    components = api.model_document.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    return schemas if isinstance(schemas, dict) else {}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
            yield unescape_pointer_token(ref[len(_SCHEMA_REF) :].split("/")[0])
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _closure(names: Iterable[str], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = [name for name in names if name in schemas]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(ref for ref in _refs(schemas.get(name)) if ref in schemas and ref not in seen)
    return seen


def model_usage(api: ir.Api) -> tuple[set[str], set[str]]:
    """(models reachable from arguments and bodies, models reachable from responses)."""
    schemas = _schemas(api)
    inputs: list[pytypes.TypeNode | None] = []
    outputs: list[pytypes.TypeNode | None] = []
    for op in api.operations:
        inputs.extend(param.type for param in op.parameters)
        inputs.append(op.body.type if op.body is not None else None)
        outputs.extend(response.type for response in [*op.success, *op.errors])
    return _closure(pytypes.Imports.of(inputs).models, schemas), _closure(pytypes.Imports.of(outputs).models, schemas)


def describe(schema: Any, schemas: dict[str, Any]) -> pytypes.TypeNode:
    """The type of a value of ``schema`` as a model field sees it, by the mapping signatures use
    (:class:`pytypes.SchemaTypes`).

    A reference to a component schema is its class (or, for a plain alias, its primitive); a
    reference deeper into one (``#/components/schemas/A/properties/b``) is what it points at;
    inline objects are ``object`` (their fields are compared one by one instead) and unions
    that would get a class are the union of their options.
    """
    followed: dict[str, int] = {}

    def target(ref: str) -> tuple[str, dict[str, Any]]:
        if ref.startswith(_SCHEMA_REF):
            name = unescape_pointer_token(ref[len(_SCHEMA_REF) :])
            found = schemas.get(name)
            return name, found if isinstance(found, dict) else {}
        return ref.lstrip("#/"), {}

    def inline(ref: str) -> dict[str, Any] | None:
        followed[ref] = followed.get(ref, 0) + 1
        return _deep_target(ref, schemas) if followed[ref] <= _MAX_DEPTH else None

    def named(node: dict[str, Any], where: str, why: pytypes.Why) -> pytypes.TypeNode:
        options = node.get("oneOf") or node.get("anyOf")
        if why == "union" and isinstance(options, list):
            return pytypes.union(types.of(option, where) for option in options)
        return pytypes.OBJECT

    types = pytypes.SchemaTypes(target=target, inline=inline, named=named)
    return types.of(schema, "")


def _deep_target(ref: str, schemas: dict[str, Any], depth: int = 0) -> dict[str, Any] | None:
    """What a reference into a component schema (not to one) points at, or None."""
    if not ref.startswith(_SCHEMA_REF) or depth > _MAX_DEPTH:
        return None
    fragment = ref[len(_SCHEMA_REF) :]
    if len(fragment.split("/")) < 2:
        return None
    node = follow_pointer(schemas, fragment)
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return _deep_target(node["$ref"], schemas, depth + 1) or node
    return node if isinstance(node, dict) else None


@dataclass(frozen=True)
class _Field:
    type: pytypes.TypeNode  # as the model exposes it: optional fields are ``... | None``
    required: bool
    schema: dict[str, Any]


def _is_object(schema: Any) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema or "oneOf" in schema or "anyOf" in schema:
        return False
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and not schema.get("properties"):
        return False
    return bool(schema.get("properties") or all_of or schema.get("type") == "object" and "additionalProperties" not in schema)


def _fields(schema: dict[str, Any], schemas: dict[str, Any]) -> tuple[dict[str, _Field], list[str]]:
    """A model's own fields (inline ``allOf`` parts merged) and its ``allOf`` bases."""
    properties: dict[str, Any] = {}
    required: set[str] = set()
    bases: list[str] = []
    for part in [*(schema.get("allOf") or []), schema]:
        if not isinstance(part, dict):
            continue
        if part is not schema and isinstance(part.get("$ref"), str):
            bases.append(pytypes.render(describe(part, schemas)))
            continue
        properties.update(part.get("properties") or {})
        required.update(name for name in part.get("required") or [] if isinstance(name, str))
    fields = {}
    for name, prop in properties.items():
        prop = prop if isinstance(prop, dict) else {}
        kind = describe(prop, schemas)
        fields[name] = _Field(kind if name in required else pytypes.nullable(kind), name in required, prop)
    return fields, bases


def _model_changes(old: ir.Api, new: ir.Api) -> Iterator[Change]:
    old_schemas, new_schemas = _schemas(old), _schemas(new)
    old_in, old_out = model_usage(old)
    new_in, new_out = model_usage(new)
    inputs, outputs = old_in | new_in, old_out | new_out
    for name, schema in old_schemas.items():
        location = f"models.{name}"
        if name not in new_schemas:
            yield change("model-removed", location, f"class {name} removed")
            continue
        other = new_schemas[name]
        direction = "input" if name in inputs and name not in outputs else "output" if name in outputs and name not in inputs else "both"
        yield from _compare_schema(location, schema, other, old_schemas, new_schemas, direction, frozenset())
    for name in new_schemas:
        if name not in old_schemas:
            yield change("model-added", f"models.{name}", f"class {name} added")


def _compare_schema(
    location: str, schema: Any, other: Any, old_schemas: dict[str, Any], new_schemas: dict[str, Any], direction: str, seen: frozenset[int]
) -> Iterator[Change]:
    """Compare two versions of one schema: its type, or (for objects) its fields one by one.

    ``seen`` holds the inline schemas already being compared on this path, so deep
    references that loop back stop the walk.
    """
    old_description = str(schema.get("description", "")) if isinstance(schema, dict) else ""
    new_description = str(other.get("description", "")) if isinstance(other, dict) else ""
    if not (_is_object(schema) and _is_object(other)):
        old_type = pytypes.OBJECT if _is_object(schema) else describe(schema, old_schemas)
        new_type = pytypes.OBJECT if _is_object(other) else describe(other, new_schemas)
        yield from _type_changes(location, "model", old_type, new_type, "both")
        yield from _described(location, "description", old_description, new_description)
        return
    yield from _described(location, "description", old_description, new_description)
    old_fields, old_bases = _fields(schema, old_schemas)
    new_fields, new_bases = _fields(other, new_schemas)
    if old_bases != new_bases:
        yield change("model-type-changed", location, f"bases ({', '.join(old_bases)}) -> ({', '.join(new_bases)})")
    for name, field in old_fields.items():
        at = f"{location}.{name}"
        if name not in new_fields:
            yield change("model-field-removed", at, f"field {name}: {pytypes.render(field.type)} removed")
            continue
        yield from _compare_field(at, field, new_fields[name], old_schemas, new_schemas, direction, seen | {id(schema)})
    for name, field in new_fields.items():
        if name in old_fields:
            continue
        at = f"{location}.{name}"
        if field.required and direction != "output":
            yield change("model-required-field-added", at, f"required field {name}: {pytypes.render(field.type)} added")
        else:
            yield change("model-field-added", at, f"{_required(field.required)} field {name}: {pytypes.render(field.type)} added")


def _compare_field(
    at: str, field: _Field, new: _Field, old_schemas: dict[str, Any], new_schemas: dict[str, Any], direction: str, seen: frozenset[int]
) -> Iterator[Change]:
    note = f" ({_required(field.required)} -> {_required(new.required)})" if field.required != new.required else ""
    yield from _type_changes(at, "model-field", field.type, new.type, direction, note)
    if field.schema.get("default") != new.schema.get("default") or ("default" in field.schema) != ("default" in new.schema):
        old_default = json.dumps(field.schema["default"]) if "default" in field.schema else "(none)"
        new_default = json.dumps(new.schema["default"]) if "default" in new.schema else "(none)"
        yield change("model-field-default-changed", at, f"default {old_default} -> {new_default}")
    yield from _described(at, "description", str(field.schema.get("description", "")), str(new.schema.get("description", "")))
    # Inline objects (directly or as array items) are compared field by field.
    old_inner, new_inner = _inline_object(field.schema, old_schemas), _inline_object(new.schema, new_schemas)
    if old_inner is not None and new_inner is not None and old_inner[1] == new_inner[1] and id(old_inner[0]) not in seen:
        yield from _compare_schema(at + old_inner[1], old_inner[0], new_inner[0], old_schemas, new_schemas, direction, seen)


def _inline_object(schema: dict[str, Any], schemas: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The inline object schema of a field, or of its array items (``[]``), with deep references followed."""
    for candidate, suffix in ((schema, ""), (schema.get("items"), "[]")):
        if isinstance(candidate, dict) and isinstance(candidate.get("$ref"), str):
            candidate = _deep_target(candidate["$ref"], schemas)
        if isinstance(candidate, dict) and _is_object(candidate) and candidate.get("properties"):
            return candidate, suffix
    return None


# -- output ------------------------------------------------------------------------
def render(report: Report, output_format: str) -> str:
    """The report as ``text``, ``json`` or ``markdown`` (ends with a newline)."""
    if output_format == "json":
        return render_json(report)
    if output_format == "markdown":
        return render_markdown(report)
    return render_text(report)


def _ordered(report: Report) -> list[Change]:
    return [*report.breaking, *report.non_breaking]


def render_text(report: Report) -> str:
    """Grouped by kind, breaking first; one change per line."""
    if not report.changes:
        return f"no changes between {report.old} and {report.new}\n"
    lines: list[str] = []
    for title, changes in (("breaking changes", report.breaking), ("non-breaking changes", report.non_breaking)):
        if not changes:
            continue
        lines.append(f"{title} ({len(changes)}):")
        width = max(len(c.code) for c in changes)
        lines.extend(f"  {c.code.ljust(width)}  {c.location}: {c.message}" for c in changes)
        lines.append("")
    counts = report.summary()
    lines.append(f"{counts[BREAKING]} breaking, {counts[NON_BREAKING]} non-breaking ({report.old} -> {report.new})")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    """``{"old", "new", "summary": {...}, "changes": [{kind, code, location, message}]}``."""
    document = {
        "old": report.old,
        "new": report.new,
        "summary": report.summary(),
        "changes": [c.as_dict() for c in _ordered(report)],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def render_markdown(report: Report) -> str:
    """A heading, the counts and one table row per change (for a CHANGELOG or a PR comment)."""
    counts = report.summary()
    lines = [
        f"### API changes: `{_cell(report.old)}` -> `{_cell(report.new)}`",
        "",
        f"**{counts[BREAKING]} breaking**, {counts[NON_BREAKING]} non-breaking.",
    ]
    if report.changes:
        lines += ["", "| kind | code | location | change |", "| --- | --- | --- | --- |"]
        lines.extend(
            f"| {'**breaking**' if c.kind == BREAKING else 'non-breaking'} | `{c.code}` | `{_cell(c.location)}` | `{_cell(c.message)}` |"
            for c in _ordered(report)
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "BREAKING",
    "CODES",
    "FORMATS",
    "NON_BREAKING",
    "Change",
    "Located",
    "Report",
    "describe",
    "diff_apis",
    "diff_specs",
    "load_api",
    "match_operations",
    "match_parameters",
    "model_usage",
    "operations",
    "render",
]
