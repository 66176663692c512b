"""The anonymity key: the secret that stands in for people in anonymous ballots (and reaches anonymous submitters).

It comes from configuration — `ANONYMITY_KEY`, or a key file — and is never written to the database, so a copy of
the database and a list of staff ids is not enough to tell who cast an anonymous ballot. It is independent of the
app secret: rotating `MicrosoftAppPassword` changes nothing for anonymous polls. Each use derives its own key
(`purpose_key`), so a key for one purpose can't stand in for another.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from bot.settings import ROOT, Settings, SettingsError

log = logging.getLogger(__name__)

DEV_KEY_FILE = ROOT / "data" / "anonymity.key"


def _key_file(settings: Settings) -> Path | None:
    if settings.anonymity_key_file:
        return Path(settings.anonymity_key_file)
    return DEV_KEY_FILE if settings.dev_mode else None


def _create(path: Path) -> None:
    """A new random key, readable by the bot's user only; a racing creator's key wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    log.warning(
        "created a new anonymity key in %s: back it up with the database's backups, but never beside them", path
    )


def load_key(settings: Settings) -> bytes:
    """The deployment's anonymity key (32+ bytes)."""
    if settings.anonymity_key:
        return bytes.fromhex(settings.anonymity_key)
    path = _key_file(settings)
    if path is None:
        raise SettingsError("Set ANONYMITY_KEY or ANONYMITY_KEY_FILE.")
    if not path.exists():
        _create(path)
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise SettingsError(f"{path} must hold the anonymity key as hex characters.") from None
    if len(key) < 32:
        raise SettingsError(f"{path} holds a key shorter than 32 bytes.")
    return key


def purpose_key(key: bytes, purpose: str) -> bytes:
    """A separate key for one use of the secret (ballots, export links, reminder tickets…)."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A short fingerprint kept beside data made with the key, so a changed key is noticed instead of silently
    letting people vote again."""
    return purpose_key(key, "key-id").hex()[:16]
