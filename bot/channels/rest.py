"""The REST channel the widget and converse.py use, made safe for children's conversations.

Same URL and JSON as Rasa's REST channel (POST /webhooks/rest/webhook with sender, message, metadata),
and on top of it:
- bad input gets a 4xx with a plain reason, never a stack trace;
- only known metadata (audience, age) is passed on and stored;
- each conversation (sender id) may send CHAT_RATE_LIMIT messages a minute, CHAT_RATE_BURST at once
  (bot/channels/rate_limit.py); a message over the limit gets 429 with a polite reply and the help routes,
  and no turn. Input that never becomes a turn (refused, empty) is not counted;
- message text never goes to the logs;
- the route to the school's DSL (bot/tell_school/chat.py) takes its own buttons and the report's text before
  they become a turn, and adds its offer after a safety, help or support answer;
- when a turn produces no reply (the action server is down or too slow, the tracker store is unavailable), the
  user still gets a short apology with the help routes (bot/channels/turns.py). Disclosures are answered from
  domain.yml and need no action server.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.answers.answering import system_text
from bot.channels.input_checks import BadInput, clean_metadata, clean_sender, clean_text
from bot.channels.rate_limit import ALLOW, RateLimiter
from bot.channels.turns import guarded_turn
from bot.tell_school import chat as tell_school

# Seconds a refused sender is asked to wait: one token's time at the default rate.
RETRY_AFTER = "2"


class SafeRestInput(InputChannel):
    """Rasa's REST contract with input checks, metadata filtering, a limit per sender and a reply for every turn."""

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self.limiter = limiter if limiter is not None else RateLimiter.for_chat()

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = _json_body(request)
                sender = clean_sender(body.get("sender"))
                text = clean_text(body.get("message"))
                metadata = clean_metadata(body.get("metadata"))
            except BadInput as problem:
                return response.json({"error": problem.reason}, status=problem.status)
            if text is None:
                return response.json([{"recipient_id": sender, "text": system_text("unclear")}])
            if self.limiter.check(sender) != ALLOW:
                limited = [{"recipient_id": sender, "text": system_text("chat_rate_limited")}]
                return response.json(limited, status=429, headers={"Retry-After": RETRY_AFTER})

            async def turn(text: str) -> list | None:
                collector = CollectingOutputChannel()
                message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                if not await guarded_turn(on_new_message, message) or not collector.messages:
                    return None
                return collector.messages

            # The route to the school's DSL answers its own steps; the report's text never becomes a turn.
            messages = await tell_school.around(request.app, sender, text, request.remote_addr or request.ip, turn)
            if messages is None:
                return response.json([{"recipient_id": sender, "text": system_text("apology")}])
            return response.json(messages)

        return hook


def _json_body(request: Request) -> Dict[str, Any]:
    """The request's JSON object, or BadInput."""
    try:
        body: Optional[Any] = request.json
    except Exception as error:
        raise BadInput("the body must be JSON") from error
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object with sender and message")
    return body
