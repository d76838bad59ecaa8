"""Fixtures for the browser tests: Debian's Chromium driven by Playwright (sync API) and the demo web server.

``rasa_url`` (the base URL of a running Rasa server) comes from tests/conftest.py. The real Rasa server only
allows CORS from the demo page's origin, so ``demo_server`` uses the demo web server that the session's
``stack`` already runs (bot/web_server.py on ``stack.web_port``, pointed at ``rasa_url``). Without such a
stack it starts bot/web_server.py itself on a free port (or on WIDGET_DEMO_PORT when that is set); then the
Rasa server must allow that origin.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPLY_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium. Never downloads a browser; a missing one is an error, not a skip."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium not found: install Debian's chromium package (or set CHROMIUM to its path)")
    return path


def _read_first_line(proc: subprocess.Popen, timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def _serves_demo_for(url: str, rasa_url: str) -> bool:
    """True when url is a running bot/web_server.py whose demo page talks to rasa_url."""
    try:
        with urllib.request.urlopen(url + "/demo/index.html", timeout=5) as res:
            return f'data-server="{rasa_url.rstrip("/")}"' in res.read().decode("utf-8")
    except OSError:
        return False


def _stack_demo_url(request, rasa_url: str) -> str | None:
    """The demo server run by the session's assistant stack, if there is one."""
    try:
        stack = request.getfixturevalue("stack")
    except pytest.FixtureLookupError:
        return None
    port = getattr(stack, "web_port", None)
    if not port:
        return None
    url = f"http://127.0.0.1:{port}"
    for _ in range(20):
        if _serves_demo_for(url, rasa_url):
            return url
        time.sleep(0.5)
    return None


def _start_demo_server(rasa_url: str):
    port = os.environ.get("WIDGET_DEMO_PORT") or str(free_port())
    log = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "bot.web_server", "--port", port, "--root", "web", "--rasa-url", rasa_url]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True)
    first = _read_first_line(proc, timeout=20)
    if f":{port}/" not in first:
        proc.kill()
        log.seek(0)
        pytest.fail(f"demo server did not start: {first!r} {log.read().decode(errors='replace')[-2000:]}")
    return proc, log, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def demo_server(request, rasa_url: str):
    """Base URL of bot/web_server.py serving web/, its demo pages pointed at the real Rasa server."""
    existing = _stack_demo_url(request, rasa_url)
    if existing:
        yield existing
        return
    proc, log, url = _start_demo_server(rasa_url)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Make a page in a fresh context (own storage and cookies); extra arguments go to new_context."""
    contexts = []

    def make(**options) -> Page:
        settings = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(REPLY_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


class Chat:
    """Drives the widget on a demo page the way a pupil would."""

    def __init__(self, page: Page, base_url: str, rasa_url: str):
        self.page = page
        self.base_url = base_url
        self.rasa_url = rasa_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.webhook_bodies: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda err: self.errors.append(str(err)))
        page.on("request", self._on_request)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_request(self, request) -> None:
        if request.method == "POST" and request.url.endswith("/webhooks/rest/webhook"):
            self.webhook_bodies.append(request.post_data or "")

    @property
    def launcher(self):
        return self.page.locator(".sgw-launcher")

    @property
    def input(self):
        return self.page.get_by_role("textbox", name="Type your question")

    @property
    def bot_messages(self):
        return self.page.locator(".sgw-msg-bot")

    @property
    def reply_buttons(self):
        return self.page.locator(".sgw-reply")

    def goto(self, path: str = "/demo/index.html") -> None:
        self.page.goto(self.base_url + path)
        self.page.locator(".sgw-root:not([hidden])").wait_for()

    def open(self) -> None:
        self.launcher.click()
        self.input.wait_for()

    def send(self, text: str) -> None:
        """Type a message, press Enter and wait for the bot's answer to it."""
        count = self.bot_messages.count()
        self.input.fill(text)
        self.input.press("Enter")
        self.wait_for_reply(count)

    def wait_for_reply(self, bot_count_before: int) -> None:
        self.page.wait_for_function(
            """n => document.querySelectorAll('.sgw-msg-bot').length > n
                   && !document.querySelector('.sgw-typing').textContent""",
            arg=bot_count_before,
            timeout=REPLY_TIMEOUT_MS,
        )

    def last_reply_text(self, bot_count_before: int) -> str:
        texts = self.bot_messages.all_inner_texts()
        return "\n".join(texts[bot_count_before:])


@pytest.fixture
def make_chat(demo_server, rasa_url):
    def make(page: Page) -> Chat:
        return Chat(page, demo_server, rasa_url)

    return make


@pytest.fixture
def chat(make_chat, page) -> Chat:
    return make_chat(page)
