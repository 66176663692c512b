"""The audit log as admins read it: the newest entries, who did what to what, and the full export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.audit import AuditEntry
from bot.i18n import t
from cards.base import Card, card, execute, heading, literal, paragraph

TOKYO = ZoneInfo("Asia/Tokyo")
SHOWN = 20


def action_text(action: str, lang: str) -> str:
    """What an action is called in the catalog (`audit.action.<action>`), else its code."""
    key = f"audit.action.{action}"
    text = t(key, lang)
    return action if text == key else text


def audit_card(lang: str, entries: Sequence[AuditEntry], *, total: int, tz: ZoneInfo = TOKYO) -> Card:
    """The newest entries, newest first; names and subjects are shown as recorded (never as Markdown)."""
    body: list[dict[str, Any]] = [heading(t("audit.title", lang)), paragraph(t("audit.intro", lang, total=total))]
    for entry in entries[:SHOWN]:
        when = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    paragraph(f"{when} · {action_text(entry.action, lang)}", subtle=True),
                    literal(f"{entry.actor_name or entry.actor_key} → {entry.subject}"),
                ],
            }
        )
    if not entries:
        body.append(paragraph(t("audit.empty", lang)))
    return card(body, [execute(t("audit.button.export", lang), "audit.export")], lang)


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): a full page and an empty log, both languages."""
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    entries = [
        AuditEntry("e" * 32, now, "ideas", "ideas.reveal", "aad", "監察 担当", "a" * 32, {"reason": "嫌がらせ"}),
        AuditEntry("f" * 32, now, "ideas", "ideas.export", "aad", "審査 担当", "tenant:t", {"ideas": 3}),
        AuditEntry("g" * 32, now, "ideas", "unknown.action", "aad", "", "[link](https://x)", {}),
    ]
    return [audit_card(lang, shown, total=len(shown)) for lang in ("ja", "en") for shown in (entries * 8, [])]
