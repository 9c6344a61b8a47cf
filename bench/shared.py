"""What the ingest and dispatch benchmarks share: paths, the throwaway webhook secret, the
SMTP sink, process helpers, the bench campaign and the signed ticket.closed events."""

import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-webhook-secret"  # noqa: S105 - a throwaway secret for a throwaway database
TOKEN_RE = re.compile(rb"/u/([A-Za-z0-9_-]+)/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_settings_env(static_root: Path) -> dict:
    """The environment of production settings minus TLS (the benchmarks speak plain HTTP):
    DEBUG=0 (no query log, no template debug), a throwaway key, the hashed static files
    ``collectstatic`` writes to ``static_root``."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,  # a throwaway key for throwaway databases
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }


# --- SMTP sink ------------------------------------------------------------------------------
class Sink:
    """Counts accepted messages by the token in their List-Unsubscribe header."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tokens: Counter = Counter()
        self.first = self.last = None

    async def handle_DATA(self, server, session, envelope):
        match = TOKEN_RE.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        now = time.monotonic()
        with self.lock:
            self.tokens[match.group(1).decode() if match else ""] += 1
            self.first = self.first or now
            self.last = now
        return "250 OK"

    def delivered(self) -> int:
        with self.lock:
            return len(self.tokens)


# --- processes ------------------------------------------------------------------------------
def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far: a figure that, unlike wall time, others' load barely moves."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """User + system CPU of the PostgreSQL server on this machine so far: every running
    ``postgres`` process, plus the backends that have ended (counted in their parent's
    ``cutime``/``cstime``). Read before and after a run, the difference is the server's work
    for it, provided nothing else uses the server meanwhile (a benchmark's own quiet machine)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
        except OSError:
            continue  # it ended meanwhile: its time is in its parent's cutime now
        ticks = int(fields[11]) + int(fields[12])
        if parent != "postgres":  # the postmaster: its ended children's time too
            ticks += int(fields[13]) + int(fields[14])
        total += ticks / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def stop(pidfile: Path, popen: subprocess.Popen) -> None:
    try:
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
    except (OSError, ValueError):
        popen.terminate()
    try:
        popen.wait(timeout=30)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(timeout=10)


def wait_until(predicate, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def campaign_seed(*, delay_minutes: int) -> str:
    """`manage.py shell -c` code adding one NPS questionnaire and a campaign inviting every ticket."""
    return (
        "from surveys.models import *\n"
        "q = Questionnaire.objects.create(title='Bench', title_zh_hans='基准')\n"
        "Question.objects.create(questionnaire=q, order=1, key='nps', kind=QuestionKind.NPS,"
        " text='How likely are you to recommend us?', text_zh_hans='您向朋友推荐我们的可能性有多大？')\n"
        f"Campaign.objects.create(name='Bench', questionnaire=q, delay_minutes={delay_minutes}, throttle_days=0,"
        " email_subject='About {{ ticket_subject }}', email_body='One click tells us how we did.')\n"
    )


# --- events ---------------------------------------------------------------------------------
def event_body(n: int, run: str) -> bytes:
    closed = datetime.now(UTC) - timedelta(minutes=1)
    opened = closed - timedelta(hours=5)
    iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731
    payload = {
        "event_id": f"{run}-evt-{n}",
        "source": "bench-helpdesk",
        "type": "ticket.closed",
        "occurred_at": iso(closed),
        "ticket": {
            "id": f"{run}-T-{n}",
            "subject": f"Bench ticket {n}",
            "priority": ("low", "normal", "high", "urgent")[n % 4],
            "category": ("billing", "account", "shipping")[n % 3],
            "channel": "email",
            "opened_at": iso(opened),
            "first_response_at": iso(opened + timedelta(minutes=30)),
            "resolved_at": iso(closed),
            "closed_at": iso(closed),
            "contact_count": 1,
            "reopen_count": 0,
            "is_complaint": False,
            "agent": {
                "id": f"a-{n % 50}",
                "name": f"Agent {n % 50}",
                "email": f"agent{n % 50}@support.example.com",
                "team": f"Tier {n % 50 % 3 + 1}",  # an agent stays in one team
            },
            "customer": {
                "id": f"{run}-c-{n}",
                "email": f"{run}-c{n}@example.org",
                "name": f"Customer {n}",
                "locale": "zh-hans" if n % 3 == 0 else "en",
                "segment": "smb",
            },
        },
    }
    return json.dumps(payload).encode()


def post_event(port: int, body: bytes) -> int:
    timestamp = str(int(time.time()))
    signature = (
        "sha256=" + hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/ticket-events/",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-Surveys-Timestamp": timestamp,
                "X-Surveys-Signature": signature,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()
