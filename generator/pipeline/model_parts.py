"""Stage 4 in parts: the model document split so datamodel-code-generator runs on pieces at once.

datamodel-code-generator is the wall of a large spec's generation (GitHub's 6,828 schemas:
about 40 of 65 seconds, one core; see benchmarks/README.md). It has no parallelism of its
own, but a class's text depends only on its schema and on the schemas it reaches by
``$ref``: so the schemas are cut into *parts* along the ``$ref`` graph, each part is
generated from a document holding its own schemas and everything they reach (its
*context*), in its own process, and the classes each part owns are joined into one module.

- :func:`plan` decides the parts from the document alone (never from the machine: the same
  spec gives the same ``models.py`` on one core or eight). Strongly connected groups of
  schemas stay together and come in dependency order, so every part's owned schemas reach
  only themselves and earlier parts: the joined module defines every class before any class
  statement that needs it (a base class, a ``RootModel[...]`` argument). A split is taken
  only where its estimated time on two processes beats one run clearly; a small spec, or one
  whose schemas all reach one another (Stripe's expandable objects), stays one part.
- :func:`split_source` reads one part's output into top-level blocks (classes, the names
  each uses) in the process that generated it.
- :func:`merge` keeps each part's owned classes, plus the classes datamodel-code-generator
  made up along the way (from ``allOf`` merges) that they use, renaming a made-up class whose
  name another part already took; and writes the imports the kept blocks use.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from generator.pipeline.cache import canonical

#: The plan assumes this many processes wherever it runs, so its parts (and the module they
#: make) never depend on the machine; where fewer cores exist the parts simply run in turn.
PLANNED_PROCESSES = 2
#: What one more datamodel-code-generator run costs, in characters of schema JSON (start-up
#: of its pipeline: about 0.15 s, the time it takes for 15 kB of schemas).
RUN_OVERHEAD = 15_000
#: Below this much schema JSON (about a second of datamodel-code-generator) one run is taken.
SMALLEST_SPLIT = 100_000
#: A split must be estimated at most this fraction of one run's time to be taken.
WORTH_SPLITTING = 0.85
#: Part counts tried.
PART_COUNTS = (2, 3, 4, 6, 8)
#: A part ends at a group whose first schema name hashes to 0 modulo this, once it has its
#: share of the work: cuts stay where they were when an edit changes a schema's size, so an
#: edit reaches only the parts that hold or reach the edited schema.
ANCHOR_MODULUS = 4
_REF_PREFIX = "#/components/schemas/"


class Unsupported(Exception):
    """A part's output holds a statement :func:`merge` cannot place: the models are generated in
    one run instead."""


@dataclass(frozen=True)
class Part:
    """Schemas whose classes one run contributes (``owned``) and the schemas that run is given
    (``schemas``: the owned ones and all they reach), both in document order."""

    owned: tuple[str, ...]
    schemas: tuple[str, ...]
    cost: int


@dataclass(frozen=True)
class Block:
    """One top-level statement of a part's output: a class (``kind`` ``"class"``), a module-level
    assignment (``"assign"``) or a ``X.model_rebuild()`` call (``"rebuild"``, ``name`` is X)."""

    name: str
    kind: str
    text: str
    uses: tuple[str, ...]


@dataclass(frozen=True)
class PartSource:
    """A part's output read into its ``from`` imports (module, ``(name, alias)`` pairs) and blocks."""

    imports: tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]
    blocks: tuple[Block, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "imports": [[module, [list(name) for name in names]] for module, names in self.imports],
                "blocks": [[block.name, block.kind, block.text, list(block.uses)] for block in self.blocks],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> PartSource:
        data = json.loads(text)
        return cls(
            imports=tuple((module, tuple((name, alias) for name, alias in names)) for module, names in data["imports"]),
            blocks=tuple(Block(name, kind, body, tuple(uses)) for name, kind, body, uses in data["blocks"]),
        )


def plan(schemas: Mapping[str, Any]) -> list[Part]:
    """The parts to generate ``schemas`` (``components/schemas`` of the model document) in: one
    part holding everything unless a split is estimated to be worth it (module docstring)."""
    names = list(schemas)
    cost = {name: len(canonical(schemas[name])) for name in names}
    total = sum(cost.values())
    whole = [Part(tuple(names), tuple(names), total)]
    if total < SMALLEST_SPLIT:
        return whole
    best, best_span = whole, float(total + RUN_OVERHEAD)
    refs = {name: sorted(_refs(schemas[name]) & schemas.keys()) for name in names}
    groups = _dependency_ordered_groups(names, refs)
    position = {name: index for index, name in enumerate(names)}
    for count in PART_COUNTS:
        parts = []
        for owned in _cut(groups, cost, total, count):
            reached = _reached(owned, refs)
            ordered = tuple(sorted(reached, key=position.__getitem__))
            parts.append(Part(tuple(sorted(owned, key=position.__getitem__)), ordered, sum(cost[name] for name in reached)))
        if len(parts) < 2:
            continue
        span = _makespan([part.cost + RUN_OVERHEAD for part in parts], PLANNED_PROCESSES)
        if span < best_span and span <= WORTH_SPLITTING * (total + RUN_OVERHEAD):
            best, best_span = parts, span
    return best


def sub_document(document: Mapping[str, Any], part: Part) -> dict[str, Any]:
    """The model document datamodel-code-generator is given for ``part``: its schemas only."""
    schemas = document["components"]["schemas"]
    sub = {key: value for key, value in document.items() if key != "components"}
    sub["components"] = {"schemas": {name: schemas[name] for name in part.schemas}}
    return sub


def split_source(source: str) -> PartSource:
    """Read one run's output into imports and blocks (raises :class:`Unsupported`)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    imports: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
    blocks: list[Block] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imports.append((node.module, tuple((alias.name, alias.asname) for alias in node.names)))
            continue
        name, kind = _block_name(node)
        first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", ()))])
        text = "".join(lines[first - 1 : node.end_lineno]).rstrip("\n") + "\n"
        uses = sorted({child.id for child in ast.walk(node) if isinstance(child, ast.Name)} - {name if kind != "rebuild" else ""})
        blocks.append(Block(name, kind, text, tuple(uses)))
    return PartSource(tuple(imports), tuple(blocks))


def merge(parts: list[Part], sources: list[PartSource], components: Iterable[str]) -> str:
    """One module from the parts' outputs (see the module docstring)."""
    reserved = set(components) | {alias or name for source in sources for _, names in source.imports for name, alias in names}
    kept_blocks: list[Block] = []
    rebuilds: list[Block] = []
    for part, source in zip(parts, sources, strict=True):
        by_name = {block.name: block for block in source.blocks if block.kind != "rebuild"}
        given = set(part.schemas)  # any other class of this output was made up in this run
        keep = [name for name in part.owned if name in by_name]
        wanted = set(keep)
        queue = list(keep)
        while queue:  # the made-up classes the owned ones use, and those they use
            for used in by_name[queue.pop()].uses:
                if used in by_name and used not in given and used not in wanted:
                    wanted.add(used)
                    queue.append(used)
        renames: dict[str, str] = {}
        for name in sorted(wanted - given):
            if name in reserved:
                renames[name] = _free_name(name, reserved)
            reserved.add(renames.get(name, name))
        for block in source.blocks:
            if block.kind == "rebuild":
                if block.name in wanted:
                    rebuilds.append(_renamed(block, renames))
            elif block.name in wanted:
                kept_blocks.append(_renamed(block, renames))
    used_names = {name for block in [*kept_blocks, *rebuilds] for name in block.uses}
    lines = ["from __future__ import annotations\n"]
    for module, names in _merged_imports(sources):
        if module == "__future__":
            continue
        wanted_names = sorted({f"{name} as {alias}" if alias else name for name, alias in names if (alias or name) in used_names})
        if wanted_names:
            lines.append(f"from {module} import {', '.join(wanted_names)}\n")
    body = "\n\n".join(block.text for block in kept_blocks)
    tail = "".join(block.text for block in rebuilds)
    return "".join(lines) + "\n\n" + body + ("\n\n" + tail if tail else "")


def _block_name(node: ast.stmt) -> tuple[str, str]:
    if isinstance(node, ast.ClassDef):
        return node.name, "class"
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, "assign"
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, "assign"
    if (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "model_rebuild"
        and isinstance(node.value.func.value, ast.Name)
    ):
        return node.value.func.value.id, "rebuild"
    raise Unsupported(f"top-level {type(node).__name__} at line {node.lineno}")


def _merged_imports(sources: list[PartSource]) -> list[tuple[str, set[tuple[str, str | None]]]]:
    merged: dict[str, set[tuple[str, str | None]]] = {}
    for source in sources:
        for module, names in source.imports:
            merged.setdefault(module, set()).update(names)
    return list(merged.items())


def _free_name(name: str, taken: set[str]) -> str:
    """``name`` with the smallest number after it that nothing has taken (``Status`` -> ``Status1``)."""
    number = 1
    while f"{name}{number}" in taken:
        number += 1
    return f"{name}{number}"


def _renamed(block: Block, renames: Mapping[str, str]) -> Block:
    """``block`` with the names in ``renames`` replaced where they are names (never inside strings)."""
    hits = [name for name in block.uses if name in renames] + ([block.name] if block.name in renames else [])
    if not hits:
        return block
    lines = block.text.splitlines(keepends=True)
    edits = [
        (token.start, token.end, renames[token.string])
        for token in tokenize.generate_tokens(io.StringIO(block.text).readline)
        if token.type == tokenize.NAME and token.string in renames
    ]
    for (row, start), (_, end), new in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + new + line[end:]
    return Block(renames.get(block.name, block.name), block.kind, "".join(lines), tuple(sorted({renames.get(name, name) for name in block.uses})))


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
                found.add(ref[len(_REF_PREFIX) :])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _dependency_ordered_groups(names: list[str], refs: Mapping[str, list[str]]) -> list[list[str]]:
    """Strongly connected groups of schemas (Tarjan's algorithm, without recursion), each after
    every group it reaches; in document order where the references leave a choice."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in names:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, next_edge = work.pop()
            if next_edge == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            edges = refs[node]
            while next_edge < len(edges):
                target = edges[next_edge]
                next_edge += 1
                if target not in index:
                    work.append((node, next_edge))
                    work.append((target, 0))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    groups.append(group)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
    return groups


def _cut(groups: list[list[str]], cost: Mapping[str, int], total: int, count: int) -> list[list[str]]:
    """``groups`` (in dependency order) cut into at most ``count`` runs of consecutive groups of
    about equal cost, each cut at the first anchor group after its share is reached."""
    chunks: list[list[str]] = [[]]
    done = 0
    for group in groups:
        if len(chunks) < count and done >= total * len(chunks) / count and chunks[-1] and _is_anchor(group[0]):
            chunks.append([])
        chunks[-1].extend(group)
        done += sum(cost[name] for name in group)
    return chunks


def _is_anchor(name: str) -> bool:
    return hashlib.sha256(name.encode("utf-8")).digest()[0] % ANCHOR_MODULUS == 0


def _reached(owned: list[str], refs: Mapping[str, list[str]]) -> set[str]:
    reached = set(owned)
    stack = list(owned)
    while stack:
        for target in refs[stack.pop()]:
            if target not in reached:
                reached.add(target)
                stack.append(target)
    return reached


def _makespan(costs: list[int], processes: int) -> float:
    """Finishing time of ``costs`` on ``processes`` workers, longest first to the least loaded."""
    loads = [0] * processes
    for job in sorted(costs, reverse=True):
        loads[loads.index(min(loads))] += job
    return float(max(loads))
