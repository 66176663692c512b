"""JSON from the network, read so that nothing after it can choke on it.

A Teams activity nests a dozen levels at most (a card's data inside an invoke's value included). JSON nested
thousands of levels deep makes `json.loads` raise RecursionError, and a few hundred levels still reach msrest,
`json.dumps` and `copy` later in the turn; both are refused here, before anything else reads the body.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 64  # objects and arrays, the outermost included: far beyond any Teams activity


class JsonRefused(ValueError):
    """The body is not JSON the bot will read; the message says why (it is sent back with the 400)."""


def load_json(raw: bytes) -> Any:
    """The JSON value of a request body, at most MAX_JSON_DEPTH levels deep; JsonRefused otherwise."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise JsonRefused(_TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        raise JsonRefused("body is not valid JSON") from None
    _check_depth(value)
    return value


_TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep"


def _check_depth(value: Any) -> None:
    """Walk the containers level by level (no recursion); JsonRefused below MAX_JSON_DEPTH."""
    level, depth = [value], 0
    while level:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            return
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise JsonRefused(_TOO_DEEP)
        level = [child for item in containers for child in (item.values() if isinstance(item, dict) else item)]
