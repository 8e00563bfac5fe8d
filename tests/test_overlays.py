"""OpenAPI Overlays 1.0 as input (generator/workflow/overlay.py): config, CLI, manifest and semantics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import config, pipeline
from generator.errors import Problem, SpecError
from generator.pipeline import write
from generator.workflow import overlay
from tests.test_manifest_check import clientsmith

ROOT = Path(__file__).resolve().parents[1]
NAMES = ROOT / "tests" / "overlays" / "mammoth_names.yaml"
_OUR_EXTENSIONS = re.compile(r"^\s*x-clientsmith-(name|group|flatten|body-name): .*\n", re.MULTILINE)


def _upstream(tmp_path: Path) -> Path:
    """specs/mammoth_analytics.yaml without our naming extensions, as a vendor would publish it."""
    text = (ROOT / "specs" / "mammoth_analytics.yaml").read_text("utf-8")
    stripped, count = _OUR_EXTENSIONS.subn("", text)
    assert count == 12, "the seed spec's naming extensions moved; update the overlay test"
    spec = tmp_path / "mammoth_analytics.yaml"
    spec.write_text(stripped, "utf-8")
    return spec


def _without_version(files: dict[str, str], version: str) -> dict[str, str]:
    skip = {write.MANIFEST, ".clientsmith/spec.json", "CHANGELOG.md"}
    return {path: text.replace(version, "<version>") for path, text in files.items() if path not in skip}


def test_a_naming_overlay_reproduces_the_seed_client(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path)
    plain = pipeline.build(upstream, "mammoth_analytics").files
    assert "def get(" not in plain["mammoth_analytics/resources/connections.py"], "without the overlay the names differ"

    patched = pipeline.build(upstream, "mammoth_analytics", overlays=[NAMES]).files
    seed = pipeline.build(ROOT / "specs" / "mammoth_analytics.yaml", "mammoth_analytics").files
    patched_version = json.loads(patched[write.MANIFEST])["version"]
    seed_version = json.loads(seed[write.MANIFEST])["version"]
    assert _without_version(patched, patched_version) == _without_version(seed, seed_version)

    manifest = json.loads(patched[write.MANIFEST])
    assert manifest["overlays"] == [{"file": "mammoth_names.yaml", "sha256": write.sha256(NAMES.read_bytes())}]
    assert manifest["config_sha256"] == pipeline.config_sha256("mammoth_analytics", ["mammoth_names.yaml"])
    snapshot = json.loads(patched[".clientsmith/spec.json"])
    list_op = snapshot["paths"]["/workspaces/{workspace_id}/projects/{project_id}/connectors/{connector_key}/connections"]["get"]
    assert list_op["x-clientsmith-name"] == "list", "the snapshot is the spec after the overlays"


def test_configured_overlays_through_generate_and_check(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path)
    (tmp_path / "overlays").mkdir()
    overlay_file = tmp_path / "overlays" / "names.yaml"
    overlay_file.write_bytes(NAMES.read_bytes())
    (tmp_path / "clients.yaml").write_text(
        f"clients:\n  - spec: {upstream.name}\n    package: mammoth_analytics\n    output: out\n    overlays: [overlays/names.yaml]\n"
    )
    [client] = config.load_config(tmp_path / "clients.yaml")
    assert client.overlays == (overlay_file,)

    result = clientsmith("generate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "def list(" in (tmp_path / "out" / "mammoth_analytics" / "resources" / "connections.py").read_text()
    assert clientsmith("check", cwd=tmp_path).returncode == 0

    overlay_file.write_text(NAMES.read_text().replace("x-clientsmith-name: list", "x-clientsmith-name: list_all"))
    result = clientsmith("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "inputs changed since the last generation: overlays ([names.yaml@" in result.stderr, result.stderr
    assert "spec (" not in result.stderr and "config (" not in result.stderr
    assert clientsmith("generate", cwd=tmp_path).returncode == 0
    changelog = (tmp_path / "out" / "CHANGELOG.md").read_text()
    assert "`operation-renamed` | `connections.list`" in changelog, "an overlay change is a spec change for the changelog"


def test_cli_overlay_option(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path)
    args = ("generate", str(upstream), "--output", "out", "--package-name", "mammoth_analytics", "--overlay", str(NAMES))
    result = clientsmith(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "def create(" in (tmp_path / "out" / "mammoth_analytics" / "resources" / "connections.py").read_text()
    result = clientsmith("validate", str(upstream), "--overlay", str(NAMES), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (tmp_path / "clients.yaml").write_text(f"clients:\n  - spec: {upstream.name}\n")
    result = clientsmith("generate", "--overlay", str(NAMES), cwd=tmp_path)
    assert result.returncode == 2 and "need a SPEC argument" in result.stderr


def test_a_broken_overlay_fails_cleanly_and_leaves_the_output_alone(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: \"$.paths[?@.x ==]\"\n    update: {}\n")
    assert clientsmith("generate", str(upstream), "-o", "out", "--package-name", "m", cwd=tmp_path).returncode == 0
    before = write.read_tree(tmp_path / "out")
    result = clientsmith("generate", str(upstream), "-o", "out", "--package-name", "m", "--overlay", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {bad}#/actions/0/target: invalid JSONPath:"), result.stderr
    assert write.read_tree(tmp_path / "out") == before
    result = clientsmith("generate", str(upstream), "-o", "out", "--package-name", "m", "--overlay", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 2 and "missing.yaml: file not found" in result.stderr


# -- semantics ----------------------------------------------------------------------
DOC: dict[str, Any] = {
    "info": {"title": "T", "tags": ["a"], "contact": {"name": "n"}},
    "paths": {
        "/a": {"get": {"operationId": "getA", "tags": ["x"]}, "post": {"operationId": "postA"}},
        "/b": {"get": {"operationId": "getB", "parameters": [{"name": "p1"}, {"name": "p2"}, {"name": "p3"}]}},
    },
}


def _apply(actions: list[dict[str, Any]], warnings: list[Problem] | None = None) -> dict[str, Any]:
    document = json.loads(json.dumps(DOC))
    data = {"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": actions}
    return overlay.apply_overlay(document, data, "o.yaml", warn=None if warnings is None else warnings.append)


def test_update_merges_recursively() -> None:
    result = _apply([{"target": "$.info", "update": {"title": "New", "tags": ["b"], "contact": {"email": "e"}, "x-new": {"k": 1}}}])
    assert result["info"] == {"title": "New", "tags": ["a", "b"], "contact": {"name": "n", "email": "e"}, "x-new": {"k": 1}}


def test_update_on_an_array_appends_and_filters_select_objects() -> None:
    result = _apply(
        [
            {"target": "$.paths['/b'].get.parameters", "update": {"name": "p4"}},
            {"target": "$.paths.*[?@.operationId == 'getA' || @.operationId == 'getB']", "update": {"x-clientsmith-name": "get"}},
        ]
    )
    assert [p["name"] for p in result["paths"]["/b"]["get"]["parameters"]] == ["p1", "p2", "p3", "p4"]
    assert {op.get("x-clientsmith-name") for path in result["paths"].values() for op in path.values()} == {"get", None}
    assert result["paths"]["/a"]["get"]["x-clientsmith-name"] == "get" and "x-clientsmith-name" not in result["paths"]["/a"]["post"]


def test_remove_from_objects_and_arrays_in_order() -> None:
    result = _apply(
        [
            {"target": "$.paths['/b'].get.parameters[?@.name != 'p2']", "remove": True},
            {"target": "$.paths['/a'].post", "remove": True, "update": {"ignored": True}},
            {"target": "$.paths['/a']", "update": {"post": {"operationId": "postA2"}}},
        ]
    )
    assert result["paths"]["/b"]["get"]["parameters"] == [{"name": "p2"}]
    assert result["paths"]["/a"]["post"] == {"operationId": "postA2"}, "actions see the result of the earlier ones"


def test_a_target_selecting_nothing_is_a_warning() -> None:
    warnings: list[Problem] = []
    result = _apply([{"target": "$.paths['/nope']", "update": {"x": 1}}], warnings)
    assert result == DOC
    assert len(warnings) == 1 and warnings[0].pointer == "/actions/0/target" and "selects nothing" in warnings[0].message


def test_overlays_apply_in_order_and_do_not_change_their_input(tmp_path: Path) -> None:
    first, second = tmp_path / "1.yaml", tmp_path / "2.json"
    first.write_text(yaml.safe_dump({"overlay": "1.0.0", "info": {"title": "1", "version": "1"}, "actions": [{"target": "$.info", "update": {"title": "one"}}]}))
    second.write_text(json.dumps({"overlay": "1.0.1", "info": {"title": "2", "version": "1"}, "actions": [{"target": "$.info", "update": {"title": "two"}}]}))
    original = json.loads(json.dumps(DOC))
    result, records = overlay.apply_overlays(original, [first, second])
    assert result["info"]["title"] == "two" and original == DOC
    assert [record["file"] for record in records] == ["1.yaml", "2.json"]
    assert overlay.apply_overlays(original, []) == (original, [])


@pytest.mark.parametrize(
    ("data", "pointer", "message"),
    [
        ([], "", "must be a mapping"),
        ({"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$", "remove": False, "update": {}}]}, "/overlay", "unsupported"),
        ({"overlay": "1.0.0", "actions": [{"target": "$", "update": {}}]}, "/info", "`info` needs"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": []}, "/actions", "non-empty list"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "paths", "update": {}}]}, "/actions/0/target", "starting with `$`"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.info"}]}, "/actions/0", "needs `update` or `remove: true`"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$", "remove": "yes"}]}, "/actions/0/remove", "true or false"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$", "update": {}, "copy": "$"}]}, "/actions/0/copy", "unknown field"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$", "remove": True}]}, "/actions/0/target", "root"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.info.title", "update": {}}]}, "/actions/0/target", "objects or arrays"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.info", "update": "x"}]}, "/actions/0/update", "must be a mapping"),
        ({"overlay": "1.0.0", "info": {"title": "t", "version": "1"}, "actions": [{"target": "$.info", "update": {"contact": "x"}}]}, "/actions/0/update", "cannot merge a value into the mapping at $['info']['contact']"),
    ],
)
def test_invalid_overlays_are_refused_with_a_pointer(data: Any, pointer: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        overlay.apply_overlay(json.loads(json.dumps(DOC)), data, "o.yaml")
    assert any(problem.file == "o.yaml" and problem.pointer == pointer and message in problem.message for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize("value", ["'x.yaml'", "[1]", "['']"])
def test_config_overlays_must_be_a_list_of_paths(tmp_path: Path, value: str) -> None:
    (tmp_path / "clients.yaml").write_text(f"clients:\n  - spec: s.yaml\n    overlays: {value}\n")
    with pytest.raises(config.UsageError, match="`overlays` must be a list of overlay file paths"):
        config.load_config(tmp_path / "clients.yaml")
