"""Conventions the IR builder recognises where a spec does not say: pagination and idempotency.

Each rule can be declared instead (``x-clientsmith-pagination``, ``x-clientsmith-idempotency``)
and the names below are only what detection looks for when nothing is declared.
"""

from __future__ import annotations

import re
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
