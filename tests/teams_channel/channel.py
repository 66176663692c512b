"""`TeamsChannel`: the loopback Teams channel, served from its own thread and event loop (see `serving`)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .activities import ActivityBuilder, User
from .config import (
    AAD_KID,
    B2C_POLICY_SEGMENT,
    CHANNEL_ISSUER,
    CHANNEL_KID,
    DEFAULT_APP_ID,
    DEFAULT_APP_PASSWORD,
    DEFAULT_BOT_NAME,
    DEFAULT_TENANT_ID,
    OAUTH_SCOPE,
    OTHER_CHANNEL_KID,
)
from .connector import ConnectorCall, ConnectorService, Injection, opened_chat_id
from .identity import IdentityProvider
from .keys import SigningKey, TlsMaterial, write_tls_material
from .serving import LoopbackServers


class TeamsChannel:
    """Bot Framework identity + Entra token endpoint + Bot Connector, all on 127.0.0.1."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_password: str = DEFAULT_APP_PASSWORD,
        tenant_id: str = DEFAULT_TENANT_ID,
        bot_name: str = DEFAULT_BOT_NAME,
        host: str = "127.0.0.1",
        port: int = 0,
        token_port: int = 0,
        enforce_rate_limits: bool = True,
        work_dir: Path | None = None,
        channel_key: SigningKey | None = None,
        tls: TlsMaterial | None = None,
    ) -> None:
        """`tls`: the token endpoint's certificate (one shared by all emulators lets one CA bundle trust them all);
        by default it is generated into `work_dir`."""
        self.app_id = app_id
        self.app_password = app_password
        self.tenant_id = tenant_id
        self.bot_name = bot_name
        self.host = host
        self._requested_ports = (port, token_port)
        self._default_rate_limits = enforce_rate_limits
        self._own_dir = work_dir is None
        self._dir = Path(tempfile.mkdtemp(prefix="teams-channel-")) if work_dir is None else Path(work_dir)
        self.identity = IdentityProvider(
            channel_key=channel_key or SigningKey.generate(CHANNEL_KID, ("msteams",)),
            wrong_key=SigningKey.generate(CHANNEL_KID),
            other_channel_key=SigningKey.generate(OTHER_CHANNEL_KID, ("webchat",)),
            aad_key=SigningKey.generate(AAD_KID),
        )
        self.identity.register_app(app_id, app_password)
        self.connector = ConnectorService(self.identity, enforce_rate_limits=enforce_rate_limits)
        self._tls = tls
        self._servers: LoopbackServers | None = None
        self.port = 0
        self.token_port = 0

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> TeamsChannel:
        """Start serving in a daemon thread; returns once both ports accept connections."""
        if self._servers is not None:
            return self
        if self._tls is None:
            self._tls = write_tls_material(self._dir)
        servers = LoopbackServers("teams-channel-emulator", self.host, self._tls)
        self.port = servers.listen(self._channel_app(), self._requested_ports[0])
        self.token_port = servers.listen(self.identity.token_app(), self._requested_ports[1], tls=True)
        self.connector.base_url = self.base_url
        servers.start(timeout)
        self._servers = servers
        return self

    def _channel_app(self) -> web.Application:
        app = web.Application()
        app.add_routes(self.identity.channel_routes())
        app.add_routes(self.connector.routes())
        app.add_routes(
            [web.get("/_emulator/stats", self._stats_handler), web.post("/_emulator/reset", self._reset_handler)]
        )
        return app

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the servers, join the thread and remove generated files we own."""
        if self._servers is None:
            return
        self._servers.stop(timeout)
        self._servers = None
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> TeamsChannel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def service_url(self) -> str:
        """Like real Teams serviceUrls (https://smba.trafficmanager.net/jp/): note the trailing slash."""
        return self.connector.service_url

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/v1/keys"

    @property
    def login_base(self) -> str:
        """Scheme+host+port of the Entra-like token service; any `/<tenant>` authority below it works."""
        return f"https://{self.host}:{self.token_port}"

    def authority(self, tenant_id: str | None = None) -> str:
        """An authority that works with MSAL whatever the caller passes (see config.B2C_POLICY_SEGMENT)."""
        return f"{self.login_base}/{tenant_id or self.tenant_id}/{B2C_POLICY_SEGMENT}"

    @property
    def login_url(self) -> str:
        """Use as the MSAL authority / TO_CHANNEL_FROM_BOT_LOGIN_URL as-is (do not append a tenant)."""
        return self.authority()

    @property
    def ca_file(self) -> str:
        """PEM of the self-signed certificate the token endpoint presents (trust it: REQUESTS_CA_BUNDLE)."""
        if self._tls is None:
            raise RuntimeError("start() the emulator first")
        return str(self._tls.ca_file)

    @property
    def issuer(self) -> str:
        return self.identity.issuer

    @property
    def oauth_scope(self) -> str:
        return self.identity.oauth_scope

    @property
    def kid(self) -> str:
        return self.identity.channel_key.kid

    @property
    def builder(self) -> ActivityBuilder:
        """Activity builders bound to this emulator's service URL, bot and tenant."""
        return ActivityBuilder(
            service_url=self.service_url, app_id=self.app_id, bot_name=self.bot_name, tenant_id=self.tenant_id
        )

    def env(
        self, app_id: str | None = None, app_password: str | None = None, tenant_id: str | None = None
    ) -> dict[str, str]:
        """The bot's environment for talking to this emulator; also registers the app credentials."""
        app_id = app_id or self.app_id
        app_password = app_password or self.app_password
        tenant_id = tenant_id or self.tenant_id
        self.identity.register_app(app_id, app_password)
        return {
            "MicrosoftAppId": app_id,
            "MicrosoftAppPassword": app_password,
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": tenant_id,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": self.issuer,
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.openid_metadata_url,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": self.authority(tenant_id),
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": self.oauth_scope,
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "SSL_CERT_FILE": self.ca_file,
        }

    # --- tokens ----------------------------------------------------------------------------------
    def sign_channel_token(
        self,
        app_id: str | None = None,
        service_url: str | None = None,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        expires_in: int = 3600,
        kid: str | None = None,
        use_wrong_key: bool = False,
        not_before: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A channel→bot token. Failures: audience=, issuer=, expires_in=-600 (past the 5 min leeway),
        kid="unknown", use_wrong_key=True (bad signature), service_url="other" (serviceurl mismatch),
        kid="other-channel-key" (valid signature, key not endorsed for msteams)."""
        return self.identity.sign_channel_token(
            app_id or self.app_id,
            service_url or self.service_url,
            issuer=issuer,
            audience=audience,
            expires_in=expires_in,
            kid=kid,
            use_wrong_key=use_wrong_key,
            not_before=not_before,
            extra_claims=extra_claims,
        )

    def issue_access_token(self, app_id: str | None = None, tenant_id: str | None = None) -> str:
        """A bot→connector token as the token endpoint would issue it (for calling the connector directly)."""
        return self.identity.issue_access_token(app_id or self.app_id, tenant_id or self.tenant_id)

    @property
    def token_requests(self) -> int:
        return self.identity.token_requests

    # --- connector configuration ---------------------------------------------------------------
    def inject(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: float | None = None,
        path_contains: str | None = None,
        method: str | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """The next `count` matching connector calls answer `status` (Retry-After when given)."""
        self.connector.inject(Injection(status, count, retry_after, path_contains, method, body))

    @property
    def latency(self) -> float:
        return self.connector.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.connector.latency = seconds

    def hold(self) -> None:
        """Take requests but answer none until `release`: they are all in Teams' hands, none half-sent."""
        self.connector.hold()

    def release(self) -> None:
        self.connector.release()

    @property
    def held(self) -> int:
        return self.connector.held

    @property
    def enforce_rate_limits(self) -> bool:
        return self.connector.enforce_rate_limits

    @enforce_rate_limits.setter
    def enforce_rate_limits(self, value: bool) -> None:
        self.connector.enforce_rate_limits = value

    def block_conversation(self, conversation_id: str, code: str = "BotDisabledByAdmin") -> None:
        self.connector.block_conversation(conversation_id, code)

    def opened_chat(self, user: User) -> str:
        """The id of the 1:1 chat the bot gets when it opens one with `user` (create conversation)."""
        return opened_chat_id(self.app_id, user.tenant_id, user.id)

    def missing_conversation(self, conversation_id: str) -> None:
        self.connector.missing_conversation(conversation_id)

    def set_members(self, members: Sequence[User | Mapping[str, Any]], conversation_id: str | None = None) -> None:
        """Members the connector returns (for every conversation, or only `conversation_id`)."""
        self.connector.set_members([m.member() if isinstance(m, User) else m for m in members], conversation_id)

    def set_team_channels(self, team_id: str, channels: Sequence[Mapping[str, Any]]) -> None:
        self.connector.set_team_channels(team_id, channels)

    def set_team(self, team_id: str, name: str, aad_group_id: str | None = None) -> None:
        self.connector.set_team(team_id, name, aad_group_id)

    def limit_tenant(self, per_second: int | None) -> None:
        """Teams' per-app-per-tenant ceiling: calls beyond `per_second` in any second get 429 (until `reset`)."""
        self.connector.limit_tenant(per_second)

    @property
    def tenant_throttled(self) -> int:
        """Calls the tenant ceiling refused."""
        return self.connector.counters()["tenant_throttled"]

    def reset(self) -> None:
        """Forget calls, activities, injections, rate windows, latency and counters (keys stay); answer again."""
        self.connector.reset()
        self.connector.release()
        self.connector.enforce_rate_limits = self._default_rate_limits
        self.identity.reset()

    # --- queries ---------------------------------------------------------------------------------
    def calls(
        self,
        method: str | None = None,
        conversation_id: str | None = None,
        path_contains: str | None = None,
        operation: str | None = None,
        status: int | None = None,
    ) -> list[ConnectorCall]:
        return self.connector.calls(method, conversation_id, path_contains, operation, status)

    def activities_in(self, conversation_id: str) -> list[dict[str, Any]]:
        """Activities posted to a conversation, in order, each with the id the emulator assigned."""
        return self.connector.activities_in(conversation_id)

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        return self.connector.activity(conversation_id, activity_id)

    @property
    def throttled(self) -> int:
        return self.connector.throttled

    def stats(self) -> dict[str, int]:
        return {**self.connector.counters(), "token_requests": self.token_requests}

    async def wait_for(
        self,
        predicate: Callable[[TeamsChannel], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 (polling deadline)
    ) -> Any:
        """Poll `predicate(self)` (which may be a coroutine function) without blocking the caller's loop; return
        its first truthy value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate(self)
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; connector calls: {self.calls()!r}")
            await asyncio.sleep(0.01)

    async def wait_for_calls(
        self,
        n: int,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 (polling deadline)
        **filters: Any,
    ) -> list[ConnectorCall]:
        """Wait until at least `n` connector calls match `filters` (same keywords as `calls`)."""
        await self.wait_for(lambda ch: len(ch.calls(**filters)) >= n, timeout)
        return self.calls(**filters)

    # --- channel → bot ---------------------------------------------------------------------------
    async def post_activity(
        self,
        bot_url: str,
        activity: Mapping[str, Any],
        *,
        token: str | None = "auto",
        app_id: str | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109 (aiohttp ClientTimeout)
    ) -> tuple[int, Any]:
        """POST an activity to the bot as Teams does; token="auto" signs a valid one, None sends none."""
        headers = {"Content-Type": "application/json"}
        if token == "auto":
            token = self.sign_channel_token(app_id, str(activity.get("serviceUrl") or self.service_url))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        own = session is None
        client = session or aiohttp.ClientSession()
        try:
            async with client.post(
                bot_url, json=dict(activity), headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                text = await response.text()
                try:
                    return response.status, await response.json(content_type=None) if text else None
                except ValueError:
                    return response.status, text
        finally:
            if own:
                await client.close()

    # --- HTTP control surface (for the CLI / benchmarks) -------------------------------------------
    async def _stats_handler(self, _: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def _reset_handler(self, _: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


__all__ = ["CHANNEL_ISSUER", "OAUTH_SCOPE", "TeamsChannel"]
