"""Stage 6: format generated Python with black, in-process.

Non-Python files pass through unchanged, apart from a guaranteed single
trailing newline, so every output file is byte-stable.
"""

from __future__ import annotations

import black

from generator.errors import ClientsmithError

MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88)


class FormatError(ClientsmithError):
    """Generated code failed to parse: a clientsmith bug, never the user's."""


def format_file(path: str, text: str) -> str:
    if not path.endswith(".py"):
        return text.rstrip("\n") + "\n" if text.strip() else ""
    try:
        return black.format_str(text, mode=MODE)
    except black.parsing.InvalidInput as exc:
        raise FormatError(f"{path}: generated code does not parse ({exc}); please report this clientsmith bug") from exc


def format_files(files: dict[str, str]) -> dict[str, str]:
    return {path: format_file(path, text) for path, text in sorted(files.items())}
