"""The README's contract with a new user: documented settings, and a test command that can't pass on nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    names = set(re.findall(r'get\("([A-Za-z_]+)"', (ROOT / "bot" / "settings.py").read_text()))
    assert {"MicrosoftAppId", "DATABASE_URL", "ALLOWED_TENANT_IDS", "TO_CHANNEL_FROM_BOT_LOGIN_URL"} <= names
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
