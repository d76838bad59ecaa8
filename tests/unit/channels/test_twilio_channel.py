"""VerifiedTwilioInput in process, with a stand-in for Rasa and the fake Twilio API: no Rasa server needed."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from bot.answers.answering import system_text
from bot.answers.routes import SITUATIONS
from bot.answers.safety import render, render_media
from bot.channels.conversation_ids import twilio_id
from bot.channels.plain_text import TWILIO_LIMIT
from bot.channels.rate_limit import RateLimiter
from bot.channels.twilio import (
    EMPTY_TWIML,
    TwilioSettings,
    VerifiedTwilioInput,
    signature_ok,
    twilio_signature,
)
from tests.channels.helpers import FakeRasa, form_request, new_number, run, sign, twilio_form
from tests.fakes import FakeTwilioAPI

TOKEN = "unit-test-auth-token"
KEY = "unit-test-id-key"
SID = "AC" + "1" * 32
BASE = "https://school.example"
URL = BASE + "/webhooks/twilio/webhook"


@pytest.fixture(scope="module")
def api():
    fake = FakeTwilioAPI(auth_token=TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def channel(api):
    api.clear()
    settings = TwilioSettings(
        account_sid=SID,
        auth_token=TOKEN,
        number="whatsapp:+447700900000",
        webhook_base=BASE,
        api_url=api.url,
        id_key=KEY,
    )
    return VerifiedTwilioInput(settings, limiter=RateLimiter(per_minute=10))


def post(channel, form, rasa, signature="sign"):
    if signature == "sign":
        signature = sign(TOKEN, URL, form)
    return run(channel.handle(form_request(form, signature), rasa))


# ---------------------------------------------------------------- signatures


def test_signature_matches_twilios_own_validator():
    form = twilio_form(new_number(), "How do I talk to my son about nudes?")
    ours = twilio_signature(TOKEN, URL, form.items())
    validator = RequestValidator(TOKEN)
    assert ours == validator.compute_signature(URL, form)
    assert validator.validate(URL, form, ours)


def test_signature_with_or_without_the_default_port():
    form = twilio_form(new_number(), "hi")
    signed_with_port = RequestValidator(TOKEN).compute_signature(
        "https://school.example:443/webhooks/twilio/webhook", form
    )
    assert signature_ok(TOKEN, URL, list(form.items()), signed_with_port)
    assert signature_ok(
        TOKEN, "https://school.example:443/webhooks/twilio/webhook", list(form.items()), sign(TOKEN, URL, form)
    )


@pytest.mark.parametrize("change", ["body", "url", "token", "missing", "empty"])
def test_bad_signatures_are_refused(change):
    form = twilio_form(new_number(), "hi")
    signature = sign(TOKEN, URL, form)
    params = list(form.items())
    if change == "body":
        params = [(k, "changed" if k == "Body" else v) for k, v in params]
    url = URL + "?x=1" if change == "url" else URL
    token = "other-token" if change == "token" else TOKEN
    signature = {"missing": None, "empty": ""}.get(change, signature)
    assert not signature_ok(token, url, params, signature)


def test_the_conversation_id_hides_the_number():
    number = "whatsapp:+447700900123"
    sid = twilio_id(KEY, number)
    assert sid.startswith("tw-") and "447700900123" not in sid
    assert sid == twilio_id(KEY, number) != twilio_id(KEY, "whatsapp:+447700900124")


# ---------------------------------------------------------------- the webhook


def test_a_new_auth_token_keeps_the_conversation(api):
    """The id's key is CONVERSATION_ID_KEY, not the token: rotating the token orphans no conversation."""
    number, ids = new_number(), []
    for token in (TOKEN, "the-rotated-token"):
        settings = TwilioSettings(
            account_sid=SID,
            auth_token=token,
            number="whatsapp:+447700900000",
            webhook_base=BASE,
            api_url=api.url,
            id_key=KEY,
        )
        rasa = FakeRasa()
        form = twilio_form(number, "hello")
        assert run(VerifiedTwilioInput(settings).handle(form_request(form, sign(token, URL, form)), rasa)).status == 200
        ids.append(rasa.received[0].sender_id)
    assert ids[0] == ids[1] == twilio_id(KEY, number)


def test_bad_or_missing_signature_is_403_before_any_conversation(channel, api):
    rasa = FakeRasa()
    form = twilio_form(new_number(), "hello")
    for signature in (None, "", "bm90IGEgc2lnbmF0dXJl", sign("wrong-token", URL, form)):
        reply = post(channel, form, rasa, signature)
        assert reply.status == 403
    assert rasa.received == [] and api.messages == []
    assert len(channel.limiter) == 0 and len(channel.options) == 0


def test_unconfigured_channel_answers_503(api):
    rasa = FakeRasa()
    channel = VerifiedTwilioInput(TwilioSettings.from_env({}))
    form = twilio_form(new_number(), "hello")
    assert post(channel, form, rasa).status == 503
    assert rasa.received == [] and api.messages == []


def test_settings_from_env():
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_NUMBER": "whatsapp:+447700900000",
        "TWILIO_WEBHOOK_BASE": BASE + "/",
        "CONVERSATION_ID_KEY": KEY,
    }
    settings = TwilioSettings.from_env(env)
    assert settings.configured and settings.api_url == "https://api.twilio.com" and settings.audience == "parent"
    assert settings.webhook_base == BASE
    assert TwilioSettings.from_env({**env, "CHANNEL_AUDIENCE": "Teacher"}).audience == "teacher"
    assert TwilioSettings.from_env({**env, "CHANNEL_AUDIENCE": "admin"}).audience == "parent"
    assert not TwilioSettings.from_env({**env, "TWILIO_WEBHOOK_BASE": ""}).configured
    assert not TwilioSettings.from_env({**env, "CONVERSATION_ID_KEY": " "}).configured  # no key, no conversations


def test_a_message_gets_a_plain_text_answer(channel, api):
    number = new_number()
    buttons = [{"title": "What is consent?", "payload": "/consent_what_is"}, {"title": "Saying no", "payload": "/x"}]
    rasa = FakeRasa(lambda text: [{"text": "Here is how.", "buttons": buttons}])
    reply = post(channel, twilio_form(number, "How do I talk to my son about nudes?"), rasa)
    assert reply.status == 200 and reply.content_type.startswith("text/xml")
    assert reply.body.decode() == EMPTY_TWIML
    [message] = rasa.received
    assert message.text == "How do I talk to my son about nudes?"
    assert message.metadata == {"audience": "parent"}
    assert message.sender_id == twilio_id(KEY, number) and "447700900" not in message.sender_id
    assert message.input_channel == "twilio"
    [sent] = api.sent_to(number)
    assert sent["body"] == "Here is how.\n\nReply 1 or 2:\n1. What is consent?\n2. Saying no"
    assert sent["from"] == "whatsapp:+447700900000" and sent["account_sid"] == SID


def test_a_number_follows_the_button(channel, api):
    number = new_number()
    rasa = FakeRasa(
        lambda text: [
            {"text": "Answer.", "buttons": [{"title": "A", "payload": "/first"}, {"title": "B", "payload": "/second"}]}
        ]
    )
    post(channel, twilio_form(number, "question"), rasa)
    post(channel, twilio_form(number, "2"), rasa)
    post(channel, twilio_form(number, "1"), rasa)
    # payloads skip Rasa's NLU, so the channel adds the audience that typed messages get from metadata
    assert [m.text for m in rasa.received] == [
        "question",
        '/second{"audience": "parent"}',
        '/first{"audience": "parent"}',
    ]


def test_typed_intents_are_not_passed_on(channel):
    rasa = FakeRasa()
    post(channel, twilio_form(new_number(), '/set_audience{"audience": "pupil"}'), rasa)
    assert rasa.received[0].text == 'set_audience{"audience": "pupil"}'


def test_media_is_answered_by_the_channel_and_never_fetched(channel, api):
    number = new_number()
    rasa = FakeRasa()
    media = [(f"{api.url}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1", "image/jpeg")]
    reply = post(channel, twilio_form(number, "", media=media), rasa)
    assert reply.status == 200
    assert rasa.received == []
    [sent] = api.sent_to(number)
    assert sent["body"] == render_media("parent")
    assert not [r for r in api.requests if r["method"] == "GET"]


def test_media_with_a_caption_gets_the_media_text_and_an_answer(channel, api):
    number = new_number()
    rasa = FakeRasa()
    post(channel, twilio_form(number, "is this legal?", media=[(f"{api.url}/m/1", "image/jpeg")]), rasa)
    assert [m.text for m in rasa.received] == ["is this legal?"]
    assert [m["body"] for m in api.sent_to(number)] == [render_media("parent") + "\n\nAn answer."]


def test_a_turn_cut_at_blank_lines_goes_out_as_one_message(channel, api):
    number = new_number()
    paragraphs = [
        {"text": "Opening."},
        {"text": "Advice."},
        {"text": "Who can help.", "buttons": [{"title": "A", "payload": "/a"}]},
    ]
    post(channel, twilio_form(number, "question"), FakeRasa(lambda text: paragraphs))
    assert [m["body"] for m in api.sent_to(number)] == ["Opening.\n\nAdvice.\n\nWho can help.\n\nReply 1:\n1. A"]


@pytest.mark.parametrize("body, key", [("", "unclear"), ("\u200b\u0007", "unclear"), ("x" * 2001, "too_long")])
def test_empty_or_too_long_gets_a_system_text(channel, api, body, key):
    number = new_number()
    rasa = FakeRasa()
    post(channel, twilio_form(number, body), rasa)
    assert rasa.received == []
    assert [m["body"] for m in api.sent_to(number)] == [system_text(key)]


def test_a_failed_or_silent_turn_gets_the_apology(channel, api):
    number = new_number()
    post(channel, twilio_form(number, "hello"), FakeRasa(fail=True))
    post(channel, twilio_form(number, "hello"), FakeRasa(lambda text: []))
    assert [m["body"] for m in api.sent_to(number)] == [system_text("apology")] * 2


def test_long_answers_are_split_at_sentence_ends(channel, api):
    number = new_number()
    long_answer = "\n\n".join(render(s, "parent", None) for s in SITUATIONS)
    assert len(long_answer) > 2 * TWILIO_LIMIT
    post(channel, twilio_form(number, "tell me everything"), FakeRasa(lambda text: [{"text": long_answer}]))
    sent = [m["body"] for m in api.sent_to(number)]
    assert len(sent) >= 3
    assert all(len(body) <= TWILIO_LIMIT for body in sent)
    assert all(body.rstrip().endswith((".", "!", "?", ":")) for body in sent)


def test_flooding_sender_gets_one_notice_others_still_answered(channel, api):
    flood, other = new_number(), new_number()
    rasa = FakeRasa()
    for _ in range(14):
        post(channel, twilio_form(flood, "hello"), rasa)
    post(channel, twilio_form(other, "hello"), rasa)
    bodies = [m["body"] for m in api.sent_to(flood)]
    assert bodies == ["An answer."] * 10 + [system_text("rate_limited")]
    assert [m["body"] for m in api.sent_to(other)] == ["An answer."]
    assert len(rasa.received) == 11


def test_api_errors_do_not_break_the_webhook(api):
    settings = TwilioSettings(
        account_sid=SID,
        auth_token=TOKEN,
        number="whatsapp:+447700900000",
        webhook_base=BASE,
        api_url="http://127.0.0.1:9",
        id_key=KEY,
    )
    channel = VerifiedTwilioInput(settings)
    reply = post(channel, twilio_form(new_number(), "hello"), FakeRasa())
    assert reply.status == 200


def test_no_message_text_in_logs(channel, caplog):
    caplog.set_level("DEBUG", logger="bot.channels")
    number = new_number()
    post(channel, twilio_form(number, "my secret question about my daughter"), FakeRasa())
    post(channel, twilio_form(number, "hello"), FakeRasa(), signature="bad")
    logged = caplog.text
    assert "secret question" not in logged and "447700900" not in logged
    assert twilio_id(KEY, number) in logged
