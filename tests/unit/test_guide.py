"""The picture guide (docs/GUIDE.ja.md first, docs/GUIDE.en.md) shows only pictures that exist: `make guide` takes
them in the Playground, and a guide naming one that was renamed or never taken fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDES = ("GUIDE.ja.md", "GUIDE.en.md")


def pictures_named_in(guide: str) -> set[str]:
    return set(re.findall(r"!\[[^\]]*\]\((guide/[^)\s]+\.png)\)", (DOCS / guide).read_text(encoding="utf-8")))


@pytest.mark.parametrize("guide", GUIDES)
def test_every_picture_the_guide_names_exists(guide: str) -> None:
    named = pictures_named_in(guide)
    assert len(named) >= 10, f"{guide} shows {len(named)} pictures"
    missing = sorted(name for name in named if not (DOCS / name).is_file())
    assert not missing, f"{guide} names pictures that are missing (run `make guide`): {missing}"


def test_both_guides_show_the_same_pictures() -> None:
    assert pictures_named_in("GUIDE.ja.md") == pictures_named_in("GUIDE.en.md")
