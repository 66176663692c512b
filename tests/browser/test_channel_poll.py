"""A quick poll in a team channel: @mention the bot with the one-liner, vote as two people, see the count."""

from __future__ import annotations

from playwright.sync_api import expect

from playground.organisation import COLLEAGUES, GENERAL_CHANNEL
from playground.session import PlaygroundSession
from tests.browser.client import PlaygroundClient
from tests.browser.headless_api import click_card_button_in_channel

QUESTION = "今日のランチ?"
OPTIONS = ("和食", "洋食", "中華")


def test_two_people_vote_and_the_channel_sees_the_count(
    client: PlaygroundClient, playground: PlaygroundSession
) -> None:
    client.open_channel(GENERAL_CHANNEL)
    thread = client.post_mentioning_bot(f"投票 {QUESTION} / {' / '.join(OPTIONS)}")
    poll = client.card_in(thread, QUESTION)
    for option in OPTIONS:
        expect(poll.get_by_role("button", name=option)).to_be_visible()
    expect(poll.get_by_text("回答 0人")).to_be_visible()
    client.picture("poll-new", of=poll)

    with client.page.expect_request("**/_conversation/v1/invoke") as my_click:
        poll.get_by_role("button", name=OPTIONS[0]).click()
    expect(poll.get_by_text("回答 1人")).to_be_visible()

    clicked = my_click.value.post_data_json
    assert clicked is not None
    other_choice = {**clicked["value"]["action"]["data"], "choice": OPTIONS.index("洋食")}
    click_card_button_in_channel(playground.url, COLLEAGUES[0], clicked, other_choice)
    expect(poll.get_by_text("回答 2人")).to_be_visible()
    client.picture("poll-voted", of=thread)

    poll.get_by_role("button", name="作成者メニュー").click()
    expect(thread.get_by_text("作成者メニュー(あなただけに表示)")).to_be_visible()
    client.picture("poll-creator-menu", of=poll)
