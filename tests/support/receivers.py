"""Real receivers for notification tests: an SMTP server (aiosmtpd) and an HTTP webhook
receiver, each on 127.0.0.1 in a thread of its own, recording what arrives."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.launcher.stack import free_port
from services.notification.domain.delivery import DELIVERY_ID_HEADER

__all__ = ["Mailbox", "Webhook", "mail_url", "running_mailbox", "running_webhook"]


class Mailbox:
    """An SMTP sink: every message the server accepts, parsed."""

    def __init__(self) -> None:
        self.port = 0
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content
        assert isinstance(content, bytes)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(([str(r) for r in envelope.rcpt_tos], parsed))
        return "250 OK"

    def to(self, address: str, containing: str = "") -> list[EmailMessage]:
        """Messages to `address` whose subject contains `containing`."""
        return [m for rcpt, m in self.messages if address in rcpt and containing in m["Subject"]]

    def url(self, to: str) -> str:
        """The apprise URL that mails `to` through this server."""
        return mail_url(self.port, to)


def mail_url(port: int, to: str) -> str:
    """An apprise URL sending plain SMTP to 127.0.0.1:`port`."""
    return f"mailto://127.0.0.1:{port}?from=noreply@maint.example&to={to}&mode=insecure"


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    """An SMTP server on a free port for the length of the block."""
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


class Webhook:
    """Records every JSON POST as (path, status, body), and the delivery id each carried; a
    path can be told to fail (HTTP 500) its first N times."""

    def __init__(self) -> None:
        self.port = 0
        self.hits: list[tuple[str, int, dict[str, Any]]] = []
        self.fail_first: dict[str, int] = {}
        self._ids: list[str] = []
        self._lock = threading.Lock()

    def receive(self, path: str, body: dict[str, Any], delivery_id: str = "") -> int:
        """Record one request; returns the status to answer with."""
        with self._lock:
            left = self.fail_first.get(path, 0)
            if left:
                self.fail_first[path] = left - 1
            status = 500 if left else 200
            self.hits.append((path, status, body))
            self._ids.append(delivery_id)
        return status

    def url(self, path: str) -> str:
        """The apprise URL that posts JSON to `path` here."""
        return f"json://127.0.0.1:{self.port}{path}"

    def got(self, path: str, containing: str = "", status: int = 200) -> list[dict[str, Any]]:
        """Bodies posted to `path`, answered with `status`, whose title contains `containing`."""
        with self._lock:
            hits = list(self.hits)
        return [b for p, s, b in hits if p == path and s == status and containing in b["title"]]

    def delivered(self) -> tuple[Counter[tuple[str, str]], int]:
        """How many deliveries of each (path, title) were answered 200, a receiver dropping
        a delivery id it has seen; and how many it dropped so."""
        with self._lock:
            taken = [(p, str(b.get("title")), i or f"hit {n}")
                     for n, ((p, s, b), i) in enumerate(zip(self.hits, self._ids, strict=True))
                     if s == 200]  # fmt: skip
        distinct = set(taken)
        return Counter((p, title) for p, title, _ in distinct), len(taken) - len(distinct)


@contextmanager
def running_webhook() -> Iterator[Webhook]:
    """A webhook receiver on a free port for the length of the block."""
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            status = hook.receive(self.path, body, self.headers.get(DELIVERY_ID_HEADER) or "")
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
