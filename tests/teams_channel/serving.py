"""aiohttp apps served on loopback from a thread and event loop of their own, shared by the emulators.

Why a thread: botbuilder fetches OpenID metadata with blocking `requests.get` and MSAL posts to the
token endpoint synchronously, both on the bot's loop. A fake served on that same loop could never
answer them (deadlock); on its own loop it answers while the bot's loop is blocked.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from dataclasses import dataclass

from aiohttp import web

from .keys import TlsMaterial


@dataclass(frozen=True)
class _Listener:
    sock: socket.socket
    app: web.Application
    tls: bool


class LoopbackServers:
    """Bind first (`listen` answers the port at once), then `start` serving every app in one daemon thread."""

    def __init__(self, name: str, host: str = "127.0.0.1", tls: TlsMaterial | None = None) -> None:
        self.name = name
        self.host = host
        self.tls = tls
        self._listeners: list[_Listener] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def listen(self, app: web.Application, port: int = 0, *, tls: bool = False) -> int:
        """Bind `app` to `port` (0: any free one) on the host; HTTPS with the TLS material when `tls`."""
        if tls and self.tls is None:
            raise ValueError("HTTPS needs the TLS material")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        self._listeners.append(_Listener(sock, app, tls))
        return int(sock.getsockname()[1])

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, timeout: float = 10.0) -> None:
        """Serve in a daemon thread; returns once every socket accepts connections."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(ready))
            except BaseException as exc:  # surfaced to start()'s caller
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or failure:
            self._thread = None
            raise RuntimeError(f"{self.name} failed to start") from (failure[0] if failure else None)

    async def _serve(self, ready: threading.Event) -> None:
        self._stop = asyncio.Event()
        runners = [web.AppRunner(listener.app, access_log=None, shutdown_timeout=0.5) for listener in self._listeners]
        try:
            for runner, listener in zip(runners, self._listeners, strict=True):
                await runner.setup()
                await web.SockSite(runner, listener.sock, ssl_context=self._ssl() if listener.tls else None).start()
            ready.set()
            await self._stop.wait()
        finally:
            for runner in runners:
                await runner.cleanup()

    def _ssl(self) -> ssl.SSLContext:
        assert self.tls is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        return context

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        self._thread = None
