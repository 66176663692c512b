"""The idea box's dialogs: the idea and feedback forms, "similar ideas first", comments and a themed call's form.

Forms keep what was typed and show what to fix under each field; the アナログ規制 fields are folded away until
asked for (Action.ToggleVisibility), so the ordinary form stays short.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.i18n import t
from bot.ideas.model import BODY_MAX, COMMENT_MAX, SERVICE_MAX, TITLE_MAX, Comment, Idea, Identity, Kind
from cards.base import Card, card, field_error, heading, literal, paragraph
from cards.ideas import analog_choices, author_text, day_text, status_text

SUBMIT, FEEDBACK, FROM_MESSAGE, COMMENTS, CALL = (
    "ideas.submit",
    "ideas.feedback",
    "ideas.fromMessage",
    "ideas.comments",
    "ideas.call",
)
IDEA_FIELDS = ("title", "body", "category", "tags", "identity", "rule", "clause", "act", "replacement", "call_id")
FEEDBACK_FIELDS = ("title", "body", "service", "satisfaction", "tags", "identity")


def _submit(label: str, dialog: str, /, **data: Any) -> dict[str, Any]:
    """A button of a dialog's card; `data` may carry the form's own fields (a "title" among them)."""
    return {"type": "Action.Submit", "title": label, "data": {"dialog": dialog, **data}}


def _text_input(
    name: str, label: str, values: Mapping[str, str], *, limit: int, lines: bool = False, placeholder: str = ""
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "maxLength": limit * 2,
        "value": values.get(name, ""),
    }
    if lines:
        element["isMultiline"] = True
    if placeholder:
        element["placeholder"] = placeholder
    return element


def _identity(lang: str, values: Mapping[str, str]) -> dict[str, Any]:
    return {
        "type": "Input.ChoiceSet",
        "id": "identity",
        "label": t("ideas.form.identity", lang),
        "style": "expanded",
        "value": values.get("identity", Identity.NAMED.value),
        "choices": [{"title": t(f"ideas.identity.{i.value}.choice", lang), "value": i.value} for i in Identity],
        "wrap": True,
    }


def _with_errors(fields: Sequence[tuple[dict[str, Any], str]], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    for element, name in fields:
        body += [element, *field_error(errors.get(name))]
    return body


def form_card(
    lang: str,
    kind: Kind,
    values: Mapping[str, str],
    errors: Mapping[str, str] | None = None,
    *,
    categories: Sequence[str] = (),
    analog: str = "",
    call_theme: str | None = None,
    personal: Sequence[str] = (),
) -> Card:
    """The idea (or feedback) form; `personal` names personal data found in it (the form asks to confirm)."""
    errors = errors or {}
    dialog = FEEDBACK if kind == Kind.FEEDBACK else SUBMIT
    body: list[dict[str, Any]] = []
    if call_theme:
        body.append(literal(t("ideas.form.for_call", lang, theme=call_theme), weight="Bolder"))
    fields: list[tuple[dict[str, Any], str]] = [
        (
            _text_input(
                "title",
                t("ideas.form.title", lang, max=TITLE_MAX),
                values,
                limit=TITLE_MAX,
                placeholder=t("ideas.form.title_placeholder", lang),
            ),
            "title",
        ),
        (
            _text_input(
                "body",
                t("ideas.form.body", lang, max=BODY_MAX),
                values,
                limit=BODY_MAX,
                lines=True,
                placeholder=t("ideas.form.body_placeholder", lang),
            ),
            "body",
        ),
    ]
    if kind == Kind.FEEDBACK:
        fields += [
            (
                _text_input(
                    "service",
                    t("ideas.form.service", lang),
                    values,
                    limit=SERVICE_MAX,
                    placeholder=t("ideas.form.service_placeholder", lang),
                ),
                "service",
            ),
            (
                {
                    "type": "Input.ChoiceSet",
                    "id": "satisfaction",
                    "label": t("ideas.form.satisfaction", lang),
                    "style": "expanded",
                    "value": values.get("satisfaction", ""),
                    "choices": [
                        {"title": t(f"ideas.satisfaction.{n}", lang), "value": str(n)} for n in range(5, 0, -1)
                    ],
                },
                "satisfaction",
            ),
        ]
    else:
        options = [{"title": name, "value": name} for name in (*categories, analog)]
        fields.append(
            (
                {
                    "type": "Input.ChoiceSet",
                    "id": "category",
                    "label": t("ideas.form.category", lang),
                    "value": values.get("category", categories[0] if categories else ""),
                    "choices": options,
                },
                "category",
            )
        )
    fields += [
        (
            _text_input(
                "tags",
                t("ideas.form.tags", lang),
                values,
                limit=120,
                placeholder=t("ideas.form.tags_placeholder", lang),
            ),
            "tags",
        ),
        (_identity(lang, values), "identity"),
    ]
    body += _with_errors(fields, errors)
    if kind == Kind.IDEA:
        body += _analog_section(lang, values, errors)
    if personal:
        found = "、".join(t(f"ideas.personal.{kind_found}", lang) for kind_found in personal)
        body += [
            paragraph(t("ideas.personal.warning", lang, found=found)),
            {
                "type": "Input.Toggle",
                "id": "personal_ok",
                "title": t("ideas.personal.confirm", lang),
                "valueOn": "true",
                "valueOff": "false",
                "value": "false",
            },
        ]
    hidden = {"call_id": values["call_id"]} if values.get("call_id") else {}
    return card(body, [_submit(t("ideas.button.next", lang), dialog, step="check", **hidden)], lang)


def _analog_section(lang: str, values: Mapping[str, str], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    shown = bool(values.get("rule") or errors.get("analog"))
    section = {
        "type": "Container",
        "id": "analog_section",
        "isVisible": shown,
        "items": [
            paragraph(t("ideas.form.analog_intro", lang), subtle=True),
            _text_input(
                "rule",
                t("ideas.form.rule", lang),
                values,
                limit=200,
                placeholder=t("ideas.form.rule_placeholder", lang),
            ),
            _text_input(
                "clause",
                t("ideas.form.clause", lang),
                values,
                limit=200,
                placeholder=t("ideas.form.clause_placeholder", lang),
            ),
            {
                "type": "Input.ChoiceSet",
                "id": "act",
                "label": t("ideas.form.act", lang),
                "value": values.get("act", ""),
                "choices": analog_choices(lang),
            },
            _text_input(
                "replacement",
                t("ideas.form.replacement", lang),
                values,
                limit=200,
                placeholder=t("ideas.form.replacement_placeholder", lang),
            ),
            *field_error(errors.get("analog")),
        ],
    }
    toggle = {
        "type": "ActionSet",
        "actions": [
            {
                "type": "Action.ToggleVisibility",
                "title": t("ideas.form.analog_toggle", lang),
                "targetElements": ["analog_section"],
            }
        ],
    }
    return [toggle, section]


def similar_card(lang: str, dialog: str, values: Mapping[str, str], similar: Sequence[Idea]) -> Card:
    """Before posting: ideas that look like this one. Backing one of them is often better than a second copy."""
    body: list[dict[str, Any]] = [heading(t("ideas.similar.title", lang)), paragraph(t("ideas.similar.intro", lang))]
    actions: list[dict[str, Any]] = []
    for idea in similar:
        line = t("ideas.similar.line", lang, status=status_text(idea.status, lang), votes=idea.votes)
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [literal(idea.title, weight="Bolder"), paragraph(line, subtle=True)],
            }
        )
        body.append(
            {
                "type": "ActionSet",
                "actions": [_submit(t("ideas.button.back_this", lang), dialog, step="vote", idea_id=idea.idea_id)],
            }
        )
    kept = {name: value for name, value in values.items() if name in IDEA_FIELDS + FEEDBACK_FIELDS + ("personal_ok",)}
    actions += [
        _submit(t("ideas.button.post_anyway", lang), dialog, step="post", **kept),
        _submit(t("ideas.button.edit", lang), dialog, step="edit", **kept),
    ]
    return card(body, actions, lang)


def comments_card(
    lang: str, idea: Idea, comments: Sequence[Comment], error: str | None = None, *, typed: str = ""
) -> Card:
    """The idea and its comments, and a box to add one."""
    body: list[dict[str, Any]] = [literal(idea.title, weight="Bolder"), paragraph(author_text(idea, lang), subtle=True)]
    if idea.body:
        body.append(literal(idea.body))
    body.append(heading(t("ideas.comments.title", lang, count=len(comments))))
    for comment in comments:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    paragraph(f"{comment.author_name} · {day_text(comment.created_at, lang)}", subtle=True),
                    literal(comment.text),
                ],
            }
        )
    if not comments:
        body.append(paragraph(t("ideas.comments.none", lang)))
    body += [
        {
            "type": "Input.Text",
            "id": "comment",
            "label": t("ideas.comments.add", lang),
            "isMultiline": True,
            "maxLength": COMMENT_MAX * 2,
            "value": typed,
        },
        *field_error(error),
    ]
    return card(body, [_submit(t("ideas.button.comment", lang), COMMENTS, idea_id=idea.idea_id)], lang)


def call_form_card(lang: str, values: Mapping[str, str], errors: Mapping[str, str] | None = None) -> Card:
    """A themed call: the theme, what is wanted, until when (Japan time)."""
    errors = errors or {}
    fields: list[tuple[dict[str, Any], str]] = [
        (
            _text_input(
                "theme",
                t("ideas.call.form.theme", lang),
                values,
                limit=TITLE_MAX,
                placeholder=t("ideas.call.form.theme_placeholder", lang),
            ),
            "theme",
        ),
        (
            _text_input("description", t("ideas.call.form.description", lang), values, limit=BODY_MAX, lines=True),
            "description",
        ),
        (
            {
                "type": "Input.Date",
                "id": "date",
                "label": t("ideas.call.form.date", lang),
                "value": values.get("date", ""),
            },
            "deadline",
        ),
        (
            {
                "type": "Input.Time",
                "id": "time",
                "label": t("ideas.call.form.time", lang),
                "value": values.get("time", "17:00"),
            },
            "time",
        ),
    ]
    return card(
        [heading(t("ideas.call.form.title", lang)), *_with_errors(fields, errors)],
        [_submit(t("ideas.button.call_open", lang), CALL)],
        lang,
    )


def sample_idea(**changes: Any) -> Idea:
    """An idea as the store returns one, for examples and tests."""
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    base = Idea(
        idea_id="a" * 32,
        tenant_id="tenant",
        kind=Kind.IDEA.value,
        title="会議資料をペーパーレスにする",
        body="紙の資料をやめ、Teamsで事前共有します。",
        category="業務改善",
        tags=["ペーパーレス"],
        identity=Identity.NAMED.value,
        author_key="aad",
        author_name="佐藤 花子",
        owner_tag="o" * 64,
        sealed_reach="sealed",
        votes=12,
        comments=3,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    return replace(base, **changes)


def examples() -> list[Card]:
    """Every form in both languages, empty, filled with errors, with the personal data warning, and the rest."""
    idea = sample_idea()
    comments = [Comment("c1", idea.idea_id, "鈴木 一郎", "賛成です。紙の印刷も減ります。", idea.created_at)]
    filled = {"title": "x" * 100, "body": "y", "category": "アナログ規制", "rule": "〇〇条例", "call_id": "c" * 32}
    errors = {"title": "タイトルは80文字以内で入力してください。", "analog": "条例・規則の名称と行為を選んでください。"}
    built = []
    for lang in ("ja", "en"):
        built += [
            form_card(
                lang,
                Kind.IDEA,
                {},
                categories=("業務改善", "デジタル化", "働き方", "都民サービス", "その他"),
                analog="アナログ規制",
            ),
            form_card(
                lang,
                Kind.IDEA,
                filled,
                errors,
                categories=("業務改善",),
                analog="アナログ規制",
                call_theme="あったらいいな",
                personal=("phone", "email", "number12"),
            ),
            form_card(lang, Kind.FEEDBACK, {"satisfaction": "2"}, {"service": "サービス名を入力してください。"}),
            similar_card(lang, SUBMIT, filled, [idea, sample_idea(idea_id="b" * 32, votes=0)]),
            comments_card(lang, idea, comments),
            comments_card(lang, idea, [], "コメントを入力してください。", typed=" "),
            call_form_card(lang, {}),
            call_form_card(lang, {"theme": "あったらいいな"}, {"deadline": "締切は今より後の日時にしてください。"}),
        ]
    return built
