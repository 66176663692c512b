"""Open & Flat Bot entry point: `python app.py` starts the bot from the environment (and `.env`)."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.application import create_app
from bot.settings import Settings, SettingsError


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs two lines per job run, and the wake-up job runs every minute: keep its failures only.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        logging.getLogger("app").error("configuration error: %s", error)
        sys.exit(2)
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()
