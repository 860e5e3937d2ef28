"""``manage.py seed_demo``: the demo a new user logs into, and the data the benchmarks run on."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from audit.selectors import audit_chain_verify
from cases.choices import OPEN_STATUSES, TRANSITIONS, EventKind, Status
from cases.demo import BENCH_EVENTS, BENCH_SUBJECT_PREFIX, DEMO_PASSWORD, PERSONA_USERNAMES
from cases.models import Case, CaseEvent, Customer
from people.models import Membership, Shift, Team, User

AS_OF = "2026-10-01T09:00:00+00:00"
AS_OF_AT = datetime(2026, 10, 1, 9, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def seed(cases=400, seed=7, **options):
    out = io.StringIO()
    call_command("seed_demo", cases=cases, seed=seed, as_of=AS_OF, stdout=out, **options)
    return out.getvalue()


def snapshot():
    return list(
        Case.objects.order_by("reference").values_list(
            "reference", "subject", "status", "priority", "channel", "category__code", "team__name",
            "assignee__username", "customer__account_number", "received_at",
        )
    )  # fmt: skip


def test_it_loads_the_cases_asked_for_with_the_organisation_and_its_people():
    output = seed()

    assert Case.objects.count() == 400
    assert Customer.objects.exists()
    assert Team.objects.count() >= 7
    assert User.objects.filter(role="agent").count() >= 60
    # Every agent works shifts in their own time zone.
    agents = User.objects.filter(role="agent")
    assert not agents.exclude(pk__in=Shift.objects.values("user")).exists()
    assert set(agents.values_list("time_zone", flat=True)) == {"Asia/Manila", "Asia/Kuala_Lumpur"}
    assert "Loaded 400 cases" in output
    assert "agent.manila" in output


def test_it_gives_every_persona_a_working_login_and_their_own_landing_page(client):
    seed(cases=50)

    landing = {}
    for username in PERSONA_USERNAMES:
        assert client.login(username=username, password=DEMO_PASSWORD), username
        landing[username] = client.get("/", follow=True).redirect_chain[-1][0]
        client.logout()

    assert landing["agent.manila"] == "/cases/mine/"
    assert landing["lead.us"] == "/cases/"
    assert Membership.objects.filter(user__username="agent.kl", team__name="Kuala Lumpur L1").exists()


def test_its_cases_mix_statuses_categories_channels_and_both_countries():
    seed()

    cases = Case.objects.all()
    assert {"closed", "resolved"} <= set(cases.values_list("status", flat=True))
    assert cases.filter(status__in=OPEN_STATUSES).exists()
    assert cases.values("category").distinct().count() >= 10
    assert cases.values("channel").distinct().count() >= 3
    assert cases.values("priority").distinct().count() == 4
    jurisdictions = set(Customer.objects.values_list("jurisdiction", flat=True))
    assert any(j.startswith("US-") for j in jurisdictions)
    assert any(j.startswith("AU-") for j in jurisdictions)
    assert cases.filter(reference__regex=r"^CS-20\d\d-\d{6}$").count() == 400


def test_its_timelines_stay_inside_the_year_and_follow_the_status_rules():
    seed()

    assert not Case.objects.filter(received_at__gt=AS_OF_AT).exists()
    assert not Case.objects.filter(received_at__lt=datetime(2025, 9, 30, tzinfo=UTC)).exists()
    events = defaultdict(list)
    for case_id, kind, data, at in CaseEvent.objects.order_by("created_at", "id").values_list(
        "case_id", "kind", "data", "created_at"
    ):
        events[case_id].append((kind, data, at))
    for case in Case.objects.all():
        timeline = events[case.pk]
        assert timeline, case.reference
        assert timeline[0][2] >= case.received_at, case.reference
        assert timeline[-1][2] <= AS_OF_AT, case.reference
        status = Status.NEW
        for kind, data, _ in timeline:
            if kind == EventKind.STATUS:
                assert data["from"] == status, case.reference
                assert data["to"] in TRANSITIONS[Status(status)], (case.reference, status, data["to"])
                status = data["to"]
        # The case row says where its own timeline ends.
        assert case.status == status, case.reference


def test_it_builds_the_long_case_the_benchmark_opens():
    seed()

    bench_case = Case.objects.get(subject__startswith=BENCH_SUBJECT_PREFIX)
    assert bench_case.events.count() == BENCH_EVENTS


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    seed(seed=11)
    first = snapshot()

    seed(seed=11, reset=True)
    assert snapshot() == first

    seed(seed=12, reset=True)
    assert snapshot() != first


def test_it_refuses_to_load_over_existing_cases_without_reset():
    seed(cases=30)

    with pytest.raises(CommandError, match="already has 30 cases"):
        seed(cases=30)
    assert Case.objects.count() == 30


def test_reset_replaces_the_cases_keeps_the_people_and_records_both_loads_in_the_ledger():
    seed(cases=30)
    people = set(User.objects.values_list("username", flat=True))

    seed(cases=60, reset=True)

    assert Case.objects.count() == 60
    assert set(User.objects.values_list("username", flat=True)) == people
    assert AuditEvent.objects.filter(action="demo.seed").count() == 2
    assert audit_chain_verify().first_broken_id is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cases": 0}, "--cases must be at least 1"),
        ({"as_of": "yesterday"}, "not an ISO 8601"),
        ({"as_of": "2999-01-01T00:00:00+00:00"}, "cannot be in the future"),
    ],
)
def test_it_refuses_bad_options_with_a_message_and_loads_nothing(options, message):
    arguments = {"cases": 10, "seed": 1, "as_of": AS_OF, "stdout": io.StringIO()} | options

    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", **arguments)
    assert not Case.objects.exists()
