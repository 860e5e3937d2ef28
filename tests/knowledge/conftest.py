from __future__ import annotations

import pytest

from compliance.choices import FlagKind
from knowledge import services
from knowledge.services import Draft
from people.choices import Role
from tests.factories import UserFactory


@pytest.fixture
def reviewer(db):
    return UserFactory(username="rita", first_name="Rita", last_name="Review", role=Role.COMPLIANCE)


def write(lead, *, title="Scam handling", body="1. Stop the transfer.\n2. Read the script.", kind="sop", **links):
    """A first draft of a document (``links``: flag_kinds, categories, jurisdictions, teams, ...)."""
    return services.document_create(actor=lead, kind=kind, draft=Draft(title=title, body=body, **links))


def published(lead, reviewer, **kwargs):
    """A document's first version, published (approved by ``reviewer`` when it needs it)."""
    version = write(lead, **kwargs)
    services.version_publish(actor=lead, version=version)
    if version.requires_approval:
        services.version_review(actor=reviewer, version=version, decision="approved")
    version.document.refresh_from_db()
    return version


SCAM = FlagKind.SCAM_FRAUD.value
