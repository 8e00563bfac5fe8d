"""Contract tests: every generated client against Stoplight Prism, a server no one here wrote.

Prism mocks each spec with request validation on: a request whose path,
parameters, body, content type or credentials break the spec is answered
422/401 (with an ``sl-violations`` header) instead of the documented response.
So a passing call proves the client speaks the spec, and the typed result
proves the response parses. Forced statuses (``Prefer: code=N``) prove that
every declared error raises its typed error with the parsed body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator import config
from generator.pipeline import naming
from tests.cases import (
    CASES,
    Case,
    build_call,
    credentials,
    import_client,
    json_media,
    return_class,
    success,
)
from tests.samples import ref_name, resolve
from tests.servers import PrismServer, prism_problem

ROOT = Path(__file__).resolve().parents[1]
SPECS = {client.package: client.spec for client in config.load_config(ROOT / "pyproject.toml")}


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, PrismServer]]:
    """One Prism per spec, started on first use and stopped (by process group) at the end."""
    problem = prism_problem()
    if problem:
        pytest.fail(f"contract tests need Prism: {problem}")
    servers: dict[str, PrismServer] = {}
    log_dir = tmp_path_factory.mktemp("prism")
    try:
        for package, spec in SPECS.items():
            servers[package] = PrismServer(spec, log_dir)
        for server in servers.values():  # start all, then wait: they boot in parallel
            server.start()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _client(module: Any, case: Case, flavour: str, base_url: str) -> Any:
    options = {**credentials(case.document), "base_url": base_url, "max_retries": 0, "timeout": 30.0}
    return module.Client(**options) if flavour == "sync" else module.AsyncClient(**options)


def _call(client: Any, case: Case, flavour: str, kwargs: dict[str, Any]) -> Any:
    method = getattr(getattr(client, case.group), case.py_name)
    if flavour == "sync":
        with client:
            return method(**kwargs)

    async def run() -> Any:
        async with client:
            return await method(**kwargs)

    return asyncio.run(run())


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_operation_succeeds_against_prism(case: Case, flavour: str, prism: dict[str, PrismServer]) -> None:
    module = import_client(case.package)
    server = prism[case.package]
    call = build_call(case, module, hostile_paths=False)
    client = _client(module, case, flavour, server.url)
    where = f"{case.id} ({flavour}) against Prism ({server.log})"
    try:
        result = _call(client, case, flavour, call.kwargs)
    except module.ApiError as error:
        violations = error.headers.get("sl-violations", "")
        pytest.fail(f"{where}: Prism answered HTTP {error.status_code}: {violations or error.body!r}; the request breaks the spec")
    _, _, schema = success(case)
    if schema is None:
        assert result is None, f"{where}: expected None for an empty response"
    else:
        expected = return_class(case, module, schema)
        assert isinstance(result, expected), f"{where}: returned {type(result).__name__}, expected {expected.__name__}"


def _forced_errors() -> Iterator[tuple[Case, str]]:
    for case in CASES:
        for status in case.operation["responses"]:
            status = str(status)
            if status.isdigit() and not status.startswith("2"):
                yield case, status


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(("case", "status"), list(_forced_errors()), ids=lambda v: v.id if isinstance(v, Case) else v)
def test_forced_error_status_raises_typed_error(case: Case, status: str, flavour: str, prism: dict[str, PrismServer]) -> None:
    module = import_client(case.package)
    server = prism[case.package]
    call = build_call(case, module, hostile_paths=False)
    client = _client(module, case, flavour, server.url)
    kwargs = {**call.kwargs, "extra_headers": {"Prefer": f"code={status}"}}
    where = f"{case.id} ({flavour}) with Prefer: code={status} ({server.log})"
    with pytest.raises(module.ApiError) as caught:
        _call(client, case, flavour, kwargs)
    error = caught.value
    assert error.status_code == int(status), f"{where}: got HTTP {error.status_code} ({error.headers.get('sl-violations', '')})"
    response = resolve(case.document, case.operation["responses"][status])
    content = response.get("content")
    schema = json_media(content)[1].get("schema") if content else None
    name = ref_name(schema) if schema else None
    cls = getattr(module.models, naming.class_name(name), None) if name else None
    if cls is not None and hasattr(cls, "model_validate"):
        assert isinstance(error.body, cls), f"{where}: error body {error.body!r} did not parse into {cls.__name__}"


def test_prism_rejects_a_request_without_credentials(prism: dict[str, PrismServer]) -> None:
    """The contract server really validates: proof that passing tests mean something."""
    module = import_client("airflow_client")
    client = module.Client(base_url=prism["airflow_client"].url, max_retries=0)
    with client, pytest.raises(module.UnauthorizedError):
        client.connection.get_connection("abc")


def test_prism_rejects_a_request_that_breaks_the_spec(prism: dict[str, PrismServer]) -> None:
    with httpx.Client(base_url=prism["airflow_client"].url) as http:
        response = http.get("/api/v2/connections", params={"limit": "not-a-number"}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 422 and "sl-violations" in response.headers, "Prism must validate requests"
