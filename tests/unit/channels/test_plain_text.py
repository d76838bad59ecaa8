"""bot.channels.plain_text: numbered options, remembered payloads, links and splitting."""

from __future__ import annotations

import re

import pytest

from bot.answers.content_library import render_text
from bot.answers.routes import SITUATIONS
from bot.answers.safety import render
from bot.channels.plain_text import (
    TELEGRAM_LIMIT,
    TWILIO_LIMIT,
    OptionMemory,
    choice_number,
    links_as_text,
    options_prompt,
    render_message,
    render_turn,
    split_text,
    text_length,
    user_text,
    with_entity,
)

BUTTONS = [
    {"title": "What is consent?", "payload": "/consent_what_is"},
    {"title": "Saying no", "payload": "/consent_saying_no"},
    {"title": "Changing your mind", "payload": "/consent_changing_mind"},
]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_buttons_become_numbered_options():
    text, payloads = render_message({"text": "Consent means agreeing.", "buttons": BUTTONS})
    assert text == (
        "Consent means agreeing.\n\nReply 1, 2 or 3:\n1. What is consent?\n2. Saying no\n3. Changing your mind"
    )
    assert payloads == ["/consent_what_is", "/consent_saying_no", "/consent_changing_mind"]


@pytest.mark.parametrize(
    "numbers, prompt", [([1], "Reply 1:"), ([1, 2], "Reply 1 or 2:"), ([4, 5, 6], "Reply 4, 5 or 6:")]
)
def test_options_prompt(numbers, prompt):
    assert options_prompt(numbers) == prompt


def test_a_turn_numbers_options_across_its_messages():
    texts, payloads = render_turn(
        [{"text": "First.", "buttons": BUTTONS[:2]}, {"text": "Who are you?", "buttons": BUTTONS[2:]}, {"text": ""}]
    )
    assert texts == [
        "First.\n\nReply 1 or 2:\n1. What is consent?\n2. Saying no",
        "Who are you?\n\nReply 3:\n3. Changing your mind",
    ]
    assert len(payloads) == 3


def test_message_without_buttons_is_its_text():
    assert render_message({"text": "Just text."}) == ("Just text.", [])


def test_links_become_plain_urls():
    assert (
        links_as_text("See [Childline](https://www.childline.org.uk) now.")
        == "See Childline: https://www.childline.org.uk now."
    )
    assert links_as_text("[https://a.example](https://a.example)") == "https://a.example"
    assert links_as_text("This is **important**.") == "This is important."
    text, payloads = render_message(
        {
            "text": "More:",
            "buttons": [{"title": "NSPCC", "url": "https://www.nspcc.org.uk"}],
            "image": "https://x.example/a.png",
        }
    )
    assert text == "More:\n\nNSPCC: https://www.nspcc.org.uk\n\nhttps://x.example/a.png"
    assert payloads == []


@pytest.mark.parametrize(
    "text, number", [("1", 1), (" 2 ", 2), ("3.", 3), ("1)", 1), ("1\ufe0f\u20e3", 1), ("\u0662", 2)]
)
def test_choice_numbers(text, number):
    assert choice_number(text) == number


@pytest.mark.parametrize("text", ["", "one", "1 2", "12 apples", "I am 13", None])
def test_not_choice_numbers(text):
    assert choice_number(text) is None


def test_memory_maps_a_number_to_the_payload():
    memory = OptionMemory()
    memory.remember("a", ["/x", "/y", "/z"])
    assert memory.payload_for("a", "2") == "/y"
    assert memory.payload_for("a", "4") is None
    assert memory.payload_for("a", "0") is None
    assert memory.payload_for("b", "1") is None  # another sender saw no options


def test_memory_forgets_on_a_turn_without_options_and_after_expiry():
    clock = Clock()
    memory = OptionMemory(ttl_seconds=60, clock=clock)
    memory.remember("a", ["/x"])
    memory.remember("a", [])
    assert memory.payload_for("a", "1") is None
    memory.remember("a", ["/x"])
    clock.now += 61
    assert memory.payload_for("a", "1") is None
    assert len(memory) == 0


def test_memory_is_capped():
    clock = Clock()
    memory = OptionMemory(max_senders=3, clock=clock)
    for n in range(10):
        clock.now += 1
        memory.remember(f"s{n}", ["/x"])
    assert len(memory) == 3
    assert memory.payload_for("s0", "1") is None
    assert memory.payload_for("s9", "1") == "/x"


def test_memory_keeps_only_payloads():
    memory = OptionMemory()
    memory.remember("a", ["/x"])
    assert user_text("my son is 14", "a", memory) == "my son is 14"
    assert user_text("1", "a", memory) == "/x"
    assert {sender: payloads for sender, (_, payloads) in memory._entries.items()} == {"a": ("/x",)}


def test_user_text_cannot_type_an_intent():
    memory = OptionMemory()
    assert user_text('/set_audience{"audience": "pupil"}', "a", memory) == 'set_audience{"audience": "pupil"}'
    assert user_text("//", "a", memory) is None
    assert user_text("how do I talk to my son", "a", memory) == "how do I talk to my son"
    assert user_text("1", "a", memory) == "1"  # no options shown: passed on as text


def _long_text() -> str:
    return render_text("\n\n".join(render(s, "parent", None) for s in SITUATIONS))


@pytest.mark.parametrize("limit", [TWILIO_LIMIT, TELEGRAM_LIMIT, 300])
def test_split_at_sentence_ends(limit):
    text = _long_text()
    assert text_length(text) > limit
    parts = split_text(text, limit)
    assert len(parts) > 1
    assert all(text_length(p) <= limit for p in parts)
    for part in parts[:-1]:
        assert re.search(r"([.!?:]|[.!?][\"'\u201d\u2019)\]])$", part), part[-60:]
    # nothing lost or changed but the white space at the cuts
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_split_keeps_short_text_whole():
    assert split_text("  Short.  ", TWILIO_LIMIT) == ["Short."]
    assert split_text("", TWILIO_LIMIT) == []


def test_split_a_long_sentence_at_spaces_never_mid_word():
    words = [f"word{n}" for n in range(400)]
    parts = split_text(" ".join(words), 100)
    assert all(len(p) <= 100 for p in parts)
    assert " ".join(parts).split() == words


def test_split_does_not_cut_after_a_list_number():
    text = "Answer. " * 10 + "\nReply 1 or 2:\n1. What is consent?\n2. Saying no"
    parts = split_text(text, 95)
    assert not any(p.endswith(("1.", "2.")) for p in parts)


def test_emoji_count_twice():
    assert text_length("\U0001f44d") == 2
    parts = split_text("\U0001f44d " * 1000, TWILIO_LIMIT)
    assert all(text_length(p) <= TWILIO_LIMIT for p in parts)


def test_split_prefers_paragraph_breaks():
    first, second = "One sentence here. " * 40, "Another one there. " * 30
    parts = split_text(f"{first.strip()}\n\n{second.strip()}", 1000)
    assert parts == [first.strip(), second.strip()]  # not 1000 characters then a short tail


@pytest.mark.parametrize(
    "payload, expected",
    [
        ("/greet", '/greet{"audience": "parent"}'),
        ("/law_nudes_illegal", '/law_nudes_illegal{"audience": "parent"}'),
        ('/quiz_answer{"quiz_choice": "myth"}', '/quiz_answer{"quiz_choice": "myth", "audience": "parent"}'),
        ('/set_audience{"audience": "teacher"}', '/set_audience{"audience": "teacher"}'),
        ("/greet@0.9", '/greet@0.9{"audience": "parent"}'),
        ("/broken{not json", "/broken{not json"),
        ("hello", "hello"),
    ],
)
def test_payloads_get_the_audience_entity(payload, expected):
    assert with_entity(payload, "audience", "parent") == expected
