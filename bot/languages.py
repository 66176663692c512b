"""Which catalog a user reads: their own choice if they made one, else their Teams locale."""

from __future__ import annotations

from bot.i18n import LANGUAGES, language_of
from bot.store.preferences import Preferences


class LanguagePreferences:
    """Cached per process: a user's choice is read once, then only changed through `choose`."""

    def __init__(self, preferences: Preferences) -> None:
        self._preferences = preferences
        self._chosen: dict[str, str | None] = {}

    async def language(self, user_key: str, locale: str | None) -> str:
        if user_key not in self._chosen:
            stored = await self._preferences.get(user_key)
            self._chosen[user_key] = stored.locale if stored and stored.locale in LANGUAGES else None
        return self._chosen[user_key] or language_of(locale)

    async def choose(self, user_key: str, tenant_id: str, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}")
        await self._preferences.set_locale(user_key, tenant_id, lang)
        self._chosen[user_key] = lang
