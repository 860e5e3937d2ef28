"""Load deterministic demo data: the organisation, its personas, customers and a year of cases.

Bulk loading bypasses the case services on purpose: a service call per event would take hours
for a million cases, and the timelines it writes are history that already happened, not
changes anyone is making now. What the services guarantee is kept by construction instead
(model constraints hold, transitions follow the table, events never predate receipt or
postdate ``--as-of``, SLA timers are what ``cases.sla`` and its sweep would have made of each
timeline), and the load itself is recorded with one audit event.

Calendars and SLA policies are configuration, not demo cases: ``--reset`` keeps them and the
versions timers pinned (those rows are append-only; PostgreSQL refuses to change them). A
calendar or demo policy edited since the last load is put back to the demo default as its next
version, through the same services an editor uses, so it is audited and nothing pinned moves.
Policies someone added alongside the demo set stay, and apply to the new cases if they match.
"""

from __future__ import annotations

import io
import json
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.services import audit_record
from cases.choices import OPEN_STATUSES
from cases.demo import (
    BENCH_EVENTS,
    CASE_COLUMNS,
    CUSTOMER_COLUMNS,
    DEMO_PASSWORD,
    EVENT_COLUMNS,
    NOTIFICATION_COLUMNS,
    PERSONA_USERNAMES,
    SLA_PAUSE_COLUMNS,
    SLA_POLICIES,
    SLA_TIMER_COLUMNS,
    STAFF_EMAIL_DOMAIN,
    TEAMS,
    DemoGenerator,
    Org,
    SlaPolicyRef,
    SlaPolicySpec,
    TeamSpec,
    staff_roster,
)
from cases.models import (
    Case,
    CaseEvent,
    CaseReferenceCounter,
    Category,
    Customer,
    SlaPause,
    SlaPolicy,
    SlaPolicyVersion,
    SlaTimer,
)
from cases.sla_policies import sla_policy_save, sla_policy_validate
from people.calendars import calendar_save, calendar_version_current, work_calendar
from people.models import BusinessCalendar, BusinessCalendarVersion, Membership, Notification, Shift, Team, User

# A fixed salt keeps the load deterministic; long enough that Django does not ask to rehash it.
FIXED_SALT = "escalationDeskDemoSalt"
CHUNK_CASES = 20_000
# Calendars and policies written by a first load date from just before the first generated case,
# so no timer in the history started before the version it pins.
HISTORY_DAYS = 366
# What a load writes with explicit ids (their sequences are moved past them afterwards).
LOADED_MODELS = [Customer, Case, CaseEvent, SlaTimer, SlaPause]
# What --reset empties, besides everything that points at these (found from the models).
RESET_MODELS = [*LOADED_MODELS, CaseReferenceCounter, Notification]


class Command(BaseCommand):
    help = (
        "Load deterministic demo data: teams, calendars, SLA policies, the personas (password "
        f"'{DEMO_PASSWORD}', demo data only) and ~60 colleagues, customers, and --cases cases with "
        "timelines and SLA timers over the 12 months before --as-of. Same --seed and --as-of give "
        "the same data. Refuses if the database already has cases or persona accounts. --reset "
        "first deletes ALL cases, timelines, SLA timers, notifications, customers and reference "
        "counters (TRUNCATE ... CASCADE on PostgreSQL, so rows of other apps that point at cases go "
        "too; the audit ledger is kept), then updates the demo staff in place and puts edited demo "
        "calendars and SLA policies back as new versions (pinned versions are never changed). To "
        "start completely clean, drop and re-create the database instead."
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
        parser.add_argument(
            "--backlog",
            type=float,
            default=0.0,
            help="Share of cases (0 to 0.9) still being worked at --as-of on top of the ~1%% any desk has "
            "in flight, more of them recent: a desk behind on its work, for queue and SLA benchmarks.",
        )

    def handle(self, *args, cases: int, seed: int, reset: bool, as_of: str | None, backlog: float = 0.0, **options):
        started = time.monotonic()
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        if not 0 <= backlog <= 0.9:
            raise CommandError("--backlog is a share of cases from 0 to 0.9.")
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
            org = self._write_org(history_start=as_of_at - timedelta(days=HISTORY_DAYS))
            _write_routing_rules()
            generator = DemoGenerator(
                seed=seed,
                cases=cases,
                as_of=as_of_at,
                org=org,
                reopen_window_days=settings.CASE_REOPEN_WINDOW.days,
                backlog=backlog,
            )
            writer = _writer()
            plan = generator.plan()
            customer_rows = generator.customers(plan)
            writer.write(Customer, CUSTOMER_COLUMNS, customer_rows)
            if not writer.sets_created_at:
                # bulk_create stamps auto_now_add with the load time; the record dates from the account.
                Customer.objects.update(created_at=F("account_opened_at"))
            counters = dict(CaseReferenceCounter.objects.values_list("year", "last_number"))
            n_cases = n_events = n_timers = n_pauses = 0
            for chunk in generator.cases(plan, reference_start=counters, chunk=CHUNK_CASES):
                writer.write(Case, CASE_COLUMNS, chunk.cases)
                writer.write(CaseEvent, EVENT_COLUMNS, chunk.events)
                writer.write(SlaTimer, SLA_TIMER_COLUMNS, chunk.timers)
                writer.write(SlaPause, SLA_PAUSE_COLUMNS, chunk.pauses)
                writer.write(Notification, NOTIFICATION_COLUMNS, chunk.notifications)
                n_cases += len(chunk.cases)
                n_events += len(chunk.events)
                n_timers += len(chunk.timers)
                n_pauses += len(chunk.pauses)
                if verbose:
                    self.stdout.write(
                        f"  {n_cases:,} cases, {n_events:,} events, {n_timers:,} SLA timers "
                        f"({time.monotonic() - started:.1f} s)"
                    )
            for year, last_number in generator.reference_end.items():
                CaseReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last_number})
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), LOADED_MODELS):
                    cursor.execute(sql)
            summary = {
                "seed": seed,
                "as_of": as_of_at.isoformat(),
                "reset": reset,
                "customers": len(customer_rows),
                "cases": n_cases,
                "events": n_events,
                "sla_timers": n_timers,
                "sla_pauses": n_pauses,
                "sla_policies": [ref.version.policy.name for ref in org.sla_policies],
                "backlog": backlog,
                "staff": len(org.staff),
                "teams": len(org.team_ids),
                "bench_case": generator.bench_reference,
            }
            audit_record(actor=None, action="demo.seed", object_type="system", object_id="seed_demo", after=summary)
        self._analyze()
        # SOPs, scripts, training records and QA scorecards are the knowledge app's to write.
        import_string("knowledge.demo.load")(seed=seed, as_of=as_of_at, stdout=self.stdout)
        # The dashboards' own history (escalations, flags, surveys, campaigns, facts) is metrics' to write.
        import_string("metrics.demo.load")(seed=seed, as_of=as_of_at, stdout=self.stdout)
        # Then the flags it wrote get their facts, evidence digest and nearest deadline.
        import_string("compliance.demo.load")(seed=seed, stdout=self.stdout)
        # A seeded scam wave (one wallet, ~40 victims in the US and AU) and problem records.
        import_string("painpoints.demo.load")(seed=seed, as_of=as_of_at, stdout=self.stdout)
        self._print_summary(summary, org, as_of_at, time.monotonic() - started)

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
        tables = [m._meta.db_table for m in _with_dependants(RESET_MODELS)]
        statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=True)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def _write_org(self, *, history_start: datetime) -> Org:
        team_ids, calendars = {}, {}
        for spec in TEAMS:
            calendar = _write_calendar(spec, history_start=history_start)
            team, _ = Team.objects.update_or_create(
                name=spec.name,
                defaults={"slug": spec.slug, "kind": spec.kind, "time_zone": spec.time_zone, "calendar": calendar},
            )
            team_ids[spec.name] = team.pk
            calendars[spec.name] = calendar

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
        for position, spec in enumerate(SLA_POLICIES):
            _write_policy(spec, position=position, calendars=calendars, history_start=history_start)
        return Org(
            team_ids=team_ids,
            category_ids=category_ids,
            user_ids=user_ids,
            staff=staff,
            sla_policies=_active_policies(),
        )

    def _analyze(self) -> None:
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LOADED_MODELS)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # Fresh statistics for the planner and a visibility map for index-only scans,
                # rather than waiting for autovacuum to notice the load.
                cursor.execute(f"VACUUM (ANALYZE) {tables}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {tables}")
            else:
                cursor.execute("ANALYZE")

    def _print_summary(self, summary: dict, org: Org, as_of: datetime, seconds: float) -> None:
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Loaded {summary['cases']:,} cases, {summary['events']:,} timeline events, "
                f"{summary['sla_timers']:,} SLA timers and {summary['customers']:,} customers for "
                f"{summary['staff']} staff in {summary['teams']} teams in {seconds:.1f} s "
                f"(seed {summary['seed']}, as of {summary['as_of']})."
            )
        )
        by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
        out.write("Cases by status: " + ", ".join(f"{status} {n:,}" for status, n in sorted(by_status.items())))
        out.write("SLA policies, first match applies: " + "; ".join(summary["sla_policies"]))
        states = sla_states_of_open_cases(as_of)
        out.write("SLA timers of open cases: " + ", ".join(f"{state} {n:,}" for state, n in states.items()))
        out.write(f"Benchmark case ({BENCH_EVENTS} events): {summary['bench_case']}")
        out.write(f"\nPersonas (password '{DEMO_PASSWORD}', demo data only):")
        rows = [("username", "role", "teams")]
        for spec in org.staff:
            if spec.username in PERSONA_USERNAMES:
                rows.append((spec.username, spec.role, ", ".join(spec.teams) or "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        for username, role, teams in rows:
            out.write(f"  {username:<{widths[0]}}  {role:<{widths[1]}}  {teams}")


# --- Calendars and SLA policies ----------------------------------------------------------------


def _write_calendar(spec: TeamSpec, *, history_start: datetime) -> BusinessCalendar:
    """The team's calendar with a current version to pin; see the module docstring for reloads."""
    name = f"{spec.name} hours"
    config = {
        "time_zone": spec.time_zone,
        "holiday_country": spec.holiday_country,
        "holiday_subdivision": spec.holiday_subdivision,
        "weekly_hours": spec.weekly_hours,
        "closures": [],
    }
    calendar = BusinessCalendar.objects.filter(name=name).first()
    if calendar is not None and calendar.version:
        if any(getattr(calendar, key) != value for key, value in config.items()):
            return calendar_save(actor=None, calendar=calendar, name=name, **config)
        return calendar
    # New, or loaded before calendars had versions: version 1 is the demo's, dated before its history.
    calendar = calendar or BusinessCalendar(name=name)
    for key, value in config.items():
        setattr(calendar, key, value)
    calendar.version = 1
    calendar.save()
    BusinessCalendarVersion.objects.create(calendar=calendar, number=1, created_at=history_start, **config)
    return calendar


# The demo's routing rules: where new cases of a kind go before an agent is picked. Like the SLA
# policies they are configuration: written once, left alone by --reset (a lead may have edited them).
DEMO_ROUTING_RULES = [
    ("Scam, fraud and unauthorised transfers to Fraud & Scam", ["scam-fraud", "unauthorized-transfer"], "fraud-scam"),
    ("ID verification to CDD / KYC", ["kyc"], "cdd-kyc"),
]


def _write_routing_rules() -> None:
    from cases.models import RoutingRule
    from cases.routing_rules import routing_rule_save

    for name, categories, team_slug in DEMO_ROUTING_RULES:
        if RoutingRule.objects.filter(name=name).exists():
            continue
        routing_rule_save(
            actor=None,
            name=name,
            is_active=True,
            conditions={"category": categories},
            target_team=Team.objects.get(slug=team_slug),
            required_skills=[],
        )


def _write_policy(
    spec: SlaPolicySpec, *, position: int, calendars: dict[str, BusinessCalendar], history_start: datetime
) -> None:
    fields = spec.version_fields({team: calendar.pk for team, calendar in calendars.items()})
    policy = SlaPolicy.objects.filter(name=spec.name).select_related("current_version").first()
    if policy is None:
        problems = sla_policy_validate(
            policy=None,
            name=spec.name,
            conditions=fields["conditions"],
            first_response_minutes=spec.first_response_minutes,
            next_response_minutes=spec.next_response_minutes,
            resolution_minutes=spec.resolution_minutes,
            warn_percent=spec.warn_percent,
            warn_minutes_before=spec.warn_minutes_before,
        )
        if problems:
            raise CommandError(f"Demo SLA policy {spec.name!r} is not valid: {problems}")
        policy = SlaPolicy.objects.create(name=spec.name, position=position, is_active=True, created_at=history_start)
        version = SlaPolicyVersion.objects.create(
            policy=policy, number=1, change_note=spec.change_note, created_at=history_start, **fields
        )
        policy.current_version = version
        policy.save(update_fields=["current_version"])
        return
    current = policy.current_version
    if current is None or any(getattr(current, key) != value for key, value in fields.items()):
        calendar = calendars[spec.calendar_team] if spec.calendar_team else None
        sla_policy_save(
            actor=None,
            policy=policy,
            name=spec.name,
            position=position,
            is_active=True,
            calendar=calendar,
            change_note="Demo default put back by seed_demo.",
            **{key: value for key, value in fields.items() if key != "calendar_id"},
        )
    elif policy.position != position or not policy.is_active:
        policy.position, policy.is_active = position, True
        policy.save(update_fields=["position", "is_active"])


def _active_policies() -> list[SlaPolicyRef]:
    """Every active policy in the order the SLA engine tries them, with the calendar version a
    timer starting now pins (the demo set and any policy someone added)."""
    refs = []
    policies = (
        SlaPolicy.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version__calendar", "current_version__policy")
        .order_by("position", "id")
    )
    for policy in policies:
        version = policy.current_version
        pinned = calendar_version_current(version.calendar) if version.calendar_id else None
        refs.append(
            SlaPolicyRef(version=version, calendar_version_id=getattr(pinned, "pk", None), cal=work_calendar(pinned))
        )
    return refs


def sla_states_of_open_cases(as_of: datetime) -> dict[str, int]:
    """How the running timers of open cases look at ``as_of`` (SlaTimer.state, counted in SQL)."""
    running = SlaTimer.objects.running().filter(case__status__in=OPEN_STATUSES)
    unpaused = Q(paused_at__isnull=True)
    breached = unpaused & (Q(breached_at__isnull=False) | Q(due_at__lte=as_of))
    warning = unpaused & ~breached & (Q(warned_at__isnull=False) | Q(warn_at__lte=as_of))
    return running.aggregate(
        breached=Count("id", filter=breached),
        warning=Count("id", filter=warning),
        ok=Count("id", filter=unpaused & ~breached & ~warning),
        paused=Count("id", filter=Q(paused_at__isnull=False)),
    )


def _with_dependants(roots: list[type[models.Model]]) -> list[type[models.Model]]:
    """``roots`` and every model that points at one of them, directly or through another: what a
    reset must empty too (TRUNCATE ... CASCADE finds them itself; SQLite's DELETE does not)."""
    found = list(roots)
    queue = deque(roots)
    while queue:
        model = queue.popleft()
        for relation in model._meta.related_objects:
            dependant = relation.related_model
            if relation.many_to_many or dependant in found:
                continue
            found.append(dependant)
            queue.append(dependant)
    return found


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
