"""A Redis cache that degrades to "not cached" while Redis is unreachable.

Everything cached (dashboards, webhook subscriptions, API rate counters) can be recomputed
from the database, so a Redis outage must cost speed, never a page: reads answer the default,
writes are dropped, and the error is logged at most once a minute per process. A generation
bump lost this way can serve a dashboard up to its cache lifetime old (metrics.cache).
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
_last_logged = 0.0


def _log(exc: Exception) -> None:
    global _last_logged
    if time.monotonic() - _last_logged > 60:
        _last_logged = time.monotonic()
        logger.warning("Cache unreachable, serving without it: %s", exc)


def _tolerant(fallback):
    def wrap(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _UNREACHABLE as exc:
                _log(exc)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return call

    return wrap


class ResilientRedisCacheClient(RedisCacheClient):
    add = _tolerant(False)(RedisCacheClient.add)
    get = _tolerant(lambda key, default: default)(RedisCacheClient.get)
    set = _tolerant(None)(RedisCacheClient.set)
    touch = _tolerant(False)(RedisCacheClient.touch)
    delete = _tolerant(False)(RedisCacheClient.delete)
    get_many = _tolerant({})(RedisCacheClient.get_many)
    has_key = _tolerant(False)(RedisCacheClient.has_key)
    # Like a missing key (ValueError): the caller's fallback (a plain set) is dropped too.
    incr = _tolerant(lambda key, delta: delta)(RedisCacheClient.incr)
    set_many = _tolerant(None)(RedisCacheClient.set_many)
    delete_many = _tolerant(None)(RedisCacheClient.delete_many)
    clear = _tolerant(False)(RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
