"""Every fact a seed document states about an operation must hold in our spec.

One test per (api, operation, fact); the test id reads
``<spec stem>::<python method>::<fact>`` and every failure message says what
the seed shows, what the spec yields, and what to change in the spec.

The spec of a seed is found through ``[tool.clientsmith]`` in pyproject.toml:
the seed's client package (``codat_python_sdk``) -> the client entry with that
``package`` -> its ``spec``.  Python names are computed with
``generator.pipeline.naming`` exactly as the generator will.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.pipeline.naming import (
    body_parameter_name,
    class_name,
    group_name,
    inline_model_name,
    method_name,
    parameter_name,
    snake_case,
)
from tests.seed_reader import (
    REPO_ROOT,
    STYLE_SPEAKEASY,
    SeedOperation,
    SeedParameter,
    read_seeds,
    strip_module,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


# --------------------------------------------------------------------------
# Locating and loading specs
# --------------------------------------------------------------------------


@cache
def _clients() -> dict[str, dict[str, str]]:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    clients = data.get("tool", {}).get("clientsmith", {}).get("clients", [])
    return {c["package"]: c for c in clients if "package" in c}


def spec_path_for(api: str) -> Path | None:
    client = _clients().get(api)
    return REPO_ROOT / client["spec"] if client and "spec" in client else None


def api_label(api: str) -> str:
    path = spec_path_for(api)
    return path.stem if path else api


@cache
def _load_spec(path_str: str) -> dict[str, Any]:
    with open(path_str, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise TypeError("top level is not a mapping")
    return data


def load_spec(api: str) -> tuple[Path, dict[str, Any]]:
    path = spec_path_for(api)
    if path is None:
        pytest.fail(
            f"seed package {api!r} has no [[tool.clientsmith.clients]] entry with "
            f"package = {api!r} in pyproject.toml: add one pointing at its spec"
        )
    if not path.is_file():
        pytest.fail(f"{path.relative_to(REPO_ROOT)} does not exist (spec for {api})")
    try:
        return path, _load_spec(str(path))
    except (yaml.YAMLError, TypeError) as exc:
        pytest.fail(f"{path.relative_to(REPO_ROOT)} cannot be loaded: {exc}")


def resolve(spec: dict[str, Any], obj: Any) -> Any:
    """Follow local ``$ref`` chains (``#/components/...``)."""
    seen = set()
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if ref in seen or not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(
                f"cannot resolve $ref {ref!r} (only local refs are supported)"
            )
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise ValueError(f"dangling $ref {ref!r}")
            target = target[part]
        obj = target
    return obj


def ref_name(schema: Any) -> str | None:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        if ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[-1]
    return None


def is_31(spec: dict[str, Any]) -> bool:
    return str(spec.get("openapi", "")).startswith("3.1")


# --------------------------------------------------------------------------
# The spec's view of an operation
# --------------------------------------------------------------------------


@dataclass
class SpecOperation:
    name: str
    group: str
    http_method: str
    path: str
    op: dict[str, Any]
    parameters: list[dict[str, Any]]  # resolved, path-level merged in

    def describe(self) -> str:
        return f"{self.http_method} {self.path} (python {self.group}.{self.name})"


def spec_operations(spec: dict[str, Any]) -> list[SpecOperation]:
    result = []
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        if not isinstance(item, dict):
            continue
        shared = [resolve(spec, p) for p in item.get("parameters", [])]
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            own = [resolve(spec, p) for p in op.get("parameters", [])]
            keys = {(p.get("name"), p.get("in")) for p in own}
            params = [
                p for p in shared if (p.get("name"), p.get("in")) not in keys
            ] + own
            result.append(
                SpecOperation(
                    name=method_name(
                        op.get("operationId"),
                        method,
                        path,
                        op.get("x-clientsmith-name"),
                    ),
                    group=group_name(
                        op.get("tags") or [], op.get("x-clientsmith-group")
                    ),
                    http_method=method.upper(),
                    path=path,
                    op=op,
                    parameters=params,
                )
            )
    return result


def find_operation(
    spec: dict[str, Any], seed: SeedOperation
) -> tuple[SpecOperation | None, str]:
    """The spec operation for ``seed`` and how it was found ("name" / "path")."""
    ops = spec_operations(spec)
    exact = [o for o in ops if o.name == seed.name and o.group == seed.group]
    if exact:
        return exact[0], "name"
    by_name = [o for o in ops if o.name == seed.name]
    if len(by_name) == 1:
        return by_name[0], "name"
    by_path = [
        o for o in ops if o.http_method == seed.http_method and o.path == seed.path
    ]
    if by_path:
        return by_path[0], "path"
    return None, ""


def spec_param_name(param: dict[str, Any]) -> str:
    return parameter_name(str(param.get("name", "")), param.get("x-clientsmith-name"))


# --------------------------------------------------------------------------
# Types: seed type text and spec schema, both to one canonical string
# --------------------------------------------------------------------------

_SCALARS = {
    "str": "str",
    "string": "str",
    "int": "int",
    "integer": "int",
    "float": "float",
    "number": "float",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "datetime",
    "date": "date",
    "bytearray": "bytes",
    "bytes": "bytes",
    "file": "bytes",
    "any": "Any",
    "object": "Any",
    "none": "None",
}


@dataclass
class SeedType:
    canonical: str
    optional: bool  # Optional[...] / OptionalNullable[...]
    nullable: bool | None  # None: the doc does not tell


def _split_args(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def canonical_seed_type(text: str) -> str:
    text = strip_module(text.strip())
    if text.startswith("[") and text.endswith("]"):  # older layout: [str]
        return f"List[{canonical_seed_type(text[1:-1])}]"
    if text.startswith("{") and text.endswith("}"):  # older layout: {str: (bool, ...)}
        _key, _, value = text[1:-1].partition(":")
        value = value.strip()
        inner = "Any" if value.startswith("(") else canonical_seed_type(value)
        return f"Dict[str, {inner}]"
    m = re.fullmatch(r"([\w.]+)\s*\[(.*)\]", text)
    if m:
        head, args = m.group(1), _split_args(m.group(2))
        low = head.lower()
        if low in ("list", "set", "tuple", "sequence") and len(args) == 1:
            return f"List[{canonical_seed_type(args[0])}]"
        if low in ("dict", "mapping") and len(args) == 2:
            return f"Dict[str, {canonical_seed_type(args[1])}]"
        if low in ("optional", "nullable", "optionalnullable") and len(args) == 1:
            return canonical_seed_type(args[0])
        if low == "union":
            return (
                "Union[" + ", ".join(sorted(canonical_seed_type(a) for a in args)) + "]"
            )
        return f"{head}[{', '.join(canonical_seed_type(a) for a in args)}]"
    return _SCALARS.get(text.lower(), text)


def seed_type(text: str, style: str) -> SeedType:
    text = strip_module(text.strip())
    optional, nullable = False, None
    m = re.fullmatch(r"(Optional|OptionalNullable|Nullable)\[(.*)\]", text)
    if style == STYLE_SPEAKEASY:
        nullable = False
    if m:
        optional = m.group(1) in ("Optional", "OptionalNullable")
        if style == STYLE_SPEAKEASY:
            nullable = m.group(1) in ("OptionalNullable", "Nullable")
        text = m.group(2)
    return SeedType(canonical_seed_type(text), optional, nullable)


@dataclass
class SchemaView:
    canonical: str
    nullable: bool
    problems: list[str]  # null written the wrong way for the OpenAPI version
    core: dict[str, Any]  # schema without the null wrapping (may be a $ref)


def schema_view(
    spec: dict[str, Any],
    schema: Any,
    inline_name: Callable[[], str] | None = None,
) -> SchemaView:
    """Canonical Python type of ``schema`` plus its nullability."""
    v31 = is_31(spec)
    problems: list[str] = []
    nullable = False
    if not isinstance(schema, dict):
        return SchemaView("Any", False, problems, {})
    core = schema

    def note_nullable_keyword(s: dict[str, Any]) -> bool:
        if "nullable" in s and "$ref" in s and not v31:
            problems.append(
                "puts `nullable` next to `$ref` in an OpenAPI 3.0 document, where $ref "
                "siblings are ignored: write `allOf: [{$ref: ...}]` + `nullable: true`"
            )
            return False
        if "nullable" in s:
            if v31:
                problems.append(
                    "uses `nullable` in an OpenAPI 3.1 document: write "
                    "`type: [<type>, 'null']` (or anyOf with {type: 'null'}) instead"
                )
            return s.get("nullable") is True
        return False

    for _ in range(8):  # unwrap null wrappers and single-member allOf
        changed = False
        if note_nullable_keyword(core):
            nullable = True
        for key in ("anyOf", "oneOf"):
            members = core.get(key)
            if not isinstance(members, list):
                continue
            nulls = [
                m for m in members if isinstance(m, dict) and m.get("type") == "null"
            ]
            if not nulls:
                continue
            if not v31:
                problems.append(
                    "uses `type: 'null'` in an OpenAPI 3.0 document: write "
                    "`nullable: true` instead"
                )
            nullable, changed = True, True
            rest = [m for m in members if m not in nulls]
            outer = {k: v for k, v in core.items() if k != key}
            core = (
                outer | rest[0]
                if len(rest) == 1 and isinstance(rest[0], dict)
                else outer | {key: rest}
            )
            break
        types = core.get("type")
        if isinstance(types, list):
            changed = True
            if "null" in types:
                nullable = True
                if not v31:
                    problems.append(
                        "uses a type list with 'null' in an OpenAPI 3.0 document: "
                        "write `nullable: true` instead"
                    )
            rest_types = [t for t in types if t != "null"]
            core = {k: v for k, v in core.items() if k != "type"}
            if len(rest_types) == 1:
                core["type"] = rest_types[0]
            elif rest_types:
                core["anyOf"] = [{"type": t} for t in rest_types]
        elif core.get("type") == "null":
            if not v31:
                problems.append("uses `type: 'null'` in an OpenAPI 3.0 document")
            return SchemaView("None", True, problems, core)
        all_of = core.get("allOf")
        if (
            isinstance(all_of, list)
            and len(all_of) == 1
            and isinstance(all_of[0], dict)
            and not core.get("properties")
            and "type" not in core
        ):
            core = {
                k: v for k, v in core.items() if k not in ("allOf", "nullable")
            } | all_of[0]
            changed = True
        if not changed:
            break

    name = ref_name(core)
    if name:
        target = resolve(spec, core)
        if isinstance(target, dict):
            tv = schema_view(spec, {k: v for k, v in target.items() if k != "$ref"})
            nullable = nullable or tv.nullable
            problems.extend(p for p in tv.problems if p not in problems)
        # the generator names the model class class_name(<schema name>)
        return SchemaView(class_name(name), nullable, problems, core)

    kind = core.get("type")
    fmt = core.get("format")
    if kind == "string":
        canonical = {"date-time": "datetime", "date": "date", "binary": "bytes"}.get(
            fmt, "str"
        )
    elif kind in ("integer", "number", "boolean"):
        canonical = _SCALARS[kind]
    elif kind == "array":
        item = schema_view(spec, core.get("items", {}), None)
        problems.extend(item.problems)
        canonical = f"List[{item.canonical}]"
    elif core.get("properties") or "allOf" in core:
        canonical = inline_name() if inline_name else "<inline object schema>"
    elif "oneOf" in core or "anyOf" in core:
        members = core.get("oneOf") or core.get("anyOf") or []
        if inline_name and not all(ref_name(m) for m in members):
            canonical = inline_name()
        else:
            names = sorted(schema_view(spec, m).canonical for m in members)
            canonical = "Union[" + ", ".join(names) + "]"
    elif kind == "object":
        extra = core.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            canonical = f"Dict[str, {schema_view(spec, extra).canonical}]"
        else:
            canonical = "Dict[str, Any]"
    elif kind is None and "enum" in core:
        canonical = (
            "str"
            if all(isinstance(e, str) or e is None for e in core["enum"])
            else "Any"
        )
    else:
        canonical = "Any"
    return SchemaView(canonical, nullable, problems, core)


def _values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------


def status_key(code: Any) -> str:
    code = str(code).upper()
    return "0" if code == "DEFAULT" else code


def spec_responses(
    spec: dict[str, Any], op: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    return {
        status_key(code): resolve(spec, resp) or {}
        for code, resp in (op.get("responses") or {}).items()
    }


def _success_order(code: str) -> tuple[int, str]:
    if code.isdigit():
        return (int(code), code)
    return (299 if code == "2XX" else 999, code)


def spec_return_type(
    spec: dict[str, Any], found: SpecOperation
) -> tuple[str | None, str]:
    responses = spec_responses(spec, found.op)
    success = sorted((c for c in responses if c.startswith("2")), key=_success_order)
    for code in success:
        content = responses[code].get("content") or {}
        if not content:
            continue
        media = content.get("application/json") or next(iter(content.values()))
        schema = (media or {}).get("schema")
        if schema is None:
            continue  # content without a schema (e.g. only an example) carries no type
        view = schema_view(
            spec,
            schema,
            lambda code=code: inline_model_name(found.name, code, "response"),
        )
        return view.canonical, code
    return None, ""


# --------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------

Check = Callable[[SeedOperation, dict[str, Any], SpecOperation, str], None]


@dataclass
class Fact:
    seed: SeedOperation
    label: str
    check: Check

    @property
    def id(self) -> str:
        return f"{api_label(self.seed.api)}::{self.seed.name}::{self.label}"


def _where(seed: SeedOperation) -> str:
    path = spec_path_for(seed.api)
    spec = path.relative_to(REPO_ROOT) if path else seed.api
    return f"[{spec} / {seed.http_method} {seed.path} / seed {seed.seed_file} `{seed.name}`]"


def check_operation(seed, spec, found, how):
    if how != "name":
        pytest.fail(
            f"{_where(seed)} the spec operation at {found.http_method} {found.path} gets the "
            f"Python name {found.name!r} (operationId={found.op.get('operationId')!r}, "
            f"x-clientsmith-name={found.op.get('x-clientsmith-name')!r}) but the seed calls it "
            f"{seed.name!r}: fix operationId or set x-clientsmith-name: {seed.name}"
        )
    if (found.http_method, found.path) != (seed.http_method, seed.path):
        pytest.fail(
            f"{_where(seed)} the spec's {seed.name!r} is {found.http_method} {found.path}, "
            f"the seed has {seed.http_method} {seed.path}: move the operation"
        )


def check_group(seed, spec, found, how):
    if found.group != seed.group:
        pytest.fail(
            f"{_where(seed)} resource group: seed {seed.group!r}, spec yields {found.group!r} "
            f"(tags={found.op.get('tags')!r}, x-clientsmith-group="
            f"{found.op.get('x-clientsmith-group')!r}): fix the first tag or set "
            f"x-clientsmith-group: {seed.group}"
        )


def _spec_param(seed: SeedOperation, found: SpecOperation, name: str) -> dict[str, Any]:
    matches = [p for p in found.parameters if spec_param_name(p) == name]
    if not matches:
        have = {
            spec_param_name(p): f"{p.get('in')}:{p.get('name')}"
            for p in found.parameters
        }
        hint = ""
        for python, wire in have.items():
            if snake_case(python).replace("_", "") == name.replace("_", ""):
                hint = f" (did you mean {wire} -> {python}? set x-clientsmith-name: {name})"
        pytest.fail(
            f"{_where(seed)} parameter {name!r}: the spec has no parameter whose Python name is "
            f"{name!r}; spec parameters (python -> in:name): {have}{hint}"
        )
    if len(matches) > 1:
        pytest.fail(
            f"{_where(seed)} parameter {name!r}: {len(matches)} spec parameters map to it"
        )
    return matches[0]


def check_param_exists(param: SeedParameter) -> Check:
    def check(seed, spec, found, how):
        p = _spec_param(seed, found, param.name)
        where = p.get("in")
        if param.location and where != param.location:
            pytest.fail(
                f"{_where(seed)} parameter {param.name!r}: seed location {param.location!r}, "
                f"spec has in: {where!r}"
            )
        if param.location is None and where == "path":
            pytest.fail(
                f"{_where(seed)} parameter {param.name!r} is `in: path` in the spec but the "
                f"seed's path template has no such variable: make it a query/header parameter"
            )

    return check


def check_param_required(param: SeedParameter) -> Check:
    def check(seed, spec, found, how):
        p = _spec_param(seed, found, param.name)
        required = bool(p.get("required", False))
        if required != param.required:
            pytest.fail(
                f"{_where(seed)} parameter {param.name!r}: seed says "
                f"{'required' if param.required else 'optional'}, spec has required: "
                f"{str(required).lower()}: set required: {str(param.required).lower()}"
            )

    return check


def _type_mismatch(
    seed, what: str, seed_text: str, expected, view: SchemaView, v31: bool
) -> str | None:
    problems = []
    if view.canonical != expected.canonical:
        problems.append(
            f"seed type {seed_text!r} means {expected.canonical!r} but the spec schema yields "
            f"{view.canonical!r} (map: str->string, int->integer, float->number, "
            f"bool->boolean, datetime->string/date-time, List[X]->array of X, a model name "
            f"-> $ref to a schema whose class_name() is that name)"
        )
    if expected.nullable is not None and expected.nullable != view.nullable:
        if expected.nullable:
            how = (
                "`type: [<type>, 'null']` or `anyOf: [..., {type: 'null'}]` (OpenAPI 3.1)"
                if v31
                else "`nullable: true` (for a $ref: `allOf: [$ref]` + `nullable: true`; OpenAPI 3.0)"
            )
            problems.append(
                f"seed type {seed_text!r} is nullable but the spec schema is not: use {how}"
            )
        else:
            problems.append(
                f"seed type {seed_text!r} is not nullable but the spec schema is: drop the null"
            )
    problems.extend(view.problems)
    if problems:
        return f"{_where(seed)} {what}: " + "; ".join(problems)
    return None


def check_param_type(param: SeedParameter) -> Check:
    def check(seed, spec, found, how):
        p = _spec_param(seed, found, param.name)
        schema = p.get("schema")
        if schema is None and isinstance(p.get("content"), dict) and p["content"]:
            schema = next(iter(p["content"].values())).get("schema")
        view = schema_view(spec, schema)
        message = _type_mismatch(
            seed,
            f"parameter {param.name!r} type",
            param.type,
            seed_type(param.type, seed.style),
            view,
            is_31(spec),
        )
        if message:
            pytest.fail(message)

    return check


def check_param_default(param: SeedParameter) -> Check:
    def check(seed, spec, found, how):
        p = _spec_param(seed, found, param.name)
        schema = p.get("schema") or {}
        view = schema_view(spec, schema)
        candidates = [schema, view.core]
        if ref_name(view.core):
            candidates.append(resolve(spec, view.core))
        for s in candidates:
            if isinstance(s, dict) and "default" in s:
                if _values_equal(s["default"], param.default):
                    return
                pytest.fail(
                    f"{_where(seed)} parameter {param.name!r} default: seed {param.default!r}, "
                    f"spec {s['default']!r}: set schema.default: {param.default!r}"
                )
        pytest.fail(
            f"{_where(seed)} parameter {param.name!r} default: seed shows {param.default!r}, "
            f"the spec schema has no default: set schema.default: {param.default!r}"
        )

    return check


def check_no_extra_params(seed, spec, found, how):
    seed_names = {p.name for p in seed.parameters}
    extra = [
        f"{p.get('in')}:{p.get('name')} -> {spec_param_name(p)}"
        for p in found.parameters
        if spec_param_name(p) not in seed_names
    ]
    if extra:
        pytest.fail(
            f"{_where(seed)} the spec has parameters the seed does not show: {extra}; seed "
            f"parameters: {sorted(seed_names)}: remove them or fix their names"
        )


def _request_body(spec, found) -> dict[str, Any] | None:
    raw = found.op.get("requestBody")
    if raw is None:
        return None
    body = dict(resolve(spec, raw))
    if isinstance(raw, dict):
        for key in ("x-clientsmith-body-name", "x-clientsmith-flatten"):
            if key in raw:
                body[key] = raw[key]
    return body


def _flattened_field(spec, body, seed) -> Any:
    """With ``x-clientsmith-flatten`` the body object's fields are the arguments:
    the seed's body argument must be one of them (the Speakeasy style)."""
    if not body.get("x-clientsmith-flatten"):
        return None
    _, schema = _body_schema(body, seed.request_content_types)
    target = resolve(spec, schema) if ref_name(schema) else schema
    props = (target or {}).get("properties") or {}
    for wire_name, prop in props.items():
        if parameter_name(wire_name, (prop or {}).get("x-clientsmith-name")) == seed.body.name:
            return prop
    pytest.fail(
        f"{_where(seed)} the requestBody is flattened (x-clientsmith-flatten) but its schema has no "
        f"property named {seed.body.name!r} after snake_case: add it or drop the flattening"
    )


def _body_schema(
    body: dict[str, Any], preferred: tuple[str, ...]
) -> tuple[str | None, Any]:
    content = body.get("content") or {}
    for ct in (*preferred, "application/json"):
        if ct in content:
            return ct, (content[ct] or {}).get("schema")
    if content:
        ct = next(iter(content))
        return ct, (content[ct] or {}).get("schema")
    return None, None


def check_body(seed, spec, found, how):
    body = _request_body(spec, found)
    if seed.body is None:
        if body is not None:
            pytest.fail(
                f"{_where(seed)} the seed shows no request body but the spec has a "
                f"requestBody: remove it"
            )
        return
    if body is None:
        pytest.fail(
            f"{_where(seed)} the seed passes a request body {seed.body.name!r} "
            f"({seed.body.type}) but the spec operation has no requestBody"
        )
    if _flattened_field(spec, body, seed) is not None:
        return
    _, schema = _body_schema(body, seed.request_content_types)
    name = body_parameter_name(ref_name(schema), body.get("x-clientsmith-body-name"))
    if name != seed.body.name:
        pytest.fail(
            f"{_where(seed)} request body parameter name: seed {seed.body.name!r}, spec yields "
            f"{name!r} (schema ref {ref_name(schema)!r}, x-clientsmith-body-name="
            f"{body.get('x-clientsmith-body-name')!r}): set x-clientsmith-body-name: "
            f"{seed.body.name} on the requestBody"
        )


def _require_body(seed, spec, found) -> dict[str, Any]:
    body = _request_body(spec, found)
    if body is None:
        pytest.fail(
            f"{_where(seed)} the spec operation has no requestBody (see ::body)"
        )
    return body


def check_body_required(seed, spec, found, how):
    body = _require_body(seed, spec, found)
    required = bool(body.get("required", False))
    if required != seed.body.required:
        pytest.fail(
            f"{_where(seed)} request body {seed.body.name!r}: seed says "
            f"{'required' if seed.body.required else 'optional'}, spec requestBody.required is "
            f"{str(required).lower()}: set requestBody.required: "
            f"{str(seed.body.required).lower()}"
        )


def check_body_type(seed, spec, found, how):
    body = _require_body(seed, spec, found)
    _, schema = _body_schema(body, seed.request_content_types)
    flattened = _flattened_field(spec, body, seed)
    if flattened is not None:
        schema = flattened
    view = schema_view(spec, schema)
    message = _type_mismatch(
        seed,
        f"request body {seed.body.name!r} type",
        seed.body.type,
        seed_type(seed.body.type, seed.style),
        view,
        is_31(spec),
    )
    if message:
        target = resolve(spec, view.core) if ref_name(view.core) else view.core
        props = (target or {}).get("properties") or {}
        if list(props) == [seed.body.name] or (
            seed.style == STYLE_SPEAKEASY and seed.body.name in props
        ):
            inner = schema_view(spec, props[seed.body.name])
            if inner.canonical == seed_type(seed.body.type, seed.style).canonical:
                message += (
                    f". NOTE: the spec body is an object with a field {seed.body.name!r} of "
                    f"the seed's type: the seed's client flattens that body field into a "
                    f"method argument, which clientsmith cannot express; either make the "
                    f"body the bare {seed.body.type} (changes the wire format) or ask the "
                    f"lead for a generator feature"
                )
        pytest.fail(message)


def check_body_content_type(seed, spec, found, how):
    body = _require_body(seed, spec, found)
    have = sorted((body.get("content") or {}).keys())
    if have != sorted(seed.request_content_types):
        pytest.fail(
            f"{_where(seed)} request content type: seed {sorted(seed.request_content_types)}, "
            f"spec requestBody.content has {have}"
        )


def check_return_type(seed, spec, found, how):
    actual, code = spec_return_type(spec, found)
    expected = canonical_seed_type(seed.return_type) if seed.return_type else None
    if actual != expected:
        if expected is None:
            fix = "the lowest 2XX response must have no content"
        elif re.fullmatch(r"[A-Z]\w*", expected) and expected != "Any":
            fix = (
                f"make the lowest 2XX response with content return $ref "
                f"'#/components/schemas/{expected}' (or an inline object if "
                f"{expected} is the hoisted inline name)"
            )
        else:
            fix = f"make the lowest 2XX response with content a {expected} schema"
        pytest.fail(
            f"{_where(seed)} return type: seed {seed.return_type!r}, spec yields {actual!r}"
            f"{f' (from response {code})' if code else ' (no 2XX response with content)'}: {fix}"
        )


def check_status_codes(seed, spec, found, how):
    responses = spec_responses(spec, found.op)
    have = set(responses)
    want = set(seed.status_codes)
    if seed.status_codes_complete:
        if have != want:
            pytest.fail(
                f"{_where(seed)} status codes: seed {sorted(want)}, spec {sorted(have)} "
                f"(missing {sorted(want - have)}, extra {sorted(have - want)}; seed '0' is "
                f"`default`)"
            )
        return
    # Speakeasy: the doc lists every error status that has a body (one error
    # class each) plus the 4XX/5XX catch-all; the success status is not shown.
    problems = []
    missing = sorted(want - have)
    if missing:
        problems.append(f"seed lists {missing} which the spec does not define")
    silent_with_body = sorted(
        c
        for c in have - want
        if not c.startswith("2") and (responses[c].get("content") or {})
    )
    if silent_with_body:
        problems.append(
            f"spec responses {silent_with_body} have a body, so the seed's client would "
            f"list them as errors, but it does not: drop them or their content"
        )
    if not any(c.startswith("2") for c in have):
        problems.append("the spec defines no 2XX response")
    if problems:
        pytest.fail(
            f"{_where(seed)} status codes: seed errors {sorted(want)}, spec {sorted(have)}: "
            + "; ".join(problems)
        )


def check_response_content_types(seed, spec, found, how):
    responses = spec_responses(spec, found.op)
    if seed.style != STYLE_SPEAKEASY:
        have = set()
        for resp in responses.values():
            have.update((resp.get("content") or {}).keys())
        if have != set(seed.response_content_types):
            pytest.fail(
                f"{_where(seed)} response content types (the seed's Accept header, the union "
                f"over all responses): seed {sorted(seed.response_content_types)}, spec "
                f"{sorted(have)}"
            )
        return
    problems = []
    for code, types in seed.response_content_types_by_status.items():
        specific = [t for t in types if "*" not in t]
        if not specific or code not in responses:
            continue
        have = set((responses[code].get("content") or {}).keys())
        if not set(specific) <= have:
            problems.append(f"{code}: seed {specific}, spec {sorted(have)}")
    if problems:
        pytest.fail(f"{_where(seed)} response content types: " + "; ".join(problems))


def _security(spec, found) -> list[dict[str, Any]]:
    if "security" in found.op:
        return found.op.get("security") or []
    return spec.get("security") or []


def check_security(seed, spec, found, how):
    requirements = _security(spec, found)
    names = [n for req in requirements for n in (req or {})]
    defined = set(((spec.get("components") or {}).get("securitySchemes") or {}).keys())
    problems = []
    undefined = sorted(set(names) - defined)
    if undefined:
        problems.append(
            f"schemes {undefined} are not defined in components.securitySchemes"
        )
    if seed.auth_names_are_python:
        have = {snake_case(n) for n in names}
        want = set(seed.auth)
        note = " (seed shows Python field names: compared as snake_case(scheme name))"
    else:
        have, want, note = set(names), set(seed.auth), ""
    if have != want:
        problems.append(
            f"seed schemes {sorted(want)}, spec {sorted(have)}{note}"
            + (
                "; the seed needs no auth: set `security: []` on the operation"
                if not want
                else ""
            )
        )
    if (
        seed.auth_together
        and want
        and not any(
            want
            <= (
                {snake_case(n) for n in req} if seed.auth_names_are_python else set(req)
            )
            for req in requirements
        )
    ):
        problems.append(
            f"the seed supplies {sorted(want)} together: they must be in one security "
            f"requirement object"
        )
    if problems:
        pytest.fail(f"{_where(seed)} security: " + "; ".join(problems))


def check_security_types(seed, spec, found, how):
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    problems = []
    for name, kind in seed.auth_kinds.items():
        scheme = resolve(spec, schemes.get(name)) if name in schemes else None
        if scheme is None:
            problems.append(f"{name!r} is not defined")
        elif scheme.get("type") != kind:
            problems.append(
                f"{name!r}: seed shows a {kind} scheme, spec type {scheme.get('type')!r}"
            )
    if problems:
        pytest.fail(f"{_where(seed)} security scheme types: " + "; ".join(problems))


def facts_for(seed: SeedOperation) -> list[Fact]:
    facts = [
        Fact(seed, "operation", check_operation),
        Fact(seed, "group", check_group),
    ]
    for param in seed.parameters:
        facts.append(Fact(seed, f"param[{param.name}]", check_param_exists(param)))
        facts.append(
            Fact(seed, f"param[{param.name}].required", check_param_required(param))
        )
        facts.append(Fact(seed, f"param[{param.name}].type", check_param_type(param)))
        if param.has_default:
            facts.append(
                Fact(seed, f"param[{param.name}].default", check_param_default(param))
            )
    facts.append(Fact(seed, "parameters.no_extra", check_no_extra_params))
    facts.append(Fact(seed, "body", check_body))
    if seed.body is not None:
        facts.append(Fact(seed, "body.required", check_body_required))
        facts.append(Fact(seed, "body.type", check_body_type))
        if seed.request_content_types:
            facts.append(Fact(seed, "body.content_type", check_body_content_type))
    facts.append(Fact(seed, "return_type", check_return_type))
    facts.append(Fact(seed, "status_codes", check_status_codes))
    facts.append(Fact(seed, "response_content_types", check_response_content_types))
    facts.append(Fact(seed, "security", check_security))
    if seed.auth_kinds:
        facts.append(Fact(seed, "security.types", check_security_types))
    return facts


def _all_facts() -> list[Fact]:
    return [fact for seed in read_seeds() for fact in facts_for(seed)]


ALL_FACTS = _all_facts()


@pytest.mark.parametrize("fact", ALL_FACTS, ids=[f.id for f in ALL_FACTS])
def test_spec_matches_seed(fact: Fact) -> None:
    seed = fact.seed
    _, spec = load_spec(seed.api)
    try:
        found, how = find_operation(spec, seed)
    except ValueError as exc:
        pytest.fail(f"{_where(seed)} cannot read the spec's paths: {exc}")
    if found is None:
        pytest.fail(
            f"{_where(seed)} the spec has no operation named {seed.name!r} (group "
            f"{seed.group!r}) and none at {seed.http_method} {seed.path}: add it"
        )
    try:
        fact.check(seed, spec, found, how)
    except ValueError as exc:  # dangling refs and similar
        pytest.fail(f"{_where(seed)} {fact.label}: {exc}")


def test_every_seed_api_has_a_spec_entry() -> None:
    missing = sorted({s.api for s in read_seeds()} - set(_clients()))
    assert not missing, (
        f"seed packages without a [[tool.clientsmith.clients]] entry in pyproject.toml: {missing}"
    )


def test_spec_has_no_operation_the_seed_lacks() -> None:
    problems = []
    seeds = read_seeds()
    for api in sorted({s.api for s in seeds}):
        path = spec_path_for(api)
        if path is None or not path.is_file():
            continue  # reported by the per-fact tests
        spec = _load_spec(str(path))
        known = {(s.group, s.name) for s in seeds if s.api == api}
        for op in spec_operations(spec):
            if (op.group, op.name) not in known:
                problems.append(f"{path.name}: {op.describe()} is not in the seed")
    assert not problems, "; ".join(problems)
