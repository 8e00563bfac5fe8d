"""Errors clientsmith reports to its users: one clear line each, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input document, located by file and JSON pointer."""

    file: str
    pointer: str
    message: str
    hint: str = ""
    # True for schema-validation findings that --lenient may downgrade to warnings;
    # structural problems (unreadable, dangling references) are never lenient.
    lenient_ok: bool = False

    def __str__(self) -> str:
        location = f"{self.file}#{self.pointer or '/'}"
        text = f"{location}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ClientsmithError(Exception):
    """Base of every error the CLI turns into a one-line message."""

    exit_code = 1


class InputError(ClientsmithError):
    """The input cannot be read at all (missing file, unparsable YAML/JSON): exit 2."""

    exit_code = 2


class SpecError(ClientsmithError):
    """The document was read but is not something we can generate from: exit 1."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class UsageError(ClientsmithError):
    """Bad command-line usage or configuration: exit 2."""

    exit_code = 2


MISSING: Any = object()
"""What :func:`follow_pointer` returns when the pointer leads nowhere."""


def escape_pointer_token(token: object) -> str:
    """RFC 6901 escaping of one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: object) -> str:
    """Build a JSON pointer from path tokens: ``pointer("paths", "/a")`` -> ``/paths/~1a``."""
    return "".join("/" + escape_pointer_token(token) for token in tokens)


class OutputError(ClientsmithError):
    """The output folder cannot take the generated files (something is in the way): exit 2."""

    exit_code = 2


def unescape_pointer_token(token: str) -> str:
    """Undo RFC 6901 escaping: ``~1`` -> ``/``, ``~0`` -> ``~``."""
    return token.replace("~1", "/").replace("~0", "~")


def follow_pointer(document: Any, fragment: str) -> Any:
    """The node at JSON pointer ``fragment`` (``/a/b``, the part after ``#``), or :data:`MISSING`."""
    node = document
    for token in (t for t in fragment.split("/") if t):
        token = unescape_pointer_token(token)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return MISSING
    return node
