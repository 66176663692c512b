"""A lean Bot Connector REST client on one pooled aiohttp session.

botbuilder's msrest `ConnectorClient` is rebuilt per turn and sends through `requests` in a thread pool;
this client keeps one connection pool and one cached token for every call the bot makes (in-turn replies
and proactive messages alike). It only speaks HTTP: retries and rate limits live in `bot.sender`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.credentials import TokenProvider

log = logging.getLogger(__name__)

JSON = dict[str, Any]


@dataclass
class ConnectorError(Exception):
    """A non-2xx answer from the Bot Connector (or no answer at all: status 0)."""

    status: int
    code: str = ""
    message: str = ""
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"Bot Connector answered {self.status} {self.code}: {self.message}".strip()


def _segment(value: str) -> str:
    """Teams ids carry ':', '@' and ';' — encode every reserved character, as msrest does."""
    return quote(value, safe="")


def retry_after_of(headers: Any) -> float | None:
    """Seconds from a Retry-After header (Bot Connector and Microsoft Graph send seconds)."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


class BotConnector:
    """Bot Connector v3 calls. `session` is shared for the process lifetime (connection reuse)."""

    def __init__(self, tokens: TokenProvider, *, timeout_seconds: float = 15.0) -> None:
        self.tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=lambda o: json.dumps(o, ensure_ascii=False)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(
        self, method: str, service_url: str, path: str, body: JSON | None = None, params: JSON | None = None
    ) -> JSON:
        url = service_url.rstrip("/") + "/" + path
        headers = {}
        token = await self.tokens.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self.session.request(method, url, json=body, params=params, headers=headers) as response:
                text = await response.text()
                if response.status == 401 and token:
                    self.tokens.invalidate()
                if response.status >= 300:
                    code, message = error_of(text)
                    raise ConnectorError(response.status, code, message, retry_after_of(response.headers))
                return json.loads(text) if text.strip() else {}
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ConnectorError(0, type(error).__name__, str(error)) from error

    async def send(self, service_url: str, conversation_id: str, activity: JSON) -> JSON:
        return await self.request(
            "POST", service_url, f"v3/conversations/{_segment(conversation_id)}/activities", activity
        )

    async def reply(self, service_url: str, conversation_id: str, reply_to_id: str, activity: JSON) -> JSON:
        path = f"v3/conversations/{_segment(conversation_id)}/activities/{_segment(reply_to_id)}"
        return await self.request("POST", service_url, path, activity)

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: JSON) -> JSON:
        path = f"v3/conversations/{_segment(conversation_id)}/activities/{_segment(activity_id)}"
        return await self.request("PUT", service_url, path, activity)

    async def delete(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        path = f"v3/conversations/{_segment(conversation_id)}/activities/{_segment(activity_id)}"
        await self.request("DELETE", service_url, path)

    async def create_conversation(self, service_url: str, parameters: JSON) -> JSON:
        return await self.request("POST", service_url, "v3/conversations", parameters)

    async def paged_members(
        self, service_url: str, conversation_id: str, *, page_size: int = 200, continuation_token: str | None = None
    ) -> JSON:
        params: JSON = {"pageSize": page_size}
        if continuation_token:
            params["continuationToken"] = continuation_token
        path = f"v3/conversations/{_segment(conversation_id)}/pagedmembers"
        return await self.request("GET", service_url, path, params=params)

    async def team_details(self, service_url: str, team_id: str) -> JSON:
        """A team's name and Entra group id (`GET /v3/teams/{id}`)."""
        return await self.request("GET", service_url, f"v3/teams/{_segment(team_id)}")

    async def team_channels(self, service_url: str, team_id: str) -> JSON:
        """A team's channels (`GET /v3/teams/{id}/conversations`): every channel, the General one named null."""
        return await self.request("GET", service_url, f"v3/teams/{_segment(team_id)}/conversations")

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> JSON:
        """One member of a chat or team (Teams answers with their `userRole`: user, guest or owner)."""
        path = f"v3/conversations/{_segment(conversation_id)}/members/{_segment(member_id)}"
        return await self.request("GET", service_url, path)


def error_of(text: str) -> tuple[str, str]:
    """The `{"error": {"code", "message"}}` body of the Bot Connector and Microsoft Graph, tolerating anything else."""
    try:
        error = json.loads(text).get("error") or {}
        return str(error.get("code", "")), str(error.get("message", ""))[:500]
    except (ValueError, AttributeError):
        return "", text[:200]
