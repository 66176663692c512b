"""The bot's outbound identity: one shared MSAL app and a cached token per resource, fetched off the event loop.

botbuilder's stock factory builds a new MSAL app (and asks for a new token) on every turn, and MSAL's calls
block. Here the app is built once per provider (one for the Bot Connector, one for Microsoft Graph), the token
is cached until shortly before it expires, concurrent callers share one refresh, and every MSAL call runs in a
worker thread so a slow identity endpoint cannot stall other turns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlparse

from msal import ConfidentialClientApplication, TokenCache

from bot.settings import Settings

log = logging.getLogger(__name__)

PUBLIC_LOGIN_URL = "https://login.microsoftonline.com"
PUBLIC_OAUTH_SCOPE = "https://api.botframework.com"
MULTI_TENANT_AUTHORITY_TENANT = "botframework.com"
_MICROSOFT_LOGIN_HOSTS = ("login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn")
_REFRESH_MARGIN_SECONDS = 300


class TokenError(RuntimeError):
    """The identity platform refused or could not be reached; the message has no secret in it."""


def authority_for(settings: Settings) -> str:
    """The login authority, as botbuilder forms it: the override as-is, else the public cloud + tenant."""
    if settings.to_channel_from_bot_login_url:
        return settings.to_channel_from_bot_login_url.rstrip("/")
    multi = settings.app_type.lower() == "multitenant"
    tenant = MULTI_TENANT_AUTHORITY_TENANT if multi or not settings.app_tenant_id else settings.app_tenant_id
    return f"{PUBLIC_LOGIN_URL}/{tenant}"


def scope_for(settings: Settings) -> str:
    scope = settings.to_channel_from_bot_oauth_scope or PUBLIC_OAUTH_SCOPE
    return scope if scope.endswith("/.default") else f"{scope.rstrip('/')}/.default"


class TokenProvider:
    """Bearer tokens for one resource (client credentials); `None` when disabled (local dev mode: no auth)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        authority: str,
        scope: str,
        *,
        purpose: str,
        enabled: bool = True,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._authority = authority
        self._scopes = [scope]
        self._purpose = purpose  # what the token is for, in error messages
        self._enabled = enabled
        self._app: ConfidentialClientApplication | None = None
        self._token: str | None = None
        self._expires_at = 0.0
        self._stale = False  # the service refused our token: MSAL's own cache must not hand it out again
        self._lock = asyncio.Lock()
        self.refreshes = 0

    @classmethod
    def for_bot_connector(cls, settings: Settings) -> TokenProvider:
        return cls(
            settings.app_id,
            settings.app_password,
            authority_for(settings),
            scope_for(settings),
            purpose="Bot Connector",
            enabled=not settings.dev_mode,
        )

    @property
    def enabled(self) -> bool:
        return self._enabled

    def cached(self) -> str | None:
        """The current token if it is still fresh, without waiting."""
        if self._token and time.monotonic() < self._expires_at:
            return self._token
        return None

    async def token(self) -> str | None:
        if not self.enabled:
            return None
        cached = self.cached()
        if cached:
            return cached
        async with self._lock:
            cached = self.cached()
            if cached:
                return cached
            result = await asyncio.to_thread(self._acquire)
            self._token = result["access_token"]
            lifetime = float(result.get("expires_in") or 3600)
            self._expires_at = time.monotonic() + max(lifetime - _REFRESH_MARGIN_SECONDS, lifetime / 2)
            self.refreshes += 1
            return self._token

    def invalidate(self) -> None:
        """Forget the token after the service rejected it (401), so the next call fetches a new one."""
        self._token = None
        self._expires_at = 0.0
        self._stale = True

    def _acquire(self) -> dict:
        """Runs in a worker thread: MSAL's HTTP calls block."""
        if self._app is None:
            host = urlparse(self._authority).hostname or ""
            microsoft = host in _MICROSOFT_LOGIN_HOSTS
            self._app = ConfidentialClientApplication(
                self._client_id,
                client_credential=self._client_secret,
                authority=self._authority,
                # Instance discovery asks login.microsoftonline.com about the authority: only for Microsoft hosts.
                instance_discovery=microsoft,
                validate_authority=microsoft,
            )
        if self._stale:
            cache = self._app.token_cache
            for item in list(cache.search(TokenCache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(item)
            self._stale = False
        result = self._app.acquire_token_for_client(scopes=self._scopes)
        if not result or "access_token" not in result:
            error = (result or {}).get("error", "unknown_error")
            log.error("%s token request to %s failed: %s", self._purpose, self._authority, error)
            raise TokenError(f"could not get a {self._purpose} token from {self._authority}: {error}")
        return result
