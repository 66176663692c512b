"""The HTTP side of Microsoft Graph: one pooled aiohttp session, one cached token, bounded retries, paging.

Graph throttles per app and tenant, so a 429's Retry-After holds back every call of this client, not only the
one that got it. 5xx answers and lost connections are retried with jittered backoff; a token Graph refuses
(401) is fetched anew once. Retries are bounded (attempts, and the longest wait accepted): a caller that gets
a `GraphError` for a 429 or 5xx can plan a later try.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from bot.connector import error_of, retry_after_of
from bot.credentials import TokenProvider
from bot.graph.errors import GraphError, graph_error
from bot.ratelimit import Sleep, backoff_delays

log = logging.getLogger(__name__)

JSON = dict[str, Any]
NO_ANSWER = 0  # the status of a GraphError when the request got no answer (connection lost, timeout)
PERMANENT_5XX = frozenset({501, 505})  # not implemented, HTTP version: retrying cannot help


def retryable(status: int) -> bool:
    return status in (NO_ANSWER, 429) or (status >= 500 and status not in PERMANENT_5XX)


class GraphTransport:
    """Graph calls below `base_url` (e.g. https://graph.microsoft.com/v1.0). The session lives as long as the app."""

    def __init__(
        self,
        tokens: TokenProvider,
        base_url: str,
        *,
        max_attempts: int = 6,
        longest_wait: float = 120.0,
        timeout_seconds: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self._origin = URL(self.base_url).origin()
        self._base_path = URL(self.base_url).path
        self._max_attempts = max_attempts
        self._longest_wait = longest_wait
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._sleep = sleep
        self._clock = clock
        self._held_until = 0.0  # Graph said 429: no call of this client leaves before then
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=50, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, body: JSON | None = None
    ) -> JSON:
        """One Graph request (path below the base URL), retried as Graph asks; its JSON answer ({} if none)."""
        return await self._with_retries(method, URL(f"{self.base_url}/{path.lstrip('/')}"), params, body)

    async def collect(self, path: str, params: Mapping[str, str]) -> list[JSON]:
        """Every item of a collection, following `@odata.nextLink` page after page."""
        items: list[JSON] = []
        url: URL | None = URL(f"{self.base_url}/{path.lstrip('/')}")
        query: Mapping[str, str] | None = params
        while url is not None:
            page = await self._with_retries("GET", url, query, None)
            items += page.get("value") or []
            url, query = self._next_page(page, path), None  # a next link carries the whole query
        return items

    def _next_page(self, page: JSON, path: str) -> URL | None:
        link = page.get("@odata.nextLink")
        if not link:
            return None
        url = URL(str(link), encoded=True)  # already encoded by Graph: do not encode it twice
        if url.origin() != self._origin:  # our token goes with it: only ever to Graph itself
            raise GraphError(NO_ANSWER, "UnexpectedNextLink", f"a next page outside {self._origin}", f"GET /{path}")
        return url

    async def _with_retries(self, method: str, url: URL, params: Mapping[str, str] | None, body: JSON | None) -> JSON:
        attempt = 0
        while True:
            await self._wait_while_held()
            try:
                return await self._send(method, url, params, body)
            except GraphError as error:
                attempt += 1
                if error.status == 401 and attempt == 1:  # refused token: dropped by _send, fetch a new one
                    continue
                delay = error.retry_after if error.retry_after is not None else backoff_delays(attempt - 1)
                if not retryable(error.status) or attempt >= self._max_attempts or delay > self._longest_wait:
                    raise
                log.warning("Graph %s: retrying in %.1fs (attempt %d)", error, delay, attempt)
                if error.status == 429:
                    self._held_until = max(self._held_until, self._clock() + delay)
                else:
                    await self._sleep(delay)

    async def _wait_while_held(self) -> None:
        wait = self._held_until - self._clock()
        if wait > 0:
            await self._sleep(wait)

    async def _send(self, method: str, url: URL, params: Mapping[str, str] | None, body: JSON | None) -> JSON:
        what = f"{method} {url.path.removeprefix(self._base_path)}"  # for errors and logs: no query, no header
        headers = {"Authorization": f"Bearer {await self.tokens.token()}", "Accept": "application/json"}
        try:
            async with self.session.request(method, url, params=params, json=body, headers=headers) as response:
                text = await response.text()
                if response.status == 401:
                    self.tokens.invalidate()
                if response.status >= 300:
                    code, message = error_of(text)
                    raise graph_error(response.status, code, message, what, retry_after_of(response.headers))
                return json.loads(text) if text.strip() else {}
        except (aiohttp.ClientError, TimeoutError) as error:
            raise GraphError(NO_ANSWER, type(error).__name__, str(error), what) from error
