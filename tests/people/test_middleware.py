"""Every time is shown in the viewer's own zone during their request, and only then."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone

from people.middleware import UserTimezoneMiddleware
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _zone_during_request(user) -> str:
    seen = []

    def view(request):
        seen.append(timezone.get_current_timezone_name())
        return "response"

    request = RequestFactory().get("/")
    request.user = user
    assert UserTimezoneMiddleware(view)(request) == "response"
    return seen[0]


@pytest.mark.parametrize("zone", ["Asia/Manila", "America/New_York", "Australia/Sydney"])
def test_it_activates_the_viewers_time_zone_for_the_request(zone):
    assert _zone_during_request(UserFactory(time_zone=zone)) == zone


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", ""])
def test_it_falls_back_to_the_default_zone_for_one_it_cannot_use(zone):
    assert _zone_during_request(UserFactory(time_zone=zone)) == "UTC"


def test_it_uses_the_default_zone_for_an_anonymous_visitor():
    assert _zone_during_request(AnonymousUser()) == "UTC"


def test_it_restores_the_default_zone_after_the_request_even_if_it_fails():
    def failing_view(request):
        assert timezone.get_current_timezone_name() == "Asia/Manila"
        raise RuntimeError("view failed")

    request = RequestFactory().get("/")
    request.user = UserFactory(time_zone="Asia/Manila")

    with pytest.raises(RuntimeError):
        UserTimezoneMiddleware(failing_view)(request)

    assert timezone.get_current_timezone_name() == "UTC"
