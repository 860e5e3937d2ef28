"""OpenAPI helpers: every endpoint documents each error it can answer."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.serializers import ErrorSerializer

ERROR_MEANINGS = {
    400: "The request is malformed, has unknown fields or wrong types, or the domain rules refuse it.",
    401: "No credentials, or the token is unknown, expired or revoked.",
    403: "Authenticated, but this role or team may not do this (or may only read it).",
    404: "No such object, or one this caller may not see (its existence is not disclosed).",
    409: "The request conflicts with the current state (transition not allowed, blocked, duplicate).",
    412: "If-Match named a version that is no longer current; nothing was written.",
    413: "The body is larger than the limit.",
    415: "The body is not application/json.",
    429: "Too many requests for this token; retry after the Retry-After seconds.",
}
# Every endpoint can answer these.
COMMON = (401, 403, 429)
# And every endpoint with a body these.
WRITE = (400, 413, 415)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    wanted = sorted(set(codes) | set(COMMON))
    return {
        code: OpenApiResponse(
            response=ErrorSerializer,
            description=ERROR_MEANINGS[code],
        )
        for code in wanted
    }


IF_MATCH = OpenApiParameter(
    name="If-Match",
    location=OpenApiParameter.HEADER,
    required=False,
    description='The ETag of the version this write is based on, e.g. "CS-2026-000123-v4"; 412 if stale.',
)
ETAG = OpenApiParameter(
    name="ETag",
    location=OpenApiParameter.HEADER,
    response=True,
    description="The version of the object the answer shows, for If-Match.",
)
