from __future__ import annotations

import pytest

from tests.factories import CaseFactory, CategoryFactory, CustomerFactory

EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0142"
# Every form in which the full values could leak onto a page.
UNMASKED = [EMAIL, "jane.doe", "555 0142", "5550142", "1961-05-17", "May 17", "17 May", "05/17/1961"]


@pytest.fixture
def jane(db):
    from datetime import date

    return CustomerFactory(
        full_name="Jane Doe",
        email=EMAIL,
        phone=PHONE,
        date_of_birth=date(1961, 5, 17),
        government_id_last4="6789",
        account_number="AC77000001",
    )


@pytest.fixture
def jane_case(team, jane, agent):
    return CaseFactory(team=team, customer=jane, assignee=agent, subject="Withdrawal stuck after 2FA reset")


@pytest.fixture
def kyc_case(team, jane, agent):
    return CaseFactory(
        team=team, customer=jane, assignee=agent, subject="ID check for limits", category=CategoryFactory(code="kyc")
    )


def assert_masked(content: bytes) -> None:
    html = content.decode()
    for value in UNMASKED:
        assert value not in html, f"unmasked {value!r} on the page"
