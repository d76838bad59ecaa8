"""The route to school around a conversation turn, for the channels that can show buttons or numbered options.

A channel hands each message to `around(app, sender, text, address, turn)`, where `turn(text)` runs an ordinary
Rasa turn and returns its messages (None when it failed). The REST channel does, and so do WhatsApp and
Telegram (bot/channels/messaging.py `run_turn`), which pass their audience and show the buttons as numbered
options; there a typed "yes", "send it" or "no" picks an option too (flow.typed_choice):
- a button of the route, and anything typed while the pupil writes their message or their reference phrase,
  is answered here and never reaches Rasa, so the report's text is never in the tracker store or its logs;
- a message written as the report is still read for a disclosure (Rasa's NLU, which stores nothing), and a
  disclosure gets its safety answer first, in the same reply;
- after an ordinary turn that gave a safety answer, a help answer or (once) a support reply, the offer is added
  here, so it comes whether or not the action server is up;
- a reference phrase typed on its own, at any time, shows the reply to that report.
Audit lines name the report's number and what happened, never its text.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Optional

from sqlalchemy.exc import IntegrityError

from bot.answers.answering import Reply, system_text
from bot.answers.routes import SITUATIONS
from bot.answers.safety import render
from bot.channels.rate_limit import ALLOW, RateLimiter
from bot.channels.turns import remembering_saves, saved_tracker
from bot.privacy.forget_channel import _stores
from bot.tell_school import flow, mailer, words
from bot.tell_school.settings import Limits, Smtp, profile
from bot.tell_school.store import Chat, Store

logger = logging.getLogger(__name__)
audit = logging.getLogger("bot.tell_school.audit")

Turn = Callable[[str], Awaitable[Optional[list]]]
HOUR = 60.0  # RateLimiter counts a minute; an hour's limit is that many per 60 minutes


def _per_hour(count: float) -> RateLimiter:
    return RateLimiter(per_minute=count / HOUR, burst=count)


class Route:
    """The route's limits and stores for one server process."""

    def __init__(self, limits: Limits | None = None) -> None:
        limits = limits or Limits.from_env()
        self.per_chat = _per_hour(limits.per_chat)
        self.per_address = _per_hour(limits.per_address)
        self.lookups = _per_hour(limits.lookups)
        self._stores: dict = {}

    def store(self, agent: Any) -> Store | None:
        """The store in the tracker store's database; None without an SQL tracker store."""
        tracker_store = getattr(agent, "tracker_store", None)
        engine = next((s.engine for s in _stores(tracker_store) if getattr(s, "engine", None) is not None), None)
        if engine is None:
            return None
        if id(engine) not in self._stores:
            self._stores[id(engine)] = Store(engine)
        return self._stores[id(engine)]

    async def around(
        self,
        app: Any,
        sender: str,
        text: str,
        address: str,
        turn: Turn,
        audience: str | None = None,
        typed_words: bool = False,
    ) -> list | None:
        """The reply to one message: the route's own, or the Rasa turn's (with the offer when it fits).

        `audience`: the channel's own, in place of the conversation's slot. `typed_words`: typed words pick options.
        The offer reads the tracker the turn saved, not a second copy from the store.
        """
        with remembering_saves():
            return await self._around(app, sender, text, address, turn, audience, typed_words)

    async def _around(
        self, app: Any, sender: str, text: str, address: str, turn: Turn, audience: str | None, typed_words: bool
    ) -> list | None:
        agent = getattr(getattr(app, "ctx", None), "agent", None)
        if not profile().enabled or agent is None:
            return await turn(text)
        try:
            store = self.store(agent)
            chat = store.chat(sender) if store else None
        except Exception as error:
            logger.error("tell-school: could not read the conversation's step (%s)", type(error).__name__)
            return _apology(sender) if text in flow.PAYLOADS else await turn(text)
        if chat is None:
            return await turn(text)
        try:
            if typed_words:
                text = flow.typed_choice(chat.step, text) or text
            if text in flow.PAYLOADS or chat.step in ("writing", "confirming", "reading"):
                return await self._route(agent, store, chat, text, address, audience)
            if chat.step in ("offered", "explained"):  # something else was asked: the options shown are gone
                chat = chat.to("")
                store.save_chat(chat)
            phrase = words.read_phrase(text)
            if phrase and self.lookups.check(address) == ALLOW:
                found = store.by_phrase(phrase)
                if found:
                    who = await self._who(agent, sender, audience)
                    return _out(sender, [reply_to(found, who)])
        except Exception as error:
            logger.error("tell-school: step failed (%s)", type(error).__name__)
            return _apology(sender)
        messages = await turn(text)
        if messages is None:
            return None
        return messages + await self._offer_after(agent, store, chat, audience)

    # ------------------------------------------------------------ the steps

    async def _route(self, agent: Any, store: Store, chat: Chat, text: str, address: str, audience: str | None) -> list:
        audience, band, _ = await _conversation(agent, chat.sender, audience)
        who = words.reader(audience, band)
        outcome = flow.step(chat, text, who)
        replies = outcome.replies
        if outcome.action == flow.CHECK_SAFETY:
            replies = await _safety_first(agent, text, audience, band) + replies
        elif outcome.action == flow.SEND_DRAFT:
            replies, outcome.chat = await self._send(store, chat, outcome.values["message"], who, address, band)
        elif outcome.action == flow.LOOK_UP:
            replies, outcome.chat = self._look_up(store, chat, outcome.values["typed"], who, address)
        store.save_chat(outcome.chat)
        return _out(chat.sender, replies)

    async def _send(self, store: Store, chat: Chat, message: str, who: str, address: str, band: str | None):
        if self.per_chat.check(chat.sender) != ALLOW or self.per_address.check(address) != ALLOW:
            audit.info("tell-school: a report was refused (rate limit)")
            return [Reply(words.say("too_many", who))], chat
        kind = who if who == "parent" else (f"pupil_{band}" if band else "pupil")
        for _ in range(5):
            phrase = words.new_phrase()
            try:
                number = store.add(phrase, kind, message)
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("no free reference phrase")
        audit.info("tell-school: report #%d saved in the inbox (%s)", number, kind)
        emailed = await _email(number, kind, message, store)
        key = "sent" if emailed is not False else "saved_not_emailed"
        return [Reply(words.say(key, who, phrase=phrase))], Chat(chat.sender, offered=True)

    def _look_up(self, store: Store, chat: Chat, typed: str, who: str, address: str):
        cancel = ((words.button("cancel"), flow.CANCEL),)
        if self.lookups.check(address) != ALLOW:
            return [Reply(words.say("too_many", who))], chat.to("")
        phrase = words.read_phrase(typed)
        if phrase is None:
            return [Reply(words.say("bad_phrase", who, example=words.example_phrase()), cancel)], chat
        found = store.by_phrase(phrase)
        if found is None:
            return [Reply(words.say("unknown_phrase", who), cancel)], chat
        return [reply_to(found, who)], chat.to("")

    async def _who(self, agent: Any, sender: str, audience: str | None) -> str:
        audience, band, _ = await _conversation(agent, sender, audience)
        return words.reader(audience, band)

    async def _offer_after(self, agent: Any, store: Store, chat: Chat, audience: str | None) -> list:
        """The offer, when the turn just answered gave a safety answer, a help answer or a support reply."""
        if chat.declined:
            return []
        audience, band, tracker = await _conversation(agent, chat.sender, audience)
        if tracker is None or audience == "teacher":
            return []
        rules = words.library()["offer_after"]
        intent = (tracker.latest_message.intent or {}).get("name") or ""
        wanted = (intent.startswith(tuple(rules["prefixes"])) and intent not in rules["never"]) or intent in rules[
            "intents"
        ]
        wanted = wanted or (tracker.get_slot("support") in rules["support"] and not chat.offered)
        if not wanted:
            return []
        store.save_chat(Chat(chat.sender, step="offered", offered=True))
        return _out(chat.sender, [flow.offer(words.reader(audience, band))])


def reply_to(report, who: str) -> Reply:
    """What a pupil reads for their report: the DSL's reply, or whether it is waiting or seen."""
    state = "replied" if report.reply else "no reply"
    audit.info("tell-school: report #%d looked up by its phrase (%s)", report.id, state)
    if report.reply:
        return Reply(words.say("reply", who, reply=report.reply))
    return Reply(words.say("no_reply_seen" if report.seen else "no_reply_unseen", who))


async def _conversation(agent: Any, sender: str, audience: str | None = None) -> tuple:
    """(audience, age band, tracker) of a conversation: the tracker this request's turn saved, or else the one in
    the tracker store; Nones when it cannot be read.

    A channel's own `audience` (WhatsApp, Telegram) comes before the conversation's slot."""
    try:
        tracker = saved_tracker(sender) or await agent.tracker_store.retrieve(sender)
    except Exception as error:
        logger.warning("tell-school: could not read the conversation (%s)", type(error).__name__)
        return audience, None, None
    if tracker is None:
        return audience, None, None
    return audience or tracker.get_slot("audience"), tracker.get_slot("age_band"), tracker


async def _safety_first(agent: Any, text: str, audience: str | None, band: str | None) -> list:
    """The safety answer for a disclosure inside the message being written (read by the NLU, stored nowhere)."""
    try:
        parsed = await agent.parse_message(text)
    except Exception as error:
        logger.error("tell-school: could not read the message for a disclosure (%s)", type(error).__name__)
        return [Reply(system_text("apology"))]  # with Childline and 999, since the message could not be read
    situation = (parsed.get("intent") or {}).get("name")
    if situation not in SITUATIONS:
        return []
    return [Reply(render(situation, audience, band))]


async def _email(number: int, kind: str, message: str, store: Store) -> bool | None:
    """Email the report: True when it went, False when it failed, None when no email is configured."""
    smtp = Smtp.from_env()
    if not smtp.configured or not profile().dsl_email:
        audit.info("tell-school: report #%d is in the inbox only (no email configured)", number)
        return None
    report = store.get(number)
    try:
        await asyncio.to_thread(mailer.send, mailer.compose(number, kind, message, report.created, smtp), smtp)
    except mailer.MailError as error:
        audit.error("tell-school: report #%d: email not sent (%s); kept in the inbox", number, error)
        return False
    store.mark_emailed(number)
    audit.info("tell-school: report #%d emailed to the DSL", number)
    return True


def _out(sender: str, replies: list) -> list:
    """Replies as the REST channel's messages."""
    out = []
    for reply in replies:
        message = {"recipient_id": sender, "text": reply.text}
        if reply.buttons:
            message["buttons"] = reply.as_dict()["buttons"]
        out.append(message)
    return out


def _apology(sender: str) -> list:
    return [{"recipient_id": sender, "text": system_text("apology")}]


_route: Route | None = None


def route() -> Route:
    """This process's route (its limits live in memory, per server)."""
    global _route
    if _route is None:
        _route = Route()
    return _route


async def around(
    app: Any, sender: str, text: str, address: str, turn: Turn, audience: str | None = None, typed_words: bool = False
) -> list | None:
    """See the module's docstring and `Route.around`."""
    return await route().around(app, sender, text, address, turn, audience, typed_words)


async def forget(app: Any, sender: str) -> None:
    """Forget a conversation's step and draft (the quick exit); sent reports stay for the DSL."""
    store = route().store(getattr(getattr(app, "ctx", None), "agent", None))
    if store is not None:
        store.forget_chat(sender)
