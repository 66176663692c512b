"""The app factory: settings in, a ready aiohttp application out. `app.py` and the tests both use it."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.adapter import MessagesEndpoint, TeamsAdapter
from bot.card_updates import CardRefresher
from bot.connector import BotConnector
from bot.conversations import ConversationDirectory
from bot.credentials import TokenProvider
from bot.handler import OpenFlatBot
from bot.identity import create_authentication, install_metadata_cache
from bot.languages import LanguagePreferences
from bot.scheduler import Scheduler, get_runtime, set_runtime
from bot.sender import Sender
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.store.migrate import migrate
from dialogs import build_routes
from dialogs.general import unknown_text
from dialogs.polls_jobs import EXPORT_ROUTE, download_export, refresh_dirty_cards

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
MESSAGES = web.AppKey("messages", MessagesEndpoint)
PURGE_JOB_ID = "platform:purge-processed-activities"
WAKE_UP_JOB_ID = "platform:wake-up"


async def wake_up() -> None:
    """Does nothing: running it makes the processing scheduler look at the job store again."""


async def purge_processed_activities() -> None:
    """Daily job: forget activity ids older than the dedupe window (Teams retries within minutes)."""
    services = get_runtime(Services)
    cutoff = datetime.now(UTC) - timedelta(seconds=services.settings.dedupe_ttl_seconds)
    removed = await services.store.activities.purge(cutoff)
    log.info("purged %d processed activity ids", removed)


def build_services(settings: Settings, store: Store) -> Services:
    tokens = TokenProvider(settings)
    sender = Sender(BotConnector(tokens), store.conversations, tenant_rate_per_second=settings.tenant_rate_per_second)
    return Services(
        settings=settings,
        store=store,
        routes=build_routes(),
        conversations=ConversationDirectory(store.conversations),
        languages=LanguagePreferences(store.preferences),
        sender=sender,
        card_refresher=CardRefresher(sender),
        scheduler=Scheduler.from_settings(settings),
        fallback=unknown_text,
    )


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


def create_app(settings: Settings) -> web.Application:
    if settings.dev_mode:
        log.warning(
            "LOCAL DEV MODE: MicrosoftAppId is not set, so requests are NOT authenticated. "
            "Listening on loopback only (%s). Never expose this instance.",
            settings.host,
        )
    app = web.Application(client_max_size=settings.max_body_bytes)

    async def lifecycle(app: web.Application):
        await migrate(settings.database_url)
        store = Store.open(settings.database_url)
        services = build_services(settings, store)
        app[SERVICES] = services
        adapter = TeamsAdapter(create_authentication(settings), services.sender, dev_mode=settings.dev_mode)
        app[MESSAGES] = MessagesEndpoint(settings, adapter, OpenFlatBot(services), store.activities)
        set_runtime(services)
        scheduler = services.scheduler
        scheduler.start(process_jobs=settings.run_scheduler)
        await scheduler.add_cron(PURGE_JOB_ID, f"{__name__}:purge_processed_activities", hour=3, minute=17)
        # APScheduler 3 sleeps until the next job it knows of; jobs written by writer-only instances are noticed
        # at this wake-up at the latest.
        await scheduler.add_cron(WAKE_UP_JOB_ID, f"{__name__}:wake_up", hour="*", minute="*")
        await refresh_dirty_cards(services)  # polls: cards a crash left stale, deadlines that passed while down
        warming = asyncio.create_task(_warm_identity(settings, services.sender))
        # Everything loaded so far (botbuilder, msrest, SQLAlchemy, catalogs) lives as long as the process:
        # move it out of the collector's sight so full collections under load don't stall every turn.
        gc.collect()
        gc.freeze()
        log.info(
            "Open & Flat Bot ready on %s:%s (database %s)", settings.host, settings.port, store.engine.url.drivername
        )
        yield
        warming.cancel()
        await services.card_refresher.flush()  # the final state of every shared card is written before we go
        await services.scheduler.shutdown()
        set_runtime(None)
        await services.sender.connector.close()
        await store.close()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await request.app[MESSAGES](request)

    async def healthz(request: web.Request) -> web.Response:
        services = request.app[SERVICES]
        try:
            async with asyncio.timeout(3):
                database = await services.store.ping()
        except TimeoutError:
            database = False
        scheduler = await services.scheduler.state()
        healthy = database and scheduler["running"]
        body = {
            "status": "ok" if healthy else "degraded",
            "database": "ok" if database else "down",
            "scheduler": scheduler,
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def poll_export(request: web.Request) -> web.StreamResponse:
        return await download_export(request.app[SERVICES], request)

    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(EXPORT_ROUTE, poll_export)
    return app
