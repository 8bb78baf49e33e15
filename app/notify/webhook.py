"""Signed webhooks: an association's notifications as JSON posted to its URL.

The signature follows the common ``t=…, v1=…`` scheme: ``Makker-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 of "<t>.<body>" under the association's secret>``. The receiver recomputes
it over the raw body and refuses a timestamp older than a few minutes (a replay).
``Makker-Event-Id`` is the notification's id, the same on every attempt: a receiver that saw it
already can ignore a re-delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from urllib.parse import urlsplit

SIGNATURE_HEADER = "Makker-Signature"
EVENT_ID_HEADER = "Makker-Event-Id"
EVENT_HEADER = "Makker-Event"
#: How old a signature's timestamp may be before :func:`verify` calls it a replay.
TOLERANCE_SECONDS = 300

_LOOPBACK_NAMES = {"localhost"}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Makker-Signature`` header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp}, v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within the replay tolerance (what a
    receiver does; here for the tests and the README's example)."""
    try:
        parts = dict(part.strip().split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook (None when it can): ``https`` with a host, or ``http``
    to this machine only (a receiver on loopback, as in the tests)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "must be a URL"
    host = parts.hostname or ""
    if not host:
        return "must be an absolute URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(host):
        return None
    return "must be https (http only to localhost or 127.0.0.1)"
