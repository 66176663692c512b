import pytest

from bot.settings import DEFAULT_DATABASE_URL, EnvSettings, Settings, SettingsError
from dialogs.nudges import NudgeSettings
from dialogs.polls import PollSettings

KEY = {"ANONYMITY_KEY": "ab" * 32}


def test_defaults_are_local_dev_mode_on_loopback_with_sqlite() -> None:
    settings = Settings.from_env({}, env_file=None)
    assert settings.dev_mode and settings.host == "127.0.0.1" and settings.port == 3978
    assert settings.database_url == DEFAULT_DATABASE_URL and settings.database_url.startswith("sqlite+aiosqlite")
    assert settings.tz == "Asia/Tokyo"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.5", "bot.example.org"])
def test_dev_mode_refuses_a_non_loopback_host(host: str) -> None:
    with pytest.raises(SettingsError, match="dev mode"):
        Settings.from_env({"HOST": host}, env_file=None)


def test_real_credentials_may_listen_anywhere_and_need_a_tenant_for_single_tenant() -> None:
    env = {
        "HOST": "0.0.0.0",
        "MicrosoftAppId": "app",
        "MicrosoftAppPassword": "secret",
        "MicrosoftAppTenantId": "t",
        **KEY,
    }
    assert not Settings.from_env(env, env_file=None).dev_mode
    with pytest.raises(SettingsError, match="MicrosoftAppTenantId"):
        Settings.from_env({**env, "MicrosoftAppTenantId": ""}, env_file=None)


def test_endpoint_overrides_come_all_or_none() -> None:
    with pytest.raises(SettingsError, match="all four"):
        Settings.from_env({"TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "https://x"}, env_file=None)


def test_the_password_never_appears_in_the_settings_repr() -> None:
    env = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "s3cr3t-value", "MicrosoftAppTenantId": "t", **KEY}
    shown = repr(Settings.from_env(env, env_file=None))
    assert "s3cr3t-value" not in shown and KEY["ANONYMITY_KEY"] not in shown


def test_allowed_tenants_are_case_insensitive_sets() -> None:
    settings = Settings.from_env({"ALLOWED_TENANT_IDS": " ABC , def,,"}, env_file=None)
    assert settings.allowed_tenant_ids == frozenset({"abc", "def"})


def test_quiet_hours_are_configurable_and_checked() -> None:
    from datetime import time

    from bot.recurrence import QuietHours

    settings = NudgeSettings.from_env({"QUIET_HOURS": "21:30-7:00"}, env_file=None)
    assert QuietHours.parse(settings.quiet_hours) == QuietHours(time(21, 30), time(7, 0))
    assert NudgeSettings.from_env({}, env_file=None).quiet_hours == "20:00-08:00"
    with pytest.raises(SettingsError, match="QUIET_HOURS"):
        NudgeSettings.from_env({"QUIET_HOURS": "25:00-08:00"}, env_file=None)


def test_download_links_use_the_public_url_or_loopback_in_dev_mode() -> None:
    assert Settings.from_env({}, env_file=None).browser_base_url == "http://127.0.0.1:3978"
    production = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "s", "MicrosoftAppTenantId": "t", **KEY}
    assert Settings.from_env(production, env_file=None).browser_base_url is None
    configured = {**production, "PUBLIC_BASE_URL": "https://bot.example.org/"}
    assert Settings.from_env(configured, env_file=None).browser_base_url == "https://bot.example.org"
    with pytest.raises(SettingsError, match="PUBLIC_BASE_URL"):
        Settings.from_env({"PUBLIC_BASE_URL": "bot.example.org"}, env_file=None)


def test_poll_privacy_threshold_is_a_setting() -> None:
    assert PollSettings.from_env({}, env_file=None).privacy_threshold == 5
    assert PollSettings.from_env({"POLL_PRIVACY_THRESHOLD": "3"}, env_file=None).privacy_threshold == 3
    with pytest.raises(SettingsError, match="POLL_PRIVACY_THRESHOLD"):
        PollSettings.from_env({"POLL_PRIVACY_THRESHOLD": "0"}, env_file=None)


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (Settings, "PORT"),
        (Settings, "TENANT_RATE_PER_SECOND"),
        (Settings, "MIN_FREE_DISK_MB"),
        (PollSettings, "POLL_PRIVACY_THRESHOLD"),
    ],
)
def test_a_number_setting_that_is_not_a_number_is_a_clear_error(model: type[EnvSettings], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        model.from_env({name: "lots"}, env_file=None)


def test_production_needs_an_anonymity_key_that_is_a_real_key() -> None:
    production = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "s", "MicrosoftAppTenantId": "t"}
    with pytest.raises(SettingsError, match="ANONYMITY_KEY"):
        Settings.from_env(production, env_file=None)
    with pytest.raises(SettingsError, match="ANONYMITY_KEY"):
        Settings.from_env({**production, "ANONYMITY_KEY": "password123"}, env_file=None)
    assert Settings.from_env({**production, "ANONYMITY_KEY_FILE": "/run/secrets/key"}, env_file=None).anonymity_key_file
