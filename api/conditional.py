"""Optimistic concurrency over HTTP: an ``ETag`` names a row's version, ``If-Match`` asks for it.

A case's ETag is ``"<reference>-v<version>"`` (strong: the version rises on every change to
the case). A write with ``If-Match`` whose tag is not the current one answers 412 and writes
nothing; the service re-checks the version under its row lock, so two writers racing with the
same tag cannot both succeed. Without ``If-Match`` a write applies to whatever is current.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from rest_framework.exceptions import ParseError

from api.exceptions import PreconditionFailed
from cases.errors import StaleVersion

T = TypeVar("T")

_TAG = re.compile(r'^\s*(?:W/)?"(?P<name>[A-Za-z0-9._-]+)-v(?P<version>\d{1,9})"\s*$')


def etag(name: str, version: int) -> str:
    return f'"{name}-v{version}"'


def if_match_version(request, name: str) -> int | None:
    """The version ``If-Match`` asks for (None when absent or ``*``). A tag of another object,
    or a list of tags, is a precondition that cannot hold: 412, not a silent overwrite."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _TAG.match(header)
    if match is None:
        raise ParseError('If-Match must be one entity tag as sent in ETag, e.g. "CS-2026-000123-v4".')
    if match["name"] != name:
        raise PreconditionFailed(f"If-Match names {match['name']}, not {name}.", current_etag="")
    return int(match["version"])


def check_version(current: int, expected: int | None, *, name: str) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"{name} is at version {current}, not {expected}; nothing was written. Read it again and retry.",
            current_etag=etag(name, current),
        )


def with_if_match(call: Callable[[], T], *, name: str) -> T:
    """Run a service call whose ``expected_version`` came from If-Match: a stale version found
    under the service's lock is the same 412 as one found before."""
    try:
        return call()
    except StaleVersion as exc:
        raise PreconditionFailed(exc.message, current_etag=etag(name, exc.current_version)) from exc
