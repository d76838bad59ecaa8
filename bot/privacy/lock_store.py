"""Rasa's Redis lock store, each conversation's turns still one at a time and in order, in two round trips a turn.

Rasa's RedisLockStore reads the conversation's lock, changes it in Python and writes it back: about seven
blocking round trips a turn, and two Rasa servers taking a ticket at the same moment can both read the old
lock and be given the same ticket. Here a conversation's lock is one Redis sorted set of tickets in arrival
order, each with its expiry; one Lua script (atomic in Redis) drops expired tickets, adds this turn's and says
whether it is first, and returning a ticket is one ZREM, both without blocking the server's event loop. A
turn that waits asks again every 50 ms (Rasa waits a whole second between tries). Tickets expire after the
same lifetime as Rasa's (60 s unless TICKET_LOCK_LIFETIME says otherwise), so a server killed mid-turn holds
no conversation for longer.

Configure it in endpoints: `lock_store: {type: bot.privacy.lock_store.AtomicRedisLockStore, url: ..., port: ...}` with
the same keys as Rasa's `type: redis`. tests/e2e/test_lock_store.py runs it against a real Redis.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Optional, Tuple

import redis
import redis.asyncio
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

__all__ = ["AtomicRedisLockStore"]

POLL_SECONDS = 0.05
# The settings of Rasa's client that the asyncio client takes too.
_CLIENT_SETTINGS = (
    "host",
    "port",
    "db",
    "username",
    "password",
    "socket_timeout",
    "ssl_keyfile",
    "ssl_certfile",
    "ssl_cert_reqs",
    "ssl_ca_certs",
)

# Both scripts: KEYS[1] the conversation's tickets; ARGV[1] now, ARGV[2] this ticket ("expiry/id").
_DROP_EXPIRED = """
local now = tonumber(ARGV[1])
for _, ticket in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if tonumber(string.match(ticket, '^[^/]+')) <= now then redis.call('ZREM', KEYS[1], ticket) end
end
"""
_FIRST_OR_NOT = """
if redis.call('ZRANGE', KEYS[1], 0, 0)[1] == ARGV[2] then return 1 end
return 0
"""

# ARGV[3] the ticket's lifetime in ms. Adds the ticket last; returns 1 when it is first.
_TAKE = (
    _DROP_EXPIRED
    + """
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local place = 1
if last[2] then place = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[1], place, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
"""
    + _FIRST_OR_NOT
)

# Returns 1 when the ticket is first, 0 when it waits, -1 when it expired.
_CHECK = (
    _DROP_EXPIRED
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return -1 end
"""
    + _FIRST_OR_NOT
)


class AtomicRedisLockStore(RedisLockStore):
    """Takes and returns tickets atomically; configured like Rasa's `type: redis` lock store.

    A turn's round trips go through an asyncio Redis client (one per event loop, with the settings of Rasa's
    client), so a server goes on with its other turn while Redis answers instead of blocking its loop.
    """

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        pool = self.red.connection_pool
        self._settings = {k: v for k, v in pool.connection_kwargs.items() if k in _CLIENT_SETTINGS}
        if issubclass(pool.connection_class, redis.SSLConnection):
            self._settings["ssl"] = True
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _client(self) -> Tuple[Any, Any, Any]:
        """This event loop's client and its two scripts."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            client = redis.asyncio.Redis(**self._settings)
            self._clients[loop] = (client, client.register_script(_TAKE), client.register_script(_CHECK))
        return self._clients[loop]

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[None]:
        """Hold the conversation's lock for the block; LockError if the ticket expired while waiting."""
        key = self.key_prefix + conversation_id
        ticket = f"{time.time() + lock_lifetime!r}/{uuid.uuid4().hex}"
        client, take, check = self._client()
        try:
            lifetime_ms = max(1, int(lock_lifetime * 1000))
            first = await take(keys=[key], args=[repr(time.time()), ticket, lifetime_ms])
        except Exception as error:  # as Rasa's store reports a Redis failure
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            while first != 1:
                if first == -1:
                    raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
                await asyncio.sleep(min(POLL_SECONDS, wait_time_in_seconds))
                first = await check(keys=[key], args=[repr(time.time()), ticket])
            yield None
        finally:
            # returned even when the turn is cancelled, so the next turn need not wait for the ticket to expire
            await asyncio.shield(client.zrem(key, ticket))
