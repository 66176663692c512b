"""The feature domains (`bot/polls`, `bot/nudges`, `bot/tips`) stay free of the Teams and HTTP glue: importing
every one of their modules loads neither botbuilder nor aiohttp (the wiring lives in `dialogs/*_jobs.py`)."""

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
glue = sorted(m for m in sys.modules if m.split(".")[0] in {{"botbuilder", "aiohttp"}})
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


def test_the_job_functions_live_in_the_dialogs_wiring() -> None:
    from bot.nudges.service import JOB_FUNCTION as NUDGE_JOB
    from bot.polls.service import CLOSE_JOB, REMIND_JOB, REPEAT_JOB
    from bot.tips.daily import JOB_FUNCTION as TIP_JOB

    for ref in (CLOSE_JOB, REMIND_JOB, REPEAT_JOB, NUDGE_JOB, TIP_JOB):
        module, _, function = ref.partition(":")
        assert module.startswith("dialogs.") and module.endswith("_jobs"), ref
        assert callable(getattr(__import__(module, fromlist=[function]), function)), ref
