"""What every conversation has: help, language choice, and the answer to text the bot doesn't know."""

from __future__ import annotations

from bot.feature import EVERYWHERE, Feature, command, otherwise, verb
from bot.i18n import t
from bot.routes import Outcome, Say, normalize
from bot.turn import Turn
from cards.help import help_card
from cards.message import notice_card

# Compared with what was typed after `normalize` (so 「にほんご」 and 「ニホンゴ」 are one word).
_LANGUAGE_WORDS = {
    "ja": frozenset(map(normalize, ("ja", "japanese", "日本語", "にほんご"))),
    "en": frozenset(map(normalize, ("en", "english", "英語", "えいご"))),
}


class General(Feature):
    name = "general"

    @command("ヘルプ", "help", "使い方", "?", help="help.command.help", offer=EVERYWHERE)
    @verb("help")
    async def show_help(self, turn: Turn) -> Outcome:
        commands = [
            (command.display_names, command.help_key)
            for command in self.ctx.routes.commands()
            if command.help_key
            and (command.audience is None or await self.ctx.policy.holds_any(turn.actor, command.audience))
        ]
        return Say(card=help_card(turn.lang, commands, self.ctx.introductions))

    @command("言語", "language", help="help.command.language", offer=EVERYWHERE)
    async def choose_language(self, turn: Turn) -> Outcome:
        wanted = normalize(turn.text)
        lang = next((code for code, words in _LANGUAGE_WORDS.items() if wanted in words), None)
        if lang is None:
            return Say(text=t("language.unknown", turn.lang))
        await self.ctx.languages.choose(turn.user_key, turn.conversation.tenant_id, lang)
        return Say(text=t("language.set", lang, language=t(f"language.name.{lang}", lang)))

    @otherwise
    async def unknown_text(self, turn: Turn) -> Outcome:
        """Anything that is not a command: a short hint, never silence."""
        if not turn.text.strip():  # an image, a sticker, an empty message
            return Say(text=t("unknown.empty", turn.lang))
        shown = turn.text if len(turn.text) <= 40 else turn.text[:40] + "…"
        return Say(card=notice_card(t("unknown.hint", turn.lang, text=shown), turn.lang))
