"""Keep message text out of logs: drop the debug lines that carry it, redact personal details from the rest."""

from __future__ import annotations

import logging
from typing import Iterable, List

from bot.privacy.redaction import redact

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
