"""A quick poll in a team channel: @mention the bot with the one-liner, vote as two people, see every option's count
and share in words, and see your own vote again after the shared card was updated; the creator's menu folds its
repeat settings, and 結果の詳細 is headed as such."""

from __future__ import annotations

from playwright.sync_api import expect

from playground.organisation import COLLEAGUES, GENERAL_CHANNEL
from playground.session import PlaygroundSession
from tests.browser.client import PlaygroundClient
from tests.browser.headless_api import click_card_button_in_channel

QUESTION = "今日のランチ?"
OPTIONS = ("和食", "洋食", "中華")


def test_two_people_vote_and_each_sees_the_counts_and_their_own_vote(
    client: PlaygroundClient, playground: PlaygroundSession
) -> None:
    client.open_channel(GENERAL_CHANNEL)
    thread = client.post_mentioning_bot(f"投票 {QUESTION} / {' / '.join(OPTIONS)}")
    poll = client.card_in(thread, QUESTION)
    for option in OPTIONS:
        expect(poll.get_by_role("button", name=option)).to_be_visible()
    expect(poll.get_by_text("回答 0人")).to_be_visible()
    expect(poll.get_by_text("0人(0%)")).to_have_count(3)  # a count per option, not an axis of 1.67e-5 steps
    expect(poll.get_by_text("e-5")).to_have_count(0)
    client.picture("poll-new", of=poll)

    with client.page.expect_response("**/_conversation/v1/invoke") as my_click:
        poll.get_by_role("button", name=OPTIONS[0]).click()
    own_view = my_click.value.json()["value"]  # the click's answer: my own view (Teams shows it to me alone)
    assert "あなたの回答: 和食" in str(own_view) and "✓ 和食" in str(own_view)
    # Within 3 s the shared update with the new count replaces it for everyone, as the client reported.
    expect(poll.get_by_text("回答 1人")).to_be_visible()
    expect(poll.get_by_role("button", name="自分の回答を表示")).to_be_visible()

    clicked = my_click.value.request.post_data_json
    assert clicked is not None
    other_choice = {**clicked["value"]["action"]["data"], "choice": OPTIONS.index("洋食")}
    click_card_button_in_channel(playground.url, COLLEAGUES[0], clicked, other_choice)
    expect(poll.get_by_text("回答 2人")).to_be_visible()  # the shared update reached everyone
    expect(poll.get_by_text("1人(50%)")).to_have_count(2)

    # Teams refreshes the shared card into each viewer's own view by itself (Universal Actions `refresh`); the
    # Playground runs no refresh, so this is the button Teams users beyond the 60 it refreshes for would press.
    poll.get_by_role("button", name="自分の回答を表示").click()
    expect(poll.get_by_text("あなたの回答: 和食")).to_be_visible()
    expect(poll.get_by_role("button", name="✓ 和食")).to_be_visible()
    expect(poll.get_by_text("回答 2人")).to_be_visible()  # my own vote, with everybody's totals
    expect(poll.get_by_text("別の選択肢を押すと、回答を変更できます。")).to_be_visible()
    client.picture("poll-voted", of=thread)

    poll.get_by_role("button", name="作成者メニュー").click()
    expect(poll.get_by_text("作成者メニュー(あなただけに表示)")).to_be_visible()
    expect(poll.get_by_text("この投票は繰り返し投稿していません。")).to_be_visible()
    expect(poll.get_by_role("combobox", name="曜日")).to_be_hidden()  # folded until 毎週 or 毎月 is chosen
    client.picture("poll-creator-menu", of=poll)
    poll.get_by_role("button", name="毎週投稿する").click()
    expect(poll.get_by_role("combobox", name="曜日")).to_be_visible()
    expect(poll.get_by_role("spinbutton", name="日(1〜28)")).to_be_hidden()
    client.picture("poll-repeat", of=poll)

    poll.get_by_role("button", name="結果の詳細").click()
    expect(poll.get_by_text("結果の詳細(あなただけに表示)")).to_be_visible()
    expect(poll.get_by_text("作成者メニュー(あなただけに表示)")).to_have_count(0)
