from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from cases.models import Case
from compliance.restricted import referral_create
from knowledge.models import DocumentVersion
from painpoints.choices import Chain, IdentifierKind, IdentifierSource
from painpoints.models import CaseIdentifier, PainPoint
from painpoints.services import pain_point_create
from people.choices import Role, TeamKind
from tests.factories import CaseFactory, CustomerFactory, TeamFactory, UserFactory

# The real-worker fixtures (a celery worker process, the producer on the test Redis db).
from tests.integration.conftest import redis_producer, worker_factory  # noqa: F401
from tests.knowledge.conftest import published, reviewer  # noqa: F401 - the fixture is used below

SCAM_WALLET = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
SCAM_SITE = "coinbase-support-help.com"
ANSWER = (
    "Hello {{ customer_first_name }}, the fake support number on social media has been taken down "
    "({{ case_reference }})."
)


def tag(case: Case, kind: str, value: str, chain: str = "") -> CaseIdentifier:
    return CaseIdentifier.objects.create(
        case=case, kind=kind, chain=chain, value=value.lower() if kind != IdentifierKind.BANK_ACCOUNT else value,
        display=value, verified=True, source=IdentifierSource.AGENT, added_at=timezone.now(),
    )  # fmt: skip


@dataclass
class Wave:
    victims: list[Case]
    outsider_case: Case
    referred: Case
    second_hop: Case
    unrelated: Case
    pain_point: PainPoint
    answer: DocumentVersion
    extra: dict = field(default_factory=dict)


@pytest.fixture
def fraud_team(db):
    return TeamFactory(name="Fraud & scam", slug="fraud", kind=TeamKind.FRAUD)


@pytest.fixture
def fraud_specialist(fraud_team):
    return UserFactory(username="fay", first_name="Fay", last_name="Fraud", role=Role.SPECIALIST, teams=[fraud_team])


@pytest.fixture
def wave(team, other_team, lead, agent, reviewer, fraud_team) -> Wave:  # noqa: F811
    """Six victims of one scam wallet in the lead's team (US and AU), one more in a team the lead
    does not lead, one referred to the FIU, one case two hops out (shares a website with a
    victim), and an unrelated case."""
    victims = []
    for i, place in enumerate(["US-CA", "US-NY", "AU-NSW", "AU-VIC", "US-TX", "AU-QLD"]):
        customer = CustomerFactory(full_name=f"Victim{i} Person", jurisdiction=place)
        case = CaseFactory(team=team, customer=customer, subject=f"Sent USDT to support agent {i}")
        tag(case, IdentifierKind.WALLET, SCAM_WALLET, Chain.ETH)
        victims.append(case)
    tag(victims[0], IdentifierKind.WEBSITE, SCAM_SITE)
    outsider_case = CaseFactory(team=other_team, subject="Paid the fake support desk")
    tag(outsider_case, IdentifierKind.WALLET, SCAM_WALLET, Chain.ETH)
    referred = CaseFactory(team=team, subject="Large transfers to support wallet")
    tag(referred, IdentifierKind.WALLET, SCAM_WALLET, Chain.ETH)
    referral_create(actor=agent, case=referred, reason="Possible mule")
    second_hop = CaseFactory(team=team, subject="Website asked for my seed phrase")
    tag(second_hop, IdentifierKind.WEBSITE, SCAM_SITE)
    unrelated = CaseFactory(team=team, subject="Card declined")
    tag(unrelated, IdentifierKind.CARD_BIN, "411111")
    pain_point = pain_point_create(actor=lead, title="Scam wave: fake support number", owner_team=fraud_team)
    answer = published(lead, reviewer, title="Scam wave closed", body=ANSWER, kind="macro")
    return Wave(victims, outsider_case, referred, second_hop, unrelated, pain_point, answer)
