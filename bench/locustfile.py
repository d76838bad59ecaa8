"""Locust users for `make bench`: whole conversations over the REST channel, and /model/parse alone.

Each simulated user replays the public eval conversations one after another with no think time, each under
a new sender id, so N users are N concurrent conversations. The load generator shares the machine's two cores
with the servers, so it uses Locust's FastHttpUser (geventhttpclient), which costs a fraction of the CPU per
request that HttpUser (requests) does.
"""

from __future__ import annotations

import itertools
import os
import uuid

from locust import FastHttpUser, constant, task

from bench.conversations import load

CONVERSATIONS = load()
TOKEN = os.environ.get("BENCH_TOKEN", "")


class ConversationUser(FastHttpUser):
    """A pupil, parent or teacher talking to the assistant through the widget's REST channel."""

    wait_time = constant(0)

    def on_start(self):
        offset = int(uuid.uuid4().int % len(CONVERSATIONS))
        self.queue = itertools.islice(itertools.cycle(CONVERSATIONS), offset, None)

    @task
    def converse(self):
        conversation = next(self.queue)
        sender = f"bench-{uuid.uuid4().hex}"
        for text in conversation["turns"]:
            body = {"sender": sender, "message": text, "metadata": conversation["metadata"]}
            with self.client.post("/webhooks/rest/webhook", json=body, name="turn", catch_response=True) as reply:
                if reply.status_code != 200 or not reply.json():
                    reply.failure(f"no reply (HTTP {reply.status_code})")


class ParseUser(FastHttpUser):
    """The floor: NLU alone through /model/parse, no dialogue, no action server, no tracker store.

    With several Rasa servers (BENCH_PARSE_SERVERS, space-separated URLs), the users are spread over them.
    """

    wait_time = constant(0)
    started = itertools.count()

    def on_start(self):
        texts = [text for conversation in CONVERSATIONS for text in conversation["turns"]]
        self.queue = itertools.cycle(texts)
        servers = os.environ.get("BENCH_PARSE_SERVERS", "").split() or [""]
        self.server = servers[next(self.started) % len(servers)]

    @task
    def parse(self):
        url = f"{self.server}/model/parse?token={TOKEN}"
        self.client.post(url, json={"text": next(self.queue)}, name="parse")
