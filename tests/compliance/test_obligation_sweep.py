"""The obligation sweep warns a day ahead and records breaches, once each; the audit command lists them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.choices import EventKind
from cases.models import CaseEvent
from compliance.choices import FlagKind
from compliance.models import Obligation
from compliance.services import flag_raise
from compliance.sweep import obligation_sweep
from people.choices import Role
from people.models import Notification
from tests.factories import UserFactory

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
REG_E = {"notice_date": "2026-11-18", "notice_form": "written", "transfer_date": "2026-11-16",
         "amount": "99.00", "leg": "crypto"}  # fmt: skip

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def obligation(agent, case):
    case.assignee = agent
    case.save(update_fields=["assignee"])
    flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
    return Obligation.objects.get(flag=flag)


def test_it_warns_a_day_ahead_then_records_the_breach_once_each(obligation, agent):
    reviewer = UserFactory(role=Role.COMPLIANCE)
    due = obligation.due_at

    assert obligation_sweep(now=due - timedelta(days=3)).warned == 0
    warned = obligation_sweep(now=due - timedelta(hours=20))
    again = obligation_sweep(now=due - timedelta(hours=19))
    breached = obligation_sweep(now=due + timedelta(minutes=1))
    later = obligation_sweep(now=due + timedelta(hours=5))

    assert (warned.warned, again.warned, breached.breached, later.breached) == (1, 0, 1, 0)
    for person in (reviewer, agent):
        kinds = set(Notification.objects.filter(recipient=person).values_list("kind", flat=True))
        assert kinds == {"obligation_warned", "obligation_breached"}
    event = CaseEvent.objects.get(case=obligation.case, kind=EventKind.FLAG, data__event="obligation_breached")
    assert event.data["citation"].startswith("12 CFR 1005.11")


def test_a_satisfied_obligation_never_breaches(obligation, agent):
    from compliance.obligations import obligation_satisfy

    obligation_satisfy(actor=agent, obligation=obligation, note="Investigation completed")

    result = obligation_sweep(now=obligation.due_at + timedelta(days=2))

    assert (result.warned, result.breached) == (0, 0)


def test_the_audit_command_lists_open_obligations_due_before_a_date(obligation):
    out = io.StringIO()
    call_command("obligations", due_before="2026-12-31", stdout=out)
    listing = out.getvalue()
    assert obligation.case.reference in listing and "us_reg_e_investigate" in listing
    assert "1 open obligation." in listing

    out = io.StringIO()
    call_command("obligations", due_before="2026-11-30", stdout=out)
    assert "0 open obligations." in out.getvalue()

    with pytest.raises(CommandError, match="is not a date"):
        call_command("obligations", due_before="soon")


def test_reviewers_get_one_line_per_batch_and_each_case_worker_their_own(agent, team):
    from compliance.services import flag_raise
    from tests.factories import CaseFactory

    reviewer = UserFactory(role=Role.COMPLIANCE)
    obligations = []
    for _ in range(3):
        case = CaseFactory(team=team, assignee=agent)
        flag = flag_raise(actor=agent, case=case, kind=FlagKind.UNAUTHORIZED_TRANSFER, facts=REG_E)
        obligations.append(Obligation.objects.get(flag=flag))
    due = max(o.due_at for o in obligations)

    assert obligation_sweep(now=due + timedelta(minutes=1)).breached == 3

    [line] = Notification.objects.filter(recipient=reviewer, kind="obligation_breached")
    assert line.title == "3 regulatory deadlines are overdue" and line.url == "/compliance/?deadline=missed"
    assert Notification.objects.filter(recipient=agent, kind="obligation_breached").count() == 3
