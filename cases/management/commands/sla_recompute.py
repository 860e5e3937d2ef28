"""Recompute SLA timers from their pinned policy and calendar versions, for an auditor.

    manage.py sla_recompute --case CS-2026-000123
    manage.py sla_recompute --from 2026-03-01 --to 2026-03-31

Prints one line per timer whose stored due time, paused minutes or outcome differs from the
recomputation, then a summary; exits with status 1 if any differ, so it can gate a report.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.models import Case, SlaTimer
from cases.sla import sla_timer_recompute


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date like 2026-03-01, not {value!r}.") from None


def _fmt(value: datetime) -> str:
    return value.astimezone(timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M:%S %Z")


class Command(BaseCommand):
    help = "Recompute SLA timers (one case, or those started in a date range) and report any that differ."

    def add_arguments(self, parser):
        parser.add_argument("--case", dest="reference", help="A case reference, e.g. CS-2026-000123.")
        parser.add_argument("--from", dest="date_from", help="First start date, YYYY-MM-DD (inclusive).")
        parser.add_argument("--to", dest="date_to", help="Last start date, YYYY-MM-DD (inclusive).")

    def handle(self, *args, reference=None, date_from=None, date_to=None, **options):
        timers = self._timers(reference=reference, date_from=date_from, date_to=date_to)
        now = timezone.now()
        checked = differing = 0
        # Timers of a year run to hundreds of thousands: stream them, pauses fetched per chunk.
        for timer in timers.iterator(chunk_size=1000):
            checked += 1
            line = self._check(timer, now=now)
            if line:
                differing += 1
                self.stdout.write(line)
        summary = f"Checked {checked} timer{'s' if checked != 1 else ''}: {differing} differ."
        if differing:
            self.stdout.write(self.style.ERROR(summary))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(summary))

    def _timers(self, *, reference, date_from, date_to):
        timers = (
            SlaTimer.objects.select_related("case", "calendar_version")
            .prefetch_related("pauses")
            .order_by("started_at", "id")
        )
        if reference:
            if date_from or date_to:
                raise CommandError("Give either --case or --from/--to, not both.")
            case = Case.objects.filter(reference=reference.strip().upper()).first()
            if case is None:
                raise CommandError(f"No case {reference!r}.")
            return timers.filter(case=case)
        if not (date_from and date_to):
            raise CommandError("Give --case CS-YYYY-NNNNNN, or both --from and --to (YYYY-MM-DD).")
        first, last = _day(date_from, "--from"), _day(date_to, "--to")
        if last < first:
            raise CommandError(f"--to ({last}) is before --from ({first}).")
        zone = timezone.get_default_timezone()
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        return timers.filter(started_at__gte=start, started_at__lt=end)

    def _check(self, timer: SlaTimer, *, now: datetime) -> str:
        label = f"{timer.case.reference} {timer.metric} (timer {timer.pk})"
        try:
            found = sla_timer_recompute(timer, timer.pauses.all(), now=now)
        except (ValueError, KeyError) as exc:
            return f"{label}: cannot recompute, its calendar version does not load: {exc}"
        if not found.differs:
            return ""
        parts = []
        if found.due_at != found.stored_due_at:
            parts.append(f"due {_fmt(found.stored_due_at)}, recomputed {_fmt(found.due_at)}")
        if found.paused_minutes != found.stored_paused_minutes:
            parts.append(f"paused {found.stored_paused_minutes} min, recomputed {found.paused_minutes} min")
        if found.outcome != found.stored_outcome:
            parts.append(f"outcome {found.stored_outcome}, recomputed {found.outcome}")
        return f"{label}: " + "; ".join(parts)
