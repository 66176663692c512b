"""The nudge dialog's form checks: every problem is found at once, and only the chosen schedule's fields count."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.nudges.templates import TEMPLATES
from bot.recurrence import Kind, Schedule
from dialogs.nudges import form_values, parse_form

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
VALID = {"text": " 改善アイデアを1つ ", "kind": "weekly", "time": "9:05", "weekdays": "4,0", "working_days": "true"}


def test_a_valid_form_becomes_a_draft_with_only_its_schedule_fields() -> None:
    draft, errors = parse_form({**VALID, "day": "99", "date": "nonsense"}, "ja", NOW)
    assert errors == {}
    assert draft is not None and draft.text == "改善アイデアを1つ"
    assert draft.schedule == Schedule(Kind.WEEKLY, time(9, 5), weekdays=(0, 4), working_days_only=True)


def test_all_problems_are_reported_together_in_the_users_language() -> None:
    draft, errors = parse_form({"text": "", "kind": "weekly", "time": "24:00", "weekdays": "7"}, "en", NOW)
    assert draft is None
    assert errors == {
        "text": t("nudges.error.text_empty", "en"),
        "time": t("nudges.error.time", "en"),
        "weekdays": t("nudges.error.weekdays", "en"),
    }


def test_invisible_or_control_characters_are_no_message() -> None:
    for text in ("\u200b", "\ufeff\u200d", " \u3000\n\u200b "):
        _, errors = parse_form({**VALID, "text": text}, "ja", NOW)
        assert errors == {"text": t("nudges.error.text_empty", "ja")}, repr(text)
    _, errors = parse_form({**VALID, "text": "お知らせ\x00"}, "en", NOW)
    assert errors == {"text": t("nudges.error.control", "en")}
    draft, _ = parse_form({**VALID, "text": "\u200b1行目\r\n2行目\ufeff"}, "ja", NOW)
    assert draft is not None and draft.text == "1行目\n2行目"


def test_kind_day_and_one_off_dates() -> None:
    assert parse_form({**VALID, "kind": "hourly"}, "ja", NOW)[1] == {"kind": t("nudges.error.kind")}
    assert parse_form({**VALID, "kind": "monthly", "day": "0"}, "ja", NOW)[1] == {"day": t("nudges.error.day")}
    assert parse_form({**VALID, "kind": "once", "date": ""}, "ja", NOW)[1] == {"date": t("nudges.error.date")}
    assert parse_form({**VALID, "kind": "once", "date": "2026-12-01", "time": "11:59"}, "ja", NOW)[1] == {
        "date": t("nudges.error.past")
    }
    draft, _ = parse_form({**VALID, "kind": "once", "date": "2026-12-01", "time": "12:01"}, "ja", NOW)
    assert draft is not None and draft.schedule.on == date(2026, 12, 1)


def test_a_template_fills_a_form_that_parses_back_to_it() -> None:
    for template in TEMPLATES:
        text = t(f"nudges.template.{template.key}.text")
        draft, errors = parse_form(form_values(text, template.schedule), "ja", NOW)
        assert errors == {} and draft is not None
        assert (draft.text, draft.schedule) == (text, template.schedule)


def test_the_nudge_domain_and_cards_do_not_load_botbuilder() -> None:
    code = (
        "import sys, bot.recurrence, bot.nudges.store, bot.nudges.service, bot.nudges.templates, cards.nudges; "
        "sys.exit(any(name.startswith('botbuilder') for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
