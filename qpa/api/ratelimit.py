"""Requests per token per minute, counted in Django's cache.

The default cache (LocMemCache) counts per process: with several application servers,
production sets CACHES to a shared cache (Redis, Memcached or the database) so that the
limit holds across them. docs/decisions/0082-api-rate-limit.md."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests: try again in {retry_after} seconds.")
        self.retry_after = retry_after


def rate_limit_check(*, key: str, now: float | None = None) -> int:
    """Count one request for `key` in the current minute; raise RateLimited past the
    limit. Returns the count so far."""
    limit: int = settings.QPA_API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    cache_key = f"qpa:api:rate:{key}:{window}"
    # add() is atomic in every backend: the first request of the window creates the count.
    if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:
            # Expired between add() and incr(): this request starts the window.
            cache.set(cache_key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
        raise RateLimited(retry_after)
    return count
