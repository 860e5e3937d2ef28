"""Issuing, checking and revoking API tokens, and creating service accounts.

A token is ``edk_`` and 43 URL-safe characters (256 random bits). It is stored as its SHA-256
digest: a fast hash is enough for a random secret of that size (nothing to brute-force), and
it lets authentication find the row with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken, ServiceAccount
from audit.services import audit_record
from people.choices import Role
from people.models import Membership, Team, User

TOKEN_PREFIX = "edk_"  # noqa: S105 - a public marker that makes leaked tokens findable, not a secret
# last_used_at is written at most this often per token, so reads do not all become writes.
LAST_USED_GRANULARITY = timedelta(minutes=5)


class TokenError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_issue(*, actor: User | None, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """A new token for ``user``; the returned secret is the only copy."""
    name = name.strip()
    if not name:
        raise TokenError("Name the token after what will use it.")
    if not user.is_active:
        raise TokenError(f"{user} is not active.")
    if user.role == Role.ADMIN:
        raise TokenError("Administrators configure the desk and see no case data; issue tokens to roles that work.")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise TokenError("The expiry must be in the future.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        created_at=now,
        created_by=actor,
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        action="api.token_issue",
        object_type="api_token",
        object_id=token.pk,
        after={"user": user.username, "name": token.name, "prefix": token.prefix},
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api.token_revoke",
        object_type="api_token",
        object_id=token.pk,
        after={"user_id": token.user_id, "prefix": token.prefix},
    )
    return token


def token_authenticate(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token ``raw`` names (user joined in), or None. One query, plus an occasional
    ``last_used_at`` write (at most every few minutes per token)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(raw), revoked_at__isnull=True).first()
    now = now or timezone.now()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@transaction.atomic
def service_account_create(
    *, actor: User | None, username: str, role: str, integration: str, teams: list[Team], contact: str = ""
) -> ServiceAccount:
    """A user for an integration, with its own role and teams and no password."""
    if role not in Role.values or role == Role.ADMIN:
        raise TokenError(f"{role!r} is not a role an integration can have.")
    if User.objects.filter(username=username).exists():
        raise TokenError(f"The username {username!r} is taken.")
    now = timezone.now()
    user = User(username=username, role=role, first_name=integration[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    for team in teams:
        Membership.objects.create(user=user, team=team)
    account = ServiceAccount.objects.create(user=user, integration=integration, contact=contact, created_at=now)
    audit_record(
        actor=actor,
        action="api.service_account_create",
        object_type="user",
        object_id=user.pk,
        after={"username": username, "role": role, "integration": integration, "teams": [t.slug for t in teams]},
    )
    return account
