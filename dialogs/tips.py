"""Tips: 「ヒント」/`tip` (optionally a category, 一覧/categories, 評価/ratings), feedback buttons, and
「毎日ヒント」/`daily tip` to get a tip of the day in a channel or chat."""

from __future__ import annotations

from bot.i18n import t
from bot.routes import Notify, Outcome, Refresh, RouteTable, Say, normalize
from bot.store.tables import utcnow
from bot.tips import daily
from bot.tips.library import default_library
from bot.tips.service import TipService, user_audience
from bot.tips.store import Subscription, TipStore
from bot.turn import Turn
from cards.tips import categories_card, ratings_card, subscription_card, thanks_card, tip_card

LIST_WORDS = frozenset({"一覧", "いちらん", "カテゴリ", "カテゴリー", "categories", "category", "list"})
RATING_WORDS = frozenset({"評価", "ひょうか", "ratings", "rating"})
ON_WORDS = frozenset({"オン", "on", "開始", "start"})
OFF_WORDS = frozenset({"オフ", "off", "停止", "stop"})
RATINGS = {"helpful": True, "not_helpful": False}


def _user_key(turn: Turn) -> str:
    return turn.actor.aad_object_id or turn.actor.id


def _service(turn: Turn) -> TipService:
    return TipService(TipStore(turn.services.store.engine), default_library())


async def _show_tip(turn: Turn, category_id: str | None) -> Outcome:
    service = _service(turn)
    tip = await service.next_tip(user_audience(_user_key(turn)), utcnow(), category_id)
    return Say(card=tip_card(tip, service.library.category(tip.category), turn.lang))


def _categories(turn: Turn) -> Outcome:
    library = default_library()
    counted = [(category, len(library.in_category(category.id))) for category in library.categories]
    return Say(card=categories_card(counted, turn.lang))


async def _ratings(turn: Turn) -> Outcome:
    if (turn.actor.aad_object_id or "").lower() not in turn.services.settings.admin_aad_object_ids:
        return Say(text=t("tips.ratings.forbidden", turn.lang))
    return Say(card=ratings_card(await _service(turn).poorly_rated(), turn.lang))


async def _daily(turn: Turn, typed: str) -> Outcome:
    """「毎日ヒント」 shows the setting, 「オン [時刻]」 subscribes (default 9:00), 「オフ」 unsubscribes."""
    word, _, rest = normalize(typed).partition(" ")
    store = TipStore(turn.services.store.engine)
    conversation_id = turn.place.conversation_id
    if not word:
        return Say(card=subscription_card(await store.subscription(conversation_id), turn.lang))
    if word in OFF_WORDS:
        await daily.unsubscribe(store, turn.services.scheduler, conversation_id)
        return Say(card=subscription_card(None, turn.lang))
    if word not in ON_WORDS:
        return Say(text=t("tips.daily.usage", turn.lang))
    time = daily.parse_time(rest)
    if time is None:
        return Say(text=t("tips.daily.bad_time", turn.lang, text=rest))
    subscription = Subscription(conversation_id, *time, lang=turn.lang, subscribed_by=_user_key(turn))
    await daily.subscribe(store, turn.services.scheduler, subscription, utcnow())
    return Say(card=subscription_card(subscription, turn.lang))


def register(routes: RouteTable) -> None:
    @routes.command("ヒント", "tip", "tips", description_key="tips.command.tip")
    async def tip(turn: Turn) -> Outcome | list[Outcome]:
        word = normalize(turn.text)
        if not word:
            return await _show_tip(turn, None)
        if word in LIST_WORDS:
            return _categories(turn)
        if word in RATING_WORDS:
            return await _ratings(turn)
        category = default_library().find_category(turn.text)
        if category is None:
            return [Say(text=t("tips.category_unknown", turn.lang, text=turn.text)), _categories(turn)]
        return await _show_tip(turn, category.id)

    @routes.verb("tips.show")
    async def show(turn: Turn) -> Outcome:
        """A tip of the button's category (any category without one, or when it is no longer known)."""
        wanted = turn.data.get("category", "")
        if not isinstance(wanted, str):
            return Notify(t("tips.bad_request", turn.lang))
        known = {category.id for category in default_library().categories}
        return await _show_tip(turn, wanted if wanted in known else None)

    @routes.verb("tips.feedback")
    async def feedback(turn: Turn) -> Outcome:
        library = default_library()
        tip_id, rating = turn.data.get("tip_id"), turn.data.get("rating")
        if not isinstance(tip_id, str) or not isinstance(rating, str):
            return Notify(t("tips.bad_request", turn.lang))
        tip = library.tip(tip_id)
        if tip is None or rating not in RATINGS:
            return Notify(t("tips.unknown_tip", turn.lang))
        helpful = RATINGS[rating]
        await TipStore(turn.services.store.engine).rate(tip.id, _user_key(turn), helpful, utcnow())
        return Refresh(thanks_card(tip, library.category(tip.category), turn.lang, helpful))

    @routes.command("毎日ヒント", "daily tip", "daily tips", description_key="tips.command.daily")
    async def daily_tip(turn: Turn) -> Outcome:
        return await _daily(turn, turn.text)

    @routes.verb("tips.daily")
    async def daily_button(turn: Turn) -> Outcome:
        command = turn.data.get("command", "")
        if not isinstance(command, str):
            return Notify(t("tips.bad_request", turn.lang))
        return await _daily(turn, command)
