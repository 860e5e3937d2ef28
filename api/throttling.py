"""Rate limits per token (per user for browser sessions), from ``REST_FRAMEWORK`` rates."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Each token has its own budget, so one noisy integration cannot starve another that runs
    as the same service account; sessions are limited per user.

    A fixed window counted with INCR, rather than DRF's list of request times: DRF reads and
    writes back the whole list (up to the rate's number of entries, pickled) on every request,
    and two workers doing that at once lose each other's requests. A counter is one atomic
    round trip to Redis, whatever the rate.
    """

    scope = "api"

    def get_cache_key(self, request, view):
        auth = request.auth
        if isinstance(auth, ApiToken):
            ident = f"token-{auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        count = self._count(f"{key}:{window}")
        return count <= self.num_requests

    def _count(self, key: str) -> int:
        """Add this request to the window's counter; the count including it."""
        # The key outlives its window by a second, so a counter is never read after expiring early.
        ttl = self.duration + 1
        if isinstance(self.cache, RedisCache):
            # INCR creates the key at 1; EXPIRE in the same round trip (Django's incr() would
            # first ask whether the key exists). Django stores ints as plain Redis integers.
            redis_key = self.cache.make_and_validate_key(key)
            client = self.cache._cache.get_client(redis_key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.incr(redis_key)
            pipe.expire(redis_key, ttl)
            return int(pipe.execute()[0])
        if self.cache.add(key, 1, ttl):
            return 1
        try:
            return self.cache.incr(key)
        except ValueError:
            # Expired between add() and incr(): this request opens the next count.
            self.cache.add(key, 1, ttl)
            return 1

    def wait(self) -> float:
        return max(0.0, self.window_ends - self.now)
