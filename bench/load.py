"""The load generator: pre-built, pre-signed Teams activities posted at a fixed concurrency.

Everything that is not the bot's work — building activities, JSON encoding, signing tokens — happens before
the clock starts; the timed loop only posts bytes and reads answers over a keep-alive pool.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.teams_channel.activities import ActivityBuilder

Check = Callable[[int, bytes], str | None]
Bodies = Callable[[ActivityBuilder, int, str], list[bytes]]


@dataclass
class PhaseResult:
    """One timed phase: latencies of the answered requests and the reasons of the failed ones."""

    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: Counter[str] = field(default_factory=Counter)
    emulator: dict[str, int] = field(default_factory=dict)
    bot_cpu_seconds: float = math.nan  # CPU the bot process used during the phase (user + system)

    @property
    def cpu_ms_per_request(self) -> float:
        """The bot's own cost of one request: unlike throughput, blind to what else the machine is doing."""
        return 1000 * self.bot_cpu_seconds / self.requests if self.requests else math.nan

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile: an actually observed latency, never an interpolation."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def summary(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "bot_cpu_ms_per_request": round(self.cpu_ms_per_request, 3),
            "p50_ms": round(self.percentile(50), 1),
            "p90_ms": round(self.percentile(90), 1),
            "p99_ms": round(self.percentile(99), 1),
            "errors": self.errors,
            "failures": dict(self.failures),
            "emulator": self.emulator,
        }


def message_bodies(builder: ActivityBuilder, count: int, text: str, tag: str) -> list[bytes]:
    """`count` 1:1 messages, each from a different user in their own personal chat, unique activity ids."""
    return [json.dumps(builder.message(text, user=builder.user(f"{tag} {i:05d}"))).encode() for i in range(count)]


def card_action_bodies(builder: ActivityBuilder, count: int, verb: str, tag: str) -> list[bytes]:
    """`count` Action.Execute clicks (`adaptiveCard/action`), each by a different user in their personal chat."""
    return [json.dumps(builder.card_action(verb, user=builder.user(f"{tag} {i:05d}"))).encode() for i in range(count)]


def accept_message(status: int, _: bytes) -> str | None:
    """Teams only needs a 2xx for a message; botbuilder's `process` answers 201, ours 200."""
    return None if status in (200, 201) else f"HTTP {status}"


def accept_invoke(status: int, body: bytes) -> str | None:
    """An invoke must answer 200 with an invoke response body, or Teams shows the user an error."""
    if status != 200:
        return f"HTTP {status}"
    try:
        answer = json.loads(body)
    except ValueError:
        return "invoke answer is not JSON"
    if not isinstance(answer, dict) or answer.get("statusCode") != 200:
        return "invoke answer without statusCode 200"
    return None


async def run_load(
    name: str,
    url: str,
    bodies: Sequence[bytes],
    tokens: Sequence[str],
    *,
    concurrency: int,
    check: Check,
    timeout: float = 30.0,  # noqa: ASYNC109 (per-request aiohttp timeout)
) -> PhaseResult:
    """POST every body once, at most `concurrency` in flight; latency is measured per answered request."""
    headers = [{"Content-Type": "application/json", "Authorization": f"Bearer {token}"} for token in tokens]
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def post(index: int, body: bytes) -> None:
            async with gate:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers[index % len(headers)]) as response:
                        answer = await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as error:
                    failures[type(error).__name__] += 1
                    return
                latencies.append((time.perf_counter() - started) * 1000)
                problem = check(status, answer)
                if problem:
                    failures[problem] += 1

        started = time.perf_counter()
        await asyncio.gather(*(post(i, body) for i, body in enumerate(bodies)))
        seconds = time.perf_counter() - started
    return PhaseResult(name, len(bodies), seconds, latencies, failures)
