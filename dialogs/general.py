"""Commands every conversation has: help, language choice, and the answer to text the bot doesn't know."""

from __future__ import annotations

from bot.i18n import t
from bot.routes import Outcome, RouteTable, Say, normalize
from bot.turn import Turn
from cards.help import help_card
from cards.message import notice_card
from dialogs.common import user_key

_LANGUAGE_WORDS = {
    "ja": {"ja", "japanese", "日本語", "にほんご"},
    "en": {"en", "english", "英語", "えいご"},
}


def register(routes: RouteTable) -> None:
    @routes.command("ヘルプ", "help", "使い方", "?", description_key="help.command.help")
    async def show_help(turn: Turn) -> Outcome:
        commands = [
            (command.display_names, command.description_key) for command in routes.commands() if command.description_key
        ]
        return Say(card=help_card(turn.lang, commands))

    routes.verb("help")(show_help)

    @routes.command("言語", "language", description_key="help.command.language")
    async def choose_language(turn: Turn) -> Outcome:
        wanted = normalize(turn.text)
        lang = next((code for code, words in _LANGUAGE_WORDS.items() if wanted in words), None)
        if lang is None:
            return Say(text=t("language.unknown", turn.lang))
        await turn.services.languages.choose(user_key(turn), turn.place.tenant_id, lang)
        return Say(text=t("language.set", lang, language=t(f"language.name.{lang}", lang)))


async def unknown_text(turn: Turn) -> Outcome:
    """Anything that is not a command: a short hint, never silence."""
    if not turn.text.strip():  # an image, a sticker, an empty message
        return Say(text=t("unknown.empty", turn.lang))
    shown = turn.text if len(turn.text) <= 40 else turn.text[:40] + "…"
    return Say(card=notice_card(t("unknown.hint", turn.lang, text=shown), turn.lang))
