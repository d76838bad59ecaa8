"""Tell my school in the widget, in Debian's Chromium: a disclosure, the offer, writing, confirming, the email on a
real mail server, the DSL's inbox page, a reply, and the pupil reading it with the reference phrase."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.conftest import DSL_TOKEN

pytestmark = pytest.mark.e2e

DISCLOSURE = "someone is threatening to share my nudes unless i pay"
PHRASE = re.compile(r"reference phrase is: ([a-z]+(?:-[a-z]+){3})")


def click(chat, title: str) -> None:
    count = chat.bot_messages.count()
    chat.reply_buttons.filter(has_text=title).click()
    chat.wait_for_reply(count)


def test_a_pupil_tells_school_and_reads_the_reply(chat, new_page, rasa_url, mail_server):
    mark = "brw" + uuid.uuid4().hex[:10]
    chat.goto()
    chat.open()
    chat.send(DISCLOSURE)
    expect(chat.page.get_by_text("Do you want to send a message to the designated safeguarding lead")).to_be_visible()
    click(chat, "Yes, tell me more")
    expect(chat.bot_messages.last).to_contain_text("Mon–Fri 8:30–16:00")
    click(chat, "Write my message")
    message = f"Please help, a boy in my year keeps asking me for pictures ({mark})"
    chat.send(message)
    expect(chat.bot_messages.last).to_contain_text(message)
    click(chat, "Send it")
    phrase = PHRASE.search(chat.bot_messages.last.inner_text()).group(1)
    assert any(mark in m[1].get_content() for m in mail_server.messages)

    dsl = new_page(http_credentials={"username": "dsl", "password": DSL_TOKEN})
    dsl.goto(rasa_url + "/tell-school/inbox")
    report = dsl.locator("article.report", has_text=mark)
    expect(report).to_contain_text("New")
    report.get_by_role("button", name="Mark as seen").click()
    report = dsl.locator("article.report", has_text=mark)
    expect(report).to_contain_text("Seen")
    answer = "Thank you for telling us. Come to the library at break."
    report.get_by_role("textbox").fill(answer)
    report.get_by_role("button", name="Send reply").click()
    expect(dsl.locator("article.report", has_text=mark).locator("blockquote.reply")).to_have_text(answer)

    chat.send(phrase)
    expect(chat.bot_messages.last).to_contain_text(answer)
