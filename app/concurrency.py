"""At most as many API requests at once as the pool has connections; the rest wait their turn.

Sync routes run on anyio's worker threads (40), and a request's session keeps its connection
across the thread hops of one request (the key check, the handler, the commit). With more
requests in flight than connections, the extra threads block in the pool's queue, which is
not first come, first served: under steady load a request can be overtaken again and again
until the pool's timeout, and fails (the 500s "QueuePool limit of size 5 overflow 10 reached"
of issue 10 under 32 clients); with more requests than threads, the requests holding the
connections could even wait for a thread held by one waiting for a connection. Admitting only
``limit`` requests at once (the pool's size, fewer than the threads) means an admitted request
always finds a connection and a thread; the others wait here, in the event loop, in order,
at no cost to the database. A request that waits longer than ``timeout_seconds`` is answered
503 with ``Retry-After`` (the service is saturated), never a 500.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import busy_response


class ConcurrencyLimit:
    """ASGI middleware: at most ``limit`` ``/api/`` requests inside the app at once (the app's
    own stack uses its :meth:`admit` and :meth:`release` in :mod:`app.asgi`)."""

    def __init__(self, app: ASGIApp | None, *, limit: int, timeout_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout_seconds = timeout_seconds
        self._slots: asyncio.Semaphore | None = None

    def applies(self, scope: Scope) -> bool:
        """Whether ``scope`` (an HTTP request) waits for a turn: the API's requests."""
        path: str = scope["path"]
        return path.startswith("/api/")

    async def admit(self) -> bool:
        """Wait for a turn (True), or False after ``timeout_seconds`` (answer 503). A True
        must be followed by :meth:`release`."""
        if self._slots is None:  # created on the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        if self._slots.locked():  # wait_for costs a task: only when there is a wait
            try:
                await asyncio.wait_for(self._slots.acquire(), self.timeout_seconds)
            except TimeoutError:
                return False
        else:
            await self._slots.acquire()
        return True

    def release(self) -> None:
        """End a turn :meth:`admit` gave."""
        assert self._slots is not None
        self._slots.release()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        if scope["type"] != "http" or not self.applies(scope):
            await self.app(scope, receive, send)
            return
        if not await self.admit():
            await busy_response()(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.release()
