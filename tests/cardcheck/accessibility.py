"""Accessibility of a card, JIS X 8341-3 (WCAG 2) minded: what a person who can't see colours, images or layout
still gets from it.

- No meaning by colour alone: coloured text says its meaning in words (not a lone ● or ✓); a coloured shape
  without words (a result bar) stands right after the figures it draws; a coloured button has a title in words.
- Every image has a text alternative (`altText`); every chart has a title, and its labels and values are also
  written as text on the card.
- Headings are marked: a large or bold-and-medium TextBlock (what looks like a heading) has `style: heading`; a
  large typed title, which must stay a TextRun (never Markdown, see `cards.base.literal`), follows a marked
  heading that names the card.
- Every input has a label (a toggle: its title).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tests.cardcheck.problems import Problem, join

HEADING_SIZES = {"large", "extralarge"}
WORDS = re.compile(r"[^\W_]", re.UNICODE)  # a letter or digit of any script: a word, not only signs
FIGURES = re.compile(r"\d+\s*%")


def _text_of(node: Any) -> str:
    """Everything a screen reader reads in `node`: texts, runs, facts, titles, labels."""
    if isinstance(node, list):
        return " ".join(_text_of(item) for item in node)
    if not isinstance(node, dict):
        return ""
    own = [str(node[key]) for key in ("text", "title", "value", "label", "altText") if isinstance(node.get(key), str)]
    nested = [_text_of(value) for key, value in node.items() if key not in {"fallback", "refresh", "data"}]
    return " ".join([*own, *nested])


def _walk(node: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any], list[Any] | None, int]]:
    """(path, element, the list it sits in, its index there) for every object of the card, in reading order."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"fallback", "refresh"}:
                continue
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        yield f"{join(at, key)}[{index}]", item, value, index
                        yield from _walk(item, f"{join(at, key)}[{index}]")
            elif isinstance(value, dict):
                yield join(at, key), value, None, 0
                yield from _walk(value, join(at, key))


def _is_heading(element: dict[str, Any]) -> bool:
    return element.get("type") == "TextBlock" and element.get("style") == "heading"


def _looks_like_heading(element: dict[str, Any]) -> bool:
    size = str(element.get("size", "")).lower()
    bold = str(element.get("weight", "")).lower() == "bolder"
    return size in HEADING_SIZES or (bold and size == "medium")


def accessibility_problems(card: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    seen_heading = False
    for at, element, siblings, index in _walk(card):
        kind = str(element.get("type", ""))
        problems += [Problem("a11y", at, message) for message in _element_problems(element, kind, siblings, index)]
        if kind == "TextBlock" and _looks_like_heading(element) and not _is_heading(element):
            problems.append(Problem("a11y", at, "looks like a heading but is not marked (style: heading)"))
        seen_heading = seen_heading or _is_heading(element)
        titled = kind == "RichTextBlock" and any(_looks_like_heading(run) for run in element.get("inlines", []))
        if titled and not seen_heading:
            problems.append(Problem("a11y", at, "a large title with no marked heading before it"))
        if kind.startswith("Chart."):
            problems += [Problem("a11y", at, message) for message in _chart_problems(card, element)]
    return problems


def _element_problems(element: dict[str, Any], kind: str, siblings: list[Any] | None, index: int) -> Iterator[str]:
    color = str(element.get("color", "default")).lower()
    if color != "default" and kind in {"TextBlock", "TextRun"} and not WORDS.search(str(element.get("text", ""))):
        yield f"its meaning is in its colour ({color}) only: say it in words"
    shape = (kind == "ColumnSet" and _is_bar(element)) or (kind == "Container" and _is_coloured_shape(element))
    if shape and not _follows_figures(siblings, index):
        yield "a coloured shape with no words and no figures written right before it: its meaning is colour only"
    if kind.startswith("Action.") and not WORDS.search(str(element.get("title", ""))):
        yield "a button with no words in its title"
    if kind == "Image" and not str(element.get("altText", "")).strip():
        yield "an image without altText"
    label = element.get("label") or (element.get("title") if kind == "Input.Toggle" else "")
    if kind.startswith("Input.") and not str(label or "").strip():
        yield "an input without a label"


def _follows_figures(siblings: list[Any] | None, index: int) -> bool:
    before = siblings[index - 1] if siblings and index > 0 else None
    return isinstance(before, dict) and FIGURES.search(_text_of(before)) is not None


def _is_coloured_shape(element: dict[str, Any]) -> bool:
    return str(element.get("style", "default")).lower() not in {"default", "emphasis"} and not WORDS.search(
        _text_of(element)
    )


def _is_bar(element: dict[str, Any]) -> bool:
    """A ColumnSet of styled columns holding no words: a drawn bar."""
    columns = element.get("columns") or []
    styled = [c for c in columns if str(c.get("style", "default")).lower() not in {"default"}]
    return bool(columns) and len(styled) == len(columns) and not WORDS.search(_text_of(columns))


def _chart_problems(card: dict[str, Any], chart: dict[str, Any]) -> Iterator[str]:
    if not str(chart.get("title", "")).strip():
        yield "a chart without a title"
    written = _text_of({key: value for key, value in card.items() if key != "body"}) + _text_of(
        [element for element in card.get("body", []) if not str(element.get("type", "")).startswith("Chart.")]
    )
    for point in chart.get("data", []):
        label = str(point.get("x", point.get("legend", "")))
        value = point.get("y", point.get("value"))
        if label not in written or str(value) not in written:
            yield f"chart point {label!r} = {value!r} is not also written as text on the card"
