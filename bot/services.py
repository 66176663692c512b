"""Everything a feature handler may use, built once by the app factory and shared by every turn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.card_updates import CardRefresher
from bot.conversations import ConversationDirectory
from bot.languages import LanguagePreferences
from bot.routes import Outcome, RouteTable
from bot.settings import Settings
from bot.store import Store

if TYPE_CHECKING:
    from bot.scheduler import Scheduler
    from bot.sender import Sender
    from bot.turn import Turn


@dataclass
class Services:
    settings: Settings
    store: Store
    routes: RouteTable
    conversations: ConversationDirectory
    languages: LanguagePreferences
    sender: Sender
    card_refresher: CardRefresher
    scheduler: Scheduler
    fallback: Callable[[Turn], Awaitable[Outcome | list[Outcome] | None]]
