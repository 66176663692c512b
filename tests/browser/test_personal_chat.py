"""A staff member in their 1:1 chat with the bot, in a real Teams-like client: help, a tip and its feedback, the
display language."""

from __future__ import annotations

from playwright.sync_api import expect

from playground.organisation import PERSONAL_CHAT
from tests.browser.client import PlaygroundClient


def test_help_lists_the_commands(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    card = client.ask("ヘルプ", "使い方")
    for command in ("ヘルプ / help", "言語 / language", "ヒント / tip", "ナッジ / nudge", "投票 / poll"):
        expect(card.get_by_text(command, exact=False).first).to_be_visible()
    client.picture("help", of=card)
    client.picture("playground")


def test_a_tip_takes_feedback(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    tip = client.ask("ヒント", "役に立った")
    client.picture("tip", of=tip)
    tip.get_by_role("button", name="役に立った").click()
    expect(client.page.get_by_text("ご評価ありがとうございます").last).to_be_visible()
    client.picture("tip-thanks")


def test_an_admin_sees_the_least_useful_tips(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)  # 佐藤 花子 is an admin of the Playground's bot (ADMIN_AAD_OBJECT_IDS)
    ratings = client.ask("ヒント 評価", "評価の低いヒント")
    client.picture("tip-ratings", of=ratings)


def test_daily_tips_start_and_stop(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    subscribed = client.ask("毎日ヒント オン 8:30", "開庁日の 8:30 にヒントを1つお届けします")
    client.picture("daily-tip-on", of=subscribed)
    client.ask("毎日ヒント オフ", "毎日のヒントは届いていません")


def test_the_language_can_be_switched_to_english_and_back(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    client.ask("言語 英語", "Display language set to English.")
    try:
        card = client.ask("help", "How to use")
        expect(card.get_by_text("Show this help", exact=False)).to_be_visible()
        client.picture("language-english")
    finally:
        client.ask("言語 日本語", "表示言語を日本語にしました。")
