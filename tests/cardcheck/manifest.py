"""Teams app manifest and localization files checked offline by `@microsoft/app-manifest` (one node call)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cardcheck.node import ensure_node_tools


def manifest_problems(files: list[Path]) -> dict[Path, list[str]]:
    """Schema errors per file (manifest.json or a localization file), by the `$schema` each one names."""
    folder = ensure_node_tools()
    result = subprocess.run(
        ["node", str(folder / "manifestcheck.js"), *map(str, files)],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manifestcheck.js failed (exit {result.returncode}):\n{result.stderr.strip()}")
    found = json.loads(result.stdout)
    return {path: found[str(path)] for path in files}
