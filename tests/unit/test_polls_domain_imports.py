"""The feature domains (`bot/polls`, `bot/nudges`, `bot/tips`) stay free of the Teams and HTTP glue and of the
timer: importing every one of their modules loads neither botbuilder, aiohttp, APScheduler nor the timed work
runner (the wiring lives in the feature's module under `dialogs/`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("polls", "nudges", "tips")

PROBE = """
import importlib, pkgutil, sys
import bot.{feature} as package
names = [info.name for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
glue = sorted(
    m for m in sys.modules if m.split(".")[0] in {{"botbuilder", "aiohttp", "apscheduler"}} or m.startswith("bot.timed")
)
print(len(names), ",".join(glue))
"""


def test_domain_modules_load_neither_botbuilder_nor_aiohttp() -> None:
    for feature in FEATURES:
        result = subprocess.run(
            [sys.executable, "-c", PROBE.format(feature=feature)], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        count, _, glue = result.stdout.strip().partition(" ")
        assert int(count) >= 4, feature  # the probe really imported the package's modules
        assert glue == "", f"bot.{feature} loads {glue}"
