"""Every card the bot can produce is one Teams will render: the JSON schema 1.5 (plus Teams charts), the official
renderer's parser and the Teams rules (version, Action.Execute fallback, size) all accept it — and each check
really rejects what it must, with the element path in its message."""

from __future__ import annotations

from typing import Any

import pytest

from cards.base import card, execute, paragraph
from tests.cardcheck import assert_valid_card, card_problems, report, validate_many
from tests.cardcheck.discovery import card_module_names, examples_of
from tests.cardcheck.schema import chart_types


@pytest.mark.parametrize("module_name", card_module_names())
def test_every_card_a_module_can_build_is_valid(module_name: str) -> None:
    problems = validate_many(examples_of(module_name))
    assert not report(problems), f"invalid cards from {module_name}:\n{report(problems)}"


def test_every_card_module_is_discovered() -> None:
    assert {"cards.welcome", "cards.help", "cards.message", "cards.dialog"} <= set(card_module_names())
    assert "cards.base" not in card_module_names()


CHARTS: list[dict[str, Any]] = [
    {"type": "Chart.Donut", "title": "回答", "colorSet": "categorical", "data": [{"legend": "はい", "value": 3}]},
    {"type": "Chart.Pie", "data": [{"legend": "Yes", "value": 2, "color": "good"}, {"legend": "No", "value": 1}]},
    {
        "type": "Chart.Gauge",
        "value": 40,
        "min": 0,
        "max": 100,
        "valueFormat": "Percentage",
        "segments": [{"from": 0, "to": 50, "legend": "低", "color": "good"}, {"from": 50, "to": 100, "legend": "高"}],
    },
    {
        "type": "Chart.Line",
        "xAxisTitle": "日",
        "yAxisTitle": "票",
        "data": [{"legend": "A", "values": [{"x": "月", "y": 1}, {"x": "火", "y": 3}]}],
    },
    {
        "type": "Chart.VerticalBar",
        "title": "投票結果",
        "showBarValues": True,
        "data": [{"x": "はい", "y": 5}, {"x": "いいえ", "y": 2, "color": "attention"}],
    },
    {
        "type": "Chart.VerticalBar.Grouped",
        "stacked": True,
        "data": [
            {"legend": "チームA", "values": [{"x": "Q1", "y": 1}]},
            {"legend": "チームB", "values": [{"x": "Q1", "y": 2}]},
        ],
    },
    {"type": "Chart.HorizontalBar", "displayMode": "AbsoluteWithAxis", "data": [{"x": "はい", "y": 5}]},
    {
        "type": "Chart.HorizontalBar.Stacked",
        "data": [{"title": "全体", "data": [{"legend": "はい", "value": 5}, {"legend": "いいえ", "value": 2}]}],
    },
]


def test_teams_chart_elements_are_accepted() -> None:
    assert sorted(chart["type"] for chart in CHARTS) == chart_types()
    assert_valid_card(card([paragraph("結果"), *CHARTS, {"type": "Container", "items": CHARTS}]))


def test_attachments_are_unwrapped() -> None:
    assert_valid_card({"contentType": "application/vnd.microsoft.card.adaptive", "content": card([paragraph("x")])})


def _messages(content: dict[str, Any], check: str) -> list[str]:
    return [str(problem) for problem in card_problems(content) if problem.check == check]


def _assert_reported(content: dict[str, Any], check: str, *expected: str) -> None:
    found = _messages(content, check)
    assert any(all(part in message for part in expected) for message in found), (check, expected, found)


UNKNOWN = card([paragraph("a"), paragraph("b"), {"type": "Container", "items": [{"type": "TextBlok", "text": "x"}]}])
BOGUS_CHART = card([{"type": "Container", "items": [paragraph("a"), {"type": "Chart.Bogus", "data": []}]}])


@pytest.mark.parametrize("check", ["schema", "renderer"])
def test_unknown_element_is_rejected_with_its_path(check: str) -> None:
    _assert_reported(UNKNOWN, check, "body[2].items[0].type", "TextBlok")


@pytest.mark.parametrize("check", ["schema", "renderer"])
def test_unknown_chart_type_is_rejected_with_its_path(check: str) -> None:
    _assert_reported(BOGUS_CHART, check, "body[0].items[1].type", "Chart.Bogus")


def test_schema_follows_the_matching_branch_to_the_real_error() -> None:
    bad = card([paragraph("a"), {"type": "Container", "items": [{"type": "TextBlock", "text": "x", "size": "Huge"}]}])
    messages = _messages(bad, "schema")
    assert any(m.startswith("body[1].items[0].size: ") and "'Huge'" in m for m in messages), messages
    assert all("is not valid under any of the given schemas" not in m for m in messages), messages


def test_chart_properties_are_checked() -> None:
    bad = card([{"type": "Chart.VerticalBar", "data": [{"x": "はい", "y": "five"}]}])
    _assert_reported(bad, "schema", "body[0].data[0].y", "'five'")


def test_duplicate_ids_are_rejected() -> None:
    content = card(
        [{"type": "Input.Text", "id": "title"}, {"type": "Container", "items": [{"type": "Input.Text", "id": "title"}]}]
    )
    _assert_reported(content, "renderer", "body[1].items[0]", 'Duplicate Id "title"')


@pytest.mark.parametrize("check", ["teams", "renderer"])
def test_version_above_1_5_is_rejected(check: str) -> None:
    _assert_reported({**card([paragraph("x")]), "version": "1.6"}, check, "version", "1.6")


def test_action_execute_without_submit_fallback_is_rejected() -> None:
    action = {key: value for key, value in execute("OK", "help").items() if key != "fallback"}
    _assert_reported(card([paragraph("x")], [action]), "teams", "actions[0].fallback", "Action.Submit fallback")


def test_fallback_with_another_verb_is_rejected() -> None:
    action = execute("OK", "help")
    action["fallback"]["data"]["verb"] = "other"
    nested = card([{"type": "ActionSet", "actions": [action]}])
    _assert_reported(nested, "teams", "body[0].actions[0].fallback.data.verb", "'help'")


def test_cards_over_80_kb_are_rejected() -> None:
    big = {"type": "AdaptiveCard", "version": "1.5", "body": [paragraph("あ" * 42_000)]}
    _assert_reported(big, "teams", "(card)", "UTF-16")


def test_assert_valid_card_lists_every_problem() -> None:
    with pytest.raises(AssertionError) as failure:
        assert_valid_card({**UNKNOWN, "version": "1.6"}, name="posted card")
    text = str(failure.value)
    assert "posted card:" in text and "body[2].items[0].type" in text and "version" in text
