from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from people.models import Membership, validate_time_zone
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone", ["UTC", "Asia/Manila", "Australia/Sydney", "America/Los_Angeles"])
def test_it_accepts_an_iana_time_zone(zone):
    validate_time_zone(zone)


@pytest.mark.parametrize("zone", ["PST", "Manila", "GMT+8x", ""])
def test_it_rejects_a_time_zone_that_is_not_iana(zone):
    with pytest.raises(ValidationError, match="is not a known IANA time zone"):
        validate_time_zone(zone)


def test_it_rejects_an_unknown_time_zone_when_a_user_is_validated():
    user = UserFactory.build(username="zed", time_zone="Moon/Base")

    with pytest.raises(ValidationError) as raised:
        user.full_clean()

    assert "time_zone" in raised.value.message_dict


def test_it_refuses_a_role_that_does_not_exist_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(role="superuser")


def test_it_refuses_a_team_kind_that_does_not_exist_in_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(kind="marketing")


def test_it_makes_a_person_a_member_of_a_team_only_once(agent, team):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=agent, team=team)


def test_it_shows_a_person_by_full_name_or_username():
    assert str(UserFactory.build(first_name="Ana", last_name="Reyes")) == "Ana Reyes"
    assert str(UserFactory.build(username="svc-intake", first_name="", last_name="")) == "svc-intake"
