"""Package versions, the spec snapshot and CHANGELOG.md (generator/workflow/history.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator import pipeline
from generator.pipeline import write
from generator.workflow import history
from tests.test_incremental import SPEC

CODAT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "codat"


@pytest.mark.parametrize(
    ("spec_version", "public"),
    [
        ("2", "2"),
        ("1.0.0", "1.0.0"),
        ("v1", "1"),
        ("V2.1", "2.1"),
        (" 1.2 ", "1.2"),
        ("1.0.0-beta", "1.0.0b0"),
        ("1.0.0.RC1", "1.0.0rc1"),
        ("1.0+upstream.7", "1.0"),
        ("2024-06-20", "2024.6.20"),
        ("latest", "0.0.0"),
        ("", "0.0.0"),
    ],
)
def test_spec_version_is_pep440_normalised(spec_version: str, public: str) -> None:
    assert history.public_version(spec_version) == public
    assert history.package_version(spec_version, "0123456789abcdef") == f"{public}+clientsmith.01234567"


def _spec(tmp_path: Path, text: str) -> Path:
    spec = tmp_path / "pets.yaml"
    spec.write_text(text, "utf-8")
    return spec


def test_version_is_deterministic_and_follows_every_input(tmp_path: Path) -> None:
    from packaging.version import Version

    def version(text: str, package: str = "pets") -> str:
        files = pipeline.build(_spec(tmp_path, text), package).files
        manifest = json.loads(files[write.MANIFEST])
        assert f'version = "{manifest["version"]}"' in files["pyproject.toml"]
        assert f'__version__ = "{manifest["version"]}"' in files[f"{package}/__init__.py"]
        return str(manifest["version"])

    first = version(SPEC)
    assert first == version(SPEC), "the same inputs must give the same version"
    assert first.startswith("1.0.0+clientsmith.") and str(Version(first)) == first, first
    assert Version(first).public == "1.0.0"
    assert version(SPEC.replace("operationId: listOwners", "operationId: listOwners\n      summary: x")) != first
    assert version(SPEC, "pets_client") != first, "another package name is another build"
    assert version(SPEC.replace("version: '1.0.0'", "version: 'v2'")).startswith("2+clientsmith.")


def test_first_generation_writes_snapshot_and_changelog(tmp_path: Path) -> None:
    files = pipeline.build(_spec(tmp_path, SPEC), "pets").files
    snapshot = json.loads(files[history.SNAPSHOT])
    assert snapshot["info"]["title"] == "Pets" and list(snapshot["paths"]) == ["/pets", "/owners"], "document order is kept"
    changelog = files[history.CHANGELOG]
    version = json.loads(files[write.MANIFEST])["version"]
    assert changelog.startswith("# Changelog\n") and changelog.count("\n## ") == 1
    assert f"\n## {version}\n\nGenerated from `pets.yaml`, API version 1.0.0.\n" in changelog
    assert {history.SNAPSHOT, history.CHANGELOG} <= set(json.loads(files[write.MANIFEST])["files"])


def test_changelog_gains_a_section_only_when_the_spec_changes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline.generate(_spec(tmp_path, SPEC), "pets", out)
    first = (out / history.CHANGELOG).read_text()

    pipeline.generate(_spec(tmp_path, SPEC), "pets", out)
    assert (out / history.CHANGELOG).read_text() == first, "regenerating the same spec must not add a section"

    changed = SPEC.replace("version: '1.0.0'", "version: '1.1.0'").replace(
        "  /owners:\n    get:\n      operationId: listOwners\n      tags: [owners]\n      responses:\n        '200': {description: ok}\n",
        "  /vets:\n    get:\n      operationId: listVets\n      tags: [vets]\n      responses:\n        '200': {description: ok}\n",
    )
    generated = pipeline.generate(_spec(tmp_path, changed), "pets", out)
    second = (out / history.CHANGELOG).read_text()
    version = json.loads(generated.files[write.MANIFEST])["version"]
    assert version.startswith("1.1.0+clientsmith.")
    sections = [line for line in second.splitlines() if line.startswith("## ")]
    assert sections[0] == f"## {version}" and sections[1] == first.splitlines()[4], "newest first, the old section kept"
    assert second.endswith(first.split("\n## ", 1)[1]), "earlier sections are kept byte for byte"
    new_section = second.split("\n## ")[1]
    assert "Regenerated from a changed `pets.yaml`." in new_section
    assert "`API 1.0.0` -> `API 1.1.0`" in new_section and "**2 breaking**" in new_section
    assert "`operation-removed` | `owners.list_owners`" in new_section and "`operation-added` | `vets.list_vets`" in new_section
    assert new_section.index("operation-removed") < new_section.index("operation-added"), "breaking changes come first"

    # Building again against the folder that was just written reproduces it exactly (what check and the golden test do).
    again = pipeline.build(_spec(tmp_path, changed), "pets", previous=out).files
    assert again == {path: data.decode() for path, data in write.read_tree(out).items()}


def test_a_spec_change_invisible_to_the_client_gets_a_short_section(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline.generate(_spec(tmp_path, SPEC), "pets", out)
    pipeline.generate(_spec(tmp_path, SPEC.replace("paths:", "x-internal-note: moved\npaths:")), "pets", out)
    changelog = (out / history.CHANGELOG).read_text()
    assert changelog.count("\n## ") == 2 and "Nothing changed for users of the client" in changelog


@pytest.mark.parametrize("damage", ["missing", "garbage", "not-an-object"])
def test_a_missing_or_damaged_snapshot_does_not_stop_generation(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "out"
    pipeline.generate(_spec(tmp_path, SPEC), "pets", out)
    snapshot = out / history.SNAPSHOT
    if damage == "missing":
        snapshot.unlink()
    else:
        snapshot.write_text("{ nope" if damage == "garbage" else "[1, 2]")
    pipeline.generate(_spec(tmp_path, SPEC.replace("title: Pets", "title: Pet shop")), "pets", out)
    changelog = (out / history.CHANGELOG).read_text()
    assert changelog.count("\n## ") == 2 and "the changes are not listed" in changelog
    assert json.loads(snapshot.read_text())["info"]["title"] == "Pet shop", "the snapshot is rewritten"


def test_a_foreign_changelog_is_replaced_by_a_fresh_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    pipeline.generate(_spec(tmp_path, SPEC), "pets", out)
    (out / history.CHANGELOG).write_text("random notes\n")
    files = pipeline.build(_spec(tmp_path, SPEC), "pets", previous=out).files
    assert files[history.CHANGELOG].startswith("# Changelog\n") and files[history.CHANGELOG].count("\n## ") == 1


def test_changelog_for_a_real_spec_pair(tmp_path: Path) -> None:
    assert (CODAT / "connections_latest.yaml").exists(), f"reference specs missing at {CODAT} (expected next to the repository)"
    spec = tmp_path / "codat.yaml"
    out = tmp_path / "out"
    shutil.copyfile(CODAT / "connections.yaml", spec)
    pipeline.generate(spec, "codat", out, lenient=True)
    shutil.copyfile(CODAT / "connections_latest.yaml", spec)
    pipeline.generate(spec, "codat", out, lenient=True)
    changelog = (out / history.CHANGELOG).read_text()
    newest = changelog.split("\n## ")[1]
    assert "| **breaking** |" in newest and "| non-breaking |" in newest, newest[:2000]
    assert changelog.count("\n## ") == 2
    pipeline.generate(spec, "codat", out, lenient=True)
    assert (out / history.CHANGELOG).read_text() == changelog


def test_snapshot_keeps_yaml_only_values_deterministically() -> None:
    text = history.snapshot_text({"x-set": {"b", "a", "c"}, "x-bin": b"hi", "x-date": "2024-01-01", "n": 1.5})
    assert json.loads(text) == {"x-set": ["a", "b", "c"], "x-bin": "b'hi'", "x-date": "2024-01-01", "n": 1.5}
