"""Graph's error body: `{"error": {"code", "message", "innerError": {date, request-id, client-request-id}}}`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping

from aiohttp import web

# The codes Graph answers these statuses with when nothing more specific applies (injected faults).
DEFAULT_CODES = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    request_id = str(uuid.uuid4())
    inner = {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "request-id": request_id}
    inner["client-request-id"] = request_id
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return web.json_response(body, status=status, headers=headers)
