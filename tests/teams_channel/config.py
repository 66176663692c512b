"""Constants shared by the emulator modules: the values the real Teams channel and Entra ID use."""

from __future__ import annotations

CHANNEL_ID = "msteams"
# What the real Bot Framework channel puts in `iss` of the tokens it sends to bots.
CHANNEL_ISSUER = "https://api.botframework.com"
# The resource a bot asks Entra ID for when it calls the Bot Connector.
OAUTH_SCOPE = "https://api.botframework.com"

CHANNEL_KID = "teams-key-1"
OTHER_CHANNEL_KID = "other-channel-key"
AAD_KID = "aad-key-1"

# Deterministic defaults so tests, the CLI and the benchmarks agree without configuration.
DEFAULT_APP_ID = "00000000-0000-4000-8000-00000000b07a"
DEFAULT_APP_PASSWORD = "emulator-app-secret"
DEFAULT_TENANT_ID = "00000000-0000-4000-8000-000000007e1"
DEFAULT_BOT_NAME = "Bot"

# Teams per-bot-per-conversation limits (seconds, max requests).
TEAMS_RATE_WINDOWS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))

# Path shape of `login_url`: a B2C-looking authority ("/<tenant>/b2c_<policy>") makes MSAL treat the
# authority as "known to the developer", which skips its instance discovery call to
# login.microsoftonline.com even when the caller (stock botbuilder) does not pass instance_discovery=False.
B2C_POLICY_SEGMENT = "b2c_1_teams_emulator"
