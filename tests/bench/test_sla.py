"""``bench/sla.py``: its sweep ticks measure what they say and leave the data as they found it."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from bench.sla import open_share_figures, tick_due, tick_idle
from cases.choices import OPEN_STATUSES, EventKind
from cases.models import Case, CaseEvent, SlaTimer
from people.models import Notification

AS_OF = datetime(2026, 10, 1, 9, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("seed_demo", cases=600, seed=3, backlog=0.1, as_of=AS_OF.isoformat(), stdout=io.StringIO())


def state():
    timers = list(SlaTimer.objects.order_by("id").values_list("id", "due_at", "warned_at", "breached_at", "paused_at"))
    cases = list(Case.objects.order_by("id").values_list("id", "priority", "version", "updated_at", "sla_due_at"))
    return timers, cases, Notification.objects.count()


def figure(figures, name):
    return next(f.value for f in figures if f.name == name)


def test_the_benchmark_load_keeps_a_tenth_of_cases_open_on_running_clocks(loaded):
    figures = open_share_figures()

    assert 8 <= figure(figures, "open_cases_share") <= 15
    assert figure(figures, "open_cases_on_running_timers") == Case.objects.filter(status__in=OPEN_STATUSES).count()


def test_an_idle_tick_at_the_load_time_finds_nothing_and_a_later_one_is_refused(loaded):
    figures = tick_idle(AS_OF, runs=3)

    assert figure(figures, "sweep_idle_median_ms") > 0
    with pytest.raises(SystemExit, match="still found work"):
        tick_idle(datetime(2026, 10, 9, tzinfo=UTC), runs=1)


def test_a_due_tick_breaches_the_timers_it_made_due_each_run_and_puts_them_back(loaded):
    before = state()
    breaches = CaseEvent.objects.filter(kind=EventKind.SLA, data__event="breached").count()

    figures = tick_due(AS_OF, due=40, runs=2)

    assert figure(figures, "sweep_due_40_batches") == 1
    assert figure(figures, "sweep_due_40_queries") > 0
    # Three sweeps (one counting queries, two timed), forty breaches each, on the timeline.
    assert CaseEvent.objects.filter(kind=EventKind.SLA, data__event="breached").count() == breaches + 3 * 40
    assert state() == before
