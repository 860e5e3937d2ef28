"""Two people (or a person and the sweep) editing one case never overwrite each other."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from cases.choices import EventKind, Priority, Status
from cases.errors import CaseError, StaleVersion
from cases.models import Case, CaseEvent
from cases.services import case_add_message, case_assign, case_change_status, case_create, case_update_properties
from tests.factories import CaseFactory, CategoryFactory, CustomerFactory

pytestmark = pytest.mark.usefixtures("categories_back_after_flush")


@pytest.mark.django_db
def test_it_refuses_the_second_of_two_editors_who_loaded_the_same_version(case, lead, agent):
    seen_by_lead = Case.objects.get(pk=case.pk)
    seen_by_agent = Case.objects.get(pk=case.pk)

    case_change_status(
        actor=agent, case=seen_by_agent, to_status=Status.PENDING_CUSTOMER, expected_version=seen_by_agent.version
    )
    with pytest.raises(StaleVersion):
        case_assign(actor=lead, case=seen_by_lead, assignee=agent, expected_version=seen_by_lead.version)

    case.refresh_from_db()
    assert (case.status, case.assignee, case.version) == (Status.PENDING_CUSTOMER, None, 2)
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == [EventKind.STATUS]


@pytest.mark.django_db
def test_it_accepts_the_retry_made_from_the_fresh_version(case, lead, agent):
    case_update_properties(
        actor=agent, case=case, expected_version=1, priority=Priority.HIGH, category=CategoryFactory(code="kyc")
    )
    with pytest.raises(StaleVersion):
        case_change_status(actor=lead, case=case, to_status=Status.RESOLVED, expected_version=1)

    fresh = Case.objects.get(pk=case.pk)
    case_change_status(actor=lead, case=fresh, to_status=Status.RESOLVED, expected_version=fresh.version)

    case.refresh_from_db()
    assert (case.status, case.priority, case.version) == (Status.RESOLVED, Priority.HIGH, 3)


@pytest.mark.django_db
def test_it_decides_on_the_stored_case_not_on_the_callers_stale_copy(team, agent):
    case = CaseFactory(team=team, status=Status.RESOLVED)
    stale_copy = Case.objects.get(pk=case.pk)
    case_change_status(actor=agent, case=case, to_status=Status.CLOSED, expected_version=1)

    with pytest.raises(CaseError, match="This case is closed"):
        case_add_message(actor=agent, case=stale_copy, body="One more thing", internal=False)

    assert not CaseEvent.objects.filter(kind=EventKind.REPLY).exists()


def _run_together(count: int, work) -> list:
    """Start ``count`` threads at once; each runs ``work(i)`` on its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # the outcome is the assertion, whatever it is
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_simultaneous_status_changes_win(team, agent, second_agent):
    case = CaseFactory(team=team, status=Status.OPEN)
    actors = [agent, second_agent]
    targets = [Status.RESOLVED, Status.PENDING_CUSTOMER]

    results = _run_together(
        2,
        lambda i: case_change_status(actor=actors[i], case=case, to_status=targets[i], expected_version=1),
    )

    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, StaleVersion)]
    assert (len(winners), len(losers)) == (1, 1)
    case.refresh_from_db()
    assert case.status == winners[0].status
    assert case.version == 2
    assert CaseEvent.objects.filter(case=case, kind=EventKind.STATUS).count() == 1
    assert AuditEvent.objects.filter(action="case.status").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_gives_simultaneous_new_cases_distinct_consecutive_references(team):
    customer = CustomerFactory()
    category = CategoryFactory(code="deposits")

    results = _run_together(
        4,
        lambda i: (
            case_create(
                actor=None,
                customer=customer,
                subject=f"Deposit {i}",
                body="Missing deposit.",
                channel="email",
                category=category,
                team=team,
            ).reference
        ),
    )

    year = Case.objects.first().received_at.year
    assert sorted(results) == [f"CS-{year}-{n:06d}" for n in range(1, 5)]
    report = audit_chain_verify()
    assert (report.checked, report.first_broken_id) == (4, None)
