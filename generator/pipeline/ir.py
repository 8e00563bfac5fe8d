"""The intermediate representation: plain dataclasses the templates read.

Every Python name in here was decided by :mod:`generator.pipeline.naming` while the IR
was built, and every type is a structured node from :mod:`generator.pipeline.pytypes`
(``annotation`` properties render it); templates never compute names or types
themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.pipeline.pytypes import BYTES, TypeNode, render


@dataclass(frozen=True)
class ServerVariable:
    """A ``{variable}`` of a server URL template, as one server declares it."""

    wire_name: str
    default: str
    enum: tuple[str, ...] = ()  # the values allowed; () when any string is
    description: str = ""


@dataclass(frozen=True)
class Server:
    url: str  # the URL template, variables in braces
    description: str
    name: str = ""  # what Client(server=...) selects it by; "" when only its index does
    variables: tuple[ServerVariable, ...] = ()
    absolute: bool = True  # False: a relative URL (``/api/v2``), which the client cannot reach alone

    @property
    def default_url(self) -> str:
        """The URL with every variable at its default."""
        url = self.url
        for variable in self.variables:
            url = url.replace("{" + variable.wire_name + "}", variable.default)
        return url.rstrip("/") if url != "/" else ""


@dataclass(frozen=True)
class ServerArgument:
    """A ``Client(...)`` keyword argument filling a server variable wherever it appears."""

    wire_name: str
    py_name: str
    enum: tuple[str, ...]  # the values allowed by every server declaring it; () when any string is
    defaults: tuple[str, ...]  # the defaults of the servers declaring it, distinct, in order
    description: str


@dataclass(frozen=True)
class SecurityScheme:
    """One entry of ``components/securitySchemes`` as the client applies it."""

    key: str  # name in the spec
    kind: str  # "api_key" | "bearer" | "basic"
    arg_name: str  # Client(...) keyword argument carrying the credential
    location: str  # "header" | "query" | "cookie" (api_key); "header" otherwise
    wire_name: str  # header / query / cookie name
    description: str
    spec_type: str  # the spec's own type: apiKey, http, oauth2, openIdConnect
    token_url: str = ""  # oauth2 password/clientCredentials flows
    # The OAuth2 flows the client fetches tokens with: (grant type, tokenUrl), grant type
    # "client_credentials" or "password"; and the scopes the operations ask for, in order.
    flows: tuple[tuple[str, str], ...] = ()
    scopes: tuple[str, ...] = ()
    prefix: str = ""  # x-clientsmith-prefix: text sent before an API key (e.g. "apikey ")


#: Where a parameter goes: the four of OpenAPI, and ``body`` for a field of a flattened body.
LOCATIONS = ("path", "query", "header", "cookie", "body")


@dataclass(frozen=True)
class Parameter:
    wire_name: str
    py_name: str
    location: str  # one of LOCATIONS
    type: TypeNode  # Python type of the argument, without "| NotGiven"
    required: bool
    default_repr: str | None  # Python literal of the spec default, or None
    description: str
    style: str  # form | simple | deepObject | ...
    explode: bool
    deprecated: bool = False
    example: str = ""  # Python literal of the spec's example, for docstrings ("" when none)

    @property
    def annotation(self) -> str:
        return render(self.type)


@dataclass(frozen=True)
class PartEncoding:
    """One entry of a form or multipart media type's ``encoding`` map: how a body property is sent."""

    name: str  # the property's wire name
    content_type: str = ""  # ``contentType``; "" when not given
    style: str = ""  # ``style`` (form bodies); "" when none of style, explode, allowReserved is given
    explode: bool = True  # ``explode`` (default: true for style form, else false)
    allow_reserved: bool = False


@dataclass(frozen=True)
class Body:
    py_name: str
    type: TypeNode | None  # None when the body is flattened into ``fields``
    required: bool
    content_type: str
    encoding: str  # "json" | "text" | "bytes" | "form" | "multipart"
    description: str
    example: str = ""  # Python literal of the spec's example, for docstrings ("" when none or long)
    # x-clientsmith-flatten: the body object's properties become arguments
    # (location "body"); the runtime rebuilds the object from them.
    fields: tuple[Parameter, ...] = ()
    # The media type's ``encoding`` map (form and multipart bodies), in spec order.
    parts: tuple[PartEncoding, ...] = ()

    @property
    def annotation(self) -> str:
        return render(self.type) if self.type is not None else ""


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX", "default"
    description: str
    type: TypeNode | None  # None when the response has no body we parse
    content_type: str

    @property
    def annotation(self) -> str | None:
        return render(self.type) if self.type is not None else None


@dataclass(frozen=True)
class EventStream:
    """An operation's ``text/event-stream`` success response: what each event reads into.

    ``fields``: the schema describes the whole event (an object of some of ``event``,
    ``data``, ``id`` and ``retry``, as some specs write it), so each event becomes that object
    with its data decoded into ``data``; empty when the schema describes the data itself.
    """

    status: str  # the success status whose content declares the event stream
    content_type: str  # the media type as the spec spells it
    type: TypeNode  # what each event is read into
    fields: tuple[str, ...]  # wire fields of the event object; () when ``type`` is the data's
    text: bool  # the data is text, not JSON
    only: bool  # the operation answers with events only (no other success media type)
    flag: str = ""  # the JSON body's boolean property asking for events ("" when there is none)

    @property
    def annotation(self) -> str:
        return render(self.type)


@dataclass(frozen=True)
class Pagination:
    """How a list operation pages, for its generated ``<name>_pages`` and ``iter_<name>`` helpers.

    Paths are wire names from the response body down to a field.
    """

    # "offset" (offset + limit) | "page" (page number + page size) | "cursor" (a cursor from the
    # response sent back) | "link" (the Link header's rel="next") | "url" (a next-page URL in the body)
    style: str
    position: Parameter | None  # the offset, page-number or cursor parameter the helpers drive; None for link/url
    size: Parameter | None  # the limit / page-size parameter, if any
    start: int  # first offset or page number (offset and page styles)
    items: tuple[str, ...]  # the array of items; () when the body is the array
    total: tuple[str, ...]  # offset/page: the total count, or ()
    item_type: TypeNode
    next: tuple[str, ...] = ()  # cursor: the next cursor; url: the next page's URL
    item_cursor: str = ""  # cursor: field of the last item that is the next cursor (Stripe's ``id``)
    has_more: tuple[str, ...] = ()  # boolean: more pages follow
    done: tuple[str, ...] = ()  # boolean: this is the last page

    @property
    def item_annotation(self) -> str:
        return render(self.item_type)


@dataclass
class Operation:
    py_name: str
    http_method: str  # upper case
    path: str
    operation_id: str | None
    summary: str
    description: str
    group: str
    parameters: list[Parameter]
    body: Body | None
    success: list[Response]
    errors: list[Response]
    return_type: TypeNode
    security: list[list[str]]  # alternatives, each a list of SecurityScheme.key
    deprecated: bool
    idempotent: bool
    constant_name: str = ""  # module-level name of the operation's runtime description
    idempotency_header: str = ""  # header the client fills with a fresh key per call
    pagination: Pagination | None = None
    iterator_name: str = ""  # the all-pages helper (``iter_<name>``) when paginated
    pages_name: str = ""  # the first-page helper (``<name>_pages``) when paginated
    stream_name: str = ""  # the helper returning the body unread (``stream_<name>``) for binary responses
    # Every response media type the operation declares (success and error, spec order, no
    # duplicates): what the client sends as ``Accept``.
    accept: tuple[str, ...] = ()
    # A text/event-stream success response, read as a stream of typed events.
    events: EventStream | None = None
    events_constant: str = ""  # module-level name of its runtime ``EventFormat``
    # The keyword argument choosing events over the other response ("" when events are all it answers).
    stream_argument: str = ""
    # The operation's (else its path's) absolute servers; the client sends to the first.
    servers: tuple[Server, ...] = ()

    @property
    def return_annotation(self) -> str:
        return render(self.return_type)

    @property
    def streams(self) -> bool:
        """Whether a successful response is binary, so the body can be streamed."""
        return any(r.type == BYTES for r in self.success)

    def parameters_in(self, location: str) -> list[Parameter]:
        """The parameters sent in ``location`` (one of :data:`LOCATIONS`); ``body`` ones are
        fields of a flattened body (``x-clientsmith-flatten``)."""
        return [p for p in self.parameters if p.location == location]

    @property
    def required_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters if p.required]

    @property
    def optional_parameters(self) -> list[Parameter]:
        return [p for p in self.parameters if not p.required]


@dataclass
class ResourceGroup:
    name: str  # attribute on the client, also the module name
    class_name: str  # stem: <stem>Resource / Async<stem>Resource
    description: str
    operations: list[Operation] = field(default_factory=list)
    model_imports: list[str] = field(default_factory=list)  # model classes its module imports
    typing_imports: list[str] = field(default_factory=list)  # names from typing its annotations use
    module_imports: list[str] = field(default_factory=list)  # stdlib modules (datetime)
    abc_imports: list[str] = field(default_factory=list)  # names from collections.abc (Mapping)


@dataclass(frozen=True)
class Model:
    class_name: str
    schema_name: str
    description: str


@dataclass(frozen=True)
class Polymorphic:
    """A base schema with a discriminator whose subtypes extend it with ``allOf``.

    The base model dispatches on ``property_name`` to the subtype classes, so a
    response typed as the base parses into the right subclass.
    """

    base: str
    property_name: str
    subtypes: tuple[tuple[str, str], ...]  # (discriminator value, class name)


@dataclass
class Api:
    title: str
    version: str
    description: str
    openapi_version: str
    package_name: str
    distribution_name: str
    servers: list[Server]  # the document's ``servers``, relative ones included
    default_base_url: str
    security_schemes: list[SecurityScheme]
    default_security: list[list[str]]
    groups: list[ResourceGroup]
    models: list[Model]
    polymorphic: list[Polymorphic] = field(default_factory=list)
    # Some model field is readOnly: the runtime leaves such fields out of request bodies.
    has_read_only: bool = False
    # Some multipart body model has a file field (typed ``FileInput``, from the runtime).
    has_file_fields: bool = False
    # The server variables, as Client(...) arguments (document, path and operation servers).
    server_arguments: list[ServerArgument] = field(default_factory=list)
    # Some operation has no absolute server of its own or from the document: Client needs base_url.
    base_url_required: bool = False
    # The schemas handed to the model stage, after inline schemas were hoisted
    # and every schema renamed to its final class name.
    model_document: dict[str, object] = field(default_factory=dict)

    @property
    def operations(self) -> list[Operation]:
        return [operation for group in self.groups for operation in group.operations]

    @property
    def selectable_servers(self) -> list[Server]:
        """The document's absolute servers: what ``Client(server=...)`` chooses from."""
        return [server for server in self.servers if server.absolute]
