"""Where our bot spends its CPU under load: a py-spy recording of the bot process, summed per frame.

py-spy is a developer tool, not a requirement: `--profile` asks for it and says how to install it.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HotSpots:
    """Frames with their share of all CPU samples (%): own = the frame itself was running."""

    samples: int
    own: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]
    project: list[tuple[str, float]]


def find_py_spy() -> str:
    beside_python = Path(sys.executable).parent / "py-spy"
    found = str(beside_python) if beside_python.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy (not a project requirement)")
    return found


def record_argv(py_spy: str, pid: int, output: Path, rate: int = 200) -> list[str]:
    """Raw (collapsed) stacks with line numbers, only of the thread holding the GIL: the bot is CPU-bound on
    one core, so that is where its time goes (idle waits and SQLite's GIL-free C work are left out).

    `--nonblocking` reads the bot's memory without pausing it: pausing a process with a dozen database
    threads 200 times a second slowed it threefold and the profile showed the profiler, not the bot.
    """
    options = ["--rate", str(rate), "--gil", "--nonblocking", "--format", "raw", "--output", str(output)]
    return [py_spy, "record", "--pid", str(pid), *options]


PROJECT_CODE = ("(bot/", "(dialogs/", "(cards/", "(app.py")


def hot_spots(raw: Path, root: Path, top: int = 15) -> HotSpots:
    """Top frames by own time (the leaf of each sample), by inclusive time, and inclusive in our own code."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    project: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame, root) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
            if any(marker in frame for marker in PROJECT_CODE):
                project[frame] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(frame, round(100 * n / total, 1)) for frame, n in counter.most_common(top)]

    return HotSpots(total, share(own), share(inclusive), share(project))


def _short(frame: str, root: Path) -> str:
    """`func (/abs/.venv/lib/python3.11/site-packages/pkg/mod.py:12)` → `func (pkg/mod.py:12)`."""
    text = frame.replace(f"{root}/", "")
    marker = "site-packages/"
    if marker in text:
        head, _, tail = text.partition("(")
        text = f"{head}({tail.split(marker, 1)[1]}"
    return text
