"""Every setting the bot reads, typed, from the environment (and an optional `.env`).

One immutable `Settings` object is built at start-up and handed to the app factory; nothing else in the code
reads `os.environ`, so tests build their own `Settings` and point the bot at the loopback Teams channel.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{ROOT / 'data' / 'bot.db'}"
N = TypeVar("N", int, float)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_CLOCK = r"([01]?\d|2[0-3]):[0-5]\d"
_QUIET_HOURS = re.compile(rf"{_CLOCK}-{_CLOCK}")


class SettingsError(ValueError):
    """A setting is missing or contradicts another; the message says which and how to fix it."""


def _split(value: str | None) -> frozenset[str]:
    return frozenset(part.strip().lower() for part in (value or "").split(",") if part.strip())


def _number(kind: type[N], name: str, raw: str | None, default: N) -> N:
    if raw is None or not raw.strip():
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number.") from None


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    allowed_tenant_ids: frozenset[str] = frozenset()
    admin_aad_object_ids: frozenset[str] = frozenset()
    database_url: str = DEFAULT_DATABASE_URL
    tz: str = "Asia/Tokyo"
    host: str = "127.0.0.1"
    port: int = 3978
    # Bot Framework endpoints; empty means the public Azure cloud.
    to_bot_from_channel_token_issuer: str = ""
    to_bot_from_channel_openid_metadata_url: str = ""
    to_channel_from_bot_login_url: str = ""
    to_channel_from_bot_oauth_scope: str = ""
    # Limits.
    max_body_bytes: int = 256 * 1024
    tenant_rate_per_second: float = 50.0
    conversation_rate_per_second: float = 7.0
    dedupe_ttl_seconds: int = 24 * 3600
    run_scheduler: bool = True
    # Where people's browsers reach this bot (download links such as poll exports); empty in dev mode = loopback.
    public_base_url: str = ""
    # Anonymous polls show only "n < threshold" until this many people voted.
    poll_privacy_threshold: int = 5
    # Nothing bot-initiated (nudges) is posted in this daily window, Asia/Tokyo; "HH:MM-HH:MM", may wrap midnight.
    quiet_hours: str = "20:00-08:00"

    @property
    def dev_mode(self) -> bool:
        """Local dev mode: no app id, so inbound auth is off. Only ever allowed on loopback."""
        return not self.app_id

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ROOT / ".env", *, validate: bool = True
    ) -> Settings:
        """Build settings from `.env` (if present) overlaid by the real environment.

        `validate=False` is for tools that read one value (packaging needs the app id, not the secret)."""
        merged: dict[str, str] = {}
        if env_file is not None and env_file.exists():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        get = merged.get
        settings = cls(
            app_id=get("MicrosoftAppId", "").strip(),
            app_password=get("MicrosoftAppPassword", ""),
            app_type=get("MicrosoftAppType", "SingleTenant").strip() or "SingleTenant",
            app_tenant_id=get("MicrosoftAppTenantId", "").strip(),
            allowed_tenant_ids=_split(get("ALLOWED_TENANT_IDS")),
            admin_aad_object_ids=_split(get("ADMIN_AAD_OBJECT_IDS")),
            database_url=get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            tz=get("TZ", "").strip() or "Asia/Tokyo",
            host=get("HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=_number(int, "PORT", get("PORT"), 3978),
            to_bot_from_channel_token_issuer=get("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER", "").strip(),
            to_bot_from_channel_openid_metadata_url=get("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", "").strip(),
            to_channel_from_bot_login_url=get("TO_CHANNEL_FROM_BOT_LOGIN_URL", "").strip(),
            to_channel_from_bot_oauth_scope=get("TO_CHANNEL_FROM_BOT_OAUTH_SCOPE", "").strip(),
            tenant_rate_per_second=_number(float, "TENANT_RATE_PER_SECOND", get("TENANT_RATE_PER_SECOND"), 50.0),
            run_scheduler=(get("RUN_SCHEDULER", "true").strip().lower() not in {"0", "false", "no"}),
            quiet_hours=get("QUIET_HOURS", "").strip() or "20:00-08:00",
            public_base_url=get("PUBLIC_BASE_URL", "").strip().rstrip("/"),
            poll_privacy_threshold=_number(int, "POLL_PRIVACY_THRESHOLD", get("POLL_PRIVACY_THRESHOLD"), 5),
        )
        if validate:
            settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse configurations that would silently run insecurely or half-configured."""
        if self.dev_mode and self.host not in LOOPBACK_HOSTS:
            raise SettingsError(
                f"MicrosoftAppId is empty (local dev mode, authentication OFF) but HOST={self.host!r} is not "
                "loopback. Set MicrosoftAppId/MicrosoftAppPassword, or bind HOST=127.0.0.1."
            )
        if not self.dev_mode:
            if not self.app_password and self.app_type.lower() != "userassignedmsi":
                raise SettingsError("MicrosoftAppPassword is required when MicrosoftAppId is set.")
            if self.app_type.lower() in {"singletenant", "userassignedmsi"} and not self.app_tenant_id:
                raise SettingsError(f"MicrosoftAppTenantId is required for MicrosoftAppType={self.app_type}.")
        if self.public_base_url and not self.public_base_url.startswith(("https://", "http://")):
            raise SettingsError(f"PUBLIC_BASE_URL={self.public_base_url!r} must start with https://")
        if self.poll_privacy_threshold < 1:
            raise SettingsError("POLL_PRIVACY_THRESHOLD must be 1 or more.")
        if not _QUIET_HOURS.fullmatch(self.quiet_hours):
            raise SettingsError(f"QUIET_HOURS={self.quiet_hours!r} must look like 20:00-08:00 (24-hour clock).")
        overrides = self.endpoint_overrides()
        if overrides and len(overrides) != 4:
            raise SettingsError(
                "Set all four Bot Framework endpoint overrides or none: TO_BOT_FROM_CHANNEL_TOKEN_ISSUER, "
                "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, TO_CHANNEL_FROM_BOT_LOGIN_URL, "
                "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE."
            )

    def endpoint_overrides(self) -> dict[str, str]:
        """The parameterised Bot Framework endpoints that are set, under botbuilder's configuration names."""
        pairs = {
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": self.to_bot_from_channel_token_issuer,
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.to_bot_from_channel_openid_metadata_url,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": self.to_channel_from_bot_login_url,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": self.to_channel_from_bot_oauth_scope,
        }
        return {k: v for k, v in pairs.items() if v}

    @property
    def browser_base_url(self) -> str | None:
        """The base URL for links people open in a browser; None when production has not configured one."""
        if self.public_base_url:
            return self.public_base_url
        return f"http://{self.host}:{self.port}" if self.dev_mode else None

    @property
    def sync_database_url(self) -> str:
        """The same database for synchronous clients (APScheduler 3's job store, Alembic)."""
        return self.database_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
