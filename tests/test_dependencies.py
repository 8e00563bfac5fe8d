"""pyproject.toml declares ranges; requirements/*.lock pin, with hashes, versions inside them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def read_lock(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes), for the pins that apply on this interpreter."""
    pins: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in path.read_text("utf-8").splitlines():
        match = PIN.match(line)
        if match:
            name, version, marker = match.groups()
            current = None
            if marker is None or Marker(marker).evaluate():
                current = canonicalize_name(name)
                pins[current] = (version, 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, count = pins[current]
            pins[current] = (version, count + 1)
    return pins


def _check(requirements: list[str], lock: Path) -> None:
    pins = read_lock(lock)
    assert pins, f"{lock} pins nothing"
    for raw in requirements:
        requirement = Requirement(raw)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock.name} lacks {requirement.name}: run `make lock`"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} pins {requirement.name}=={version}, outside pyproject.toml's {raw!r}: run `make lock`"
        )
    unhashed = sorted(name for name, (_, hashes) in pins.items() if hashes == 0)
    assert not unhashed, f"{lock.name}: pins without a hash: {unhashed}"


def test_runtime_lock_pins_every_dependency_inside_its_range() -> None:
    _check(PYPROJECT["project"]["dependencies"], ROOT / "requirements" / "runtime.lock")


def test_dev_lock_pins_every_dependency_and_dev_extra_inside_its_range() -> None:
    dev = PYPROJECT["project"]["optional-dependencies"]["dev"]
    _check([*PYPROJECT["project"]["dependencies"], *dev, "pip"], ROOT / "requirements" / "dev.lock")


def test_dependencies_are_ranges_not_pins() -> None:
    for raw in [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["dev"]]:
        specifiers = Requirement(raw).specifier
        assert not any(spec.operator in ("==", "===") for spec in specifiers), f"{raw!r}: declare a range; exact versions belong in requirements/*.lock"
        assert any(spec.operator == ">=" for spec in specifiers), f"{raw!r}: give the tested version as the lower bound"


def test_the_venv_is_built_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    stamp_rule = next(line for line in makefile.splitlines() if line.startswith("$(STAMP):"))
    assert "$(DEV_LOCK)" in stamp_rule, "the .venv stamp must depend on the lock file"
    assert "--require-hashes --no-deps -r $(DEV_LOCK)" in makefile
