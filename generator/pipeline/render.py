"""Stage 5: render the IR through the Jinja2 templates in templates/.

The runtime, templates/module/_runtime.py, is plain Python and is copied into
every package as it is (see :func:`verbatim`).

Templates only loop and branch. Everything they print that came from the spec
passes through exactly one of two filters: ``pystr`` (a Python string literal)
or ``docstring`` (text safe inside a triple-quoted docstring). The views built
here are plain data computed from the IR (signatures, docs), so templates
never decide names or types.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2

from generator.pipeline import ir, naming, parse
from generator.pipeline.template_files import RUNTIME, TEMPLATES


@functools.cache
def runtime_source() -> str:
    """templates/module/_runtime.py exactly as it is (read once per process)."""
    return RUNTIME.read_bytes().decode("utf-8")


def verbatim(package: str) -> frozenset[str]:
    """The files of ``package`` that :func:`render` copies as they are: formatting leaves them alone."""
    return frozenset({f"{package}/_runtime.py"})


@functools.cache
def status_errors() -> tuple[tuple[int, str], ...]:
    """``(status, class name)`` per entry of the runtime's ``_STATUS_ERRORS`` table, in its
    order: the docstrings name these classes and the package's ``__init__`` re-exports them."""
    for node in ast.parse(runtime_source()).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "_STATUS_ERRORS":
            table = node.value
            if isinstance(table, ast.Dict):
                return tuple(
                    (key.value, value.id)
                    for key, value in zip(table.keys, table.values, strict=True)
                    if isinstance(key, ast.Constant) and isinstance(key.value, int) and isinstance(value, ast.Name)
                )
    raise LookupError(f"{RUNTIME}: no `_STATUS_ERRORS: ... = {{status: class}}` table")


def pystr(value: object) -> str:
    """A Python string literal holding ``value`` exactly (any quotes, newlines, unicode)."""
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(_escape_char(ch) for ch in escaped)
    return f'"{escaped}"'


def _escape_char(ch: str) -> str:
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    if ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\u2028\u2029\x85":
        return f"\\u{ord(ch):04x}"  # \uXXXX: valid in Python and in TOML basic strings
    return ch


def tomlstr(value: object) -> str:
    """A TOML basic string holding ``value`` (lone surrogates, which TOML cannot hold, become U+FFFD)."""
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in str(value))
    return pystr(text)


def docstring(value: object, indent: int = 0, whole: bool = False) -> str:
    """Text safe inside a ``\"\"\"`` docstring; continuation lines indented by ``indent``.

    ``whole``: the text is the entire docstring, so a multi-line one ends with
    a newline and indentation, putting the closing quotes on their own line (as
    black and ruff both leave it).
    """
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    text = "".join(ch if ch == "\n" or (ord(ch) >= 32 and ord(ch) != 127 and not 0xD800 <= ord(ch) <= 0xDFFF) else " " for ch in text)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    if lines[-1].endswith('"'):
        lines[-1] += " "
    pad = " " * indent
    text = "\n".join(lines[:1] + [pad + line if line else "" for line in lines[1:]])
    if whole and len(lines) > 1:
        text = text.rstrip() + "\n" + pad
    return text


def mdtext(value: object) -> str:
    """Text safe on one Markdown line or table cell (README only, never code)."""
    text = " ".join(str(value).split()).replace("``", "`")
    return text.replace("|", "\\|")


def mdsummary(value: object) -> str:
    """The first sentence of a description, for lists."""
    text = " ".join(str(value).split())
    end = text.find(". ")
    return mdtext(text[: end + 1] if end != -1 else text)


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja environment over templates/ (built once per process; templates compile once)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pystr"] = pystr
    env.filters["docstring"] = docstring
    env.filters["tomlstr"] = tomlstr
    env.filters["mdtext"] = mdtext
    env.filters["mdsummary"] = mdsummary
    return env


@dataclass(frozen=True)
class Flavour:
    """What differs between the sync and the async rendering of the same thing."""

    client: str
    base: str
    prefix: str
    adjective: str
    async_kw: str
    await_kw: str
    enter: str
    exit: str
    httpx: str
    protocol: str
    transport: str
    iterator: str
    page: str  # the runtime's page class
    first_page: str  # the runtime function fetching a first page
    iterate_items: str  # the runtime function walking the items of every page
    raw_response: str  # the runtime function giving a method its ``with_raw_response`` form
    streamed_response: str  # ... its ``stream_<name>`` form
    event_stream: str  # the runtime class a call reading server-sent events returns
    awaitable: str  # the runtime function making a sync method this flavour's (none: written out)


FLAVOURS = [
    Flavour(
        "Client", "SyncApiClient", "", "Synchronous", "", "", "__enter__", "__exit__", "httpx.Client", "SyncTransport",
        "HttpxTransport", "Iterator", "SyncPage", "first_page", "iterate_items", "raw_response", "streamed_response",
        "Stream", "",
    ),
    Flavour(
        "AsyncClient", "AsyncApiClient", "Async", "Asynchronous", "async ", "await ", "__aenter__", "__aexit__",
        "httpx.AsyncClient", "AsyncTransport", "AsyncHttpxTransport", "AsyncIterator", "AsyncPage", "afirst_page", "aiterate_items",
        "async_raw_response", "async_streamed_response", "AsyncStream", "awaitable",
    ),
]


def _argument(annotation: str, name: str, required: bool, default: str | None) -> str:
    if required:
        return f"{name}: {annotation}"
    if default is not None:
        return f"{name}: {annotation} = {default}"
    return f"{name}: {annotation} | NotGiven = NOT_GIVEN"


_PAGED_BY = {
    "offset": "offsets",
    "page": "page numbers",
    "cursor": "cursors",
    "link": "the ``Link`` header's ``rel=\"next\"`` URL",
    "url": "the next-page URL in the response",
}


def _wire_path(path: tuple[str, ...]) -> str:
    """A response field path as the README and docstrings show it (``pageInfo.nextPageToken``)."""
    return ".".join(path) if path else "(the body)"


def _pager_view(op: ir.Operation) -> dict[str, Any] | None:
    pagination = op.pagination
    if pagination is None:
        return None
    position = pagination.position
    driven = pagination.style in ("offset", "page")  # the helpers set the position themselves
    others = [p for p in op.parameters if p is not position]
    signature = [p for p in op.parameters if p is not position or not driven]
    positional = [_argument(p.annotation, p.py_name, True, None) for p in signature if p.required]
    keyword = [_argument(p.annotation, p.py_name, False, p.default_repr) for p in signature if not p.required]
    calls = [f"{p.py_name}={p.py_name}" for p in others]
    forward = [f"{p.py_name}={p.py_name}" for p in signature]
    if op.body is not None and not op.body.fields:
        (positional if op.body.required else keyword).append(_argument(op.body.annotation, op.body.py_name, op.body.required, None))
        calls.append(f"{op.body.py_name}={op.body.py_name}")
        forward.append(f"{op.body.py_name}={op.body.py_name}")
    if driven:
        start = str(pagination.start)
    elif position is not None:
        start = position.py_name
    else:
        start = "NOT_GIVEN"
    stops = ["an empty page"]
    if driven:
        stops.append("a page shorter than the page size" if pagination.size is not None else "")
        stops.append(f"once ``{_wire_path(pagination.total)}`` items were seen" if pagination.total else "")
    elif pagination.style == "cursor":
        source = f"the last item's ``{pagination.item_cursor}``" if pagination.item_cursor else f"``{_wire_path(pagination.next)}``"
        stops.append(f"a response without a next cursor (read from {source})")
    else:
        stops.append("a response without a next-page URL")
    if pagination.has_more:
        stops.append(f"``{_wire_path(pagination.has_more)}`` false")
    if pagination.done:
        stops.append(f"``{_wire_path(pagination.done)}`` true")
    stops = [stop for stop in stops if stop]
    walk = _PAGED_BY[pagination.style]
    through = f" through ``{position.py_name}``" if position is not None else ""
    from_ = f" from {pagination.start}" if driven else ""
    how = f"Walks {walk}{from_}{through}; stops on " + ", ".join(stops[:-1]) + (" or " if len(stops) > 1 else "") + stops[-1] + "."
    if pagination.style in ("cursor", "link", "url"):
        how += " A cursor or URL the server sends a second time raises :class:`PaginationError`."
    return {
        "name": op.iterator_name,
        "pages_name": op.pages_name,
        "constant": naming.pages_constant(op.constant_name),
        "style": pagination.style,
        "paged_by": walk,
        "items_path": pagination.items,
        "items_field": _wire_path(pagination.items),
        "total_field": _wire_path(pagination.total) if pagination.total else "",
        "next_field": (f"{_wire_path(pagination.next)}" if pagination.next else (f"last item's {pagination.item_cursor}" if pagination.item_cursor else "")),
        # The runtime Pagination's path arguments: items always (``()``: the body), the rest when set.
        "paths": [("items", pagination.items)]
        + [(key, path) for key, path in (("total", pagination.total), ("next", pagination.next), ("has_more", pagination.has_more), ("done", pagination.done)) if path],
        "item_cursor": pagination.item_cursor,
        "item_annotation": pagination.item_annotation,
        "position_name": position.py_name if position is not None else "",
        "start": start,
        "starts_unset": not driven and position is None,  # ``start=NOT_GIVEN``: the first page names no position
        "size_expr": pagination.size.py_name if pagination.size is not None and driven else "None",
        "positional": positional,
        "keyword": keyword,
        "calls": calls,
        "forward": forward,
        "doc": f"Every item of :meth:`{op.py_name}`, fetching pages lazily.\n\n{how}",
        "pages_doc": (
            f"The first page of :meth:`{op.py_name}`; ``next_page()`` fetches the next.\n\n"
            f"``items`` holds the page's items, ``response`` the response it came from; ``has_next_page()`` "
            f"says whether another page follows and ``iter_pages()`` walks the rest. {how}"
        ),
    }


# How each location serialises a parameter unless the spec says otherwise (OpenAPI defaults);
# the runtime assumes these, so only other styles are written out.
_DEFAULT_STYLES = {"query": ("form", True), "cookie": ("form", True), "path": ("simple", False), "header": ("simple", False)}


def _operation_view(op: ir.Operation) -> dict[str, Any]:
    positional = [_argument(p.annotation, p.py_name, True, None) for p in op.required_parameters]
    keyword = [_argument(p.annotation, p.py_name, False, p.default_repr) for p in op.optional_parameters]
    if op.body is not None and not op.body.fields:
        argument = _argument(op.body.annotation, op.body.py_name, op.body.required, None)
        (positional if op.body.required else keyword).append(argument)
    return {
        "py_name": op.py_name,
        "http_method": op.http_method,
        "path": op.path,
        # What the runtime sends: the spec's path key without a ``#fragment`` (which only tells
        # apart two operations on one path); a query string in the key stays.
        "url_path": op.path.split("#", 1)[0],
        "accept": ", ".join(op.accept) or "*/*",
        "parts": [_part_view(part) for part in op.body.parts] if op.body is not None else [],
        "servers": _tuple([server_expression(server) for server in op.servers]) if op.servers else "",
        "server_variables": any(server.variables for server in op.servers),
        "constant_name": op.constant_name,
        "success": op.success,
        "errors": op.errors,
        "security": op.security,
        "idempotent": op.idempotent,
        "idempotency_header": op.idempotency_header,
        "body": op.body,
        "styled": [p for p in op.parameters if p.location in _DEFAULT_STYLES and (p.style, p.explode) != _DEFAULT_STYLES[p.location]],
        **{f"{location}_parameters": op.parameters_in(location) for location in ir.LOCATIONS},
        "positional": positional,
        "keyword": keyword,
        # An optional argument without a default is ``NOT_GIVEN`` until given.
        "not_given": any(p.default_repr is None for p in op.optional_parameters)
        or (op.body is not None and not op.body.fields and not op.body.required),
        "return_annotation": op.return_annotation,
        # What the README says a call returns.
        "returns": (
            f"Stream[{op.events.annotation}]"
            if op.events is not None and op.events.only
            else f"{op.return_annotation} | Stream[{op.events.annotation}]"
            if op.events is not None
            else op.return_annotation
        ),
        "deprecated": op.deprecated,
        "deprecation_message": f"{op.py_name} is deprecated by the API.",
        "doc": operation_doc(op),
        "summary_line": _one_line(op.summary) or _one_line(op.description),
        "pager": _pager_view(op),
        "stream": {"name": op.stream_name} if op.stream_name else None,
        "events": _events_view(op),
        "parameter_rows": [
            {
                "name": p.py_name,
                "annotation": p.annotation,
                "where": f"{p.location} `{p.wire_name}`" if p.location != "body" else f"body field `{p.wire_name}`",
                "required": "required" if p.required else (f"default `{p.default_repr}`" if p.default_repr is not None else "optional"),
                "description": p.description,
            }
            for p in op.parameters
        ]
        + (
            [{"name": op.body.py_name, "annotation": op.body.annotation, "where": f"body ({op.body.content_type})",
              "required": "required" if op.body.required else "optional", "description": op.body.description}]
            if op.body is not None and not op.body.fields
            else []
        ),
        "error_lines": ", ".join(f"{_error_name(r.status)} (HTTP {r.status})" for r in op.errors),
    }


def _events_view(op: ir.Operation) -> dict[str, Any] | None:
    """An operation's text/event-stream response: its runtime ``EventFormat`` and how a call asks for it."""
    events = op.events
    if events is None:
        return None
    arguments = [events.annotation]
    if events.fields:
        arguments.append("fields=(" + ", ".join(pystr(name) for name in events.fields) + ("," if len(events.fields) == 1 else "") + ")")
    if events.text:
        arguments.append("text=True")
    return {
        "constant": op.events_constant,
        "annotation": events.annotation,
        "arguments": ", ".join(arguments),
        "only": events.only,
        "flag": events.flag,
        "argument": op.stream_argument,
        "content_type": events.content_type,
        "status": events.status,
        "shape": "each event's whole object (`" + "`, `".join(events.fields) + "`)" if events.fields else ("each event's data as text" if events.text else "each event's data, parsed as JSON"),
    }


def _literal(values: tuple[str, ...] | list[str]) -> str:
    return "Literal[" + ", ".join(pystr(value) for value in values) + "]"


def _tuple(items: list[str]) -> str:
    """Python source of a tuple of the expressions ``items``."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def server_expression(server: ir.Server) -> str:
    """A server as the runtime's ``Server(...)``, its variables as ``ServerVariable(...)``."""
    arguments = [pystr(server.url)]
    if server.name:
        arguments.append(f"name={pystr(server.name)}")
    if server.variables:
        variables = ", ".join(
            f"{pystr(v.wire_name)}: ServerVariable({pystr(v.default)}"
            + (f", {_tuple([pystr(value) for value in v.enum])}" if v.enum else "")
            + ")"
            for v in server.variables
        )
        arguments.append("variables={" + variables + "}")
    return f"Server({', '.join(arguments)})"


def _server_context(api: ir.Api) -> dict[str, Any]:
    """What ``_client.py`` and the README say about servers and their variables."""
    selectable = api.selectable_servers
    names = [server.name for server in selectable if server.name]
    server_annotation = ""
    if len(selectable) >= 2:
        server_annotation = f"{_literal(names)} | int" if names else "int"
    return {
        "servers": [
            {"url": s.url, "description": s.description, "name": s.name, "absolute": s.absolute, "index": selectable.index(s) if s.absolute else None}
            for s in api.servers
        ],
        "server_constants": [server_expression(server) for server in selectable],
        "server_annotation": server_annotation,
        "server_names": names,
        "server_arguments": [
            {
                "py_name": argument.py_name,
                "wire_name": argument.wire_name,
                "annotation": _literal(argument.enum) if argument.enum else "str",
                "declared": f"ServerVariable({pystr(argument.defaults[0])}"
                + (f", {_tuple([pystr(value) for value in argument.enum])}" if argument.enum else "")
                + ")",
                "doc": (
                    (_sentence(argument.description) + ". " if argument.description else "")
                    + f"Server variable ``{{{argument.wire_name}}}``; "
                    + ("default " if len(argument.defaults) == 1 else "defaults ")
                    + " / ".join(f"``{default}``" for default in argument.defaults)
                    + (f"; one of {', '.join(f'``{value}``' for value in argument.enum)}." if argument.enum else ".")
                ),
                "enum": argument.enum,
                "defaults": argument.defaults,
            }
            for argument in api.server_arguments
        ],
        "base_url_required": api.base_url_required,
        "operation_servers": [
            {"group": op.group, "method": op.py_name, "url": op.servers[0].url}
            for op in api.operations
            if op.servers
        ],
    }


def _part_view(part: ir.PartEncoding) -> dict[str, Any]:
    """An ``encoding`` entry as the runtime's ``Part(...)`` keyword arguments (defaults left out)."""
    arguments = []
    if part.content_type:
        arguments.append(f"content_type={pystr(part.content_type)}")
    if part.style:
        arguments.append(f"style={pystr(part.style)}")
        if not part.explode:  # Part's default: True
            arguments.append("explode=False")
        if part.allow_reserved:
            arguments.append("allow_reserved=True")
    return {"name": part.name, "arguments": ", ".join(arguments)}


#: How a method's docstring describes its ``**options`` (:class:`RequestOptions` in the runtime).
OPTIONS_DOC = (
    "Per-call options: ``timeout``, ``retries``, ``extra_headers``, ``extra_query`` and "
    "``extra_body`` (see :class:`RequestOptions`)."
)


def operation_doc(op: ir.Operation) -> str:
    """The docstring of a generated method (Google style); its ``stream_<name>`` form adds a note to it at run time."""
    parts = [op.summary.strip() or f"{op.http_method} {op.path}"]
    if op.description.strip() and op.description.strip() != op.summary.strip():
        parts.append(op.description.strip())
    if op.deprecated:
        parts.append("Deprecated: the API marks this operation as deprecated.")
    parts.append(f"``{op.http_method} {op.path}``")
    args = []
    for param in op.parameters:
        note = f" Defaults to ``{param.default_repr}``." if param.default_repr is not None else ""
        note += f" Example: ``{param.example}``." if param.example else ""
        args.append(f"    {param.py_name}: {_one_line(param.description) or f'The {param.location} parameter ``{param.wire_name}``.'}{note}")
    if op.body is not None and not op.body.fields:
        example = f" Example: ``{op.body.example}``." if op.body.example else ""
        args.append(f"    {op.body.py_name}: {_one_line(op.body.description) or 'The request body'} (``{op.body.content_type}``).{example}")
    if op.events is not None and not op.events.only:
        how = f"sets the body's ``{op.events.flag}`` to true and asks" if op.events.flag else "asks"
        args.append(f"    {op.stream_argument}: Read the response as server-sent events: {how} for ``text/event-stream``.")
    args.append(f"    **options: {OPTIONS_DOC}")
    parts.append("Args:\n" + "\n".join(args))
    returned = [r for r in op.success if r.annotation and not (op.events is not None and op.events.only)]
    lines = [f"    {_sentence(r.description) or r.annotation} (HTTP {r.status})." for r in returned]
    if op.events is not None:
        asked = "" if op.events.only else f"With ``{op.stream_argument}=True``: "
        lines.append(
            f"    {asked}a stream of ``{op.events.annotation}``, one per server-sent event (HTTP {op.events.status}, "
            f"``{op.events.content_type}``), read as they arrive; use it in a ``with`` block."
        )
    if lines:
        parts.append("Returns:\n" + "\n".join(lines))
    raises = [f"    {_error_name(r.status)}: {_sentence(r.description) or 'error response'} (HTTP {r.status})." for r in op.errors]
    raises.append("    ApiConnectionError: The server could not be reached.")
    parts.append("Raises:\n" + "\n".join(raises))
    return "\n\n".join(parts)


def _error_name(status: str) -> str:
    for code, name in status_errors():
        if str(code) == status:
            return name
    if status.startswith("4"):
        return "ClientError"
    if status.startswith("5"):
        return "ServerError"
    return "ApiError"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _sentence(text: str) -> str:
    """One line without its final full stop, for text followed by ``(HTTP 404).``."""
    return _one_line(text).removesuffix(".")


def _group_view(group: ir.ResourceGroup) -> dict[str, Any]:
    typing_names = {"TYPE_CHECKING", "Unpack", *group.typing_imports}
    if any(op.events is not None and not op.events.only for op in group.operations):
        typing_names |= {"Literal", "overload"}
    operations = [_operation_view(op) for op in group.operations]
    if any(op["pager"] for op in operations):
        typing_names.add("Any")  # the page helpers' fetch(via: Any, position: Any)
    return {
        "name": group.name,
        "class_name": group.class_name,
        "doc": _one_line(group.description) or f"Operations of the ``{group.name}`` group.",
        "operations": operations,
        "model_imports": group.model_imports,
        "module_imports": group.module_imports,
        "abc_imports": sorted(set(group.abc_imports) | ({"AsyncIterator", "Iterator"} if any(op["pager"] for op in operations) else set())),
        "typing_line": ", ".join(sorted(typing_names, key=lambda n: (n != "TYPE_CHECKING", n))),
        "runtime_imports": _runtime_imports(operations),
    }


def _runtime_imports(operations: list[dict[str, Any]]) -> list[str]:
    """What a resource module imports from ``_runtime``, in isort's order (constants, classes, functions)."""
    uses: dict[str, Callable[[dict[str, Any]], Any]] = {
        "optional": lambda op: op["not_given"] or (op["pager"] and op["pager"]["starts_unset"]),
        "awaitable": lambda op: not op["events"],
        "deprecated": lambda op: op["deprecated"],
        "streaming": lambda op: op["stream"],
        "pagination": lambda op: op["pager"],
        "parts": lambda op: op["parts"],
        "binary_body": lambda op: op["body"] is not None and op["body"].encoding == "bytes",
        "events": lambda op: op["events"],
        "servers": lambda op: op["servers"],
        "server_variables": lambda op: op["server_variables"],
    }
    names = set(naming.RESOURCE_RUNTIME_IMPORTS["always"])
    names.update(name for key, used in uses.items() if any(used(op) for op in operations) for name in naming.RESOURCE_RUNTIME_IMPORTS[key])
    return sorted(names, key=lambda name: (not name.isupper(), not name[0].isupper(), name))


def _scheme_view(api: ir.Api, scheme: ir.SecurityScheme) -> dict[str, Any]:
    kinds = {
        "api_key": f"API key, sent in the ``{scheme.wire_name}`` {scheme.location}{' parameter' if scheme.location == 'query' else ''}",
        "bearer": "Access token, sent as ``Authorization: Bearer <token>``",
        "basic": "``(username, password)``, sent as HTTP basic auth",
    }
    doc = f"{kinds[scheme.kind]} (security scheme ``{scheme.key}``)."
    if scheme.prefix:
        doc += f" Sent as ``{scheme.prefix}<key>``; pass the key alone."
    if scheme.token_url:
        doc += f" Obtain it from ``{scheme.token_url}``."
    return {
        "key": scheme.key,
        "kind": scheme.kind,
        "location": scheme.location,
        "wire_name": scheme.wire_name,
        "arg_name": scheme.arg_name,
        "annotation": "tuple[str, str]" if scheme.kind == "basic" else "str",
        "env_var": naming.environment_variable(api.package_name, scheme.arg_name),
        "doc": doc,
        "description": scheme.description,
        "spec_type": scheme.spec_type,
        "prefix": scheme.prefix,
        "flows": scheme.flows,
        "scopes": scheme.scopes,
    }


def _credential_views(schemes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``Client`` argument per distinct credential; several schemes may share one."""
    by_arg: dict[str, list[dict[str, Any]]] = {}
    for scheme in schemes:
        by_arg.setdefault(scheme["arg_name"], []).append(scheme)
    views = []
    for arg, members in by_arg.items():
        first = members[0]
        doc = " Or: ".join(member["doc"] for member in members)
        views.append(
            {
                "arg_name": arg,
                "annotation": first["annotation"],
                "env_var": "" if first["kind"] == "basic" else first["env_var"],
                "doc": doc,
            }
        )
    return views


def _oauth2_view(api: ir.Api, server_arguments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ``Client`` arguments that fetch OAuth2 tokens, when some scheme has a flow for it."""
    with_flows = [scheme for scheme in api.security_schemes if scheme.flows]
    if not with_flows:
        return None
    password_flow = any(grant == "password" for scheme in with_flows for grant, _ in scheme.flows)
    taken = [scheme.arg_name for scheme in api.security_schemes] + [argument["py_name"] for argument in server_arguments]
    names = naming.oauth2_arguments(password_flow, taken)
    environment = {
        role: naming.environment_variable(api.package_name, name) for role, name in names.items() if role != "scopes"
    }
    token_arguments = sorted({scheme.arg_name for scheme in with_flows})
    return {
        **names,
        "env": environment,
        "password_flow": password_flow,
        "token_arguments": token_arguments,
        "token_urls": sorted({url for scheme in with_flows for _, url in scheme.flows}),
        "scopes_default": sorted({scope for scheme in with_flows for scope in scheme.scopes}),
    }


def _has_password(node: Any) -> bool:
    """Whether some schema under ``node`` is a ``format: password`` string (a ``SecretStr`` field)."""
    if isinstance(node, dict):
        return node.get("format") == "password" or any(_has_password(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_password(item) for item in node)
    return False


def _import_file_type(models_source: str) -> str:
    """``models_source`` importing the runtime's ``FileInput``, the type of file fields in multipart body models."""
    marker = "from __future__ import annotations\n"
    line = f"from ._runtime import {parse.FILE_TYPE}\n"
    return models_source.replace(marker, marker + line, 1) if marker in models_source else line + models_source


def render(api: ir.Api, models_source: str, package_version: str, generator_version: str) -> dict[str, str]:
    """Every file of the package, relative path -> text (not yet formatted)."""
    context = render_context(api, package_version, generator_version)
    return {**render_without_models(api, context), **render_models(api, context, models_source)}


def render_context(api: ir.Api, package_version: str, generator_version: str) -> dict[str, Any]:
    """What every template of the package is rendered with."""
    groups = [_group_view(group) for group in api.groups]
    schemes = [_scheme_view(api, scheme) for scheme in api.security_schemes]
    servers = _server_context(api)
    context: dict[str, Any] = {
        "api": {
            "title": api.title,
            "version": api.version,
            "description": api.description,
            "package_name": api.package_name,
            "distribution_name": api.distribution_name,
            "default_base_url": api.default_base_url,
            **servers,
            "groups": groups,
            "security_schemes": schemes,
            "oauth2": _oauth2_view(api, servers["server_arguments"]),
            "credentials": _credential_views(schemes),
            "pagers": [
                {**op["pager"], "group": view["name"], "position": op["pager"]["position_name"]}
                for view in groups
                for op in view["operations"]
                if op["pager"]
            ],
            "streaming": any(op.stream_name for op in api.operations),
            "event_streams": [
                {"group": view["name"], "method": op["py_name"], **op["events"]}
                for view in groups
                for op in view["operations"]
                if op["events"]
            ],
            "read_only": api.has_read_only,
            "forms": any(op.body is not None and op.body.encoding == "form" for op in api.operations),
            "uploads": any(op.body is not None and op.body.encoding == "multipart" for op in api.operations),
            "binary_bodies": any(op.body is not None and op.body.encoding == "bytes" for op in api.operations),
            "file_fields": api.has_file_fields,
            "secrets": _has_password(api.model_document),
            "streams": [
                {"group": view["name"], "name": op["stream"]["name"], "method": op["py_name"]}
                for view in groups
                for op in view["operations"]
                if op["stream"]
            ],
            "uses_environment": any(scheme["kind"] != "basic" for scheme in schemes),
            "models": api.models,
            "openapi_version": api.openapi_version,
            # polymorphic_serialization (used by dispatching base models) arrived in pydantic 2.14
            "pydantic_requirement": "pydantic>=2.14,<3" if api.polymorphic else "pydantic>=2.7,<3",
        },
        "flavours": FLAVOURS,
        "status_errors": [{"status": code, "name": name} for code, name in status_errors()],
        "package_version": package_version,
        "generator_version": generator_version,
    }
    return context


def render_models(api: ir.Api, context: dict[str, Any], models_source: str) -> dict[str, str]:
    """``models.py`` of the package (path -> text, not yet formatted), around ``models_source``."""
    return {
        f"{api.package_name}/models.py": environment()
        .get_template("module/models.py.jinja")
        .render({**context, "models_source": _import_file_type(models_source) if api.has_file_fields else models_source})
    }


def render_without_models(api: ir.Api, context: dict[str, Any]) -> dict[str, str]:
    """Every file of the package but ``models.py`` (see :func:`render_models`), which needs the
    models stage: these may be rendered and formatted while it runs."""
    env = environment()
    groups = context["api"]["groups"]
    pkg = api.package_name
    files: dict[str, str] = {
        "pyproject.toml": env.get_template("package/pyproject.toml.jinja").render(context),
        "README.md": env.get_template("package/README.md.jinja").render(context),
        f"{pkg}/__init__.py": env.get_template("module/__init__.py.jinja").render(context),
        f"{pkg}/py.typed": "",
        f"{pkg}/_runtime.py": runtime_source(),
        f"{pkg}/_client.py": env.get_template("module/_client.py.jinja").render(context),
        f"{pkg}/resources/__init__.py": env.get_template("module/resources/__init__.py.jinja").render(context),
    }
    group_template = env.get_template("module/resources/group.py.jinja")
    for view in groups:
        files[f"{pkg}/resources/{view['name']}.py"] = group_template.render({**context, "group": view})
    return files

