"""The reviewers' CSV of the idea box (see `bot.csv_export`: UTF-8 with a BOM, formulas neutralised).

One row per idea with where it stands, its votes, category and satisfaction; the author only of named ideas (a
pseudonym for pseudonymous ones, nothing for anonymous ones). Then the counts per 年度 (April–March) and status,
and the アナログ規制 reports grouped by the analogue act they demand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.csv_export import csv_bytes
from bot.ideas.model import AnalogAct, Idea, Identity, fiscal_year

IDEA_COLUMNS = (
    "id",
    "fiscal_year",
    "submitted",
    "kind",
    "category",
    "title_column",
    "status",
    "votes",
    "comments",
    "service",
    "satisfaction",
    "author",
)
ANALOG_COLUMNS = ("act", "rule", "clause", "replacement", "title_column", "status")


def ideas_csv(
    ideas: Sequence[Idea], fiscal_years: Sequence[tuple[int, str, int]], say: Callable[[str], str], tz: ZoneInfo
) -> bytes:
    """`say("export.votes")`, `say("status.new")`, `say("act.posting")`, `say("kind.idea")`: the words of the file,
    in the reader's language."""
    rows: list[Sequence[object]] = [[say(f"export.{name}") for name in IDEA_COLUMNS]]
    for idea in ideas:
        day = idea.created_at.astimezone(tz).date()
        author = idea.author_name if idea.identity == Identity.NAMED else idea.pseudonym
        rows.append(
            [
                idea.idea_id,
                fiscal_year(day),
                day.isoformat(),
                say(f"kind.{idea.kind}"),
                idea.category,
                idea.title,
                say(f"status.{idea.status}"),
                idea.votes,
                idea.comments,
                idea.service or "",
                idea.satisfaction or "",
                author or "",
            ]
        )
    rows += [[], [say("export.counts")], [say(f"export.{name}") for name in ("fiscal_year", "status", "count")]]
    rows += [[year, say(f"status.{status}"), count] for year, status, count in fiscal_years]
    rows += [[], [say("export.analog")], [say(f"export.{name}") for name in ANALOG_COLUMNS]]
    reports = [(rule, idea) for idea in ideas if (rule := idea.analog_rule) is not None]
    acts = list(AnalogAct)
    for rule, idea in sorted(reports, key=lambda pair: (acts.index(pair[0].act), pair[1].created_at)):
        act, status = say(f"act.{rule.act.value}"), say(f"status.{idea.status}")
        rows.append([act, rule.rule, rule.clause, rule.replacement, idea.title, status])
    return csv_bytes(rows)
