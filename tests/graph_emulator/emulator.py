"""`GraphEmulator`: Microsoft Graph (plain HTTP) and its Entra token endpoint (HTTPS), on 127.0.0.1, served from
their own thread and event loop like the Teams channel emulator (whose serving, keys and token service it uses)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from aiohttp import web

from tests.teams_channel.config import DEFAULT_APP_ID, DEFAULT_APP_PASSWORD, DEFAULT_TENANT_ID
from tests.teams_channel.entra import EntraTokenService
from tests.teams_channel.keys import SigningKey, TlsMaterial, write_tls_material
from tests.teams_channel.serving import LoopbackServers

from .permissions import LEAST_PRIVILEGED
from .service import VERSION_PREFIX, GraphService

GRAPH_RESOURCE = "https://graph.microsoft.com"  # what Graph tokens are for (scope "<resource>/.default")
GRAPH_KID = "graph-aad-key-1"
# The bot's app in the tenant's Teams app catalog (its catalog id differs from its bot id, as for org apps).
DEFAULT_TEAMS_APP_ID = "00000000-0000-4000-8000-0000000ca7a1"


class GraphEmulator(GraphService):
    """The tenant's Graph for the bot's app: it is registered, granted the least privileged permissions the bot
    documents, and published to the catalog as DEFAULT_TEAMS_APP_ID; everything else a test adds."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_password: str = DEFAULT_APP_PASSWORD,
        tenant_id: str = DEFAULT_TENANT_ID,
        host: str = "127.0.0.1",
        tls: TlsMaterial | None = None,
    ) -> None:
        super().__init__(
            EntraTokenService(signing_key=SigningKey.generate(GRAPH_KID), resource=GRAPH_RESOURCE), tenant_id
        )
        self.app_id = app_id
        self.app_password = app_password
        self.host = host
        self._tls = tls
        self._own_dir: Path | None = None
        self._servers: LoopbackServers | None = None
        self.port = 0
        self.token_port = 0
        self.entra.register_app(app_id, app_password)
        self.reset()

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> GraphEmulator:
        if self._servers is not None:
            return self
        if self._tls is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="graph-emulator-"))
            self._tls = write_tls_material(self._own_dir)
        servers = LoopbackServers("graph-emulator", self.host, self._tls)
        graph = web.Application()
        graph.add_routes(self.routes())
        self.port = servers.listen(graph)
        self.token_port = servers.listen(self.entra.token_app(), tls=True)
        self.base_url = f"http://{self.host}:{self.port}{VERSION_PREFIX}"
        servers.start(timeout)
        self._servers = servers
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._servers is None:
            return
        self._servers.stop(timeout)
        self._servers = None
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._tls = self._own_dir = None

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- configuration ------------------------------------------------------------------------------
    def reset(self) -> None:
        """An empty tenant with the bot's app published and granted LEAST_PRIVILEGED; no calls, faults, tokens."""
        super().reset()
        self.entra.reset()
        self.grant(LEAST_PRIVILEGED)
        self.publish_app(self.app_id, DEFAULT_TEAMS_APP_ID)

    def grant(self, roles: set[str] | frozenset[str], app_id: str | None = None) -> None:
        """The application permissions an admin consented to (tokens issued afterwards carry them)."""
        self.entra.grant(app_id or self.app_id, roles)

    # --- addresses ----------------------------------------------------------------------------------
    @property
    def authority(self) -> str:
        """The MSAL authority for the tenant (the client turns instance discovery off for it)."""
        return f"https://{self.host}:{self.token_port}/{self.tenant_id}"

    @property
    def ca_file(self) -> str:
        """The token endpoint's certificate: MSAL must trust it (REQUESTS_CA_BUNDLE)."""
        if self._tls is None:
            raise RuntimeError("start() the emulator first")
        return str(self._tls.ca_file)

    @property
    def token_requests(self) -> int:
        return self.entra.token_requests

    def env(self) -> dict[str, str]:
        """The bot's settings for Graph against this emulator: the app's credentials (the Teams channel emulator's
        too, by default) and the Graph variables."""
        return {
            "MicrosoftAppId": self.app_id,
            "MicrosoftAppPassword": self.app_password,
            "MicrosoftAppTenantId": self.tenant_id,
            "GRAPH_ENABLED": "true",
            "GRAPH_BASE_URL": self.base_url,
            "GRAPH_AUTHORITY": self.authority,
            "TEAMS_APP_ID": DEFAULT_TEAMS_APP_ID,
        }

    def stats(self) -> dict[str, int]:
        return {**self.counters(), "token_requests": self.token_requests}
