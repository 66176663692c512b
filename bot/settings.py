"""Every setting the bot reads, typed, from the environment (and an optional `.env`).

`EnvSettings` is the one way to declare settings: a pydantic model whose field aliases are the environment
variable names and whose descriptions document them (`.env.example` and the README must list every one; a test
checks). The platform's `Settings` is built at start-up; each feature declares its own model beside its code and
reads it from the same merged environment (`Settings.env`). Nothing else reads `os.environ`, so tests build
their own settings and point the bot at the loopback Teams channel.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{ROOT / 'data' / 'bot.db'}"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CLOCK = r"([01]?\d|2[0-3]):[0-5]\d"


class SettingsError(ValueError):
    """A setting is missing or contradicts another; the message says which and how to fix it."""


def read_env(environ: Mapping[str, str] | None = None, env_file: Path | None = ROOT / ".env") -> dict[str, str]:
    """`.env` (if present) overlaid by the real environment (or `environ`)."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.exists():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def comma_ids(value: Any) -> frozenset[str]:
    """A comma-separated list of ids (Entra object ids, tenant ids), folded to lower case."""
    if isinstance(value, frozenset | set | list | tuple):
        return frozenset(str(part).strip().lower() for part in value if str(part).strip())
    return frozenset(part.strip().lower() for part in str(value or "").split(",") if part.strip())


class EnvSettings(BaseModel):
    """Settings from environment variables: each field's alias is its variable, its description its docs.

    Empty values count as unset (`FOO=` in .env keeps the default)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", str_strip_whitespace=True)
    _env: dict[str, str] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ROOT / ".env") -> Self:
        return cls.parse(read_env(environ, env_file))

    @classmethod
    def parse(cls, env: Mapping[str, str]) -> Self:
        """Read the model's variables from an already merged environment; errors name the variable."""
        given = {
            field.alias: env[field.alias]
            for field in cls.model_fields.values()
            if field.alias and field.alias in env and str(env[field.alias]).strip()
        }
        try:
            settings = cls.model_validate(given)
        except ValidationError as error:
            raise SettingsError(_explain(cls, error, given)) from None
        settings._env = dict(env)
        return settings

    @property
    def env(self) -> dict[str, str]:
        """The environment these settings came from (features read their own settings from it)."""
        return self._env

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Variable name → description, for the docs check."""
        return {field.alias: field.description or "" for field in cls.model_fields.values() if field.alias}


def _explain(model: type[BaseModel], error: ValidationError, given: Mapping[str, str]) -> str:
    aliases = {name: field.alias or name for name, field in model.model_fields.items()}
    problems = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        variable = aliases.get(name, name)
        message = str(problem["msg"]).removeprefix("Value error, ")
        value = given.get(variable)
        problems.append(f"{variable}={value!r}: {message}" if value is not None else f"{variable}: {message}")
    return "; ".join(problems) if problems else str(error)


class Settings(EnvSettings):
    app_id: str = Field(
        "", alias="MicrosoftAppId", description="the Azure Bot's app (client) id; empty = local dev mode"
    )
    app_password: str = Field(
        "", alias="MicrosoftAppPassword", repr=False, description="its client secret (never logged)"
    )
    app_type: str = Field(
        "SingleTenant", alias="MicrosoftAppType", description="SingleTenant, MultiTenant or UserAssignedMSI"
    )
    app_tenant_id: str = Field("", alias="MicrosoftAppTenantId", description="the Entra tenant of a single-tenant bot")
    allowed_tenant_ids: frozenset[str] = Field(
        frozenset(),
        alias="ALLOWED_TENANT_IDS",
        description="comma-separated tenant ids; activities from others get 403 and nothing is stored",
    )
    admin_aad_object_ids: frozenset[str] = Field(
        frozenset(), alias="ADMIN_AAD_OBJECT_IDS", description="comma-separated Entra object ids of admins"
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        alias="DATABASE_URL",
        description="sqlite+aiosqlite:///path.db or postgresql+asyncpg://user:pw@host/db",
    )
    tz: str = Field("Asia/Tokyo", alias="TZ", description="time zone for schedules")
    host: str = Field("127.0.0.1", alias="HOST", description="where to listen")
    port: int = Field(3978, alias="PORT", description="where to listen")
    # Bot Framework endpoints; empty means the public Azure cloud.
    to_bot_from_channel_token_issuer: str = Field("", alias="TO_BOT_FROM_CHANNEL_TOKEN_ISSUER")
    to_bot_from_channel_openid_metadata_url: str = Field("", alias="TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL")
    to_channel_from_bot_login_url: str = Field("", alias="TO_CHANNEL_FROM_BOT_LOGIN_URL")
    to_channel_from_bot_oauth_scope: str = Field("", alias="TO_CHANNEL_FROM_BOT_OAUTH_SCOPE")
    tenant_rate_per_second: float = Field(
        50.0,
        alias="TENANT_RATE_PER_SECOND",
        gt=0,
        description="bot-initiated messages per second per tenant, one budget for all instances (a 429 slows it)",
    )
    public_base_url: str = Field(
        "",
        alias="PUBLIC_BASE_URL",
        description="the bot's public https URL, for download links; empty in dev mode = loopback",
    )
    anonymity_key: str = Field(
        "",
        alias="ANONYMITY_KEY",
        repr=False,
        description="the secret that stands in for people in anonymous ballots and ideas (64 hex characters); "
        "never stored in the database",
    )
    anonymity_key_file: str = Field(
        "",
        alias="ANONYMITY_KEY_FILE",
        description="or a file holding it, created with a random key if missing; dev mode default data/anonymity.key",
    )
    min_free_disk_mb: int = Field(
        200, alias="MIN_FREE_DISK_MB", ge=0, description="/healthz is degraded below this much free disk (SQLite)"
    )
    # Microsoft Graph (bot.graph): off unless an admin granted the app its application permissions.
    graph_enabled: bool = Field(
        False,
        alias="GRAPH_ENABLED",
        description="call Microsoft Graph with the bot's app id and secret (admin group, Entra group audiences, "
        "installing the app for people); needs the application permissions listed in docs/OPERATIONS.md",
    )
    admin_group_id: str = Field(
        "",
        alias="ADMIN_GROUP_ID",
        description="object id of an Entra group whose members (nested groups included) are admins too; "
        "needs GRAPH_ENABLED",
    )
    teams_app_id: str = Field(
        "",
        alias="TEAMS_APP_ID",
        description="this app's id in the tenant's Teams app catalog; with it the bot installs itself for people "
        "it cannot reach (needs GRAPH_ENABLED)",
    )
    graph_base_url: str = Field(
        "",
        alias="GRAPH_BASE_URL",
        description="Microsoft Graph endpoint (national clouds, tests); empty = https://graph.microsoft.com/v1.0",
    )
    graph_authority: str = Field(
        "",
        alias="GRAPH_AUTHORITY",
        description="login authority for Graph tokens (national clouds, tests); "
        "empty = https://login.microsoftonline.com/<MicrosoftAppTenantId>",
    )
    # Limits that are not configuration.
    max_body_bytes: int = Field(256 * 1024, exclude=True)
    dedupe_ttl_seconds: int = Field(24 * 3600, exclude=True)

    @field_validator("allowed_tenant_ids", "admin_aad_object_ids", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> frozenset[str]:
        return comma_ids(value)

    @field_validator("public_base_url", "graph_base_url", "graph_authority", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = ROOT / ".env", *, validate: bool = True
    ) -> Self:
        """Build settings from `.env` (if present) overlaid by the real environment.

        `validate=False` is for tools that read one value (packaging needs the app id, not the secret)."""
        settings = cls.parse(read_env(environ, env_file))
        if validate:
            settings.validate_combination()
        return settings

    @property
    def dev_mode(self) -> bool:
        """Local dev mode: no app id, so inbound auth is off. Only ever allowed on loopback."""
        return not self.app_id

    def validate_combination(self) -> None:
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
        overrides = self.endpoint_overrides()
        if overrides and len(overrides) != 4:
            raise SettingsError(
                "Set all four Bot Framework endpoint overrides or none: TO_BOT_FROM_CHANNEL_TOKEN_ISSUER, "
                "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL, TO_CHANNEL_FROM_BOT_LOGIN_URL, "
                "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE."
            )
        self._validate_graph()
        if self.anonymity_key and not re.fullmatch(r"[0-9a-fA-F]{64,}", self.anonymity_key):
            raise SettingsError("ANONYMITY_KEY must be at least 64 hex characters (32 random bytes).")
        if not self.dev_mode and not (self.anonymity_key or self.anonymity_key_file):
            raise SettingsError(
                "Set ANONYMITY_KEY (64 hex characters, e.g. from `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`) or ANONYMITY_KEY_FILE: anonymous ballots and ideas need a key that "
                "is not kept in the database. Keep it in your secret store; losing it closes open anonymous polls."
            )

    def _validate_graph(self) -> None:
        needs_graph = [
            name
            for name, value in (("ADMIN_GROUP_ID", self.admin_group_id), ("TEAMS_APP_ID", self.teams_app_id))
            if value
        ]
        if needs_graph and not self.graph_enabled:
            raise SettingsError(f"{', '.join(needs_graph)} needs GRAPH_ENABLED=true (and its Graph permissions).")
        if not self.graph_enabled:
            return
        if self.dev_mode or self.app_type.lower() == "userassignedmsi":
            raise SettingsError(
                "GRAPH_ENABLED=true needs MicrosoftAppId and MicrosoftAppPassword: the bot asks Entra ID for Graph "
                "tokens with its client secret."
            )
        if not (self.app_tenant_id or self.graph_authority):
            raise SettingsError("GRAPH_ENABLED=true needs MicrosoftAppTenantId: Graph answers for one tenant.")
        for name, value in (("GRAPH_BASE_URL", self.graph_base_url), ("GRAPH_AUTHORITY", self.graph_authority)):
            if value and not value.startswith(("https://", "http://")):
                raise SettingsError(f"{name}={value!r} must be a URL (https://…).")

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
        """The same database for synchronous clients (Alembic)."""
        return self.database_url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")


def quiet_hours_text(value: str) -> str:
    """A daily window "HH:MM-HH:MM" (may wrap midnight), for settings that hold one."""
    if not re.fullmatch(rf"{CLOCK}-{CLOCK}", value):
        raise ValueError("must look like 20:00-08:00 (24-hour clock)")
    return value
