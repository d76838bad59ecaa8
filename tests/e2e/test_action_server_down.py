"""With the action server down, disclosures still get the help routes and everything else an apology."""

import re
import uuid

import pytest
import requests

from tests.conftest import private_stack, reply_text


@pytest.fixture(scope="module")
def stack_without_actions(tmp_path_factory):
    logs = tmp_path_factory.mktemp("down")
    s = private_stack(logs).start()
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()


def send(stack, text, sender, metadata=None):
    body = {"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})}
    r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    r.raise_for_status()
    return reply_text(r.json())


def test_answers_survive_the_action_server_going_down(stack_without_actions):
    stack = stack_without_actions
    sender = uuid.uuid4().hex
    assert "consent" in send(stack, "what is consent", sender, {"audience": "pupil", "age": 14}).lower()
    stack.stop("actions")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{stack.action_url}/health", timeout=5)

    disclosure = send(stack, "someone says they'll post my nudes unless i pay them", sender)
    assert "0800 1111" in disclosure and re.search(r"don't pay", disclosure, re.I)
    # the age band set earlier still picks the wording: 14-15 gets Report Remove
    assert "Report Remove" in disclosure

    other = send(stack, "what does a healthy relationship look like", sender)
    assert re.search(r"sorry", other, re.I) and "0800 1111" in other

    parent = send(
        stack, "my daughter's photo is being shared round her school", uuid.uuid4().hex, {"audience": "parent"}
    )
    assert "0808 800 5000" in parent
