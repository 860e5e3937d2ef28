"""Import a CFPB Consumer Complaint Database export: ``manage.py import_cfpb complaints.csv``.

Prints one line per row that was not simply created (rejected, updated, unchanged) and a summary;
``--verbose`` prints the created ones too. Exits non-zero only when the file itself is refused.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from intake.cfpb import CfpbFileError, cfpb_import_file
from people.models import Team, User


class Command(BaseCommand):
    help = "Import regulator complaints from a CFPB complaints.csv export (idempotent on Complaint ID)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--team", help="Slug of one of the import service account's teams (default: its first).")
        parser.add_argument("--by", help="Username of the person running the import (for the audit ledger).")
        parser.add_argument("--verbose", action="store_true", help="Also list the rows that were created.")

    def handle(self, *args, path: Path, team=None, by=None, verbose=False, **options):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        chosen = None
        if team:
            chosen = Team.objects.filter(slug=team).first()
            if chosen is None:
                raise CommandError(f"No team has the slug {team!r}.")
        actor = User.objects.filter(username=by).first() if by else None
        if by and actor is None:
            raise CommandError(f"No user {by!r}.")
        try:
            run = cfpb_import_file(actor=actor, filename=path.name, raw=raw, team=chosen)
        except CfpbFileError as exc:
            raise CommandError(exc.message) from exc
        for row in run.report:
            if verbose or row["outcome"] != "created":
                self.stdout.write(
                    f"line {row['line']}\t{row['complaint_id']}\t{row['outcome']}\t{row['case']}\t{row['reason']}"
                )
        self.stdout.write(
            f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, {run.rejected} rejected "
            f"({len(run.report)} rows)."
        )
