"""Routing under real concurrency on PostgreSQL: row locks and SKIP LOCKED, not luck."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, time

import pytest
from django.db import connection

from audit.selectors import audit_chain_verify
from cases.choices import EventKind
from cases.errors import CaseError
from cases.models import Case, CaseEvent, RoutingDecision, RoutingOutcome, RoutingTrigger
from cases.routing import case_claim_next, route_case, route_catch_up
from people.choices import Role
from people.models import Shift
from tests.factories import CaseFactory, TeamFactory, UserFactory

# A Tuesday noon (UTC); every agent here works Tuesdays 08:00-16:00 UTC.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("categories_back_after_flush"),
]


def run_together(count: int, work) -> list:
    """Start ``count`` threads at the same instant; each runs ``work(i)`` on its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # the outcome is what the test asserts, whatever it is
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def agents_on_shift(team, count: int, *, capacity: int) -> list:
    people = [UserFactory(role=Role.AGENT, teams=[team], max_open_cases=capacity) for _ in range(count)]
    Shift.objects.bulk_create(Shift(user=p, weekday=1, starts_at=time(8), ends_at=time(16)) for p in people)
    return people


@pytest.mark.parametrize("orders", ["same order", "opposite orders"])
def test_two_routers_at_once_never_exceed_capacity_nor_assign_a_case_twice(orders):
    team = TeamFactory()
    agents = agents_on_shift(team, 3, capacity=5)
    case_ids = [CaseFactory(team=team).pk for _ in range(50)]
    sequences = [case_ids, case_ids if orders == "same order" else case_ids[::-1]]

    def router(i: int) -> Counter:
        outcomes = Counter()
        for case_id in sequences[i]:
            decision = route_case(case_id=case_id, trigger=RoutingTrigger.NEW, now=NOW)
            outcomes[decision.outcome if decision else "skipped"] += 1
        return outcomes

    results = run_together(2, router)

    assert all(isinstance(r, Counter) for r in results), results
    assert sum(r[RoutingOutcome.ASSIGNED] for r in results) == 15
    loads = Counter(Case.objects.filter(assignee__isnull=False).values_list("assignee", flat=True))
    assert loads == {agent.pk: 5 for agent in agents}
    per_case = Counter(CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).values_list("case", flat=True))
    assert len(per_case) == 15 and set(per_case.values()) == {1}
    assigned = RoutingDecision.objects.filter(outcome=RoutingOutcome.ASSIGNED)
    assert assigned.count() == 15
    assert set(assigned.values_list("case__assignee", flat=True)) == {agent.pk for agent in agents}
    # Every case was looked at by at least one router; the 35 left over wait with reasons.
    assert RoutingDecision.objects.values("case").distinct().count() == 50
    waiting = RoutingDecision.objects.filter(outcome=RoutingOutcome.NO_CANDIDATE).first()
    assert sorted(row["reasons"] for row in waiting.candidates) == [["at capacity 5/5"]] * 3
    report = audit_chain_verify()
    assert report.first_broken_id is None


def test_two_catch_up_sweeps_at_once_share_the_queue_without_overlap():
    team = TeamFactory()
    agents = agents_on_shift(team, 3, capacity=5)
    for _ in range(50):
        CaseFactory(team=team)

    results = run_together(2, lambda i: route_catch_up(now=NOW, chunk=10))

    assert all(isinstance(r, int) for r in results), results
    loads = Counter(Case.objects.filter(assignee__isnull=False).values_list("assignee", flat=True))
    assert loads == {agent.pk: 5 for agent in agents}
    per_case = Counter(CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).values_list("case", flat=True))
    assert len(per_case) == 15 and set(per_case.values()) == {1}
    # Chunks lock their cases with SKIP LOCKED: a case is decided by one sweep or the other.
    assert sum(results) == RoutingDecision.objects.count() >= 50
    assert audit_chain_verify().first_broken_id is None


def test_two_people_pressing_get_next_case_at_once_get_different_cases():
    team = TeamFactory()
    for _ in range(5):
        # Repeated rounds: each round both threads race for the two most urgent free cases.
        people = [UserFactory(role=Role.AGENT, teams=[team]) for _ in range(2)]
        for _ in range(2):
            CaseFactory(team=team)

        results = run_together(2, lambda i, people=people: case_claim_next(actor=people[i]))

        assert all(isinstance(r, Case) for r in results), results
        assert results[0].pk != results[1].pk
        for person, case in zip(people, results, strict=True):
            case.refresh_from_db()
            assert case.assignee == person
    per_case = Counter(CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).values_list("case", flat=True))
    assert len(per_case) == 10 and set(per_case.values()) == {1}


def test_one_person_pressing_twice_at_once_stays_within_capacity():
    team = TeamFactory()
    ana = UserFactory(role=Role.AGENT, teams=[team], max_open_cases=1)
    for _ in range(3):
        CaseFactory(team=team)

    results = run_together(2, lambda i: case_claim_next(actor=ana))

    assert sorted(type(r).__name__ for r in results) == ["Case", "CaseError"]
    refused = next(r for r in results if isinstance(r, CaseError))
    assert "You have 1 open cases and your limit is 1" in refused.message
    assert Case.objects.filter(assignee=ana).count() == 1


def test_a_router_and_a_person_pulling_the_same_last_case_assign_it_once():
    team = TeamFactory()
    (routed_to,) = agents_on_shift(team, 1, capacity=5)
    puller = UserFactory(role=Role.AGENT, teams=[team])
    case = CaseFactory(team=team)

    def work(i: int):
        if i == 0:
            return route_case(case_id=case.pk, trigger=RoutingTrigger.NEW, now=NOW)
        return case_claim_next(actor=puller)

    run_together(2, work)

    case.refresh_from_db()
    assert case.assignee in (routed_to, puller)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNMENT).count() == 1
