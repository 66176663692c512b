"""The two servers of a Playground session — the bot (`python app.py`) and the Playground (Node) — as children.

Each child leads its own process group: Ctrl-C in the terminal reaches only us, and `stop()` ends the child with
everything it started, so stopping us (Ctrl-C, SIGTERM, a finished test session) leaves no orphans.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playground.organisation import ADMINS

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUND_PACKAGE = "@microsoft/m365agentsplayground"
# The pin lives in the committed package.json (and its lock file), which the install script installs.
PLAYGROUND_VERSION = json.loads((ROOT / "playground" / "node" / "package.json").read_text())["dependencies"][
    PLAYGROUND_PACKAGE
]
PLAYGROUND_DIR = ROOT / ".tmp" / "playground"
PLAYGROUND_CLI = PLAYGROUND_DIR / "node_modules" / PLAYGROUND_PACKAGE / "cli.js"
INSTALL_SCRIPT = ROOT / "scripts" / "playground_tools.sh"
LOOPBACK_ONLY = Path(__file__).resolve().parent / "loopback.cjs"


class ServerFailed(RuntimeError):
    """A server did not start; the message carries its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until(ready: Callable[[], bool], process: ServerProcess, timeout: float, what: str) -> None:
    """Poll `ready` until it holds; fail at once with the log if the process exits first. Whatever ends the wait
    early (a failure, Ctrl-C) stops the process: nobody else holds it yet."""
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            if not process.alive():
                raise ServerFailed(f"{process.name} exited ({process.returncode}) before {what}:\n{process.log()}")
            if time.monotonic() > deadline:
                raise ServerFailed(f"{process.name}: no {what} within {timeout:.0f} s:\n{process.log()}")
            time.sleep(0.1)
    except BaseException:
        process.stop()
        raise


class ServerProcess:
    """A child in its own process group; its output goes to `log_path` (or our terminal when None)."""

    def __init__(self, name: str, argv: list[str], *, cwd: Path, env: dict[str, str], log_path: Path | None) -> None:
        self.name = name
        self.log_path = log_path
        output = log_path.open("wb") if log_path else None
        try:
            self._process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if output:
                output.close()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def alive(self) -> bool:
        return self._process.poll() is None

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(output went to the terminal)"
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the whole group, SIGKILL if it lingers."""
        if self._process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self._process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self._process.wait(timeout=timeout)
                return
            except subprocess.TimeoutExpired:
                continue


def bot_environment(database_url: str, port: int) -> dict[str, str]:
    """Local dev mode on loopback (no app id, so no auth), its own database, and the current user and a colleague as
    admins (a broadcast to everyone needs a second admin's approval).

    Every setting a developer's `.env` might hold is pinned here, since the environment wins over `.env`."""
    return {
        **os.environ,
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "ALLOWED_TENANT_IDS": "",
        "ADMIN_AAD_OBJECT_IDS": ",".join(person.aad_object_id for person in ADMINS),
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": "",
        "RUN_SCHEDULER": "true",
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": "",
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": "",
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": "",
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": "",
    }


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def start_bot(database_url: str, log_path: Path | None, timeout: float = 60.0) -> tuple[ServerProcess, str]:
    """Start the bot on a free loopback port; return it and its base URL once /healthz answers 200."""
    port = free_port()
    bot = ServerProcess(
        "the bot", [sys.executable, "app.py"], cwd=ROOT, env=bot_environment(database_url, port), log_path=log_path
    )
    url = f"http://127.0.0.1:{port}"
    _wait_until(lambda: _healthy(url), bot, timeout, "/healthz answer")
    return bot, url


def install_playground() -> None:
    """Install the pinned Playground from npm into the ignored `.tmp/playground` (a no-op once done)."""
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServerFailed(f"{INSTALL_SCRIPT.relative_to(ROOT)} failed (exit {result.returncode}):\n{result.stderr}")


def start_playground(bot_url: str, workdir: Path, port: int = 0, timeout: float = 60.0) -> tuple[ServerProcess, str]:
    """Start the Playground talking to the bot; return it and the URL to open.

    It reads `.m365agentsplayground.yml` from `workdir`. Port 0 means any free port; a taken port makes the
    Playground pick another, so the real one is read from its "Listening on N" line. It listens on loopback only
    (`loopback.cjs`), like the dev-mode bot behind it."""
    log_path = workdir / "playground.out"
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(workdir / ".m365agentsplayground.yml"),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(workdir / "playground.log"),
        "NODE_OPTIONS": f"{os.environ.get('NODE_OPTIONS', '')} --require {json.dumps(str(LOOPBACK_ONLY))}".strip(),
    }
    argv = ["node", str(PLAYGROUND_CLI), "start", "-e", f"{bot_url}/api/messages", "--disable-telemetry"]
    playground = ServerProcess("the Playground", [*argv, "-p", str(port)], cwd=workdir, env=env, log_path=log_path)

    def listening_port() -> int | None:
        found = re.search(r"^Listening on (\d+)$", playground.log(), re.MULTILINE)
        return int(found.group(1)) if found else None

    _wait_until(lambda: listening_port() is not None, playground, timeout, '"Listening on" line')
    return playground, f"http://localhost:{listening_port()}"
