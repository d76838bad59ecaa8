"""Real servers for the end-to-end tests, each private to the test that starts it.

`PostgresCluster`: a PostgreSQL cluster made with the Debian binaries (`make system-deps` installs them) in a
directory of its own, on a free port on 127.0.0.1, with password authentication and one database. PostgreSQL
refuses to run as root, so as root the cluster belongs to the `postgres` system user; its directory is made
with `tempfile` because pytest's `tmp_path` is not readable by that user.

`RedisServer` and `NginxBalancer`: the shared lock store and the load balancer of the scale-out deployment
(deploy/), for the scale-out test and `make bench`.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bot.serve import free_port

ROOT = Path(__file__).resolve().parent.parent


def postgres_bin() -> Path:
    """The directory holding initdb and pg_ctl: PG_BIN, else the newest Debian PostgreSQL, else PATH."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise FileNotFoundError("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")


class PostgresCluster:
    """A private PostgreSQL cluster with one database and one password-protected role that owns it."""

    host = "127.0.0.1"

    def __init__(self, db: str = "assistant_test", user: str = "assistant") -> None:
        self.db, self.user = db, user
        self.password = "test-" + uuid.uuid4().hex[:12]
        self.port = free_port()
        self.bindir = postgres_bin()
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.home: Path | None = None

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def sockets(self) -> Path:
        return self.home / "sock"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.db}"

    def env(self) -> dict:
        """The DB_* variables that deploy/endpoints.postgres.yml and `bot.privacy.retention` read."""
        return {
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_NAME": self.db,
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
        }

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        """Run one PostgreSQL program as the cluster's owner; its output as text."""
        command = [str(self.bindir / program), *args]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def psql(self, sql: str) -> str:
        """Run SQL as the superuser over the cluster's socket."""
        return self.run("psql", *self._superuser(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql).stdout

    def dump(self) -> str:
        """The whole database as SQL (pg_dump)."""
        return self.run("pg_dump", *self._superuser(), self.db).stdout

    def start(self) -> PostgresCluster:
        """Create the cluster and its database on the first call; start the server."""
        first = self.home is None
        if first:
            self._create()
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses={self.host} -c fsync=off"
        log = self.home / "server.log"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "60", "start")
        if first:
            self.psql(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'")
            self.psql(f"CREATE DATABASE {self.db} OWNER {self.user}")
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut); the data stays."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        """Stop the server if it runs, and delete the cluster."""
        if self.home is None:
            return
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def _superuser(self) -> list:
        return ["-h", str(self.sockets), "-p", str(self.port), "-U", "postgres"]

    def _create(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="pg-test-"))
        self.sockets.mkdir()
        pwfile = self.home / "pw"
        pwfile.write_text("superuser-" + uuid.uuid4().hex + "\n")
        if self.owner:
            owner = pwd.getpwnam(self.owner)
            for path in (self.home, self.sockets, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--pwfile",
            str(pwfile),
            "-E",
            "UTF8",
            "--no-sync",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        )


class RedisServer:
    """A throwaway Redis on a free loopback port: no persistence, stopped at the end."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def env(self) -> dict:
        """The REDIS_* variables that deploy/endpoints.scale.yml reads."""
        return {"REDIS_HOST": self.host, "REDIS_PORT": str(self.port), "REDIS_DB": "0", "REDIS_PASSWORD": ""}

    def start(self) -> RedisServer:
        args = ["--port", str(self.port), "--bind", self.host, "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", *args], stdout=subprocess.DEVNULL)
        _wait_for_port(self.host, self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


class NginxBalancer:
    """nginx on a free loopback port with the deployment's own site (deploy/compose/nginx.conf).

    Only what names Docker's network changes: the upstream servers become the given loopback addresses,
    Docker's resolver goes, and nginx listens on a free port. `resolve` needs nginx 1.27.3; Debian has older.
    """

    def __init__(self, rasa: list[str], channels: str, web: str = "127.0.0.1:9") -> None:
        self.servers = {"rasa": rasa, "rasa-channels": [channels], "web": [web]}
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="nginx-test-"))
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def site(self) -> str:
        site = (ROOT / "deploy" / "compose" / "nginx.conf").read_text(encoding="utf-8")
        site = re.sub(r"^resolver .*$", "", site, flags=re.M)
        site = site.replace(" resolve", "").replace("listen 80 ", f"listen 127.0.0.1:{self.port} ")
        for name, addresses in self.servers.items():
            site = re.sub(
                rf"^(\s*)server {name}:\d+(.*);$",
                lambda m, addresses=addresses: "\n".join(f"{m[1]}server {a}{m[2]};" for a in addresses),
                site,
                flags=re.M,
            )
        return site

    def start(self) -> NginxBalancer:
        temp = "\n".join(
            f"  {kind}_temp_path {self.home / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.home / "nginx.conf").write_text(
            f"pid {self.home / 'nginx.pid'};\nerror_log {self.home / 'error.log'} warn;\n"
            f"worker_rlimit_nofile 16384;\nevents {{ worker_connections 8192; }}\n"
            f"http {{\n  access_log off;\n{temp}\n{self.site()}\n}}\n",
            encoding="utf-8",
        )
        os.chmod(self.home, 0o755)
        self.proc = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(self.home), "-c", "nginx.conf", "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port("127.0.0.1", self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def flood_guard() -> tuple:
        """The chat zone's per-address guard in the deployment's site: (requests a second, burst)."""
        site = (ROOT / "deploy" / "compose" / "nginx.conf").read_text(encoding="utf-8")
        rate = re.search(r"limit_req_zone \S+ zone=chat:\S+ rate=(\d+)r/s;", site)
        burst = re.search(r"limit_req zone=chat burst=(\d+)", site)
        return int(rate[1]), int(burst[1])


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    """Until something listens on host:port; fails if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with status {proc.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class MailServer:
    """A real SMTP server (aiosmtpd) on a free loopback port that requires STARTTLS with a self-signed certificate
    made for the test, and keeps what it receives. `stop()` and `start()` again, on the same port, make email down."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="smtp-test-"))
        self.messages: list = []
        self.controller = None
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={self.host}",
             "-addext", f"subjectAltName=IP:{self.host}", "-keyout", str(self.key), "-out", str(self.cert)],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    @property
    def key(self) -> Path:
        return self.home / "key.pem"

    @property
    def cert(self) -> Path:
        return self.home / "cert.pem"

    def env(self) -> dict:
        """The TELL_SCHOOL_SMTP_* variables for a server that sends here."""
        return {
            "TELL_SCHOOL_SMTP_HOST": self.host,
            "TELL_SCHOOL_SMTP_PORT": str(self.port),
            "TELL_SCHOOL_SMTP_TLS": "starttls",
            "TELL_SCHOOL_SMTP_CA_FILE": str(self.cert),
            "TELL_SCHOOL_SMTP_FROM": "assistant@school.example",
        }

    def start(self) -> MailServer:
        import ssl
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        received = self.messages

        class Keep:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                received.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
                return "250 OK"

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.controller = Controller(
            Keep(), hostname=self.host, port=self.port, tls_context=context, require_starttls=True
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)
