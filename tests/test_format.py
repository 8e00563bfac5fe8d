"""The formatter stage: ruff format plus black on the blocks where the two differ must equal black."""

from __future__ import annotations

import black
import pytest

from generator.pipeline.format import BLACK_MODE, format_files

CASES = {
    "long-docstring-end": (
        "def f(x: int) -> int:\n"
        '    """First line.\n'
        "    A last docstring line that is long enough to push its closing quotes past the limit of 88.\"\"\"\n"
        "    return x\n"
    ),
    "union-annotation": (
        "def g(argument_one: int | None = None, argument_two: str | None = None, argument_three: bytes | None = None) -> None:\n"
        "    return None\n"
    ),
    "conditional": "value = 'a very long string that keeps going and going' if len('another long operand') > 3 else 'short'\n",
    # Statements are found with ast, not by reading line starts and counting triple quotes: text
    # inside strings that looks like a statement, or an odd number of quotes, cannot split a block.
    "code-like-text-in-strings": (
        'NOTE = """\nclass NotAClass:\n    def not_a_method(self): \'\'\'\n"""\n\n\n'
        "class Real:\n"
        '    """Says \\"\\"\\" once."""\n\n'
        "    @staticmethod\n"
        "    def method(argument_one: int | None = None, argument_two: str | None = None, argument_three: bytes | None = None) -> None:\n"
        "        return None\n"
    ),
    # A docstring may hold characters str.splitlines() breaks at but Python does not (U+2028,
    # form feed): the line numbers ast reports must still match.
    "line-separators-in-strings": (
        "class Doc:\n"
        '    """One\u2028two\x0cthree\x85four."""\n\n'
        "    def __init__(self, client: int) -> None:\n"
        "        self._client = client\n\n"
        "    def method(self, argument_one: int | None = None, argument_two: str | None = None, argument_three: bytes | None = None) -> None:\n"
        "        return None\n"
    ),
    "continued-statements": (
        "try:\n    import json\nexcept ImportError:  # pragma: no cover\n    json = None\nelse:\n"
        "    loads = json.loads if json is not None and hasattr(json, 'loads') and callable(json.loads) else None\n"
    ),
}


@pytest.mark.parametrize("source", CASES.values(), ids=list(CASES))
def test_output_equals_black(source: str) -> None:
    formatted = format_files({"pkg/mod.py": source})["pkg/mod.py"]
    expected = black.format_str(source, mode=BLACK_MODE)
    assert formatted == expected, f"format.py must produce black's output byte for byte:\n{formatted}\n---- black:\n{expected}"
