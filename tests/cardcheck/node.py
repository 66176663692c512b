"""The test-time Node tools: installed once per test process by `scripts/node_tools.sh`, then run from their folder.

A missing or broken Node install raises — the card and manifest checks must fail loudly, never be skipped.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).resolve().parent / "node"
INSTALL_SCRIPT = ROOT / "scripts" / "node_tools.sh"


class NodeToolsMissing(RuntimeError):
    """Node.js, npm or the pinned packages could not be made available."""


@cache
def ensure_node_tools() -> Path:
    """Install the pinned packages if needed (fast no-op when they are); return the folder holding them."""
    result = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise NodeToolsMissing(
            f"{INSTALL_SCRIPT.relative_to(ROOT)} failed (exit {result.returncode}):\n{result.stderr.strip()}"
        )
    return NODE_DIR
