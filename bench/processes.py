"""The benchmark's child processes: emulator, bots, profiler — started in their own sessions, always ended.

Each child gets its own session so a Ctrl-C in the terminal reaches only the benchmark, which then ends
every child it started, by pid, in reverse order (profiler before the bot it watches).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tests.teams_channel.channel import TeamsChannel

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """A child process died or never became ready; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Children:
    """Every process the benchmark starts, so that one `stop_all()` ends them — also after a failure."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        log = (self._log_dir / f"{name}.log").open("wb")
        try:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env={**env, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        self._running[name] = process
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self._log_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def pid(self, name: str) -> int:
        return self._running[name].pid

    def check_alive(self, name: str) -> None:
        process = self._running[name]
        if process.poll() is not None:
            raise ChildFailed(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        """End one child by its pid: `sig` first, SIGKILL if it does not go within `timeout`."""
        process = self._running.pop(name, None)
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        try:
            os.kill(process.pid, sig)
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait(timeout)
        except ProcessLookupError:
            return process.wait(timeout)

    def stop_all(self) -> None:
        for name in reversed(list(self._running)):
            self.stop(name)

    def wait_for_file(self, name: str, path: Path, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not path.exists():
            self.check_alive(name)
            if time.monotonic() > deadline:
                raise ChildFailed(f"{name} did not write {path} within {timeout}s:\n{self.log_tail(name)}")
            time.sleep(0.05)

    def wait_healthy(self, name: str, url: str, timeout: float = 60.0) -> None:
        """Poll `url` until it answers 200 (start-up runs migrations and fetches keys, so allow time)."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive(name)
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise ChildFailed(f"{name} not healthy at {url} within {timeout}s:\n{self.log_tail(name)}")
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def supervised(prefix: str, run: Callable[[Children, Path], T], invalid: tuple[type[Exception], ...] = ()) -> T | int:
    """Run a benchmark with its child processes in a scratch folder; every child is ended however it ends.

    Returns what `run` returned, or the exit code when the run was invalid (1) or interrupted (130).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below on `kill`, too
    invalid_run: tuple[type[Exception], ...] = (ChildFailed, *invalid)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        children = Children(Path(tmp))
        try:
            return run(children, Path(tmp))
        except invalid_run as error:
            print(f"benchmark invalid: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            children.stop_all()


def with_teams_and_postgres(
    name: str, run: Callable[[TeamsChannel, str, Path], Coroutine[Any, Any, dict[str, Any]]], result_file: Path
) -> dict[str, Any]:
    """Run a scenario benchmark against the loopback Teams channel and a throwaway PostgreSQL server (its URL),
    in a scratch folder; both are stopped however it ends. The report is written to `result_file` as JSON."""
    channel = TeamsChannel().start()
    server = _postgres_server(name)
    try:
        postgres = server.start()
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
            report = asyncio.run(run(channel, postgres, Path(folder)))
    finally:
        server.stop()
        channel.stop()
    result_file.parent.mkdir(exist_ok=True)
    result_file.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return report


def _postgres_server(name: str) -> Any:
    """The repository's PostgreSQL test server (scripts/pg_test_server.py: installs and starts one if needed)."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "pg_test_server.py"
    spec = importlib.util.spec_from_file_location("pg_test_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.PostgresServer(name)
