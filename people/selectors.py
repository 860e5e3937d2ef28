from __future__ import annotations

from django.db.models import QuerySet

from people.models import Team, User
from people.roles import ORG_WIDE_READERS, role_of


def team_ids_of(user) -> list[int]:
    """Ids of the teams a user belongs to, cached on the user object for the request."""
    cached = getattr(user, "_team_ids_cache", None)
    if cached is None:
        cached = list(user.memberships.values_list("team_id", flat=True)) if user.is_authenticated else []
        user._team_ids_cache = cached
    return cached


def team_list_visible_to(user) -> QuerySet[Team]:
    if role_of(user) in ORG_WIDE_READERS:
        return Team.objects.all()
    return Team.objects.filter(id__in=team_ids_of(user))


def user_list_assignable(*, team_ids: list[int] | None = None) -> QuerySet[User]:
    """People who can own cases: active agents, leads and specialists, optionally of some teams."""
    qs = User.objects.filter(is_active=True, role__in=["agent", "lead", "specialist"])
    if team_ids is not None:
        qs = qs.filter(memberships__team_id__in=team_ids).distinct()
    return qs.order_by("first_name", "last_name", "username")
