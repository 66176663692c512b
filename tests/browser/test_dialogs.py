"""Teams dialogs in a real client: the poll form from the compose box's message extension, and the nudge form.

The Playground opens dialogs from message-extension commands only (card buttons that open a dialog — task/fetch
— are "not supported yet"). "Create poll" (`createPoll`) is a real message-extension command of the app; the
nudge form is opened here through the same door with its dialog id `nudge.create`, which the bot routes alike —
Teams users open it from the 「ナッジ」 card's button instead, which the Playground cannot.

Through that door a finished form is answered with no response, which closes a message extension's dialog in
Teams; Playground 0.2.28 closes one only for a card to insert into the message box and shows its error otherwise,
so these tests check the answer and close the dialog by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Locator, expect

from bot.timetext import date_text
from playground.organisation import ANNOUNCEMENTS_CHANNEL, GENERAL_CHANNEL
from tests.browser.client import PlaygroundClient


def _submit_closing(client: PlaygroundClient, button: Locator) -> None:
    """Press the form's last button and check the bot's answer is "no response" (it closes the dialog in Teams)."""
    with client.page.expect_response("**/_conversation/v1/invoke") as answer:
        button.click()
    assert answer.value.json() == {}
    client.close_dialogs()


def test_a_poll_made_in_the_compose_box_dialog_is_posted(client: PlaygroundClient) -> None:
    client.open_channel(GENERAL_CHANNEL)
    dialog = client.open_action_command("createPoll")
    dialog.get_by_label("質問(必須)").fill("来週の定例は何曜日がいいですか?")
    dialog.get_by_label("選択肢(1行に1つ、2〜10個)").fill("月曜日\n水曜日\n金曜日")
    expect(dialog.get_by_placeholder("日付を選択(例: 2026/12/04)")).to_be_visible()
    expect(dialog.get_by_placeholder("時刻を選択(例: 9:00)")).to_be_visible()
    client.picture("poll-dialog", of=dialog)
    dialog.get_by_role("button", name="確認へ進む").click()

    expect(dialog.get_by_text("この内容で投稿します")).to_be_visible()
    client.picture("poll-dialog-preview", of=dialog)
    _submit_closing(client, dialog.get_by_role("button", name="この会話に投稿"))
    poll = client.card_in(client.page.locator("body"), "来週の定例は何曜日がいいですか?")
    expect(poll.get_by_role("button", name="水曜日")).to_be_visible()


def test_a_nudge_saved_in_its_dialog_is_confirmed_in_the_channel(client: PlaygroundClient) -> None:
    client.open_channel(ANNOUNCEMENTS_CHANNEL)
    entry = client.card_in(client.post_mentioning_bot("ナッジ"), "ナッジ一覧")
    client.picture("nudge-entry", of=entry)
    dialog = client.open_action_command("nudge.create")
    dialog.get_by_label("メッセージ(500文字まで)").fill("今週の改善アイデアを1つ共有しましょう")
    expect(dialog.get_by_text("毎週: 送る曜日を選んでください(複数選べます)")).to_be_visible()
    expect(dialog.get_by_role("combobox", name="曜日")).to_be_visible()
    day = dialog.get_by_label("日(1〜31。その日がない月は月末)")
    expect(day).to_be_hidden()  # only what 毎週 needs shows; 毎月 shows its day instead, in the client
    dialog.get_by_role("button", name="毎月", exact=True).click()
    expect(day).to_be_visible()
    expect(dialog.get_by_role("combobox", name="曜日")).to_be_hidden()
    dialog.get_by_role("button", name="毎週", exact=True).click()
    expect(day).to_be_hidden()
    client.picture("nudge-dialog", of=dialog)
    _submit_closing(client, dialog.get_by_role("button", name="保存"))
    confirmation = client.card_in(client.page.locator("body"), "今週の改善アイデアを1つ共有しましょう")
    expect(confirmation.get_by_text("毎週 月 9:00(開庁日のみ)")).to_be_visible()
    client.picture("nudge-saved", of=confirmation)
    confirmation.get_by_role("button", name="ナッジ一覧").click()
    listing = client.card_in(client.page.locator("body"), "一時停止")
    client.picture("nudge-list", of=listing)


def test_a_one_off_nudge_shows_only_its_date_and_reads_the_japanese_way_and_deletes_after_asking(
    client: PlaygroundClient,
) -> None:
    client.open_channel(ANNOUNCEMENTS_CHANNEL)
    dialog = client.open_action_command("nudge.create")
    dialog.get_by_label("メッセージ(500文字まで)").fill("年末の大掃除の分担を決めましょう")
    expect(dialog.get_by_role("combobox", name="曜日")).to_be_visible()
    dialog.get_by_role("button", name="1回だけ").click()  # shown at once, in the client: no round trip
    expect(dialog.get_by_text("1回だけ: 送る日付を選んでください")).to_be_visible()
    expect(dialog.get_by_role("combobox", name="曜日")).to_be_hidden()
    day = date.today() + timedelta(days=30)
    dialog.get_by_label("日付").fill(day.isoformat())
    client.picture("nudge-dialog-once", of=dialog)
    _submit_closing(client, dialog.get_by_role("button", name="保存"))

    when = f"{date_text(day, 'ja')} 9:00(1回だけ・開庁日のみ)"  # 「12月24日(木) 9:00(…)」, no 2026-12-24
    confirmation = client.card_in(client.page.locator("body"), "年末の大掃除の分担を決めましょう")
    expect(confirmation.get_by_text(when)).to_be_visible()
    confirmation.get_by_role("button", name="ナッジ一覧").click()
    listing = client.card_in(client.page.locator("body"), "年末の大掃除の分担を決めましょう")
    item = listing.locator(".ac-container").filter(has_text="年末の大掃除の分担を決めましょう").last
    item.get_by_role("button", name="削除").click()
    expect(listing.get_by_text("このナッジを削除しますか？ 削除すると元に戻せません。")).to_be_visible()
    client.picture("nudge-delete-confirm", of=listing)
    listing.get_by_role("button", name="削除する").click()
    expect(listing.get_by_text("ナッジ「年末の大掃除の分担を決めましょう」を削除しました。")).to_be_visible()
    client.picture("nudge-deleted", of=listing)
