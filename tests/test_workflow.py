"""The README's "Spec changes" workflow, end to end, plus the pre-commit hook and CI example.

edit spec -> generate -> read `clientsmith diff` (and the new CHANGELOG section) -> check -> commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.test_incremental import SPEC

ROOT = Path(__file__).resolve().parents[1]
CLIENTSMITH = Path(sys.executable).parent / "clientsmith"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=ENV, capture_output=True, text=True, timeout=120, check=False)


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = run("git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert shutil.which("git") is not None, "git is needed for the workflow test (install git)"
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "pets.yaml").write_text(SPEC)
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [project]
            name = "app"
            version = "1"

            [[tool.clientsmith.clients]]
            spec = "specs/pets.yaml"
            package = "pets"
            output = "generated/pets"
            """
        )
    )
    git("init", "-q", cwd=tmp_path)
    return tmp_path


def test_spec_change_workflow_end_to_end(project: Path) -> None:
    clientsmith = [sys.executable, "-m", "generator"]
    assert run(*clientsmith, "generate", cwd=project).returncode == 0
    git("add", "-A", cwd=project)
    git("commit", "-qm", "pets client", cwd=project)

    # 1. edit the spec: a breaking change (listOwners goes) and an addition
    spec = project / "specs" / "pets.yaml"
    spec.write_text(
        SPEC.replace("version: '1.0.0'", "version: '1.1.0'").replace("operationId: listOwners", "operationId: listPeople")
    )
    check = run(*clientsmith, "check", cwd=project)
    assert check.returncode == 1 and "inputs changed since the last generation: spec (" in check.stderr, check.stderr

    # 2. generate
    generated = run(*clientsmith, "generate", cwd=project)
    assert generated.returncode == 0, generated.stderr
    status = git("status", "--porcelain", cwd=project).stdout.splitlines()
    changed = {line[3:] for line in status}
    assert "generated/pets/pets/models.py" not in changed, "untouched files stay out of the commit"
    assert {"specs/pets.yaml", "generated/pets/CHANGELOG.md", "generated/pets/clientsmith.json"} <= changed

    # 3. read the diff report
    old = project / "old.yaml"
    old.write_text(git("show", "HEAD:specs/pets.yaml", cwd=project).stdout)
    report = run(*clientsmith, "diff", str(old), "specs/pets.yaml", "--format", "markdown", cwd=project)
    assert report.returncode == 1, "a breaking change makes diff exit 1"
    rows = [line for line in report.stdout.splitlines() if line.startswith(("| **breaking**", "| non-breaking"))]
    assert any("`operation-renamed`" in row for row in rows), report.stdout
    changelog = (project / "generated" / "pets" / "CHANGELOG.md").read_text()
    newest = changelog.split("\n## ")[1]
    assert newest.startswith("1.1.0+clientsmith.")
    assert all(row in newest for row in rows), "the CHANGELOG section carries the same rows as `clientsmith diff`"
    old.unlink()

    # 4. check, commit; regenerating now changes nothing
    assert run(*clientsmith, "check", cwd=project).returncode == 0
    git("add", "-A", cwd=project)
    git("commit", "-qm", "pets 1.1.0", cwd=project)
    assert run(*clientsmith, "generate", cwd=project).returncode == 0
    assert git("status", "--porcelain", cwd=project).stdout == "", "a second generate must not change anything"


def test_pre_commit_hook_runs_clientsmith_check(project: Path) -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "clientsmith-check" and hook["language"] == "python" and hook["pass_filenames"] is False
    entry = hook["entry"].split()
    assert entry == ["clientsmith", "check"]
    assert CLIENTSMITH.exists(), "the clientsmith console script is not installed next to this Python: run `make setup`"
    command = [str(CLIENTSMITH), *entry[1:]]
    assert run(sys.executable, "-m", "generator", "generate", cwd=project).returncode == 0
    assert run(*command, cwd=project).returncode == 0
    (project / "specs" / "pets.yaml").write_text(SPEC.replace("title: Pets", "title: Pet shop"))
    assert run(*command, cwd=project).returncode == 1, "the hook fails while generated/ is stale"


def test_readme_ci_example_runs_make_check() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("\n## Spec changes\n", 1)[1]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)
    workflows = [yaml.safe_load(block) for block in blocks if "jobs:" in block]
    assert len(workflows) == 1, "one GitHub Actions example"
    steps = next(iter(workflows[0]["jobs"].values()))["steps"]
    assert {"run": "make check"} in steps
    assert re.search(r"^check: ", (ROOT / "Makefile").read_text(), re.MULTILINE), "the Makefile has a check target"
