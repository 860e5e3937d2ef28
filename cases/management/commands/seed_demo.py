"""Load deterministic demo data: the organisation, its personas, customers and a year of cases.

Bulk loading bypasses the case services on purpose: a service call per event would take hours
for a million cases, and the timelines it writes are history that already happened, not
changes anyone is making now. What the services guarantee is kept by construction instead
(model constraints hold, transitions follow the table, events never predate receipt or
postdate ``--as-of``), and the load itself is recorded with one audit event.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from audit.services import audit_record
from cases.demo import (
    BENCH_EVENTS,
    CASE_COLUMNS,
    CUSTOMER_COLUMNS,
    DEMO_PASSWORD,
    EVENT_COLUMNS,
    PERSONA_USERNAMES,
    STAFF_EMAIL_DOMAIN,
    TEAMS,
    DemoGenerator,
    Org,
    staff_roster,
)
from cases.models import Case, CaseEvent, CaseReferenceCounter, Category, Customer
from people.models import BusinessCalendar, Membership, Shift, Team, User

# A fixed salt keeps the load deterministic; long enough that Django does not ask to rehash it.
FIXED_SALT = "escalationDeskDemoSalt"
CHUNK_CASES = 20_000


class Command(BaseCommand):
    help = (
        "Load deterministic demo data: teams, calendars, the personas (password "
        f"'{DEMO_PASSWORD}', demo data only) and ~60 colleagues, customers, and --cases cases with "
        "timelines over the 12 months before --as-of. Same --seed and --as-of give the same data. "
        "Refuses if the database already has cases or persona accounts. --reset first deletes ALL "
        "cases, timelines, customers and reference counters (TRUNCATE ... CASCADE on PostgreSQL, so "
        "rows of other apps that point at cases go too; the audit ledger is kept), then updates the "
        "demo staff in place. To start completely clean, drop and re-create the database instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=5000, help="How many cases to load (default 5000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete every case, timeline and customer first (see above), then load.",
        )
        parser.add_argument(
            "--as-of",
            help="The 'now' of the data, ISO 8601 (default: the start of the current hour, UTC).",
        )

    def handle(self, *args, cases: int, seed: int, reset: bool, as_of: str | None, **options):
        started = time.monotonic()
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        as_of_at = self._as_of(as_of)
        existing_cases = Case.objects.count()
        existing_personas = list(User.objects.filter(username__in=PERSONA_USERNAMES).values_list("username", flat=True))
        if (existing_cases or Customer.objects.exists() or existing_personas) and not reset:
            found = f"{existing_cases:,} cases" if existing_cases else "customers"
            if existing_personas:
                found += f" and persona accounts ({', '.join(sorted(existing_personas))})"
            raise CommandError(
                f"This database already has {found}. Run again with --reset to replace all cases and "
                "customers with fresh demo data, or load into a new database."
            )

        verbose = options["verbosity"] >= 2
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys at the end of each COPY, not all at commit: the deferred
                # queue for millions of rows would otherwise sit in server memory.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if reset:
                self._flush_cases()
            org = self._write_org()
            generator = DemoGenerator(
                seed=seed,
                cases=cases,
                as_of=as_of_at,
                org=org,
                reopen_window_days=settings.CASE_REOPEN_WINDOW.days,
            )
            writer = _writer()
            plan = generator.plan()
            customer_rows = generator.customers(plan)
            writer.write(Customer, CUSTOMER_COLUMNS, customer_rows)
            if not writer.sets_created_at:
                # bulk_create stamps auto_now_add with the load time; the record dates from the account.
                Customer.objects.update(created_at=F("account_opened_at"))
            counters = dict(CaseReferenceCounter.objects.values_list("year", "last_number"))
            n_cases = n_events = 0
            for case_rows, event_rows in generator.cases(plan, reference_start=counters, chunk=CHUNK_CASES):
                writer.write(Case, CASE_COLUMNS, case_rows)
                writer.write(CaseEvent, EVENT_COLUMNS, event_rows)
                n_cases += len(case_rows)
                n_events += len(event_rows)
                if verbose:
                    self.stdout.write(f"  {n_cases:,} cases, {n_events:,} events ({time.monotonic() - started:.1f} s)")
            for year, last_number in generator.reference_end.items():
                CaseReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last_number})
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Case, CaseEvent]):
                    cursor.execute(sql)
            summary = {
                "seed": seed,
                "as_of": as_of_at.isoformat(),
                "reset": reset,
                "customers": len(customer_rows),
                "cases": n_cases,
                "events": n_events,
                "staff": len(org.staff),
                "teams": len(org.team_ids),
                "bench_case": generator.bench_reference,
            }
            audit_record(actor=None, action="demo.seed", object_type="system", object_id="seed_demo", after=summary)
        self._analyze()
        self._print_summary(summary, org, time.monotonic() - started)

    def _as_of(self, raw: str | None) -> datetime:
        now = timezone.now()
        if not raw:
            return now.replace(minute=0, second=0, microsecond=0)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise CommandError(f"--as-of {raw!r} is not an ISO 8601 date-time.") from exc
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        if value > now:
            raise CommandError("--as-of cannot be in the future: cases would be received after now.")
        return value

    def _flush_cases(self) -> None:
        """Empty the case tables. Row triggers make the timeline undeletable, TRUNCATE is not a row delete."""
        tables = [m._meta.db_table for m in (CaseEvent, Case, Customer, CaseReferenceCounter)]
        statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def _write_org(self) -> Org:
        team_ids = {}
        for spec in TEAMS:
            calendar, _ = BusinessCalendar.objects.update_or_create(
                name=f"{spec.name} hours",
                defaults={
                    "time_zone": spec.time_zone,
                    "holiday_country": spec.holiday_country,
                    "holiday_subdivision": spec.holiday_subdivision,
                    "weekly_hours": spec.weekly_hours,
                },
            )
            team, _ = Team.objects.update_or_create(
                name=spec.name,
                defaults={"slug": spec.slug, "kind": spec.kind, "time_zone": spec.time_zone, "calendar": calendar},
            )
            team_ids[spec.name] = team.pk

        staff = staff_roster()
        password = make_password(DEMO_PASSWORD, salt=FIXED_SALT)
        existing = {u.username: u for u in User.objects.filter(username__in=[s.username for s in staff])}
        new_users = []
        for spec in staff:
            fields = {
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": f"{spec.username}@{STAFF_EMAIL_DOMAIN}",
                "role": spec.role,
                "time_zone": spec.time_zone,
                "languages": spec.languages,
                "is_staff": spec.is_staff,
                "is_superuser": spec.is_superuser,
                "is_active": True,
                "password": password,
            }
            user = existing.get(spec.username)
            if user is None:
                new_users.append(User(username=spec.username, **fields))
            else:
                for name, value in fields.items():
                    setattr(user, name, value)
                user.save(update_fields=list(fields))
        User.objects.bulk_create(new_users)
        user_ids = dict(User.objects.filter(username__in=[s.username for s in staff]).values_list("username", "id"))

        # Memberships and shifts are the roster's own: replace them wholesale.
        Membership.objects.filter(user_id__in=user_ids.values()).delete()
        Shift.objects.filter(user_id__in=user_ids.values()).delete()
        Membership.objects.bulk_create(
            Membership(user_id=user_ids[spec.username], team_id=team_ids[team]) for spec in staff for team in spec.teams
        )
        Shift.objects.bulk_create(
            Shift(user_id=user_ids[spec.username], weekday=weekday, starts_at=starts_at, ends_at=ends_at)
            for spec in staff
            for weekday, starts_at, ends_at in spec.shifts
        )
        category_ids = dict(Category.objects.values_list("code", "id"))
        return Org(team_ids=team_ids, category_ids=category_ids, user_ids=user_ids, staff=staff)

    def _analyze(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Customer, Case, CaseEvent))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # Fresh statistics for the planner and a visibility map for index-only scans,
                # rather than waiting for autovacuum to notice the load.
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {tables}")
            else:
                cursor.execute("ANALYZE")

    def _print_summary(self, summary: dict, org: Org, seconds: float) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Loaded {summary['cases']:,} cases, {summary['events']:,} timeline events and "
                f"{summary['customers']:,} customers for {summary['staff']} staff in {summary['teams']} teams "
                f"in {seconds:.1f} s (seed {summary['seed']}, as of {summary['as_of']})."
            )
        )
        by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
        out.write("Cases by status: " + ", ".join(f"{status} {n:,}" for status, n in sorted(by_status.items())))
        out.write(f"Benchmark case ({BENCH_EVENTS} events): {summary['bench_case']}")
        out.write(f"\nPersonas (password '{DEMO_PASSWORD}', demo data only):")
        rows = [("username", "role", "teams")]
        for spec in org.staff:
            if spec.username in PERSONA_USERNAMES:
                rows.append((spec.username, spec.role, ", ".join(spec.teams) or "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for username, role, teams in rows:
            out.write(f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {teams}")


# --- Writers ------------------------------------------------------------------------------------

_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_DAY = 86_400


def _writer():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # psycopg2 has copy_expert; another driver gets the portable path.
            if hasattr(cursor.cursor, "copy_expert"):
                return _CopyWriter()
    return _BulkCreateWriter()


class _CopyWriter:
    """COPY ... FROM STDIN in PostgreSQL's text format: several times faster than INSERTs."""

    sets_created_at = True

    def __init__(self):
        self._days: dict[int, str] = {}
        self._converters = {
            "int": lambda v: _NULL if v is None else str(v),
            "text": lambda v: _NULL if v is None else str(v).translate(_COPY_ESCAPES),
            "bool": lambda v: "t" if v else "f",
            "date": lambda v: _NULL if v is None else v.isoformat(),
            "datetime": self._timestamp,
            "json": lambda v: json.dumps(v, ensure_ascii=False).translate(_COPY_ESCAPES),
        }

    def _timestamp(self, ts: int | None) -> str:
        if ts is None:
            return _NULL
        # Formatting the date part once per day keeps this out of the profile.
        day, seconds = divmod(ts, _DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = datetime.fromtimestamp(day * _DAY, UTC).strftime("%Y-%m-%d ")
        hours, rest = divmod(seconds, 3600)
        return f"{prefix}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}+00"

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        if not rows:
            return
        converters = [self._converters[_kind(model, column)] for column in columns]
        buffer = io.StringIO()
        buffer.writelines(
            "\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + "\n" for row in rows
        )
        buffer.seek(0)
        quote = connection.ops.quote_name
        sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)


class _BulkCreateWriter:
    """Model instances through bulk_create: the portable path (SQLite, the quickstart)."""

    sets_created_at = False

    def write(self, model, columns: list[str], rows: list[tuple]) -> None:
        kinds = [_kind(model, column) for column in columns]
        objects = []
        for row in rows:
            values = {}
            for column, kind, value in zip(columns, kinds, row, strict=True):
                if kind == "datetime" and value is not None:
                    value = datetime.fromtimestamp(value, UTC)
                values[column] = value
            objects.append(model(**values))
        model.objects.bulk_create(objects, batch_size=2000)


def _kind(model, column: str) -> str:
    field = next(f for f in model._meta.concrete_fields if f.attname == column)
    internal = field.get_internal_type()
    if internal in ("DateTimeField",):
        return "datetime"
    if internal == "DateField":
        return "date"
    if internal == "BooleanField":
        return "bool"
    if internal == "JSONField":
        return "json"
    if field.is_relation or "Integer" in internal or "AutoField" in internal:
        return "int"
    return "text"
