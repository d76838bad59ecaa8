"""Children's data: redact personal details before a conversation is stored, and keep message text out of logs.

`redact(text)` swaps names, phone numbers, emails, postcodes, street addresses, social media handles and
dates of birth for placeholders such as [name] and [phone]. Help line numbers from the services registry
are never touched.

`RedactingTrackerStore` is Rasa's SQL tracker store (SQLite or PostgreSQL) that writes only redacted user
messages: the live turn still sees what the person typed, the database never does. Configure it in
endpoints.yml with `type: bot.privacy.RedactingTrackerStore` and the usual SQL settings. When the database
cannot be reached, the running turn is reported as failed (bot/channels/turns.py) and nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import re
from typing import Any, Dict, Iterable, Iterator, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.audience import age_band, parse_age, parse_audience
from bot.channels.turns import report_store_failure, store_failed
from bot.store_statements import StoreStatements

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------ redaction

_APOS = "['\u2019]"  # straight or curly apostrophe, as phones type it
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_NUMERIC_DATE = (
    r"(?:[12]\d|3[01]|0?[1-9])(?:/(?:1[0-2]|0?[1-9])/(?:\d{4}|\d\d)|-(?:1[0-2]|0?[1-9])-(?:\d{4}|\d\d)"
    r"|\.(?:1[0-2]|0?[1-9])\.(?:19|20)\d\d)"
)
_TEXT_DATE_WITH_YEAR = rf"(?:{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}|{_MONTH}\s+{_DAY},?\s+{_YEAR})"
_ANY_DATE = (
    rf"(?:{_NUMERIC_DATE}|{_TEXT_DATE_WITH_YEAR}|{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+{_DAY}"
    rf"|{_MONTH}\s+{_YEAR}|{_YEAR})"
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_BIRTH_DATE = re.compile(
    rf"\b((?:born|birthday|b{_APOS}?day|dob|d\.o\.b\.?|date\s+of\s+birth)"
    rf"(?:\s*(?:is|was|=|:|-))?(?:\s+(?:on|in))?(?:\s+the)?\s*){_ANY_DATE}\b",
    re.IGNORECASE,
)
_DATE = re.compile(rf"\b(?:{_NUMERIC_DATE}|{_TEXT_DATE_WITH_YEAR})\b", re.IGNORECASE)
# UK postcode areas (the letters before the first digit), so "y9 2nd" is not read as a postcode.
_POSTCODE_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH "
    "EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK "
    "ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD "
    "TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE"
).split()
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|("
    + "|".join(sorted(_POSTCODE_AREAS, key=len, reverse=True))
    + r")\d[A-Z\d]? ?(\d[ABD-HJLNP-UW-Z]{2}))\b",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)", re.IGNORECASE)
# Street words that are seldom anything else; the others ("close", "park", "way") need capitals: "3 Elm Close".
_PLAIN_STREETS = "road rd street lane avenue drive crescent terrace gardens grove mews boulevard square".split()
_CAPITAL_STREETS = (
    "st ln ave dr cres ct pl sq gdns close way court place park green hill view walk row rise gate mount vale "
    "croft fold chase meadow meadows parade wharf estate".split()
)
_STREET = "(" + "|".join(sorted(_PLAIN_STREETS + _CAPITAL_STREETS, key=len, reverse=True)) + ")"
# "12 Oak Tree Road", "flat 3, 45b Mill Lane"
_ADDRESS_NUMBERED = re.compile(
    rf"\b(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+((?:[a-z'\-]+\s+){{1,3}}){_STREET}\b",
    re.IGNORECASE,
)
# "I live on Oak Tree Road"
_ADDRESS_LIVE = re.compile(rf"\b(liv(?:e|es|ing)\s+(?:at|on|in)\s+)((?:[a-z'\-]+\s+){{1,3}}){_STREET}\b", re.IGNORECASE)
_NOT_STREET_WORDS = frozenset(
    "the a an my our your his her their this that down up to of on in at and or from near along across off "
    "by over miles mile mins minutes hours km metres meters steps times people kids friends years weeks days "
    "i im me we he she they it is was were be".split()
)
_PHONE = re.compile(r"(?<![\w+/])(\+|00)?\(?\d(?:[\s\-.()]{0,2}\d){5,15}(?![\w/])")
_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_PLATFORMS = (
    r"(?:snap(?:chat)?|insta(?:gram)?|tik\s?tok|discord|twitter|x|roblox|xbox|psn|kik|telegram|threads|fortnite|steam)"
)
# "my snap is jess_x", "my insta: jess.x", "add me on snap jess_x"
_PLATFORM_HANDLE = re.compile(
    rf"\b((?:my\s+(?:{_PLATFORMS}(?:\s+(?:name|id|handle|username|user\s+name))?|gamertag|user\s?name)"
    rf"\s*(?:\bis\b|=|:|-)|(?:add|follow|message|msg|dm)\s+me\s+on\s+{_PLATFORMS}(?:\s*(?:,|:|-|at\b))?)\s*)"
    r"(?!\[)([A-Za-z0-9_.]{2,30})\b",
    re.IGNORECASE,
)
_NOT_HANDLES = frozenset(
    "private public gone blocked hacked deleted locked banned not on off down the a an and but so too if when "
    "account page story streak streaks please pls plz now later then tho he she they i im it its is was".split()
)
_NAME_TRIGGER = (
    rf"(?:my\s+name(?:{_APOS}s|s|\s+is)|i(?:{_APOS}?m|\s+am)\s+called"
    r"|(?:you\s+can\s+|just\s+|pls\s+|please\s+)?call\s+me)"
)
_NAME = re.compile(
    rf"\b({_NAME_TRIGGER}\s+)((?:[A-Za-z][A-Za-z'\u2019\-]*)(?:\s+[A-Za-z][A-Za-z'\u2019\-]*){{0,2}})",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(
    "a an the and but or so because if when then back later now tonight tomorrow today please pls plz "
    "anytime sometime soon again too also if what whatever names stupid is was i im i'm i\u2019m me my "
    "not no yes just only really very from in at on to and with who who's age aged year years old "
    "cos coz cause tho though btw lol but".split()
)

# "a boy called Jake", "she is named Amy Jones": only capitalised names, so "it's called sexting" stays.
_CALLED = re.compile(r"\b((?:[Cc]alled|[Nn]amed)\s+)([A-Z][a-z'\u2019\-]+(?:\s+[A-Z][a-z'\u2019\-]+){0,2})")
# "I called Childline", "I called Mum": not names.
_NOT_CALLED = frozenset(
    "I Im I'm The A An And But So My His Her Their Our Your It Me Him Them Us Mum Mom Dad Mummy Daddy Nan Nana "
    "Gran Granny Grandma Grandad Grandpa Police Childline NSPCC CEOP Samaritans Shout Ambulance Kooth".split()
)

_FIXED_SAFE_NUMBERS = frozenset({"08001111", "116123", "999", "101", "112", "85258", "08088005000", "111"})


@functools.lru_cache(maxsize=1)
def _safe_contacts() -> tuple:
    """Digits of every help line number, and every email, in the services registry."""
    numbers, emails = set(_FIXED_SAFE_NUMBERS), set()
    try:
        from bot.content import services

        for service in services().values():
            for value in (service.phone, service.text):
                for part in re.split(r"[,;/]|\bor\b", str(value or "")):
                    digits = re.sub(r"\D", "", part)
                    if digits:
                        numbers.add(digits)
            if service.email:
                emails.add(service.email.lower())
    except Exception:  # the registry is optional here: fall back to the fixed list
        pass
    return frozenset(numbers), frozenset(emails)


def _postcode(match: re.Match) -> str:
    found = match.group(0)
    # "b4 2nd period" in lower case reads as words, not a postcode
    if found.islower() and match.group(2) and _ORDINAL.fullmatch(match.group(2)):
        return found
    return "[postcode]"


@functools.lru_cache(maxsize=1)
def _service_words() -> frozenset:
    """Capitalised words of the services' names (Childline, Samaritans), never taken for a person's name."""
    try:
        from bot.content import services

        return frozenset(w for s in services().values() for w in re.findall(r"[A-Z][A-Za-z]+", s.name))
    except Exception:
        return frozenset()


def _email(match: re.Match) -> str:
    return match.group(0) if match.group(0).lower() in _safe_contacts()[1] else "[email]"


def _phone(match: re.Match) -> str:
    found = match.group(0)
    digits = re.sub(r"\D", "", found)
    if digits in _safe_contacts()[0]:
        return found
    international = bool(match.group(1))
    if (international and 8 <= len(digits) <= 15) or (not international and 10 <= len(digits) <= 13):
        prefix = "(" if found.startswith("(") and not re.search(r"\)", found[1:]) else ""
        return prefix + "[phone]"
    return found


def _looks_like_street(words: str, street: str) -> bool:
    names = words.split()
    if any(w.lower() in _NOT_STREET_WORDS for w in names):
        return False
    if street.lower() in _CAPITAL_STREETS:
        return all(w[:1].isupper() for w in names + [street])
    return True


def _address(match: re.Match) -> str:
    return "[address]" if _looks_like_street(match.group(1), match.group(2)) else match.group(0)


def _address_live(match: re.Match) -> str:
    if _looks_like_street(match.group(2), match.group(3)):
        return match.group(1) + "[address]"
    return match.group(0)


def _platform_handle(match: re.Match) -> str:
    if match.group(2).lower() in _NOT_HANDLES:
        return match.group(0)
    return match.group(1) + "[handle]"


def _name(match: re.Match) -> str:
    trigger, words = match.group(1), match.group(2).split()
    kept = []
    for word in words:
        if word.lower() in _NOT_NAMES:
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    # "call me" mid-sentence in lower case ("they call me fat") is not an introduction
    if trigger.lower().lstrip().startswith(("call", "you", "just", "pls", "please")):
        start = match.start()
        at_start = not match.string[:start].strip() or match.string[:start].rstrip()[-1:] in ".!?,"
        if not (kept[0][:1].isupper() or at_start):
            return match.group(0)
    rest = " ".join(words[len(kept) :])
    return trigger + "[name]" + (" " + rest if rest else "")


def _called(match: re.Match) -> str:
    words = match.group(2).split()
    kept = []
    for word in words:
        if word in _NOT_CALLED or word in _service_words():
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    rest = " ".join(words[len(kept) :])
    return match.group(1) + "[name]" + (" " + rest if rest else "")


def redact(text: str | None) -> str | None:
    """The text with personal details replaced by [name], [phone], [email], [postcode], [address], [handle], [date]."""
    if not text or not isinstance(text, str):
        return text
    text = _EMAIL.sub(_email, text)
    text = _BIRTH_DATE.sub(lambda m: m.group(1) + "[date]", text)
    text = _DATE.sub("[date]", text)
    text = _POSTCODE.sub(_postcode, text)
    text = _ADDRESS_NUMBERED.sub(_address, text)
    text = _ADDRESS_LIVE.sub(_address_live, text)
    text = _PHONE.sub(_phone, text)
    text = _HANDLE.sub("[handle]", text)
    text = _PLATFORM_HANDLE.sub(_platform_handle, text)
    text = _NAME.sub(_name, text)
    text = _CALLED.sub(_called, text)
    return text


# ------------------------------------------------------------------ what is stored

KEPT_METADATA = ("audience", "age_band", "model_id", "assistant_id")
_USER_EVENTS = ("user",)


def stored_metadata(metadata: Any) -> Dict[str, Any]:
    """Only the metadata worth keeping: the audience and the age band (never the exact age)."""
    if not isinstance(metadata, dict):
        return {}
    out = {k: metadata[k] for k in KEPT_METADATA if k in metadata and k != "audience"}
    audience = parse_audience(metadata.get("audience"))
    if audience:
        out["audience"] = audience
    age = parse_age(metadata.get("age")) if "age" in metadata else None
    if age is not None and "age_band" not in out:
        out["age_band"] = age_band(age)
    return out


def _redact_entities(entities: Any, original: str | None = None, redacted: str | None = None) -> List[Dict[str, Any]]:
    """Entity values redacted; a value cut out of the message text (a name, a number) does not survive here."""
    out = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict):
            continue
        entity = dict(entity)
        value = entity.get("value")
        if isinstance(value, str):
            clean = redact(value)
            if clean == value and original and value.lower() in original.lower():
                if value.lower() not in (redacted or "").lower():
                    clean = "[redacted]"
            entity["value"] = clean
        entity.pop("text", None)
        out.append(entity)
    return out


def stored_event(data: Dict[str, Any]) -> Dict[str, Any]:
    """A serialised event as it may be stored: user text redacted, metadata trimmed. `data` is not changed."""
    data = dict(data)
    kind = data.get("event")
    if "metadata" in data:
        if kind in _USER_EVENTS or kind == "slot":
            data["metadata"] = stored_metadata(data["metadata"])
    if kind in _USER_EVENTS:
        message = data.get("text")
        clean = data["text"] = redact(message)
        parse = dict(data.get("parse_data") or {})
        if parse:
            # The parse data holds the message again, as a rule the same text: redacted once, used three times.
            original = parse.get("text") or message
            redacted = clean if original == message else redact(original)
            if "text" in parse:
                parse["text"] = redacted if parse["text"] == original else redact(parse["text"])
            if "entities" in parse:
                parse["entities"] = _redact_entities(parse["entities"], original, redacted)
            if "metadata" in parse:
                parse["metadata"] = stored_metadata(parse["metadata"])
            parse.pop("text_tokens", None)
            data["parse_data"] = parse
    elif kind == "entities":
        data["entities"] = _redact_entities(data.get("entities"))
    elif kind == "slot":
        value = data.get("value")
        if isinstance(value, str):
            data["value"] = redact(value)
        elif isinstance(value, dict) and data.get("name") == "session_started_metadata":  # the channel's metadata
            data["value"] = stored_metadata(value)
    return data


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
        from bot.retention import forget_conversation

        return forget_conversation(self.engine, sender_id)

    async def purge(self, days: int) -> tuple:
        """Delete conversations idle for more than `days` days: (conversations, rows)."""
        from bot.retention import purge_older_than

        return purge_older_than(self.engine, days)


# ------------------------------------------------------------------ logs

# Loggers that write what a person typed, at DEBUG (Rasa's parsing, policies and channels).
TEXT_LOGGERS = (
    "rasa.core.processor",
    "rasa.core.channels",
    "rasa.core.http_interpreter",
    "rasa.core.policies",
    "rasa.core.actions",
    "rasa.nlu",
    "rasa.shared.core.trackers",
    "rasa.shared.nlu",
    "rasa.engine",
    "rasa.graph_components",
    "rasa_sdk",
)


class NoMessageTextFilter(logging.Filter):
    """Drops debug lines from loggers that carry message text, and redacts personal details from the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and record.name.startswith(TEXT_LOGGERS):
            return False
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_installed: List[NoMessageTextFilter] = []


def _loggers() -> Iterable[logging.Logger]:
    yield logging.getLogger()
    for name in ("sanic.root", "sanic.error", "sanic.access", "rasa", "rasa_sdk", *TEXT_LOGGERS):
        yield logging.getLogger(name)


def install_log_filter() -> NoMessageTextFilter:
    """Attach the filter to the root logger, Rasa's and Sanic's loggers and their handlers (once)."""
    if _installed:
        return _installed[0]
    log_filter = NoMessageTextFilter()
    for log in _loggers():
        log.addFilter(log_filter)
        for handler in log.handlers:
            if log_filter not in handler.filters:
                handler.addFilter(log_filter)
    _installed.append(log_filter)
    return log_filter
