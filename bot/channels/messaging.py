"""What the parents' messaging channels share (WhatsApp and SMS through Twilio, Telegram): `MessagingInput`.

A subclass names its settings (from environment variables, never credentials.yml), checks and reads one
webhook call in `handle`, and says how one text is posted back (`post`). The base gives it the health route,
the rate limit per sender, the answer to one message (media text, length check, numbered options, the turn)
and the sending of the answer as one message split at the channel's limit.

`run_turn` hands each message to the route to the school's DSL first (bot/tell_school/chat.py): its options and
the message being written never become a Rasa turn.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, List, Mapping, Sequence

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.answers.answering import system_text
from bot.answers.safety import render_media
from bot.channels.input_checks import BadInput, clean_text
from bot.channels.plain_text import OptionMemory, render_turn, split_text, user_text, with_entity
from bot.channels.rate_limit import ALLOW, DROP, RateLimiter
from bot.channels.turns import guarded_turn
from bot.tell_school import chat as tell_school

logger = logging.getLogger(__name__)

SEND_TIMEOUT = 15  # seconds for one call to the channel's API
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class MessagingInput(InputChannel):
    """A verified messaging webhook with plain-text replies and a rate limit per sender."""

    settings_class: Any  # its from_env() gives settings with `configured` and `audience`
    required_settings = ""  # named in the warning when the channel is not configured
    text_limit = 0  # the longest text the channel's API takes in one message

    def __init__(
        self, settings: Any = None, limiter: RateLimiter | None = None, options: OptionMemory | None = None
    ) -> None:
        self.settings = settings if settings is not None else self.settings_class.from_env()
        self.limiter = limiter if limiter is not None else RateLimiter.from_env()
        self.options = options if options is not None else OptionMemory()
        if not self.settings.configured:
            logger.warning("%s channel not configured: set %s", self.name(), self.required_settings)

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> MessagingInput:
        if credentials:
            logger.warning("%s channel: settings in credentials.yml are ignored; use environment variables", cls.name())
        return cls(cls.settings_class.from_env())

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hook

    async def handle(self, request: Any, on_new_message: OnNewMessage) -> HTTPResponse:
        """Check, answer and reply to one webhook call: 503 until the channel is configured."""
        if not self.settings.configured:
            return response.text("channel not configured", status=503)
        return await self.handle_configured(request, on_new_message)

    async def handle_configured(self, request: Any, on_new_message: OnNewMessage) -> HTTPResponse:
        """Check the call is the channel's, read the message, answer it and reply."""
        raise NotImplementedError

    def log_id(self, sender: str) -> str:
        """How the logs name a sender (the conversation id unless a channel hashes it again)."""
        return sender

    def user_message(self, text: str | None, sender: str) -> str | None:
        """The message as the assistant reads it (a number picks an offered option); None when there is none."""
        return user_text(text, sender, self.options)

    async def answer(
        self, sender: str, text: str, has_media: bool, on_new_message: OnNewMessage, app: Any = None
    ) -> List[str]:
        """The plain texts to send back for one message; `app` is the Rasa server's (for the route to school)."""
        who = self.log_id(sender)
        decision = self.limiter.check(sender)
        if decision != ALLOW:
            logger.info("%s %s: rate limited", self.name(), who)
            return [] if decision == DROP else [system_text("rate_limited")]
        texts = [render_media(self.settings.audience)] if has_media else []
        try:
            cleaned = clean_text(text)
        except BadInput as problem:
            logger.info("%s %s: refused (%s)", self.name(), who, problem.status)
            return texts + [system_text("too_long")]
        message = self.user_message(cleaned, sender)
        if message is None:
            return texts or [system_text("unclear")]
        logger.info("%s %s: %s", self.name(), who, "media and text" if has_media else "text")
        return texts + await run_turn(
            self, message, sender, self.settings.audience, on_new_message, self.options, log_id=who, app=app
        )

    def auth(self) -> aiohttp.BasicAuth | None:
        """The credentials of the channel's API, when it takes them from the session."""
        return None

    def post(self, session: aiohttp.ClientSession, to: Any, text: str) -> Any:
        """The API call that sends one text (an aiohttp request context)."""
        raise NotImplementedError

    async def send(self, to: Any, who: str, texts: Sequence[str]) -> None:
        """Post the texts as one message, split at the channel's limit; failures are logged by status, never raised.

        Rasa cuts a reply at blank lines; joining keeps it in one message, in order, as it was written.
        """
        parts = split_text("\n\n".join(texts), self.text_limit)
        if not parts:
            return
        timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout, auth=self.auth()) as session:
            for part in parts:
                try:
                    async with self.post(session, to, part) as reply:
                        if reply.status >= 300:
                            logger.warning("%s send to %s failed: HTTP %s", self.name(), who, reply.status)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    logger.warning("%s send to %s failed: %s", self.name(), who, type(error).__name__)


async def run_turn(
    channel: InputChannel,
    text: str,
    sender: str,
    audience: str,
    on_new_message: OnNewMessage,
    options: OptionMemory,
    log_id: str | None = None,
    app: Any = None,
) -> List[str]:
    """Pass one message to the route to school and Rasa; their replies as plain texts, remembering the options.

    A turn that fails or says nothing still gets the apology with help routes. `log_id` names the sender in logs.
    `app` is the Rasa server's: without it (the channel tests' stand-in for Rasa) there is no route to school.
    """

    async def turn(text: str) -> list | None:
        if text.startswith("/"):  # an option's payload skips the NLU pipeline that reads the audience from metadata
            text = with_entity(text, "audience", audience)
        collector = CollectingOutputChannel()
        message = UserMessage(text, collector, sender, input_channel=channel.name(), metadata={"audience": audience})
        answered = await guarded_turn(on_new_message, message, log_id or sender)
        return collector.messages if answered and collector.messages else None

    # Every message comes from Twilio's or Telegram's servers, so the route's limit per address counts per sender.
    address = f"{channel.name()}:{sender}"
    messages = await tell_school.around(app, sender, text, address, turn, audience=audience, typed_words=True)
    texts, payloads = render_turn(messages or [])
    options.remember(sender, payloads)
    return texts or [system_text("apology")]
