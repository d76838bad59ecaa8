"""Channel tests: until credentials.yml lists the Twilio and Telegram channels, the end-to-end tests here
start their own stack with a temporary copy of credentials.yml that does. Once credentials.yml lists them,
this override is inactive and the channel tests share the session's `stack` from tests/conftest.py.
"""

from __future__ import annotations

import os
import uuid

import pytest

from bot.serve import Stack, free_port
from tests.conftest import MODEL, ROOT, TELEGRAM, TWILIO

CHANNEL_CLASSES = ("bot.channels.twilio.VerifiedTwilioInput", "bot.channels.telegram.VerifiedTelegramInput")


def channels_listed() -> bool:
    """Whether credentials.yml already names both channel classes."""
    text = (ROOT / "credentials.yml").read_text(encoding="utf-8")
    return all(f"\n{name}:" in f"\n{text}" for name in CHANNEL_CLASSES)


if not channels_listed():

    @pytest.fixture(scope="session")
    def stack(tmp_path_factory, fake_twilio, fake_telegram):
        """The assistant, with the two channels added to a temporary copy of credentials.yml."""
        if not MODEL.exists():
            pytest.fail("no trained model: run `make train` first (make test does)")
        logs = tmp_path_factory.mktemp("channel-logs")
        credentials = logs / "credentials.yml"
        credentials.write_text(
            (ROOT / "credentials.yml").read_text(encoding="utf-8").rstrip("\n")
            + "\n"
            + "".join(f"{name}:\n" for name in CHANNEL_CLASSES),
            encoding="utf-8",
        )
        rasa_port = free_port()
        env = {
            **TWILIO,
            **TELEGRAM,
            "TWILIO_API_URL": fake_twilio.url,
            "TELEGRAM_API_URL": fake_telegram.url,
            "TWILIO_WEBHOOK_BASE": f"http://127.0.0.1:{rasa_port}",
        }
        s = Stack(
            rasa_port=rasa_port,
            action_port=free_port(),
            model=str(MODEL),
            token="test-" + uuid.uuid4().hex,
            tracker_db=str(logs / "conversations.db"),
            credentials=str(credentials),
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
