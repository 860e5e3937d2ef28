"""The FIU is reached by referral, never by an escalation everyone on the case can read."""

from __future__ import annotations

import pytest

from escalations.errors import EscalationError
from escalations.forms import ESCALATION_TEAM_KINDS
from escalations.models import Escalation
from escalations.services import escalation_request
from people.choices import TeamKind
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_case_cannot_be_escalated_to_the_fiu(agent, case, reasons):
    fiu = TeamFactory(name="FIU", slug="fiu", kind=TeamKind.FIU)
    reason = next(iter(reasons.values()))

    with pytest.raises(EscalationError, match="Refer to the FIU"):
        escalation_request(actor=agent, case=case, to_team=fiu, reason=reason)

    assert not Escalation.objects.exists()
    assert TeamKind.FIU not in ESCALATION_TEAM_KINDS
