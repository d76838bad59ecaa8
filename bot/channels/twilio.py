"""WhatsApp (and SMS) through Twilio, for parents: POST /webhooks/twilio/webhook.

Settings come from environment variables (credentials.yml only names the class): TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN, TWILIO_NUMBER, TWILIO_WEBHOOK_BASE (the public base URL Twilio calls, used to check
the signature) and CONVERSATION_ID_KEY (the key of the conversation ids), optional TWILIO_API_URL and
CHANNEL_AUDIENCE (default "parent"). Without them the webhook answers 503.

Every request must carry a valid X-Twilio-Signature; a bad or missing one gets 403 before any
conversation exists. Pictures, videos and voice notes are never downloaded: the sender gets the media
text instead. Replies go out through Twilio's Messages API as plain text with numbered options. The
conversation id is a keyed hash of the phone number (bot/channels/conversation_ids.py), so no number is
stored in the tracker or logged.

`run_turn`, shared with Telegram, hands each message to the route to the school's DSL first
(bot/tell_school/chat.py): its options and the message being written never become a Rasa turn.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Iterable, List, Mapping, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.answers.answering import system_text
from bot.answers.audience import parse_audience
from bot.answers.safety import render_media
from bot.channels.conversation_ids import KEY_SETTING, id_key, twilio_id
from bot.channels.input_checks import BadInput, clean_text
from bot.channels.plain_text import TWILIO_LIMIT, OptionMemory, render_turn, split_text, user_text, with_entity
from bot.channels.rate_limit import ALLOW, DROP, RateLimiter
from bot.channels.turns import guarded_turn
from bot.tell_school import chat as tell_school

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY = 64 * 1024  # bytes; a Twilio webhook is a few hundred
SEND_TIMEOUT = 15  # seconds for one call to the Messages API
DEFAULT_AUDIENCE = "parent"


@dataclass(frozen=True)
class TwilioSettings:
    """What the channel needs to know; `configured` is False until the required ones are set."""

    account_sid: str = ""
    auth_token: str = ""
    number: str = ""
    webhook_base: str = ""
    api_url: str = TWILIO_API
    audience: str = DEFAULT_AUDIENCE
    id_key: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwilioSettings:
        env = os.environ if env is None else env
        return cls(
            account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
            auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
            number=env.get("TWILIO_NUMBER", "").strip(),
            webhook_base=env.get("TWILIO_WEBHOOK_BASE", "").strip().rstrip("/"),
            api_url=(env.get("TWILIO_API_URL", "").strip() or TWILIO_API).rstrip("/"),
            audience=channel_audience(env),
            id_key=id_key(env),
        )

    @property
    def configured(self) -> bool:
        return all((self.account_sid, self.auth_token, self.number, self.webhook_base, self.id_key))


def channel_audience(env: Mapping[str, str]) -> str:
    """CHANNEL_AUDIENCE when it names an audience, else "parent"."""
    value = env.get("CHANNEL_AUDIENCE")
    audience = parse_audience(value)
    if value and not audience:
        logger.warning("CHANNEL_AUDIENCE must be pupil, parent or teacher; using %s", DEFAULT_AUDIENCE)
    return audience or DEFAULT_AUDIENCE


def twilio_signature(auth_token: str, url: str, params: Iterable[Tuple[str, str]]) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the URL followed by each POST name and value, sorted."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> List[str]:
    """The URL as given, and with its default port added or removed (Twilio may sign either)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if default is None or not host:
        return [url]
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    if parts.port is None:
        other = parts._replace(netloc=f"{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urlunsplit(other)]


def signature_ok(auth_token: str, url: str, params: Sequence[Tuple[str, str]], signature: str | None) -> bool:
    """Whether the X-Twilio-Signature header fits the URL and POST parameters (constant-time comparison)."""
    if not auth_token or not signature:
        return False
    given = signature.strip().encode("utf-8")
    matches = [
        hmac.compare_digest(twilio_signature(auth_token, u, params).encode(), given) for u in _port_variants(url)
    ]
    return any(matches)


def _has_media(fields: Mapping[str, str]) -> bool:
    try:
        count = int(fields.get("NumMedia") or 0)
    except ValueError:
        count = 0
    return count > 0 or any(k.startswith(("MediaUrl", "MediaContentType")) for k in fields)


class VerifiedTwilioInput(InputChannel):
    """Twilio's messaging webhook with signature checks, plain-text replies and a rate limit per sender."""

    def __init__(
        self,
        settings: TwilioSettings | None = None,
        limiter: RateLimiter | None = None,
        options: OptionMemory | None = None,
    ) -> None:
        self.settings = settings if settings is not None else TwilioSettings.from_env()
        self.limiter = limiter if limiter is not None else RateLimiter.from_env()
        self.options = options if options is not None else OptionMemory()
        if not self.settings.configured:
            logger.warning(
                "twilio channel not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
                "TWILIO_NUMBER, TWILIO_WEBHOOK_BASE and %s",
                KEY_SETTING,
            )

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> VerifiedTwilioInput:
        if credentials:
            logger.warning("twilio channel: settings in credentials.yml are ignored; use environment variables")
        return cls(TwilioSettings.from_env())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "not configured"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return hook

    def signed_url(self, request: Any) -> str:
        """The URL Twilio called, as it signed it: the public base, the path, and the query string."""
        query = getattr(request, "query_string", "") or ""
        return self.settings.webhook_base + request.path + (f"?{query}" if query else "")

    async def handle(self, request: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        """Check, answer and reply to one webhook call; `request` needs body, headers, path and query_string."""
        if not self.settings.configured:
            return response.text("channel not configured", status=503)
        body = request.body or b""
        if len(body) > MAX_BODY:
            return response.text("request too large", status=413)
        try:
            params = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            params = None
        signature = request.headers.get("X-Twilio-Signature")
        if params is None or not signature_ok(self.settings.auth_token, self.signed_url(request), params, signature):
            logger.warning("twilio webhook refused: bad or missing signature")
            return response.text("invalid signature", status=403)
        fields = dict(params)
        number = fields.get("From", "").strip()
        if not number or len(number) > 64:
            return response.text("From is missing", status=400)
        sender = twilio_id(self.settings.id_key, number)
        app = getattr(request, "app", None)
        texts = await self.answer(sender, fields.get("Body", ""), _has_media(fields), on_new_message, app=app)
        await self.send(number, sender, texts)
        return response.text(EMPTY_TWIML, content_type="text/xml")

    async def answer(
        self,
        sender: str,
        body: str,
        has_media: bool,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        app: Any = None,
    ) -> List[str]:
        """The plain texts to send back for one message; `app` is the Rasa server's (for the route to school)."""
        decision = self.limiter.check(sender)
        if decision != ALLOW:
            logger.info("twilio %s: rate limited", sender)
            return [] if decision == DROP else [system_text("rate_limited")]
        texts = [render_media(self.settings.audience)] if has_media else []
        try:
            text = clean_text(body)
        except BadInput as problem:
            logger.info("twilio %s: refused (%s)", sender, problem.status)
            return texts + [system_text("too_long")]
        message = user_text(text, sender, self.options)
        if message is None:
            return texts or [system_text("unclear")]
        logger.info("twilio %s: %s", sender, "media and text" if has_media else "text")
        return texts + await run_turn(
            self, message, sender, self.settings.audience, on_new_message, self.options, app=app
        )

    async def send(self, to: str, sender: str, texts: Sequence[str]) -> None:
        """POST the texts as one message (split at Twilio's limit) to the Messages API; failures are logged by status.

        Rasa cuts a reply at blank lines; joining keeps it in one message, in order, as it was written.
        """
        parts = split_text("\n\n".join(texts), TWILIO_LIMIT)
        if not parts:
            return
        s = self.settings
        url = f"{s.api_url}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        auth = aiohttp.BasicAuth(s.account_sid, s.auth_token)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT), auth=auth) as session:
            for part in parts:
                try:
                    async with session.post(url, data={"From": s.number, "To": to, "Body": part}) as reply:
                        if reply.status >= 300:
                            logger.warning("twilio send to %s failed: HTTP %s", sender, reply.status)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    logger.warning("twilio send to %s failed: %s", sender, type(error).__name__)


async def run_turn(
    channel: InputChannel,
    text: str,
    sender: str,
    audience: str,
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
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
