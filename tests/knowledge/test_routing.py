"""Routing sends cases with a regulatory flag only to people trained on the SOPs it requires."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cases.models import RoutingTrigger
from cases.routing import case_claim_next, route_case
from compliance.models import RegulatoryFlag
from knowledge import services
from knowledge.selectors import routing_training_gaps
from knowledge.services import Draft
from tests.cases.test_routing import member
from tests.factories import CaseFactory, TeamFactory
from tests.knowledge.conftest import SCAM, published

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


@pytest.fixture
def desk(lead, reviewer):
    team = TeamFactory(name="Scam desk", slug="scam-desk")
    return team


def scam_case(team, raised_by):
    case = CaseFactory(team=team)
    RegulatoryFlag.objects.create(case=case, kind=SCAM, facts={}, raised_by=raised_by, raised_at=NOW)
    return case


def test_routing_skips_an_untrained_agent_and_takes_them_after_they_acknowledge(desk, lead, reviewer):
    sop = published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    ana = member(desk, "Ana")
    first = scam_case(desk, lead)

    decision = route_case(case_id=first.pk, trigger=RoutingTrigger.NEW)

    assert decision.assignee is None
    [row] = decision.candidates
    assert row["reasons"] == ["not trained: Scam SOP v1"]
    assert "1 not trained" in decision.summary

    services.acknowledge(actor=ana, version=sop)
    second = scam_case(desk, lead)
    decision = route_case(case_id=second.pk, trigger=RoutingTrigger.NEW)

    assert decision.assignee == ana


def test_a_material_change_takes_the_training_away_until_it_is_acknowledged(desk, lead, reviewer):
    sop = published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    ana = member(desk, "Ana")
    services.acknowledge(actor=ana, version=sop)
    v2 = services.version_create(
        actor=lead,
        document=sop.document,
        draft=Draft(title="Scam SOP", body="New rule", material_change=True, flag_kinds=[SCAM]),
    )
    services.version_publish(actor=lead, version=v2)
    services.version_review(actor=reviewer, version=v2, decision="approved")

    decision = route_case(case_id=scam_case(desk, lead).pk, trigger=RoutingTrigger.NEW)

    assert decision.candidates[0]["reasons"] == ["not trained: Scam SOP v2"]


def test_cases_without_the_flag_and_unpublished_sops_do_not_hold_anyone_back(desk, lead, reviewer):
    from tests.knowledge.conftest import write

    write(lead, title="Draft scam SOP", flag_kinds=[SCAM])
    ana = member(desk, "Ana")
    assert route_case(case_id=scam_case(desk, lead).pk, trigger=RoutingTrigger.NEW).assignee == ana
    published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    plain = CaseFactory(team=desk)
    assert route_case(case_id=plain.pk, trigger=RoutingTrigger.NEW).assignee == ana


def test_get_next_case_passes_over_a_case_the_person_is_not_trained_for(desk, lead, reviewer):
    published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    ana = member(desk, "Ana")
    scam_case(desk, lead)
    assert case_claim_next(actor=ana) is None


def test_the_training_check_costs_one_query_for_a_whole_chunk(desk, lead, reviewer, django_assert_num_queries):
    from cases.routing import case_facts

    sop = published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    people = [member(desk, f"P{i}") for i in range(6)]
    services.acknowledge(actor=people[0], version=sop)
    cases = [scam_case(desk, lead) for _ in range(5)]
    facts = [(case, case_facts(case)) for case in cases]

    with django_assert_num_queries(1):
        gaps = routing_training_gaps(facts, [p.pk for p in people])

    assert set(gaps) == {case.pk for case in cases}
    assert set(gaps[cases[0].pk]) == {p.pk for p in people[1:]}
