"""The pupil chat widget in real Chromium, talking to the real Rasa server (``rasa_url``).

A few tests replace the Rasa reply with page.route to pin down exact rendering (links, phone numbers,
HTML in a reply, a 4xx answer); everything else goes to the running assistant.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "widget.png"
EXIT_PATH = "/demo/neutral.html"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DISCLOSURE = "someone is threatening to share my nudes unless i pay"
XSS = "<img src=x onerror=alert(1)>"


# ------------------------------------------------------------------ helpers


def fake_rasa_reply(page, rasa_url: str, messages=None, status: int = 200) -> list[dict]:
    """Answer the widget's webhook calls with a fixed reply; returns the list of request bodies seen."""
    seen: list[dict] = []

    def handle(route):
        request = route.request
        cors = {
            "Access-Control-Allow-Origin": request.headers.get("origin", "*"),
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Allow-Methods": "POST, OPTIONS",
        }
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        seen.append(json.loads(request.post_data or "{}"))
        route.fulfill(
            status=status,
            headers=cors,
            content_type="application/json",
            body=json.dumps(messages if messages is not None else {"error": "bad request"}),
        )

    page.route(rasa_url.rstrip("/") + "/webhooks/rest/webhook", handle)
    return seen


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    lighter, darker = sorted((relative_luminance(fg), relative_luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


COLOURS_JS = """
el => {
  const parse = c => c.match(/[\\d.]+/g).map(Number);
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c.slice(0, 3); break; }
    node = node.parentElement;
  }
  return { fg: parse(getComputedStyle(el).color).slice(0, 3), bg: bg || [255, 255, 255] };
}
"""


# ------------------------------------------------------------------ conversation with the real assistant


def test_first_notice_says_it_is_a_bot_with_helplines(chat):
    chat.goto()
    chat.open()
    notice = chat.page.locator(".sgw-msg-notice")
    expect(notice).to_have_count(1)
    text = notice.inner_text()
    assert "bot" in text.lower()
    assert "0800 1111" in text and "999" in text
    expect(notice.locator('a[href="tel:08001111"]')).to_have_count(1)
    expect(notice.locator('a[href="tel:999"]')).to_have_count(1)
    assert chat.bot_messages.count() == 1, "the notice is the only message before the pupil types"


def test_notice_has_a_safe_fallback_when_texts_fail_to_load(chat):
    chat.page.route("**/widget-text.json", lambda route: route.abort())
    chat.goto()
    chat.open()
    text = chat.page.locator(".sgw-msg-notice").inner_text()
    assert "bot" in text.lower() and "0800 1111" in text and "999" in text


def test_consent_question_gets_an_answer_about_consent(chat):
    chat.goto()
    chat.open()
    before = chat.bot_messages.count()
    chat.send("what is consent")
    expect(chat.page.locator(".sgw-msg-user").last).to_have_text(re.compile("what is consent"))
    assert "consent" in chat.last_reply_text(before).lower()
    assert not chat.dialogs and not chat.errors


def test_quick_reply_button_sends_its_payload_and_gets_a_new_reply(chat):
    chat.goto()
    chat.open()
    chat.send("what is consent")
    button = chat.reply_buttons.first
    expect(button).to_be_visible()
    assert button.evaluate("b => b.tagName") == "BUTTON"
    title = button.inner_text().strip()
    before = chat.bot_messages.count()
    sent_before = len(chat.webhook_bodies)
    button.click()
    chat.wait_for_reply(before)
    expect(chat.page.locator(".sgw-msg-user").last).to_contain_text(title)
    payload = json.loads(chat.webhook_bodies[sent_before])["message"]
    assert payload.startswith("/"), f"the button's payload is sent, not its title: {payload!r}"
    assert chat.last_reply_text(before).strip()
    expect(chat.input).to_be_focused()


def test_disclosure_reply_gives_childline_number(chat):
    chat.goto()
    chat.open()
    before = chat.bot_messages.count()
    chat.send(DISCLOSURE)
    reply = chat.bot_messages.nth(before)
    assert "0800 1111" in chat.last_reply_text(before)
    expect(chat.page.locator('.sgw-msg-bot a[href="tel:08001111"]').last).to_be_visible()
    assert reply.is_visible()


def test_metadata_goes_with_the_first_message_only(chat):
    chat.goto()
    chat.open()
    chat.send("hello")
    chat.send("what is consent")
    first, second = (json.loads(body) for body in chat.webhook_bodies[:2])
    assert first["metadata"] == {"audience": "pupil"}
    assert "metadata" not in second
    assert UUID.match(first["sender"]) and first["sender"] == second["sender"]


@pytest.mark.parametrize(
    "page_name, audience, word", [("teachers.html", "teacher", "DSL"), ("parents.html", "parent", "NSPCC")]
)
def test_staff_and_parent_pages_say_who_is_asking(chat, page_name, audience, word):
    chat.goto("/demo/" + page_name)
    chat.open()
    assert word in chat.page.locator(".sgw-msg-notice").inner_text()
    chat.send("hello")
    assert json.loads(chat.webhook_bodies[0])["metadata"] == {"audience": audience}


def test_each_visit_gets_a_new_sender_id(chat):
    senders = []
    for _ in range(2):
        chat.goto()
        chat.open()
        chat.send("hello")
        senders.append(json.loads(chat.webhook_bodies[-1])["sender"])
    assert senders[0] != senders[1]


# ------------------------------------------------------------------ quick exit and privacy


def storage_and_cookies(page) -> dict:
    return {
        "local": page.evaluate("localStorage.length"),
        "session": page.evaluate("sessionStorage.length"),
        "document_cookie": page.evaluate("document.cookie"),
        "cookies": page.context.cookies(),
    }


def test_nothing_is_stored_during_a_chat(chat):
    chat.goto()
    chat.open()
    chat.send("what is consent")
    assert storage_and_cookies(chat.page) == {"local": 0, "session": 0, "document_cookie": "", "cookies": []}


def test_quick_exit_button_leaves_no_trace(chat, demo_server, rasa_url):
    page = chat.page
    beacons = []
    page.context.on("request", lambda r: r.url.endswith("/privacy/forget") and beacons.append(r))
    page.goto(demo_server + EXIT_PATH + "?before")  # a page the pupil was on before the school page
    chat_page = demo_server + "/demo/index.html"
    page.goto(chat_page)
    page.locator(".sgw-root:not([hidden])").wait_for()
    chat.open()
    chat.send(DISCLOSURE)
    sender = json.loads(chat.webhook_bodies[0])["sender"]
    history_length = page.evaluate("history.length")

    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(demo_server + EXIT_PATH)
    assert page.url == demo_server + EXIT_PATH
    assert page.evaluate("history.length") == history_length, "the exit replaced the entry, it added none"
    assert storage_and_cookies(page) == {"local": 0, "session": 0, "document_cookie": "", "cookies": []}

    page.wait_for_timeout(300)
    assert beacons, "a best-effort forget request was sent"
    assert beacons[0].url == rasa_url.rstrip("/") + "/webhooks/privacy/forget"
    assert json.loads(beacons[0].post_data) == {"sender": sender}

    page.go_back()
    page.wait_for_load_state()
    assert page.url == demo_server + EXIT_PATH + "?before"
    expect(page.locator(".sgw-msg")).to_have_count(0)
    assert "nudes" not in page.content()


def test_quick_exit_wipes_the_chat_before_leaving(chat, demo_server):
    page = chat.page
    # A probe records what the page still shows at the moment it is left (the exit page reads it back).
    page.add_init_script("""
      addEventListener("pagehide", () => {
        if (!location.pathname.endsWith("/index.html")) { return; }
        sessionStorage.setItem("probe", JSON.stringify({
          widgets: document.querySelectorAll(".sgw-root, .sgw-msg, .sgw-input").length,
          text: document.body.textContent.includes("nudes"),
        }));
      });
    """)
    chat.goto()
    chat.open()
    chat.send(DISCLOSURE)
    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(demo_server + EXIT_PATH)
    assert json.loads(page.evaluate("sessionStorage.getItem('probe')")) == {"widgets": 0, "text": False}


def test_escape_twice_is_a_quick_exit_but_two_slow_presses_are_not(chat, demo_server):
    page = chat.page
    chat.goto()
    chat.open()
    chat.input.fill("half-typed message")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1300)
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert page.url == demo_server + "/demo/index.html"
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(demo_server + EXIT_PATH)
    assert storage_and_cookies(page)["session"] == 0


def test_quick_exit_is_visible_with_the_panel_closed_and_open(chat):
    chat.goto()
    exit_button = chat.page.get_by_role("button", name="Quick exit")
    expect(exit_button).to_be_visible()
    expect(exit_button).to_be_in_viewport()
    chat.open()
    expect(exit_button).to_be_visible()
    expect(exit_button).to_be_in_viewport()


def test_session_storage_only_when_the_school_opts_in(chat, demo_server):
    page = chat.page

    # The school's snippet with data-session-storage="true": flip the attribute as the tag is parsed,
    # before widget.js has been fetched and run.
    page.add_init_script("""
      new MutationObserver(() => {
        const tag = document.querySelector("script[data-session-storage]");
        if (tag) { tag.setAttribute("data-session-storage", "true"); }
      }).observe(document, { childList: true, subtree: true });
    """)
    chat.goto()
    chat.open()
    chat.send("hello")
    stored = page.evaluate("Object.fromEntries(Object.entries(sessionStorage))")
    sender = json.loads(chat.webhook_bodies[0])["sender"]
    assert stored == {"sgw-chat-sender": sender, "sgw-chat-started": "1"}
    assert page.evaluate("localStorage.length") == 0

    chat.goto()
    chat.open()
    chat.send("what is consent")
    again = json.loads(chat.webhook_bodies[-1])
    assert again["sender"] == sender and "metadata" not in again
    assert chat.page.locator(".sgw-msg-user").count() == 1, "only the id is kept, never the messages"

    page.get_by_role("button", name="Quick exit").click()
    page.wait_for_url(demo_server + EXIT_PATH)
    assert page.evaluate("sessionStorage.length") == 0


# ------------------------------------------------------------------ safe rendering


def test_script_injection_is_shown_as_text(chat):
    page = chat.page
    chat.goto()
    chat.open()
    chat.send(XSS)
    expect(page.locator(".sgw-msg-user").last).to_have_text(re.compile(re.escape(XSS)))
    assert page.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert chat.dialogs == []


def test_html_in_a_bot_reply_is_shown_as_text(chat, rasa_url):
    fake_rasa_reply(chat.page, rasa_url, [{"text": XSS + " <b>bold</b> <a href='javascript:alert(2)'>x</a>"}])
    chat.goto()
    chat.open()
    chat.send("hello")
    reply = chat.bot_messages.last
    expect(reply).to_contain_text(XSS)
    expect(reply).to_contain_text("<b>bold</b>")
    assert chat.page.locator("img, b, .sgw-root a[href^='javascript']").count() == 0
    chat.page.wait_for_timeout(300)
    assert chat.dialogs == []


def test_phone_numbers_and_web_addresses_become_links(chat, rasa_url):
    text = (
        "Call Childline on 0800 1111 or Samaritans on 116 123. Adults: NSPCC 0808 800 5000. "
        "Police: 999, or 101. Text SHOUT to 85258. See childline.org.uk/remove, "
        "https://www.ceop.police.uk/Safety-Centre/ and email help@nspcc.org.uk. Age 16, year 2003."
    )
    fake_rasa_reply(chat.page, rasa_url, [{"text": text}])
    chat.goto()
    chat.open()
    chat.send("help")
    reply = chat.bot_messages.last
    expect(reply).to_have_text(re.compile(re.escape(text)))
    hrefs = reply.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == [
        "tel:08001111",
        "tel:116123",
        "tel:08088005000",
        "tel:999",
        "tel:101",
        "sms:85258",
        "https://childline.org.uk/remove",
        "https://www.ceop.police.uk/Safety-Centre/",
        "mailto:help@nspcc.org.uk",
    ]
    for link in reply.locator("a[href^='https://']").all():
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"


def test_buttons_from_the_server_are_real_buttons(chat, rasa_url):
    fake_rasa_reply(
        chat.page,
        rasa_url,
        [
            {
                "text": "Pick one",
                "buttons": [
                    {"title": "Saying no", "payload": "/consent_saying_no"},
                    {"title": "<i>tricky</i>", "payload": "/consent_changing_mind"},
                ],
            }
        ],
    )
    chat.goto()
    chat.open()
    chat.send("hello")
    group = chat.page.get_by_role("group", name="Suggested replies")
    expect(group.get_by_role("button")).to_have_count(2)
    expect(group.get_by_role("button", name="<i>tricky</i>")).to_be_visible()
    assert chat.page.locator(".sgw-root i").count() == 0


def test_a_4xx_answer_shows_a_polite_error(chat, rasa_url):
    fake_rasa_reply(chat.page, rasa_url, status=400)
    chat.goto()
    chat.open()
    chat.send("x" * 20)
    error = chat.page.locator(".sgw-msg-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("Sorry")
    expect(chat.input).to_be_enabled()


def test_no_console_errors_or_csp_violations(chat):
    chat.goto()
    chat.open()
    chat.send("what is consent")
    assert chat.errors == []


# ------------------------------------------------------------------ accessibility


def test_keyboard_only_conversation(chat):
    page = chat.page
    chat.goto()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('sgw-launcher')"):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    page.keyboard.press("Enter")
    expect(chat.input).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("what is consent")
    before = chat.bot_messages.count()
    page.keyboard.press("Enter")
    chat.wait_for_reply(before)
    expect(chat.reply_buttons.first).to_be_visible()

    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('sgw-reply')"):
            break
    else:
        pytest.fail("Tab never reached a quick-reply button")
    title = page.evaluate("document.activeElement.textContent")
    before = chat.bot_messages.count()
    page.keyboard.press("Enter")
    chat.wait_for_reply(before)
    expect(page.locator(".sgw-msg-user").last).to_have_text(re.compile(re.escape(title)))
    expect(chat.input).to_be_focused()

    page.get_by_role("button", name="Close the chat").focus()
    page.keyboard.press("Enter")
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")


def test_controls_are_labelled_and_the_log_is_live(chat):
    chat.goto()
    chat.open()
    page = chat.page
    expect(page.get_by_role("button", name="Quick exit")).to_have_count(1)
    expect(page.get_by_role("button", name="Ask the chatbot")).to_have_count(1)
    expect(page.get_by_role("button", name="Close the chat")).to_have_count(1)
    expect(page.get_by_role("button", name="Send")).to_have_count(1)
    expect(page.get_by_role("textbox", name="Type your question")).to_have_count(1)
    expect(page.get_by_role("region", name="Ask about staying safe")).to_be_visible()
    log = page.get_by_role("log", name="Chat messages")
    expect(log).to_have_attribute("aria-live", "polite")
    for button in page.locator(".sgw-root button").all():
        assert button.inner_text().strip(), "every button has visible text"


def test_focus_is_clearly_visible(chat):
    page = chat.page
    chat.goto()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('sgw-launcher')"):
            break
    style = chat.launcher.evaluate(
        "b => { const s = getComputedStyle(b); return [s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow]; }"
    )
    assert style[0] == "solid" and style[1] >= 2 and style[2] != "none"


def test_text_contrast_is_at_least_4_5_to_1(chat, rasa_url):
    fake_rasa_reply(
        chat.page,
        rasa_url,
        [{"text": "Call 0800 1111 or see childline.org.uk", "buttons": [{"title": "Saying no", "payload": "/x"}]}],
    )
    chat.goto()
    chat.open()
    chat.send("hello")
    selectors = [
        ".sgw-exit",
        ".sgw-launcher",
        ".sgw-title",
        ".sgw-hint",
        ".sgw-close",
        ".sgw-msg-notice",
        ".sgw-msg-bot >> nth=-1",
        ".sgw-msg-user",
        ".sgw-link >> nth=-1",
        ".sgw-reply",
        ".sgw-input",
        ".sgw-send",
    ]
    for selector in selectors:
        colours = chat.page.locator(selector).first.evaluate(COLOURS_JS)
        ratio = contrast(tuple(colours["fg"]), tuple(colours["bg"]))
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}"
    placeholder = chat.page.evaluate("getComputedStyle(document.querySelector('.sgw-input'), '::placeholder').color")
    assert contrast(tuple(map(float, re.findall(r"[\d.]+", placeholder)[:3])), (255, 255, 255)) >= 4.5


@pytest.mark.parametrize(
    "width, height", [(320, 640), (320, 480), (640, 400)], ids=["320px", "320px-short", "200pc-zoom"]
)
def test_panel_fits_small_screens_and_zoom_without_horizontal_scroll(new_page, make_chat, width, height):
    chat = make_chat(new_page(viewport={"width": width, "height": height}))
    chat.goto()
    chat.open()
    chat.send("what is consent")
    page = chat.page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for selector in (".sgw-panel", ".sgw-input", ".sgw-send", ".sgw-exit", ".sgw-launcher", ".sgw-close"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5, selector
    log = page.locator(".sgw-log")
    assert log.evaluate("l => l.scrollWidth <= l.clientWidth"), "no sideways scroll inside the chat"


def test_reduced_motion_turns_off_animation(new_page, make_chat):
    moving = make_chat(new_page())
    moving.goto()
    moving.open()
    assert moving.page.locator(".sgw-panel").evaluate("p => getComputedStyle(p).animationName") == "sgw-open"
    still = make_chat(new_page(reduced_motion="reduce"))
    still.goto()
    still.open()
    assert still.page.locator(".sgw-panel").evaluate("p => getComputedStyle(p).animationName") == "none"


# ------------------------------------------------------------------ the demo server


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, res.headers, res.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode("utf-8", errors="replace")


def test_demo_server_fills_the_rasa_url_and_sends_security_headers(demo_server, rasa_url):
    status, headers, body = fetch(demo_server + "/demo/index.html")
    assert status == 200
    assert "__RASA_URL__" not in body and f'data-server="{rasa_url.rstrip("/")}"' in body
    csp = headers["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ):
        assert part in csp
    rasa_origin = re.match(r"https?://[^/]+", rasa_url).group(0)
    assert f"connect-src 'self' {rasa_origin}" in csp
    for path in ("/widget.js", "/widget.css", "/widget-text.json", "/demo/", "/no-such-file"):
        status, headers, _ = fetch(demo_server + path)
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Cache-Control"] == "no-store", path
        assert headers["Content-Security-Policy"] == csp, path


def test_demo_pages_have_no_inline_script_or_handlers():
    for page in sorted((REPO / "web" / "demo").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"\son[a-z]+\s*=", html), page.name
        assert "style=" not in html, page.name


# ------------------------------------------------------------------ screenshot for the docs


def test_screenshot_of_the_open_widget(new_page, make_chat):
    chat = make_chat(new_page(viewport={"width": 1100, "height": 760}))
    chat.goto()
    chat.open()
    chat.send("what is consent")
    chat.page.wait_for_timeout(300)  # let the opening animation finish
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chat.page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000
