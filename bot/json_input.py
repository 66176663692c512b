"""JSON from the network, read so that nothing after it can choke on it.

- Depth: a Teams activity nests a dozen levels at most (a card's data inside an invoke's value included).
  JSON nested thousands of levels deep makes `json.loads` raise RecursionError, and a few hundred levels still
  reach msrest, `json.dumps` and `copy` later in the turn; both are refused here.
- Lone surrogates: `"\\ud800"` is valid JSON but not Unicode. Such a string can't be encoded as UTF-8, so it
  fails wherever it travels — a reply, a log line, SQLite, PostgreSQL (text and JSON alike) — and fails again on
  every retry. Every string, keys included, is read with U+FFFD (�) in its place, once, here.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 64  # objects and arrays, the outermost included: far beyond any Teams activity


class JsonRefused(ValueError):
    """The body is not JSON the bot will read; the message says why (it is sent back with the 400)."""


def load_json(raw: bytes) -> Any:
    """The JSON value of a request body with lone surrogates replaced; JsonRefused when it is not JSON or is
    nested more than MAX_JSON_DEPTH levels deep."""
    try:
        text = raw.decode("utf-8")  # strict: a surrogate can then only come from a \u escape
        value = json.loads(text)
    except RecursionError:
        raise JsonRefused(_TOO_DEEP) from None
    except ValueError:  # UnicodeDecodeError included
        raise JsonRefused("body is not valid JSON") from None
    # The walk costs more than the parse; most activities can be seen not to need it from their text alone.
    if _SURROGATE_ESCAPE.search(text) or text.count("{") + text.count("[") > MAX_JSON_DEPTH:
        if isinstance(value, str):
            return _whole(value)
        _clean_containers(value)
    return value


_TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair is already one character once decoded


def _whole(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text)


def _clean_containers(value: Any) -> None:
    """Level by level (no recursion): fix every string in place; JsonRefused past MAX_JSON_DEPTH levels."""
    level, depth = [value], 0
    while level := [item for item in level if isinstance(item, dict | list)]:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(_TOO_DEEP)
        for container in level:
            if isinstance(container, dict):
                _clean_object(container)
            else:
                container[:] = [_whole(item) if isinstance(item, str) else item for item in container]
        level = [child for item in level for child in (item.values() if isinstance(item, dict) else item)]


def _clean_object(node: dict[str, Any]) -> None:
    for key in [key for key in node if _LONE_SURROGATE.search(key)]:
        node[_whole(key)] = node.pop(key)
    for key, item in node.items():
        if isinstance(item, str):
            node[key] = _whole(item)
