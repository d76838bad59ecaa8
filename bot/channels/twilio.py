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

What it shares with Telegram (the health route, the rate limit, the answer, sending, and `run_turn`, which
hands each message to the route to the school's DSL first) is in bot/channels/messaging.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any, Iterable, List, Mapping, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import aiohttp
from sanic import response
from sanic.response import HTTPResponse

from bot.channels.conversation_ids import KEY_SETTING, twilio_id
from bot.channels.messaging import MessagingInput, OnNewMessage
from bot.channels.plain_text import TWILIO_LIMIT
from bot.settings import Settings, settings

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_BODY = 64 * 1024  # bytes; a Twilio webhook is a few hundred


@dataclass(frozen=True)
class TwilioSettings:
    """What the channel needs to know; `configured` is False until the required ones are set."""

    account_sid: str = ""
    auth_token: str = ""
    number: str = ""
    webhook_base: str = ""
    api_url: str = Settings.twilio_api_url
    audience: str = Settings.channel_audience
    id_key: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwilioSettings:
        found = settings(env)
        return cls(
            account_sid=found.twilio_account_sid,
            auth_token=found.twilio_auth_token,
            number=found.twilio_number,
            webhook_base=found.twilio_webhook_base,
            api_url=found.twilio_api_url,
            audience=found.channel_audience,
            id_key=found.conversation_id_key,
        )

    @property
    def configured(self) -> bool:
        return all((self.account_sid, self.auth_token, self.number, self.webhook_base, self.id_key))


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


class VerifiedTwilioInput(MessagingInput):
    """Twilio's messaging webhook with signature checks, plain-text replies and a rate limit per sender."""

    settings_class = TwilioSettings
    required_settings = f"TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_NUMBER, TWILIO_WEBHOOK_BASE and {KEY_SETTING}"
    text_limit = TWILIO_LIMIT

    @classmethod
    def name(cls) -> str:
        return "twilio"

    def signed_url(self, request: Any) -> str:
        """The URL Twilio called, as it signed it: the public base, the path, and the query string."""
        query = getattr(request, "query_string", "") or ""
        return self.settings.webhook_base + request.path + (f"?{query}" if query else "")

    async def handle_configured(self, request: Any, on_new_message: OnNewMessage) -> HTTPResponse:
        """Check, answer and reply to one webhook call; `request` needs body, headers, path and query_string."""
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

    def auth(self) -> aiohttp.BasicAuth:
        return aiohttp.BasicAuth(self.settings.account_sid, self.settings.auth_token)

    def post(self, session: aiohttp.ClientSession, to: str, text: str) -> Any:
        """One text to the Messages API, from the school's number."""
        s = self.settings
        url = f"{s.api_url}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        return session.post(url, data={"From": s.number, "To": to, "Body": text})
