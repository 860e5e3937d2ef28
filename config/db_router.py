"""Read replica: dashboards, drill-downs and exports read from ``replica`` when one is configured.

``DATABASE_REPLICA_URL`` adds the ``replica`` alias (config.settings). ``ReplicaReadsMiddleware``
marks the requests of the views in ``REPLICA_VIEWS``; while a request is marked, the router
sends its reads to the replica. Everything else, every write, and every read inside a
transaction (a service reading what it is about to change, the audit chain reading its last
hash) goes to ``default``, so nothing is ever decided on data the replica has not caught up on.
A replica lags by seconds at most; the figures are minutes old already (the facts sweep).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import StreamingHttpResponse

REPLICA = "replica"

# Views whose reads are large aggregates or exports and never feed a write decision.
REPLICA_VIEWS = frozenset(
    {
        "metrics:dashboard",
        "metrics:mine",
        "metrics:drill",
        "metrics:export",
        "audit:export",
        "api:metrics-dashboard",
    }
)

_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block go to the replica (when there is one and no transaction is open)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaRouter:
    """Writes and ordinary reads to ``default``; marked reads to ``replica`` (see module doc)."""

    def db_for_read(self, model, **hints) -> str:
        if _reading_replica.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Both aliases hold the same data (one is a copy of the other).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def _streamed(content) -> Iterator:
    # A streamed export runs its queries while the response is sent, after the view returned.
    with replica_reads():
        yield from content


class ReplicaReadsMiddleware:
    """Marks the requests of ``REPLICA_VIEWS``. Last in MIDDLEWARE, so the session and the
    signed-in user were read from ``default`` before the mark is set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_replica_token", None)
            if token is not None:
                _reading_replica.reset(token)
        if token is not None and isinstance(response, StreamingHttpResponse):
            response.streaming_content = _streamed(response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in REPLICA_VIEWS and replica_configured():
            request._replica_token = _reading_replica.set(True)
        return None
