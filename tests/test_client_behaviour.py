"""Every operation of every generated client, sync and async, through ``httpx.MockTransport``.

Expectations come from the spec (read here independently of the generator's
IR): the request's method, path (with percent-encoded path parameters),
query string, auth placement, content type and JSON body; the response parsed
into the model the spec names, round-tripping through ``model_dump``; and every
declared error status raising the matching typed error with its parsed body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from generator.pipeline import naming
from tests.cases import (
    BASE_URL,
    CASES,
    Case,
    build_call,
    dump,
    expected_auth,
    import_client,
    invoke,
    json_media,
    make_client,
    return_class,
    success,
)
from tests.samples import ref_name, resolve, sample


def test_all_seed_operations_are_covered() -> None:
    assert len(CASES) == 32, f"expected the 32 seed operations across specs/, found {len(CASES)}"


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_operation_request_and_response(case: Case, flavour: str) -> None:
    module = import_client(case.package)
    call = build_call(case, module)
    status, response_body, response_schema = success(case)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if response_body is None:
            return httpx.Response(int(status))
        return httpx.Response(int(status), json=response_body)

    client = make_client(module, case, flavour, handler)
    result = invoke(client, case, flavour, call.kwargs)

    where = f"{case.id} ({flavour}, {case.method.upper()} {case.path})"
    assert len(seen) == 1, f"{where}: expected one HTTP request, got {len(seen)}"
    request = seen[0]
    assert request.method == case.method.upper(), f"{where}: wrong HTTP method"
    url = urlsplit(str(request.url))
    assert url.path == urlsplit(BASE_URL).path + call.path, f"{where}: wrong path (path parameters must be percent-encoded)"
    sent_query = dict(parse_qsl(url.query, keep_blank_values=True))
    for name, text in call.query.items():
        assert sent_query.get(name) == text, f"{where}: query parameter {name!r} sent as {sent_query.get(name)!r}, expected {text!r}"
    for location, name, value in expected_auth(case):
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
        expected_type = return_class(case, module, response_schema)
        assert isinstance(result, expected_type), f"{where}: returned {type(result).__name__}, expected {expected_type.__name__}"
        if hasattr(result, "model_dump") or isinstance(result, list):
            assert dump(result) == response_body, f"{where}: parsed response does not round-trip through model_dump(by_alias=True)"


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
    module = import_client(case.package)
    call = build_call(case, module)
    response = resolve(case.document, case.operation["responses"][status])
    content = response.get("content")
    schema = json_media(content)[1].get("schema") if content else None
    body = sample(case.document, schema) if schema is not None else None
    code = _concrete_status(status)

    def handler(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(code)
        if isinstance(body, str):
            return httpx.Response(code, text=body, headers={"content-type": "text/plain"})
        return httpx.Response(code, json=body)

    client = make_client(module, case, flavour, handler)
    where = f"{case.id} ({flavour}) on HTTP {code} (declared {status})"
    with pytest.raises(module.ApiError) as caught:
        invoke(client, case, flavour, call.kwargs)
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
        assert dump(error.body) == body, f"{where}: error body not parsed faithfully: {error.body!r}"
