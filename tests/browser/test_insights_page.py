"""The insights page in real Chromium, served by the demo web server of the shared assistant behind its API token,
after conversations through the REST channel. On screen and in print.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from bot.insights.store import week_of

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def teachers(stack):
    """Five staff conversations about consent, sent as the widget would; their sender ids."""
    import requests

    senders = [f"insights-page-{uuid.uuid4().hex}" for _ in range(5)]
    for sender in senders:
        body = {"sender": sender, "message": "what is consent", "metadata": {"audience": "teacher"}}
        r = requests.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        r.raise_for_status()
    return senders


def open_page(page, stack, token: str | None):
    requests_seen, errors = [], []
    page.on("request", lambda request: requests_seen.append(request.url))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda err: errors.append(str(err)))
    url = f"http://127.0.0.1:{stack.web_port}/insights/" + (f"?token={token}" if token else "")
    response = page.goto(url)
    return response, requests_seen, errors


def test_the_page_needs_the_token(page, stack):
    response, _, _ = open_page(page, stack, None)
    assert response.status == 401
    response, _, _ = open_page(page, stack, "not-the-token")
    assert response.status == 403


def test_the_page_shows_topics_by_week_and_fetches_nothing(page, stack, teachers):
    response, requests_seen, errors = open_page(page, stack, stack.token)
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("What people asked about")
    staff = page.locator("section", has=page.get_by_role("heading", name="Staff"))
    expect(staff.get_by_role("img")).to_be_visible()  # the SVG chart
    week = week_of(time.time())
    row = staff.locator("tbody tr", has=page.locator(f'th:text-is("{week}")'))
    consent = row.locator("td").nth(0).inner_text()
    assert consent.isdigit() and int(consent) >= 5, consent  # at least our five, shown as a number
    assert staff.locator("svg rect.bar").count() >= 1
    assert page.locator("td.few").first.inner_text() == "<5"

    html = page.content()
    assert not any(sender in html for sender in teachers)
    assert "what is consent" not in html.lower()
    assert requests_seen == [response.url], "nothing fetched but the page itself"
    assert not errors, errors  # a CSP violation would be a console error
    # the page's own style element is allowed by its CSP
    border = page.locator("h2").first.evaluate("el => getComputedStyle(el).borderBottomStyle")
    assert border == "solid"


def test_the_page_prints_each_audience_on_a_page_of_its_own(page, stack, teachers):
    open_page(page, stack, stack.token)
    page.emulate_media(media="print")
    expect(page.locator(".print-note")).to_be_hidden()
    assert page.locator("svg rect.bar").first.evaluate("el => getComputedStyle(el).fill") == "rgb(0, 0, 0)"
    assert page.locator("header").evaluate("el => getComputedStyle(el).breakAfter") == "page"
    sections = page.locator("section.audience")
    breaks = sections.evaluate_all("els => els.map(e => getComputedStyle(e).breakBefore)")
    assert breaks[0] != "page" and all(b == "page" for b in breaks[1:])
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pages == 1 + sections.count(), "how to read it, then one page an audience: no chart or table split"
