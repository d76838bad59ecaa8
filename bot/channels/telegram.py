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
school's DSL answers its own steps first, as on WhatsApp. What the two share is in bot/channels/messaging.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, Mapping

import aiohttp
from sanic import response
from sanic.response import HTTPResponse

from bot.channels.conversation_ids import KEY_SETTING, telegram_id
from bot.channels.messaging import MessagingInput, OnNewMessage
from bot.channels.plain_text import TELEGRAM_LIMIT
from bot.settings import Settings, settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MEDIA_KEYS = ("photo", "video", "voice", "document", "sticker", "audio", "video_note", "animation")
START_PAYLOAD = "/greet"  # what Telegram's /start button sends on: the assistant's greeting
MAX_BODY = 256 * 1024  # bytes; an update with a long message is a few kilobytes


@dataclass(frozen=True)
class TelegramSettings:
    """What the channel needs to know; `configured` is False until the token, secret and key are set."""

    token: str = ""
    secret_token: str = ""
    bot_username: str = ""
    api_url: str = Settings.telegram_api_url
    audience: str = Settings.channel_audience
    id_key: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        found = settings(env)
        return cls(
            token=found.telegram_token,
            secret_token=found.telegram_secret_token,
            bot_username=found.telegram_verify,
            api_url=found.telegram_api_url,
            audience=found.channel_audience,
            id_key=found.conversation_id_key,
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


class VerifiedTelegramInput(MessagingInput):
    """Telegram's webhook with a secret-token check, plain-text replies and a rate limit per chat."""

    settings_class = TelegramSettings
    required_settings = f"TELEGRAM_TOKEN, TELEGRAM_SECRET_TOKEN and {KEY_SETTING}"
    text_limit = TELEGRAM_LIMIT

    @classmethod
    def name(cls) -> str:
        return "telegram"

    async def handle_configured(self, request: Any, on_new_message: OnNewMessage) -> HTTPResponse:
        """Check, answer and reply to one update; `request` needs body and headers."""
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

    def user_message(self, text: str | None, sender: str) -> str | None:
        """Commands read as the assistant should (/start is the greeting); other text as on every channel."""
        if text and text.startswith("/"):
            text = command_text(text, self.settings.bot_username)
        return text if text == START_PAYLOAD else super().user_message(text, sender)

    def post(self, session: aiohttp.ClientSession, to: int, text: str) -> Any:
        """One text to the chat through sendMessage."""
        url = f"{self.settings.api_url}/bot{self.settings.token}/sendMessage"
        return session.post(url, json={"chat_id": to, "text": text})
