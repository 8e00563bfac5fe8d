"""Pagination of generated clients: every style, sync and async, against a real server on 127.0.0.1.

The client is generated from tests/fixtures/pagination.yaml, which has one list operation per
style: a cursor (``next_cursor``), Stripe's ``has_more`` + last item id, Svix's ``iterator`` +
``done``, a ``Link`` header, a next-page URL in the body, a cursor inside an envelope on a POST,
and ``x-clientsmith-pagination`` declaring names no convention knows. Each scenario is written
once as a coroutine (tests/flavours.py) and run with ``Client`` and ``AsyncClient``.

Also here: the Link header parser (RFC 8288), detection on minimal specs, and the errors a
malformed ``x-clientsmith-pagination`` gives.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from generator import pipeline
from generator.errors import SpecError
from generator.pipeline import parse
from tests.fault_server import FaultServer, Received, Reply
from tests.flavours import call, collect

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "pagination.yaml"
FLAVOURS = ["sync", "async"]


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("paged")
    pipeline.generate(FIXTURE, "paged_client", out / "paged_client")
    sys.path.insert(0, str(out / "paged_client"))
    return importlib.import_module("paged_client")


def run(paged: Any, server: FaultServer, flavour: str, scenario: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``scenario(client)`` with a sync or an async client on the fault server."""
    options = {"base_url": f"{server.url}/api", "api_key": "secret", "max_retries": 0}

    async def main() -> Any:
        if flavour == "sync":
            with paged.Client(**options) as client:
                return await scenario(client)
        async with paged.AsyncClient(**options) as client:
            return await scenario(client)

    return asyncio.run(main())


def query(request: Received) -> dict[str, list[str]]:
    return parse_qs(request.query)


def items(*ids: str) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]


def cursor_server(pages: dict[str | None, dict[str, Any]], parameter: str = "cursor") -> Callable[[Received], Reply]:
    """Serve ``pages`` by the value of the cursor parameter (None: the first request)."""

    def reply(request: Received) -> Reply:
        cursor = query(request).get(parameter, [None])[0]
        return Reply(200, pages[cursor]) if cursor in pages else Reply(404, {"detail": f"no page at {cursor}"})

    return reply


# -- cursor ------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cursor_walks_every_page_and_stops_without_a_next_cursor(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"data": items("a", "b"), "next_cursor": "c2"},
            "c2": {"data": items("c", "d"), "next_cursor": "c3"},
            "c3": {"data": items("e"), "next_cursor": None},
        }
    )

    async def scenario(client: Any) -> list[str]:
        walked = client.items.iter_list_cursor(limit=2)
        assert server.received == [], "iter_ must fetch nothing before the first item is asked for"
        return [item.id for item in await collect(walked)]

    assert run(paged, server, flavour, scenario) == list("abcde")
    sent = [query(r).get("cursor") for r in server.received]
    assert sent == [None, ["c2"], ["c3"]], f"each page must send the previous page's next_cursor, got {sent}"
    assert all(query(r)["limit"] == ["2"] and query(r)["api_key"] == ["secret"] for r in server.received)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_page_objects_expose_items_response_and_next_page(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server({None: {"data": items("a", "b"), "next_cursor": "c2"}, "c2": {"data": items("c"), "next_cursor": None}})

    async def scenario(client: Any) -> None:
        first = await call(client.items.list_cursor_pages())
        assert isinstance(first, paged.AsyncPage if flavour == "async" else paged.SyncPage)
        assert [i.id for i in first.items] == ["a", "b"] and isinstance(first.items[0], paged.models.Item)
        assert first.parsed.next_cursor == "c2" and first.response.status_code == 200
        assert first.has_next_page()
        second = await call(first.next_page())
        assert [i.id for i in second.items] == ["c"] and not second.has_next_page()
        with pytest.raises(paged.PaginationError, match="no next page"):
            await call(second.next_page())
        again = await call(first.next_page())  # the same page asked for twice is no repetition
        assert [i.id for i in again.items] == ["c"]
        walked = await collect(first.iter_pages())
        assert [[i.id for i in page.items] for page in walked] == [["a", "b"], ["c"]]

    run(paged, server, flavour, scenario)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cursor_stops_on_an_empty_page_even_with_a_cursor(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server({None: {"data": items("a"), "next_cursor": "c2"}, "c2": {"data": [], "next_cursor": "c3"}})

    async def scenario(client: Any) -> tuple[list[str], bool]:
        walked = [i.id for i in await collect(client.items.iter_list_cursor())]
        page = await call(client.items.list_cursor_pages(cursor="c2"))
        return walked, page.has_next_page()

    walked, more = run(paged, server, flavour, scenario)
    assert walked == ["a"] and not more, "an empty page is the last, whatever cursor it carries"
    assert len(server.received) == 3, "two requests for the walk, one for the page started at c2"
    assert query(server.received[2])["cursor"] == ["c2"], "a cursor passed to the helper is where it starts"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_repeated_cursor_raises_instead_of_looping(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"data": items("a"), "next_cursor": "c2"},
            "c2": {"data": items("b"), "next_cursor": "c3"},
            "c3": {"data": items("c"), "next_cursor": "c2"},  # back to c2: a cycle
        }
    )
    seen: list[str] = []

    async def scenario(client: Any) -> None:
        walked = client.items.iter_list_cursor()
        if flavour == "sync":
            for item in walked:
                seen.append(item.id)
        else:
            async for item in walked:
                seen.append(item.id)

    with pytest.raises(paged.PaginationError, match=r"sent cursor 'c2' again after page 3"):
        run(paged, server, flavour, scenario)
    assert seen == ["a", "b", "c"], "the pages before the repetition reach the caller"
    assert len(server.received) == 3, "the repeated cursor must not be requested again"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_cursor_equal_to_the_one_sent_raises(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server({"same": {"data": items("a"), "next_cursor": "same"}})

    async def scenario(client: Any) -> None:
        page = await call(client.items.list_cursor_pages(cursor="same"))
        assert page.has_next_page(), "the server says there is more"
        await call(page.next_page())

    with pytest.raises(paged.PaginationError, match="forever"):
        run(paged, server, flavour, scenario)
    assert len(server.received) == 1


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_has_more_and_the_last_item_id(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"object": "list", "data": items("a", "b"), "has_more": True},
            "b": {"object": "list", "data": items("c", "d"), "has_more": True},
            "d": {"object": "list", "data": items("e"), "has_more": False},
        },
        parameter="starting_after",
    )

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_stripe(limit=2))]

    assert run(paged, server, flavour, scenario) == list("abcde")
    assert [query(r).get("starting_after") for r in server.received] == [None, ["b"], ["d"]]


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_svix_iterator_stops_when_done(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"data": items("a"), "iterator": "i2", "prevIterator": None, "done": False},
            "i2": {"data": items("b"), "iterator": "i3", "prevIterator": "i1", "done": True},
        },
        parameter="iterator",
    )

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_svix())]

    assert run(paged, server, flavour, scenario) == ["a", "b"]
    assert len(server.received) == 2, "done: true ends the listing although an iterator is sent"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_cursor_in_an_envelope_on_a_post_resends_the_body(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"matches": {"results": items("a"), "next_page_token": "t2"}},
            "t2": {"matches": {"results": items("b"), "next_page_token": None}},
        },
        parameter="page_token",
    )

    async def scenario(client: Any) -> list[str]:
        body = paged.models.SearchRequestBody(query="x")
        return [i.id for i in await collect(client.items.iter_search(body))]

    assert run(paged, server, flavour, scenario) == ["a", "b"]
    assert [r.method for r in server.received] == ["POST", "POST"]
    assert [r.body for r in server.received] == [b'{"query":"x"}'] * 2, "every page is asked for with the same body"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_declared_extension_with_nested_pointers(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = cursor_server(
        {
            None: {"payload": {"entries": items("a")}, "meta": {"continuation": "r2", "complete": False}},
            "r2": {"payload": {"entries": items("b")}, "meta": {"continuation": "r3", "complete": True}},
        },
        parameter="resume",
    )

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_declared())]

    assert run(paged, server, flavour, scenario) == ["a", "b"]
    assert [query(r).get("resume") for r in server.received] == [None, ["r2"]]


def test_detection_can_be_turned_off(paged: Any) -> None:
    resource = paged.Client(base_url="http://127.0.0.1:9/api").items
    assert hasattr(resource, "iter_list_cursor") and hasattr(resource, "list_cursor_pages")
    assert not hasattr(resource, "iter_list_not_paged") and not hasattr(resource, "list_not_paged_pages")


# -- Link header ---------------------------------------------------------------------------


def link_server(base: str) -> Callable[[Received], Reply]:
    """Three pages: the first links to the second with a relative URL among other links, the
    second to the third with an absolute one, the third has no next link."""

    def reply(request: Received) -> Reply:
        page = query(request).get("page", ["1"])[0]
        if page == "1":
            link = '</api/link?page=1>; rel="first", </api/link?filter=x&page=2>; REL="Next"; title="a, b; c"'
            return Reply(200, items("a", "b"), {"link": link})
        if page == "2":
            return Reply(200, items("c"), {"link": f'<{base}/api/link?filter=x&page=3&api_key=leaked>; rel="prev next"'})
        return Reply(200, items("d"), {"link": '</api/link?page=1>; rel=first'})

    return reply


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_link_header_relative_and_absolute(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = link_server(server.url)

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_linked(filter="x", x_tenant="t1"))]

    assert run(paged, server, flavour, scenario) == ["a", "b", "c", "d"]
    queries = [query(r) for r in server.received]
    assert [q.get("page") for q in queries] == [None, ["2"], ["3"]], f"the next links must be followed, got {queries}"
    assert all(q["filter"] == ["x"] for q in queries), "the link carries the query; nothing is lost or doubled"
    assert [q["api_key"] for q in queries] == [["secret"]] * 3, "credentials sent once per request, the client's own"
    assert [r.path for r in server.received] == ["/api/link"] * 3
    assert [r.headers.get("x-tenant") for r in server.received] == ["t1"] * 3, "header parameters go with every page"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_declared_link_style_and_its_empty_last_page(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script(
        Reply(200, {"entries": items("a"), "others": []}, {"link": '<?page=2>; rel="next"'}),
        Reply(200, {"entries": [], "others": []}, {"link": '<?page=3>; rel="next"'}),
    )

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_declared_link())]

    assert run(paged, server, flavour, scenario) == ["a"]
    assert [r.query for r in server.received] == ["api_key=secret", "page=2&api_key=secret"]


# -- next-page URL in the body ---------------------------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_next_url_in_the_body_relative_and_absolute(paged: Any, server: FaultServer, flavour: str) -> None:
    base = server.url
    server.script(
        Reply(200, {"count": 4, "next": "url?page=2", "previous": None, "results": items("a")}),
        Reply(200, {"count": 4, "next": f"{base}/api/url?page=3", "previous": "url", "results": items("b", "c")}),
        Reply(200, {"count": 4, "next": None, "previous": "url?page=2", "results": items("d")}),
    )

    async def scenario(client: Any) -> list[str]:
        first = await call(client.items.list_url_pages(x_tenant="t1"))
        return [i.id for page in await collect(first.iter_pages()) for i in page.items]

    assert run(paged, server, flavour, scenario) == ["a", "b", "c", "d"]
    assert [(r.path, query(r).get("page")) for r in server.received] == [("/api/url", None), ("/api/url", ["2"]), ("/api/url", ["3"])], (
        "a relative next URL resolves against the request URL"
    )
    assert [r.headers.get("x-tenant") for r in server.received] == ["t1"] * 3


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_next_url_on_another_origin_is_not_followed(paged: Any, server: FaultServer, flavour: str) -> None:
    other = server.url.replace("127.0.0.1", "localhost")  # same server, another origin
    server.script(Reply(200, {"next": f"{other}/api/url?page=2", "results": items("a")}), Reply(200, {"next": None, "results": items("b")}))

    async def scenario(client: Any) -> None:
        page = await call(client.items.list_url_pages())
        assert page.has_next_page()
        await call(page.next_page())

    with pytest.raises(paged.PaginationError, match="not on the origin of base_url"):
        run(paged, server, flavour, scenario)
    assert len(server.received) == 1, "the credentials must not travel to another origin"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_repeated_next_url_raises(paged: Any, server: FaultServer, flavour: str) -> None:
    server.script()
    server.fallback = lambda request: Reply(200, {"next": "/api/url?page=2", "results": items("x")})

    async def scenario(client: Any) -> list[str]:
        return [i.id for i in await collect(client.items.iter_list_url())]

    with pytest.raises(paged.PaginationError, match="again after page 2"):
        run(paged, server, flavour, scenario)
    assert len(server.received) == 2


# -- offset pages (the committed Airflow client) ---------------------------------------------


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_offset_page_objects(server: FaultServer, flavour: str) -> None:
    from tests.test_runtime import AIRFLOW

    if str(AIRFLOW.output) not in sys.path:
        sys.path.insert(0, str(AIRFLOW.output))
    airflow = importlib.import_module("airflow_client")
    connections = [{"connection_id": f"c{i}", "conn_type": "http"} for i in range(3)]

    def reply(request: Received) -> Reply:
        offset, limit = int(query(request)["offset"][0]), int(query(request)["limit"][0])
        return Reply(200, {"connections": connections[offset : offset + limit], "total_entries": 3})

    server.script()
    server.fallback = reply

    async def main() -> list[list[str]]:
        if flavour == "sync":
            with airflow.Client(base_url=server.url) as client:
                first = client.connection.get_connections_pages(limit=2)
                return [[c.connection_id for c in page.items] for page in first.iter_pages()]
        async with airflow.AsyncClient(base_url=server.url) as client:
            first = await client.connection.get_connections_pages(limit=2)
            return [[c.connection_id for c in page.items] async for page in first.iter_pages()]

    assert asyncio.run(main()) == [["c0", "c1"], ["c2"]]
    assert [query(r)["offset"] for r in server.received] == [["0"], ["2"]]


# -- the Link header parser -------------------------------------------------------------------


def test_link_header_parsing(paged: Any) -> None:
    parse_link = importlib.import_module("paged_client._runtime").parse_link_header
    assert parse_link('<https://x/a?b=1,2;3>; rel="next"; title="t, u; \\"v\\""') == [
        ("https://x/a?b=1,2;3", {"rel": "next", "title": 't, u; "v"'})
    ]
    assert parse_link("<a>; rel=prev, <b> ; rel = next ;type=text/html, <c>") == [
        ("a", {"rel": "prev"}),
        ("b", {"rel": "next", "type": "text/html"}),
        ("c", {}),
    ]
    assert parse_link('<a>; rel="next"; rel="prev"') == [("a", {"rel": "next"})], "only the first rel counts"
    assert parse_link("<a>; crossorigin; rel=next") == [("a", {"crossorigin": "", "rel": "next"})]
    assert parse_link("") == [] and parse_link("garbage") == [] and parse_link("<unterminated") == []
    next_link = importlib.import_module("paged_client._runtime")._next_link
    assert next_link({"link": '<a>; rel="prev", <b>; rel="NEXT last"'}) == "b", "relation types are case-insensitive, space-separated"
    assert next_link({"link": '<a>; rel="nextish"'}) is None and next_link({}) is None


# -- detection on minimal specs ---------------------------------------------------------------

ITEM = {"type": "object", "properties": {"id": {"type": "string"}}}


def spec(operation: dict[str, Any], method: str = "get") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {method: {"operationId": "listThings", **operation}}},
    }


def listing(parameters: list[tuple[str, str]], body: dict[str, Any], headers: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "ok", "content": {"application/json": {"schema": body}}}
    if headers:
        response["headers"] = headers
    return {
        "parameters": [{"name": name, "in": "query", "schema": {"type": kind}} for name, kind in parameters],
        "responses": {"200": response},
        **extra,
    }


def pagination_of(document: dict[str, Any]) -> Any:
    api = parse.build_ir(document, "spec.yaml", "pkg")
    return api.groups[0].operations[0].pagination


def obj(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


ARRAY = {"type": "array", "items": ITEM}
STRING = {"type": "string", "nullable": True}


@pytest.mark.parametrize(
    ("parameters", "body", "headers", "expected"),
    [
        ([("page_token", "string")], obj(items=ARRAY, next_page_token=STRING), None, ("cursor", "page_token", ("items",), ("next_page_token",), "")),
        ([("pageToken", "string")], obj(messages=ARRAY, pageInfo=obj(nextPageToken=STRING)), None, ("cursor", "pageToken", ("messages",), ("pageInfo", "nextPageToken"), "")),
        ([("marker", "string")], obj(entries=ARRAY, next_marker=STRING), None, ("cursor", "marker", ("entries",), ("next_marker",), "")),
        ([("iterator", "string")], obj(data=ARRAY, iterator=STRING, done={"type": "boolean"}), None, ("cursor", "iterator", ("data",), ("iterator",), "")),
        ([("starting_after", "string")], obj(data=ARRAY, has_more={"type": "boolean"}), None, ("cursor", "starting_after", ("data",), (), "id")),
        ([("after", "string")], obj(data=ARRAY, response_metadata=obj(next_cursor=STRING)), None, ("cursor", "after", ("data",), ("response_metadata", "next_cursor"), "")),
        ([("cursor", "string")], obj(events=obj(results=ARRAY, cursor=STRING)), None, ("cursor", "cursor", ("events", "results"), ("events", "cursor"), "")),
        ([("pageToken", "string")], ARRAY, None, ("link", None, (), (), "")),
        ([], ARRAY, {"Link": {"schema": {"type": "string"}}}, ("link", None, (), (), "")),
        ([], obj(results=ARRAY, next={"type": "string", "format": "uri", "nullable": True}), None, ("url", None, ("results",), ("next",), "")),
        ([], obj(data=ARRAY, next_page_uri=STRING), None, ("url", None, ("data",), ("next_page_uri",), "")),
        ([], obj(data=ARRAY, links=obj(next=STRING)), None, ("url", None, ("data",), ("links", "next"), "")),
        ([("offset", "integer"), ("limit", "integer")], obj(data=ARRAY, next_cursor=STRING), None, ("offset", "offset", ("data",), (), "")),
    ],
    ids=[
        "page_token", "pageInfo.nextPageToken", "box-marker", "svix-iterator", "stripe-has_more", "slack-response_metadata",
        "envelope", "array-body-link", "declared-link-header", "drf-next", "twilio-next_page_uri", "links.next", "offset-first",
    ],
)
def test_detection(parameters: list[tuple[str, str]], body: dict[str, Any], headers: dict[str, Any] | None, expected: tuple[Any, ...]) -> None:
    found = pagination_of(spec(listing(parameters, body, headers)))
    assert found is not None, f"no pagination detected for {parameters} / {body}"
    position = found.position.wire_name if found.position is not None else None
    assert (found.style, position, found.items, found.next, found.item_cursor) == expected


@pytest.mark.parametrize(
    ("parameters", "body", "method"),
    [
        ([("after", "string")], obj(data=ARRAY), "get"),  # a cursor parameter, but nowhere to read the next one
        ([("q", "string")], obj(data=ARRAY, count={"type": "integer"}), "get"),  # no paging parameter or field
        ([], obj(data=ARRAY, next=STRING), "post"),  # next URLs are only followed for GET by detection
        ([("cursor", "string")], obj(alpha=ARRAY, beta=ARRAY, next_cursor=STRING), "get"),  # which array holds the items?
    ],
    ids=["no-next-cursor", "nothing", "post-next-url", "two-arrays"],
)
def test_no_detection(parameters: list[tuple[str, str]], body: dict[str, Any], method: str) -> None:
    assert pagination_of(spec(listing(parameters, body), method)) is None


def test_a_cursor_without_a_next_field_is_reported() -> None:
    warnings: list[Any] = []
    api = parse.build_ir(spec(listing([("after", "string")], obj(data=ARRAY))), "spec.yaml", "pkg", warn=warnings.append)
    assert api.groups[0].operations[0].pagination is None
    assert [(w.pointer, "'after' looks like a page cursor" in w.message) for w in warnings] == [("/paths/~1things/get/parameters", True)]


# -- x-clientsmith-pagination errors ----------------------------------------------------------

CURSOR_LISTING = listing([("token", "string"), ("limit", "integer")], obj(data=ARRAY, meta=obj(next=STRING, total={"type": "integer"})))
AT = "/paths/~1things/get/x-clientsmith-pagination"


@pytest.mark.parametrize(
    ("declared", "pointer", "message"),
    [
        ("cursor", "", "must be false or an object"),
        ({"style": "cursor", "cursor": "token", "next": "/meta/next", "nxt": 1}, "/nxt", "unknown key 'nxt'"),
        ({"style": "keyset"}, "/style", "style 'keyset' is not one of offset, page, cursor, link, url"),
        ({"next": "/meta/next"}, "", "'style' is required"),
        ({"style": "cursor", "cursor": "tokn", "next": "/meta/next"}, "/cursor", "'tokn' is not a query parameter of this operation (its query parameters: token, limit)"),
        ({"style": "cursor", "cursor": "token", "next": "/meta/nope"}, "/next", "'/meta/nope': the 200 response body has no such field"),
        ({"style": "cursor", "cursor": "token", "next": "/data"}, "/next", "'/data' is a array in the 200 response body; expected string or integer"),
        ({"style": "cursor", "cursor": "token", "next": "/meta/next", "items": "/meta"}, "/items", "is a object in the 200 response body; expected array"),
        ({"style": "cursor", "cursor": "token"}, "", "style 'cursor' needs where the next cursor is"),
        ({"style": "url", "items": "/meta/nope"}, "/items", "'/meta/nope': the 200 response body has no such field"),
        ({"style": "link", "next": "/meta/next"}, "/next", "'next' does not apply to style 'link'"),
        ({"style": "offset", "start": "1"}, "/start", "'start' must be an integer"),
        ({"style": "page", "page": "token"}, "/page", "query parameter 'token' is not an integer"),
        ({"style": "cursor", "cursor": "token", "next": 3}, "/next", "3 is not a JSON Pointer"),
    ],
    ids=[
        "not-an-object", "unknown-key", "bad-style", "no-style", "no-such-parameter", "no-such-field", "wrong-kind", "items-not-array",
        "cursor-without-next", "items-not-found", "key-for-another-style", "start-not-integer", "page-not-integer", "pointer-not-string",
    ],
)
def test_extension_errors_name_the_pointer(declared: Any, pointer: str, message: str) -> None:
    document = spec({**copy.deepcopy(CURSOR_LISTING), "x-clientsmith-pagination": declared})
    with pytest.raises(SpecError) as caught:
        parse.build_ir(document, "spec.yaml", "pkg")
    found = [(p.pointer, p.message) for p in caught.value.problems]
    assert any(where == AT + pointer and message in text for where, text in found), f"expected {AT + pointer}: ...{message}..., got {found}"
    assert all(text.startswith("x-clientsmith-pagination: ") for _, text in found)


def test_extension_url_style_needs_a_next_url() -> None:
    document = spec({**listing([], obj(data=ARRAY)), "x-clientsmith-pagination": {"style": "url"}})
    with pytest.raises(SpecError) as caught:
        parse.build_ir(document, "spec.yaml", "pkg")
    assert [(p.pointer, p.message) for p in caught.value.problems] == [
        (AT, "x-clientsmith-pagination: style 'url' needs the response field holding the next page's URL: name it with 'next'")
    ]


def test_extension_declares_every_style() -> None:
    declared = {"style": "cursor", "cursor": "token", "next": "/meta/next", "size": "limit"}
    found = pagination_of(spec({**copy.deepcopy(CURSOR_LISTING), "x-clientsmith-pagination": declared}))
    assert (found.style, found.position.wire_name, found.items, found.next, found.size.wire_name) == ("cursor", "token", ("data",), ("meta", "next"), "limit")
    url = pagination_of(spec({**copy.deepcopy(CURSOR_LISTING), "x-clientsmith-pagination": {"style": "url", "next": "/meta/next"}}))
    assert (url.style, url.position, url.next) == ("url", None, ("meta", "next"))
    link = pagination_of(spec({**copy.deepcopy(CURSOR_LISTING), "x-clientsmith-pagination": {"style": "link"}}))
    assert (link.style, link.items) == ("link", ("data",))
    body_array = listing([], ARRAY)
    root = pagination_of(spec({**body_array, "x-clientsmith-pagination": {"style": "link", "items": ""}}))
    assert root.items == (), "'' points at the body itself"
    offset = pagination_of(spec({**listing([("skip", "integer"), ("top", "integer")], obj(value=ARRAY)), "x-clientsmith-pagination": {"style": "offset", "offset": "skip", "size": "top", "start": 5}}))
    assert (offset.style, offset.position.wire_name, offset.size.wire_name, offset.start, offset.items) == ("offset", "skip", "top", 5, ("value",))


# -- a corpus client: Bandwidth (Link header for calls, pageInfo.nextPageToken for messages) --

BANDWIDTH = ROOT.parent / "shared" / "corpus" / "bandwidth.yaml"


@pytest.fixture(scope="module")
def bandwidth(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if not BANDWIDTH.exists():
        pytest.fail(f"{BANDWIDTH} is missing: the corpus (../shared/corpus) must be next to the project")
    out = tmp_path_factory.mktemp("bandwidth")
    pipeline.generate(BANDWIDTH, "bandwidth_paged", out / "bandwidth_paged")
    sys.path.insert(0, str(out / "bandwidth_paged"))
    return importlib.import_module("bandwidth_paged")


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_bandwidth_calls_follow_the_link_header(bandwidth: Any, server: FaultServer, flavour: str) -> None:
    call_state = {"callId": "c-1", "accountId": "a1"}
    server.script(
        Reply(200, [call_state, {**call_state, "callId": "c-2"}], {"link": '</accounts/a1/calls?pageSize=2&pageToken=t2>; rel="next"'}),
        Reply(200, [{**call_state, "callId": "c-3"}]),
    )

    async def main() -> list[str]:
        if flavour == "sync":
            with bandwidth.Client(base_url=server.url, access_token="tok") as client:
                return [c.call_id for c in client.calls.iter_list_calls("a1", page_size=2)]
        async with bandwidth.AsyncClient(base_url=server.url, access_token="tok") as client:
            return [c.call_id async for c in client.calls.iter_list_calls("a1", page_size=2)]

    assert asyncio.run(main()) == ["c-1", "c-2", "c-3"]
    assert [(r.path, query(r).get("pageToken")) for r in server.received] == [("/accounts/a1/calls", None), ("/accounts/a1/calls", ["t2"])]
    assert all(r.headers["authorization"] == "Bearer tok" for r in server.received)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_bandwidth_messages_send_the_next_page_token(bandwidth: Any, server: FaultServer, flavour: str) -> None:
    server.script(
        Reply(200, {"totalCount": 3, "pageInfo": {"nextPageToken": "GL83"}, "messages": [{"messageId": "m1"}, {"messageId": "m2"}]}),
        Reply(200, {"totalCount": 3, "pageInfo": {}, "messages": [{"messageId": "m3"}]}),
    )

    async def main() -> list[str]:
        if flavour == "sync":
            with bandwidth.Client(base_url=server.url, basic_auth=("u", "p")) as client:
                first = client.messages.list_messages_pages("a1")
                return [m.message_id for page in first.iter_pages() for m in page.items]
        async with bandwidth.AsyncClient(base_url=server.url, basic_auth=("u", "p")) as client:
            first = await client.messages.list_messages_pages("a1")
            return [m.message_id async for page in first.iter_pages() for m in page.items]

    assert asyncio.run(main()) == ["m1", "m2", "m3"]
    assert [query(r).get("pageToken") for r in server.received] == [None, ["GL83"]]


def test_inline_items_keep_the_class_of_the_response_model() -> None:
    inline_item = {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}}
    builder = parse._Builder(spec(listing([("cursor", "string")], obj(data=inline_item, next_cursor=STRING))), "spec.yaml", "pkg")
    found = builder.build().groups[0].operations[0].pagination
    response = builder.model_schemas["ListThings200Response"]["properties"]["data"]["items"]["$ref"]
    assert response.endswith("/" + found.item_annotation), f"the items are {response}, the page says {found.item_annotation}"
    assert sorted(builder.model_schemas) == ["ListThings200Response", found.item_annotation], "no second class for the same items"
