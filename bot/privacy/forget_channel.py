"""The widget's quick exit asks the server to forget its conversation.

A Rasa input channel named "privacy" (register it in credentials.yml as `bot.privacy.forget_channel.ForgetChannel:`)
that serves POST /privacy/forget, and the same at /webhooks/privacy/forget, with {"sender": "..."}. It deletes
every stored event of that conversation and answers 204 whether or not there was one, so the answer says
nothing about who talked to the assistant. Navigator.sendBeacon posts text/plain, so any content type is read.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.input_checks import BadInput, clean_sender

logger = logging.getLogger(__name__)

PATHS = ("/privacy/forget", "/webhooks/privacy/forget")


def _stores(tracker_store: Any):
    """The tracker store and every store it wraps (Rasa wraps the configured one in a fail-safe store)."""
    seen = set()
    while tracker_store is not None and id(tracker_store) not in seen:
        seen.add(id(tracker_store))
        yield tracker_store
        fallback = getattr(tracker_store, "_fallback_tracker_store", None)
        if fallback is not None:
            yield fallback
        tracker_store = getattr(tracker_store, "_tracker_store", None)


async def forget(tracker_store: Any, sender_id: str) -> int:
    """Delete one conversation from the tracker store (and any in-memory fallback): rows deleted."""
    from bot.privacy.retention import forget_conversation

    deleted = 0
    for store in _stores(tracker_store):
        if hasattr(store, "forget"):
            deleted += await store.forget(sender_id)
        elif getattr(store, "engine", None) is not None:  # a plain SQLTrackerStore
            deleted += forget_conversation(store.engine, sender_id)
        elif isinstance(getattr(store, "store", None), dict):  # InMemoryTrackerStore
            deleted += 1 if store.store.pop(sender_id, None) is not None else 0
    return deleted


def _sender(request: Request) -> str:
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        raise BadInput("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadInput('the body must be a JSON object: {"sender": "..."}')
    return clean_sender(body.get("sender"))


class ForgetChannel(InputChannel):
    """POST /privacy/forget {"sender": ...}: delete that conversation, answer 204."""

    @classmethod
    def name(cls) -> str:
        return "privacy"

    def url_prefix(self) -> str:
        # Rasa mounts channels under /webhooks/<prefix>; an absolute "/" lets the routes below give full paths.
        return "/"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        async def receive(request: Request) -> HTTPResponse:
            try:
                sender = _sender(request)
            except BadInput as problem:
                return response.json({"error": problem.reason}, status=problem.status)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or agent.tracker_store is None:
                return response.json({"error": "the assistant is not ready"}, status=503)
            try:
                lock_store = getattr(agent, "lock_store", None)
                if lock_store is not None:  # wait for a turn still running for this sender
                    async with lock_store.lock(sender):
                        rows = await forget(agent.tracker_store, sender)
                else:
                    rows = await forget(agent.tracker_store, sender)
            except Exception as error:
                logger.error("forget failed: %s", type(error).__name__)
                return response.json({"error": "could not forget the conversation"}, status=500)
            with contextlib.suppress(Exception):  # a draft message to the DSL goes too (bot/tell_school)
                from bot.tell_school.chat import forget as forget_draft

                await forget_draft(request.app, sender)
            logger.info("forgot a conversation on request (%d rows)", rows)
            return response.empty(status=204)

        for i, path in enumerate(PATHS):
            hook.add_route(receive, path, methods=["POST"], name=f"forget_{i}")
        return hook
