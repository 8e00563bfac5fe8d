"""Stage 2: validate a bundled document with openapi-spec-validator, plus the checks it lacks.

openapi-spec-validator raises ``referencing`` errors (not its own type) for
broken references, locates some errors only at ``$`` and does not notice
undefined security schemes; this module wraps it so every problem becomes a
:class:`~generator.errors.Problem` with the file and the JSON pointer.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from generator.errors import MISSING, Problem, SpecError, follow_pointer, pointer
from generator.pipeline.forked import Forked
from generator.pipeline.loader import is_schema_position, iter_references

if TYPE_CHECKING:
    from generator.pipeline.cache import Cache

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def validate(document: dict[str, Any], file: str) -> list[Problem]:
    """Every problem found in ``document``; an empty list means it is valid."""
    early = _structure_problems(document, file)
    return early if early is not None else _validator_problems(document, file)


def _structure_problems(document: dict[str, Any], file: str) -> list[Problem] | None:
    """What stops validation before openapi-spec-validator runs (no OpenAPI 3.0/3.1 version,
    broken or cyclic references), or None when it may run."""
    if "swagger" in document and "openapi" not in document:
        return [
            Problem(
                file,
                "/swagger",
                f"Swagger {document.get('swagger')} documents are not supported",
                "convert it to OpenAPI 3 first (e.g. `npx swagger2openapi spec.yaml -o spec3.yaml`)",
            )
        ]
    version = document.get("openapi")
    if not isinstance(version, str):
        return [Problem(file, "/openapi", "missing or non-string `openapi` version", "this tool reads OpenAPI 3.0 and 3.1 documents")]
    if not version.startswith(("3.0", "3.1")):
        return [Problem(file, "/openapi", f"unsupported OpenAPI version {version!r}", "use 3.0.x or 3.1.x")]
    problems = list(_reference_problems(document, file))
    return problems or None  # the validator would only crash on the first of these


def _validator_problems(document: dict[str, Any], file: str, passed: set[str] | None = None) -> list[Problem]:
    """openapi-spec-validator's findings and the security-scheme check, on a document
    :func:`_structure_problems` passed. ``passed``: digests of schema contents known to pass
    the meta-schema check (see :func:`_remembering`); those that pass here are added to it."""
    validator_class = _spec_validator(document["openapi"][:3])
    problems: list[Problem] = []
    try:
        validator = validator_class(document, base_uri=f"file://{file}")
        validator.keyword_validators_registry.passed_meta_check = passed if passed is not None else set()
        locator = _Locator(document)
        for error in validator.iter_errors():
            where = _error_pointer(error) or locator.locate(error)
            problems.append(Problem(file, where, _error_message(error), lenient_ok=True))
    except RecursionError:
        problems.append(Problem(file, "", "the document nests too deeply to validate"))
    except Exception as exc:  # noqa: BLE001 - the validator leaks foreign exception types
        problems.append(Problem(file, "", f"validator failed: {type(exc).__name__}: {exc}".splitlines()[0], lenient_ok=True))
    problems.extend(_security_problems(document, file))
    return _unique(problems)


@functools.cache
def _spec_validator(version: str) -> Any:
    """openapi-spec-validator's validator class for OpenAPI ``version`` (``3.0`` or ``3.1``),
    made faster where that changes no finding:

    * schemas whose content already passed the check against the JSON Schema meta-schema (the
      costly part of validation) pass again without a second check: the check reads nothing
      but the schema (and the document's dialect, the same for all), and in a FastAPI spec
      such as Airflow's half of the schema objects checked repeat one another;
    * 3.1: the check of the document against the OpenAPI 3.1 schema finds that schema's
      ``$dynamicAnchor``s without crawling it again for every schema object. The stock
      validator registers the OpenAPI 3.1 schema as its (uncrawled) root resource, so each
      ``$dynamicRef: "#meta"`` (one per schema object in the spec) misses the anchor table and
      crawls the whole 20 KB schema anew: about half of validating Airflow's full spec. Here
      the registry is crawled once; the anchors are the same.
    """
    # deferred (~0.3 s with pydantic-settings): imported by the child that validates
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    if version == "3.0":
        base: Any = OpenAPIV30SpecValidator
        attributes: dict[str, Any] = {}
    else:
        from jsonschema.validators import validator_for  # type: ignore[import-untyped]
        from openapi_spec_validator.schemas import schema_v31
        from referencing import Registry, Resource

        base = OpenAPIV31SpecValidator
        schema = dict(schema_v31)
        resource = Resource.from_contents(schema)
        registry: Any = Registry().with_resource(resource.id() or "", resource).crawl()
        attributes = {"schema_validator": validator_for(schema)(schema, registry=registry)}
    keywords = dict(base.keyword_validators)
    keywords["schema"] = _remembering(keywords["schema"])
    return type(f"Fast{base.__name__}", (base,), {**attributes, "keyword_validators": keywords})


def _remembering(schema_keyword: Any) -> Any:
    """openapi-spec-validator's keyword validator for schemas, remembering which schema
    contents passed the meta-schema check (see :func:`_spec_validator`): the sha256 of their
    canonical JSON, in the ``passed_meta_check`` set of the validator's keyword registry. The set may come from an
    earlier run (the regeneration cache keeps it): the check reads nothing but the schema and
    the OpenAPI version, which the cache key holds, and only passing contents are recorded, so
    a schema with a finding is always checked again."""

    def _validate_schema_meta(self: Any, schema: Any, schema_value: Any) -> Any:
        try:
            text = json.dumps(schema_value, sort_keys=True)
        except (TypeError, ValueError):  # keys of mixed types, values JSON has not: check as usual
            return schema_keyword._validate_schema_meta(self, schema, schema_value)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        passed = self.registry.passed_meta_check
        if key in passed:
            return None
        error = schema_keyword._validate_schema_meta(self, schema, schema_value)
        if error is None:
            passed.add(key)
        return error

    def __init__(self: Any, registry: Any) -> None:
        schema_keyword.__init__(self, registry)
        self.visited_schema_ids = _IdSet()
        self.meta_checked_schema_ids = _IdSet()

    return type(
        f"Remembering{schema_keyword.__name__}",
        (schema_keyword,),
        {"__init__": __init__, "_validate_schema_meta": _validate_schema_meta},
    )


class _IdSet(set[int]):
    """The ids of the schema objects openapi-spec-validator has visited (and meta-checked), which
    it keeps in lists and asks ``in`` of for every schema object: quadratic in the schema objects of
    a document (GitHub's: about a quarter of validating it). A set answers the same."""

    def append(self, value: int) -> None:
        self.add(value)


def validate_or_raise(
    document: dict[str, Any], file: str, *, lenient: bool = False, warn: Callable[[Problem], None] | None = None
) -> None:
    """Raise :class:`SpecError` on any problem; with ``lenient``, schema-validation findings are
    passed to ``warn`` instead and only structural problems stop generation.

    With ``lenient``, a local ``$ref`` where a schema goes that points at nothing is also only
    a warning: ``document`` is changed in place so the reference becomes an untyped schema.
    """
    finish_validation(start_validation(document, file, lenient=lenient, background=False), warn)


@dataclass
class Validation:
    """A validation under way (see :func:`start_validation`)."""

    lenient: bool
    degraded: list[Problem]
    problems: Forked[list[Problem]]
    #: called with the validator's findings once they are known (stores them in the cache)
    found: Callable[[list[Problem]], None] | None = None


def start_validation(
    document: dict[str, Any], file: str, *, lenient: bool = False, background: bool = True, cache: Cache | None = None
) -> Validation:
    """Start :func:`validate_or_raise`; :func:`finish_validation` reports its outcome.

    What is cheap and keeps the later stages safe runs now: with ``lenient`` dangling schema
    references are degraded (``document`` changes in place, as in :func:`validate_or_raise`),
    and broken or cyclic references are found. openapi-spec-validator, the costly part, runs
    in a forked child with ``background`` (see :mod:`generator.pipeline.forked`) on the
    document as it is now, so the caller may go on (building the IR) meanwhile. With a
    ``cache``, the validator's findings on a document it has checked before are reused (the
    key is the document as the validator sees it, after ``lenient`` degraded it: the findings
    depend on nothing else; what ``lenient`` does with them is decided here each time).
    """
    degraded = _degrade_dangling_schema_refs(document, file) if lenient else []
    early = _structure_problems(document, file)
    if early is not None:
        return Validation(lenient, degraded, Forked(lambda: early, fork=False))
    if cache is None:
        return Validation(lenient, degraded, Forked(lambda: _validator_problems(document, file), fork=background))
    from generator.pipeline.cache import canonical, key

    entry = key("validate", file, canonical(document))
    stored = cache.get("validate", entry)
    if stored is not None:
        known = [Problem(**fields) for fields in json.loads(stored)]
        return Validation(lenient, degraded, Forked(lambda: known, fork=False))

    def found(problems: list[Problem]) -> None:
        cache.put("validate", entry, json.dumps([asdict(problem) for problem in problems]))

    def checked() -> list[Problem]:
        """The validator's findings, the schema contents that passed the meta-schema check in
        earlier runs skipped (an edited document re-checks only what it has not seen pass)."""
        passed_entry = key("validate-schemas-passed", str(document["openapi"])[:3])
        text = cache.get("validate-schemas-passed", passed_entry)
        passed = set(text.split()) if text else set()
        before = len(passed)
        problems = _validator_problems(document, file, passed)
        if len(passed) != before:
            cache.put("validate-schemas-passed", passed_entry, "\n".join(sorted(passed)))
        return problems

    return Validation(lenient, degraded, Forked(checked, fork=background), found)


def finish_validation(validation: Validation, warn: Callable[[Problem], None] | None = None) -> None:
    """Wait for ``validation``; raise :class:`SpecError` on its problems or, with ``lenient``
    and only findings it may downgrade, pass them to ``warn`` (after the degraded references)."""
    problems = validation.problems.result()
    if validation.found is not None:
        validation.found(problems)
    if validation.lenient:
        fatal = [problem for problem in problems if not problem.lenient_ok]
        if not fatal:
            for problem in [*validation.degraded, *problems]:
                if warn is not None:
                    warn(problem)
            return
        problems = fatal
    if problems:
        raise SpecError(problems)


def _error_pointer(error: Any) -> str:
    path = list(getattr(error, "absolute_path", []) or getattr(error, "path", []) or [])
    return pointer(*path)


class _Locator:
    """Finds where an error the validator reports at the root really is.

    openapi-spec-validator checks ``default``/``example`` values with a
    separate validator and loses their location; we look for the value in the
    document (the n-th error about a value goes to its n-th occurrence).
    """

    _KEYS = ("default", "example", "const", "enum")

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._occurrences: dict[str, list[str]] | None = None
        self._used: dict[str, int] = {}

    _OPERATION_MESSAGE = re.compile(r"for '(\w+)'(?: operation)? in '([^']*)'")

    def locate(self, error: Any) -> str:
        message = str(getattr(error, "message", ""))
        operation = self._OPERATION_MESSAGE.search(message)
        if operation is not None:  # "Operation ID 'x' for 'get' in '/p' ...", "Path parameter ... in '/p' ..."
            method, path = operation.group(1), operation.group(2)
            leaf = "operationId" if message.startswith("Operation ID") else "parameters"
            return pointer("paths", path, method, leaf)
        if self._occurrences is None:
            self._occurrences = self._index()
        key = _value_key(getattr(error, "instance", None))
        places = self._occurrences.get(key, []) + self._occurrences.get("~" + key, [])
        counter = f"{key}|{getattr(error, 'validator', '')}"
        index = self._used.get(counter, 0)
        self._used[counter] = index + 1
        return places[min(index, len(places) - 1)] if places else ""

    def _index(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        stack: list[tuple[Any, tuple[object, ...]]] = [(self.document, ())]
        while stack:
            node, where = stack.pop()
            if isinstance(node, dict):
                for key in self._KEYS:
                    if key in node and key != "enum":
                        # suspicious values (that may break their schema) first, then the rest
                        rank = "" if _suspicious(node, node[key]) else "~"
                        found.setdefault(rank + _value_key(node[key]), []).append(pointer(*where, key))
                    elif key == "enum" and isinstance(node.get("enum"), list):
                        for index, value in enumerate(node["enum"]):
                            found.setdefault(_value_key(value), []).append(pointer(*where, "enum", index))
                stack.extend((value, (*where, key)) for key, value in reversed(list(node.items())) if isinstance(value, (dict, list)))
            elif isinstance(node, list):
                stack.extend((value, (*where, index)) for index, value in reversed(list(enumerate(node))) if isinstance(value, (dict, list)))
        return found


_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,), "array": (list,), "object": (dict,)}


def _suspicious(schema: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` may break its schema (so the validator may have complained about it)."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if isinstance(kinds, str) else []
    if not kinds:
        return True  # composed schemas (oneOf...) can't be judged cheaply
    if value is None:
        return not schema.get("nullable") and "null" not in kinds
    allowed = tuple(t for kind in kinds for t in _JSON_TYPES.get(kind, ()))
    if isinstance(value, bool) and "boolean" not in kinds:
        return True
    return not isinstance(value, allowed) if allowed else True


def _value_key(value: Any) -> str:
    return f"{type(value).__name__}:{value!r}"


def _error_message(error: Any) -> str:
    message = str(getattr(error, "message", error)).splitlines()[0]
    if len(message) > 300:
        message = message[:297] + "..."
    return message


def _reference_problems(document: dict[str, Any], file: str) -> Iterator[Problem]:
    """Every local ``$ref`` must resolve; file references were bundled by the loader.

    References inside specification extensions (``x-...``) are opaque and not checked.
    """
    for where, node in iter_references(document):
        ref = node["$ref"]
        if not ref.startswith("#"):
            yield Problem(file, pointer(*where, "$ref"), f"unresolved external reference {ref!r}")
        elif follow_pointer(document, ref[1:]) is MISSING:
            yield Problem(file, pointer(*where, "$ref"), f"reference {ref!r} points at nothing", "define the target or fix the pointer")
        elif _is_cycle(document, ref):
            yield Problem(file, pointer(*where, "$ref"), f"reference {ref!r} only leads to other references in a cycle", "point one of them at a real object")


#: Component sections whose entries are not schemas (a dangling reference there is never degraded).
_NON_SCHEMA_SECTIONS = ("parameters", "responses", "requestBodies", "headers", "examples", "links", "callbacks", "securitySchemes", "pathItems")


def _degrade_dangling_schema_refs(document: dict[str, Any], file: str) -> list[Problem]:
    """Lenient mode: replace each local ``$ref`` that points at nothing, where a schema goes,
    by an untyped schema (its sibling keywords kept), in place; one warning each.

    Everything else about the operation is still generated; the value is typed ``Any``.
    """
    warnings: list[Problem] = []
    for where, node in list(iter_references(document)):
        ref = node["$ref"]
        if not (where and ref.startswith("#") and is_schema_position(where)):
            continue
        if ref.startswith(tuple(f"#/components/{section}/" for section in _NON_SCHEMA_SECTIONS)):
            continue
        if follow_pointer(document, ref[1:]) is not MISSING:
            continue
        parent = follow_pointer(document, pointer(*where[:-1]))
        parent[where[-1]] = {key: value for key, value in node.items() if key != "$ref"}
        warnings.append(
            Problem(
                file,
                pointer(*where, "$ref"),
                f"reference {ref!r} points at nothing; generated as an untyped schema (Any)",
                "define the target or fix the pointer",
                lenient_ok=True,
            )
        )
    return warnings


def _is_cycle(document: dict[str, Any], ref: str) -> bool:
    """True when following ``ref`` meets nothing but ``$ref`` objects, back to one already seen."""
    seen: set[str] = set()
    while ref not in seen:
        seen.add(ref)
        target = follow_pointer(document, ref[1:])
        if not (isinstance(target, dict) and isinstance(target.get("$ref"), str) and target["$ref"].startswith("#")):
            return False
        ref = target["$ref"]
    return True


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
                    yield Problem(
                        file, pointer(*where, index, name), f"security scheme {name!r} is not defined", "add it under components/securitySchemes", lenient_ok=True
                    )


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    result = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result
