"""PII is masked for every role on every page until a reveal, and the one decision function says so."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.masking import customer_pii_fields, customer_pii_for
from cases.pii import pii_reveal
from people.choices import Role
from people.notifications import notify
from tests.factories import UserFactory
from tests.pii.conftest import EMAIL, assert_masked

pytestmark = pytest.mark.django_db


def test_it_masks_every_field_for_a_viewer_without_a_reveal(agent, jane):
    assert customer_pii_for(agent, jane) == {
        "email": "j***@example.com",
        "phone": "•••• 0142",
        "date_of_birth": "1961",
        "government_id_last4": "•••• 6789",
    }


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD, Role.SPECIALIST, Role.COMPLIANCE, Role.FIU, Role.AUDITOR])
def test_it_masks_for_every_role_by_default(role, jane, team):
    viewer = UserFactory(role=role, teams=[team])
    assert customer_pii_for(viewer, jane)["email"] == "j***@example.com"


def test_it_shows_only_the_revealed_field_and_only_to_the_viewer_who_revealed_it(agent, second_agent, jane, jane_case):
    pii_reveal(viewer=agent, customer=jane, field="email", reason="Customer asks to confirm address")

    assert customer_pii_for(agent, jane)["email"] == EMAIL
    assert customer_pii_for(agent, jane)["phone"] == "•••• 0142"
    assert customer_pii_for(second_agent, jane)["email"] == "j***@example.com"
    shown = {item.field: item for item in customer_pii_fields(agent, jane)}
    assert shown["email"].masked is False and shown["email"].expires_at > timezone.now()
    assert shown["government_id_last4"].revealable is False


def test_the_case_page_the_customer_page_and_their_fragments_show_no_unmasked_pii(client_for, agent, jane, jane_case):
    client = client_for(agent)
    pages = [
        client.get(reverse("cases:detail", args=[jane_case.reference])),
        client.get(reverse("cases:detail", args=[jane_case.reference]), headers={"HX-Request": "true"}),
        client.get(reverse("cases:sla", args=[jane_case.reference])),
        client.get(reverse("customers:customer", args=[jane.account_number])),
        client.get(reverse("cases:queue")),
        client.get(reverse("cases:mine")),
        client.get(reverse("notifications:list")),
    ]
    for response in pages:
        assert response.status_code == 200
        assert_masked(response.content)
    case_page = pages[0].content.decode()
    assert "j***@example.com" in case_page and "•••• 0142" in case_page and "•••• 6789" in case_page
    customer_page = pages[3].content.decode()
    assert "•••• 6789" in customer_page and '<span class="masked">1961</span>' in customer_page


def test_search_by_exact_email_finds_the_case_but_shows_the_email_masked(client_for, agent, jane_case):
    response = client_for(agent).get(reverse("cases:queue"), {"q": EMAIL, "f": "1", "status": ["new"]})

    assert jane_case.reference in response.content.decode()
    # The search box keeps what the agent typed; the results themselves carry no PII.
    rows = response.content.decode().split("<tbody", 1)[1]
    assert EMAIL not in rows


def test_notification_text_masks_any_email_address(agent):
    from people.models import Notification

    notify([agent], kind="test", title=f"Reply from {EMAIL}", body=f"Write to {EMAIL} today", now=timezone.now())

    row = Notification.objects.get(recipient=agent)
    assert row.title == "Reply from j***@example.com"
    assert row.body == "Write to j***@example.com today"
