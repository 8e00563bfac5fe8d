"""Schema and operation coverage: tests/fixtures/coverage.yaml exercises the corners of OpenAPI.

allOf, oneOf with a discriminator, keyword and digit-leading field names,
odd enum values, typed/free-form/closed additionalProperties, recursion,
formats, keyword operationIds and missing ones, unicode tags, path-level,
header, cookie and array query parameters, form and multipart bodies, text and
binary responses, status ranges and ``default``, server variables and every
kind of security scheme (including optional security).
"""

from __future__ import annotations

import datetime
import importlib
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from generator import pipeline

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cov(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("coverage") / "coverage_client"
    pipeline.generate(ROOT / "tests" / "fixtures" / "coverage.yaml", "coverage_client", out)
    sys.path.insert(0, str(out))
    module = importlib.import_module("coverage_client")
    importlib.import_module("coverage_client.models")
    return module


def _client(cov: Any, handler: Any, **credentials: Any) -> Any:
    return cov.Client(http_client=httpx.Client(transport=httpx.MockTransport(handler)), max_retries=0, **credentials)


THING = {
    "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "created": "2024-01-02T03:04:05Z",
    "name": "widget",
    "class": "k",
    "model_config": "m",
    "2fa": True,
    "day": "2024-01-02",
    "big": 9007199254740993,
    "price": 12.5,  # type: number, format: decimal -> float (Decimal would go back out as a JSON string)
    "link": "https://example.com/x",
    "grid": [[1, 2], [3]],
    "labels": {"a": "b"},
    "extra": {"anything": [1, {"x": None}]},
    "closed": {"a": "z"},
    "mode": "",
    "kind": "thing",
    "maybe": None,
    "size": 4,
    "either": 5,
}


def test_server_variables_give_the_default_base_url(cov: Any) -> None:
    assert cov.DEFAULT_BASE_URL == "https://eu.coverage.invalid/v2"


def test_operation_and_group_names(cov: Any) -> None:
    client = cov.Client()
    group = client.unicode_things_more  # tag "Ünïcode Things & More"
    assert {"things_thing_id_get", "import_", "class_"} <= set(dir(group)), "missing operationId -> path+method; keywords get a suffix"
    assert hasattr(client.files, "upload_file") and hasattr(client.files, "get_shape")


def test_models_cover_allof_aliases_formats_enums_and_maps(cov: Any) -> None:
    thing = cov.models.Thing.model_validate(THING)
    assert thing.id is not None and thing.created == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), "allOf merges Base"
    assert (thing.class_, thing.model_config_, thing.field_2fa) == ("k", "m", True), "keywords, BaseModel names and digits get safe names"
    assert thing.day == datetime.date(2024, 1, 2) and thing.big == 9007199254740993 and thing.price == 12.5 and isinstance(thing.price, float)
    assert thing.grid == [[1, 2], [3]] and thing.labels == {"a": "b"} and thing.extra == {"anything": [1, {"x": None}]}
    assert thing.mode == cov.models.ThingMode("") and type(thing.closed).__name__ == "ThingClosed", "inline schemas are named from their location"
    assert thing.either == 5 and thing.size == 4
    assert thing.model_dump(mode="json", by_alias=True, exclude_unset=True) == {**THING, "link": "https://example.com/x"}
    assert {member.value for member in cov.models.ThingMode} == {"a-b", "", "A", "a", "1st"}
    assert cov.models.Thing(name="n").size == 3, "defaults come from the spec"


def test_recursive_and_mutually_recursive_models(cov: Any) -> None:
    tree = cov.models.Node.model_validate({"name": "root", "children": [{"name": "leaf", "children": []}], "partner": {"node": {"name": "p"}}})
    assert tree.children[0].name == "leaf" and tree.partner.node.name == "p"


def test_discriminated_union_response(cov: Any) -> None:
    answers = iter([{"shape": "square", "side": 2}, {"shape": "circle", "radius": 1}])
    with _client(cov, lambda request: httpx.Response(200, json=next(answers))) as client:
        first, second = client.files.get_shape(), client.files.get_shape()
    # a named discriminated union is returned as the option itself, not a RootModel to unwrap
    assert type(first).__name__ == "Square" and type(second).__name__ == "Circle"


def test_parameters_in_path_header_cookie_and_query_styles(cov: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"name": "w"})

    with _client(cov, handler, header_key="hk") as client:
        client.unicode_things_more.things_thing_id_get("t 1", x_request_tag="tag", session="s1", ids=[1, 2], tags=["a", "b"])
    request = seen[0]
    assert request.url.raw_path.decode().startswith("/v2/things/t%201?")
    query = parse_qs(urlsplit(str(request.url)).query)
    assert query["ids"] == ["1,2"], "explode: false joins array values with commas"
    assert query["tags"] == ["a", "b"], "form style explodes arrays by default"
    assert request.headers["x-request-tag"] == "tag" and "session=s1" in request.headers["cookie"]


@pytest.mark.parametrize(
    ("credentials", "check"),
    [
        ({"header_key": "hk"}, lambda r: r.headers["x-key"] == "hk"),
        ({"query_key": "qk"}, lambda r: parse_qs(urlsplit(str(r.url)).query)["key"] == ["qk"]),
        ({"cookie_key": "ck"}, lambda r: "sid=ck" in r.headers["cookie"]),
        ({"basic_auth": ("u", "p")}, lambda r: r.headers["authorization"] == "Basic dTpw"),
        ({"bearer_access_token": "bt"}, lambda r: r.headers["authorization"] == "Bearer bt"),
        ({"o_auth_access_token": "ot"}, lambda r: r.headers["authorization"] == "Bearer ot"),
        ({"oidc_access_token": "it"}, lambda r: r.headers["authorization"] == "Bearer it"),
        ({}, lambda r: "authorization" not in r.headers and "x-key" not in r.headers),
    ],
    ids=["api-key-header", "api-key-query", "api-key-cookie", "basic", "bearer", "oauth2", "openid-connect", "optional-none"],
)
def test_every_security_scheme_kind(cov: Any, credentials: dict[str, Any], check: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with _client(cov, handler, **credentials) as client:
        client.unicode_things_more.import_("t")
    assert check(seen[0]), f"credentials {credentials} not applied as the scheme says: {seen[0].headers}"


def test_form_body_and_text_response(cov: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, text="created ✓", headers={"content-type": "text/plain"})

    with _client(cov, handler) as client:
        result = client.unicode_things_more.class_(cov.models.ClassRequestBody(name="a b", count=2))
    assert result == "created ✓"
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(seen[0].content.decode()) == {"name": ["a b"], "count": ["2"]}


def test_multipart_upload_and_binary_response(cov: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"\x00\xffraw", headers={"content-type": "application/octet-stream"})

    with _client(cov, handler) as client:
        result = client.files.upload_file({"file": ("report.csv", b"a,b\n1,2\n", "text/csv"), "note": "hi"})
    assert result == b"\x00\xffraw"
    content_type = seen[0].headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    body = seen[0].content
    assert b'name="file"; filename="report.csv"' in body and b"Content-Type: text/csv" in body and b"a,b\n1,2\n" in body
    assert b'name="note"\r\n\r\nhi\r\n' in body


def test_status_ranges_and_default(cov: Any) -> None:
    answers = iter([httpx.Response(418, json={"detail": "teapot"}), httpx.Response(503, text="down")])
    with _client(cov, lambda request: next(answers)) as client:
        with pytest.raises(cov.ClientError) as caught:
            client.unicode_things_more.things_thing_id_get("t")
        assert type(caught.value.body).__name__ == "Problem" and caught.value.body.detail == "teapot", "4XX parses into its model"
        with pytest.raises(cov.ServiceUnavailableError) as server_side:
            client.unicode_things_more.things_thing_id_get("t")
        assert server_side.value.body == "down", "`default` without a body keeps the text"


def test_array_and_object_parameters_follow_style_and_explode(cov: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with _client(cov, handler) as client:
        client.files.search(
            [3, 4],
            x_ids=["a", "b"],
            filter=cov.models.SearchFilter(color="red", size=2),
            point={"x": 1, "y": 2},
            opts={"lang": "en", "sort": "asc"},
            pipes=["p", "q"],
            spaces=["s t", "u"],
            q={"term": "a&b"},
            x_filter=cov.models.SearchXFilter(term="x y"),
            x_point={"x": 1, "y": 2},
        )
    request = seen[0]
    assert request.url.raw_path.split(b"?")[0].endswith(b"/search/3,4"), f"a path array is one comma-joined segment: {request.url}"
    assert request.headers["x-ids"] == "a,b", "a header array is comma-joined (style simple)"
    assert request.headers["x-filter"] == '{"term":"x y"}', "a header declared with `content: application/json` is JSON text"
    assert request.headers["x-point"] == "x=1,y=2", "an exploded object header is k=v,k=v (style simple)"
    raw_query = request.url.raw_path.split(b"?")[1].decode()
    assert "pipes=p|q" in raw_query and "spaces=s%20t%20u" in raw_query and "point=x,1,y,2" in raw_query, (
        f"delimiters stay literal, items are percent-encoded: {raw_query}"
    )
    pairs = parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)
    expected = {
        "filter[color]": ["red"],  # deepObject
        "filter[size]": ["2"],
        "point": ["x,1,y,2"],  # form, explode false
        "lang": ["en"],  # form, explode true: the object's members become parameters
        "sort": ["asc"],
        "pipes": ["p|q"],  # pipeDelimited
        "spaces": ["s t u"],  # spaceDelimited
        "q": ['{"term":"a&b"}'],  # `content: application/json`: JSON text
    }
    assert pairs == expected, f"query serialisation does not follow style/explode: {pairs}"


def test_label_and_matrix_path_styles(cov: Any) -> None:
    seen: list[httpx.Request] = []
    with _client(cov, lambda request: seen.append(request) or httpx.Response(204)) as client:
        client.files.styled_path(["a b", "c"], [1, 2], {"x": 1, "y": 2})
    path = seen[0].url.raw_path.decode()
    assert path.endswith("/styled/.a%20b,c/;matrix=1;matrix=2/;point=x,1,y,2"), f"label and matrix styles as OpenAPI's table: {path}"


def test_delimiters_inside_items_are_encoded(cov: Any) -> None:
    seen: list[httpx.Request] = []
    with _client(cov, lambda request: seen.append(request) or httpx.Response(204)) as client:
        client.files.search([1], pipes=["a|b", "c"], point={"x": 1})
        client.files.search([1], pipes=["a", "b", "c"])
    first, second = (request.url.raw_path.split(b"?")[1].decode() for request in seen)
    assert "pipes=a%7Cb|c" in first and "pipes=a|b|c" in second, f"['a|b', 'c'] and ['a', 'b', 'c'] must differ on the wire: {first} / {second}"


def test_undecodable_body_raises_an_sdk_error(cov: Any) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        headers = {"content-encoding": "gzip", "content-type": "application/json"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b"not gzip"))  # decoded when read

    with _client(cov, broken) as client, pytest.raises(cov.ApiConnectionError, match="request failed"):
        client.files.get_shape()


def test_cookie_values_cannot_inject_cookies(cov: Any) -> None:
    with _client(cov, lambda request: httpx.Response(200, json={"name": "w"})) as client, pytest.raises(ValueError, match="cookie injection"):
        client.unicode_things_more.things_thing_id_get("t", session="s1; admin=1")


def test_status_range_5xx_parses_its_model(cov: Any) -> None:
    with _client(cov, lambda request: httpx.Response(502, json={"detail": "upstream"})) as client, pytest.raises(cov.BadGatewayError) as caught:
        client.files.search([1])
    assert type(caught.value.body).__name__ == "Problem" and caught.value.body.detail == "upstream", "5XX parses into its model"


def test_oauth2_with_every_flow_takes_a_token(cov: Any) -> None:
    doc = cov.Client.__doc__ or ""
    assert "o_auth_access_token" in doc and "https://auth.coverage.invalid/token" in doc, f"the OAuth2 argument documents its token URL: {doc}"
    seen: list[httpx.Request] = []
    with _client(cov, lambda request: seen.append(request) or httpx.Response(204), o_auth_access_token="tok") as client:
        client.unicode_things_more.import_("t")
    assert seen[0].headers["authorization"] == "Bearer tok"


# -- readOnly / writeOnly ---------------------------------------------------------------


def test_read_only_and_write_only_fields_are_required_one_way_only(cov: Any) -> None:
    # Base.id (readOnly) and Thing.secret (writeOnly) are listed in `required`: a caller
    # building a request has no id, and a response carries no secret.
    built = cov.models.Thing(name="n", secret="s")
    assert built.id is None, "a readOnly field must not be required when building a request model"
    received = cov.models.Thing.model_validate({"id": THING["id"], "name": "n"})
    assert received.secret is None, "a writeOnly field must not be required when parsing a response"
    docs = cov.models.Base.model_fields["id"].json_schema_extra
    assert docs == {"readOnly": True}, f"readOnly fields are marked for the runtime, got {docs!r}"


def test_read_only_fields_are_left_out_of_request_bodies_at_any_depth(cov: Any) -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={**THING, "secret": None})

    # A model read from a response (with server-set ids, also in nested parts) is sent back.
    fetched = cov.models.Thing.model_validate({**THING, "parts": [{"id": THING["id"], "created": THING["created"]}]})
    fetched.secret = "hunter2"
    with _client(cov, handler, header_key="hk") as client:
        client.unicode_things_more.replace_thing("t1", fetched)
    body = sent[0]
    assert "id" not in body, f"readOnly `id` must not be sent, got keys {sorted(body)}"
    assert body["parts"] == [{"created": THING["created"]}], f"nested readOnly fields must not be sent, got {body['parts']!r}"
    assert body["secret"] == "hunter2" and body["name"] == "widget", "writeOnly and ordinary fields are sent"
    assert fetched.id is not None, "leaving readOnly fields out of the request must not change the caller's model"


def test_read_only_fields_are_left_out_of_root_model_bodies(cov: Any) -> None:
    sent: list[Any] = []
    parts = cov.models.Parts([cov.models.Base.model_validate({"id": THING["id"], "created": THING["created"]})])
    with _client(cov, lambda request: sent.append(json.loads(request.content)) or httpx.Response(204)) as client:
        client.files.store_parts(parts)
    assert sent == [[{"created": THING["created"]}]], f"readOnly `id` must not be sent inside a RootModel body, got {sent}"


def test_read_only_and_write_only_fields_are_documented(cov: Any) -> None:
    source = Path(cov.models.__file__).read_text()
    assert "Read-only: set by the server; left out of request bodies." in source
    assert "Write-only: sent in requests; responses leave it out." in source


# -- examples in docstrings ------------------------------------------------------------


def test_examples_reach_docstrings(cov: Any) -> None:
    models_source = Path(cov.models.__file__).read_text()
    assert "Example: ``'widget'``." in models_source, "a property's example belongs in its field docstring"
    assert "It was the best of times" in models_source, "Field(examples=...) keeps a long example"
    assert "Example: ``'It was the best" not in models_source, "examples longer than the limit stay out of docstrings"
    doc = cov.Client().unicode_things_more.replace_thing.__doc__ or ""
    assert "reason: The query parameter ``reason``. Example: ``'fixing a typo'``." in doc, f"parameter `examples` map: {doc}"
    assert "Example: ``{'name': 'widget'}``." in doc, f"the media type's body example belongs in the Args section: {doc}"
