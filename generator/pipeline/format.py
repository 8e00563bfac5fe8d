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
import bisect
import functools
import io
import itertools
import subprocess
import tempfile
import tokenize
from collections.abc import Callable, Collection
from pathlib import Path

import black
from ruff.__main__ import find_ruff_bin

from generator.errors import ClientsmithError
from generator.pipeline import forked

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
    formatted = _finish_all_with_black(_ruff_format(python), black_format) if python else {}
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


#: Below this many characters for black, a second process costs more than it saves.
PARALLEL_BLACK_CHARS = 40_000

#: A block for black: its lines, their indent (see :func:`_black_chunk`) and whether its last
#: line is a stand-in body to take off again (see :func:`_signature_alone`).
_Job = tuple[list[str], int, bool]


def _finish_all_with_black(files: dict[str, str], black_format: BlackFormatter = _black) -> dict[str, str]:
    """:func:`_finish_with_black` on every file, black's blocks shared out between processes
    (see :mod:`generator.pipeline.forked`): each process formats a run of consecutive blocks
    of about the same size. The result does not depend on how they are shared."""
    plans = {path: _plan(path, text) for path, text in files.items()}
    jobs = [piece for plan in plans.values() if plan is not None for piece in plan if not isinstance(piece, str)]
    done = iter(_run_black_jobs(jobs, black_format))
    result: dict[str, str] = {}
    for path, plan in plans.items():
        if plan is None:
            result[path] = files[path]
            continue
        out = [piece if isinstance(piece, str) else next(done) for piece in plan]
        if any(piece is None for piece in out):  # a block that is not valid alone: format the whole file
            result[path] = _black_whole(path, files[path], black_format)
        else:
            result[path] = "".join(piece for piece in out if piece is not None)
    return result


def _run_black_jobs(jobs: list[_Job], black_format: BlackFormatter) -> list[str | None]:
    """black on each block (None where black refuses a block alone), in order."""
    sizes = [sum(len(line) for line in lines) for lines, _, _ in jobs]
    workers = min(forked.processes(), max(1, sum(sizes) // PARALLEL_BLACK_CHARS))
    if workers < 2:
        return _black_jobs(jobs, black_format)
    bounds = [0]  # consecutive runs of about sum(sizes) / workers characters each
    total, running = sum(sizes), 0
    for index, size in enumerate(sizes):
        running += size
        if running * workers >= total * len(bounds) and len(bounds) < workers:
            bounds.append(index + 1)
    bounds.append(len(jobs))
    runs = [jobs[start:end] for start, end in itertools.pairwise(bounds)]
    children = [forked.Forked(functools.partial(_black_jobs, run, black_format)) for run in runs[1:]]
    try:
        first = _black_jobs(runs[0], black_format)
    except BaseException:
        for child in children:
            child.cancel()
        raise
    return [*first, *(piece for child in children for piece in child.result())]


def _black_jobs(jobs: list[_Job], black_format: BlackFormatter) -> list[str | None]:
    result: list[str | None] = []
    for lines, indent, stand_in in jobs:
        try:
            text: str | None = _black_chunk(lines, indent, black_format)
        except black.parsing.InvalidInput:
            text = None
        if stand_in and text is not None:  # black left the stand-in body as it was: take it off
            text = text.removesuffix(lines[-1]) if text.endswith(lines[-1]) else None
        result.append(text)
    return result


def _black_whole(path: str, text: str, black_format: BlackFormatter) -> str:
    try:
        return black_format(text, BLACK_MODE)
    except black.parsing.InvalidInput as exc:
        raise FormatError(f"{path}: generated code does not parse ({exc}); please report this clientsmith bug") from exc


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


def _finish_with_black(path: str, text: str) -> str:
    """Hand black the top-level blocks ruff could not bring under the line length."""
    return _finish_all_with_black({path: text})[path]


def _plan(path: str, text: str) -> list[str | _Job] | None:
    """``text`` as pieces kept as they are (strings) and blocks for black (see
    :func:`_finish_with_black`), in order; None when black has nothing to do."""
    lines = _lines(text)
    try:
        body = ast.parse(text).body
    except SyntaxError as exc:
        raise FormatError(f"{path}: generated code does not parse ({exc}); please report this clientsmith bug") from exc
    long_lines = _long_code_lines(lines, body)
    # The module head (the imports and the first statement after them, before the first class
    # or def) always goes to black: the two differ on blank lines between imports and a
    # following assignment. Later statements are blocks like any other (a resource module's
    # operation table: hundreds of lines black need not read).
    definitions = [n for n in body if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    head_end = _first_line(definitions[0]) if definitions else len(lines)
    head = [n for n in body if _first_line(n) < head_end]
    first_other = next((n for n in head if not isinstance(n, (ast.Import, ast.ImportFrom)) and not _is_docstring(n)), None)
    if first_other is not None:
        long_lines |= {0}
        head_end = min([_first_line(n) for n in body if _first_line(n) > _first_line(first_other)], default=len(lines))
    if not long_lines:
        return None
    out: list[str | _Job] = []
    for start, end, node in _top_level_blocks(body, head_end, len(lines)):
        if not any(start <= number < end for number in long_lines):
            out.append("".join(lines[start:end]))
            continue
        members = _class_members(node, end) if isinstance(node, ast.ClassDef) else None
        if members is None or any(members[0][0] <= n < members[0][1] for n in long_lines):
            # not a class, or its header is long
            out.extend(_signature_alone(lines, start, end, node, 0, long_lines) or [(lines[start:end], 0, False)])
            continue
        assert isinstance(node, ast.ClassDef)
        methods = {_first_line(item): item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for first, last in members:
            chunk = lines[first:last]
            if first == members[0][0] or not any(first <= n < last for n in long_lines):
                out.append("".join(chunk))
                continue
            out.extend(_signature_alone(lines, first, last, methods.get(first), 4, long_lines) or [(chunk, 4, False)])
    return out


def _signature_alone(
    lines: list[str], first: int, last: int, node: ast.stmt | None, indent: int, long_lines: set[int]
) -> list[str | _Job] | None:
    """A function (lines ``first`` to ``last``) whose long lines are all in its signature, as a
    block for black of the signature (decorators included) over a stand-in body, ``pass``, and
    its body as it is; None for anything else.

    black formats each statement on its own, so the signature comes out as with its body, and
    the body, without a long line, is as black would leave it (see :func:`_finish_with_black`);
    black then reads a few lines instead of a whole method with its docstring (most of the
    methods of a resource module that go to black have nothing long but a union annotation)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body_start = _first_line(node.body[0])
    if body_start <= node.lineno - 1 or node.body[0].col_offset != indent + 4 or body_start >= last:
        return None  # a body on the line of the def, or an unexpected layout
    if any(body_start <= number < last for number in long_lines):
        return None
    stand_in = " " * (indent + 4) + "pass\n"
    return [(lines[first:body_start] + [stand_in], indent, True), "".join(lines[body_start:last])]


def _lines(text: str) -> list[str]:
    """``text`` split after each ``\n`` only, as Python numbers source lines: ``str.splitlines``
    also splits at characters a docstring may hold (``\u2028``, ``\x0c``, ``\x85``...), which
    would shift every line number ``ast`` and ``tokenize`` report after them."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _black_chunk(chunk: list[str], indent: int, black_format: BlackFormatter) -> str:
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


def _long_code_lines(lines: list[str], body: list[ast.stmt]) -> set[int]:
    """0-based numbers of lines over the limit that are not inside a multi-line string. Only the
    top-level statements holding such a line are tokenized (each is whole on its own): a large
    models.py has a few hundred of them among thousands of classes."""
    candidates = {
        number
        for number, line in enumerate(lines)
        if len(line.rstrip("\n")) > LINE_LENGTH or _split_like_ruff(line, lines[number - 1] if number else "")
    }
    if not candidates:
        return candidates
    starts = [_first_line(node) for node in body]
    statements = sorted({bisect.bisect_right(starts, number) - 1 for number in candidates} - {-1})
    in_strings: set[int] = set()
    for index in statements:
        first = starts[index]
        source = "".join(lines[first : body[index].end_lineno])
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING:
                _mark_string(token, first, lines, in_strings)
    return candidates - in_strings


def _mark_string(token: tokenize.TokenInfo, offset: int, lines: list[str], in_strings: set[int]) -> None:
    """Add the lines of a string token (of a statement starting at line ``offset``) that no
    formatter can shorten to ``in_strings``."""
    first, last = offset + token.start[0] - 1, offset + token.end[0] - 1
    if first != last:
        in_strings.update(range(first, last + 1))
        if token.string.endswith('"""') and len(lines[last].rstrip("\n")) > LINE_LENGTH:
            in_strings.discard(last)  # black moves the closing quotes of a long last line to their own line
    elif lines[first].strip() == token.string:  # a lone string (a docstring) cannot be split
        in_strings.add(first)


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
