from __future__ import annotations

import pytest

from escalations import services
from escalations.choices import EscalationStatus
from escalations.models import Escalation
from people.choices import Role
from tests.factories import CaseFactory, UserFactory


@pytest.fixture
def escalation(agent, case, fraud_team, reasons):
    return services.escalation_request(actor=agent, case=case, to_team=fraud_team, reason=reasons["scam_reported"])


def test_an_agent_opens_the_escalation_form_and_escalates(client_for, agent, case, fraud_team, reasons):
    client = client_for(agent)

    page = client.get(f"/escalations/new/{case.reference}/")
    assert page.status_code == 200
    assert "Fraud &amp; Scam" in page.content.decode()
    assert f'value="{case.team.pk}"' not in page.content.decode().split('name="to_team"')[1].split("</select>")[0]

    response = client.post(
        f"/escalations/new/{case.reference}/",
        {"to_team": fraud_team.pk, "reason": reasons["scam_reported"].pk, "urgency": "", "note": "Romance scam"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.reference}/"
    assert Escalation.objects.get().note == "Romance scam"


def test_the_escalation_form_re_renders_with_errors_and_writes_nothing(client_for, agent, case):
    response = client_for(agent).post(f"/escalations/new/{case.reference}/", {"to_team": "", "reason": "999"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the team to escalate to." in html
    assert "Select a valid choice" in html
    assert not Escalation.objects.exists()


def test_the_escalation_form_is_404_for_an_outsider_and_403_for_a_reader(client_for, outsider, auditor, case):
    assert client_for(outsider).get(f"/escalations/new/{case.reference}/").status_code == 404
    assert client_for(auditor).get(f"/escalations/new/{case.reference}/").status_code == 403


def test_the_receiving_lead_sees_the_queue_and_the_sender_does_not(client_for, fraud_lead, agent, escalation):
    page = client_for(fraud_lead).get("/escalations/")
    assert page.status_code == 200
    assert escalation.case.reference in page.content.decode()

    assert escalation.case.reference not in client_for(agent).get("/escalations/").content.decode()


def test_the_queue_uses_a_constant_number_of_queries(
    client_for, fraud_lead, agent, team, fraud_team, reasons, django_assert_max_num_queries
):
    client = client_for(fraud_lead)
    for _ in range(3):
        case = CaseFactory(team=team)
        services.escalation_request(actor=agent, case=case, to_team=fraud_team, reason=reasons["scam_reported"])
    with django_assert_max_num_queries(14) as few:
        client.get("/escalations/")
    for _ in range(20):
        case = CaseFactory(team=team)
        services.escalation_request(actor=agent, case=case, to_team=fraud_team, reason=reasons["vip_customer"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/escalations/")
    assert response.content.decode().count('class="ref"') == 23


def test_an_unknown_filter_value_answers_400_with_no_rows(client_for, fraud_lead, escalation):
    response = client_for(fraud_lead).get("/escalations/?f=1&urgency=whenever")

    assert response.status_code == 400
    assert "no escalations are shown" in response.content.decode()


def test_the_receiving_specialist_accepts_from_the_detail_page(client_for, fraud_specialist, escalation):
    client = client_for(fraud_specialist)
    page = client.get(f"/escalations/{escalation.pk}/")
    assert page.status_code == 200
    assert 'id="accept-form"' in page.content.decode()

    response = client.post(f"/escalations/{escalation.pk}/accept/", {"version": 1, "owner": ""})

    assert response.status_code == 302
    escalation.refresh_from_db()
    assert (escalation.status, escalation.owner) == (EscalationStatus.ACCEPTED, fraud_specialist)


def test_a_stale_accept_gets_a_conflict_and_changes_nothing(client_for, fraud_specialist, fraud_lead, escalation):
    services.escalation_accept(actor=fraud_lead, escalation=escalation)

    response = client_for(fraud_specialist).post(f"/escalations/{escalation.pk}/accept/", {"version": 1})

    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.owner == fraud_lead


def test_returning_without_an_outcome_re_renders_with_field_errors(client_for, fraud_specialist, escalation):
    response = client_for(fraud_specialist).post(
        f"/escalations/{escalation.pk}/return/", {"version": 1, "outcome": "", "guidance": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose an outcome for the sender." in html
    assert "Tell the sender what to do next." in html
    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.REQUESTED


def test_an_escalation_is_404_for_someone_who_can_see_neither_side(client_for, escalation, other_team):
    stranger = UserFactory(role=Role.AGENT, teams=[other_team])

    assert client_for(stranger).get(f"/escalations/{escalation.pk}/").status_code == 404
    assert client_for(stranger).post(f"/escalations/{escalation.pk}/accept/", {"version": 1}).status_code == 404


def test_a_lead_bulk_accepts_for_a_team_member(
    client_for, fraud_lead, fraud_specialist, agent, team, fraud_team, reasons
):
    chosen = [
        services.escalation_request(
            actor=agent, case=CaseFactory(team=team), to_team=fraud_team, reason=reasons["scam_reported"]
        )
        for _ in range(3)
    ]

    response = client_for(fraud_lead).post(
        "/escalations/bulk/",
        {"escalations": [e.pk for e in chosen], "action": "assign", "owner": fraud_specialist.pk},
        follow=True,
    )

    assert "Accepted 3 of 3 selected escalations." in response.content.decode()
    assert set(Escalation.objects.values_list("owner", flat=True)) == {fraud_specialist.pk}


def test_the_receiving_team_reads_the_case_before_accepting_but_cannot_change_it(
    client_for, fraud_specialist, escalation
):
    client = client_for(fraud_specialist)
    reference = escalation.case.reference

    assert client.get(f"/cases/{reference}/").status_code == 200
    assert client.post(f"/cases/{reference}/messages/", {"body": "Hello"}).status_code == 403
    # Their team queue lists their own team's cases, not everything escalated to them.
    assert reference not in client.get("/cases/").content.decode()


def test_once_the_escalation_is_withdrawn_the_receiving_team_no_longer_sees_the_case(
    client_for, agent, fraud_specialist, escalation
):
    services.escalation_withdraw(actor=agent, escalation=escalation)

    assert client_for(fraud_specialist).get(f"/cases/{escalation.case.reference}/").status_code == 404


def test_the_case_page_offers_escalation_and_then_shows_where_it_went(client_for, agent, case, fraud_team, reasons):
    client = client_for(agent)
    before = client.get(f"/cases/{case.reference}/").content.decode()
    assert f'href="/escalations/new/{case.reference}/"' in before

    services.escalation_request(actor=agent, case=case, to_team=fraud_team, reason=reasons["scam_reported"])

    html = client.get(f"/cases/{case.reference}/").content.decode()
    panel = html.split('id="escalation-panel"')[1].split("</section>")[0]
    assert "Escalated to <strong>Fraud &amp; Scam</strong>" in panel
    assert "answer due" in panel
    assert "Escalated to <strong>Fraud &amp; Scam</strong>: Customer reports a scam or fraud (high)" in html
