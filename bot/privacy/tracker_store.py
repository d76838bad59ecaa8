"""`RedactingTrackerStore`: Rasa's SQL tracker store (SQLite or PostgreSQL) that writes only redacted user messages.

The live turn still sees what the person typed, the database never does. Configure it in endpoints.yml with
`type: bot.privacy.tracker_store.RedactingTrackerStore` and the usual SQL settings. When the database cannot be
reached, the running turn is reported as failed (bot/channels/turns.py) and nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
from typing import Any, Dict, Iterator, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.channels.turns import remember_saved, report_store_failure, store_failed
from bot.privacy.log_filter import install_log_filter
from bot.privacy.store_statements import StoreStatements
from bot.privacy.stored_events import stored_event

logger = logging.getLogger(__name__)


class TrackerStoreUnavailable(RuntimeError):
    """The database behind the tracker store cannot be reached."""


# The attribute a tracker read or saved by this store carries: how many of its events are stored.
_EVENTS_STORED = "_redacting_store_events_stored"
_MAX_UNSEEN = 10_000


class RedactingTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that writes user messages redacted, and can forget or purge conversations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        install_log_filter()
        super().__init__(*args, **kwargs)
        self._unseen: set = set()  # conversations read empty in this process, not yet saved

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events, redacted, in one insert. The tracker itself keeps the original text.

        Nothing is written for a turn whose conversation could not be read, and a failed write is reported
        to the turn rather than raised: Rasa would otherwise keep an unredacted copy in memory.
        """
        if store_failed():
            return
        if tracker.__dict__.get(_EVENTS_STORED) is None and tracker.sender_id in self._unseen:
            # The tracker Rasa has just created for a conversation this store found empty: its first event is
            # written with the rest of the turn, in the turn's own save (the conversation's lock is held).
            self._unseen.discard(tracker.sender_id)
            setattr(tracker, _EVENTS_STORED, 0)
            if len(tracker.events) == 1 and isinstance(tracker.events[0], ActionExecuted):
                return
        await self.stream_events(tracker)
        with contextlib.suppress(TrackerStoreUnavailable), self._database("store"):
            new_events = self._unsaved_events(tracker)
            if new_events:
                self._statements.insert([self._row(tracker.sender_id, event) for event in new_events])
            setattr(tracker, _EVENTS_STORED, len(tracker.events))
            remember_saved(tracker)
            logger.debug("conversation stored (redacted)")

    @functools.cached_property
    def _statements(self) -> StoreStatements:
        return StoreStatements(self.engine, self.SQLEvent.__table__)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """Rasa's query (the latest session, or all), reading only the events' data column, not whole rows.

        An unreachable database is reported to the turn and raised as TrackerStoreUnavailable. A tracker read
        for a turn (the latest session) remembers how many stored events it was built from.
        """
        with self._database("read"):
            if fetch_events_from_all_sessions:
                with self.session_scope() as session:
                    query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
                    stored = [json.loads(row.data) for row in query.with_entities(self.SQLEvent.data)]
            else:
                stored = [json.loads(data) for data in self._statements.latest_session(sender_id)]
        if not stored and not fetch_events_from_all_sessions:
            if len(self._unseen) >= _MAX_UNSEEN:
                self._unseen.clear()
            self._unseen.add(sender_id)
        if not stored or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, stored, self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, _EVENTS_STORED, len(tracker.events))
        return tracker

    def _unsaved_events(self, tracker: DialogueStateTracker) -> List[Event]:
        """The events to append. Rasa counts the stored events with a query on every save; a tracker this store
        has read or saved, or found new (under the conversation's lock), already knows how many are stored.
        """
        known = tracker.__dict__.get(_EVENTS_STORED)
        if known is None:
            with self.session_scope() as session:
                return list(self._additional_events(session, tracker))  # Rasa's count, with a query
        return list(itertools.islice(tracker.events, known, None))

    @contextlib.contextmanager
    def _database(self, doing: str) -> Iterator[None]:
        """Turn a lost connection into one clear log line (no SQL, no data) and TrackerStoreUnavailable."""
        try:
            yield
        except (OperationalError, InterfaceError) as error:
            cause = type(error).__name__
            logger.error("tracker store unavailable: could not %s a conversation (%s)", doing, cause)
            report_store_failure(cause)
            raise TrackerStoreUnavailable(f"the tracker store is unavailable ({cause})") from None

    @staticmethod
    def _row(sender_id: str, event: Event) -> Dict[str, Any]:
        """The events table's columns for one event, its data redacted."""
        data = stored_event(event.as_dict())
        intent = (data.get("parse_data") or {}).get("intent") or {}
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": intent.get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: str) -> None:
        """An event broker gets the same redacted events as the database."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **stored_event(event.as_dict())})

    async def forget(self, sender_id: str) -> int:
        """Delete every stored event of one conversation; the number of rows deleted."""
        from bot.privacy.retention import forget_conversation

        return forget_conversation(self.engine, sender_id)

    async def purge(self, days: int) -> tuple:
        """Delete conversations idle for more than `days` days: (conversations, rows)."""
        from bot.privacy.retention import purge_older_than

        return purge_older_than(self.engine, days)
