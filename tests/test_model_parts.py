"""models.py of a large spec generated in parts (generator/pipeline/model_parts.py).

The parts are judged against one run of datamodel-code-generator over the whole model
document: the same classes with the same text, whatever the number of processes.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.errors import Problem, SpecError
from generator.pipeline import cache as caching
from generator.pipeline import forked, loader, model_parts, models, parse

ROOT = Path(__file__).resolve().parent.parent
AIRBYTE = ROOT.parent / "shared" / "corpus" / "airbyte_config_latest.yaml"


@functools.cache
def _airbyte() -> tuple[dict[str, Any], list[str]]:
    """The model document of airbyte_config_latest (869 schemas: large enough to be split) and
    its class names."""
    api = parse.build_ir(loader.load(AIRBYTE).document, str(AIRBYTE), "airbyte")
    return api.model_document, [model.class_name for model in api.models]


def _blocks(source: str) -> dict[tuple[str, str], str]:
    """Top-level statements of a finished models.py by kind and name. A part imports ``date``
    plainly where no class of its own has a field named ``date`` and one run aliases it
    everywhere: the spelling is made one here, so only a real difference shows."""
    text = source.replace("from ._runtime import", "from runtime import")
    return {(block.kind, block.name): re.sub(r"\bdate_aliased\b", "date", block.text) for block in model_parts.split_source(text).blocks}


def _one_run(document: dict[str, Any], names: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(model_parts, "plan", lambda schemas: [model_parts.Part(tuple(schemas), tuple(schemas), 0)])
        return models.generate_models(document, names, str(AIRBYTE))


def test_parts_give_the_classes_one_run_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    document, names = _airbyte()
    parts = model_parts.plan(document["components"]["schemas"])
    assert len(parts) >= 2, "airbyte_config_latest is no longer split: this test needs a document that is"
    whole = _blocks(_one_run(document, names, monkeypatch))
    outputs = {}
    for processes in ("1", "2"):
        monkeypatch.setenv(forked.PROCESSES_VARIABLE, processes)
        outputs[processes] = models.generate_models(document, names, str(AIRBYTE))
    assert outputs["1"] == outputs["2"], "models.py depends on the number of processes: the parts must depend on the document only"
    joined = _blocks(outputs["2"])
    assert sorted(joined) == sorted(whole), "the joined parts lack or add classes that one run gives"
    differing = [key for key in whole if whole[key] != joined[key]]
    assert not differing, f"classes whose text differs from one run's: {differing[:5]}"
    compile(outputs["2"], "models.py", "exec")


def test_parts_come_in_dependency_order() -> None:
    """Owned schemas partition the document; each part is given exactly what its owned schemas
    reach; and that is owned by the part itself or an earlier one, so the joined module defines
    every class before a later class statement needs it."""
    schemas = _airbyte()[0]["components"]["schemas"]
    parts = model_parts.plan(schemas)
    owned = [name for part in parts for name in part.owned]
    assert sorted(owned) == sorted(schemas) and len(owned) == len(set(owned))
    earlier: set[str] = set()
    for index, part in enumerate(parts):
        reached = model_parts._reached(list(part.owned), {name: sorted(model_parts._refs(schemas[name]) & schemas.keys()) for name in schemas})
        assert set(part.schemas) == reached, f"part {index} is not given exactly what its schemas reach"
        outside = reached - set(part.owned) - earlier
        assert not outside, f"part {index} reaches schemas owned by a later part: {sorted(outside)[:5]}"
        earlier |= set(part.owned)
    assert model_parts.plan(copy.deepcopy(schemas)) == parts, "the plan is not a function of the document"


def _object(refs: list[str], padding: int) -> dict[str, Any]:
    properties: dict[str, Any] = {f"field_{i}": {"type": "string", "description": "x" * padding} for i in range(4)}
    properties.update({f"to_{name.lower()}": {"$ref": f"#/components/schemas/{name}"} for name in refs})
    return {"type": "object", "properties": properties}


def test_small_and_fully_cyclic_documents_stay_one_part() -> None:
    small = {f"S{i}": _object([], 10) for i in range(20)}
    assert len(model_parts.plan(small)) == 1, "a small document costs more in processes than it saves"
    names = [f"C{i}" for i in range(60)]
    ring = {name: _object([names[(i + 1) % len(names)]], 1000) for i, name in enumerate(names)}
    assert sum(len(json.dumps(schema)) for schema in ring.values()) > model_parts.SMALLEST_SPLIT
    assert len(model_parts.plan(ring)) == 1, "schemas that all reach one another cannot be generated apart"
    apart = {name: _object([], 1000) for name in names}
    assert len(model_parts.plan(apart)) > 1, "independent schemas of this size should be split"


def test_a_made_up_class_whose_name_is_taken_is_renamed() -> None:
    """datamodel-code-generator makes up classes (an ``allOf`` merge's property types) and names
    them freely within its run; in another part the name may be a component's. The made-up
    class and its uses (never strings, docstrings or field aliases) take the next free name."""
    first = model_parts.split_source(
        "from __future__ import annotations\nfrom pydantic import BaseModel\n\n\n"
        "class Status(BaseModel):\n    state: str\n"
    )
    second = model_parts.split_source(
        "from __future__ import annotations\nfrom enum import Enum\nfrom pydantic import BaseModel, Field\n\n\n"
        "class Status(Enum):\n    QUEUED = 'queued'\n\n\n"
        "class Job(BaseModel):\n    '''Status of a Job.'''\n    status: Status = Field(..., alias='Status')\n\n\n"
        "class Other(BaseModel):\n    x: int\n\n\n"
        "Job.model_rebuild()\n"
    )
    parts = [model_parts.Part(("Status",), ("Status",), 1), model_parts.Part(("Job",), ("Job",), 1)]
    merged = model_parts.merge(parts, [first, second], ["Status", "Job"])
    assert "class Status1(Enum):" in merged and "class Status(BaseModel):" in merged
    assert "    status: Status1 = Field(..., alias='Status')" in merged
    assert "'''Status of a Job.'''" in merged
    assert "Other" not in merged, "a class no owned class uses came along"
    assert "from enum import Enum\n" in merged and merged.count("from pydantic import BaseModel, Field\n") == 1
    assert merged.rstrip().endswith("Job.model_rebuild()")
    namespace: dict[str, Any] = {}
    exec(compile(merged, "models.py", "exec"), namespace)  # noqa: S102 - our own generated text
    assert namespace["Job"].model_fields["status"].annotation is namespace["Status1"]


def test_an_edit_regenerates_only_the_parts_that_reach_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document, names = _airbyte()
    schemas = document["components"]["schemas"]
    parts = model_parts.plan(schemas)
    reached_by_others = {name for part in parts[:-1] for name in part.schemas}
    target = next(name for name in parts[-1].owned if name not in reached_by_others)
    cache = caching.Cache(tmp_path / "cache")
    models.generate_models(document, names, str(AIRBYTE), cache=cache)
    assert cache.stats.misses == len(parts) and cache.stats.hits == 0

    edited = copy.deepcopy(document)
    edited["components"]["schemas"][target]["description"] = "Edited by the test."
    assert [part.owned for part in model_parts.plan(edited["components"]["schemas"])] == [part.owned for part in parts], (
        "a description edit moved the cuts between parts: every part would be generated again"
    )
    cache.stats = caching.Stats()
    incremental = models.generate_models(edited, names, str(AIRBYTE), cache=cache)
    assert (cache.stats.hits, cache.stats.misses) == (len(parts) - 1, 1), cache.stats
    assert "Edited by the test." in incremental
    assert incremental == models.generate_models(edited, names, str(AIRBYTE)), "the cached parts gave other text than a cold run"


def test_output_the_join_cannot_place_falls_back_to_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part whose output holds a statement :func:`model_parts.merge` has no place for (none of
    datamodel-code-generator's today) makes the whole document one run, never a module with
    that statement lost."""
    document, names = _airbyte()

    def refuse(source: str) -> model_parts.PartSource:
        raise model_parts.Unsupported("a statement the join does not know")

    whole = _one_run(document, names, monkeypatch)
    monkeypatch.setattr(model_parts, "split_source", refuse)
    assert models.generate_models(document, names, str(AIRBYTE)) == whole


def test_a_failing_part_fails_the_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    """datamodel-code-generator failing on one part is the spec's error, as for one run."""
    document, names = _airbyte()
    broken = copy.deepcopy(document)
    last = model_parts.plan(broken["components"]["schemas"])[-1].owned[-1]
    monkeypatch.setattr(models, "_run", _failing_on(last, models._run))
    for processes in ("1", "2"):
        monkeypatch.setenv(forked.PROCESSES_VARIABLE, processes)
        with pytest.raises(SpecError, match="model generation failed: made to fail"):
            models.generate_models(broken, names, str(AIRBYTE))


def _failing_on(name: str, run: Any) -> Any:
    def failing(document: dict[str, Any], file: str) -> str:
        if name in document["components"]["schemas"]:
            raise SpecError([Problem(file, "/components/schemas", "model generation failed: made to fail")])
        return str(run(document, file))

    return failing
