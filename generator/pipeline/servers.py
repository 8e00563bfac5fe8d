"""Where requests go: the ``servers`` of the document, of path items and of operations.

Read by :mod:`generator.parse` into :class:`generator.ir.Server` values. What the client
cannot use is reported as a warning at its JSON pointer, never dropped silently: a server
without a ``url``, a ``{variable}`` the server does not declare or declares without a
default, a default outside the variable's ``enum``, and relative URLs of path items and
operations (the client cannot reach a relative URL without a base; the operation then goes
to the client's base URL). A document whose servers are all relative (or absent) makes
``base_url`` a required ``Client`` argument instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from generator.errors import pointer
from generator.pipeline import ir, naming

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Report = Callable[[str, str], None]


def _text(value: Any) -> str:
    """A variable's default or enum value as the URL text it becomes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read(raw: Any, where: str, report: Report) -> list[ir.Server]:
    """The usable entries of the ``servers`` list at ``where`` (names not yet decided)."""
    result: list[ir.Server] = []
    if not isinstance(raw, list):
        return result
    for index, entry in enumerate(raw):
        at = where + pointer(index)
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            report(at, "server without a url string: left out")
            continue
        url: str = entry["url"]
        raw_variables = entry.get("variables")
        declared: dict[str, Any] = raw_variables if isinstance(raw_variables, dict) else {}
        variables: list[ir.ServerVariable] = []
        usable = True
        for name in dict.fromkeys(_PLACEHOLDER.findall(url)):
            variable = declared.get(name)
            if not isinstance(variable, dict) or "default" not in variable or isinstance(variable.get("default"), (dict, list)):
                report(
                    at + pointer("url") if not isinstance(variable, dict) else at + pointer("variables", name),
                    f"server variable {{{name}}} has no declaration with a default value: this server is left out (pass base_url to use it)",
                )
                usable = False
                continue
            enum = tuple(_text(v) for v in variable.get("enum") or [] if not isinstance(v, (dict, list)))
            default = _text(variable["default"])
            if enum and default not in enum:
                report(at + pointer("variables", name, "default"), f"default {default!r} of server variable {name!r} is not in its enum: it is allowed too")
                enum = (default, *enum)
            variables.append(ir.ServerVariable(wire_name=name, default=default, enum=enum, description=str(variable.get("description") or "")))
        if not usable:
            continue
        override = entry.get(naming.EXTENSION_PREFIX + "name")
        server = ir.Server(
            url=url,
            description=str(entry.get("description") or ""),
            name=override if isinstance(override, str) else "",
            variables=tuple(variables),
        )
        if "://" not in server.default_url:
            server = ir.Server(url=server.url, description=server.description, name=server.name, variables=server.variables, absolute=False)
        result.append(server)
    return result


def name_document_servers(servers: list[ir.Server]) -> list[ir.Server]:
    """The document's servers with the names ``Client(server=...)`` selects them by (when
    there are several absolute ones; else none: there is nothing to select)."""
    selectable = [server for server in servers if server.absolute]
    if len(selectable) < 2:
        return [ir.Server(url=s.url, description=s.description, variables=s.variables, absolute=s.absolute) for s in servers]
    names = iter(naming.server_names([(server.name, server.description) for server in selectable]))
    return [
        ir.Server(url=s.url, description=s.description, name=next(names) if s.absolute else "", variables=s.variables, absolute=s.absolute)
        for s in servers
    ]


def operation_servers(path_item: dict[str, Any], operation: dict[str, Any], path: str, method: str, report: Report) -> tuple[ir.Server, ...]:
    """An operation's own absolute servers (the operation's ``servers``, else its path item's)."""
    if operation.get("servers"):
        where, raw = pointer("paths", path, method, "servers"), operation["servers"]
    elif path_item.get("servers"):
        where, raw = pointer("paths", path, "servers"), path_item["servers"]
    else:
        return ()
    found = read(raw, where, report)
    for index, server in enumerate(found):
        if not server.absolute:
            report(
                where + pointer(index, "url"),
                f"relative server URL {server.url!r} of an operation is not supported: the operation is sent to the client's base URL",
            )
    return tuple(server for server in found if server.absolute)


def arguments(servers: Iterable[ir.Server], taken: Iterable[str]) -> list[ir.ServerArgument]:
    """One ``Client(...)`` argument per server variable name, over every server the client may use."""
    declarations: dict[str, list[ir.ServerVariable]] = {}
    for server in servers:
        for variable in server.variables:
            declarations.setdefault(variable.wire_name, []).append(variable)
    names = naming.server_argument_names(list(declarations), taken)
    result = []
    for wire, found in declarations.items():
        closed = all(variable.enum for variable in found)
        enum = tuple(dict.fromkeys(value for variable in found for value in variable.enum)) if closed else ()
        result.append(
            ir.ServerArgument(
                wire_name=wire,
                py_name=names[wire],
                enum=enum,
                defaults=tuple(dict.fromkeys(variable.default for variable in found)),
                description=next((variable.description for variable in found if variable.description), ""),
            )
        )
    return result
