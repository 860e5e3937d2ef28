"""Recompute the dashboard's rollups: hourly and daily from the facts, daily of escalation hops
(and, with ``--facts``, every case's facts from the source tables first): after a bulk load, a
restore or a change of definitions."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from metrics.daily import daily_rebuild
from metrics.facts import facts_rebuild
from metrics.hops import hops_rebuild
from metrics.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the dashboard rollup from the facts (--facts: the facts from the cases first)."

    def add_arguments(self, parser):
        parser.add_argument("--facts", action="store_true", help="recompute every case's facts first")

    def handle(self, *args, facts: bool = False, **options):
        started = time.monotonic()
        if facts:
            # facts_rebuild recomputes the rollup itself once every fact is written.
            written = facts_rebuild()
            self.stdout.write(f"Facts of {written} cases recomputed, and the rollups from them.")
        else:
            rows = rollup_rebuild()
            self.stdout.write(f"Hourly rollup recomputed: {rows} rows.")
            rows = hops_rebuild()
            self.stdout.write(f"Daily rollup of escalation hops recomputed: {rows} rows.")
            rows = daily_rebuild()
            self.stdout.write(f"Daily rollup of resolution and first response recomputed: {rows} rows.")
        self.stdout.write(f"Took {time.monotonic() - started:.1f} s.")
