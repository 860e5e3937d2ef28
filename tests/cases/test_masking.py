"""What a masked value shows: enough to recognise the customer, not enough to misuse it."""

from __future__ import annotations

from datetime import date

import pytest

from cases.masking import mask_date_of_birth, mask_email, mask_tail


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("j@example.com", "j***@example.com"),
        ("not-an-address", "***"),
        ("", "***"),
        (None, "***"),
    ],
)
def test_it_masks_an_email_to_its_first_letter_and_domain(value, shown):
    assert mask_email(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [("+1 (415) 555-0142", "•••• 0142"), ("AB1234567", "•••• 4567"), ("12", "•••• 12"), ("", ""), (None, "")],
)
def test_it_masks_a_number_to_its_last_four(value, shown):
    assert mask_tail(value) == shown


def test_it_masks_a_date_of_birth_to_the_year():
    assert mask_date_of_birth(date(1961, 5, 17)) == "1961"
    assert mask_date_of_birth(None) == ""
