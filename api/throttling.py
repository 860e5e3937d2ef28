"""Rate limits per token (per user for browser sessions), from ``REST_FRAMEWORK`` rates."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Each token has its own budget, so one noisy integration cannot starve another that runs
    as the same service account; sessions are limited per user."""

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
