"""The scale-out deployment, for real on loopback: nginx, Redis and PostgreSQL from Debian's packages, two
Rasa servers and one action server, with deploy/endpoints.scale.yml and deploy/compose/nginx.conf.

- a conversation whose turns alternate between the two servers keeps its slots and answers correctly;
- one server killed mid-conversation: the next turn, through nginx, is served by the other, nothing lost;
- 50 concurrent conversations through nginx for 20 seconds, with no errors. Each simulated pupil waits a
  second between turns, so the load stays under nginx's per-address guard by construction, however fast
  the machine answers (the test checks that margin against the site's own numbers);
- the guard does trip under a real flood from one address, and the service answers again afterwards. The
  flood's requests are all sent before any is answered, so how many are refused does not depend on how
  fast the servers are.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
import requests

from bot.serve import TUNED_ENV, Stack, free_port
from tests.servers import NginxBalancer, PostgresCluster, RedisServer

TOKEN = "scale-test-token"
LOAD_SECONDS = 20
LOAD_CONVERSATIONS = 50
THINK_SECONDS = 1.0  # a person reads and types for longer than this between turns
GUARD_RATE, GUARD_BURST = NginxBalancer.flood_guard()
CONVERSATION = [
    ("what is consent", r"consent"),
    ("can my boyfriend make me send pics", r"0800 1111"),
    ("what is report remove", r"Report Remove"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """PostgreSQL, Redis, one action server, two Rasa servers and nginx in front of them."""
    logs = tmp_path_factory.mktemp("scale-logs")
    postgres, redis = PostgresCluster(db="assistant_scale"), RedisServer()
    postgres.start()
    redis.start()
    env = {**postgres.env(), **redis.env(), "SANIC_WORKERS": "1", **TUNED_ENV}
    action_port = free_port()
    servers = {}
    for name in ("a", "b"):
        servers[name] = Stack(
            free_port(),
            action_port,
            token=TOKEN,
            endpoints="deploy/endpoints.scale.yml",
            log_dir=logs / name,
            extra_env=env,
        )
        servers[name].log_dir.mkdir()
    servers["a"].start_actions()
    for server in servers.values():
        server.start_rasa()
    nginx = None
    try:
        for server in servers.values():
            server.wait_ready(timeout=400)
        addresses = [f"127.0.0.1:{s.rasa_port}" for s in servers.values()]
        nginx = NginxBalancer(addresses, channels=addresses[0]).start()
        yield servers, nginx, postgres
    finally:
        if nginx:
            nginx.stop()
        for server in servers.values():
            server.stop()
        redis.stop()
        postgres.remove()


def turn(base_url: str, sender: str, text: str, metadata: dict | None = None) -> str:
    body = {"sender": sender, "message": text, "metadata": metadata or {}}
    reply = requests.post(f"{base_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert reply.status_code == 200, reply.text
    return "\n".join(m.get("text", "") for m in reply.json())


def slots(server: Stack, sender: str) -> dict:
    tracker = requests.get(
        f"{server.rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30
    ).json()
    return tracker["slots"]


def test_turns_alternating_between_servers_keep_the_conversation(cluster):
    servers, _, _ = cluster
    sender = f"alt-{uuid.uuid4().hex}"
    a, b = servers["a"], servers["b"]
    first = turn(a.rasa_url, sender, "hi", {"audience": "teacher"})
    assert first
    # The audience was set on server a; server b must read it from PostgreSQL and answer for a teacher.
    second = turn(b.rasa_url, sender, "a pupil has shown me a nude of another pupil on their phone")
    assert "Never view, copy, print, share, save or ask for any image" in second  # the teacher's answer
    assert slots(b, sender)["audience"] == "teacher"
    third = turn(a.rasa_url, sender, "what is consent")
    assert "consent" in third.lower()
    events = requests.get(f"{a.rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30).json()[
        "events"
    ]
    assert sum(1 for e in events if e["event"] == "user") == 3


def test_the_load_balancer_never_exposes_the_api(cluster):
    _, nginx, _ = cluster
    for path in ("/conversations/x/tracker", "/model/parse", "/status", "/domain"):
        assert requests.get(f"{nginx.url}{path}", params={"token": TOKEN}, timeout=10).status_code == 404, path
    assert (
        requests.post(f"{nginx.url}/model/parse", params={"token": TOKEN}, json={"text": "hi"}, timeout=10).status_code
        == 404
    )


def test_a_server_killed_mid_conversation_loses_nothing(cluster):
    servers, nginx, _ = cluster
    sender = f"kill-{uuid.uuid4().hex}"
    turn(nginx.url, sender, "hello", {"audience": "pupil", "age": 14})
    turn(nginx.url, sender, "what is consent")
    servers["a"].kill("rasa")
    reply = turn(nginx.url, sender, "someone is threatening to share my nudes unless i pay them")
    assert "0800 1111" in reply and "CEOP" in reply
    state = slots(servers["b"], sender)
    assert state["audience"] == "pupil" and state["age_band"] == "14_15"
    events = requests.get(
        f"{servers['b'].rasa_url}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30
    ).json()["events"]
    assert sum(1 for e in events if e["event"] == "user") == 3


def test_fifty_concurrent_conversations_for_twenty_seconds(cluster):
    servers, nginx, _ = cluster
    if servers["a"].procs.get("rasa") is None:  # killed by the test before: bring it back for the load
        servers["a"].start_rasa()
        servers["a"].wait_ready(timeout=400)
    stop = threading.Event()
    counts = {"replies": 0, "errors": []}
    lock = threading.Lock()

    def converse() -> None:
        session = requests.Session()
        while not stop.is_set():
            sender = f"load-{uuid.uuid4().hex}"
            for text, expected in CONVERSATION:
                try:
                    body = {"sender": sender, "message": text, "metadata": {"audience": "pupil", "age": 13}}
                    reply = session.post(f"{nginx.url}/webhooks/rest/webhook", json=body, timeout=60)
                    ok = reply.status_code == 200 and expected.lower() in reply.text.lower()
                except requests.RequestException as error:
                    ok, reply = False, error
                with lock:
                    if ok:
                        counts["replies"] += 1
                    else:
                        counts["errors"].append(str(getattr(reply, "status_code", reply)))
                stop.wait(THINK_SECONDS)

    threads = [threading.Thread(target=converse) for _ in range(LOAD_CONVERSATIONS)]
    for thread in threads:
        thread.start()
    stop.wait(LOAD_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    print(f"{counts['replies']} replies from 2 servers in {LOAD_SECONDS} s, {len(counts['errors'])} errors")
    assert not counts["errors"], counts["errors"][:5]
    assert counts["replies"] >= LOAD_CONVERSATIONS


def test_the_load_stays_far_below_the_per_address_guard():
    """At most one request per conversation per think time, whatever the machine: a tenth of the guard."""
    assert LOAD_CONVERSATIONS / THINK_SECONDS <= GUARD_RATE / 10
    assert LOAD_CONVERSATIONS <= GUARD_BURST / 10


async def _flood(host: str, port: int, path: str, count: int) -> list:
    """`count` GETs from one address, each on its own connection, all written before any answer is read."""
    connections = [await asyncio.open_connection(host, port) for _ in range(count)]
    request = f"GET {path} HTTP/1.1\r\nHost: school.example\r\nConnection: close\r\n\r\n".encode()
    for _, writer in connections:
        writer.write(request)
    await asyncio.gather(*(writer.drain() for _, writer in connections))

    async def status(reader: asyncio.StreamReader) -> int:
        line = await asyncio.wait_for(reader.readline(), timeout=120)
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0

    try:
        return await asyncio.gather(*(status(reader) for reader, _ in connections))
    finally:
        for _, writer in connections:
            writer.close()


def test_a_flood_from_one_address_meets_the_guard_and_the_service_recovers(cluster):
    _, nginx, _ = cluster
    flood = 2 * GUARD_BURST + GUARD_RATE // 2  # far more than the burst, sent within milliseconds
    statuses = asyncio.run(_flood("127.0.0.1", nginx.port, "/webhooks/rest/", flood))
    assert set(statuses) <= {200, 429}, sorted(set(statuses))
    assert statuses.count(429) > 0
    assert statuses.count(200) > GUARD_BURST  # the burst itself always gets through
    time.sleep(GUARD_BURST / GUARD_RATE + 1)  # the time the guard's bucket takes to empty
    reply = turn(nginx.url, f"after-flood-{uuid.uuid4().hex}", "what is consent", {"audience": "pupil", "age": 13})
    assert "consent" in reply.lower()
