from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from cases import registry
from people.choices import Role, TeamKind
from tests.factories import CaseFactory, TeamFactory, UserFactory, ensure_reference_data


def pytest_configure(config):
    # WhiteNoise notes that collectstatic has not run; tests serve no static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture(scope="module")
def categories_back_after_flush(django_db_blocker):
    """For modules with ``transaction=True`` tests: their closing TRUNCATE takes the migrated
    reference data with it; module teardown runs after that flush and puts it back."""
    yield
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def case_rules(settings, monkeypatch):
    """The cases app on its own: product settings pinned, no hooks from higher apps.

    The reopen window is configurable by environment; pinning it gives test dates a meaning.
    Escalations and compliance may register close checks; case tests install their own.
    """
    settings.CASE_REOPEN_WINDOW = timedelta(days=7)
    settings.CASE_QUEUE_PAGE_SIZE = 50
    monkeypatch.setattr(registry, "close_checks", [])
    monkeypatch.setattr(registry, "after_status_change", [])


@pytest.fixture
def team(db):
    return TeamFactory(name="Manila L1", slug="manila-l1")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="Sydney L1", slug="sydney-l1", time_zone="Australia/Sydney")


@pytest.fixture
def agent(team):
    return UserFactory(username="ana", first_name="Ana", last_name="Reyes", role=Role.AGENT, teams=[team])


@pytest.fixture
def second_agent(team):
    return UserFactory(username="ben", first_name="Ben", last_name="Cruz", role=Role.AGENT, teams=[team])


@pytest.fixture
def lead(team):
    return UserFactory(username="lena", first_name="Lena", last_name="Lead", role=Role.LEAD, teams=[team])


@pytest.fixture
def specialist(db):
    fraud = TeamFactory(name="Fraud & scam", slug="fraud", kind=TeamKind.FRAUD)
    return UserFactory(username="sam", first_name="Sam", last_name="Spec", role=Role.SPECIALIST, teams=[fraud])


@pytest.fixture
def outsider(other_team):
    """An agent of another team: may not even learn that the first team's cases exist."""
    return UserFactory(username="olly", first_name="Olly", last_name="Other", role=Role.AGENT, teams=[other_team])


@pytest.fixture
def other_lead(other_team):
    return UserFactory(username="omar", first_name="Omar", last_name="Lead", role=Role.LEAD, teams=[other_team])


@pytest.fixture
def auditor(db):
    return UserFactory(username="audrey", first_name="Audrey", last_name="Audit", role=Role.AUDITOR)


@pytest.fixture
def compliance_user(db):
    return UserFactory(username="cora", first_name="Cora", last_name="Comply", role=Role.COMPLIANCE)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="adam", first_name="Adam", last_name="Admin", role=Role.ADMIN, is_staff=True)


@pytest.fixture
def case(team):
    return CaseFactory(team=team, subject="Withdrawal of 0.5 BTC pending for 3 days")


@pytest.fixture
def client_for(db):
    """A fresh, signed-in test client per user, so one test can act as several people."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
