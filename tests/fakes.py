"""Fake Twilio and Telegram APIs for the channel tests, and a stalling action server for the fault tests:
small HTTP servers on loopback, in a thread.

Each fake API records what the channel sent (`.messages`, as the real API would receive it) and every request
it got (`.requests`: method and path), and answers the way the real API does.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List
from urllib.parse import parse_qsl, urlsplit


class _FakeAPI:
    """A loopback HTTP server on a free port; subclasses answer POSTs in `post(path, headers, body)`."""

    def __init__(self) -> None:
        self.messages: List[dict] = []
        self.requests: List[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> _FakeAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                with api._lock:
                    api.requests.append({"method": method, "path": path})
                status, payload = api.post(path, self.headers, body) if method == "POST" else api.get(path)
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.requests.clear()

    def _record(self, message: dict) -> None:
        with self._lock:
            self.messages.append(message)

    def sent_to(self, recipient) -> List[dict]:
        """The messages sent to one recipient (Twilio `to`, Telegram `chat_id`), in order."""
        with self._lock:
            return [m for m in self.messages if m.get(self.recipient_key) == recipient]

    def wait_for(self, n: int, timeout: float = 10, to=None) -> List[dict]:
        """Wait until at least n messages arrived (to one recipient, if given); the messages so far."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [m for m in self.messages if to is None or m.get(self.recipient_key) == to]
            if len(found) >= n or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)

    def get(self, path: str):
        """Any GET (a media download, for instance) is only recorded."""
        return 404, {"message": "not found"}

    recipient_key = "to"

    def post(self, path, headers, body):  # pragma: no cover - overridden
        raise NotImplementedError


class FakeTwilioAPI(_FakeAPI):
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth sid:token."""

    recipient_key = "to"

    def __init__(self, auth_token: str | None = None) -> None:
        super().__init__()
        self.auth_token = auth_token  # when given, a wrong password gets 401 like the real API

    def post(self, path, headers, body):
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "2010-04-01" or parts[1] != "Accounts" or parts[3] != "Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
        sid = parts[2]
        user, password = _basic_auth(headers.get("Authorization"))
        if user != sid or (self.auth_token is not None and password != self.auth_token):
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        if not form.get("To") or not form.get("From") or not form.get("Body"):
            return 400, {"code": 21602, "message": "Message body is required.", "status": 400}
        if len(form["Body"]) > 1600:
            return 400, {
                "code": 21617,
                "message": "The concatenated message body exceeds the 1600 character limit.",
                "status": 400,
            }
        message_sid = "SM" + uuid.uuid4().hex
        self._record(
            {"sid": message_sid, "account_sid": sid, "from": form["From"], "to": form["To"], "body": form["Body"]}
        )
        return 201, {
            "sid": message_sid,
            "account_sid": sid,
            "from": form["From"],
            "to": form["To"],
            "body": form["Body"],
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
        }


class FakeTelegramAPI(_FakeAPI):
    """Telegram's Bot API: POST /bot{token}/sendMessage with JSON {chat_id, text}."""

    recipient_key = "chat_id"

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token  # when given, another token gets 401 like the real API
        self._next_id = 1

    def post(self, path, headers, body):
        parts = path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot") or parts[1] != "sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if self.token is not None and parts[0][3:] != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: can't parse JSON"}
        text = data.get("text")
        if not isinstance(text, str) or not text:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        if len(text) > 4096:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
        with self._lock:
            message_id, self._next_id = self._next_id, self._next_id + 1
        self._record({"chat_id": data.get("chat_id"), "text": text, "message_id": message_id})
        result = {
            "message_id": message_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": data.get("chat_id"), "type": "private"},
            "from": {"id": 1, "is_bot": True, "first_name": "Fake"},
        }
        return 200, {"ok": True, "result": result}


def _basic_auth(header: str | None):
    """(user, password) from a Basic Authorization header, or (None, None)."""
    if not header or not header.startswith("Basic "):
        return None, None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except ValueError:
        return None, None
    return user, password


class StallingActionServer:
    """A stand-in action server on loopback in front of the real one: it forwards every request, or, while
    `stalled`, accepts each request and never answers (until `stop`)."""

    def __init__(self, target_url: str) -> None:
        self.target_url = target_url
        self.stalled = threading.Event()
        self.held = 0  # requests accepted and left unanswered
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> StallingActionServer:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str) -> None:
                import requests

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if stand_in.stalled.is_set():
                    stand_in.held += 1
                    stand_in._released.wait()
                    return
                answer = requests.request(
                    method,
                    stand_in.target_url + self.path,
                    data=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "application/json")},
                    timeout=60,
                )
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:  # noqa: N802
                self._forward("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._forward("POST")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
