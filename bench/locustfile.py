"""Locust users for `make bench`: whole conversations over the REST channel, and /model/parse alone.

Each simulated user replays the public eval conversations one after another with no think time, each under
a new sender id, so N users are N concurrent conversations. The load generator shares the machine's two cores
with the servers, so it uses Locust's FastHttpUser (geventhttpclient), which costs a fraction of the CPU per
request that HttpUser (requests) does.

Every request is judged and recorded under its outcome (bench/report.py reads only these rows):
- `turn` / `parse`: answered, HTTP 200 with a reply a person would read (text or buttons, and not the
  apology a failed turn gets); only these give replies per second and the latency percentiles;
- `turn failed` / `parse failed`: anything else (a refusal such as 429, a server error, an empty reply).
Locust's own row for the raw requests (`... (raw)`) counts both, and the report never reads it.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid

from locust import FastHttpUser, constant, task

from bench.conversations import load
from bot.answers.answering import system_text

CONVERSATIONS = load()
TOKEN = os.environ.get("BENCH_TOKEN", "")
APOLOGY = system_text("apology")


class NotAnswered(Exception):
    """A request that got no reply a person would read."""


def readable(reply) -> bool:
    """A turn's reply holds something a person reads: text or buttons, and not the failed turn's apology."""
    try:
        messages = reply.json()
    except ValueError:
        return False
    return isinstance(messages, list) and any(
        isinstance(m, dict) and (m.get("buttons") or (m.get("text") and m["text"] != APOLOGY)) for m in messages
    )


def parsed(reply) -> bool:
    """A /model/parse answer names an intent."""
    try:
        return "intent" in reply.json()
    except (ValueError, TypeError):
        return False


def timed(user, name: str, send, judge) -> None:
    """Send one request, then record it as `name` when `judge(reply)` accepts it, else as `name failed`."""
    started = time.perf_counter()
    with send() as reply:
        answered = reply.status_code == 200 and judge(reply)
        reply.success()  # the raw row is not read; the outcome is recorded below
    user.environment.events.request.fire(
        request_type="POST",
        name=name if answered else f"{name} failed",
        response_time=(time.perf_counter() - started) * 1000,
        response_length=len(reply.content or b""),
        exception=None if answered else NotAnswered(f"HTTP {reply.status_code}"),
        context={},
    )


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
            post = lambda body=body: self.client.post(  # noqa: E731
                "/webhooks/rest/webhook", json=body, name="turn (raw)", catch_response=True
            )
            timed(self, "turn", post, readable)


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
        body = {"text": next(self.queue)}
        post = lambda: self.client.post(url, json=body, name="parse (raw)", catch_response=True)  # noqa: E731
        timed(self, "parse", post, parsed)
