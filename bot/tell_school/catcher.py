"""A mail catcher for development: `make run` starts it when no SMTP server is configured.

    python -m bot.tell_school.catcher --port 2525 --dir build/mail

An SMTP server on loopback (no TLS, which the mailer allows only on loopback) that saves each email it receives
as a file in --dir and prints one line naming the file, never the message. For trying the route on your own
machine; the files hold the messages: delete them when done.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    """aiosmtpd handler: each message becomes <dir>/<time>-<n>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.count += 1
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{self.count}.eml"
        path.write_bytes(envelope.content)
        print(f"mail catcher: an email for {', '.join(envelope.rcpt_tos)} saved as {path}", flush=True)
        return "250 OK"


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--dir", default="build/mail")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToFolder(folder), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"mail catcher on 127.0.0.1:{args.port}, saving to {folder}", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
