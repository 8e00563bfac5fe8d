"""Stage 3: build the IR (:mod:`generator.pipeline.ir`) from a validated document.

This is the only place that interprets OpenAPI semantics: parameter merging,
``$ref`` resolution of parameters/bodies/responses, content-type choice,
security requirements, and the Python type of every argument and return
value. Inline schemas that need a class are hoisted into the model document
under names from :func:`generator.pipeline.naming.inline_model_name`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

from generator.errors import (
    MISSING,
    Problem,
    SpecError,
    escape_pointer_token,
    follow_pointer,
    pointer,
    unescape_pointer_token,
)
from generator.pipeline import heuristics, ir, naming, prepare, pytypes, servers
from generator.pipeline.pytypes import TypeNode

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
EXTENSION = "x-clientsmith-pagination"
#: The OAuth2 flows the generated clients fetch tokens with -> their grant_type (RFC 6749).
OAUTH2_GRANTS = {"clientCredentials": "client_credentials", "password": "password"}


def _model_properties(schema: dict[str, Any], models: dict[str, Any]) -> dict[str, Any]:
    """The properties of a prepared model schema, with those of the models it extends."""
    merged: dict[str, Any] = {}
    for part in schema.get("allOf") or []:
        if isinstance(part, dict):
            ref = part.get("$ref")
            target = models.get(ref[len(prepare.SCHEMA_REF) :]) if isinstance(ref, str) and ref.startswith(prepare.SCHEMA_REF) else part
            if isinstance(target, dict) and target is not schema:
                merged.update(_model_properties(target, models))
    if isinstance(schema.get("properties"), dict):
        merged.update(schema["properties"])
    return merged


def _field_path(value: Any) -> tuple[str, ...] | None:
    """A response field named in ``x-clientsmith-pagination``: a JSON Pointer (``/pageInfo/next``,
    ``""`` for the body itself) or a bare top-level field name; None if it is neither."""
    if not isinstance(value, str):
        return None
    if value == "":
        return ()
    if value.startswith("/"):
        return tuple(unescape_pointer_token(token) for token in value[1:].split("/"))
    return (value,)


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
        self.deep_keys, self.deep_inline = prepare.materialise_deep_refs(self.schemas, document)
        self.class_names = self._decide_class_names()
        self.ref_names = {ref: self.class_names[key] for ref, key in self.deep_keys.items()}
        self.model_schemas: dict[str, Any] = {}
        self._add_models({self.class_names[name]: schema for name, schema in self.schemas.items()})
        self.problems: list[Problem] = []
        self.types = pytypes.SchemaTypes(target=self._class_target, inline=self._inline_target, named=self._named)
        self.shapes = heuristics.Shapes(self._resolve_schema, self._properties)
        self._success_types: dict[str, TypeNode | None] = {}  # of the operation being built
        self._paged_status = ""

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
        prepared = prepare.prepare_schemas(
            schemas, self.model_schemas, class_names=self.class_names, deep_inline=self.deep_inline, ref_names=self.ref_names, is_31=self.is_31
        )
        added = prepare.hoist_inline_schemas(prepared, taken=set(self.model_schemas))
        self.model_schemas.update(added)
        for name in added:
            self.model_schemas[name] = prepare.document_schema(self.model_schemas[name], self.model_schemas)

    # -- references ------------------------------------------------------------
    def _deref(self, node: Any) -> Any:
        """``node`` with local ``$ref``s (other than to a model schema) followed, None if one is broken."""
        return self._deref_at(node, "")[0]

    def _deref_at(self, node: Any, where: str) -> tuple[Any, str]:
        """Like :meth:`_deref`, also giving the JSON pointer of what it lands on (``where`` if
        ``node`` is no such reference)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and not node["$ref"].startswith(prepare.SCHEMA_REF):
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
        if not ref.startswith(prepare.SCHEMA_REF) and ref not in self.deep_keys:
            return None
        name = self.deep_keys.get(ref) or unescape_pointer_token(ref[len(prepare.SCHEMA_REF) :])
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
                built.servers = servers.operation_servers(path_item, operation, path, method, self._report)
                groups[group].operations.append(built)

        for key, resource in groups.items():
            names = naming.dedupe([op.py_name for op in resource.operations])
            for op, name in zip(resource.operations, names, strict=True):
                op.py_name = name
                op.constant_name = naming.operation_constant(name)
                if op.events is not None:
                    op.events_constant = naming.events_constant(op.constant_name)
            taken = list(names)  # helpers never shadow an operation or each other
            for op in resource.operations:
                if op.pagination is not None:
                    op.iterator_name = naming.dedupe([*taken, naming.iterator_name(op.py_name)])[-1]
                    taken.append(op.iterator_name)
                    op.pages_name = naming.dedupe([*taken, naming.pages_name(op.py_name)])[-1]
                    taken.append(op.pages_name)
                if op.streams:
                    op.stream_name = naming.dedupe([*taken, naming.stream_name(op.py_name)])[-1]
                    taken.append(op.stream_name)
            imports = pytypes.Imports.of(_operation_types(resource.operations))
            resource.class_name = naming.group_class_name(key, imports.models)  # never a model it imports
            resource.model_imports = sorted(imports.models)
            resource.typing_imports = sorted(imports.typing)
            resource.module_imports = sorted(imports.modules)
            resource.abc_imports = sorted(imports.abc)

        if self.problems:
            raise SpecError(self.problems)

        polymorphic = self._polymorphic()
        for poly in polymorphic:
            # The base model dispatches itself (see models.add_dispatch); left in,
            # the discriminator would make datamodel-code-generator replace every
            # reference to the base by an undiscriminated union of its subtypes.
            self.model_schemas[poly.base] = {k: v for k, v in self.model_schemas[poly.base].items() if k != "discriminator"}
        dispatching = {poly.base for poly in polymorphic} | {child for poly in polymorphic for _, child in poly.subtypes}
        self.model_schemas = prepare.finish(self.model_schemas, dispatching)
        document_servers = servers.name_document_servers(servers.read(self.source.get("servers"), "/servers", self._report))
        selectable = [server for server in document_servers if server.absolute]
        operations = [op for group in groups.values() for op in group.operations]
        server_arguments = servers.arguments(
            [*selectable, *(server for op in operations for server in op.servers[:1])],
            [scheme.arg_name for scheme in security_schemes],
        )
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
            servers=document_servers,
            default_base_url=selectable[0].default_url if selectable else "",
            security_schemes=security_schemes,
            default_security=default_security,
            groups=list(groups.values()),
            models=models,
            polymorphic=polymorphic,
            has_read_only=prepare.has_read_only(self.model_schemas),
            has_file_fields=self.has_file_fields,
            server_arguments=server_arguments,
            base_url_required=not selectable and (not operations or any(not op.servers for op in operations)),
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
            base_ref = prepare.SCHEMA_REF + name
            children = {
                child
                for child, child_schema in self.model_schemas.items()
                if isinstance(child_schema, dict)
                and any(isinstance(part, dict) and part.get("$ref") == base_ref for part in child_schema.get("allOf") or [])
            }
            mapping = discriminator.get("mapping")
            if isinstance(mapping, dict) and mapping:
                pairs = [
                    (str(tag), target[len(prepare.SCHEMA_REF) :])
                    for tag, target in mapping.items()
                    if isinstance(target, str) and target[len(prepare.SCHEMA_REF) :] in children
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
                flows: list[tuple[str, str]] = []
                if kind_spec == "oauth2":
                    declared = scheme.get("flows") or {}
                    for spec_flow, grant in OAUTH2_GRANTS.items():
                        flow = declared.get(spec_flow)
                        if isinstance(flow, dict) and flow.get("tokenUrl"):
                            flows.append((grant, str(flow["tokenUrl"])))
                result.append(
                    ir.SecurityScheme(
                        key, "bearer", arg, "header", "Authorization", description, kind_spec, token_url,
                        flows=tuple(flows), scopes=self._required_scopes(key) if flows else (),
                    )
                )
        return result

    def _required_scopes(self, key: str) -> tuple[str, ...]:
        """The scopes the document's and the operations' security requirements ask of scheme ``key``, in order."""
        requirements = list(self.source.get("security") or [])
        for path_item in (self.source.get("paths") or {}).values():
            path_item = self._deref(path_item)
            if isinstance(path_item, dict):
                for method in HTTP_METHODS:
                    operation = path_item.get(method)
                    if isinstance(operation, dict):
                        requirements += operation.get("security") or []
        scopes: dict[str, None] = {}
        for requirement in requirements:
            if isinstance(requirement, dict) and isinstance(requirement.get(key), list):
                scopes.update((str(scope), None) for scope in requirement[key])
        return tuple(scopes)

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
                    example=prepare.example_text(param) or prepare.example_text(schema),
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
        events: ir.EventStream | None = None
        other_success = False  # some success response has a media type besides text/event-stream
        for status, raw_response in (operation.get("responses") or {}).items():
            response, where = self._deref_at(raw_response, at + pointer("responses", status))
            status = str(status).upper() if str(status).lower() != "default" else "default"
            if not isinstance(response, dict):
                continue
            if isinstance(response.get("content"), dict):
                accept += [str(media_type) for media_type in response["content"]]
            built = self._response(status, response, py_name, where)
            (success if status.startswith("2") else errors).append(built)
            if status.startswith("2") and isinstance(response.get("content"), dict):
                other_success = other_success or any(not _is_event_stream(str(m)) for m in response["content"])
                found = self._event_stream(status, response, py_name, where, taken=events is not None)
                events = events or found
        success.sort(key=lambda r: r.status)
        stream_argument = ""
        if events is not None:
            flag = "" if not other_success or body is None else self._stream_flag(operation.get("requestBody"), body)
            events = ir.EventStream(**{**events.__dict__, "only": not other_success, "flag": flag})
            if other_success:
                # The call without events asks for the other media types; one with events, for the stream.
                accept = [media_type for media_type in accept if not _is_event_stream(media_type)]
                stream_argument = naming.stream_argument(
                    [p.py_name for p in parameters] + ([body.py_name] if body is not None and not body.fields else [])
                )

        typed = [r.type for r in success if r.type is not None]
        return_type = pytypes.nullable(pytypes.union(typed), len(typed) < len(success)) if typed else pytypes.NONE

        security_raw = operation.get("security")
        security = self._security(security_raw, scheme_keys) if security_raw is not None else default_security
        sorted_parameters = sorted(parameters, key=lambda p: not p.required)
        self._success_types = {r.status: r.type for r in success}
        return ir.Operation(
            pagination=self._pagination(operation, sorted_parameters, py_name, at),
            idempotency_header=heuristics.idempotency_header(operation, parameters),
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
            events=events,
            stream_argument=stream_argument,
        )

    def _event_stream(self, status: str, response: dict[str, Any], py_name: str, where: str, *, taken: bool) -> ir.EventStream | None:
        """The text/event-stream media type of a success response, read as typed events: its schema
        describes each event's data, or (an object of ``event``/``data``/``id``/``retry`` fields)
        the whole event. One per operation: another one is reported and read as text."""
        content = response["content"]
        media_type = next((str(m) for m in content if _is_event_stream(str(m))), None)
        if media_type is None:
            return None
        at = f"{where}/content{pointer(media_type)}"
        if taken:
            self._report(at, "a second text/event-stream success response: the client reads the events of the first one only")
            return None
        schema = (content[media_type] or {}).get("schema")
        schema = schema if isinstance(schema, dict) else None
        resolved = self._resolve_schema(schema) if schema is not None else {}
        properties: dict[str, Any] = resolved["properties"] if isinstance(resolved.get("properties"), dict) else {}
        fields = tuple(properties) if properties and "data" in properties and set(properties) <= _EVENT_FIELDS else ()
        data_schema = self._resolve_schema(properties["data"]) if fields else resolved
        text = schema is None or (self._schema_type(data_schema) == "string" and not _is_binary(data_schema, "json"))
        if schema is None:
            kind: TypeNode = pytypes.STR
        elif text and not fields:
            kind = pytypes.STR
        else:
            kind = self.types.of(schema, naming.inline_model_name(py_name, "event"), open_enums=True)
        return ir.EventStream(status, media_type, kind, fields, text, only=True)

    def _stream_flag(self, raw_body: Any, body: ir.Body) -> str:
        """``stream`` when the JSON request body has a boolean property of that name (in every
        option of a oneOf/anyOf body): the property that asks the server for events."""
        if body.encoding != "json" or body.fields:
            return ""
        resolved_body = self._deref(raw_body) or {}
        media = ((resolved_body.get("content") or {}).get(body.content_type)) or {}
        schema = self._resolve_schema(media.get("schema"))
        options = [self._resolve_schema(option) for option in (schema.get("oneOf") or schema.get("anyOf") or [])] or [schema]
        for option in options:
            prop = self._resolve_schema(self._properties(option).get("stream"))
            if self._schema_type(prop) != "boolean" or prop.get("const") is True or prop.get("enum") == [True]:
                return ""
        return "stream"

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
        parts = _part_encodings(media.get("encoding")) if encoding in ("form", "multipart") else ()
        schema_name = None
        if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith(prepare.SCHEMA_REF):
            schema_name = unescape_pointer_token(schema["$ref"][len(prepare.SCHEMA_REF) :])
        name = naming.body_parameter_name(schema_name, body.get("x-clientsmith-body-name"))
        target = self._schema_target(schema["$ref"]) if isinstance(schema.get("$ref"), str) else None
        object_schema = target[1] if target else schema
        if body.get("x-clientsmith-flatten") and encoding == "json" and isinstance(object_schema.get("properties"), dict):
            return self._flattened_body(body, object_schema, content_type, py_name)
        kind: TypeNode
        if encoding == "bytes":
            kind = pytypes.FILE_SOURCE
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
            example=prepare.example_text(media) or prepare.example_text(schema),
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
            if isinstance(ref, str) and ref.startswith(prepare.SCHEMA_REF):
                self._file_fields(unescape_pointer_token(ref[len(prepare.SCHEMA_REF) :]), seen)
            for prop in (part.get("properties") or {}).values() if isinstance(part.get("properties"), dict) else []:
                if isinstance(prop, dict):
                    items = prop.get("items")
                    target = items if isinstance(items, dict) and prepare.schema_kind(prop) == "array" else prop
                    if _is_file_schema(target):
                        target["x-python-type"] = FILE_TYPE
                        self.has_file_fields = True

    def _pagination(
        self,
        operation: dict[str, Any],
        parameters: list[ir.Parameter],
        py_name: str,
        at: str,
    ) -> ir.Pagination | None:
        """``x-clientsmith-pagination`` if given (``false`` turns detection off; a malformed one
        is an error at its pointer), else detection: offset/limit or page/pageSize query
        parameters, a cursor parameter with a next cursor in the response, a declared ``Link``
        header, or a next-page URL in the response, beside an array of items."""
        declared = operation.get(EXTENSION)
        if declared is False:
            return None
        query = [p for p in parameters if p.location == "query"]
        response, schema, status = self._success_response(operation)
        self._paged_status = status
        if declared is not None:
            return self._declared_pagination(declared, query, response, schema, status, py_name, f"{at}/{EXTENSION}")
        if schema is None:
            return None
        numbered = self._numbered_pagination({}, query, schema, py_name)
        if numbered is not None:
            return numbered
        shapes = self.shapes
        items = shapes.items_path(schema)
        if items is None:
            return None
        near = items[:-1]
        cursor = heuristics.cursor_parameter(query)
        is_get = at.endswith("/get")
        if cursor is not None:
            if items == () or (is_get and heuristics.declares_link_header(response)):
                # The body is the array: the next page can only be announced in a header.
                return self._paged("link", None, items, schema, py_name)
            found = shapes.find(schema, (cursor.wire_name, *heuristics.NEXT_CURSOR_FIELDS), ("string", "integer"), near)
            has_more = shapes.find(schema, heuristics.HAS_MORE_FIELDS, ("boolean",), near) or ()
            done = shapes.find(schema, heuristics.DONE_FIELDS, ("boolean",), near) or ()
            if found is not None:
                return self._paged("cursor", cursor, items, schema, py_name, next=found, has_more=has_more, done=done)
            if has_more and self._item_field(schema, items, "id"):
                return self._paged("cursor", cursor, items, schema, py_name, item_cursor="id", has_more=has_more, done=done)
            url = shapes.next_url(schema, near)
            if url is not None:
                return self._paged("url", None, items, schema, py_name, next=url, has_more=has_more, done=done)
            self._report(
                f"{at}/parameters",
                f"query parameter {cursor.wire_name!r} looks like a page cursor, but the response has no field the next "
                f"cursor could be read from: no page helpers (declare {EXTENSION} to add them)",
            )
            return None
        if not is_get:
            return None
        if heuristics.declares_link_header(response):
            return self._paged("link", None, items, schema, py_name)
        url = shapes.next_url(schema, near)
        if url is not None:
            has_more = shapes.find(schema, heuristics.HAS_MORE_FIELDS, ("boolean",), near) or ()
            return self._paged("url", None, items, schema, py_name, next=url, has_more=has_more)
        return None

    def _numbered_pagination(
        self, declared: dict[str, Any], query: list[ir.Parameter], schema: dict[str, Any], py_name: str
    ) -> ir.Pagination | None:
        """Offset/limit or page-number paging (detected as before cursors were known, so
        existing helpers keep their shape)."""
        chosen = heuristics.page_parameters(declared, query)
        if chosen is None:
            return None
        style, position, size = chosen
        properties = self._properties(self._resolve_schema(schema))
        items_field = declared.get("items") if isinstance(declared.get("items"), str) else heuristics.items_field(properties)
        if not items_field or not isinstance(properties.get(items_field), dict):
            return None
        items_schema = self._resolve_schema(properties[items_field])
        if self._schema_type(items_schema) != "array":
            return None
        total_field = declared.get("total") if isinstance(declared.get("total"), str) else heuristics.total_field(properties)
        start_default = position.default_repr
        start = int(declared.get("start", int(start_default) if start_default and start_default.isdigit() else (0 if style == "offset" else 1)))
        item_type = self._item_type((items_field,), items_schema, py_name)
        return ir.Pagination(style, position, size, start, (items_field,), (total_field,) if total_field else (), item_type)

    def _item_type(self, items: tuple[str, ...], array: dict[str, Any], py_name: str) -> TypeNode:
        """The type of one item: the class the response's own model gives its items (an inline
        item object is hoisted once, with the response), else the items schema's type."""
        node = pytypes.without_none(self._success_types.get(self._paged_status) or pytypes.ANY)
        for name in items:
            schema = self.model_schemas.get(node.class_name) if isinstance(node, pytypes.Model) else None
            prop = _model_properties(schema, self.model_schemas).get(name) if isinstance(schema, dict) else None
            node = pytypes.without_none(self._model_node(prop)) if isinstance(prop, dict) else pytypes.ANY
        if isinstance(node, pytypes.ListOf):
            return node.item
        return self.types.of(array.get("items") or {}, naming.inline_model_name(py_name, "item"))

    def _model_node(self, prop: dict[str, Any]) -> TypeNode:
        """The type of a property of a prepared model schema (references name classes)."""
        ref = prop.get("$ref")
        if isinstance(ref, str) and ref.startswith(prepare.SCHEMA_REF) and ref[len(prepare.SCHEMA_REF) :] in self.model_schemas:
            return pytypes.Model(ref[len(prepare.SCHEMA_REF) :])
        if prepare.schema_kind(prop) == "array" and isinstance(prop.get("items"), dict):
            return pytypes.ListOf(self._model_node(prop["items"]))
        for key in ("anyOf", "oneOf"):
            options = [o for o in prop.get(key) or [] if isinstance(o, dict) and o.get("type") != "null"]
            if len(options) == 1:
                return self._model_node(options[0])
        return pytypes.ANY

    def _item_field(self, schema: Any, items: tuple[str, ...], name: str) -> bool:
        array = self.shapes.field(schema, items)
        item = self.shapes.unwrap((array or {}).get("items") or {})
        return name in self._properties(item)

    def _paged(
        self,
        style: str,
        position: ir.Parameter | None,
        items: tuple[str, ...],
        schema: Any,
        py_name: str,
        *,
        size: ir.Parameter | None = None,
        start: int = 0,
        total: tuple[str, ...] = (),
        next: tuple[str, ...] = (),
        item_cursor: str = "",
        has_more: tuple[str, ...] = (),
        done: tuple[str, ...] = (),
    ) -> ir.Pagination:
        item_type = self._item_type(items, self.shapes.field(schema, items) or {}, py_name)
        return ir.Pagination(style, position, size, start, items, total, item_type, next, item_cursor, has_more, done)

    def _success_response(self, operation: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
        """The first 2xx response with a body (or the first 2xx), its schema and its status."""
        responses = operation.get("responses") or {}
        first: tuple[dict[str, Any], dict[str, Any] | None, str] = ({}, None, "")
        for status in sorted(str(s) for s in responses):
            if status.startswith("2"):
                response = self._deref(responses.get(status))
                response = response if isinstance(response, dict) else {}
                content = response.get("content") or {}
                if isinstance(content, dict) and content:
                    media = content[_pick_content_type(list(content))] or {}
                    schema = media.get("schema")
                    return response, (schema if isinstance(schema, dict) else None), status
                if not first[2]:
                    first = (response, None, status)
        return first

    def _declared_pagination(
        self,
        declared: Any,
        query: list[ir.Parameter],
        response: dict[str, Any],
        schema: dict[str, Any] | None,
        status: str,
        py_name: str,
        where: str,
    ) -> ir.Pagination | None:
        """``x-clientsmith-pagination`` read and checked; each mistake is an error at its pointer."""
        problems: list[Problem] = []

        def fail(key: str, message: str) -> None:
            problems.append(Problem(self.file, f"{where}/{key}" if key else where, f"{EXTENSION}: {message}"))

        if not isinstance(declared, dict):
            fail("", f"must be false or an object (keys: {', '.join(heuristics.EXTENSION_KEYS)}), not {type(declared).__name__}")
            self.problems += problems
            return None
        for key in declared:
            if key not in heuristics.EXTENSION_KEYS:
                fail(escape_pointer_token(str(key)), f"unknown key {key!r}; expected one of {', '.join(heuristics.EXTENSION_KEYS)}")
        style = declared.get("style")
        if style is None:
            style = next((s for s in ("cursor", "offset", "page") if s in declared), None)
            if style is None:
                fail("", f"'style' is required: one of {', '.join(heuristics.STYLES)}")
        elif style not in heuristics.STYLES:
            fail("style", f"style {style!r} is not one of {', '.join(heuristics.STYLES)}")
            style = None
        if schema is None:
            fail("", "the operation has no 2xx response with a body to read pages from" + (f" (response {status})" if status else ""))
        names = [p.wire_name for p in query]
        by_name = {p.wire_name: p for p in query}
        allowed = {
            "offset": {"offset", "size", "start", "items", "total", "has_more", "done"},
            "page": {"page", "size", "start", "items", "total", "has_more", "done"},
            "cursor": {"cursor", "size", "items", "next", "next_from_item", "has_more", "done"},
            "link": {"size", "items", "has_more", "done"},
            "url": {"size", "items", "next", "has_more", "done"},
        }

        def parameter(key: str, integer: bool = False) -> ir.Parameter | None:
            value = declared.get(key)
            if value is None:
                return None
            if not isinstance(value, str) or value not in by_name:
                fail(key, f"{value!r} is not a query parameter of this operation (its query parameters: {', '.join(names) or 'none'})")
                return None
            found = by_name[value]
            if integer and pytypes.without_none(found.type) not in (pytypes.INT, pytypes.FLOAT):
                fail(key, f"query parameter {value!r} is not an integer, so it cannot be counted up")
            return found

        def field(key: str, kinds: tuple[str, ...]) -> tuple[str, ...] | None:
            value = declared.get(key)
            if value is None or schema is None:
                return None
            path = _field_path(value)
            if path is None:
                fail(key, f"{value!r} is not a JSON Pointer into the response body ('/a/b') or a top-level field name")
                return None
            found = self.shapes.field(schema, path)
            if found is None:
                fail(key, f"{value!r}: the {status} response body has no such field")
                return None
            kind = self.shapes.kind(found)
            if kind is not None and kind not in kinds:
                fail(key, f"{value!r} is a {kind} in the {status} response body; expected {' or '.join(kinds)}")
                return None
            return path

        if style is not None:
            for key in declared:
                if key in heuristics.EXTENSION_KEYS and key != "style" and key not in allowed[style]:
                    fail(escape_pointer_token(str(key)), f"{key!r} does not apply to style {style!r} (it takes: {', '.join(sorted(allowed[style]))})")
        if "start" in declared and (not isinstance(declared["start"], int) or isinstance(declared["start"], bool)):
            fail("start", f"'start' must be an integer, not {declared['start']!r}")
        size = parameter("size", integer=True)
        items = field("items", ("array",))
        total = field("total", ("integer", "number"))
        nxt = field("next", ("string", "integer"))
        has_more = field("has_more", ("boolean",))
        done = field("done", ("boolean",))
        item_cursor = declared.get("next_from_item")
        if item_cursor is not None and not isinstance(item_cursor, str):
            fail("next_from_item", f"must be the name of a field of the items, not {item_cursor!r}")
        if problems or style is None or schema is None:
            self.problems += problems
            return None
        if items is None:
            items = self.shapes.items_path(schema)
            if items is None:
                fail("", f"no array of items found in the {status} response body: name it with 'items' (a JSON Pointer, '' for the body itself)")
        if style in ("offset", "page") and items is not None:
            for key in ("offset", "page"):
                parameter(key, integer=True)
            chosen = None if problems else heuristics.page_parameters({k: v for k, v in declared.items() if k in ("offset", "page", "size")} | {"style": style}, query)
            if chosen is None:
                fail("", f"style {style!r} needs an integer {style} query parameter: name it with {style!r}")
                self.problems += problems
                return None
            _, counted, detected_size = chosen
            default = counted.default_repr
            start = declared.get("start", int(default) if default and default.isdigit() else (0 if style == "offset" else 1))
            if total is None and len(items) == 1:
                found_total = heuristics.total_field(self._properties(self.shapes.unwrap(schema)))
                total = (found_total,) if found_total else None
            return self._paged(
                style, counted, items, schema, py_name, size=size or detected_size, start=start, total=total or (),
                has_more=has_more or (), done=done or (),
            )
        position = None
        if style == "cursor":
            position = parameter("cursor") if "cursor" in declared else heuristics.cursor_parameter(query)
            if position is None and "cursor" not in declared:
                fail("", f"style 'cursor' needs the query parameter that carries the cursor: name it with 'cursor' (none of {', '.join(heuristics.CURSOR_PARAMETERS)} found)")
            if nxt is None and item_cursor is None and items is not None:
                nxt = self.shapes.find(schema, ((position.wire_name,) if position else ()) + heuristics.NEXT_CURSOR_FIELDS, ("string", "integer"), items[:-1])
                if nxt is None:
                    fail("", "style 'cursor' needs where the next cursor is: 'next' (a response field) or 'next_from_item' (a field of the last item)")
        elif style == "url" and nxt is None and items is not None:
            nxt = self.shapes.next_url(schema, items[:-1])
            if nxt is None:
                fail("", "style 'url' needs the response field holding the next page's URL: name it with 'next'")
        self.problems += problems
        if problems or items is None:
            return None
        return self._paged(
            style, position, items, schema, py_name, size=size, next=nxt or (), item_cursor=item_cursor or "",
            has_more=has_more or (), done=done or (),
        )

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
                    example=prepare.example_text(prop),
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
                if not status.startswith("2"):
                    self._report(
                        at,
                        "an error response declared as text/event-stream: the client reads it whole, "
                        + ("as text" if media_type == content_type else f"as {content_type}"),
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


def _operation_types(operations: list[ir.Operation]) -> Iterator[TypeNode | None]:
    """Every type the operations' signatures, runtime descriptions and helpers name."""
    for op in operations:
        yield from (p.type for p in op.parameters)
        yield op.body.type if op.body is not None else None
        yield from (r.type for r in [*op.success, *op.errors])
        yield op.return_type
        yield op.pagination.item_type if op.pagination is not None else None
        yield op.events.type if op.events is not None else None


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
    if value is _NO_DEFAULT or value is None or prepare.default_fits(schema, value, schemas, wrap=True):
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
    if isinstance(ref, str) and ref.startswith(prepare.SCHEMA_REF):
        target = schemas.get(unescape_pointer_token(ref[len(prepare.SCHEMA_REF) :]))
        if isinstance(target, dict) and "default" in target:
            return target["default"]
    return _NO_DEFAULT


#: The runtime's type of a file field in a multipart body model (``x-python-type`` for the model stage).
FILE_TYPE = "FileInput"


def _is_file_schema(schema: Any) -> bool:
    """A property that holds a file in a multipart body: a binary string (3.0 ``format: binary``,
    3.1 ``contentMediaType`` without ``contentEncoding``)."""
    if not isinstance(schema, dict) or prepare.schema_kind(schema) != "string" or "enum" in schema:
        return False
    return schema.get("format") == "binary" or ("contentMediaType" in schema and "contentEncoding" not in schema)


def _part_encodings(raw: Any) -> tuple[ir.PartEncoding, ...]:
    """A media type's ``encoding`` map. ``style``, ``explode`` and ``allowReserved`` apply to
    ``application/x-www-form-urlencoded`` and, as OpenAPI 3.1 reads them, ``multipart/form-data``
    bodies: a styled multipart field goes out as one text part per pair of that style (Stripe's
    ``expand[0]``, ``file_link_data[create]``), which is also how the APIs that write them in 3.0
    documents read it."""
    if not isinstance(raw, dict):
        return ()
    parts = []
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        styled = any(key in entry for key in ("style", "explode", "allowReserved"))
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


#: The fields of an event in the text/event-stream format.
_EVENT_FIELDS = frozenset({"event", "data", "id", "retry"})


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


__all__ = ["build_ir", "pointer"]
