"""What each role may do, as data. Access checks and navigation both read this table."""

from __future__ import annotations

from people.choices import Role

# Roles that work cases of their own teams (reply, note, change status).
CASE_WORKERS = frozenset({Role.AGENT, Role.LEAD, Role.SPECIALIST})
# Roles that triage: assign, reassign, bulk actions, see every queue of their teams.
TRIAGERS = frozenset({Role.LEAD})
# Roles that may read every non-restricted case but change none of them here.
ORG_WIDE_READERS = frozenset({Role.COMPLIANCE, Role.FIU, Role.AUDITOR})
# Roles that configure the service SLA: policies and business calendars.
SLA_CONFIGURERS = frozenset({Role.LEAD, Role.ADMIN})
# Roles that configure routing: rules and each team's auto-assign switch.
ROUTING_CONFIGURERS = frozenset({Role.LEAD, Role.ADMIN})
# Roles that open the lead dashboard (leads of their teams' cases; compliance and audit read all).
DASHBOARD_VIEWERS = frozenset({Role.LEAD, Role.COMPLIANCE, Role.AUDITOR})
# Roles that see their own figures next to their teams' (agents and specialists).
OWN_FIGURES_VIEWERS = frozenset({Role.AGENT, Role.SPECIALIST})
# Roles that enter campaigns and handle times for the staffing estimate.
CAMPAIGN_EDITORS = frozenset({Role.LEAD})
# Roles that see case data at all. Admins configure the system and see no case data.
CASE_READERS = CASE_WORKERS | ORG_WIDE_READERS


def role_of(user) -> Role | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def can_work_cases(user) -> bool:
    return role_of(user) in CASE_WORKERS


def can_triage(user) -> bool:
    return role_of(user) in TRIAGERS


def can_read_cases(user) -> bool:
    return role_of(user) in CASE_READERS


def can_configure_sla(user) -> bool:
    return role_of(user) in SLA_CONFIGURERS


def can_configure_routing(user) -> bool:
    return role_of(user) in ROUTING_CONFIGURERS


def can_view_dashboards(user) -> bool:
    return role_of(user) in DASHBOARD_VIEWERS


def can_view_own_figures(user) -> bool:
    return role_of(user) in OWN_FIGURES_VIEWERS


def can_edit_campaigns(user) -> bool:
    return role_of(user) in CAMPAIGN_EDITORS
