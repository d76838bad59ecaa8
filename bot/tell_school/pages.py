"""The DSL inbox page and the pupil's reply page, served by the Rasa server as an input channel.

Register it in credentials.yml as `bot.tell_school.pages.TellSchoolPages:`. Routes:
- GET /tell-school/inbox: every report, newest first, with its reply form. HTTP Basic authentication, user
  `dsl` and the password TELL_SCHOOL_DSL_TOKEN (401 without it, 503 when no token is set);
- POST /tell-school/inbox/<n>/seen and /tell-school/inbox/<n>/reply: the same authentication, and the form's
  check value, so another site cannot make the DSL's browser post;
- GET and POST /tell-school/reply: a pupil types their reference phrase and reads the reply (limited per address).
Every page is plain HTML with no script, sent with a strict Content-Security-Policy and no caching.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import time
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.rate_limit import ALLOW
from bot.tell_school import words
from bot.tell_school.chat import audit, reply_to, route
from bot.tell_school.settings import dsl_token
from bot.tell_school.store import Report, Store

logger = logging.getLogger(__name__)

USER = "dsl"
MAX_REPLY = 4000
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def authorised(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries the DSL's password (Basic, user `dsl`; or Bearer)."""
    if not token or not header:
        return False
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer":
        given = value.strip()
    elif kind.lower() == "basic":
        try:
            user, _, given = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except ValueError:
            return False
        if user != USER:
            return False
    else:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def form_check(token: str) -> str:
    """The value every inbox form carries, derived from the token: a page on another site cannot know it."""
    return hmac.new(token.encode("utf-8"), b"tell-school inbox form", hashlib.sha256).hexdigest()


def _page(title: str, body: str, status: int = 200, headers: dict | None = None) -> HTTPResponse:
    page = (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return response.html(page, status=status, headers={**HEADERS, **(headers or {})})


def _when(stamp: float | None) -> str:
    return time.strftime("%d %b %Y %H:%M", time.localtime(stamp)) if stamp else ""


def _text(value: str) -> str:
    """Text as HTML, line breaks kept."""
    return html.escape(value).replace("\n", "<br>")


def report_html(report: Report, check: str) -> str:
    """One report on the inbox page."""
    t = words.page_text
    reader = words.library()["readers"].get(report.reader, report.reader)
    email = t("emailed") if report.emailed else t("not_emailed")
    state = f"{t('seen')} {_when(report.seen)}" if report.seen else t("not_seen")
    parts = [
        f'<article id="report-{report.id}" class="report"><h2>#{report.id}</h2>',
        f"<p>{t('received')}: {_when(report.created)}. {t('from')}: {html.escape(reader)}. "
        f'{t("email")}: {html.escape(email)}. <span class="state">{html.escape(state)}</span></p>',
        f'<blockquote class="message">{_text(report.message)}</blockquote>',
    ]
    hidden = f'<input type="hidden" name="check" value="{check}">'
    if not report.seen:
        parts.append(
            f'<form method="post" action="/tell-school/inbox/{report.id}/seen">{hidden}'
            f"<button>{html.escape(t('mark_seen'))}</button></form>"
        )
    if report.reply:
        reply = f'<blockquote class="reply">{_text(report.reply)}</blockquote>'
        parts.append(f"<p>{t('replied')} {_when(report.replied)}:</p>{reply}")
    parts.append(
        f'<form method="post" action="/tell-school/inbox/{report.id}/reply">{hidden}'
        f'<label for="reply-{report.id}">{html.escape(t("reply_label"))}</label><br>'
        f'<textarea id="reply-{report.id}" name="reply" rows="4" maxlength="{MAX_REPLY}" required></textarea><br>'
        f"<button>{html.escape(t('send_reply'))}</button></form></article>"
    )
    return "".join(parts)


def reply_form(message: str = "") -> str:
    t = words.page_text
    shown = f'<p class="answer">{_text(message)}</p>' if message else ""
    return (
        f"{shown}<p>{html.escape(t('reply_intro'))}</p>"
        '<form method="post" action="/tell-school/reply">'
        f'<label for="phrase">{html.escape(t("phrase_label"))}</label> '
        '<input id="phrase" name="phrase" autocomplete="off" maxlength="120" required> '
        f"<button>{html.escape(t('show'))}</button></form>"
    )


class TellSchoolPages(InputChannel):
    """The DSL inbox and the pupil's reply page."""

    @classmethod
    def name(cls) -> str:
        return "tell_school"

    def url_prefix(self) -> str:
        return "/"  # absolute routes, as in bot/privacy/forget_channel.py

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        def store_of(request: Request) -> Store | None:
            return route().store(getattr(request.app.ctx, "agent", None))

        def refused(request: Request) -> HTTPResponse | None:
            token = dsl_token()
            if not token:
                return response.text("the DSL inbox is not configured: set TELL_SCHOOL_DSL_TOKEN", status=503)
            if not authorised(request.headers.get("authorization"), token):
                return response.text(
                    "authentication required", status=401, headers={"WWW-Authenticate": 'Basic realm="DSL inbox"'}
                )
            if request.method == "POST" and not hmac.compare_digest(
                (request.form.get("check") or "").encode("utf-8"), form_check(token).encode("utf-8")
            ):
                return response.text("this form has expired: open the inbox again", status=403)
            return None

        async def inbox(request: Request) -> HTTPResponse:
            problem = refused(request)
            if problem:
                return problem
            store = store_of(request)
            if store is None:
                return response.text("the assistant is not ready", status=503)
            reports = store.reports()
            check = form_check(dsl_token())
            days = words.placeholders()["days"]
            body = f"<p>{html.escape(words.page_text('inbox_intro', days=days))}</p>"
            body += (
                "".join(report_html(r, check) for r in reports)
                or f"<p>{html.escape(words.page_text('inbox_empty'))}</p>"
            )
            audit.info("tell-school: the DSL opened the inbox (%d reports)", len(reports))
            return _page(words.page_text("inbox_title"), body)

        async def seen(request: Request, number: int) -> HTTPResponse:
            problem = refused(request)
            if problem:
                return problem
            store = store_of(request)
            if store is None or store.get(number) is None:
                return response.text("no such report", status=404)
            if store.mark_seen(number):
                audit.info("tell-school: the DSL marked report #%d as seen", number)
            return response.redirect(f"/tell-school/inbox#report-{number}", status=303, headers=HEADERS)

        async def reply(request: Request, number: int) -> HTTPResponse:
            problem = refused(request)
            if problem:
                return problem
            text = (request.form.get("reply") or "").strip()
            if not text or len(text) > MAX_REPLY:
                return response.text(f"a reply has 1 to {MAX_REPLY} characters", status=400)
            store = store_of(request)
            if store is None or not store.reply(number, text):
                return response.text("no such report", status=404)
            audit.info("tell-school: the DSL replied to report #%d", number)
            return response.redirect(f"/tell-school/inbox#report-{number}", status=303, headers=HEADERS)

        async def reply_page(request: Request) -> HTTPResponse:
            title = words.page_text("reply_title")
            if request.method == "GET":
                return _page(title, reply_form())
            store = store_of(request)
            if store is None:
                return response.text("the assistant is not ready", status=503)
            who = "pupil"
            if route().lookups.check(request.remote_addr or request.ip) != ALLOW:
                return _page(title, reply_form(words.say("too_many", who)), status=429)
            phrase = words.read_phrase(request.form.get("phrase"))
            if phrase is None:
                return _page(
                    title, reply_form(words.say("bad_phrase", who, example=words.example_phrase())), status=400
                )
            found = store.by_phrase(phrase)
            if found is None:
                return _page(title, reply_form(words.say("unknown_phrase", who)), status=404)
            return _page(title, f'<p class="answer">{_text(reply_to(found, who).text)}</p>')

        hook.add_route(inbox, "/tell-school/inbox", methods=["GET"], name="tell_school_inbox")
        hook.add_route(seen, "/tell-school/inbox/<number:int>/seen", methods=["POST"], name="tell_school_seen")
        hook.add_route(reply, "/tell-school/inbox/<number:int>/reply", methods=["POST"], name="tell_school_reply")
        hook.add_route(reply_page, "/tell-school/reply", methods=["GET", "POST"], name="tell_school_reply_page")
        return hook
