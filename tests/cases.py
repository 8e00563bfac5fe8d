"""The 32 seed operations as test cases, with arguments and answers sampled from the specs.

Shared by the MockTransport behaviour tests and the Prism contract tests. All
expectations are read from the spec files here, independently of the
generator's IR; names come from generator.pipeline.naming, which is the naming rule.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from generator import config
from generator.pipeline import naming
from tests.samples import ref_name, resolve, sample, without_read_only

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


def all_cases() -> Iterator[Case]:
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


CASES = list(all_cases())


def import_client(package: str) -> Any:
    client = next(c for c in CLIENTS if c.package == package)
    if str(client.output) not in sys.path:
        sys.path.insert(0, str(client.output))
    module = importlib.import_module(package)
    importlib.import_module(f"{package}.models")
    return module


def credentials(document: dict[str, Any]) -> dict[str, Any]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    names = naming.credential_names(schemes)
    return {arg: ("user", "pass") if arg == "basic_auth" else f"secret-{arg}" for arg in names.values()}


def expected_auth(case: Case) -> list[tuple[str, str, str]]:
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


def json_media(content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for content_type, media in content.items():
        if "json" in content_type:
            return content_type, media or {}
    content_type = next(iter(content))
    return content_type, content[content_type] or {}


def python_value(module: Any, document: dict[str, Any], schema: dict[str, Any], value: Any) -> Any:
    """Turn a JSON sample into what a caller passes: model instances for model schemas."""
    name = ref_name(schema)
    if name is not None:
        target = resolve(document, schema)
        cls = getattr(module.models, naming.class_name(name), None)
        if cls is not None and hasattr(cls, "model_validate") and (target.get("type") == "object" or "properties" in target or "allOf" in target or "oneOf" in target):
            return cls.model_validate(value)
        return value
    if schema.get("type") == "array" and isinstance(value, list):
        return [python_value(module, document, schema.get("items") or {}, item) for item in value]
    return value


def dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return [dump(item) for item in value]
    return value


@dataclass
class Call:
    kwargs: dict[str, Any]
    path: str
    query: dict[str, str]
    body: Any
    body_content_type: str | None


def build_call(case: Case, module: Any, *, hostile_paths: bool = True) -> Call:
    """Arguments for ``case``; ``hostile_paths`` puts ``/``, spaces and unicode in string path parameters."""
    kwargs: dict[str, Any] = {}
    path = case.path
    query: dict[str, str] = {}
    for param in case.parameters:
        py_name = naming.parameter_name(param["name"], param.get("x-clientsmith-name"))
        schema = resolve(case.document, param.get("schema") or {})
        kind = schema.get("type")
        kind = next((t for t in kind if t != "null"), None) if isinstance(kind, list) else kind
        if param["in"] == "path":
            hostile = hostile_paths and kind == "string" and "enum" not in schema
            value: Any = PATH_VALUE if hostile else sample(case.document, schema)
            path = path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        else:
            value = sample(case.document, schema)
            if isinstance(value, list):
                value = value + value[:1]
            if param["in"] == "query":
                query[param["name"]] = wire_text(value)
        kwargs[py_name] = value
    body = None
    content_type = None
    request_body = resolve(case.document, case.operation.get("requestBody"))
    if request_body:
        content_type, media = json_media(request_body["content"])
        schema = media.get("schema") or {}
        body = sample(case.document, schema)
        if request_body.get("x-clientsmith-flatten"):
            # The body object's properties are the method's arguments.
            properties = resolve(case.document, schema).get("properties") or {}
            for wire_name, prop in properties.items():
                py_name = naming.parameter_name(wire_name, prop.get("x-clientsmith-name"))
                kwargs[py_name] = python_value(module, case.document, prop, body[wire_name])
        else:
            name = naming.body_parameter_name(ref_name(schema), request_body.get("x-clientsmith-body-name"))
            kwargs[name] = python_value(module, case.document, schema, body)
        body = without_read_only(case.document, schema, body)
    return Call(kwargs, path, query, body, content_type)


def wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return wire_text(value[-1])
    return str(value)


def success(case: Case) -> tuple[str, Any, dict[str, Any] | None]:
    responses = case.operation["responses"]
    for status in sorted(str(s) for s in responses):
        if status.startswith("2"):
            response = resolve(case.document, responses[status] if status in responses else responses[int(status)])
            content = response.get("content")
            if not content:
                return status, None, None
            _, media = json_media(content)
            schema = media.get("schema") or {}
            return status, sample(case.document, schema), schema
    raise AssertionError(f"{case.id}: no 2XX response in the spec")


def return_class(case: Case, module: Any, schema: dict[str, Any]) -> Any:
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
        status, _, _ = success(case)
        return getattr(module.models, naming.inline_model_name(case.py_name, status, "response"))
    return object


def make_client(module: Any, case: Case, flavour: str, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    transport = httpx.MockTransport(handler)
    options = {**credentials(case.document), "base_url": BASE_URL, "max_retries": 0}
    if flavour == "sync":
        return module.Client(http_client=httpx.Client(transport=transport), **options)
    return module.AsyncClient(http_client=httpx.AsyncClient(transport=transport), **options)


def invoke(client: Any, case: Case, flavour: str, kwargs: dict[str, Any]) -> Any:
    method = getattr(getattr(client, case.group), case.py_name)
    if flavour == "sync":
        return method(**kwargs)

    async def run() -> Any:
        return await method(**kwargs)

    return asyncio.run(run())


