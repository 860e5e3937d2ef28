"""List open regulatory obligations with their due dates and state, for audits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from compliance.models import Obligation


class Command(BaseCommand):
    help = "List every open regulatory obligation (due before --due-before, if given) with its state."

    def add_arguments(self, parser):
        parser.add_argument("--due-before", help="Only obligations due before this date (YYYY-MM-DD), UTC.")

    def handle(self, *args, due_before: str | None, **options):
        now = timezone.now()
        qs = Obligation.objects.filter(satisfied_at__isnull=True).select_related("case").order_by("due_at", "id")
        if due_before:
            try:
                day = date.fromisoformat(due_before)
            except ValueError as exc:
                raise CommandError(f"--due-before {due_before!r} is not a date (YYYY-MM-DD).") from exc
            qs = qs.filter(due_at__lt=datetime.combine(day, time(0), tzinfo=UTC))
        count = 0
        for obligation in qs.iterator():
            state = "breached" if obligation.due_at <= now else ("due soon" if obligation.warned_at else "open")
            self.stdout.write(
                f"{obligation.case.reference}\t{obligation.rule_code}\t{obligation.due_at:%Y-%m-%d %H:%M} UTC\t"
                f"{state}\t{obligation.citation}"
            )
            count += 1
        self.stdout.write(self.style.SUCCESS(f"{count} open obligation{'s' if count != 1 else ''}."))
