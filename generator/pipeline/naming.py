"""Every Python name clientsmith emits is decided here, and only here.

The rules (documented in README.md and specs/README.md):

* ``snake_case`` splits camelCase and acronym runs, turns every other
  character into ``_`` and lowercases; ``pascal_case`` joins the same words
  capitalised.
* Operation method name: ``x-clientsmith-name`` > snake_case(operationId) >
  path segments (braces stripped) + HTTP method.
* Resource group: ``x-clientsmith-group`` > snake_case(first tag) > ``default``.
* Body parameter: ``x-clientsmith-body-name`` > snake_case(schema name) >
  ``body``.
* Any identifier that would be a keyword, a builtin the generated code uses,
  start with a digit or be empty gets a deterministic suffix or prefix.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
import unicodedata
from collections.abc import Container, Iterable
from typing import Any

from generator.pipeline.template_files import CLIENT_TEMPLATE, RUNTIME

EXTENSION_PREFIX = "x-clientsmith-"

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")

# Names a generated method or parameter must not take: they would shadow
# something the generated code itself relies on.
_RESERVED_PARAMETERS = frozenset(
    {
        "self",
        "cls",
        "timeout",
        "retries",
        "extra_headers",
        "extra_query",
        "extra_body",
        "idempotent",
        # module-level names a generated method body uses
        "cast",
        "warnings",
        "datetime",
        "options",
        "typing",
    }
)
_SHADOWED_BUILTINS = frozenset(
    {
        "bool",
        "bytes",
        "dict",
        "float",
        "int",
        "list",
        "object",
        "str",
        "type",
        "property",
        "id_",
    }
)
# Names a model class must not take: they are imported into the modules that import the
# models (resources/*.py) or into models.py itself, and a model of that name would clash.
# The runtime names the resource modules import are added by :func:`_runtime_surface`.
_IMPORTED_CLASSES = frozenset(
    {
        # typing, collections.abc, decimal, enum
        "Any",
        "Annotated",
        "AsyncIterator",
        "Decimal",
        "Dict",
        "Enum",
        "IntEnum",
        "Iterator",
        "List",
        "Literal",
        "Mapping",
        "Optional",
        "StrEnum",
        "Union",
        # pydantic
        "AnyUrl",
        "AwareDatetime",
        "BaseModel",
        "ConfigDict",
        "Field",
        "RootModel",
        "ValidatorFunctionWrapHandler",
        # _client.py
        "Client",
        "AsyncClient",
        # what models.py imports from the runtime (models.open_enums, render.py for file fields)
        "FileInput",
        "OpenEnum",
        "OpenIntEnum",
        "OpenStrEnum",
        # reserved by earlier releases (a model of this name became ``ApiErrorModel``): kept so
        # that regenerating does not rename users' classes
        "ApiError",
        "ApiResponse",
        "AsyncBinaryResponse",
        "BinaryResponse",
        "NotGiven",
        "RetryConfig",
        "Timeout",
    }
)
_CLIENT_BASES = ("BaseClient", "SyncApiClient", "AsyncApiClient")
#: What a resource module imports from the runtime, by what its operations use (render.py picks;
#: a model must not take any of these names, since resource modules import models too).
RESOURCE_RUNTIME_IMPORTS: dict[str, frozenset[str]] = {
    "always": frozenset({"Operation", "RequestOptions", "WithRawResponse", "async_raw_response", "raw_response"}),
    "optional": frozenset({"NOT_GIVEN", "NotGiven"}),  # an optional argument without a default
    "awaitable": frozenset({"awaitable"}),  # an async method written as its sync one, awaited
    "deprecated": frozenset({"deprecated"}),
    "streaming": frozenset({"async_streamed_response", "streamed_response"}),
    "pagination": frozenset({"ApiResponse", "AsyncPage", "Pagination", "SyncPage", "afirst_page", "aiterate_items", "first_page", "iterate_items"}),
    "parts": frozenset({"Part"}),
    "binary_body": frozenset({"FileSource"}),  # a binary request body: bytes, a file or a path
    "events": frozenset({"AsyncStream", "EventFormat", "Stream"}),
    "servers": frozenset({"Server"}),
    "server_variables": frozenset({"ServerVariable"}),
}


@functools.cache
def _runtime_surface() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What the generated code itself defines, read from its source rather than kept by hand:
    (the runtime names the resource modules import, the public attributes of the client
    classes, the arguments of ``Client.__init__``). A resource group must not hide a client attribute, a credential
    must not take a client argument, a model must not take an exported name."""
    tree = ast.parse(RUNTIME.read_text(encoding="utf-8"))
    exported: set[str] = set()
    attributes: set[str] = set()
    arguments: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in _CLIENT_BASES:
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    attributes.add(item.name)
                    # Attributes the client sets (in __init__ or the methods it calls, e.g. base_url).
                    attributes.update(
                        sub.attr
                        for sub in ast.walk(item)
                        if isinstance(sub, ast.Attribute)
                        and isinstance(sub.value, ast.Name)
                        and sub.value.id == "self"
                        and (item.name == "__init__" or isinstance(sub.ctx, ast.Store))
                    )
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    attributes.add(item.target.id)
    # What the resource modules, which import models too, import from the runtime.
    exported.update(name for names in RESOURCE_RUNTIME_IMPORTS.values() for name in names)
    # The arguments of Client.__init__ (templates/module/_client.py.jinja), besides the credentials.
    client = CLIENT_TEMPLATE.read_text(encoding="utf-8")
    signature = client[client.index("    def __init__(") : client.index(") -> None:", client.index("    def __init__("))]
    arguments.update(re.findall(r"^ {8}(\w+):", signature, re.MULTILINE))
    # The client classes' own methods (``with_options``), which a resource group must not hide.
    attributes.update(re.findall(r"^    def (\w+)\(", client, re.MULTILINE))
    public = frozenset(name for name in attributes if not name.startswith("_"))
    return frozenset(exported), public, frozenset(arguments)



def _ascii(text: str) -> str:
    """Fold accents away; drop what has no ASCII form."""
    normalized = unicodedata.normalize("NFKD", text)
    return normalized.encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Split any identifier-ish text into lowercase words."""
    text = _ascii(text)
    text = _ACRONYM_BOUNDARY.sub(r"\1_\2", text)
    text = _CAMEL_BOUNDARY.sub(r"\1_\2", text)
    return [part.lower() for part in _NON_WORD.split(text) if part]


def snake_case(text: str) -> str:
    """``getConnectionsV2`` -> ``get_connections_v2``; ``HTTPServer`` -> ``http_server``."""
    return "_".join(words(text))


def pascal_case(text: str) -> str:
    """``list_connections`` -> ``ListConnections``; digits stay as they are."""
    return "".join(word[:1].upper() + word[1:] for word in words(text))


def safe_identifier(name: str, *, fallback: str = "value") -> str:
    """Make ``name`` a valid, non-keyword Python identifier (snake style)."""
    if not name:
        name = fallback
    if name[0].isdigit():
        name = f"n{name}"
    # Soft keywords as of Python 3.12, listed so output never depends on the interpreter.
    if keyword.iskeyword(name) or name in ("_", "case", "match", "type"):
        name = f"{name}_"
    return name


def method_name(
    operation_id: str | None,
    http_method: str,
    path: str,
    override: str | None = None,
) -> str:
    """The Python method name of an operation (see module docstring)."""
    if override:
        return safe_identifier(snake_case(override), fallback="call")
    if operation_id:
        return safe_identifier(snake_case(operation_id), fallback="call")
    segments = [snake_case(segment) for segment in path.split("/")]
    base = "_".join(segment for segment in segments if segment)
    return safe_identifier(f"{base}_{http_method.lower()}" if base else http_method.lower())


def group_name(tags: Iterable[str], override: str | None = None) -> str:
    """The resource-group attribute an operation lives on."""
    if override:
        return _avoid(safe_identifier(snake_case(override), fallback="default"), _runtime_surface()[1])
    for tag in tags:
        name = snake_case(tag)
        if name:
            return _avoid(safe_identifier(name), _runtime_surface()[1])
    return "default"


def iterator_name(method: str) -> str:
    """The lazy all-pages helper of a list operation: ``iter_<method>``."""
    return f"iter_{method}"


def pages_name(method: str) -> str:
    """The helper returning a list operation's first page object: ``<method>_pages``."""
    return f"{method}_pages"


def stream_name(method: str) -> str:
    """The helper returning a binary response's body unread: ``stream_<method>``."""
    return f"stream_{method}"


def group_class_name(group: str, models: Container[str] = ()) -> str:
    """``datasources_connections`` -> ``DatasourcesConnections`` (resource class stem).

    The module of a group defines ``<stem>Resource``, ``Async<stem>Resource`` and their
    ``...WithRawResponse`` forms; when one of them is a model that module imports
    (``models``), the stem gets ``Group`` appended until none is.
    """
    stem = pascal_case(group) or "Default"
    while any(name in models for name in (f"{stem}Resource", f"Async{stem}Resource", f"{stem}ResourceWithRawResponse", f"Async{stem}ResourceWithRawResponse")):
        stem += "Group"
    return stem


def parameter_name(wire_name: str, override: str | None = None) -> str:
    """The Python argument name of a parameter whose wire name is ``wire_name``."""
    name = snake_case(override or wire_name)
    return _avoid(safe_identifier(name, fallback="param"), _RESERVED_PARAMETERS)


def credential_names(schemes: dict[str, Any]) -> dict[str, str]:
    """``Client(...)`` argument per security scheme.

    ``x-clientsmith-name`` on the scheme wins (schemes may share a name: one
    key sent two ways). Otherwise tokens (http bearer, oauth2, openIdConnect)
    are ``access_token``, basic auth is ``basic_auth`` and API keys take the
    snake_case scheme name; clashes get the scheme name as a prefix.
    """
    explicit: dict[str, str] = {}
    derived: dict[str, str] = {}
    for key, scheme in schemes.items():
        scheme = scheme if isinstance(scheme, dict) else {}
        override = scheme.get(EXTENSION_PREFIX + "name")
        if isinstance(override, str) and override:
            explicit[key] = parameter_name(override)
            continue
        kind = scheme.get("type")
        is_basic = kind == "http" and str(scheme.get("scheme", "")).lower() == "basic"
        if is_basic:
            derived[key] = "basic_auth"
        elif kind in ("http", "oauth2", "openIdConnect"):
            derived[key] = "access_token"
        else:
            derived[key] = parameter_name(key)
    counts: dict[str, int] = {}
    for name in derived.values():
        counts[name] = counts.get(name, 0) + 1
    taken = set(explicit.values())
    result = dict(explicit)
    for key, name in derived.items():
        if counts[name] > 1 or name in taken:
            name = parameter_name(f"{key}_{name}") if name in ("access_token", "basic_auth") else f"{name}_key"
        result[key] = name
    resolved = dedupe(result[key] for key in schemes if key not in explicit)
    for key, name in zip([k for k in schemes if k not in explicit], resolved, strict=True):
        result[key] = name
    return {key: _avoid(result[key], _runtime_surface()[2] | {"self"}) for key in schemes}


def server_names(servers: list[tuple[str, str]]) -> list[str]:
    """What ``Client(server=...)`` selects each of several servers by, from (``x-clientsmith-name``,
    description) pairs: the override, else the snake_case of the description's first clause
    (``"EU region (Frankfurt)"`` -> ``eu_region``), at most five words; "" (index only) when
    neither gives a name; later duplicates get ``_2``, ``_3``..."""
    names = []
    for override, description in servers:
        if override:
            names.append(snake_case(override))
            continue
        clause = re.split(r"[.,;:(\n]|\s-\s", description, maxsplit=1)[0]
        chosen = words(clause)[:5]
        names.append("_".join(chosen) if chosen and not chosen[0][0].isdigit() else "")
    named = dedupe(name for name in names if name)
    picked = iter(named)
    return [next(picked) if name else "" for name in names]


def server_argument_names(wire_names: list[str], taken: Iterable[str]) -> dict[str, str]:
    """The ``Client(...)`` keyword argument of each server variable (``appId`` -> ``app_id``,
    ``box-upload-server`` -> ``box_upload_server``), never a credential's or another argument's:
    such a name gets the prefix ``server_`` (Algolia's ``{appId}`` beside its ``app_id`` key
    -> ``server_app_id``)."""
    avoided = set(_runtime_surface()[2]) | set(taken) | {"self"}
    names = []
    for wire in wire_names:
        name = safe_identifier(snake_case(wire), fallback="variable")
        if name in avoided or name in _SHADOWED_BUILTINS:
            name = f"server_{name}"
        names.append(_avoid(name, avoided))
    return dict(zip(wire_names, dedupe(names), strict=True))


def body_parameter_name(schema_name: str | None, override: str | None = None) -> str:
    """The Python argument name of an operation's request body."""
    if override:
        return parameter_name(override)
    if schema_name:
        return parameter_name(schema_name)
    return "body"


def inline_model_name(method: str, *parts: str) -> str:
    """Deterministic class name for a schema defined inline in an operation.

    ``inline_model_name("list_connections", "200", "response")`` ->
    ``ListConnections200Response``.
    """
    return pascal_case("_".join((method, *parts)))


_DEEP_SKIPPED = frozenset({"definitions", "$defs", "properties", "patternProperties"})
_DEEP_WORDS = {"items": "item", "additionalProperties": "value"}


def deep_schema_name(schema_name: str, path: list[str]) -> str:
    """The class name of a schema found inside component ``schema_name`` at ``path`` (a JSON
    pointer's tokens), for references into a component: ``Account`` + ``definitions/prototype``
    -> ``AccountPrototype``; ``properties/x/items`` -> ``...XItem``; ``allOf/2`` -> ``...Part3``;
    ``oneOf/0`` -> ``...Option1`` (as inline schemas are named where they sit)."""
    words = [schema_name]
    index = 0
    while index < len(path):
        token = path[index]
        if token in ("allOf", "oneOf", "anyOf") and index + 1 < len(path) and path[index + 1].isdigit():
            words.append(f"{'part' if token == 'allOf' else 'option'}{int(path[index + 1]) + 1}")
            index += 2
            continue
        if token not in _DEEP_SKIPPED:
            words.append(_DEEP_WORDS.get(token, token))
        index += 1
    return class_name("_".join(words))


def class_name(schema_name: str) -> str:
    """A model class name: PascalCase, never clashing with runtime names."""
    name = pascal_case(schema_name) or "Model"
    if name[0].isdigit():
        name = f"Model{name}"
    if name in _IMPORTED_CLASSES or name in _runtime_surface()[0] or keyword.iskeyword(name):
        name = f"{name}Model"
    return name


def _avoid(name: str, taken: Iterable[str]) -> str:
    taken_set = set(taken)
    while name in taken_set or name in _SHADOWED_BUILTINS:
        name = f"{name}_"
    return name


def dedupe(names: Iterable[str], separator: str = "_") -> list[str]:
    """Resolve collisions deterministically: later duplicates get ``_2``, ``_3``..."""
    used: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate, counter = name, 1
        while candidate in used:
            counter += 1
            candidate = f"{name}{separator}{counter}"
        used.add(candidate)
        result.append(candidate)
    return result


def unique_class_name(name: str, taken: Container[str]) -> str:
    """``name``, or ``name2``, ``name3``... the first not in ``taken`` (as :func:`dedupe_classes`
    names a later duplicate)."""
    candidate, counter = name, 1
    while candidate in taken:
        counter += 1
        candidate = f"{name}{counter}"
    return candidate


def dedupe_classes(names: Iterable[str]) -> list[str]:
    """Like :func:`dedupe` for class names: ``Connection``, ``Connection2``..."""
    return dedupe(names, separator="")


def operation_constant(method: str) -> str:
    """The module-level name of an operation's runtime description: ``list_pets`` -> ``_LIST_PETS``."""
    return "_" + method.upper().strip("_")


def pages_constant(operation: str) -> str:
    """The module-level name of a paginated operation's page description: ``_LIST_PETS_PAGES``."""
    return f"{operation}_PAGES"


def events_constant(operation: str) -> str:
    """The module-level name of an operation's event stream description: ``_CREATE_CHAT_EVENTS``."""
    return f"{operation}_EVENTS"


#: The ``Client(...)`` arguments an OAuth2 token flow takes, in signature order.
OAUTH2_ROLES = ("client_id", "client_secret", "username", "password", "scopes")


def oauth2_arguments(password_flow: bool, taken: Iterable[str]) -> dict[str, str]:
    """``Client(...)`` argument per OAuth2 role: ``client_id``, ``client_secret``, ``scopes``
    and, with a password flow, ``username`` and ``password``. A name a credential or server
    variable already has is prefixed ``oauth2_``."""
    taken_set = set(taken) | _runtime_surface()[2] | {"self"}
    result: dict[str, str] = {}
    for role in OAUTH2_ROLES:
        if role in ("username", "password") and not password_flow:
            continue
        name = role if role not in taken_set else f"oauth2_{role}"
        result[role] = _avoid(name, taken_set)
        taken_set.add(result[role])
    return result


def stream_argument(taken: Iterable[str]) -> str:
    """The keyword argument that asks an operation for its event stream: ``stream``, unless a
    parameter of the operation has that name."""
    return dedupe([*taken, "stream"])[-1]


def environment_variable(package: str, argument: str) -> str:
    """The environment variable a credential argument falls back to: ``AIRFLOW_CLIENT_ACCESS_TOKEN``."""
    return f"{package.upper()}_{argument.upper()}"


def subtype_table(base: str) -> str:
    """The module-level table of a polymorphic base's subtypes in ``models.py``: ``_SHAPE_SUBTYPES``."""
    return f"_{base.upper()}_SUBTYPES"
