"""Stage 2: validate a bundled document with openapi-spec-validator, plus the checks it lacks.

openapi-spec-validator raises ``referencing`` errors (not its own type) for
broken references, locates some errors only at ``$`` and does not notice
undefined security schemes; this module wraps it so every problem becomes a
:class:`~generator.errors.Problem` with the file and the JSON pointer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from generator.errors import Problem, SpecError, pointer

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def validate(document: dict[str, Any], file: str) -> list[Problem]:
    """Every problem found in ``document``; an empty list means it is valid."""
    version = document.get("openapi")
    if not isinstance(version, str):
        return [Problem(file, "/openapi", "missing or non-string `openapi` version", "this tool reads OpenAPI 3.0 and 3.1 documents")]
    if version.startswith("3.0"):
        validator_class: Any = OpenAPIV30SpecValidator
    elif version.startswith("3.1"):
        validator_class = OpenAPIV31SpecValidator
    else:
        return [Problem(file, "/openapi", f"unsupported OpenAPI version {version!r}", "use 3.0.x or 3.1.x")]

    problems = list(_reference_problems(document, file))
    if problems:  # the validator would only crash on the first of these
        return problems
    try:
        validator = validator_class(document, base_uri=f"file://{file}")
        for error in validator.iter_errors():
            problems.append(Problem(file, _error_pointer(error), _error_message(error)))
    except Exception as exc:  # noqa: BLE001 - the validator leaks foreign exception types
        problems.append(Problem(file, "", f"validator failed: {type(exc).__name__}: {exc}".splitlines()[0]))
    problems.extend(_security_problems(document, file))
    return _unique(problems)


def validate_or_raise(document: dict[str, Any], file: str) -> None:
    problems = validate(document, file)
    if problems:
        raise SpecError(problems)


def _error_pointer(error: Any) -> str:
    path = list(getattr(error, "absolute_path", []) or getattr(error, "path", []) or [])
    return pointer(*path)


def _error_message(error: Any) -> str:
    message = str(getattr(error, "message", error)).splitlines()[0]
    if len(message) > 300:
        message = message[:297] + "..."
    return message


def _reference_problems(document: dict[str, Any], file: str) -> Iterator[Problem]:
    """Every local ``$ref`` must resolve; file references were bundled by the loader."""
    stack: list[tuple[Any, tuple[object, ...]]] = [(document, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#"):
                    yield Problem(file, pointer(*where, "$ref"), f"unresolved external reference {ref!r}")
                elif _resolve_pointer(document, ref[1:]) is _MISSING:
                    yield Problem(file, pointer(*where, "$ref"), f"reference {ref!r} points at nothing", "define the target or fix the pointer")
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    stack.append((value, (*where, key)))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    stack.append((value, (*where, index)))


_MISSING = object()


def _resolve_pointer(document: Any, fragment: str) -> Any:
    node = document
    for token in fragment.split("/")[1:] if fragment else []:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node


def _security_problems(document: dict[str, Any], file: str) -> Iterator[Problem]:
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    requirements: list[tuple[tuple[object, ...], Any]] = [(("security",), document.get("security"))]
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and "security" in operation:
                requirements.append((("paths", path, method, "security"), operation["security"]))
    for where, requirement in requirements:
        for index, alternative in enumerate(requirement or []):
            for name in alternative or {}:
                if name not in schemes:
                    yield Problem(file, pointer(*where, index, name), f"security scheme {name!r} is not defined", "add it under components/securitySchemes")


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result
