"""The email to the DSL inbox: one message per report, through the school's SMTP server with TLS.

STARTTLS (port 587) by default, or TLS from the start (TELL_SCHOOL_SMTP_TLS=tls, port 465). The server's
certificate is checked against the system's CAs, or TELL_SCHOOL_SMTP_CA_FILE. Without TLS only a mail server on
this machine is allowed (the development catcher). `send` raises MailError with a cause for the log, never text.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from bot.answers.content_library import School, school
from bot.tell_school import words
from bot.tell_school.settings import Smtp, inbox_url, profile


class MailError(RuntimeError):
    """The email did not go; the message says why in words for the log (no message text)."""


def compose(
    number: int, reader: str, message: str, created: float, smtp: Smtp, p: School | None = None
) -> EmailMessage:
    """The email for one report."""
    p = p or school()
    lib = words.library()
    url = inbox_url()
    values = {
        "number": str(number),
        "reader": lib["readers"].get(reader, reader),
        "when": time.strftime("%A %d %B %Y at %H:%M", time.localtime(created)),
        "message": message,
        "inbox": lib["email"]["inbox_link"].format(url=url) if url else "",
    }
    mail = EmailMessage()
    mail["Subject"] = lib["email"]["subject"].format_map({**words.placeholders(p), **values})
    mail["From"] = smtp.sender or f"safeguarding-assistant@{socket.getfqdn()}"
    mail["To"] = profile().dsl_email
    mail["Date"] = formatdate(created, localtime=True)
    mail["Message-ID"] = make_msgid(domain="tell-school.invalid")
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(lib["email"]["body"].format_map({**words.placeholders(p), **values}))
    return mail


def send(mail: EmailMessage, smtp: Smtp) -> None:
    """Deliver one email; MailError when it did not go."""
    if not smtp.configured:
        raise MailError("no SMTP server is configured (TELL_SCHOOL_SMTP_HOST)")
    if not mail["To"]:
        raise MailError("the school profile has no tell_school.dsl_email")
    context = ssl.create_default_context(cafile=smtp.ca_file or None)
    try:
        if smtp.tls == "tls":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.tls == "starttls":
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        code = f" {error.smtp_code}" if hasattr(error, "smtp_code") else ""
        raise MailError(f"{type(error).__name__}{code}") from None
