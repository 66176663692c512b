"""The baseline: a bot written the stock botbuilder way, to measure ours against.

`CloudAdapter(ConfigurationBotFrameworkAuthentication(config))`, an aiohttp handler that calls
`adapter.process(request, bot)` and an `ActivityHandler` that answers every message with one Adaptive Card
of the same shape and size as our help card. Nothing is tuned: per-turn connector/user-token clients and the
per-turn MSAL app are exactly what the samples give you. It reads the same environment as `app.py`.

    python -m bench.bare_bot        # PORT, MicrosoftAppId/Password/Type/TenantId, TO_* overrides
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

from aiohttp import web
from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.core.integration import aiohttp_error_middleware
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

ENDPOINT_OVERRIDES = (
    "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER",
    "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
    "TO_CHANNEL_FROM_BOT_LOGIN_URL",
    "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE",
)


class DefaultConfig:
    """The samples' config object, with the endpoint overrides that point botbuilder at the emulator."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.PORT = int(environ.get("PORT", "3978"))
        self.APP_ID = environ.get("MicrosoftAppId", "")
        self.APP_PASSWORD = environ.get("MicrosoftAppPassword", "")
        self.APP_TYPE = "SingleTenant"
        self.APP_TENANTID = environ.get("MicrosoftAppTenantId", "")
        for name in ENDPOINT_OVERRIDES:
            if environ.get(name):
                setattr(self, name, environ[name])


def help_card() -> dict[str, Any]:
    """Same shape and texts as our help card: heading, paragraph, a FactSet of two facts, subtle footer."""
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "lang": "ja",
        "body": [
            {
                "type": "TextBlock",
                "text": "使い方",
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
                "style": "heading",
            },
            {
                "type": "TextBlock",
                "text": "次のコマンドを送ってください。チャネルでは @オープン&フラットBot を付けてください。",
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": "ヘルプ / help / 使い方 / ?", "value": "このヘルプを表示します"},
                    {"title": "言語 / language", "value": "表示言語を切り替えます(例: 言語 英語)"},
                ],
            },
            {
                "type": "TextBlock",
                "text": "ほかの機能(投票・アイデア・ヒント)は順次追加されます。",
                "wrap": True,
                "isSubtle": True,
            },
        ],
    }


class BareBot(ActivityHandler):
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(help_card())))


def create_app(config: DefaultConfig) -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = BareBot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        """The samples' error handler: print the trace; the reply is simply lost."""
        print(f"\n [on_turn_error] unhandled error: {error}", file=sys.stderr)
        traceback.print_exc()

    adapter.on_turn_error = on_error

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    config = DefaultConfig(dict(os.environ))
    web.run_app(create_app(config), host="127.0.0.1", port=config.PORT, access_log=None)


if __name__ == "__main__":
    main()
