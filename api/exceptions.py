"""Every error the API answers, as ``{"error": code, "detail": ...}`` with the right status.

Domain errors carry their own status (``CaseError.status_code``, ``FlagError.status_code``);
DRF's and Django's own exceptions map to theirs. Nothing the API expects ends as a 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from cases.errors import CaseBlocked, CaseError, StaleVersion, TransitionNotAllowed


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The body is larger than {limit:,} bytes.")


class PreconditionFailed(exceptions.APIException):
    """If-Match named a version that is no longer current; nothing was written."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"

    def __init__(self, detail: str, *, current_etag: str):
        super().__init__(detail)
        self.current_etag = current_etag


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_conflict"


# The code a client can switch on, per exception class (most specific first).
_DOMAIN_CODES: list[tuple[type, str]] = [
    (StaleVersion, "stale_version"),
    (TransitionNotAllowed, "transition_not_allowed"),
    (CaseBlocked, "case_blocked"),
]


def _domain_code(exc: Exception) -> str:
    for cls, code in _DOMAIN_CODES:
        if isinstance(exc, cls):
            return code
    # escalations.errors.EscalationError -> "escalation_refused"; compliance FlagError -> "flag_refused".
    name = type(exc).__name__
    if name.startswith("Escalation"):
        return "escalation_conflict" if getattr(exc, "status_code", 400) == 409 else "escalation_refused"
    if name.startswith("Flag"):
        return "flag_refused"
    return "case_refused"


def error_body(code: str, detail, **extra) -> dict:
    return {"error": code, "detail": detail, **extra}


def api_exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: one body shape for every error."""
    from compliance.errors import FlagError

    headers: dict[str, str] = {}
    if isinstance(exc, FlagError):
        extra = {"problems": exc.problems} if exc.problems else {}
        code = "stale_evidence" if exc.status_code == 409 else _domain_code(exc)
        return Response(error_body(code, exc.message, **extra), status=exc.status_code)
    if isinstance(exc, CaseError):
        code = _domain_code(exc)
        extra = {}
        if isinstance(exc, StaleVersion):
            extra = {"current_version": exc.current_version}
        return Response(error_body(code, exc.message, **extra), status=exc.status_code)
    if isinstance(exc, Http404):
        return Response(error_body("not_found", str(exc) or "Not found."), status=404)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(error_body("permission_denied", str(exc) or "You may not do this."), status=403)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("payload_too_large", "The body is too large."), status=413)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(error_body("invalid", detail), status=400)
    if isinstance(exc, PreconditionFailed):
        return Response(error_body("stale_version", exc.detail), status=412, headers={"ETag": exc.current_etag})
    if isinstance(exc, exceptions.APIException):
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        code = _api_code(exc)
        detail = exc.detail
        if isinstance(exc, exceptions.ValidationError):
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(error_body(code, detail), status=exc.status_code, headers=headers)
    return None


_API_CODES = {
    exceptions.ValidationError: "invalid",
    exceptions.ParseError: "malformed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def _api_code(exc: exceptions.APIException) -> str:
    for cls in type(exc).__mro__:
        if cls in _API_CODES:
            return _API_CODES[cls]
    return getattr(exc, "default_code", "error")
