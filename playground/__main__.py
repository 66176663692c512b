"""`make playground`: the bot and the Microsoft 365 Agents Playground, ready to open in a browser; Ctrl-C stops both.

python -m playground [--port 56150] [--database data/playground.db]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from playground.organisation import BOT_NAME, COLLEAGUES, GROUP_CHAT, ME, SECOND_ADMIN, TEAM
from playground.processes import PLAYGROUND_VERSION, ROOT, ServerFailed
from playground.session import PlaygroundSession, playground_session

WORKDIR = ROOT / ".tmp" / "playground-run"


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _welcome(session: PlaygroundSession, database: Path) -> str:
    return "\n".join(
        [
            "",
            f"  Microsoft 365 Agents Playground {PLAYGROUND_VERSION} is ready — open {session.url}",
            "",
            f"  You are {ME.name}; colleagues: {', '.join(person.name for person in COLLEAGUES)}."
            f" Admins: {ME.name}, {SECOND_ADMIN.name}.",
            f"  Chats: Personal Chat (with {BOT_NAME}), {GROUP_CHAT.name}; team {TEAM.name}: General, お知らせ.",
            f"  In a channel or group chat type @ and pick {BOT_NAME}. Start with 「ヘルプ」.",
            f"  The bot ({session.bot_url}, local dev mode) writes its log here; the Playground's is in"
            f" {session.playground.log_path}. Database: {database}",
            "  Ctrl-C stops both.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=56150, help="the Playground's port (another if taken)")
    parser.add_argument("--database", type=Path, default=ROOT / "data" / "playground.db", help="its own SQLite file")
    args = parser.parse_args(argv)
    args.database.parent.mkdir(parents=True, exist_ok=True)
    # SIGINT explicitly too: a shell starting us in the background would have us ignore it.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _interrupt)
    try:
        with playground_session(f"sqlite+aiosqlite:///{args.database.resolve()}", WORKDIR, port=args.port) as session:
            print(_welcome(session, args.database), flush=True)
            # Sleep until a child ends (then stop the other) or Ctrl-C / SIGTERM ends us.
            ended, status = os.wait()
            name = session.bot.name if ended == session.bot.pid else session.playground.name
            code = os.waitstatus_to_exitcode(status)
            print(f"playground: {name} stopped (exit {code}); stopping the other", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\nplayground: stopped", file=sys.stderr)
        return 0
    except ServerFailed as error:
        print(f"playground: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
