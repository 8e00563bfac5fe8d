"""verify on the form wire (Stripe): what it draws for values sent as form pairs, and how the
oracle reads ``deepObject`` fields of multipart bodies.

A form pair cannot say "empty": ``a[b]`` with no members or ``a[]`` with no items send nothing.
verify must not draw such values there (a required ``business_profile: {}`` is a value no
client can send), and only there. Multipart ``deepObject`` fields are read the way Stripe's
SDKs send them, one part per ``name[member]``.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from generator.verify.oracle import BASE_URL, Oracle
from generator.verify.schemas import Converter, strategy

SCHEMAS: dict[str, Any] = {
    # Stripe's shapes: objects whose members are all optional, lists, and "" to unset
    "Profile": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 5},
            "support": {"$ref": "#/components/schemas/Support"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}},
        },
    },
    "Support": {
        "type": "object",
        "properties": {
            "address": {"type": "object", "properties": {"city": {"type": "string"}, "lines": {"type": "array", "items": {"type": "string"}}}},
            "metadata": {"anyOf": [{"type": "object", "additionalProperties": {"type": "string"}}, {"type": "string", "enum": [""]}]},
        },
    },
}
BODY: dict[str, Any] = {
    "type": "object",
    "required": ["business_profile", "ids"],
    "properties": {
        "business_profile": {"$ref": "#/components/schemas/Profile"},
        "ids": {"type": "array", "items": {"type": "string"}},
        "as_json": {"$ref": "#/components/schemas/Profile"},
    },
}


def _document() -> dict[str, Any]:
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": SCHEMAS}}


def _empties(value: Any, where: str = "") -> list[str]:
    """The places in ``value`` holding an empty object or list."""
    if isinstance(value, dict):
        found = [where or "(value)"] if not value else []
        return found + [place for key, item in value.items() for place in _empties(item, f"{where}/{key}")]
    if isinstance(value, list):
        found = [where or "(value)"] if not value else []
        return found + [place for index, item in enumerate(value) for place in _empties(item, f"{where}/{index}")]
    return []


def _draws(converted: Any, count: int = 200) -> list[Any]:
    drawn: list[Any] = []

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy(converted))
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_values_on_the_form_wire_hold_no_empty_object_or_list() -> None:
    converted = Converter(_document(), "request").convert(BODY, form_wire=frozenset({"business_profile", "ids"}))
    drawn = _draws(converted)
    on_wire = [(value, place) for value in drawn for place in _empties(value) if place.startswith(("/business_profile", "/ids"))]
    assert not on_wire, f"drawn empty where the form wire cannot say empty: {on_wire[:3]}"
    assert all(value["business_profile"] and value["ids"] for value in drawn)
    # the constraint stays where it belongs: a property sent as JSON text may still be empty
    assert any(place.startswith("/as_json") for value in drawn for place in _empties(value)), (
        "as_json (not on the form wire) was never drawn empty: the constraint leaked beyond the marked properties"
    )


def test_a_whole_value_on_the_form_wire_is_non_empty_at_every_depth() -> None:
    converted = Converter(_document(), "request").convert({"$ref": "#/components/schemas/Profile"}, form_wire=True)
    drawn = _draws(converted)
    found = [(value, place) for value in drawn for place in _empties(value)]
    assert not found, f"drawn empty on the form wire: {found[:3]}"
    # not the only value it can draw: members still come and go
    assert len({tuple(sorted(value)) for value in drawn}) > 2, drawn[:5]


def test_without_form_wire_empty_values_are_still_drawn() -> None:
    converted = Converter(_document(), "request").convert({"$ref": "#/components/schemas/Profile"})
    assert any(_empties(value) for value in _draws(converted)), "JSON bodies may hold {} and [], and verify must keep drawing them"


def test_below_the_recursion_cut_the_form_wire_still_draws_something() -> None:
    """Past the recursion limit only required members are drawn; an object without any keeps
    one member on the form wire, so it is not drawn empty (nor made undrawable)."""
    schemas = {
        "Node": {
            "type": "object",
            "properties": {"label": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"}, "items": {"type": "array", "items": {"type": "integer"}}},
        }
    }
    document = {**_document(), "components": {"schemas": schemas}}
    converted = Converter(document, "request").convert({"$ref": "#/components/schemas/Node"}, form_wire=True)
    drawn = _draws(converted)
    found = [(value, place) for value in drawn for place in _empties(value)]
    assert not found, f"drawn empty below the recursion cut: {found[:3]}"
    assert any("child" in value and "child" in value["child"] for value in drawn), "recursion was not explored at all"


# -- the oracle: multipart deepObject fields ---------------------------------------------
def _multipart_spec() -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": ["purpose", "link"],
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "purpose": {"type": "string"},
            "expand": {"type": "array", "items": {"type": "string"}},
            "link": {
                "type": "object",
                "required": ["create"],
                "properties": {
                    "create": {"type": "boolean"},
                    "expires_at": {"type": "integer"},
                    "metadata": {"anyOf": [{"type": "object", "additionalProperties": {"type": "string"}}, {"type": "string", "enum": [""]}]},
                },
            },
        },
    }
    encoding = {"expand": {"style": "deepObject", "explode": True}, "link": {"style": "deepObject", "explode": True}}
    content = {"multipart/form-data": {"schema": schema, "encoding": encoding}}
    operation = {"requestBody": {"required": True, "content": content}, "responses": {"204": {"description": "done"}}}
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": BASE_URL}], "paths": {"/files": {"post": operation}}}


def _multipart(parts: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bytes]:
    boundary = "VerifyBoundary7"
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in parts)
    return [("Content-Type", f"multipart/form-data; boundary={boundary}")], body + f"--{boundary}--\r\n".encode()


def test_multipart_deep_object_fields_are_read_as_stripe_sends_them() -> None:
    """``link[create]=true`` and ``expand[0]=a`` parts (what Stripe's SDKs send) read back as the
    typed values, cast by their schema; openapi-core alone refused every such body."""
    headers, body = _multipart(
        [("purpose", "identity"), ("link[create]", "true"), ("link[expires_at]", "17"), ("link[metadata][k]", "v"), ("expand[0]", "a"), ("expand[1]", "b")]
    )
    reading = Oracle(_multipart_spec()).read("/files", "POST", f"{BASE_URL}/files", headers, body)
    assert reading.errors == [], reading.errors
    assert reading.body == {"purpose": "identity", "link": {"create": True, "expires_at": 17, "metadata": {"k": "v"}}, "expand": ["a", "b"]}
    assert reading.deep_fields == {"expand", "link"}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        # a JSON part is not what a deepObject field sends: the server reads a string
        ([("purpose", "p"), ("link", '{"create":true}')], "multipart link (deepObject, read by qs-codec): (value): '{\"create\":true}' is not of type 'object'"),
        # a list sent as a repeated name without indices: one item reads as a string
        ([("purpose", "p"), ("link[create]", "false"), ("expand", "a")], "multipart expand (deepObject, read by qs-codec): (value): 'a' is not of type 'array'"),
        ([("purpose", "p"), ("link[create]", "maybe")], "multipart link (deepObject, read by qs-codec): create: 'maybe' is not of type 'boolean'"),
        ([("purpose", "p")], "multipart link (deepObject, read by qs-codec): required, but not sent"),
    ],
)
def test_multipart_deep_object_fields_are_checked(parts: list[tuple[str, str]], message: str) -> None:
    headers, body = _multipart(parts)
    reading = Oracle(_multipart_spec()).read("/files", "POST", f"{BASE_URL}/files", headers, body)
    assert message in reading.errors, f"expected {message!r}, the oracle said {reading.errors}"


# -- the shrink budget -------------------------------------------------------------------
def _checker(shrink_seconds: float) -> Any:
    """An OperationChecker with only what ``_run`` reads (no package: the check is a function)."""
    from generator.verify.runner import Budget, OperationChecker

    checker = OperationChecker.__new__(OperationChecker)
    checker.budget = Budget(examples=100, seed=1, shrink_seconds=shrink_seconds)
    checker.failures = []
    checker.skipped = []
    return checker


def _slow_check(calls: list[list[int]]) -> Any:
    from generator.verify.runner import CheckFailed

    def check(value: list[int]) -> None:
        calls.append(value)
        time.sleep(0.02)  # a Stripe-sized call: every shrink step costs time
        if sum(value) > 100:
            raise CheckFailed("#/paths/~1x/post", f"sum {sum(value)} is too large")

    return check


def test_a_failure_is_reported_when_the_shrink_budget_is_spent() -> None:
    """Past the budget the smallest failing example found so far is reported, not a minimal one
    that took minutes: it is a real failure (it fails the check) and says it may not be minimal."""
    from hypothesis import strategies as st

    op = SimpleNamespace(group="g", py_name="m")
    drawn = st.lists(st.integers(0, 10**6), min_size=5, max_size=30)
    checker = _checker(shrink_seconds=0.3)
    calls: list[list[int]] = []
    started = time.monotonic()
    outcome = checker._run(op, "#/paths/~1x/post", "request", drawn, _slow_check(calls))
    assert outcome == "FAIL", f"{outcome}: {checker.skipped}"
    spent = time.monotonic() - started
    assert spent < 10, f"the check took {spent:.1f} s with a 0.3 s shrink budget"
    [failure] = checker.failures
    assert failure.operation == "g.m" and failure.check == "request"
    assert "maybe not minimal" in failure.message and "is too large" in failure.message, failure.message
    example = json.loads(failure.example)
    assert sum(example) > 100, f"the reported example {example} does not fail the check"

    # with time to spare, the same failure shrinks all the way (and says nothing about a budget)
    unhurried = _checker(shrink_seconds=600)
    outcome = unhurried._run(op, "#/paths/~1x/post", "request", drawn, _slow_check([]))
    assert outcome == "FAIL", f"{outcome}: {unhurried.skipped}"
    [minimal] = unhurried.failures
    assert "maybe not minimal" not in minimal.message, minimal.message
    assert sum(json.loads(minimal.example)) == 101, minimal.example


def test_a_value_that_cannot_be_drawn_is_reported_as_a_skip_on_the_same_clock() -> None:
    """Hypothesis shrinks an error raised while drawing like a failure (minutes on Stripe, with
    no call of the check to look at the clock): drawing errors start the clock too."""
    from hypothesis import strategies as st

    op = SimpleNamespace(group="g", py_name="m")
    # one option of three raises when drawn (a collection of nothing with a non-zero max_size)
    drawn = st.one_of(st.integers(), st.text(), st.lists(st.nothing(), max_size=4))
    checker = _checker(shrink_seconds=0.0)
    assert checker._run(op, "#/paths/~1x/post", "response", drawn, lambda value: time.sleep(0.01)) == "skip"
    assert checker.failures == []
    [skipped] = checker.skipped
    assert "g.m: response: cannot draw examples: Cannot create a collection of max_size=4" in skipped, skipped


def test_an_array_whose_items_cannot_be_drawn_is_drawn_empty() -> None:
    """Past the depth cut nothing is drawn (``false``): such an array can only be empty, and
    drawing it must not raise (hypothesis refuses lists of nothing with max_size > 0)."""
    assert {repr(value) for value in _draws({"type": "array", "items": False}, 20)} == {"[]"}
    assert strategy({"type": "array", "items": False, "minItems": 1}).is_empty
