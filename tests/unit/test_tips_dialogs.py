"""The tips conversation has the same shape as the other features: module-level handlers that `register` wires,
and one way to key a person (`dialogs.common.user_key`) shared by every feature."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any, cast

import dialogs.nudges
import dialogs.polls
import dialogs.tips
from bot.routes import RouteTable
from bot.turn import Actor, Place, Turn
from dialogs.common import user_key


def test_tips_handlers_are_module_level_and_registered() -> None:
    routes = RouteTable()
    dialogs.tips.register(routes)
    assert routes.match_verb("tips.show") is dialogs.tips.show
    assert routes.match_verb("tips.feedback") is dialogs.tips.feedback
    assert routes.match_verb("tips.daily") is dialogs.tips.daily_button
    for typed, handler in (("ヒント", dialogs.tips.tip), ("毎日ヒント", dialogs.tips.daily_tip)):
        matched = routes.match_command(typed)
        assert matched is not None and matched[0].handler is handler


def _turn(aad_object_id: str | None) -> Turn:
    place = Place("19:x@thread.tacv2", "channel", "tenant", "https://smba.example/")
    return Turn(cast(Any, SimpleNamespace()), Actor("29:1abc", aad_object_id, "佐藤"), place, "ja", "ja-JP")


def test_one_user_key_for_every_feature() -> None:
    assert user_key(_turn("aad-1")) == "aad-1"
    assert user_key(_turn(None)) == "29:1abc"
    for module in (dialogs.polls, dialogs.nudges, dialogs.tips):
        assert module.user_key is user_key, module.__name__
        source = inspect.getsource(module)
        assert "aad_object_id or turn.actor.id" not in source, module.__name__
