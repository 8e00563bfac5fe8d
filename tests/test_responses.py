"""The response side of generated clients: bodies that do not match their model, open enums,
loose string formats and binary bodies, against ``httpx.MockTransport`` (no server needed).

``responses_client`` is generated once from :data:`SPEC` below.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest

from generator import pipeline

SPEC = """
openapi: 3.0.3
info: {title: Responses, version: '1'}
servers: [{url: 'https://api.test'}]
security: [{key: []}]
paths:
  /pets/{id}:
    get:
      operationId: getPet
      tags: [pets]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      parameters: [{name: status, in: query, schema: {type: string, enum: [available, sold]}}]
      responses:
        '200':
          description: a page
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {type: array, items: {$ref: '#/components/schemas/Pet'}}
                  next: {type: string, format: uri}
                  state: {type: string, enum: [open, closed]}
  /status:
    get:
      operationId: getStatus
      tags: [pets]
      responses:
        '200': {description: ok, content: {application/json: {schema: {type: string, enum: [up, down]}}}}
  /files/{id}/content:
    get:
      operationId: downloadText
      tags: [files]
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        '200': {description: raw, content: {text/plain: {schema: {type: string, format: binary}}}}
  /report:
    get:
      operationId: getReport
      tags: [files]
      responses:
        '200': {description: raw, content: {application/json: {schema: {type: string, format: binary}}}}
  /anything:
    get:
      operationId: getAnything
      tags: [files]
      responses:
        '200': {description: raw, content: {'*/*': {schema: {type: string, format: binary}}}}
  /image:
    get:
      operationId: getImage
      tags: [files]
      responses:
        '200': {description: a picture, content: {image/png: {}}}
  /export:
    get:
      operationId: exportCsv
      tags: [files]
      responses:
        '200': {description: text, content: {text/csv: {schema: {type: string}}}}
        '404': {description: missing, content: {application/octet-stream: {schema: {type: string, format: binary}}}}
components:
  securitySchemes:
    key: {type: apiKey, in: query, name: api_key}
  schemas:
    Pet:
      type: object
      required: [id, name, status]
      properties:
        id: {type: string, format: uuid}
        name: {type: string}
        status: {$ref: '#/components/schemas/PetStatus'}
        kind: {type: string, enum: [cat, dog]}
        size: {type: integer, enum: [1, 2, 3]}
        weight: {type: number, enum: [0.5, 1.5]}
        homepage: {type: string, format: uri}
        host: {type: string, format: hostname}
        address: {type: string, format: ipv4}
        born: {type: string, format: date-time}
        tag: {type: string, enum: [only]}
        tolerance: {oneOf: [{type: boolean}, {type: integer}, {type: string, enum: [min, strict, 'true', 'false']}]}
    PetStatus: {type: string, enum: [available, sold]}
"""

PET = {"id": "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "name": "Rex", "status": "available"}


@pytest.fixture(scope="module")
def client_module(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("responses")
    spec = out / "responses.yaml"
    spec.write_text(SPEC)
    pipeline.generate(spec, "responses_client", out / "responses_client")
    sys.path.insert(0, str(out / "responses_client"))
    return importlib.import_module("responses_client")


def _client(module: Any, reply: Callable[[httpx.Request], httpx.Response]) -> Any:
    return module.Client(base_url="https://api.test", key="s3cret", http_client=httpx.Client(transport=httpx.MockTransport(reply)))


def _json(body: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=body)


def _raw(content: bytes, content_type: str, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, content=content, headers={"content-type": content_type})


# -- 1. a body that does not match its model ------------------------------------------


def test_mismatching_body_raises_response_validation_error_with_the_raw_response(client_module: Any) -> None:
    wrong = {"id": "p1", "status": "available"}  # name missing
    with _client(client_module, _json(wrong)) as client, pytest.raises(client_module.ResponseValidationError) as caught:
        client.pets.get_pet("p1")
    error = caught.value
    assert isinstance(error, client_module.SdkError) and not isinstance(error, pydantic.ValidationError)
    assert isinstance(error.__cause__, pydantic.ValidationError), "the pydantic error must be the __cause__"
    assert (error.status_code, error.method) == (200, "GET")
    assert json.loads(error.content) == wrong, "the raw body must be kept"
    assert error.headers["content-type"] == "application/json"
    assert "s3cret" not in error.url and "api_key=REDACTED" in error.url, error.url
    assert "s3cret" not in str(error) and "name" in str(error), str(error)


def test_mismatching_body_raises_the_same_through_with_raw_response(client_module: Any) -> None:
    with _client(client_module, _raw(b"not json", "application/json")) as client, pytest.raises(client_module.ResponseValidationError) as caught:
        client.pets.with_raw_response.get_pet("p1")
    assert caught.value.content == b"not json" and caught.value.status_code == 200


def test_response_validation_error_is_exported_and_documented(client_module: Any) -> None:
    assert "ResponseValidationError" in client_module.__all__
    readme = (Path(client_module.__file__).parents[1] / "README.md").read_text()
    assert "ResponseValidationError" in readme


async def test_async_client_raises_response_validation_error_too(client_module: Any) -> None:
    transport = httpx.MockTransport(_json({"id": 1}))
    async with client_module.AsyncClient(base_url="https://api.test", http_client=httpx.AsyncClient(transport=transport)) as client:
        with pytest.raises(client_module.ResponseValidationError):
            await client.pets.get_pet("p1")


# -- 2. open enums ---------------------------------------------------------------------


def test_unknown_enum_values_parse_stay_readable_and_round_trip(client_module: Any) -> None:
    models = importlib.import_module("responses_client.models")
    wire = {**PET, "status": "adopted", "kind": "hamster", "size": 7, "weight": 2.5}
    with _client(client_module, _json(wire)) as client:
        pet = client.pets.get_pet("p1")
    assert pet.status.value == "adopted" and pet.status.name == "UNKNOWN" and pet.status.is_unknown
    assert pet.status == "adopted", "a string enum's unknown value still compares equal to its text"
    assert (pet.kind.value, pet.size.value, pet.weight.value) == ("hamster", 7, 2.5)
    assert pet.model_dump(mode="json", by_alias=True, exclude_unset=True) == wire, "unknown values are sent back unchanged"
    assert list(models.PetStatus) == [models.PetStatus.AVAILABLE, models.PetStatus.SOLD], "pseudo-members are not added"
    assert not models.PetStatus("sold").is_unknown and models.PetStatus("sold") is models.PetStatus.SOLD
    assert models.PetWeight(2.5) == models.PetWeight(2.5) and hash(models.PetWeight(2.5)) == hash(models.PetWeight(2.5))
    assert issubclass(models.PetStatus, client_module._runtime.OpenStrEnum)
    assert issubclass(models.PetSize, client_module._runtime.OpenIntEnum)


@pytest.mark.parametrize("sent", ["true", "min", "yes", "1", True, False, 1])
def test_a_json_string_stays_a_string_in_a_union_with_booleans_and_numbers(client_module: Any, sent: Any) -> None:
    """``bool | int | Mode``: pydantic breaks ties between lax matches by order, so with the
    boolean first the enum value "true" (and an unknown "yes") became ``True``."""
    with _client(client_module, _json({**PET, "tolerance": sent})) as client:
        pet = client.pets.get_pet("p1")
    if isinstance(sent, str):
        assert isinstance(pet.tolerance, str) and pet.tolerance == sent, f"{sent!r} was read as {pet.tolerance!r}"
    else:
        assert type(pet.tolerance) is type(sent) and pet.tolerance == sent, f"{sent!r} was read as {pet.tolerance!r}"
    assert pet.model_dump(mode="json", by_alias=True, exclude_unset=True)["tolerance"] == sent, "the value goes back as it came"


def test_open_enums_still_reject_values_of_the_wrong_type(client_module: Any) -> None:
    models = importlib.import_module("responses_client.models")
    for wrong in ({**PET, "status": 5}, {**PET, "size": "big"}, {**PET, "tag": "other"}):
        with pytest.raises(pydantic.ValidationError):
            models.Pet.model_validate(wrong)  # a single-value enum (a tag) stays a closed Literal


def test_inline_enums_of_responses_are_open_classes(client_module: Any) -> None:
    with _client(client_module, _json("degraded")) as client:
        status = client.pets.get_status()
    assert status.value == "degraded" and status.is_unknown, "an inline response enum must be an open enum class"
    page = {"items": [], "state": "archived"}
    with _client(client_module, _json(page)) as client:
        assert client.pets.list_pets().state.value == "archived"


# -- 3. loose string formats -----------------------------------------------------------


def test_strict_string_formats_read_what_real_servers_send(client_module: Any) -> None:
    wire = {**PET, "homepage": "/pets/p1", "host": "api.example.com.", "address": "010.0.0.1"}
    with _client(client_module, _json({"items": [wire], "next": "/pets?cursor=abc"})) as client:
        page = client.pets.list_pets()
    assert page.next == "/pets?cursor=abc", "a relative URI (pagination link) must parse and stay as sent"
    pet = page.items[0]
    assert pet.id == PET["id"], "a non-canonical UUID is kept exactly as sent"
    assert (pet.homepage, pet.host, pet.address) == ("/pets/p1", "api.example.com.", "010.0.0.1")
    assert page.model_dump(mode="json", by_alias=True, exclude_unset=True)["items"][0] == wire


@pytest.mark.parametrize(
    ("sent", "offset"),
    [("2024-05-01T10:00:00", None), ("2024-05-01T10:00:00Z", 0), ("2024-05-01 10:00:00+00", 0), ("2024-05-01T10:00:00+0530", 19800),
     ("2024-05-01T10:00:00.123456789-08:00", -28800), ("2024-05-01 10:00:00 UTC", 0)],
)
def test_date_times_with_odd_or_missing_offsets_parse(client_module: Any, sent: str, offset: int | None) -> None:
    models = importlib.import_module("responses_client.models")
    born = models.Pet.model_validate({**PET, "born": sent}).born
    assert (born.year, born.hour) == (2024, 10)
    assert (born.utcoffset().total_seconds() if born.tzinfo else None) == offset


# -- 4. binary bodies ------------------------------------------------------------------

_BINARY = bytes(range(256)) + b"\xff\xfe\x00"


@pytest.mark.parametrize(
    ("method", "content_type"),
    [("download_text", "text/plain"), ("get_report", "application/json"), ("get_anything", "application/pdf"), ("get_image", "image/png")],
)
def test_binary_responses_are_bytes_unchanged(client_module: Any, method: str, content_type: str) -> None:
    with _client(client_module, _raw(_BINARY, content_type)) as client:
        args = ("f1",) if method == "download_text" else ()
        assert getattr(client.files, method)(*args) == _BINARY
        assert getattr(client.files.with_raw_response, method)(*args).parsed == _BINARY


def test_empty_binary_response_is_empty_bytes(client_module: Any) -> None:
    with _client(client_module, _raw(b"", "image/png")) as client:
        assert client.files.get_image() == b""


def test_text_responses_use_the_charset_the_server_names(client_module: Any) -> None:
    with _client(client_module, _raw("café;naïve\n".encode("latin-1"), "text/csv; charset=ISO-8859-1")) as client:
        assert client.files.export_csv() == "café;naïve\n"


def test_binary_error_bodies_stay_bytes(client_module: Any) -> None:
    with _client(client_module, _raw(_BINARY, "application/octet-stream", 404)) as client, pytest.raises(client_module.NotFoundError) as caught:
        client.files.export_csv()
    assert caught.value.body == _BINARY and caught.value.content == _BINARY


def test_undeclared_binary_error_body_is_not_decoded_as_text(client_module: Any) -> None:
    with _client(client_module, _raw(_BINARY, "application/octet-stream", 500)) as client, pytest.raises(client_module.ServerError) as caught:
        client.files.get_image()
    assert caught.value.body == _BINARY


def test_responses_client_passes_mypy_strict(client_module: Any) -> None:
    folder = Path(client_module.__file__).parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", "responses_client"],
        cwd=folder, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]


# -- 5. raw and streamed forms, as mypy sees them --------------------------------------

_FORMS = """
from responses_client import AsyncClient, Client

client = Client(key="k")
aclient = AsyncClient(key="k")
reveal_type(client.pets.list_pets)
reveal_type(client.pets.with_raw_response.list_pets)
reveal_type(aclient.pets.list_pets)
reveal_type(aclient.pets.with_raw_response.list_pets)
reveal_type(client.files.download_text)
reveal_type(client.files.with_raw_response.download_text)
reveal_type(client.files.stream_download_text)
reveal_type(aclient.files.stream_download_text)
client.pets.with_raw_response.get_pet(1)
client.files.stream_download_text("f1", limit=3)
client.pets.list_pets(timeout="slow")
async def calls() -> None:
    await aclient.pets.get_pet("p1", extra_headers={"x-n": 1})
    await aclient.pets.with_raw_response.get_pet("p1", retries=None)
"""


#: The per-call options of every generated method, in the order ``RequestOptions`` declares them.
_OPTIONS = ("timeout", "retries", "extra_headers", "extra_query", "extra_body")


def _expanded(signature: str) -> str:
    """A method's signature as mypy shows it, with ``**options: Unpack[RequestOptions]`` spelt out
    as the keyword arguments it stands for, in their declared order: the way mypy shows the forms
    derived through ``ParamSpec``."""
    match = re.search(r"\*\*options: \*\*TypedDict\([\w.]+, \{(.*)\}\)", signature)
    if match is None:
        return signature
    entries = re.split(r"'(\w+)'\?: ", match.group(1))[1:]
    kinds = {name: kind.removesuffix(", ") for name, kind in zip(entries[::2], entries[1::2], strict=True)}
    assert sorted(kinds) == sorted(_OPTIONS), f"RequestOptions changed: {list(kinds)}; update _OPTIONS"
    before = signature[: match.start()]
    keyword_only = "" if "*, " in before else "*, "  # the options are keyword-only arguments
    return before + keyword_only + ", ".join(f"{name}: {kinds[name]} =" for name in _OPTIONS) + signature[match.end() :]


def test_raw_and_streamed_forms_have_the_methods_parameters_for_mypy(client_module: Any, tmp_path: Path) -> None:
    """``with_raw_response.<m>``, ``stream_<m>`` and the async ``<m>`` take exactly the parameters of ``<m>``,
    the per-call options included (each checked by its type)."""
    (tmp_path / "usage.py").write_text(_FORMS, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", "usage.py"],
        cwd=tmp_path, env={**os.environ, "MYPYPATH": str(Path(client_module.__file__).parents[1])},
        capture_output=True, text=True, check=False,
    )
    revealed = [line.split('Revealed type is "', 1)[1].rstrip('"') for line in result.stdout.splitlines() if "Revealed type" in line]
    errors = [line.split(": error: ", 1)[1] for line in result.stdout.splitlines() if ": error: " in line]
    assert len(revealed) == 8, result.stdout
    signature = [_expanded(text).rsplit(" -> ", 1) for text in revealed]
    rt = "responses_client._runtime."
    pets, pets_raw, apets, apets_raw, text, text_raw, text_stream, atext_stream = signature
    assert pets[1] == "responses_client.models.ListPets200Response"
    assert pets_raw == [pets[0], f"{rt}ApiResponse[{pets[1]}]"]
    assert apets == [pets[0], f"typing.Coroutine[Any, Any, {pets[1]}]"]
    assert apets_raw == [pets[0], f"typing.Coroutine[Any, Any, {rt}ApiResponse[{pets[1]}]]"]
    assert text_raw == [text[0], f"{rt}ApiResponse[bytes]"]
    assert text_stream == [text[0], f"{rt}BinaryResponse"]
    assert atext_stream == [text[0], f"typing.Coroutine[Any, Any, {rt}AsyncBinaryResponse]"]
    assert errors == [
        'Argument 1 has incompatible type "int"; expected "str"  [arg-type]',
        'Unexpected keyword argument "limit"  [call-arg]',
        'Argument "timeout" to "list_pets" of "PetsResource" has incompatible type "str"; expected "float | Timeout | NotGiven | None"  [arg-type]',
        'Dict entry 0 has incompatible type "str": "int"; expected "str": "str"  [dict-item]',
        'Argument "retries" has incompatible type "None"; expected "RetryConfig | NotGiven"  [arg-type]',
    ], result.stdout
