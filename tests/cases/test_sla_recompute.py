"""``manage.py sla_recompute``: an auditor recomputes timers from their pinned versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from cases.choices import SlaMetric, Status
from cases.models import Case, SlaPause, SlaTimer
from cases.services import case_add_customer_message, case_add_message, case_change_status, case_create
from cases.sla_sweep import sla_sweep
from tests.factories import BusinessCalendarFactory, CategoryFactory, CustomerFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

FRIDAY_3PM_EDT = datetime(2026, 5, 22, 19, 0, tzinfo=UTC)


@pytest.fixture
def policy(db):
    calendar = BusinessCalendarFactory(
        time_zone="America/New_York",
        holiday_country="US",
        weekly_hours={str(day): [["09:00", "17:00"]] for day in range(5)},
    )
    return SlaPolicyFactory(
        version__calendar=calendar,
        version__first_response_minutes=60,
        version__next_response_minutes=120,
        version__resolution_minutes=480,
    )


def _at(when: datetime):
    return time_machine.travel(when, tick=False)


def _case(team, at: datetime = FRIDAY_3PM_EDT) -> Case:
    with _at(at):
        return case_create(
            actor=None,
            customer=CustomerFactory(),
            subject="Deposit missing",
            body="Where is my deposit?",
            channel="web",
            category=CategoryFactory(code="deposits"),
            team=team,
        )


def _history(team, agent) -> Case:
    """A case with a reply, a pause across Memorial Day, a customer answer and a resolution."""
    case = _case(team)
    with _at(FRIDAY_3PM_EDT + timedelta(minutes=20)):
        case_add_message(actor=agent, case=case, body="Please send the TX hash.", internal=False)
    with _at(FRIDAY_3PM_EDT + timedelta(minutes=30)):
        case_change_status(actor=agent, case=case, to_status=Status.PENDING_CUSTOMER, expected_version=None)
    with _at(datetime(2026, 5, 26, 14, 0, tzinfo=UTC)):
        case_add_customer_message(actor=None, case=case, body="0xabc")
    with _at(datetime(2026, 5, 26, 15, 0, tzinfo=UTC)):
        case_add_message(actor=agent, case=case, body="Found it, credited.", internal=False)
        case_change_status(actor=agent, case=case, to_status=Status.RESOLVED, expected_version=None)
    return case


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("sla_recompute", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_untouched_timers_recompute_to_what_is_stored(team, agent, policy):
    case = _history(team, agent)
    assert SlaTimer.objects.filter(case=case).count() == 3
    assert SlaPause.objects.get(timer__case=case).business_minutes == 150

    status, output = _run("--case", case.reference)

    assert (status, output.strip()) == (0, "Checked 3 timers: 0 differ.")


def test_a_breach_before_a_pause_stays_a_breach_when_recomputed(team, agent, policy):
    case = _case(team)
    # Nobody answers: the sweep breaches first response on Friday 16:01 EDT.
    assert sla_sweep(now=FRIDAY_3PM_EDT + timedelta(minutes=61)).breached == 1
    with _at(FRIDAY_3PM_EDT + timedelta(minutes=90)):
        case_change_status(actor=agent, case=case, to_status=Status.PENDING_CUSTOMER, expected_version=None)
    with _at(datetime(2026, 5, 26, 14, 0, tzinfo=UTC)):
        case_add_customer_message(actor=None, case=case, body="Hello?")
        case_add_message(actor=agent, case=case, body="Sorry for the wait.", internal=False)

    status, output = _run("--case", case.reference)

    assert (status, output.strip()) == (0, "Checked 2 timers: 0 differ.")


def test_a_tampered_due_time_is_reported_and_fails_the_run(team, agent, policy):
    case = _history(team, agent)
    resolution = SlaTimer.objects.get(case=case, metric=SlaMetric.RESOLUTION)
    # Someone "fixed" the figures by pushing the promise out by a day.
    SlaTimer.objects.filter(pk=resolution.pk).update(due_at=resolution.due_at + timedelta(days=1))

    status, output = _run("--case", case.reference.lower())

    assert status == 1
    # 480 + 150 paused business minutes from Friday 15:00 EDT: Wednesday 09:30 EDT. Still met
    # (resolved Tuesday), so only the due time differs.
    assert output.strip().splitlines() == [
        f"{case.reference} resolution (timer {resolution.pk}): "
        "due 2026-05-28 13:30:00 UTC, recomputed 2026-05-27 13:30:00 UTC",
        "Checked 3 timers: 1 differ.",
    ]


def test_a_tampered_pause_changes_the_figures_and_the_outcome(team, agent, policy):
    case = _history(team, agent)
    # The pause is stretched to look as if the customer took two more days to answer.
    pause = SlaPause.objects.get(timer__case=case)
    SlaPause.objects.filter(pk=pause.pk).update(started_at=pause.started_at - timedelta(days=4))

    status, output = _run("--case", case.reference)

    assert status == 1
    [line, summary] = output.strip().splitlines()
    assert line.startswith(f"{case.reference} resolution (timer ")
    # Monday 18 May 15:30 EDT to Tuesday 26 May 10:00 EDT: 90 + 4 x 480 + 60 business minutes.
    assert "paused 150 min, recomputed 2070 min" in line
    assert summary == "Checked 3 timers: 1 differ."


def test_a_date_range_checks_the_timers_started_in_it(team, agent, policy):
    _history(team, agent)
    _case(team, at=datetime(2026, 6, 2, 14, 0, tzinfo=UTC))
    _case(team, at=datetime(2026, 6, 3, 14, 0, tzinfo=UTC))

    assert _run("--from", "2026-06-01", "--to", "2026-06-02") == (0, "Checked 2 timers: 0 differ.\n")
    assert _run("--from", "2026-05-01", "--to", "2026-06-30")[1] == "Checked 7 timers: 0 differ.\n"
    assert _run("--from", "2026-07-01", "--to", "2026-07-31")[1] == "Checked 0 timers: 0 differ.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give --case CS-YYYY-NNNNNN, or both --from and --to"),
        (("--from", "2026-03-01"), "both --from and --to"),
        (("--case", "CS-2026-000001", "--from", "2026-03-01"), "either --case or --from/--to, not both"),
        (("--from", "01/03/2026", "--to", "2026-03-31"), "--from must be a date like 2026-03-01"),
        (("--from", "2026-03-31", "--to", "2026-03-01"), "--to (2026-03-01) is before --from (2026-03-31)"),
        (("--case", "CS-2026-999999"), "No case 'CS-2026-999999'"),
    ],
)
def test_bad_arguments_say_what_is_wrong(db, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("sla_recompute", *args, stdout=StringIO())
