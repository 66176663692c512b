"""Which catalog a user reads: their own choice if they made one, else their Teams locale.

Only the few users who chose a language have a stored choice, so the choices live in memory and are brought
up to date by one small "changed since" query at most every `SYNC_SECONDS` (other instances' changes arrive
that way too) — no database read per turn, not even for a user seen for the first time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from bot.i18n import LANGUAGES, language_of
from bot.store.preferences import Preferences

SYNC_SECONDS = 30.0


class LanguagePreferences:
    def __init__(self, preferences: Preferences, *, sync_seconds: float = SYNC_SECONDS) -> None:
        self._preferences = preferences
        self._sync_seconds = sync_seconds
        self._chosen: dict[str, str] = {}
        self._synced_to: datetime | None = None
        self._next_sync = 0.0
        self._lock = asyncio.Lock()

    async def language(self, user_key: str, locale: str | None) -> str:
        await self._sync_if_due()
        return self._chosen.get(user_key) or language_of(locale)

    async def choose(self, user_key: str, tenant_id: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}")
        await self._preferences.set_locale(user_key, tenant_id, lang)
        self._chosen[user_key] = lang

    async def _sync_if_due(self) -> None:
        if time.monotonic() < self._next_sync:
            return
        async with self._lock:
            if time.monotonic() < self._next_sync:
                return
            for user, locale, updated_at in await self._preferences.locales_changed_since(self._synced_to):
                if locale in LANGUAGES:
                    self._chosen[user] = locale
                else:
                    self._chosen.pop(user, None)
                if self._synced_to is None or updated_at > self._synced_to:
                    self._synced_to = updated_at
            self._next_sync = time.monotonic() + self._sync_seconds
