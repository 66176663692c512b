"""Teams rules the schema and the renderer do not know: the highest version Teams renders, the Action.Submit
fallback every Action.Execute needs for older clients (carrying the verb, so both reach the same route), and
the UTF-16 size limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cards.base import MAX_BYTES, utf16_size
from tests.cardcheck.problems import Problem, join

MAX_VERSION = (1, 5)


def rule_problems(card: dict[str, Any]) -> list[Problem]:
    problems = [*_version(card), *_execute_fallbacks(card, "")]
    size = utf16_size(card)
    if size > MAX_BYTES:
        problems.append(Problem("teams", "(card)", f"card is {size} bytes as UTF-16; Teams' limit is {MAX_BYTES}"))
    return problems


def _version(card: dict[str, Any]) -> Iterator[Problem]:
    version = card.get("version")
    try:
        parsed = tuple(int(part) for part in str(version).split("."))
    except ValueError:
        yield Problem("teams", "version", f"version {version!r} is not a version number")
        return
    if parsed > MAX_VERSION:
        yield Problem("teams", "version", f"version {version} is above 1.5, the highest Teams renders for bots")


def _execute_fallbacks(node: Any, at: str) -> Iterator[Problem]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _execute_fallbacks(item, f"{at}[{index}]")
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "Action.Execute":
        yield from _fallback_of(node, at)
    for key, value in node.items():
        yield from _execute_fallbacks(value, join(at, key))


def _fallback_of(action: dict[str, Any], at: str) -> Iterator[Problem]:
    fallback = action.get("fallback")
    where = join(at, "fallback")
    if not isinstance(fallback, dict) or fallback.get("type") != "Action.Submit":
        yield Problem("teams", where, "Action.Execute needs an Action.Submit fallback for older Teams clients")
    elif (fallback.get("data") or {}).get("verb") != action.get("verb"):
        yield Problem(
            "teams",
            join(where, "data.verb"),
            f"the Action.Submit fallback must carry verb {action.get('verb')!r} in its data",
        )
