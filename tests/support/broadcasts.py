"""Broadcasts as people use them through the loopback Teams channel: two admins (roles from configuration), staff
who have the app (1:1 chats with the bot), and teams the bot is in, with their channels and members."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from bot.audit import AuditEntry, AuditLog
from bot.broadcasts.model import Broadcast, Row
from bot.broadcasts.tables import broadcast_recipients, broadcasts
from bot.i18n import t
from tests.support.bot import RunningBot
from tests.support.cards import card_of, texts
from tests.support.talk import Talk
from tests.teams_channel.activities import Conversation, User

ADMIN = User("総務 花子", aad_object_id="0b0e0000-0000-4000-8000-00000000b001")
SECOND = User("人事 次郎", aad_object_id="0b0e0000-0000-4000-8000-00000000b002")
ROLES = {"ADMIN_AAD_OBJECT_IDS": f"{ADMIN.aad_object_id},{SECOND.aad_object_id}"}
NOTICE = {"title": "テレワーク規程の改定について", "body": "**12月1日**から新しい規程が適用されます。"}


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    members: list[User]
    channels: list[str]  # channel ids; the first is the General channel (the team's id)


class Newsroom(Talk):
    """The bot, its admins, staff in 1:1 chats with the bot, and teams."""

    def __init__(self, bot: RunningBot) -> None:
        super().__init__(bot)
        self.teams: list[Team] = []

    async def staff(self, count: int, *, prefix: str = "職員", locale: str = "ja-JP") -> list[User]:
        """People who have the app: each installed it in their 1:1 chat (in `locale`)."""
        people = [User(f"{prefix} {n:03d}") for n in range(count)]
        b = self.bot.channel.builder
        for person in people:
            conversation = b.personal(person)
            activity = b.installation_update("add", conversation=conversation, user=person, locale=locale)
            assert (await self.bot.post(activity))[0] == 200
            self.chats[person.id] = conversation
        return people

    async def team(self, name: str, members: Sequence[User], extra_channels: Sequence[str] = ("連絡",)) -> Team:
        """A team the bot was added to, with its members and channels as Teams would list them."""
        general = Conversation.channel(team_name=name)
        team_id = general.team_id
        assert team_id is not None
        b, channel = self.bot.channel.builder, self.bot.channel
        assert (await self.bot.post(b.installation_update("add", conversation=general, user=ADMIN)))[0] == 200
        others = [(f"19:{abs(hash((name, extra))):x}@thread.tacv2", extra) for extra in extra_channels]
        channel.set_team(team_id, name)
        channel.set_team_channels(team_id, [{"id": team_id, "name": None}, *({"id": i, "name": n} for i, n in others)])
        channel.set_members(list(members), conversation_id=team_id)
        team = Team(team_id, name, list(members), [team_id, *(i for i, _ in others)])
        self.teams.append(team)
        return team

    # ---- writing and sending -----------------------------------------------------------------------------------
    async def compose(
        self, form: Mapping[str, Any], *, step: str = "review", user: User = ADMIN, locale: str = "ja-JP"
    ) -> dict[str, Any]:
        """Submit the broadcast dialog (a new broadcast unless the form names one)."""
        return await self.submit("broadcasts.compose", {"step": step, **form}, user, locale=locale)

    async def latest(self) -> Broadcast:
        async with self.bot.platform.store.engine.connect() as conn:
            row = (
                await conn.execute(select(broadcasts.c.broadcast_id).order_by(broadcasts.c.created_at.desc()))
            ).first()
        assert row is not None, "no broadcast was saved"
        return await self.broadcast(row.broadcast_id)

    async def broadcast(self, broadcast_id: str) -> Broadcast:
        found: Broadcast | None = await self.bot.feature("broadcasts").service.broadcast(broadcast_id)
        assert found is not None
        return found

    async def counted(self, user: User = ADMIN) -> dict[str, Any]:
        """The card the count ends with, in the author's chat (after the timed work ran)."""
        await self.bot.run_due()
        shown = card_of(self.personal_messages(user)[-1])
        assert shown is not None
        return shown

    async def confirm(self, broadcast_id: str, user: User = ADMIN) -> dict[str, Any]:
        return await self.click("broadcasts.confirm", {"broadcast_id": broadcast_id}, user)

    async def send(self, form: Mapping[str, Any], *, user: User = ADMIN) -> Broadcast:
        """Write, count and confirm (no approval needed); returns once every recipient has been handled."""
        answer = await self.compose(form, user=user)
        assert answer["task"]["type"] == "message", answer
        broadcast = await self.latest()
        await self.counted(user)
        counted = await self.broadcast(broadcast.broadcast_id)
        confirmed = await self.confirm(broadcast.broadcast_id, user)
        started = t("broadcasts.confirm.started", "ja", count=f"{counted.recipients:,}")
        assert started in texts(confirmed["value"]), confirmed
        return await self.delivered(broadcast.broadcast_id)

    async def delivered(self, broadcast_id: str, *, timeout: float = 30.0) -> Broadcast:  # noqa: ASYNC109
        """Wait until the outbox has nothing left to do for the broadcast (posts, card updates, reminders) and the
        report and timed work have caught up."""
        await self._quiet(timeout)
        await self.bot.feature("broadcasts").workers.settle()
        await self.bot.run_due()
        await self.bot.platform.cards.flush()
        return await self.broadcast(broadcast_id)

    async def drain(self, at: datetime) -> None:
        """Deliver what is due at `at` (the bot's clock stopped there), e.g. a schedule or reminders."""
        await self.bot.run_due(at)
        with self.bot.clock.stopped_at(at):
            await self.bot.feature("broadcasts").workers.drain()
            await self._quiet(10.0)  # what the background workers took meanwhile
            await self.bot.platform.cards.flush()

    async def _quiet(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until no outbox row due now is waiting for a worker or held by one."""
        for _ in range(int(timeout / 0.02)):
            if not await self._work_left():
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the outbox still has work after {timeout}s")

    async def _work_left(self) -> int:
        r = broadcast_recipients.c
        due = and_(r.todo.is_(True), r.due_at <= self.bot.clock.now())
        async with self.bot.platform.store.engine.connect() as conn:
            query = select(func.count()).select_from(broadcast_recipients).where(or_(due, r.owner.is_not(None)))
            return int((await conn.execute(query)).scalar_one())

    async def rows(self, broadcast_id: str) -> list[Row]:
        found: list[Row] = await self.bot.feature("broadcasts").service.rows(broadcast_id)
        return found

    async def audit(self) -> list[AuditEntry]:
        return await AuditLog(self.bot.platform.store.engine, self.bot.clock).entries(feature="broadcasts")

    # ---- reading ----------------------------------------------------------------------------------------------
    def cards_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every card posted in a conversation, as it stands now (after updates)."""
        channel = self.bot.channel
        found = []
        for posted in channel.activities_in(conversation_id):
            current = channel.activity(conversation_id, posted["id"])
            shown = card_of(current) if current else None
            if shown is not None:
                found.append(shown)
        return found

    def posted_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """The broadcast cards in a conversation (as they stand now)."""
        return [shown for shown in self.cards_in(conversation_id) if _is_broadcast(shown)]

    def received(self, user: User) -> list[dict[str, Any]]:
        """The broadcast cards a person got in their 1:1 chat (as they stand now)."""
        return self.posted_in(self.chats[user.id].id)

    def last_card(self, user: User) -> dict[str, Any]:
        shown = card_of(self.personal_messages(user)[-1])
        assert shown is not None
        return shown


def _is_broadcast(shown: dict[str, Any]) -> bool:
    kinds = (t("broadcasts.card.kind", "ja"), t("broadcasts.card.kind", "en"))
    return any(text.startswith(kinds) for text in texts(shown)[:1])


def offered_audiences(shown: Mapping[str, Any]) -> list[str]:
    """The audiences the broadcast form offers: its 「宛先を確認」 buttons each send the form as one audience."""
    count = t("broadcasts.button.count", str(shown.get("lang", "ja")))
    buttons = [node for node in _nodes(shown) if node.get("type") == "Action.Submit" and node.get("title") == count]
    return [button["data"]["audience"] for button in buttons if "audience" in button["data"]]


def visible_ids(shown: Mapping[str, Any]) -> set[str]:
    """The ids of the elements a person sees on a card as it opens (not inside anything with isVisible false)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("isVisible") is False:
                return
            if isinstance(node.get("id"), str):
                found.add(node["id"])
            for key, value in node.items():
                if key not in ("fallback", "targetElements"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(shown)
    return found


def _nodes(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(found for value in node.values() for found in _nodes(value))]
    if isinstance(node, list):
        return [found for item in node for found in _nodes(item)]
    return []


def form(**fields: str) -> dict[str, str]:
    """The broadcast dialog's fields: the notice's content plus what the test sets."""
    return {**NOTICE, **fields}
