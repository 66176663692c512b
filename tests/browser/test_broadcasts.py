"""お知らせ配信 in a real Teams-like client: the admin writes a policy update in the dialog (「確認しました」 with a
deadline, to everyone), previews it, counts its recipients and asks for approval; a second admin approves; the
お知らせ reaches the staff's 1:1 chats, 「確認しました」 turns it into 確認済み, and the author's report counts it; a
recall replaces every delivered card.

The Playground opens dialogs from message-extension commands only, so the form is opened through the compose box's
command `broadcasts.compose` (Teams users open it from the 「お知らせ」 card's 「新しいお知らせ」). It shows the
current user's 1:1 chat only: the second admin (鈴木 一郎) approves through its headless API, as from the 「お知らせ」
card's list of broadcasts waiting for approval. 佐藤 花子 has the app, so a broadcast to everyone reaches her too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from bot.broadcasts.model import BODY_MAX, TITLE_MAX
from bot.i18n import t
from playground.organisation import GENERAL_CHANNEL, PERSONAL_CHAT, SECOND_ADMIN, TEAM
from playground.session import PlaygroundSession
from tests.browser.client import PlaygroundClient
from tests.browser.headless_api import click_card_button_in_personal_chat
from tests.support.bot import TOKYO

TITLE = "テレワーク規程の改定について"
BODY = "**12月1日**から新しいテレワーク規程が適用されます。\n\n- 申請は前日まで\n- 上長の承認が必要です"
COMMENT = "内容を確認しました。送信してください。"
ACKNOWLEDGED = re.compile(r"^✓ 確認済み\(\d{1,2}月\d{1,2}日\([月火水木金土日]\) \d{2}:\d{2}\)$")  # when she clicked


def test_a_broadcast_is_written_approved_acknowledged_reported_and_recalled(
    client: PlaygroundClient, playground: PlaygroundSession
) -> None:
    client.open_channel(GENERAL_CHANNEL)  # the Playground adds the bot to the team when a channel is first opened
    client.open_chat(PERSONAL_CHAT)  # 佐藤 花子 is an admin of the Playground's bot
    overview = client.ask("お知らせ", t("broadcasts.overview.intro"))
    expect(overview.get_by_role("button", name=t("broadcasts.button.new"))).to_be_visible()

    dialog = client.open_action_command("broadcasts.compose")
    deadline = datetime.now(TOKYO).date() + timedelta(days=7)
    dialog.get_by_label(t("broadcasts.form.title", max=TITLE_MAX)).fill(TITLE)
    dialog.get_by_label(t("broadcasts.form.body", max=BODY_MAX)).fill(BODY)
    dialog.get_by_text(t("broadcasts.form.ack")).click()
    dialog.get_by_label(t("broadcasts.form.deadline")).fill(deadline.isoformat())
    teams = dialog.get_by_role("combobox", name=t("broadcasts.form.teams"))
    channels = dialog.get_by_role("combobox", name=t("broadcasts.form.channels"))
    expect(dialog.get_by_text(t("broadcasts.form.audience_none"))).to_be_visible()  # no picker before a choice
    expect(teams).to_be_hidden()
    expect(channels).to_be_hidden()
    dialog.get_by_role("button", name=t("broadcasts.audience_button.teams"), exact=True).click()
    expect(teams).to_be_visible()  # the team the bot is in can be addressed too
    expect(channels).to_be_hidden()
    teams.click()
    team = client.page.get_by_role("menuitemcheckbox", name=TEAM.name)  # by its name, as Teams told the bot
    expect(team).to_be_visible()
    teams.click()
    expect(team).to_be_hidden()
    dialog.get_by_role("button", name=t("broadcasts.audience_button.everyone"), exact=True).click()
    everyone = t("broadcasts.form.audience_chosen", audience=t("broadcasts.audience.everyone"))
    expect(dialog.get_by_text(everyone)).to_be_visible()
    expect(teams).to_be_hidden()  # 全員 needs no channel or team
    expect(channels).to_be_hidden()
    expect(dialog.get_by_placeholder(t("form.date_placeholder"))).to_have_count(2)  # not "Select a date..."
    with client.tall_page():  # the whole form, down to its buttons
        client.picture("broadcast-dialog", of=dialog)
    dialog.get_by_role("button", name=t("broadcasts.button.preview")).click()

    expect(dialog.get_by_text(t("broadcasts.preview.intro"))).to_be_visible()
    expect(dialog.get_by_text(TITLE)).to_be_visible()
    expect(dialog.get_by_text("12月1日から新しいテレワーク規程が適用されます。")).to_be_visible()  # **…** is bold
    expect(dialog.get_by_text(f"確認の期限: {deadline.month}月{deadline.day}日", exact=False)).to_be_visible()
    client.picture("broadcast-preview", of=dialog)
    with client.page.expect_response("**/_conversation/v1/invoke") as counting:
        dialog.get_by_role("button", name=t("broadcasts.button.count")).click()
    assert counting.value.json() == {}  # a message extension's dialog closes with no response
    client.close_dialogs()

    confirm = client.pinned(client.card_in(client.page.locator("body"), t("broadcasts.confirm.title")))
    expect(confirm.get_by_text(t("broadcasts.confirm.needs_approval"))).to_be_visible()
    expect(confirm.get_by_text(t("broadcasts.audience.everyone"))).to_be_visible()
    ask = confirm.get_by_role("button", name=t("broadcasts.button.approval", count=1))
    expect(ask).to_be_visible()
    client.picture("broadcast-confirm", of=confirm)
    with client.page.expect_response("**/_conversation/v1/invoke") as asked:
        ask.click()
    clicked = asked.value.request.post_data_json
    assert clicked is not None
    broadcast_id = clicked["value"]["action"]["data"]["broadcast_id"]
    # 鈴木 一郎 has no 1:1 chat in the Playground: the author hears that another admin can approve from 「お知らせ」.
    expect(confirm.get_by_text(t("broadcasts.confirm.no_approver"))).to_be_visible()

    click_card_button_in_personal_chat(
        playground.url, SECOND_ADMIN, "broadcasts.approve", {"broadcast_id": broadcast_id, "comment": COMMENT}
    )
    decision = client.card_in(client.page.locator("body"), t("broadcasts.decision.approved", name=SECOND_ADMIN.name))
    expect(decision.get_by_text(COMMENT)).to_be_visible()
    client.picture("broadcast-approved", of=decision)

    notice = client.pinned(client.card_in(client.page.locator("body"), t("broadcasts.card.kind")))
    expect(notice.get_by_text(TITLE)).to_be_visible()
    client.picture("broadcast-received", of=notice)
    notice.get_by_role("button", name=t("broadcasts.button.ack")).click()
    expect(notice.get_by_text(ACKNOWLEDGED)).to_be_visible()
    expect(notice.get_by_role("button", name=t("broadcasts.button.ack"))).to_have_count(0)
    client.picture("broadcast-acknowledged", of=notice)

    report = client.pinned(client.card_in(client.page.locator("body"), t("broadcasts.report.title")))
    expect(report.get_by_text(t("broadcasts.status.sent"))).to_be_visible()
    expect(report.get_by_text("1 (100.0 %)", exact=True)).to_have_count(1)  # sent
    acknowledged = t("broadcasts.report.acknowledged_share", count=1, share="100.0 %")  # of those it reached
    expect(report.get_by_text(acknowledged, exact=True)).to_be_visible()
    segment = t("broadcasts.report.segment", name=t("broadcasts.segment.all"), acked=1, reached=1, share="100.0 %")
    expect(report.get_by_text(segment)).to_be_visible()
    client.picture("broadcast-report", of=report)
    overview = client.ask("お知らせ", t("broadcasts.overview.intro"))
    sent = overview.locator(".ac-container").filter(has_text=TITLE).last  # under 最近の配信, with its report
    expect(sent.get_by_text(t("broadcasts.status.sent"), exact=False)).to_be_visible()
    expect(sent.get_by_role("button", name=t("broadcasts.button.report"))).to_be_visible()
    client.picture("broadcast-overview", of=overview)

    report.get_by_role("button", name=t("broadcasts.button.recall")).click()
    expect(report.get_by_text(t("broadcasts.recall.question"))).to_be_visible()
    client.picture("broadcast-recall-confirm", of=report)
    report.get_by_role("button", name=t("broadcasts.button.recall_really")).click()
    expect(report.get_by_text(t("broadcasts.status.recalled"))).to_be_visible()
    expect(notice.get_by_text(t("broadcasts.card.recalled"))).to_be_visible()  # every delivered card, replaced
    client.picture("broadcast-recalled", of=notice)
