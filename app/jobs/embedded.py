"""The embedded run worker: a thread of ``makker serve`` that executes queued match runs.

Started and stopped with the application's lifespan when ``settings.embedded_worker`` is on
(the default). With several API replicas turn it off and run ``makker worker`` instead (or
beside it: workers share the queue safely).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.jobs.worker import Worker

#: Seconds shutdown waits for a run in progress (after that the process ends; the next worker
#: marks the run failed, and it committed nothing).
STOP_WAIT_SECONDS = 5.0


@asynccontextmanager
async def run_worker_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the worker thread while the application serves."""
    settings = app.state.settings
    app.state.run_worker = None
    if not settings.embedded_worker:
        yield
        return
    worker = Worker(
        app.state.engine,
        keep_dry_runs=settings.dry_run_details_kept,
        poll_seconds=settings.worker_poll_seconds,
    )
    thread = worker.start_thread()
    app.state.run_worker = worker
    try:
        yield
    finally:
        app.state.run_worker = None
        worker.stop()
        thread.join(STOP_WAIT_SECONDS)
