"""Where the templates are: ``templates/`` in a checkout (or an editable install),
``generator/templates/`` in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # generator/, this file being in generator/pipeline/
TEMPLATES = _PACKAGE / "templates" if (_PACKAGE / "templates").is_dir() else _PACKAGE.parent / "templates"

# The runtime: real Python, the same in every package (linted, type-checked and tested on its
# own), copied byte for byte; what differs per API is passed to it by the generated code.
RUNTIME = TEMPLATES / "module" / "_runtime.py"
CLIENT_TEMPLATE = TEMPLATES / "module" / "_client.py.jinja"
