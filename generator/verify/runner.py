"""Every operation of a generated client, checked against readings that are not ours.

For each operation:

* ``request``: arguments drawn from the spec's parameter and body schemas
  (hypothesis-jsonschema) are passed to the sync and the async client over a
  transport that captures the request; openapi-core must accept the request and
  read back the values that were passed.
* ``response``: bodies drawn from each declared success response are served; the
  call must return a value whose dump equals the body.
* ``errors``: bodies drawn from each declared error response are served; the call
  must raise the error class of that status with the body parsed.
* ``compat``: success bodies changed the way newer servers change them (an enum
  value the spec does not list, an unknown field, an optional field missing, null
  where the schema is nullable) must parse, and nothing may be lost.

Failures are shrunk by hypothesis to a minimal example.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect
import json
import signal
import sys
import threading
import time
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from generator.errors import escape_pointer_token
from generator.pipeline import ir
from generator.verify import shapes as shapes_module
from generator.verify.oracle import BASE_URL, Oracle
from generator.verify.schemas import Converter, strategy
from generator.verify.values import difference, plain, show

CHECKS = ("request", "response", "errors", "compat")

#: Strings of headers, cookies and delimited parameters: what those carry unambiguously.
_SAFE_TEXT = r"^[A-Za-z0-9_.~-]*$"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class CheckFailed(Exception):
    """One check went wrong for one drawn example."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True)
class Failure:
    pointer: str  # JSON pointer in the spec, "#/paths/..."
    operation: str  # "group.method"
    check: str
    message: str
    example: str  # the minimal example, as JSON


@dataclass
class OperationResult:
    name: str
    pointer: str
    checks: dict[str, str] = field(default_factory=dict)  # check -> "ok" | "FAIL" | "-" (nothing to check) | "skip"


#: Seconds a check may spend shrinking one failure: past them the smallest failing example
#: found so far is reported, marked as not minimal. Hypothesis' own limit is 5 minutes per
#: check; on Stripe's objects (hundreds of fields per example, every call sent twice and read
#: by openapi-core) one shrink step takes a good part of a second.
SHRINK_SECONDS = 20.0


@dataclass
class Budget:
    examples: int
    seed: int
    shrink_seconds: float = SHRINK_SECONDS


class _ShrinkBudgetSpent(BaseException):
    """Raised into hypothesis when a check has shrunk for :attr:`Budget.shrink_seconds`: not an
    ``Exception``, so hypothesis stops there instead of taking it for one more failure."""


class _ShrinkClock:
    """Stops a check that has been shrinking one failure for ``seconds``.

    Hypothesis spends much of that time between calls of the check (sorting and comparing the
    choices of Stripe-sized examples: minutes without a single call), so on the main thread a
    timer signal interrupts it wherever it is; a call of the check in progress is let finish
    (the client and its event loop are not stopped halfway), and the next one is not made.
    Elsewhere (no signals off the main thread) the clock is read at each call.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: float | None = None
        self.running = False  # hypothesis is running: the timer may interrupt it
        self.in_call = False  # the check is running: the timer only marks the time spent
        self.expired = False
        self._previous: Any = None
        self._armed = False

    def start(self) -> None:
        if self.started is not None:
            return
        self.started = time.monotonic()
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
            signal.setitimer(signal.ITIMER_REAL, max(self.seconds, 0.001))
            self._armed = True

    def _alarm(self, signum: int, frame: Any) -> None:
        self.expired = True
        if self.running and not self.in_call:
            raise _ShrinkBudgetSpent

    def spent(self) -> bool:
        return self.expired or (self.started is not None and time.monotonic() - self.started > self.seconds)

    def stop(self) -> None:
        self.running = False
        if self._armed:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)


@dataclass
class _Param:
    py_name: str
    wire_name: str
    location: str  # path | query | header | cookie | body (a flattened body field)
    required: bool
    schema: Any
    pointer: str
    default: Any  # the spec default, or _ABSENT
    style_json: bool = False
    allow_empty: bool = False  # allowEmptyValue: an empty query value may be sent
    form_wire: bool = False  # sent as form pairs (a deepObject query parameter, a form body field)


_ABSENT = object()


class _Capture:
    """A sync and an async transport in one: records each request, serves a preset response."""

    def __init__(self, runtime: types.ModuleType) -> None:
        self.runtime = runtime
        self.requests: list[Any] = []
        self.response = runtime.RawResponse(200, {}, b"")

    def send(self, request: Any, timeout: float | None) -> Any:
        if isinstance(request.content, self.runtime.Upload):  # a body read from files as it is sent
            request = dataclasses.replace(request, content=b"".join(request.content))
        self.requests.append(request)
        return self.response

    def close(self) -> None:
        return None

    async def asend(self, request: Any, timeout: float | None) -> Any:
        if isinstance(request.content, self.runtime.Upload):
            request = dataclasses.replace(request, content=b"".join([chunk async for chunk in request.content]))
        self.requests.append(request)
        return self.response

    async def aclose(self) -> None:
        return None


class _AsyncCapture:
    def __init__(self, capture: _Capture) -> None:
        self._capture = capture

    async def send(self, request: Any, timeout: float | None) -> Any:
        return await self._capture.asend(request, timeout)

    async def aclose(self) -> None:
        return None


def _pointer(*tokens: str) -> str:
    return "#/" + "/".join(escape_pointer_token(token) for token in tokens)


class OperationChecker:
    """Runs the checks of every operation of one generated package."""

    def __init__(self, document: dict[str, Any], api: ir.Api, package: types.ModuleType, budget: Budget) -> None:
        self.document = document
        self.api = api
        self.package = package
        self.budget = budget
        self.runtime = importlib.import_module(f"{package.__name__}._runtime")
        self.client_module = importlib.import_module(f"{package.__name__}._client")
        self.oracle = Oracle(document)
        self.requests = Converter(document, "request")
        self.responses = Converter(document, "response")
        # Defaults as the oracle reads them (a lenient spec's wrongly typed defaults dropped).
        self.shapes = shapes_module.Shapes(self.oracle.document)
        self.defaults = shapes_module.declared_defaults(self.oracle.document)
        self.capture = _Capture(self.runtime)
        credentials = self._credentials()
        self.client = self.client_module.Client(base_url=BASE_URL, transport=self.capture, max_retries=0, **credentials)
        self.async_client = self.client_module.AsyncClient(base_url=BASE_URL, transport=_AsyncCapture(self.capture), max_retries=0, **credentials)
        self.loop = asyncio.new_event_loop()
        self.failures: list[Failure] = []
        self.skipped: list[str] = []

    def close(self) -> None:
        self.loop.close()

    def _credentials(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for scheme in self.api.security_schemes:
            values[scheme.arg_name] = ("verify-user", "verify-password") if scheme.kind == "basic" else "verify-credential"
        return values

    # -- the spec side ---------------------------------------------------------
    def _deref(self, node: Any) -> Any:
        from generator.errors import MISSING, follow_pointer

        for _ in range(16):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")):
                break
            if node["$ref"].startswith("#/components/schemas/"):
                break
            found = follow_pointer(self.document, node["$ref"][1:])
            node = None if found is MISSING else found
        return node

    def _spec_operation(self, op: ir.Operation) -> tuple[dict[str, Any], dict[str, Any], str]:
        path_item = self._deref((self.document.get("paths") or {}).get(op.path)) or {}
        operation = path_item.get(op.http_method.lower()) or {}
        return path_item, operation, _pointer("paths", op.path, op.http_method.lower())

    def _params(self, op: ir.Operation) -> list[_Param]:
        path_item, operation, base = self._spec_operation(op)
        spec: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for owner, where in ((path_item, _pointer("paths", op.path)), (operation, base)):
            for index, raw in enumerate(owner.get("parameters") or []):
                param = self._deref(raw)
                if isinstance(param, dict) and "name" in param and "in" in param:
                    spec[(str(param["in"]), str(param["name"]))] = (param, f"{where}/parameters/{index}")
        result: list[_Param] = []
        body_schema = self._body_schema(op)
        form_wire = self._form_wire_fields(op)
        for p in op.parameters:
            if p.location == "body":
                resolved = self.shapes.resolve(body_schema)
                sub = (resolved.get("properties") or {}).get(p.wire_name, {})
                pointer = f"{base}/requestBody"
                result.append(
                    _Param(p.py_name, p.wire_name, "body", p.required, sub, pointer, self._default(sub), form_wire=p.wire_name in form_wire)
                )
                continue
            found = spec.get((p.location, p.wire_name))
            if found is None:
                continue
            param, pointer = found
            schema = param.get("schema")
            style_json = False
            if schema is None and isinstance(param.get("content"), dict) and param["content"]:
                _media_type, media = next(iter(param["content"].items()))
                schema = (media or {}).get("schema")
                style_json = True
            result.append(
                _Param(
                    p.py_name, p.wire_name, p.location, p.required, schema if schema is not None else {}, pointer,
                    self._default(schema), style_json, param.get("allowEmptyValue") is True,
                    form_wire=p.location == "query" and param.get("style") == "deepObject",
                )
            )
        return result

    def _nested(self, schema: Any) -> bool:
        """An array or object holding arrays or objects: OpenAPI's parameter styles stop at one level."""
        resolved = self.shapes.resolve(schema)
        inner: list[Any] = []
        if isinstance(resolved.get("items"), dict):
            inner.append(resolved["items"])
        inner += list((resolved.get("properties") or {}).values())
        if isinstance(resolved.get("additionalProperties"), dict):
            inner.append(resolved["additionalProperties"])
        for sub in inner:
            kind = self.shapes.resolve(sub).get("type")
            if kind in ("array", "object") or (isinstance(kind, list) and {"array", "object"} & set(kind)):
                return True
            if "properties" in self.shapes.resolve(sub):
                return True
        return False

    def _default(self, schema: Any) -> Any:
        resolved = self.shapes.resolve(schema) if isinstance(schema, dict) else {}
        return resolved.get("default", _ABSENT)

    def _form_wire_fields(self, op: ir.Operation) -> frozenset[str]:
        """The body properties sent as form pairs: those of a form body that its ``encoding``
        map does not send as a content type (JSON text can say ``{}``), and the ``deepObject``
        fields of a multipart body (Stripe's ``file_link_data[create]``)."""
        if op.body is None or op.body.encoding not in ("form", "multipart"):
            return frozenset()
        _, operation, _ = self._spec_operation(op)
        body = self._deref(operation.get("requestBody")) or {}
        media = (body.get("content") or {}).get(op.body.content_type) or {}
        encodings: dict[str, Any] = media["encoding"] if isinstance(media.get("encoding"), dict) else {}
        properties = self.shapes.resolve(media.get("schema") or {}).get("properties") or {}
        names: set[str] = set()
        for name in properties:
            entry = encodings.get(name)
            entry = entry if isinstance(entry, dict) else {}
            styled = not entry or any(key in entry for key in ("style", "explode", "allowReserved"))
            if (styled if op.body.encoding == "form" else entry.get("style") == "deepObject"):
                names.add(name)
        return frozenset(names)

    def _body_schema(self, op: ir.Operation) -> Any:
        if op.body is None:
            return None
        _, operation, _ = self._spec_operation(op)
        body = self._deref(operation.get("requestBody")) or {}
        media = (body.get("content") or {}).get(op.body.content_type) or {}
        return media.get("schema") or {}

    # -- drawing -----------------------------------------------------------------
    def _param_strategy(self, param: _Param) -> Any:

        resolved = self.shapes.resolve(param.schema)
        kind = resolved.get("type")
        structured = kind in ("array", "object") or "properties" in resolved or "items" in resolved
        safe = None
        if param.location in ("header", "cookie") or (param.location in ("query", "path") and structured and not param.style_json):
            safe = _SAFE_TEXT
        if param.location == "body":
            return strategy(self.requests.convert(param.schema, form_wire=param.form_wire))
        # An empty path segment routes elsewhere; an empty query value needs allowEmptyValue.
        non_empty = param.location == "path" or (param.location == "query" and not param.allow_empty)
        converted = self.requests.convert(param.schema, safe_strings=safe, min_length=1 if non_empty else 0, form_wire=param.form_wire)
        if param.location == "path":
            # an empty list or object expands to an empty segment, which routes elsewhere
            return strategy(converted).filter(lambda value: value is not None and value != [] and value != {})
        if param.location != "query" or param.style_json:
            # a null header/cookie value is not sent at all
            return strategy(converted).filter(lambda value: value is not None)
        return strategy(converted).filter(lambda value: value is not None and value != [] and value != {})

    def _arguments(self, op: ir.Operation, params: list[_Param]) -> Any:
        from hypothesis import strategies as st

        required: dict[str, Any] = {}
        optional: dict[str, Any] = {}
        for param in params:
            (required if param.required else optional)[param.py_name] = self._param_strategy(param)
        if op.body is not None and not op.body.fields:
            schema = self._body_schema(op)
            body: Any
            # an empty body reads as no body at all
            if op.body.encoding in ("text", "bytes") and "xml" in op.body.content_type.lower():
                # a body of an XML media type is an XML document (openapi-core parses it)
                body = st.text(alphabet="abcdefghijklmnopqrstuvwxyz 0123456789", max_size=32).map(lambda text: f"<Response>{text}</Response>")
                if op.body.encoding == "bytes":
                    body = body.map(str.encode)
            elif op.body.encoding == "bytes":
                body = st.binary(min_size=1, max_size=64)
            elif op.body.encoding == "text":
                body = st.text(min_size=1, max_size=64)
            else:
                body = strategy(self.requests.convert(schema, form_wire=self._form_wire_fields(op)))
                if op.body.encoding in ("form", "multipart") and self.shapes.resolve(schema).get("properties"):
                    # openapi-core reads an empty form body as no body at all
                    body = body.filter(_sends_something)
            (required if op.body.required else optional)[op.body.py_name] = body
        if op.events is not None and not op.events.only:
            optional[op.stream_argument] = st.booleans()
            return st.fixed_dictionaries(required, optional=optional).map(lambda args: _asks_events(op, args))
        return st.fixed_dictionaries(required, optional=optional)

    # -- calling -----------------------------------------------------------------
    def _method(self, op: ir.Operation, client: Any) -> Callable[..., Any]:
        resource = getattr(client, op.group)
        return typing.cast(Callable[..., Any], getattr(resource, op.py_name))

    def _typed(self, op: ir.Operation, arguments: dict[str, Any], pointer: str) -> dict[str, Any]:
        """The drawn JSON values as the typed arguments the method declares (models, dates, ...)."""
        import pydantic

        method = self._method(op, self.client)
        hints = _hints(method)
        result: dict[str, Any] = {}
        for name, value in arguments.items():
            hint = hints.get(name, Any)
            try:
                result[name] = _adapter(hint).validate_python(value)
            except pydantic.ValidationError as exc:
                raise CheckFailed(pointer, f"argument {name} ({_hint_text(hint)}) rejects a value the spec allows: {_first_error(exc)}") from None
        return result

    def _call(self, op: ir.Operation, client: Any, kwargs: dict[str, Any]) -> Any:
        method = self._method(op, client)
        if inspect.iscoroutinefunction(method):
            return self.loop.run_until_complete(method(**kwargs))
        return method(**kwargs)

    # -- checks ------------------------------------------------------------------
    def check(self, op: ir.Operation) -> OperationResult:
        _, _, pointer = self._spec_operation(op)
        result = OperationResult(f"{op.group}.{op.py_name}", pointer)
        try:
            params = self._params(op)
            arguments = self._arguments(op, params)
        except Exception as exc:  # noqa: BLE001 - a schema hypothesis cannot draw from is reported, not hidden
            self._skip(result, pointer, CHECKS, f"cannot draw arguments: {_one_line(exc)}")
            return result
        unreadable = [p.py_name for p in op.parameters_in("path") if p.style in ("label", "matrix")]
        # deepObject query parameters nest as qs reads them (a[b][c]=v, a[0]=v), and so does the oracle
        undefined = [
            p.py_name for p in params if p.location != "body" and not p.style_json and not (p.location == "query" and p.form_wire) and self._nested(p.schema)
        ]
        multipart_31 = op.body is not None and op.body.encoding == "multipart" and str(self.oracle.document.get("openapi", "")).startswith("3.1")
        if multipart_31:
            # openapi-core 0.23 reads multipart parts as bytes, which no 3.1 `type: string` accepts
            self._skip(result, pointer, ("request",), "openapi-core cannot read multipart bodies of OpenAPI 3.1 specs (parts arrive as bytes)")
        elif unreadable:
            # openapi-core 0.23 cannot read label or matrix path parameters: said, not hidden
            self._skip(result, pointer, ("request",), f"openapi-core cannot read label/matrix path parameters ({', '.join(unreadable)})")
        elif (closed := self.shapes.closed_all_of(self._body_schema(op), "requestBody")) is not None:
            # a spec error no client can work around: reported with its place, not hidden
            self._skip(
                result, pointer, ("request",),
                f"the spec's allOf at {closed} has a part with additionalProperties: false that forbids its sibling parts' "
                "properties, so a request body with them is invalid whatever the client does",
            )
        elif undefined:
            self._skip(
                result, pointer, ("request",),
                f"OpenAPI defines no serialisation for nested arrays or objects in parameters ({', '.join(undefined)}); the client sends them as JSON text",
            )
        else:
            result.checks["request"] = self._run(op, pointer, "request", arguments, lambda args: self._check_request(op, params, args, pointer))
        success = [r for r in op.success if r.content_type and r.annotation is not None and not (op.events is not None and _is_event_stream(r.content_type))]
        errors = [r for r in op.errors if r.content_type and r.annotation is not None]
        for check, responses in (("response", success), ("errors", errors)):
            outcome = "-"
            for response in responses:
                got = self._response_check(op, arguments, response, pointer, check)
                outcome = _worst(outcome, got)
            if check == "response" and op.events is not None:
                outcome = _worst(outcome, self._events_check(op, arguments, pointer))
            result.checks[check] = outcome
        outcome = "-"
        for response in success:
            if _is_json(response.content_type):
                outcome = _worst(outcome, self._response_check(op, arguments, response, pointer, "compat"))
        result.checks["compat"] = outcome
        return result

    def _skip(self, result: OperationResult, pointer: str, checks: tuple[str, ...], reason: str) -> None:
        for check in checks:
            result.checks[check] = "skip"
        self.skipped.append(f"{pointer}: {result.name}: {reason}")

    def _run(self, op: ir.Operation, pointer: str, check: str, drawn: Any, test: Callable[[Any], None]) -> str:
        from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
        from hypothesis import strategies as st
        from hypothesis.errors import Frozen, HypothesisException, UnsatisfiedAssumption

        last: list[tuple[Any, CheckFailed]] = []
        clock = _ShrinkClock(self.budget.shrink_seconds)  # started by the first failure
        undrawable: list[BaseException] = []

        @st.composite
        def guarded(draw: Any) -> Any:
            # a value that cannot be drawn is a failure hypothesis shrinks too: on the clock
            try:
                return draw(drawn)
            except (UnsatisfiedAssumption, Frozen):
                raise
            except Exception as exc:
                undrawable.append(exc)
                clock.start()
                raise

        @settings(
            max_examples=self.budget.examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            print_blob=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
        )
        @seed(self.budget.seed)
        @given(guarded())
        def prop(value: Any) -> None:
            if clock.spent():
                raise _ShrinkBudgetSpent
            clock.in_call = True
            try:
                test(value)
            except CheckFailed as failed:
                last.append((value, failed))
                raise
            except UnsatisfiedAssumption:
                raise
            except Exception as exc:  # any exception of the client is a failed check
                wrapped = CheckFailed(pointer, f"raised {type(exc).__name__}: {_one_line(exc)}")
                last.append((value, wrapped))
                raise wrapped from exc
            finally:
                clock.in_call = False
                if last:
                    clock.start()
                if clock.spent():
                    # this call's failure is recorded (if it failed); hypothesis stops here
                    raise _ShrinkBudgetSpent

        try:
            clock.running = True
            try:
                prop()
            finally:
                clock.stop()
        except CheckFailed:
            value, failed = last[-1]
            self.failures.append(Failure(failed.pointer, f"{op.group}.{op.py_name}", check, failed.message, _example(value)))
            return "FAIL"
        except _ShrinkBudgetSpent:
            clock.stop()  # again: the timer may have fired inside the first stop()
            return self._budget_spent(op, pointer, check, last, undrawable)
        except (HypothesisException, RecursionError, ValueError, TypeError) as exc:
            if _interrupted(exc):
                # the timer stopped hypothesis amid a draw, which it reports as inconsistent data generation
                return self._budget_spent(op, pointer, check, last, undrawable)
            # The drawing itself failed (a schema hypothesis-jsonschema cannot handle): visible, not hidden.
            self.skipped.append(f"{pointer}: {op.group}.{op.py_name}: {check}: cannot draw examples: {_one_line(exc)}")
            return "skip"
        return "ok"

    def _budget_spent(
        self, op: ir.Operation, pointer: str, check: str, last: list[tuple[Any, CheckFailed]], undrawable: list[BaseException]
    ) -> str:
        """The outcome of a check stopped by its shrink budget."""
        if not last:
            self.skipped.append(f"{pointer}: {op.group}.{op.py_name}: {check}: cannot draw examples: {_one_line(undrawable[-1])}")
            return "skip"
        # every example hypothesis tries while shrinking is smaller than the failing one it
        # holds, so the last one that failed is the smallest found
        value, failed = last[-1]
        message = f"{failed.message} (example shrunk for {self.budget.shrink_seconds:g} s, maybe not minimal)"
        self.failures.append(Failure(failed.pointer, f"{op.group}.{op.py_name}", check, message, _example(value)))
        return "FAIL"

    def _check_request(self, op: ir.Operation, params: list[_Param], arguments: dict[str, Any], pointer: str) -> None:
        kwargs = self._typed(op, arguments, pointer)
        self.capture.response = self.runtime.RawResponse(_status_code(op.success[0].status if op.success else "200", op), {}, b"")
        for flavour, client in (("sync", self.client), ("async", self.async_client)):
            self.capture.requests.clear()
            self._call(op, client, kwargs)
            if len(self.capture.requests) != 1:
                raise CheckFailed(pointer, f"{flavour} client sent {len(self.capture.requests)} requests, expected 1")
            sent = self.capture.requests[0]
            spaced = frozenset(p.wire_name for p in op.parameters_in("query") if p.style == "spaceDelimited")
            reading = self.oracle.read(op.path, sent.method, sent.url, list(sent.headers), sent.content, spaced)
            if reading.errors:
                raise CheckFailed(pointer, f"{flavour} request rejected by openapi-core: {'; '.join(reading.errors)} ({sent.method} {sent.url})")
            self._check_fixed_query(op, sent.url, pointer, flavour)
            self._check_accept(op, list(sent.headers), pointer, flavour, _reads_events(op, arguments))
            self._compare_request(op, params, arguments, reading, pointer, flavour, sent)

    def _filled_default(self, key: str, value: Any) -> bool:
        return (key, json.dumps(value, sort_keys=True)) in self.defaults

    def _check_fixed_query(self, op: ir.Operation, url: str, pointer: str, flavour: str) -> None:
        """A path key with a fixed query (``/things/{id}?beta=true``) sends it, in one query string."""
        fixed = op.path.partition("#")[0].partition("?")[2]
        if "?" in url.partition("?")[2] and "#" not in url:
            raise CheckFailed(pointer, f"{flavour}: the URL has two query strings: {url}")
        if fixed:
            sent = parse_qsl(urlsplit(url).query, keep_blank_values=True)
            missing = [pair for pair in parse_qsl(fixed, keep_blank_values=True) if pair not in sent]
            if missing:
                raise CheckFailed(pointer, f"{flavour}: the path's fixed query {fixed!r} was not sent: {url}")
        if "#" in url:
            raise CheckFailed(pointer, f"{flavour}: the URL carries a fragment, which never reaches a server: {url}")

    def _check_accept(self, op: ir.Operation, headers: list[tuple[str, str]], pointer: str, flavour: str, events: bool = False) -> None:
        """Every response media type the operation declares is acceptable by the Accept header sent;
        a call reading server-sent events asks for text/event-stream alone, and one of the same
        operation that does not, for the other types."""
        accept = ", ".join(value for name, value in headers if name.lower() == "accept")
        ranges = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
        if events:
            if ranges != ["text/event-stream"]:
                raise CheckFailed(pointer, f"{flavour}: a call reading server-sent events sent Accept: {accept or '(none)'}, not text/event-stream")
            return
        if not ranges:
            return  # no Accept header: anything is acceptable
        for response in [*op.success, *op.errors]:
            if op.events is not None and _is_event_stream(response.content_type):
                if any(_accepts(accepted, "text/event-stream") for accepted in ranges):
                    raise CheckFailed(pointer, f"{flavour}: a call not reading events sent Accept: {accept}, which admits text/event-stream")
                continue
            wanted = response.content_type.split(";")[0].strip().lower()
            if wanted and not any(_accepts(accepted, wanted) for accepted in ranges):
                raise CheckFailed(
                    f"{pointer}/responses/{escape_pointer_token(response.status)}",
                    f"{flavour}: Accept: {accept} refuses the declared response type {wanted}; a strict server answers 406",
                )

    def _compare_request(
        self, op: ir.Operation, params: list[_Param], arguments: dict[str, Any], reading: Any, pointer: str, flavour: str, sent: Any
    ) -> None:
        read = {"path": reading.path, "query": reading.query, "header": reading.header, "cookie": reading.cookie}
        raw_query = parse_qsl(urlsplit(sent.url).query, keep_blank_values=True)
        flattened: dict[str, Any] = {}
        for param in params:
            if param.location == "body":
                if param.py_name in arguments:
                    flattened[param.wire_name] = arguments[param.py_name]
                continue
            values = read[param.location]
            if param.py_name in arguments:
                expected = plain(arguments[param.py_name])
                if param.wire_name not in values and expected in ([], {}):
                    continue  # RFC 6570: an empty list or object is undefined, so not sent
                if param.wire_name not in values and param.location == "query" and _members_sent(expected, raw_query):
                    continue  # an exploded free-form object: openapi-core cannot tell its members from other parameters
                if param.wire_name not in values:
                    raise CheckFailed(param.pointer, f"{flavour}: {param.location} parameter {param.wire_name!r} was passed but not sent")
                found = difference(expected, plain(values[param.wire_name]))
                if found:
                    raise CheckFailed(param.pointer, f"{flavour}: {param.location} parameter {param.wire_name!r} read back differently: {found}")
            elif param.location == "header" and param.wire_name.lower() == op.idempotency_header.lower():
                continue  # the client fills a fresh idempotency key when the caller passes none
            elif param.wire_name in values and not (param.default is not _ABSENT and not difference(plain(param.default), plain(values[param.wire_name]))):
                raise CheckFailed(param.pointer, f"{flavour}: {param.location} parameter {param.wire_name!r} was not passed but sent as {show(plain(values[param.wire_name]))}")
        body_pointer = f"{pointer}/requestBody"
        if op.body is None:
            return
        if op.body.fields:
            expected_body: Any = flattened
        elif op.body.py_name in arguments:
            expected_body = arguments[op.body.py_name]
            if op.events is not None and op.events.flag and _reads_events(op, arguments) and isinstance(expected_body, dict):
                expected_body = {**expected_body, op.events.flag: True}  # stream=True sets the flag
        else:
            if reading.body not in (None, b"", ""):
                raise CheckFailed(body_pointer, f"{flavour}: a body was sent although none was passed")
            return
        schema = self._body_schema(op)
        if op.body.encoding in ("json", "form"):  # openapi-core fills no defaults into multipart bodies
            expected_body = shapes_module.with_defaults(self.shapes, plain(expected_body), schema)
        expected_body = plain(expected_body)
        actual_body = plain(reading.body)
        if op.body.encoding in ("form", "multipart") and isinstance(actual_body, dict) and isinstance(expected_body, dict):
            expected_body, actual_body = _form_views(expected_body, actual_body, op.body.encoding, reading.deep_fields)
            if op.body.encoding == "form":
                # openapi-core 0.23 drops exploded objects of form bodies: read them from the wire
                pairs = parse_qsl((sent.content or b"").decode("utf-8", errors="replace"), keep_blank_values=True)
                for name, value in list(expected_body.items()):
                    if name not in actual_body and isinstance(value, dict) and _members_sent(value, pairs):
                        actual_body[name] = value
        found = difference(expected_body, actual_body, filled=self._filled_default)
        if found:
            raise CheckFailed(body_pointer, f"{flavour}: body ({op.body.content_type}) read back differently: {found}")

    def _response_check(self, op: ir.Operation, arguments: Any, response: ir.Response, pointer: str, check: str) -> str:
        from hypothesis import assume
        from hypothesis import strategies as st

        where = f"{pointer}/responses/{escape_pointer_token(response.status)}/content/{escape_pointer_token(response.content_type)}"
        _, operation, _ = self._spec_operation(op)
        spec_response = self._deref((operation.get("responses") or {}).get(response.status)) or self._deref(
            (operation.get("responses") or {}).get(response.status.lower())
        ) or {}
        media = ((spec_response.get("content") or {}).get(response.content_type)) or {}
        schema = media.get("schema")
        status = _status_code(response.status, op)
        if response.annotation == "bytes":
            bodies: Any = st.binary(max_size=64)
        elif response.annotation == "str":
            bodies = st.text(max_size=64)
        else:
            try:
                bodies = strategy(self.responses.convert(schema if schema is not None else {}))
            except Exception as exc:  # noqa: BLE001 - reported as skipped with the pointer
                self.skipped.append(f"{where}: {op.group}.{op.py_name}: {check}: cannot draw bodies: {_one_line(exc)}")
                return "skip"

        def test(drawn: tuple[dict[str, Any], Any]) -> None:
            args, body = drawn
            try:
                kwargs = self._typed(op, _without_events(op, args), pointer)
            except CheckFailed:
                assume(False)  # the request check reports it
                return
            if check == "compat":
                changed = shapes_module.mutations(self.shapes, body, schema)
                for kind, mutated in changed.items():
                    self._serve_and_compare(op, kwargs, mutated, status, response, where, f"{kind}: ")
                return
            self._serve_and_compare(op, kwargs, body, status, response, where, "")

        return self._run(op, where, check, st.tuples(arguments, bodies), test)

    def _events_check(self, op: ir.Operation, arguments: Any, pointer: str) -> str:
        """Several events drawn from the event stream's schema are served as text/event-stream (a
        keep-alive comment, multi-line JSON data, a line ending per example, sometimes ``[DONE]``);
        the events the call yields, sync and async, must equal them."""
        from hypothesis import assume
        from hypothesis import strategies as st

        events = op.events
        assert events is not None
        where = f"{pointer}/responses/{escape_pointer_token(events.status)}/content/{escape_pointer_token(events.content_type)}"
        _, operation, _ = self._spec_operation(op)
        spec_response = self._deref((operation.get("responses") or {}).get(events.status)) or {}
        schema = (((spec_response.get("content") or {}).get(events.content_type)) or {}).get("schema")
        try:
            one = st.text(max_size=32) if events.text and not events.fields else strategy(self.responses.convert(schema if schema is not None else {}))
        except Exception as exc:  # noqa: BLE001 - reported as skipped with the pointer
            self.skipped.append(f"{where}: {op.group}.{op.py_name}: response: cannot draw events: {_one_line(exc)}")
            return "skip"
        drawn = st.tuples(arguments, st.lists(one, min_size=1, max_size=4), st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())

        def test(value: tuple[dict[str, Any], list[Any], str, bool]) -> None:
            args, items, newline, done = value
            assume(all(_wire_safe(events, item) for item in items))
            if not events.only:
                args = {**args, op.stream_argument: True}
            try:
                kwargs = self._typed(op, args, pointer)
            except CheckFailed:
                assume(False)  # the request check reports it
                return
            content = _event_stream_body(events, items, newline, done)
            self.capture.response = self.runtime.RawResponse(200, {"content-type": "text/event-stream"}, content)
            for flavour, client in (("sync", self.client), ("async", self.async_client)):
                try:
                    got = self._read_events(op, client, kwargs)
                except Exception as exc:  # noqa: BLE001 - any exception is the finding
                    raise CheckFailed(where, f"{flavour}: valid events raised {type(exc).__name__}: {_one_line(exc)}") from None
                found = difference(plain(items), plain(got))
                if found:
                    raise CheckFailed(where, f"{flavour}: the events yielded differ from the events served: {found}")

        return self._run(op, where, "response", drawn, test)

    def _read_events(self, op: ir.Operation, client: Any, kwargs: dict[str, Any]) -> list[Any]:
        method = self._method(op, client)
        if not inspect.iscoroutinefunction(method):
            with method(**kwargs) as stream:
                return list(stream)

        async def read() -> list[Any]:
            async with await method(**kwargs) as stream:
                return [item async for item in stream]

        return self.loop.run_until_complete(read())

    def _serve_and_compare(self, op: ir.Operation, kwargs: dict[str, Any], body: Any, status: int, response: ir.Response, where: str, label: str) -> None:
        media_type = response.content_type
        if isinstance(body, bytes):
            content = body
            media_type = "application/octet-stream" if "*" in media_type else media_type
        elif response.annotation == "str":  # a text body is the text itself, whatever the media type
            content = body.encode("utf-8")
            media_type = "text/plain; charset=utf-8" if "*" in media_type else media_type
        else:
            content = json.dumps(body).encode("utf-8")
            media_type = "application/json" if "*" in media_type else media_type
        self.capture.response = self.runtime.RawResponse(status, {"content-type": media_type}, content)
        for flavour, client in (("sync", self.client), ("async", self.async_client)):
            if 200 <= status < 300:
                try:
                    value = self._call(op, client, kwargs)
                except Exception as exc:  # noqa: BLE001 - any exception is the finding
                    raise CheckFailed(where, f"{label}{flavour}: HTTP {status} with a valid body raised {type(exc).__name__}: {_one_line(exc)}") from None
                found = difference(plain(body), plain(value))
                if found:
                    raise CheckFailed(where, f"{label}{flavour}: the returned value differs from the body: {found}")
                continue
            expected_class = self.runtime.error_class(status)
            try:
                self._call(op, client, kwargs)
            except expected_class as exc:
                if content == b"" and exc.body in (None, "", b""):
                    continue  # an empty error body reads as "no body"
                found = difference(plain(body), plain(exc.body))
                if found:
                    raise CheckFailed(where, f"{flavour}: {expected_class.__name__}.body differs from the body: {found}") from None
            except Exception as exc:  # noqa: BLE001 - the wrong exception is the finding
                raise CheckFailed(where, f"{flavour}: HTTP {status} raised {type(exc).__name__}: {_one_line(exc)}, expected {expected_class.__name__}") from None
            else:
                raise CheckFailed(where, f"{flavour}: HTTP {status} returned normally, expected {expected_class.__name__}")


# -- helpers ---------------------------------------------------------------------
def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is hypothesis' report of the shrink timer's interruption (its cause,
    context or one of a group's exceptions is :class:`_ShrinkBudgetSpent`)."""
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, _ShrinkBudgetSpent):
            return True
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
        pending += list(getattr(current, "exceptions", ()))
    return False


def _is_event_stream(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "text/event-stream"


def _reads_events(op: ir.Operation, arguments: dict[str, Any]) -> bool:
    """Whether a call with ``arguments`` reads the operation's server-sent events."""
    return op.events is not None and (op.events.only or arguments.get(op.stream_argument) is True)


def _asks_events(op: ir.Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    """Drawn arguments made consistent: a body whose flag asks for events goes with ``stream=True``
    (the client refuses the other combination before sending anything)."""
    assert op.events is not None
    body = arguments.get(op.body.py_name) if op.body is not None else None
    if op.events.flag and isinstance(body, dict) and body.get(op.events.flag) is True:
        return {**arguments, op.stream_argument: True}
    return arguments


def _without_events(op: ir.Operation, arguments: dict[str, Any]) -> dict[str, Any]:
    """Drawn arguments for a call that reads the operation's other (JSON) response."""
    if op.events is None or op.events.only:
        return arguments
    result = {k: v for k, v in arguments.items() if k != op.stream_argument}
    body = result.get(op.body.py_name) if op.body is not None else None
    if op.body is not None and op.events.flag and isinstance(body, dict) and body.get(op.events.flag) is True:
        result[op.body.py_name] = {**body, op.events.flag: False}
    return result


def _wire_safe(events: ir.EventStream, item: Any) -> bool:
    """Whether the text/event-stream format can carry ``item`` as one event that reads back the
    same: no line breaks inside a field, not the ``[DONE]`` sentinel, not an ``error`` event, an
    ``id`` without NUL, a non-negative ``retry``, and data in every event (blocks without data are
    not events)."""

    def one_line(text: Any) -> bool:
        return isinstance(text, str) and "\r" not in text and "\n" not in text

    if events.fields:
        if not isinstance(item, dict) or "data" not in item or not set(item) <= set(events.fields):
            return False
        if "event" in item and (not one_line(item["event"]) or item["event"] == "error"):
            return False
        if "id" in item and (not one_line(item["id"]) or "\0" in item["id"]):
            return False
        retry = item.get("retry", 0)
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            return False
        data = item["data"]
    else:
        data = item
    if events.text:
        return isinstance(data, str) and "\r" not in data and data != "[DONE]"
    return True


def _event_stream_body(events: ir.EventStream, items: list[Any], newline: str, done: bool) -> bytes:
    """``items`` as a text/event-stream body: a keep-alive comment first, JSON data every other
    event spread over several lines, the line ending given, ``[DONE]`` at the end if ``done``."""
    lines = [": keep-alive"]
    for index, item in enumerate(items):
        data = item
        if events.fields:
            lines += [f"{name}: {item[name]}" for name in ("event", "id", "retry") if name in item]
            data = item["data"]
        text = data if events.text else json.dumps(data, indent=1 if index % 2 else None)
        lines += [f"data: {line}" for line in text.split("\n")]
        lines.append("")
    if done:
        lines += ["data: [DONE]", ""]
    return "".join(line + newline for line in lines).encode("utf-8")


def _members_sent(value: Any, pairs: list[tuple[str, str]]) -> bool:
    """Whether every member of an object went out as its own ``name=value`` pair (form, exploded)."""
    if not isinstance(value, dict):
        return False
    members = {k: v for k, v in value.items() if v is not None}  # null members are not sent
    return all((str(k), _form_text(v)) in pairs for k, v in members.items())


def _form_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _sends_something(value: Any) -> bool:
    return not isinstance(value, dict) or any(item not in ([], {}, None) for item in value.values())


def _form_views(
    expected: dict[str, Any], actual: dict[str, Any], encoding: str, deep: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Form and multipart bodies as the wire can carry them: an empty array or object sends
    nothing (and openapi-core reads an array that was not sent as []), inside a deepObject
    field too; a multipart part is text, unless it is a ``deepObject`` field (``deep``), which
    the oracle reads and casts by its schema."""
    if encoding == "form":
        expected, actual = _without_empty(expected), _without_empty(actual)
    else:
        expected = {k: _without_empty(v) if k in deep else v for k, v in expected.items()}
        actual = {k: _without_empty(v) if k in deep else v for k, v in actual.items()}
    expected = {k: v for k, v in expected.items() if v not in ([], {})}
    actual = {k: v for k, v in actual.items() if v not in ([], {}) or k in expected}
    if encoding == "multipart":
        expected = {k: v if k in deep else _part_text(v) for k, v in expected.items()}
        actual = {k: v if k in deep else _part_text(v) for k, v in actual.items()}
    return expected, actual


def _without_empty(value: Any) -> Any:
    """``value`` without the empty arrays and objects inside it (``a[b][c]=`` pairs carry none)."""
    if isinstance(value, dict):
        pruned = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ([], {})}
    if isinstance(value, list):
        return [v for v in (_without_empty(item) for item in value) if v not in ([], {})]
    return value


def _part_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, list):
        return [_part_text(item) for item in value]
    return value


def _accepts(accepted: str, wanted: str) -> bool:
    if accepted in ("*/*", wanted) or wanted == "*/*":
        return True
    major, _, minor = accepted.partition("/")
    wanted_major, _, wanted_minor = wanted.partition("/")
    if minor == "*":
        return major == wanted_major or wanted_major == "*"
    return wanted_minor == "*" and major == wanted_major


def _hints(method: Callable[..., Any]) -> dict[str, Any]:
    function = getattr(method, "__func__", method)
    module = sys.modules[function.__module__]
    return typing.get_type_hints(function, globalns=vars(module), include_extras=True)


def _without_not_given(hint: Any) -> Any:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and args:
        kept = [a for a in args if getattr(a, "__name__", "") != "NotGiven"]
        if len(kept) != len(args):
            if len(kept) == 1:
                return kept[0]
            return typing.Union[tuple(kept)]  # noqa: UP007 - built at run time
    return hint


_ADAPTERS: dict[Any, Any] = {}


def _adapter(hint: Any) -> Any:
    import pydantic

    hint = _without_not_given(hint)
    key = repr(hint)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = pydantic.TypeAdapter(hint)
    return _ADAPTERS[key]


def _hint_text(hint: Any) -> str:
    text = repr(_without_not_given(hint))
    return text.replace("typing.", "")


def _first_error(exc: Any) -> str:
    errors = exc.errors()
    if not errors:
        return _one_line(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where or '(value)'}: {first.get('msg')} (input {show(first.get('input'))})"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."


def _example(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=lambda v: v.hex() if isinstance(v, bytes) else repr(v))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 400 else text[:397] + "..."


def _is_json(content_type: str) -> bool:
    lowered = content_type.lower()
    return "json" in lowered or lowered == "*/*"


def _status_code(status: str, op: ir.Operation) -> int:
    declared = {r.status for r in [*op.success, *op.errors]}
    if status.isdigit():
        return int(status)
    if status.endswith("XX"):
        family = int(status[0]) * 100
        return next(code for code in range(family, family + 100) if str(code) not in declared)
    return next(code for code in (500, 502, 503, 418, 599) if str(code) not in declared)


def _worst(left: str, right: str) -> str:
    order = {"-": 0, "ok": 1, "skip": 2, "FAIL": 3}
    return left if order[left] >= order[right] else right


def operations(api: ir.Api) -> Iterator[ir.Operation]:
    yield from api.operations
