"""Every operation of every generated client, sync and async, through ``httpx.MockTransport``.

Expectations come from the spec (read here independently of the generator's
IR): the request's method, path (with percent-encoded path parameters),
query string, auth placement, content type and JSON body; the response parsed
into the model the spec names, round-tripping through ``model_dump``; and every
declared error status raising the matching typed error with its parsed body.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
import yaml

from generator import config, naming
from tests.samples import ref_name, resolve, sample

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = config.load_config(ROOT / "pyproject.toml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BASE_URL = "https://api.test/base"
PATH_VALUE = "id with/slash&ü"


@dataclass(frozen=True)
class Case:
    package: str
    document: dict[str, Any]
    path: str
    method: str
    operation: dict[str, Any]
    parameters: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return f"{self.package}.{self.py_name}"

    @property
    def py_name(self) -> str:
        return naming.method_name(self.operation.get("operationId"), self.method, self.path, self.operation.get("x-clientsmith-name"))

    @property
    def group(self) -> str:
        return naming.group_name(self.operation.get("tags") or [], self.operation.get("x-clientsmith-group"))


def _cases() -> Iterator[Case]:
    for client in CLIENTS:
        document = yaml.safe_load(client.spec.read_text("utf-8"))
        for path, item in document["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    operation = item[method]
                    merged = {}
                    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                        param = resolve(document, raw)
                        merged[(param["in"], param["name"])] = param
                    yield Case(client.package, document, path, method, operation, list(merged.values()))


CASES = list(_cases())


def test_all_seed_operations_are_covered() -> None:
    assert len(CASES) == 32, f"expected the 32 seed operations across specs/, found {len(CASES)}"


def _import(package: str) -> Any:
    client = next(c for c in CLIENTS if c.package == package)
    if str(client.output) not in sys.path:
        sys.path.insert(0, str(client.output))
    module = importlib.import_module(package)
    importlib.import_module(f"{package}.models")
    return module


def _credentials(document: dict[str, Any]) -> dict[str, Any]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    names = naming.credential_names(schemes)
    return {arg: ("user", "pass") if arg == "basic_auth" else f"secret-{arg}" for arg in names.values()}


def _expected_auth(case: Case) -> list[tuple[str, str, str]]:
    """(location, name, value) of the credentials the first security alternative sends."""
    document = case.document
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    names = naming.credential_names(schemes)
    requirement = case.operation.get("security", document.get("security")) or []
    for alternative in requirement:
        if not alternative:
            return []
        sent = []
        for key in alternative:
            scheme = schemes[key]
            value = f"secret-{names[key]}"
            if scheme["type"] == "apiKey":
                sent.append((scheme["in"], scheme["name"], scheme.get("x-clientsmith-prefix", "") + value))
            else:
                sent.append(("header", "authorization", f"Bearer {value}"))
        return sent
    return []


def _json_media(content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for content_type, media in content.items():
        if "json" in content_type:
            return content_type, media or {}
    content_type = next(iter(content))
    return content_type, content[content_type] or {}


def _python_value(module: Any, document: dict[str, Any], schema: dict[str, Any], value: Any) -> Any:
    """Turn a JSON sample into what a caller passes: model instances for model schemas."""
    name = ref_name(schema)
    if name is not None:
        target = resolve(document, schema)
        cls = getattr(module.models, naming.class_name(name), None)
        if cls is not None and hasattr(cls, "model_validate") and (target.get("type") == "object" or "properties" in target or "allOf" in target or "oneOf" in target):
            return cls.model_validate(value)
        return value
    if schema.get("type") == "array" and isinstance(value, list):
        return [_python_value(module, document, schema.get("items") or {}, item) for item in value]
    return value


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [_dump(item) for item in value]
    return value


@dataclass
class Call:
    kwargs: dict[str, Any]
    path: str
    query: dict[str, str]
    body: Any
    body_content_type: str | None


def _build_call(case: Case, module: Any) -> Call:
    kwargs: dict[str, Any] = {}
    path = case.path
    query: dict[str, str] = {}
    for param in case.parameters:
        py_name = naming.parameter_name(param["name"], param.get("x-clientsmith-name"))
        schema = resolve(case.document, param.get("schema") or {})
        kind = schema.get("type")
        kind = next((t for t in kind if t != "null"), None) if isinstance(kind, list) else kind
        if param["in"] == "path":
            value: Any = PATH_VALUE if kind == "string" and "enum" not in schema else sample(case.document, schema)
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        else:
            value = sample(case.document, schema)
            if isinstance(value, list):
                value = value + value[:1]
            if param["in"] == "query":
                query[param["name"]] = _wire_text(value)
        kwargs[py_name] = value
    body = None
    content_type = None
    request_body = resolve(case.document, case.operation.get("requestBody"))
    if request_body:
        content_type, media = _json_media(request_body["content"])
        schema = media.get("schema") or {}
        body = sample(case.document, schema)
        if request_body.get("x-clientsmith-flatten"):
            # The body object's properties are the method's arguments.
            properties = resolve(case.document, schema).get("properties") or {}
            for wire_name, prop in properties.items():
                py_name = naming.parameter_name(wire_name, prop.get("x-clientsmith-name"))
                kwargs[py_name] = _python_value(module, case.document, prop, body[wire_name])
        else:
            name = naming.body_parameter_name(ref_name(schema), request_body.get("x-clientsmith-body-name"))
            kwargs[name] = _python_value(module, case.document, schema, body)
    return Call(kwargs, path, query, body, content_type)


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return _wire_text(value[-1])
    return str(value)


def _success(case: Case) -> tuple[str, Any, dict[str, Any] | None]:
    responses = case.operation["responses"]
    for status in sorted(str(s) for s in responses):
        if status.startswith("2"):
            response = resolve(case.document, responses[status] if status in responses else responses[int(status)])
            content = response.get("content")
            if not content:
                return status, None, None
            _, media = _json_media(content)
            schema = media.get("schema") or {}
            return status, sample(case.document, schema), schema
    raise AssertionError(f"{case.id}: no 2XX response in the spec")


def _return_class(case: Case, module: Any, schema: dict[str, Any]) -> Any:
    name = ref_name(schema)
    if name is not None:
        target = resolve(case.document, schema)
        if target.get("type") in ("string", "integer", "number", "boolean") and "enum" not in target:
            return {"string": str, "integer": int, "number": float, "boolean": bool}[target["type"]]
        return getattr(module.models, naming.class_name(name))
    kind = schema.get("type")
    if kind == "array":
        return list
    if kind == "boolean":
        return bool
    if kind == "string":
        return str
    if kind == "object" and schema.get("properties"):
        status, _, _ = _success(case)
        return getattr(module.models, naming.inline_model_name(case.py_name, status, "response"))
    return object


def _make_client(module: Any, case: Case, flavour: str, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    transport = httpx.MockTransport(handler)
    options = {**_credentials(case.document), "base_url": BASE_URL, "max_retries": 0}
    if flavour == "sync":
        return module.Client(http_client=httpx.Client(transport=transport), **options)
    return module.AsyncClient(http_client=httpx.AsyncClient(transport=transport), **options)


def _invoke(client: Any, case: Case, flavour: str, kwargs: dict[str, Any]) -> Any:
    method = getattr(getattr(client, case.group), case.py_name)
    if flavour == "sync":
        return method(**kwargs)

    async def run() -> Any:
        return await method(**kwargs)

    return asyncio.run(run())


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_operation_request_and_response(case: Case, flavour: str) -> None:
    module = _import(case.package)
    call = _build_call(case, module)
    status, response_body, response_schema = _success(case)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if response_body is None:
            return httpx.Response(int(status))
        return httpx.Response(int(status), json=response_body)

    client = _make_client(module, case, flavour, handler)
    result = _invoke(client, case, flavour, call.kwargs)

    where = f"{case.id} ({flavour}, {case.method.upper()} {case.path})"
    assert len(seen) == 1, f"{where}: expected one HTTP request, got {len(seen)}"
    request = seen[0]
    assert request.method == case.method.upper(), f"{where}: wrong HTTP method"
    url = urlsplit(str(request.url))
    assert url.path == urlsplit(BASE_URL).path + call.path, f"{where}: wrong path (path parameters must be percent-encoded)"
    sent_query = dict(parse_qsl(url.query, keep_blank_values=True))
    for name, text in call.query.items():
        assert sent_query.get(name) == text, f"{where}: query parameter {name!r} sent as {sent_query.get(name)!r}, expected {text!r}"
    for location, name, value in _expected_auth(case):
        if location == "query":
            assert sent_query.get(name) == value, f"{where}: credential missing from query parameter {name!r}"
        elif location == "header":
            assert request.headers.get(name) == value, f"{where}: credential missing from header {name!r}"
        else:
            assert f"{name}={value}" in request.headers.get("cookie", ""), f"{where}: credential missing from cookie {name!r}"
    if call.body_content_type is not None:
        assert request.headers["content-type"] == call.body_content_type, f"{where}: wrong content type"
        if "json" in call.body_content_type:
            assert json.loads(request.content) == call.body, f"{where}: JSON body differs from what was passed (aliases lost?)"
        else:
            assert request.content.decode() == call.body, f"{where}: text body differs"
    else:
        assert request.content == b"", f"{where}: sent a body the spec does not declare"

    if response_schema is None:
        assert result is None, f"{where}: an empty response must return None"
    else:
        expected_type = _return_class(case, module, response_schema)
        assert isinstance(result, expected_type), f"{where}: returned {type(result).__name__}, expected {expected_type.__name__}"
        if hasattr(result, "model_dump") or isinstance(result, list):
            assert _dump(result) == response_body, f"{where}: parsed response does not round-trip through model_dump(by_alias=True)"


def _error_cases() -> Iterator[tuple[Case, str]]:
    for case in CASES:
        for status in case.operation["responses"]:
            status = str(status)
            if not status.startswith("2"):
                yield case, status


def _concrete_status(status: str) -> int:
    if status == "default":
        return 418
    if status.upper().endswith("XX"):
        return int(status[0]) * 100 + 18
    return int(status)


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("case", "status"), list(_error_cases()), ids=lambda v: v.id if isinstance(v, Case) else v)
def test_declared_error_status_raises_typed_error(case: Case, status: str, flavour: str) -> None:
    module = _import(case.package)
    call = _build_call(case, module)
    response = resolve(case.document, case.operation["responses"][status])
    content = response.get("content")
    schema = _json_media(content)[1].get("schema") if content else None
    body = sample(case.document, schema) if schema is not None else None
    code = _concrete_status(status)

    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(code)
        if isinstance(body, str):
            return httpx.Response(code, text=body, headers={"content-type": "text/plain"})
        return httpx.Response(code, json=body)

    client = _make_client(module, case, flavour, handler)
    where = f"{case.id} ({flavour}) on HTTP {code} (declared {status})"
    with pytest.raises(module.ApiError) as caught:
        _invoke(client, case, flavour, call.kwargs)
    error = caught.value
    base = module.ClientError if code < 500 else module.ServerError
    assert isinstance(error, base), f"{where}: raised {type(error).__name__}, expected a {base.__name__}"
    specific = {400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError", 404: "NotFoundError", 409: "ConflictError", 422: "UnprocessableEntityError", 429: "RateLimitError", 500: "InternalServerError"}
    if code in specific:
        assert type(error).__name__ == specific[code], f"{where}: raised {type(error).__name__}, expected {specific[code]}"
    assert error.status_code == code, f"{where}: wrong status_code on the error"
    name = ref_name(schema) if schema else None
    cls = getattr(module.models, naming.class_name(name), None) if name is not None else None
    if cls is not None and hasattr(cls, "model_validate") and not isinstance(body, str):
        assert isinstance(error.body, cls), f"{where}: error body is {type(error.body).__name__}, expected the spec's {cls.__name__}"
    if body is not None:
        assert _dump(error.body) == body, f"{where}: error body not parsed faithfully: {error.body!r}"
