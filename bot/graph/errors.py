"""What can go wrong talking to Microsoft Graph, as types a feature can act on (and no secret in any message)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GraphError(Exception):
    """A non-2xx answer from Graph after the retries (status 0: no answer at all)."""

    status: int
    code: str = ""
    message: str = ""
    request: str = ""  # "GET /groups/{id}/transitiveMembers": method and path, never headers or tokens
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"Microsoft Graph answered {self.status} {self.code} to {self.request}: {self.message}".strip()


class GraphPermissionError(GraphError):
    """403: the app lacks the application permission (or admin consent) this call needs — "no Graph permission"."""


class GraphNotFound(GraphError):
    """404: no such user, group, team or catalog app."""


def graph_error(status: int, code: str, message: str, request: str, retry_after: float | None = None) -> GraphError:
    """The most specific error type for a status."""
    kind = {403: GraphPermissionError, 404: GraphNotFound}.get(status, GraphError)
    return kind(status, code, message, request, retry_after)
