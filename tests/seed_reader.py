"""Read the seed documents (docs of existing generated Python clients).

The seeds live outside the repository, in ``<repo>/../shared/seeds`` (override
with the ``CLIENTSMITH_SEEDS_DIR`` environment variable).  Three documentation
layouts are understood, all parsed from their structure (headings, tables,
signature lines, usage snippets) -- nothing about any particular operation is
hard-coded here:

* ``openapi-generator``: OpenAPI Generator ``python`` markdown (both the
  pydantic-v2 layout and the older "model" layout): a method table, then one
  ``# **method**`` section per operation with a signature line, a Parameters
  table, Return type, Authorization, HTTP request headers and a status table.
* ``openapi-generator-experimental``: OpenAPI Generator ``python-experimental``
  (``apis.tags``): same method table, but the request body is always passed as
  ``body=`` and responses are described per status with ``SchemaFor...``
  sections.
* ``speakeasy``: Speakeasy SDK docs: ``## name`` sections with a usage snippet
  (``<!-- UsageSnippet ... method= path= -->`` plus Python code), a Parameters
  table, a Response line and an Errors table.

``read_seeds()`` returns every operation of every seed as a ``SeedOperation``.
"""

from __future__ import annotations

import ast
import html
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from generator.pipeline.naming import snake_case

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_ENV = "CLIENTSMITH_SEEDS_DIR"

STYLE_OAG = "openapi-generator"
STYLE_OAG_EXPERIMENTAL = "openapi-generator-experimental"
STYLE_SPEAKEASY = "speakeasy"


class SeedFormatError(ValueError):
    """A seed document does not have the structure this reader expects."""


class _NoDefault:
    """Type of ``NO_DEFAULT``: "the doc shows no default" (``None`` is a real default)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"

    def __bool__(self) -> bool:
        return False


NO_DEFAULT = _NoDefault()


@dataclass(frozen=True)
class SeedParameter:
    name: str  # Python argument name as the doc shows it
    type: str  # type exactly as the doc writes it, markup removed ("OptionalNullable[models.ConcernType]")
    required: bool
    default: object = NO_DEFAULT  # the default when the doc shows one
    location: str | None = (
        None  # "path" when the doc shows it (path template); else unknown
    )

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(frozen=True)
class SeedBody:
    name: str  # Python argument name of the request body
    type: str  # type as the doc writes it ("ConnectionCreate", "str", "List[models.ConnectionPatchOp]")
    required: bool


@dataclass(frozen=True)
class SeedOperation:
    api: str  # Python package of the documented client ("codat_python_sdk")
    seed_file: str  # file name of the seed
    style: str  # one of the STYLE_* constants
    name: str  # Python method name
    http_method: str  # upper case
    path: str
    group: (
        str  # resource group ("datasources_connections", "connection", "connections")
    )
    parameters: tuple[SeedParameter, ...]
    body: SeedBody | None
    return_type: str | None  # type name without module prefix; None for void
    status_codes: tuple[str, ...]  # as written; "0" is the default response
    # False when the doc lists only some statuses (Speakeasy lists error statuses
    # that have a body, plus the 4XX/5XX catch-all; never the success status).
    status_codes_complete: bool
    auth: tuple[str, ...]  # security scheme names as the doc shows them
    # scheme name -> OpenAPI securityScheme type ("apiKey", "oauth2", "http"), when shown
    auth_kinds: dict[str, str] = field(default_factory=dict)
    # True when the doc shows all schemes supplied together (one requirement)
    auth_together: bool = False
    # True when ``auth`` holds Python field names (snake_case of the scheme names)
    auth_names_are_python: bool = False
    request_content_types: tuple[str, ...] = ()  # empty: the doc does not show them
    response_content_types: tuple[
        str, ...
    ] = ()  # union over responses (empty: not shown / none)
    # status -> content types, when the doc shows them per status
    response_content_types_by_status: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )
    # status -> response model name, when the doc shows it per status
    response_types_by_status: dict[str, str | None] = field(default_factory=dict)
    operation_id: str | None = None  # when the doc shows it (Speakeasy)
    signature: str | None = None  # the doc's signature line, when it has one

    @property
    def parameter_map(self) -> dict[str, SeedParameter]:
        return {p.name: p for p in self.parameters}

    @property
    def id(self) -> str:
        return f"{self.api}.{self.group}.{self.name}"


# --------------------------------------------------------------------------
# Locating and reading the seeds
# --------------------------------------------------------------------------


def seeds_dir() -> Path:
    """``<repo root>/../shared/seeds`` (or $CLIENTSMITH_SEEDS_DIR)."""
    override = os.environ.get(SEEDS_ENV)
    return Path(override) if override else REPO_ROOT.parent / "shared" / "seeds"


def seed_files() -> list[Path]:
    directory = seeds_dir()
    if not directory.is_dir():
        raise FileNotFoundError(
            f"seed directory {directory} is missing: the seed documents are expected "
            f"next to the repository (repo root {REPO_ROOT} -> ../shared/seeds); "
            f"set ${SEEDS_ENV} to point elsewhere"
        )
    files = sorted(p for p in directory.glob("[0-9][0-9][0-9]_*.txt") if p.is_file())
    if not files:
        raise FileNotFoundError(f"no seed documents (NNN_*.txt) in {directory}")
    return files


@cache
def _read_seed_cached(path_str: str) -> tuple[SeedOperation, ...]:
    path = Path(path_str)
    text = path.read_text(encoding="utf-8")
    style = detect_style(text)
    if style == STYLE_SPEAKEASY:
        ops = _parse_speakeasy(text, path.name)
    else:
        ops = _parse_openapi_generator(text, path.name, style)
    if not ops:
        raise SeedFormatError(f"{path.name}: no operations found")
    return tuple(ops)


def read_seed(path: Path) -> list[SeedOperation]:
    return list(_read_seed_cached(str(path)))


def read_seeds() -> list[SeedOperation]:
    ops: list[SeedOperation] = []
    for path in seed_files():
        ops.extend(read_seed(path))
    return ops


def detect_style(text: str) -> str:
    if "<!-- UsageSnippet" in text or re.search(
        r"^### Available Operations", text, re.MULTILINE
    ):
        return STYLE_SPEAKEASY
    if (
        re.search(r"^# \S+\.apis\.tags\.", text, re.MULTILINE)
        or "### Return Types, Responses" in text
    ):
        return STYLE_OAG_EXPERIMENTAL
    if re.search(r"^# \*\*\w+\*\*", text, re.MULTILINE):
        return STYLE_OAG
    raise SeedFormatError("unrecognised seed document layout")


# --------------------------------------------------------------------------
# Markdown helpers
# --------------------------------------------------------------------------


def strip_links(text: str) -> str:
    """Replace every markdown link ``[text](target)`` by its text (nested brackets ok)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "[":
            depth, j = 0, i
            while j < len(text):
                if text[j] == "[":
                    depth += 1
                elif text[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j < len(text) and j + 1 < len(text) and text[j + 1] == "(":
                close = text.find(")", j + 2)
                if close != -1:
                    out.append(strip_links(text[i + 1 : j]))
                    i = close + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def clean_cell(text: str) -> str:
    """Cell text without links, emphasis, backticks and HTML entities."""
    text = strip_links(text)
    text = text.replace("**", "").replace("`", "")
    text = html.unescape(text).strip()
    if len(text) >= 2 and text.startswith("*") and text.endswith("*"):
        text = text[1:-1].strip()
    return text.replace("\\*", "*").replace("\\_", "_")


def table_cells(line: str) -> list[str]:
    s = line.strip()
    s = s.removeprefix("|")
    s = s.removesuffix("|")
    return [c.strip() for c in s.split("|")]


def _is_separator(line: str) -> bool:
    return bool(re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line))


def tables_in(lines: list[str]) -> list[tuple[list[str], list[list[str]]]]:
    """All pipe tables in ``lines``: (header cells, rows of cells)."""
    tables = []
    i = 0
    while i < len(lines) - 1:
        if "|" in lines[i] and _is_separator(lines[i + 1]):
            header = table_cells(lines[i])
            rows = []
            j = i + 2
            while j < len(lines) and "|" in lines[j] and lines[j].strip():
                rows.append(table_cells(lines[j]))
                j += 1
            tables.append((header, rows))
            i = j
        else:
            i += 1
    return tables


def without_code(lines: list[str]) -> list[str]:
    """The lines with fenced code blocks blanked out (keeps line numbers)."""
    out, fenced = [], False
    for line in lines:
        if line.strip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return out


def code_blocks(lines: list[str], language: str = "python") -> list[str]:
    blocks, current, fenced = [], [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```"):
            if fenced:
                blocks.append("\n".join(current))
                current, fenced = [], False
            elif stripped[3:].strip() == language:
                fenced = True
            continue
        if fenced:
            current.append(line)
    return blocks


def subsections(lines: list[str], marker: str) -> dict[str, list[str]]:
    """Split ``lines`` (code already blanked) at headings ``<marker> Title``."""
    sections: dict[str, list[str]] = {}
    title: str | None = None
    prefix = marker + " "
    for line in lines:
        if line.startswith(prefix) and not line.startswith(marker + "#"):
            title = line[len(prefix) :].strip()
            sections.setdefault(title, [])
            continue
        if title is not None:
            sections[title].append(line)
    return sections


def parse_literal(text: str) -> object:
    text = html.unescape(text).strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered in ("null", "none"):
            return None
        return text


def path_variables(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


def group_from_class(class_name: str) -> str:
    stem = (
        class_name[:-3]
        if class_name.endswith("Api") and len(class_name) > 3
        else class_name
    )
    return snake_case(stem)


def strip_module(type_name: str) -> str:
    """``models.ListConnectionsSchema`` -> ``ListConnectionsSchema`` (also inside brackets)."""
    return re.sub(r"\b(?:models|typing|utils)\.", "", type_name)


def _content_types(text: str) -> tuple[str, ...]:
    text = text.strip()
    if not text or text.lower() == "not defined":
        return ()
    return tuple(t.strip() for t in text.split(",") if t.strip())


_AUTH_KIND = {
    "api key authentication": "apiKey",
    "oauth authentication": "oauth2",
    "basic authentication": "http",
    "bearer authentication": "http",
    "http signature authentication": "http",
}


def _auth_from_section(lines: list[str]) -> tuple[str, ...]:
    text = " ".join(line.strip() for line in lines if line.strip())
    if not text or "no authorization required" in text.lower():
        return ()
    names = re.findall(r"\[([^\]]+)\]\(", text)
    if not names:
        raise SeedFormatError(f"cannot read Authorization section: {text!r}")
    return tuple(names)


def _auth_kinds(lines: list[str]) -> dict[str, str]:
    kinds = {}
    for line in lines:
        m = re.match(r"^\* (.+?) \((.+)\):\s*$", line.strip())
        if m and m.group(1).lower() in _AUTH_KIND:
            kinds[m.group(2)] = _AUTH_KIND[m.group(1).lower()]
    return kinds


# --------------------------------------------------------------------------
# OpenAPI Generator (python and python-experimental)
# --------------------------------------------------------------------------

_METHOD_ROW = re.compile(
    r"^\[\*\*(?P<name>\w+)\*\*\]\([^)]*\)\s*\|\s*\*\*(?P<method>\w+)\*\*\s+(?P<path>\S+)\s*\|"
)
_SIGNATURE = re.compile(r"^> (?:(?P<ret>\S+) )?(?P<name>\w+)\((?P<args>.*)\)\s*$")
_EXPERIMENTAL_CLIENT_OPTIONS = {
    "content_type",
    "accept_content_types",
    "stream",
    "timeout",
    "skip_deserialization",
}


def _title(lines: list[str]) -> str:
    for line in lines:
        m = re.match(r"^# ([\w.]+)\s*$", line)
        if m:
            return m.group(1)
    raise SeedFormatError("no '# package.ClassName' title line")


def _parse_openapi_generator(
    text: str, seed_name: str, style: str
) -> list[SeedOperation]:
    lines = text.splitlines()
    prose = without_code(lines)
    title = _title(prose)
    package, class_name = title.split(".")[0], title.split(".")[-1]
    group = group_from_class(class_name)

    listed = []
    for line in prose:
        m = _METHOD_ROW.match(line.strip())
        if m:
            listed.append((m.group("name"), m.group("method").upper(), m.group("path")))
    if not listed:
        raise SeedFormatError(f"{seed_name}: no method table")

    # operation sections: from '# **name**' to the next one
    starts = {}
    for idx, line in enumerate(prose):
        m = re.match(r"^# \*\*(\w+)\*\*\s*$", line)
        if m:
            starts[m.group(1)] = idx
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    bounds = {
        name: (start, ordered[i + 1][1] if i + 1 < len(ordered) else len(lines))
        for i, (name, start) in enumerate(ordered)
    }

    ops = []
    for name, http_method, path in listed:
        if name not in bounds:
            raise SeedFormatError(
                f"{seed_name}: method {name} is listed but has no section"
            )
        start, end = bounds[name]
        section_raw = lines[start:end]
        section = prose[start:end]
        common = {
            "api": package,
            "seed_file": seed_name,
            "style": style,
            "name": name,
            "http_method": http_method,
            "path": path,
            "group": group,
        }
        if style == STYLE_OAG_EXPERIMENTAL:
            ops.append(_parse_experimental_operation(section_raw, section, common))
        else:
            ops.append(_parse_oag_operation(section_raw, section, common))
    return ops


def _signature(section: list[str], name: str) -> tuple[str | None, str]:
    for line in section:
        m = _SIGNATURE.match(line.strip())
        if m and m.group("name") == name:
            return m.group("ret"), line.strip()[2:]
    raise SeedFormatError(f"{name}: no signature line '> ReturnType {name}(...)'")


def _default_from_notes(notes: str) -> object:
    notes = html.unescape(notes)
    for pattern in (
        r"\[default to (?P<v>.+?)\]",
        r"if omitted the server will use the default value of (?P<v>.+?)\s*$",
        r"\bdefaults to (?P<v>.+?)\s*$",
    ):
        m = re.search(pattern, notes)
        if m:
            return parse_literal(m.group("v"))
    return NO_DEFAULT


def _status_rows(section: list[str]) -> list[str]:
    codes = []
    for line in section:
        m = re.match(r"^\*\*(\w+)\*\*\s*\|", line.strip())
        if m:
            codes.append(m.group(1))
    return codes


def _parse_oag_operation(
    raw: list[str], section: list[str], common: dict
) -> SeedOperation:
    name, path = common["name"], common["path"]
    ret_sig, signature = _signature(section, name)
    subs = subsections(section, "###")

    # HTTP request headers
    request_cts: tuple[str, ...] = ()
    response_cts: tuple[str, ...] = ()
    for line in subs.get("HTTP request headers", []):
        m = re.match(r"^\s*-\s*\*\*(Content-Type|Accept)\*\*:\s*(.*)$", line)
        if m and m.group(1) == "Content-Type":
            request_cts = _content_types(m.group(2))
        elif m:
            response_cts = _content_types(m.group(2))

    # Parameters
    path_vars = {snake_case(v): v for v in path_variables(path)}
    params: list[tuple[str, str, bool, object, str | None]] = []
    for header, rows in tables_in(subs.get("Parameters", [])):
        if not header or header[0].lower() != "name":
            continue
        for cells in rows:
            pname = clean_cell(cells[0])
            ptype = clean_cell(cells[1]) if len(cells) > 1 else ""
            notes = cells[-1] if len(cells) >= 4 else ""
            required = "[optional]" not in notes
            default = _default_from_notes(notes)
            location = (
                "path" if pname in path_vars or pname in path_vars.values() else None
            )
            params.append((pname, ptype, required, default, location))

    # The request body is the non-path parameter named after its model
    # (OpenAPI Generator's rule) or "body"; only when a Content-Type is given.
    body = None
    if request_cts:
        candidates = [
            p
            for p in params
            if p[4] is None
            and (
                p[0] == "body"
                or p[0] == snake_case(strip_module(_base_type_name(p[1])))
            )
        ]
        if len(candidates) != 1:
            raise SeedFormatError(
                f"{name}: cannot tell which parameter is the request body "
                f"(candidates {[c[0] for c in candidates]})"
            )
        b = candidates[0]
        body = SeedBody(name=b[0], type=b[1], required=b[2])
        params = [p for p in params if p is not b]

    # Return type
    ret_lines = [line.strip() for line in subs.get("Return type", []) if line.strip()]
    if not ret_lines:
        raise SeedFormatError(f"{name}: no Return type section")
    return_type = (
        None if ret_lines[0].lower().startswith("void") else clean_cell(ret_lines[0])
    )
    if (ret_sig or None) != (return_type and return_type.replace(" ", "")):
        raise SeedFormatError(
            f"{name}: signature return type {ret_sig!r} != Return type section {return_type!r}"
        )

    return SeedOperation(
        **common,
        parameters=tuple(SeedParameter(*p) for p in params),
        body=body,
        return_type=strip_module(return_type) if return_type else None,
        status_codes=tuple(_status_rows(subs.get("HTTP response details", []))),
        status_codes_complete=True,
        auth=_auth_from_section(subs.get("Authorization", [])),
        auth_kinds=_auth_kinds(section),
        request_content_types=request_cts,
        response_content_types=response_cts,
        signature=signature,
    )


def _base_type_name(type_text: str) -> str:
    """Innermost named type of ``List[Foo]`` / ``Optional[Foo]`` / ``Foo``."""
    inner = type_text
    while True:
        m = re.fullmatch(r"\s*[\w.]*\[(.*)\]\s*", inner)
        if not m:
            return inner.strip()
        inner = m.group(1)


def _experimental_schema_type(section: list[str], schema_heading: str) -> str | None:
    """The type row under ``# SchemaFor...`` heading inside an op section."""
    for idx, line in enumerate(section):
        if line.strip() == f"# {schema_heading}":
            for header, rows in tables_in(section[idx + 1 : idx + 8]):
                if header and header[0].lower() == "type" and rows:
                    return clean_cell(rows[0][0])
    return None


def _parse_experimental_operation(
    raw: list[str], section: list[str], common: dict
) -> SeedOperation:
    name = common["name"]
    ret_sig, signature = _signature(section, name)
    subs = subsections(section, "###")

    body = None
    request_cts: tuple[str, ...] = ()
    response_cts: tuple[str, ...] = ()
    params: list[SeedParameter] = []
    for header, rows in tables_in(subs.get("Parameters", [])):
        if not header or header[0].lower() != "name":
            continue
        for cells in rows:
            pname = clean_cell(cells[0])
            ptype = clean_cell(cells[1])
            desc = cells[2] if len(cells) > 2 else ""
            if pname == "body":
                schemas = re.findall(r"SchemaForRequestBody\w+", ptype)
                if len(schemas) != 1:
                    raise SeedFormatError(f"{name}: unexpected body type {ptype!r}")
                btype = _experimental_schema_type(section, schemas[0])
                if btype is None:
                    raise SeedFormatError(f"{name}: no '# {schemas[0]}' section")
                body = SeedBody(
                    name="body", type=btype, required="required" in desc.split()
                )
            elif pname == "content_type":
                m = re.search(r"default is (.+)$", desc)
                if m:
                    request_cts = (str(parse_literal(m.group(1))),)
            elif pname == "accept_content_types":
                m = re.search(r"default is (.+)$", desc)
                if m:
                    value = parse_literal(m.group(1))
                    response_cts = (
                        tuple(value) if isinstance(value, tuple) else (str(value),)
                    )
            elif pname in _EXPERIMENTAL_CLIENT_OPTIONS:
                continue
            else:
                raise SeedFormatError(
                    f"{name}: parameter row {pname!r} is not supported by this reader "
                    "(python-experimental query/path/header params need their own sections)"
                )
    if body is None:
        request_cts = ()

    statuses: list[str] = []
    types_by_status: dict[str, str | None] = {}
    for header, rows in tables_in(subs.get("Return Types, Responses", [])):
        if not header or header[0].lower() != "code":
            continue
        for cells in rows:
            code = cells[0].strip()
            if code.lower() == "n/a":
                continue
            statuses.append("0" if code == "default" else code)
            types_by_status[statuses[-1]] = None
            # the per-status section: "#### name.ApiResponseForNNN" then a body row
            heading = f"#### {name}.ApiResponseFor{code}"
            for idx, line in enumerate(section):
                if line.strip() == heading:
                    for h2, rows2 in tables_in(section[idx + 1 : idx + 8]):
                        for r in rows2:
                            if clean_cell(r[0]) == "body":
                                found = re.findall(r"SchemaFor\w+ResponseBody\w+", r[1])
                                if found:
                                    t = _experimental_schema_type(section, found[0])
                                    types_by_status[statuses[-1]] = (
                                        strip_module(t) if t else None
                                    )
    success = sorted(c for c in statuses if c.isdigit() and c.startswith("2"))
    return_type = next(
        (types_by_status[c] for c in success if types_by_status[c]), None
    )
    if (ret_sig or None) != return_type:
        raise SeedFormatError(
            f"{name}: signature return type {ret_sig!r} != response schema {return_type!r}"
        )

    return SeedOperation(
        **common,
        parameters=tuple(params),
        body=body,
        return_type=return_type,
        status_codes=tuple(statuses),
        status_codes_complete=True,
        auth=_auth_from_section(subs.get("Authorization", [])),
        auth_kinds=_auth_kinds(section),
        request_content_types=request_cts,
        response_content_types=response_cts,
        response_types_by_status=types_by_status,
        signature=signature,
    )


# --------------------------------------------------------------------------
# Speakeasy
# --------------------------------------------------------------------------


def _snippet_call(
    code: str, group: str, name: str
) -> tuple[ast.Call | None, ast.Call | None]:
    """The ``<client>.<group>.<name>(...)`` call and the ``Security(...)`` call."""
    tree = ast.parse(code)
    op_call = sec_call = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == name
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == group
        ):
            op_call = node
        if isinstance(func, ast.Attribute) and func.attr == "Security":
            sec_call = node
    return op_call, sec_call


def _parse_speakeasy(text: str, seed_name: str) -> list[SeedOperation]:
    lines = text.splitlines()
    prose = without_code(lines)

    package = None
    for block in code_blocks(lines):
        m = re.search(r"^from (\w+) import", block, re.MULTILINE)
        if m:
            package = m.group(1)
            break
    if package is None:
        raise SeedFormatError(
            f"{seed_name}: no 'from <package> import' in the usage snippets"
        )

    group = None
    for line in prose:
        m = re.match(r"^\(\*(\w+)\*\)\s*$", line.strip())
        if m:
            group = m.group(1)
            break
    if group is None:
        raise SeedFormatError(f"{seed_name}: no '(*group*)' line under the title")

    listed = []
    in_list = False
    for line in prose:
        if line.startswith("### Available Operations"):
            in_list = True
            continue
        if in_list:
            m = re.match(r"^\* \[(\w+)\]\(#[^)]*\)", line.strip())
            if m:
                listed.append(m.group(1))
            elif line.startswith("#"):
                break

    starts = {}
    for idx, line in enumerate(prose):
        m = re.match(r"^## (\w+)\s*$", line)
        if m:
            starts[m.group(1)] = idx
    ordered = sorted(starts.values())

    ops = []
    for name in listed:
        if name not in starts:
            raise SeedFormatError(
                f"{seed_name}: operation {name} is listed but has no section"
            )
        start = starts[name]
        later = [s for s in ordered if s > start]
        end = later[0] if later else len(lines)
        raw, section = lines[start:end], prose[start:end]
        ops.append(
            _parse_speakeasy_operation(raw, section, package, group, name, seed_name)
        )
    return ops


def _parse_speakeasy_operation(
    raw: list[str],
    section: list[str],
    package: str,
    group: str,
    name: str,
    seed_name: str,
) -> SeedOperation:
    snippet = next((line for line in raw if "<!-- UsageSnippet" in line), None)
    if snippet is None:
        raise SeedFormatError(f"{name}: no UsageSnippet comment")
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', snippet))
    http_method, path = attrs["method"].upper(), attrs["path"]

    code = next(iter(code_blocks(raw)), "")
    op_call, sec_call = _snippet_call(code, group, name)
    if op_call is None:
        raise SeedFormatError(
            f"{name}: usage snippet does not call .{group}.{name}(...)"
        )
    literal_args = {
        kw.arg for kw in op_call.keywords if isinstance(kw.value, (ast.Dict, ast.List))
    }
    auth = tuple(kw.arg for kw in sec_call.keywords if kw.arg) if sec_call else ()

    subs = subsections(section, "###")
    path_vars = {snake_case(v): v for v in path_variables(path)}
    params: list[SeedParameter] = []
    body = None
    for header, rows in tables_in(subs.get("Parameters", [])):
        if not header or header[0].lower() != "parameter":
            continue
        for cells in rows:
            pname = clean_cell(cells[0])
            ptype = clean_cell(cells[1])
            required = "heavy_check_mark" in cells[2]
            if ptype.replace("Optional[", "").startswith("utils."):
                continue  # SDK plumbing (e.g. retries), not an API parameter
            location = (
                "path" if pname in path_vars or pname in path_vars.values() else None
            )
            if location is None and pname in literal_args:
                # request bodies are passed as dict/list literals in Speakeasy snippets
                if body is not None:
                    raise SeedFormatError(f"{name}: two request body candidates")
                body = SeedBody(name=pname, type=ptype, required=required)
                continue
            params.append(SeedParameter(pname, ptype, required, NO_DEFAULT, location))

    return_type = None
    for line in subs.get("Response", []):
        if line.strip():
            return_type = strip_module(clean_cell(line))
            break

    statuses: list[str] = []
    cts_by_status: dict[str, tuple[str, ...]] = {}
    for header, rows in tables_in(subs.get("Errors", [])):
        if len(header) < 2 or "status" not in header[1].lower():
            continue
        for cells in rows:
            content_type = clean_cell(cells[2]) if len(cells) > 2 else ""
            for code in (c.strip() for c in cells[1].split(",")):
                if not code:
                    continue
                if code not in statuses:
                    statuses.append(code)
                if content_type:
                    prev = cts_by_status.get(code, ())
                    if content_type not in prev:
                        cts_by_status[code] = prev + (content_type,)
    union: list[str] = []
    for cts in cts_by_status.values():
        union.extend(c for c in cts if c not in union)

    return SeedOperation(
        api=package,
        seed_file=seed_name,
        style=STYLE_SPEAKEASY,
        name=name,
        http_method=http_method,
        path=path,
        group=group,
        parameters=tuple(params),
        body=body,
        return_type=return_type,
        status_codes=tuple(statuses),
        status_codes_complete=False,
        auth=auth,
        auth_together=len(auth) > 1,
        auth_names_are_python=True,
        request_content_types=(),
        response_content_types=tuple(union),
        response_content_types_by_status=cts_by_status,
        operation_id=attrs.get("operationID"),
    )
