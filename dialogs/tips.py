"""Tips: 「ヒント」/`tip` (optionally a category, 一覧/categories, 評価/ratings), feedback buttons, and
「毎日ヒント」/`daily tip` to get a tip of the day in a channel or chat."""

from __future__ import annotations

from dataclasses import replace

from bot.i18n import t
from bot.places import place_id
from bot.roles import is_team_owner
from bot.routes import Notify, Outcome, Refresh, RouteTable, Say, normalize
from bot.store.tables import utcnow
from bot.tips import daily
from bot.tips.library import default_library
from bot.tips.service import TipService, user_audience
from bot.tips.store import Subscription
from bot.turn import Turn
from cards.message import notice_card
from cards.tips import categories_card, ratings_card, subscription_card, thanks_card, tip_card
from dialogs.common import user_key
from dialogs.tips_jobs import tip_service

LIST_WORDS = frozenset({"一覧", "いちらん", "カテゴリ", "カテゴリー", "categories", "category", "list"})
RATING_WORDS = frozenset({"評価", "ひょうか", "ratings", "rating"})
ON_WORDS = frozenset({"オン", "on", "開始", "start"})
OFF_WORDS = frozenset({"オフ", "off", "停止", "stop"})
RATINGS = {"helpful": True, "not_helpful": False}


def _service(turn: Turn) -> TipService:
    return tip_service(turn.services)


async def _show_tip(turn: Turn, category_id: str | None) -> Outcome:
    service = _service(turn)
    tip = await service.next_tip(user_audience(user_key(turn)), utcnow(), category_id)
    return Say(card=tip_card(tip, service.library.category(tip.category), turn.lang))


def _categories(turn: Turn) -> Outcome:
    library = default_library()
    counted = [(category, len(library.in_category(category.id))) for category in library.categories]
    return Say(card=categories_card(counted, turn.lang))


async def _ratings(turn: Turn) -> Outcome:
    if (turn.actor.aad_object_id or "").lower() not in turn.services.settings.admin_aad_object_ids:
        return Say(text=t("tips.ratings.forbidden", turn.lang))
    return Say(card=ratings_card(await _service(turn).poorly_rated(), turn.lang))


async def _may_change(turn: Turn, subscription: Subscription) -> bool:
    """Turning a place's daily tip off or moving its time is for whoever subscribed it, a team owner or an admin
    (anyone may turn it on)."""
    if subscription.subscribed_by == user_key(turn):
        return True
    if (turn.actor.aad_object_id or "").lower() in turn.services.settings.admin_aad_object_ids:
        return True
    return await is_team_owner(turn.services.sender.connector, turn.place, turn.actor)


async def _daily(turn: Turn, typed: str, *, clicked: bool = False) -> Outcome:
    """「毎日ヒント」 shows the setting, 「オン [時刻]」 subscribes (default 9:00), 「オフ」 unsubscribes.

    A subscription belongs to the chat or channel (`place_id`: any thread of a channel is the channel) and the
    tips are posted there. Someone else's subscription is changed only by its subscriber, a team owner or an
    admin; anyone else is told so (a notice for a click, a message for a typed command)."""
    word, _, rest = normalize(typed).partition(" ")
    store = _service(turn).store
    place = place_id(turn.place.conversation_id)
    current = await store.subscription(place)
    if not word:
        return Say(card=subscription_card(current, turn.lang))
    if word not in OFF_WORDS and word not in ON_WORDS:
        return Say(text=t("tips.daily.usage", turn.lang))
    time = daily.parse_time(rest) if word in ON_WORDS else None
    if word in ON_WORDS and time is None:
        return Say(card=notice_card(t("tips.daily.bad_time", turn.lang, text=rest), turn.lang))
    if current is not None and time == (current.hour, current.minute):
        return Say(card=subscription_card(current, turn.lang))  # already so: nothing to change
    if current is not None and not await _may_change(turn, current):
        refusal = t("tips.daily.not_allowed", turn.lang)
        return Notify(refusal) if clicked else Say(text=refusal)
    if time is None:
        await daily.unsubscribe(store, turn.services.scheduler, place)
        return Say(card=subscription_card(None, turn.lang))
    subscription = Subscription(place, *time, lang=turn.lang, subscribed_by=user_key(turn))
    if current is not None:  # a new time keeps who subscribed (and so who may turn it off)
        subscription = replace(subscription, subscribed_by=current.subscribed_by)
    await daily.subscribe(store, turn.services.scheduler, subscription, utcnow())
    return Say(card=subscription_card(subscription, turn.lang))


async def tip(turn: Turn) -> Outcome | list[Outcome]:
    """「ヒント」 [category | 一覧 | 評価]."""
    word = normalize(turn.text)
    if not word:
        return await _show_tip(turn, None)
    if word in LIST_WORDS:
        return _categories(turn)
    if word in RATING_WORDS:
        return await _ratings(turn)
    category = default_library().find_category(turn.text)
    if category is None:
        return [
            Say(card=notice_card(t("tips.category_unknown", turn.lang, text=turn.text), turn.lang)),
            _categories(turn),
        ]
    return await _show_tip(turn, category.id)


async def show(turn: Turn) -> Outcome:
    """A tip of the button's category (any category without one, or when it is no longer known)."""
    wanted = turn.data.get("category", "")
    if not isinstance(wanted, str):
        return Notify(t("tips.bad_request", turn.lang))
    known = {category.id for category in default_library().categories}
    return await _show_tip(turn, wanted if wanted in known else None)


async def feedback(turn: Turn) -> Outcome:
    library = default_library()
    tip_id, rating = turn.data.get("tip_id"), turn.data.get("rating")
    if not isinstance(tip_id, str) or not isinstance(rating, str):
        return Notify(t("tips.bad_request", turn.lang))
    found = library.tip(tip_id)
    if found is None or rating not in RATINGS:
        return Notify(t("tips.unknown_tip", turn.lang))
    helpful = RATINGS[rating]
    await _service(turn).store.rate(found.id, user_key(turn), helpful, utcnow())
    return Refresh(thanks_card(found, library.category(found.category), turn.lang, helpful))


async def daily_tip(turn: Turn) -> Outcome:
    return await _daily(turn, turn.text)


async def daily_button(turn: Turn) -> Outcome:
    command = turn.data.get("command", "")
    if not isinstance(command, str):
        return Notify(t("tips.bad_request", turn.lang))
    return await _daily(turn, command, clicked=True)


def register(routes: RouteTable) -> None:
    routes.command("ヒント", "tip", "tips", description_key="tips.command.tip")(tip)
    routes.verb("tips.show")(show)
    routes.verb("tips.feedback")(feedback)
    routes.command("毎日ヒント", "daily tip", "daily tips", description_key="tips.command.daily")(daily_tip)
    routes.verb("tips.daily")(daily_button)
