"""A staff member in their 1:1 chat with the bot, in a real Teams-like client: help, a tip and its feedback, the
display language."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from playground.organisation import ANNOUNCEMENTS_CHANNEL, GENERAL_CHANNEL, PERSONAL_CHAT
from tests.browser.client import BOT_MESSAGE, CARD, PlaygroundClient


def test_help_lists_what_runs_and_the_commands(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    card = client.ask("ヘルプ", "使い方")
    for command in ("ヘルプ / help", "言語 / language", "ヒント / tip", "ナッジ / nudge", "投票 / poll"):
        expect(card.get_by_text(command, exact=False).first).to_be_visible()
    for offer in ("シン・トセイのヒント:", "ナッジ:", "クイック投票:", "アイデア投稿"):  # from the running features
        expect(card.get_by_text(offer, exact=False).first).to_be_visible()
    # 佐藤 花子 is an admin: her help also lists the admins' command 「お知らせ」 (お知らせ配信).
    expect(card.get_by_text("お知らせ / broadcast", exact=False)).to_be_visible()
    client.picture("help", of=card)
    client.picture("playground")


def test_a_tip_takes_feedback(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    tip = client.ask("ヒント", "役に立った")
    client.picture("tip", of=tip)
    tip.get_by_role("button", name="役に立った").click()
    expect(client.page.get_by_text("ご評価ありがとうございます").last).to_be_visible()
    expect(tip.get_by_role("button", name="✓ 役に立った")).to_be_visible()  # the choice shows on the button
    client.picture("tip-thanks")


def test_tip_categories_show_their_counts_and_a_click_says_where_the_tip_went(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    categories = client.ask("ひんと いちらん", "ヒントのカテゴリ")  # hiragana typed by an unconverted IME
    expect(categories.get_by_role("button", name="ペーパーレス", exact=False)).to_contain_text("件")
    client.picture("tip-categories", of=categories)
    tips = client.page.locator(BOT_MESSAGE).filter(has_text="役に立った")
    before = tips.count()
    categories.get_by_role("button", name="ペーパーレス", exact=False).click()
    expect(tips).to_have_count(before + 1)
    message = client.page.locator(BOT_MESSAGE).filter(has_text="ヒントのカテゴリ").last
    expect(message.get_by_text("新しいメッセージでお送りしました。")).to_be_visible()  # not an empty bar


def test_an_admin_sees_the_least_useful_tips(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)  # 佐藤 花子 is an admin of the Playground's bot (ADMIN_AAD_OBJECT_IDS)
    ratings = client.ask("ヒント 評価", "評価の低いヒント")
    client.picture("tip-ratings", of=ratings)


def test_daily_tips_start_and_stop(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    subscribed = client.ask("毎日ヒント オン 8:30", "開庁日の 8:30 にヒントを1つお届けします")
    client.picture("daily-tip-on", of=subscribed)
    stopped = client.ask("毎日ヒント オフ", "毎日のヒントを停止しました")  # a confirmation, not a status
    expect(stopped.get_by_text("このチャットには、もう毎日のヒントは届きません。", exact=False)).to_be_visible()


def test_the_language_can_be_switched_to_english_and_back(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)
    client.ask("言語 英語", "Display language set to English.")
    try:
        card = client.ask("help", "How to use")
        expect(card.get_by_text("Show how to use the bot", exact=False)).to_be_visible()
        client.picture("language-english")
    finally:
        client.ask("言語 日本語", "表示言語を日本語にしました。")


def test_the_channel_welcome_speaks_the_installers_chosen_language(client: PlaygroundClient) -> None:
    """The Playground's client says en-US; the person who installed the app in the team chose 日本語, and that wins.
    (The Playground installs the app in the team through one of its channels: the welcome is in that one.)"""
    welcome = client.page.locator(CARD).filter(has_text="オープン&フラットBotへようこそ")
    for channel in (GENERAL_CHANNEL, ANNOUNCEMENTS_CHANNEL):
        client.open_channel(channel)
        try:
            welcome.first.wait_for(timeout=3_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(welcome.last.get_by_text("クイック投票:", exact=False)).to_be_visible()
    expect(client.page.get_by_text("Welcome to Open & Flat Bot")).to_have_count(0)
    client.picture("welcome", of=welcome.last)
