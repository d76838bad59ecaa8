"""A teacher runs a whole KS3 myth-or-fact round in the widget on the staff page, clicking the buttons."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_a_whole_ks3_quiz_round_in_the_widget(chat):
    chat.goto("/demo/teachers.html")
    chat.open()
    before = chat.bot_messages.count()
    chat.send("start a myth or fact quiz for year 8")
    total = int(re.search(r"Question 1 of (\d+)", chat.last_reply_text(before)).group(1))
    for _ in range(total):
        before = chat.bot_messages.count()
        chat.page.get_by_role("button", name="Myth", exact=True).last.click()
        chat.wait_for_reply(before)
    assert re.search(rf"You scored \d+ out of {total}", chat.last_reply_text(before))
    assert not chat.dialogs
