"""Stage 3: build the IR (:mod:`generator.ir`) from a validated document.

This is the only place that interprets OpenAPI semantics: parameter merging,
``$ref`` resolution of parameters/bodies/responses, content-type choice,
security requirements, and the Python type of every argument and return
value. Inline schemas that need a class are hoisted into the model document
under names from :func:`generator.naming.inline_model_name`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from generator import ir, naming
from generator.errors import (
    MISSING,
    Problem,
    SpecError,
    follow_pointer,
    pointer,
    unescape_pointer_token,
)

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_SCHEMA_REF = "#/components/schemas/"
_JSON_TYPES = re.compile(r"^application/([\w.+-]*\+)?json(;.*)?$|^\*/\*$")


@dataclass
class _Context:
    """What an annotation needs imported in the module that uses it."""

    models: set[str] = field(default_factory=set)
    typing: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, document: dict[str, Any], file: str, package_name: str) -> None:
        self.source = document
        self.file = file
        self.package_name = package_name
        self.version = str(document.get("openapi", "3.0.0"))
        self.is_31 = self.version.startswith("3.1")
        components = document.get("components") or {}
        self.schemas: dict[str, Any] = copy.deepcopy(components.get("schemas") or {})
        self.class_names = self._decide_class_names()
        self.model_schemas: dict[str, Any] = {
            self.class_names[name]: _null_defaults_nullable(_rename_refs(schema, self.class_names), self.is_31)
            for name, schema in self.schemas.items()
        }
        self.model_schemas = _hoist_inline_schemas(self.model_schemas)
        self.model_schemas = {
            name: _documented_examples(_one_way_fields(_typed_defaults(schema, self.model_schemas)))
            for name, schema in self.model_schemas.items()
        }
        self.problems: list[Problem] = []

    # -- names -----------------------------------------------------------------
    def _decide_class_names(self) -> dict[str, str]:
        originals = list(self.schemas)
        decided = naming.dedupe_classes([naming.class_name(name) for name in originals])
        return dict(zip(originals, decided, strict=True))

    def _hoist(self, schema: dict[str, Any], wanted: str, ctx: _Context) -> str:
        name = naming.dedupe_classes([*self.model_schemas, naming.class_name(wanted)])[-1]
        self.model_schemas[name] = _rename_refs(schema, self.class_names)
        ctx.models.add(name)
        return name

    # -- references ------------------------------------------------------------
    def _deref(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and not node["$ref"].startswith(_SCHEMA_REF):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            found = follow_pointer(self.source, ref.lstrip("#"))
            node = None if found is MISSING else found
        return node

    def _schema_target(self, ref: str) -> tuple[str, dict[str, Any]] | None:
        if not ref.startswith(_SCHEMA_REF):
            return None
        name = unescape_pointer_token(ref[len(_SCHEMA_REF) :])
        schema = self.schemas.get(name)
        if not isinstance(schema, dict):
            return None
        return name, schema

    # -- types -----------------------------------------------------------------
    def annotation(self, schema: Any, hoist_as: str, ctx: _Context) -> str:
        """The Python type of a value described by ``schema``."""
        if not isinstance(schema, dict) or not schema:
            ctx.typing.add("Any")
            return "Any"
        nullable = bool(schema.get("nullable"))
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self._schema_target(ref)
            if target is None:
                ctx.typing.add("Any")
                return "Any"
            name, resolved = target
            if _is_plain_alias(resolved):
                base = self.annotation(resolved, hoist_as, ctx)
            else:
                base = self.class_names[name]
                ctx.models.add(base)
            return _nullable(base, nullable)

        for key in ("oneOf", "anyOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                non_null = [o for o in options if not _is_null_schema(o)]
                has_null = len(non_null) != len(options)
                if len(non_null) == 1 and not schema.get("discriminator"):
                    return _nullable(self.annotation(non_null[0], hoist_as, ctx), nullable or has_null)
                if all(_is_simple(o) for o in non_null) and not schema.get("discriminator"):
                    parts = _unique([self.annotation(o, hoist_as, ctx) for o in non_null])
                    return _nullable(" | ".join(parts), nullable or has_null)
                cleaned = {k: v for k, v in schema.items() if k != key}
                cleaned[key] = non_null
                return _nullable(self._hoist(cleaned, hoist_as, ctx), nullable or has_null)
                
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and not schema.get("properties"):
            return _nullable(self.annotation(all_of[0], hoist_as, ctx), nullable)

        types = schema.get("type")
        if isinstance(types, list):
            non_null_types = [t for t in types if t != "null"]
            nullable = nullable or "null" in types
            if len(non_null_types) == 1:
                return _nullable(self.annotation({**schema, "type": non_null_types[0]}, hoist_as, ctx), nullable)
            if not non_null_types:
                return "None"
            parts = _unique([self.annotation({**schema, "type": t}, hoist_as, ctx) for t in non_null_types])
            return _nullable(" | ".join(parts), nullable)

        if "const" in schema:
            ctx.typing.add("Literal")
            return _nullable(f"Literal[{_literal(schema['const'])}]", nullable)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [v for v in enum if v is not None]
            nullable = nullable or None in enum
            if values and all(isinstance(v, (str, int, bool)) for v in values):
                ctx.typing.add("Literal")
                return _nullable("Literal[" + ", ".join(_literal(v) for v in values) + "]", nullable)

        if types == "string":
            fmt = schema.get("format")
            if fmt == "binary":
                return _nullable("bytes", nullable)
            if fmt == "date-time":
                ctx.modules.add("datetime")
                return _nullable("datetime.datetime", nullable)
            if fmt == "date":
                ctx.modules.add("datetime")
                return _nullable("datetime.date", nullable)
            return _nullable("str", nullable)
        if types == "integer":
            return _nullable("int", nullable)
        if types == "number":
            return _nullable("float", nullable)
        if types == "boolean":
            return _nullable("bool", nullable)
        if types == "null":
            return "None"
        if types == "array" or (types is None and "items" in schema):
            item = self.annotation(schema.get("items") or {}, f"{hoist_as}_item", ctx)
            return _nullable(f"list[{item}]", nullable)
        if types in ("object", None) and (schema.get("properties") or schema.get("allOf") or schema.get("patternProperties")):
            return _nullable(self._hoist(schema, hoist_as, ctx), nullable)
        if types in ("object", None):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return _nullable(f"dict[str, {self.annotation(extra, f'{hoist_as}_value', ctx)}]", nullable)
            ctx.typing.add("Any")
            return _nullable("dict[str, Any]", nullable)
        ctx.typing.add("Any")
        return "Any"

    # -- API -------------------------------------------------------------------
    def build(self) -> ir.Api:
        info = self.source.get("info") or {}
        security_schemes = self._security_schemes()
        scheme_keys = {scheme.key for scheme in security_schemes}
        default_security = self._security(self.source.get("security"), scheme_keys)
        groups: dict[str, ir.ResourceGroup] = {}
        group_ctx: dict[str, _Context] = {}
        tag_docs = {t.get("name"): t.get("description", "") for t in self.source.get("tags") or [] if isinstance(t, dict)}

        for path, path_item in (self.source.get("paths") or {}).items():
            path_item = self._deref(path_item)
            if not isinstance(path_item, dict):
                continue
            for method in HTTP_METHODS:
                operation = path_item.get(method)
                if not isinstance(operation, dict):
                    continue
                tags = [t for t in operation.get("tags") or [] if isinstance(t, str)]
                group = naming.group_name(tags, operation.get("x-clientsmith-group"))
                if group not in groups:
                    groups[group] = ir.ResourceGroup(
                        name=group,
                        class_name=naming.group_class_name(group),
                        description=str(tag_docs.get(tags[0], "") if tags else ""),
                    )
                    group_ctx[group] = _Context()
                built = self._operation(path, method, path_item, operation, default_security, scheme_keys, group_ctx[group])
                built.group = group
                groups[group].operations.append(built)

        for key, resource in groups.items():
            names = naming.dedupe([op.py_name for op in resource.operations])
            for op, name in zip(resource.operations, names, strict=True):
                op.py_name = name
                op.constant_name = "_" + name.upper().strip("_")
            taken = list(names)  # helpers never shadow an operation or each other
            for op in resource.operations:
                if op.pagination is not None:
                    op.iterator_name = naming.dedupe([*taken, naming.iterator_name(op.py_name)])[-1]
                    taken.append(op.iterator_name)
                if op.streams:
                    op.stream_name = naming.dedupe([*taken, naming.stream_name(op.py_name)])[-1]
                    taken.append(op.stream_name)
            ctx = group_ctx[key]
            resource.model_imports = sorted(ctx.models)
            resource.typing_imports = sorted(ctx.typing)
            resource.module_imports = sorted(ctx.modules)

        if self.problems:
            raise SpecError(self.problems)

        polymorphic = self._polymorphic()
        for poly in polymorphic:
            # The base model dispatches itself (see models.add_dispatch); left in,
            # the discriminator would make datamodel-code-generator replace every
            # reference to the base by an undiscriminated union of its subtypes.
            self.model_schemas[poly.base] = {k: v for k, v in self.model_schemas[poly.base].items() if k != "discriminator"}
        servers = [
            ir.Server(url=_server_url(s), description=str(s.get("description", "")))
            for s in self.source.get("servers") or []
            if isinstance(s, dict) and isinstance(s.get("url"), str)
        ]
        models = [
            ir.Model(class_name=name, schema_name=name, description=str((schema or {}).get("description", "")) if isinstance(schema, dict) else "")
            for name, schema in self.model_schemas.items()
        ]
        return ir.Api(
            title=str(info.get("title", self.package_name)),
            version=str(info.get("version", "0.0.0")),
            description=str(info.get("description", "")),
            openapi_version=self.version,
            package_name=self.package_name,
            distribution_name=self.package_name.replace("_", "-"),
            servers=servers,
            default_base_url=servers[0].url if servers else "",
            security_schemes=security_schemes,
            default_security=default_security,
            groups=list(groups.values()),
            models=models,
            polymorphic=polymorphic,
            has_read_only=_has_read_only(self.model_schemas),
            model_document={
                "openapi": self.version,
                "info": {"title": str(info.get("title", "")), "version": str(info.get("version", ""))},
                "paths": {},
                "components": {"schemas": self.model_schemas},
            },
        )

    def _polymorphic(self) -> list[ir.Polymorphic]:
        """Base schemas (properties + discriminator, no oneOf) and their allOf subtypes."""
        result = []
        for name, schema in self.model_schemas.items():
            if not isinstance(schema, dict) or "oneOf" in schema or "anyOf" in schema:
                continue
            discriminator = schema.get("discriminator")
            if not isinstance(discriminator, dict) or not isinstance(discriminator.get("propertyName"), str):
                continue
            base_ref = _SCHEMA_REF + name
            children = {
                child
                for child, child_schema in self.model_schemas.items()
                if isinstance(child_schema, dict)
                and any(isinstance(part, dict) and part.get("$ref") == base_ref for part in child_schema.get("allOf") or [])
            }
            mapping = discriminator.get("mapping")
            if isinstance(mapping, dict) and mapping:
                pairs = [
                    (str(tag), target[len(_SCHEMA_REF) :])
                    for tag, target in mapping.items()
                    if isinstance(target, str) and target[len(_SCHEMA_REF) :] in children
                ]
            else:
                pairs = [(child, child) for child in sorted(children)]
            if pairs:
                result.append(ir.Polymorphic(name, discriminator["propertyName"], tuple(pairs)))
        return result

    def _security_schemes(self) -> list[ir.SecurityScheme]:
        raw = (self.source.get("components") or {}).get("securitySchemes") or {}
        result: list[ir.SecurityScheme] = []
        arg_names = naming.credential_names({key: self._deref(s) for key, s in raw.items()})
        for key, scheme in raw.items():
            scheme = self._deref(scheme)
            arg = arg_names[key]
            if not isinstance(scheme, dict):
                continue
            kind_spec = scheme.get("type", "")
            description = str(scheme.get("description", ""))
            if kind_spec == "apiKey":
                result.append(
                    ir.SecurityScheme(
                        key, "api_key", arg, str(scheme.get("in", "header")), str(scheme.get("name", key)), description, kind_spec,
                        prefix=str(scheme.get("x-clientsmith-prefix", "")),
                    )
                )
            elif kind_spec == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                result.append(ir.SecurityScheme(key, "basic", arg, "header", "Authorization", description, kind_spec))
            elif kind_spec in ("http", "oauth2", "openIdConnect"):
                token_url = ""
                for flow in ((scheme.get("flows") or {}).values()) if kind_spec == "oauth2" else []:
                    if isinstance(flow, dict) and flow.get("tokenUrl"):
                        token_url = str(flow["tokenUrl"])
                        break
                result.append(ir.SecurityScheme(key, "bearer", arg, "header", "Authorization", description, kind_spec, token_url))
        return result

    def _security(self, requirement: Any, known: set[str]) -> list[list[str]]:
        alternatives: list[list[str]] = []
        for alternative in requirement or []:
            if isinstance(alternative, dict):
                alternatives.append([name for name in alternative if name in known])
        return alternatives

    def _operation(
        self,
        path: str,
        method: str,
        path_item: dict[str, Any],
        operation: dict[str, Any],
        default_security: list[list[str]],
        scheme_keys: set[str],
        ctx: _Context,
    ) -> ir.Operation:
        operation_id = operation.get("operationId")
        py_name = naming.method_name(operation_id if isinstance(operation_id, str) else None, method, path, operation.get("x-clientsmith-name"))
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
            param = self._deref(raw)
            if isinstance(param, dict) and "name" in param and "in" in param:
                merged[(str(param["in"]), str(param["name"]))] = param
        parameters: list[ir.Parameter] = []
        for (location, wire_name), param in merged.items():
            schema: Any = param.get("schema")
            style = str(param.get("style", "form" if location in ("query", "cookie") else "simple"))
            if schema is None and isinstance(param.get("content"), dict) and param["content"]:
                media_type, media = next(iter(param["content"].items()))
                schema = (media or {}).get("schema")
                if _encoding(str(media_type), {}) == "json":
                    style = "json"  # the value is sent as JSON text
            schema = schema if isinstance(schema, dict) else {}
            py_param = naming.parameter_name(wire_name, param.get("x-clientsmith-name"))
            annotation = self.annotation(schema, naming.inline_model_name(py_name, py_param), ctx)
            required = bool(param.get("required")) or location == "path"
            default = _schema_default(schema, self.schemas)
            parameters.append(
                ir.Parameter(
                    wire_name=wire_name,
                    py_name=py_param,
                    location=location,
                    annotation=annotation,
                    required=required,
                    default_repr=None if required or default is _NO_DEFAULT else self._default_repr(default, annotation),
                    description=str(param.get("description", "")),
                    example=example_text(param) or example_text(schema),
                    style=style,
                    explode=bool(param.get("explode", param.get("style", "form") == "form" if location in ("query", "cookie") else False)),
                    deprecated=bool(param.get("deprecated")),
                )
            )

        body = self._body(operation.get("requestBody"), py_name, ctx)
        # Names must be unique within one signature: the body yields to parameters.
        if body is not None and body.fields:
            parameters.extend(body.fields)
        elif body is not None:
            taken = {p.py_name for p in parameters}
            if body.py_name in taken:
                body = ir.Body(**{**body.__dict__, "py_name": naming.dedupe([*taken, body.py_name])[-1]})
        deduped = naming.dedupe([p.py_name for p in parameters])
        parameters = [ir.Parameter(**{**p.__dict__, "py_name": n}) for p, n in zip(parameters, deduped, strict=True)]

        success: list[ir.Response] = []
        errors: list[ir.Response] = []
        for status, raw_response in (operation.get("responses") or {}).items():
            status = str(status).upper() if str(status).lower() != "default" else "default"
            response = self._deref(raw_response)
            if not isinstance(response, dict):
                continue
            built = self._response(status, response, py_name, ctx)
            (success if status.startswith("2") else errors).append(built)
        success.sort(key=lambda r: r.status)

        typed = [r for r in success if r.annotation]
        if not typed:
            return_annotation = "None"
        else:
            return_annotation = " | ".join(_unique([r.annotation for r in typed if r.annotation]))
            if any(r.annotation is None for r in success):
                return_annotation = _nullable(return_annotation, True)

        security_raw = operation.get("security")
        security = self._security(security_raw, scheme_keys) if security_raw is not None else default_security
        if operation.get("deprecated"):
            ctx.modules.add("warnings")
        sorted_parameters = sorted(parameters, key=lambda p: not p.required)
        return ir.Operation(
            pagination=self._pagination(operation, sorted_parameters, success, py_name, ctx),
            idempotency_header=_idempotency_header(operation, parameters),
            py_name=py_name,
            http_method=method.upper(),
            path=path,
            operation_id=operation_id if isinstance(operation_id, str) else None,
            summary=str(operation.get("summary", "")),
            description=str(operation.get("description", "")),
            group="",
            parameters=sorted_parameters,
            body=body,
            success=success,
            errors=errors,
            return_annotation=return_annotation,
            security=security,
            deprecated=bool(operation.get("deprecated")),
            idempotent=method.upper() in IDEMPOTENT_METHODS,
        )

    def _default_repr(self, value: Any, annotation: str) -> str:
        bare = annotation.removesuffix(" | None")
        if bare in self.model_schemas and isinstance(value, (str, int)) and not isinstance(value, bool):
            return f"{bare}({_literal(value)})"
        return _literal(value)

    def _body(self, raw: Any, py_name: str, ctx: _Context) -> ir.Body | None:
        body = self._deref(raw)
        if not isinstance(body, dict):
            return None
        content = body.get("content") or {}
        if not isinstance(content, dict) or not content:
            return None
        content_type = _pick_content_type(list(content))
        media = content[content_type] or {}
        schema = media.get("schema") or {}
        encoding = _encoding(content_type, schema)
        schema_name = None
        if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(_SCHEMA_REF):
            schema_name = unescape_pointer_token(schema["$ref"][len(_SCHEMA_REF) :])
        name = naming.body_parameter_name(schema_name, body.get("x-clientsmith-body-name"))
        target = self._schema_target(schema["$ref"]) if isinstance(schema.get("$ref"), str) else None
        object_schema = target[1] if target else schema
        if body.get("x-clientsmith-flatten") and encoding == "json" and isinstance(object_schema.get("properties"), dict):
            return self._flattened_body(body, object_schema, content_type, py_name, ctx)
        if encoding == "bytes":
            annotation = "bytes"
        elif encoding == "text":
            annotation = "str"
        else:
            annotation = self.annotation(schema, naming.inline_model_name(py_name, "request", "body"), ctx)
            if encoding in ("multipart", "form") and annotation not in ("Any", "dict[str, Any]"):
                # A mapping may hold file tuples (filename, bytes, type) a model field cannot.
                ctx.typing.add("Any")
                annotation = f"{annotation} | Mapping[str, Any]"
        return ir.Body(
            py_name=name,
            annotation=annotation,
            required=bool(body.get("required")),
            content_type=content_type,
            encoding=encoding,
            description=str(body.get("description", "")),
            example=example_text(media) or example_text(schema),
        )

    def _pagination(
        self,
        operation: dict[str, Any],
        parameters: list[ir.Parameter],
        success: list[ir.Response],
        py_name: str,
        ctx: _Context,
    ) -> ir.Pagination | None:
        """``x-clientsmith-pagination`` if given (``false`` turns detection off), else detection:
        offset/limit or page/pageSize query parameters and a response object with one array."""
        declared = operation.get("x-clientsmith-pagination")
        if declared is False:
            return None
        declared = declared if isinstance(declared, dict) else {}
        query = {p.wire_name: p for p in parameters if p.location == "query"}

        def pick(key: str, candidates: tuple[str, ...]) -> ir.Parameter | None:
            wanted = declared.get(key)
            if isinstance(wanted, str):
                return query.get(wanted)
            return next((query[name] for name in candidates if name in query), None)

        style = declared.get("style")
        size = pick("size", _SIZE_PARAMETERS)
        position = None
        if style in (None, "offset"):
            position = pick("offset", _OFFSET_PARAMETERS)
            style = "offset" if position is not None else None
        if position is None and declared.get("style") in (None, "page"):
            position = pick("page", _PAGE_PARAMETERS)
            style = "page" if position is not None else None
        if position is None or style is None or position.annotation not in ("int", "float"):
            return None  # cursors (string page tokens) are not numbered pages
        schema = self._success_schema(operation)
        if schema is None:
            return None
        properties = self._properties(schema)
        items_field = declared.get("items") if isinstance(declared.get("items"), str) else _pick_items(properties)
        if not items_field or not isinstance(properties.get(items_field), dict):
            return None
        items_schema = self._resolve_schema(properties[items_field])
        if self._schema_type(items_schema) != "array":
            return None
        total_field = declared.get("total") if isinstance(declared.get("total"), str) else _pick_total(properties)
        start_default = position.default_repr
        start = int(declared.get("start", int(start_default) if start_default and start_default.isdigit() else (0 if style == "offset" else 1)))
        item_annotation = self.annotation(items_schema.get("items") or {}, naming.inline_model_name(py_name, "item"), ctx)
        return ir.Pagination(style, position, size, start, items_field, total_field or "", item_annotation)

    def _success_schema(self, operation: dict[str, Any]) -> dict[str, Any] | None:
        responses = operation.get("responses") or {}
        for status in sorted(str(s) for s in responses):
            if status.startswith("2"):
                response = self._deref(responses[status])
                content = (response or {}).get("content") or {}
                if content:
                    media = content[_pick_content_type(list(content))] or {}
                    schema = media.get("schema")
                    return self._resolve_schema(schema) if isinstance(schema, dict) else None
        return None

    def _resolve_schema(self, schema: Any) -> dict[str, Any]:
        seen: set[str] = set()
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"] not in seen:
            seen.add(schema["$ref"])
            target = self._schema_target(schema["$ref"])
            if target is None:
                break
            schema = target[1]
        return schema if isinstance(schema, dict) else {}

    def _properties(self, schema: dict[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in schema.get("allOf") or []:
            merged.update(self._properties(self._resolve_schema(part)))
        merged.update(schema.get("properties") or {})
        return merged

    @staticmethod
    def _schema_type(schema: dict[str, Any]) -> str | None:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None:
            for option in schema.get("anyOf") or schema.get("oneOf") or []:
                if isinstance(option, dict) and option.get("type") == "array":
                    return "array"
        return kind if isinstance(kind, str) else None

    def _flattened_body(
        self, body: dict[str, Any], schema: dict[str, Any], content_type: str, py_name: str, ctx: _Context
    ) -> ir.Body:
        required_fields = set(schema.get("required") or [])
        body_required = bool(body.get("required"))
        fields = []
        for wire_name, prop in schema["properties"].items():
            prop = prop if isinstance(prop, dict) else {}
            if prop.get("readOnly") is True:
                continue  # set by the server: never an argument, never sent
            field_name = naming.parameter_name(wire_name, prop.get("x-clientsmith-name"))
            required = body_required and wire_name in required_fields
            default = _schema_default(prop, self.schemas)
            annotation = self.annotation(prop, naming.inline_model_name(py_name, field_name), ctx)
            fields.append(
                ir.Parameter(
                    wire_name=wire_name,
                    py_name=field_name,
                    location="body",
                    annotation=annotation,
                    required=required,
                    default_repr=None if required or default is _NO_DEFAULT else self._default_repr(default, annotation),
                    description=str(prop.get("description", "")),
                    example=example_text(prop),
                    style="",
                    explode=False,
                    deprecated=bool(prop.get("deprecated")),
                )
            )
        return ir.Body(
            py_name="",
            annotation="",
            required=body_required,
            content_type=content_type,
            encoding="json",
            description=str(body.get("description", "")),
            fields=tuple(fields),
        )

    def _response(self, status: str, response: dict[str, Any], py_name: str, ctx: _Context) -> ir.Response:
        content = response.get("content") or {}
        description = str(response.get("description", ""))
        if not isinstance(content, dict) or not content:
            return ir.Response(status, description, None, "")
        content_type = _pick_content_type(list(content))
        schema = (content[content_type] or {}).get("schema")
        encoding = _encoding(content_type, schema or {})
        if encoding == "bytes":
            return ir.Response(status, description, "bytes", content_type)
        if encoding == "text":
            return ir.Response(status, description, "str", content_type)
        if schema is None:
            ctx.typing.add("Any")
            return ir.Response(status, description, "Any", content_type)
        hoist = naming.inline_model_name(py_name, status.lower() if status != "default" else "default", "response")
        return ir.Response(status, description, self.annotation(schema, hoist, ctx), content_type)


_OFFSET_PARAMETERS = ("offset", "skip", "start")
_PAGE_PARAMETERS = ("page", "pageNumber", "page_number", "pageNo")
_SIZE_PARAMETERS = ("limit", "pageSize", "page_size", "per_page", "perPage", "size", "count")
_ITEM_FIELDS = ("results", "items", "data", "entries", "records", "values", "content")
_TOTAL_FIELDS = ("total_count", "totalCount", "total_entries", "totalEntries", "totalResults", "total_results", "total", "count")


def _pick_items(properties: dict[str, Any]) -> str | None:
    for name in _ITEM_FIELDS:
        if name in properties:
            return name
    arrays = [name for name, prop in properties.items() if isinstance(prop, dict) and (prop.get("type") == "array" or "array" in (prop.get("type") or []))]
    return arrays[0] if len(arrays) == 1 else None


def _pick_total(properties: dict[str, Any]) -> str | None:
    return next((name for name in _TOTAL_FIELDS if name in properties), None)


_IDEMPOTENCY_HEADER = re.compile(r"^idempotency[-_]?key$", re.IGNORECASE)


def _idempotency_header(operation: dict[str, Any], parameters: list[ir.Parameter]) -> str:
    """``x-clientsmith-idempotency`` (a header name, or true for ``Idempotency-Key``), else a declared
    ``Idempotency-Key`` header parameter."""
    declared = operation.get("x-clientsmith-idempotency")
    if isinstance(declared, str) and declared:
        return declared
    if declared is True:
        return "Idempotency-Key"
    for param in parameters:
        if param.location == "header" and _IDEMPOTENCY_HEADER.match(param.wire_name):
            return param.wire_name
    return ""


def build_ir(document: dict[str, Any], file: str, package_name: str) -> ir.Api:
    """Turn a validated, bundled document into the IR."""
    return _Builder(document, file, package_name).build()


# -- helpers ---------------------------------------------------------------------
_NO_DEFAULT = object()


def _schema_default(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key) or []:
            if isinstance(option, dict) and "default" in option:
                return option["default"]
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        target = schemas.get(unescape_pointer_token(ref[len(_SCHEMA_REF) :]))
        if isinstance(target, dict) and "default" in target:
            return target["default"]
    return _NO_DEFAULT


def _pick_content_type(types: list[str]) -> str:
    def rank(content_type: str) -> tuple[int, str]:
        lowered = content_type.lower()
        if lowered.startswith("application/json"):
            return (0, lowered)
        if _JSON_TYPES.match(lowered) and lowered != "*/*":
            return (1, lowered)
        if lowered.startswith("application/x-www-form-urlencoded"):
            return (2, lowered)
        if lowered.startswith("multipart/"):
            return (3, lowered)
        if lowered.startswith("text/"):
            return (4, lowered)
        return (5, lowered)

    return min(types, key=rank)


def _encoding(content_type: str, schema: dict[str, Any]) -> str:
    lowered = content_type.lower()
    if lowered.startswith("application/x-www-form-urlencoded"):
        return "form"
    if lowered.startswith("multipart/"):
        return "multipart"
    if _JSON_TYPES.match(lowered) and lowered != "*/*":
        return "json"
    if lowered.startswith("text/"):
        return "text"
    if lowered == "*/*" and schema.get("type") == "string" and schema.get("format") != "binary":
        return "text"
    if lowered == "*/*" and schema and schema.get("format") != "binary":
        return "json"
    return "bytes"


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, dict) and (schema.get("type") == "null" or schema.get("enum") == [None])


def _is_simple(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if "$ref" in schema:
        return True
    return schema.get("type") in ("string", "integer", "number", "boolean", "array") and "properties" not in schema


def _is_plain_alias(schema: dict[str, Any]) -> bool:
    """A named schema that is only a primitive (``Id: {type: string}``)."""
    return (
        schema.get("type") in ("string", "integer", "number", "boolean")
        and "enum" not in schema
        and "oneOf" not in schema
        and "anyOf" not in schema
        and "allOf" not in schema
    )


def _nullable(annotation: str, nullable: bool) -> str:
    if not nullable or annotation in ("Any", "None") or annotation.endswith(" | None"):
        return annotation
    return f"{annotation} | None"


def _literal(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float, str)):
        return repr(value)
    return repr(json.loads(json.dumps(value)))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _rename_refs(node: Any, class_names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF):
                target = unescape_pointer_token(value[len(_SCHEMA_REF) :])
                result[key] = _SCHEMA_REF + class_names.get(target, target)
            elif key == "mapping" and isinstance(value, dict):
                result[key] = {
                    k: (_SCHEMA_REF + class_names.get(unescape_pointer_token(v[len(_SCHEMA_REF) :]), v[len(_SCHEMA_REF) :]))
                    if isinstance(v, str) and v.startswith(_SCHEMA_REF)
                    else v
                    for k, v in value.items()
                }
            else:
                result[key] = _rename_refs(value, class_names)
        return result
    if isinstance(node, list):
        return [_rename_refs(item, class_names) for item in node]
    return node


_FORMATS_KEPT_AS_STR = {None, "", "password", "email", "uri", "url", "hostname", "byte", "int32", "int64", "float", "double"}
_PRIMITIVES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _default_fits(schema: Any, value: Any, schemas: dict[str, Any], depth: int = 0) -> bool:
    """Whether a model field can carry ``value`` as its Python default unchanged (and type-check)."""
    if value is None or depth > 8 or not isinstance(schema, dict):
        return value is None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _default_fits(schemas.get(unescape_pointer_token(ref.rsplit("/", 1)[-1])), value, schemas, depth + 1)
    if isinstance(schema.get("enum"), list):
        return value in schema["enum"] and not isinstance(value, (list, dict))
    for key in ("allOf", "anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if not _is_null_schema(o)]
        if options:
            return len(options) == 1 and _default_fits(options[0], value, schemas, depth + 1)
    kinds = schema.get("type")
    kinds = [k for k in kinds if k != "null"] if isinstance(kinds, list) else [kinds]
    if len(kinds) != 1:
        return False
    kind = kinds[0]
    if kind in _PRIMITIVES:
        if isinstance(value, bool) and kind != "boolean":
            return False
        return isinstance(value, _PRIMITIVES[kind]) and (kind != "string" or schema.get("format") in _FORMATS_KEPT_AS_STR)
    if kind == "array" and isinstance(value, list):
        return all(_default_fits(schema.get("items") or {}, item, schemas, depth + 1) for item in value)
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


def _needs_class(schema: Any) -> bool:
    """Inline schemas that become a class of their own: enums of several values (a single
    value stays a ``Literal``, as tagged unions need) and objects with properties."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    values = [v for v in schema.get("enum") or [] if v is not None]
    if len(values) > 1:
        return True
    return bool(schema.get("properties")) and not any(key in schema for key in ("oneOf", "anyOf"))


def _hoist_inline_schemas(schemas: dict[str, Any]) -> dict[str, Any]:
    """Give every inline enum and object a component of its own, named from where it sits
    (``Circle.shape`` -> ``CircleShape``, array items ``...Item``, map values ``...Value``).

    Left inline, datamodel-code-generator names them itself (``Shape``, ``Type1``...),
    and may take a component's name and rename the component, breaking the classes
    the operations refer to. The reference keeps the property's own keywords
    (description, default, nullable...) beside it.
    """
    result: dict[str, Any] = {}
    taken: set[str] = set(schemas)

    def claim(wanted: str) -> str:
        name = naming.dedupe_classes([*sorted(taken), naming.class_name(wanted)])[-1]
        taken.add(name)
        return name

    def place(schema: Any, wanted: str) -> Any:
        if not _needs_class(schema):
            return visit(schema, wanted)
        name = claim(wanted)
        moved = {key: value for key, value in schema.items() if key in _MOVED_WITH_SCHEMA}
        if isinstance(moved.get("type"), list):
            kinds = [kind for kind in moved["type"] if kind != "null"]
            moved["type"] = kinds[0] if len(kinds) == 1 else kinds
        if "enum" in moved:
            moved["enum"] = [value for value in moved["enum"] if value is not None]
        kept = {key: value for key, value in schema.items() if key not in _MOVED_WITH_SCHEMA}
        nullable = None in (schema.get("enum") or []) or (isinstance(schema.get("type"), list) and "null" in schema["type"])
        if nullable:
            kept["nullable"] = True
        result[name] = visit(moved, name)
        return {"$ref": _SCHEMA_REF + name, **kept}

    def visit(schema: Any, base: str) -> Any:
        if not isinstance(schema, dict):
            return schema
        out = dict(schema)
        if isinstance(out.get("properties"), dict):
            out["properties"] = {field: place(sub, f"{base}_{field}") for field, sub in out["properties"].items()}
        if isinstance(out.get("items"), dict):
            out["items"] = place(out["items"], f"{base}_item")
        if isinstance(out.get("additionalProperties"), dict):
            out["additionalProperties"] = place(out["additionalProperties"], f"{base}_value")
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
    text = _literal(value)
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


def _has_read_only(schemas: dict[str, Any]) -> bool:
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

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if "default" in node and not _default_fits(node, node["default"], schemas):
            default = node.pop("default")
            note = f"Default: {json.dumps(default, sort_keys=True)[:200]}."
            node["description"] = f"{node['description']}\n\n{note}" if isinstance(node.get("description"), str) and node["description"] else note
        return node

    return _map_schemas(schema, fix)


def _null_defaults_nullable(schema: Any, is_31: bool) -> Any:
    """A schema whose ``default`` is null accepts null (real specs often forget to say so)."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("nullable") is False:  # the default anyway; datamodel-code-generator mistypes optional fields with it
            del node["nullable"]
        if node.get("format") in ("email", "idn-email"):  # EmailStr would need the email-validator package
            del node["format"]
        if "default" in node and node["default"] is None and isinstance(node.get("type"), (str, list)):
            kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
            if "null" not in kinds and not node.get("nullable"):
                if is_31:
                    node["type"] = [*kinds, "null"]
                else:
                    node["nullable"] = True
        return node

    return _map_schemas(schema, fix)


def _server_url(server: dict[str, Any]) -> str:
    url = str(server.get("url", ""))
    for name, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + name + "}", str(variable["default"]))
    return url.rstrip("/") if url != "/" else ""


__all__ = ["build_ir", "pointer"]
