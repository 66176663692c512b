"""Guards for the speed fix: no per-turn connector/user-token clients, one MSAL app, one pooled HTTP client."""

from __future__ import annotations

from collections import Counter
from typing import Any

import msal
import pytest
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth._user_token_client_impl import _UserTokenClientImpl

from tests.support.bot import RunningBot


@pytest.fixture
def constructed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count constructions of the clients botbuilder's stock adapter builds on every turn."""
    counts: Counter[str] = Counter()
    for name, cls in {
        "ConnectorClient": ConnectorClient,
        "UserTokenClient": _UserTokenClientImpl,
        "MSAL app": msal.ConfidentialClientApplication,
    }.items():
        original = cls.__init__

        def counting(self: Any, *args: Any, __original: Any = original, __name: str = name, **kwargs: Any) -> None:
            counts[__name] += 1
            __original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    return counts


async def test_turns_build_no_connector_or_user_token_client(bot: RunningBot, constructed: Counter[str]) -> None:
    b = bot.channel.builder
    for activity in (b.message("help"), b.message("ヘルプ"), b.card_action("help"), b.message("help", locale="en-US")):
        assert (await bot.post(activity))[0] == 200
    assert len(bot.channel.calls(status=201)) == 4
    assert constructed["ConnectorClient"] == 0
    assert constructed["UserTokenClient"] == 0
    assert constructed["MSAL app"] <= 1  # built once per process (maybe already, while warming)
    assert bot.channel.token_requests == 1
