"""factory_boy factories for the desk's models. Defaults build a valid, ordinary row."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from cases.choices import Channel, EventKind, Priority, Status, Tier
from cases.models import Case, CaseEvent, Category, Customer
from people.choices import Role, TeamKind
from people.models import BusinessCalendar, Membership, Team, User

WEEKDAY_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}


class BusinessCalendarFactory(DjangoModelFactory):
    class Meta:
        model = BusinessCalendar

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Asia/Manila"
    holiday_country = "PH"
    weekly_hours = factory.LazyFunction(lambda: dict(WEEKDAY_HOURS))


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


def ensure_categories() -> None:
    """Put back the category taxonomy the data migration creates.

    A ``transaction=True`` test ends with a TRUNCATE of every table, categories included,
    and with ``--reuse-db`` the next run would otherwise start without them.
    """
    migration = importlib.import_module("cases.migrations.0003_caseevent_append_only_and_categories")
    for position, (code, name, description, sensitive) in enumerate(migration.CATEGORIES):
        Category.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "regulatory_sensitive": sensitive,
                "position": position,
            },
        )
