"""bot.graph against the loopback Graph emulator: paging, retries, typed errors, installs, one token, no secrets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

import bot.credentials
from bot.credentials import TokenError
from bot.graph import GraphClient, GraphError, GraphNotFound, GraphPermissionError, graph_client
from bot.graph.factory import graph_scope
from bot.settings import Settings
from tests.graph_emulator import DEFAULT_TEAMS_APP_ID, GRAPH_RESOURCE, LEAST_PRIVILEGED, GraphEmulator
from tests.teams_channel.entra import EntraTokenService
from tests.teams_channel.keys import SigningKey

KEY = {"ANONYMITY_KEY": "ab" * 32}


class Naps:
    """The waits between retries, recorded instead of slept (the tests need not sit through Retry-After)."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)
        await asyncio.sleep(0)


def settings_for(graph: GraphEmulator) -> Settings:
    return Settings.from_env({**graph.env(), **KEY}, env_file=None)


@pytest.fixture
def trusted(graph: GraphEmulator, monkeypatch: pytest.MonkeyPatch) -> GraphEmulator:
    """The emulator, its token endpoint trusted by MSAL (requests reads the CA bundle from the environment)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", graph.ca_file)
    monkeypatch.setenv("CURL_CA_BUNDLE", graph.ca_file)
    return graph


@pytest.fixture
def naps() -> Naps:
    return Naps()


@pytest.fixture
async def client(trusted: GraphEmulator, naps: Naps) -> AsyncIterator[GraphClient]:
    built = graph_client(settings_for(trusted), sleep=naps)
    assert built is not None
    try:
        yield built
    finally:
        await built.close()


# --- paging ------------------------------------------------------------------------------------------------------


async def test_transitive_members_pages_through_nested_groups(graph: GraphEmulator, client: GraphClient) -> None:
    staff = graph.add_users(2500)
    innermost = graph.add_group(staff[2000:], "課")
    middle = graph.add_group([*staff[1000:2100], innermost], "部")  # 100 people in two groups: listed once
    everyone = graph.add_group([*staff[:1000], middle], "局")
    graph.add_group([*staff[2000:], everyone], "課", group_id=innermost)  # nesting that loops: still once each

    members = await client.transitive_members(everyone)

    assert [m.id for m in members] == staff[:1000] + staff[1000:2100] + staff[2100:]
    assert members[0].display_name == "職員 00000"
    assert members[2499].user_principal_name == "staff02499@contoso.onmicrosoft.com"
    pages = graph.calls("transitive_members")
    assert len(pages) == 3 and all(p.status == 200 for p in pages)
    assert pages[0].query == {"$select": "id,displayName,userPrincipalName", "$top": "999"}
    assert "$skiptoken" in pages[1].query and "$skiptoken" in pages[2].query


async def test_without_permission_to_read_users_members_come_back_without_names(
    graph: GraphEmulator, client: GraphClient
) -> None:
    graph.grant({"GroupMember.Read.All"})
    [someone] = graph.add_users(1)
    members = await client.transitive_members(graph.add_group([someone]))
    assert [(m.id, m.display_name) for m in members] == [(someone, "")]  # why User.Read.All is documented


async def test_a_next_page_outside_graph_is_refused(graph: GraphEmulator, client: GraphClient) -> None:
    group = graph.add_group([])
    body = {"value": [], "@odata.nextLink": "https://collector.example/v1.0/groups/x/transitiveMembers?$skiptoken=1"}
    graph.inject(200, path_contains="transitiveMembers", body=body)
    with pytest.raises(GraphError, match="UnexpectedNextLink"):
        await client.transitive_members(group)
    assert len(graph.calls()) == 1  # the token never went to the other host


# --- retries -----------------------------------------------------------------------------------------------------


async def test_a_429_is_retried_after_its_retry_after(graph: GraphEmulator, client: GraphClient, naps: Naps) -> None:
    group = graph.add_group(graph.add_users(3))
    graph.inject(429, retry_after=2, path_contains="transitiveMembers")
    assert len(await client.transitive_members(group)) == 3
    assert [c.status for c in graph.calls()] == [429, 200]
    assert naps.taken == [pytest.approx(2.0, abs=0.1)]


async def test_a_429_holds_back_every_call_of_the_client(graph: GraphEmulator, client: GraphClient, naps: Naps) -> None:
    [user] = graph.add_users(1)
    group, team = graph.add_group([user]), graph.add_team([user])
    graph.inject(429, retry_after=3, path_contains="checkMemberGroups")
    assert await client.is_member(group, user)
    await client.team_channels(team)  # another request, after the 429: it waits out the same Retry-After
    assert len(naps.taken) == 2 and all(2.5 < nap <= 3.0 for nap in naps.taken)


async def test_retry_after_is_honoured_in_real_time(trusted: GraphEmulator) -> None:
    client = graph_client(settings_for(trusted))
    assert client is not None
    team = trusted.add_team()
    trusted.inject(429, retry_after=1, path_contains="channels")
    try:
        await client.team_channels(team)
    finally:
        await client.close()
    throttled, answered = trusted.calls("channels")
    assert (throttled.status, answered.status) == (429, 200)
    assert answered.time - throttled.time >= 0.95


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_5xx_are_retried_with_growing_jittered_backoff(
    graph: GraphEmulator, client: GraphClient, naps: Naps, status: int
) -> None:
    team = graph.add_team(channels=["General"])
    graph.inject(status, count=2, path_contains="channels")
    assert [c.display_name for c in await client.team_channels(team)] == ["General"]
    assert [c.status for c in graph.calls()] == [status, status, 200]
    first, second = naps.taken
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


async def test_retries_are_bounded(graph: GraphEmulator, client: GraphClient, naps: Naps) -> None:
    team = graph.add_team()
    graph.inject(503, count=100, path_contains="channels")
    with pytest.raises(GraphError) as raised:
        await client.team_channels(team)
    assert raised.value.status == 503 and len(graph.calls()) == 6 and len(naps.taken) == 5


async def test_a_long_retry_after_is_left_to_the_caller(graph: GraphEmulator, client: GraphClient, naps: Naps) -> None:
    team = graph.add_team()
    graph.inject(429, retry_after=600, path_contains="channels")
    with pytest.raises(GraphError) as raised:
        await client.team_channels(team)
    assert (raised.value.status, raised.value.retry_after) == (429, 600.0)
    assert naps.taken == [] and len(graph.calls()) == 1


async def test_a_refused_token_is_fetched_anew_once(graph: GraphEmulator, client: GraphClient) -> None:
    team = graph.add_team()
    graph.inject(401, path_contains="channels")
    await client.team_channels(team)
    assert [c.status for c in graph.calls()] == [401, 200] and graph.token_requests == 2


# --- typed errors -------------------------------------------------------------------------------------------------


async def test_403_is_a_permission_error_naming_what_is_missing(graph: GraphEmulator, client: GraphClient) -> None:
    graph.grant(set())  # admin consent never given
    [user] = graph.add_users(1)
    with pytest.raises(GraphPermissionError) as directory:
        await client.transitive_members(graph.add_group([user]))
    assert directory.value.code == "Authorization_RequestDenied"
    with pytest.raises(GraphPermissionError, match=r"TeamsAppInstallation\.ReadWriteSelfForUser\.All"):
        await client.install_app_for_user(user, DEFAULT_TEAMS_APP_ID)
    with pytest.raises(GraphPermissionError, match=r"Channel\.ReadBasic\.All"):
        await client.team_channels(graph.add_team())
    assert [c.status for c in graph.calls()] == [403, 403, 403]  # never retried


async def test_404s_are_not_found_and_an_unknown_user_is_no_member(graph: GraphEmulator, client: GraphClient) -> None:
    [user] = graph.add_users(1)
    with pytest.raises(GraphNotFound):
        await client.transitive_members("no-such-group")
    with pytest.raises(GraphNotFound, match="catalog"):
        await client.install_app_for_user(user, "no-such-app")
    with pytest.raises(GraphNotFound):
        await client.team_channels("no-such-team")
    assert not await client.is_member(graph.add_group([user]), "no-such-user")


# --- membership ---------------------------------------------------------------------------------------------------


async def test_membership_is_transitive_and_kept_briefly(graph: GraphEmulator, client: GraphClient) -> None:
    inside, outside = graph.add_users(2)
    admins = graph.add_group([graph.add_group([inside], "nested")], "admins")
    now = [1000.0]
    cached = GraphClient(client.transport, membership_ttl=60, clock=lambda: now[0])
    assert await cached.is_member(admins, inside) and not await cached.is_member(admins, outside)
    assert await cached.is_member(admins.upper(), inside.upper())  # ids are case-insensitive: same answer
    assert len(graph.calls("check_member_groups")) == 2
    now[0] += 61
    assert await cached.is_member(admins, inside)
    assert len(graph.calls("check_member_groups")) == 3


# --- installing the app --------------------------------------------------------------------------------------------


async def test_install_is_idempotent_and_finds_the_personal_chat(graph: GraphEmulator, client: GraphClient) -> None:
    person, other = graph.add_users(2)
    assert await client.personal_chat_with_app(person, DEFAULT_TEAMS_APP_ID) is None
    assert await client.install_app_for_user(person, DEFAULT_TEAMS_APP_ID) is True
    assert await client.install_app_for_user(person, DEFAULT_TEAMS_APP_ID) is False  # 409: there already
    assert graph.installed(person, DEFAULT_TEAMS_APP_ID) and graph.counters()["installs"] == 1
    [first, second] = graph.calls("install_app")
    assert (first.status, second.status) == (201, 409)
    assert first.body == {"teamsApp@odata.bind": f"{graph.base_url}/appCatalogs/teamsApps/{DEFAULT_TEAMS_APP_ID}"}
    chat = await client.personal_chat_with_app(person, DEFAULT_TEAMS_APP_ID)
    assert chat == f"19:{person}_{graph.app_id}@unq.gbl.spaces"
    assert await client.personal_chat_with_app(other, DEFAULT_TEAMS_APP_ID) is None


async def test_the_self_permission_installs_this_app_only(graph: GraphEmulator, client: GraphClient) -> None:
    [person] = graph.add_users(1)
    someone_elses = graph.publish_app("another-bot")
    with pytest.raises(GraphPermissionError):
        await client.install_app_for_user(person, someone_elses)
    assert await client.install_app_for_user(person, DEFAULT_TEAMS_APP_ID)


# --- one MSAL app, one token, a free event loop ---------------------------------------------------------------------


async def test_one_msal_app_and_one_token_for_many_calls(
    graph: GraphEmulator, client: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []
    real = bot.credentials.ConfidentialClientApplication

    def counting(*args: object, **kwargs: object) -> object:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(bot.credentials, "ConfidentialClientApplication", counting)
    users = graph.add_users(10)
    group, team = graph.add_group(users), graph.add_team(users)
    await asyncio.gather(
        *(client.is_member(group, user) for user in users),
        *(client.team_channels(team) for _ in range(10)),
        client.transitive_members(group),
    )
    assert len(built) == 1 and graph.token_requests == 1 and client.transport.tokens.refreshes == 1
    assert len(graph.calls()) == 21


async def test_the_event_loop_runs_while_a_token_is_fetched(graph: GraphEmulator, client: GraphClient) -> None:
    graph.entra.token_latency = 1.0
    team = graph.add_team()
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    try:
        await client.team_channels(team)
    finally:
        ticking.cancel()
    assert len(gaps) > 50 and max(gaps) < 0.3  # MSAL's blocking call ran in a worker thread


# --- secrets ------------------------------------------------------------------------------------------------------


async def test_secrets_never_reach_the_logs_or_the_errors(
    trusted: GraphEmulator, client: GraphClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # MSAL's and aiohttp's debug logs included
    team = trusted.add_team()
    trusted.inject(503, path_contains="channels")
    await client.team_channels(team)  # a retry, logged
    wrong = graph_client(Settings.from_env({**trusted.env(), "MicrosoftAppPassword": "not-the-secret", **KEY}, None))
    assert wrong is not None
    with pytest.raises(TokenError) as refused:
        await wrong.team_channels(team)
    await wrong.close()
    token = await client.transport.tokens.token()
    shown = caplog.text + str(refused.value)
    assert "retrying" in caplog.text and "invalid_client" in shown and token
    assert trusted.app_password not in shown and "not-the-secret" not in shown and token not in shown


# --- the emulator checks tokens -------------------------------------------------------------------------------------


async def test_the_emulator_refuses_missing_forged_and_misaddressed_tokens(graph: GraphEmulator) -> None:
    team = graph.add_team()
    forged = EntraTokenService(signing_key=SigningKey.generate(graph.entra.signing_key.kid), resource=GRAPH_RESOURCE)
    misaddressed = EntraTokenService(signing_key=graph.entra.signing_key, resource="https://api.botframework.com")
    tokens = {
        "Access token is empty.": None,
        "Access token validation failure.": forged.issue_access_token(graph.app_id, graph.tenant_id),
        "Invalid audience": misaddressed.issue_access_token(graph.app_id, graph.tenant_id),
    }
    async with aiohttp.ClientSession() as session:
        for message, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with session.get(f"{graph.base_url}/teams/{team}/channels", headers=headers) as response:
                assert response.status == 401
                error = (await response.json())["error"]
                assert error["code"] == "InvalidAuthenticationToken" and message in error["message"]
        good = {"Authorization": f"Bearer {graph.entra.issue_access_token(graph.app_id, graph.tenant_id)}"}
        async with session.get(f"{graph.base_url}/teams/{team}/channels", headers=good) as response:
            assert response.status == 200
    assert graph.counters()["unauthorized"] == 3


# --- settings -----------------------------------------------------------------------------------------------------


def test_graph_is_off_unless_enabled_and_then_needs_real_credentials(graph: GraphEmulator) -> None:
    assert graph_client(Settings.from_env({}, env_file=None)) is None
    with pytest.raises(Exception, match="GRAPH_ENABLED=true needs MicrosoftAppId"):
        Settings.from_env({"GRAPH_ENABLED": "true"}, env_file=None)
    with pytest.raises(Exception, match="ADMIN_GROUP_ID needs GRAPH_ENABLED"):
        Settings.from_env({"ADMIN_GROUP_ID": "g"}, env_file=None)
    without_tenant = {**graph.env(), "MicrosoftAppTenantId": "", "MicrosoftAppType": "MultiTenant", **KEY}
    without_tenant.pop("GRAPH_AUTHORITY")
    with pytest.raises(Exception, match="MicrosoftAppTenantId"):
        Settings.from_env(without_tenant, env_file=None)


@pytest.mark.parametrize(
    ("base_url", "scope"),
    [
        ("", "https://graph.microsoft.com/.default"),
        ("https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/.default"),
        ("https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn/.default"),
        ("http://127.0.0.1:8123/v1.0", "https://graph.microsoft.com/.default"),  # a proxy or the emulator
    ],
)
def test_tokens_are_for_the_graph_of_the_cloud(base_url: str, scope: str) -> None:
    env = {"MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "MicrosoftAppTenantId": "t", "GRAPH_ENABLED": "1"}
    assert graph_scope(Settings.from_env({**env, "GRAPH_BASE_URL": base_url, **KEY}, env_file=None)) == scope


def test_the_emulator_grants_what_the_client_documents() -> None:
    import bot.graph.client

    assert all(role in (bot.graph.client.__doc__ or "") for role in LEAST_PRIVILEGED)
