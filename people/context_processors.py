"""Navigation for the signed-in user's role: only what the role may use is shown."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from people.choices import Role
from people.notifications import notifications_unread_count
from people.roles import (
    can_configure_routing,
    can_configure_sla,
    can_read_cases,
    can_triage,
    can_view_dashboards,
    can_view_own_figures,
    can_work_cases,
    role_of,
)

# Who works with pain points (painpoints.access decides; this only chooses the menu item).
PAIN_POINT_READERS = frozenset({Role.LEAD, Role.SPECIALIST, Role.COMPLIANCE, Role.FIU, Role.AUDITOR})


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, str]] = []
    if can_work_cases(user):
        items.append(("My cases", "cases:mine"))
    if can_read_cases(user):
        items.append(("Team queue" if not can_triage(user) else "Triage queue", "cases:queue"))
        items.append(("Escalations", "escalations:queue"))
    if role_of(user) in PAIN_POINT_READERS:
        items.append(("Pain points", "painpoints:index"))
    if role_of(user) == Role.COMPLIANCE:
        items.append(("Flag review", "compliance:queue"))
    if role_of(user) in (Role.FIU, Role.AUDITOR):
        items.append(("Restricted inbox", "fiu:inbox"))
        items.append(("Audit ledger", "audit:ledger"))
    if can_read_cases(user):
        items.append(("SOPs", "knowledge:library"))
    if role_of(user) == Role.COMPLIANCE:
        items.append(("SOP approvals", "knowledge:review_queue"))
    if can_triage(user):
        items.append(("Training & QA", "knowledge:training"))
    if can_view_dashboards(user):
        items.append(("Dashboard", "metrics:dashboard"))
    elif can_view_own_figures(user):
        items.append(("My figures", "metrics:mine"))
    if can_configure_sla(user):
        items.append(("SLA", "sla:overview"))
    if can_configure_routing(user):
        items.append(("Routing", "routing:rules"))
    if role_of(user) == Role.ADMIN or user.is_superuser:
        items.append(("Administration", "admin:index"))
    return {
        "nav_items": items,
        "nav_role": role_of(user),
        # Counted only when a template shows the bell (full pages, not htmx fragments): one
        # COUNT on the partial index of a person's unread notifications.
        "nav_unread": SimpleLazyObject(lambda: notifications_unread_count(user)),
    }
