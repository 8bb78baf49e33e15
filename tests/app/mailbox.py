"""Real receivers on loopback for the notification tests: an SMTP server (aiosmtpd) and an
HTTP server for webhooks. Both record exactly what arrived; both can be told to refuse."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Delivered:
    """One message the SMTP server accepted."""

    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None
        return str(body.get_content())


@dataclass
class Mailbox:
    """What the SMTP server received, and replies it gives before accepting."""

    url: str
    received: list[Delivered] = field(default_factory=list)
    #: Replies to the next DATA commands (e.g. "451 try later"); then 250.
    refusals: list[str] = field(default_factory=list)
    refused: int = 0

    def message_ids(self) -> list[str]:
        return [str(d.message["Message-ID"]) for d in self.received]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.box.refusals:
            self.box.refused += 1
            return self.box.refusals.pop(0)
        raw = envelope.original_content or envelope.content
        self.box.received.append(Delivered(list(envelope.rcpt_tos), bytes(raw)))
        return "250 Message accepted for delivery"


@pytest.fixture(name="mailbox")
def mailbox_fixture() -> Iterator[Mailbox]:
    """An SMTP server on 127.0.0.1 for one test."""
    port = free_port()
    box = Mailbox(url=f"smtp://127.0.0.1:{port}")
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@dataclass
class Hook:
    """One request the webhook receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the webhook receiver got, and the statuses it answers (then 204)."""

    url: str
    requests: list[Hook] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that records webhook POSTs."""
    port = free_port()
    got = Receiver(url=f"http://127.0.0.1:{port}/hooks/makker")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            got.requests.append(Hook({k.lower(): v for k, v in self.headers.items()}, body))
            status = got.statuses.pop(0) if got.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        httpd.shutdown()
        httpd.server_close()
