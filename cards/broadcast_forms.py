"""The broadcast dialogs: the form (content, versions, acknowledgement, audience, when), its preview, and the
correction form for a broadcast already out. Forms keep what was typed and say under each field what to fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.broadcasts.model import (
    BODY_MAX,
    LINK_TITLE_MAX,
    TITLE_MAX,
    URL_MAX,
    Audience,
    AudienceKind,
    Broadcast,
    Content,
    Status,
)
from bot.i18n import t
from cards.base import Card, card, field_error, paragraph
from cards.broadcasts import COMPOSE, EDIT, preview

CONTENT_FIELDS = ("title", "body", "plain", "title_en", "body_en", "image_url", "link_title", "link_url")
FIELDS = (
    *CONTENT_FIELDS,
    *("ack", "deadline_date", "deadline_time", "audience", "channels", "teams", "group", "send_date", "send_time"),
)


@dataclass(frozen=True)
class Choices:
    """What the author may address: kinds of audience, and the teams and channels the bot is in (their names)."""

    kinds: tuple[AudienceKind, ...] = tuple(AudienceKind)
    teams: Sequence[tuple[str, str]] = field(default_factory=list)  # (team id, name)
    channels: Sequence[tuple[str, str]] = field(default_factory=list)  # ("team|channel", "team / channel")


def _submit(label: str, dialog: str, /, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": label, "data": {"dialog": dialog, **data}}


def _text(name: str, label: str, values: Mapping[str, str], limit: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "maxLength": limit * 2,
        "value": values.get(name, ""),
        **extra,
    }


def _date(name: str, label: str, values: Mapping[str, str], lang: str) -> dict[str, Any]:
    """A date input with our own hint (the renderer's own is English: "Select a date...")."""
    placeholder = t("form.date_placeholder", lang)
    return {"type": "Input.Date", "id": name, "label": label, "placeholder": placeholder, "value": values.get(name, "")}


def _time(name: str, label: str, values: Mapping[str, str], lang: str) -> dict[str, Any]:
    placeholder = t("form.time_placeholder", lang)
    return {"type": "Input.Time", "id": name, "label": label, "placeholder": placeholder, "value": values.get(name, "")}


def _pick(name: str, label: str, values: Mapping[str, str], options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "Input.ChoiceSet",
        "id": name,
        "label": label,
        "isMultiSelect": True,
        "value": values.get(name, ""),
        "choices": [{"title": title, "value": value} for value, title in options],
    }


def _content_fields(lang: str, values: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
    def say(key: str, **params: object) -> str:
        return t(f"broadcasts.form.{key}", lang, **params)

    return [
        (_text("title", say("title", max=TITLE_MAX), values, TITLE_MAX, placeholder=say("title_hint")), "title"),
        (
            _text("body", say("body", max=BODY_MAX), values, BODY_MAX, isMultiline=True, placeholder=say("body_hint")),
            "body",
        ),
        (_text("image_url", say("image_url"), values, URL_MAX, placeholder="https://"), "image_url"),
        (_text("link_title", say("link_title", max=LINK_TITLE_MAX), values, LINK_TITLE_MAX), "link_title"),
        (_text("link_url", say("link_url"), values, URL_MAX, placeholder="https://"), "link_url"),
    ]


def _versions(lang: str, values: Mapping[str, str], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    """やさしい日本語 and English: folded away until asked for (or filled in, or wrong)."""
    names = ("plain", "title_en", "body_en")
    shown = any(values.get(name) or errors.get(name) for name in names)
    items: list[dict[str, Any]] = [paragraph(t("broadcasts.form.versions_intro", lang), subtle=True)]
    for name in names:
        limit = TITLE_MAX if name == "title_en" else BODY_MAX
        element = _text(name, t(f"broadcasts.form.{name}", lang, max=limit), values, limit)
        if name != "title_en":
            element["isMultiline"] = True
        items += [element, *field_error(errors.get(name))]
    toggle = {
        "type": "ActionSet",
        "actions": [
            {
                "type": "Action.ToggleVisibility",
                "title": t("broadcasts.form.versions", lang),
                "targetElements": ["versions"],
            }
        ],
    }
    return [toggle, {"type": "Container", "id": "versions", "isVisible": shown, "items": items}]


def _ack_and_audience(lang: str, values: Mapping[str, str], choices: Choices) -> list[tuple[dict[str, Any], str]]:
    def say(key: str) -> str:
        return t(f"broadcasts.form.{key}", lang)

    kinds = [(kind.value, t(f"broadcasts.audience.{kind.value}", lang)) for kind in choices.kinds]
    audience = {
        "type": "Input.ChoiceSet",
        "id": "audience",
        "label": say("audience"),
        "style": "expanded",
        "value": values.get("audience", ""),
        "choices": [{"title": title, "value": value} for value, title in kinds],
    }
    found: list[tuple[dict[str, Any], str]] = [
        (
            {
                "type": "Input.Toggle",
                "id": "ack",
                "title": say("ack"),
                "valueOn": "true",
                "valueOff": "false",
                "value": values.get("ack", "false"),
                "wrap": True,
            },
            "ack",
        ),
        (_date("deadline_date", say("deadline"), values, lang), "deadline"),
        (_time("deadline_time", say("deadline_time"), values, lang), "deadline_time"),
        (audience if kinds else paragraph(say("no_audience")), "audience"),
    ]
    if AudienceKind.CHANNELS in choices.kinds and choices.channels:
        found.append((_pick("channels", say("channels"), values, choices.channels), "channels"))
    if AudienceKind.TEAMS in choices.kinds and choices.teams:
        found.append((_pick("teams", say("teams"), values, choices.teams), "teams"))
    if AudienceKind.GROUP in choices.kinds:
        found.append(
            (_text("group", say("group"), values, 64, placeholder="00000000-0000-0000-0000-000000000000"), "group")
        )
    found += [
        (_date("send_date", say("send_at"), values, lang), "send_at"),
        (_time("send_time", say("send_time"), values, lang), "send_time"),
    ]
    return found


def _with_errors(fields: Sequence[tuple[dict[str, Any], str]], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for element, name in fields:
        body += [element, *field_error(errors.get(name))]
    return body


def compose_form(
    lang: str,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    *,
    choices: Choices,
    broadcast_id: str | None = None,
    note: str | None = None,
) -> Card:
    """The broadcast form: content, versions, acknowledgement, audience and when; save, preview, or count."""
    errors = errors or {}
    body: list[dict[str, Any]] = [paragraph(note)] if note else []
    body += _with_errors(_content_fields(lang, values)[:2], errors)
    body += _versions(lang, values, errors)
    body += _with_errors(_content_fields(lang, values)[2:], errors)
    body += _with_errors(_ack_and_audience(lang, values, choices), errors)
    ids = {"broadcast_id": broadcast_id} if broadcast_id else {}
    actions = [
        _submit(t("broadcasts.button.save", lang), COMPOSE, step="save", **ids),
        _submit(t("broadcasts.button.preview", lang), COMPOSE, step="preview", **ids),
        _submit(t("broadcasts.button.count", lang), COMPOSE, step="review", **ids),
    ]
    return card(body, actions, lang)


def correction_form(
    lang: str, values: Mapping[str, str], broadcast_id: str, errors: Mapping[str, str] | None = None
) -> Card:
    """訂正: the content of a broadcast already out (audience and acknowledgement stay); every card gets it."""
    errors = errors or {}
    body = [paragraph(t("broadcasts.edit.intro", lang), subtle=True)]
    body += _with_errors(_content_fields(lang, values)[:2], errors)
    body += _versions(lang, values, errors)
    body += _with_errors(_content_fields(lang, values)[2:], errors)
    return card(body, [_submit(t("broadcasts.button.correct_all", lang), EDIT, broadcast_id=broadcast_id)], lang)


def preview_form(broadcast: Broadcast, lang: str) -> Card:
    """In the dialog: the exact card as its readers will see it; then back to the form, to myself, or count."""
    ids = {"broadcast_id": broadcast.broadcast_id}
    body = [paragraph(t("broadcasts.preview.intro", lang), subtle=True), preview(broadcast, lang)]
    actions = [
        _submit(t("broadcasts.button.back", lang), COMPOSE, step="edit", **ids),
        _submit(t("broadcasts.button.send_me", lang), COMPOSE, step="send_me", **ids),
        _submit(t("broadcasts.button.count", lang), COMPOSE, step="review", **ids),
    ]
    return card(body, actions, lang)


def values_of(broadcast: Broadcast, local: Any) -> dict[str, str]:
    """A saved broadcast as the form shows it (`local`: a datetime's local form in the bot's zone)."""
    content, audience = broadcast.content, broadcast.audience
    values = {name: str(getattr(content, name)) for name in CONTENT_FIELDS}
    values |= {
        "ack": "true" if content.ack else "false",
        "audience": audience.kind.value,
        "channels": ",".join(audience.channels),
        "teams": ",".join(audience.teams),
        "group": audience.group,
    }
    for prefix, moment in (("deadline", content.deadline), ("send", broadcast.send_at)):
        if moment is not None:
            shown = local(moment)
            values[f"{prefix}_date"], values[f"{prefix}_time"] = f"{shown:%Y-%m-%d}", f"{shown:%H:%M}"
    return {name: value for name, value in values.items() if value}


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): empty and filled forms, every error, the preview, the correction."""
    choices = Choices(
        teams=[("19:a@thread.tacv2", "総務部"), ("19:b@thread.tacv2", "情報システム部")],
        channels=[
            ("19:a@thread.tacv2|19:a@thread.tacv2", "総務部 / 一般"),
            ("19:a@thread.tacv2|19:c@thread.tacv2", "総務部 / 連絡"),
        ],
    )
    limited = Choices(kinds=(AudienceKind.CHANNELS, AudienceKind.TEAMS), teams=choices.teams[:1])
    filled = {
        "title": "規程の改定",
        "body": "本文" * 50,
        "plain": "やさしい 本文",
        "ack": "true",
        "audience": "teams",
        "teams": "19:a@thread.tacv2",
    }
    errors = {name: t("broadcasts.error.title_empty") for name in (*FIELDS, "deadline", "send_at")}
    now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    sample = Broadcast(
        "0" * 32,
        "tenant",
        "admin",
        "総務 花子",
        "ja",
        "a:1",
        "https://smba.trafficmanager.net/jp/",
        "28:bot",
        Status.DRAFT.value,
        Content("規程の改定", "本文", plain="やさしい 本文", ack=True, deadline=now),
        Audience(AudienceKind.EVERYONE),
        "",
        None,
        0,
        0,
        False,
        None,
        None,
        None,
        1,
        None,
        now,
        now,
        None,
        None,
    )
    forms: list[Card] = []
    for lang in ("ja", "en"):
        forms += [
            compose_form(lang, {}, choices=choices),
            compose_form(
                lang, filled, errors, choices=limited, broadcast_id="0" * 32, note=t("broadcasts.saved", lang)
            ),
            correction_form(lang, filled, "0" * 32),
            preview_form(sample, lang),
        ]
    return forms
