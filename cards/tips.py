"""Tip cards: a tip with its feedback buttons, the thank-you refresh, categories, ratings and the daily setting."""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.tips.library import Category, Tip, default_library
from bot.tips.model import Rating, Subscription
from bot.tips.service import RatedTip
from cards.base import Card, card, execute, facts, heading, marked, paragraph


def _tip_body(tip: Tip, category: Category, lang: str, daily: bool) -> list[dict[str, Any]]:
    text = tip.text(lang)
    label = t("tips.daily.heading", lang) if daily else category.name(lang)
    body = [paragraph(label, subtle=True), heading(text.title), paragraph(text.body)]
    if text.action:
        body.append(paragraph(t("tips.try_today", lang, action=text.action)))
    if daily:
        body.append(paragraph(category.name(lang), subtle=True))
    return body


def _tip_actions(tip: Tip, lang: str, chosen: bool | None = None) -> list[dict[str, Any]]:
    """Helpful / not really (the `chosen` one marked ✓, as poll buttons are) and another tip of the category."""
    ratings = [(True, "helpful", "tips.button.helpful"), (False, "not_helpful", "tips.button.not_helpful")]
    buttons = [
        execute(marked(t(key, lang), helpful is chosen), "tips.feedback", {"tip_id": tip.id, "rating": rating})
        for helpful, rating, key in ratings
    ]
    return [*buttons, execute(t("tips.button.another", lang), "tips.show", {"category": tip.category})]


def tip_card(tip: Tip, category: Category, lang: str, *, daily: bool = False) -> Card:
    """One tip; `daily` labels it as the tip of the day."""
    return card(_tip_body(tip, category, lang, daily), _tip_actions(tip, lang), lang)


def thanks_card(tip: Tip, category: Category, lang: str, helpful: bool) -> Card:
    """The clicked card, refreshed: the same tip, the choice recorded, the buttons kept so it can be changed."""
    choice = t("tips.button.helpful" if helpful else "tips.button.not_helpful", lang)
    body = [*_tip_body(tip, category, lang, daily=False), paragraph(t("tips.thanks", lang, choice=choice))]
    return card(body, _tip_actions(tip, lang, chosen=helpful), lang)


def categories_card(categories: list[tuple[Category, int]], lang: str) -> Card:
    """(category, number of tips) pairs as buttons, one per line (side by side, Teams cuts their names short)."""
    rows = [
        {
            "type": "ActionSet",
            "actions": [
                execute(
                    t("tips.categories.button", lang, name=category.name(lang), count=count),
                    "tips.show",
                    {"category": category.id},
                )
            ],
        }
        for category, count in categories
    ]
    body = [heading(t("tips.categories.title", lang)), paragraph(t("tips.categories.intro", lang)), *rows]
    return card(body, [execute(t("tips.categories.random", lang), "tips.show")], lang)


def ratings_card(rated: list[RatedTip], lang: str) -> Card:
    """Tips with the most いまいち, for admins reviewing the library."""
    body = [heading(t("tips.ratings.title", lang))]
    if not rated:
        body.append(paragraph(t("tips.ratings.empty", lang)))
        return card(body, lang=lang)
    lines = [
        (
            f"{r.tip.text(lang).title} ({r.tip.id})",
            t("tips.ratings.line", lang, not_helpful=r.rating.not_helpful, helpful=r.rating.helpful),
        )
        for r in rated
    ]
    body += [paragraph(t("tips.ratings.intro", lang), subtle=True), facts(lines)]
    return card(body, lang=lang)


def subscription_card(subscription: Subscription | None, lang: str, *, changed: bool = False) -> Card:
    """Whether this conversation gets a tip of the day, and a button to turn it the other way; `changed` says it
    answers 「オン」 or 「オフ」, so it confirms what was just done instead of stating how things are."""
    if subscription is None:
        title = "tips.daily.stopped" if changed else "tips.daily.title"
        state = t("tips.daily.stopped_body" if changed else "tips.daily.off", lang)
        button = execute(t("tips.daily.button_on", lang), "tips.daily", {"command": "on"})
    else:
        title = "tips.daily.started" if changed else "tips.daily.title"
        state = t("tips.daily.on", lang, time=f"{subscription.hour}:{subscription.minute:02d}")
        button = execute(t("tips.daily.button_off", lang), "tips.daily", {"command": "off"})
    return card([heading(t(title, lang)), paragraph(state)], [button], lang)


def examples() -> list[Card]:
    """Every builder, with real content, in both languages: what the card validator checks."""
    library = default_library()
    tip = next(tip for tip in library.tips if tip.text("ja").action)
    category = library.category(tip.category)
    counted = [(c, len(library.in_category(c.id))) for c in library.categories]
    rated = [RatedTip(tip, Rating(tip.id, helpful=2, not_helpful=5))]
    many_rated = [RatedTip(listed, Rating(listed.id, helpful=1, not_helpful=9)) for listed in library.tips[:10]]
    subscribed = Subscription("19:example@thread.tacv2", 8, 30, "ja", "aad-user")
    return [
        built
        for lang in ("ja", "en")
        for built in (
            tip_card(tip, category, lang),
            tip_card(tip, category, lang, daily=True),
            thanks_card(tip, category, lang, helpful=True),
            thanks_card(tip, category, lang, helpful=False),
            categories_card(counted, lang),
            ratings_card(rated, lang),
            ratings_card(many_rated, lang),
            ratings_card([], lang),
            subscription_card(subscribed, lang),
            subscription_card(subscribed, lang, changed=True),
            subscription_card(None, lang),
            subscription_card(None, lang, changed=True),
        )
    ]
