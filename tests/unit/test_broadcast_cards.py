"""The broadcast cards as a Teams user reads them: what each builder shows, in both languages."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import t
from cards import broadcast_forms, broadcasts
from cards.broadcast_forms import Choices, compose_form


def elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from elements(item)


CHOICES = Choices(
    teams=[("19:a@thread.tacv2", "総務部")], channels=[("19:a@thread.tacv2|19:a@thread.tacv2", "総務部 / 一般")]
)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_date_and_time_inputs_hint_in_the_readers_language(lang: str) -> None:
    """Without a placeholder the renderer shows its own English "Select a date..." / "Select a time..."."""
    form = compose_form(lang, {}, choices=CHOICES)
    dates = [e for e in elements(form) if e.get("type") == "Input.Date"]
    times = [e for e in elements(form) if e.get("type") == "Input.Time"]
    assert {e["id"] for e in dates} == {"deadline_date", "send_date"}
    assert {e["id"] for e in times} == {"deadline_time", "send_time"}
    assert all(e.get("placeholder") == t("form.date_placeholder", lang) for e in dates)
    assert all(e.get("placeholder") == t("form.time_placeholder", lang) for e in times)
    if lang == "ja":
        assert t("form.date_placeholder", lang) == "日付を選択(例: 2026/12/04)"


def shown(node: Any) -> Iterator[dict[str, Any]]:
    """The elements a person sees as the card opens: nothing inside an element with isVisible false."""
    if isinstance(node, dict):
        if node.get("isVisible") is False:
            return
        yield node
        for key, value in node.items():
            if key not in ("fallback", "targetElements"):
                yield from shown(value)
    elif isinstance(node, list):
        for item in node:
            yield from shown(item)


def shown_inputs(form: dict[str, Any]) -> set[str]:
    return {e["id"] for e in shown(form) if str(e.get("type", "")).startswith("Input.")}


PICKERS = {"channels", "teams", "group"}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_everyone_shows_no_channel_or_team_picker_and_each_audience_only_its_own(lang: str) -> None:
    assert shown_inputs(compose_form(lang, {"audience": "everyone"}, choices=CHOICES)) & PICKERS == set()
    assert shown_inputs(compose_form(lang, {"audience": "teams"}, choices=CHOICES)) & PICKERS == {"teams"}
    assert shown_inputs(compose_form(lang, {"audience": "channels"}, choices=CHOICES)) & PICKERS == {"channels"}
    assert shown_inputs(compose_form(lang, {"audience": "group"}, choices=CHOICES)) & PICKERS == {"group"}
    assert shown_inputs(compose_form(lang, {}, choices=CHOICES)) & PICKERS == set()  # before a choice


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_each_audience_button_shows_its_picker_and_buttons_that_send_it(lang: str) -> None:
    """Action.ToggleVisibility, as the nudge form's repeats: one button per audience; the buttons shown with it
    send the form as that audience (no input holds it)."""
    form = compose_form(lang, {}, choices=CHOICES)
    [chooser] = [e for e in elements(form) if e.get("id") == "audience"]
    assert [a["type"] for a in chooser["actions"]] == ["Action.ToggleVisibility"] * 4
    assert [a["title"] for a in chooser["actions"]] == [
        t(f"broadcasts.audience_button.{kind}", lang) for kind in ("channels", "everyone", "teams", "group")
    ]
    by_id = {e["id"]: e for e in elements(form) if isinstance(e.get("id"), str)}
    for toggle in chooser["actions"]:
        now_shown = {target["elementId"] for target in toggle["targetElements"] if target["isVisible"]}
        [kind] = {name.removeprefix("audience_") for name in now_shown if name.startswith("audience_")}
        assert now_shown == {f"audience_{kind}", f"submit_{kind}"}
        assert shown_inputs(by_id[f"audience_{kind}"] | {"isVisible": True}) == ({kind} & PICKERS)
        sends = [a for a in elements(by_id[f"submit_{kind}"]) if a.get("type") == "Action.Submit"]
        assert [a["data"]["step"] for a in sends] == ["save", "preview", "review"]
        assert all(a["data"]["audience"] == kind for a in sends)
    everyone = compose_form(lang, {"audience": "everyone"}, choices=CHOICES)
    assert t("broadcasts.form.audience_chosen", lang, audience=t("broadcasts.audience.everyone", lang)) in [
        e.get("text") for e in shown(everyone)
    ]
    assert not any(a.get("type") == "Input.ChoiceSet" and a["id"] == "audience" for a in elements(everyone))


def button_rows(card: dict[str, Any]) -> list[list[str]]:
    """The button titles row by row, top to bottom: each ActionSet, then the card's own actions."""
    rows = [[a["title"] for a in e["actions"]] for e in elements(card["body"]) if e.get("type") == "ActionSet"]
    return rows + ([[a["title"] for a in card["actions"]]] if card.get("actions") else [])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_acknowledge_has_its_own_row_and_no_row_crowds_its_buttons(lang: str) -> None:
    """A notice with a link, やさしい日本語 and English had four buttons in one row, each cut short (「確認し…」)."""
    examples = broadcasts.examples()
    first = 0 if lang == "ja" else len(examples) // 2  # the examples in Japanese, then in English
    notice = examples[first]  # link, やさしい日本語 and English
    rows = button_rows(notice)
    assert rows[0] == [t("broadcasts.button.ack", lang)]
    assert [len(row) for row in rows] == [1, 1, 2]  # 確認しました / the link / the other versions
    [ack] = [a for e in elements(notice) if e.get("type") == "ActionSet" for a in e["actions"]][:1]
    assert ack["style"] == "positive"
    framed = examples[first + 5]  # the same inside the preview
    assert [len(row) for row in button_rows(framed)] == [1, 1, 2]


def width(text: str) -> float:
    """Japanese glyphs are about twice as wide as Latin letters and digits."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


FACT_TITLE_WIDTH = 8  # full-width characters that fit Teams' fact title column (150 px) without breaking


def test_japanese_fact_titles_fit_their_column_so_no_word_is_broken() -> None:
    """Japanese wraps anywhere: 「確認済み(届いた人のうち)」 broke as 「…のう / ち)」, 「うち未インストール」 as
    「うち未インストー / ル」. Labels are short enough for the title column; what qualifies a number is in its value."""
    titles = {
        fact["title"]
        for shown in [*broadcasts.examples(), *broadcast_forms.examples()]
        if shown["lang"] == "ja"
        for e in elements(shown)
        if e.get("type") == "FactSet"
        for fact in e["facts"]
    }
    assert {t("broadcasts.report.acknowledged"), t("broadcasts.fact.unreachable")} <= titles
    assert [title for title in titles if width(title) > FACT_TITLE_WIDTH] == []


def test_what_a_share_or_count_is_of_is_said_in_its_value() -> None:
    assert t("broadcasts.report.acknowledged_share", count="6,420", share="64.2 %") == "6,420 (届いた人の64.2 %)"
    assert t("broadcasts.fact.unreachable_count", count="321") == "うち321件"
    assert t("broadcasts.report.acknowledged_share", "en", count=1, share="50.0 %") == "1 (50.0 % of those reached)"


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_titles_its_team_figures_and_draws_no_chart_axis(lang: str) -> None:
    """In the Playground the chart's axis read 16.7 / 33.3 / 66.7 / 83.3 (Teams divides it into sixths of the
    largest value) and its title was not drawn: the title is a heading, each team's figures are text with a bar
    under them, as the poll results do."""
    examples = broadcasts.examples()
    report = examples[(0 if lang == "ja" else len(examples) // 2) + 12]
    body = report["body"]
    assert not [e for e in elements(report) if str(e.get("type", "")).startswith("Chart.")]
    [at] = [index for index, e in enumerate(body) if e.get("text") == t("broadcasts.report.chart", lang)]
    assert body[at]["type"] == "TextBlock" and body[at]["style"] == "heading"
    rows = body[at + 1 : at + 5]
    teams = (("総務部", 4800, 6000, "80.0 %"), ("情報システム部", 1620, 4000, "40.5 %"))
    figures = [
        t("broadcasts.report.segment", lang, name=name, acked=acked, reached=reached, share=percent)
        for name, acked, reached, percent in teams
    ]
    assert [row["inlines"][0]["text"] for row in rows[::2]] == figures
    assert [[column["width"] for column in bar["columns"]] for bar in rows[1::2]] == [["80", "20"], ["40", "60"]]


def test_after_approval_the_author_reads_that_sending_has_started_or_when_it_will() -> None:
    examples = broadcasts.examples()
    approval, approved = examples[9], examples[10]
    assert "送信: 承認と同時に開始" in [e.get("text") for e in elements(approved)]
    assert "確定後すぐ" not in str(approved)
    assert {"title": "送信日時", "value": "承認後すぐ"} in [f for e in elements(approval) for f in e.get("facts", [])]
    en = examples[len(examples) // 2 + 10]
    assert "Sending: started on approval" in [e.get("text") for e in elements(en)]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_report_buttons_come_in_two_rows_none_cut_short(lang: str) -> None:
    """Five in a row read 「最新の…」「届かな…」「CSVで…」「訂…」「取…」: first reading the report, then changing
    what was sent."""
    examples = broadcasts.examples()
    report = examples[(0 if lang == "ja" else len(examples) // 2) + 12]
    assert button_rows(report) == [
        [t(f"broadcasts.button.{name}", lang) for name in ("refresh", "unreachable", "export")],
        [t(f"broadcasts.button.{name}", lang) for name in ("correct", "recall")],
    ]
