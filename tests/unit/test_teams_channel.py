"""The loopback Teams channel emulator behaves like the real channel where our bot can tell."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
import msal
import pytest
import requests
from aiohttp import web
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.auth import PasswordServiceClientCredentialFactory
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from tests.teams_channel import Conversation, TeamsChannel, User, load_signer, load_state
from tests.teams_channel.activities import message

REPO = Path(__file__).resolve().parents[2]


def conv_url(channel: TeamsChannel, cid: str, *tail: str) -> str:
    """Connector URL built the way msrest does it: ids quoted with safe=''."""
    parts = "/".join(quote(p, safe="") for p in tail)
    return f"{channel.service_url}v3/conversations/{quote(cid, safe='')}" + (f"/{parts}" if parts else "")


@pytest.fixture
async def http(channel: TeamsChannel) -> AsyncIterator[aiohttp.ClientSession]:
    """A connector client authenticated like a bot that got its token from the emulator."""
    headers = {"Authorization": f"Bearer {channel.issue_access_token()}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield session


@pytest.fixture
def ca_env(channel: TeamsChannel, monkeypatch: pytest.MonkeyPatch) -> None:
    # requests prefers REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE over a session's `verify` (trust_env), so MSAL's
    # verify= is silently ignored when those are set: trust the emulator through the environment.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", channel.ca_file)
    monkeypatch.setenv("CURL_CA_BUNDLE", channel.ca_file)


# --- identity: inbound channel tokens ---------------------------------------------------------------


def test_openid_and_jwks_served_and_signed_token_validates(channel: TeamsChannel) -> None:
    config = requests.get(channel.openid_metadata_url, timeout=5).json()
    assert config["issuer"] == "https://api.botframework.com"
    assert config["jwks_uri"] == channel.jwks_url
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    keys = {k["kid"]: k for k in requests.get(config["jwks_uri"], timeout=5).json()["keys"]}
    assert keys["teams-key-1"]["endorsements"] == ["msteams"]
    assert keys["other-channel-key"]["endorsements"] == ["webchat"]
    assert {"kty", "n", "e", "x5t"} <= set(keys["teams-key-1"])

    token = channel.sign_channel_token(channel.app_id, channel.service_url)
    assert jwt.get_unverified_header(token)["kid"] == "teams-key-1"
    key = RSAAlgorithm.from_jwk(json.dumps(keys["teams-key-1"]))
    assert isinstance(key, RSAPublicKey)  # the JWKS serves the public half only
    claims = jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=channel.app_id,
        issuer=channel.issuer,
    )
    assert claims["serviceurl"] == channel.service_url


def _bot_auth(channel: TeamsChannel) -> ConfigurationBotFrameworkAuthentication:
    env = channel.env()
    config = SimpleNamespace(
        APP_ID=env["MicrosoftAppId"],
        APP_PASSWORD=env["MicrosoftAppPassword"],
        APP_TYPE=env["MicrosoftAppType"],
        APP_TENANTID=env["MicrosoftAppTenantId"],
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=env["TO_BOT_FROM_CHANNEL_TOKEN_ISSUER"],
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=env["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"],
        TO_CHANNEL_FROM_BOT_LOGIN_URL=env["TO_CHANNEL_FROM_BOT_LOGIN_URL"],
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=env["TO_CHANNEL_FROM_BOT_OAUTH_SCOPE"],
    )
    return ConfigurationBotFrameworkAuthentication(config)


# Each fault and what botbuilder 4.17.1 says about it (so a test cannot pass for the wrong reason).
FAILURES: dict[str, tuple[dict[str, Any], str]] = {
    "wrong audience": ({"audience": "someone-else"}, "Invalid AppId"),
    "wrong issuer": ({"issuer": "https://sts.windows.net/evil/"}, "Identity missing"),
    "expired beyond leeway": ({"expires_in": -600}, "expired"),
    # stock _OpenIdMetadata raises IndexError; bot/identity.py's replacement (process-wide cache) returns None
    "unknown kid": ({"kid": "no-such-key"}, "list index out of range|no attribute 'endorsements'"),
    "bad signature": ({"use_wrong_key": True}, "Signature verification failed"),
    "serviceurl mismatch": ({"service_url": "https://smba.trafficmanager.net/jp/"}, "serviceurl"),
    "key not endorsed for msteams": ({"kid": "other-channel-key"}, "endorsement"),
}


async def test_botbuilder_accepts_the_channel_token(channel: TeamsChannel) -> None:
    activity = Activity().deserialize(channel.builder.message("hello"))
    result = await _bot_auth(channel).authenticate_request(activity, f"Bearer {channel.sign_channel_token()}")
    assert result.claims_identity.is_authenticated
    assert result.claims_identity.claims["aud"] == channel.app_id


@pytest.mark.parametrize(("overrides", "reason"), FAILURES.values(), ids=FAILURES.keys())
async def test_botbuilder_rejects_each_token_fault(
    channel: TeamsChannel, overrides: dict[str, Any], reason: str
) -> None:
    activity = Activity().deserialize(channel.builder.message("hello"))
    token = channel.sign_channel_token(**overrides)
    with pytest.raises(Exception, match=reason):  # PermissionError, IndexError, jwt errors: botbuilder varies
        await _bot_auth(channel).authenticate_request(activity, f"Bearer {token}")


# --- identity: outbound token endpoint ------------------------------------------------------------------


@pytest.mark.usefixtures("ca_env")
def test_msal_gets_a_token_over_https_and_caches_it(channel: TeamsChannel) -> None:
    app = msal.ConfidentialClientApplication(
        channel.app_id, client_credential=channel.app_password, authority=channel.login_url
    )
    first = app.acquire_token_for_client(scopes=[f"{channel.oauth_scope}/.default"])
    assert first.get("token_type") == "Bearer", first
    second = app.acquire_token_for_client(scopes=[f"{channel.oauth_scope}/.default"])
    assert second["access_token"] == first["access_token"]
    assert channel.token_requests == 1
    claims = channel.identity.verify_access_token(first["access_token"])
    assert claims["appid"] == channel.app_id
    assert claims["tid"] == channel.tenant_id


@pytest.mark.usefixtures("ca_env")
def test_msal_plain_tenant_authority_with_discovery_off(channel: TeamsChannel) -> None:
    app = msal.ConfidentialClientApplication(
        channel.app_id,
        client_credential=channel.app_password,
        authority=f"{channel.login_base}/{channel.tenant_id}",
        instance_discovery=False,
        validate_authority=False,
    )
    assert "access_token" in app.acquire_token_for_client(scopes=[f"{channel.oauth_scope}/.default"])


@pytest.mark.usefixtures("ca_env")
def test_msal_wrong_secret_is_invalid_client(channel: TeamsChannel) -> None:
    app = msal.ConfidentialClientApplication(channel.app_id, client_credential="wrong", authority=channel.login_url)
    result = app.acquire_token_for_client(scopes=[f"{channel.oauth_scope}/.default"])
    assert result["error"] == "invalid_client"
    assert "AADSTS7000215" in result["error_description"]


@pytest.mark.usefixtures("ca_env")
async def test_stock_botbuilder_credentials_reach_the_token_endpoint(channel: TeamsChannel) -> None:
    # botbuilder builds MSAL without instance_discovery=False; the B2C-shaped login_url keeps it offline.
    env = channel.env()
    factory = PasswordServiceClientCredentialFactory(channel.app_id, channel.app_password, channel.tenant_id)
    credentials = await factory.create_credentials(
        channel.app_id, env["TO_CHANNEL_FROM_BOT_OAUTH_SCOPE"], env["TO_CHANNEL_FROM_BOT_LOGIN_URL"], True
    )
    token = await asyncio.to_thread(credentials.get_access_token)
    assert channel.identity.verify_access_token(token)["appid"] == channel.app_id


# --- connector ----------------------------------------------------------------------------------------


async def test_connector_rejects_missing_and_forged_bearer(channel: TeamsChannel) -> None:
    url = conv_url(channel, "a:1abc", "activities")
    forged = {"Authorization": f"Bearer {channel.sign_channel_token()}"}  # a channel token is not an AAD token
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"type": "message"}) as response:
            assert response.status == 401
        async with session.post(url, json={"type": "message"}, headers=forged) as response:
            assert response.status == 401
    assert [c.status for c in channel.calls()] == [401, 401]
    assert channel.activities_in("a:1abc") == []


async def test_send_reply_update_delete_are_recorded(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    cid = "19:abc@thread.tacv2;messageid=1700000000000"
    async with http.post(conv_url(channel, cid, "activities"), json={"type": "message", "text": "one"}) as r:
        assert r.status == 201
        sent = (await r.json())["id"]
    async with http.post(conv_url(channel, cid, "activities", sent), json={"type": "message", "text": "two"}) as r:
        assert r.status == 201
        replied = (await r.json())["id"]
    async with http.put(conv_url(channel, cid, "activities", sent), json={"type": "message", "text": "1!"}) as r:
        assert (r.status, await r.json()) == (200, {"id": sent})
    async with http.delete(conv_url(channel, cid, "activities", replied)) as r:
        assert r.status == 200

    assert [c.operation for c in channel.calls(conversation_id=cid)] == ["send", "reply", "update", "delete"]
    assert [a["text"] for a in channel.activities_in(cid)] == ["one", "two"]
    updated = channel.activity(cid, sent)
    assert updated is not None and updated["text"] == "1!"
    assert channel.activity(cid, replied) is None
    assert channel.calls(method="PUT")[0].activity_id == sent


async def test_create_conversation_one_to_one_is_stable(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    user = User()
    params = {
        "bot": {"id": f"28:{channel.app_id}"},
        "members": [{"id": user.id}],
        "isGroup": False,
        "tenantId": channel.tenant_id,
        "channelData": {"tenant": {"id": channel.tenant_id}},
    }
    ids = []
    for _ in range(2):
        async with http.post(f"{channel.service_url}v3/conversations", json=params) as r:
            assert r.status == 201
            ids.append((await r.json())["id"])
    assert ids[0] == ids[1] and ids[0].startswith("a:1")
    async with http.post(f"{channel.service_url}v3/conversations", json={**params, "members": [{"id": "29:x"}]}) as r:
        assert (await r.json())["id"] != ids[0]


async def test_create_channel_thread_with_activity(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    params = {
        "isGroup": True,
        "channelData": {"channel": {"id": "19:gen@thread.tacv2"}},
        "activity": {"type": "message", "text": "announcement"},
    }
    async with http.post(f"{channel.service_url}v3/conversations", json=params) as r:
        body = await r.json()
    assert body["id"] == f"19:gen@thread.tacv2;messageid={body['activityId']}"
    assert channel.activities_in(body["id"])[0]["text"] == "announcement"


async def test_paged_members_and_single_member(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    users = [User(name=f"User {i}") for i in range(5)]
    channel.set_members(users)
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        query = {"pageSize": "2", **({"continuationToken": token} if token else {})}
        async with http.get(conv_url(channel, "a:1abc", "pagedmembers"), params=query) as r:
            page = await r.json()
        pages += 1
        seen += [m["id"] for m in page["members"]]
        token = page["continuationToken"]
        if not token:
            break
    assert pages == 3
    assert seen == [u.id for u in users]
    assert set(page["members"][0]) >= {
        "id",
        "name",
        "aadObjectId",
        "email",
        "userPrincipalName",
        "tenantId",
        "userRole",
    }

    async with http.get(conv_url(channel, "a:1abc", "members", users[1].aad_object_id)) as r:
        assert (await r.json())["id"] == users[1].id
    async with http.get(conv_url(channel, "a:1abc", "members", "29:nobody")) as r:
        assert r.status == 404
        assert (await r.json())["error"]["code"] == "MemberNotFoundInConversation"


async def test_team_channels(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    team = "19:team@thread.tacv2"
    channel.set_team_channels(team, [{"id": team, "name": None}, {"id": "19:x@thread.tacv2", "name": "雑談"}])
    async with http.get(f"{channel.service_url}v3/teams/{quote(team, safe='')}/conversations") as r:
        assert [c["name"] for c in (await r.json())["conversations"]] == [None, "雑談"]


async def test_injected_429_with_retry_after_then_recovers(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    channel.inject(429, retry_after=3, path_contains="activities", method="POST")
    channel.inject(503, count=2, path_contains="pagedmembers")
    url = conv_url(channel, "a:1abc", "activities")
    async with http.post(url, json={"type": "message"}) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "3"
    async with http.post(url, json={"type": "message"}) as r:
        assert r.status == 201
    statuses = []
    for _ in range(3):
        async with http.get(conv_url(channel, "a:1abc", "pagedmembers")) as r:
            statuses.append(r.status)
    assert statuses == [503, 503, 200]
    assert channel.throttled == 0  # injected faults are not rate-limit throttling


async def test_blocked_and_missing_conversations(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    channel.block_conversation("a:1blocked")
    channel.missing_conversation("a:1gone")
    async with http.post(conv_url(channel, "a:1blocked", "activities"), json={"type": "message"}) as r:
        assert (r.status, (await r.json())["error"]["code"]) == (403, "BotDisabledByAdmin")
    async with http.post(conv_url(channel, "a:1gone", "activities"), json={"type": "message"}) as r:
        assert (r.status, (await r.json())["error"]["code"]) == (404, "ConversationNotFound")


async def test_rate_limit_per_conversation(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    statuses = []
    for _ in range(8):
        async with http.post(conv_url(channel, "a:1busy", "activities"), json={"type": "message"}) as r:
            statuses.append(r.status)
            retry_after = r.headers.get("Retry-After")
    assert statuses == [201] * 7 + [429]
    assert retry_after is not None and int(retry_after) >= 1
    async with http.post(conv_url(channel, "a:1quiet", "activities"), json={"type": "message"}) as r:
        assert r.status == 201
    assert channel.throttled == 1

    channel.enforce_rate_limits = False
    async with http.post(conv_url(channel, "a:1busy", "activities"), json={"type": "message"}) as r:
        assert r.status == 201


async def test_rate_limit_per_tenant(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    channel.limit_tenant(5)
    statuses = []
    for n in range(6):  # six conversations, one call each: only the tenant's ceiling can refuse
        async with http.post(conv_url(channel, f"a:1person{n}", "activities"), json={"type": "message"}) as r:
            statuses.append(r.status)
    assert statuses == [201] * 5 + [429]
    assert (channel.tenant_throttled, channel.throttled) == (1, 1)
    async with http.get(f"{channel.service_url}v3/teams/{quote('19:t@thread.tacv2', safe='')}") as r:
        assert (await r.json())["name"] is None
    channel.set_team("19:t@thread.tacv2", "広報チーム", "group-1")
    async with http.get(f"{channel.service_url}v3/teams/{quote('19:t@thread.tacv2', safe='')}") as r:
        assert (await r.json())["name"] == "広報チーム"
    channel.reset()  # the ceiling is per test
    async with http.post(conv_url(channel, "a:1person9", "activities"), json={"type": "message"}) as r:
        assert r.status == 201


async def test_emulator_does_not_block_the_callers_loop(channel: TeamsChannel, http: aiohttp.ClientSession) -> None:
    channel.latency = 0.5
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    start = time.monotonic()
    async with http.post(conv_url(channel, "a:1slow", "activities"), json={"type": "message"}) as r:
        assert r.status == 201
    elapsed = time.monotonic() - start
    task.cancel()
    assert elapsed >= 0.5
    assert ticks >= 10  # the other coroutine kept running while the connector call was slow
    calls = await channel.wait_for_calls(1, conversation_id="a:1slow", timeout=1.0)
    assert calls[0].status == 201


async def test_wait_for_times_out(channel: TeamsChannel) -> None:
    with pytest.raises(TimeoutError):
        await channel.wait_for(lambda ch: ch.calls(), timeout=0.05)


# --- posting into a bot ---------------------------------------------------------------------------------


async def test_post_activity_signs_a_valid_token(channel: TeamsChannel, unused_tcp_port: int) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def bot(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/messages", bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        url = f"http://127.0.0.1:{unused_tcp_port}/api/messages"
        activity = channel.builder.message("hi")
        assert await channel.post_activity(url, activity) == (200, {"ok": True})
        assert await channel.post_activity(url, activity, token=None) == (200, {"ok": True})
    finally:
        await runner.cleanup()
    auth, body = received[0]
    assert auth is not None
    token = auth.removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False})["serviceurl"] == channel.service_url
    assert body["text"] == "hi"
    assert received[1][0] is None


# --- activity builders --------------------------------------------------------------------------------


def test_message_shapes(channel: TeamsChannel) -> None:
    b = channel.builder
    user = User(name="佐藤 花子")
    personal = b.message("help", user=user)
    assert personal["type"] == "message" and personal["channelId"] == "msteams"
    assert personal["serviceUrl"] == channel.service_url
    assert personal["recipient"]["id"] == f"28:{channel.app_id}"
    assert personal["from"] == {"id": user.id, "name": "佐藤 花子", "aadObjectId": user.aad_object_id}
    assert personal["from"]["id"].startswith("29:")
    assert personal["conversation"]["conversationType"] == "personal"
    assert personal["conversation"]["id"] == b.personal(user).id
    assert personal["channelData"]["tenant"]["id"] == channel.tenant_id
    assert personal["entities"][0]["type"] == "clientInfo" and personal["locale"] == "ja-JP"

    conv = Conversation.channel(team_id="19:t@thread.tacv2", channel_id="19:c@thread.tacv2")
    mention = b.message("poll", conversation=conv, mention_bot=True)
    assert mention["text"] == "<at>Bot</at> poll"
    assert mention["entities"][0] == {
        "mentioned": {"id": f"28:{channel.app_id}", "name": "Bot"},
        "text": "<at>Bot</at>",
        "type": "mention",
    }
    assert mention["conversation"]["isGroup"] is True
    assert mention["channelData"]["team"]["id"] == "19:t@thread.tacv2"
    assert mention["channelData"]["channel"]["id"] == "19:c@thread.tacv2"

    submit = b.message(None, value={"choice": "a"}, reply_to_id="1700000000000")
    assert "text" not in submit and submit["value"] == {"choice": "a"} and submit["replyToId"] == "1700000000000"

    plain = message("x", service_url="http://example/", conversation_type="groupChat")
    assert plain["conversation"]["conversationType"] == "groupChat"
    assert plain["conversation"]["id"].endswith("@thread.v2")


def test_event_and_invoke_shapes(channel: TeamsChannel) -> None:
    b = channel.builder
    team = Conversation.channel()
    added = b.conversation_update(conversation=team)
    assert added["membersAdded"] == [{"id": f"28:{channel.app_id}"}]
    assert added["channelData"]["eventType"] == "teamMemberAdded"
    assert b.installation_update("remove")["action"] == "remove"
    assert b.installation_update(conversation=team)["channelData"]["settings"]["selectedChannel"]["id"] == team.id

    click = b.card_action("vote", {"pollId": "p1"}, reply_to_id="1700000000001")
    assert click["type"] == "invoke" and click["name"] == "adaptiveCard/action"
    assert click["value"] == {
        "action": {"type": "Action.Execute", "verb": "vote", "data": {"pollId": "p1"}},
        "trigger": "manual",
    }
    assert b.invoke("composeExtension/fetchTask", {"commandId": "new"})["value"] == {"commandId": "new"}
    assert b.task_submit({"title": "x"})["value"]["data"] == {"title": "x"}


def test_env_keys(channel: TeamsChannel) -> None:
    env = channel.env()
    assert env["MicrosoftAppType"] == "SingleTenant"
    assert env["TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL"] == channel.openid_metadata_url
    assert env["TO_CHANNEL_FROM_BOT_LOGIN_URL"].startswith("https://127.0.0.1:")
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == channel.ca_file


# --- CLI --------------------------------------------------------------------------------------------------


def test_cli_writes_state_serves_stats_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.teams_channel", "--state-dir", str(tmp_path), "--no-rate-limits"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "channel.json").exists():
            assert proc.poll() is None, "emulator exited early"
            assert time.monotonic() < deadline, "no channel.json"
            time.sleep(0.05)
        state = load_state(tmp_path)
        assert (tmp_path / "channel-key.pem").exists()
        keys = requests.get(state["jwks_url"], timeout=5).json()["keys"]
        token = load_signer(tmp_path)(state["service_url"])
        key = RSAAlgorithm.from_jwk(json.dumps(keys[0]))
        assert isinstance(key, RSAPublicKey)
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            audience=state["app_id"],
            issuer=state["issuer"],
        )
        assert claims["serviceurl"] == state["service_url"]
        stats = requests.get(state["stats_url"], timeout=5).json()
        assert stats["calls"] == 0 and stats["throttled"] == 0 and stats["token_requests"] == 0
        assert requests.post(state["reset_url"], timeout=5).json() == {"ok": True}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


# --- end to end with a stock botbuilder bot -------------------------------------------------------------


@pytest.mark.usefixtures("ca_env")
async def test_stock_botbuilder_bot_round_trip(channel: TeamsChannel, unused_tcp_port: int) -> None:
    """A plain CloudAdapter bot configured only by env() authenticates, gets a token and replies."""
    from botbuilder.core import ActivityHandler, TurnContext
    from botbuilder.integration.aiohttp import CloudAdapter

    class Echo(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(f"echo: {turn_context.activity.text}")

    env = channel.env()
    config = SimpleNamespace(
        APP_ID=env["MicrosoftAppId"],
        APP_PASSWORD=env["MicrosoftAppPassword"],
        APP_TYPE=env["MicrosoftAppType"],
        APP_TENANTID=env["MicrosoftAppTenantId"],
        **{k: v for k, v in env.items() if k.startswith("TO_")},
    )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    bot = Echo()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        url = f"http://127.0.0.1:{unused_tcp_port}/api/messages"
        activity = channel.builder.message("こんにちは")
        status, _ = await channel.post_activity(url, activity)
        assert 200 <= status < 300  # CloudAdapter answers 201 to a message turn
        (reply,) = await channel.wait_for_calls(1, operation="reply")
        assert (await channel.post_activity(url, activity, token=None))[0] in (401, 500)  # see ARCHITECTURE.md
    finally:
        await runner.cleanup()
    assert reply.status == 201
    assert reply.activity_id == activity["id"]
    assert reply.conversation_id == activity["conversation"]["id"]
    assert channel.activities_in(activity["conversation"]["id"])[0]["text"] == "echo: こんにちは"
    assert channel.token_requests >= 1
