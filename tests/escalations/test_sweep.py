from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.choices import EventKind
from cases.models import CaseEvent
from escalations import services
from escalations.models import Escalation
from escalations.sweep import escalation_ola_sweep
from people.models import Notification


@pytest.fixture
def waiting(agent, case, fraud_team, fraud_lead, reasons):
    fraud_team.calendar = None  # elapsed minutes: the arithmetic below is plain
    fraud_team.save()
    return services.escalation_request(actor=agent, case=case, to_team=fraud_team, reason=reasons["scam_reported"])


def test_it_warns_then_breaches_an_unanswered_escalation_once_each(waiting, fraud_lead):
    start = waiting.requested_at

    assert escalation_ola_sweep(now=start + timedelta(minutes=10)).warned == 0
    warned = escalation_ola_sweep(now=start + timedelta(minutes=200))
    again = escalation_ola_sweep(now=start + timedelta(minutes=201))
    breached = escalation_ola_sweep(now=start + timedelta(minutes=241))
    later = escalation_ola_sweep(now=start + timedelta(minutes=300))

    assert (warned.warned, again.warned, breached.breached, later.breached) == (1, 0, 1, 0)
    kinds = list(Notification.objects.filter(recipient=fraud_lead).values_list("kind", flat=True).order_by("id"))
    assert kinds == ["escalation_requested", "ola_warned", "ola_breached"]
    [event] = CaseEvent.objects.filter(case=waiting.case, kind=EventKind.ESCALATION, data__event="ola_breached")
    assert event.data["to_team"] == "Fraud & Scam"


def test_an_answered_escalation_never_breaches(waiting, fraud_specialist):
    services.escalation_accept(actor=fraud_specialist, escalation=waiting)

    result = escalation_ola_sweep(now=timezone.now() + timedelta(days=3))

    assert (result.warned, result.breached) == (0, 0)
    assert Escalation.objects.get().ola_breached_at is None


def test_it_works_through_more_escalations_than_one_batch(agent, team, fraud_team, reasons, fraud_lead):
    from tests.factories import CaseFactory

    fraud_team.calendar = None
    fraud_team.save()
    for _ in range(5):
        services.escalation_request(
            actor=agent, case=CaseFactory(team=team), to_team=fraud_team, reason=reasons["vip_customer"]
        )

    result = escalation_ola_sweep(now=timezone.now() + timedelta(days=1), batch_size=2)

    assert result.breached == 5
    assert not Escalation.objects.filter(ola_breached_at__isnull=True).exists()
