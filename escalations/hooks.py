"""What escalations answer when the cases app asks (registered in EscalationsConfig.ready)."""

from __future__ import annotations

from django.utils import timezone

from cases.choices import Status
from escalations.choices import EscalationStatus
from escalations.models import Escalation


def unanswered_escalation_blocks_close(case, to_status: str) -> str | None:
    """A case cannot be resolved or closed while a team it escalated to has not answered."""
    waiting = (
        Escalation.objects.filter(case=case, status=EscalationStatus.REQUESTED)
        .select_related("to_team")
        .order_by("requested_at")
        .first()
    )
    if waiting is None:
        return None
    return f"it is waiting for {waiting.to_team} to answer its escalation; withdraw it or wait for their answer."


def complete_accepted_escalations(case, from_status: str, to_status: str, actor) -> None:
    """Resolving the case finishes the work its accepted escalations asked for."""
    if to_status in (Status.RESOLVED, Status.CLOSED):
        from escalations.services import escalations_complete_for_case

        escalations_complete_for_case(case, actor=actor, now=timezone.now())


def escalate_sla_breach(case, timer) -> None:
    """SLA policies with ``breach_escalate`` raise an escalation to the case team's leads."""
    from escalations.services import escalation_for_sla_breach

    escalation_for_sla_breach(case, timer)


def escalated_to_my_team(user):
    """The receiving team reads a case escalated to it before accepting (writing needs accepting)."""
    from django.db.models import Exists, OuterRef, Q

    from escalations.choices import OPEN_ESCALATION_STATUSES
    from people.selectors import team_ids_of

    team_ids = team_ids_of(user)
    if not team_ids:
        return None
    return Q(
        Exists(
            Escalation.objects.filter(
                case_id=OuterRef("pk"), to_team_id__in=team_ids, status__in=OPEN_ESCALATION_STATUSES
            )
        )
    )


def case_escalations_panel(user, case, editable: bool) -> dict | None:
    """The case page's escalation panel: every hop with its state and clock, and the way to escalate."""
    from escalations.selectors import escalations_of_case

    hops = list(escalations_of_case(case=case))
    open_hops = [hop for hop in hops if hop.is_open]
    if not hops and not editable:
        return None
    return {
        "template": "escalations/_case_panel.html",
        "escalation_hops": hops,
        "open_escalations": open_hops,
        "can_escalate": editable and case.is_open,
    }
