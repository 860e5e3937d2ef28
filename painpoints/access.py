"""Who may see and change pain points, and which linked cases count for whom.

Leads run problem management: they open pain points, link cases and send the one answer.
The owner team's specialists see their team's pain points and move them along as they work
on the fix (but do not verify it: the lead who hears from customers does). Compliance, the
FIU and audit read every pain point; agents and admins none (agents see the identifier panel
on the cases they work). Restricted (FIU) cases never show outside the FIU and audit, and
never receive a bulk answer.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from cases.models import Case
from compliance.models import Referral
from compliance.restricted import can_read_restricted
from painpoints.choices import PainPointStatus
from painpoints.models import PainPoint
from people.choices import Role, TeamKind
from people.roles import ORG_WIDE_READERS, can_read_cases, role_of
from people.selectors import team_ids_of


def can_manage_pain_points(user) -> bool:
    return role_of(user) == Role.LEAD


def can_read_pain_points(user) -> bool:
    return role_of(user) in (Role.LEAD, Role.SPECIALIST) or role_of(user) in ORG_WIDE_READERS


def can_see_clusters(user) -> bool:
    return role_of(user) == Role.LEAD or role_of(user) in ORG_WIDE_READERS


def pain_points_visible_to(user, qs: QuerySet[PainPoint] | None = None) -> QuerySet[PainPoint]:
    qs = qs if qs is not None else PainPoint.objects.all()
    role = role_of(user)
    if role == Role.LEAD or role in ORG_WIDE_READERS:
        return qs
    if role == Role.SPECIALIST:
        return qs.filter(owner_team_id__in=team_ids_of(user))
    return qs.none()


def can_change_status(user, pain_point: PainPoint, to_status: str | None = None) -> bool:
    if can_manage_pain_points(user):
        return True
    owner = role_of(user) == Role.SPECIALIST and pain_point.owner_team_id in team_ids_of(user)
    return owner and to_status != PainPointStatus.VERIFIED


def get_pain_point_for_user(user, pk: int, *, for_write: bool = False) -> PainPoint:
    """A pain point the user may read (404 otherwise); 403 when they may not change it."""
    pain_point = pain_points_visible_to(user).select_related("owner_team", "created_by").filter(pk=pk).first()
    if pain_point is None:
        raise Http404("No such pain point.")
    if for_write and not can_manage_pain_points(user):
        raise PermissionDenied("You can read this pain point but not change it.")
    return pain_point


def restricted_q(prefix: str = "") -> Q:
    """Cases of the FIU's restricted inbox (its team's, or referred at any time)."""
    return Q(**{f"{prefix}team__kind": TeamKind.FIU}) | Q(**{f"{prefix}id__in": Referral.objects.values("case_id")})


def cases_visible_for_links(user) -> QuerySet[Case]:
    """Cases the user may see in identifier lists and clusters: their readable cases, less the
    restricted ones unless they read the restricted inbox."""
    if not can_read_cases(user):
        return Case.objects.none()
    qs = Case.objects.visible_to(user)
    if not can_read_restricted(user):
        qs = qs.exclude(restricted_q())
    return qs


def case_visibility_q(user, prefix: str = "case__") -> Q | None:
    """The same rule as :func:`cases_visible_for_links`, as a condition on a related case
    (``prefix``), so a list of identifiers joins the case instead of probing a subquery of every
    visible case. None: the user may see no case; an empty Q: every case (mind that an empty Q
    drops out of an OR)."""
    if not can_read_cases(user):
        return None
    from people.roles import can_work_cases

    q = Q()
    if role_of(user) not in ORG_WIDE_READERS:
        if not can_work_cases(user):
            return None
        q &= Q(**{f"{prefix}team_id__in": team_ids_of(user)})
    if not can_read_restricted(user):
        q &= ~restricted_q(prefix)
    return q
