"""Debian's Chromium, driven by Playwright through `executable_path` (Playwright never downloads a browser here).

`scripts/chromium_tools.sh` installs it (and a Japanese font) when missing and we are root. Only when that is
impossible do browser checks skip, with the reason in the skip message.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

from playwright.sync_api import Browser, Playwright

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "scripts" / "chromium_tools.sh"
# Headless, no sandbox (we may be root), and no background traffic: this machine's network is closed.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumUnavailable(RuntimeError):
    """Chromium is missing and cannot be installed on this machine; the message says why."""


@cache
def chromium_path() -> str:
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ChromiumUnavailable(result.stderr.strip() or f"{INSTALL_SCRIPT.name} exited {result.returncode}")
    return result.stdout.strip().splitlines()[-1]


def launch(playwright: Playwright) -> Browser:
    """A fresh headless Chromium (Playwright gives it a new empty profile)."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
