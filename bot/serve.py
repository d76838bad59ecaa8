"""Start the action server, the Rasa server and the demo web page together, and stop them together.

    python -m bot.serve --rasa-port 5005 --action-port 5055 --web-port 8080

`make run` calls this; the end-to-end tests use `Stack` the same way on free ports.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.settings import UnsafeSettings, settings, unsafe_token, wildcard_cors

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# One thread each for TensorFlow's operations. The models are small, so a second thread only hands work back
# and forth, and each Rasa process (or Sanic worker) has a core of its own (bench/: about 16% more replies a
# second at 32 conversations on 2 cores). The deployment's image sets the same (deploy/Dockerfile).
TUNED_ENV = {"TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**extra: str) -> dict:
    """The environment every server runs with: no telemetry, quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@dataclass
class Stack:
    """The processes of one running assistant."""

    rasa_port: int
    action_port: int
    model: str = "models/assistant.tar.gz"
    token: str = "test-token"
    web_port: int | None = None
    cors: tuple = ()
    tracker_db: str = "conversations.db"
    endpoints: str = "endpoints.yml"
    credentials: str = "credentials.yml"
    log_dir: Path | None = None
    extra_env: dict = field(default_factory=dict)
    procs: dict = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    def env(self) -> dict:
        """The servers' environment; `extra_env` may override any of it."""
        return base_env(
            **{"ACTION_SERVER_URL": f"{self.action_url}/webhook", "TRACKER_DB": self.tracker_db, **self.extra_env}
        )

    def _spawn(self, name: str, args: list[str], **env: str) -> None:
        out = open(self.log_dir / f"{name}.log", "ab") if self.log_dir else None
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env(), **env},
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )

    def start_actions(self) -> None:
        """The action server, on loopback only."""
        self._spawn(
            "actions",
            [str(BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(self.action_port)],
            SANIC_HOST="127.0.0.1",
        )

    def start_rasa(self) -> None:
        """The Rasa server: REST channel, API behind a token, CORS limited to the given origins.

        Started through bot.speedups, which installs the speed-ups first (BOT_SPEEDUPS=0: stock Rasa).
        """
        args = [
            sys.executable,
            "-m",
            "bot.speedups",
            "run",
            "--model",
            self.model,
            "--port",
            str(self.rasa_port),
            "--interface",
            "127.0.0.1",
            "--enable-api",
            "--auth-token",
            self.token,
            "--endpoints",
            self.endpoints,
            "--credentials",
            self.credentials,
        ]
        if self.cors:
            args += ["--cors", *self.cors]
        self._spawn("rasa", args)

    def start_web(self) -> None:
        """The demo school page."""
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "bot.web_server",
                "--port",
                str(self.web_port),
                "--root",
                "web",
                "--rasa-url",
                self.rasa_url,
            ],
            RASA_TOKEN=self.token,  # the insights page at /insights/ asks for it
        )

    def start(self) -> Stack:
        self.start_actions()
        self.start_rasa()
        if self.web_port:
            self.start_web()
        return self

    def wait_ready(self, timeout: float = 240) -> float:
        """Seconds until the Rasa server has its model loaded and the action server answers."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} server exited with status {proc.returncode}")
            if self.rasa_ready() and self.actions_ready():
                return time.monotonic() - start
            time.sleep(0.5)
        raise TimeoutError(f"servers not ready after {timeout} s")

    def rasa_ready(self) -> bool:
        try:
            status = requests.get(f"{self.rasa_url}/status", params={"token": self.token}, timeout=2)
            return status.ok and bool(status.json().get("model_file"))
        except requests.RequestException:
            return False

    def actions_ready(self) -> bool:
        if "actions" not in self.procs:
            return True
        try:
            return requests.get(f"{self.action_url}/health", timeout=2).ok
        except requests.RequestException:
            return False

    def stop(self, name: str | None = None) -> None:
        """Stop one server, or all of them."""
        for key in [name] if name else list(self.procs):
            proc = self.procs.pop(key, None)
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    def kill(self, name: str) -> None:
        """Kill one server at once (SIGKILL, no shutdown), as a crash would."""
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def mail_catcher_env() -> dict:
    """Without an SMTP server (TELL_SCHOOL_SMTP_HOST), the DSL's emails go to a local catcher (bot/tell_school)."""
    if settings().tell_school_smtp_host:
        return {}
    return {
        "TELL_SCHOOL_SMTP_HOST": "127.0.0.1",
        "TELL_SCHOOL_SMTP_PORT": str(free_port()),
        "TELL_SCHOOL_SMTP_TLS": "none",
    }


def refuse_unsafe_arguments(token: str, cors: tuple) -> None:
    """With BOT_PRODUCTION set, the token and origins given on the command line are checked as the settings are."""
    if settings().bot_production and (unsafe_token(token) or wildcard_cors(cors)):
        raise SystemExit("BOT_PRODUCTION is set: give your own --token (not change-me...) and no '*' in --cors")


def main() -> int:
    try:
        settings()
    except UnsafeSettings as error:
        raise SystemExit(str(error)) from None
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rasa-port", type=int, default=5005)
    ap.add_argument("--action-port", type=int, default=5055)
    ap.add_argument("--web-port", type=int, default=8080)
    ap.add_argument("--token", default=settings().rasa_token or "change-me")
    ap.add_argument("--cors", nargs="*", default=[])
    args = ap.parse_args()
    refuse_unsafe_arguments(args.token, tuple(args.cors))
    stack = Stack(
        args.rasa_port,
        args.action_port,
        token=args.token,
        web_port=args.web_port,
        cors=tuple(args.cors),
        tracker_db=settings().tracker_db,
        extra_env={**TUNED_ENV, **mail_catcher_env()},
    )
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print("starting the action server and the Rasa server (loading the model takes a little while)...", flush=True)
    stack.start()
    if "TELL_SCHOOL_SMTP_HOST" in stack.extra_env:  # no SMTP server configured: catch the DSL's emails locally
        catcher = [sys.executable, "-m", "bot.tell_school.catcher", "--dir", "build/mail"]
        stack._spawn("mail", [*catcher, "--port", stack.extra_env["TELL_SCHOOL_SMTP_PORT"]])
    try:
        seconds = stack.wait_ready()
        print(
            f"\nReady in {seconds:.0f} s.\n"
            f"  Talk to it:   curl -s -X POST {stack.rasa_url}/webhooks/rest/webhook "
            f'-H \'Content-Type: application/json\' -d \'{{"sender": "me", "message": "hello", '
            f'"metadata": {{"audience": "pupil", "age": 13}}}}\'\n'
            f"  Demo school page: http://localhost:{args.web_port}/demo/\n"
            f"  Topic insights (anonymous counts): http://localhost:{args.web_port}/insights/?token=<the token>\n"
            f"  Rasa HTTP API token: {args.token}\n"
            f"  DSL inbox: {stack.rasa_url}/tell-school/inbox (user dsl, password TELL_SCHOOL_DSL_TOKEN)\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not stopping and all(p.poll() is None for p in stack.procs.values()):
            time.sleep(0.5)
    finally:
        print("stopping...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
