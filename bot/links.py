"""Short-lived signed download links (exports): whoever holds the link may download, for ten minutes.

Teams shows a card's link to the person who asked for it; the link itself carries who may have it (a signature
over its path, every parameter and until when), so the download route needs no sign-in, nobody can edit a link
into another (another tenant, another language, another poll), and it leaks nothing once it expires.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import urlencode

from bot.numbers import whole_number

LINK_LIFETIME = timedelta(minutes=10)


def _signature(key: bytes, path: str, params: Mapping[str, str]) -> str:
    canonical = urlencode(sorted(params.items()))
    return hmac.new(key, f"{path}?{canonical}".encode(), hashlib.sha256).hexdigest()


def signed_link(key: bytes, path: str, params: Mapping[str, str], now: datetime) -> str:
    """`path?…&expires=…&sig=…`, valid for `LINK_LIFETIME` from `now`."""
    query = {**params, "expires": str(int((now + LINK_LIFETIME).timestamp()))}
    return f"{path}?{urlencode({**query, 'sig': _signature(key, path, query)})}"


def signed_params(key: bytes, path: str, query: Mapping[str, str], now: datetime) -> dict[str, str] | None:
    """The link's parameters if it is signed with `key` and not expired; None for an edited or old link."""
    params = {name: value for name, value in query.items() if name != "sig"}
    sig = query.get("sig", "")
    deadline = whole_number(params.get("expires", ""))
    if deadline is None or deadline < now.timestamp() or not sig.isascii():  # compare_digest takes only ASCII
        return None
    if not hmac.compare_digest(_signature(key, path, params), sig):
        return None
    params.pop("expires")
    return params
