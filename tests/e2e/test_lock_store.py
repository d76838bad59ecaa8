"""The atomic Redis lock store (bot/privacy/lock_store.py) on a real Redis: one turn at a time per conversation, in
arrival order, across two stores (two Rasa servers), expired tickets skipped, two round trips a turn."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.privacy.lock_store import AtomicRedisLockStore
from tests.servers import RedisServer


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


def _store(server, prefix="school"):
    """Made as Rasa makes it from endpoints.yml (deploy/endpoints.scale.yml's keys)."""
    settings = {"port": str(server.port), "db": "0", "password": "", "key_prefix": prefix}
    return LockStore.create(
        EndpointConfig(url=server.host, type="bot.privacy.lock_store.AtomicRedisLockStore", **settings)
    )


def test_endpoints_config_makes_our_store(redis_server):
    store = _store(redis_server)
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix == "school:lock:"


async def _until_tickets(store, conversation: str, count: int) -> None:
    """Until the conversation's lock holds `count` tickets (each waiting turn has taken its ticket)."""
    client = store._client()[0]
    while await client.zcard(store.key_prefix + conversation) < count:
        await asyncio.sleep(0.001)


def test_turns_of_one_conversation_run_one_at_a_time_in_arrival_order_across_two_servers(redis_server):
    first, second = _store(redis_server), _store(redis_server)
    log = []
    release = None

    async def turn(store, n, conversation="pupil-1"):
        async with store.lock(conversation):
            log.append(("in", n))
            if n == 0:
                await release.wait()  # the first turn holds the conversation until every ticket is taken
            await asyncio.sleep(0.01)
            log.append(("out", n))

    async def main():
        nonlocal release
        release = asyncio.Event()
        tasks = []
        for n in range(8):
            tasks.append(asyncio.create_task(turn(first if n % 2 else second, n)))
            await _until_tickets(first, "pupil-1", n + 1)  # each takes its ticket in this order
        await turn(first, "other", "pupil-9")  # another conversation is not held up by pupil-1's queue
        release.set()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    pupil = [entry for entry in log if entry[1] != "other"]
    assert pupil == [(step, n) for n in range(8) for step in ("in", "out")]  # never two at once, in order
    assert log.index(("out", "other")) < log.index(("out", 0))  # another conversation did not wait its turn
    assert first.red.exists("school:lock:pupil-1") == 0  # nothing left behind


def test_an_expired_ticket_is_skipped_and_cannot_release_the_next_holder(redis_server):
    store = _store(redis_server)
    log = []

    async def stuck():
        async with store.lock("pupil-2", lock_lifetime=0.2):
            log.append("stuck in")
            await asyncio.sleep(0.6)  # outlives its ticket, then returns it
        log.append("stuck out")

    async def next_turn(name, stay):
        async with store.lock("pupil-2"):
            log.append(f"{name} in")
            await asyncio.sleep(stay)
            log.append(f"{name} out")

    async def main():
        holder = asyncio.create_task(stuck())
        await _until_tickets(store, "pupil-2", 1)
        waiter = asyncio.create_task(next_turn("next", 0.5))
        await _until_tickets(store, "pupil-2", 2)  # taken before the stuck ticket expires (0.2 s)
        third = asyncio.create_task(next_turn("third", 0))
        await asyncio.gather(holder, waiter, third)

    asyncio.run(main())
    assert log.index("next in") < log.index("stuck out")  # the expired ticket no longer held the conversation
    assert log.index("third in") > log.index("next out")  # the stuck turn's release did not let the third in early


def test_a_ticket_that_expires_while_waiting_raises_lock_error(redis_server):
    store = _store(redis_server)

    async def main():
        async with store.lock("pupil-3", lock_lifetime=5):
            with pytest.raises(LockError):
                async with store.lock("pupil-3", lock_lifetime=0.1):
                    pass

    asyncio.run(main())


def test_an_uncontended_turn_costs_two_redis_round_trips(redis_server, monkeypatch):
    store = _store(redis_server)

    sent = []

    async def main():
        async with store.lock("pupil-4"):  # loads the script once
            pass
        client = store._client()[0]
        send = client.execute_command

        async def counted(*args, **kw):
            sent.append(args[0])
            return await send(*args, **kw)

        monkeypatch.setattr(client, "execute_command", counted)
        async with store.lock("pupil-4"):
            pass

    asyncio.run(main())
    assert sent == ["EVALSHA", "ZREM"]
