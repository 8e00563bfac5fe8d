"""Conventions the IR builder recognises where a spec does not say: pagination and idempotency.

Each rule can be declared instead (``x-clientsmith-pagination``, ``x-clientsmith-idempotency``)
and the names below are only what detection looks for when nothing is declared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.pipeline import ir, pytypes

OFFSET_PARAMETERS = ("offset", "skip", "start")
PAGE_PARAMETERS = ("page", "pageNumber", "page_number", "pageNo")
SIZE_PARAMETERS = ("limit", "pageSize", "page_size", "per_page", "perPage", "size", "count")
ITEM_FIELDS = ("results", "items", "data", "entries", "records", "values", "content")
TOTAL_FIELDS = ("total_count", "totalCount", "total_entries", "totalEntries", "totalResults", "total_results", "total", "count")
_IDEMPOTENCY_HEADER = re.compile(r"^idempotency[-_]?key$", re.IGNORECASE)


def page_parameters(
    declared: dict[str, Any], query: list[ir.Parameter]
) -> tuple[str, ir.Parameter, ir.Parameter | None] | None:
    """(style, the offset or page-number parameter, the page-size parameter) of a numbered-page
    operation: named by ``declared`` (``x-clientsmith-pagination``: style, offset, page, size)
    or found among the query parameters; None for anything else (string cursors included)."""
    by_name = {p.wire_name: p for p in query}

    def pick(key: str, candidates: tuple[str, ...]) -> ir.Parameter | None:
        wanted = declared.get(key)
        if isinstance(wanted, str):
            return by_name.get(wanted)
        return next((by_name[name] for name in candidates if name in by_name), None)

    style = declared.get("style")
    size = pick("size", SIZE_PARAMETERS)
    position = None
    if style in (None, "offset"):
        position = pick("offset", OFFSET_PARAMETERS)
        style = "offset" if position is not None else None
    if position is None and declared.get("style") in (None, "page"):
        position = pick("page", PAGE_PARAMETERS)
        style = "page" if position is not None else None
    if position is None or style is None or position.type not in (pytypes.INT, pytypes.FLOAT):
        return None
    return style, position, size


def items_field(properties: dict[str, Any]) -> str | None:
    """The array of items in a page object: a conventional name, else its only array."""
    for name in ITEM_FIELDS:
        if name in properties:
            return name
    arrays = [name for name, prop in properties.items() if isinstance(prop, dict) and (prop.get("type") == "array" or "array" in (prop.get("type") or []))]
    return arrays[0] if len(arrays) == 1 else None


def total_field(properties: dict[str, Any]) -> str | None:
    """The total count in a page object, if it has one of the conventional names."""
    return next((name for name in TOTAL_FIELDS if name in properties), None)


def idempotency_header(operation: dict[str, Any], parameters: list[ir.Parameter]) -> str:
    """``x-clientsmith-idempotency`` (a header name, or true for ``Idempotency-Key``), else a declared
    ``Idempotency-Key`` header parameter; "" when the operation has none."""
    declared = operation.get("x-clientsmith-idempotency")
    if isinstance(declared, str) and declared:
        return declared
    if declared is True:
        return "Idempotency-Key"
    for param in parameters:
        if param.location == "header" and _IDEMPOTENCY_HEADER.match(param.wire_name):
            return param.wire_name
    return ""


# -- cursors, Link headers and next-page URLs --------------------------------------------

#: Query parameters that carry an opaque cursor (strings only: ``after`` is often a date).
CURSOR_PARAMETERS = (
    "cursor", "page_token", "pageToken", "starting_after", "after", "marker", "iterator",
    "next_page_token", "nextPageToken", "continuation_token", "continuationToken",
    "next_token", "nextToken", "page_cursor", "pageCursor", "start_cursor", "startCursor",
)
#: Response fields holding the next page's cursor (the request parameter's own name first).
NEXT_CURSOR_FIELDS = (
    "next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken",
    "next_marker", "nextMarker", "continuation_token", "continuationToken", "cursor",
    "iterator", "endCursor", "end_cursor",
)
#: Response fields holding the next page's URL (strings).
NEXT_URL_FIELDS = (
    "next", "next_page_uri", "next_page_url", "nextPageUri", "nextPageUrl", "next_url",
    "nextUrl", "nextLink", "@odata.nextLink", "next_link",
)
#: Booleans saying more pages follow / this is the last page.
HAS_MORE_FIELDS = ("has_more", "hasMore", "has_next", "hasNext", "has_next_page", "hasNextPage", "more")
DONE_FIELDS = ("done", "is_last", "isLast", "last_page")
#: Objects that commonly hold the paging fields beside the items (``pageInfo.nextPageToken``,
#: ``links.next``, Slack's ``response_metadata.next_cursor``).
ENVELOPE_FIELDS = ("pagination", "pageInfo", "page_info", "paging", "meta", "metadata", "response_metadata", "links", "_links", "cursor")
#: Request parameters the extension may name, by style.
DECLARED_PARAMETERS = {"offset": "offset", "page": "page", "cursor": "cursor"}
STYLES = ("offset", "page", "cursor", "link", "url")
EXTENSION_KEYS = ("style", "offset", "page", "cursor", "size", "start", "items", "total", "next", "next_from_item", "has_more", "done")


def cursor_parameter(query: list[ir.Parameter], wanted: str | None = None) -> ir.Parameter | None:
    """The query parameter carrying a cursor: ``wanted`` by wire name, else a conventional
    name whose type is a string."""
    by_name = {p.wire_name: p for p in query}
    if wanted is not None:
        return by_name.get(wanted)
    for name in CURSOR_PARAMETERS:
        param = by_name.get(name)
        if param is not None and pytypes.without_none(param.type) == pytypes.STR:
            return param
    return None


def declares_link_header(response: dict[str, Any]) -> bool:
    """Whether a response declares a ``Link`` header."""
    headers = response.get("headers")
    return isinstance(headers, dict) and any(str(name).lower() == "link" for name in headers)


class Shapes:
    """Reads paging fields out of a response schema; ``resolve`` follows a ``$ref`` (or returns
    the schema itself), ``properties`` merges an object's properties with its ``allOf``."""

    def __init__(self, resolve: Callable[[Any], dict[str, Any]], properties: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.resolve = resolve
        self.properties = properties

    def unwrap(self, schema: Any) -> dict[str, Any]:
        """The schema, with a ``$ref`` followed and a nullable ``anyOf``/``oneOf`` narrowed to its one other option."""
        resolved = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            options = [self.resolve(o) for o in resolved.get(key) or [] if isinstance(o, dict)]
            real = [o for o in options if o.get("type") != "null"]
            if len(real) == 1 and real[0] is not resolved:
                return self.unwrap(real[0])
        return resolved

    def kind(self, schema: Any) -> str | None:
        schema = self.unwrap(schema)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind is None and ("properties" in schema or "allOf" in schema):
            return "object"
        return kind if isinstance(kind, str) else None

    def field(self, schema: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
        """The schema at ``path`` (wire names) below ``schema``; None if it has no such field."""
        current = self.unwrap(schema)
        for name in path:
            prop = self.properties(current).get(name)
            if not isinstance(prop, dict):
                return None
            current = self.unwrap(prop)
        return current

    def items_path(self, schema: Any) -> tuple[str, ...] | None:
        """Where the items are: () for a top-level array, a conventional or only array field,
        or one inside the body's only object field (``{"events": {"results": [...]}}``)."""
        if self.kind(schema) == "array":
            return ()
        properties = self.properties(self.unwrap(schema))
        found = self._array_field(properties)
        if found is not None:
            return (found,)
        objects = [name for name, prop in properties.items() if isinstance(prop, dict) and self.kind(prop) == "object"]
        if len(objects) == 1:
            inner = self._array_field(self.properties(self.unwrap(properties[objects[0]])))
            if inner is not None:
                return (objects[0], inner)
        return None

    def _array_field(self, properties: dict[str, Any]) -> str | None:
        for name in ITEM_FIELDS:
            if isinstance(properties.get(name), dict) and self.kind(properties[name]) == "array":
                return name
        arrays = [name for name, prop in properties.items() if isinstance(prop, dict) and self.kind(prop) == "array"]
        return arrays[0] if len(arrays) == 1 else None

    def find(self, schema: Any, names: tuple[str, ...], kinds: tuple[str, ...], near: tuple[str, ...] = ()) -> tuple[str, ...] | None:
        """The first of ``names`` (of one of ``kinds``) at the top level, beside the items
        (``near``: the items' parent path), or inside a conventional envelope object."""
        places = [()] + ([near] if near else []) + [(name,) for name in ENVELOPE_FIELDS]
        for place in places:
            parent = self.field(schema, place)
            if parent is None or self.kind(parent) != "object":
                continue
            properties = self.properties(parent)
            for name in names:
                prop = properties.get(name)
                if isinstance(prop, dict) and self.kind(prop) in kinds:
                    return (*place, name)
        return None

    def next_url(self, schema: Any, near: tuple[str, ...] = ()) -> tuple[str, ...] | None:
        found = self.find(schema, NEXT_URL_FIELDS, ("string",), near)
        if found is None:
            href = self.field(schema, ("_links", "next", "href"))  # HAL
            if href is not None and self.kind(href) == "string":
                return ("_links", "next", "href")
        return found
