"""Open & Flat Bot entry point: `python app.py` starts the bot from the environment (and `.env`).

This is the composition root: the only place that joins the platform (`bot/`) and the features (`dialogs/`).
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.application import create_app as create_platform_app
from bot.instances import InstanceConflict
from bot.settings import Settings, SettingsError
from dialogs import FEATURES

SHUTDOWN_SECONDS = 3.0  # requests in flight at SIGTERM get this long; timed work has its own grace period


def create_app(settings: Settings, **options: object) -> web.Application:
    """The bot with every feature (options: the platform's test hooks, e.g. a clock)."""
    return create_platform_app(settings, FEATURES, **options)  # type: ignore[arg-type]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # the timer's per-wake-up lines: failures only
    try:
        settings = Settings.from_env()
        for feature in FEATURES:  # a feature's bad setting stops the start with a clear message, like the platform's
            if feature.settings is not None:
                feature.settings.parse(settings.env)
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            access_log=None,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
    except (SettingsError, InstanceConflict) as error:
        logging.getLogger("app").error("cannot start: %s", error)
        sys.exit(2)


if __name__ == "__main__":
    main()
