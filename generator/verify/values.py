"""Comparing values as JSON: what was passed or served against what came out.

Both sides become plain JSON values first (models dumped with the fields that were
set, by wire name; secrets revealed; dates, UUIDs and enums as their text). Two
texts that name the same instant, date or UUID compare equal; bytes equal the text
or base64 they were drawn as.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as plain JSON-like Python data (bytes stay bytes)."""
    import pydantic

    if isinstance(value, pydantic.BaseModel):
        if isinstance(value, pydantic.RootModel):
            return plain(value.root)
        dumped = value.model_dump(mode="python", by_alias=True, exclude_unset=True, round_trip=True)
        return plain(dumped)
    if isinstance(value, (pydantic.SecretStr, pydantic.SecretBytes)):
        return plain(value.get_secret_value())
    if isinstance(value, Mapping):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (str, int, float, bool, bytes)) or value is None:
        return value
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    return str(value)


def difference(
    expected: Any, actual: Any, where: str = "", *, filled: Callable[[str, Any], bool] | None = None
) -> str | None:
    """The first place where ``actual`` differs from ``expected`` (both :func:`plain`), or None.

    ``filled(key, value)`` says whether a key only ``actual`` has is a default its reader filled in.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                return f"{where}/{key}: missing (expected {_show(expected[key])})"
            found = difference(expected[key], actual[key], f"{where}/{key}", filled=filled)
            if found:
                return found
        extra = [key for key in actual if key not in expected and not (filled is not None and filled(key, actual[key]))]
        if extra:
            return f"{where}/{extra[0]}: unexpected {_show(actual[extra[0]])}"
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{where or '/'}: {len(expected)} items expected, {len(actual)} found"
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found = difference(left, right, f"{where}/{index}", filled=filled)
            if found:
                return found
        return None
    if same_scalar(expected, actual):
        return None
    return f"{where or '/'}: expected {_show(expected)}, found {_show(actual)}"


def same_scalar(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if expected == actual:
        return True
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    if isinstance(expected, bytes) or isinstance(actual, bytes):
        data, text = (expected, actual) if isinstance(expected, bytes) else (actual, expected)
        if isinstance(data, bytes) and isinstance(text, str):
            if text.encode("utf-8") == data:
                return True
            try:
                return base64.b64decode(text, validate=True) == data
            except (binascii.Error, ValueError):
                return False
        return False
    if isinstance(expected, str) and isinstance(actual, str):
        return _same_text(expected, actual)
    return False


def _same_text(left: str, right: str) -> bool:
    for encoded, decoded in ((left, right), (right, left)):
        # format: byte, read back decoded (openapi-core unmarshals base64 to its text)
        try:
            if base64.b64decode(encoded, validate=True) == decoded.encode("utf-8"):
                return True
        except (binascii.Error, ValueError):
            pass
    for parse in (_instant, _date, _uuid):
        a, b = parse(left), parse(right)
        if a is not None and b is not None:
            return bool(a == b)
    return False


def _instant(text: str) -> datetime.datetime | None:
    if "T" not in text.upper():
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _show(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def show(value: Any) -> str:
    """A short JSON rendering of ``value`` for reports."""
    return _show(value)
