"""Loopback Microsoft Graph emulator: an Entra token endpoint for the Graph resource and the Graph requests the
bot makes (group membership, transitive members, team channels, installing the app for a user and finding the
chat with it), served from its own thread/loop, with permissions, paging, faults and a record of every call."""

from .emulator import DEFAULT_TEAMS_APP_ID, GRAPH_RESOURCE, GraphEmulator
from .permissions import LEAST_PRIVILEGED
from .service import GraphCall

__all__ = ["DEFAULT_TEAMS_APP_ID", "GRAPH_RESOURCE", "LEAST_PRIVILEGED", "GraphCall", "GraphEmulator"]
