"""Turning payload text or JSON values into point values of a declared kind.

Every converter raises `ValueError` (or `TypeError`) on a value it cannot take; the
message says what was wrong, for the malformed-payload log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from adapters.mqtt.mapping import PointKind
from gateway.core.events import PointValue

PlainConverter = Callable[[bytes], PointValue]
JsonConverter = Callable[[Any], PointValue]

_TRUE = frozenset({b"true", b"1", b"on", b"yes"})
_FALSE = frozenset({b"false", b"0", b"off", b"no"})


def _plain_bool(raw: bytes) -> bool:
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {_excerpt(raw)}")


def _plain_int(raw: bytes) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected an integer, got {_excerpt(raw)}") from None


def _plain_float(raw: bytes) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {_excerpt(raw)}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {_excerpt(raw)}")
    return value


def _plain_str(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("payload is not UTF-8 text") from None


def _json_bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    if type(value) is int and (value == 0 or value == 1):
        return value == 1
    raise TypeError(f"expected a JSON boolean, got {_excerpt(value)}")


def _json_int(value: Any) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise TypeError(f"expected a JSON integer, got {_excerpt(value)}")


def _json_float(value: Any) -> float:
    if type(value) is float or type(value) is int:
        number = float(value)
        if math.isfinite(number):
            return number
    raise TypeError(f"expected a finite JSON number, got {_excerpt(value)}")


def _json_str(value: Any) -> str:
    if type(value) is str:
        return value
    raise TypeError(f"expected a JSON string, got {_excerpt(value)}")


PLAIN_CONVERTERS: dict[PointKind, PlainConverter] = {
    "bool": _plain_bool, "int": _plain_int, "float": _plain_float, "str": _plain_str,
}
JSON_CONVERTERS: dict[PointKind, JsonConverter] = {
    "bool": _json_bool, "int": _json_int, "float": _json_float, "str": _json_str,
}

_raw_decode = json.JSONDecoder().raw_decode


def parse_json(payload: bytes) -> Any:
    """`json.loads` for a UTF-8 payload, without its whitespace regular expressions on the
    common path (a document that starts at the first byte). Raises ValueError."""
    text = payload.decode("utf-8")
    try:
        document, end = _raw_decode(text)
    except ValueError:
        return json.loads(text)  # leading whitespace, or the exact error message
    if end != len(text) and text[end:].strip():
        return json.loads(text)  # raises "Extra data"
    return document


MISSING: Any = object()
"""What `lookup` returns for a field that the document does not have."""


def lookup(document: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path (already split) of a parsed JSON document, or `MISSING`.

    Raises TypeError when the document's shape is not an object (or list) on the way.
    """
    current = document
    for key in path:
        if type(current) is dict:
            current = current.get(key, MISSING)
            if current is MISSING:
                return MISSING
        elif type(current) is list and key.isdigit():
            index = int(key)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            raise TypeError(f"expected a JSON object at {key!r}, got {_excerpt(current)}")
    return current


def _excerpt(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
