"""The embedded sender: a thread of ``makker serve`` that delivers the outbox.

On unless ``MAKKER_EMBEDDED_SENDER=false`` (then ``makker send`` from cron delivers). Several
senders (replicas, cron) may run at once: claims skip each other's rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.notify.sender import Sender

STOP_WAIT_SECONDS = 5.0


@asynccontextmanager
async def sender_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the sender thread while the application serves."""
    settings = app.state.settings
    app.state.sender = None
    if not settings.embedded_sender:
        yield
        return
    sender = Sender(app.state.engine, settings)
    thread = sender.start_thread()
    app.state.sender = sender
    try:
        yield
    finally:
        app.state.sender = None
        sender.stop()
        thread.join(STOP_WAIT_SECONDS)
