"""Shared fixtures: one real assistant (action server + Rasa server) per test session, on free ports.

Loading a Rasa model takes most of a minute here, so every end-to-end, safety, channel and browser test
shares the one `stack`. Tests that stop a server for a fault test use their own `Stack` instead.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests

from bot.serve import Stack, free_port
from tests.shared import shared_eval

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "assistant.tar.gz"

# Channel settings for the test stack: the channels send to fake Twilio and Telegram APIs on loopback.
ID_KEY = "test-conversation-id-key"
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "test-twilio-auth-token",
    "TWILIO_NUMBER": "whatsapp:+447700900000",
    "CONVERSATION_ID_KEY": ID_KEY,
}
TELEGRAM = {
    "TELEGRAM_TOKEN": "123456:TEST-telegram-token",
    "TELEGRAM_SECRET_TOKEN": "test-telegram-secret",
    "TELEGRAM_VERIFY": "school_helper_bot",
    "CONVERSATION_ID_KEY": ID_KEY,
}


def private_stack(logs: Path, **settings) -> Stack:
    """An assistant of a test's own (not started), for tests that stop or break a server."""
    return Stack(
        rasa_port=free_port(),
        action_port=free_port(),
        model=str(MODEL),
        token="t-" + uuid.uuid4().hex,
        tracker_db=str(logs / "conversations.db"),
        log_dir=logs,
        **settings,
    )


@pytest.fixture(scope="session")
def fake_twilio():
    from tests.fakes import FakeTwilioAPI

    api = FakeTwilioAPI().start()
    yield api
    api.stop()


@pytest.fixture(scope="session")
def fake_telegram():
    from tests.fakes import FakeTelegramAPI

    api = FakeTelegramAPI().start()
    yield api
    api.stop()


# The DSL inbox page's password on the test stack (bot/tell_school/pages.py).
DSL_TOKEN = "test-dsl-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def mail_server():
    """A real SMTP server on loopback with STARTTLS, the DSL's mail server for the stack (tests/servers.py)."""
    from tests.servers import MailServer

    server = MailServer().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, fake_twilio, fake_telegram, mail_server):
    """The assistant, ready to talk to."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first (make test does)")
    logs = tmp_path_factory.mktemp("logs")
    web_port = free_port()
    rasa_port = free_port()
    env = {
        **TWILIO,
        **TELEGRAM,
        "TWILIO_API_URL": fake_twilio.url,
        "TELEGRAM_API_URL": fake_telegram.url,
        "TWILIO_WEBHOOK_BASE": f"http://127.0.0.1:{rasa_port}",
        **mail_server.env(),
        "TELL_SCHOOL_DSL_TOKEN": DSL_TOKEN,
    }
    s = Stack(
        rasa_port=rasa_port,
        action_port=free_port(),
        model=str(MODEL),
        token="test-" + uuid.uuid4().hex,
        web_port=web_port,
        cors=(f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}"),
        tracker_db=str(logs / "conversations.db"),
        log_dir=logs,
        extra_env=env,
    ).start()
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()
        if os.environ.get("SHOW_SERVER_LOGS"):
            for log in logs.glob("*.log"):
                print(log.read_text(errors="replace")[-5000:])


@pytest.fixture(scope="session")
def rasa_url(stack) -> str:
    return stack.rasa_url


@pytest.fixture
def say(stack):
    """Send one message over the REST channel and get the reply list: say(text, sender=None, metadata=None)."""

    def _say(text, sender=None, metadata=None, timeout=30):
        body = {"sender": sender or uuid.uuid4().hex, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=timeout)
        r.raise_for_status()
        return r.json()

    return _say


def reply_text(messages) -> str:
    """What a person reads: texts and button titles."""
    parts = []
    for m in messages:
        parts.append(m.get("text") or "")
        parts += [b.get("title", "") for b in m.get("buttons") or []]
    return "\n".join(parts)


def run_converse(url: str, cases: Path, report: Path, *thresholds: str):
    """../shared/eval/converse.py against a running server, with its JSON report and the given thresholds."""
    import subprocess
    import sys

    converse = shared_eval("converse.py")
    if not cases.exists():
        pytest.skip(f"{cases.name} is missing: ../shared is not beside the project (a clone elsewhere)")
    command = [sys.executable, str(converse), "--url", url, "--cases", str(cases), "--json", str(report), *thresholds]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    print(run.stdout[-4000:])
    return run
