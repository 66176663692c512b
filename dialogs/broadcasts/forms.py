"""Reading the broadcast dialog: checked content, audience and time, or for each field the catalog message that
says what to fix (in the user's language, under the field).

The content's rules are a pydantic model whose errors carry catalog keys (as in the idea box); the audience is
checked against what the form offered, because card data can be forged: a team, channel or kind the author was
not offered is refused, not trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from bot.broadcasts.model import BODY_MAX, LINK_TITLE_MAX, TITLE_MAX, URL_MAX, Audience, AudienceKind, Content
from bot.i18n import t
from bot.text import has_controls, scalar_text, visible, visible_lines
from bot.timetext import parse_clock, parse_date
from cards.broadcast_forms import FIELDS, Choices

DEFAULT_DEADLINE_TIME = time(17, 0)
DEFAULT_SEND_TIME = time(9, 0)
_GROUP_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def _error(key: str, **params: Any) -> PydanticCustomError:
    return PydanticCustomError(key, key, params)


def _text(value: Any, *, limit: int, too_long: str, lines: bool = False, required: str | None = None) -> str:
    raw = scalar_text(value) or ""
    if has_controls(raw):
        raise _error("broadcasts.error.control")
    text = visible_lines(raw) if lines else visible(raw)
    if required and not text:
        raise _error(required)
    if len(text) > limit:
        raise _error(too_long, max=limit, length=len(text))
    return text


def https_url(value: Any, error: str) -> str:
    """An https URL with a real host, or "" when none was given; anything else raises `error`."""
    url = (scalar_text(value) or "").strip()
    if not url:
        return ""
    parts = urlsplit(url) if len(url) <= URL_MAX and not any(c.isspace() or ord(c) < 32 for c in url) else None
    if parts is None or parts.scheme != "https" or not parts.hostname or not _HOST.fullmatch(parts.netloc):
        raise _error(error)
    return url


class _ContentForm(BaseModel):
    model_config = {"extra": "ignore"}
    title: str
    body: str = ""
    plain: str = ""
    title_en: str = ""
    body_en: str = ""
    image_url: str = ""
    link_title: str = ""
    link_url: str = ""

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _text(
            value, limit=TITLE_MAX, too_long="broadcasts.error.title_long", required="broadcasts.error.title_empty"
        )

    @field_validator("title_en", mode="before")
    @classmethod
    def _title_en(cls, value: Any) -> str:
        return _text(value, limit=TITLE_MAX, too_long="broadcasts.error.title_long")

    @field_validator("body", "plain", "body_en", mode="before")
    @classmethod
    def _body(cls, value: Any) -> str:
        return _text(value, limit=BODY_MAX, too_long="broadcasts.error.body_long", lines=True)

    @field_validator("link_title", mode="before")
    @classmethod
    def _link_title(cls, value: Any) -> str:
        return _text(value, limit=LINK_TITLE_MAX, too_long="broadcasts.error.link_title_long")

    @field_validator("image_url", mode="before")
    @classmethod
    def _image(cls, value: Any) -> str:
        return https_url(value, "broadcasts.error.image_url")

    @field_validator("link_url", mode="before")
    @classmethod
    def _link(cls, value: Any) -> str:
        return https_url(value, "broadcasts.error.link_url")


@dataclass(frozen=True)
class Parsed:
    content: Content
    audience: Audience
    send_at: datetime | None


def typed_values(data: Mapping[str, Any]) -> dict[str, str]:
    """What the form held, to show it again with the errors (nothing typed is lost)."""
    return {name: text for name in FIELDS if (text := scalar_text(data.get(name)))}


def parse_content(data: Mapping[str, Any], lang: str, *, draft: bool = False) -> tuple[Content | None, dict[str, str]]:
    """The card's content, or what to fix per field. A draft may have no body yet."""
    try:
        form = _ContentForm.model_validate(dict(data))
    except ValidationError as error:
        return None, _messages(error, lang)
    errors: dict[str, str] = {}
    if not form.body and not draft:
        errors["body"] = t("broadcasts.error.body_empty", lang)
    if form.link_title and not form.link_url:
        errors["link_url"] = t("broadcasts.error.link_url", lang)
    if errors:
        return None, errors
    return Content(
        form.title, form.body, form.plain, form.title_en, form.body_en, form.image_url, form.link_title, form.link_url
    ), {}


def _messages(error: ValidationError, lang: str) -> dict[str, str]:
    shown: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "title"
        key = problem["type"] if problem["type"].startswith("broadcasts.") else "broadcasts.error.title_empty"
        shown.setdefault(name, t(key, lang, **problem.get("ctx", {})))
    return shown


def _moment(data: Mapping[str, Any], prefix: str, default: time, now: datetime) -> tuple[datetime | None, bool]:
    """A date and time of the form (in `now`'s zone); (None, True) when neither was given, (None, False) when what
    was given is no moment."""
    typed_date, typed_time = scalar_text(data.get(f"{prefix}_date")), scalar_text(data.get(f"{prefix}_time"))
    if not typed_date and not typed_time:
        return None, True
    day = parse_date(typed_date)
    at = parse_clock(typed_time) if typed_time else default
    if day is None or at is None:
        return None, False
    return datetime.combine(day, at, tzinfo=now.tzinfo), True


def parse_audience(
    data: Mapping[str, Any], lang: str, choices: Choices, *, draft: bool = False
) -> tuple[Audience | None, dict[str, str]]:
    """The audience, if it is one the form offered (a draft may have none yet: everyone's chats by default)."""
    kind = next((k for k in choices.kinds if k.value == scalar_text(data.get("audience"))), None)

    def picked(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part for part in (scalar_text(data.get(name)) or "").split(",") if part))

    if kind is None:
        if scalar_text(data.get("audience")):
            return None, {"audience": t("broadcasts.error.audience_limited", lang)}
        if draft:
            return Audience(choices.kinds[0]), {}
        return None, {"audience": t("broadcasts.error.audience_empty", lang)}
    known_teams = {team for team, _ in choices.teams}
    if kind == AudienceKind.CHANNELS:
        channels = picked("channels")
        if any(choice.split("|", 1)[0] not in known_teams or "|" not in choice for choice in channels):
            return None, {"channels": t("broadcasts.error.audience_unknown", lang)}
        audience = Audience(kind, channels=channels)
        empty = not channels
    elif kind == AudienceKind.TEAMS:
        teams = picked("teams")
        if not set(teams) <= known_teams:
            return None, {"teams": t("broadcasts.error.audience_unknown", lang)}
        audience, empty = Audience(kind, teams=teams), not teams
    elif kind == AudienceKind.GROUP:
        group = (scalar_text(data.get("group")) or "").strip()
        if group and not _GROUP_ID.fullmatch(group):
            return None, {"group": t("broadcasts.error.group", lang)}
        audience, empty = Audience(kind, group=group.lower()), not group
    else:
        audience, empty = Audience(kind), False
    if empty and not draft:
        field = {"channels": "channels", "teams": "teams", "group": "group"}[kind.value]
        return None, {field: t("broadcasts.error.audience_empty", lang)}
    return audience, {}


def parse_form(
    data: Mapping[str, Any], lang: str, now: datetime, choices: Choices, *, draft: bool = False
) -> tuple[Parsed | None, dict[str, str]]:
    """Everything the dialog asks, checked; `now` in the bot's zone (times typed are Japan time)."""
    content, errors = parse_content(data, lang, draft=draft)
    audience, audience_errors = parse_audience(data, lang, choices, draft=draft)
    errors |= audience_errors
    send_at, ok = _moment(data, "send", DEFAULT_SEND_TIME, now)
    if not ok:
        errors["send_at"] = t("broadcasts.error.send_at", lang)
    elif send_at is not None and send_at <= now:
        errors["send_at"] = t("broadcasts.error.send_past", lang)
    acknowledge = scalar_text(data.get("ack")) == "true"
    deadline, ok = _moment(data, "deadline", DEFAULT_DEADLINE_TIME, now) if acknowledge else (None, True)
    if not ok or (acknowledge and deadline is None and not draft):
        errors["deadline"] = t("broadcasts.error.deadline", lang)
    elif deadline is not None and deadline <= now:
        errors["deadline"] = t("broadcasts.error.deadline_past", lang)
    elif deadline is not None and send_at is not None and deadline <= send_at:
        errors["deadline"] = t("broadcasts.error.deadline_before_send", lang)
    if errors or content is None or audience is None:
        return None, errors
    return Parsed(replace(content, ack=acknowledge, deadline=deadline), audience, send_at), {}
