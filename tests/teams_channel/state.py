"""Hand-off between the CLI emulator process and other processes (bot under benchmark, load generator)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from .config import CHANNEL_KID
from .identity import channel_token_claims
from .keys import SigningKey

STATE_FILE = "channel.json"
KEY_FILE = "channel-key.pem"


class _ChannelLike(Protocol):
    app_id: str
    app_password: str
    tenant_id: str
    port: int
    token_port: int

    @property
    def service_url(self) -> str: ...
    @property
    def base_url(self) -> str: ...
    @property
    def openid_metadata_url(self) -> str: ...
    @property
    def jwks_url(self) -> str: ...
    @property
    def login_url(self) -> str: ...
    @property
    def login_base(self) -> str: ...
    @property
    def ca_file(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def oauth_scope(self) -> str: ...
    @property
    def kid(self) -> str: ...
    def env(self) -> dict[str, str]: ...


def write_state(state_dir: Path, channel: _ChannelLike, private_pem: bytes) -> Path:
    """Write channel.json (URLs, issuer, accepted credentials) and the signing key (0600)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    key_file = state_dir / KEY_FILE
    key_file.write_bytes(private_pem)
    key_file.chmod(0o600)
    data = {
        "base_url": channel.base_url,
        "service_url": channel.service_url,
        "openid_metadata_url": channel.openid_metadata_url,
        "jwks_url": channel.jwks_url,
        "login_url": channel.login_url,
        "login_base": channel.login_base,
        "ca_file": channel.ca_file,
        "issuer": channel.issuer,
        "oauth_scope": channel.oauth_scope,
        "kid": channel.kid,
        "app_id": channel.app_id,
        "app_password": channel.app_password,
        "tenant_id": channel.tenant_id,
        "port": channel.port,
        "token_port": channel.token_port,
        "stats_url": f"{channel.base_url}/_emulator/stats",
        "reset_url": f"{channel.base_url}/_emulator/reset",
        "key_file": str(key_file),
        "env": channel.env(),
    }
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)  # readers polling for the file never see half of it
    return path


def load_state(state_dir: Path | str) -> dict[str, Any]:
    return json.loads((Path(state_dir) / STATE_FILE).read_text())


def load_signer(state_dir: Path | str) -> Callable[..., str]:
    """A function `sign(service_url=None, *, app_id=None, **overrides) -> token` using the emulator's key."""
    state = load_state(state_dir)
    key = SigningKey.from_pem((Path(state_dir) / KEY_FILE).read_bytes(), state.get("kid", CHANNEL_KID))

    def sign(
        service_url: str | None = None,
        *,
        app_id: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        claims = channel_token_claims(
            app_id or state["app_id"],
            service_url or state["service_url"],
            issuer=overrides.pop("issuer", state["issuer"]),
            extra_claims=extra_claims,
            **overrides,
        )
        return key.sign(claims, kid=key.kid)

    return sign
