"""The project's list of clients: ``[tool.clientsmith]`` in pyproject.toml or clients.yaml.

    [[tool.clientsmith.clients]]
    spec = "specs/airflow.yaml"        # required, relative to the config file
    package = "airflow_client"         # import name (default: from the spec's file name)
    output = "generated/airflow_client"  # folder of the package (default: generated/<package>)
    lenient = false                    # true: validation errors become warnings
    allow_remote_refs = false          # true: fetch $refs to http(s) URLs (recorded in the manifest)
    ref_root = "specs/algolia"         # folder file $refs may reach, relative to the config file (default: the spec's folder)
    overlays = ["specs/overlays/names.yaml"]  # OpenAPI Overlays 1.0, applied in order before validation
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.errors import UsageError
from generator.pipeline import loader, naming

_PACKAGE = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class ClientConfig:
    spec: Path
    package: str
    output: Path
    lenient: bool = False
    overlays: tuple[Path, ...] = ()
    allow_remote_refs: bool = False
    ref_root: Path | None = None  # folder file $refs may reach (None: the spec's folder)


def default_package_name(spec: Path) -> str:
    return naming.safe_identifier(naming.snake_case(spec.stem), fallback="client")


def check_package_name(name: str, source: str) -> str:
    if not _PACKAGE.match(name) or name in ("generator",):
        raise UsageError(f"{source}: invalid package name {name!r} (use a lower-case Python identifier, e.g. 'my_api')")
    return name


def find_config(start: Path) -> Path:
    for folder in [start, *start.parents]:
        clients = folder / "clients.yaml"
        if clients.is_file():
            return clients
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "tool" in (data := tomllib.loads(pyproject.read_text("utf-8"))) and "clientsmith" in data["tool"]:
            return pyproject
    raise UsageError("no clientsmith configuration found: add [tool.clientsmith] to pyproject.toml or a clients.yaml")


def load_config(path: Path) -> list[ClientConfig]:
    try:
        if path.name.endswith(".toml"):
            table: Any = tomllib.loads(path.read_text("utf-8")).get("tool", {}).get("clientsmith", {})
        else:
            table = loader.load_yaml(path.read_text("utf-8")) or {}  # YAML 1.2, like specs
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read configuration: {exc}".splitlines()[0]) from None
    entries = table.get("clients") if isinstance(table, dict) else None
    if not isinstance(entries, list) or not entries:
        raise UsageError(f"{path}: no clients listed (add [[tool.clientsmith.clients]] entries with spec = ...)")
    base = path.parent
    clients: list[ClientConfig] = []
    for index, entry in enumerate(entries):
        where = f"{path}: clients[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("spec"), str):
            raise UsageError(f"{where}: each client needs a `spec` path")
        spec = base / entry["spec"]
        package = check_package_name(str(entry.get("package") or default_package_name(spec)), where)
        output = base / str(entry.get("output") or f"generated/{package}")
        lenient = entry.get("lenient", False)
        if not isinstance(lenient, bool):
            raise UsageError(f"{where}: `lenient` must be true or false")
        allow_remote_refs = entry.get("allow_remote_refs", False)
        if not isinstance(allow_remote_refs, bool):
            raise UsageError(f"{where}: `allow_remote_refs` must be true or false")
        ref_root = entry.get("ref_root")
        if ref_root is not None and not (isinstance(ref_root, str) and ref_root):
            raise UsageError(f"{where}: `ref_root` must be a folder path")
        overlays = entry.get("overlays", [])
        if not isinstance(overlays, list) or not all(isinstance(item, str) and item for item in overlays):
            raise UsageError(f"{where}: `overlays` must be a list of overlay file paths")
        clients.append(
            ClientConfig(
                spec=spec,
                package=package,
                output=output,
                lenient=lenient,
                overlays=tuple(base / item for item in overlays),
                allow_remote_refs=allow_remote_refs,
                ref_root=base / ref_root if ref_root is not None else None,
            )
        )
    outputs = [c.output.resolve() for c in clients]
    if len(set(outputs)) != len(outputs):
        raise UsageError(f"{path}: two clients share an output folder")
    return clients
