"""A reveal needs a reason, lasts a limited time, is audited with the reveal row, and is refused
to people who may not read the customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.masking import customer_pii_for
from cases.models import PiiReveal
from cases.pii import RevealRefused, pii_reveal
from tests.pii.conftest import EMAIL, PHONE, assert_masked

pytestmark = pytest.mark.django_db

REASON = "Customer asked us to confirm the address on file"


def _reveal(client, customer, field="email", reason=REASON, case="", htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    data = {"field": field, "reason": reason, "case": case, "next": f"/customers/{customer.account_number}/"}
    return client.post(reverse("customers:reveal", args=[customer.account_number]), data, headers=headers)


def test_a_reveal_with_a_reason_shows_the_value_and_writes_the_row_and_its_audit_event(
    client_for, agent, jane, jane_case
):
    response = _reveal(client_for(agent), jane, case=jane_case.reference)

    assert response.status_code == 200
    assert EMAIL in response.content.decode()
    reveal = PiiReveal.objects.get()
    assert (reveal.viewer, reveal.customer, reveal.case, reveal.field, reveal.reason) == (
        agent,
        jane,
        jane_case,
        "email",
        REASON,
    )
    assert reveal.expires_at - reveal.revealed_at == timedelta(minutes=10)
    event = AuditEvent.objects.get(action="pii.reveal")
    assert (event.actor, event.object_type, event.object_id) == (agent, "customer", str(jane.pk))
    assert event.after["field"] == "email" and event.after["reason"] == REASON
    assert event.after["reveal_id"] == reveal.pk and event.after["case"] == jane_case.reference
    # The ledger records that PII was read, never the PII itself.
    assert EMAIL not in str(event.after)
    # The case page now shows it to this agent, and only the e-mail.
    page = client_for(agent).get(reverse("cases:detail", args=[jane_case.reference])).content.decode()
    assert EMAIL in page and PHONE not in page


@pytest.mark.parametrize("reason", ["", "   ", "ok"])
def test_a_reveal_without_a_reason_is_refused_with_a_clear_message_and_nothing_written(
    client_for, agent, jane, jane_case, reason
):
    response = _reveal(client_for(agent), jane, reason=reason)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why you need to see the customer&#x27;s e-mail" in html
    assert_masked(response.content)
    assert not PiiReveal.objects.exists()
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_the_no_javascript_form_reveals_and_redirects_back_or_explains_a_refusal(client_for, agent, jane, jane_case):
    client = client_for(agent)
    form = client.get(reverse("customers:reveal", args=[jane.account_number]), {"field": "phone"})
    assert form.status_code == 200 and "Reveal phone" in form.content.decode()

    refused = _reveal(client, jane, field="phone", reason="", htmx=False)
    assert refused.status_code == 400
    assert "Say why you need to see the customer&#x27;s phone" in refused.content.decode()

    done = _reveal(client, jane, field="phone", htmx=False)
    assert done.status_code == 302 and done["Location"] == f"/customers/{jane.account_number}/"
    assert PHONE in client.get(done["Location"]).content.decode()


def test_a_reveal_expires_after_the_configured_time(client_for, agent, jane, jane_case, settings):
    settings.PII_REVEAL_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _reveal(client_for(agent), jane)
    with time_machine.travel(start + timedelta(minutes=4, seconds=59), tick=False):
        assert customer_pii_for(agent, jane)["email"] == EMAIL
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert customer_pii_for(agent, jane)["email"] == "j***@example.com"
        page = client_for(agent).get(reverse("cases:detail", args=[jane_case.reference]))
        assert_masked(page.content)


def test_people_who_may_not_read_the_customer_cannot_reveal(client_for, outsider, admin_user, jane, jane_case):
    assert _reveal(client_for(outsider), jane).status_code == 404
    assert _reveal(client_for(admin_user), jane).status_code == 403
    with pytest.raises(RevealRefused):
        pii_reveal(viewer=outsider, customer=jane, field="email", reason=REASON)
    assert not PiiReveal.objects.exists()


def test_a_forged_case_reference_of_another_team_answers_404(client_for, agent, jane, other_team):
    from tests.factories import CaseFactory

    foreign = CaseFactory(team=other_team, customer=jane)
    assert _reveal(client_for(agent), jane, case=foreign.reference).status_code == 404
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("user_fixture", ["auditor", "compliance_user", "lead", "specialist"])
def test_readers_of_the_customer_may_reveal(request, client_for, user_fixture, jane, jane_case, specialist):
    user = request.getfixturevalue(user_fixture)
    if user_fixture == "specialist":
        jane_case.team = specialist.teams.get()
        jane_case.save(update_fields=["team"])
    assert _reveal(client_for(user), jane).status_code == 200
    assert PiiReveal.objects.filter(viewer=user).count() == 1


def test_the_government_id_offers_no_reveal(client_for, agent, jane, jane_case):
    response = _reveal(client_for(agent), jane, field="government_id_last4")
    assert response.status_code == 400
    assert not PiiReveal.objects.exists()


def test_the_reveal_is_undone_if_its_audit_event_cannot_be_written(agent, jane, jane_case, monkeypatch):
    def broken(**kwargs):
        raise IntegrityError("ledger unavailable")

    monkeypatch.setattr("cases.pii.audit_record", broken)
    with pytest.raises(IntegrityError):
        pii_reveal(viewer=agent, customer=jane, field="email", reason=REASON)
    assert not PiiReveal.objects.exists()


def test_the_database_refuses_to_edit_or_delete_a_reveal(agent, jane, jane_case):
    reveal = pii_reveal(viewer=agent, customer=jane, field="email", reason=REASON)
    for sql in ("UPDATE cases_piireveal SET reason = 'x' WHERE id = %s", "DELETE FROM cases_piireveal WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [reveal.pk])
