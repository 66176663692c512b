"""The author's CSV of a broadcast: one line per recipient and what became of them (see `bot.csv_export`: UTF-8
with a BOM, formulas neutralised — names and channel names come from Teams and could start with "=")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.broadcasts.model import Row
from bot.csv_export import csv_bytes

COLUMNS = ("recipient", "kind", "segment", "state", "reason", "sent_at", "acknowledged_at", "entra_id")


def recipients_csv(rows: Sequence[Row], acks: Mapping[str, datetime], say: Callable[[str], str], tz: ZoneInfo) -> bytes:
    """`say("export.state")`, `say("state.sent")`, `say("kind.person")`: the file's words in the reader's language;
    times in `tz` (日本時間)."""

    def moment(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if at else ""

    lines: list[Sequence[object]] = [[say(f"export.{name}") for name in COLUMNS]]
    for row in rows:
        lines.append(
            [
                row.name or row.aad_id or row.conversation_id or row.recipient_key,
                say(f"kind.{row.kind}"),
                row.segment,
                say(f"state.{row.state}"),
                row.reason or "",
                moment(row.sent_at),
                moment(acks.get(row.aad_id or "")) if row.person else "",
                row.aad_id or "",
            ]
        )
    return csv_bytes(lines)
