"""The features of the bot, in the order the help card lists their commands. Adding a feature is one line here
(and its own files: see docs/ARCHITECTURE.md)."""

from __future__ import annotations

from bot.feature import Feature
from dialogs.audit import Audit
from dialogs.broadcasts import Broadcasts
from dialogs.general import General
from dialogs.ideas import Ideas
from dialogs.nudges import Nudges
from dialogs.polls import Polls
from dialogs.tips import Tips

FEATURES: tuple[type[Feature], ...] = (General, Tips, Nudges, Polls, Ideas, Broadcasts, Audit)
