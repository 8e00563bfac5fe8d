"""Running one scenario with a sync or an async generated client.

A scenario is written once as a coroutine and passes every client call through
:func:`call` (and paged iterators through :func:`collect`): a sync client's
result passes through, an async client's is awaited. Standard library only, so
tests/lower_bounds/exercise.py can import it inside a virtualenv holding nothing
but a generated package's dependencies.
"""

from __future__ import annotations

import inspect
from typing import Any


async def call(value: Any) -> Any:
    """The result of a sync call, or the awaited result of an async one."""
    return await value if inspect.isawaitable(value) else value


async def collect(items: Any) -> list[Any]:
    """Every item of a sync or an async iterator."""
    if hasattr(items, "__aiter__"):
        return [item async for item in items]
    return list(items)
