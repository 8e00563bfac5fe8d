"""Stage 6: format generated Python so that it is black-formatted, fast.

black costs ~30 CPU-seconds per MB of generated code (a minute for Stripe's
client); ``ruff format`` does the same job in a fraction of a second and
agrees with black almost everywhere. Where they differ (black puts long type
hints and conditional expressions in parentheses before splitting them),
ruff leaves a code line longer than 88 columns or a line starting with ``| ``,
``if `` or ``else ``. So we run ruff over the whole package, then give black
only the top-level statements or methods that have such a line (lines inside
multi-line strings, which no formatter can shorten, don't count). The result
is what black produces; the test suite checks generated/ and corpus clients
with ``black --check``. Non-Python files get exactly one trailing newline.
"""

from __future__ import annotations

import ast
import io
import subprocess
import tempfile
import tokenize
from collections.abc import Callable, Collection
from pathlib import Path

import black
from ruff.__main__ import find_ruff_bin

from generator.errors import ClientsmithError

LINE_LENGTH = 88
RUFF_ARGS = ["format", "--isolated", "--quiet", "--no-cache", "--line-length", str(LINE_LENGTH), "--target-version", "py311"]
BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=LINE_LENGTH)


class FormatError(ClientsmithError):
    """Generated code failed to parse: a clientsmith bug, never the user's."""


#: How black is run on a piece of code: ``black.format_str``'s signature. The pieces are whole
#: statements, each formatted on its own, so a caller may memoize this (the regeneration cache does).
BlackFormatter = Callable[[str, black.Mode], str]


def _black(text: str, mode: black.Mode) -> str:
    return black.format_str(text, mode=mode)


def format_files(files: dict[str, str], *, verbatim: Collection[str] = (), black_format: BlackFormatter = _black) -> dict[str, str]:
    """Every file formatted, keyed and ordered as given (sorted); those in ``verbatim`` are kept
    byte for byte (the runtime, which tests hold to be already formatted as this stage would).
    ``black_format`` runs black on each piece that needs it (default: ``black.format_str``)."""
    python = {path: text for path, text in files.items() if path.endswith(".py") and path not in verbatim}
    formatted = {path: _finish_with_black(path, text, black_format) for path, text in _ruff_format(python).items()} if python else {}
    result: dict[str, str] = {}
    for path in sorted(files):
        if path in verbatim:
            result[path] = files[path]
        elif path.endswith(".py"):
            result[path] = formatted[path]
        else:
            text = files[path]
            result[path] = text.rstrip("\n") + "\n" if text.strip() else ""
    return result


def _ruff_format(files: dict[str, str]) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="clientsmith-format-") as folder:
        root = Path(folder)
        for relative, text in files.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        result = subprocess.run([find_ruff_bin(), *RUFF_ARGS, "."], cwd=root, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise FormatError(f"generated code does not parse ({detail[0] if detail else 'ruff format failed'}); please report this clientsmith bug")
        return {relative: (root / relative).read_text("utf-8") for relative in files}


def _finish_with_black(path: str, text: str, black_format: BlackFormatter = _black) -> str:
    """Hand black the top-level blocks ruff could not bring under the line length."""
    lines = _lines(text)
    long_lines = _long_code_lines(text, lines)
    try:
        body = ast.parse(text).body
    except SyntaxError as exc:
        raise FormatError(f"{path}: generated code does not parse ({exc}); please report this clientsmith bug") from exc
    # The module head (imports and aliases before the first class or def) always goes to
    # black: the two differ on blank lines between imports and a following assignment.
    definitions = [n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    head_end = _first_line(definitions[0]) if definitions else len(lines)
    head = [n for n in body if _first_line(n) < head_end]
    if any(not isinstance(n, (ast.Import, ast.ImportFrom)) and not _is_docstring(n) for n in head):
        long_lines |= {0}
    if not long_lines:
        return text
    out: list[str] = []
    try:
        for start, end, node in _top_level_blocks(body, head_end, len(lines)):
            if not any(start <= number < end for number in long_lines):
                out.append("".join(lines[start:end]))
                continue
            members = _class_members(node, end) if isinstance(node, ast.ClassDef) else None
            if members is None or any(members[0][0] <= n < members[0][1] for n in long_lines):
                out.append(_black_chunk(lines[start:end], 0, black_format))  # not a class, or its header is long
                continue
            for first, last in members:
                chunk = lines[first:last]
                long_here = any(first <= n < last for n in long_lines)
                out.append(_black_chunk(chunk, 4, black_format) if long_here and first != members[0][0] else "".join(chunk))
    except black.parsing.InvalidInput:  # a block that is not valid alone: format the whole file
        try:
            return black_format(text, BLACK_MODE)
        except black.parsing.InvalidInput as exc:
            raise FormatError(f"{path}: generated code does not parse ({exc}); please report this clientsmith bug") from exc
    return "".join(out)


def _lines(text: str) -> list[str]:
    """``text`` split after each ``\n`` only, as Python numbers source lines: ``str.splitlines``
    also splits at characters a docstring may hold (``\u2028``, ``\x0c``, ``\x85``...), which
    would shift every line number ``ast`` and ``tokenize`` report after them."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _black_chunk(chunk: list[str], indent: int, black_format: BlackFormatter = _black) -> str:
    """black on lines that form whole statements at ``indent``, keeping their trailing blank lines."""
    text = "".join(line[indent:] if line.strip() else line.lstrip(" ") for line in chunk)
    body = text.rstrip("\n")
    trailing = text[len(body) :]
    mode = BLACK_MODE if not indent else black.Mode(target_versions=BLACK_MODE.target_versions, line_length=LINE_LENGTH - indent)
    formatted = black_format(body + "\n", mode).rstrip("\n")
    if indent:
        pad = " " * indent
        formatted = "".join(pad + line if line.strip() else line for line in _lines(formatted))
    return formatted + trailing


def _first_line(node: ast.stmt) -> int:
    """0-based first line of a statement, its decorators included."""
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]) - 1


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _class_members(node: ast.ClassDef, end: int) -> list[tuple[int, int]]:
    """A top-level class split into its header and one range per method (decorators included) or
    statement after a method."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    cuts = [_first_line(node)]
    cuts += [_first_line(item) for item in node.body if isinstance(item, functions)]
    # a statement after a method is a member of its own (black alone would give it a top-level gap)
    cuts += [_first_line(item) for before, item in zip(node.body, node.body[1:], strict=False) if isinstance(before, functions)]
    cuts = sorted(set(cuts))
    return [(first, last) for first, last in zip(cuts, [*cuts[1:], end], strict=True)]


def _long_code_lines(text: str, lines: list[str]) -> set[int]:
    """0-based numbers of lines over the limit that are not inside a multi-line string."""
    candidates = {
        number
        for number, line in enumerate(lines)
        if len(line.rstrip("\n")) > LINE_LENGTH or _split_like_ruff(line, lines[number - 1] if number else "")
    }
    if not candidates:
        return candidates
    in_strings: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type != tokenize.STRING:
            continue
        first, last = token.start[0] - 1, token.end[0] - 1
        if first != last:
            in_strings.update(range(first, last + 1))
            if token.string.endswith('"""') and len(lines[last].rstrip("\n")) > LINE_LENGTH:
                in_strings.discard(last)  # black moves the closing quotes of a long last line to their own line
        elif lines[first].strip() == token.string:  # a lone string (a docstring) cannot be split
            in_strings.add(first)
    return candidates - in_strings


def _split_like_ruff(line: str, previous: str) -> bool:
    """Lines where ruff split an expression black would have parenthesised first:
    a union in an annotation (``| NotGiven = ...``), an annotation split before its value
    (``] = []``) or a conditional expression
    (not a comprehension's ``if``, nor an ``if`` statement continued in brackets)."""
    head = line.strip()
    if head.startswith(("| ", "] = ")):  # ``] = []``: black splits the value first
        return True
    if head.startswith("else "):
        return True
    if head.startswith("if ") and not head.endswith((":", "(", "[", "{")):
        return not previous.strip().startswith(("for ", "async for "))
    return False


def _top_level_blocks(body: list[ast.stmt], head_end: int, total: int) -> list[tuple[int, int, ast.stmt | None]]:
    """Ranges of lines, each one top-level statement (from its decorators to the next statement,
    so comments and blank lines after it go with it) and the statement; the module head (lines
    before ``head_end``) is one block."""
    starts: dict[int, ast.stmt | None] = {0: None}
    for node in body:
        first = _first_line(node)
        if first >= head_end:
            starts[first] = node
    ordered = sorted(starts)
    return [(start, end, starts[start]) for start, end in zip(ordered, [*ordered[1:], total], strict=True)]
