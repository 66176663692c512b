"""The platform and its app factory: settings and the feature list in, a ready aiohttp application out.

`app.py` (the composition root) passes the feature list; the platform never imports a feature. At start it
migrates, claims its place as an instance, builds every feature once with a narrow `Context`, routes what the
features declare and starts the timed work runner; at stop it hands back unfinished timed work within a grace
period and writes the final state of shared cards, each step bounded so SIGTERM exits in seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapter import MessagesEndpoint, TeamsAdapter
from bot.anonymity import load_key
from bot.audit import AuditLog
from bot.card_updates import INTERVAL_SECONDS, CardRefresher
from bot.claims import ActivityClaims
from bot.clock import SYSTEM_CLOCK, Clock
from bot.connector import BotConnector
from bot.context import Context
from bot.conversations import ConversationDirectory
from bot.credentials import TokenProvider
from bot.feature import Feature, HttpRequest, fill_routes, introductions
from bot.graph import GraphClient, graph_client
from bot.handler import OpenFlatBot
from bot.identity import create_authentication, install_metadata_cache
from bot.instances import Instance, sqlite_path
from bot.languages import LanguagePreferences
from bot.pacing import MemoryReservations, TenantBudget
from bot.permissions import Policy
from bot.recurrence import Kind, Schedule, next_delivery
from bot.routes import RouteTable
from bot.sender import Sender
from bot.settings import Settings
from bot.store import Store
from bot.store.migrate import migrate
from bot.store.pacing import DatabaseReservations
from bot.timed import DueItem, RunnerLimits, TimedWork, TimedWorkRunner, TimedWorkStore

log = logging.getLogger(__name__)

PURGE = "platform.purge"
PURGE_AT = time(3, 17)  # Asia/Tokyo, when nobody is at work
LEDGER_DAYS = 30  # deliveries remembered (no retry is ever that late)
INSTANCE_ROWS_KEPT = timedelta(days=1)
CARD_FLUSH_SECONDS = 2.0  # at stop: the final state of shared cards
CLOSE_SECONDS = 2.0  # at stop: each of the last closing steps


@dataclass
class Platform:
    """Everything the running app built; tests and operators inspect it (`app[PLATFORM]`)."""

    settings: Settings
    clock: Clock
    store: Store
    instance: Instance
    sender: Sender
    cards: CardRefresher
    timed: TimedWork
    runner: TimedWorkRunner
    routes: RouteTable
    policy: Policy
    conversations: ConversationDirectory
    languages: LanguagePreferences
    graph: GraphClient | None = None
    introductions: tuple[str, ...] = ()  # what the running features offer newcomers (welcome and help cards)
    features: dict[str, Feature] = field(default_factory=dict)


PLATFORM = web.AppKey("platform", Platform)
MESSAGES = web.AppKey("messages", MessagesEndpoint)


async def _purge(platform: Platform, item: DueItem) -> datetime:
    """Daily: forget what no retry can need any more (activity claims, delivered keys, stopped instances)."""
    now = platform.clock.now()
    store = platform.store
    claims = await store.activities.purge(now - timedelta(seconds=platform.settings.dedupe_ttl_seconds))
    deliveries = await store.ledger.purge(now - timedelta(days=LEDGER_DAYS))
    await platform.instance.forget_stale(now - INSTANCE_ROWS_KEPT)
    log.info("purged %d activity claims and %d delivery keys", claims, deliveries)
    return _next_purge(platform, now)


def _next_purge(platform: Platform, now: datetime) -> datetime:
    tokyo = now.astimezone(ZoneInfo(platform.settings.tz))
    following = next_delivery(Schedule(Kind.DAILY, PURGE_AT), tokyo, quiet=None)
    assert following is not None  # a daily schedule always has a next occurrence
    return following


async def _plan_purge(platform: Platform) -> None:
    if await platform.timed.get(PURGE, "daily") is None:
        await platform.timed.plan(PURGE, "daily", _next_purge(platform, platform.clock.now()))


def _disk(settings: Settings) -> dict[str, Any]:
    """Free space where the SQLite database lives (PostgreSQL's disk is the server's business)."""
    path = sqlite_path(settings.database_url)
    if path is None:
        return {"ok": True}
    free_mb = shutil.disk_usage(path.parent).free // (1024 * 1024)
    return {"ok": free_mb >= settings.min_free_disk_mb, "free_mb": free_mb, "min_free_mb": settings.min_free_disk_mb}


async def health(platform: Platform) -> dict[str, Any]:
    """ok, or degraded with the reason: the database can't be read or written, the disk is full, timed work is
    late or its wake-ups fail."""
    try:
        async with asyncio.timeout(3):
            readable = await platform.store.ping()
    except TimeoutError:
        readable = False
    instance = platform.instance
    now = platform.clock.now()
    fresh = 3 * platform.runner.limits.poll_seconds + 5  # a heartbeat is written at every wake-up
    wrote = instance.last_write is not None and (now - instance.last_write).total_seconds() < fresh
    database: dict[str, Any] = {"ok": readable and wrote and not instance.write_error, "read": readable, "write": wrote}
    if instance.write_error:
        database["error"] = instance.write_error
    disk = _disk(platform.settings)
    timed = await platform.runner.health()
    healthy = database["ok"] and disk["ok"] and timed["ok"]
    return {"status": "ok" if healthy else "degraded", "database": database, "disk": disk, "timed_work": timed}


async def _warm_identity(settings: Settings, sender: Sender) -> None:
    """Fetch signing keys and the outbound token before the first user needs them; failures only log."""
    for metadata in install_metadata_cache(settings):
        try:
            await asyncio.to_thread(metadata.warm)
        except Exception as error:
            log.warning("could not prefetch signing keys from %s: %s", metadata.url, error)
    try:
        await sender.connector.tokens.token()
    except Exception as error:
        log.warning("could not prefetch the Bot Connector token: %s", error)


async def _bounded(step: Awaitable[Any], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            await step
    except Exception as error:  # stopping goes on: a step that hangs or fails must not keep the process alive
        log.warning("stopping: %s did not complete: %r", what, error)


def create_app(
    settings: Settings,
    features: Sequence[type[Feature]],
    *,
    clock: Clock = SYSTEM_CLOCK,
    card_interval: float = INTERVAL_SECONDS,
    limits: RunnerLimits | None = None,
) -> web.Application:
    """The bot as an aiohttp app. `clock`, `card_interval` and `limits` are for tests (no waiting in real time)."""
    if settings.dev_mode:
        log.warning(
            "LOCAL DEV MODE: MicrosoftAppId is not set, so requests are NOT authenticated. "
            "Listening on loopback only (%s). Never expose this instance.",
            settings.host,
        )
    app = web.Application(client_max_size=settings.max_body_bytes)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await migrate(settings.database_url)
        store = Store.open(settings.database_url)
        instance = Instance(store.engine, settings.database_url)
        try:
            await instance.start(clock.now())
        except Exception:
            await store.close()
            raise
        platform = _build(settings, features, store, instance, clock, card_interval, limits)
        app[PLATFORM] = platform
        adapter = TeamsAdapter(create_authentication(settings), platform.sender, dev_mode=settings.dev_mode)
        bot = OpenFlatBot(
            platform.routes, platform.conversations, platform.languages, platform.sender, platform.introductions
        )
        app[MESSAGES] = MessagesEndpoint(settings, adapter, bot, ActivityClaims(store.activities, instance))
        platform.runner.handle(PURGE, lambda item: _purge(platform, item))
        await _plan_purge(platform)
        for feature in platform.features.values():
            await feature.start_up()
        await platform.runner.start()
        warming = asyncio.create_task(_warm_identity(settings, platform.sender))
        # Everything loaded so far (botbuilder, msrest, SQLAlchemy, catalogs) lives as long as the process:
        # move it out of the collector's sight so full collections under load don't stall every turn.
        gc.collect()
        gc.freeze()
        log.info(
            "Open & Flat Bot ready on %s:%s (database %s, instance %s)",
            settings.host,
            settings.port,
            store.engine.url.drivername,
            instance.id,
        )
        yield
        warming.cancel()
        await platform.runner.stop()
        for feature in platform.features.values():
            await _bounded(feature.shut_down(), CARD_FLUSH_SECONDS, f"{feature.name} shut-down")
        await _bounded(platform.cards.flush(), CARD_FLUSH_SECONDS, "shared card updates")
        await _bounded(platform.sender.connector.close(), CLOSE_SECONDS, "the Bot Connector client")
        if platform.graph is not None:
            await _bounded(platform.graph.close(), CLOSE_SECONDS, "the Graph client")
        await _bounded(instance.stop(), CLOSE_SECONDS, "leaving the instance list")
        await _bounded(store.close(), CLOSE_SECONDS, "closing the database")

    async def messages(request: web.Request) -> web.StreamResponse:
        return await request.app[MESSAGES](request)

    async def healthz(request: web.Request) -> web.Response:
        body = await health(request.app[PLATFORM])
        return web.json_response(body, status=200 if body["status"] == "ok" else 503)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    for feature in features:
        for attribute, mark in feature.marked():
            if mark.kind == "http":
                app.router.add_route(mark.options["method"], mark.key, _http_route(feature.name, attribute))
    return app


def _http_route(feature: str, attribute: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An aiohttp handler calling a feature's declared HTTP route (the feature object exists once started)."""

    async def route(request: web.Request) -> web.StreamResponse:
        handler = getattr(request.app[PLATFORM].features[feature], attribute)
        answer = await handler(HttpRequest(dict(request.match_info), dict(request.query)))
        body = answer.body.encode(answer.charset) if isinstance(answer.body, str) else answer.body
        return web.Response(
            body=body,
            status=answer.status,
            content_type=answer.content_type,
            charset=answer.charset,
            headers=answer.headers,
        )

    return route


def _build(
    settings: Settings,
    feature_types: Sequence[type[Feature]],
    store: Store,
    instance: Instance,
    clock: Clock,
    card_interval: float,
    limits: RunnerLimits | None,
) -> Platform:
    connector = BotConnector(TokenProvider.for_bot_connector(settings))
    # One budget per tenant for every instance: kept in PostgreSQL when instances share it, in memory on SQLite.
    shared = store.engine.dialect.name == "postgresql"
    reservations = DatabaseReservations(store.engine) if shared else MemoryReservations()
    sender = Sender(
        connector,
        store.conversations,
        store.ledger,
        tenant_budget=TenantBudget(settings.tenant_rate_per_second, reservations),
        clock=clock,
    )
    timed_store = TimedWorkStore(store.engine)
    timed = TimedWork(timed_store, clock)
    runner = TimedWorkRunner(timed_store, instance, clock=clock, limits=limits)
    timed.on_plan(runner.notice)
    routes = RouteTable()
    graph = graph_client(settings)
    admin_group = settings.admin_group_id
    platform = Platform(
        settings=settings,
        clock=clock,
        store=store,
        instance=instance,
        sender=sender,
        cards=CardRefresher(sender, interval=card_interval, clock=clock),
        timed=timed,
        runner=runner,
        routes=routes,
        policy=Policy(
            settings.admin_aad_object_ids,
            sender.member,
            (lambda user: graph.is_member(admin_group, user)) if graph and admin_group else None,
        ),
        conversations=ConversationDirectory(store.conversations),
        languages=LanguagePreferences(store.preferences),
        graph=graph,
        introductions=introductions(feature_types),
    )
    context = Context(
        settings=settings,
        engine=store.engine,
        sender=sender,
        cards=platform.cards,
        timed=timed,
        conversations=store.conversations,
        preferences=store.preferences,
        languages=platform.languages,
        policy=platform.policy,
        clock=clock,
        anonymity_key=load_key(settings),
        routes=routes,
        audit=AuditLog(store.engine, clock),
        features=platform.features,
        instance=instance,
        graph=graph,
        introductions=platform.introductions,
    )
    for feature_type in feature_types:
        platform.features[feature_type.name] = feature_type(context)
    for feature in platform.features.values():
        fill_routes(routes, feature.handlers(), runner.handle)
    return platform
