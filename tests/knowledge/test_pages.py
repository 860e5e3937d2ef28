"""Knowledge pages: safe rendering, permissions, the case panel and fixed query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.choices import EventKind
from cases.models import CaseEvent
from compliance.models import RegulatoryFlag
from knowledge import services
from knowledge.models import Acknowledgement, Document, VersionReview
from knowledge.services import Draft
from people.choices import Role
from tests.factories import UserFactory
from tests.knowledge.conftest import SCAM, published

pytestmark = pytest.mark.django_db


def test_a_script_tag_in_an_sop_does_not_reach_the_page(client_for, lead, reviewer, agent):
    body = 'Intro\n\n<script>alert("x")</script>\n\n[click](javascript:alert(1))\n\n<img src=x onerror="alert(2)">'
    version = published(lead, reviewer, title="Unsafe", body=body)

    html = client_for(agent).get(f"/knowledge/d/{version.document.slug}/").content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")
    assert "<img" not in html


def test_library_permissions(client_for, lead, reviewer, agent, auditor, admin_user):
    version = published(lead, reviewer, title="Refund SOP")
    assert client_for(agent).get("/knowledge/").status_code == 200
    assert client_for(auditor).get(f"/knowledge/d/{version.document.slug}/").status_code == 200
    assert client_for(admin_user).get("/knowledge/").status_code == 403
    assert client_for(agent).get("/knowledge/d/no-such-thing/").status_code == 404
    assert client_for(agent).get("/knowledge/new/").status_code == 403
    assert client_for(auditor).post(f"/knowledge/d/{version.document.slug}/v1/publish/").status_code == 403


def test_the_library_searches_full_text_and_costs_the_same_however_many_documents(
    client_for, lead, reviewer, agent, django_assert_num_queries
):
    for i in range(12):
        published(lead, reviewer, title=f"Withdrawals guide {i}", body="Withdrawals held for review.")
    published(lead, reviewer, title="Scam recovery", body="Never promise the customer a recovery of funds.")
    client = client_for(agent)
    client.get("/knowledge/")
    # session, user, the library's one query, the pending list (docs, team links, acks, team ids), bell
    with django_assert_num_queries(8):
        response = client.get("/knowledge/?q=recovery+funds")
    results = response.content.decode().split('id="library-results"')[1]
    assert "Scam recovery" in results and "Withdrawals guide" not in results


def test_the_word_match_fallback_finds_every_word(lead, reviewer):
    from knowledge.selectors import _current_versions, fallback_search

    published(lead, reviewer, title="Card disputes", body="Chargeback window is 120 days.")
    published(lead, reviewer, title="Cards", body="Ordering a card.")
    titles = [v.title for v in fallback_search(_current_versions(), "card CHARGEBACK")]
    assert titles == ["Card disputes"]


def test_leads_see_who_has_acknowledged_per_team_in_a_fixed_number_of_queries(
    client_for, lead, reviewer, agent, second_agent, team, django_assert_num_queries
):
    sops = [published(lead, reviewer, title=f"SOP {i}") for i in range(4)]
    services.acknowledge(actor=agent, version=sops[0])
    client = client_for(lead)
    client.get("/knowledge/training/")
    with django_assert_num_queries(9):
        response = client.get("/knowledge/training/")
    html = response.content.decode()
    assert "✓ v1" in html and "not yet" in html
    for i in range(4):
        UserFactory(role=Role.AGENT, teams=[team])
        published(lead, reviewer, title=f"More {i}")
    with django_assert_num_queries(9):
        client.get("/knowledge/training/")
    assert client_for(agent).get("/knowledge/training/").status_code == 403


def test_the_case_panel_shows_the_flag_sop_and_the_customer_script_in_one_query(
    client_for, lead, reviewer, agent, case, django_assert_num_queries
):
    from knowledge.selectors import knowledge_case_panel

    published(lead, reviewer, title="Scam SOP", flag_kinds=[SCAM])
    published(lead, reviewer, title="Withdrawals SOP", categories=[case.category])
    published(lead, reviewer, title="AU complaints", jurisdictions=["AU"])
    script = services.document_create(
        actor=lead, kind="macro", script_kind=SCAM,
        draft=Draft(title="Scam script", body="Hello {{ customer_first_name }}, about {{ case_reference }}.",
                    flag_kinds=[SCAM]),
    )  # fmt: skip
    services.version_publish(actor=lead, version=script)
    services.version_review(actor=reviewer, version=script, decision="approved")
    RegulatoryFlag.objects.create(case=case, kind=SCAM, facts={}, raised_by=lead, raised_at=timezone.now())
    case = case.__class__.objects.select_related("customer", "category").get(pk=case.pk)

    with django_assert_num_queries(1):
        panel = knowledge_case_panel(agent, case, True)

    assert [i.version.title for i in panel["reading"]] == ["Scam SOP", "Withdrawals SOP"]
    [item] = panel["scripts"]
    first_name = case.customer.full_name.split()[0]
    assert item.text == f"Hello {first_name}, about {case.reference}."
    html = client_for(agent).get(f"/cases/{case.reference}/").content.decode()
    assert "Customer script: Scam script" in html and "not acknowledged" in html


def test_a_reply_records_the_template_version_it_came_from(client_for, lead, reviewer, agent, case):
    macro = published(lead, reviewer, kind="macro", title="Delay", body="Hi {{ customer_first_name }}.",
                      categories=[case.category])  # fmt: skip
    response = client_for(agent).post(
        f"/cases/{case.reference}/messages/", {"body": "Hi Jane, it is on its way.", "kind": "reply",
                                              "macro_version": macro.pk},
    )  # fmt: skip
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=case, kind=EventKind.REPLY)
    assert event.data == {"macro_version_id": macro.pk}
    page = client_for(lead).get(f"/knowledge/cases/{case.reference}/templates/").content.decode()
    assert "Delay v1" in page and "it is on its way" in page


def test_the_journey_through_the_pages(client_for, lead, reviewer, agent):
    lead_client = client_for(lead)
    response = lead_client.post(
        "/knowledge/new/", {"kind": "sop", "title": "Scam SOP", "body": "Stop.", "flag_kinds": [SCAM]}
    )
    document = Document.objects.get()
    assert response.status_code == 302
    lead_client.post(f"/knowledge/d/{document.slug}/v1/publish/")
    assert "Scam SOP" in client_for(reviewer).get("/knowledge/review/").content.decode()
    # The author cannot approve it (a lead is not a reviewer at all).
    assert lead_client.post(f"/knowledge/d/{document.slug}/v1/review/", {"decision": "approved"}).status_code == 403
    client_for(reviewer).post(f"/knowledge/d/{document.slug}/v1/review/", {"decision": "approved"})
    assert VersionReview.objects.get().reviewer == reviewer
    client_for(agent).post(f"/knowledge/d/{document.slug}/v1/acknowledge/")
    assert Acknowledgement.objects.get().agent == agent


def test_an_empty_sop_from_the_form_shows_the_error_and_saves_nothing(client_for, lead):
    response = client_for(lead).post("/knowledge/new/", {"kind": "sop", "title": "Scams", "body": ""})
    assert response.status_code == 400
    assert "The text is empty" in response.content.decode()
    assert not Document.objects.exists()


def test_an_older_version_shows_its_diff_against_the_current_one(client_for, lead, reviewer, agent):
    first = published(lead, reviewer, title="Fees", body="Line one\nOld line\n")
    draft = Draft(title="Fees", body="Line one\nNew line\n")
    second = services.version_create(actor=lead, document=first.document, draft=draft)
    services.version_publish(actor=lead, version=second)
    html = client_for(agent).get(f"/knowledge/d/{first.document.slug}/v1/").content.decode()
    assert '<span class="diff-remove">- Old line</span>' in html
    assert '<span class="diff-add">+ New line</span>' in html
    assert "Superseded" in html
