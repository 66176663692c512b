"""Microsoft Graph for the platform (admin group, Entra group audiences, installing the app for people).

`graph_client(settings)` builds the app's one client (None unless GRAPH_ENABLED); `client` lists each operation
with the application permission it needs; every failure is a `GraphError` (`GraphPermissionError` for 403: no
Graph permission configured, `GraphNotFound` for 404).
"""

from bot.graph.client import Channel, GraphClient, User
from bot.graph.errors import GraphError, GraphNotFound, GraphPermissionError
from bot.graph.factory import graph_client

__all__ = ["Channel", "GraphClient", "GraphError", "GraphNotFound", "GraphPermissionError", "User", "graph_client"]
