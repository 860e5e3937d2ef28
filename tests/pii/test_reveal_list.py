"""Leads see who revealed what and why for their teams' customers, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.pii import pii_reveal
from tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db

BELL = 1
# session, user, the lead's team ids, the viewer filter's choices, COUNT(*) for the pager and
# the page of reveals (viewer, customer and case joined in; the team test is an EXISTS).
REVEAL_LIST_QUERIES = 6 + BELL


def _reveals(team, viewers, count: int) -> list:
    made = []
    for i in range(count):
        customer = CustomerFactory()
        case = CaseFactory(team=team, customer=customer)
        viewer = viewers[i % len(viewers)]
        made.append(
            pii_reveal(viewer=viewer, customer=customer, field="phone", reason=f"Call-back number check {i}", case=case)
        )
    return made


def test_a_lead_sees_who_revealed_what_and_why_for_their_teams_customers(
    client_for, lead, agent, outsider, team, other_team
):
    mine = _reveals(team, [agent], 1)[0]
    theirs = _reveals(other_team, [outsider], 1)[0]

    html = client_for(lead).get(reverse("customers:reveals")).content.decode()

    assert "Call-back number check 0" in html and "Ana Reyes" in html and mine.customer.account_number in html
    assert theirs.customer.account_number not in html and "Olly" not in html


def test_the_list_filters_by_viewer_field_and_account(client_for, lead, agent, second_agent, team):
    made = _reveals(team, [agent, second_agent], 4)
    client = client_for(lead)

    by_viewer = client.get(reverse("customers:reveals"), {"viewer": second_agent.pk}).content.decode()
    assert by_viewer.count('class="reveal-row"') == 2 and "Ben Cruz" in by_viewer

    by_field = client.get(reverse("customers:reveals"), {"field": "email"}).content.decode()
    assert by_field.count('class="reveal-row"') == 0

    by_account = client.get(reverse("customers:reveals"), {"customer": made[0].customer.account_number})
    assert by_account.content.decode().count('class="reveal-row"') == 1

    assert client.get(reverse("customers:reveals"), {"viewer": "not-a-user"}).status_code == 400


@pytest.mark.parametrize("count", [3, 40])
def test_the_list_costs_the_same_however_many_reveals_it_shows(
    client_for, lead, agent, second_agent, team, count, django_assert_num_queries
):
    _reveals(team, [agent, second_agent, lead], count)
    client = client_for(lead)

    with django_assert_num_queries(REVEAL_LIST_QUERIES):
        response = client.get(reverse("customers:reveals"))

    assert response.content.decode().count('class="reveal-row"') == count


def test_auditors_see_every_reveal_and_agents_none(client_for, auditor, agent, outsider, team, other_team):
    _reveals(team, [agent], 1)
    _reveals(other_team, [outsider], 1)

    assert client_for(auditor).get(reverse("customers:reveals")).content.decode().count('class="reveal-row"') == 2
    assert client_for(agent).get(reverse("customers:reveals")).status_code == 403


def test_admins_do_not_see_the_list(client_for, admin_user):
    assert client_for(admin_user).get(reverse("customers:reveals")).status_code == 403


def test_an_other_teams_lead_does_not_see_our_reveals(client_for, other_lead, agent, team):
    _reveals(team, [agent], 2)
    html = client_for(other_lead).get(reverse("customers:reveals")).content.decode()
    assert 'class="reveal-row"' not in html
