"""What the platform hands each feature when the app builds it: a narrow, typed context, once per app.

A feature keeps what it needs from here (its domain service, built on `engine`) as attributes of its own
object; nothing is global, nothing is cached per module, and a turn carries no bag of services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.audit import AuditLog
from bot.card_updates import CardRefresher
from bot.clock import Clock
from bot.graph import GraphClient
from bot.instances import Instance
from bot.languages import LanguagePreferences
from bot.permissions import Policy
from bot.sender import Sender
from bot.settings import EnvSettings, Settings
from bot.store.conversations import ConversationStore
from bot.store.preferences import Preferences
from bot.timed import TimedWork

if TYPE_CHECKING:
    from bot.feature import Feature
    from bot.routes import RouteTable

S = TypeVar("S", bound=EnvSettings)
F = TypeVar("F", bound="Feature")


@dataclass(frozen=True)
class Context:
    settings: Settings
    engine: AsyncEngine  # features build their domain services on it
    sender: Sender  # every outbound call: posts, card updates, member look-ups
    cards: CardRefresher  # coalesced updates of shared cards
    timed: TimedWork  # plan and cancel timed work by stable name
    conversations: ConversationStore  # where the bot may speak (personal chats of users, stored references)
    preferences: Preferences
    languages: LanguagePreferences
    policy: Policy
    clock: Clock
    anonymity_key: bytes  # derive a purpose key from it (bot.anonymity.purpose_key); never store it
    routes: RouteTable  # read-only: the help card lists the commands
    audit: AuditLog  # who changed, revealed or exported what
    features: Mapping[str, Feature]  # the app's features by name, for the few that work together (filled at start)
    instance: Instance  # this process as one bot instance: its id, and whether another is alive (work shared)
    introductions: tuple[str, ...] = ()  # catalog keys of what the running features offer (`Feature.introduction`)
    graph: GraphClient | None = None  # Microsoft Graph; None unless GRAPH_ENABLED (say "no Graph permission")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings.tz)

    def feature(self, kind: type[F]) -> F:
        """Another feature of the app, as its own type (ideas put a shortlist to the polls feature)."""
        found = self.features.get(kind.name)
        if not isinstance(found, kind):
            raise LookupError(f"the app has no {kind.__name__} feature")
        return found

    def feature_settings(self, model: type[S]) -> S:
        """A feature's own settings, read from the same environment as the platform's."""
        return model.parse(self.settings.env)
