"""Loopback Teams channel emulator: Bot Framework identity, an Entra-like token endpoint and the
Bot Connector REST API, served from their own thread/loop (or process, via `python -m tests.teams_channel`)."""

from .activities import ActivityBuilder, Conversation, User
from .channel import TeamsChannel
from .connector import ConnectorCall
from .state import load_signer, load_state

__all__ = ["ActivityBuilder", "ConnectorCall", "Conversation", "TeamsChannel", "User", "load_signer", "load_state"]
