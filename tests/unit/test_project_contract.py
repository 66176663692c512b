"""The README's contract with a new user: documented settings, and a test command that can't pass on nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    from bot.settings import Settings
    from dialogs import FEATURES

    names = set(Settings.variables())
    for feature in FEATURES:
        names |= set(feature.settings.variables()) if feature.settings else set()
    assert {"MicrosoftAppId", "DATABASE_URL", "ALLOWED_TENANT_IDS", "QUIET_HOURS", "POLL_PRIVACY_THRESHOLD"} <= names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert not [n for n in names if not re.search(rf"^{n}=", example, re.MULTILINE)], "missing in .env.example"
    assert not [n for n in names if f"`{n}`" not in readme], "missing in README.md"


def test_the_test_command_fails_when_no_test_ran() -> None:
    result = subprocess.run(
        [
            "bash",
            "scripts/test.sh",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "no_test_is_called_this",
            "tests/unit/test_i18n.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "no tests" in result.stderr


def test_the_migrate_step_of_make_run_creates_the_database_and_is_idempotent(tmp_path: Path) -> None:
    import os
    import sqlite3
    import sys

    database = tmp_path / "fresh" / "bot.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "bot.store.migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert "migrated" in result.stdout
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"conversations", "processed_activities", "polls", "nudges", "tip_feedback"} <= tables
