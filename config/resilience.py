"""What the app answers when PostgreSQL is unreachable: 503 with a clear body, not a 500 page.

A request that fails because the database went away wrote nothing (its transaction never
committed), so it is safe to retry; the answer says so. Once the server is back, the next
request reconnects by itself (``CONN_HEALTH_CHECKS`` in config.settings).
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 5
DETAIL = "The database is unavailable right now; nothing was saved. Try again in a few seconds."

# Plain HTML without the site layout: the layout reads the database (navigation, the bell).
PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Escalation Desk is unavailable</title></head>
<body><main><h1>Escalation Desk is briefly unavailable</h1><p>{DETAIL}</p></main></body></html>
"""


def database_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request, *args, **kwargs):
    """``handler500``: a lost database is a 503 (JSON under /api/), anything else Django's 500."""
    if not database_unavailable(sys.exc_info()[1]):
        return django_server_error(request, *args, **kwargs)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "service_unavailable", "detail": DETAIL}, status=503, headers=headers)
    return HttpResponse(PAGE, status=503, headers=headers)
