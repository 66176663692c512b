"""The official Adaptive Cards renderer (npm `adaptivecards`) as one long-lived node process per test session.

Starting node costs ~100 ms; hundreds of cards go through one process, a whole batch per request line.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import threading
from typing import Any

from tests.cardcheck.node import ensure_node_tools
from tests.cardcheck.problems import Problem


class RendererFailed(RuntimeError):
    """The node checker died or answered something unreadable."""


class _Renderer:
    def __init__(self) -> None:
        folder = ensure_node_tools()
        self._process = subprocess.Popen(
            ["node", str(folder / "cardcheck.js")],
            cwd=folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self._lock = threading.Lock()

    def check(self, cards: list[dict[str, Any]]) -> list[list[Problem]]:
        assert self._process.stdin and self._process.stdout
        with self._lock:
            try:
                self._process.stdin.write(json.dumps({"cards": cards}, ensure_ascii=False) + "\n")
                self._process.stdin.flush()
                line = self._process.stdout.readline()
            except BrokenPipeError:
                line = ""
        if not line:
            raise RendererFailed(f"the node card checker exited: {self._stderr()}")
        reply = json.loads(line)
        if "error" in reply:
            raise RendererFailed(f"the node card checker failed: {reply['error']}")
        return [[Problem("renderer", p["path"], p["message"]) for p in result] for result in reply["results"]]

    def alive(self) -> bool:
        return self._process.poll() is None

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()

    def _stderr(self) -> str:
        self._process.kill()
        return self._process.stderr.read().strip() if self._process.stderr else ""


_renderer: _Renderer | None = None
_start_lock = threading.Lock()


def renderer_problems(cards: list[dict[str, Any]]) -> list[list[Problem]]:
    """The renderer's findings for each card, in order."""
    global _renderer
    with _start_lock:
        if _renderer is None or not _renderer.alive():
            _renderer = _Renderer()
            atexit.register(_renderer.close)
        renderer = _renderer
    return renderer.check(cards)
