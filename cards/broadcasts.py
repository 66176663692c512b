"""Broadcast cards: the お知らせ people receive (in their language, with the やさしい日本語 version a click away and
「確認しました」), its recalled form, the reminder, and the admins' cards — the 「お知らせ」 overview, the count to
confirm, the approval request, the report with its chart, the list of people it did not reach.

The body is the admin's text in Teams' Markdown subset (a TextBlock); titles and everything staff typed elsewhere
are shown as typed (`literal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.broadcasts.model import Audience, AudienceKind, Broadcast, Content, Row, RowState, Segment, Status, Tally
from bot.i18n import t
from cards.base import Card, card, execute, facts, heading, label, literal, paragraph, share_bar, subheading
from cards.dialog import open_dialog

TOKYO = ZoneInfo("Asia/Tokyo")
COMPOSE, EDIT = "broadcasts.compose", "broadcasts.edit"  # the dialogs
ACK, READ = "broadcasts.ack", "broadcasts.read"  # what recipients click
LISTED = 5  # broadcasts per section of the overview
NAMES_SHOWN = 30


def moment_text(moment: datetime, lang: str, tz: ZoneInfo = TOKYO) -> str:
    """12月5日(金) 17:00 — in the bot's zone (日本時間)."""
    local = moment.astimezone(tz)
    weekday = t(f"broadcasts.weekday.{local.weekday()}", lang)
    return t("broadcasts.format.moment", lang, month=local.month, day=local.day, weekday=weekday, time=f"{local:%H:%M}")


def share(part: int, whole: int) -> str:
    """A share as people read it: 95.0 % (of nothing: –)."""
    return f"{100 * part / whole:.1f} %" if whole else "–"


def views(content: Content) -> list[str]:
    """The versions a reader can switch between: ja, plain (やさしい日本語), en."""
    return ["ja"] + (["plain"] if content.plain else []) + (["en"] if content.body_en else [])


def default_view(content: Content, lang: str) -> str:
    """Each reader sees their language: English readers the English version when there is one."""
    return "en" if lang == "en" and content.body_en else "ja"


def _text_of(content: Content, view: str) -> tuple[str, str]:
    if view == "plain" and content.plain:
        return content.title, content.plain
    if view == "en" and content.body_en:
        return content.title_en or content.title, content.body_en
    return content.title, content.body


def _body(broadcast: Broadcast, lang: str, view: str, acked_at: datetime | None, tz: ZoneInfo) -> list[dict[str, Any]]:
    content = broadcast.content
    title, text = _text_of(content, view)
    meta = [t("broadcasts.card.kind", lang)]
    if len(views(content)) > 1:
        meta.append(t(f"broadcasts.view.{view}", lang))
    if broadcast.version > 1:
        meta.append(t("broadcasts.card.corrected", lang))
    body: list[dict[str, Any]] = [
        label(" · ".join(meta)),
        literal(title, size="Large", weight="Bolder"),
    ]
    if content.image_url:
        body.append({"type": "Image", "url": content.image_url, "altText": title, "size": "Stretch"})
    body.append(paragraph(text))
    if content.ack:
        if content.deadline is not None:
            body.append(
                paragraph(t("broadcasts.card.deadline", lang, deadline=moment_text(content.deadline, lang, tz)))
            )
        if acked_at is not None:
            done = t("broadcasts.card.acknowledged", lang, at=moment_text(acked_at, lang, tz))
            body.append({"type": "TextBlock", "text": done, "color": "Good", "weight": "Bolder", "wrap": True})
    return body


def _actions(
    broadcast: Broadcast, lang: str, view: str, acked_at: datetime | None, preview: bool
) -> list[list[dict[str, Any]]]:
    """The buttons in rows, so none is cut short on a narrow card: 「確認しました」 alone first, then the link
    (its title is typed, up to 40 characters), then the other versions (two at most)."""
    content = broadcast.content
    ids: dict[str, Any] = {"broadcast_id": broadcast.broadcast_id, **({"preview": "1"} if preview else {})}
    ack = [_acknowledge(lang, ids)] if content.ack and acked_at is None else []
    link = (
        [{"type": "Action.OpenUrl", "title": content.link_title or content.link_url, "url": content.link_url}]
        if content.link_url
        else []
    )
    others = [
        execute(t(f"broadcasts.button.view.{other}", lang), READ, {**ids, "view": other})
        for other in views(content)
        if other != view
    ]
    return [ack, link, others]


def _acknowledge(lang: str, ids: dict[str, Any]) -> dict[str, Any]:
    """「確認しました」, the card's one primary button (Teams draws `positive` in the accent colour)."""
    return {**execute(t("broadcasts.button.ack", lang), ACK, ids), "style": "positive"}


def _rows(*rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "ActionSet", "actions": actions} for actions in rows if actions]


def broadcast_card(
    broadcast: Broadcast,
    lang: str,
    *,
    view: str | None = None,
    acked_at: datetime | None = None,
    tz: ZoneInfo = TOKYO,
) -> Card:
    """The お知らせ as a recipient sees it (`view`: which version; by default their language's)."""
    if broadcast.recalled:
        return recalled_card(lang)
    shown = view if view in views(broadcast.content) else default_view(broadcast.content, lang)
    rows = _actions(broadcast, lang, shown, acked_at, preview=False)
    return card([*_body(broadcast, lang, shown, acked_at, tz), *_rows(*rows)], lang=lang)


def preview(broadcast: Broadcast, lang: str, tz: ZoneInfo = TOKYO) -> dict[str, Any]:
    """The exact card inside another (the author's check, the approver's request): clicks there record nothing."""
    shown = default_view(broadcast.content, lang)
    items = _body(broadcast, lang, shown, None, tz)
    items += _rows(*_actions(broadcast, lang, shown, None, preview=True))
    return {"type": "Container", "style": "emphasis", "bleed": False, "items": items}


def preview_card(broadcast: Broadcast, lang: str, tz: ZoneInfo = TOKYO) -> Card:
    """「自分に送って確認」: the exact card, marked as a preview."""
    banner = {"type": "TextBlock", "text": t("broadcasts.preview.banner", lang), "color": "Attention", "wrap": True}
    return card([banner, preview(broadcast, lang, tz)], lang=lang)


def recalled_card(lang: str) -> Card:
    return card(
        [paragraph(t("broadcasts.card.kind", lang), subtle=True), heading(t("broadcasts.card.recalled", lang))],
        lang=lang,
    )


def reminder_card(broadcast: Broadcast, lang: str, tz: ZoneInfo = TOKYO) -> Card:
    """The one reminder before the deadline, to those who have not acknowledged."""
    content = broadcast.content
    title = _text_of(content, default_view(content, lang))[0]
    deadline = moment_text(content.deadline, lang, tz) if content.deadline else "-"
    body = [
        label(t("broadcasts.remind.kind", lang)),
        literal(title, size="Medium", weight="Bolder"),
        paragraph(t("broadcasts.remind.text", lang, deadline=deadline)),
    ]
    return card(body, [_acknowledge(lang, {"broadcast_id": broadcast.broadcast_id})], lang)


# ---- the admins' cards ------------------------------------------------------------------------------------------
def audience_text(broadcast: Broadcast, lang: str) -> str:
    kind = t(f"broadcasts.audience.{broadcast.audience.kind.value}", lang)
    return f"{kind}: {broadcast.audience_label}" if broadcast.audience_label else kind


def status_text(status: str, lang: str) -> str:
    return t(f"broadcasts.status.{status}", lang)


def _when(broadcast: Broadcast, lang: str, tz: ZoneInfo, *, approved: bool = False) -> str:
    """When it goes out: its scheduled time, or at once — once confirmed, right after the approval, or (told to
    the author once approved) already under way."""
    if broadcast.send_at is not None:
        return moment_text(broadcast.send_at, lang, tz)
    if approved:
        return t("broadcasts.when.on_approval", lang)
    return t("broadcasts.when.after_approval" if broadcast.needs_approval else "broadcasts.when.now", lang)


def _facts(broadcast: Broadcast, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    pairs = [
        (t("broadcasts.fact.author", lang), broadcast.author_name),
        (t("broadcasts.fact.audience", lang), audience_text(broadcast, lang)),
        (t("broadcasts.fact.recipients", lang), t("broadcasts.count", lang, count=f"{broadcast.recipients:,}")),
        (t("broadcasts.fact.when", lang), _when(broadcast, lang, tz)),
    ]
    if broadcast.unreachable:
        pairs.append(
            (
                t("broadcasts.fact.unreachable", lang),
                t("broadcasts.fact.unreachable_count", lang, count=f"{broadcast.unreachable:,}"),
            )
        )
    return facts(pairs)


def confirm_card(broadcast: Broadcast, lang: str, *, can_install: bool, tz: ZoneInfo = TOKYO) -> Card:
    """The frozen list is counted: the author checks the exact card and the count, then sends (or asks a second
    admin, or schedules)."""
    ids = {"broadcast_id": broadcast.broadcast_id}
    body: list[dict[str, Any]] = [heading(t("broadcasts.confirm.title", lang)), _facts(broadcast, lang, tz)]
    if broadcast.unreachable:
        note = "broadcasts.confirm.will_install" if can_install else "broadcasts.confirm.unreachable"
        body.append(paragraph(t(note, lang, count=f"{broadcast.unreachable:,}"), subtle=True))
    if broadcast.needs_approval:
        body.append(paragraph(t("broadcasts.confirm.needs_approval", lang)))
    body.append(preview(broadcast, lang, tz))
    go = "approval" if broadcast.needs_approval else ("schedule" if broadcast.send_at else "send")
    actions = [
        execute(t(f"broadcasts.button.{go}", lang, count=f"{broadcast.recipients:,}"), "broadcasts.confirm", ids),
        open_dialog(t("broadcasts.button.edit_draft", lang), COMPOSE, **ids),
    ]
    return card(body, actions, lang)


def approval_card(broadcast: Broadcast, lang: str, tz: ZoneInfo = TOKYO) -> Card:
    """二者承認: another admin sees the exact card and the count, and approves or sends it back with a comment."""
    ids = {"broadcast_id": broadcast.broadcast_id}
    body: list[dict[str, Any]] = [
        heading(t("broadcasts.approval.title", lang)),
        _facts(broadcast, lang, tz),
        preview(broadcast, lang, tz),
        {
            "type": "Input.Text",
            "id": "comment",
            "label": t("broadcasts.approval.comment", lang),
            "isMultiline": True,
            "maxLength": 1000,
        },
    ]
    actions = [
        execute(t("broadcasts.button.approve", lang), "broadcasts.approve", ids),
        execute(t("broadcasts.button.reject", lang), "broadcasts.reject", ids),
    ]
    return card(body, actions, lang)


def decision_card(broadcast: Broadcast, lang: str, approved: bool, tz: ZoneInfo = TOKYO) -> Card:
    """The author hears what the second admin decided."""
    key = "broadcasts.decision.approved" if approved else "broadcasts.decision.rejected"
    body: list[dict[str, Any]] = [
        heading(t(key, lang, name=broadcast.approver_name or "")),
        literal(broadcast.content.title, weight="Bolder"),
    ]
    if broadcast.approval_comment:
        body += [paragraph(t("broadcasts.decision.comment", lang)), literal(broadcast.approval_comment)]
    if approved:
        body.append(paragraph(t("broadcasts.decision.when", lang, when=_when(broadcast, lang, tz, approved=True))))
    actions = (
        []
        if approved
        else [open_dialog(t("broadcasts.button.edit_draft", lang), COMPOSE, broadcast_id=broadcast.broadcast_id)]
    )
    return card(body, actions, lang)


def _chart(tally: Tally, lang: str) -> list[dict[str, Any]]:
    """Acknowledgement rate by team, under its title: per team its figures as text and a bar under them.

    No chart element (as in the poll results): Teams does not draw a chart's own title, divides a bar chart's axis
    into sixths of its largest value (16.7 / 33.3 … for 100 %) with no card property to change them, and without the
    axis cuts off the value printed beside a full bar."""
    segments = [segment for segment in tally.segments if segment.reached][:10]
    if not segments:
        return []
    everyone = t("broadcasts.segment.all", lang)
    body: list[dict[str, Any]] = [{**subheading(t("broadcasts.report.chart", lang)), "size": "Default"}]
    for s in segments:
        row = t(
            "broadcasts.report.segment",
            lang,
            name=s.name or everyone,
            acked=s.acknowledged,
            reached=s.reached,
            share=share(s.acknowledged, s.reached),
        )
        body += [literal(row), share_bar(round(100 * s.acknowledged / s.reached))]
    return body


def report_card(
    broadcast: Broadcast, tally: Tally, lang: str, now: datetime, *, confirm_recall: bool = False, tz: ZoneInfo = TOKYO
) -> Card:
    """The author's report, brought up to date while sending: counts with their shares, acknowledgements by team."""
    ids = {"broadcast_id": broadcast.broadcast_id}
    counted = [
        ("sent", tally.sent),
        ("waiting", tally.waiting),
        ("failed", tally.failed),
        ("not_installed", tally.not_installed),
        ("cancelled", tally.cancelled),
    ]
    pairs = [(t("broadcasts.fact.status", lang), status_text(broadcast.status, lang))]
    pairs += [
        (t(f"broadcasts.report.{name}", lang), f"{count:,} ({share(count, tally.total)})")
        for name, count in counted
        if count or name in ("sent", "failed", "not_installed")
    ]
    if broadcast.content.ack:
        pairs.append(
            (
                t("broadcasts.report.acknowledged", lang),
                t(
                    "broadcasts.report.acknowledged_share",
                    lang,
                    count=f"{tally.acknowledged:,}",
                    share=share(tally.acknowledged, tally.reached),
                ),
            )
        )
    body: list[dict[str, Any]] = [
        heading(t("broadcasts.report.title", lang)),
        literal(broadcast.content.title, weight="Bolder"),
        paragraph(audience_text(broadcast, lang), subtle=True),
        facts(pairs),
    ]
    if tally.installed:
        body.append(paragraph(t("broadcasts.report.installed", lang, count=f"{tally.installed:,}"), subtle=True))
    if tally.unconfirmed:
        body.append(paragraph(t("broadcasts.report.unconfirmed", lang, count=f"{tally.unconfirmed:,}"), subtle=True))
    if broadcast.content.ack:
        body += _chart(tally, lang)
    body.append(paragraph(t("broadcasts.report.as_of", lang, at=moment_text(now, lang, tz)), subtle=True))
    if confirm_recall:
        body.append(
            {"type": "TextBlock", "text": t("broadcasts.recall.question", lang), "color": "Attention", "wrap": True}
        )
        actions = [
            execute(t("broadcasts.button.recall_really", lang), "broadcasts.recall", {**ids, "confirm": "1"}),
            execute(t("broadcasts.button.keep", lang), "broadcasts.report", ids),
        ]
        return card(body, actions, lang)
    # Two rows, so no label is cut short: reading the report, then changing what was sent.
    reading = [execute(t("broadcasts.button.refresh", lang), "broadcasts.report", ids)]
    if tally.failed or tally.not_installed:
        reading.append(execute(t("broadcasts.button.unreachable", lang), "broadcasts.unreachable", ids))
    reading.append(execute(t("broadcasts.button.export", lang), "broadcasts.export", ids))
    changing = []
    if broadcast.status != Status.RECALLED:
        changing = [
            open_dialog(t("broadcasts.button.correct", lang), EDIT, **ids),
            execute(t("broadcasts.button.recall", lang), "broadcasts.recall", ids),
        ]
    return card([*body, *_rows(reading)], changing, lang)


def unreachable_card(broadcast: Broadcast, rows: Sequence[Row], total: int, lang: str) -> Card:
    """Who the broadcast did not reach, and why (never a silent gap)."""
    body: list[dict[str, Any]] = [
        heading(t("broadcasts.unreachable.title", lang)),
        literal(broadcast.content.title, weight="Bolder"),
    ]
    for row in rows[:NAMES_SHOWN]:
        who = row.name or row.aad_id or row.recipient_key
        state = t(f"broadcasts.state.{row.state}", lang)
        body.append(literal(f"{who} — {state}"))
    if total > NAMES_SHOWN:
        body.append(paragraph(t("broadcasts.unreachable.more", lang, count=f"{total - NAMES_SHOWN:,}"), subtle=True))
    body.append(paragraph(t("broadcasts.unreachable.hint", lang), subtle=True))
    return card(body, lang=lang)


def summary_card(broadcast: Broadcast, tally: Tally, reminded: int, lang: str) -> Card:
    """At reminder time the author hears where acknowledgements stand."""
    body = [
        heading(t("broadcasts.summary.title", lang)),
        literal(broadcast.content.title, weight="Bolder"),
        paragraph(
            t(
                "broadcasts.summary.text",
                lang,
                acked=f"{tally.acknowledged:,}",
                reached=f"{tally.reached:,}",
                share=share(tally.acknowledged, tally.reached),
                reminded=f"{reminded:,}",
            )
        ),
    ]
    return card(
        body,
        [execute(t("broadcasts.button.report", lang), "broadcasts.report", {"broadcast_id": broadcast.broadcast_id})],
        lang,
    )


def overview_card(
    lang: str,
    drafts: Sequence[Broadcast],
    waiting: Sequence[Broadcast],
    sent: Sequence[Broadcast],
    tz: ZoneInfo = TOKYO,
    *,
    asked: Sequence[Broadcast] = (),
) -> Card:
    """「お知らせ」: write a new one, continue a draft, see one's own waiting for approval (`asked`), approve another
    admin's (`waiting`), or open a report."""
    body: list[dict[str, Any]] = [
        heading(t("broadcasts.overview.title", lang)),
        paragraph(t("broadcasts.overview.intro", lang)),
    ]
    sections = (("drafts", drafts), ("asked", asked), ("waiting", waiting), ("sent", sent))
    for name, found in sections:
        if name == "asked" and not found:
            continue  # shown while the author waits for a second admin, not as one more empty heading
        body.append({**subheading(t(f"broadcasts.overview.{name}", lang)), "size": "Default", "spacing": "Large"})
        if not found:
            body.append(paragraph(t("broadcasts.overview.none", lang), subtle=True))
        for broadcast in found[:LISTED]:
            body.append(_listed(broadcast, name, lang, tz))
    return card(body, [open_dialog(t("broadcasts.button.new", lang), COMPOSE)], lang)


def _listed(broadcast: Broadcast, section: str, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    ids = {"broadcast_id": broadcast.broadcast_id}
    meta = f"{status_text(broadcast.status, lang)} · {moment_text(broadcast.updated_at, lang, tz)}"
    if section == "drafts":
        actions = [
            open_dialog(t("broadcasts.button.open", lang), COMPOSE, **ids),
            execute(t("broadcasts.button.duplicate", lang), "broadcasts.duplicate", ids),
            execute(t("broadcasts.button.delete", lang), "broadcasts.delete", ids),
        ]
    elif section == "asked":  # the author's own: a second admin decides, the author waits
        meta += f" · {t('broadcasts.count', lang, count=f'{broadcast.recipients:,}')}"
        actions = []
    elif section == "waiting":
        meta += f" · {broadcast.author_name} · {t('broadcasts.count', lang, count=f'{broadcast.recipients:,}')}"
        actions = [execute(t("broadcasts.button.review", lang), "broadcasts.approval", ids)]
    else:
        actions = [execute(t("broadcasts.button.report", lang), "broadcasts.report", ids)]
    items = [
        literal(broadcast.content.title or t("broadcasts.untitled", lang), weight="Bolder"),
        paragraph(meta, subtle=True),
    ]
    if actions:
        items.append({"type": "ActionSet", "actions": actions})
    return {"type": "Container", "separator": True, "items": items}


def notice(lang: str, key: str, **params: object) -> Card:
    """A short message to an admin's 1:1 chat (the count is ready, sending started…)."""
    return card([paragraph(t(key, lang, **params))], lang=lang)


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): every builder, both languages, all versions and states."""
    now = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    content = Content(
        title="【重要】テレワーク規程の改定について",
        body="**12月1日**から新しい規程が適用されます。\n\n- 申請は前日まで\n- 上長の承認が必要です",
        plain="12月1日から 新しい きまりに なります。前の日までに 申請して ください。",
        title_en="Revised telework policy",
        body_en="From **1 December** the new policy applies. Apply by the day before.",
        image_url="https://example.org/policy.png",
        link_title="規程を読む",
        link_url="https://example.org/policy",
        ack=True,
        deadline=datetime(2026, 12, 11, 8, 0, tzinfo=UTC),
    )
    sample = Broadcast(
        broadcast_id="0" * 32,
        tenant_id="tenant",
        author_key="admin",
        author_name="総務 花子",
        author_lang="ja",
        author_chat="a:1admin",
        service_url="https://smba.trafficmanager.net/jp/",
        bot_id="28:bot",
        status=Status.SENDING.value,
        content=content,
        audience=Audience(AudienceKind.TEAMS, teams=("19:a@thread.tacv2",)),
        audience_label="総務部、情報システム部",
        send_at=None,
        recipients=12345,
        unreachable=321,
        needs_approval=True,
        approver_key="other",
        approver_name="人事 次郎",
        approval_comment="内容を確認しました。",
        version=2,
        report_activity=None,
        created_at=now,
        updated_at=now,
        started_at=now,
        finished_at=None,
    )
    plain = replace(sample, content=Content("お知らせ", "本文のみです。"), version=1)
    tally = Tally(
        total=12345,
        waiting=2000,
        sent=10000,
        failed=24,
        not_installed=321,
        unconfirmed=1,
        installed=120,
        reached=10000,
        acknowledged=6420,
        segments=(Segment("総務部", 6000, 4800), Segment("情報システム部", 4000, 1620), Segment("", 0, 0)),
    )
    row = Row(
        broadcast_id="0" * 32,
        recipient_key="person:x",
        kind="person",
        tenant_id="tenant",
        aad_id="x",
        user_id=None,
        name="山田 太郎",
        conversation_id=None,
        segment="総務部",
        team_id=None,
        size=1,
        lang="ja",
        state=RowState.NOT_INSTALLED.value,
        reason="no chat",
        attempts=0,
        due_at=now,
        todo=False,
        owner=None,
        activity_id=None,
        shown=0,
        want=0,
        remind="no",
        installed=False,
        sent_at=None,
        updated_at=now,
    )
    cards: list[Card] = []
    for lang in ("ja", "en"):
        cards += [
            broadcast_card(sample, lang),
            broadcast_card(sample, lang, view="plain", acked_at=now),
            broadcast_card(sample, lang, view="en"),
            broadcast_card(plain, lang),
            broadcast_card(replace(sample, status=Status.RECALLED.value), lang),
            preview_card(sample, lang),
            reminder_card(sample, lang),
            confirm_card(sample, lang, can_install=True),
            confirm_card(replace(plain, needs_approval=False, unreachable=0), lang, can_install=False),
            approval_card(sample, lang),
            decision_card(sample, lang, approved=True),
            decision_card(sample, lang, approved=False),
            report_card(sample, tally, lang, now),
            report_card(sample, tally, lang, now, confirm_recall=True),
            report_card(plain, Tally(), lang, now),
            unreachable_card(sample, [row] * 40, 40, lang),
            summary_card(sample, tally, 3580, lang),
            overview_card(lang, [plain], [sample], [sample], asked=[replace(sample, status=Status.PENDING.value)]),
            overview_card(lang, [], [], []),
            notice(lang, "broadcasts.review.counting"),
        ]
    return cards
