"""The two identity services a Teams bot talks to.

* Bot Framework OpenID metadata + JWKS (plain HTTP): what the bot uses to validate *inbound* channel tokens.
* An Entra-ID-like token endpoint (HTTPS, see `entra`): what the bot uses to get an *outbound* token for the
  Bot Connector.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .config import CHANNEL_ID, CHANNEL_ISSUER, OAUTH_SCOPE
from .entra import EntraTokenService
from .keys import SigningKey


def channel_token_claims(
    app_id: str,
    service_url: str,
    *,
    issuer: str = CHANNEL_ISSUER,
    audience: str | None = None,
    expires_in: int = 3600,
    not_before: int | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Claims of a Bot Framework channel→bot token (the shape the real channel sends)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "serviceurl": service_url,
        "nbf": now - 300 if not_before is None else not_before,
        "exp": now + expires_in,
        "iss": issuer,
        "aud": app_id if audience is None else audience,
    }
    claims.update(extra_claims or {})
    return claims


class IdentityProvider(EntraTokenService):
    """Channel keys and Bot Framework metadata, plus the Entra token service for the Bot Connector resource."""

    def __init__(
        self,
        *,
        channel_key: SigningKey,
        wrong_key: SigningKey,
        other_channel_key: SigningKey,
        aad_key: SigningKey,
        issuer: str = CHANNEL_ISSUER,
        oauth_scope: str = OAUTH_SCOPE,
    ) -> None:
        super().__init__(signing_key=aad_key, resource=oauth_scope)
        self.channel_key = channel_key
        self.wrong_key = wrong_key
        self.other_channel_key = other_channel_key
        self.issuer = issuer
        self.keys_latency = 0.0  # seconds the OpenID metadata / signing keys take to answer

    @property
    def oauth_scope(self) -> str:
        return self.resource

    def reset(self) -> None:
        super().reset()
        self.keys_latency = 0.0

    # --- inbound (channel → bot) -----------------------------------------------------------
    def openid_configuration(self, base_url: str) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": f"{base_url}/v1/keys",
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.channel_key.jwk(), self.other_channel_key.jwk()]}

    def sign_channel_token(
        self,
        app_id: str,
        service_url: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        expires_in: int = 3600,
        kid: str | None = None,
        use_wrong_key: bool = False,
        not_before: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        claims = channel_token_claims(
            app_id,
            service_url,
            issuer=self.issuer if issuer is None else issuer,
            audience=audience,
            expires_in=expires_in,
            not_before=not_before,
            extra_claims=extra_claims,
        )
        if kid == self.other_channel_key.kid:
            return self.other_channel_key.sign(claims)
        key = self.wrong_key if use_wrong_key else self.channel_key
        # The wrong key signs under the real kid: the bot finds the key, and the signature fails.
        return key.sign(claims, kid=kid if kid is not None else self.channel_key.kid)

    # --- aiohttp wiring ----------------------------------------------------------------------
    def channel_routes(self) -> list[web.RouteDef]:
        """Routes for the plain-HTTP server: Bot Framework OpenID metadata and keys."""

        async def openid(request: web.Request) -> web.Response:
            await asyncio.sleep(self.keys_latency)
            return web.json_response(self.openid_configuration(f"http://{request.host}"))

        async def keys(_: web.Request) -> web.Response:
            await asyncio.sleep(self.keys_latency)
            return web.json_response(self.jwks())

        return [
            web.get("/v1/.well-known/openidconfiguration", openid),
            web.get("/v1/.well-known/keys", keys),
            web.get("/v1/keys", keys),
        ]


__all__ = ["CHANNEL_ID", "IdentityProvider", "channel_token_claims"]
