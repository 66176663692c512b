"""The app's Graph client from the settings: which endpoint, which authority, which resource tokens are for."""

from __future__ import annotations

import asyncio

from yarl import URL

from bot.credentials import PUBLIC_LOGIN_URL, TokenProvider
from bot.graph.client import GraphClient
from bot.graph.transport import GraphTransport
from bot.ratelimit import Sleep
from bot.settings import Settings

PUBLIC_GRAPH = "https://graph.microsoft.com"
# National clouds' Graph endpoints: there tokens are for the endpoint's own origin.
NATIONAL_GRAPH_HOSTS = frozenset({"graph.microsoft.us", "dod-graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"})


def graph_base_url(settings: Settings) -> str:
    return settings.graph_base_url or f"{PUBLIC_GRAPH}/v1.0"


def graph_authority(settings: Settings) -> str:
    return settings.graph_authority or f"{PUBLIC_LOGIN_URL}/{settings.app_tenant_id}"


def graph_scope(settings: Settings) -> str:
    """The resource Graph tokens are for: the public Graph, or a national cloud's own endpoint."""
    base = URL(graph_base_url(settings))
    resource = str(base.origin()) if base.host in NATIONAL_GRAPH_HOSTS else PUBLIC_GRAPH
    return f"{resource}/.default"


def graph_client(settings: Settings, *, sleep: Sleep = asyncio.sleep) -> GraphClient | None:
    """The one Graph client of the app (one session, one MSAL app with its token cache); None unless
    GRAPH_ENABLED — a feature then says that no Graph permission is configured. `sleep` waits between retries."""
    if not settings.graph_enabled:
        return None
    tokens = TokenProvider(
        settings.app_id,
        settings.app_password,
        graph_authority(settings),
        graph_scope(settings),
        purpose="Microsoft Graph",
    )
    return GraphClient(GraphTransport(tokens, graph_base_url(settings), sleep=sleep))
