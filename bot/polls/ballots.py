"""Anonymous ballots: a keyed hash stands in for the voter, so the database can refuse a second ballot without
ever holding who cast the first.

The key is HMAC-SHA256(app password, per-installation random secret). The random half lives in the database
(`poll_secrets`, created on first use, so local dev mode without an app password works too); the app password
half never does. A stolen database alone therefore can't be used to test the (enumerable) Entra ids of staff
against the hashes. The hash is per poll, so one person's ballots in two polls can't be linked.

Trade-off: rotating MicrosoftAppPassword changes the key, so someone could vote a second time in an anonymous
poll that was open across the rotation. Rotate between polls, or give the service a dedicated secret.
"""

from __future__ import annotations

import hashlib
import hmac


def derive_key(app_password: str, installation_secret: bytes) -> bytes:
    """The ballot key of this deployment."""
    return hmac.new(app_password.encode(), installation_secret, hashlib.sha256).digest()


def anonymous_voter_key(key: bytes, poll_id: str, user_key: str) -> str:
    """The stand-in for `user_key` (an Entra object id) in one poll: HMAC(key, poll_id + ":" + user_key)."""
    return hmac.new(key, f"{poll_id}:{user_key}".encode(), hashlib.sha256).hexdigest()


def purpose_key(key: bytes, purpose: str) -> bytes:
    """A separate key for another use of the same secret (export links), so one can't stand in for the other."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()
