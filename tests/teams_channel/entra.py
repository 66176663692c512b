"""An Entra-ID-like token service: tenant discovery and a client-credentials token endpoint for one resource.

Served over HTTPS, because MSAL refuses other schemes. Tenant discovery is answered for any authority path,
so both `https://host:port/<tenant>` (MSAL with instance_discovery=False) and a B2C-shaped authority work.
The Teams channel's identity issues Bot Connector tokens with it, the Graph emulator Microsoft Graph tokens
(carrying the application permissions granted to the app in `roles`, as Entra does).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from aiohttp import web

from .keys import SigningKey


class EntraTokenService:
    """Registered apps, their granted roles, token issuing and checking; thread-safe so tests can read counters."""

    def __init__(self, *, signing_key: SigningKey, resource: str) -> None:
        self.signing_key = signing_key
        self.resource = resource  # what tokens are for: a client asks for scope "<resource>/.default"
        self._lock = threading.Lock()
        self._apps: dict[str, str] = {}
        self._roles: dict[str, frozenset[str]] = {}
        self._token_requests = 0
        self.token_log: list[dict[str, Any]] = []
        self.token_latency = 0.0  # seconds the token endpoint takes to answer (a slow identity platform)

    # --- apps and counters -------------------------------------------------------------------
    def register_app(self, app_id: str, app_password: str) -> None:
        with self._lock:
            self._apps[app_id] = app_password

    @property
    def apps(self) -> dict[str, str]:
        with self._lock:
            return dict(self._apps)

    def grant(self, app_id: str, roles: Iterable[str]) -> None:
        """The application permissions an admin consented to; tokens issued from now on carry them."""
        with self._lock:
            self._roles[app_id] = frozenset(roles)

    def roles(self, app_id: str) -> frozenset[str]:
        with self._lock:
            return self._roles.get(app_id, frozenset())

    @property
    def token_requests(self) -> int:
        with self._lock:
            return self._token_requests

    def reset(self) -> None:
        with self._lock:
            self._token_requests = 0
            self.token_log.clear()
            self.token_latency = 0.0

    # --- tokens --------------------------------------------------------------------------------
    def issue_access_token(self, app_id: str, tenant: str, *, expires_in: int = 3600) -> str:
        """A v1-style Entra access token for the resource, with the app's granted roles."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": self.resource,
            "iss": f"https://sts.windows.net/{tenant}/",
            "iat": now,
            "nbf": now - 300,
            "exp": now + expires_in,
            "appid": app_id,
            "appidacr": "1",
            "idp": f"https://sts.windows.net/{tenant}/",
            "tid": tenant,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, app_id)),
            "ver": "1.0",
            "uti": uuid.uuid4().hex,
        }
        roles = self.roles(app_id)
        if roles:
            claims["roles"] = sorted(roles)
        return self.signing_key.sign(claims)

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """Validate a bearer token (key, signature, expiry, audience); raises jwt.InvalidTokenError."""
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self.signing_key.kid:
            raise jwt.InvalidTokenError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            self.signing_key.private_key.public_key(),
            algorithms=["RS256"],
            audience=self.resource,
            options={"require": ["exp", "aud", "appid"]},
        )
        return claims

    # --- aiohttp wiring ----------------------------------------------------------------------
    def token_app(self) -> web.Application:
        """The HTTPS app: Entra-like discovery + token endpoint, for any tenant/authority path."""
        app = web.Application()
        app.router.add_get("/common/discovery/instance", self._instance_discovery)
        app.router.add_get("/{tail:.*}/.well-known/openid-configuration", self._tenant_discovery)
        app.router.add_get("/{tail:.*}/discovery/v2.0/keys", self._keys)
        app.router.add_post("/{tail:.*}/oauth2/v2.0/token", self._token)
        app.router.add_post("/{tail:.*}/oauth2/token", self._token)
        return app

    async def _instance_discovery(self, request: web.Request) -> web.Response:
        # Only reached if a client points instance_discovery at us; answer like Entra for a known host.
        authorize = request.query.get("authorization_endpoint", "")
        prefix = authorize.split("/oauth2/")[0]
        return web.json_response(
            {
                "tenant_discovery_endpoint": f"{prefix}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": request.host, "preferred_cache": request.host, "aliases": [request.host]}
                ],
            }
        )

    async def _tenant_discovery(self, request: web.Request) -> web.Response:
        # MSAL GETs "<authority path>/v2.0/.well-known/openid-configuration" ("/adfs" has no "/v2.0").
        path = request.path.removesuffix("/.well-known/openid-configuration").removesuffix("/v2.0")
        base = f"https://{request.host}{path}"
        tenant = path.strip("/").split("/")[0]
        return web.json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"https://{request.host}/{tenant}/v2.0",
                "jwks_uri": f"https://{request.host}/{tenant}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "AS",
            }
        )

    async def _keys(self, _: web.Request) -> web.Response:
        return web.json_response({"keys": [self.signing_key.jwk()]})

    async def _token(self, request: web.Request) -> web.Response:
        if self.token_latency:
            await asyncio.sleep(self.token_latency)
        form = await request.post()
        tenant = request.path.strip("/").split("/")[0]
        client_id = str(form.get("client_id", ""))
        client_secret = str(form.get("client_secret", ""))
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return _aad_error(400, "invalid_request", "AADSTS900144: malformed client authentication.")
        with self._lock:
            self._token_requests += 1
            self.token_log.append(
                {"client_id": client_id, "tenant": tenant, "scope": form.get("scope"), "time": time.monotonic()}
            )
            expected = self._apps.get(client_id)
        if form.get("grant_type") != "client_credentials":
            return _aad_error(
                400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
            )
        if expected is None:
            return _aad_error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            )
        if client_secret != expected:
            return _aad_error(
                401,
                "invalid_client",
                f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        scopes = str(form.get("scope", "")).split()
        if f"{self.resource}/.default" not in scopes:
            return _aad_error(
                400,
                "invalid_scope",
                f"AADSTS1002012: The provided value for scope {' '.join(scopes)} is not valid. "
                "Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
            )
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": self.issue_access_token(client_id, tenant),
            }
        )


def _aad_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response(
        {
            "error": error,
            "error_description": description,
            "error_codes": [int(description[6:].split(":")[0])] if description.startswith("AADSTS") else [],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
    )
