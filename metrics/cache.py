"""The dashboard's result cache: a dashboard is computed at most once per filter set until the
figures' inputs change.

Every write the figures read from (facts, surveys, campaigns, handle times) bumps a generation
number; cached dashboards carry the generation they were computed at, so a change is visible on
the next request. Sources read live (open cases, escalations, obligations) may lag by up to
``DASHBOARD_CACHE_SECONDS``, no more than the facts sweep's own period.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

DASHBOARD_CACHE_SECONDS = 300
GENERATION_KEY = "metrics:generation"


def generation() -> int:
    return cache.get(GENERATION_KEY, 0)


def generation_bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # No counter yet (or evicted): start one; any cached dashboard names another generation.
        cache.set(GENERATION_KEY, 1, None)


def cached(parts: tuple, compute):
    """``compute()``'s result for ``parts`` at the current generation, computed once."""
    if DASHBOARD_CACHE_SECONDS <= 0:
        return compute()
    key = "metrics:dashboard:" + hashlib.sha256(repr((generation(), parts)).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, DASHBOARD_CACHE_SECONDS)
    return value
