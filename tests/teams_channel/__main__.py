"""CLI: run the emulator as its own process (benchmarks).

    python -m tests.teams_channel --state-dir DIR [--port P] [--token-port Q] [--no-rate-limits]

Writes DIR/channel.json and DIR/channel-key.pem, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .channel import TeamsChannel
from .config import DEFAULT_APP_ID, DEFAULT_APP_PASSWORD, DEFAULT_TENANT_ID
from .state import write_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.teams_channel", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="plain HTTP: connector + OpenID/JWKS (0 = any)")
    parser.add_argument("--token-port", type=int, default=0, help="HTTPS token endpoint (0 = any)")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce Teams rate limits")
    parser.add_argument("--app-id", default=DEFAULT_APP_ID)
    parser.add_argument("--app-password", default=DEFAULT_APP_PASSWORD)
    parser.add_argument("--tenant-id", default=DEFAULT_TENANT_ID)
    args = parser.parse_args(argv)

    state_dir: Path = args.state_dir.resolve()
    channel = TeamsChannel(
        app_id=args.app_id,
        app_password=args.app_password,
        tenant_id=args.tenant_id,
        host=args.host,
        port=args.port,
        token_port=args.token_port,
        enforce_rate_limits=not args.no_rate_limits,
        work_dir=state_dir,
    )
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    channel.start()
    try:
        path = write_state(state_dir, channel, channel.identity.channel_key.private_pem())
        print(
            f"teams channel emulator: {channel.service_url} (token {channel.login_url}); state {path}",
            file=sys.stderr,
            flush=True,
        )
        done.wait()
    finally:
        channel.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
