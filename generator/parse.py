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
from collections.abc import Callable, Iterator
from typing import Any

from generator import ir, naming, pytypes
from generator.errors import (
    MISSING,
    Problem,
    SpecError,
    follow_pointer,
    pointer,
    unescape_pointer_token,
)
from generator.pytypes import TypeNode

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_SCHEMA_REF = "#/components/schemas/"
_JSON_TYPES = re.compile(r"^application/([\w.+-]*\+)?json(;.*)?$|^\*/\*$")


class _Builder:
    def __init__(
        self, document: dict[str, Any], file: str, package_name: str, warn: Callable[[Problem], None] | None = None
    ) -> None:
        self.source = document
        self.warn = warn
        self.warned: set[str] = set()  # pointers already reported (a shared requestBody warns once)
        self.has_file_fields = False  # some multipart body model got a FileInput field
        self.file = file
        self.package_name = package_name
        self.version = str(document.get("openapi", "3.0.0"))
        self.is_31 = self.version.startswith("3.1")
        components = document.get("components") or {}
        self.schemas: dict[str, Any] = copy.deepcopy(components.get("schemas") or {})
        # References into a component (``#/components/schemas/A/definitions/b``): the target
        # becomes a component of its own (key -> new key) or is copied where it is used.
        self.deep_keys, self.deep_inline = _materialise_deep_refs(self.schemas, document)
        self.class_names = self._decide_class_names()
        self.ref_names = {ref: self.class_names[key] for ref, key in self.deep_keys.items()}
        self.model_schemas: dict[str, Any] = {}
        self._add_models({self.class_names[name]: schema for name, schema in self.schemas.items()})
        self.problems: list[Problem] = []
        self.types = pytypes.SchemaTypes(target=self._class_target, inline=self._inline_target, named=self._named)

    # -- names -----------------------------------------------------------------
    def _decide_class_names(self) -> dict[str, str]:
        originals = list(self.schemas)
        decided = naming.dedupe_classes([naming.class_name(name) for name in originals])
        return dict(zip(originals, decided, strict=True))

    def _named(self, schema: dict[str, Any], wanted: str, why: pytypes.Why) -> TypeNode:
        """An inline schema that needs a class (``why``: object, union or open enum) is hoisted
        into the model document under a name from :mod:`naming`."""
        name = naming.unique_class_name(naming.class_name(wanted), self.model_schemas)
        self._add_models({name: schema})
        return pytypes.Model(name)

    def _add_models(self, schemas: dict[str, Any]) -> None:
        """Prepare schemas (component or hoisted from an operation: the same steps) for
        datamodel-code-generator and add them to the model document: references renamed to
        class names, formats loosened, null defaults made nullable, inline enums and objects
        hoisted under names from :mod:`naming`, defaults that do not fit dropped, readOnly and
        writeOnly fields made optional, examples documented."""
        prepared = {
            name: _inner_constraints_dropped(_loose_formats(
                _null_defaults_nullable(
                    _nullable_free_form_items(_merge_nullable_option(_shape_fixes(_merge_single_all_of(_rename_refs(schema, self.class_names, self.deep_inline, self.ref_names))), self.is_31)), self.is_31
                )
            ))
            for name, schema in schemas.items()
        }
        known = {**self.model_schemas, **prepared}
        prepared = {name: _text_options_first(_distribute_unions(schema, known), known) for name, schema in prepared.items()}
        added = _hoist_inline_schemas(prepared, taken=set(self.model_schemas))
        self.model_schemas.update(added)
        for name in added:
            self.model_schemas[name] = _documented_examples(_one_way_fields(_typed_defaults(self.model_schemas[name], self.model_schemas)))

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

    def _deref_at(self, node: Any, where: str) -> tuple[Any, str]:
        """Like :meth:`_deref`, also giving the JSON pointer of what it lands on."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and not node["$ref"].startswith(_SCHEMA_REF):
            ref = node["$ref"]
            if ref in seen:
                break
            seen.add(ref)
            found = follow_pointer(self.source, ref.lstrip("#"))
            node, where = (None if found is MISSING else found), ref[1:]
        return node, where

    def _report(self, where: str, message: str) -> None:
        """A finding that does not stop generation (something of the spec the client leaves out)."""
        if self.warn is not None and where not in self.warned:
            self.warned.add(where)
            self.warn(Problem(self.file, where, message))

    def _schema_target(self, ref: str) -> tuple[str, dict[str, Any]] | None:
        if not ref.startswith(_SCHEMA_REF) and ref not in self.deep_keys:
            return None
        name = self.deep_keys.get(ref) or unescape_pointer_token(ref[len(_SCHEMA_REF) :])
        schema = self.schemas.get(name)
        if not isinstance(schema, dict):
            return None
        return name, schema

    # -- types -----------------------------------------------------------------
    def _class_target(self, ref: str) -> tuple[str, dict[str, Any]] | None:
        """The class name and schema of a component reference (for :class:`pytypes.SchemaTypes`)."""
        target = self._schema_target(ref)
        return (self.class_names[target[0]], target[1]) if target is not None else None

    def _inline_target(self, ref: str) -> dict[str, Any] | None:
        """A copy of what a reference deep into a component points at, when it has no class."""
        inline = self.deep_inline.get(ref)
        return copy.deepcopy(inline) if inline is not None else None

    # -- API -------------------------------------------------------------------
    def build(self) -> ir.Api:
        info = self.source.get("info") or {}
        security_schemes = self._security_schemes()
        scheme_keys = {scheme.key for scheme in security_schemes}
        default_security = self._security(self.source.get("security"), scheme_keys)
        groups: dict[str, ir.ResourceGroup] = {}
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
                built = self._operation(path, method, path_item, operation, default_security, scheme_keys)
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
            imports = pytypes.Imports.of(_operation_types(resource.operations))
            if any(op.deprecated for op in resource.operations):
                imports.modules.add("warnings")
            resource.class_name = naming.group_class_name(key, imports.models)  # never a model it imports
            resource.model_imports = sorted(imports.models)
            resource.typing_imports = sorted(imports.typing)
            resource.module_imports = sorted(imports.modules)

        if self.problems:
            raise SpecError(self.problems)

        polymorphic = self._polymorphic()
        for poly in polymorphic:
            # The base model dispatches itself (see models.add_dispatch); left in,
            # the discriminator would make datamodel-code-generator replace every
            # reference to the base by an undiscriminated union of its subtypes.
            self.model_schemas[poly.base] = {k: v for k, v in self.model_schemas[poly.base].items() if k != "discriminator"}
        dispatching = {poly.base for poly in polymorphic} | {child for poly in polymorphic for _, child in poly.subtypes}
        _flatten_narrowing_children(self.model_schemas, dispatching)
        self.model_schemas = {name: _untagged_unions(schema, self.model_schemas) for name, schema in self.model_schemas.items()}
        self.model_schemas = _inline_aliases(self.model_schemas)
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
            has_file_fields=self.has_file_fields,
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
    ) -> ir.Operation:
        operation_id = operation.get("operationId")
        py_name = naming.method_name(operation_id if isinstance(operation_id, str) else None, method, path, operation.get("x-clientsmith-name"))
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        sources = [("parameters", index, raw) for index, raw in enumerate(path_item.get("parameters") or [])]
        sources += [(method, index, raw) for index, raw in enumerate(operation.get("parameters") or [])]
        for owner, index, raw in sources:
            param = self._deref(raw)
            if not (isinstance(param, dict) and "name" in param and "in" in param):
                continue
            if str(param["in"]) == "header" and str(param["name"]).lower() in _IGNORED_HEADERS:
                where = pointer("paths", path, *((method,) if owner == method else ()), "parameters", index)
                self._report(
                    where,
                    f"header parameter {param['name']!r} is ignored, as OpenAPI says: the client sets it "
                    "(from the body's media type, the declared responses or the credentials)",
                )
                continue
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
            py_param = naming.parameter_name(wire_name, param.get("x-clientsmith-name"))
            if isinstance(schema, dict):
                kind = self.types.of(schema, naming.inline_model_name(py_name, py_param))
            else:
                schema, kind = {}, pytypes.STR  # no schema: what arrives is text
            required = bool(param.get("required")) or location == "path"
            default = _schema_default(schema, self.schemas)
            parameters.append(
                ir.Parameter(
                    wire_name=wire_name,
                    py_name=py_param,
                    location=location,
                    type=kind,
                    required=required,
                    default_repr=None if required or default is _NO_DEFAULT else self._default_repr(default, kind),
                    description=str(param.get("description", "")),
                    example=example_text(param) or example_text(schema),
                    style=style,
                    explode=bool(param.get("explode", param.get("style", "form") == "form" if location in ("query", "cookie") else False)),
                    deprecated=bool(param.get("deprecated")),
                )
            )

        at = pointer("paths", path, method)
        body = self._body(operation.get("requestBody"), py_name, at + "/requestBody")
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
        accept: list[str] = []
        for status, raw_response in (operation.get("responses") or {}).items():
            response, where = self._deref_at(raw_response, at + pointer("responses", status))
            status = str(status).upper() if str(status).lower() != "default" else "default"
            if not isinstance(response, dict):
                continue
            if isinstance(response.get("content"), dict):
                accept += [str(media_type) for media_type in response["content"]]
            built = self._response(status, response, py_name, where)
            (success if status.startswith("2") else errors).append(built)
        success.sort(key=lambda r: r.status)

        typed = [r.type for r in success if r.type is not None]
        return_type = pytypes.nullable(pytypes.union(typed), len(typed) < len(success)) if typed else pytypes.NONE

        security_raw = operation.get("security")
        security = self._security(security_raw, scheme_keys) if security_raw is not None else default_security
        sorted_parameters = sorted(parameters, key=lambda p: not p.required)
        return ir.Operation(
            pagination=self._pagination(operation, sorted_parameters, py_name),
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
            return_type=return_type,
            security=security,
            deprecated=bool(operation.get("deprecated")),
            idempotent=method.upper() in IDEMPOTENT_METHODS,
            accept=tuple(_unique_folded(accept)),
        )

    def _default_repr(self, value: Any, kind: TypeNode) -> str:
        bare = pytypes.without_none(kind)
        if isinstance(bare, pytypes.Model) and isinstance(value, (str, int)) and not isinstance(value, bool):
            return f"{bare.class_name}({pytypes.literal(value)})"
        return pytypes.literal(value)

    def _body(self, raw: Any, py_name: str, where: str) -> ir.Body | None:
        body, where = self._deref_at(raw, where)
        if not isinstance(body, dict):
            return None
        content = body.get("content") or {}
        if not isinstance(content, dict) or not content:
            return None
        content_type = _pick_content_type(list(content))
        for other in content:
            if other != content_type:
                self._report(
                    f"{where}/content{pointer(other)}",
                    f"request media type {other} is not supported alongside {content_type}: "
                    f"the client sends the body as {content_type} only (one request media type per operation)",
                )
        media = content[content_type] or {}
        schema = media.get("schema") or {}
        encoding = _encoding(content_type, schema)
        parts = _part_encodings(media.get("encoding"), form=encoding == "form") if encoding in ("form", "multipart") else ()
        schema_name = None
        if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(_SCHEMA_REF):
            schema_name = unescape_pointer_token(schema["$ref"][len(_SCHEMA_REF) :])
        name = naming.body_parameter_name(schema_name, body.get("x-clientsmith-body-name"))
        target = self._schema_target(schema["$ref"]) if isinstance(schema.get("$ref"), str) else None
        object_schema = target[1] if target else schema
        if body.get("x-clientsmith-flatten") and encoding == "json" and isinstance(object_schema.get("properties"), dict):
            return self._flattened_body(body, object_schema, content_type, py_name)
        kind: TypeNode
        if encoding == "bytes":
            kind = pytypes.BYTES
        elif encoding == "text":
            kind = pytypes.STR
        else:
            kind = self.types.of(schema, naming.inline_model_name(py_name, "request", "body"))
            bare = pytypes.without_none(kind)
            if encoding == "multipart" and isinstance(bare, pytypes.Model):
                self._file_fields(bare.class_name, set())
            if encoding in ("multipart", "form") and kind not in (pytypes.ANY, pytypes.FREE_FORM):
                # A mapping may hold file tuples (filename, bytes, type) a model field cannot.
                kind = pytypes.union([kind, pytypes.MappingOf(pytypes.ANY)])
        return ir.Body(
            py_name=name,
            type=kind,
            required=bool(body.get("required")),
            content_type=content_type,
            encoding=encoding,
            description=str(body.get("description", "")),
            example=example_text(media) or example_text(schema),
            parts=parts,
        )

    def _file_fields(self, class_name: str, seen: set[str]) -> None:
        """Type the binary properties of a multipart body model (and of the models it extends)
        as the runtime's ``FileInput``, so the model takes files, paths and ``(filename, content)``
        tuples as well as bytes."""
        schema = self.model_schemas.get(class_name)
        if class_name in seen or not isinstance(schema, dict):
            return
        seen.add(class_name)
        for part in [schema, *(p for p in schema.get("allOf") or [] if isinstance(p, dict))]:
            ref = part.get("$ref")
            if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
                self._file_fields(unescape_pointer_token(ref[len(_SCHEMA_REF) :]), seen)
            for prop in (part.get("properties") or {}).values() if isinstance(part.get("properties"), dict) else []:
                if isinstance(prop, dict):
                    items = prop.get("items")
                    target = items if isinstance(items, dict) and _schema_kind(prop) == "array" else prop
                    if _is_file_schema(target):
                        target["x-python-type"] = FILE_TYPE
                        self.has_file_fields = True

    def _pagination(
        self,
        operation: dict[str, Any],
        parameters: list[ir.Parameter],
        py_name: str,
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
        if position is None or style is None or position.type not in (pytypes.INT, pytypes.FLOAT):
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
        item_type = self.types.of(items_schema.get("items") or {}, naming.inline_model_name(py_name, "item"))
        return ir.Pagination(style, position, size, start, items_field, total_field or "", item_type)

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
        self, body: dict[str, Any], schema: dict[str, Any], content_type: str, py_name: str
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
            kind = self.types.of(prop, naming.inline_model_name(py_name, field_name))
            fields.append(
                ir.Parameter(
                    wire_name=wire_name,
                    py_name=field_name,
                    location="body",
                    type=kind,
                    required=required,
                    default_repr=None if required or default is _NO_DEFAULT else self._default_repr(default, kind),
                    description=str(prop.get("description", "")),
                    example=example_text(prop),
                    style="",
                    explode=False,
                    deprecated=bool(prop.get("deprecated")),
                )
            )
        return ir.Body(
            py_name="",
            type=None,
            required=body_required,
            content_type=content_type,
            encoding="json",
            description=str(body.get("description", "")),
            fields=tuple(fields),
        )

    def _response(self, status: str, response: dict[str, Any], py_name: str, where: str) -> ir.Response:
        content = response.get("content") or {}
        description = str(response.get("description", ""))
        if not isinstance(content, dict) or not content:
            return ir.Response(status, description, None, "")
        content_type = _pick_content_type(list(content))
        for media_type in content:
            at = f"{where}/content{pointer(media_type)}"
            if _is_event_stream(media_type):
                self._report(
                    at,
                    "server-sent events (text/event-stream) are not supported yet: "
                    + ("the client reads the whole response as text once the stream ends" if media_type == content_type
                       else f"the client reads {content_type} responses only"),
                )
            elif media_type != content_type and not _read_alike(content, media_type, content_type):
                self._report(at, f"response media type {media_type} is not supported alongside {content_type}: the client reads {content_type} only")
        schema = (content[content_type] or {}).get("schema")
        encoding = _encoding(content_type, schema or {})
        if encoding == "bytes" or _is_binary(self._resolve_schema(schema), encoding):
            # A binary schema is raw bytes whatever the media type says (text/plain, application/json...).
            return ir.Response(status, description, pytypes.BYTES, content_type)
        if encoding == "text":
            return ir.Response(status, description, pytypes.STR, content_type)
        if schema is None:
            return ir.Response(status, description, pytypes.ANY, content_type)
        hoist = naming.inline_model_name(py_name, status.lower() if status != "default" else "default", "response")
        return ir.Response(status, description, self.types.of(schema, hoist, open_enums=True), content_type)


#: Header parameters OpenAPI says to ignore: the media types and the security schemes decide them.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_OFFSET_PARAMETERS = ("offset", "skip", "start")
_PAGE_PARAMETERS = ("page", "pageNumber", "page_number", "pageNo")
_SIZE_PARAMETERS = ("limit", "pageSize", "page_size", "per_page", "perPage", "size", "count")
_ITEM_FIELDS = ("results", "items", "data", "entries", "records", "values", "content")
_TOTAL_FIELDS = ("total_count", "totalCount", "total_entries", "totalEntries", "totalResults", "total_results", "total", "count")


def _operation_types(operations: list[ir.Operation]) -> Iterator[TypeNode | None]:
    """Every type the operations' signatures, runtime descriptions and helpers name."""
    for op in operations:
        yield from (p.type for p in op.parameters)
        yield op.body.type if op.body is not None else None
        yield from (r.type for r in [*op.success, *op.errors])
        yield op.return_type
        yield op.pagination.item_type if op.pagination is not None else None


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


def build_ir(document: dict[str, Any], file: str, package_name: str, warn: Callable[[Problem], None] | None = None) -> ir.Api:
    """Turn a validated, bundled document into the IR.

    ``warn`` receives what the client leaves out (request and response media types it does
    not use, server-sent events), each at its JSON pointer."""
    return _Builder(document, file, package_name, warn).build()


# -- helpers ---------------------------------------------------------------------
_NO_DEFAULT = object()


def _schema_default(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The default of an argument's schema, or ``_NO_DEFAULT`` when there is none or the
    argument's Python type cannot hold it (the server applies it anyway)."""
    value = _raw_schema_default(schema, schemas)
    if value is _NO_DEFAULT or value is None or _default_fits(schema, value, schemas, wrap=True):
        return value
    return _NO_DEFAULT


def _raw_schema_default(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
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


#: The runtime's type of a file field in a multipart body model (``x-python-type`` for the model stage).
FILE_TYPE = "FileInput"


def _schema_kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _is_file_schema(schema: Any) -> bool:
    """A property that holds a file in a multipart body: a binary string (3.0 ``format: binary``,
    3.1 ``contentMediaType`` without ``contentEncoding``)."""
    if not isinstance(schema, dict) or _schema_kind(schema) != "string" or "enum" in schema:
        return False
    return schema.get("format") == "binary" or ("contentMediaType" in schema and "contentEncoding" not in schema)


def _part_encodings(raw: Any, *, form: bool) -> tuple[ir.PartEncoding, ...]:
    """A media type's ``encoding`` map. ``style``, ``explode`` and ``allowReserved`` apply to
    ``application/x-www-form-urlencoded`` bodies only (OpenAPI ignores them for multipart)."""
    if not isinstance(raw, dict):
        return ()
    parts = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        styled = form and any(key in entry for key in ("style", "explode", "allowReserved"))
        style = str(entry.get("style", "form")) if styled else ""
        parts.append(
            ir.PartEncoding(
                name=str(name),
                content_type=str(entry.get("contentType", "")),
                style=style,
                explode=bool(entry.get("explode", style == "form")) if styled else True,
                allow_reserved=styled and entry.get("allowReserved") is True,
            )
        )
    return tuple(parts)


def _read_alike(content: dict[str, Any], one: str, other: str) -> bool:
    """Whether a response of media type ``one`` reads as well as one of ``other`` (both raw bytes,
    both text, or the same schema the same way): then nothing is lost by choosing ``other``."""
    schemas = [((content[media_type] or {}).get("schema") or {}) for media_type in (one, other)]
    encodings = [_encoding(media_type, schema) for media_type, schema in zip((one, other), schemas, strict=True)]
    return encodings[0] == encodings[1] and (encodings[0] in ("bytes", "text") or schemas[0] == schemas[1])


def _is_event_stream(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() == "text/event-stream"


def _unique_folded(items: list[str]) -> list[str]:
    """``items`` without repeats, case-insensitively, first spelling kept."""
    seen: set[str] = set()
    result = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            result.append(item)
    return result


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


def _is_binary(schema: dict[str, Any], encoding: str) -> bool:
    """A string schema for raw bytes: ``format: binary`` (3.0), or a non-text ``contentMediaType``
    without ``contentEncoding`` (3.1) under a non-JSON media type."""
    kinds = schema.get("type")
    if not (kinds == "string" or (isinstance(kinds, list) and "string" in kinds)):
        return False
    if schema.get("format") == "binary":
        return True
    media = schema.get("contentMediaType")
    return (
        encoding != "json"
        and isinstance(media, str)
        and not media.lower().startswith("text/")
        and "json" not in media.lower()
        and "contentEncoding" not in schema
    )


def _schema_ref_name(node: Any) -> str | None:
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF) and "/" not in ref[len(_SCHEMA_REF) :]:
        return unescape_pointer_token(ref[len(_SCHEMA_REF) :])
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


def _flatten_narrowing_children(schemas: dict[str, Any], keep: set[str]) -> None:
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
    into a schema (see :func:`_materialise_deep_refs`) pointing at the class their target became
    (``moved``) or replaced by a copy of it (``inline``)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if inline and depth < 16 and isinstance(ref, str) and ref in inline:
            merged = {**copy.deepcopy(inline[ref]), **{k: v for k, v in node.items() if k != "$ref"}}
            return _rename_refs(merged, class_names, inline, moved, depth + 1)
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and moved and isinstance(value, str) and value in moved:
                result[key] = _SCHEMA_REF + moved[value]
            elif key == "$ref" and isinstance(value, str) and value.startswith(_SCHEMA_REF):
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
                if ref.startswith(_SCHEMA_REF) and len(tokens) > 3 or not ref.startswith(_SCHEMA_REF) and "schema" in tokens:
                    yield ref
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _materialise_deep_refs(schemas: dict[str, Any], document: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
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
            if isinstance(container, dict):
                container = container.get(token)
            elif isinstance(container, list) and token.isdigit() and int(token) < len(container):
                container = container[int(token)]
            else:
                container = None
        last = tokens[-1]
        if isinstance(container, dict):
            target = container.get(last)
        elif isinstance(container, list) and last.isdigit() and int(last) < len(container):
            target = container[int(last)]
        else:
            target = None
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
            container[int(last) if isinstance(container, list) else last] = {"$ref": _SCHEMA_REF + name}
        moved[ref] = name
    for schema in schemas.values():
        if isinstance(schema, dict):
            for container_key in ("definitions", "$defs"):
                schema.pop(container_key, None)
    return moved, copied


_PRIMITIVES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _default_fits(schema: Any, value: Any, schemas: dict[str, Any], depth: int = 0, wrap: bool = False) -> bool:
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
        return _default_fits(target, value, schemas, depth + 1, wrap)
    if isinstance(schema.get("enum"), list):
        return value in schema["enum"] and not isinstance(value, (list, dict))
    for key in ("allOf", "anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if not pytypes.is_null_schema(o)]
        if options:
            return len(options) == 1 and _default_fits(options[0], value, schemas, depth + 1, wrap)
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
        return all(_default_fits(schema.get("items") or {}, item, schemas, depth + 1, wrap) for item in value)
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


def _hoist_inline_schemas(schemas: dict[str, Any], taken: set[str] | None = None) -> dict[str, Any]:
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
        return {"$ref": _SCHEMA_REF + name, **kept}

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

    def drop(node: dict[str, Any]) -> dict[str, Any]:
        default = node.pop("default")
        note = f"Default: {json.dumps(default, sort_keys=True, default=str)[:200]}."
        node["description"] = f"{node['description']}\n\n{note}" if isinstance(node.get("description"), str) and node["description"] else note
        return node

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if "default" in node and not _default_fits(node, node["default"], schemas):
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
    """References to aliases (:func:`pytypes.is_plain_alias`, :func:`pytypes.is_list_alias`)
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
            return {**copy.deepcopy(aliases[name]), **{k: v for k, v in node.items() if k != "$ref"}}

        return fix

    plain = {name: schema for name, schema in schemas.items() if isinstance(schema, dict) and pytypes.is_plain_alias(schema)}
    schemas = {name: _map_schemas(schema, inliner(plain, name)) for name, schema in schemas.items()}
    lists = {name: schema for name, schema in schemas.items() if isinstance(schema, dict) and pytypes.is_list_alias(schema)}
    for name, schema in lists.items():
        if _schema_ref_name(schema["items"]) == name:
            # ``Tree: {items: {$ref: Tree}}``: datamodel-code-generator writes a bare ``list``
            # (mypy --strict refuses it); the items are typed where the alias is used instead.
            schemas[name] = {**schema, "items": {}}
    return {name: _map_schemas(schema, inliner(lists, name)) for name, schema in schemas.items()}


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
        return _schema_kind(option) if isinstance(option, dict) else None

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


def _requires(schema: Any, name: str, schemas: dict[str, Any], depth: int = 0) -> bool:
    """Whether ``schema`` (its ``$ref`` and ``allOf`` parts followed) lists ``name`` as required."""
    if not isinstance(schema, dict) or depth > 16:
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        return _requires(schemas.get(unescape_pointer_token(ref[len(_SCHEMA_REF) :])), name, schemas, depth + 1)
    if name in (schema.get("required") or []):
        return True
    return any(_requires(part, name, schemas, depth + 1) for part in schema.get("allOf") or [])


def _property(schema: Any, name: str, schemas: dict[str, Any], depth: int = 0) -> Any:
    """The schema of property ``name`` in ``schema`` (its ``$ref`` and ``allOf`` parts followed), or None."""
    if not isinstance(schema, dict) or depth > 16:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        return _property(schemas.get(unescape_pointer_token(ref[len(_SCHEMA_REF) :])), name, schemas, depth + 1)
    found = (schema.get("properties") or {}).get(name)
    if found is not None:
        return found
    for part in schema.get("allOf") or []:
        found = _property(part, name, schemas, depth + 1)
        if found is not None:
            return found
    return None


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


def _null_defaults_nullable(schema: Any, is_31: bool) -> Any:
    """A schema whose ``default`` is null accepts null (real specs often forget to say so)."""

    def fix(node: dict[str, Any]) -> dict[str, Any]:
        if node.get("nullable") is False:  # the default anyway; datamodel-code-generator mistypes optional fields with it
            del node["nullable"]
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
