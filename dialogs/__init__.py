"""Conversations per feature. `build_routes` is the single place that wires every feature into the table."""

from __future__ import annotations

from bot.routes import RouteTable
from dialogs import general, nudges, polls, tips

FEATURES = (general, tips, nudges, polls)


def build_routes() -> RouteTable:
    routes = RouteTable()
    for feature in FEATURES:
        feature.register(routes)
    return routes
