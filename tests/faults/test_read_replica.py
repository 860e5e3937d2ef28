"""``DATABASE_REPLICA_URL``: dashboards and drill-downs read from the replica, everything else and
every write from the primary.

The replica here is a second real database, a snapshot of the test database taken before a new
case arrived (a replica that has not caught up yet): what a page shows tells which one it read.
"""

from __future__ import annotations

import time

import psycopg2
import pytest
import requests
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.utils import timezone

from api.tokens import token_issue
from cases import services
from cases.models import Category, Customer
from config.db_router import REPLICA, ReplicaRouter, replica_reads
from metrics.facts import facts_refresh
from people.choices import Role, TeamKind
from people.models import Membership, Team, User
from tests.integration.conftest import _reference_data_survives_flush  # noqa: F401 - restores reference data
from tests.integration.support import current_database_url, process_env, restore_reference_data

pytestmark = [pytest.mark.faults]


def test_without_a_replica_every_read_goes_to_the_primary(settings):
    assert REPLICA not in settings.DATABASES
    with replica_reads():
        assert ReplicaRouter().db_for_read(User) == DEFAULT_DB_ALIAS
    assert ReplicaRouter().db_for_write(User) == DEFAULT_DB_ALIAS


def _admin_connection():
    conn = psycopg2.connect(current_database_url().rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


@pytest.fixture
def replica(transactional_db):
    """A copy of the test database made now (CREATE DATABASE ... TEMPLATE); dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_replica"
    source = connection.settings_dict["NAME"]
    connections.close_all()
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        # A template may have no other session. This process's own are closed above; what is left
        # are sessions of threads that ended without closing theirs (earlier tests' thread pools)
        # and of servers just stopped, none of which will be used again.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [source],
        )
        for _attempt in range(20):
            try:
                cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                break
            except psycopg2.errors.ObjectInUse:  # a connection of a process just stopped lingers
                time.sleep(0.25)
        else:
            raise AssertionError("the test database stayed in use; no snapshot")
    yield current_database_url().rsplit("/", 1)[0] + f"/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _case(team: Team, customer: Customer, subject: str):
    case = services.case_create(
        actor=None,
        customer=customer,
        subject=subject,
        body="My withdrawal has been pending since Monday.",
        channel="email",
        category=Category.objects.get(code="withdrawals"),
        team=team,
    )
    facts_refresh([case.pk])
    return case


@pytest.mark.django_db(transaction=True)
def test_dashboard_reads_go_to_the_replica_and_writes_do_not(request, redis_server, web_server):
    restore_reference_data()
    team = Team.objects.create(name="US Leads", slug="us-leads", kind=TeamKind.FRONTLINE, time_zone="UTC")
    lead = User.objects.create_user("lena", role=Role.LEAD, time_zone="UTC")
    Membership.objects.create(user=lead, team=team)
    customer = Customer.objects.create(
        account_number="ACC-0000042",
        full_name="Jane Roe",
        email="jane.roe@example.com",
        jurisdiction="US-CA",
        account_opened_at=timezone.now(),
    )
    before = _case(team, customer, "Withdrawal pending since Monday")
    client = Client()
    client.force_login(lead)
    session, token = client.cookies["sessionid"].value, token_issue(actor=None, user=lead, name="replica").secret

    replica_url = request.getfixturevalue("replica")
    after = _case(team, customer, "Card declined at checkout")  # only on the primary
    # Read from the primary (no replica in this process), the drill-down lists both cases.
    primary = client.get("/metrics/cases/received/").content.decode()
    assert before.reference in primary and after.reference in primary

    env = process_env(redis_url=redis_server.url())
    env["DATABASE_REPLICA_URL"] = replica_url
    web = web_server(env)
    page = requests.Session()
    page.cookies.set("sessionid", session)

    drill = page.get(f"{web.base}/metrics/cases/received/", timeout=30)
    assert drill.status_code == 200
    assert before.reference in drill.text and after.reference not in drill.text
    assert page.get(f"{web.base}/metrics/", timeout=30).status_code == 200
    # Case pages and queues read the primary.
    assert page.get(f"{web.base}/cases/{after.reference}/", timeout=30).status_code == 200
    assert after.reference in page.get(f"{web.base}/cases/", timeout=30).text

    reply = requests.post(
        f"{web.base}/api/v1/cases/{after.reference}/replies/",
        json={"body": "Written to the primary only."},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text

    def count(url: str, sql: str, params: list) -> int:
        with psycopg2.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    replies = "SELECT count(*) FROM cases_caseevent WHERE body = %s"
    assert count(current_database_url(), replies, ["Written to the primary only."]) == 1
    assert count(replica_url, replies, ["Written to the primary only."]) == 0
    assert count(replica_url, "SELECT count(*) FROM cases_case WHERE reference = %s", [after.reference]) == 0
    web.stop()
