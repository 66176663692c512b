"""Pure poll logic: the one-line form, the checks, keyed ballots, totals and bars, the CSV and its signed link,
and the domain's independence from botbuilder."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.anonymity import purpose_key
from bot.csv_export import BOM, cell
from bot.polls.ballots import BallotKeys, anonymous_voter_key
from bot.polls.export import export_path, poll_csv
from bot.polls.model import Poll, Tally
from bot.polls.oneliner import split_oneliner
from bot.polls.tally import below_threshold, percent
from bot.polls.validate import check
from cards.poll_results import share_bar
from cards.polls import examples

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LABELS = {k: k.upper() for k in ("question", "ballots", "withheld", "option", "votes", "share", "voter")}


def sample_poll(**changes: Any) -> Poll:
    base = Poll(
        poll_id="a" * 32,
        tenant_id="t",
        conversation_id="19:x@thread.tacv2",
        conversation_type="channel",
        service_url="https://smba.example/",
        creator_key="creator",
        lang="ja",
        question="=1+1 ランチ?",
        options=["和食", "-洋食", "@中華"],
        multi=False,
        max_choices=None,
        anonymous=False,
        visibility="live",
        deadline=None,
        remind_before=None,
        status="open",
        activity_id="1",
        card_dirty=False,
        recurrence=None,
    )
    return replace(base, **changes)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("今日のランチ? / 和食 / 洋食 / 中華", ("今日のランチ?", ["和食", "洋食", "中華"])),
        ("今日のランチ?／和食／洋食", ("今日のランチ?", ["和食", "洋食"])),
        ("Q / A //  / B", ("Q", ["A", "B"])),
        ("only a question", ("only a question", [])),
    ],
)
def test_the_one_line_form_splits_on_both_slashes(line: str, expected: tuple[str, list[str]]) -> None:
    assert split_oneliner(line) == expected


def test_checks_name_each_field_with_its_numbers() -> None:
    assert check("Q", ["A", "B"], now=NOW) == {}
    assert check("", ["A"], now=NOW) == {
        "question": ("polls.error.question_empty", {}),
        "options": ("polls.error.too_few", {"min": 2, "count": 1}),
    }
    assert check("Q", [str(i) for i in range(11)], now=NOW)["options"][0] == "polls.error.too_many"
    assert check("Q", ["A", "x" * 101], now=NOW)["options"] == ("polls.error.option_long", {"max": 100, "length": 101})
    assert check("Q", ["A", "A"], now=NOW)["options"][0] == "polls.error.duplicate"
    assert check("Q", ["A", "B"], now=NOW, multi=True, max_choices=3)["max_choices"][0] == "polls.error.max_choices"
    assert check("Q", ["A", "B"], now=NOW, deadline=NOW)["deadline"][0] == "polls.error.past"


def test_invisible_text_is_no_text_and_invisible_differences_make_no_new_option() -> None:
    assert check("\u200b\ufeff ", ["A", "B"], now=NOW)["question"][0] == "polls.error.question_empty"
    assert check("Q", ["A", "\u200d\u3000"], now=NOW)["options"][0] == "polls.error.option_empty"
    for twins in (["和食", "和\u200b食"], ["和食", "\ufeff和食"], ["Sushi", "ＳＵＳＨＩ"]):
        assert check("Q", twins, now=NOW)["options"][0] == "polls.error.duplicate", twins
    assert split_oneliner("\u200b / 和食 / \u200b\u200d / 洋食") == ("", ["和食", "洋食"])


def test_control_characters_are_refused_in_the_question_and_the_options() -> None:
    assert check("Q\x00", ["A", "B"], now=NOW)["question"] == ("polls.error.control", {})
    assert check("Q", ["A", "B\x1b"], now=NOW)["options"] == ("polls.error.control", {})
    assert check("Q", ["A", "B\tC"], now=NOW) == {}


def test_anonymous_voter_keys_are_keyed_per_poll_and_reveal_nothing() -> None:
    key = BallotKeys.from_anonymity_key(b"k" * 32).current
    first = anonymous_voter_key(key, "poll1", "aad-user")
    assert first == anonymous_voter_key(key, "poll1", "aad-user") and len(first) == 64
    assert first != anonymous_voter_key(key, "poll2", "aad-user")  # polls can't be linked
    assert first != anonymous_voter_key(BallotKeys.from_anonymity_key(b"o" * 32).current, "poll1", "aad-user")
    assert key != b"k" * 32  # the anonymity key itself never files a ballot: a purpose key does
    assert "aad-user" not in first and purpose_key(key, "export") != key


def test_bars_and_percentages() -> None:
    widths = [[(c["style"], c["width"]) for c in share_bar(share)["columns"]] for share in (30, 0, 100)]
    assert widths == [[("accent", "30"), ("emphasis", "70")], [("emphasis", "100")], [("accent", "100")]]
    assert percent(1, 3) == 33 and percent(0, 0) == 0


def test_the_privacy_threshold_applies_to_anonymous_polls_only() -> None:
    assert below_threshold(sample_poll(anonymous=True), Tally((4, 0, 0), 4))
    assert not below_threshold(sample_poll(anonymous=True), Tally((5, 0, 0), 5))
    assert not below_threshold(sample_poll(), Tally((1, 0, 0), 1))
    assert below_threshold(sample_poll(anonymous=True), Tally((9, 0, 0), 9), threshold=10)


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_cells_that_excel_would_run_get_a_quote(value: str) -> None:
    assert cell(value) == "'" + value
    assert cell("和食") == "和食" and cell(3) == "3"


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM.encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8").removeprefix(BOM))))


def test_named_csv_has_a_bom_totals_and_voters_with_formulas_neutralised() -> None:
    named = [("k1", "=HYPERLINK(evil)", 1), ("k2", "佐藤 花子", 0)]
    rows = _rows(poll_csv(sample_poll(), Tally((1, 1, 0), 2), named, LABELS, 5))
    assert rows[0] == ["QUESTION", "'=1+1 ランチ?"]
    assert rows[2:6] == [["OPTION", "VOTES", "SHARE"], ["和食", "1", "50"], ["'-洋食", "1", "50"], ["'@中華", "0", "0"]]
    assert ["'=HYPERLINK(evil)", "'-洋食"] in rows and ["佐藤 花子", "和食"] in rows


def test_anonymous_csv_is_totals_only_and_nothing_below_the_threshold() -> None:
    poll = sample_poll(anonymous=True)
    rows = _rows(poll_csv(poll, Tally((3, 2, 0), 5), [], LABELS, 5))
    assert len(rows) == 6 and all("VOTER" not in row for row in rows)
    assert _rows(poll_csv(poll, Tally((3, 1, 0), 4), [], LABELS, 5))[2] == ["WITHHELD"]


def test_a_poll_export_link_names_its_poll() -> None:
    path = export_path(b"k" * 32, "a" * 32, NOW)
    assert path.startswith(f"/polls/{'a' * 32}/export.csv?")


def test_every_example_card_builds() -> None:
    assert len(examples()) == 44  # 22 per language, three of them in zones other than Tokyo


def test_the_poll_domain_does_not_import_botbuilder() -> None:
    code = (
        "import sys, importlib\n"
        "for m in ('model','tables','store','service','ballots','tally','export','oneliner','validate'):\n"
        "    importlib.import_module('bot.polls.' + m)\n"
        "print(sorted(m for m in sys.modules if m.startswith('botbuilder')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
