"""Failed authentications counted per client address (the ``limits`` library).

``limits`` (the rate-limit core of Flask-Limiter and slowapi, maintained) gives the moving
window and the storage: the process's memory, or Redis/Memcached through a storage URI when
several processes serve. slowapi itself limits every request of a route; here only failures
are counted, so a valid key is never slowed — also behind a proxy, where every client shares
one address and a per-address limit on all requests would lock everyone out.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_NAMESPACE = "auth-failure"


class FailureLimiter:
    """Counts failed authentications per address; tells when an address is over the limit."""

    def __init__(self, limit: str, storage_uri: str = "memory://") -> None:
        self.limit = parse(limit)
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def fail(self, address: str) -> int | None:
        """Count a failure of ``address``; the seconds to wait when it is over the limit."""
        if self._limiter.hit(self.limit, _NAMESPACE, address):
            return None
        stats = self._limiter.get_window_stats(self.limit, _NAMESPACE, address)
        return max(1, math.ceil(stats.reset_time - time.time()))
