"""Documents, versions, four-eyes approval and acknowledgements."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from knowledge import services
from knowledge.errors import KnowledgeError
from knowledge.models import Acknowledgement, Document, DocumentVersion, Publication, VersionReview
from knowledge.services import Draft
from people.choices import Role
from people.models import Notification
from tests.knowledge.conftest import SCAM, published, write

pytestmark = pytest.mark.django_db


def test_an_empty_sop_is_refused_and_nothing_is_written(lead):
    with pytest.raises(KnowledgeError) as exc:
        services.document_create(actor=lead, kind="sop", draft=Draft(title="Scams", body="   \n"))
    assert "body" in exc.value.problems
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()


def test_only_leads_write_documents(agent):
    with pytest.raises(KnowledgeError) as exc:
        write(agent)
    assert exc.value.status_code == 403


def test_a_version_without_flag_kinds_publishes_at_once(lead, reviewer):
    version = write(lead, title="Withdrawal delays")
    services.version_publish(actor=lead, version=version)
    document = Document.objects.get()
    assert (document.current_version, document.required_number) == (version, 1)
    assert AuditEvent.objects.filter(action="knowledge.publish").count() == 1


def test_a_version_linked_to_a_flag_kind_waits_for_compliance_and_the_approval_publishes_it(lead, reviewer):
    version = write(lead, flag_kinds=[SCAM])
    services.version_publish(actor=lead, version=version)
    assert Document.objects.get().current_version is None

    services.version_review(actor=reviewer, version=version, decision="approved")

    document = Document.objects.get()
    assert document.current_version == version
    assert Publication.objects.get(version=version).published_by == lead


def test_the_author_cannot_approve_their_own_version_and_the_refusal_is_audited(lead, reviewer):
    version = write(lead, flag_kinds=[SCAM])
    services.version_publish(actor=lead, version=version)
    # The author later moves to compliance: still not the second pair of eyes on their own text.
    lead.role = Role.COMPLIANCE
    lead.save(update_fields=["role"])

    with pytest.raises(KnowledgeError, match="You wrote this version"):
        services.version_review(actor=lead, version=version, decision="approved")

    assert not VersionReview.objects.exists()
    assert Document.objects.get().current_version is None
    refusal = AuditEvent.objects.get(action="knowledge.review_refused")
    assert refusal.actor == lead and "You wrote" in refusal.after["refused"]


def test_a_reviewer_cannot_approve_a_version_nobody_sent_for_approval(lead, reviewer):
    version = write(lead, flag_kinds=[SCAM])
    with pytest.raises(KnowledgeError, match="not been sent"):
        services.version_review(actor=reviewer, version=version, decision="approved")


def test_an_agent_cannot_approve(lead, agent):
    version = write(lead, flag_kinds=[SCAM])
    services.version_publish(actor=lead, version=version)
    with pytest.raises(KnowledgeError, match="Only compliance reviewers"):
        services.version_review(actor=agent, version=version, decision="approved")


def test_changes_requested_need_a_note_and_block_publishing(lead, reviewer):
    version = write(lead, flag_kinds=[SCAM])
    services.version_publish(actor=lead, version=version)
    with pytest.raises(KnowledgeError, match="Say what needs to change"):
        services.version_review(actor=reviewer, version=version, decision="changes_requested")
    services.version_review(actor=reviewer, version=version, decision="changes_requested", note="Cite Reg E.")
    with pytest.raises(KnowledgeError, match="asked for changes"):
        services.version_publish(actor=lead, version=version)


def test_versions_are_numbered_and_never_change(lead, reviewer):
    first = published(lead, reviewer)
    second = services.version_create(
        actor=lead, document=first.document, draft=Draft(title="Scam handling", body="New text")
    )
    assert second.number == 2
    with pytest.raises(DatabaseError), transaction.atomic():
        DocumentVersion.objects.filter(pk=first.pk).update(body="rewritten")


def test_acknowledging_is_a_row_per_version_and_a_second_click_changes_nothing(lead, reviewer, agent):
    version = published(lead, reviewer)
    first = services.acknowledge(actor=agent, version=version)
    again = services.acknowledge(actor=agent, version=version)
    assert first.pk == again.pk
    assert Acknowledgement.objects.count() == 1


def test_acknowledging_a_superseded_version_is_refused(lead, reviewer, agent):
    old = published(lead, reviewer)
    new = services.version_create(actor=lead, document=old.document, draft=Draft(title="Scam handling", body="v2"))
    services.version_publish(actor=lead, version=new)
    with pytest.raises(KnowledgeError, match="superseded by v2"):
        services.acknowledge(actor=agent, version=old)
    assert not Acknowledgement.objects.exists()


def test_a_material_change_requires_acknowledging_again_and_tells_the_audience(lead, reviewer, agent):
    old = published(lead, reviewer, teams=[agent.teams.get()])
    services.acknowledge(actor=agent, version=old)
    minor = services.version_create(actor=lead, document=old.document, draft=Draft(title="Scam handling", body="typo"))
    services.version_publish(actor=lead, version=minor)
    assert Document.objects.get().required_number == 1
    material = services.version_create(
        actor=lead,
        document=old.document,
        draft=Draft(title="Scam handling", body="new rule", material_change=True, teams=[agent.teams.get()]),
    )
    services.version_publish(actor=lead, version=material)

    assert Document.objects.get().required_number == 3
    assert Notification.objects.filter(recipient=agent, title__startswith="Material change").exists()
    # The earlier record stays as it was.
    assert list(Acknowledgement.objects.values_list("version_number", flat=True)) == [1]


def test_a_reply_template_with_an_unknown_placeholder_is_refused(lead):
    with pytest.raises(KnowledgeError) as exc:
        write(lead, kind="macro", title="Hello", body="Hi {{ customer_first_name }}, about {{ account_balance }}.")
    assert "account_balance" in exc.value.problems["body"][0]
    assert not Document.objects.exists()


def test_one_customer_script_per_flag_kind(lead):
    draft = Draft(title="Scam script", body="Hello {{ customer_first_name }}.", flag_kinds=[SCAM])
    services.document_create(actor=lead, kind="macro", draft=draft, script_kind=SCAM)
    with pytest.raises(KnowledgeError) as exc:
        services.document_create(actor=lead, kind="macro", draft=draft, script_kind=SCAM)
    assert "already has a customer script" in exc.value.problems["script_kind"][0]


def test_a_script_must_be_linked_to_its_flag_kind(lead):
    with pytest.raises(KnowledgeError) as exc:
        services.document_create(actor=lead, kind="macro", draft=Draft(title="Script", body="Hello."), script_kind=SCAM)
    assert "flag_kinds" in exc.value.problems
