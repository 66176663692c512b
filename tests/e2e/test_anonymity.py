"""Anonymous means anonymous: with the database and the list of staff ids, nobody can tell who cast which
anonymous ballot unless they also hold ANONYMITY_KEY, which never enters the database; and rotating the app
secret neither reveals anything nor lets anyone vote twice."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from sqlalchemy import select, text

from bot.anonymity import purpose_key
from bot.i18n import t
from bot.polls.tables import poll_ballots, poll_choices
from tests.e2e.test_polls import LUNCH, Room
from tests.support.bot import TEST_ANONYMITY_KEY, RunningBot, start_bot
from tests.teams_channel.channel import TeamsChannel


def _attempts(secrets: list[bytes], poll_id: str, aad_id: str, passwords: tuple[str, ...] = ("",)) -> set[str]:
    """Every keyed hash an attacker can build from material found in the database and the app passwords they may
    know (the old ballot key was HMAC(app password, a secret kept in the database): in dev mode, or with a
    managed identity, the password is empty)."""
    keys: list[bytes] = []
    for secret in secrets:
        keys += [secret, hashlib.sha256(secret).digest(), purpose_key(secret, "poll-ballots")]
        keys += [hmac.new(password.encode(), secret, hashlib.sha256).digest() for password in passwords]
    return {hmac.new(key, f"{poll_id}:{aad_id}".encode(), hashlib.sha256).hexdigest() for key in keys}


async def _dump(bot: RunningBot) -> list[str]:
    """Every value in every table, as an attacker with a copy of the database reads it."""
    values: list[str] = []
    async with bot.platform.store.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync))
        for table in tables:
            for row in await conn.execute(text(f'SELECT * FROM "{table}"')):
                values += [str(value) for value in row if value is not None]
    return values


async def test_the_database_and_the_staff_list_do_not_reveal_an_anonymous_voter(
    channel: TeamsChannel, sqlite_url: str
) -> None:
    bot = await start_bot(channel, sqlite_url)
    try:
        room = await Room.install(bot)
        poll = await room.create({**LUNCH, "anonymous": "true"})
        staff = [channel.builder.user(f"職員 {i}") for i in range(6)]
        for number, person in enumerate(staff):
            await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": number % 3}, person)
        async with bot.platform.store.engine.connect() as conn:
            ballots = {key for (key,) in await conn.execute(select(poll_ballots.c.voter_key))}
            choices = list(await conn.execute(select(poll_choices.c.voter_key, poll_choices.c.option)))
        database = await _dump(bot)
    finally:
        await bot.stop()
    assert len(ballots) == 6 and len(choices) == 6
    ids = [person.aad_object_id for person in staff]
    assert not any(aad in value for value in database for aad in ids)  # no plain id anywhere
    assert TEST_ANONYMITY_KEY not in "".join(database)  # the key is not in the database
    # The attacker tries every secret-looking value of the database, with and without the app password.
    material = [value.encode() for value in database if len(value) >= 16]
    material += [bytes.fromhex(value) for value in database if len(value) == 64 and _is_hex(value)]
    passwords = ("", channel.app_password)
    guesses = {guess for aad in ids for guess in _attempts(material, poll.poll_id, aad, passwords)}
    assert not ballots & guesses  # re-identification fails without the key…
    with_key = {guess for aad in ids for guess in _attempts([bytes.fromhex(TEST_ANONYMITY_KEY)], poll.poll_id, aad)}
    assert ballots <= with_key  # …and the attempt itself is sound: the key holder can link every ballot


def _is_hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


async def test_rotating_the_app_secret_keeps_one_ballot_per_person_and_a_new_key_refuses_votes(
    channel: TeamsChannel, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    voter = channel.builder.user("鈴木 一郎")
    first = await start_bot(channel, url)
    try:
        room = await Room.install(first)
        poll = await room.create({**LUNCH, "anonymous": "true"})
        await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 0}, voter)
    finally:
        await first.stop()

    rotated = await start_bot(channel, url, **channel.env(app_password="a-rotated-client-secret"))
    try:
        room.bot = rotated
        await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 1}, voter)  # a change of mind, not a 2nd
        async with rotated.platform.store.engine.connect() as conn:
            assert len(list(await conn.execute(select(poll_ballots)))) == 1
            assert [option for (option,) in await conn.execute(select(poll_choices.c.option))] == [1]
    finally:
        await rotated.stop()

    rekeyed = await start_bot(channel, url, ANONYMITY_KEY="c3" * 32)  # the anonymity key itself changed
    try:
        room.bot = rekeyed
        answer = await room.click("poll.vote", {"poll_id": poll.poll_id, "choice": 2}, voter)
        assert answer["value"] == t("polls.vote.key_changed")
        async with rekeyed.platform.store.engine.connect() as conn:
            assert len(list(await conn.execute(select(poll_ballots)))) == 1  # nobody votes twice
    finally:
        await rekeyed.stop()
    channel.env()  # the emulator knows the original secret again for the next tests
