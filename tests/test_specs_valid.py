"""Every spec in specs/ must pass openapi-spec-validator."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.shortcuts import get_validator_cls

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = REPO_ROOT / "specs"


def _declared_specs() -> set[Path]:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    clients = data.get("tool", {}).get("clientsmith", {}).get("clients", [])
    return {REPO_ROOT / c["spec"] for c in clients if "spec" in c}


SPEC_FILES = sorted(set(SPECS_DIR.glob("*.yaml")) | _declared_specs())


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _find(node: Any, target: Any, path: str = "$") -> list[str]:
    """JSON paths of every node in ``node`` equal to ``target``."""
    found = [path] if node == target else []
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(
                _find(
                    value,
                    target,
                    f"{path}.{key}"
                    if re.fullmatch(r"\w+", str(key))
                    else f"{path}[{str(key)!r}]",
                )
            )
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_find(value, target, f"{path}[{index}]"))
    return found


def _describe(error: Exception, spec: dict[str, Any]) -> str:
    path = getattr(error, "json_path", None) or "$"
    message = getattr(error, "message", None) or str(error).splitlines()[0]
    schema = getattr(error, "schema", None)
    if path == "$" and isinstance(schema, dict) and schema:
        # e.g. a `default` that does not fit its schema is reported without a
        # location: point at the schema(s) it came from instead.
        where = _find(spec, schema)
        if where:
            path = " | ".join(where[:3]) + (" ..." if len(where) > 3 else "")
            message = f"{message} (in the schema at that path; check its default/example/enum)"
    if len(message) > 400:
        message = message[:400] + " ..."
    return f"at {path}: {message}"


@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=[_display(p) for p in SPEC_FILES])
def test_spec_is_valid_openapi(spec_file: Path) -> None:
    name = _display(spec_file)
    if not spec_file.is_file():
        pytest.fail(
            f"{name} is declared in pyproject.toml [tool.clientsmith] but does not exist"
        )
    try:
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        pytest.fail(f"{name} is not valid YAML: {exc}")
    if not isinstance(spec, dict):
        pytest.fail(f"{name}: the document is not a mapping")
    base_uri = spec_file.resolve().as_uri()
    try:
        validate(spec, base_uri=base_uri)
    except Exception as first:  # noqa: BLE001 - any validator error fails the spec
        errors = [_describe(first, spec)]
        try:  # list every error, not just the first one
            validator = get_validator_cls(spec)(spec, base_uri=base_uri)
            for error in validator.iter_errors():
                text = _describe(error, spec)
                if text not in errors:
                    errors.append(text)
        except Exception as exc:  # noqa: BLE001 - the first error is reported anyway
            errors.append(f"(could not list further errors: {exc!r})")
        pytest.fail(
            f"{name} fails openapi-spec-validator ({len(errors)} error(s)):\n  "
            + "\n  ".join(errors[:25])
        )


def test_there_are_specs() -> None:
    assert SPEC_FILES, f"no specs found in {SPECS_DIR.relative_to(REPO_ROOT)}"
