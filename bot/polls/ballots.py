"""Anonymous ballots: a keyed hash stands in for the voter, so the database can refuse a second ballot without
ever holding who cast the first.

The key is derived from the deployment's anonymity key (`bot.anonymity`), which comes from configuration and is
never stored in the database: a copy of the database and a list of staff ids can't be used to test which hash
belongs to whom. The app secret plays no part, so rotating it changes nothing. The hash is per poll, so one
person's ballots in two polls can't be linked. Each poll records the fingerprint of the key it was opened with;
if the key changes while an anonymous poll is open, voting in it is refused rather than silently allowing a
second ballot per person.

Polls opened before this release were keyed with HMAC(app password, a random secret in the database). They keep
working as long as that legacy key is what it was when this release first saw it (its fingerprint is stored);
once the app secret is rotated, their remaining votes are refused for the same reason.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from bot.anonymity import key_id, purpose_key


def legacy_key(app_password: str, installation_secret: bytes) -> bytes:
    """The ballot key of polls opened before the anonymity key existed."""
    return hmac.new(app_password.encode(), installation_secret, hashlib.sha256).digest()


def anonymous_voter_key(key: bytes, poll_id: str, user_key: str) -> str:
    """The stand-in for `user_key` (an Entra object id) in one poll: HMAC(key, poll_id + ":" + user_key)."""
    return hmac.new(key, f"{poll_id}:{user_key}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class BallotKeys:
    current: bytes  # for polls opened now (derived from the anonymity key)
    legacy: bytes | None  # for polls opened before it; None once the app secret that made it has changed

    @classmethod
    def from_anonymity_key(cls, anonymity_key: bytes, legacy: bytes | None = None) -> BallotKeys:
        return cls(purpose_key(anonymity_key, "poll-ballots"), legacy)

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def for_poll(self, key_id_of_poll: str | None) -> bytes | None:
        """The key a poll's ballots were made with, if this deployment still has it."""
        if key_id_of_poll is None:
            return self.legacy
        return self.current if key_id_of_poll == self.current_id else None
