"""Rasa's socket.io channel with the REST channel's input checks (bot/channels/input_checks.py).

Same events as Rasa's (`session_request`, `user_uttered` with {"message", "session_id", "metadata"}, replies
as `bot_uttered`), and on top of it:
- a payload that is not what the channel expects (wrong types, a bad session id, unreadable metadata) gets
  an `input_rejected` event with a plain reason, and no turn;
- empty or unreadable text gets a polite reply, a message that is too long a request to shorten it;
- only known metadata (audience, age) is passed on; message text never goes to the logs;
- the REST channel's limit per conversation (CHAT_RATE_LIMIT, CHAT_RATE_BURST): a message over it gets the
  polite limit reply with the help routes, and no turn;
- replies go to the socket that asked, and a turn that fails, is too slow or says nothing gets the apology.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.answers.answering import system_text
from bot.channels.input_checks import BadInput, clean_metadata, clean_sender, clean_text
from bot.channels.rate_limit import ALLOW, RateLimiter
from bot.channels.turns import guarded_turn

REJECTED_EVENT = "input_rejected"


class _RepliesToSocket(SocketIOOutput):
    """Rasa's socket.io messages for one socket, held until the turn is over (a failed turn's are dropped)."""

    def __init__(self, sio: Any, bot_message_evt: str, sid: str) -> None:
        super().__init__(sio, bot_message_evt)
        self.sid = sid
        self.pending: list = []

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.pending.append(response)

    async def send_system_text(self, key: str) -> None:
        """Replace whatever the turn said with one of the system texts (bot/content/system.yml)."""
        self.pending.clear()
        await self.send_text_message(self.sid, system_text(key))

    async def flush(self) -> None:
        for response in self.pending:
            await self.sio.emit(self.bot_message_evt, response, room=self.sid)
        self.pending.clear()


class SafeSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel, with input checks, a limit per sender and a reply for every turn."""

    def __init__(self, *args: Any, limiter: RateLimiter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = limiter if limiter is not None else RateLimiter.for_chat()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = super().blueprint(on_new_message)  # Rasa's server, health route and connect check
        sio = self.sio

        async def reject(sid: str, problem: BadInput) -> None:
            await sio.emit(REJECTED_EVENT, {"error": problem.reason}, room=sid)

        async def session_request(sid: str, *args: Any) -> None:
            data = args[0] if len(args) == 1 and isinstance(args[0], dict) else {}
            try:
                session_id = data.get("session_id")
                session_id = uuid.uuid4().hex if session_id is None else clean_sender(session_id)
            except BadInput as problem:
                return await reject(sid, problem)
            if self.session_persistence:
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        async def handle_message(sid: str, *args: Any) -> None:
            output = _RepliesToSocket(sio, self.bot_message_evt, sid)
            try:
                sender, text, metadata = self._read(sid, args)
            except BadInput as problem:
                if problem.status != 413:
                    return await reject(sid, problem)
                await output.send_system_text("too_long")
            else:
                if text is None:
                    await output.send_system_text("unclear")
                elif self.limiter.check(sender) != ALLOW:
                    await output.send_system_text("chat_rate_limited")
                else:
                    message = UserMessage(text, output, sender, input_channel=self.name(), metadata=metadata)
                    if not await guarded_turn(on_new_message, message) or not output.pending:
                        await output.send_system_text("apology")
            await output.flush()

        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return hook

    def _read(self, sid: str, args: tuple) -> tuple:
        """(sender, text or None, metadata) from a `user_uttered` event's arguments, or BadInput."""
        if len(args) != 1 or not isinstance(args[0], dict):
            raise BadInput("send one object with message, session_id and metadata")
        data = args[0]
        sender = clean_sender(data.get("session_id")) if self.session_persistence else sid
        metadata = data.get(self.metadata_key)
        if isinstance(metadata, str):  # Rasa's channel accepts metadata as a JSON string too
            try:
                metadata = json.loads(metadata)
            except ValueError as error:
                raise BadInput("metadata must be a JSON object") from error
        return sender, clean_text(data.get("message")), clean_metadata(metadata)
