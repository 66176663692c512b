"""The idea box in a real Teams-like client: the admin makes the General channel the idea channel, an idea is
written in the compose box's dialog, its card appears in the channel and takes a vote, its author finds it in
their 1:1 chat, and a reviewer's answer reaches them.

The Playground opens dialogs from message-extension commands only, so the idea form is opened through the app's
own "post an idea" command (`ideas.submit`), as a Teams user can from the compose box.
"""

from __future__ import annotations

from playwright.sync_api import expect

from bot.i18n import t
from bot.ideas.model import BODY_MAX, TITLE_MAX
from playground.organisation import GENERAL_CHANNEL, PERSONAL_CHAT
from tests.browser.client import PlaygroundClient

TITLE = "会議資料を前日までにTeamsで共有する"


def test_an_idea_is_posted_voted_for_found_and_answered(client: PlaygroundClient) -> None:
    client.open_channel(GENERAL_CHANNEL)
    client.card_in(client.post_mentioning_bot("アイデア 投稿先 全体"), t("ideas.channel.title"))

    dialog = client.open_action_command("ideas.submit")
    dialog.get_by_label(t("ideas.form.title", max=TITLE_MAX)).fill("")
    dialog.get_by_role("button", name=t("ideas.button.next")).click()
    expect(dialog.get_by_text(t("ideas.error.title_empty"))).to_be_visible()
    dialog.get_by_label(t("ideas.form.title", max=TITLE_MAX)).fill(TITLE)
    dialog.get_by_label(t("ideas.form.body", max=BODY_MAX)).fill(
        "当日配布の紙をなくし、事前に読んでから会議に臨めます。"
    )
    client.picture("idea-dialog", of=dialog)
    dialog.get_by_role("button", name=t("ideas.button.next")).click()
    client.close_dialogs()

    idea = client.card_in(client.page.locator("body"), TITLE)
    expect(idea.get_by_text(t("ideas.card.counts", votes=0, comments=0))).to_be_visible()
    idea.get_by_role("button", name=t("ideas.button.vote")).click()
    expect(idea.get_by_text(t("ideas.card.counts", votes=1, comments=0))).to_be_visible()
    client.picture("idea-card", of=idea)

    client.open_chat(PERSONAL_CHAT)
    mine = client.ask("自分のアイデア", t("ideas.mine.title"))
    expect(mine.get_by_text(TITLE)).to_be_visible()
    client.picture("idea-mine", of=mine)

    queue = client.ask("レビュー", t("ideas.queue.title"))  # 佐藤 花子 is an admin: admins review too
    client.picture("idea-queue", of=queue)
    queue.get_by_role("button", name=t("ideas.button.review")).first.click()
    queue.get_by_label(t("ideas.review.answer")).first.fill("来月の部長会で検討します。")
    queue.get_by_role("button", name=t("ideas.button.review_save")).first.click()
    note = client.card_in(client.page.locator("body"), t("ideas.notify.title", status=t("ideas.status.reviewing")))
    expect(note.get_by_text("来月の部長会で検討します。")).to_be_visible()
    client.picture("idea-answered", of=note)


def test_an_admin_reads_the_audit_log(client: PlaygroundClient) -> None:
    client.open_chat(PERSONAL_CHAT)  # 佐藤 花子 is an admin of the Playground's bot
    log = client.ask("監査ログ", t("audit.title"))
    expect(log.get_by_role("button", name=t("audit.button.export"))).to_be_visible()
    client.picture("audit-log", of=log)
