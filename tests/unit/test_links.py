"""Signed download links: valid for ten minutes, for exactly the path and parameters they were made for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from bot.links import signed_link, signed_params

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KEY = b"k" * 32


def _split(link: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link)
    return parts.path, dict(parse_qsl(parts.query))


def test_a_link_is_valid_for_ten_minutes_with_its_parameters() -> None:
    path, query = _split(signed_link(KEY, "/ideas/export.csv", {"tenant": "t-1", "lang": "ja"}, NOW))
    assert path == "/ideas/export.csv"
    assert signed_params(KEY, path, query, NOW + timedelta(minutes=9)) == {"tenant": "t-1", "lang": "ja"}
    assert signed_params(KEY, path, query, NOW + timedelta(minutes=11)) is None


def test_an_edited_link_is_not_valid() -> None:
    path, query = _split(signed_link(KEY, "/ideas/export.csv", {"tenant": "t-1", "by": "me"}, NOW))
    assert signed_params(KEY, path, {**query, "tenant": "t-2"}, NOW) is None
    assert signed_params(KEY, path, {**query, "extra": "1"}, NOW) is None
    assert signed_params(KEY, "/audit/export.csv", query, NOW) is None
    assert signed_params(b"x" * 32, path, query, NOW) is None
    assert signed_params(KEY, path, {**query, "expires": "abc"}, NOW) is None
    assert signed_params(KEY, path, {**query, "sig": "署名"}, NOW) is None
    assert signed_params(KEY, path, {k: v for k, v in query.items() if k != "sig"}, NOW) is None
