"""The pretend Japanese organisation the Playground shows: who works there, their chats and their team.

One source for the Playground's `.m365agentsplayground.yml` and for the browser tests (which act as these people).
The Playground 0.2.28 wants exactly 5 `users` besides the current user, one group chat, and one team whose
channels are its General channel (named by the Playground, its id is the team id) plus one more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

TENANT_ID = "00000000-0000-0000-0000-000000000001"
BOT_ID = "00000000-0000-0000-0000-000000000011"
BOT_NAME = "オープン&フラットBot"
MAIL_DOMAIN = "example.metro.tokyo.lg.jp"


@dataclass(frozen=True)
class Person:
    id: str
    surname: str
    given_name: str
    mail_name: str
    aad_object_id: str

    @property
    def name(self) -> str:
        return f"{self.surname} {self.given_name}"

    @property
    def email(self) -> str:
        return f"{self.mail_name}@{MAIL_DOMAIN}"

    def account(self) -> dict[str, str]:
        """As a Bot Framework activity names its sender."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


@dataclass(frozen=True)
class Place:
    id: str
    name: str


def _person(number: int, surname: str, given_name: str, mail_name: str) -> Person:
    return Person(f"user-{mail_name}", surname, given_name, mail_name, f"00000000-0000-0000-0000-0000000000{number}")


ME = _person(20, "佐藤", "花子", "hanako.sato")
COLLEAGUES = (
    _person(21, "鈴木", "一郎", "ichiro.suzuki"),
    _person(22, "高橋", "結衣", "yui.takahashi"),
    _person(23, "田中", "健太", "kenta.tanaka"),
    _person(24, "伊藤", "美咲", "misaki.ito"),
    _person(25, "渡辺", "翔", "sho.watanabe"),
)
EVERYONE = (ME, *COLLEAGUES)
# The bot's admins: the current user, and a colleague to approve her broadcasts (二者承認 needs a second admin).
SECOND_ADMIN = COLLEAGUES[0]
ADMINS = (ME, SECOND_ADMIN)
PERSONAL_CHAT = Place("personal-chat-hanako-sato", "Personal Chat")
GROUP_CHAT = Place("group-chat-kaikaku", "改革推進チーム")
TEAM = Place("team-digital-service", "デジタルサービス局")
TEAM_AAD_GROUP_ID = "00000000-0000-0000-0000-000000000031"
# The Playground names the General channel itself ("General"); its conversation id is the team id.
GENERAL_CHANNEL = Place(TEAM.id, "General")
ANNOUNCEMENTS_CHANNEL = Place("channel-oshirase", "お知らせ")


def _scalar(value: str) -> str:
    """A YAML scalar: a JSON string is a valid double-quoted YAML scalar, so no YAML library is needed."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_person(person: Person, indent: str) -> list[str]:
    fields = {
        "id": person.id,
        "name": person.name,
        "userPrincipleName": person.email,  # sic: the Playground's spelling
        "aadObjectId": person.aad_object_id,
        "givenName": person.given_name,
        "surname": person.surname,
        "email": person.email,
    }
    return [f"{indent}{key}: {_scalar(value)}" for key, value in fields.items()]


def playground_config() -> str:
    """The `.m365agentsplayground.yml` text."""
    lines = [
        'version: "0.1.1"',
        f"tenantId: {_scalar(TENANT_ID)}",
        "bot:",
        f"  id: {_scalar(BOT_ID)}",
        f"  name: {_scalar(BOT_NAME)}",
        "currentUser:",
        *_yaml_person(ME, "  "),
        "users:",
    ]
    for person in COLLEAGUES:
        first, *rest = _yaml_person(person, "    ")
        lines += ["  - " + first.strip(), *rest]
    lines += [
        "personalChat:",
        f"  id: {_scalar(PERSONAL_CHAT.id)}",
        "groupChat:",
        f"  id: {_scalar(GROUP_CHAT.id)}",
        f"  name: {_scalar(GROUP_CHAT.name)}",
        "team:",
        f"  id: {_scalar(TEAM.id)}",
        f"  name: {_scalar(TEAM.name)}",
        f"  aadGroupId: {_scalar(TEAM_AAD_GROUP_ID)}",
        "  channels:",
        f"    - id: {_scalar(ANNOUNCEMENTS_CHANNEL.id)}",
        f"      name: {_scalar(ANNOUNCEMENTS_CHANNEL.name)}",
    ]
    return "\n".join(lines) + "\n"
