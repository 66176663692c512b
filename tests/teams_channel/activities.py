"""Builders for inbound activities shaped like the JSON Teams really posts to a bot.

Pure functions returning dicts; `ActivityBuilder` binds the service URL, bot and tenant so a test
only states what matters (text, who, where).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from .config import CHANNEL_ID, DEFAULT_APP_ID, DEFAULT_BOT_NAME, DEFAULT_TENANT_ID

ConversationType = Literal["personal", "groupChat", "channel"]
_last_message_ms = [0]

_TIMEZONES = {"ja-JP": ("Asia/Tokyo", "JP", 9), "en-US": ("America/Los_Angeles", "US", -8)}


def _stable(seed: str, n: int = 32) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


@dataclass(frozen=True)
class User:
    """A Teams user: the `29:` id the channel uses and the Entra object id the bot should key on."""

    name: str = "山田 太郎"
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    id: str = ""
    email: str | None = None
    tenant_id: str = DEFAULT_TENANT_ID
    user_role: str = "user"

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", "29:1" + _stable(self.aad_object_id, 40))
        if self.email is None:
            object.__setattr__(self, "email", f"user-{self.aad_object_id[:8]}@contoso.example")

    def account(self) -> dict[str, Any]:
        """ChannelAccount as it appears in `from` / membersAdded."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    def member(self) -> dict[str, Any]:
        """TeamsChannelAccount as the connector's members APIs return it."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or None,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": self.tenant_id,
            "userRole": self.user_role,
        }


@dataclass(frozen=True)
class Conversation:
    """Where an activity happens; ids follow Teams' formats (`a:1…`, `19:…@thread.v2`, `19:…@thread.tacv2`)."""

    id: str
    type: ConversationType = "personal"
    tenant_id: str = DEFAULT_TENANT_ID
    team_id: str | None = None
    channel_id: str | None = None
    team_name: str | None = None
    aad_group_id: str | None = None
    name: str | None = None

    @classmethod
    def personal(cls, user: User, *, app_id: str = DEFAULT_APP_ID, tenant_id: str | None = None) -> Conversation:
        return cls(f"a:1{_stable(app_id + user.id, 40)}", "personal", tenant_id or user.tenant_id)

    @classmethod
    def group_chat(cls, *, tenant_id: str = DEFAULT_TENANT_ID, name: str | None = None) -> Conversation:
        return cls(f"19:{uuid.uuid4().hex}@thread.v2", "groupChat", tenant_id, name=name)

    @classmethod
    def channel(
        cls,
        *,
        team_id: str | None = None,
        channel_id: str | None = None,
        message_id: str | None = None,
        team_name: str = "オープン&フラット推進",
        tenant_id: str = DEFAULT_TENANT_ID,
    ) -> Conversation:
        team = team_id or f"19:{uuid.uuid4().hex}@thread.tacv2"
        chan = channel_id or team  # the General channel has the team's id
        cid = f"{chan};messageid={message_id}" if message_id else chan
        return cls(cid, "channel", tenant_id, team, chan, team_name, str(uuid.uuid4()))

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"conversationType": self.type, "tenantId": self.tenant_id, "id": self.id}
        if self.type != "personal":
            data = {"isGroup": True, **data}
        if self.name:
            data["name"] = self.name
        return data

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.type == "channel":
            data["teamsChannelId"] = self.channel_id
            data["teamsTeamId"] = self.team_id
            data["channel"] = {"id": self.channel_id}
            data["team"] = {"id": self.team_id, "name": self.team_name, "aadGroupId": self.aad_group_id}
        data["tenant"] = {"id": self.tenant_id}
        return data


def _now(locale: str) -> tuple[str, str, str]:
    tz, _, hours = _TIMEZONES.get(locale, ("UTC", "", 0))
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(dt.timezone(dt.timedelta(hours=hours)))
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z"), local.isoformat(timespec="milliseconds"), tz


def _message_id() -> str:
    """Teams message ids are epoch milliseconds; keep them unique within the process."""
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    _last_message_ms[0] = max(now, _last_message_ms[0] + 1)
    return str(_last_message_ms[0])


def _client_info(locale: str) -> dict[str, Any]:
    tz, country, _ = _TIMEZONES.get(locale, ("UTC", "", 0))
    return {"locale": locale, "country": country, "platform": "Web", "timezone": tz, "type": "clientInfo"}


def _envelope(
    activity_type: str,
    *,
    conversation: Conversation,
    user: User,
    service_url: str,
    app_id: str,
    bot_name: str,
    locale: str,
    activity_id: str | None,
) -> dict[str, Any]:
    timestamp, local_timestamp, tz = _now(locale)
    return {
        "type": activity_type,
        "id": activity_id or (_message_id() if activity_type == "message" else f"f:{uuid.uuid4()}"),
        "timestamp": timestamp,
        "localTimestamp": local_timestamp,
        "localTimezone": tz,
        "serviceUrl": service_url,
        "channelId": CHANNEL_ID,
        "from": user.account(),
        "conversation": conversation.as_json(),
        "recipient": {"id": f"28:{app_id}", "name": bot_name},
        "entities": [_client_info(locale)],
        "channelData": conversation.channel_data(),
        "locale": locale,
    }


def _resolve(
    conversation: Conversation | None,
    conversation_type: ConversationType,
    user: User | None,
    tenant_id: str | None,
    conversation_id: str | None,
    team_id: str | None,
    channel_id: str | None,
    app_id: str,
) -> tuple[Conversation, User]:
    tenant = tenant_id or (conversation.tenant_id if conversation else DEFAULT_TENANT_ID)
    who = user or User(tenant_id=tenant)
    if conversation is not None:
        return conversation, who
    if conversation_type == "personal":
        conv = Conversation.personal(who, app_id=app_id, tenant_id=tenant)
    elif conversation_type == "groupChat":
        conv = Conversation.group_chat(tenant_id=tenant)
    else:
        conv = Conversation.channel(team_id=team_id, channel_id=channel_id, tenant_id=tenant)
    if conversation_id:
        conv = Conversation(
            conversation_id, conv.type, conv.tenant_id, conv.team_id, conv.channel_id, conv.team_name, conv.aad_group_id
        )
    return conv, who


@dataclass(frozen=True)
class Where:
    """Where and by whom an activity happens: every builder takes these as keyword arguments."""

    service_url: str
    app_id: str = DEFAULT_APP_ID
    bot_name: str = DEFAULT_BOT_NAME
    conversation: Conversation | None = None
    conversation_type: ConversationType = "personal"
    user: User | None = None
    tenant_id: str | None = None
    conversation_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    locale: str = "ja-JP"


def _start(activity_type: str, where: Where, activity_id: str | None = None) -> tuple[dict[str, Any], Conversation]:
    """The envelope every activity shares, and the conversation it resolved to."""
    w = where
    conv, who = _resolve(
        w.conversation, w.conversation_type, w.user, w.tenant_id, w.conversation_id, w.team_id, w.channel_id, w.app_id
    )
    activity = _envelope(
        activity_type,
        conversation=conv,
        user=who,
        service_url=w.service_url,
        app_id=w.app_id,
        bot_name=w.bot_name,
        locale=w.locale,
        activity_id=activity_id,
    )
    return activity, conv


def message(
    text: str | None,
    *,
    value: dict[str, Any] | None = None,
    reply_to_id: str | None = None,
    mention_bot: bool = False,
    activity_id: str | None = None,
    **where: Any,
) -> dict[str, Any]:
    """A user's message; `value` makes it an Action.Submit (Teams sends the card's data, no text)."""
    place = Where(**where)
    activity, _ = _start("message", place, activity_id)
    if text is not None:
        mention = f"<at>{place.bot_name}</at>"
        activity["text"] = f"{mention} {text}" if mention_bot else text
        activity["textFormat"] = "plain"
        activity["attachments"] = [{"contentType": "text/html", "content": f"<p>{activity['text']}</p>"}]
        if mention_bot:
            activity["entities"].insert(
                0,
                {
                    "mentioned": {"id": f"28:{place.app_id}", "name": place.bot_name},
                    "text": mention,
                    "type": "mention",
                },
            )
    if value is not None:
        activity["value"] = value
        activity["channelData"]["source"] = {"name": "message"}
        if reply_to_id:
            activity["channelData"]["legacy"] = {"replyToId": reply_to_id}
    if reply_to_id:
        activity["replyToId"] = reply_to_id
    return activity


_EVENT_TYPES = {
    ("channel", True): "teamMemberAdded",
    ("channel", False): "teamMemberRemoved",
}


def conversation_update(
    *,
    members_added: list[dict[str, Any]] | None = None,
    members_removed: list[dict[str, Any]] | None = None,
    event_type: str | None = None,
    **where: Any,
) -> dict[str, Any]:
    """conversationUpdate; with no members given, the bot itself was added (app installed)."""
    place = Where(**where)
    activity, conv = _start("conversationUpdate", place)
    del activity["entities"], activity["locale"], activity["localTimestamp"], activity["localTimezone"]
    if members_added is None and members_removed is None:
        members_added = [{"id": f"28:{place.app_id}"}]
    if members_added is not None:
        activity["membersAdded"] = members_added
    if members_removed is not None:
        activity["membersRemoved"] = members_removed
    kind = event_type or _EVENT_TYPES.get((conv.type, members_added is not None))
    if kind:
        activity["channelData"] = {"eventType": kind, **activity["channelData"]}
    return activity


def installation_update(
    action: Literal["add", "remove", "add-upgrade", "remove-upgrade"] = "add", **where: Any
) -> dict[str, Any]:
    """installationUpdate (app added to / removed from a personal scope, chat or team)."""
    activity, conv = _start("installationUpdate", Where(**where))
    activity["action"] = action
    if conv.type == "channel":
        activity["channelData"]["settings"] = {"selectedChannel": {"id": conv.channel_id}}
        activity["channelData"]["source"] = {"name": "team"}
    return activity


def invoke(
    name: str, value: dict[str, Any] | None = None, *, reply_to_id: str | None = None, **where: Any
) -> dict[str, Any]:
    """Any invoke: task/fetch, task/submit, composeExtension/fetchTask, adaptiveCard/action …"""
    activity, _ = _start("invoke", Where(**where))
    activity["name"] = name
    activity["value"] = value if value is not None else {}
    activity["channelData"]["source"] = {"name": "message"}
    if reply_to_id:
        activity["replyToId"] = reply_to_id
        activity["channelData"]["legacy"] = {"replyToId": reply_to_id}
    return activity


def card_action(
    verb: str,
    data: dict[str, Any] | None = None,
    *,
    title: str | None = None,
    action_id: str | None = None,
    service_url: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """An Action.Execute click: invoke `adaptiveCard/action` with value.action.verb/data, trigger manual."""
    action: dict[str, Any] = {"type": "Action.Execute", "verb": verb, "data": dict(data or {})}
    if title is not None:
        action["title"] = title
    if action_id is not None:
        action["id"] = action_id
    return invoke("adaptiveCard/action", {"action": action, "trigger": "manual"}, service_url=service_url, **kwargs)


def task_fetch(data: dict[str, Any] | None = None, *, service_url: str, **kwargs: Any) -> dict[str, Any]:
    """task/fetch as sent for an Action.Submit with msteams.type "task/fetch"."""
    value = {
        "type": "task/fetch",
        "data": {"msteams": {"type": "task/fetch"}, **(data or {})},
        "context": {"theme": "default"},
    }
    return invoke("task/fetch", value, service_url=service_url, **kwargs)


def task_submit(data: dict[str, Any], *, service_url: str, **kwargs: Any) -> dict[str, Any]:
    """task/submit: the dialog's form data under value.data."""
    value = {"type": "task/submit", "data": data, "context": {"theme": "default"}}
    return invoke("task/submit", value, service_url=service_url, **kwargs)


class ActivityBuilder:
    """The builders with service URL, bot id/name and tenant filled in from the emulator."""

    def __init__(
        self,
        *,
        service_url: str,
        app_id: str = DEFAULT_APP_ID,
        bot_name: str = DEFAULT_BOT_NAME,
        tenant_id: str = DEFAULT_TENANT_ID,
    ) -> None:
        self.service_url = service_url
        self.app_id = app_id
        self.bot_name = bot_name
        self.tenant_id = tenant_id

    def _bound(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs.setdefault("service_url", self.service_url)
        kwargs.setdefault("app_id", self.app_id)
        kwargs.setdefault("bot_name", self.bot_name)
        if kwargs.get("conversation") is None:
            kwargs.setdefault("tenant_id", self.tenant_id)
        return kwargs

    def user(self, name: str = "山田 太郎", **kwargs: Any) -> User:
        return User(name=name, tenant_id=kwargs.pop("tenant_id", self.tenant_id), **kwargs)

    def personal(self, user: User) -> Conversation:
        return Conversation.personal(user, app_id=self.app_id, tenant_id=self.tenant_id)

    def message(self, text: str | None, **kwargs: Any) -> dict[str, Any]:
        return message(text, **self._bound(kwargs))

    def conversation_update(self, **kwargs: Any) -> dict[str, Any]:
        return conversation_update(**self._bound(kwargs))

    def installation_update(
        self, action: Literal["add", "remove", "add-upgrade", "remove-upgrade"] = "add", **kwargs: Any
    ) -> dict[str, Any]:
        return installation_update(action, **self._bound(kwargs))

    def invoke(self, name: str, value: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return invoke(name, value, **self._bound(kwargs))

    def card_action(self, verb: str, data: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return card_action(verb, data, **self._bound(kwargs))

    def task_fetch(self, data: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        return task_fetch(data, **self._bound(kwargs))

    def task_submit(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return task_submit(data, **self._bound(kwargs))
