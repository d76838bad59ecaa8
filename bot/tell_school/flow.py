"""The steps of the route to school, driven by buttons and by the conversation's step, never by the NLU.

    offer -> explain -> write -> confirm -> send        and, at any time, read a reply by its phrase

`step` is pure: from the conversation's step, what came in (a button's payload or typed text) and the reader, it
gives the replies, the next step and what the caller must do (send the draft, look a phrase up, check the
draft for a disclosure). Typed text is taken as the message only while the pupil is writing it, and as a
phrase only while they are asked for one; at other times it goes to the assistant as usual (`None`).
`typed_choice` reads a typed "yes", "send it" or "no" as an option, for channels that show no buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.answers.answering import Reply
from bot.tell_school.store import Chat
from bot.tell_school.words import button, library, say

EXPLAIN, WRITE, SEND, CHANGE, CANCEL, NO, READ = (
    "/tell_school",
    "/tell_school_write",
    "/tell_school_send",
    "/tell_school_change",
    "/tell_school_cancel",
    "/tell_school_no",
    "/tell_school_read",
)
PAYLOADS = {EXPLAIN, WRITE, SEND, CHANGE, CANCEL, NO, READ}
# What the caller must do after a step.
SEND_DRAFT, LOOK_UP, CHECK_SAFETY = "send", "look_up", "check_safety"


_NOT_LETTERS = re.compile(r"[^a-z]+")


@dataclass
class Outcome:
    replies: list
    chat: Chat
    action: str | None = None
    values: dict = field(default_factory=dict)


def offer(who: str) -> Reply:
    """The offer: yes, no, or read a reply already sent."""
    buttons = ((button("offer_yes"), EXPLAIN), (button("offer_no"), NO), (button("read"), READ))
    return Reply(say("offer", who), buttons)


def _write(who: str) -> Reply:
    return Reply(say("write", who))


def confirm(who: str, message: str) -> Reply:
    """Exactly what will be sent, and the choice to send, change or not send it."""
    buttons = ((button("send"), SEND), (button("change"), CHANGE), (button("cancel"), CANCEL))
    return Reply(say("confirm", who, message=message), buttons)


def step(chat: Chat, text: str, who: str) -> Outcome | None:
    """The next step for a message in a conversation; None when the message is for the assistant."""
    if text in PAYLOADS and who == "teacher":
        return Outcome([Reply(say("teacher", who))], chat.to(""))
    if text == EXPLAIN:
        buttons = ((button("write"), WRITE), (button("not_now"), NO))
        return Outcome([Reply(say("explain", who), buttons)], chat.to("explained"))
    if text in (NO, CANCEL):
        declined = chat.declined or (text == NO)
        return Outcome([Reply(say("declined", who))], Chat(chat.sender, declined=declined, offered=chat.offered))
    if text in (WRITE, CHANGE):
        return Outcome([_write(who)], chat.to("writing"))
    if text == SEND:
        if chat.step != "confirming" or not chat.draft:
            return Outcome([Reply(say("declined", who))], chat.to(""))
        return Outcome([], chat.to(""), SEND_DRAFT, {"message": chat.draft})
    if text == READ:
        return Outcome([Reply(say("read", who), ((button("cancel"), CANCEL),))], chat.to("reading"))
    if chat.step in ("writing", "confirming"):
        return Outcome([confirm(who, text)], chat.to("confirming", text), CHECK_SAFETY)
    if chat.step == "reading":
        return Outcome([], chat, LOOK_UP, {"typed": text})
    return None


def _plain(text: str) -> str:
    """Lower case letters and single spaces: "Don't send!" -> "dont send"."""
    return _NOT_LETTERS.sub(" ", text.lower().replace("'", "").replace("\u2019", "")).strip()


def typed_choice(step: str, text: str) -> str | None:
    """The option a typed reply picks in a step that shows options (tell_school.yml `typed`), or None."""
    typed = _plain(text or "")
    for payload, accepted in (library()["typed"].get(step) or {}).items():
        if typed in {_plain(a) for a in accepted}:
            return payload
    return None
