"""What generated clients put on the wire, judged by OpenAPI's rules (verify's oracle reads it:
openapi-core, and qs-codec where openapi-core cannot read a ``deepObject``).

Secrets (``format: password``) in bodies and parameters, form bodies (style/explode and the
media type's ``encoding`` map), multipart uploads (bytes, file objects, paths, tuples, arrays
of files, typed models), ``Accept`` from the declared response media types, paths with a
query string or a ``#fragment``, and the warnings for media types a client leaves out.
Operations live in tests/fixtures/coverage.yaml (tag ``wire`` and ``/uploads``).
"""

from __future__ import annotations

import email.parser
import email.policy
import importlib
import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from generator import pipeline
from generator.pipeline import loader
from generator.verify.oracle import BASE_URL, Oracle, Reading

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "fixtures" / "coverage.yaml"


@pytest.fixture(scope="module")
def cov(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if "coverage_client" not in sys.modules:  # test_coverage_spec.py may have generated it already
        out = tmp_path_factory.mktemp("wire") / "coverage_client"
        pipeline.generate(SPEC, "coverage_client", out)
        sys.path.insert(0, str(out))
    module = importlib.import_module("coverage_client")
    importlib.import_module("coverage_client.models")
    return module


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle(loader.load(SPEC).document)


def _send(cov: Any, call: Callable[[Any], Any], **options: Any) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with cov.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=0, **options) as client:
        call(client)
    assert len(seen) == 1
    return seen[0]


def _unmarshal(oracle: Oracle, cov: Any, request: httpx.Request) -> Reading:
    """The request as ``clientsmith verify``'s oracle reads it against the spec: openapi-core,
    and qs-codec for the ``deepObject`` forms openapi-core cannot read. Fails on any error."""
    path = str(request.url).removeprefix(cov.DEFAULT_BASE_URL)
    assert path != str(request.url), f"{request.url} is not under the spec's server {cov.DEFAULT_BASE_URL}"
    key = path.split("?")[0]  # the operations read here have no path parameters
    reading = oracle.read(key, request.method, BASE_URL + path, list(request.headers.items()), request.content)
    assert not reading.errors, f"the oracle refuses {request.method} {request.url}: {reading.errors}\n{request.content!r}"
    return reading


def _parts(request: httpx.Request) -> list[tuple[str, str | None, str | None, bytes]]:
    """``(name, filename, content type, content)`` of each part of a multipart request."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + request.content)
    assert message.is_multipart(), request.content
    result = []
    for part in message.iter_parts():
        disposition = part.get("content-disposition")
        kind = part.get("content-type") if "content-type" in part else None
        result.append((disposition.params["name"], disposition.params.get("filename"), kind, part.get_payload(decode=True)))
    return result


# -- 1. secrets --------------------------------------------------------------------------


def test_password_fields_are_sent_in_clear_and_masked_in_repr(cov: Any, oracle: Oracle) -> None:
    models = cov.models
    login = models.Login(username="u", password="hunter2", profile={"pin": "1234"})
    assert "hunter2" not in repr(login) and "1234" not in str(login), "secrets stay masked in repr/str"
    request = _send(cov, lambda client: client.wire.login(login, auth=models.LoginAuth(user="u", pin="9876")))
    result = _unmarshal(oracle, cov, request)
    assert result.body == {"username": "u", "password": "hunter2", "profile": {"pin": "1234"}}, f"JSON body: {request.content!r}"
    assert result.query["auth"] == {"user": "u", "pin": "9876"}, f"deepObject parameter: {request.url}"
    assert "hunter2" not in repr(login), "sending must not unmask the caller's model"

    form = _send(cov, lambda client: client.wire.login_form(login))
    assert _unmarshal(oracle, cov, form).body == {"username": "u", "password": "hunter2"}, f"form body: {form.content!r}"
    assert ("pin", "1234") in parse_qsl(form.content.decode()), "a nested object is exploded into its members"

    upload = _send(cov, lambda client: client.files.upload_file(models.UploadFileRequestBody(file=b"x", pin="0000")))
    assert ("pin", None, None, b"0000") in _parts(upload), f"multipart body: {upload.content!r}"


# -- 2. form bodies ----------------------------------------------------------------------


def test_form_body_follows_style_explode_and_the_encoding_map(cov: Any, oracle: Oracle) -> None:
    body = cov.models.SubmitFormRequestBody(
        tags=["a", "b c"],
        point={"x": 1, "y": 2},
        metadata={"k": "v", "z": "w"},
        ids=[1, 2],
        blob={"k": "v"},
        link="http://x.invalid/y?z=1&w",
        plain="a b&c=d",
    )
    request = _send(cov, lambda client: client.wire.submit_form(body))
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
    assert pairs == [
        ("tags", "a"),  # default: style form, explode true
        ("tags", "b c"),
        ("x", "1"),  # an object exploded: its members
        ("y", "2"),
        ("metadata[k]", "v"),  # encoding style deepObject
        ("metadata[z]", "w"),
        ("ids", "1,2"),  # encoding explode false
        ("blob", '{"k":"v"}'),  # encoding contentType application/json
        ("link", "http://x.invalid/y?z=1&w"),
        ("plain", "a b&c=d"),
    ], f"form body does not follow OpenAPI's rules: {request.content!r}"
    assert b"link=http://x.invalid/y?z%3D1%26w" in request.content, "allowReserved keeps :/? literal, never & or ="
    unmarshalled = _unmarshal(oracle, cov, request).body
    assert {key: unmarshalled[key] for key in ("tags", "metadata", "ids", "blob", "link", "plain")} == {
        "tags": ["a", "b c"],
        "metadata": {"k": "v", "z": "w"},
        "ids": [1, 2],
        "blob": {"k": "v"},
        "link": "http://x.invalid/y?z=1&w",
        "plain": "a b&c=d",
    }


# -- 3. multipart uploads ----------------------------------------------------------------


def test_multipart_sends_files_from_bytes_file_objects_paths_and_tuples(cov: Any, oracle: Oracle, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_bytes(b"a,b\n1,2\n")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8jpeg")
    with open(report, "rb") as opened:
        body = {
            "file": opened,
            "avatar": b"\x89PNG",
            "attachments": [photo, ("notes.txt", io.BytesIO(b"hello")), ("raw", b"\x00", "application/x-thing")],
            "meta": {"source": "scan"},
            "labels": ["l1", "l2"],
            "note": "hi",
        }
        request = _send(cov, lambda client: client.files.upload_file(body))
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert _parts(request) == [
        ("file", "report.csv", "text/csv", b"a,b\n1,2\n"),  # filename from the file object's name
        ("avatar", "avatar", "image/png", b"\x89PNG"),  # content type from the encoding map
        ("attachments", "photo.jpg", "image/jpeg", b"\xff\xd8jpeg"),  # a path, opened at send time
        ("attachments", "notes.txt", "text/plain", b"hello"),
        ("attachments", "raw", "application/x-thing", b"\x00"),
        ("meta", None, "application/json", b'{"source":"scan"}'),  # objects as JSON
        ("labels", None, None, b"l1"),  # arrays: one part per item
        ("labels", None, None, b"l2"),
        ("note", None, None, b"hi"),
    ], f"multipart parts: {request.content!r}"
    assert b"<_io." not in request.content and b"BufferedReader" not in request.content
    unmarshalled = _unmarshal(oracle, cov, request).body
    assert unmarshalled["file"] == b"a,b\n1,2\n" and unmarshalled["attachments"] == [b"\xff\xd8jpeg", b"hello", b"\x00"]
    assert unmarshalled["meta"] == {"source": "scan"} and unmarshalled["labels"] == ["l1", "l2"]


def test_multipart_fields_with_a_style_are_sent_as_text_parts_of_that_style(cov: Any, oracle: Oracle) -> None:
    body = {"file": b"x", "expand": ["data", "link.owner"], "link": {"create": True, "tags": {"k": "v w"}}}
    request = _send(cov, lambda client: client.files.upload_file(body))
    assert _parts(request) == [
        ("file", "file", "application/octet-stream", b"x"),
        ("expand[0]", None, None, b"data"),  # deepObject lists: indexed, as qs reads them
        ("expand[1]", None, None, b"link.owner"),
        ("link[create]", None, None, b"true"),
        ("link[tags][k]", None, None, b"v w"),  # parts are not percent-encoded
    ], f"a multipart field with encoding style deepObject must go out as name[member] text parts: {request.content!r}"
    body = _unmarshal(oracle, cov, request).body
    assert (body["expand"], body["link"]) == (["data", "link.owner"], {"create": True, "tags": {"k": "v w"}})


def test_multipart_model_fields_carry_files(cov: Any, oracle: Oracle, tmp_path: Path) -> None:
    report = tmp_path / "q1.pdf"
    report.write_bytes(b"%PDF")
    models = cov.models
    with open(report, "rb") as opened:
        body = models.UploadFileRequestBody(file=opened, attachments=[report, ("b.bin", b"\x01")], count=3)
        request = _send(cov, lambda client: client.files.upload_file(body))
    parts = _parts(request)
    assert parts[0] == ("file", "q1.pdf", "application/pdf", b"%PDF"), f"a model's file field keeps its name: {parts}"
    assert parts[1:3] == [("attachments", "q1.pdf", "application/pdf", b"%PDF"), ("attachments", "b.bin", "application/octet-stream", b"\x01")]
    assert parts[3] == ("count", None, None, b"3")
    annotation = str(models.UploadFileRequestBody.model_fields["file"].annotation)
    assert "IO" in annotation and "PathLike" in annotation, f"file fields are typed for files, paths and tuples: {annotation}"
    with pytest.raises(ValueError, match="binary"):
        models.UploadFileRequestBody(file=12)
    with open(report) as text_mode, pytest.raises(TypeError, match="binary mode"):
        _send(cov, lambda client: client.files.upload_file({"file": text_mode}))


def test_multipart_file_types_pass_mypy(cov: Any, tmp_path: Path) -> None:
    package = Path(cov.__file__).parent
    usage = tmp_path / "usage.py"
    usage.write_text(
        textwrap.dedent(
            """
            from pathlib import Path

            from coverage_client.models import UploadFileRequestBody

            with open("a.csv", "rb") as opened:
                UploadFileRequestBody(file=opened, avatar=("a.png", Path("a.png"), "image/png"))
            UploadFileRequestBody(file=b"x", attachments=[Path("b"), ("c.txt", b"c")])
            """
        ),
        "utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(usage)],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(package.parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"mypy rejects files in a multipart model:\n{result.stdout}{result.stderr}"


# -- 5. Accept -----------------------------------------------------------------------------


def test_accept_lists_the_declared_response_media_types(cov: Any) -> None:
    events = _send(cov, lambda client: client.wire.stream_events())
    assert events.headers["accept"] == "text/event-stream", "a call reading server-sent events asks for them alone"
    upload = _send(cov, lambda client: client.files.upload_file({"file": b"x"}))
    assert upload.headers["accept"] == "application/octet-stream, application/problem+json"
    thing = _send(cov, lambda client: client.unicode_things_more.things_thing_id_get("t"))
    assert thing.headers["accept"] == "application/json", "success and error types, deduplicated"
    nothing = _send(cov, lambda client: client.unicode_things_more.import_("t"))
    assert nothing.headers["accept"] == "*/*", "*/* only when no response declares a body"
    mine = _send(cov, lambda client: client.wire.stream_events(), headers={"Accept": "text/plain"})
    assert mine.headers.get_list("accept") == ["text/plain"], "the client's own Accept replaces it"
    call = _send(cov, lambda client: client.wire.stream_events(extra_headers={"Accept": "text/csv"}))
    assert call.headers.get_list("accept") == ["text/csv"]


# -- 6, 7. paths -------------------------------------------------------------------------


def test_path_with_a_query_string_gets_one_query_string(cov: Any) -> None:
    request = _send(cov, lambda client: client.wire.beta_thing("i d", q="x&y"))
    assert str(request.url) == "https://eu.coverage.invalid/v2/beta/i%20d?beta=true&q=x%26y"
    bare = _send(cov, lambda client: client.wire.beta_thing("i"))
    assert str(bare.url) == "https://eu.coverage.invalid/v2/beta/i?beta=true"


def test_path_fragment_is_not_sent(cov: Any) -> None:
    request = _send(cov, lambda client: client.wire.beta_thing_stream("i", q="x"))
    assert str(request.url) == "https://eu.coverage.invalid/v2/beta/i?q=x", "a #fragment only tells operations apart"


# -- 4. warnings -----------------------------------------------------------------------------

CHOICES = """
openapi: 3.0.3
info: {title: Choices, version: "1"}
paths:
  /x:
    post:
      operationId: make
      requestBody:
        $ref: '#/components/requestBodies/Thing'
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {type: object}}
            application/xml: {schema: {type: object}}
            text/event-stream: {schema: {type: string}}
  /events:
    get:
      operationId: events
      responses:
        "200":
          description: events
          content:
            text/event-stream: {schema: {type: string}}
components:
  requestBodies:
    Thing:
      content:
        application/json: {schema: {type: object}}
        multipart/form-data: {schema: {type: object, properties: {f: {type: string, format: binary}}}}
"""


def test_unused_media_types_are_reported_and_event_streams_are_not(tmp_path: Path) -> None:
    """Event streams are read (as typed events), so they are no longer reported as left out."""
    (tmp_path / "choices.yaml").write_text(CHOICES.lstrip(), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "choices.yaml", "--output", "out"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    warnings = sorted(line for line in result.stderr.splitlines() if line.startswith("warning:"))
    assert warnings == [
        ("warning: choices.yaml#/components/requestBodies/Thing/content/multipart~1form-data: request media type "
         "multipart/form-data is not supported alongside application/json: the client sends the body as "
         "application/json only (one request media type per operation)"),
        ("warning: choices.yaml#/paths/~1x/post/responses/200/content/application~1xml: response media type "
         "application/xml is not supported alongside application/json: the client reads application/json only"),
    ], result.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "generator", "-q", "generate", "choices.yaml", "--output", "out"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert quiet.returncode == 0 and quiet.stderr == "", "--quiet prints errors only"
