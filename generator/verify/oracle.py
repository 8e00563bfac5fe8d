"""openapi-core as the independent reader of the requests a generated client sends.

A captured request is handed to openapi-core the way a server framework would:
routing on the raw path, path values percent-decoded after routing, query and
cookies parsed by the standard library and werkzeug. openapi-core validates
it against the spec (style/explode, deepObject, form and multipart ``encoding``,
content types, security) and unmarshals the values the server would read.
"""

from __future__ import annotations

import copy
import re
import typing
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.http import parse_cookie

#: The server every captured request goes to; the oracle's copy of the spec serves the
#: same URL, so routing depends only on the operation's path.
BASE_URL = "http://verify.clientsmith.test/base"


@dataclass(frozen=True)
class Reading:
    """What openapi-core read from one request."""

    errors: list[str]
    path: dict[str, Any]
    query: dict[str, Any]
    header: dict[str, Any]
    cookie: dict[str, Any]
    body: Any
    #: the body's fields read by qs-codec (``deepObject``), as typed values
    deep_fields: frozenset[str] = frozenset()


_KEEP_ENCODED = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


#: Bytes a path keeps percent-encoded for openapi-core: "/" (it would split a segment), control
#: characters (its path matching drops them), and "?", "#", ";" (it reads the path with
#: ``urlparse``, where they would start the query, the fragment and the path parameters).
_KEPT_BYTES = frozenset({0x2F, 0x3F, 0x23, 0x3B, 0x7F, *range(0x20)})


def _kept(escapes: str) -> bool:
    return any(byte in _KEPT_BYTES for byte in bytes.fromhex(escapes.replace("%", "")))


def _decode_kept(value: str) -> str:
    """A path value as the server's segment decoding gives it (what :class:`_Request` kept encoded)."""
    return _KEEP_ENCODED.sub(lambda m: unquote(m.group(0)), value)


class _Request:
    """openapi-core's ``Request`` protocol over a captured request."""

    def __init__(
        self, method: str, url: str, headers: list[tuple[str, str]], content: bytes | None, space_delimited: frozenset[str]
    ) -> None:
        from openapi_core.datatypes import RequestParameters

        parts = urlsplit(url)
        query = [
            # openapi-core 0.23 splits spaceDelimited values on a literal "%20", after decoding
            (name, value.replace(" ", "%20") if name in space_delimited else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        # A server routes on the raw path and decodes each segment afterwards: what
        # _KEPT_BYTES lists stays encoded until then.
        self.path = _KEEP_ENCODED.sub(lambda m: m.group(0) if _kept(m.group(0)) else unquote(m.group(0)), parts.path)
        self.method = method.lower()
        header_map = Headers(headers)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query),
            header=header_map,
            cookie=ImmutableMultiDict(parse_cookie(header_map.get("cookie", ""))),
        )
        self.body = content
        media_type, semicolon, parameters = (header_map.get("content-type") or "application/octet-stream").partition(";")
        # the media type is case-insensitive, a multipart boundary is not
        self.content_type = media_type.strip().lower() + semicolon + parameters


def oracle_document(document: dict[str, Any]) -> dict[str, Any]:
    """The spec as the oracle reads it: served at :data:`BASE_URL`.

    openapi-core 0.23 cannot deserialise parameters whose schema ``type`` is a list
    (3.1 ``[string, "null"]``) or an ``anyOf`` with null; a parameter value on the wire is
    never null, so such a schema is narrowed to its one non-null member. The other changes
    are listed where they are made.
    """
    result = copy.deepcopy(document)
    result["servers"] = [{"url": BASE_URL}]
    if str(result.get("openapi", "")).startswith("3.0") and _uses_31_types(result):
        # Declared 3.0 but written with 3.1 types (`type: 'null'`, type lists), as algolia's is:
        # read it as 3.1, which is what its authors' tools do.
        result["openapi"] = "3.1.0"
    _drop_unknown_formats(result)
    _drop_unresolvable_discriminators(result, result)
    for path_item in (result.get("paths") or {}).values():
        if not isinstance(path_item, dict):
            continue
        path_item.pop("servers", None)
        for operation in [path_item, *(v for v in path_item.values() if isinstance(v, dict))]:
            operation.pop("servers", None)
            for parameter in operation.get("parameters") or []:
                if isinstance(parameter, dict) and isinstance(parameter.get("schema"), dict):
                    _narrow_type(parameter["schema"])
    for media in _multipart_media(result):
        media["schema"] = _text_parts(result, media.get("schema"))
    for parameter in ((result.get("components") or {}).get("parameters") or {}).values():
        if isinstance(parameter, dict) and isinstance(parameter.get("schema"), dict):
            _narrow_type(parameter["schema"])
    return result


#: Formats openapi-core 0.23 validates; it refuses parameters with any other (``format: token``),
#: although JSON Schema says unknown formats only annotate. The others are dropped for it.
_KNOWN_FORMATS = frozenset(
    {"int32", "int64", "float", "double", "byte", "binary", "date", "date-time", "password", "email", "idn-email",
     "hostname", "idn-hostname", "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template",
     "json-pointer", "relative-json-pointer", "regex", "uuid", "time", "duration"}
)


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,), "object": (dict,)
}


def _wrong_default(node: dict[str, Any]) -> bool:
    if "default" in node and node["default"] is None:
        return True  # openapi-core fills it in, then refuses null where only the schema beside allOf says nullable
    kind = node.get("type")
    if "default" in node and not isinstance(kind, str):
        return True  # beside allOf/oneOf ("default": "null" on a $ref'd object): unreliable, left out
    if "default" not in node or not isinstance(kind, str) or kind not in _JSON_TYPES:
        return False
    value = node["default"]
    if isinstance(value, bool) and kind != "boolean":
        return True
    return not isinstance(value, _JSON_TYPES[kind])


#: Keys whose value maps names to objects (a property may be *named* ``default`` or ``format``).
_NAME_MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "schemas", "paths", "responses",
     "content", "headers", "encoding", "requestBodies", "parameters", "securitySchemes", "callbacks", "links", "webhooks"}
)
#: Keys whose value is data, not a schema.
_DATA = frozenset({"example", "examples", "enum", "const", "default", "x-examples"})


def _drop_unknown_formats(node: Any, names: bool = False) -> None:
    """Also drops defaults of the wrong type (``default: "false"`` on a boolean, in specs read with
    --lenient): openapi-core fills them into what it reads, then refuses its own value.
    ``names``: ``node`` maps names to objects (``properties``), so its keys are not keywords."""
    if isinstance(node, dict):
        if not names:
            if isinstance(node.get("format"), str) and node["format"] not in _KNOWN_FORMATS and isinstance(node.get("type"), (str, list)):
                del node["format"]
            if _wrong_default(node):
                del node["default"]
        for key, value in node.items():
            if names or key not in _DATA:
                _drop_unknown_formats(value, names=not names and key in _NAME_MAPS)
    elif isinstance(node, list):
        for item in node:
            _drop_unknown_formats(item)


def _drop_unresolvable_discriminators(node: Any, document: dict[str, Any]) -> None:
    """Drops a ``discriminator`` without a ``mapping`` whose tag values do not name component
    schemas (TGI's ``type: json`` beside inline options): openapi-core then looks the value up
    as ``#/components/schemas/json``, fails, and refuses every value; the ``oneOf`` alone still
    checks each value, as the spec's authors meant."""
    if isinstance(node, list):
        for item in node:
            _drop_unresolvable_discriminators(item, document)
        return
    if not isinstance(node, dict):
        return
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and not discriminator.get("mapping"):
        names = set((document.get("components") or {}).get("schemas") or {})
        tag = discriminator.get("propertyName")
        options = [option for key in ("oneOf", "anyOf") for option in node.get(key) or []]
        for option in options:
            resolved = _resolved(document, option)
            prop = _resolved(document, ((resolved or {}).get("properties") or {}).get(tag)) if isinstance(resolved, dict) else None
            values = (prop or {}).get("enum") if isinstance(prop, dict) else None
            if not isinstance(values, list) or any(str(value) not in names for value in values):
                del node["discriminator"]
                break
    for value in node.values():
        _drop_unresolvable_discriminators(value, document)


def _multipart_media(document: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    bodies = [
        operation.get("requestBody")
        for path_item in (document.get("paths") or {}).values()
        if isinstance(path_item, dict)
        for operation in path_item.values()
        if isinstance(operation, dict)
    ]
    bodies += list(((document.get("components") or {}).get("requestBodies") or {}).values())
    for body in bodies:
        if isinstance(body, dict):
            for media_type, media in (body.get("content") or {}).items():
                if str(media_type).lower().startswith("multipart/") and isinstance(media, dict):
                    found.append(media)
    return found


_PRIMITIVE_TYPES = ("integer", "number", "boolean")


def _text_parts(document: dict[str, Any], schema: Any) -> Any:
    """A multipart body schema whose integer, number and boolean properties accept any part: a
    part is text on the wire, and openapi-core 0.23 validates parts without casting them (the
    runner compares those values with what was passed as text instead)."""
    resolved = _resolved(document, schema)
    if not isinstance(resolved, dict) or not isinstance(resolved.get("properties"), dict):
        return schema
    relaxed = copy.deepcopy(resolved)
    for name, prop in relaxed["properties"].items():
        if isinstance(prop, dict) and (prop.get("type") in _PRIMITIVE_TYPES or "contentMediaType" in prop or "contentEncoding" in prop):
            # 3.1 files (contentMediaType) arrive as bytes too
            relaxed["properties"][name] = {"type": "string", "format": "binary"}
    return relaxed


def _uses_31_types(node: Any) -> bool:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "null" or isinstance(kind, list):
            return True
        return any(_uses_31_types(value) for value in node.values())
    if isinstance(node, list):
        return any(_uses_31_types(item) for item in node)
    return False


def _narrow_type(schema: dict[str, Any]) -> None:
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            real = [o for o in options if not (isinstance(o, dict) and (o.get("type") == "null" or o.get("enum") == [None]))]
            if len(real) == 1 and isinstance(real[0], dict) and len(real) != len(options):
                # openapi-core picks a parameter's style by its schema's own `type`
                del schema[key]
                schema.update({k: v for k, v in real[0].items() if k not in schema})
    kind = schema.get("type")
    if isinstance(kind, list):
        members = [k for k in kind if k != "null"]
        if len(members) == 1:
            schema["type"] = members[0]
    if isinstance(schema.get("items"), dict):
        _narrow_type(schema["items"])


def routable(path_key: str) -> str:
    """A path key as a server routes it: without a ``#fragment`` or a fixed ``?query``
    (keys like ``/things#stream`` tell two operations on one URL apart)."""
    return path_key.partition("#")[0].partition("?")[0]


def _resolved(document: dict[str, Any], node: Any) -> Any:
    from generator.errors import MISSING, follow_pointer

    for _ in range(16):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
            return node
        found = follow_pointer(document, node["$ref"][1:])
        node = {} if found is MISSING else found
    return node


def _flat_object(document: dict[str, Any], schema: Any) -> bool:
    """A schema openapi-core 0.23 reads as ``deepObject``: an object of scalar members."""
    schema = _resolved(document, schema)
    if not isinstance(schema, dict) or schema.get("type") != "object" or any(k in schema for k in ("allOf", "anyOf", "oneOf")):
        return False
    members = [*(schema.get("properties") or {}).values()]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        members.append(extra)
    for member in members:
        member = _resolved(document, member)
        if not isinstance(member, dict) or member.get("type") not in ("string", "integer", "number", "boolean"):
            return False
    return True


#: (routable path, method) -> ("query" | "form" | "multipart", name) -> (schema, required): the
#: ``deepObject`` values openapi-core 0.23 cannot read (lists, nested objects, unions: OpenAPI
#: defines the style for flat objects only, and for form bodies only before 3.1; multipart
#: fields of that style it refuses whatever their schema). qs-codec, a port of the ``qs``
#: library those APIs follow, reads them.
DeepValues = dict[tuple[str, str], dict[tuple[str, str], tuple[Any, bool]]]

#: The body media types whose ``deepObject`` fields qs-codec reads, and the kind they are read as.
_DEEP_BODIES = {"application/x-www-form-urlencoded": "form", "multipart/form-data": "multipart"}


def _without_deep_values(document: dict[str, Any]) -> tuple[dict[str, Any], DeepValues]:
    """A copy of ``document`` without the ``deepObject`` query parameters and form fields that
    openapi-core cannot read, nor the ``deepObject`` fields of multipart bodies, and where they were."""
    result = copy.deepcopy(document)
    deep: DeepValues = {}
    def deep_parameters(parameters: list[Any]) -> tuple[list[Any], dict[tuple[str, str], tuple[Any, bool]]]:
        kept: list[Any] = []
        found: dict[tuple[str, str], tuple[Any, bool]] = {}
        for parameter in parameters:
            resolved = _resolved(result, parameter)
            if (
                isinstance(resolved, dict)
                and resolved.get("in") == "query"
                and resolved.get("style") == "deepObject"
                and not _flat_object(result, resolved.get("schema"))
            ):
                found[("query", str(resolved.get("name")))] = (resolved.get("schema") or {}, resolved.get("required") is True)
            else:
                kept.append(parameter)
        return kept, found

    for path_key, path_item in (result.get("paths") or {}).items():
        if not isinstance(path_item, dict):
            continue
        path_item["parameters"], shared = deep_parameters(path_item.get("parameters") or [])
        for method, operation in path_item.items():
            if method not in ("get", "put", "post", "delete", "options", "head", "patch", "trace") or not isinstance(operation, dict):
                continue
            operation["parameters"], own = deep_parameters(operation.get("parameters") or [])
            found = {**shared, **own}
            body = _resolved(result, operation.get("requestBody"))
            content = dict((body or {}).get("content") or {}) if isinstance(body, dict) else {}
            changed = False
            for media_type, kind in _DEEP_BODIES.items():
                media = content.get(media_type)
                if not (isinstance(media, dict) and isinstance(media.get("encoding"), dict)):
                    continue
                schema = copy.deepcopy(_resolved(result, media.get("schema")))
                properties = schema.get("properties") if isinstance(schema, dict) else None
                if not isinstance(properties, dict):
                    continue
                encodings = dict(media["encoding"])
                for name, encoding in media["encoding"].items():
                    deep_field = isinstance(encoding, dict) and encoding.get("style") == "deepObject" and name in properties
                    if not deep_field or (kind == "form" and _flat_object(result, properties[name])):
                        continue
                    required = [r for r in schema.get("required") or [] if r != name]
                    found[(kind, name)] = (properties.pop(name), len(required) != len(schema.get("required") or []))
                    schema.pop("required", None)
                    if required:
                        schema["required"] = required
                    if kind == "multipart":
                        del encodings[name]  # openapi-core looks each entry up in the parts, sent or not
                if any(k == kind for k, _ in found):
                    content[media_type] = {**media, "schema": schema, "encoding": encodings}
                    changed = True
            if changed:
                operation["requestBody"] = {**body, "content": content}
            if found:
                deep[(routable(path_key), method)] = found
    return result, deep


class Oracle:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = oracle_document(document)
        self._core_document, self._deep = _without_deep_values(self.document)
        self._apis: dict[str, Any] = {}

    def _api(self, path_key: str) -> Any:
        """openapi-core over the whole spec, or, for a key with a fragment or a fixed query,
        over a copy whose only path is that key made routable (several such keys may share
        one URL, and each must be read as its own operation)."""
        from openapi_core import Config, OpenAPI

        scope = path_key if routable(path_key) != path_key else ""
        if scope not in self._apis:
            document = self._core_document
            if scope:
                document = {**document, "paths": {routable(path_key): document["paths"][path_key]}}
            config = Config(spec_validator_cls=None, extra_media_type_deserializers=self._json_deserializers())
            self._apis[scope] = OpenAPI.from_dict(document, config=config)
        return self._apis[scope]

    def _json_deserializers(self) -> dict[str, Any]:
        """openapi-core knows two JSON media types; every ``+json`` type the spec uses reads as JSON.
        XML bodies read as their text: openapi-core parses them into an element tree that no
        schema can describe (a ``type: string`` BXML document always failed)."""
        from openapi_core.deserializing.media_types.util import json_loads, plain_loads

        types: set[str] = set()
        xml: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "content" and isinstance(value, dict):
                        types.update(str(t).lower() for t in value if "json" in str(t).lower())
                        xml.update(str(t).lower() for t in value if "xml" in str(t).lower())
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.document.get("paths"))
        walk((self.document.get("components") or {}).get("requestBodies"))
        return {**dict.fromkeys(sorted(xml), plain_loads), **dict.fromkeys(sorted(types), json_loads)}

    def read(
        self,
        path_key: str,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
        space_delimited: frozenset[str] = frozenset(),
    ) -> Reading:
        request = _Request(method, url, headers, content, space_delimited)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unsupported scheme type" for oauth2 and openIdConnect
            result = self._api(path_key).unmarshal_request(request)
        errors = [_describe(error) for error in result.errors]
        params = result.parameters
        query = dict(params.query or {})
        body = result.body
        if body is None and not content and request.content_type.startswith("application/x-www-form-urlencoded"):
            body = {}  # the form of the empty object is the empty text
        deep = self._deep.get((routable(path_key), method.lower()))
        if deep:
            body = self._read_deep(deep, url, request, query, body, errors)
        return Reading(
            errors=errors,
            path={k: _decode_kept(v) if isinstance(v, str) else v for k, v in dict(params.path or {}).items()},
            query=query,
            header=dict(params.header or {}),
            cookie=dict(params.cookie or {}),
            body=body,
            deep_fields=frozenset(name for kind, name in deep or {} if kind in ("form", "multipart")),
        )

    def _read_deep(
        self, deep: dict[tuple[str, str], tuple[Any, bool]], url: str, request: _Request, query: dict[str, Any], body: Any, errors: list[str]
    ) -> Any:
        """The ``deepObject`` values openapi-core left out, read by qs-codec, cast by their
        schema and validated by openapi-schema-validator (openapi-core's own validator). A
        multipart body's parts read as the ``name=value`` pairs of a form (Stripe's SDKs send
        ``file_link_data[create]`` as a part of that name)."""
        import qs_codec

        options = qs_codec.DecodeOptions(depth=32, list_limit=1000, parameter_limit=100000)
        wire = {"query": qs_codec.decode(urlsplit(url).query, options)}
        if any(kind == "form" for kind, _ in deep):
            wire["form"] = qs_codec.decode((request.body or b"").decode("utf-8", errors="replace"), options)
        if any(kind == "multipart" for kind, _ in deep):
            wire["multipart"] = qs_codec.decode(urlencode(_part_pairs(request)), options)
        for (kind, name), (schema, required) in deep.items():
            if name not in wire[kind]:
                if required:
                    errors.append(f"{kind} {name} (deepObject, read by qs-codec): required, but not sent")
                continue
            value = self._cast(wire[kind][name], schema)
            problem = self._invalid(value, schema)
            if problem:
                errors.append(f"{kind} {name} (deepObject, read by qs-codec): {problem}")
            if kind == "query":
                query[name] = value
            elif isinstance(body, dict):
                body[name] = value
        return body

    def _cast(self, value: Any, schema: Any) -> Any:
        """A value qs-codec read (text at the leaves) as the type its schema declares."""
        schema = _resolved(self.document, schema)
        if not isinstance(schema, dict):
            return value
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list):
                for option in options:
                    cast = self._cast(value, option)
                    if not self._invalid(cast, option):
                        return cast
                return value
        for part in schema.get("allOf") or []:
            value = self._cast(value, part)
        kind = schema.get("type")
        if isinstance(value, dict):
            properties = schema.get("properties") or {}
            extra = schema.get("additionalProperties")
            if kind == "array" and all(key.isdigit() for key in value):
                # qs-codec keeps indices above its list limit as keys
                return [self._cast(value[key], schema.get("items")) for key in sorted(value, key=int)]
            return {key: self._cast(item, properties.get(key, extra if isinstance(extra, dict) else {})) for key, item in value.items()}
        if isinstance(value, list):
            return [self._cast(item, schema.get("items")) for item in value]
        if isinstance(value, str):
            try:
                if kind == "integer":
                    return int(value)
                if kind == "number":
                    return float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                return value
            if kind == "boolean" and value in ("true", "false"):
                return value == "true"
        return value

    def _invalid(self, value: Any, schema: Any) -> str:
        from openapi_schema_validator import OAS30Validator, OAS31Validator

        validator_class = OAS31Validator if str(self.document.get("openapi", "")).startswith("3.1") else OAS30Validator
        # the schema's $refs point into the spec's components
        validator = validator_class({"allOf": [schema], "components": self.document.get("components") or {}})
        error = next(iter(validator.iter_errors(value)), None)
        return "" if error is None else f"{'/'.join(str(p) for p in error.path) or '(value)'}: {error.message}"


def _part_pairs(request: _Request) -> list[tuple[str, str]]:
    """The ``(name, text)`` of each part of a multipart body, split as openapi-core splits them."""
    from email.message import Message

    from openapi_core.deserializing.media_types.util import data_form_loads

    header = Message()
    header["content-type"] = request.content_type
    boundary = header.get_param("boundary")
    parts = data_form_loads(request.body or b"", boundary=boundary if isinstance(boundary, str) else "")
    return [(name, value.decode("utf-8", errors="replace")) for name, value in typing.cast(Any, parts).items(multi=True)]


def _describe(error: BaseException) -> str:
    """openapi-core's error with the schema errors it wraps (their paths and messages)."""
    text = str(error) or type(error).__name__
    details: list[str] = []
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for inner in getattr(current, "schema_errors", None) or []:
            where = "/".join(str(p) for p in getattr(inner, "path", []) or [])
            details.append(f"{where or '(value)'}: {getattr(inner, 'message', inner)}")
        cause = current.__cause__ or current.__context__
        if cause is not None:
            pending.append(cause)
            text_cause = str(cause)
            if text_cause and text_cause not in text and not getattr(cause, "schema_errors", None):
                text = f"{text}: {text_cause}"
    if details:
        text += " [" + "; ".join(details[:3]) + "]"
    return text
