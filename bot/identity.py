"""Inbound authentication: botbuilder's own channel-token rules, with its key fetching taken off the loop.

botbuilder validates tokens exactly as the Bot Framework documents (issuer, audience, serviceUrl claim,
endorsements, RS256, 5 min leeway), so it stays the judge. What it gets wrong for a busy service is the key
cache: OpenID metadata and JWKS are fetched with blocking `requests.get` (no timeout) on the event loop and
every token re-parses its JWK. `OffLoopOpenIdMetadata` replaces botbuilder's cache entry for each metadata
URL: fetches run in a worker thread with a timeout, one at a time, and parsed keys are kept.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import requests
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import AuthenticationConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdConfig, _OpenIdMetadata
from jwt.algorithms import RSAAlgorithm

from bot.settings import Settings

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 10.0


class OffLoopOpenIdMetadata(_OpenIdMetadata):
    """Drop-in for botbuilder's `_OpenIdMetadata`: same refresh policy, no blocking on the loop."""

    last_updated: datetime  # botbuilder's: when the keys were last fetched

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._parsed: dict[str, _OpenIdConfig] = {}
        self._refreshing = threading.Lock()

    async def _refresh(self) -> None:
        await asyncio.to_thread(self._refresh_blocking)

    def _refresh_blocking(self) -> None:
        stale_before = self.last_updated
        with self._refreshing:
            if self.last_updated != stale_before:
                return  # another caller refreshed while we waited
            metadata = requests.get(self.url, timeout=FETCH_TIMEOUT_SECONDS)
            metadata.raise_for_status()
            keys = requests.get(metadata.json()["jwks_uri"], timeout=FETCH_TIMEOUT_SECONDS)
            keys.raise_for_status()
            self.keys = keys.json()["keys"]
            self._parsed = {}
            self.last_updated = datetime.now()
            log.info("signing keys refreshed from %s (%d keys)", self.url, len(self.keys))

    def _find(self, key_id: str) -> _OpenIdConfig | None:
        if key_id in self._parsed:
            return self._parsed[key_id]
        key = next((k for k in self.keys if k.get("kid") == key_id), None)
        if key is None:
            return None
        config = _OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)), key.get("endorsements", []))
        self._parsed[key_id] = config
        return config

    def warm(self) -> None:
        """Fetch now (blocking; call from a worker thread) so the first user doesn't wait for it."""
        if self.last_updated < datetime.now() - timedelta(days=1):
            self._refresh_blocking()


def metadata_urls(settings: Settings) -> list[str]:
    """Where botbuilder fetches signing keys for this configuration (none in local dev mode: auth is off)."""
    if settings.dev_mode:
        return []
    if settings.to_bot_from_channel_openid_metadata_url:
        return [settings.to_bot_from_channel_openid_metadata_url]
    return [AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL]


def install_metadata_cache(settings: Settings) -> list[OffLoopOpenIdMetadata]:
    """Put our metadata objects where botbuilder's token extractor looks them up."""
    installed = []
    for url in metadata_urls(settings):
        current = JwtTokenExtractor.metadataCache.get(url)
        if not isinstance(current, OffLoopOpenIdMetadata):
            current = OffLoopOpenIdMetadata(url)
            JwtTokenExtractor.metadataCache[url] = current
        installed.append(current)
    return installed


def botbuilder_configuration(settings: Settings) -> Any:
    """The configuration object botbuilder reads (APP_ID, APP_PASSWORD, …, and the endpoint overrides)."""
    values: dict[str, Any] = {
        "APP_ID": settings.app_id,
        "APP_PASSWORD": settings.app_password,
        # Auth off in local dev mode needs botbuilder's MultiTenant factory (it accepts an empty app id).
        "APP_TYPE": "MultiTenant" if settings.dev_mode else settings.app_type,
        "APP_TENANTID": settings.app_tenant_id,
    }
    values.update(settings.endpoint_overrides())
    return SimpleNamespace(**values)


def create_authentication(settings: Settings) -> ConfigurationBotFrameworkAuthentication:
    install_metadata_cache(settings)
    return ConfigurationBotFrameworkAuthentication(botbuilder_configuration(settings))
