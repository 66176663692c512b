"""Reading the idea box's dialogs: a checked draft, or for each field the catalog message that says what to fix.

The rules are a pydantic model; each rule raises a `PydanticCustomError` whose type is the catalog key and whose
context its placeholders, so one place says what is valid and the form says it in the user's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bot.i18n import t
from bot.ideas.model import (
    ANALOG,
    BODY_MAX,
    COMMENT_MAX,
    FEEDBACK_CATEGORY,
    REASON_MAX,
    RULE_FIELD_MAX,
    SERVICE_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    AnalogAct,
    AnalogRule,
    Draft,
    Identity,
    Kind,
)
from bot.numbers import whole_number
from bot.text import has_controls, scalar_text, visible, visible_lines
from bot.timetext import parse_clock, parse_date

_TAG_SPLIT = re.compile(r"[,、，\s#＃]+")
DEFAULT_DEADLINE_TIME = time(17, 0)


def _error(key: str, **params: Any) -> PydanticCustomError:
    return PydanticCustomError(key, key, params)


def _line(value: Any, *, required: str | None, limit: int, too_long: str) -> str:
    """One line people type: visible, no control characters, within `limit`; empty allowed unless `required`."""
    raw = scalar_text(value) or ""
    if has_controls(raw):
        raise _error("ideas.error.control")
    text = visible(raw)
    if required and not text:
        raise _error(required)
    if len(text) > limit:
        raise _error(too_long, max=limit, length=len(text))
    return text


class _Form(BaseModel):
    """What every idea dialog asks."""

    # A client leaves an empty input out of the data: a missing field is read as empty, and said so.
    model_config = {"extra": "ignore", "validate_default": True}
    title: str = ""
    body: str = ""
    identity: Identity = Identity.NAMED
    tags: tuple[str, ...] = ()

    @field_validator("title", mode="before")
    @classmethod
    def _title(cls, value: Any) -> str:
        return _line(value, required="ideas.error.title_empty", limit=TITLE_MAX, too_long="ideas.error.title_long")

    @field_validator("body", mode="before")
    @classmethod
    def _body(cls, value: Any) -> str:
        raw = scalar_text(value) or ""
        if has_controls(raw):
            raise _error("ideas.error.control")
        text = visible_lines(raw)
        if len(text) > BODY_MAX:
            raise _error("ideas.error.body_long", max=BODY_MAX, length=len(text))
        return text

    @field_validator("identity", mode="before")
    @classmethod
    def _identity(cls, value: Any) -> Identity:
        chosen = next((identity for identity in Identity if identity.value == scalar_text(value)), None)
        if value not in (None, "") and chosen is None:
            raise _error("ideas.error.identity")
        return chosen or Identity.NAMED

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> tuple[str, ...]:
        raw = scalar_text(value) or ""
        if has_controls(raw):
            raise _error("ideas.error.control")
        tags = tuple(dict.fromkeys(tag for tag in _TAG_SPLIT.split(visible(raw)) if tag))
        if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in tags):
            raise _error("ideas.error.tags", count=TAGS_MAX, max=TAG_MAX)
        return tags


class IdeaForm(_Form):
    category: str = ""
    rule: str = ""
    clause: str = ""
    act: AnalogAct | None = None
    replacement: str = ""

    @field_validator("rule", "clause", "replacement", mode="before")
    @classmethod
    def _rule_field(cls, value: Any) -> str:
        return _line(value, required=None, limit=RULE_FIELD_MAX, too_long="ideas.error.field_long")

    @field_validator("act", mode="before")
    @classmethod
    def _act(cls, value: Any) -> AnalogAct | None:
        typed = scalar_text(value) or ""
        return next((act for act in AnalogAct if act.value == typed), None)

    @model_validator(mode="after")
    def _analog_needs_its_rule(self) -> IdeaForm:
        if self.category == ANALOG and (not self.rule or self.act is None):
            raise _error("ideas.error.analog")
        return self


class FeedbackForm(_Form):
    service: str = ""
    satisfaction: int = 0

    @field_validator("service", mode="before")
    @classmethod
    def _service(cls, value: Any) -> str:
        return _line(value, required="ideas.error.service_empty", limit=SERVICE_MAX, too_long="ideas.error.field_long")

    @field_validator("satisfaction", mode="before")
    @classmethod
    def _satisfaction(cls, value: Any) -> int:
        number = whole_number(scalar_text(value) or "")
        if number is None or not 1 <= number <= 5:
            raise _error("ideas.error.satisfaction")
        return number


# The form field each model field's message is shown under.
_FIELD_OF = {"rule": "analog", "clause": "analog", "act": "analog", "replacement": "analog"}


def _errors(error: ValidationError, lang: str) -> dict[str, str]:
    shown: dict[str, str] = {}
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "analog"
        key = problem["type"] if problem["type"].startswith("ideas.") else "ideas.error.invalid"
        shown.setdefault(_FIELD_OF.get(field, field), t(key, lang, **problem.get("ctx", {})))
    return shown


def parse_idea(
    data: Mapping[str, Any], lang: str, categories: Sequence[str], kind: Kind = Kind.IDEA
) -> tuple[Draft | None, dict[str, str]]:
    """A checked draft from the idea (or feedback) dialog, or the message for each field to fix."""
    call_id = scalar_text(data.get("call_id")) or None
    try:
        if kind == Kind.FEEDBACK:
            feedback = FeedbackForm.model_validate(data)
            return Draft(
                kind,
                feedback.title,
                feedback.body,
                FEEDBACK_CATEGORY,
                feedback.tags,
                feedback.identity,
                service=feedback.service,
                satisfaction=feedback.satisfaction,
            ), {}
        form = IdeaForm.model_validate(data)
    except ValidationError as error:
        return None, _errors(error, lang)
    if form.category not in (*categories, ANALOG):
        return None, {"category": t("ideas.error.category", lang)}
    analog = None
    if form.category == ANALOG and form.act is not None:
        analog = AnalogRule(form.rule, form.clause, form.act, form.replacement)
    return Draft(
        kind, form.title, form.body, form.category, form.tags, form.identity, analog=analog, call_id=call_id
    ), {}


def parse_comment(data: Mapping[str, Any], lang: str) -> tuple[str | None, str | None]:
    """(the comment, None) or (None, what to fix)."""
    try:
        return _line(
            data.get("comment"),
            required="ideas.error.comment_empty",
            limit=COMMENT_MAX,
            too_long="ideas.error.comment_long",
        ), None
    except PydanticCustomError as error:
        return None, t(error.type, lang, **(error.context or {}))


def parse_answer(value: Any, lang: str) -> tuple[str | None, str | None]:
    """A reviewer's answer or reason (may be empty; the review decides if it must not be)."""
    raw = scalar_text(value) or ""
    if has_controls(raw):
        return None, t("ideas.error.control", lang)
    text = visible_lines(raw)
    if len(text) > REASON_MAX:
        return None, t("ideas.error.answer_long", lang, max=REASON_MAX, length=len(text))
    return text, None


def parse_call(data: Mapping[str, Any], lang: str, now: datetime) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """A themed call (theme, description, deadline after `now`, in `now`'s zone), or what to fix."""
    errors: dict[str, str] = {}
    try:
        theme = _line(
            data.get("theme"), required="ideas.error.theme_empty", limit=TITLE_MAX, too_long="ideas.error.title_long"
        )
    except PydanticCustomError as error:
        errors["theme"] = t(error.type, lang, **(error.context or {}))
        theme = ""
    description = visible_lines(scalar_text(data.get("description")) or "")[:BODY_MAX]
    day = parse_date(data.get("date"))
    at = parse_clock(data.get("time")) if scalar_text(data.get("time")) else DEFAULT_DEADLINE_TIME
    deadline = None if day is None or at is None else datetime.combine(day, at, tzinfo=now.tzinfo)
    if deadline is None:
        errors["deadline"] = t("ideas.error.deadline", lang)
    elif deadline <= now:
        errors["deadline"] = t("ideas.error.deadline_past", lang)
    if errors:
        return None, errors
    return {"theme": theme, "description": description, "deadline": deadline}, {}
