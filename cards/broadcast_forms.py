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
from cards.base import Card, card, field_error, paragraph, subheading
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


def _acknowledgement(lang: str, values: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
    def say(key: str) -> str:
        return t(f"broadcasts.form.{key}", lang)

    ack = {
        "type": "Input.Toggle",
        "id": "ack",
        "title": say("ack"),
        "valueOn": "true",
        "valueOff": "false",
        "value": values.get("ack", "false"),
        "wrap": True,
    }
    return [
        (ack, "ack"),
        (_date("deadline_date", say("deadline"), values, lang), "deadline"),
        (_time("deadline_time", say("deadline_time"), values, lang), "deadline_time"),
    ]


def chosen_audience(values: Mapping[str, str], choices: Choices) -> AudienceKind | None:
    """The audience the form shows as chosen: the one typed or saved, if it is offered; none before a choice."""
    return next((kind for kind in choices.kinds if kind.value == values.get("audience")), None)


def _audience_part(kind: AudienceKind, lang: str, values: Mapping[str, str], choices: Choices) -> list[dict[str, Any]]:
    """What one audience needs: its name in words, and its picker (channels, teams, a group id); 全員 needs none."""

    def say(key: str) -> str:
        return t(f"broadcasts.form.{key}", lang)

    chosen = t("broadcasts.form.audience_chosen", lang, audience=t(f"broadcasts.audience.{kind.value}", lang))
    items = [{**subheading(chosen), "size": "Default"}]
    if kind == AudienceKind.CHANNELS:
        items += [_pick("channels", say("channels"), values, choices.channels)] if choices.channels else []
    elif kind == AudienceKind.TEAMS:
        items += [_pick("teams", say("teams"), values, choices.teams)] if choices.teams else []
    elif kind == AudienceKind.GROUP:
        items.append(_text("group", say("group"), values, 64, placeholder="00000000-0000-0000-0000-000000000000"))
    return items


def _audience(
    lang: str, values: Mapping[str, str], errors: Mapping[str, str], choices: Choices
) -> list[dict[str, Any]]:
    """宛先: one button per audience the author may address (Action.ToggleVisibility, as the nudge form's repeats):
    each shows that audience's own picker and the buttons that send the form as that audience (`submit_parts`),
    and hides the others' — so 全員 shows no channel or team picker. Before a choice, a hint says to choose."""
    if not choices.kinds:
        return [paragraph(t("broadcasts.form.no_audience", lang))]
    shown = chosen_audience(values, choices)
    parts = [f"{part}_{name}" for name in _part_names(choices) for part in ("audience", "submit")]

    def toggle(kind: AudienceKind) -> dict[str, Any]:
        visible = {f"audience_{kind.value}", f"submit_{kind.value}"}
        return {
            "type": "Action.ToggleVisibility",
            "title": t(f"broadcasts.audience_button.{kind.value}", lang),
            "targetElements": [{"elementId": part, "isVisible": part in visible} for part in parts],
        }

    body: list[dict[str, Any]] = [
        {**subheading(t("broadcasts.form.audience", lang)), "size": "Default"},
        {"type": "ActionSet", "id": "audience", "actions": [toggle(kind) for kind in choices.kinds]},
        *field_error(errors.get("audience")),
        {
            "type": "Container",
            "id": "audience_none",
            "isVisible": shown is None,
            "items": [paragraph(t("broadcasts.form.audience_none", lang), subtle=True)],
        },
    ]
    for kind in choices.kinds:
        items = [*_audience_part(kind, lang, values, choices), *field_error(errors.get(kind.value))]
        body.append({"type": "Container", "id": f"audience_{kind.value}", "isVisible": kind is shown, "items": items})
    return body


def _part_names(choices: Choices) -> list[str]:
    return ["none", *(kind.value for kind in choices.kinds)]


def _when(lang: str, values: Mapping[str, str]) -> list[tuple[dict[str, Any], str]]:
    return [
        (_date("send_date", t("broadcasts.form.send_at", lang), values, lang), "send_at"),
        (_time("send_time", t("broadcasts.form.send_time", lang), values, lang), "send_time"),
    ]


def _submit_parts(
    lang: str, values: Mapping[str, str], choices: Choices, ids: Mapping[str, str]
) -> list[dict[str, Any]]:
    """下書き保存 / プレビュー / 宛先を確認, once per audience (its data names the audience: the form has no input
    for it) and once before a choice (no audience: a draft may have none, the count asks for one)."""
    shown = chosen_audience(values, choices)
    found = []
    for name in _part_names(choices) if choices.kinds else ["none"]:
        chosen = {"audience": name} if name != "none" else {}
        actions = [
            _submit(t("broadcasts.button.save", lang), COMPOSE, step="save", **chosen, **ids),
            _submit(t("broadcasts.button.preview", lang), COMPOSE, step="preview", **chosen, **ids),
            _submit(t("broadcasts.button.count", lang), COMPOSE, step="review", **chosen, **ids),
        ]
        visible = (shown.value if shown is not None else "none") == name
        found.append(
            {
                "type": "Container",
                "id": f"submit_{name}",
                "isVisible": visible,
                "items": [{"type": "ActionSet", "actions": actions}],
            }
        )
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
    body += _with_errors(_acknowledgement(lang, values), errors)
    body += _audience(lang, values, errors, choices)
    body += _with_errors(_when(lang, values), errors)
    ids = {"broadcast_id": broadcast_id} if broadcast_id else {}
    body += _submit_parts(lang, values, choices, ids)
    return card(body, lang=lang)


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
