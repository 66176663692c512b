#!/usr/bin/env python3
"""A throwaway PostgreSQL server for the tests: real PostgreSQL, no Docker, gone when stopped.

Finds initdb/pg_ctl (PATH or /usr/lib/postgresql/*/bin) and, when they are missing and we are root (CI on a clean
machine), installs the distribution's `postgresql` package. The cluster lives in a temp dir with trust auth, listens
on 127.0.0.1 at a free port with its unix socket in the same dir, and has fsync off: it is fast and disposable.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user (created if missing).

    with PostgresServer() as url: ...          # postgresql+asyncpg://postgres@127.0.0.1:PORT/test
    python scripts/pg_test_server.py           # print the URL, serve until Ctrl-C, then delete everything
    python scripts/pg_test_server.py install   # only make sure the binaries are there (CI warm-up)

Stdlib only, so it runs before the virtualenv exists.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

SYSTEM_USER = "postgres"
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found, installed or started; the message says why."""


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest major version first; None if PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = glob.glob("/usr/lib/postgresql/*/bin") + glob.glob("/usr/pgsql-*/bin")

    def major(path: str) -> int:
        digits = "".join(ch for ch in Path(path).parent.name if ch.isdigit())
        return int(digits or 0)

    for candidate in sorted(candidates, key=major, reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


def ensure_installed() -> Path:
    """Find the PostgreSQL binaries, installing them with apt-get when missing and allowed (root)."""
    bin_dir = find_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian/Ubuntu: `sudo apt-get "
            "install -y postgresql`) or point TEST_DATABASE_URL at a PostgreSQL you can CREATE DATABASE on."
        )
    print("pg_test_server: installing PostgreSQL with apt-get (one time)...", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update"], env=env)
    _run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], env=env)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("apt-get installed postgresql but initdb/pg_ctl are still not found")
    return bin_dir


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER])
        return pwd.getpwnam(SYSTEM_USER)


def _base_dir() -> str | None:
    """Where the cluster lives: RAM if there is room (CREATE DATABASE per test is ~15x faster there than on disk)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free >= 512 * 1024 * 1024:
        return str(shm)
    # As root, /tmp rather than a TMPDIR the postgres user may not be able to enter.
    return "/tmp" if os.geteuid() == 0 else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """Start with `start()` or `with`; `url` is the asyncpg URL of database `database`; `stop()` deletes it all."""

    def __init__(self, database: str = "test") -> None:
        self.database = database
        self.url = ""
        self._bin: Path | None = None
        self._dir: Path | None = None
        self._as_user: list[str] = []

    @property
    def _data(self) -> Path:
        assert self._dir is not None
        return self._dir / "data"

    def _cmd(self, tool: str, *args: str) -> list[str]:
        assert self._bin is not None
        return [*self._as_user, str(self._bin / tool), *args]

    def start(self) -> str:
        self._bin = ensure_installed()
        self._dir = Path(tempfile.mkdtemp(prefix="pgtest-", dir=_base_dir()))
        try:
            if os.geteuid() == 0:
                user = _ensure_system_user()
                os.chown(self._dir, user.pw_uid, user.pw_gid)
                self._as_user = ["runuser", "-u", SYSTEM_USER, "--"]
            _run(
                self._cmd(
                    "initdb", "-D", str(self._data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C",
                    "--no-sync",
                )
            )  # fmt: skip
            port = self._start_server()
            _run(self._cmd("createdb", "-h", str(self._dir), "-p", str(port), "-U", SUPERUSER, self.database))
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{port}/{self.database}"
        return self.url

    def _start_server(self) -> int:
        """Start on a free port; retry on a new one if another process grabbed it in between."""
        assert self._dir is not None
        error: PostgresUnavailable | None = None
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={self._dir} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            try:
                _run(self._cmd("pg_ctl", "-D", str(self._data), "-l", str(self._dir / "server.log"), "-o", options,
                               "-w", "-t", "60", "start"))  # fmt: skip
                return port
            except PostgresUnavailable as exc:
                log = self._dir / "server.log"
                error = PostgresUnavailable(f"{exc}\n{log.read_text() if log.exists() else ''}")
        assert error is not None
        raise error

    def stop(self) -> None:
        if self._dir is None:
            return
        if (self._data / "postmaster.pid").exists():
            subprocess.run(
                self._cmd("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self.url = ""

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    if argv[1:] == ["install"]:
        print(ensure_installed())
        return 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    with PostgresServer() as url:
        print(url, flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run __exit__ on `kill` too
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
