"""The Playground's headless API: act as someone other than the person at the keyboard.

The page always acts as the current user (佐藤 花子). `POST /_internal/v1/customActivities` hands any activity to
the bot as if Teams had sent it, with any `from`; the bot's answer to that activity goes nowhere, but what it
posts or updates in the conversation shows on the page — exactly what the person at the keyboard would see.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

from playground.organisation import BOT_ID, BOT_NAME, TEAM, TENANT_ID, Person


def send_activity(playground_url: str, activity: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{playground_url}/_internal/v1/customActivities",
        data=json.dumps(activity).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200, response.status


def click_card_button_in_channel(
    playground_url: str, person: Person, clicked: dict[str, Any], action_data: dict[str, Any]
) -> None:
    """`person` clicks an Action.Execute button of the same card as `clicked` (the page's own
    `/_conversation/v1/invoke` request body, which names the card's conversation and message)."""
    action = clicked["value"]["action"]
    conversation_id = clicked["conversation"]["id"]
    channel_id = conversation_id.split(";")[0]  # a thread is "<channel id>;messageid=<root message id>"
    _execute(
        playground_url,
        person,
        action["verb"],
        action_data,
        conversation={"id": conversation_id, "conversationType": "channel", "isGroup": True, "tenantId": TENANT_ID},
        channelData={"tenant": {"id": TENANT_ID}, "team": {"id": TEAM.id}, "channel": {"id": channel_id}},
        replyToId=clicked["replyToId"],
    )


def click_card_button_in_personal_chat(playground_url: str, person: Person, verb: str, data: dict[str, Any]) -> None:
    """`person` clicks an Action.Execute button (`verb`, `data`) of a card in their own 1:1 chat with the bot.

    The Playground shows the current user's 1:1 chat only: what the click changes elsewhere — the cards the bot
    posts to the current user — is what the page shows."""
    _execute(
        playground_url,
        person,
        verb,
        data,
        conversation={"id": f"personal-chat-{person.mail_name}", "conversationType": "personal", "tenantId": TENANT_ID},
        channelData={"tenant": {"id": TENANT_ID}},
        locale="ja-JP",
    )


def _execute(playground_url: str, person: Person, verb: str, data: dict[str, Any], **where: Any) -> None:
    """The invoke Teams sends when `person` clicks an Action.Execute button; `where` names the conversation."""
    send_activity(
        playground_url,
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "id": str(uuid.uuid4()),
            "channelId": "msteams",
            "serviceUrl": f"{playground_url}/_connector",
            "from": person.account(),
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            **where,
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
        },
    )
