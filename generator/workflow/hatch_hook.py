"""Build-time generation: a hatchling build hook that generates clients while a wheel is built.

A project that depends on an API adds its pinned spec to its own repository and::

    [build-system]
    requires = ["hatchling", "clientsmith"]
    build-backend = "hatchling.build"

    [project]
    dependencies = ["httpx>=0.27,<1", "pydantic>=2.7,<3"]   # what generated clients need

    [[tool.clientsmith.clients]]
    spec = "specs/pets.yaml"
    package = "pets"
    output = "generated/pets"

    [tool.hatch.build.hooks.clientsmith]
    vendor-into = "myapp/_vendor"   # optional: where the client goes inside the wheel

Building a wheel then runs ``clientsmith generate`` for every configured client (into
its ``output`` folder, incrementally, exactly as the command does) and adds each
client's import package, i.e. the files its manifest lists, to the wheel: at the top
level (``import pets``) or under ``vendor-into`` (``import myapp._vendor.pets``; that
folder needs an ``__init__.py`` in the project). Only wheels are affected: an sdist
carries the spec and configuration, and the wheel built from it generates again.

Options of ``[tool.hatch.build.hooks.clientsmith]``: ``config`` (the file listing the
clients, default ``pyproject.toml``), ``vendor-into``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from generator import config, pipeline
from generator.pipeline import write


class ClientsmithBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "clientsmith"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        options = self.config
        config_file = root / str(options.get("config", "pyproject.toml"))
        into = str(options.get("vendor-into", "")).strip("/")
        force_include: dict[str, str] = build_data.setdefault("force_include", {})
        for client in config.load_config(config_file):
            pipeline.generate(
                client.spec,
                client.package,
                client.output,
                lenient=client.lenient,
                overlays=client.overlays,
                allow_remote_refs=client.allow_remote_refs,
            )
            force_include.update(wheel_files(client.output, client.package, into))


def wheel_files(output: Path, package: str, into: str = "") -> dict[str, str]:
    """Source path -> path in the wheel for every file of the import package the manifest lists."""
    manifest = write.read_manifest(output) or {}
    prefix = f"{into}/" if into else ""
    files: dict[str, str] = {}
    for entry in sorted(manifest.get("files") or {}):
        relative = write.safe_relative(entry)
        if relative is not None and relative.startswith(f"{package}/"):
            files[str(output / relative)] = prefix + relative
    return files


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface]:  # type: ignore[type-arg]
    return ClientsmithBuildHook
