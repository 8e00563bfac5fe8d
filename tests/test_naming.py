"""Naming rules (generator/pipeline/naming.py): every Python name clientsmith emits.

Names are the public API of a generated client: a change here renames methods
and arguments in every user's code. When an expectation below fails, either
the change was accidental (fix generator/pipeline/naming.py) or deliberate (update the
expectation here *and* the naming rules documented in README.md).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import keyword
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.pipeline import naming

ROOT = Path(__file__).resolve().parents[1]

# Soft keywords of every Python the generated code may run on (3.11 lists
# only _/case/match; 3.12 added type). Output must not depend on the
# interpreter that runs the generator.
SOFT_KEYWORDS = {"_", "case", "match", "type"}

# Names the generated method signatures use for their own arguments.
RESERVED_PARAMETERS = {"self", "cls", "timeout", "retries", "extra_headers", "extra_query", "idempotent"}




def _generated_client() -> Any:
    """A real generated Client class (the Airbyte seed client: it has no credentials), to read names from."""
    sys.path.insert(0, str(ROOT / "generated" / "airbyte_config_api_client"))
    try:
        return importlib.import_module("airbyte_config_api_client").Client
    finally:
        sys.path.remove(str(ROOT / "generated" / "airbyte_config_api_client"))


# Read from a real generated client, not kept by hand: the arguments of Client.__init__ besides
# the credentials (the Airbyte client has none) ...
CLIENT_INIT_ARGUMENTS = set(inspect.signature(_generated_client().__init__).parameters) | {"self"}

# Names the modules that use models import beside them: what every generated resource module
# and models.py import (read from the generated seed packages), and the names models.py and
# the resources get from typing and pydantic.
def _imported_next_to_models() -> set[str]:
    names: set[str] = set()
    for module in (ROOT / "generated").glob("*/*/resources/*.py"):
        tree = ast.parse(module.read_text("utf-8"))
        imports = [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.level and node.module == "_runtime"]
        names.update(alias.asname or alias.name for node in imports for alias in node.names)
    return names


RUNTIME_CLASSES = _imported_next_to_models() | {
    "Any", "BaseModel", "Client", "AsyncClient", "Field", "List", "Dict", "Optional", "Union", "Literal", "RootModel", "ConfigDict",
    "OpenEnum", "OpenStrEnum", "OpenIntEnum", "FileInput",
}  # fmt: skip

# ... and the attributes of a Client a resource-group property must not shadow: its methods and
# what its constructor sets, minus the resource groups of the Airbyte client itself.
_CLIENT = _generated_client()
_INSTANCE = _CLIENT(base_url="http://127.0.0.1:9")
CLIENT_ATTRIBUTES = {
    name for name in {*dir(_CLIENT), *vars(_INSTANCE)} if not name.startswith("_") and not isinstance(getattr(_CLIENT, name, None), functools.cached_property)
}
_INSTANCE.close()


def assert_valid_identifier(name: str, produced_by: str) -> None:
    assert name.isidentifier(), f"{produced_by} produced {name!r}, not a Python identifier; fix generator/pipeline/naming.py"
    assert not keyword.iskeyword(name), f"{produced_by} produced the keyword {name!r}; it must get a suffix (safe_identifier)"
    assert name not in SOFT_KEYWORDS, (
        f"{produced_by} produced the soft keyword {name!r}; soft keywords get a suffix so output is the same on every Python"
    )


# -- snake_case / pascal_case ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "snake", "pascal"),
    [
        ("getConnectionsV2", "get_connections_v2", "GetConnectionsV2"),
        ("HTTPServer", "http_server", "HttpServer"),
        ("getHTTPResponseCode", "get_http_response_code", "GetHttpResponseCode"),
        ("userID", "user_id", "UserId"),
        ("ID", "id", "Id"),
        ("ABC123Def", "abc123_def", "Abc123Def"),
        ("v2Items", "v2_items", "V2Items"),
        ("item2Go", "item2_go", "Item2Go"),
        ("list_connections", "list_connections", "ListConnections"),
        ("foo-bar.baz", "foo_bar_baz", "FooBarBaz"),
        ("x-api-key", "x_api_key", "XApiKey"),
        ("page[size]", "page_size", "PageSize"),
        ("$filter", "filter", "Filter"),
        ("a__b", "a_b", "AB"),
        ("__init__", "init", "Init"),
        ("  hello \t  world \n", "hello_world", "HelloWorld"),
        ("123abc", "123abc", "123abc"),
        ("Café Größe", "cafe_groe", "CafeGroe"),  # accents folded; ß has no ASCII form and is dropped
        ("Ünïcödé", "unicode", "Unicode"),
        ("日本語", "", ""),
        ("", "", ""),
        ("!!!", "", ""),
    ],
)
def test_snake_and_pascal_case(text: str, snake: str, pascal: str) -> None:
    assert naming.snake_case(text) == snake, (
        f"snake_case({text!r}) is {naming.snake_case(text)!r}, expected {snake!r}; "
        "this renames generated methods/arguments: fix naming.words() or update the documented rule"
    )
    assert naming.pascal_case(text) == pascal, (
        f"pascal_case({text!r}) is {naming.pascal_case(text)!r}, expected {pascal!r}; "
        "this renames generated classes: fix naming.words() or update the documented rule"
    )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_snake_case_is_lowercase_ascii_and_idempotent(text: str) -> None:
    snake = naming.snake_case(text)
    assert snake == "" or all(part and part.isascii() and part.isalnum() and part == part.lower() for part in snake.split("_")), (
        f"snake_case({text!r}) gave {snake!r}: expected lowercase ASCII words joined by single underscores"
    )
    assert naming.snake_case(snake) == snake, f"snake_case is not idempotent on {text!r}: {snake!r} -> {naming.snake_case(snake)!r}"
    pascal = naming.pascal_case(text)
    assert pascal.isascii() and "_" not in pascal, f"pascal_case({text!r}) gave {pascal!r}: expected ASCII letters/digits only"


# -- safe_identifier -----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("class", "class_"),
        ("import", "import_"),
        ("None", "None_"),
        ("async", "async_"),
        ("await", "await_"),
        ("match", "match_"),
        ("case", "case_"),
        ("type", "type_"),
        ("_", "__"),
        ("1abc", "n1abc"),
        ("2", "n2"),
        ("", "value"),
        ("pets", "pets"),
        ("print", "print"),
    ],
)
def test_safe_identifier(name: str, expected: str) -> None:
    got = naming.safe_identifier(name)
    assert got == expected, (
        f"safe_identifier({name!r}) is {got!r}, expected {expected!r}; keywords and soft keywords "
        "(including 'type', a soft keyword since 3.12) get '_', leading digits get 'n'"
    )


def test_safe_identifier_fallback() -> None:
    assert naming.safe_identifier("", fallback="param") == "param", "an empty name must become the fallback"


# -- method_name ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("operation_id", "method", "path", "override", "expected"),
    [
        (None, "GET", "/companies/{companyId}/connections", None, "companies_company_id_connections_get"),
        (None, "post", "/pets", None, "pets_post"),
        (None, "DELETE", "/{id}", None, "id_delete"),
        (None, "get", "/", None, "get"),
        (None, "get", "/日本", None, "get"),
        ("listConnections", "GET", "/x", None, "list_connections"),
        ("getHTTPStatus", "GET", "/x", None, "get_http_status"),
        ("listConnections", "GET", "/x", "my-override", "my_override"),
        ("listConnections", "GET", "/x", "", "list_connections"),  # empty override is ignored
        ("", "GET", "/things", None, "things_get"),  # empty operationId falls back to the path
        ("import", "GET", "/x", None, "import_"),
        ("class", "GET", "/x", None, "class_"),
        ("match", "GET", "/x", None, "match_"),
        ("type", "GET", "/x", None, "type_"),
        ("123go", "GET", "/x", None, "n123go"),
        ("日本", "GET", "/x", None, "call"),
        (None, "GET", "/x", "class", "class_"),
    ],
)
def test_method_name(operation_id: str | None, method: str, path: str, override: str | None, expected: str) -> None:
    got = naming.method_name(operation_id, method, path, override)
    assert got == expected, (
        f"method_name({operation_id!r}, {method!r}, {path!r}, override={override!r}) is {got!r}, expected {expected!r} "
        "(rule: x-clientsmith-name > snake_case(operationId) > path segments + method)"
    )
    assert_valid_identifier(got, "method_name")


@settings(max_examples=300, deadline=None)
@given(
    operation_id=st.none() | st.text(),
    http_method=st.sampled_from(["get", "put", "post", "delete", "options", "head", "patch", "trace"]),
    path=st.text(),
    override=st.none() | st.text(),
)
def test_method_name_is_always_an_identifier(operation_id: str | None, http_method: str, path: str, override: str | None) -> None:
    assert_valid_identifier(naming.method_name(operation_id, http_method, path, override), "method_name")


# -- group_name ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("tags", "override", "expected"),
    [
        ([], None, "default"),
        (["Pets"], None, "pets"),
        (["Data Sources", "Other"], None, "data_sources"),
        (["日本", "Second"], None, "second"),  # tags with no ASCII name are skipped
        (["class"], None, "class_"),
        (["list"], None, "list_"),  # builtins the generated code uses
        (["timeout"], None, "timeout_"),
        (["close"], None, "close_"),  # Client.close()
        (["Pets"], "Over Ride", "over_ride"),
        ([], "my-group", "my_group"),
    ],
)
def test_group_name(tags: list[str], override: str | None, expected: str) -> None:
    got = naming.group_name(tags, override)
    assert got == expected, f"group_name({tags!r}, {override!r}) is {got!r}, expected {expected!r}"
    assert_valid_identifier(got, "group_name")


def test_group_name_never_shadows_client_attributes() -> None:
    """A group becomes ``Client.<group>`` (a cached_property): it must not hide the client's own attributes."""
    offenders = []
    for tag in [*sorted(CLIENT_ATTRIBUTES), "Base URL"]:
        for source, got in (("tag", naming.group_name([tag])), ("x-clientsmith-group", naming.group_name([], tag))):
            if got in CLIENT_ATTRIBUTES:
                offenders.append(f"{source} {tag!r} -> {got!r}")
    assert not offenders, (
        f"group_name shadows Client attributes: {offenders}. Client.<group> would hide the runtime's own "
        "request()/close()/base_url/timeout/retries and break every call (e.g. tag 'request' -> "
        "\"'RequestResource' object is not callable\"). Make group_name avoid "
        f"{sorted(CLIENT_ATTRIBUTES)} for tags and x-clientsmith-group overrides alike"
    )


def test_group_class_name() -> None:
    assert naming.group_class_name("datasources_connections") == "DatasourcesConnections"
    assert naming.group_class_name("") == "Default", "an empty group must still give a class name"


# -- parameter_name / body_parameter_name ----------------------------------------
@pytest.mark.parametrize(
    ("wire_name", "override", "expected"),
    [
        ("pageSize", None, "page_size"),
        ("X-Request-ID", None, "x_request_id"),
        ("page[size]", None, "page_size"),
        ("$filter", None, "filter"),
        ("id", None, "id"),
        ("1st", None, "n1st"),
        ("", None, "param"),
        ("日本", None, "param"),
        ("class", None, "class_"),
        ("match", None, "match_"),
        ("type", None, "type_"),
        ("list", None, "list_"),
        ("timeout", None, "timeout_"),
        ("Timeout", None, "timeout_"),
        ("retries", None, "retries_"),
        ("extra_headers", None, "extra_headers_"),
        ("extraHeaders", None, "extra_headers_"),
        ("self", None, "self_"),
        ("cls", None, "cls_"),
        ("x", "timeout", "timeout_"),  # overrides are checked too
        ("x", "myName", "my_name"),
    ],
)
def test_parameter_name(wire_name: str, override: str | None, expected: str) -> None:
    got = naming.parameter_name(wire_name, override)
    assert got == expected, f"parameter_name({wire_name!r}, {override!r}) is {got!r}, expected {expected!r}"
    assert_valid_identifier(got, "parameter_name")
    assert got not in RESERVED_PARAMETERS, f"parameter_name produced the reserved argument name {got!r}"


def test_parameter_name_does_not_shadow_names_used_in_method_bodies() -> None:
    """Generated methods call ``cast(...)`` (typed returns) and ``warnings.warn`` (deprecated operations).

    A parameter with the same name shadows them inside the method, so e.g.
    ``GET /movies?cast=...`` fails at call time with "'str' object is not callable".
    """
    offenders = [name for name in ("cast", "warnings") if naming.parameter_name(name) == name]
    assert not offenders, (
        f"parameter_name keeps {offenders}, which shadow module-level names the generated method body uses; "
        "add them to naming._RESERVED_PARAMETERS"
    )


@settings(max_examples=300, deadline=None)
@given(wire_name=st.text(), override=st.none() | st.text())
def test_parameter_name_is_always_a_safe_identifier(wire_name: str, override: str | None) -> None:
    got = naming.parameter_name(wire_name, override)
    assert_valid_identifier(got, "parameter_name")
    assert got not in RESERVED_PARAMETERS, f"parameter_name({wire_name!r}, {override!r}) produced reserved {got!r}"


@pytest.mark.parametrize(
    ("schema_name", "override", "expected"),
    [
        (None, None, "body"),
        ("", None, "body"),
        ("Pet", None, "pet"),
        ("PetCreateRequest", None, "pet_create_request"),
        ("PetCreate", "myBody", "my_body"),
        (None, "payload", "payload"),
        ("Timeout", None, "timeout_"),
        ("class", None, "class_"),
        ("Self", None, "self_"),
    ],
)
def test_body_parameter_name(schema_name: str | None, override: str | None, expected: str) -> None:
    got = naming.body_parameter_name(schema_name, override)
    assert got == expected, f"body_parameter_name({schema_name!r}, {override!r}) is {got!r}, expected {expected!r}"


# -- inline_model_name / class_name ---------------------------------------------
def test_inline_model_name() -> None:
    assert naming.inline_model_name("list_connections", "200", "response") == "ListConnections200Response"
    assert naming.inline_model_name("create_pet", "request", "body") == "CreatePetRequestBody"
    assert naming.inline_model_name("get_x") == "GetX"
    assert naming.inline_model_name("list_connections", "200", "response") == naming.inline_model_name(
        "list_connections", "200", "response"
    ), "inline_model_name must be deterministic"


@pytest.mark.parametrize(
    ("schema_name", "expected"),
    [
        ("pet", "Pet"),
        ("pet_store", "PetStore"),
        ("HTTPServer", "HttpServer"),
        ("Client", "ClientModel"),
        ("AsyncClient", "AsyncClientModel"),
        ("BaseModel", "BaseModelModel"),
        ("Field", "FieldModel"),
        ("List", "ListModel"),
        ("Any", "AnyModel"),
        ("Optional", "OptionalModel"),
        ("ApiError", "ApiErrorModel"),
        ("1Thing", "Model1Thing"),
        ("", "Model"),
        ("日本", "Model"),
        ("none", "NoneModel"),  # `class None` is a syntax error
        ("true", "TrueModel"),
        ("False", "FalseModel"),
    ],
)
def test_class_name(schema_name: str, expected: str) -> None:
    got = naming.class_name(schema_name)
    assert got == expected, (
        f"class_name({schema_name!r}) is {got!r}, expected {expected!r} "
        "(runtime names and keywords get 'Model' appended, a leading digit gets 'Model' prepended)"
    )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_class_name_is_always_a_safe_class_identifier(schema_name: str) -> None:
    got = naming.class_name(schema_name)
    assert got.isidentifier() and not keyword.iskeyword(got), (
        f"class_name({schema_name!r}) is {got!r}: not usable in `class {got}(BaseModel)`"
    )
    assert got[0].isupper(), f"class_name({schema_name!r}) is {got!r}: classes must start with a capital letter"
    assert got not in RUNTIME_CLASSES, f"class_name({schema_name!r}) is {got!r}, which clashes with a runtime name"


# -- dedupe ---------------------------------------------------------------------
def test_dedupe() -> None:
    assert naming.dedupe(["a", "b", "a", "a"]) == ["a", "b", "a_2", "a_3"]
    assert naming.dedupe(["a", "a", "a_2", "a"]) == ["a", "a_2", "a_2_2", "a_3"], (
        "a name already taken by a later original must still be unique"
    )
    assert naming.dedupe([]) == []


def test_dedupe_classes() -> None:
    assert naming.dedupe_classes(["Connection", "Connection", "Pet"]) == ["Connection", "Connection2", "Pet"]
    assert naming.dedupe_classes(["A", "A", "A2", "A"]) == ["A", "A2", "A22", "A3"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "a_2", "b", "A", "A2", "c_3", "x"]), max_size=20))
def test_dedupe_is_unique_stable_and_deterministic(names: list[str]) -> None:
    for function in (naming.dedupe, naming.dedupe_classes):
        result = function(names)
        assert len(result) == len(names), f"{function.__name__} changed the number of names: {names} -> {result}"
        assert len(set(result)) == len(result), f"{function.__name__} left duplicates: {names} -> {result}"
        assert function(list(names)) == result, f"{function.__name__} is not deterministic on {names}"
        if names:
            assert result[0] == names[0], f"{function.__name__} renamed the first name: {names} -> {result}"
        used: set[str] = set()
        for original, new in zip(names, result, strict=True):
            if original not in used:
                assert new == original, (
                    f"{function.__name__} renamed {original!r} to {new!r} although nothing before it used that name"
                )
            used.add(new)
        assert all(new.startswith(original) for original, new in zip(names, result, strict=True)), (
            f"{function.__name__} must keep each name as a prefix: {names} -> {result}"
        )


# -- credential_names -----------------------------------------------------------
@pytest.mark.parametrize(
    ("schemes", "expected"),
    [
        ({"bearerAuth": {"type": "http", "scheme": "bearer"}}, {"bearerAuth": "access_token"}),
        ({"oauth": {"type": "oauth2", "flows": {}}}, {"oauth": "access_token"}),
        ({"oidc": {"type": "openIdConnect"}}, {"oidc": "access_token"}),
        ({"basic": {"type": "http", "scheme": "Basic"}}, {"basic": "basic_auth"}),
        ({"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}, {"ApiKeyAuth": "api_key_auth"}),
        ({"k": {"type": "apiKey", "x-clientsmith-name": "myKey"}}, {"k": "my_key"}),
        ({"k": {"type": "apiKey", "x-clientsmith-name": "timeout"}}, {"k": "timeout_"}),
        ({"timeout": {"type": "apiKey"}}, {"timeout": "timeout_"}),
        ({"bad": "not a mapping"}, {"bad": "bad"}),
    ],
)
def test_credential_names(schemes: dict[str, object], expected: dict[str, str]) -> None:
    got = naming.credential_names(schemes)
    assert got == expected, f"credential_names({schemes!r}) is {got!r}, expected {expected!r}"


def test_credential_names_shared_by_override() -> None:
    """One key sent two ways: both schemes name the same Client argument."""
    schemes = {
        "header": {"type": "apiKey", "in": "header", "name": "X-Key", "x-clientsmith-name": "apiKey"},
        "query": {"type": "apiKey", "in": "query", "name": "key", "x-clientsmith-name": "api_key"},
    }
    assert naming.credential_names(schemes) == {"header": "api_key", "query": "api_key"}, (
        "schemes with the same x-clientsmith-name must share one argument"
    )


def test_credential_name_clashes_are_resolved_deterministically() -> None:
    two_tokens = {"bearer": {"type": "http", "scheme": "bearer"}, "oauth": {"type": "oauth2"}}
    assert naming.credential_names(two_tokens) == {"bearer": "bearer_access_token", "oauth": "oauth_access_token"}, (
        "two token schemes must each get '<scheme>_access_token'"
    )
    two_basic = {"b1": {"type": "http", "scheme": "basic"}, "b2": {"type": "http", "scheme": "basic"}}
    assert naming.credential_names(two_basic) == {"b1": "b1_basic_auth", "b2": "b2_basic_auth"}
    same_snake = {"api_key": {"type": "apiKey"}, "ApiKey": {"type": "apiKey"}}
    got = naming.credential_names(same_snake)
    assert len(set(got.values())) == 2, f"API keys whose names collide must get distinct arguments: {got}"
    assert got == naming.credential_names(dict(same_snake)), "credential_names must be deterministic"
    explicit_wins = {"k": {"type": "apiKey", "x-clientsmith-name": "access_token"}, "bearer": {"type": "http", "scheme": "bearer"}}
    assert naming.credential_names(explicit_wins) == {"k": "access_token", "bearer": "bearer_access_token"}, (
        "an explicit x-clientsmith-name keeps its name; the derived one moves aside"
    )
    explicit_vs_key = {"x": {"type": "apiKey", "x-clientsmith-name": "tok"}, "tok": {"type": "apiKey"}}
    got = naming.credential_names(explicit_vs_key)
    assert got["x"] == "tok" and got["tok"] != "tok", f"a derived API-key name must yield to an explicit one: {got}"


def test_credential_names_keep_scheme_order() -> None:
    schemes = {"z": {"type": "apiKey"}, "a": {"type": "apiKey"}, "m": {"type": "http", "scheme": "bearer"}}
    assert list(naming.credential_names(schemes)) == ["z", "a", "m"], "result must follow the spec's scheme order"


def test_credential_names_never_clash_with_client_arguments() -> None:
    """Credentials become keyword arguments of ``Client.__init__`` next to base_url, timeout, headers..."""
    offenders = []
    for name in sorted(CLIENT_INIT_ARGUMENTS):
        by_key = naming.credential_names({name: {"type": "apiKey", "in": "header", "name": "X-Key"}})[name]
        by_override = naming.credential_names({"k": {"type": "apiKey", "in": "header", "name": "X-Key", "x-clientsmith-name": name}})["k"]
        offenders += [f"scheme key {name!r} -> {by_key!r}"] if by_key in CLIENT_INIT_ARGUMENTS else []
        offenders += [f"x-clientsmith-name {name!r} -> {by_override!r}"] if by_override in CLIENT_INIT_ARGUMENTS else []
    assert not offenders, (
        f"credential_names produces Client.__init__'s own argument names: {offenders}. The generated "
        "`def __init__(self, *, transport: str | None = None, ..., transport: ...)` does not compile; "
        f"credential_names must avoid {sorted(CLIENT_INIT_ARGUMENTS)}"
    )
