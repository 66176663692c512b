"""Who submitted an idea, kept so that only what each person may know can be known.

- `owner_tag`: a keyed hash of the submitter, stored on every idea. With the anonymity key the bot can find "my
  ideas" for the person asking; without it (a copy of the database) it links nobody.
- `seal` / `unseal`: AES-GCM with a key derived from the anonymity key, for what must be kept but never shown — how
  to message an anonymous submitter, and who a pseudonymous one is (for a moderator's audited reveal).
- `pseudonym`: a stable short code per person, the same on all their pseudonymous ideas.
- `personal_data`: what in a text looks like a phone number, an e-mail address or a 12-digit number (マイナンバー),
  so the form can warn before it is posted for everyone to read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.anonymity import purpose_key
from bot.numbers import fold_width

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed without mistakes
_PHONE = re.compile(r"(?<![0-9])(?:\+81[- ]?|0)[0-9]{1,4}[- (]?[0-9]{1,4}[- )]?[0-9]{3,4}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_TWELVE = re.compile(r"(?<![0-9])[0-9]{4}[- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9])")


class Keys:
    """The idea box's keys, each derived for one purpose from the deployment's anonymity key."""

    def __init__(self, anonymity_key: bytes) -> None:
        self._owner = purpose_key(anonymity_key, "idea-owner")
        self._votes = purpose_key(anonymity_key, "idea-votes")
        self._pseudonym = purpose_key(anonymity_key, "idea-pseudonym")
        self._seal = AESGCM(purpose_key(anonymity_key, "idea-seal"))

    def owner_tag(self, user_key: str) -> str:
        return hmac.new(self._owner, user_key.encode(), hashlib.sha256).hexdigest()

    def voter_key(self, idea_id: str, user_key: str) -> str:
        return hmac.new(self._votes, f"{idea_id}:{user_key}".encode(), hashlib.sha256).hexdigest()

    def pseudonym(self, user_key: str) -> str:
        digest = hmac.new(self._pseudonym, user_key.encode(), hashlib.sha256).digest()
        return "".join(PSEUDONYM_ALPHABET[byte % len(PSEUDONYM_ALPHABET)] for byte in digest[:6])

    def seal(self, data: dict[str, Any]) -> str:
        nonce = os.urandom(12)
        sealed = self._seal.encrypt(nonce, json.dumps(data, ensure_ascii=False).encode(), b"idea")
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def unseal(self, token: str) -> dict[str, Any]:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        data: dict[str, Any] = json.loads(self._seal.decrypt(raw[:12], raw[12:], b"idea"))
        return data


def personal_data(text: str) -> list[str]:
    """The kinds of personal data the text seems to hold: phone, email, number12 (in that order, each once)."""
    folded = fold_width(text)
    found = []
    phone = _PHONE.search(folded)
    if phone is not None and sum(char.isdigit() for char in phone.group()) >= 10:
        found.append("phone")
    if _EMAIL.search(folded):
        found.append("email")
    if _TWELVE.search(folded):
        found.append("number12")
    return found
