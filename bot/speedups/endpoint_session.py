"""EndpointConfig.session: one kept client session per event loop, its JSON written by ujson.

Each call to the action server sends the whole conversation as JSON; the standard library's encoder took
about 1.5 ms a turn for it, ujson (a Rasa dependency) writes the same JSON values three to four times faster.
And Rasa opened a new session, so a new TCP connection, for every call (about 1 ms of CPU a call, and the
action server's too); an endpoint now keeps one session per event loop and uses its idle connections again
for up to KEEPALIVE_SECONDS (fewer than the action server's 5 s, so the server never closes one first).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
import ujson
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.speedups._patch import Patch

_rasas_session = EndpointConfig.session
KEEPALIVE_SECONDS = 2.0


class _KeptSession(aiohttp.ClientSession):
    """A client session that stays open when Rasa's `async with endpoint.session()` block ends."""

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's client session for the endpoint (headers, auth, timeout), kept for the running loop."""
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    settings = {
        "headers": self.headers,
        "auth": auth,
        "timeout": aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        "json_serialize": ujson.dumps,
    }
    loop = asyncio.get_running_loop()  # Rasa opens its sessions in coroutines
    kept = self.__dict__.setdefault("_kept_sessions", weakref.WeakKeyDictionary())
    session = kept.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS)
        session = kept[loop] = _KeptSession(connector=connector, **settings)
    return session


PATCH = Patch(EndpointConfig, "session", _session)
