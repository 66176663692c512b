"""Tips: 「ヒント」/`tip` (optionally a category, 一覧/categories, 評価/ratings), feedback buttons, and
「毎日ヒント」/`daily tip` to get a tip of the day in a channel or chat, on working days.

A daily tip belongs to the chat or channel (any thread of a channel is the channel) and is timed work
`tips.daily` of that place: the subscription row says when, the timed work row says what is due next.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

from bot.context import Context
from bot.feature import EVERYWHERE, Feature, command, timed, verb
from bot.i18n import t
from bot.permissions import Role
from bot.recurrence import Kind, Schedule, next_delivery
from bot.routes import Notify, Outcome, Refresh, Say, normalize
from bot.timed import DueItem, RetryLater
from bot.timetext import parse_clock
from bot.tips.library import default_library
from bot.tips.model import Subscription
from bot.tips.service import TipService, conversation_audience, user_audience
from bot.tips.tables import tip_feedback, tip_seen, tip_subscriptions
from bot.turn import Turn
from bot.workdays import is_working_day
from cards.base import card_message
from cards.message import notice_card
from cards.tips import categories_card, ratings_card, subscription_card, thanks_card, tip_card

DAILY = "tips.daily"
DEFAULT_TIME = time(9, 0)
# Compared with what was typed after `normalize` (so 「いちらん」 and 「イチラン」 are one word).
LIST_WORDS = frozenset(map(normalize, ("一覧", "いちらん", "カテゴリ", "カテゴリー", "categories", "category", "list")))
RATING_WORDS = frozenset(map(normalize, ("評価", "ひょうか", "ratings", "rating")))
ON_WORDS = frozenset(map(normalize, ("オン", "on", "開始", "start")))
OFF_WORDS = frozenset(map(normalize, ("オフ", "off", "停止", "stop")))
RATINGS = {"helpful": True, "not_helpful": False}


def _schedule(subscription: Subscription) -> Schedule:
    """A daily tip comes every working day (no weekends, national holidays or 年末年始) at its time."""
    return Schedule(Kind.DAILY, time(subscription.hour, subscription.minute), working_days_only=True)


class Tips(Feature):
    name = "tips"
    tables = (tip_seen, tip_feedback, tip_subscriptions)
    introduction = "tips.introduction"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.service = TipService(ctx.engine, default_library())

    # ---- a tip ------------------------------------------------------------------------------------------------
    @command("ヒント", "tip", "tips", help="tips.command.tip", offer=EVERYWHERE)
    async def tip(self, turn: Turn) -> Outcome | list[Outcome]:
        """「ヒント」 [category | 一覧 | 評価]."""
        word = normalize(turn.text)
        if not word:
            return await self._show_tip(turn, None)
        if word in LIST_WORDS:
            return self._categories(turn)
        if word in RATING_WORDS:
            return await self._ratings(turn)
        category = self.service.library.find_category(turn.text)
        if category is None:
            unknown = notice_card(t("tips.category_unknown", turn.lang, text=turn.text), turn.lang)
            return [Say(card=unknown), self._categories(turn)]
        return await self._show_tip(turn, category.id)

    @verb("tips.show")
    async def show(self, turn: Turn) -> Outcome:
        """A tip of the button's category (any category without one, or when it is no longer known)."""
        wanted = turn.data.get("category", "")
        if not isinstance(wanted, str):
            return Notify(t("tips.bad_request", turn.lang))
        known = {category.id for category in self.service.library.categories}
        return await self._show_tip(turn, wanted if wanted in known else None)

    @verb("tips.feedback")
    async def feedback(self, turn: Turn) -> Outcome:
        library = self.service.library
        tip_id, rating = turn.data.get("tip_id"), turn.data.get("rating")
        if not isinstance(tip_id, str) or not isinstance(rating, str):
            return Notify(t("tips.bad_request", turn.lang))
        found = library.tip(tip_id)
        if found is None or rating not in RATINGS:
            return Notify(t("tips.unknown_tip", turn.lang))
        helpful = RATINGS[rating]
        await self.service.rate(found.id, turn.user_key, helpful, self.ctx.clock.now())
        return Refresh(thanks_card(found, library.category(found.category), turn.lang, helpful))

    async def _show_tip(self, turn: Turn, category_id: str | None) -> Outcome:
        tip = await self.service.next_tip(user_audience(turn.user_key), self.ctx.clock.now(), category_id)
        return Say(card=tip_card(tip, self.service.library.category(tip.category), turn.lang))

    def _categories(self, turn: Turn) -> Outcome:
        library = self.service.library
        counted = [(category, len(library.in_category(category.id))) for category in library.categories]
        return Say(card=categories_card(counted, turn.lang))

    async def _ratings(self, turn: Turn) -> Outcome:
        if not await self.ctx.policy.is_admin(turn.actor):
            return Say(text=t("tips.ratings.forbidden", turn.lang))
        return Say(card=ratings_card(await self.service.poorly_rated(), turn.lang))

    # ---- the tip of the day -----------------------------------------------------------------------------------
    @command("毎日ヒント", "daily tip", "daily tips", help="tips.command.daily", offer=EVERYWHERE)
    async def daily_tip(self, turn: Turn) -> Outcome:
        return await self._daily(turn, turn.text)

    @verb("tips.daily")
    async def daily_button(self, turn: Turn) -> Outcome:
        command = turn.data.get("command", "")
        if not isinstance(command, str):
            return Notify(t("tips.bad_request", turn.lang))
        return await self._daily(turn, command)

    async def _daily(self, turn: Turn, typed: str) -> Outcome:
        """「毎日ヒント」 shows the setting, 「オン [時刻]」 subscribes (default 9:00), 「オフ」 unsubscribes.

        Someone else's subscription is changed only by its subscriber, a team owner or an admin (anyone may turn
        it on)."""
        word, _, rest = normalize(typed).partition(" ")
        current = await self.service.subscription(turn.place)
        if not word:
            return Say(card=subscription_card(current, turn.lang))
        if word not in OFF_WORDS and word not in ON_WORDS:
            return Say(text=t("tips.daily.usage", turn.lang))
        at = (parse_clock(rest) if rest else DEFAULT_TIME) if word in ON_WORDS else None
        if word in ON_WORDS and at is None:
            return Say(card=notice_card(t("tips.daily.bad_time", turn.lang, text=rest), turn.lang))
        if current is not None and at is not None and (at.hour, at.minute) == (current.hour, current.minute):
            return Say(card=subscription_card(current, turn.lang))  # already so: nothing to change
        if current is not None:
            roles = Role.SUBSCRIBER | Role.ADMIN | Role.TEAM_OWNER
            await self.ctx.policy.require(turn, roles, owner=current.subscribed_by, refusal="tips.daily.not_allowed")
        if at is None:
            await self.service.unsubscribe(turn.place)
            await self.ctx.timed.cancel(DAILY, turn.place)
            return Say(card=subscription_card(None, turn.lang, changed=current is not None))
        subscription = Subscription(turn.place, at.hour, at.minute, lang=turn.lang, subscribed_by=turn.user_key)
        if current is not None:  # a new time keeps who subscribed (and so who may turn it off)
            subscription = replace(subscription, subscribed_by=current.subscribed_by)
        now = self.ctx.clock.now()
        await self.service.subscribe(subscription, now)
        await self.ctx.timed.plan(DAILY, turn.place, self._next(subscription, now))
        return Say(card=subscription_card(subscription, turn.lang, changed=True))

    def _next(self, subscription: Subscription, after: datetime) -> datetime:
        following = next_delivery(_schedule(subscription), after.astimezone(self.ctx.tz), quiet=None)
        assert following is not None  # a daily schedule always has a next occurrence
        return following

    @timed(DAILY)
    async def post_daily(self, item: DueItem) -> datetime | None:
        """Post one unseen tip for the day the occurrence falls on (once, also across retries and restarts)."""
        subscription = await self.service.subscription(item.item)
        if subscription is None:
            return None  # unsubscribed meanwhile: nothing more is due
        day = item.occurrence.astimezone(self.ctx.tz).date()
        if is_working_day(day) and subscription.last_posted_on != day:
            tip = await self.service.next_tip(conversation_audience(item.item), item.occurrence)
            card = tip_card(tip, self.service.library.category(tip.category), subscription.lang, daily=True)
            activity = card_message(card)
            delivery = await self.ctx.sender.post(item.item, activity, once=item.key)
            if delivery.transient:
                raise RetryLater(f"tip of the day not delivered: {delivery.error}")
            if delivery.sent:
                await self.service.posted_on(item.item, day, self.ctx.clock.now())
        return self._next(subscription, item.occurrence)
