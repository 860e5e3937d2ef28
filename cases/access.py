"""Who may see and change which case: the one place that decides, for pages, API and tasks.

Visibility is role x team. Workers (agents, leads, specialists) see the cases of their own
teams; compliance, FIU and auditors read across teams but change nothing through case work;
admins configure the system and see no case data. Invisible cases answer 404 (their existence
is not disclosed); visible but read-only ones answer 403 on writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from people.roles import ORG_WIDE_READERS, can_triage, can_work_cases, role_of
from people.selectors import team_ids_of

if TYPE_CHECKING:
    from cases.models import Case, CaseQuerySet


def restrict_cases_to(qs: CaseQuerySet, user, *, with_grants: bool = False) -> CaseQuerySet:
    """The cases ``user`` may read. Lists are their teams' cases; ``with_grants`` adds what
    higher apps grant one case at a time (a case escalated to the user's team), which single-case
    reads use. Lists leave grants out on purpose: an OR with a subquery would make PostgreSQL
    sort every open case instead of walking the queue's partial index."""
    role = role_of(user)
    if role is None or not user.is_active:
        return qs.none()
    if role in ORG_WIDE_READERS:
        return qs
    if can_work_cases(user):
        from cases import registry

        visible = Q(team_id__in=team_ids_of(user))
        for grant in registry.visibility_grants if with_grants else ():
            extra = grant(user)
            if extra is not None:
                visible |= extra
        return qs.filter(visible)
    return qs.none()


def can_edit_case(user, case: Case) -> bool:
    return can_work_cases(user) and case.team_id in team_ids_of(user)


def can_assign_case(user, case: Case) -> bool:
    return can_triage(user) and case.team_id in team_ids_of(user)


def get_case_for_user(user, reference: str, *, for_write: bool = False, queryset=None) -> Case:
    """Fetch a case the user may see; 404 if they may not, 403 if they may only read it."""
    from cases.models import Case

    qs = (queryset if queryset is not None else Case.objects.all()).filter(reference=reference)
    # The same rule as one query with the grants OR-ed in, in two steps: the user's own teams'
    # cases first (a plain indexed lookup, and nearly every read), then, only when that finds
    # nothing, the one-case grants, whose EXISTS subqueries cost more to build and to run.
    found = list(restrict_cases_to(qs, user)[:1])
    if not found and can_work_cases(user):
        found = list(restrict_cases_to(qs, user, with_grants=True)[:1])
    case = found[0] if found else None
    if case is None:
        raise Http404("No such case.")
    if for_write and not can_edit_case(user, case):
        raise PermissionDenied("You can read this case but not change it.")
    return case
