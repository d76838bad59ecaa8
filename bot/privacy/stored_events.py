"""What of a conversation's event may be stored: user text redacted, metadata trimmed to the audience and age band."""

from __future__ import annotations

from typing import Any, Dict, List

from bot.answers.audience import age_band, parse_age, parse_audience
from bot.privacy.redaction import redact

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
