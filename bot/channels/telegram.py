"""Telegram, for parents: POST /webhooks/telegram/webhook.

Settings come from environment variables (credentials.yml only names the class): TELEGRAM_TOKEN,
TELEGRAM_SECRET_TOKEN (the secret_token given to setWebhook), TELEGRAM_VERIFY (the bot's username),
CONVERSATION_ID_KEY (the key of the conversation ids), optional TELEGRAM_API_URL and CHANNEL_AUDIENCE
(default "parent"). Without the token, the secret and the key the webhook answers 503.

Every request must carry the X-Telegram-Bot-Api-Secret-Token header; a wrong or missing one gets 403
before any conversation exists. Only private chats are answered. Pictures, videos, voice notes, documents
and stickers are never downloaded: the sender gets the media text. Replies go out through sendMessage as
plain text with numbered options (no keyboards). The conversation id is a keyed hash of the chat id
(bot/channels/conversation_ids.py), so no chat id is stored in the tracker or logged. The route to the
school's DSL answers its own steps first, as on WhatsApp (`run_turn` in bot/channels/twilio.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, List, Mapping, Sequence

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.answers.answering import system_text
from bot.answers.safety import render_media
from bot.channels.conversation_ids import KEY_SETTING, id_key, telegram_id
from bot.channels.input_checks import BadInput, clean_text
from bot.channels.plain_text import TELEGRAM_LIMIT, OptionMemory, split_text, user_text
from bot.channels.rate_limit import ALLOW, DROP, RateLimiter
from bot.channels.twilio import DEFAULT_AUDIENCE, channel_audience, run_turn

logger = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MEDIA_KEYS = ("photo", "video", "voice", "document", "sticker", "audio", "video_note", "animation")
START_PAYLOAD = "/greet"  # what Telegram's /start button sends on: the assistant's greeting
MAX_BODY = 256 * 1024  # bytes; an update with a long message is a few kilobytes
SEND_TIMEOUT = 15  # seconds for one sendMessage call


@dataclass(frozen=True)
class TelegramSettings:
    """What the channel needs to know; `configured` is False until the token, secret and key are set."""

    token: str = ""
    secret_token: str = ""
    bot_username: str = ""
    api_url: str = TELEGRAM_API
    audience: str = DEFAULT_AUDIENCE
    id_key: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if env is None else env
        return cls(
            token=env.get("TELEGRAM_TOKEN", "").strip(),
            secret_token=env.get("TELEGRAM_SECRET_TOKEN", "").strip(),
            bot_username=env.get("TELEGRAM_VERIFY", "").strip().lstrip("@"),
            api_url=(env.get("TELEGRAM_API_URL", "").strip() or TELEGRAM_API).rstrip("/"),
            audience=channel_audience(env),
            id_key=id_key(env),
        )

    @property
    def configured(self) -> bool:
        return bool(self.token and self.secret_token and self.id_key)


def secret_ok(expected: str, given: str | None) -> bool:
    """Whether the secret-token header matches (constant-time comparison)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def command_text(text: str, bot_username: str = "") -> str:
    """A message as the assistant should read it: "/start" (or "/start@this_bot") becomes the greeting;
    another command for this bot loses its "@this_bot" suffix."""
    if not text.startswith("/"):
        return text
    command, _, rest = text.partition(" ")
    name, _, target = command.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return text  # a command for another bot
    if name.lower() == "/start":
        return START_PAYLOAD
    return f"{name} {rest}".strip()


class VerifiedTelegramInput(InputChannel):
    """Telegram's webhook with a secret-token check, plain-text replies and a rate limit per chat."""

    def __init__(
        self,
        settings: TelegramSettings | None = None,
        limiter: RateLimiter | None = None,
        options: OptionMemory | None = None,
    ) -> None:
        self.settings = settings if settings is not None else TelegramSettings.from_env()
        self.limiter = limiter if limiter is not None else RateLimiter.from_env()
        self.options = options if options is not None else OptionMemory()
        if not self.settings.configured:
            logger.warning(
                "telegram channel not configured: set TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN and %s", KEY_SETTING
            )

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> VerifiedTelegramInput:
        if credentials:
            logger.warning("telegram channel: settings in credentials.yml are ignored; use environment variables")
        return cls(TelegramSettings.from_env())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hook

    async def handle(self, request: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Check, answer and reply to one update; `request` needs body and headers."""
        if not self.settings.configured:
            return response.text("channel not configured", status=503)
        if not secret_ok(self.settings.secret_token, request.headers.get(SECRET_HEADER)):
            logger.warning("telegram webhook refused: bad or missing secret token")
            return response.text("invalid secret token", status=403)
        body = request.body or b""
        if len(body) > MAX_BODY:
            return response.text("request too large", status=413)
        try:
            update = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return response.text("the body must be a JSON update", status=400)
        if not isinstance(update, dict):
            return response.text("the body must be a JSON update", status=400)
        message = update.get("message")
        if not isinstance(message, dict):  # edited messages, channel posts, callbacks, ...: not answered
            return response.text("ignored")
        chat = message.get("chat")
        chat_id = chat.get("id") if isinstance(chat, dict) else None
        if isinstance(chat_id, bool) or not isinstance(chat_id, int):
            return response.text("message.chat.id is missing", status=400)
        author = message.get("from") if isinstance(message.get("from"), dict) else {}
        if chat.get("type", "private") != "private" or author.get("is_bot"):
            return response.text("ignored")
        sender = telegram_id(self.settings.id_key, chat_id)
        has_media = any(key in message for key in MEDIA_KEYS)
        text = message.get("text") if isinstance(message.get("text"), str) else message.get("caption")
        text = text if isinstance(text, str) else ""
        texts = await self.answer(sender, text, has_media, on_new_message, app=getattr(request, "app", None))
        await self.send(chat_id, self.log_id(sender), texts)
        return response.text("ok")

    def log_id(self, sender: str) -> str:
        """A short keyed hash of a sender for the logs, so no chat id is logged."""
        key = self.settings.secret_token.encode("utf-8")
        return "tg#" + hmac.new(key, sender.encode("utf-8"), hashlib.sha256).hexdigest()[:12]

    async def answer(
        self,
        sender: str,
        text: str,
        has_media: bool,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        app: Any = None,
    ) -> List[str]:
        """The plain texts to send back for one message; `app` is the Rasa server's (for the route to school)."""
        who = self.log_id(sender)
        decision = self.limiter.check(sender)
        if decision != ALLOW:
            logger.info("telegram %s: rate limited", who)
            return [] if decision == DROP else [system_text("rate_limited")]
        texts = [render_media(self.settings.audience)] if has_media else []
        try:
            cleaned = clean_text(text)
        except BadInput as problem:
            logger.info("telegram %s: refused (%s)", who, problem.status)
            return texts + [system_text("too_long")]
        if cleaned and cleaned.startswith("/"):
            cleaned = command_text(cleaned, self.settings.bot_username)
        message = cleaned if cleaned == START_PAYLOAD else user_text(cleaned, sender, self.options)
        if message is None:
            return texts or [system_text("unclear")]
        logger.info("telegram %s: %s", who, "media and text" if has_media else "text")
        return texts + await run_turn(
            self, message, sender, self.settings.audience, on_new_message, self.options, log_id=who, app=app
        )

    async def send(self, chat_id: int, who: str, texts: Sequence[str]) -> None:
        """POST the texts as one message (split at Telegram's limit) to sendMessage; failures are logged by status."""
        parts = split_text("\n\n".join(texts), TELEGRAM_LIMIT)
        if not parts:
            return
        url = f"{self.settings.api_url}/bot{self.settings.token}/sendMessage"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT)) as session:
            for part in parts:
                try:
                    async with session.post(url, json={"chat_id": chat_id, "text": part}) as reply:
                        if reply.status >= 300:
                            logger.warning("telegram send to %s failed: HTTP %s", who, reply.status)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    logger.warning("telegram send to %s failed: %s", who, type(error).__name__)
