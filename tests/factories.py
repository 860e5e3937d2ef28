"""factory_boy factories for the desk's models. Defaults build a valid, ordinary row."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases.choices import Channel, EventKind, Priority, SlaMetric, Status, Tier
from cases.models import Case, CaseEvent, Category, Customer, SlaPolicy, SlaPolicyVersion, SlaTimer
from people.choices import Role, TeamKind
from people.models import BusinessCalendar, BusinessCalendarVersion, Membership, Notification, Team, User

WEEKDAY_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}


class BusinessCalendarFactory(DjangoModelFactory):
    """A calendar as ``calendar_save`` leaves it: version 1 written, so timers can pin it."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Asia/Manila"
    holiday_country = "PH"
    holiday_subdivision = ""
    weekly_hours = factory.LazyFunction(lambda: dict(WEEKDAY_HOURS))
    closures = factory.LazyFunction(list)
    version = 1

    @factory.post_generation
    def pinned_version(self, create, extracted, **kwargs):
        if create and self.version:
            BusinessCalendarVersion.objects.create(
                calendar=self,
                number=self.version,
                time_zone=self.time_zone,
                holiday_country=self.holiday_country,
                holiday_subdivision=self.holiday_subdivision,
                weekly_hours=self.weekly_hours,
                closures=self.closures,
                created_at=timezone.now(),
            )


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    kind = TeamKind.FRONTLINE
    time_zone = "Asia/Manila"
    calendar = factory.SubFactory(BusinessCalendarFactory)


class UserFactory(DjangoModelFactory):
    """A user with a role; ``teams=[...]`` makes them a member of those teams."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@desk.example")
    role = Role.AGENT
    time_zone = "UTC"
    is_active = True

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            for team in extracted:
                MembershipFactory(user=self, team=team)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)


class CategoryFactory(DjangoModelFactory):
    """Categories are product data created by a migration: this fetches the row by code."""

    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "withdrawals"
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").capitalize())


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    account_number = factory.Sequence(lambda n: f"AC{n:08d}")
    full_name = factory.Sequence(lambda n: f"Customer Number{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+1 415 555 0142"
    date_of_birth = date(1961, 5, 17)
    government_id_last4 = "6789"
    jurisdiction = "US-CA"
    tier = Tier.STANDARD
    language = "en"
    account_opened_at = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


class CaseFactory(DjangoModelFactory):
    """A case as intake would have made it; ``status`` resolved/closed sets the matching times."""

    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"CS-2026-{500000 + n:06d}")
    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Withdrawal stuck {n}")
    channel = Channel.EMAIL
    category = factory.SubFactory(CategoryFactory)
    priority = Priority.NORMAL
    status = Status.NEW
    team = factory.SubFactory(TeamFactory)
    assignee = None
    language = "en"
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    created_at = factory.LazyAttribute(lambda o: o.received_at)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)
    resolved_at = factory.LazyAttribute(
        lambda o: o.updated_at if o.status in (Status.RESOLVED, Status.CLOSED) else None
    )
    closed_at = factory.LazyAttribute(lambda o: o.updated_at if o.status == Status.CLOSED else None)


class CaseEventFactory(DjangoModelFactory):
    class Meta:
        model = CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = EventKind.NOTE
    actor = None
    body = factory.Sequence(lambda n: f"Event body {n}")
    data = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)


class SlaPolicyFactory(DjangoModelFactory):
    """An active policy with its first version current; ``version__<field>=...`` sets the
    version's targets (``version__resolution_minutes=None``), ``version=False`` writes none."""

    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    position = factory.Sequence(lambda n: n)
    is_active = True
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def version(self, create, extracted, **kwargs):
        if create and extracted is not False:
            SlaPolicyVersionFactory(policy=self, **kwargs)


class SlaPolicyVersionFactory(DjangoModelFactory):
    """The next version of ``policy``, made current (pass ``make_current=False`` to keep the old one).

    Targets are business minutes of a Manila weekday 09:00-17:00 calendar unless ``calendar=None``.
    """

    class Meta:
        model = SlaPolicyVersion
        skip_postgeneration_save = True

    policy = factory.SubFactory(SlaPolicyFactory, version=False)
    number = factory.LazyAttribute(
        lambda o: (o.policy.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    )
    conditions = factory.LazyFunction(dict)
    calendar = factory.SubFactory(BusinessCalendarFactory)
    first_response_minutes = 60
    next_response_minutes = 240
    resolution_minutes = 1440
    warn_percent = 80
    warn_minutes_before = None
    breach_raise_priority = False
    breach_escalate = False
    created_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def make_current(self, create, extracted, **kwargs):
        if create and extracted is not False:
            SlaPolicy.objects.filter(pk=self.policy_id).update(current_version=self)
            self.policy.current_version = self


class SlaTimerFactory(DjangoModelFactory):
    """A running timer counting elapsed minutes (no calendar) from ``started_at``."""

    class Meta:
        model = SlaTimer

    case = factory.SubFactory(CaseFactory)
    metric = SlaMetric.FIRST_RESPONSE
    policy_version = factory.SubFactory(SlaPolicyVersionFactory, calendar=None)
    calendar_version = None
    target_minutes = 60
    started_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=o.target_minutes))
    warn_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=o.target_minutes * 8 // 10))


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "sla.warning"
    title = factory.Sequence(lambda n: f"Notification {n}")
    created_at = factory.LazyFunction(timezone.now)


def ensure_reference_data() -> None:
    """Put back the product data the data migrations create: the category taxonomy, the
    escalation reasons and the compliance decision reasons. Idempotent, keyed on the codes.

    A ``transaction=True`` test ends with a TRUNCATE of every table, these included, and with
    ``--reuse-db`` the next run would otherwise start without them.
    """
    from compliance.models import DecisionReason
    from escalations.models import ReasonCode

    categories = importlib.import_module("cases.migrations.0003_caseevent_append_only_and_categories")
    for position, (code, name, description, sensitive) in enumerate(categories.CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={"name": name, "description": description, "regulatory_sensitive": sensitive,
                      "position": position},
        )  # fmt: skip
    reasons = importlib.import_module("escalations.migrations.0002_reason_codes")
    for position, (code, label, urgency) in enumerate(reasons.REASON_CODES):
        ReasonCode.objects.update_or_create(
            code=code, defaults={"label": label, "default_urgency": urgency, "position": position}
        )
    decisions = importlib.import_module("compliance.migrations.0002_decision_reasons")
    goodwill = importlib.import_module("compliance.migrations.0005_goodwill_amounts")
    for position, (code, label, kinds, two) in enumerate(decisions.REASONS):
        if code == "goodwill_payment_large" and DecisionReason.objects.filter(code="goodwill_payment").exists():
            continue  # 0005 turned it into "goodwill_payment"
        DecisionReason.objects.update_or_create(
            code=code, defaults={"label": label, "kinds": kinds, "needs_two_reviewers": two, "position": position}
        )
    goodwill.goodwill_by_amount(DecisionReason)
