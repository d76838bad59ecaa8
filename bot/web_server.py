"""A tiny static server for the chat widget and its demo pages.

Serves the web/ folder, fills the ``__RASA_URL__`` placeholder in .html files with ``--rasa-url``, and sends
strict security headers (CSP, no referrer, nosniff, no caching) on every response. Standard library only;
for local development, demos and the browser tests, not for production hosting.

    python -m bot.web_server --port 8080 --root web --rasa-url http://localhost:5005

With the Rasa API token in the environment (RASA_TOKEN), it also serves the school's anonymous topic insights at
/insights/ (bot/insights), to a request that carries the token (`?token=...` or `Authorization: Bearer ...`),
read from the tracker store that TRACKER_DB or the DB_* variables name. Without RASA_TOKEN, /insights/ is 404.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hmac
import html
import io
import os
import sys
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from bot.settings import settings

PLACEHOLDER = "__RASA_URL__"
INSIGHTS_PATHS = ("/insights", "/insights/")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of an http(s) URL, or raise ValueError."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(rasa_url: str) -> str:
    """The CSP for every page: only our own files, and talk only to ourselves and the Rasa server."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"connect-src 'self' {origin_of(rasa_url)}",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def security_headers(rasa_url: str) -> dict[str, str]:
    """Headers sent on every response, errors included."""
    return {
        "Content-Security-Policy": content_security_policy(rasa_url),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def fill_placeholder(page: str, rasa_url: str) -> str:
    """Put the Rasa URL (attribute-escaped) where the page says __RASA_URL__."""
    return page.replace(PLACEHOLDER, html.escape(rasa_url, quote=True))


class WidgetHandler(SimpleHTTPRequestHandler):
    """Static files from the web root, with the placeholder filled in and security headers added."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def __init__(self, *args, rasa_url: str, insights_token: str | None = None, **kwargs):
        self.rasa_url = rasa_url
        self.insights_token = insights_token
        self.page_csp: str | None = None  # a page's own CSP, instead of the widget's
        super().__init__(*args, **kwargs)

    def end_headers(self) -> None:
        for name, value in security_headers(self.rasa_url).items():
            if name == "Content-Security-Policy" and self.page_csp:
                value = self.page_csp
            self.send_header(name, value)
        if self.path.split("?", 1)[0].endswith(".json"):
            # public widget texts: a school page on another origin may fetch them
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def send_head(self):
        self.page_csp = None  # a kept-alive connection's next request starts with the widget's CSP again
        if urllib.parse.urlsplit(self.path).path == "/":
            return self._redirect("/demo/")
        if urllib.parse.urlsplit(self.path).path in INSIGHTS_PATHS:
            return self._send_insights()
        path = self.translate_path(self.path)
        if os.path.isdir(path) and self.path.split("?", 1)[0].endswith("/"):
            path = os.path.join(path, "index.html")
        if path.endswith(".html") and os.path.isfile(path):
            return self._send_html(path)
        return super().send_head()

    def log_request(self, code="-", size="-") -> None:
        """The request line without its query string, which may hold the token."""
        method, _, rest = self.requestline.partition(" ")
        target, _, version = rest.partition(" ")
        line = " ".join(p for p in (method, target.split("?", 1)[0], version) if p)
        self.log_message('"%s" %s %s', line, str(code), str(size))

    def list_directory(self, path):
        self.send_error(404, "Not found")
        return None

    def _redirect(self, location: str):
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    def _token_given(self) -> str:
        """The token a request carries: `?token=` (as the Rasa API takes it) or an `Authorization: Bearer` header."""
        header = self.headers.get("Authorization") or ""
        if header.lower().startswith("bearer "):
            return header[len("bearer ") :].strip()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return (query.get("token") or [""])[0]

    def _send_insights(self):
        """The insights page, only with the API token: 401 without one, 403 with a wrong one."""
        if not self.insights_token:
            self.send_error(404, "Not found")
            return None
        given = self._token_given()
        if not given:
            self.send_error(401, "The API token is needed")
            return None
        if not hmac.compare_digest(given.encode("utf-8"), self.insights_token.encode("utf-8")):
            self.send_error(403, "Wrong token")
            return None
        from bot.answers.content_library import school
        from bot.insights import insights, render
        from bot.insights.page import content_security_policy
        from bot.privacy.retention import connect, database_url

        try:
            engine = connect(database_url())
            try:
                report = insights(engine)
            finally:
                if engine is not None:
                    engine.dispose()
        except Exception as error:  # the database is down: say so, without details
            self.log_error("insights: the tracker store could not be read (%s)", type(error).__name__)
            self.send_error(503, "The conversations database cannot be read right now")
            return None
        body = render(report, "html", school().name, dt.date.today().isoformat()).encode("utf-8")
        self.page_csp = content_security_policy()
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Robots-Tag", "noindex")
        self.end_headers()
        return io.BytesIO(body)

    def _send_html(self, path: str):
        with open(path, encoding="utf-8") as handle:
            body = fill_placeholder(handle.read(), self.rasa_url).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def make_server(
    root: str, port: int, rasa_url: str, host: str = "127.0.0.1", insights_token: str | None = None
) -> ThreadingHTTPServer:
    """A threading server for ``root``; port 0 picks a free port. The insights page needs ``insights_token``."""
    origin_of(rasa_url)  # fail early on a bad URL
    handler = partial(
        WidgetHandler,
        directory=os.path.abspath(root),
        rasa_url=rasa_url.rstrip("/"),
        insights_token=insights_token or None,
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def http_url_arg(value: str) -> str:
    """argparse type: an http(s) base URL."""
    try:
        origin_of(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--root", default="web", help="folder to serve")
    parser.add_argument(
        "--rasa-url",
        type=http_url_arg,
        default="http://localhost:5005",
        help="base URL of the Rasa server (filled into the pages and the CSP)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    server = make_server(args.root, args.port, args.rasa_url, args.host, settings().rasa_token or None)
    host, port = server.server_address[:2]
    print(f"Serving {args.root} on http://{host}:{port}/ (demo: http://{host}:{port}/demo/)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
