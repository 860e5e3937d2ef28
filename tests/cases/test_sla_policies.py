"""SLA policy service: what it refuses, the versions it writes, the order it keeps."""

from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction

from audit.models import AuditEvent
from cases.models import SlaPolicy, SlaPolicyVersion
from cases.sla_policies import sla_policy_move, sla_policy_save, sla_policy_set_active
from tests.factories import BusinessCalendarFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def save(actor, policy=None, **changes):
    values = {
        "name": "Urgent chat",
        "position": None,
        "is_active": True,
        "conditions": {"priority": ["urgent"], "channel": ["chat"]},
        "calendar": None,
        "first_response_minutes": 30,
        "next_response_minutes": None,
        "resolution_minutes": 480,
        "warn_percent": 80,
        "warn_minutes_before": None,
        "breach_raise_priority": False,
        "breach_escalate": True,
        "change_note": "",
    }
    return sla_policy_save(actor=actor, policy=policy, **(values | changes))


def problems(actor, policy=None, **changes) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        save(actor, policy, **changes)
    return caught.value.message_dict


# --- saving and versions ---------------------------------------------------------------------


def test_it_creates_a_policy_with_its_first_version(lead):
    calendar = BusinessCalendarFactory()

    policy = save(lead, calendar=calendar, change_note="Launch targets")

    version = policy.current_version
    assert version.number == 1
    assert version.policy == policy
    assert version.conditions == {"channel": ["chat"], "priority": ["urgent"]}
    assert version.calendar == calendar
    assert (version.first_response_minutes, version.resolution_minutes) == (30, 480)
    assert version.created_by == lead
    assert version.change_note == "Launch targets"


def test_every_save_writes_the_next_version_and_keeps_the_old_one_as_it_was(lead):
    policy = save(lead)
    first = policy.current_version

    policy = save(lead, policy, first_response_minutes=20, change_note="Tighter chat promise")

    assert policy.current_version.number == 2
    assert policy.current_version.first_response_minutes == 20
    first.refresh_from_db()
    assert first.first_response_minutes == 30
    assert list(policy.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_the_database_refuses_to_edit_a_version(lead):
    version = save(lead).current_version

    with pytest.raises(DatabaseError), transaction.atomic():
        SlaPolicyVersion.objects.filter(pk=version.pk).update(first_response_minutes=1)


def test_it_records_before_and_after_in_the_audit_ledger(lead):
    policy = save(lead)
    save(lead, policy, resolution_minutes=240)

    created, edited = AuditEvent.objects.filter(action="sla_policy.save").order_by("id")
    assert created.before is None
    assert created.after["version"]["number"] == 1
    assert edited.before["version"]["resolution_minutes"] == 480
    assert edited.after["version"]["resolution_minutes"] == 240
    assert edited.actor == lead


def test_it_stores_conditions_in_one_shape(lead):
    policy = save(lead, conditions={"priority": ["urgent", "high", "urgent"], "tier": [], "channel": None})

    assert policy.current_version.conditions == {"priority": ["high", "urgent"]}


def test_new_policies_go_last_in_the_order(lead):
    first = save(lead, name="One")
    second = save(lead, name="Two")

    assert second.position > first.position


# --- what it refuses -------------------------------------------------------------------------


def test_it_refuses_a_policy_without_a_name(lead):
    assert "name" in problems(lead, name="   ")
    assert not SlaPolicy.objects.exists()


def test_it_refuses_a_second_policy_with_the_same_name(lead):
    save(lead, name="Urgent chat")

    assert problems(lead, name="urgent CHAT")["name"] == ["A policy called 'urgent CHAT' exists already."]
    assert SlaPolicy.objects.count() == 1


def test_renaming_a_policy_to_its_own_name_is_fine(lead):
    policy = save(lead)

    assert save(lead, policy, name="Urgent chat").current_version.number == 2


@pytest.mark.parametrize("field", ["first_response_minutes", "next_response_minutes", "resolution_minutes"])
@pytest.mark.parametrize("value", [0, -15])
def test_it_refuses_a_target_that_is_not_positive(lead, field, value):
    assert field in problems(lead, **{field: value})
    assert not SlaPolicyVersion.objects.exists()


def test_it_refuses_a_policy_that_measures_nothing(lead):
    found = problems(lead, first_response_minutes=None, resolution_minutes=None)

    assert found[NON_FIELD_ERRORS] == ["Set at least one target: first response, next response or resolution."]


@pytest.mark.parametrize("value", [0, 100, 150])
def test_it_refuses_a_warning_share_outside_1_to_99(lead, value):
    assert "warn_percent" in problems(lead, warn_percent=value)


def test_it_refuses_a_warning_as_long_as_the_smallest_target(lead):
    found = problems(lead, first_response_minutes=30, resolution_minutes=480, warn_minutes_before=30)

    assert "smallest target" in found["warn_minutes_before"][0]
    assert save(lead, warn_minutes_before=29).current_version.warn_minutes_before == 29


def test_it_refuses_a_condition_on_something_a_case_does_not_have(lead):
    found = problems(lead, conditions={"colour": ["red"]})

    assert found["conditions"] == ["'colour' is not something a policy can match on; use "
                                   "priority, category, tier, channel, jurisdiction, team."]  # fmt: skip


def test_it_refuses_conditions_that_would_match_nothing(lead, team):
    found = problems(lead, conditions={"category": ["no-such-category"], "team": ["nowhere"]})

    assert found["conditions"] == [
        "Category: no-such-category is not known, so this policy would match nothing.",
        "Team: nowhere is not known, so this policy would match nothing.",
    ]


def test_it_refuses_an_unknown_value_next_to_known_ones(lead, team):
    found = problems(lead, conditions={"priority": ["urgent", "critical"], "team": [team.slug]})

    assert found["conditions"] == ["Priority: critical is not known."]


def test_it_refuses_a_category_that_is_no_longer_offered(lead):
    retired = CategoryFactory(code="retired-product")
    retired.is_active = False
    retired.save()

    assert "conditions" in problems(lead, conditions={"category": ["retired-product"]})


def test_it_accepts_every_kind_of_condition(lead, team):
    conditions = {
        "priority": ["urgent"],
        "category": ["withdrawals"],
        "tier": ["vip"],
        "channel": ["chat", "phone"],
        "jurisdiction": ["US-CA", "AU-NSW"],
        "team": [team.slug],
    }

    policy = save(lead, conditions=conditions)

    assert policy.current_version.conditions == {key: sorted(value) for key, value in conditions.items()}


# --- order and switching ---------------------------------------------------------------------


def test_moving_a_policy_swaps_it_with_its_neighbour(lead):
    one, two, three = (save(lead, name=name) for name in ("One", "Two", "Three"))

    sla_policy_move(actor=lead, policy=three, direction="up")

    assert list(SlaPolicy.objects.order_by("position").values_list("name", flat=True)) == ["One", "Three", "Two"]
    sla_policy_move(actor=lead, policy=one, direction="down")
    assert list(SlaPolicy.objects.order_by("position").values_list("name", flat=True)) == ["Three", "One", "Two"]
    assert AuditEvent.objects.filter(action="sla_policy.move").count() == 2


def test_moving_the_first_policy_up_changes_nothing(lead):
    one = save(lead, name="One")
    save(lead, name="Two")

    sla_policy_move(actor=lead, policy=one, direction="up")

    assert list(SlaPolicy.objects.order_by("position").values_list("name", flat=True)) == ["One", "Two"]
    assert not AuditEvent.objects.filter(action="sla_policy.move").exists()


def test_switching_a_policy_off_writes_no_version(lead):
    policy = save(lead)

    sla_policy_set_active(actor=lead, policy=policy, is_active=False)

    policy.refresh_from_db()
    assert policy.is_active is False
    assert policy.versions.count() == 1
    assert AuditEvent.objects.filter(action="sla_policy.deactivate").count() == 1


# --- the Django admin goes through the same service ------------------------------------------


@pytest.fixture
def admin_client(client_for):
    from people.choices import Role
    from tests.factories import UserFactory

    return client_for(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))


def admin_post(**changes) -> dict:
    data = {
        "name": "Urgent chat",
        "position": "0",
        "is_active": "on",
        "conditions": '{"priority": ["urgent"]}',
        "calendar": "",
        "first_response_minutes": "30",
        "next_response_minutes": "",
        "resolution_minutes": "480",
        "warn_percent": "80",
        "warn_minutes_before": "",
        "change_note": "From the admin",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    return data | changes


def test_the_admin_creates_and_edits_a_policy_through_the_service(admin_client):
    response = admin_client.post("/admin/cases/slapolicy/add/", admin_post())

    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Urgent chat")
    assert policy.current_version.number == 1
    assert policy.current_version.conditions == {"priority": ["urgent"]}
    assert policy.current_version.change_note == "From the admin"

    page = admin_client.get(f"/admin/cases/slapolicy/{policy.pk}/change/").content.decode()
    assert 'name="resolution_minutes" value="480"' in page
    admin_client.post(f"/admin/cases/slapolicy/{policy.pk}/change/", admin_post(resolution_minutes="240"))

    policy.refresh_from_db()
    assert policy.current_version.number == 2
    assert policy.current_version.resolution_minutes == 240
    assert AuditEvent.objects.filter(action="sla_policy.save").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_response_minutes": "0"}, "first_response_minutes"),
        ({"warn_minutes_before": "30"}, "warn_minutes_before"),
        ({"conditions": '{"team": ["atlantis"]}'}, "conditions"),
    ],
)
def test_the_admin_shows_the_services_refusals_on_their_fields(admin_client, changes, field):
    response = admin_client.post("/admin/cases/slapolicy/add/", admin_post(**changes))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not SlaPolicy.objects.exists()


def test_the_admin_cannot_delete_a_policy_or_edit_its_versions(admin_client, lead):
    policy = save(lead)

    assert admin_client.get(f"/admin/cases/slapolicy/{policy.pk}/delete/").status_code == 403
    page = admin_client.get(f"/admin/cases/slapolicy/{policy.pk}/change/").content.decode()
    assert 'name="versions-0-first_response_minutes"' not in page
